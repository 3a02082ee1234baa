//! Samples: what is stored per file, and the states a sample moves through.

use crate::annotation::{SampleLabel, SampleMetadata};

/// `sample_status` values a sample can hold outside team labeling.
pub mod state {
    /// Labeled (final annotation).
    pub const LABELED: &str = "__ALL__";
    /// Not labeled.
    pub const UNLABELED: &str = "__NONE__";
    /// Labeled by a machine, waiting for a person to confirm (`final_annotation: false`).
    pub const TO_CONFIRM: &str = "__AUTO_ANNOTATION__";
}

/// The state a sample with these labels is in.
pub fn state_for(labels: &[SampleLabel], final_annotation: bool) -> &'static str {
    match (labels.is_empty(), final_annotation) {
        (true, _) => state::UNLABELED,
        (false, true) => state::LABELED,
        (false, false) => state::TO_CONFIRM,
    }
}

/// A sample as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// 32-hex id derived from the path.
    pub id: String,
    /// Its dataset.
    pub dataset_id: String,
    /// OBS-style path of the file.
    pub path: String,
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub size: i64,
    /// ModelArts sample type.
    pub sample_type: i32,
    /// `__ALL__`, `__NONE__` or `__AUTO_ANNOTATION__`.
    pub status: String,
    /// Labels.
    pub labels: Vec<SampleLabel>,
    /// Metadata.
    pub metadata: SampleMetadata,
    /// Registration time, ms.
    pub create_time: i64,
    /// Last change, ms.
    pub update_time: i64,
    /// `TRAIN`, `EVAL`, `TEST` or `INFERENCE`, when set by a relabel or an import.
    pub usage: Option<String>,
}

/// The documented sample usages.
pub const USAGES: [&str; 4] = ["TRAIN", "EVAL", "TEST", "INFERENCE"];

/// A usage in any case as its documented upper-case form, if it is one.
pub fn parse_usage(raw: &str) -> Option<String> {
    let upper = raw.to_ascii_uppercase();
    USAGES.contains(&upper.as_str()).then_some(upper)
}

/// A sample to write: new, or replacing the labels of an existing one.
#[derive(Debug, Clone)]
pub struct SampleWrite {
    /// Id.
    pub id: String,
    /// OBS-style path.
    pub path: String,
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub size: i64,
    /// Sample type.
    pub sample_type: i32,
    /// Labels (already validated).
    pub labels: Vec<SampleLabel>,
    /// Metadata; `None` keeps an existing sample's stored metadata (a new one gets
    /// none), so a relabel need not read the sample first.
    pub metadata: Option<SampleMetadata>,
    /// State the labels put the sample in.
    pub status: &'static str,
    /// Whether the labels or metadata mark a hard example (with kept metadata, the
    /// store adds what the stored metadata says).
    pub hard: bool,
    /// The highest label score, if any label has one.
    pub score: Option<f64>,
    /// A new usage; `None` keeps the stored one.
    pub usage: Option<String>,
}

impl SampleWrite {
    /// Derives `hard` and `score` from the labels and metadata.
    pub fn derive_flags(&mut self) {
        self.hard = crate::annotation::is_hard(&self.labels, self.metadata.as_ref());
        self.score = self.labels.iter().filter_map(|l| l.score).reduce(f64::max);
    }
}

/// Per-dataset sample counters besides the per-state ones (`__ALL__`, ...): how the
/// store spells their keys, written by [`counter::keys`] and read back by the statistics.
pub mod counter {
    use crate::annotation::{SampleLabel, SampleMetadata};

    /// Hard examples.
    pub const HARD: &str = "hard";
    /// Prefix of the mentions of one hard reason id.
    pub const HARD_REASON: &str = "hard_reason:";
    /// Prefix of the samples carrying one metadata key.
    pub const METADATA: &str = "meta:";
    /// Prefix of a key counted again for the samples of one state other than
    /// `__ALL__`: `state:<status>|<key>`, so statistics can be narrowed by state
    /// (`__ALL__`'s are the whole less the others').
    pub const IN_STATE: &str = "state:";
    /// Prefix, inside a state's keys, of a label's instances (to-confirm samples carry
    /// labels the dataset's label counters also count).
    pub const LABEL: &str = "label:";
    /// Prefix, inside a state's keys, of the samples carrying a label.
    pub const LABEL_SAMPLES: &str = "label_samples:";

    /// The counters a sample adds one to besides its state: [`base_keys`], and for a
    /// sample outside `__ALL__` the same again with its labels, under its state.
    pub fn keys(
        status: &str,
        hard: bool,
        labels: &[SampleLabel],
        metadata: &SampleMetadata,
    ) -> Vec<String> {
        let mut keys = base_keys(hard, labels, metadata);
        if status == super::state::LABELED || (keys.is_empty() && labels.is_empty()) {
            return keys;
        }
        let scope = format!("{IN_STATE}{status}|");
        let mut scoped: Vec<String> = keys.iter().map(|k| format!("{scope}{k}")).collect();
        let mut names: Vec<&str> = Vec::new();
        for name in labels.iter().filter_map(|l| l.name.as_deref()) {
            scoped.push(format!("{scope}{LABEL}{name}"));
            if !names.contains(&name) {
                names.push(name);
                scoped.push(format!("{scope}{LABEL_SAMPLES}{name}"));
            }
        }
        keys.append(&mut scoped);
        keys
    }

    /// The keys of a sample whatever its state: hard, each hard reason mention, each
    /// metadata key.
    pub fn base_keys(hard: bool, labels: &[SampleLabel], metadata: &SampleMetadata) -> Vec<String> {
        let mut keys = Vec::new();
        if hard {
            keys.push(HARD.to_owned());
        }
        let reasons = crate::hard::reasons(labels, metadata);
        keys.extend(reasons.into_iter().map(|id| format!("{HARD_REASON}{id}")));
        keys.extend(metadata.0.keys().map(|k| format!("{METADATA}{k}")));
        keys
    }
}

/// Sort order and page of a sample listing.
#[derive(Debug, Clone, Copy)]
pub struct SamplePage {
    /// Oldest first.
    pub ascending: bool,
    /// Page number (ModelArts' "start page").
    pub offset: i64,
    /// Page size.
    pub limit: i64,
}

/// Counts per label: instances and samples carrying it.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelCount {
    /// Label name.
    pub name: String,
    /// Label instances over all samples.
    pub count: i64,
    /// Samples carrying the label.
    pub sample_count: i64,
}
