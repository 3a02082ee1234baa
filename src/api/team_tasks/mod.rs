//! Team labeling task endpoints — spec/api: querying_the_team_labeling_task_list_of_a_dataset,
//! creating_a_team_labeling_task, querying_details_about_a_team_labeling_task,
//! starting_a_team_labeling_task, updating_a_team_labeling_task,
//! deleting_a_team_labeling_task, querying_the_team_labeling_task_list_by_a_team_member,
//! querying_details_about_team_labeling_task_statistics,
//! querying_details_about_the_progress_of_a_team_labeling_task_member.
//!
//! Labeling and review are in `labeling`, acceptance in `acceptance`. Members call
//! these with their worker token; the service decides what their role allows.

mod acceptance;
mod labeling;
pub mod views;

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use labelhive_domain::ids::is_resource_id;
use labelhive_domain::search::SampleState;
use labelhive_domain::services::team_tasks::{Actor, NewTask, WorkforcesConfig};
use labelhive_domain::store::MemberTaskQuery;
use labelhive_domain::team_task::{ItemFilter, TaskFields, TeamTask};
use labelhive_domain::DomainError;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::query::{self, param};
use super::extract::{ApiJson, DatasetPath};
use super::labels::{batch_response, BatchResponse};
use super::statistics;
use crate::app::AppState;
use views::{counts_map, member_view, task_view, Flags};

/// Routes of this resource group.
pub fn router() -> Router<AppState> {
    let base = "/datasets/{dataset_id}/workforce-tasks";
    Router::new()
        .route(base, get(list_tasks).post(create_task))
        .route(
            &format!("{base}/{{workforce_task_id}}"),
            get(task_details)
                .post(start_task)
                .put(update_task)
                .delete(delete_task),
        )
        .route(
            &format!("{base}/{{workforce_task_id}}/data-annotations/stats"),
            get(task_stats),
        )
        .route(
            &format!("{base}/{{workforce_task_id}}/metrics"),
            get(task_metrics),
        )
        .route(
            &format!("{base}/{{workforce_task_id}}/notify"),
            post(notify),
        )
        .merge(labeling::router(base))
        .merge(acceptance::router(base))
}

/// The `/workforces/worker-tasks` route, mounted with the team routes.
pub fn worker_tasks_router() -> Router<AppState> {
    Router::new().route("/workforces/worker-tasks", get(worker_tasks))
}

type Params = Query<HashMap<String, String>>;
type Ids = Path<HashMap<String, String>>;

/// The caller as the service sees it.
pub(crate) fn actor(caller: &Caller) -> Actor {
    match &caller.worker_id {
        Some(w) => Actor::Worker(w.clone()),
        None => Actor::Owner,
    }
}

/// The task named by the path, if the caller may see it.
pub(crate) async fn path_task(
    state: &AppState,
    caller: &Caller,
    ids: &HashMap<String, String>,
) -> ApiResult<TeamTask> {
    let (dataset, task_id) = path_ids(ids)?;
    Ok(state
        .team_tasks
        .get(&caller.project_id, &dataset, &task_id, &actor(caller))
        .await?)
}

/// The dataset (checked for shape, 404 otherwise) and task ids of a task path.
fn path_ids(ids: &HashMap<String, String>) -> ApiResult<(String, String)> {
    let dataset = ids.get("dataset_id").cloned().unwrap_or_default();
    if !is_resource_id(&dataset) {
        return Err(DomainError::DatasetNotFound(dataset).into());
    }
    let task_id = ids.get("workforce_task_id").cloned().unwrap_or_default();
    Ok((dataset, task_id))
}

/// A `sample_state` query parameter.
pub(crate) fn state_param(p: &HashMap<String, String>) -> ApiResult<Option<SampleState>> {
    param(p, "sample_state")
        .map(|s| {
            SampleState::parse(s).ok_or_else(|| {
                ApiError::invalid(
                    "sample_state",
                    format!("{s:?} is not a documented sample state"),
                )
            })
        })
        .transpose()
}

/// Body of Creating a Team Labeling Task.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTaskRequest {
    task_name: Option<String>,
    description: Option<String>,
    repetition: Option<i64>,
    auto_sync_dataset: Option<bool>,
    synchronize_data: Option<bool>,
    synchronize_auto_labeling_data: Option<bool>,
    data_sync_type: Option<i64>,
    sample_conditions: Option<String>,
    workforces_config: Option<WorkforcesConfig>,
}

/// Creating a Team Labeling Task — the seed: 200 with `task_id`.
async fn create_task(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    ApiJson(req): ApiJson<CreateTaskRequest>,
) -> ApiResult<Json<Value>> {
    let task = state
        .team_tasks
        .create(
            &caller.project_id,
            &dataset_id,
            NewTask {
                fields: TaskFields {
                    name: req.task_name,
                    description: req.description,
                },
                repetition: req.repetition,
                auto_sync_dataset: req.auto_sync_dataset,
                synchronize_data: req.synchronize_data,
                synchronize_auto_labeling_data: req.synchronize_auto_labeling_data,
                data_sync_type: req.data_sync_type,
                sample_conditions: req.sample_conditions,
                workforces_config: req.workforces_config,
            },
            &actor(&caller),
        )
        .await?;
    Ok(Json(json!({ "task_id": task.id })))
}

/// Querying the Team Labeling Task List of a Dataset (seed 001): offset pages, limit
/// 1 to 1000 (default 1000).
async fn list_tasks(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    Query(p): Params,
) -> ApiResult<Json<Value>> {
    let offset = query::offset(&p)?;
    let limit = query::bounded("limit", param(&p, "limit"), 1, 1000, 1000)?;
    let (tasks, count) = state
        .team_tasks
        .list(
            &caller.project_id,
            &dataset_id,
            offset,
            limit,
            &actor(&caller),
        )
        .await?;
    let flags = Flags {
        sample_stats: true,
        workforce_stats: true,
        ..Flags::default()
    };
    let mut views = Vec::with_capacity(tasks.len());
    for t in &tasks {
        views.push(task_view(&state, t, flags).await?);
    }
    Ok(Json(json!({ "count": count, "tasks": views })))
}

/// Querying Details About a Team Labeling Task (seed 004): the stats flags, and the
/// members' progress in `worker_stats`.
async fn task_details(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
    Query(p): Params,
) -> ApiResult<Json<Value>> {
    let task = path_task(&state, &caller, &ids).await?;
    let flag =
        |k: &str| -> ApiResult<bool> { Ok(query::boolean(k, param(&p, k))?.unwrap_or(false)) };
    let flags = Flags {
        label_stats: flag("label_stats")?,
        sample_stats: flag("sample_stats")?,
        workforce_stats: flag("workforce_stats")?,
        worker_stats: true,
    };
    Ok(Json(task_view(&state, &task, flags).await?))
}

/// Body of Starting (and Updating) a Team Labeling Task.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskChange {
    dataset_id: Option<String>,
    task_id: Option<String>,
    task_name: Option<String>,
    description: Option<String>,
    workforces_config: Option<WorkforcesConfig>,
}

impl TaskChange {
    /// The optional body ids must agree with the path.
    fn check_ids(&self, ids: &HashMap<String, String>) -> ApiResult<()> {
        for (field, given, key) in [
            ("dataset_id", &self.dataset_id, "dataset_id"),
            ("task_id", &self.task_id, "workforce_task_id"),
        ] {
            if given.is_some() && given.as_ref() != ids.get(key) {
                return Err(ApiError::invalid(field, "does not match the path"));
            }
        }
        Ok(())
    }
}

/// Starting a Team Labeling Task: 200 `{}`; allocation runs in the background
/// (status 0 until every sample has its labelers).
async fn start_task(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
    body: Option<ApiJson<TaskChange>>,
) -> ApiResult<Json<Value>> {
    let req = body.map(|ApiJson(b)| b).unwrap_or_default();
    req.check_ids(&ids)?;
    if req.task_name.is_some() || req.description.is_some() {
        return Err(ApiError::invalid(
            "task_name",
            "cannot be changed by starting; update the task",
        ));
    }
    let task = path_task(&state, &caller, &ids).await?;
    state
        .team_tasks
        .start(
            &caller.project_id,
            &task.dataset_id,
            &task.id,
            req.workforces_config,
            &actor(&caller),
        )
        .await?;
    state.jobs_queued.notify_one();
    Ok(Json(json!({})))
}

/// Updating a Team Labeling Task: 200 `{}`.
async fn update_task(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
    ApiJson(req): ApiJson<TaskChange>,
) -> ApiResult<Json<Value>> {
    req.check_ids(&ids)?;
    let task = path_task(&state, &caller, &ids).await?;
    state
        .team_tasks
        .update(
            &caller.project_id,
            &task.dataset_id,
            &task.id,
            TaskFields {
                name: req.task_name,
                description: req.description,
            },
            req.workforces_config,
            &actor(&caller),
        )
        .await?;
    Ok(Json(json!({})))
}

/// Deleting a Team Labeling Task: 204.
async fn delete_task(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
) -> ApiResult<StatusCode> {
    let task = path_task(&state, &caller, &ids).await?;
    state
        .team_tasks
        .delete(
            &caller.project_id,
            &task.dataset_id,
            &task.id,
            &actor(&caller),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Querying Details About Team Labeling Task Statistics.
async fn task_stats(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
    Query(p): Params,
) -> ApiResult<Json<Value>> {
    let task = path_task(&state, &caller, &ids).await?;
    let filter = ItemFilter::default().with_state(state_param(&p)?);
    let ds = state
        .team_tasks
        .dataset(&caller.project_id, &task.dataset_id)
        .await?;
    let (samples, stats) = state.team_tasks.stats(&task, &filter).await?;
    let counts = state.team_tasks.sample_stats(&task).await?;
    let mut body = statistics::body(&ds.labels, &stats, samples);
    body.insert("sample_stats".into(), counts_map(&counts));
    body.insert("data_path".into(), json!(ds.input_path()));
    // Splitting needs at least two labeled samples, as for the dataset.
    body.insert(
        "data_spliting_enable".into(),
        json!(counts.total - counts.unannotated >= 2),
    );
    Ok(Json(Value::Object(body)))
}

/// Querying Details About the Progress of a Team Labeling Task Member: per email.
async fn task_metrics(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
) -> ApiResult<Json<Value>> {
    let task = path_task(&state, &caller, &ids).await?;
    let stats = state.team_tasks.member_stats(&task).await?;
    let mut by_email = serde_json::Map::new();
    for s in stats {
        by_email.insert(s.member.email.clone(), counts_map(&s.counts));
    }
    Ok(Json(json!({ "sample_stats": by_email })))
}

/// Body of a notify request (spec Table 2).
#[derive(Debug, Deserialize)]
pub struct NotifyRequest {
    /// Members' addresses.
    pub emails: Vec<String>,
}

/// Sending an Email to a Labeling Team Member: queues one email per member in the
/// outbox (owner or the task's manager); the mailer sends it. Per address: queued,
/// not a member (4604), or an email still waiting (4627).
async fn notify(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
    ApiJson(req): ApiJson<NotifyRequest>,
) -> ApiResult<Json<BatchResponse>> {
    let (dataset, task_id) = path_ids(&ids)?;
    let results = state
        .notices
        .notify(
            &caller.project_id,
            &dataset,
            &task_id,
            &req.emails,
            &actor(&caller),
        )
        .await?;
    state.mail_queued.notify_one();
    Ok(Json(batch_response(results)))
}

/// Querying the Team Labeling Task List by a Team Member: a member's own tasks (the
/// owner sees every member's).
async fn worker_tasks(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Params,
) -> ApiResult<Json<Value>> {
    let by_name = match param(&p, "sort_by") {
        None | Some("create_time") => false,
        Some("workforce_task_name") => true,
        Some(_) => {
            return Err(ApiError::invalid(
                "sort_by",
                "must be create_time or workforce_task_name",
            ))
        }
    };
    let ascending = match param(&p, "order") {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(_) => return Err(ApiError::invalid("order", "must be asc or desc")),
    };
    let q = MemberTaskQuery {
        worker_id: None,
        search_content: param(&p, "search_content").map(str::to_owned),
        by_name,
        ascending,
        offset: query::offset(&p)?,
        limit: query::bounded("limit", param(&p, "limit"), 1, 100, 10)?,
    };
    let (rows, count) = state
        .team_tasks
        .member_tasks(&caller.project_id, q, &actor(&caller))
        .await?;
    // One dataset read per dataset of the page, for its type.
    let mut types: HashMap<String, i32> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for (task, stats) in &rows {
        let dataset_type = match types.get(&task.dataset_id) {
            Some(t) => *t,
            None => {
                let ds = state
                    .team_tasks
                    .dataset(&caller.project_id, &task.dataset_id)
                    .await?;
                types.insert(task.dataset_id.clone(), ds.dataset_type);
                ds.dataset_type
            }
        };
        out.push(member_view(task, stats, dataset_type));
    }
    Ok(Json(json!({ "count": count, "worker_tasks": out })))
}
