//! Version endpoints — spec/api: querying_the_dataset_version_list,
//! creating_a_dataset_labeling_version, querying_details_about_a_dataset_version,
//! deleting_a_dataset_labeling_version.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use labelhive_domain::dataset::Dataset;
use labelhive_domain::ids::is_resource_id;
use labelhive_domain::store::VersionQuery;
use labelhive_domain::version::{status, NewVersion, Version};
use labelhive_domain::DomainError;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Caller;
use super::datasets::parse_ratio_range;
use super::error::{ApiError, ApiResult};
use super::extract::query::param;
use super::extract::{query, ApiJson, DatasetPath};
use crate::app::AppState;

/// Routes of this resource group.
pub fn router() -> Router<AppState> {
    let base = "/datasets/{dataset_id}/versions";
    Router::new()
        .route(base, get(list_versions).post(create_version))
        .route(
            &format!("{base}/{{version_id}}"),
            get(version_details).delete(delete_version),
        )
}

type Params = Query<HashMap<String, String>>;

/// The `{version_id}` path parameter; a malformed id names no version (404).
fn version_id(params: &HashMap<String, String>) -> ApiResult<String> {
    let id = params.get("version_id").cloned().unwrap_or_default();
    if is_resource_id(&id) {
        Ok(id)
    } else {
        Err(DomainError::VersionNotFound(id).into())
    }
}

/// Body of the create request (spec Table 2).
#[derive(Debug, Deserialize)]
pub struct CreateVersionRequest {
    /// Default true.
    pub clear_hard_property: Option<bool>,
    /// Default empty.
    pub description: Option<String>,
    /// Default false.
    pub export_images: Option<bool>,
    /// Default true.
    pub remove_sample_usage: Option<bool>,
    /// Default "1.00".
    pub train_evaluate_sample_ratio: Option<String>,
    /// Default "Default".
    pub version_format: Option<String>,
    /// Default `Vnnn`.
    pub version_name: Option<String>,
    /// Default true.
    pub with_column_header: Option<bool>,
}

impl From<CreateVersionRequest> for NewVersion {
    fn from(r: CreateVersionRequest) -> Self {
        Self {
            name: r.version_name,
            description: r.description.unwrap_or_default(),
            clear_hard_property: r.clear_hard_property.unwrap_or(true),
            remove_sample_usage: r.remove_sample_usage.unwrap_or(true),
            export_images: r.export_images.unwrap_or(false),
            with_column_header: r.with_column_header.unwrap_or(true),
            train_evaluate_sample_ratio: r
                .train_evaluate_sample_ratio
                .unwrap_or_else(|| "1.00".to_owned()),
            version_format: r.version_format.unwrap_or_else(|| "Default".to_owned()),
        }
    }
}

/// The DatasetVersion object of the list and details pages.
pub fn version_view(ds: &Dataset, v: &Version) -> Value {
    let tags = ds.kind().tags();
    json!({
        "version_id": v.id,
        "version_name": v.name,
        "version_format": v.version_format,
        "description": v.description,
        "status": v.status,
        "message": v.message,
        "previous_version_id": v.previous_version_id,
        "is_current": ds.current_version_id.as_deref() == Some(v.id.as_str()),
        "create_time": v.create_time,
        "update_time": v.update_time,
        "total_sample_count": v.total_sample_count,
        "annotated_sample_count": v.annotated_sample_count,
        "total_sub_sample_count": 0,
        "annotated_sub_sample_count": 0,
        "label_stats": v.labels,
        "label_type": v.label_type,
        "manifest_path": v.manifest_path,
        "data_path": v.data_path,
        "train_evaluate_sample_ratio": v.train_evaluate_sample_ratio,
        "clear_hard_property": v.clear_hard_property,
        "remove_sample_usage": v.remove_sample_usage,
        "export_images": v.export_images,
        "with_column_header": v.with_column_header,
        "task_type": v.task_type,
        "tags": tags,
        "extract_serial_number": false,
        "include_dataset_data": v.export_images,
        "crop": false,
        "rotate": false,
        "data_validate": false,
        "start_processor_task": false,
    })
}

/// Creating a Dataset Labeling Version — spec/api/creating_a_dataset_labeling_version.md
async fn create_version(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    ApiJson(req): ApiJson<CreateVersionRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let v = state
        .versions
        .create(&caller.project_id, &dataset_id, req.into())
        .await?;
    state.jobs_queued.notify_one();
    Ok((StatusCode::CREATED, Json(json!({ "version_id": v.id }))))
}

/// Querying the Dataset Version List — spec/api/querying_the_dataset_version_list.md
async fn list_versions(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    Query(p): Params,
) -> ApiResult<Json<Value>> {
    let status = match query::int("status", param(&p, "status"))? {
        None => None,
        Some(s) if (i64::from(status::CREATING)..=i64::from(status::ERROR)).contains(&s) => {
            i32::try_from(s).ok()
        }
        Some(_) => return Err(ApiError::invalid("status", "must be 0, 1, 2, 3 or 4")),
    };
    let version_format = match query::int("version_format", param(&p, "version_format"))? {
        None => None,
        Some(0) => Some("Default".to_owned()),
        Some(1) => Some("CarbonData".to_owned()),
        Some(2) => Some("CSV".to_owned()),
        Some(_) => return Err(ApiError::invalid("version_format", "must be 0, 1 or 2")),
    };
    let q = VersionQuery {
        status,
        ratio: param(&p, "train_evaluate_ratio")
            .map(parse_ratio_range)
            .transpose()?,
        version_format,
        offset: query::offset(&p)?,
        limit: query::bounded("limit", param(&p, "limit"), 1, 1000, 1000)?,
    };
    let (ds, versions, total) = state
        .versions
        .list(&caller.project_id, &dataset_id, &q)
        .await?;
    let views: Vec<Value> = versions.iter().map(|v| version_view(&ds, v)).collect();
    Ok(Json(json!({ "total_number": total, "versions": views })))
}

/// Querying Details About a Dataset Version — spec/api/querying_details_about_a_dataset_version.md
async fn version_details(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let vid = version_id(&params)?;
    let (ds, v) = state
        .versions
        .get(&caller.project_id, &dataset_id, &vid)
        .await?;
    Ok(Json(version_view(&ds, &v)))
}

/// Deleting a Dataset Labeling Version — spec/api/deleting_a_dataset_labeling_version.md
async fn delete_version(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult<StatusCode> {
    let vid = version_id(&params)?;
    state
        .versions
        .delete(&caller.project_id, &dataset_id, &vid)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
