//! `GET /health`: liveness without authentication.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use crate::app::AppState;

/// 200 with the store backend; no secrets, no authentication.
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    (
        StatusCode::OK,
        Json(json!({"status": "ok", "store": state.store.backend()})),
    )
}
