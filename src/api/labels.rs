//! Label endpoints — spec/api: querying_the_dataset_label_list, creating_a_dataset_label,
//! modifying_labels_in_batches, deleting_labels_in_batches, updating_a_label_by_label_names,
//! deleting_a_label_and_the_files_that_only_contain_the_label.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{post, put};
use axum::{Json, Router};
use labelhive_domain::label::Label;
use labelhive_domain::services::labels::LabelResult;
use labelhive_domain::store::LabelDeletePolicy;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::auth::Caller;
use super::datasets::requests::{into_labels, LabelInput};
use super::error::{ApiError, ApiResult};
use super::extract::query::param;
use super::extract::{query, ApiJson, DatasetPath};
use crate::app::AppState;

/// Routes of this resource group.
pub fn router() -> Router<AppState> {
    let base = "/datasets/{dataset_id}/data-annotations/labels";
    Router::new()
        .route(
            base,
            axum::routing::get(list_labels)
                .post(create_labels)
                .put(update_labels),
        )
        .route(&format!("{base}/delete"), post(delete_labels))
        .route(
            &format!("{base}/{{label_name}}"),
            put(update_label).delete(delete_label),
        )
}

type Params = Query<HashMap<String, String>>;

/// One item of a batch answer.
#[derive(Debug, Serialize)]
pub struct BatchItem {
    /// Whether the item went through.
    pub success: bool,
    /// ModelArts code when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Message when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_msg: Option<String>,
}

/// A batch answer: `success` is true only when every item went through.
#[derive(Debug, Serialize)]
pub struct BatchResponse {
    /// All items succeeded.
    pub success: bool,
    /// Per item, in request order.
    pub results: Vec<BatchItem>,
}

/// Builds the batch answer from per-item outcomes.
pub fn batch_response<T>(results: Vec<Result<T, labelhive_domain::DomainError>>) -> BatchResponse {
    let items: Vec<BatchItem> = results
        .into_iter()
        .map(|r| match r {
            Ok(_) => BatchItem {
                success: true,
                error_code: None,
                error_msg: None,
            },
            Err(e) => BatchItem {
                success: false,
                error_code: Some(e.code().to_owned()),
                error_msg: Some(e.to_string()),
            },
        })
        .collect();
    BatchResponse {
        success: items.iter().all(|i| i.success),
        results: items,
    }
}

/// Body of the label batch endpoints.
#[derive(Debug, Deserialize)]
pub struct LabelsRequest {
    /// Labels.
    pub labels: Vec<LabelInput>,
}

fn label_type(p: &HashMap<String, String>) -> ApiResult<Option<i32>> {
    query::int("label_type", param(p, "label_type"))?
        .map(|t| {
            i32::try_from(t)
                .ok()
                .filter(|t| labelhive_domain::label::LABEL_TYPES.contains(t))
                .ok_or_else(|| ApiError::invalid("label_type", "is not a documented label type"))
        })
        .transpose()
}

/// Querying the Dataset Label List — spec/api/querying_the_dataset_label_list.md
async fn list_labels(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    Query(p): Params,
) -> ApiResult<Json<Value>> {
    let offset = query::offset(&p)?;
    let limit = query::bounded("limit", param(&p, "limit"), 1, 100_000, 100_000)?;
    let labels = match param(&p, "version_id") {
        // The label set as the version published it.
        Some(vid) => {
            if !labelhive_domain::ids::is_resource_id(vid) {
                return Err(labelhive_domain::DomainError::VersionNotFound(vid.to_owned()).into());
            }
            state
                .versions
                .get(&caller.project_id, &dataset_id, vid)
                .await?;
            let v = state.versions.published(&dataset_id, vid).await?;
            v.labels
                .into_iter()
                .map(|l| Label {
                    name: l.name,
                    label_type: l.label_type,
                    property: l.property,
                    attributes: l.attributes,
                })
                .collect()
        }
        None => {
            state
                .labels
                .dataset(&caller.project_id, &dataset_id)
                .await?
                .labels
        }
    };
    let total = labels.len();
    let skip = usize::try_from(offset.saturating_mul(limit)).unwrap_or(usize::MAX);
    let page: Vec<Label> = labels
        .into_iter()
        .skip(skip)
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    Ok(Json(
        serde_json::json!({ "labels": page, "total_number": total }),
    ))
}

/// The labels of a create or modify request, typed for the dataset they are for.
async fn request_labels(
    state: &AppState,
    caller: &Caller,
    dataset_id: &str,
    req: LabelsRequest,
) -> ApiResult<Vec<Label>> {
    let ds = state.labels.dataset(&caller.project_id, dataset_id).await?;
    Ok(into_labels("labels", ds.kind(), Some(req.labels))?)
}

/// Creating a Dataset Label — spec/api/creating_a_dataset_label.md
async fn create_labels(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    ApiJson(req): ApiJson<LabelsRequest>,
) -> ApiResult<Json<BatchResponse>> {
    let labels = request_labels(&state, &caller, &dataset_id, req).await?;
    let results = state
        .labels
        .create(&caller.project_id, &dataset_id, labels)
        .await?;
    Ok(Json(batch_response(results)))
}

/// Modifying Labels in Batches — spec/api/modifying_labels_in_batches.md
async fn update_labels(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    ApiJson(req): ApiJson<LabelsRequest>,
) -> ApiResult<Json<BatchResponse>> {
    let labels = request_labels(&state, &caller, &dataset_id, req).await?;
    let results = state
        .labels
        .update(&caller.project_id, &dataset_id, labels)
        .await?;
    Ok(Json(batch_response(results)))
}

/// Deleting Labels in Batches — spec/api/deleting_labels_in_batches.md
async fn delete_labels(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    Query(p): Params,
    ApiJson(req): ApiJson<LabelsRequest>,
) -> ApiResult<Json<BatchResponse>> {
    let policy = match query::int("delete_policy", param(&p, "delete_policy"))? {
        None | Some(0) => LabelDeletePolicy::KeepSamples,
        Some(1) => LabelDeletePolicy::DeleteSamples,
        Some(2) => LabelDeletePolicy::DeleteSamplesAndFiles,
        Some(_) => return Err(ApiError::invalid("delete_policy", "must be 0, 1 or 2")),
    };
    let names = req
        .labels
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            l.name
                .ok_or_else(|| ApiError::invalid(&format!("labels[{i}].name"), "is required"))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let (results, deleted): (Vec<LabelResult>, Vec<String>) = state
        .labels
        .delete(&caller.project_id, &dataset_id, names, policy)
        .await?;
    if policy == LabelDeletePolicy::DeleteSamplesAndFiles {
        for path in deleted {
            state.samples.delete_file(&path).await;
        }
    }
    Ok(Json(batch_response(results)))
}

/// Updating a Label by Label Names — spec/api/updating_a_label_by_label_names.md
async fn update_label(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    Path(params): Path<HashMap<String, String>>,
    Query(p): Params,
    ApiJson(property): ApiJson<Map<String, Value>>,
) -> ApiResult<StatusCode> {
    let name = params.get("label_name").cloned().unwrap_or_default();
    let t = label_type(&p)?;
    state
        .labels
        .update_one(&caller.project_id, &dataset_id, &name, t, property)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deleting a Label and the Files that Only Contain the Label —
/// spec/api/deleting_a_label_and_the_files_that_only_contain_the_label.md
async fn delete_label(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    Path(params): Path<HashMap<String, String>>,
    Query(p): Params,
) -> ApiResult<StatusCode> {
    let name = params.get("label_name").cloned().unwrap_or_default();
    let t = label_type(&p)?;
    let delete_source =
        query::boolean("delete_source", param(&p, "delete_source"))?.unwrap_or(false);
    let policy = if delete_source {
        LabelDeletePolicy::DeleteSamplesAndFiles
    } else {
        LabelDeletePolicy::DeleteSamples
    };
    let deleted = state
        .labels
        .delete_one(&caller.project_id, &dataset_id, &name, t, policy)
        .await?;
    if delete_source {
        for path in deleted {
            state.samples.delete_file(&path).await;
        }
    }
    Ok(StatusCode::NO_CONTENT)
}
