//! JSON views shared by the dataset and team task statistics: LabelStats, the
//! grouped label statistics, key-sample, hard-reason and metadata maps.

use std::collections::BTreeMap;

use labelhive_domain::label::Label;
use labelhive_domain::sample::LabelCount;
use labelhive_domain::stats::SampleStats;
use serde_json::{json, Map, Value};

/// LabelStats of the dataset's labels with their counts (a task's or the dataset's).
pub fn label_stats(labels: &[Label], counts: &[LabelCount]) -> Vec<Value> {
    labels
        .iter()
        .map(|label| {
            let c = counts.iter().find(|c| c.name == label.name);
            json!({
                "name": label.name,
                "type": label.label_type,
                "property": label.property,
                "attributes": label.attributes,
                "count": c.map_or(0, |c| c.count),
                "sample_count": c.map_or(0, |c| c.sample_count),
            })
        })
        .collect()
}

/// The fields both statistics answers share, over `samples` samples: `label_stats`,
/// `grouped_label_stats`, `key_sample_stats`, `hard_detail_stats`, `metadata_stats`.
pub fn body(labels: &[Label], stats: &SampleStats, samples: i64) -> Map<String, Value> {
    let label_stats = label_stats(labels, &stats.labels);
    let mut grouped: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (label, entry) in labels.iter().zip(&label_stats) {
        grouped
            .entry(label.label_type.to_string())
            .or_default()
            .push(entry.clone());
    }
    let hard_detail_stats: BTreeMap<String, Value> = stats
        .reasons
        .iter()
        .map(|(id, n)| {
            let reason = labelhive_domain::hard::REASONS
                .get(usize::from(*id))
                .copied()
                .unwrap_or_default();
            let detail = json!({"id": id, "reason": reason, "alo_name": "", "suggestion": ""});
            (id.to_string(), json!({"key": n, "value": detail}))
        })
        .collect();
    let metadata_stats: BTreeMap<&str, i64> = stats
        .metadata_keys
        .iter()
        .map(|(k, n)| (k.as_str(), *n))
        .collect();
    let mut out = Map::new();
    out.insert("label_stats".into(), json!(label_stats));
    out.insert("grouped_label_stats".into(), json!(grouped));
    out.insert(
        "key_sample_stats".into(),
        json!({
            "total": samples,
            "key_sample": stats.hard,
            "non_key_sample": samples - stats.hard,
        }),
    );
    out.insert("hard_detail_stats".into(), json!(hard_detail_stats));
    out.insert("metadata_stats".into(), json!(metadata_stats));
    out
}
