//! `GET /files/{project_id}/datasets/{dataset_id}/samples/{sample_id}`: streams a
//! sample's file with its content type, for the labeling workbench and for users.
//! Outside `/v2` (ModelArts hands out signed OBS URLs instead); authenticated like `/v2`.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use futures::StreamExt;

use super::auth::Caller;
use super::error::ApiResult;
use super::extract::DatasetPath;
use crate::app::AppState;

/// Routes of this group (nested under `/files/{project_id}`).
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/datasets/{dataset_id}/samples/{sample_id}",
        get(download_sample),
    )
}

/// The content type of a file name, by extension.
pub fn content_type(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "bmp" => "image/bmp",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "txt" => "text/plain; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "json" => "application/json",
        "wav" => "audio/wav",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        _ => "application/octet-stream",
    }
}

async fn download_sample(
    State(state): State<AppState>,
    caller: Caller,
    DatasetPath(dataset_id): DatasetPath,
    Path(params): Path<HashMap<String, String>>,
) -> ApiResult<Response> {
    let sample_id = params.get("sample_id").cloned().unwrap_or_default();
    let (name, chunks) = state
        .samples
        .file(&caller.project_id, &dataset_id, &sample_id)
        .await?;
    // Streamed chunk by chunk: a large video never sits in memory whole.
    let body = Body::from_stream(chunks.map(|c| c.map_err(std::io::Error::other)));
    let mut response = Response::new(body);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&name)),
    );
    Ok(response)
}
