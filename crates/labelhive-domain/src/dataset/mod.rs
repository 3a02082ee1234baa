//! Datasets: types, statuses, the stored record, and the rules for creating and changing one.

mod kind;
mod workforce_info;

pub use kind::{DatasetType, DATASET_TYPES};
pub use workforce_info::{
    looks_like_email, WorkforceConfig, WorkforceInformation, WorkforceWorker, WorkforcesConfig,
};

use serde::{Deserialize, Serialize};

use crate::label::{check_label_set, Label};
use crate::names::{check_dataset_name, check_description};
use crate::obs_path::ObsPath;
use crate::store::{LabelChanges, LabelDeletePolicy};
use crate::DomainError;

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
