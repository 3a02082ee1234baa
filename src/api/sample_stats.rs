//! Dataset statistics and the sample search condition — spec/api:
//! obtaining_dataset_statistics, obtaining_sample_search_condition.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use labelhive_domain::search::{SampleFilter, SampleState};
use labelhive_domain::stats::SampleStats;
use serde_json::{json, Value};

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::query::param;
use super::extract::DatasetPath;
use super::samples::member_param;
use super::statistics;
use crate::app::AppState;

/// Routes of this resource group.
pub fn router() -> Router<AppState> {
    let base = "/datasets/{dataset_id}/data-annotations";
    Router::new()
        .route(&format!("{base}/stats"), get(show_stats))
        .route(
            &format!("{base}/search-condition"),
            get(show_search_condition),
        )
}

type Params = Query<HashMap<String, String>>;

/// Obtaining Dataset Statistics — spec/api/obtaining_dataset_statistics.md
async fn show_stats(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    Query(p): Params,
) -> ApiResult<Json<Value>> {
    let sample_state = param(&p, "sample_state")
        .map(|s| {
            SampleState::parse(s).ok_or_else(|| {
                ApiError::invalid("sample_state", "is not a documented sample state")
            })
        })
        .transpose()?;
    let member = member_param(&p, &caller.project_id)?;
    // A team state or a member narrows what is counted over samples to the team
    // tasks' items; a dataset state to its own counters. `sample_stats` stay whole.
    let narrowed = SampleFilter {
        states: sample_state,
        ..SampleFilter::default()
    }
    .on_team_items(member);
    let dataset_state = narrowed.states.map(SampleState::as_str);
    let (ds, (samples, stats)) = state
        .samples
        .stats(&caller.project_id, &dataset_id, dataset_state)
        .await?;
    let (samples, stats) = match narrowed.items {
        Some(f) => {
            let (n, narrow) = state
                .team_tasks
                .dataset_stats(&caller.project_id, &dataset_id, &f)
                .await?;
            (
                n,
                SampleStats {
                    states: stats.states,
                    ..narrow
                },
            )
        }
        None => (samples, stats),
    };
    let mut sample_stats: BTreeMap<String, i64> = stats.states.iter().cloned().collect();
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
    let mut body = statistics::body(&ds.labels, &stats, samples);
    body.insert(
        "data_path".into(),
        json!(ds.input_path().unwrap_or_default()),
    );
    // Splitting into training and validation sets needs at least two labeled samples.
    body.insert("data_spliting_enable".into(), json!(labeled >= 2));
    body.insert("sample_stats".into(), json!(sample_stats));
    Ok(Json(Value::Object(body)))
}

/// Obtaining Sample Search Condition — spec/api/obtaining_sample_search_condition.md
async fn show_search_condition(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
) -> ApiResult<Json<Value>> {
    let options = state
        .samples
        .search_options(&caller.project_id, &dataset_id)
        .await?;
    let metadata: BTreeMap<String, Vec<String>> = options.metadata.into_iter().collect();
    // Named as ModelArts names people who labeled: `human/<email>`.
    let labelers: Vec<String> = options
        .labelers
        .iter()
        .map(|email| format!("human/{email}"))
        .collect();
    Ok(Json(
        json!({ "labelers": labelers, "labels": options.dataset.labels, "metadata": metadata }),
    ))
}
