//! Export tasks: the request's rules, which samples an export takes, and where each
//! exported file and label file goes.
//!
//! Choices where the specification is silent:
//! - `path` is a directory; files keep their path below the dataset's input directory
//!   (files from elsewhere keep their name). With `export_format` 1 (tree) a sample
//!   with classification labels goes into one folder per label, as
//!   `rabbits/1.jpg`; with 2 (tile, the default) files keep their place and their
//!   labels go beside them: `<stem>.txt` with image classification labels, one per line,
//!   and `<stem>.xml` (PASCAL VOC) with the shapes, the layouts a directory import reads;
//! - every DIR export also writes a manifest, `<path><task_id>.manifest`, whose sources
//!   name the exported copies with `source_type_header` (`obs://` by default);
//! - `export_type` 0 takes labeled samples, 1 unlabeled, 2 all; 3 takes those matching
//!   `sample_state`, the sample ids in `samples` and any of the `search_conditions`
//!   (several conditions combine with OR, as documented); `sample_state` may be given
//!   at the top level or in `export_params`;
//! - `train_sample_ratio` with `ratio_sample_usage` splits the labeled samples into
//!   TRAIN and EVAL in the manifest, as publishing does;
//! - a sample whose file is missing is reported (first 100 kept) and left out; the
//!   others export.

mod copies;
mod tally;

pub use copies::{class_names, copied_sample, copy_targets, relative_path};
pub use tally::ExportTally;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::dataset::Dataset;
use crate::ids::is_hex_id;
use crate::names::check_dataset_name;
use crate::obs_path::ObsPath;
use crate::search::{parse_search_conditions, SampleFilter, SampleState};
use crate::version::parse_ratio;
use crate::DomainError;

/// Sample ids one export request may list.
pub const MAX_EXPORT_IDS: usize = 10_000;

/// Failures kept with their reason per export task; more are only counted.
pub const MAX_REPORTED_FAILURES: usize = 100;

/// `export_params` of the request (Table 3).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExportParams {
    /// Default true.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clear_hard_property: Option<bool>,
    /// Unused (versions of the new dataset are not published by an export).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export_dataset_version_format: Option<String>,
    /// Unused, as above.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export_dataset_version_name: Option<String>,
    /// `DIR` (default) or `NEW_DATASET`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export_dest: Option<String>,
    /// Name of the new dataset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export_new_dataset_name: Option<String>,
    /// Output path of the new dataset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export_new_dataset_work_path: Option<String>,
    /// Split labeled samples into TRAIN and EVAL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio_sample_usage: Option<bool>,
    /// Sample state of export type 3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_state: Option<String>,
    /// Sample ids of export type 3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub samples: Option<Vec<String>>,
    /// SearchCondition objects of export type 3, OR-ed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search_conditions: Option<Value>,
    /// Training share, default `1.00`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub train_sample_ratio: Option<String>,
}

/// The export task request body (Table 2).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ExportRequest {
    /// `VOC`, `COCO`, `YOLO` or `SAGEMAKER`.
    pub annotation_format: Option<String>,
    /// 1 tree, 2 tile.
    pub export_format: Option<i64>,
    /// Parameters.
    pub export_params: Option<ExportParams>,
    /// 0 labeled, 1 unlabeled, 2 all, 3 conditional.
    pub export_type: Option<i64>,
    /// Output directory (DIR) or input directory of the new dataset.
    pub path: Option<String>,
    /// Sample state of export type 3.
    pub sample_state: Option<String>,
    /// `obs://` (default) or `s3://`.
    pub source_type_header: Option<String>,
    /// `Default` only: CarbonData and CSV are table formats.
    pub version_format: Option<String>,
    /// Export the samples of this published version.
    pub version_id: Option<String>,
    /// Table datasets only.
    pub with_column_header: Option<bool>,
}

/// The label format of a DIR export beside its ModelArts manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnotationFormat {
    /// PASCAL VOC files beside the images (the default for shapes).
    Voc,
    /// One COCO document (extension).
    Coco,
    /// YOLO label files beside the images, with `obj.names` and `obj.data` (extension).
    Yolo,
    /// A SageMaker Ground Truth augmented manifest (extension).
    SageMaker,
}

impl AnnotationFormat {
    /// The format named `s`, in any case.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Voc, Self::Coco, Self::Yolo, Self::SageMaker]
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s))
    }

    /// As stored and documented.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Voc => "VOC",
            Self::Coco => "COCO",
            Self::Yolo => "YOLO",
            Self::SageMaker => "SAGEMAKER",
        }
    }

    /// Whether a dataset of `dataset_type` can be exported in this format.
    fn check(self, dataset_type: i32) -> Result<(), DomainError> {
        let fits = match self {
            Self::Voc | Self::Coco => true,
            Self::Yolo => dataset_type == 1,
            Self::SageMaker => crate::groundtruth::exportable(dataset_type),
        };
        if fits {
            return Ok(());
        }
        let which = match self {
            Self::Yolo => "object detection datasets (type 1)",
            _ => "image classification, object detection, text classification and named entity datasets (types 0, 1, 100, 101)",
        };
        Err(bad(
            "annotation_format",
            format!("{} exports {which}", self.as_str()),
        ))
    }
}

/// Where an export goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExportDest {
    /// Files, label files and a manifest under `path`.
    Dir,
    /// A new dataset whose input path is `path`.
    NewDataset,
}

/// What an export job does; stored as its payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportPayload {
    /// Output directory, `/bucket/dir/`.
    pub path: String,
    /// 0 to 3.
    pub export_type: i32,
    /// 1 tree, 2 tile.
    pub export_format: i32,
    /// `VOC` (default for shapes), `COCO`, `YOLO` or `SAGEMAKER` as asked.
    pub annotation_format: Option<String>,
    /// Where it goes.
    pub dest: ExportDest,
    /// The dataset a NEW_DATASET export fills.
    pub new_dataset_id: Option<String>,
    /// Sample state filter.
    pub sample_state: Option<String>,
    /// Sample ids (export type 3).
    pub samples: Vec<String>,
    /// Raw search conditions (export type 3), resolved at `now_ms`.
    pub search_conditions: Option<Value>,
    /// When the task was created: the `sample_time` conditions' "today".
    pub now_ms: i64,
    /// Published version to read instead of the dataset.
    pub version_id: Option<String>,
    /// Split labeled samples into TRAIN and EVAL.
    pub ratio_sample_usage: bool,
    /// Training share.
    pub train_sample_ratio: String,
    /// Drop hard-example fields.
    pub clear_hard_property: bool,
    /// Scheme written before paths in the manifest.
    pub source_type_header: String,
    /// The request's `export_params`, echoed by the task pages.
    pub params: ExportParams,
}

fn bad(field: &str, reason: impl Into<String>) -> DomainError {
    DomainError::ExportParameter {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ExportRequest {
    /// Checks the request against the dataset; the new dataset's id is filled in by
    /// the caller.
    pub fn check(self, ds: &Dataset, now_ms: i64) -> Result<ExportPayload, DomainError> {
        let params = self.export_params.clone().unwrap_or_default();
        let path = given(&self.path).ok_or_else(|| {
            DomainError::InvalidExportPath("path is required and names a directory".into())
        })?;
        let path = ObsPath::parse("path", path)
            .map_err(|e| DomainError::InvalidExportPath(e.to_string()))?;
        if path.is_bucket() {
            return Err(DomainError::InvalidExportPath(format!(
                "{}: a directory inside the bucket is required",
                path.as_dir()
            )));
        }
        let export_type = match self.export_type.unwrap_or(2) {
            t @ 0..=3 => t as i32,
            t => return Err(bad("export_type", format!("{t} is not 0, 1, 2 or 3"))),
        };
        let export_format = match self.export_format.unwrap_or(2) {
            f @ 1..=2 => f as i32,
            f => return Err(bad("export_format", format!("{f} is not 1 or 2"))),
        };
        let annotation_format = match given(&self.annotation_format) {
            None => None,
            Some(f) => {
                let format = AnnotationFormat::parse(f).ok_or_else(|| {
                    bad(
                        "annotation_format",
                        format!("{f:?} is not VOC, COCO, YOLO or SAGEMAKER"),
                    )
                })?;
                format.check(ds.kind().code())?;
                Some(format.as_str().to_owned())
            }
        };
        if given(&self.version_format).is_some_and(|f| f != "Default") {
            return Err(bad(
                "version_format",
                "only Default: CarbonData and CSV are table formats",
            ));
        }
        let source_type_header = match given(&self.source_type_header) {
            None => "obs://".to_owned(),
            Some(h @ ("obs://" | "s3://")) => h.to_owned(),
            Some(h) => {
                return Err(bad(
                    "source_type_header",
                    format!("{h:?} is not obs:// or s3://"),
                ))
            }
        };
        let dest = match given(&params.export_dest) {
            None | Some("DIR") => ExportDest::Dir,
            Some("NEW_DATASET") => ExportDest::NewDataset,
            Some(d) => {
                return Err(bad(
                    "export_params.export_dest",
                    format!("{d:?} is not DIR or NEW_DATASET"),
                ))
            }
        };
        let sample_state = match (given(&self.sample_state), given(&params.sample_state)) {
            (Some(a), Some(b)) if a != b => {
                return Err(bad(
                    "sample_state",
                    "differs from export_params.sample_state",
                ))
            }
            (Some(s), _) | (None, Some(s)) => {
                SampleState::parse(s)
                    .ok_or_else(|| bad("sample_state", format!("{s:?} is not a sample state")))?;
                Some(s.to_owned())
            }
            (None, None) => None,
        };
        let samples = params.samples.clone().unwrap_or_default();
        if samples.len() > MAX_EXPORT_IDS {
            return Err(bad(
                "export_params.samples",
                format!("at most {MAX_EXPORT_IDS} sample ids"),
            ));
        }
        if let Some(id) = samples.iter().find(|id| !is_hex_id(id)) {
            return Err(bad(
                "export_params.samples",
                format!("{id:?} is not a sample id"),
            ));
        }
        let search_conditions = params.search_conditions.clone().filter(|v| !v.is_null());
        if let Some(raw) = &search_conditions {
            parse_search_conditions(&raw.to_string(), now_ms)?;
        }
        let narrows = sample_state.is_some() || !samples.is_empty() || search_conditions.is_some();
        if narrows && export_type != 3 {
            return Err(bad(
                "export_type",
                "sample_state, samples and search_conditions need export_type 3",
            ));
        }
        let train_sample_ratio = given(&params.train_sample_ratio)
            .unwrap_or("1.00")
            .to_owned();
        parse_ratio("export_params.train_sample_ratio", &train_sample_ratio).map_err(|_| {
            bad(
                "export_params.train_sample_ratio",
                "must be a decimal from 0 to 1",
            )
        })?;
        let version_id = given(&self.version_id).map(str::to_owned);
        if version_id.is_some()
            && export_type == 3
            && (search_conditions.is_some() || !samples.is_empty())
        {
            return Err(bad(
                "version_id",
                "a version exports by export_type 0, 1, 2 or sample_state, not by conditions or ids",
            ));
        }
        if dest == ExportDest::NewDataset {
            let name = given(&params.export_new_dataset_name).ok_or_else(|| {
                bad(
                    "export_params.export_new_dataset_name",
                    "is required with NEW_DATASET",
                )
            })?;
            check_dataset_name(name)?;
            let work = given(&params.export_new_dataset_work_path).ok_or_else(|| {
                bad(
                    "export_params.export_new_dataset_work_path",
                    "is required with NEW_DATASET",
                )
            })?;
            let work = ObsPath::parse("export_params.export_new_dataset_work_path", work)?;
            if work.is_bucket() {
                return Err(DomainError::BucketAsPath(work.as_dir()));
            }
            if work.starts_with(&path) || path.starts_with(&work) {
                return Err(bad(
                    "export_params.export_new_dataset_work_path",
                    "the output path must differ from the storage path and must not contain it or lie inside it",
                ));
            }
        }
        if dest == ExportDest::Dir {
            let input = ds
                .input_path()
                .and_then(|p| ObsPath::parse("data_path", p).ok());
            // Writing into the input would make the export part of the dataset's data.
            if input.is_some_and(|i| path.starts_with(&i)) {
                return Err(DomainError::InvalidExportPath(format!(
                    "{}: must not lie inside the dataset's input path",
                    path.as_dir()
                )));
            }
        }
        Ok(ExportPayload {
            path: path.as_dir(),
            export_type,
            export_format,
            annotation_format,
            dest,
            new_dataset_id: None,
            sample_state,
            samples,
            search_conditions,
            now_ms,
            version_id,
            ratio_sample_usage: params.ratio_sample_usage.unwrap_or(false),
            train_sample_ratio,
            clear_hard_property: params.clear_hard_property.unwrap_or(true),
            source_type_header,
            params,
        })
    }
}

impl ExportPayload {
    /// The sample state the export takes, from `export_type` and `sample_state`.
    pub fn state(&self) -> Option<SampleState> {
        match self.export_type {
            0 => Some(SampleState::All),
            1 => Some(SampleState::None),
            _ => self.sample_state.as_deref().and_then(SampleState::parse),
        }
    }

    /// The filter selecting the exported samples of the dataset.
    pub fn filter(&self) -> Result<SampleFilter, DomainError> {
        let any_of = match &self.search_conditions {
            Some(raw) => parse_search_conditions(&raw.to_string(), self.now_ms)?,
            None => Vec::new(),
        };
        Ok(SampleFilter {
            states: self.state(),
            any_of,
            ids: self.samples.clone(),
            ..SampleFilter::default()
        })
    }

    /// The training share when samples are split, else `None`.
    pub fn split_ratio(&self) -> Option<f64> {
        self.ratio_sample_usage
            .then(|| parse_ratio("train_sample_ratio", &self.train_sample_ratio).ok())
            .flatten()
    }
}

impl ExportPayload {
    /// The label format asked for; VOC when none was.
    pub fn format(&self) -> AnnotationFormat {
        self.annotation_format
            .as_deref()
            .and_then(AnnotationFormat::parse)
            .unwrap_or(AnnotationFormat::Voc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_exports_copy_into_each_class_folder() {
        assert_eq!(
            copy_targets("/b/o/", "sub/1.jpg", "1.jpg", true, &["cat", "dog"]),
            ["/b/o/cat/1.jpg", "/b/o/dog/1.jpg"]
        );
        assert_eq!(
            copy_targets("/b/o/", "sub/1.jpg", "1.jpg", false, &["cat"]),
            ["/b/o/sub/1.jpg"]
        );
        assert_eq!(
            copy_targets("/b/o/", "1.jpg", "1.jpg", true, &[]),
            ["/b/o/1.jpg"]
        );
        assert_eq!(relative_path("/b/in/", "/b/in/x/1.jpg", "1.jpg"), "x/1.jpg");
        assert_eq!(relative_path("/b/in/", "/c/1.jpg", "1.jpg"), "1.jpg");
    }
}
