//! Sample endpoints — spec/api: adding_samples_in_batches, obtaining_a_sample_list,
//! obtaining_details_about_a_sample, deleting_samples_in_batches,
//! updating_sample_labels_in_batches.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use labelhive_domain::annotation::{SampleLabel, SampleMetadata};
use labelhive_domain::sample::{parse_usage, Sample, SamplePage, USAGES};
use labelhive_domain::search::sample_filter;
use labelhive_domain::services::samples::{LabelUpdate, SampleInput};
use labelhive_domain::team_task::Labeler;
use labelhive_domain::workforce::{check_email, worker_id_for};
use labelhive_domain::DomainError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::query::param;
use super::extract::{query, ApiJson, DatasetPath};
use super::labels::{batch_response, BatchResponse};
use crate::app::AppState;

/// Routes of this resource group.
pub fn router() -> Router<AppState> {
    let base = "/datasets/{dataset_id}/data-annotations";
    Router::new()
        .route(
            &format!("{base}/samples"),
            get(list_samples)
                .post(add_samples)
                .put(update_sample_labels),
        )
        .route(&format!("{base}/samples/delete"), post(delete_samples))
        .route(&format!("{base}/samples/{{sample_id}}"), get(show_sample))
}

type Params = Query<HashMap<String, String>>;

/// `data_source` of a sample.
#[derive(Debug, Deserialize)]
pub struct SampleSource {
    /// Path of an existing file.
    pub data_path: Option<String>,
    /// 0: OBS (the only kind read).
    pub data_type: Option<i32>,
}

/// One sample of Adding Samples in Batches.
#[derive(Debug, Deserialize)]
pub struct AddSample {
    /// Base64 file bytes.
    pub data: Option<String>,
    /// An existing file instead.
    pub data_source: Option<SampleSource>,
    /// UTF-8 (the only encoding accepted for text).
    pub encoding: Option<String>,
    /// Labels.
    pub labels: Option<Vec<SampleLabel>>,
    /// Metadata.
    pub metadata: Option<SampleMetadata>,
    /// File name.
    pub name: Option<String>,
    /// Sample type (must match the dataset's).
    pub sample_type: Option<i32>,
}

/// Body of Adding Samples in Batches.
#[derive(Debug, Deserialize)]
pub struct AddSamplesRequest {
    /// Final annotation (default true); false puts labels up for confirmation.
    pub final_annotation: Option<bool>,
    /// Text label format (accepted; text files are stored as sent).
    pub label_format: Option<labelhive_domain::dataset::LabelFormat>,
    /// Samples.
    pub samples: Vec<AddSample>,
}

/// One item of the add answer (`UploadSampleResp`).
#[derive(Debug, Serialize)]
pub struct UploadSampleResp {
    /// Whether it was added.
    pub success: bool,
    /// The stored path (or the given name on failure).
    pub name: String,
    /// The sample id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info: Option<String>,
    /// Code on failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Message on failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_msg: Option<String>,
}

fn to_input(i: usize, s: AddSample) -> Result<SampleInput, DomainError> {
    let f = format!("samples[{i}]");
    if let Some(enc) = &s.encoding {
        if !enc.eq_ignore_ascii_case("utf-8") {
            return Err(DomainError::Unsupported(format!(
                "{f}.encoding {enc}: only UTF-8"
            )));
        }
    }
    if let Some(src) = &s.data_source {
        if src.data_type.unwrap_or(0) != 0 {
            return Err(DomainError::Unsupported(format!(
                "{f}.data_source.data_type: only 0 (OBS)"
            )));
        }
    }
    let data = s
        .data
        .map(|d| {
            base64::engine::general_purpose::STANDARD
                .decode(d.trim())
                .map_err(|e| DomainError::invalid(format!("{f}.data"), format!("not base64: {e}")))
        })
        .transpose()?;
    Ok(SampleInput {
        name: s.name,
        data,
        data_path: s.data_source.and_then(|d| d.data_path),
        labels: s.labels.unwrap_or_default(),
        metadata: s.metadata.unwrap_or_default(),
    })
}

/// Adding Samples in Batches — spec/api/adding_samples_in_batches.md
async fn add_samples(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    ApiJson(req): ApiJson<AddSamplesRequest>,
) -> ApiResult<Json<Value>> {
    let ds = state.datasets.get(&caller.project_id, &dataset_id).await?;
    let mut inputs = Vec::with_capacity(req.samples.len());
    let mut early: Vec<Option<(String, DomainError)>> = Vec::with_capacity(req.samples.len());
    for (i, s) in req.samples.into_iter().enumerate() {
        let shown = s.name.clone().unwrap_or_default();
        if let Some(t) = s.sample_type {
            if t != ds.kind().sample_type() {
                early.push(Some((
                    shown,
                    DomainError::invalid(
                        format!("samples[{i}].sample_type"),
                        "does not match the dataset",
                    ),
                )));
                continue;
            }
        }
        match to_input(i, s) {
            Ok(input) => {
                inputs.push(input);
                early.push(None);
            }
            Err(e) => early.push(Some((shown, e))),
        }
    }
    if early.is_empty() {
        return Err(ApiError::invalid("samples", "must hold 1 to 1000 samples"));
    }
    let done = if inputs.is_empty() {
        Vec::new()
    } else {
        state
            .samples
            .add(
                &caller.project_id,
                &dataset_id,
                inputs,
                req.final_annotation.unwrap_or(true),
            )
            .await?
    };
    // Team tasks with synchronize_data take the new samples at once.
    let added: Vec<String> = done
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok().cloned())
        .collect();
    if !added.is_empty() {
        if let Err(e) = state
            .team_tasks
            .allocate_arrivals(&dataset_id, &added)
            .await
        {
            tracing::warn!(error = %e, "allocating new samples to team tasks failed");
        }
    }
    let mut done = done.into_iter();
    let results: Vec<UploadSampleResp> = early
        .into_iter()
        .map(|e| {
            match e.or_else(|| {
                done.next()
                    .and_then(|(name, r)| r.err().map(|err| (name, err)))
            }) {
                Some((name, err)) => UploadSampleResp {
                    success: false,
                    name,
                    info: None,
                    error_code: Some(err.code().to_owned()),
                    error_msg: Some(err.to_string()),
                },
                None => UploadSampleResp {
                    success: true,
                    name: String::new(),
                    info: None,
                    error_code: None,
                    error_msg: None,
                },
            }
        })
        .collect();
    Ok(Json(
        json!({ "success": results.iter().all(|r| r.success), "results": results }),
    ))
}

/// One sample as listed and shown (`DescribeSampleResp`).
#[derive(Debug, Serialize)]
#[allow(missing_docs)]
pub struct SampleView {
    pub labels: Vec<SampleLabel>,
    pub metadata: SampleMetadata,
    pub sample_dir: String,
    pub sample_id: String,
    pub sample_name: String,
    pub sample_size: i64,
    pub sample_status: String,
    pub sample_time: i64,
    pub sample_type: i32,
    pub source: String,
    pub labelers: Vec<Value>,
    pub hard_details: BTreeMap<String, Value>,
}

impl From<Sample> for SampleView {
    fn from(s: Sample) -> Self {
        let dir = s
            .path
            .rsplit_once('/')
            .map_or_else(|| "/".to_owned(), |(d, _)| format!("{d}/"));
        Self {
            labels: s.labels,
            metadata: s.metadata,
            sample_dir: dir,
            sample_id: s.id,
            sample_name: s.name,
            sample_size: s.size,
            sample_status: s.status,
            sample_time: s.create_time,
            sample_type: s.sample_type,
            source: s.path,
            labelers: Vec::new(),
            hard_details: BTreeMap::new(),
        }
    }
}

/// Obtaining a Sample List — spec/api/obtaining_a_sample_list.md
async fn list_samples(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    Query(p): Params,
) -> ApiResult<Json<Value>> {
    let member = member_param(&p, &caller.project_id)?;
    // The query layer has already URL-decoded search_conditions.
    let mut filter = sample_filter(
        param(&p, "sample_state"),
        param(&p, "label_name"),
        param(&p, "label_type"),
        param(&p, "low_score"),
        param(&p, "high_score"),
        param(&p, "search_conditions"),
        labelhive_domain::time::now_ms(),
    )?;
    let ascending = match param(&p, "order") {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(_) => return Err(ApiError::invalid("order", "must be asc or desc")),
    };
    filter.sample_type = labelhive_domain::search::sample_type(param(&p, "sample_type"))?;
    query::boolean("preview", param(&p, "preview"))?;
    let page = SamplePage {
        ascending,
        offset: query::offset(&p)?,
        limit: query::bounded("limit", param(&p, "limit"), 1, 100, 10)?,
    };
    let (samples, count, labelers) = match param(&p, "version_id") {
        // A published version's samples, as they were published.
        Some(vid) => {
            if member.is_some() {
                return Err(ApiError::invalid(
                    "email",
                    "a published version keeps no team labeling",
                ));
            }
            if !labelhive_domain::ids::is_resource_id(vid) {
                return Err(DomainError::VersionNotFound(vid.to_owned()).into());
            }
            state
                .versions
                .get(&caller.project_id, &dataset_id, vid)
                .await?;
            // A published version keeps no team labeling: no labelers.
            let (samples, count) = state
                .versions
                .list_samples(&dataset_id, vid, &filter, page)
                .await?;
            (samples, count, Vec::new())
        }
        None => {
            let filter = filter.on_team_items(member);
            state
                .samples
                .list(&caller.project_id, &dataset_id, &filter, page)
                .await?
        }
    };
    let mut views: Vec<SampleView> = samples.into_iter().map(SampleView::from).collect();
    attach_labelers(&mut views, &labelers);
    Ok(Json(json!({ "sample_count": count, "samples": views })))
}

/// The `email` parameter: a team member, as the worker id the address gives in this
/// project.
pub(super) fn member_param(
    p: &HashMap<String, String>,
    project_id: &str,
) -> ApiResult<Option<String>> {
    param(p, "email")
        .map(|e| {
            check_email(e)
                .map(|email| worker_id_for(project_id, &email))
                .map_err(|_| ApiError::invalid("email", format!("{e:?} is not an email address")))
        })
        .transpose()
}

/// Fills each view's `labelers` (Worker objects) from rows sorted by sample.
fn attach_labelers(views: &mut [SampleView], labelers: &[Labeler]) {
    for v in views {
        v.labelers = labelers
            .iter()
            .filter(|l| l.sample_id == v.sample_id)
            .map(|l| {
                json!({
                    "email": l.email,
                    "worker_id": l.worker_id,
                    "role": l.role,
                    "workforce_id": l.workforce_id,
                })
            })
            .collect();
    }
}

/// Obtaining Details About a Sample — spec/api/obtaining_details_about_a_sample.md
async fn show_sample(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult<Json<SampleView>> {
    let sample_id = params.get("sample_id").cloned().unwrap_or_default();
    let (sample, labelers) = state
        .samples
        .details(&caller.project_id, &dataset_id, &sample_id)
        .await?;
    let mut view = [SampleView::from(sample)];
    attach_labelers(&mut view, &labelers);
    let [view] = view;
    Ok(Json(view))
}

/// Body of Deleting Samples in Batches.
#[derive(Debug, Deserialize)]
pub struct DeleteSamplesRequest {
    /// Delete the files too.
    pub delete_source: Option<bool>,
    /// Sample ids.
    pub samples: Vec<String>,
}

/// Deleting Samples in Batches — spec/api/deleting_samples_in_batches.md
async fn delete_samples(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    ApiJson(req): ApiJson<DeleteSamplesRequest>,
) -> ApiResult<Json<BatchResponse>> {
    let results = state
        .samples
        .delete(
            &caller.project_id,
            &dataset_id,
            req.samples,
            req.delete_source.unwrap_or(false),
        )
        .await?;
    Ok(Json(batch_response(results)))
}

/// One sample of Updating Sample Labels in Batches.
#[derive(Debug, Deserialize)]
pub struct SampleLabels {
    /// The new labels; empty or missing clears them.
    pub labels: Option<Vec<SampleLabel>>,
    /// New metadata.
    pub metadata: Option<SampleMetadata>,
    /// The sample.
    pub sample_id: Option<String>,
    /// `TRAIN`, `EVAL`, `TEST` or `INFERENCE`.
    pub sample_usage: Option<String>,
}

/// Body of Updating Sample Labels in Batches.
#[derive(Debug, Deserialize)]
pub struct UpdateSampleLabelsRequest {
    /// Samples.
    pub samples: Vec<SampleLabels>,
}

/// Updating Sample Labels in Batches — spec/api/updating_sample_labels_in_batches.md
async fn update_sample_labels(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    ApiJson(req): ApiJson<UpdateSampleLabelsRequest>,
) -> ApiResult<Json<BatchResponse>> {
    let updates = req
        .samples
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            Ok(LabelUpdate {
                sample_id: s.sample_id.ok_or_else(|| {
                    ApiError::invalid(&format!("samples[{i}].sample_id"), "is required")
                })?,
                labels: s.labels.unwrap_or_default(),
                metadata: s.metadata,
                usage: s
                    .sample_usage
                    .filter(|u| !u.is_empty())
                    .map(|u| {
                        parse_usage(&u).ok_or_else(|| {
                            ApiError::invalid(
                                &format!("samples[{i}].sample_usage"),
                                format!("{u:?} is not one of {}", USAGES.join(", ")),
                            )
                        })
                    })
                    .transpose()?,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let results = state
        .samples
        .update_labels(&caller.project_id, &dataset_id, updates)
        .await?;
    Ok(Json(batch_response(results)))
}
