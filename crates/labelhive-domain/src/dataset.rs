//! Datasets: types, statuses, the stored record, and the rules for creating and changing one.

use serde::{Deserialize, Serialize};

use crate::label::{check_label_set, Label};
use crate::names::{check_dataset_name, check_description, check_no_special, check_task_name};
use crate::obs_path::ObsPath;
use crate::store::{LabelChanges, LabelDeletePolicy};
use crate::DomainError;

/// Dataset types of the spec (`dataset_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatasetType {
    /// 0: image classification.
    ImageClassification,
    /// 1: object detection.
    ObjectDetection,
    /// 3: image segmentation.
    ImageSegmentation,
    /// 100: text classification.
    TextClassification,
    /// 101: named entity recognition.
    NamedEntity,
    /// 102: text triplet.
    TextTriplet,
    /// 200: sound classification.
    SoundClassification,
    /// 201: speech content.
    SpeechContent,
    /// 202: speech paragraph labeling.
    SpeechParagraph,
    /// 400: table dataset.
    Table,
    /// 600: video labeling.
    Video,
    /// 900: custom format.
    Custom,
}

/// Every documented `dataset_type` value.
pub const DATASET_TYPES: &[i32] = &[0, 1, 3, 100, 101, 102, 200, 201, 202, 400, 600, 900];

impl DatasetType {
    /// Parses the wire value.
    pub fn from_code(code: i32) -> Option<Self> {
        Some(match code {
            0 => Self::ImageClassification,
            1 => Self::ObjectDetection,
            3 => Self::ImageSegmentation,
            100 => Self::TextClassification,
            101 => Self::NamedEntity,
            102 => Self::TextTriplet,
            200 => Self::SoundClassification,
            201 => Self::SpeechContent,
            202 => Self::SpeechParagraph,
            400 => Self::Table,
            600 => Self::Video,
            900 => Self::Custom,
            _ => return None,
        })
    }

    /// The wire value.
    pub fn code(self) -> i32 {
        match self {
            Self::ImageClassification => 0,
            Self::ObjectDetection => 1,
            Self::ImageSegmentation => 3,
            Self::TextClassification => 100,
            Self::NamedEntity => 101,
            Self::TextTriplet => 102,
            Self::SoundClassification => 200,
            Self::SpeechContent => 201,
            Self::SpeechParagraph => 202,
            Self::Table => 400,
            Self::Video => 600,
            Self::Custom => 900,
        }
    }

    /// `dataset_tags`: the data kind and the task, as the console shows them.
    pub fn tags(self) -> Vec<String> {
        let (kind, task) = match self {
            Self::ImageClassification => ("Image", "Image classification"),
            Self::ObjectDetection => ("Image", "Object detection"),
            Self::ImageSegmentation => ("Image", "Image segmentation"),
            Self::TextClassification => ("Text", "Text classification"),
            Self::NamedEntity => ("Text", "Named entity recognition"),
            Self::TextTriplet => ("Text", "Text triplet"),
            Self::SoundClassification => ("Audio", "Sound classification"),
            Self::SpeechContent => ("Audio", "Speech content"),
            Self::SpeechParagraph => ("Audio", "Speech paragraph labeling"),
            Self::Table => ("Table", "Table"),
            Self::Video => ("Video", "Video labeling"),
            Self::Custom => ("Other", "Custom format"),
        };
        vec![kind.to_owned(), task.to_owned()]
    }

    /// `dataset_format`: 1 for tables, 0 for file datasets.
    pub fn dataset_format(self) -> i32 {
        i32::from(self == Self::Table)
    }

    /// The ModelArts `sample_type` of this dataset's samples.
    pub fn sample_type(self) -> i32 {
        match self {
            Self::ImageClassification | Self::ObjectDetection | Self::ImageSegmentation => 0,
            Self::TextClassification | Self::NamedEntity | Self::TextTriplet => 1,
            Self::SoundClassification | Self::SpeechContent | Self::SpeechParagraph => 2,
            Self::Table => 4,
            Self::Video => 6,
            Self::Custom => 9,
        }
    }

    /// Whether a file of this name becomes a sample when its directory is imported.
    pub fn accepts_file(self, file_name: &str) -> bool {
        if file_name.starts_with('.') {
            return false;
        }
        let ext = file_name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        let allowed: &[&str] = match self.sample_type() {
            0 => &["jpg", "jpeg", "png", "bmp"],
            1 => &["txt", "csv"],
            2 => &["wav"],
            4 => &["csv"],
            6 => &["mp4"],
            _ => return true,
        };
        allowed.contains(&ext.as_str())
    }

    /// Whether datasets of this type can be exported (`support_export` filter).
    pub fn supports_export(self) -> bool {
        matches!(
            self,
            Self::ImageClassification | Self::ObjectDetection | Self::Custom
        )
    }
}

/// Dataset statuses (`status`).
pub mod status {
    /// 0: creating.
    pub const CREATING: i32 = 0;
    /// 1: normal.
    pub const NORMAL: i32 = 1;
    /// 4: abnormal (its initial import failed).
    pub const ABNORMAL: i32 = 4;
    /// 8: importing.
    pub const IMPORTING: i32 = 8;
}

/// Schema mapping of a table data source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemaMap {
    /// Destination column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dest_name: Option<String>,
    /// Source column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src_name: Option<String>,
}

/// Connection details of a table data source (kept and returned, never used to connect).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct SourceInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// Never stored: Labelhive does not connect to databases, so it keeps no password.
    #[serde(default, skip_serializing)]
    pub user_password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
}

/// Where a dataset's source data lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSource {
    /// The OBS-style input path (normalised to its directory form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_path: Option<String>,
    /// 0: OBS bucket; the only kind Labelhive reads.
    #[serde(default)]
    pub data_type: i32,
    /// Column mapping for table data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_maps: Option<Vec<SchemaMap>>,
    /// Table source details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_info: Option<SourceInfo>,
    /// Whether the first CSV row is a header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with_column_header: Option<bool>,
}

/// Label format of text datasets (`label_format`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelFormat {
    /// "0": labels in `_result` files; "1": text and labels in one file (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_type: Option<String>,
    /// Separator between labels (one character; default `,`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_label_separator: Option<String>,
    /// Separator between text and labels (one character; default tab).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_sample_separator: Option<String>,
}

/// A table schema field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Column name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Column position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_id: Option<i32>,
    /// Value type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub field_type: Option<String>,
}

/// A team member named in `workforce_information`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct WorkforceWorker {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workforce_id: Option<String>,
}

/// A team taking part in a team labeling task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct WorkforceConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workers: Option<Vec<WorkforceWorker>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workforce_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workforce_name: Option<String>,
}

/// Manpower of a team labeling task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct WorkforcesConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workforces: Option<Vec<WorkforceConfig>>,
}

/// Team labeling settings given when a dataset is created; the team labeling service
/// turns them into the dataset's first team task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct WorkforceInformation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_sync_type: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repetition: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synchronize_auto_labeling_data: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synchronize_data: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    pub task_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workforces_config: Option<WorkforcesConfig>,
}

impl WorkforceInformation {
    /// Checks the documented rules of each field.
    pub fn check(&self) -> Result<(), DomainError> {
        let f = "workforce_information";
        check_task_name(&format!("{f}.task_name"), &self.task_name)?;
        if let Some(t) = self.data_sync_type {
            if !(0..=3).contains(&t) {
                return Err(DomainError::invalid(
                    format!("{f}.data_sync_type"),
                    "must be 0, 1, 2 or 3",
                ));
            }
        }
        if let Some(r) = self.repetition {
            if r < 1 {
                return Err(DomainError::invalid(
                    format!("{f}.repetition"),
                    "the minimum value is 1",
                ));
            }
        }
        let teams = self
            .workforces_config
            .iter()
            .flat_map(|c| c.workforces.iter().flatten());
        for (i, team) in teams.enumerate() {
            let tf = format!("{f}.workforces_config.workforces[{i}]");
            if let Some(name) = &team.workforce_name {
                if name.chars().count() > 1024 {
                    return Err(DomainError::invalid(
                        format!("{tf}.workforce_name"),
                        "at most 1024 characters",
                    ));
                }
                check_no_special(&format!("{tf}.workforce_name"), name, "!<>=&\"'")?;
            }
            for (j, w) in team.workers.iter().flatten().enumerate() {
                let wf = format!("{tf}.workers[{j}]");
                if let Some(role) = w.role {
                    if !(0..=3).contains(&role) {
                        return Err(DomainError::invalid(
                            format!("{wf}.role"),
                            "must be 0, 1, 2 or 3",
                        ));
                    }
                }
                if let Some(d) = &w.description {
                    check_description(&format!("{wf}.description"), d, 256)?;
                }
                if let Some(email) = &w.email {
                    if !looks_like_email(email) {
                        return Err(DomainError::invalid(
                            format!("{wf}.email"),
                            "not an email address",
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// A plausible email address: one `@`, a non-empty local part and a dotted domain.
pub fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.contains('@')
}

/// A dataset as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// 19-character id.
    pub id: String,
    /// Owning project.
    pub project_id: String,
    /// Unique name within the project.
    pub name: String,
    /// `dataset_type` code.
    pub dataset_type: i32,
    /// Description.
    pub description: String,
    /// `Default` or `CarbonData`.
    pub data_format: String,
    /// Input paths.
    pub data_sources: Vec<DataSource>,
    /// Output path, directory form.
    pub work_path: String,
    /// 0: OBS.
    pub work_path_type: i32,
    /// Workspace id ("0" by default).
    pub workspace_id: String,
    /// Table datasets: import data on creation.
    pub import_data: bool,
    /// Import the annotations found under the input path.
    pub import_annotations: bool,
    /// Hosted dataset flag.
    pub managed: bool,
    /// Text label format.
    pub label_format: Option<LabelFormat>,
    /// Table schema.
    pub schema: Vec<Field>,
    /// Team labeling settings given at creation.
    pub workforce_information: Option<WorkforceInformation>,
    /// Status code (see [`status`]).
    pub status: i32,
    /// Creation time, ms.
    pub create_time: i64,
    /// Last change of the dataset record, ms.
    pub update_time: i64,
    /// Last change of samples or labels, ms.
    pub data_update_time: i64,
    /// Samples in the dataset.
    pub total_sample_count: i64,
    /// Samples with at least one label.
    pub annotated_sample_count: i64,
    /// Samples removed from the dataset.
    pub deleted_sample_count: i64,
    /// Number the next published version gets.
    pub next_version_num: i64,
    /// Published versions.
    pub dataset_version_count: i64,
    /// Current version id.
    pub current_version_id: Option<String>,
    /// Current version name.
    pub current_version_name: Option<String>,
    /// The import job started on creation.
    pub import_task_id: Option<String>,
    /// Labels, in the order they were created.
    pub labels: Vec<Label>,
}

impl Dataset {
    /// The typed dataset type (stored values are always valid).
    pub fn kind(&self) -> DatasetType {
        DatasetType::from_code(self.dataset_type).unwrap_or(DatasetType::Custom)
    }

    /// The input path of its (first) data source, in directory form.
    pub fn input_path(&self) -> Option<&str> {
        self.data_sources
            .first()
            .and_then(|s| s.data_path.as_deref())
    }

    /// `inner_work_path`: `<work_path><name>-<id>/`, where Labelhive writes its own files.
    pub fn inner_work_path(&self) -> String {
        format!("{}{}-{}/", self.work_path, self.name, self.id)
    }
}

/// A validated request to create a dataset.
#[derive(Debug, Clone)]
pub struct NewDataset {
    /// Name.
    pub name: String,
    /// Type.
    pub dataset_type: DatasetType,
    /// Description.
    pub description: String,
    /// Data format.
    pub data_format: String,
    /// The one data source, its path parsed.
    pub data_source: DataSource,
    /// Parsed input path.
    pub input_path: ObsPath,
    /// Parsed output path.
    pub work_path: ObsPath,
    /// Output path type.
    pub work_path_type: i32,
    /// Workspace.
    pub workspace_id: String,
    /// Table import flag.
    pub import_data: bool,
    /// Import annotations flag.
    pub import_annotations: bool,
    /// Hosted flag.
    pub managed: bool,
    /// Text label format.
    pub label_format: Option<LabelFormat>,
    /// Labels.
    pub labels: Vec<Label>,
    /// Table schema.
    pub schema: Vec<Field>,
    /// Team labeling settings.
    pub workforce_information: Option<WorkforceInformation>,
}

impl NewDataset {
    /// Checks every rule that spans fields; field-level rules were checked while parsing.
    pub fn check(&self) -> Result<(), DomainError> {
        check_dataset_name(&self.name)?;
        check_description("description", &self.description, 256)?;
        if self.work_path.is_bucket() {
            return Err(DomainError::BucketAsPath(self.work_path.as_dir()));
        }
        if self.input_path.is_bucket() {
            return Err(DomainError::BucketAsPath(self.input_path.as_dir()));
        }
        if self.work_path.as_dir().len() > 700 {
            return Err(DomainError::invalid(
                "work_path",
                "must contain 3 to 700 characters",
            ));
        }
        if self.work_path.starts_with(&self.input_path)
            || self.input_path.starts_with(&self.work_path)
        {
            return Err(DomainError::invalid(
                "work_path",
                "the output path must differ from the input path and must not contain it or lie inside it",
            ));
        }
        if self.data_format != "Default" && self.data_format != "CarbonData" {
            return Err(DomainError::invalid(
                "data_format",
                "must be Default or CarbonData",
            ));
        }
        if self.data_format == "CarbonData" && self.dataset_type != DatasetType::Table {
            return Err(DomainError::invalid(
                "data_format",
                "CarbonData is for table datasets only",
            ));
        }
        if self.work_path_type != 0 {
            return Err(DomainError::invalid(
                "work_path_type",
                "only 0 (OBS) is supported",
            ));
        }
        if let Some(format) = &self.label_format {
            check_label_format(format)?;
        }
        check_label_set("labels", self.dataset_type, &self.labels)?;
        if let Some(info) = &self.workforce_information {
            info.check()?;
        }
        Ok(())
    }
}

fn check_label_format(format: &LabelFormat) -> Result<(), DomainError> {
    if let Some(t) = &format.label_type {
        if t != "0" && t != "1" {
            return Err(DomainError::invalid(
                "label_format.label_type",
                "must be \"0\" or \"1\"",
            ));
        }
    }
    for (field, sep) in [
        (
            "label_format.text_label_separator",
            &format.text_label_separator,
        ),
        (
            "label_format.text_sample_separator",
            &format.text_sample_separator,
        ),
    ] {
        if let Some(sep) = sep {
            let mut chars = sep.chars();
            let ok = match (chars.next(), chars.next()) {
                (Some(c), None) => c.is_ascii_alphanumeric() || "!@#$%^&*_=|?/':.;,\t".contains(c),
                _ => false,
            };
            if !ok {
                return Err(DomainError::invalid(
                    field,
                    "must be one letter, digit, tab or one of !@#$%^&*_=|?/':.;,",
                ));
            }
        }
    }
    Ok(())
}

/// A validated change to a dataset (Modifying a Dataset).
#[derive(Debug, Clone, Default)]
pub struct DatasetUpdate {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New current version.
    pub current_version_id: Option<String>,
    /// Labels to add.
    pub add_labels: Vec<Label>,
    /// Labels to change, by name; `@modelarts:rename_to` renames.
    pub update_labels: Vec<Label>,
    /// Names of labels to delete.
    pub delete_labels: Vec<String>,
    /// What happens to samples that carried deleted labels.
    pub delete_policy: LabelDeletePolicy,
}

impl DatasetUpdate {
    /// Applies the label changes to `labels`, checking the resulting set; returns the
    /// renames for the store to carry into samples.
    pub fn apply_labels(
        &self,
        dataset_type: DatasetType,
        labels: &mut Vec<Label>,
    ) -> Result<LabelChanges, DomainError> {
        let mut changes = LabelChanges {
            renames: Vec::new(),
            delete_policy: self.delete_policy,
        };
        for name in &self.delete_labels {
            let before = labels.len();
            labels.retain(|l| &l.name != name);
            if labels.len() == before {
                return Err(DomainError::LabelNotFound(name.clone()));
            }
        }
        for change in &self.update_labels {
            let rename = change
                .property
                .get("@modelarts:rename_to")
                .and_then(|v| v.as_str());
            if let Some(new_name) = rename {
                if new_name != change.name && labels.iter().any(|l| l.name == new_name) {
                    return Err(DomainError::LabelExists(new_name.to_owned()));
                }
            }
            let Some(existing) = labels.iter_mut().find(|l| l.name == change.name) else {
                return Err(DomainError::LabelNotFound(change.name.clone()));
            };
            let mut property = change.property.clone();
            if let Some(new_name) = property.remove("@modelarts:rename_to") {
                let Some(new_name) = new_name.as_str() else {
                    return Err(DomainError::invalid(
                        "update_labels.property.@modelarts:rename_to",
                        "must be a string",
                    ));
                };
                changes
                    .renames
                    .push((existing.name.clone(), new_name.to_owned()));
                existing.name = new_name.to_owned();
            }
            for (k, v) in property {
                existing.property.insert(k, v);
            }
            if !change.attributes.is_empty() {
                existing.attributes = change.attributes.clone();
            }
        }
        for added in &self.add_labels {
            if labels.iter().any(|l| l.name == added.name) {
                return Err(DomainError::LabelExists(added.name.clone()));
            }
        }
        labels.extend(self.add_labels.iter().cloned());
        check_label_set("labels", dataset_type, labels)?;
        Ok(changes)
    }
}

/// Sorting of the dataset list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DatasetSort {
    /// By creation time (default).
    #[default]
    CreateTime,
    /// By name.
    Name,
}

/// Filters and paging of Querying the Dataset List.
#[derive(Debug, Clone, Default)]
pub struct DatasetQuery {
    /// Only this type.
    pub dataset_type: Option<i32>,
    /// Only datasets that have (true) or lack (false) versions.
    pub contain_versions: Option<bool>,
    /// Only exportable types.
    pub support_export: bool,
    /// Fuzzy, case-insensitive match on the name or description.
    pub search_content: Option<String>,
    /// Only this workspace.
    pub workspace_id: Option<String>,
    /// Only datasets with a version whose split ratio lies in this range.
    pub train_evaluate_ratio: Option<(f64, f64)>,
    /// Only datasets with a version of this format.
    pub version_format: Option<String>,
    /// Sort key.
    pub sort_by: DatasetSort,
    /// Ascending instead of descending.
    pub ascending: bool,
    /// Rows to skip.
    pub offset: i64,
    /// Rows to return.
    pub limit: i64,
}
