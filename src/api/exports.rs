//! Export task endpoints — spec/api: creating_a_dataset_export_task,
//! querying_the_dataset_export_task_list, querying_the_status_of_a_dataset_export_task.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use labelhive_domain::export::{ExportPayload, ExportRequest, ExportTally};
use labelhive_domain::job::{Job, JobStatus};
use labelhive_domain::DomainError;
use serde_json::{json, Value};

use super::auth::Caller;
use super::error::ApiResult;
use super::extract::query::param;
use super::extract::{query, ApiJson, DatasetPath};
use super::imports::task_id;
use crate::app::AppState;

/// Routes of this resource group.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/datasets/{dataset_id}/export-tasks",
            get(list_tasks).post(create_task),
        )
        // The spec names the dataset `resource_id` on this page; the path is the same.
        .route(
            "/datasets/{dataset_id}/export-tasks/{task_id}",
            get(task_status),
        )
}

/// The status word of the export pages (`SUCCESSED` as ModelArts spells it).
fn status_word(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Queued => "INIT",
        JobStatus::Running => "RUNNING",
        JobStatus::Succeeded => "SUCCESSED",
        JobStatus::Failed | JobStatus::Canceled => "FAILED",
    }
}

/// The ExportTaskStatusResp object of the list and status pages.
pub fn task_view(job: &Job) -> Value {
    let payload: Option<ExportPayload> = serde_json::from_value(job.payload.clone()).ok();
    let tally = ExportTally::from_value(job.result.as_ref());
    let total = tally.total.max(job.progress_total);
    let finished = tally.exported + tally.failed;
    let progress = match (job.status, total) {
        (JobStatus::Succeeded, _) => 100.0,
        (_, 0) => 0.0,
        (_, t) => (finished as f64 * 100.0 / t as f64).min(100.0),
    };
    let (error_code, error_msg) = match (&job.error_code, tally.failed) {
        (Some(code), _) if job.status != JobStatus::Succeeded => {
            (Some(code.clone()), job.error_msg.clone())
        }
        (_, 0) => (None, None),
        (_, n) => (
            Some("ModelArts.4401".to_owned()),
            Some(format!("{n} samples could not be exported; see failures")),
        ),
    };
    json!({
        "task_id": job.id,
        "status": status_word(job.status),
        "path": payload.as_ref().map(|p| p.path.clone()),
        "export_type": payload.as_ref().map(|p| p.export_type),
        "export_format": payload.as_ref().map(|p| p.export_format),
        "export_params": payload.as_ref().map(|p| p.params.clone()),
        "version_id": payload.as_ref().and_then(|p| p.version_id.clone()),
        "version_format": "Default",
        "total_sample_count": total,
        "finished_sample_count": finished,
        "progress": progress,
        "create_time": job.create_time,
        "update_time": job.update_time,
        "error_code": error_code,
        "error_msg": error_msg,
        // Extensions: what was left out, where the manifest is, which dataset was made.
        "exported_sample_count": tally.exported,
        "failed_sample_count": tally.failed,
        "failures": tally.failures,
        "manifest_path": tally.manifest_path,
        "annotation_path": tally.annotation_path,
        "skipped_labels": tally.skipped_labels,
        "new_dataset_id": payload.as_ref().and_then(|p| p.new_dataset_id.clone()),
    })
}

/// Creating a Dataset Export Task — spec/api/creating_a_dataset_export_task.md
async fn create_task(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    ApiJson(req): ApiJson<ExportRequest>,
) -> ApiResult<Json<Value>> {
    let id = state
        .exports
        .create(&caller.project_id, &dataset_id, req)
        .await?;
    state.jobs_queued.notify_one();
    Ok(Json(json!({ "task_id": id })))
}

/// Querying the Dataset Export Task List — spec/api/querying_the_dataset_export_task_list.md
async fn list_tasks(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    Query(p): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let offset = query::offset(&p)?;
    let limit = query::bounded("limit", param(&p, "limit"), 1, 100, 10)?;
    let export_type = param(&p, "export_type")
        .map(|t| {
            t.parse::<i32>()
                .ok()
                .filter(|t| (0..=3).contains(t))
                .ok_or_else(|| {
                    DomainError::invalid("export_type", format!("{t:?} is not 0, 1, 2 or 3"))
                })
        })
        .transpose()?;
    let (jobs, total) = state
        .exports
        .list(&caller.project_id, &dataset_id, export_type, offset, limit)
        .await?;
    let tasks: Vec<Value> = jobs.iter().map(task_view).collect();
    Ok(Json(json!({ "total_count": total, "export_tasks": tasks })))
}

/// Querying the Status of a Dataset Export Task — spec/api/querying_the_status_of_a_dataset_export_task.md
async fn task_status(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let id = task_id(&params)?;
    let job = state
        .exports
        .get(&caller.project_id, &dataset_id, &id)
        .await?;
    Ok(Json(task_view(&job)))
}
