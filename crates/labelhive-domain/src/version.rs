//! Dataset versions: a published, immutable snapshot of a dataset's samples and labels,
//! with its manifest under the dataset's work path.
//!
//! Publishing copies every sample that existed when the version was requested into the
//! version (each as it is when the publish job reaches it), then writes the manifest
//! from the copy. Later labeling changes the dataset, never the version.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sample::{state, Sample};
use crate::DomainError;

/// Version statuses (`status`).
pub mod status {
    /// 0: being published.
    pub const CREATING: i32 = 0;
    /// 1: published and usable ("running" in the spec's words).
    pub const NORMAL: i32 = 1;
    /// 2: being deleted.
    pub const DELETING: i32 = 2;
    /// 3: deleted.
    pub const DELETED: i32 = 3;
    /// 4: publishing failed.
    pub const ERROR: i32 = 4;
}

/// `version_format` values, by their list-filter codes 0, 1, 2.
pub const VERSION_FORMATS: [&str; 3] = ["Default", "CarbonData", "CSV"];

/// Per-label counts of a version, with the label's definition at publishing time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionLabel {
    /// Label name.
    pub name: String,
    /// Label type.
    #[serde(rename = "type")]
    pub label_type: i32,
    /// Label property.
    pub property: serde_json::Map<String, serde_json::Value>,
    /// Label attributes.
    pub attributes: Vec<crate::label::LabelAttribute>,
    /// Instances over the version's samples.
    pub count: i64,
    /// Samples carrying the label.
    pub sample_count: i64,
}

/// A dataset version as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    /// 19-character id.
    pub id: String,
    /// Its dataset.
    pub dataset_id: String,
    /// `V001`, ... or the name given.
    pub name: String,
    /// Description.
    pub description: String,
    /// One of [`status`].
    pub status: i32,
    /// `Default`, `CarbonData` or `CSV`.
    pub version_format: String,
    /// Share of labeled samples used for training, as given (`"0.80"`).
    pub train_evaluate_sample_ratio: String,
    /// Whether hard-example fields are left out of the manifest.
    pub clear_hard_property: bool,
    /// Whether the samples' usage is replaced by the split.
    pub remove_sample_usage: bool,
    /// Whether sample files are copied to the version directory.
    pub export_images: bool,
    /// Whether CSV output starts with the column names (table datasets).
    pub with_column_header: bool,
    /// The dataset type at publishing time.
    pub task_type: i32,
    /// Samples in the version.
    pub total_sample_count: i64,
    /// Labeled samples in the version.
    pub annotated_sample_count: i64,
    /// Label counts.
    pub labels: Vec<VersionLabel>,
    /// `single` or `multi` once published.
    pub label_type: Option<String>,
    /// OBS path of the manifest.
    pub manifest_path: String,
    /// OBS directory of the version's files.
    pub data_path: String,
    /// The dataset's current version when this one was requested.
    pub previous_version_id: Option<String>,
    /// What went wrong, when publishing failed.
    pub message: Option<String>,
    /// The publish job.
    pub job_id: String,
    /// Samples with a sequence number up to this one belong to the version.
    pub last_seq: i64,
    /// Creation time, ms.
    pub create_time: i64,
    /// Last change, ms.
    pub update_time: i64,
}

/// A validated request to publish a version.
#[derive(Debug, Clone, Default)]
pub struct NewVersion {
    /// Name; `None` takes the next `Vnnn`.
    pub name: Option<String>,
    /// Description.
    pub description: String,
    /// Default true.
    pub clear_hard_property: bool,
    /// Default true.
    pub remove_sample_usage: bool,
    /// Default false.
    pub export_images: bool,
    /// Default true.
    pub with_column_header: bool,
    /// Default `1.00`.
    pub train_evaluate_sample_ratio: String,
    /// Default `Default`.
    pub version_format: String,
}

/// The default name of the n-th version: `V001`, `V002`, ...
pub fn default_name(n: i64) -> String {
    format!("V{n:03}")
}

/// Checks a version name: 1 to 32 letters, digits, `_` or `-`.
pub fn check_name(name: &str) -> Result<(), DomainError> {
    let ok = (1..=32).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "version_name",
            "must be 1 to 32 letters, digits, underscores or hyphens",
        ))
    }
}

/// Checks a description: at most 256 characters, none of `!<>=&"'`.
pub fn check_description(d: &str) -> Result<(), DomainError> {
    if d.chars().count() > 256 {
        return Err(DomainError::invalid(
            "description",
            "must be at most 256 characters",
        ));
    }
    if d.chars().any(|c| "!<>=&\"'".contains(c)) {
        return Err(DomainError::invalid(
            "description",
            "must not contain any of !<>=&\"'",
        ));
    }
    Ok(())
}

/// Parses a split ratio: a decimal number from 0 to 1.
pub fn parse_ratio(field: &str, s: &str) -> Result<f64, DomainError> {
    let ok = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    match s.parse::<f64>() {
        Ok(r) if ok && (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(DomainError::invalid(
            field,
            "must be a decimal number from 0 to 1, such as 0.8",
        )),
    }
}

impl NewVersion {
    /// Checks every field against the spec's rules for a dataset of type `dataset_type`.
    pub fn check(&self, dataset_type: crate::dataset::DatasetType) -> Result<(), DomainError> {
        if let Some(name) = &self.name {
            check_name(name)?;
        }
        check_description(&self.description)?;
        parse_ratio(
            "train_evaluate_sample_ratio",
            &self.train_evaluate_sample_ratio,
        )?;
        if !VERSION_FORMATS.contains(&self.version_format.as_str()) {
            return Err(DomainError::invalid(
                "version_format",
                "must be Default, CarbonData or CSV",
            ));
        }
        let table = dataset_type == crate::dataset::DatasetType::Table;
        if self.version_format != "Default" && !table {
            return Err(DomainError::invalid(
                "version_format",
                "CarbonData and CSV are for table datasets only",
            ));
        }
        if table {
            // Table datasets keep rows in CSV files; their versions are not published yet.
            return Err(DomainError::Unsupported(
                "publishing versions of table datasets".into(),
            ));
        }
        Ok(())
    }
}

/// The version's directory: `<inner work path>annotation/<name>/`.
pub fn version_dir(inner_work_path: &str, name: &str) -> String {
    format!("{inner_work_path}annotation/{name}/")
}

/// Splits labeled samples into training and evaluation in a stream: the k-th labeled
/// sample (from 0) trains when `floor((k + 1) * ratio)` exceeds `floor(k * ratio)`.
/// Exactly `floor(n * ratio)` of n samples train, spread evenly over the order, and the
/// result depends only on the order, so a restarted publish splits alike.
#[derive(Debug, Clone)]
pub struct Splitter {
    ratio: f64,
    seen: u64,
}

impl Splitter {
    /// A splitter for a ratio from 0 to 1.
    pub fn new(ratio: f64) -> Self {
        Self { ratio, seen: 0 }
    }

    /// The usage of the next labeled sample.
    pub fn next_usage(&mut self) -> &'static str {
        let k = self.seen as f64;
        self.seen += 1;
        if ((k + 1.0) * self.ratio).floor() > (k * self.ratio).floor() {
            "TRAIN"
        } else {
            "EVAL"
        }
    }
}

/// A published sample's usage: the one it was given when the version keeps usages
/// (`remove_sample_usage: false`), else the split's for a labeled sample; unlabeled
/// samples without one get none. Samples keeping theirs do not move the split.
pub fn usage_of(sample: &Sample, keep_usage: bool, splitter: &mut Splitter) -> Option<String> {
    match &sample.usage {
        Some(u) if keep_usage => Some(u.clone()),
        _ => (sample.status == state::LABELED).then(|| splitter.next_usage().to_owned()),
    }
}

/// Counts taken over a version's samples while its manifest is written.
#[derive(Debug, Clone, Default)]
pub struct VersionTally {
    /// Samples.
    pub total: i64,
    /// Labeled samples.
    pub annotated: i64,
    /// Whether any sample has more than one label.
    pub multi: bool,
    /// Instances and samples per label name.
    pub labels: BTreeMap<String, (i64, i64)>,
}

impl VersionTally {
    /// Adds one sample.
    pub fn add(&mut self, sample: &Sample) {
        self.total += 1;
        if sample.status == state::LABELED {
            self.annotated += 1;
        }
        if sample.labels.len() > 1 {
            self.multi = true;
        }
        let mut names: Vec<&str> = Vec::new();
        for label in &sample.labels {
            let Some(name) = label.name.as_deref() else {
                continue;
            };
            let entry = self.labels.entry(name.to_owned()).or_default();
            entry.0 += 1;
            if !names.contains(&name) {
                names.push(name);
                entry.1 += 1;
            }
        }
    }

    /// The version's labels: every label of the dataset, in its order, with counts.
    pub fn version_labels(&self, dataset_labels: &[crate::label::Label]) -> Vec<VersionLabel> {
        dataset_labels
            .iter()
            .map(|l| {
                let (count, sample_count) = self.labels.get(&l.name).copied().unwrap_or_default();
                VersionLabel {
                    name: l.name.clone(),
                    label_type: l.label_type,
                    property: l.property.clone(),
                    attributes: l.attributes.clone(),
                    count,
                    sample_count,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_documented_rule() {
        assert_eq!(default_name(1), "V001");
        assert_eq!(default_name(1234), "V1234");
        assert!(check_name("V004").is_ok());
        assert!(check_name("a_b-c").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("has space").is_err());
        assert!(check_name(&"x".repeat(33)).is_err());
        assert!(check_description("fine").is_ok());
        assert!(check_description("a=b").is_err());
        assert!(check_description(&"d".repeat(257)).is_err());
    }

    #[test]
    fn ratios_are_decimals_within_zero_and_one() {
        assert_eq!(parse_ratio("r", "0.8").ok(), Some(0.8));
        assert_eq!(parse_ratio("r", "1.00").ok(), Some(1.0));
        for bad in ["", "1.5", "-0.1", "abc", "0,8", "1e-1", "NaN"] {
            assert!(parse_ratio("r", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_split_is_exact_and_spread() {
        for (ratio, n, train) in [
            (0.8, 10, 8),
            (1.0, 7, 7),
            (0.0, 5, 0),
            (0.5, 9, 4),
            (0.9999, 10, 9),
        ] {
            let mut s = Splitter::new(ratio);
            let usages: Vec<_> = (0..n).map(|_| s.next_usage()).collect();
            let trained = usages.iter().filter(|u| **u == "TRAIN").count();
            assert_eq!(trained, train, "ratio {ratio} over {n}");
        }
        let mut s = Splitter::new(0.5);
        let first: Vec<_> = (0..4).map(|_| s.next_usage()).collect();
        assert_eq!(first, ["EVAL", "TRAIN", "EVAL", "TRAIN"]);
    }

    #[test]
    fn a_kept_usage_wins_and_does_not_move_the_split() {
        let sample = |status: &str, usage: Option<&str>| Sample {
            id: "s".into(),
            dataset_id: "d".into(),
            path: "/b/s".into(),
            name: "s".into(),
            size: 0,
            sample_type: 0,
            status: status.into(),
            labels: Vec::new(),
            metadata: Default::default(),
            create_time: 0,
            update_time: 0,
            usage: usage.map(str::to_owned),
        };
        let mut split = Splitter::new(0.5);
        let eval = sample(state::LABELED, Some("EVAL"));
        let plain = sample(state::LABELED, None);
        let bare = sample(state::UNLABELED, Some("INFERENCE"));
        assert_eq!(usage_of(&eval, true, &mut split).as_deref(), Some("EVAL"));
        assert_eq!(
            usage_of(&bare, true, &mut split).as_deref(),
            Some("INFERENCE")
        );
        // The split starts only now: its first sample evaluates at 0.5.
        assert_eq!(usage_of(&plain, true, &mut split).as_deref(), Some("EVAL"));
        assert_eq!(usage_of(&eval, false, &mut split).as_deref(), Some("TRAIN"));
        assert_eq!(usage_of(&bare, false, &mut split), None);
    }
}
