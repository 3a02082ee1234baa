//! A task's samples, labeling by members and review — spec/api:
//! obtaining_a_sample_list_of_a_team_labeling_task_by_page,
//! obtaining_details_about_a_team_labeling_sample,
//! updating_labels_of_team_labeling_samples_in_batches (seed 003),
//! reviewing_team_labeling_results.

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use labelhive_domain::annotation::{SampleLabel, SampleMetadata};
use labelhive_domain::sample::Sample;
use labelhive_domain::search::sample_filter;
use labelhive_domain::services::team_labeling::Submission;
use labelhive_domain::team_task::{item_status, Comment, ItemFilter, TaskItem, TeamTask};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{actor, path_task, state_param, Ids, Params};
use crate::api::auth::Caller;
use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::query::{self, param};
use crate::api::extract::ApiJson;
use crate::api::labels::{batch_response, BatchResponse};
use crate::api::samples::SampleView;
use crate::app::AppState;

/// Routes under `base` (the task collection path).
pub fn router(base: &str) -> Router<AppState> {
    let samples = format!("{base}/{{workforce_task_id}}/data-annotations/samples");
    Router::new()
        .route(&samples, get(list_samples).put(update_samples))
        .route(&format!("{samples}/{{sample_id}}"), get(sample_details))
        .route(
            &format!("{base}/{{workforce_task_id}}/data-annotations/review"),
            post(review),
        )
}

/// DescribeSampleResp of one item: the sample with the labeler's annotation, state
/// and comments.
fn item_view(task: &TeamTask, item: TaskItem, sample: Sample, agreement: Option<f64>) -> Value {
    let mut view = SampleView::from(sample);
    view.labels = item.labels.clone();
    view.sample_status = item_status(&item).to_owned();
    let email = task
        .email_of(&item.worker_id)
        .unwrap_or_default()
        .to_owned();
    view.labelers = vec![json!({"email": email, "worker_id": item.worker_id})];
    let mut v = json!(view);
    if let Value::Object(o) = &mut v {
        o.insert("worker_id".into(), json!(item.worker_id));
        if let Some(a) = item.review_accept {
            o.insert("review_accept".into(), json!(a));
            o.insert("review_comment".into(), json!(item.review_comment));
            o.insert("review_score".into(), json!(item.review_score));
        }
        if let Some(a) = item.check_accept {
            o.insert("check_accept".into(), json!(a));
            o.insert("check_comment".into(), json!(item.check_comment));
            o.insert("check_score".into(), json!(item.check_score));
        }
        if let Some(a) = agreement {
            o.insert("agreement".into(), json!(a));
        }
    }
    v
}

/// Obtaining a Sample List of a Team Labeling Task by Page: labelers see their own
/// items, reviewers, managers and the owner every item (one per sample and labeler).
async fn list_samples(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
    Query(p): Params,
) -> ApiResult<Json<Value>> {
    let task = path_task(&state, &caller, &ids).await?;
    let mut f = ItemFilter::default().with_state(state_param(&p)?);
    // The sample-side conditions reuse the sample list's parsing (not its states).
    let conditions = sample_filter(
        None,
        None,
        param(&p, "label_type"),
        None,
        None,
        param(&p, "search_conditions"),
        labelhive_domain::time::now_ms(),
    )?;
    f.label_type = conditions.label_type;
    f.label_name = param(&p, "label_name").map(str::to_owned);
    let samples = labelhive_domain::search::SampleFilter {
        label_type: None,
        ..conditions
    };
    let offset = query::offset(&p)?;
    let limit = query::bounded("limit", param(&p, "limit"), 1, 100, 10)?;
    let (rows, count) = state
        .team_tasks
        .items(&task, &actor(&caller), f, &samples, offset, limit)
        .await?;
    let views: Vec<Value> = rows
        .into_iter()
        .map(|r| item_view(&task, r.item, r.sample, None))
        .collect();
    Ok(Json(json!({ "sample_count": count, "samples": views })))
}

/// Obtaining Details About a Team Labeling Sample: the caller's item (or the one of
/// `worker_id`); with several visible annotations, the first, and their agreement.
async fn sample_details(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
    Query(p): Params,
) -> ApiResult<Json<Value>> {
    let task = path_task(&state, &caller, &ids).await?;
    state_param(&p)?;
    let sample_id = ids.get("sample_id").cloned().unwrap_or_default();
    let (sample, items, agreement) = state
        .team_tasks
        .sample(&task, &actor(&caller), &sample_id, param(&p, "worker_id"))
        .await?;
    let labelers: Vec<Value> = items
        .iter()
        .map(|i| json!({"email": task.email_of(&i.worker_id), "worker_id": i.worker_id}))
        .collect();
    let first = items.into_iter().next().unwrap_or_default();
    let mut v = item_view(&task, first, sample, Some(agreement));
    if let Value::Object(o) = &mut v {
        o.insert("labelers".into(), Value::Array(labelers));
    }
    Ok(Json(v))
}

/// SampleLabels of seed 003. Its `sample_type`, `sample_usage` and `source` describe
/// the sample, which labeling does not change, so they are read past.
#[derive(Debug, Deserialize)]
pub struct TaskSampleLabels {
    labels: Option<Vec<SampleLabel>>,
    metadata: Option<SampleMetadata>,
    sample_id: Option<String>,
    worker_id: Option<String>,
}

/// Body of Updating Labels of Team Labeling Samples in Batches.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateSamplesRequest {
    email: Option<String>,
    samples: Option<Vec<TaskSampleLabels>>,
}

/// Updating Labels of Team Labeling Samples in Batches (seed 003).
async fn update_samples(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
    ApiJson(req): ApiJson<UpdateSamplesRequest>,
) -> ApiResult<Json<BatchResponse>> {
    let task = path_task(&state, &caller, &ids).await?;
    let samples = req
        .samples
        .ok_or_else(|| ApiError::invalid("samples", "is required"))?;
    let subs = samples
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            Ok(Submission {
                sample_id: s.sample_id.ok_or_else(|| {
                    ApiError::invalid(&format!("samples[{i}].sample_id"), "is required")
                })?,
                worker_id: s.worker_id,
                labels: s.labels.unwrap_or_default(),
                metadata: s.metadata,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let results = state
        .team_tasks
        .submit(&task, &actor(&caller), req.email.as_deref(), subs)
        .await?;
    Ok(Json(batch_response(results)))
}

/// SampleComment of the review and acceptance endpoints.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    accept: Option<bool>,
    comment: Option<String>,
    sample_id: Option<String>,
    score: Option<String>,
    worker_id: Option<String>,
}

/// Body with `comments`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentsRequest {
    comments: Option<Vec<CommentBody>>,
}

impl CommentsRequest {
    /// The comments, each with its mandatory fields.
    pub fn into_comments(self) -> ApiResult<Vec<Comment>> {
        let list = self
            .comments
            .ok_or_else(|| ApiError::invalid("comments", "is required"))?;
        list.into_iter()
            .enumerate()
            .map(|(i, c)| {
                let f = |k: &str| format!("comments[{i}].{k}");
                Ok(Comment {
                    sample_id: c
                        .sample_id
                        .ok_or_else(|| ApiError::invalid(&f("sample_id"), "is required"))?,
                    worker_id: c.worker_id,
                    accept: c
                        .accept
                        .ok_or_else(|| ApiError::invalid(&f("accept"), "is required"))?,
                    comment: c.comment.unwrap_or_default(),
                    score: c.score.unwrap_or_default(),
                })
            })
            .collect()
    }
}

/// Reviewing Team Labeling Results: 200 `{}` when every comment applied, else the
/// per-comment batch answer.
async fn review(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
    ApiJson(req): ApiJson<CommentsRequest>,
) -> ApiResult<Json<Value>> {
    let task = path_task(&state, &caller, &ids).await?;
    let comments = req.into_comments()?;
    let results = state
        .team_tasks
        .review(&task, &actor(&caller), comments)
        .await?;
    Ok(Json(comment_answer(results)))
}

/// `{}` when all comments applied (as documented), else the batch answer.
pub fn comment_answer(results: Vec<Result<String, labelhive_domain::DomainError>>) -> Value {
    if results.iter().all(Result::is_ok) {
        json!({})
    } else {
        json!(batch_response(results))
    }
}
