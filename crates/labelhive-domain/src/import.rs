//! Import tasks: the request's rules, the label filters, and the tally a running
//! import keeps (stored with every batch, so a resumed import reports exact counts).
//!
//! Choices where the specification is silent:
//! - `included_labels` and `excluded_labels` take label names, or Label objects whose
//!   `name` counts (the spec's table says objects, its example says strings);
//! - labels a manifest or a directory names that the dataset lacks are created, with
//!   the type the annotation gives, when the dataset type allows that type; otherwise
//!   the sample is refused with its own error;
//! - `import_samples: false` only relabels samples the dataset already has;
//! - at most [`crate::failure::MAX_REPORTED_FAILURES`] failures are kept with their line and reason;
//!   all are counted.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::annotation::SampleLabel;
use crate::dataset::DatasetType;
use crate::failure::ItemFailure;
use crate::obs_path::ObsPath;
use crate::DomainError;

/// Largest manifest line, and largest annotation file, read (bytes).
pub const MAX_ITEM_BYTES: usize = 1 << 20;

/// How an import reads its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ImportType {
    /// Every file under a directory, with the directory layouts' labels.
    #[default]
    Dir,
    /// The lines of a manifest file.
    Manifest,
    /// A COCO document (extension): images relative to its folder, with their
    /// boxes and polygons.
    Coco,
    /// A SageMaker Ground Truth augmented manifest (extension).
    #[serde(rename = "sagemaker")]
    SageMaker,
}

impl ImportType {
    /// The code the task details report (`import_type`).
    pub fn code(self) -> i32 {
        match self {
            Self::Dir => 0,
            Self::Manifest => 1,
            Self::Coco => 2,
            Self::SageMaker => 3,
        }
    }
}

/// The text layout options of `label_format`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LabelFormat {
    /// `0` labels in `_result` files, `1` (default) labels after a separator.
    #[serde(default)]
    pub label_type: Option<String>,
    /// Separator between text and labels.
    #[serde(default)]
    pub text_sample_separator: Option<String>,
    /// Separator between labels.
    #[serde(default)]
    pub text_label_separator: Option<String>,
}

/// Which samples an import keeps, by their labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LabelFilter {
    /// Keep only samples carrying one of these (empty: no such rule).
    #[serde(default)]
    pub included_labels: Vec<String>,
    /// Drop samples carrying one of these.
    #[serde(default)]
    pub excluded_labels: Vec<String>,
    /// Keep only hard examples.
    #[serde(default)]
    pub difficult_only: bool,
}

impl LabelFilter {
    /// Whether a sample with these labels (hard or not) is imported.
    pub fn admits(&self, labels: &[SampleLabel], hard: bool) -> bool {
        let carries = |names: &[String]| {
            labels
                .iter()
                .filter_map(|l| l.name.as_deref())
                .any(|n| names.iter().any(|m| m == n))
        };
        if self.difficult_only && !hard {
            return false;
        }
        if !self.included_labels.is_empty() && !carries(&self.included_labels) {
            return false;
        }
        !carries(&self.excluded_labels)
    }
}

fn yes() -> bool {
    true
}

/// What an import job does; stored as its payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportPayload {
    /// Directory or manifest file, OBS-style.
    pub source: String,
    /// Whether labels are imported.
    pub import_annotations: bool,
    /// Directory or manifest.
    #[serde(default)]
    pub import_type: ImportType,
    /// False: only relabel samples the dataset has.
    #[serde(default = "yes")]
    pub import_samples: bool,
    /// False: imported labels wait for confirmation (`__AUTO_ANNOTATION__`).
    #[serde(default = "yes")]
    pub final_annotation: bool,
    /// Which samples are kept.
    #[serde(default)]
    pub filter: LabelFilter,
    /// `@modelarts:import_origin` given to new samples, when set.
    #[serde(default)]
    pub import_origin: Option<i64>,
    /// Text layout of text classification directories.
    #[serde(default)]
    pub label_format: Option<LabelFormat>,
    /// Subdirectory of the input path where inline texts are written.
    #[serde(default)]
    pub import_folder: Option<String>,
    /// Whether a person asked for it (an import task) rather than dataset creation.
    #[serde(default)]
    pub task: bool,
}

impl ImportPayload {
    /// The import of a new dataset's input path.
    pub fn dataset_input(source: String, import_annotations: bool) -> Self {
        Self {
            source,
            import_annotations,
            import_type: ImportType::Dir,
            import_samples: true,
            final_annotation: true,
            filter: LabelFilter::default(),
            import_origin: None,
            label_format: None,
            import_folder: None,
            task: false,
        }
    }
}

/// The import task request, as parsed from the body.
#[derive(Debug, Clone, Default)]
pub struct ImportRequest {
    /// `import_path`.
    pub import_path: Option<String>,
    /// `import_type`.
    pub import_type: Option<String>,
    /// `import_annotations`.
    pub import_annotations: Option<bool>,
    /// `import_samples`.
    pub import_samples: Option<bool>,
    /// `final_annotation`.
    pub final_annotation: Option<bool>,
    /// `difficult_only`.
    pub difficult_only: Option<bool>,
    /// `included_labels`, as names.
    pub included_labels: Vec<String>,
    /// `excluded_labels`, as names.
    pub excluded_labels: Vec<String>,
    /// `import_origin`.
    pub import_origin: Option<String>,
    /// `label_format`.
    pub label_format: Option<LabelFormat>,
    /// `import_folder`.
    pub import_folder: Option<String>,
}

/// `@modelarts:import_origin` codes of the `import_origin` names (the DataSource
/// `data_type` codes).
fn origin_code(name: &str) -> Option<i64> {
    Some(match name {
        "obs" => 0,
        "dws" => 1,
        "dli" => 2,
        "rds" => 3,
        "mrs" => 4,
        "inference" => 6,
        _ => return None,
    })
}

/// Dataset types a directory import reads labels for; the others import files alone.
pub fn dir_labels_supported(t: DatasetType) -> bool {
    matches!(
        t,
        DatasetType::ImageClassification
            | DatasetType::ObjectDetection
            | DatasetType::ImageSegmentation
            | DatasetType::TextClassification
            | DatasetType::SoundClassification
    )
}

impl ImportRequest {
    /// Checks the request for a dataset of `dataset_type` and builds the job payload.
    pub fn check(self, dataset_type: DatasetType) -> Result<ImportPayload, DomainError> {
        let raw = self
            .import_path
            .ok_or_else(|| DomainError::invalid("import_path", "is required"))?;
        let path = ObsPath::parse("import_path", &raw)?;
        let import_type = match self.import_type.as_deref() {
            None => {
                if raw.ends_with(".manifest") {
                    ImportType::Manifest
                } else {
                    ImportType::Dir
                }
            }
            Some("dir") => ImportType::Dir,
            Some("manifest") => ImportType::Manifest,
            Some("coco") => ImportType::Coco,
            Some("sagemaker") => ImportType::SageMaker,
            Some(other) => {
                return Err(DomainError::invalid(
                    "import_type",
                    format!("{other:?} must be dir, manifest, coco or sagemaker"),
                ))
            }
        };
        if dataset_type == DatasetType::Table {
            return Err(DomainError::Unsupported(
                "importing into table datasets".into(),
            ));
        }
        let source = match import_type {
            ImportType::Dir => path.as_dir(),
            ImportType::Manifest | ImportType::Coco | ImportType::SageMaker
                if path.is_bucket() || raw.ends_with('/') =>
            {
                return Err(DomainError::invalid(
                    "import_path",
                    "must name the manifest or COCO file, not a directory",
                ))
            }
            ImportType::Coco
                if !matches!(
                    dataset_type,
                    DatasetType::ObjectDetection | DatasetType::ImageSegmentation
                ) =>
            {
                return Err(DomainError::invalid(
                    "import_type",
                    "coco imports into object detection and image segmentation datasets",
                ))
            }
            ImportType::Manifest | ImportType::Coco | ImportType::SageMaker => path.as_file(),
        };
        let import_annotations = self.import_annotations.unwrap_or(true);
        let import_origin = match self.import_origin.as_deref() {
            None => None,
            Some(name) => Some(origin_code(name).ok_or_else(|| {
                DomainError::invalid(
                    "import_origin",
                    format!("{name:?} must be one of obs, dws, dli, rds, mrs, inference"),
                )
            })?),
        };
        if let Some(f) = &self.label_format {
            crate::layouts::parse_text_format(
                f.label_type.as_deref(),
                f.text_sample_separator.as_deref(),
                f.text_label_separator.as_deref(),
            )
            .map_err(|why| DomainError::invalid("label_format", why))?;
        }
        if let Some(folder) = &self.import_folder {
            let ok = !folder.is_empty()
                && folder.len() <= 256
                && folder
                    .split('/')
                    .all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains('\\'));
            if !ok {
                return Err(DomainError::invalid(
                    "import_folder",
                    "must be a relative folder name without empty, . or .. segments",
                ));
            }
        }
        for (field, names) in [
            ("included_labels", &self.included_labels),
            ("excluded_labels", &self.excluded_labels),
        ] {
            if names.iter().any(String::is_empty) {
                return Err(DomainError::invalid(field, "label names must not be empty"));
            }
        }
        Ok(ImportPayload {
            source,
            import_annotations,
            import_type,
            import_samples: self.import_samples.unwrap_or(true),
            final_annotation: self.final_annotation.unwrap_or(true),
            filter: LabelFilter {
                included_labels: self.included_labels,
                excluded_labels: self.excluded_labels,
                difficult_only: self.difficult_only.unwrap_or(false),
            },
            import_origin,
            label_format: self.label_format,
            import_folder: self.import_folder,
            task: true,
        })
    }
}

/// Counts of a running import, stored with each batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ImportTally {
    /// Manifest lines, or listed files, consumed.
    pub consumed: i64,
    /// Samples found (lines, or data files).
    pub total_samples: i64,
    /// Samples written.
    pub imported: i64,
    /// Of those, samples with labels.
    pub annotated: i64,
    /// Samples left out by the label filters or `import_samples: false`.
    pub skipped: i64,
    /// Items refused.
    pub failed: i64,
    /// The first refused items.
    #[serde(default)]
    pub failures: Vec<ItemFailure>,
    /// Labels the import added to the dataset.
    #[serde(default)]
    pub labels_created: Vec<String>,
    /// Bytes of the data files imported.
    #[serde(default)]
    pub file_size: i64,
}

impl ImportTally {
    /// Records a refused item.
    pub fn fail(&mut self, line: Option<i64>, path: Option<String>, err: &DomainError) {
        ItemFailure {
            line,
            path,
            ..ItemFailure::of(err)
        }
        .record(&mut self.failed, &mut self.failures);
    }

    /// The tally as stored in the job's result.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// A tally read back from a job's result (a fresh one when absent or unreadable).
    pub fn from_value(v: Option<&Value>) -> Self {
        v.and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }
}

/// Label names a request field lists: strings or Label objects with a `name`.
pub fn label_names(field: &str, v: &Value) -> Result<Vec<String>, DomainError> {
    let Some(list) = v.as_array() else {
        if v.is_null() {
            return Ok(Vec::new());
        }
        return Err(DomainError::invalid(field, "must be a list of labels"));
    };
    list.iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::String(s) => Ok(s.clone()),
            Value::Object(o) => o
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| DomainError::invalid(format!("{field}[{i}].name"), "is required")),
            _ => Err(DomainError::invalid(
                format!("{field}[{i}]"),
                "must be a label name or a Label object",
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::MAX_REPORTED_FAILURES;
    use serde_json::json;

    fn named(names: &[&str]) -> Vec<SampleLabel> {
        names
            .iter()
            .map(|n| SampleLabel {
                name: Some((*n).to_owned()),
                ..SampleLabel::default()
            })
            .collect()
    }

    #[test]
    fn filters_follow_the_request() {
        let f = LabelFilter {
            included_labels: vec!["cat".into(), "dog".into()],
            excluded_labels: vec!["blurry".into()],
            difficult_only: false,
        };
        assert!(f.admits(&named(&["cat"]), false));
        assert!(!f.admits(&named(&["bird"]), false));
        assert!(!f.admits(&named(&["dog", "blurry"]), false));
        assert!(!f.admits(&[], false));
        let hard_only = LabelFilter {
            difficult_only: true,
            ..LabelFilter::default()
        };
        assert!(hard_only.admits(&[], true));
        assert!(!hard_only.admits(&named(&["cat"]), false));
    }

    #[test]
    fn requests_are_checked() {
        let ok = ImportRequest {
            import_path: Some("obs://bkt/out/V001.manifest".into()),
            ..ImportRequest::default()
        };
        let p = ok.check(DatasetType::ImageClassification).unwrap();
        assert_eq!(p.import_type, ImportType::Manifest);
        assert_eq!(p.source, "/bkt/out/V001.manifest");
        assert!(p.import_annotations && p.import_samples && p.final_annotation && p.task);
        let dir = ImportRequest {
            import_path: Some("s3://bkt/in".into()),
            import_type: Some("dir".into()),
            import_origin: Some("dws".into()),
            ..ImportRequest::default()
        };
        let p = dir.check(DatasetType::ImageClassification).unwrap();
        assert_eq!((p.source.as_str(), p.import_origin), ("/bkt/in/", Some(1)));
        for (req, field) in [
            (ImportRequest::default(), "import_path"),
            (
                ImportRequest {
                    import_path: Some("/bkt/a".into()),
                    import_type: Some("zip".into()),
                    ..ImportRequest::default()
                },
                "import_type",
            ),
            (
                ImportRequest {
                    import_path: Some("/bkt/a/".into()),
                    import_type: Some("manifest".into()),
                    ..ImportRequest::default()
                },
                "import_path",
            ),
            (
                ImportRequest {
                    import_path: Some("/bkt/a".into()),
                    import_origin: Some("ftp".into()),
                    ..ImportRequest::default()
                },
                "import_origin",
            ),
            (
                ImportRequest {
                    import_path: Some("/bkt/a".into()),
                    import_folder: Some("../up".into()),
                    ..ImportRequest::default()
                },
                "import_folder",
            ),
            (
                ImportRequest {
                    import_path: Some("/bkt/../a".into()),
                    ..ImportRequest::default()
                },
                "import_path",
            ),
        ] {
            let err = req.check(DatasetType::TextClassification).unwrap_err();
            assert!(err.to_string().contains(field), "{field}: {err}");
        }
    }

    #[test]
    fn label_lists_take_names_or_objects() {
        let v = json!(["a", {"name": "b", "type": 0}]);
        assert_eq!(label_names("included_labels", &v).unwrap(), ["a", "b"]);
        assert!(label_names("included_labels", &json!([3])).is_err());
        assert!(label_names("included_labels", &json!("a")).is_err());
        assert!(label_names("included_labels", &Value::Null)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn tallies_keep_the_first_failures_and_count_all() {
        let mut t = ImportTally::default();
        for i in 0..(MAX_REPORTED_FAILURES as i64 + 5) {
            t.fail(
                Some(i + 1),
                None,
                &DomainError::invalid("source", "is required"),
            );
        }
        assert_eq!(t.failed, MAX_REPORTED_FAILURES as i64 + 5);
        assert_eq!(t.failures.len(), MAX_REPORTED_FAILURES);
        let back = ImportTally::from_value(Some(&t.to_value()));
        assert_eq!(back, t);
    }
}
