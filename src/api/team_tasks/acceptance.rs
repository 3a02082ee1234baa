//! Acceptance of a team labeling task — spec/api:
//! creating_a_team_labeling_acceptance_task,
//! submitting_sample_review_comments_of_an_acceptance_task,
//! querying_the_report_of_a_team_labeling_acceptance_task,
//! updating_status_of_a_team_labeling_acceptance_task.

use axum::extract::{Path, Query, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use labelhive_domain::team_task::{action as team_action, item_state, ItemFilter};
use serde::Deserialize;
use serde_json::{json, Value};

use super::labeling::{comment_answer, CommentsRequest};
use super::views::check_stats;
use super::{actor, path_task, Ids, Params};
use crate::api::auth::Caller;
use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::query::param;
use crate::api::extract::ApiJson;
use crate::app::AppState;

/// Routes under `base` (the task collection path).
pub fn router(base: &str) -> Router<AppState> {
    let acceptance = format!("{base}/{{workforce_task_id}}/acceptance");
    Router::new()
        .route(&acceptance, post(create))
        .route(&format!("{acceptance}/batch-comment"), post(batch_comment))
        .route(&format!("{acceptance}/report"), get(report))
        .route(&format!("{acceptance}/status"), put(update_status))
}

/// Body of Creating a Team Labeling Acceptance Task.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    sampling_num: Option<i64>,
    sampling_rate: Option<f64>,
}

/// Creating a Team Labeling Acceptance Task: samples at random among the samples
/// waiting for acceptance; 200 with the round's `task_id`.
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
    ApiJson(req): ApiJson<CreateRequest>,
) -> ApiResult<Json<Value>> {
    let task = path_task(&state, &caller, &ids).await?;
    let id = state
        .team_tasks
        .open_round(&task, &actor(&caller), req.sampling_num, req.sampling_rate)
        .await?;
    Ok(Json(json!({ "task_id": id })))
}

/// Submitting Sample Review Comments of an Acceptance Task.
async fn batch_comment(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
    ApiJson(req): ApiJson<CommentsRequest>,
) -> ApiResult<Json<Value>> {
    let task = path_task(&state, &caller, &ids).await?;
    let comments = req.into_comments()?;
    let results = state
        .team_tasks
        .comment(&task, &actor(&caller), comments)
        .await?;
    Ok(Json(comment_answer(results)))
}

/// Querying the Report of a Team Labeling Acceptance Task (`checking_task_id` is
/// mandatory).
async fn report(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
    Query(p): Params,
) -> ApiResult<Json<Value>> {
    let task = path_task(&state, &caller, &ids).await?;
    let round = param(&p, "checking_task_id")
        .ok_or_else(|| ApiError::invalid("checking_task_id", "is required"))?;
    let r = state
        .team_tasks
        .report(&task, &actor(&caller), round)
        .await?;
    Ok(Json(json!({
        "checking_stats": check_stats(&r.checking),
        "total_stats": check_stats(&r.total),
    })))
}

/// Body of Updating Status of a Team Labeling Acceptance Task.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    action: Option<i64>,
    overwrite_last_result: Option<bool>,
}

/// Updating Status of a Team Labeling Acceptance Task: actions 0, 1, 4, 5 end the
/// round (the results reach the dataset in the background, status 5 until done), 2
/// cancels it, 3 lists the sampled samples whose annotators disagree.
async fn update_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
    Query(p): Params,
    ApiJson(req): ApiJson<StatusRequest>,
) -> ApiResult<Json<Value>> {
    // `locale` is documented as mandatory but only selects message language.
    let _ = param(&p, "locale");
    let task = path_task(&state, &caller, &ids).await?;
    let action = req
        .action
        .ok_or_else(|| ApiError::invalid("action", "is required"))?;
    let ended = state
        .team_tasks
        .end_round(
            &task,
            &actor(&caller),
            action,
            req.overwrite_last_result.unwrap_or(false),
        )
        .await?;
    state.jobs_queued.notify_one();
    if action == i64::from(team_action::CONFLICTS) {
        let samples: Vec<Value> = ended
            .conflicts
            .iter()
            .map(|(id, a)| json!({"sample_id": id, "agreement": a}))
            .collect();
        return Ok(Json(
            json!({ "sample_count": samples.len(), "samples": samples }),
        ));
    }
    // The accepted items, first page (the count covers them all).
    let f = ItemFilter {
        states: vec![item_state::ACCEPTED],
        ..ItemFilter::default()
    };
    let (rows, _) = state
        .team_tasks
        .items(&task, &actor(&caller), f, &Default::default(), 0, 100)
        .await?;
    let samples: Vec<Value> = rows
        .into_iter()
        .map(|r| json!({"sample_id": r.item.sample_id, "worker_id": r.item.worker_id, "labels": r.item.labels}))
        .collect();
    Ok(Json(
        json!({ "sample_count": ended.accepted, "samples": samples }),
    ))
}
