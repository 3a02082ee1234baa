//! Dataset statistics from the per-dataset counters (`sample::counter`): the whole
//! dataset, or its samples in one dataset state, never from a scan of samples.

use std::collections::BTreeMap;

use crate::sample::{counter, state, LabelCount};

/// Counter-based statistics of a dataset.
#[derive(Debug, Clone, Default)]
pub struct SampleStats {
    /// Samples per state.
    pub states: Vec<(String, i64)>,
    /// Hard examples.
    pub hard: i64,
    /// Mentions per hard example reason id.
    pub reasons: Vec<(u8, i64)>,
    /// Samples per metadata key.
    pub metadata_keys: Vec<(String, i64)>,
    /// Counts per label, in label order.
    pub labels: Vec<LabelCount>,
}

impl SampleStats {
    /// Statistics from per-dataset counters (`__STATE__` keys and the keys of
    /// [`counter::keys`]) and label counts. Keys kept per state are not read here.
    pub fn from_counters(
        counters: impl IntoIterator<Item = (String, i64)>,
        labels: Vec<LabelCount>,
    ) -> Self {
        let mut stats = SampleStats {
            labels,
            ..SampleStats::default()
        };
        for (key, n) in counters {
            if key.starts_with("__") {
                stats.states.push((key, n));
            } else if key == counter::HARD {
                stats.hard = n;
            } else if let Some(id) = key
                .strip_prefix(counter::HARD_REASON)
                .and_then(|i| i.parse().ok())
            {
                stats.reasons.push((id, n));
            } else if let Some(k) = key.strip_prefix(counter::METADATA) {
                stats.metadata_keys.push((k.to_owned(), n));
            }
        }
        stats.reasons.sort_unstable();
        stats.metadata_keys.sort_unstable();
        stats
    }

    /// The statistics of the samples in one dataset state, and how many there are.
    /// `__NONE__` and `__AUTO_ANNOTATION__` samples are counted again under their state
    /// (`counter::IN_STATE`, labels included); `__ALL__` is the whole less those.
    /// The per-state counts (`states`) stay the whole dataset's.
    pub fn in_state(
        counters: &[(String, i64)],
        labels: &[LabelCount],
        status: &str,
    ) -> (i64, Self) {
        let others = [state::UNLABELED, state::TO_CONFIRM];
        let scoped = |st: &str| -> BTreeMap<&str, i64> {
            let prefix = format!("{}{st}|", counter::IN_STATE);
            counters
                .iter()
                .filter_map(|(k, n)| k.strip_prefix(prefix.as_str()).map(|k| (k, *n)))
                .collect()
        };
        let is_label =
            |k: &str| k.starts_with(counter::LABEL) || k.starts_with(counter::LABEL_SAMPLES);
        let label_count = |keys: &BTreeMap<&str, i64>, name: &str| LabelCount {
            name: name.to_owned(),
            count: keys
                .get(format!("{}{name}", counter::LABEL).as_str())
                .copied()
                .unwrap_or(0),
            sample_count: keys
                .get(format!("{}{name}", counter::LABEL_SAMPLES).as_str())
                .copied()
                .unwrap_or(0),
        };
        let mut keys: BTreeMap<String, i64> = BTreeMap::new();
        let mut label_counts: Vec<LabelCount>;
        if status == state::LABELED {
            for (k, n) in counters {
                if !k.starts_with("__") && !k.starts_with(counter::IN_STATE) {
                    *keys.entry(k.clone()).or_default() += n;
                }
            }
            label_counts = labels.to_vec();
            for other in others {
                let theirs = scoped(other);
                for (k, n) in theirs.iter().filter(|(k, _)| !is_label(k)) {
                    *keys.entry((*k).to_owned()).or_default() -= n;
                }
                for l in &mut label_counts {
                    let c = label_count(&theirs, &l.name);
                    l.count -= c.count;
                    l.sample_count -= c.sample_count;
                }
            }
        } else {
            let mine = scoped(status);
            for (k, n) in mine.iter().filter(|(k, _)| !is_label(k)) {
                keys.insert((*k).to_owned(), *n);
            }
            label_counts = labels.iter().map(|l| label_count(&mine, &l.name)).collect();
        }
        let in_state = counters
            .iter()
            .find(|(k, _)| k == status)
            .map_or(0, |(_, n)| *n);
        let states = counters
            .iter()
            .filter(|(k, _)| k.starts_with("__"))
            .cloned();
        let kept = keys.into_iter().filter(|(_, n)| *n != 0);
        (
            in_state,
            Self::from_counters(states.chain(kept), label_counts),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotation::{SampleLabel, SampleMetadata};

    /// Counters as the store keeps them for these samples: (status, hard, labels, metadata).
    fn counted(samples: &[(&str, bool, &[&str], serde_json::Value)]) -> Vec<(String, i64)> {
        let mut out: BTreeMap<String, i64> = BTreeMap::new();
        for (status, hard, names, metadata) in samples {
            let labels: Vec<SampleLabel> = names
                .iter()
                .map(|n| SampleLabel {
                    name: Some((*n).to_owned()),
                    ..SampleLabel::default()
                })
                .collect();
            let metadata: SampleMetadata = serde_json::from_value(metadata.clone()).unwrap();
            *out.entry((*status).to_owned()).or_default() += 1;
            for k in counter::keys(status, *hard, &labels, &metadata) {
                *out.entry(k).or_default() += 1;
            }
        }
        out.into_iter().collect()
    }

    #[test]
    fn each_dataset_state_reads_its_own_samples() {
        use serde_json::json;
        let counters = counted(&[
            (
                state::LABELED,
                true,
                &["cat", "cat"],
                json!({"camera": "a", "@modelarts:hard_reasons": [3]}),
            ),
            (state::LABELED, false, &["dog"], json!({})),
            (
                state::TO_CONFIRM,
                true,
                &["cat"],
                json!({"camera": "b", "@modelarts:hard_reasons": [3, 7]}),
            ),
            (state::UNLABELED, false, &[], json!({"camera": "c"})),
        ]);
        // The dataset's label counters cover labeled and to-confirm samples alike.
        let labels = vec![
            LabelCount {
                name: "cat".into(),
                count: 3,
                sample_count: 2,
            },
            LabelCount {
                name: "dog".into(),
                count: 1,
                sample_count: 1,
            },
        ];
        let whole = SampleStats::from_counters(counters.clone(), labels.clone());
        assert_eq!(whole.hard, 2);
        assert_eq!(whole.metadata_keys[1], ("camera".into(), 3));

        let (n, all) = SampleStats::in_state(&counters, &labels, state::LABELED);
        assert_eq!(n, 2);
        assert_eq!(all.hard, 1);
        assert_eq!(all.reasons, vec![(3, 1)]);
        assert!(all.metadata_keys.contains(&("camera".into(), 1)));
        assert_eq!((all.labels[0].count, all.labels[0].sample_count), (2, 1));
        assert_eq!((all.labels[1].count, all.labels[1].sample_count), (1, 1));
        assert_eq!(all.states, whole.states);

        let (n, confirm) = SampleStats::in_state(&counters, &labels, state::TO_CONFIRM);
        assert_eq!(n, 1);
        assert_eq!(confirm.hard, 1);
        assert_eq!(confirm.reasons, vec![(3, 1), (7, 1)]);
        assert_eq!(
            (confirm.labels[0].count, confirm.labels[0].sample_count),
            (1, 1)
        );
        assert_eq!(confirm.labels[1].count, 0);

        let (n, none) = SampleStats::in_state(&counters, &labels, state::UNLABELED);
        assert_eq!(n, 1);
        assert_eq!(none.hard, 0);
        assert_eq!(none.metadata_keys, vec![("camera".into(), 1)]);
        assert!(none
            .labels
            .iter()
            .all(|l| l.count == 0 && l.sample_count == 0));
    }
}
