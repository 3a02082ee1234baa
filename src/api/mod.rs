//! The HTTP API: resource routers under `/v2/{project_id}`, plus the few routes
//! outside it (health, tokens). Layers are added here, in one visible place.

pub mod auth;
pub mod datasets;
pub mod error;
pub mod exports;
pub mod extract;
pub mod files;
pub mod health;
pub mod imports;
pub mod labels;
pub mod sample_stats;
pub mod samples;
pub mod statistics;
pub mod syncs;
pub mod team_tasks;
pub mod versions;
pub mod workforces;

use std::time::Instant;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use labelhive_domain::json_text::NUL_REFUSED;

use crate::app::AppState;
use error::ApiError;

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let v2 = Router::new()
        .merge(datasets::router())
        .merge(exports::router())
        .merge(imports::router())
        .merge(labels::router())
        .merge(samples::router())
        .merge(sample_stats::router())
        .merge(syncs::router())
        .merge(versions::router())
        // Inside the authentication layer added below, so the caller is known.
        .route_layer(middleware::from_fn(auth::owner_only))
        .merge(workforces::router())
        .merge(team_tasks::router())
        // route_layer: only matched routes are authenticated; unknown paths get a 404.
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ));
    let files = files::router()
        .route_layer(middleware::from_fn(auth::owner_only))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ));
    Router::new()
        .route("/health", get(health::health))
        .nest("/files/{project_id}", files)
        .route("/auth/tokens", post(auth::tokens::create_token))
        .route(
            "/auth/worker-tokens",
            post(auth::tokens::create_worker_token),
        )
        .nest("/v2/{project_id}", v2)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(refuse_nul))
        .layer(middleware::from_fn(log_request))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "ModelArts.4201",
        "The request URL matches no API.",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "ModelArts.4201",
        "The API does not support this method.",
    )
}

/// 400 for a path or query string that decodes to text with the NUL character, which
/// no name, id or condition may hold (see `json_text.rs`).
async fn refuse_nul(req: Request, next: Next) -> Result<Response, ApiError> {
    let uri = req.uri();
    for (field, text) in [("path", Some(uri.path())), ("query", uri.query())] {
        let decoded = percent_encoding::percent_decode_str(text.unwrap_or_default());
        if decoded.into_iter().any(|b| b == 0) {
            return Err(ApiError::invalid(field, NUL_REFUSED));
        }
    }
    Ok(next.run(req).await)
}

/// One log line per request: method, route template, status, duration. Never headers
/// or bodies, which carry signatures, tokens and secrets.
async fn log_request(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let project = auth_project(req.uri().path()).to_owned();
    let response = next.run(req).await;
    let status = response.status().as_u16();
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    if route == "/health" {
        tracing::debug!(http.method = %method, http.route = %route, http.status = status, duration_ms, "request");
    } else {
        tracing::info!(http.method = %method, http.route = %route, http.status = status, duration_ms, project.id = %project, "request");
    }
    response
}

fn auth_project(path: &str) -> &str {
    path.strip_prefix("/v2/")
        .and_then(|r| r.split('/').next())
        .unwrap_or("-")
}
