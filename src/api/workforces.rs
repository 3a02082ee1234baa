//! Labeling team and member endpoints — spec/api: querying_the_labeling_team_list,
//! creating_a_labeling_team, querying_details_about_a_labeling_team,
//! updating_a_labeling_team, deleting_a_labeling_team,
//! querying_the_list_of_all_labeling_team_members,
//! querying_the_list_of_labeling_team_members, creating_a_labeling_team_member,
//! querying_details_about_labeling_team_members, updating_a_labeling_team_member,
//! deleting_a_labeling_team_member, deleting_labeling_team_members_in_batches.
//!
//! Teams belong to the project owner: a worker's token gets 403 here (all but
//! `worker-tasks`, which is the members' own list).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{get, post};
use axum::{Json, Router};
use labelhive_domain::ids::{is_hex_id, is_resource_id};
use labelhive_domain::workforce::{
    check_role, Worker, WorkerQuery, WorkerSort, Workforce, WorkforceFields, WorkforceQuery,
    WorkforceSort,
};
use labelhive_domain::DomainError;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::query::{self, param};
use super::extract::ApiJson;
use super::labels::{batch_response, BatchResponse};
use crate::app::AppState;

/// Routes of this resource group.
pub fn router() -> Router<AppState> {
    let owner = Router::new()
        .route("/workforces", get(list_teams).post(create_team))
        .route("/workforces/workers", get(list_all_workers))
        .route(
            "/workforces/{workforce_id}",
            get(team_details).put(update_team).delete(delete_team),
        )
        .route(
            "/workforces/{workforce_id}/workers",
            get(list_team_workers).post(add_workers),
        )
        .route(
            "/workforces/{workforce_id}/workers/batch-delete",
            post(delete_workers),
        )
        .route(
            "/workforces/{workforce_id}/workers/{worker_id}",
            get(worker_details).put(update_worker).delete(delete_worker),
        )
        // Inside the authentication layer, so the caller is known here.
        .route_layer(middleware::from_fn(super::auth::owner_only));
    super::team_tasks::worker_tasks_router().merge(owner)
}

type Params = Query<HashMap<String, String>>;
type Ids = Path<HashMap<String, String>>;

/// The `{workforce_id}` path parameter; a malformed id names no team (404).
fn team_id(ids: &HashMap<String, String>) -> ApiResult<String> {
    let id = ids.get("workforce_id").cloned().unwrap_or_default();
    if is_resource_id(&id) {
        Ok(id)
    } else {
        Err(DomainError::WorkforceNotFound(id).into())
    }
}

/// The `{worker_id}` path parameter; a malformed id names no member (404).
fn worker_id(ids: &HashMap<String, String>) -> ApiResult<String> {
    let id = ids.get("worker_id").cloned().unwrap_or_default();
    if is_hex_id(&id) {
        Ok(id)
    } else {
        Err(DomainError::WorkerNotFound(id).into())
    }
}

/// The Workforce object.
fn team_view(w: &Workforce) -> Value {
    json!({
        "workforce_id": w.id,
        "workforce_name": w.name,
        "description": w.description,
        "workspace_id": w.workspace_id,
        "worker_count": w.worker_count,
        "create_time": w.create_time,
        "update_time": w.update_time,
    })
}

/// The Worker object.
fn worker_view(w: &Worker) -> Value {
    json!({
        "worker_id": w.worker_id,
        "workforce_id": w.workforce_id,
        "email": w.email,
        "role": w.role,
        "status": w.status,
        "description": w.description,
        "create_time": w.create_time,
        "update_time": w.update_time,
    })
}

/// `order`: `desc` by default.
fn ascending(p: &HashMap<String, String>) -> ApiResult<bool> {
    match param(p, "order") {
        None | Some("desc") => Ok(false),
        Some("asc") => Ok(true),
        Some(_) => Err(ApiError::invalid("order", "must be asc or desc")),
    }
}

/// `limit` (1 to 100, default 10).
fn limit(p: &HashMap<String, String>) -> ApiResult<i64> {
    query::bounded("limit", param(p, "limit"), 1, 100, 10)
}

/// Body of the team create and update requests (spec Table 2).
#[derive(Debug, Deserialize)]
pub struct TeamRequest {
    /// Free text.
    pub description: Option<String>,
    /// 1 to 64 letters, digits, `_` or `-`.
    pub workforce_name: Option<String>,
}

impl From<TeamRequest> for WorkforceFields {
    fn from(r: TeamRequest) -> Self {
        Self {
            name: r.workforce_name,
            description: r.description,
        }
    }
}

/// Creating a Labeling Team — spec/api/creating_a_labeling_team.md
async fn create_team(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<TeamRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let team = state
        .workforces
        .create(&caller.project_id, req.into())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "workforce_id": team.id })),
    ))
}

/// Querying the Labeling Team List — spec/api/querying_the_labeling_team_list.md
async fn list_teams(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Params,
) -> ApiResult<Json<Value>> {
    let of_task = match param(&p, "workforce_task_id") {
        Some(task) => Some(state.team_tasks.teams_of(&caller.project_id, task).await?),
        None => None,
    };
    let sort_by = match param(&p, "sort_by") {
        None | Some("create_time") => WorkforceSort::CreateTime,
        Some("workforce_name") => WorkforceSort::Name,
        Some(_) => {
            return Err(ApiError::invalid(
                "sort_by",
                "must be create_time or workforce_name",
            ))
        }
    };
    let q = WorkforceQuery {
        ids: of_task,
        search_content: param(&p, "search_content").map(str::to_owned),
        sort_by,
        ascending: ascending(&p)?,
        offset: query::offset(&p)?,
        limit: limit(&p)?,
    };
    let (teams, total) = state.workforces.list(&caller.project_id, &q).await?;
    let views: Vec<Value> = teams.iter().map(team_view).collect();
    Ok(Json(json!({ "total_number": total, "workforces": views })))
}

/// Querying Details About a Labeling Team — spec/api/querying_details_about_a_labeling_team.md
async fn team_details(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
) -> ApiResult<Json<Value>> {
    let team = state
        .workforces
        .get(&caller.project_id, &team_id(&ids)?)
        .await?;
    Ok(Json(team_view(&team)))
}

/// Updating a Labeling Team — spec/api/updating_a_labeling_team.md
async fn update_team(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
    ApiJson(req): ApiJson<TeamRequest>,
) -> ApiResult<Json<Value>> {
    state
        .workforces
        .update(&caller.project_id, &team_id(&ids)?, req.into())
        .await?;
    Ok(Json(json!({})))
}

/// Deleting a Labeling Team — spec/api/deleting_a_labeling_team.md
async fn delete_team(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
) -> ApiResult<StatusCode> {
    state
        .workforces
        .delete(&caller.project_id, &team_id(&ids)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `sort_by` of member lists.
fn worker_query(p: &HashMap<String, String>) -> ApiResult<WorkerQuery> {
    let sort_by = match param(p, "sort_by") {
        None | Some("create_time") => WorkerSort::CreateTime,
        Some("email") => WorkerSort::Email,
        Some(_) => return Err(ApiError::invalid("sort_by", "must be create_time or email")),
    };
    Ok(WorkerQuery {
        sort_by,
        ascending: ascending(p)?,
        offset: query::offset(p)?,
        limit: limit(p)?,
        ..WorkerQuery::default()
    })
}

fn workers_page(workers: &[Worker], total: i64) -> Json<Value> {
    let views: Vec<Value> = workers.iter().map(worker_view).collect();
    Json(json!({ "total_number": total, "workers": views }))
}

/// Querying the List of All Labeling Team Members —
/// spec/api/querying_the_list_of_all_labeling_team_members.md. `role` defaults to 0
/// (labelers), as documented.
async fn list_all_workers(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Params,
) -> ApiResult<Json<Value>> {
    let role = query::int("role", param(&p, "role"))?.unwrap_or(0);
    let q = WorkerQuery {
        role: Some(check_role(role, false)?),
        ..worker_query(&p)?
    };
    let (workers, total) = state
        .workforces
        .list_workers(&caller.project_id, &q)
        .await?;
    Ok(workers_page(&workers, total))
}

/// Querying the List of Labeling Team Members —
/// spec/api/querying_the_list_of_labeling_team_members.md
async fn list_team_workers(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
    Query(p): Params,
) -> ApiResult<Json<Value>> {
    let q = WorkerQuery {
        workforce_id: Some(team_id(&ids)?),
        ..worker_query(&p)?
    };
    let (workers, total) = state
        .workforces
        .list_workers(&caller.project_id, &q)
        .await?;
    Ok(workers_page(&workers, total))
}

/// A role as sent: an integer, or the example's numeric string (`"2"`).
fn role_of(v: &Value, allow_owner: bool) -> ApiResult<i32> {
    let n = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
    .ok_or_else(|| ApiError::invalid("role", "must be an integer"))?;
    Ok(check_role(n, allow_owner)?)
}

/// Body of the member create request (spec Table 2).
#[derive(Debug, Deserialize)]
pub struct AddWorkersRequest {
    /// Free text.
    pub description: Option<String>,
    /// One address, or several separated by commas.
    pub emails: String,
    /// 0 labeler, 1 reviewer, 2 team manager.
    pub role: Value,
}

/// Creating a Labeling Team Member — spec/api/creating_a_labeling_team_member.md
async fn add_workers(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
    ApiJson(req): ApiJson<AddWorkersRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let role = role_of(&req.role, false)?;
    state
        .workforces
        .add_workers(
            &caller.project_id,
            &team_id(&ids)?,
            &req.emails,
            role,
            req.description.as_deref().unwrap_or_default(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(json!({}))))
}

/// Querying Details About Labeling Team Members —
/// spec/api/querying_details_about_labeling_team_members.md
async fn worker_details(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
) -> ApiResult<Json<Value>> {
    let w = state
        .workforces
        .worker(&caller.project_id, &team_id(&ids)?, &worker_id(&ids)?)
        .await?;
    Ok(Json(worker_view(&w)))
}

/// Body of the member update request (spec Table 2).
#[derive(Debug, Deserialize)]
pub struct UpdateWorkerRequest {
    /// Free text.
    pub description: Option<String>,
    /// 0 to 3.
    pub role: Option<Value>,
}

/// Updating a Labeling Team Member — spec/api/updating_a_labeling_team_member.md
async fn update_worker(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
    ApiJson(req): ApiJson<UpdateWorkerRequest>,
) -> ApiResult<Json<Value>> {
    let role = req.role.as_ref().map(|r| role_of(r, true)).transpose()?;
    state
        .workforces
        .update_worker(
            &caller.project_id,
            &team_id(&ids)?,
            &worker_id(&ids)?,
            role,
            req.description.as_deref(),
        )
        .await?;
    Ok(Json(json!({})))
}

/// Deleting a Labeling Team Member — spec/api/deleting_a_labeling_team_member.md
async fn delete_worker(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
) -> ApiResult<StatusCode> {
    let id = worker_id(&ids)?;
    let mut results = state
        .workforces
        .delete_workers(
            &caller.project_id,
            &team_id(&ids)?,
            std::slice::from_ref(&id),
        )
        .await?;
    match results.pop() {
        Some(Err(e)) => Err(e.into()),
        _ => Ok(StatusCode::NO_CONTENT),
    }
}

/// Members one batch delete may name.
const MAX_BATCH_DELETE: usize = 1000;

/// Body of the batch delete request (spec Table 2).
#[derive(Debug, Deserialize)]
pub struct DeleteWorkersRequest {
    /// Member ids.
    pub workers: Vec<String>,
}

/// Deleting Labeling Team Members in Batches —
/// spec/api/deleting_labeling_team_members_in_batches.md
async fn delete_workers(
    State(state): State<AppState>,
    caller: Caller,
    Path(ids): Ids,
    ApiJson(req): ApiJson<DeleteWorkersRequest>,
) -> ApiResult<Json<BatchResponse>> {
    if req.workers.is_empty() || req.workers.len() > MAX_BATCH_DELETE {
        return Err(ApiError::invalid(
            "workers",
            format!("must list 1 to {MAX_BATCH_DELETE} member ids"),
        ));
    }
    let results = state
        .workforces
        .delete_workers(&caller.project_id, &team_id(&ids)?, &req.workers)
        .await?;
    Ok(Json(batch_response(results)))
}
