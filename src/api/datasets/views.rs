//! Response shapes of the dataset endpoints, with the exact ModelArts field names.

use std::collections::BTreeMap;

use labelhive_domain::dataset::{
    DataSource, Dataset, Field, LabelFormat, WorkforceInformation, WorkforceWorker,
};
use labelhive_domain::label::Label;
use labelhive_domain::store::SamplePreview;
use serde::Serialize;
use serde_json::{json, Map, Value};

/// A dataset as listed and shown (`DatasetAndFilePreview` and the details body).
#[derive(Debug, Serialize)]
#[allow(missing_docs)]
pub struct DatasetView {
    pub annotated_sample_count: i64,
    pub annotated_sub_sample_count: i64,
    pub content_labeling: bool,
    pub create_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version_name: Option<String>,
    pub data_format: String,
    pub data_sources: Vec<DataSource>,
    pub data_statistics: Map<String, Value>,
    pub data_update_time: i64,
    pub data_url: String,
    pub dataset_format: i32,
    pub dataset_id: String,
    pub dataset_name: String,
    pub dataset_tags: Vec<String>,
    pub dataset_type: i32,
    pub dataset_version_count: i64,
    pub deleted_sample_count: i64,
    pub deletion_stats: BTreeMap<String, i64>,
    pub description: String,
    pub enterprise_project_id: String,
    pub exist_running_task: bool,
    pub exist_workforce_task: bool,
    pub feature_supports: Vec<String>,
    pub import_data: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_task_id: Option<String>,
    pub inner_annotation_path: String,
    pub inner_data_path: String,
    pub inner_log_path: String,
    pub inner_task_path: String,
    pub inner_temp_path: String,
    pub inner_work_path: String,
    pub label_task_count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<Label>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_format: Option<LabelFormat>,
    pub loading_sample_count: i64,
    pub managed: bool,
    pub next_version_num: i64,
    pub running_tasks_id: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub samples: Option<Vec<AnnotationFileView>>,
    pub schema: Vec<Field>,
    pub status: i32,
    pub total_sample_count: i64,
    pub total_sub_sample_count: i64,
    pub unconfirmed_sample_count: i64,
    pub update_time: i64,
    pub versions: Vec<Value>,
    pub work_path: String,
    pub work_path_type: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workforce_descriptor: Option<WorkforceDescriptorView>,
    pub workforce_task_count: i64,
    pub workspace_id: String,
}

/// A preview sample (`AnnotationFile`).
#[derive(Debug, Serialize)]
#[allow(missing_docs)]
pub struct AnnotationFileView {
    pub create_time: i64,
    pub dataset_id: String,
    #[serde(rename = "file_Name")]
    pub file_name: String,
    pub file_id: String,
    pub file_type: String,
    pub size: i64,
    pub tags: BTreeMap<String, String>,
    /// The sample's OBS-style path.
    pub url: String,
}

/// Team labeling information of a dataset (`WorkforceDescriptor`).
#[derive(Debug, Serialize)]
#[allow(missing_docs)]
pub struct WorkforceDescriptorView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_task_id: Option<String>,
    pub current_task_name: String,
    pub reject_num: i64,
    pub repetition: i32,
    pub is_synchronize_auto_labeling_data: bool,
    pub is_synchronize_data: bool,
    pub workers: Vec<WorkforceWorker>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workforce_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workforce_name: Option<String>,
}

fn descriptor(info: &WorkforceInformation) -> WorkforceDescriptorView {
    let teams: Vec<_> = info
        .workforces_config
        .iter()
        .flat_map(|c| c.workforces.iter().flatten())
        .collect();
    WorkforceDescriptorView {
        current_task_id: info.task_id.clone(),
        current_task_name: info.task_name.clone(),
        reject_num: 0,
        repetition: info.repetition.unwrap_or(1),
        is_synchronize_auto_labeling_data: info.synchronize_auto_labeling_data.unwrap_or(false),
        is_synchronize_data: info.synchronize_data.unwrap_or(false),
        workers: teams
            .iter()
            .flat_map(|t| t.workers.iter().flatten().cloned())
            .collect(),
        workforce_id: teams.first().and_then(|t| t.workforce_id.clone()),
        workforce_name: teams.first().and_then(|t| t.workforce_name.clone()),
    }
}

/// What a view includes beyond the dataset row.
pub struct ViewExtras {
    /// Include labels.
    pub with_labels: bool,
    /// Ids of queued or running jobs on the dataset.
    pub running_tasks: Vec<String>,
    /// Preview samples, when asked for.
    pub previews: Option<Vec<SamplePreview>>,
    /// Team labeling tasks of the dataset.
    pub team_tasks: i64,
}

impl DatasetView {
    /// Builds the view of a dataset.
    pub fn new(ds: Dataset, extras: ViewExtras) -> Self {
        let inner = ds.inner_work_path();
        let data_url = ds.input_path().map(str::to_owned).unwrap_or_default();
        let kind = ds.kind();
        let unannotated = ds.total_sample_count - ds.annotated_sample_count;
        let mut stats = Map::new();
        stats.insert("total_sample_count".into(), json!(ds.total_sample_count));
        stats.insert(
            "annotated_sample_count".into(),
            json!(ds.annotated_sample_count),
        );
        stats.insert("unannotated_sample_count".into(), json!(unannotated));
        let samples = extras.previews.map(|previews| {
            previews
                .into_iter()
                .map(|p| AnnotationFileView {
                    create_time: p.create_time,
                    dataset_id: ds.id.clone(),
                    file_type: p
                        .name
                        .rsplit_once('.')
                        .map(|(_, e)| e.to_ascii_lowercase())
                        .unwrap_or_default(),
                    file_name: p.name,
                    file_id: p.id,
                    size: p.size,
                    tags: BTreeMap::new(),
                    url: p.path,
                })
                .collect()
        });
        Self {
            annotated_sample_count: ds.annotated_sample_count,
            annotated_sub_sample_count: 0,
            content_labeling: true,
            create_time: ds.create_time,
            current_version_id: ds.current_version_id,
            current_version_name: ds.current_version_name,
            data_format: ds.data_format,
            data_statistics: stats,
            data_update_time: ds.data_update_time,
            data_url,
            dataset_format: kind.dataset_format(),
            dataset_tags: kind.tags(),
            dataset_type: ds.dataset_type,
            dataset_version_count: ds.dataset_version_count,
            deleted_sample_count: ds.deleted_sample_count,
            deletion_stats: BTreeMap::new(),
            description: ds.description,
            enterprise_project_id: "0".to_owned(),
            exist_running_task: !extras.running_tasks.is_empty(),
            // Team tasks are created by the team labeling service; none exist yet.
            exist_workforce_task: extras.team_tasks > 0,
            feature_supports: vec!["0".to_owned()],
            import_data: ds.import_data,
            import_task_id: ds.import_task_id,
            inner_annotation_path: format!("{inner}annotation/"),
            inner_data_path: format!("{inner}data/"),
            inner_log_path: format!("{inner}logs/"),
            inner_task_path: format!("{inner}task/"),
            inner_temp_path: format!("{inner}temp/"),
            inner_work_path: inner,
            label_task_count: 1,
            labels: extras.with_labels.then_some(ds.labels),
            label_format: ds.label_format,
            loading_sample_count: 0,
            managed: ds.managed,
            next_version_num: ds.next_version_num,
            running_tasks_id: extras.running_tasks,
            samples,
            schema: ds.schema,
            status: ds.status,
            total_sample_count: ds.total_sample_count,
            total_sub_sample_count: 0,
            unconfirmed_sample_count: 0,
            update_time: ds.update_time,
            versions: Vec::new(),
            work_path: ds.work_path,
            work_path_type: ds.work_path_type,
            workforce_descriptor: ds.workforce_information.as_ref().map(descriptor),
            workforce_task_count: extras.team_tasks,
            workspace_id: ds.workspace_id,
            data_sources: ds.data_sources,
            dataset_id: ds.id,
            dataset_name: ds.name,
        }
    }
}
