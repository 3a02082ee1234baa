//! Synchronization endpoints — spec/api: synchronizing_a_dataset,
//! querying_the_status_of_a_dataset_synchronization_task.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use labelhive_domain::job::{Job, JobStatus};
use labelhive_domain::time::now_ms;
use serde_json::{json, Value};

use super::auth::Caller;
use super::error::ApiResult;
use super::extract::DatasetPath;
use crate::app::AppState;

/// Routes of this resource group.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/datasets/{dataset_id}/sync-data", post(sync))
        .route("/datasets/{dataset_id}/sync-data/status", get(status))
}

/// The status word of the synchronization page.
fn status_word(job: &Job) -> &'static str {
    match job.status {
        JobStatus::Queued => "QUEUING",
        JobStatus::Running if job.progress_done == 0 => "STARTING",
        JobStatus::Running => "RUNNING",
        JobStatus::Succeeded => "COMPLETED",
        JobStatus::Failed | JobStatus::Canceled => "FAILED",
    }
}

fn count(job: &Job, key: &str) -> i64 {
    job.result
        .as_ref()
        .and_then(|r| r.get(key))
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

/// Synchronizing a Dataset — spec/api/synchronizing_a_dataset.md. The spec documents
/// no response body; the task id is returned as a convenience.
async fn sync(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
) -> ApiResult<Json<Value>> {
    let id = state.syncs.create(&caller.project_id, &dataset_id).await?;
    state.jobs_queued.notify_one();
    Ok(Json(json!({ "task_id": id })))
}

/// Querying the Status of a Dataset Synchronization Task —
/// spec/api/querying_the_status_of_a_dataset_synchronization_task.md
async fn status(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
) -> ApiResult<Json<Value>> {
    let Some(job) = state.syncs.latest(&caller.project_id, &dataset_id).await? else {
        return Ok(Json(
            json!({ "dataset_id": dataset_id, "status": "NOT_EXIST" }),
        ));
    };
    let end = job.finish_time.unwrap_or_else(now_ms);
    Ok(Json(json!({
        "task_id": job.id,
        "dataset_id": dataset_id,
        "status": status_word(&job),
        "create_time": job.create_time,
        "duration_time": (end - job.create_time).max(0),
        "add_sample_count": count(&job, "added"),
        "deleted_sample_count": count(&job, "deleted"),
        "total_sample_count": count(&job, "total"),
        "error_code": job.error_code,
        "error_msg": job.error_msg,
        // Extensions: how much of the input path had to be listed.
        "dirs_listed": count(&job, "dirs_listed"),
        "dirs_unchanged": count(&job, "dirs_unchanged"),
    })))
}
