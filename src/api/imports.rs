//! Import task endpoints — spec/api: creating_an_import_task,
//! querying_the_dataset_import_task_list, querying_details_about_a_dataset_import_task.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use labelhive_domain::ids::is_resource_id;
use labelhive_domain::import::{
    label_names, ImportPayload, ImportRequest, ImportTally, LabelFormat,
};
use labelhive_domain::job::{Job, JobStatus};
use labelhive_domain::obs_path::ObsPath;
use labelhive_domain::time::now_ms;
use labelhive_domain::DomainError;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Caller;
use super::error::ApiResult;
use super::extract::query::param;
use super::extract::{query, ApiJson, DatasetPath};
use crate::app::AppState;

/// Routes of this resource group.
pub fn router() -> Router<AppState> {
    let base = "/datasets/{dataset_id}/import-tasks";
    Router::new()
        .route(base, get(list_tasks).post(create_task))
        .route(&format!("{base}/{{task_id}}"), get(task_details))
}

/// Body of the create request (spec Table 2). Label lists are read as JSON because the
/// spec gives them as Label objects and its example as names.
#[derive(Debug, Deserialize)]
pub struct CreateImportRequest {
    /// OBS path or manifest path.
    pub import_path: Option<String>,
    /// `dir` or `manifest`.
    pub import_type: Option<String>,
    /// Default true.
    pub import_annotations: Option<bool>,
    /// Default true.
    pub import_samples: Option<bool>,
    /// Default true.
    pub final_annotation: Option<bool>,
    /// Default false.
    pub difficult_only: Option<bool>,
    /// Labels a sample must carry one of.
    #[serde(default)]
    pub included_labels: Value,
    /// Labels a sample must not carry.
    #[serde(default)]
    pub excluded_labels: Value,
    /// obs, dws, dli, rds, mrs or inference.
    pub import_origin: Option<String>,
    /// Text layout.
    pub label_format: Option<LabelFormat>,
    /// Subdirectory for inline texts.
    pub import_folder: Option<String>,
    /// Table datasets only.
    pub with_column_header: Option<bool>,
    /// Table data sources (not supported; refused when given with table fields).
    pub data_source: Option<Value>,
}

impl TryFrom<CreateImportRequest> for ImportRequest {
    type Error = DomainError;

    fn try_from(r: CreateImportRequest) -> Result<Self, DomainError> {
        if r.data_source
            .as_ref()
            .is_some_and(|d| d.get("source_info").is_some())
        {
            return Err(DomainError::Unsupported(
                "data_source.source_info: importing from DWS, DLI, RDS or MRS".into(),
            ));
        }
        Ok(Self {
            import_path: r.import_path,
            import_type: r.import_type,
            import_annotations: r.import_annotations,
            import_samples: r.import_samples,
            final_annotation: r.final_annotation,
            difficult_only: r.difficult_only,
            included_labels: label_names("included_labels", &r.included_labels)?,
            excluded_labels: label_names("excluded_labels", &r.excluded_labels)?,
            import_origin: r.import_origin,
            label_format: r.label_format,
            import_folder: r.import_folder,
        })
    }
}

/// The `{task_id}` path parameter; a malformed id names no task (404).
pub(crate) fn task_id(params: &HashMap<String, String>) -> ApiResult<String> {
    let id = params.get("task_id").cloned().unwrap_or_default();
    if is_resource_id(&id) {
        Ok(id)
    } else {
        Err(DomainError::TaskNotFound(id).into())
    }
}

/// The status word of the task pages.
fn status_word(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Queued => "QUEUING",
        JobStatus::Running => "RUNNING",
        JobStatus::Succeeded => "COMPLETED",
        JobStatus::Failed | JobStatus::Canceled => "FAILED",
    }
}

/// The ImportTaskStatusResp object of the list and details pages.
pub fn task_view(job: &Job) -> Value {
    let payload: Option<ImportPayload> = serde_json::from_value(job.payload.clone()).ok();
    let tally = ImportTally::from_value(job.result.as_ref());
    let import_path = payload.as_ref().map(|p| {
        ObsPath::parse("source", &p.source)
            .map(|o| {
                format!(
                    "obs:/{}",
                    if p.source.ends_with('/') {
                        o.as_dir()
                    } else {
                        o.as_file()
                    }
                )
            })
            .unwrap_or_else(|_| p.source.clone())
    });
    let end = job.finish_time.unwrap_or_else(now_ms);
    let (error_code, error_msg) = match (&job.error_code, tally.failed) {
        (Some(code), _) => (Some(code.clone()), job.error_msg.clone()),
        (None, 0) => (None, None),
        (None, n) => (
            Some("ModelArts.4362".to_owned()),
            Some(format!("{n} items could not be imported; see failures")),
        ),
    };
    let files_done = tally.consumed;
    json!({
        "task_id": job.id,
        "dataset_id": job.dataset_id,
        "status": status_word(job.status),
        "import_path": import_path,
        "import_type": payload.as_ref().map_or(0, |p| p.import_type.code()),
        "data_source": {"data_type": 0, "data_path": import_path},
        "total_sample_count": tally.total_samples,
        "imported_sample_count": tally.imported,
        "annotated_sample_count": tally.annotated,
        "unconfirmed_sample_count": if payload.as_ref().is_some_and(|p| !p.final_annotation) { tally.annotated } else { 0 },
        "total_sub_sample_count": 0,
        "imported_sub_sample_count": 0,
        "total_file_count": job.progress_total.max(files_done),
        "finished_file_count": files_done,
        "total_file_size": tally.file_size,
        "finished_file_size": tally.file_size,
        "file_statistics": {
            "file_num_total": job.progress_total.max(files_done),
            "file_num_finished": files_done,
            "file_size_total": tally.file_size,
            "file_size_finished": tally.file_size,
        },
        "create_time": job.create_time,
        "update_ms": job.update_time,
        "elapsed_time": (end - job.create_time).max(0) / 1000,
        "error_code": error_code,
        "error_msg": error_msg,
        // Extensions: what was skipped or refused, and which labels were created.
        "skipped_sample_count": tally.skipped,
        "failed_sample_count": tally.failed,
        "failures": tally.failures,
        "labels_created": tally.labels_created,
    })
}

/// Creating an Import Task — spec/api/creating_an_import_task.md
async fn create_task(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    ApiJson(req): ApiJson<CreateImportRequest>,
) -> ApiResult<Json<Value>> {
    let req = ImportRequest::try_from(req)?;
    let id = state
        .imports
        .create(&caller.project_id, &dataset_id, req)
        .await?;
    state.jobs_queued.notify_one();
    Ok(Json(json!({ "task_id": id })))
}

/// Querying the Dataset Import Task List — spec/api/querying_the_dataset_import_task_list.md
async fn list_tasks(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    Query(p): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let offset = query::offset(&p)?;
    let limit = query::bounded("limit", param(&p, "limit"), 1, 100, 10)?;
    let (jobs, total) = state
        .imports
        .list(&caller.project_id, &dataset_id, offset, limit)
        .await?;
    let tasks: Vec<Value> = jobs.iter().map(task_view).collect();
    Ok(Json(json!({ "total_count": total, "import_tasks": tasks })))
}

/// Querying Details About a Dataset Import Task — spec/api/querying_details_about_a_dataset_import_task.md
async fn task_details(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let id = task_id(&params)?;
    let job = state
        .imports
        .get(&caller.project_id, &dataset_id, &id)
        .await?;
    Ok(Json(task_view(&job)))
}
