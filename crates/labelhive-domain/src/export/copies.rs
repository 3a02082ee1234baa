//! Where an export's copies go, and the sample a copy into a new dataset writes.

use crate::annotation::SampleLabel;
use crate::ids::sample_id_for_path;
use crate::manifest::HARD_KEYS;
use crate::sample::{state, state_for, Sample, SampleWrite};

/// A sample's path below the dataset's input directory, or its name for files
/// elsewhere: where its copy goes below an export directory.
pub fn relative_path<'a>(input_dir: &str, sample_path: &'a str, name: &'a str) -> &'a str {
    sample_path
        .strip_prefix(input_dir)
        .filter(|r| !input_dir.is_empty() && !r.is_empty())
        .unwrap_or(name)
}

/// Classification label names of a sample (image, text and sound classification).
pub fn class_names(labels: &[SampleLabel]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for l in labels {
        if matches!(l.label_type, Some(0 | 100 | 200)) {
            if let Some(n) = l.name.as_deref().filter(|n| !out.contains(n)) {
                out.push(n);
            }
        }
    }
    out
}

/// Where the copies of one sample go below the export directory `dir`: one per class
/// folder in a tree export with classification labels, else one at its relative path.
pub fn copy_targets(
    dir: &str,
    relative: &str,
    name: &str,
    tree: bool,
    classes: &[&str],
) -> Vec<String> {
    if tree && !classes.is_empty() {
        classes.iter().map(|c| format!("{dir}{c}/{name}")).collect()
    } else {
        vec![format!("{dir}{relative}")]
    }
}

/// The sample a NEW_DATASET export writes for `sample` copied to `path`: the same
/// labels and metadata (without the hard-example fields when they are cleared).
pub fn copied_sample(sample: &Sample, path: &str, clear_hard: bool) -> SampleWrite {
    let mut labels = sample.labels.clone();
    let mut metadata = sample.metadata.clone();
    if clear_hard {
        for l in &mut labels {
            l.property.retain(|k, _| !HARD_KEYS.contains(&k.as_str()));
        }
        metadata.0.retain(|k, _| !HARD_KEYS.contains(&k.as_str()));
    }
    let status = match sample.status.as_str() {
        state::LABELED => state::LABELED,
        state::TO_CONFIRM => state::TO_CONFIRM,
        _ => state_for(&labels, true),
    };
    let mut write = SampleWrite {
        id: sample_id_for_path(path),
        path: path.to_owned(),
        name: sample.name.clone(),
        size: sample.size,
        sample_type: sample.sample_type,
        labels,
        metadata: Some(metadata),
        status,
        hard: false,
        score: None,
        usage: sample.usage.clone(),
    };
    write.derive_flags();
    write
}
