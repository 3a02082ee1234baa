//! Dataset endpoints — spec/api: querying_the_dataset_list, creating_a_dataset,
//! querying_details_about_a_dataset, modifying_a_dataset, deleting_a_dataset,
//! querying_the_monitoring_data_of_a_dataset.

pub mod requests;
pub mod views;

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use labelhive_domain::dataset::{DatasetQuery, DatasetSort, NewDataset, DATASET_TYPES};
use labelhive_domain::job::running_task_type;
use labelhive_domain::store::RunningJob;
use serde::Serialize;
use serde_json::{json, Value};

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::query::param;
use super::extract::{query, ApiJson, DatasetPath};
use crate::app::AppState;
use requests::{CreateDatasetRequest, UpdateDatasetRequest};
use views::{DatasetView, ViewExtras};

/// Routes of this resource group.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/datasets", get(list_datasets).post(create_dataset))
        .route(
            "/datasets/{dataset_id}",
            get(show_dataset).put(update_dataset).delete(delete_dataset),
        )
        .route("/datasets/{dataset_id}/metrics", get(show_dataset_metrics))
}

type Params = Query<HashMap<String, String>>;

/// `running_task_type`, checked against its documented range.
fn running_type_filter(params: &HashMap<String, String>) -> ApiResult<Option<i32>> {
    let t = query::int("running_task_type", param(params, "running_task_type"))?;
    match t {
        Some(v) if !(0..=7).contains(&v) => Err(ApiError::invalid(
            "running_task_type",
            "must be between 0 and 7",
        )),
        Some(v) => Ok(i32::try_from(v).ok()),
        None => Ok(None),
    }
}

/// Ids of the jobs per dataset, filtered by `running_task_type`.
fn running_by_dataset(
    jobs: Vec<RunningJob>,
    type_filter: Option<i32>,
) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for job in jobs {
        if type_filter.is_none_or(|t| running_task_type(&job.kind) == Some(t)) {
            out.entry(job.dataset_id).or_default().push(job.job_id);
        }
    }
    out
}

/// The list query, each parameter checked against its documented values.
fn dataset_query(p: &HashMap<String, String>) -> ApiResult<DatasetQuery> {
    let dataset_type = query::int("dataset_type", param(p, "dataset_type"))?
        .map(|t| {
            i32::try_from(t)
                .ok()
                .filter(|t| DATASET_TYPES.contains(t))
                .ok_or_else(|| {
                    ApiError::invalid("dataset_type", format!("must be one of {DATASET_TYPES:?}"))
                })
        })
        .transpose()?;
    let ascending = match param(p, "order") {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(_) => return Err(ApiError::invalid("order", "must be asc or desc")),
    };
    let sort_by = match param(p, "sort_by") {
        None | Some("create_time") => DatasetSort::CreateTime,
        Some("dataset_name") => DatasetSort::Name,
        Some(_) => {
            return Err(ApiError::invalid(
                "sort_by",
                "must be create_time or dataset_name",
            ))
        }
    };
    let version_format = match query::int("version_format", param(p, "version_format"))? {
        None => None,
        Some(0) => Some("Default".to_owned()),
        Some(1) => Some("CarbonData".to_owned()),
        Some(2) => Some("CSV".to_owned()),
        Some(_) => return Err(ApiError::invalid("version_format", "must be 0, 1 or 2")),
    };
    let train_evaluate_ratio = param(p, "train_evaluate_ratio")
        .map(parse_ratio_range)
        .transpose()?;
    match param(p, "dataset_version") {
        None | Some("v1" | "v2" | "all") => {}
        Some(_) => {
            return Err(ApiError::invalid(
                "dataset_version",
                "must be v1, v2 or all",
            ))
        }
    }
    Ok(DatasetQuery {
        dataset_type,
        contain_versions: query::boolean("contain_versions", param(p, "contain_versions"))?,
        support_export: query::boolean("support_export", param(p, "support_export"))?
            .unwrap_or(false),
        search_content: param(p, "search_content").map(str::to_owned),
        workspace_id: param(p, "workspace_id").map(str::to_owned),
        train_evaluate_ratio,
        version_format,
        sort_by,
        ascending,
        offset: query::offset(p)?,
        limit: query::bounded("limit", param(p, "limit"), 1, 100, 10)?,
    })
}

/// `"0.0,1.0"`: a minimum and a maximum split ratio, each within 0..=1.
pub(crate) fn parse_ratio_range(raw: &str) -> ApiResult<(f64, f64)> {
    let bad = || {
        ApiError::invalid(
            "train_evaluate_ratio",
            "must be two numbers between 0 and 1, such as 0.0,1.0",
        )
    };
    let (lo, hi) = raw.split_once(',').ok_or_else(bad)?;
    let lo: f64 = lo.trim().parse().map_err(|_| bad())?;
    let hi: f64 = hi.trim().parse().map_err(|_| bad())?;
    if !(0.0..=1.0).contains(&lo) || !(0.0..=1.0).contains(&hi) || lo > hi {
        return Err(bad());
    }
    Ok((lo, hi))
}

/// Response of Querying the Dataset List.
#[derive(Debug, Serialize)]
pub struct ListDatasetsResponse {
    /// The page.
    pub datasets: Vec<DatasetView>,
    /// Datasets matching the filters.
    pub total_number: i64,
}

/// Querying the Dataset List — spec/api/querying_the_dataset_list.md
async fn list_datasets(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Params,
) -> ApiResult<Json<ListDatasetsResponse>> {
    let q = dataset_query(&p)?;
    query::boolean("check_running_task", param(&p, "check_running_task"))?;
    let with_labels = query::boolean("with_labels", param(&p, "with_labels"))?.unwrap_or(false);
    let file_preview = query::boolean("file_preview", param(&p, "file_preview"))?.unwrap_or(false);
    let type_filter = running_type_filter(&p)?;
    let (datasets, total_number) = state.datasets.list(&caller.project_id, &q).await?;
    let ids: Vec<String> = datasets.iter().map(|d| d.id.clone()).collect();
    let mut running = running_by_dataset(state.datasets.running_jobs(&ids).await?, type_filter);
    let team_tasks: HashMap<String, i64> = team_task_counts(&state, &ids).await?;
    let mut views = Vec::with_capacity(datasets.len());
    for ds in datasets {
        let previews = if file_preview {
            Some(state.datasets.previews(&ds.id).await?)
        } else {
            None
        };
        let extras = ViewExtras {
            with_labels,
            running_tasks: running.remove(&ds.id).unwrap_or_default(),
            previews,
            team_tasks: team_tasks.get(&ds.id).copied().unwrap_or(0),
        };
        views.push(DatasetView::new(ds, extras));
    }
    Ok(Json(ListDatasetsResponse {
        datasets: views,
        total_number,
    }))
}

/// Response of Creating a Dataset.
#[derive(Debug, Serialize)]
pub struct CreateDatasetResponse {
    /// The new dataset.
    pub dataset_id: String,
    /// The import job registering the files under its input path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_task_id: Option<String>,
}

/// Creating a Dataset — spec/api/creating_a_dataset.md
async fn create_dataset(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CreateDatasetRequest>,
) -> ApiResult<(StatusCode, Json<CreateDatasetResponse>)> {
    let new = NewDataset::try_from(req)?;
    let ds = state.datasets.create(&caller.project_id, new).await?;
    state.jobs_queued.notify_one();
    tracing::info!(dataset.id = %ds.id, "dataset created");
    Ok((
        StatusCode::CREATED,
        Json(CreateDatasetResponse {
            dataset_id: ds.id,
            import_task_id: ds.import_task_id,
        }),
    ))
}

/// Querying Details About a Dataset — spec/api/querying_details_about_a_dataset.md
async fn show_dataset(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    Query(p): Params,
) -> ApiResult<Json<DatasetView>> {
    query::boolean("check_running_task", param(&p, "check_running_task"))?;
    let type_filter = running_type_filter(&p)?;
    let ds = state.datasets.get(&caller.project_id, &dataset_id).await?;
    let jobs = state
        .datasets
        .running_jobs(std::slice::from_ref(&ds.id))
        .await?;
    let running_tasks = running_by_dataset(jobs, type_filter)
        .remove(&ds.id)
        .unwrap_or_default();
    let extras = ViewExtras {
        with_labels: true,
        running_tasks,
        previews: None,
        team_tasks: team_task_counts(&state, std::slice::from_ref(&ds.id))
            .await?
            .get(&ds.id)
            .copied()
            .unwrap_or(0),
    };
    // The spec's `versions` holds the current version only.
    let current = match &ds.current_version_id {
        Some(vid) => state
            .store
            .version(&ds.id, vid)
            .await
            .map_err(labelhive_domain::DomainError::from)?
            .map(|v| super::versions::version_view(&ds, &v)),
        None => None,
    };
    let mut view = DatasetView::new(ds, extras);
    view.versions = current.into_iter().collect();
    Ok(Json(view))
}

/// Modifying a Dataset — spec/api/modifying_a_dataset.md
async fn update_dataset(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    ApiJson(req): ApiJson<UpdateDatasetRequest>,
) -> ApiResult<Json<Value>> {
    // The type never changes, so reading it before the transaction is safe.
    let kind = state
        .datasets
        .get(&caller.project_id, &dataset_id)
        .await?
        .kind();
    let update = req.into_update(kind)?;
    let ds = state
        .datasets
        .update(&caller.project_id, &dataset_id, update)
        .await?;
    Ok(Json(json!({ "dataset_id": ds.id })))
}

/// Deleting a Dataset — spec/api/deleting_a_dataset.md
async fn delete_dataset(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
) -> ApiResult<StatusCode> {
    state
        .datasets
        .delete(&caller.project_id, &dataset_id)
        .await?;
    tracing::info!(dataset.id = %dataset_id, "dataset deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Querying the Monitoring Data of a Dataset — spec/api/querying_the_monitoring_data_of_a_dataset.md
async fn show_dataset_metrics(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    Query(p): Params,
) -> ApiResult<Json<Value>> {
    let start = query::int("start_time", param(&p, "start_time"))?
        .ok_or_else(|| ApiError::invalid("start_time", "is required"))?;
    let end = query::int("end_time", param(&p, "end_time"))?
        .ok_or_else(|| ApiError::invalid("end_time", "is required"))?;
    if let Some(task) = param(&p, "workforce_task_id") {
        // No team labeling task can exist before the team labeling service does.
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "ModelArts.4338",
            format!("The team labeling task does not exist: {task}"),
        ));
    }
    let points = state
        .datasets
        .metrics(&caller.project_id, &dataset_id, start, end)
        .await?;
    let mut total = BTreeMap::new();
    let mut un_annotation = BTreeMap::new();
    let mut manual = BTreeMap::new();
    for point in points {
        let t = point.time.to_string();
        total.insert(t.clone(), point.total);
        un_annotation.insert(t.clone(), point.total - point.annotated);
        manual.insert(t, point.annotated);
    }
    // The auto-labeling series stay empty: Labelhive has run no auto labeling.
    let empty = BTreeMap::<String, i64>::new();
    Ok(Json(json!({
        "metrics": {
            "total": total,
            "un_annotation": un_annotation,
            "manual_annotation": manual,
            "failed_user": empty,
            "queuing": empty,
            "success": empty,
            "unfinished": empty,
            "failed": empty,
            "failed_system": empty,
        }
    })))
}

/// Team labeling tasks per dataset of a page (one query).
async fn team_task_counts(state: &AppState, ids: &[String]) -> ApiResult<HashMap<String, i64>> {
    let counts = state
        .store
        .team_task_counts(ids)
        .await
        .map_err(labelhive_domain::DomainError::from)?;
    Ok(counts.into_iter().collect())
}
