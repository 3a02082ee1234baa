//! `POST /auth/tokens`: exchanges an access key pair for a bearer token (24 hours),
//! returned in the `X-Subject-Token` header as IAM does. `POST /auth/worker-tokens`:
//! a team member exchanges the sign-in code of a notification email for a worker
//! token. Both outside `/v2`.

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
    /// The member the token belongs to; absent for the project owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
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
    issue(&state, &project.id, None).await
}

/// A member's sign-in with the code of a notification email.
#[derive(Debug, Deserialize)]
pub struct WorkerSignIn {
    /// The project of the task the email was about.
    pub project_id: String,
    /// The member's address.
    pub email: String,
    /// The code from the email.
    pub code: String,
}

/// Issues a worker token for a valid, unexpired code of that project and address,
/// and marks the member signed in (status 2). Any mismatch is the same 401, so the
/// answer does not tell which part was wrong.
pub async fn create_worker_token(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<WorkerSignIn>,
) -> ApiResult<Response> {
    let worker = state
        .notices
        .sign_in(&req.project_id, &req.email, &req.code)
        .await?
        .ok_or_else(|| {
            ApiError::unauthorized(
                "ModelArts.0206",
                "Invalid sign-in: the email, project or code is wrong, or the code has expired.",
            )
        })?;
    issue(&state, &req.project_id, Some(worker)).await
}

/// Stores a new token's hash and answers 201 with the token in `X-Subject-Token`.
async fn issue(
    state: &AppState,
    project_id: &str,
    worker_id: Option<String>,
) -> ApiResult<Response> {
    let token = new_token();
    let grant = TokenGrant {
        project_id: project_id.to_owned(),
        worker_id: worker_id.clone(),
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
            project_id: project_id.to_owned(),
            worker_id,
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
