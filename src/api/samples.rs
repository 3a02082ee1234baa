//! Sample endpoints — spec/api: adding_samples_in_batches, obtaining_a_sample_list,
//! obtaining_details_about_a_sample, deleting_samples_in_batches,
//! updating_sample_labels_in_batches, obtaining_dataset_statistics,
//! obtaining_sample_search_condition.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use labelhive_domain::annotation::{SampleLabel, SampleMetadata};
use labelhive_domain::sample::{Sample, SamplePage};
use labelhive_domain::search::sample_filter;
use labelhive_domain::services::samples::{LabelUpdate, SampleInput};
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
        .route(&format!("{base}/stats"), get(show_stats))
        .route(
            &format!("{base}/search-condition"),
            get(show_search_condition),
        )
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

/// States Labelhive keeps outside team labeling; the team states come with team tasks.
const LISTABLE_STATES: &[&str] = &["__ALL__", "__NONE__", "__AUTO_ANNOTATION__"];
const TEAM_STATES: &[&str] = &[
    "__UNCHECK__",
    "__ACCEPTED__",
    "__REJECTED__",
    "__UNREVIEWED__",
    "__REVIEWED__",
    "__WORKFORCE_SAMPLED__",
    "__WORKFORCE_SAMPLED_UNCHECK__",
    "__WORKFORCE_SAMPLED_CHECKED__",
    "__WORKFORCE_SAMPLED_ACCEPTED__",
    "__WORKFORCE_SAMPLED_REJECTED__",
];

/// Obtaining a Sample List — spec/api/obtaining_a_sample_list.md
async fn list_samples(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    Query(p): Params,
) -> ApiResult<Json<Value>> {
    if param(&p, "email").is_some() {
        return Err(ApiError::from(DomainError::Unsupported(
            "the email parameter of the sample list".into(),
        )));
    }
    // The query layer has already URL-decoded search_conditions.
    let filter = sample_filter(
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
    query::int("sample_type", param(&p, "sample_type"))?;
    query::boolean("preview", param(&p, "preview"))?;
    let page = SamplePage {
        ascending,
        offset: query::offset(&p)?,
        limit: query::bounded("limit", param(&p, "limit"), 1, 100, 10)?,
    };
    let (samples, count) = match param(&p, "version_id") {
        // A published version's samples, as they were published.
        Some(vid) => {
            if !labelhive_domain::ids::is_resource_id(vid) {
                return Err(DomainError::VersionNotFound(vid.to_owned()).into());
            }
            state
                .versions
                .get(&caller.project_id, &dataset_id, vid)
                .await?;
            state
                .versions
                .list_samples(&dataset_id, vid, &filter, page)
                .await?
        }
        None => {
            state
                .samples
                .list(&caller.project_id, &dataset_id, &filter, page)
                .await?
        }
    };
    let views: Vec<SampleView> = samples.into_iter().map(SampleView::from).collect();
    Ok(Json(json!({ "sample_count": count, "samples": views })))
}

/// Obtaining Details About a Sample — spec/api/obtaining_details_about_a_sample.md
async fn show_sample(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult<Json<SampleView>> {
    let sample_id = params.get("sample_id").cloned().unwrap_or_default();
    let sample = state
        .samples
        .get(&caller.project_id, &dataset_id, &sample_id)
        .await?;
    Ok(Json(SampleView::from(sample)))
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
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let results = state
        .samples
        .update_labels(&caller.project_id, &dataset_id, updates)
        .await?;
    Ok(Json(batch_response(results)))
}

/// Obtaining Dataset Statistics — spec/api/obtaining_dataset_statistics.md
async fn show_stats(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    Query(p): Params,
) -> ApiResult<Json<Value>> {
    if let Some(s) = param(&p, "sample_state") {
        if !LISTABLE_STATES.contains(&s) && !TEAM_STATES.contains(&s) {
            return Err(ApiError::invalid(
                "sample_state",
                "is not a documented sample state",
            ));
        }
    }
    let (ds, stats) = state.samples.stats(&caller.project_id, &dataset_id).await?;
    let label_stats = crate::api::team_tasks::views::label_stats(&ds.labels, &stats.labels);
    let mut grouped: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (label, entry) in ds.labels.iter().zip(&label_stats) {
        grouped
            .entry(label.label_type.to_string())
            .or_default()
            .push(entry.clone());
    }
    let mut sample_stats: BTreeMap<String, i64> = stats.states.into_iter().collect();
    let count = |s: &BTreeMap<String, i64>, k: &str| s.get(k).copied().unwrap_or(0);
    let labeled = count(&sample_stats, "__ALL__");
    let total = ds.total_sample_count;
    // The summary keys of the documented response, beside the per-state counts.
    for (key, n) in [
        ("total", total),
        ("all", total),
        ("lefted", total),
        ("deleted", ds.deleted_sample_count),
        ("un_annotation", count(&sample_stats, "__NONE__")),
        ("manual_annotation", labeled),
        (
            "auto_annotation",
            count(&sample_stats, "__AUTO_ANNOTATION__"),
        ),
    ] {
        sample_stats.insert(key.to_owned(), n);
    }
    let hard_detail_stats: BTreeMap<String, Value> = stats
        .reasons
        .iter()
        .map(|(id, n)| {
            let reason = labelhive_domain::hard::REASONS
                .get(usize::from(*id))
                .copied()
                .unwrap_or_default();
            let detail = json!({"id": id, "reason": reason, "alo_name": "", "suggestion": ""});
            (id.to_string(), json!({"key": n, "value": detail}))
        })
        .collect();
    let metadata_stats: BTreeMap<String, i64> = stats.metadata_keys.into_iter().collect();
    Ok(Json(json!({
        "data_path": ds.input_path().unwrap_or_default(),
        // Splitting into training and validation sets needs at least two labeled samples.
        "data_spliting_enable": labeled >= 2,
        "grouped_label_stats": grouped,
        "label_stats": label_stats,
        "sample_stats": sample_stats,
        "key_sample_stats": {
            "total": total,
            "key_sample": stats.hard,
            "non_key_sample": total - stats.hard,
        },
        "hard_detail_stats": hard_detail_stats,
        "metadata_stats": metadata_stats,
    })))
}

/// Obtaining Sample Search Condition — spec/api/obtaining_sample_search_condition.md
async fn show_search_condition(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
) -> ApiResult<Json<Value>> {
    let (ds, metadata) = state
        .samples
        .search_options(&caller.project_id, &dataset_id)
        .await?;
    let metadata: BTreeMap<String, Vec<String>> = metadata.into_iter().collect();
    // Labelers are team members who labeled samples; none exist before team tasks do.
    Ok(Json(
        json!({ "labelers": [], "labels": ds.labels, "metadata": metadata }),
    ))
}
