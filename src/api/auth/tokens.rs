//! `POST /auth/tokens`: exchanges an access key pair for a bearer token (24 hours),
//! returned in the `X-Subject-Token` header as IAM does. Outside `/v2`.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use labelhive_domain::ids::{hash_secret, new_token};
use labelhive_domain::project::TokenGrant;
use labelhive_domain::time::now_ms;
use labelhive_domain::DomainError;
use serde::{Deserialize, Serialize};

use crate::api::error::{ApiError, ApiResult};
use crate::api::extract::ApiJson;
use crate::app::AppState;

/// Token lifetime: 24 hours, like IAM tokens.
const TOKEN_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// Sign-in with the project's access key pair.
#[derive(Debug, Deserialize)]
pub struct CreateTokenRequest {
    /// Access key.
    pub access_key: String,
    /// Secret key.
    pub secret_key: String,
}

/// The token's scope and expiry (the token itself is in `X-Subject-Token`).
#[derive(Debug, Serialize)]
pub struct CreateTokenResponse {
    /// Project the token acts for.
    pub project_id: String,
    /// Expiry, ms.
    pub expires_at: i64,
}

/// Issues a token for a valid key pair.
pub async fn create_token(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<CreateTokenRequest>,
) -> ApiResult<Response> {
    let invalid = || ApiError::unauthorized("ModelArts.0206", "Invalid AK/SK.");
    let project = state
        .store
        .project_by_access_key(&req.access_key)
        .await
        .map_err(|e| ApiError::from(DomainError::from(e)))?
        .ok_or_else(invalid)?;
    let expected = state.keys.secret_key(&project.access_key);
    if !signing_eq(expected.as_bytes(), req.secret_key.as_bytes()) {
        return Err(invalid());
    }
    let token = new_token();
    let grant = TokenGrant {
        project_id: project.id.clone(),
        worker_id: None,
        expires_at: now_ms() + TOKEN_TTL_MS,
    };
    state
        .store
        .insert_token(&hash_secret(&token), &grant)
        .await
        .map_err(|e| ApiError::from(DomainError::from(e)))?;
    let mut response = (
        StatusCode::CREATED,
        Json(CreateTokenResponse {
            project_id: project.id,
            expires_at: grant.expires_at,
        }),
    )
        .into_response();
    let value =
        HeaderValue::from_str(&token).map_err(|e| ApiError::from(DomainError::internal(e)))?;
    response.headers_mut().insert("x-subject-token", value);
    Ok(response)
}

/// Constant-time comparison, so response timing does not leak the secret.
fn signing_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
