//! Request bodies of the dataset endpoints, and their conversion into domain values.

use labelhive_domain::dataset::{
    DataSource, DatasetType, DatasetUpdate, Field, LabelFormat, NewDataset, WorkforceInformation,
    DATASET_TYPES,
};
use labelhive_domain::ids::is_resource_id;
use labelhive_domain::label::{default_label_type, Label, LabelAttribute};
use labelhive_domain::obs_path::ObsPath;
use labelhive_domain::store::LabelDeletePolicy;
use labelhive_domain::DomainError;
use serde::Deserialize;
use serde_json::{Map, Value};

/// A label as clients send it: every field optional on the wire.
#[derive(Debug, Clone, Deserialize)]
pub struct LabelInput {
    /// Label name (required by Labelhive: a label without a name cannot be used).
    pub name: Option<String>,
    /// Label type; defaults to the dataset's label type.
    #[serde(rename = "type")]
    pub label_type: Option<i32>,
    /// Properties such as `@modelarts:color`.
    pub property: Option<Map<String, Value>>,
    /// Attributes.
    pub attributes: Option<Vec<LabelAttribute>>,
}

impl LabelInput {
    /// Converts into a domain label, filling the type from the dataset's.
    pub fn into_label(self, field: &str, dataset_type: DatasetType) -> Result<Label, DomainError> {
        let name = self
            .name
            .ok_or_else(|| DomainError::invalid(format!("{field}.name"), "is required"))?;
        let label_type = match self.label_type {
            Some(t) => t,
            None => default_label_type(dataset_type).ok_or_else(|| {
                DomainError::invalid(format!("{field}.type"), "this dataset type has no labels")
            })?,
        };
        Ok(Label {
            name,
            label_type,
            property: self.property.unwrap_or_default(),
            attributes: self.attributes.unwrap_or_default(),
        })
    }
}

/// Converts a list of wire labels.
pub fn into_labels(
    field: &str,
    dataset_type: DatasetType,
    labels: Option<Vec<LabelInput>>,
) -> Result<Vec<Label>, DomainError> {
    labels
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, l)| l.into_label(&format!("{field}[{i}]"), dataset_type))
        .collect()
}

/// Creating a Dataset — body.
#[derive(Debug, Deserialize)]
pub struct CreateDatasetRequest {
    /// `Default` or `CarbonData`.
    pub data_format: Option<String>,
    /// Exactly one input path.
    pub data_sources: Vec<DataSource>,
    /// Name.
    pub dataset_name: String,
    /// Type; default 0.
    pub dataset_type: Option<i32>,
    /// Description.
    pub description: Option<String>,
    /// Import annotations found under the input path (default true).
    pub import_annotations: Option<bool>,
    /// Table datasets: import data now.
    pub import_data: Option<bool>,
    /// Text label format.
    pub label_format: Option<LabelFormat>,
    /// Labels.
    pub labels: Option<Vec<LabelInput>>,
    /// Hosted flag.
    pub managed: Option<bool>,
    /// Table schema.
    pub schema: Option<Vec<Field>>,
    /// Output path.
    pub work_path: String,
    /// Output path type (0: OBS).
    pub work_path_type: Option<i32>,
    /// Team labeling settings.
    pub workforce_information: Option<WorkforceInformation>,
    /// Workspace.
    pub workspace_id: Option<String>,
}

impl TryFrom<CreateDatasetRequest> for NewDataset {
    type Error = DomainError;

    fn try_from(req: CreateDatasetRequest) -> Result<Self, Self::Error> {
        let code = req.dataset_type.unwrap_or(0);
        let dataset_type = DatasetType::from_code(code).ok_or_else(|| {
            DomainError::invalid("dataset_type", format!("must be one of {DATASET_TYPES:?}"))
        })?;
        let mut sources = req.data_sources;
        if sources.len() != 1 {
            return Err(DomainError::invalid(
                "data_sources",
                "exactly one data source is required",
            ));
        }
        let source = sources.remove(0);
        if source.data_type != 0 {
            return Err(DomainError::Unsupported(format!(
                "data_sources[0].data_type {}: only 0 (OBS) is supported",
                source.data_type
            )));
        }
        let raw_input = source
            .data_path
            .as_deref()
            .ok_or_else(|| DomainError::invalid("data_sources[0].data_path", "is required"))?;
        let input_path = ObsPath::parse("data_sources[0].data_path", raw_input)?;
        let len = req.work_path.chars().count();
        if !(3..=700).contains(&len) {
            return Err(DomainError::invalid(
                "work_path",
                "must contain 3 to 700 characters",
            ));
        }
        let work_path = ObsPath::parse("work_path", &req.work_path)?;
        Ok(NewDataset {
            labels: into_labels("labels", dataset_type, req.labels)?,
            name: req.dataset_name,
            dataset_type,
            description: req.description.unwrap_or_default(),
            data_format: req.data_format.unwrap_or_else(|| "Default".to_owned()),
            data_source: source,
            input_path,
            work_path,
            work_path_type: req.work_path_type.unwrap_or(0),
            workspace_id: req.workspace_id.unwrap_or_else(|| "0".to_owned()),
            import_data: req.import_data.unwrap_or(false),
            import_annotations: req.import_annotations.unwrap_or(true),
            managed: req.managed.unwrap_or(false),
            label_format: req.label_format,
            schema: req.schema.unwrap_or_default(),
            workforce_information: req.workforce_information,
        })
    }
}

/// Modifying a Dataset — body.
#[derive(Debug, Deserialize)]
pub struct UpdateDatasetRequest {
    /// Labels to add.
    pub add_labels: Option<Vec<LabelInput>>,
    /// New current version.
    pub current_version_id: Option<String>,
    /// New name.
    pub dataset_name: Option<String>,
    /// Labels to delete (by name).
    pub delete_labels: Option<Vec<LabelInput>>,
    /// New description.
    pub description: Option<String>,
    /// Labels to change (by name).
    pub update_labels: Option<Vec<LabelInput>>,
}

impl UpdateDatasetRequest {
    /// Converts into a domain update for a dataset of `dataset_type`.
    pub fn into_update(self, dataset_type: DatasetType) -> Result<DatasetUpdate, DomainError> {
        if let Some(v) = &self.current_version_id {
            if !is_resource_id(v) {
                return Err(DomainError::VersionNotFound(v.clone()));
            }
        }
        let delete_labels = self
            .delete_labels
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                l.name.ok_or_else(|| {
                    DomainError::invalid(format!("delete_labels[{i}].name"), "is required")
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(DatasetUpdate {
            name: self.dataset_name,
            description: self.description,
            current_version_id: self.current_version_id,
            add_labels: into_labels("add_labels", dataset_type, self.add_labels)?,
            update_labels: into_labels("update_labels", dataset_type, self.update_labels)?,
            delete_labels,
            delete_policy: LabelDeletePolicy::KeepSamples,
        })
    }
}
