//! Authentication of every `/v2/{project_id}/...` request, in one layer.
//!
//! A request carries either an `X-Auth-Token` (issued by `POST /auth/tokens`) or an
//! AK/SK signature (`SDK-HMAC-SHA256`, as Huawei Cloud SDKs sign). The layer buffers the
//! body (its hash is signed), verifies, checks that the credential owns the project in
//! the path, and hands the handlers a [`Caller`]. Handlers cannot get a `Caller` any
//! other way, so no route can forget the check.

pub mod known_keys;
pub mod signing;
pub mod tokens;

use axum::body::{to_bytes, Body};
use axum::extract::{OriginalUri, Request, State};
use axum::http::{HeaderMap, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use labelhive_domain::ids::hash_secret;
use labelhive_domain::time::now_ms;

use self::known_keys::KnownKey;
use super::error::ApiError;
use super::extract::too_large;
use crate::app::AppState;

/// Largest clock difference accepted in `X-Sdk-Date`.
const MAX_SKEW_SECS: i64 = 15 * 60;

/// Who is calling, after authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The project in the path, which the credential owns.
    pub project_id: String,
    /// The worker acting, or `None` for the project owner.
    pub worker_id: Option<String>,
}

/// The project id of a `/v2/{project_id}/...` or `/files/{project_id}/...` path.
fn project_in_path(path: &str) -> &str {
    path.strip_prefix("/v2/")
        .or_else(|| path.strip_prefix("/files/"))
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default()
}

/// The middleware: authenticates, then runs the handler with the body restored.
pub async fn authenticate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match check(&state, req).await {
        Ok(req) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn check(state: &AppState, req: Request) -> Result<Request, ApiError> {
    let (mut parts, body) = req.into_parts();
    // Inside the nested /v2 router the URI is stripped of its prefix; the signature and
    // the project id are about the URI the client sent.
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or_else(|| parts.uri.clone(), |o| o.0.clone());
    let project_id = project_in_path(uri.path()).to_owned();
    let token = header(&parts.headers, "x-auth-token").map(str::to_owned);
    let authorization = header(&parts.headers, "authorization").map(str::to_owned);
    if token.is_none() && authorization.is_none() {
        return Err(ApiError::unauthorized(
            "ModelArts.0205",
            "No authorization request header.",
        ));
    }
    // Buffered once here: the signature covers the body, and the handler reads it after.
    let body = to_bytes(body, state.config.max_body_bytes)
        .await
        .map_err(|_| too_large())?;
    let caller = match (token, authorization) {
        (Some(token), _) => by_token(state, &token, &project_id).await?,
        (None, Some(authorization)) => {
            by_signature(state, &parts, &uri, &authorization, &body, &project_id).await?
        }
        (None, None) => {
            return Err(ApiError::unauthorized(
                "ModelArts.0205",
                "No authorization request header.",
            ))
        }
    };
    parts.extensions.insert(caller);
    Ok(Request::from_parts(parts, Body::from(body)))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
}

async fn by_token(state: &AppState, token: &str, project_id: &str) -> Result<Caller, ApiError> {
    let grant = state
        .store
        .token(&hash_secret(token))
        .await
        .map_err(|e| ApiError::from(labelhive_domain::DomainError::from(e)))?
        .ok_or_else(|| ApiError::unauthorized("ModelArts.0203", "Invalid token."))?;
    if grant.expires_at <= now_ms() {
        return Err(ApiError::unauthorized(
            "ModelArts.0202",
            "The token has expired.",
        ));
    }
    if grant.project_id != project_id {
        return Err(ApiError::forbidden(
            "ModelArts.0210",
            "The project ID in the request URL does not match the token.",
        ));
    }
    Ok(Caller {
        project_id: grant.project_id,
        worker_id: grant.worker_id,
    })
}

async fn by_signature(
    state: &AppState,
    parts: &axum::http::request::Parts,
    uri: &Uri,
    authorization: &str,
    body: &[u8],
    project_id: &str,
) -> Result<Caller, ApiError> {
    let bad_header = |why: String| {
        ApiError::unauthorized(
            "ModelArts.0206",
            format!("Incorrect authorization request header format: {why}"),
        )
    };
    let auth =
        signing::parse_authorization(authorization).map_err(|e| bad_header(e.to_string()))?;
    let sdk_date = header(&parts.headers, "x-sdk-date")
        .ok_or_else(|| bad_header("the X-Sdk-Date header is missing".into()))?
        .to_owned();
    let signed_at = signing::parse_sdk_date(&sdk_date).map_err(|e| bad_header(e.to_string()))?;
    if (now_ms() / 1000 - signed_at).abs() > MAX_SKEW_SECS {
        return Err(ApiError::unauthorized(
            "ModelArts.0208",
            "X-Sdk-Date is more than 15 minutes away from the server's clock.",
        ));
    }
    let invalid = || {
        ApiError::unauthorized(
            "ModelArts.0206",
            "Invalid AK/SK: the signature does not match.",
        )
    };
    let known = match state.known_keys.get(&auth.access_key) {
        Some(known) => known,
        None => {
            let project = state
                .store
                .project_by_access_key(&auth.access_key)
                .await
                .map_err(|e| ApiError::from(labelhive_domain::DomainError::from(e)))?
                .ok_or_else(invalid)?;
            let known = KnownKey {
                secret: state.keys.secret_key(&project.access_key),
                project_id: project.id,
            };
            state.known_keys.remember(&auth.access_key, known)
        }
    };
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        // Non-ASCII header values are signed by the SDK as UTF-8 bytes; keep them.
        .map(|(k, v)| {
            let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
            (k.as_str().to_owned(), value)
        })
        .collect();
    let request = signing::RequestParts {
        method: parts.method.as_str(),
        path: uri.path(),
        query: uri.query(),
        headers,
        body,
    };
    signing::verify(&request, &auth, &sdk_date, &known.secret).map_err(|_| invalid())?;
    if known.project_id != project_id {
        return Err(ApiError::forbidden(
            "ModelArts.0210",
            "The project ID in the request URL does not belong to this access key.",
        ));
    }
    Ok(Caller {
        project_id: known.project_id.clone(),
        worker_id: None,
    })
}

/// Owner-only route groups: a worker's token is refused (403 ModelArts.0108) before
/// the handler runs. Workers reach only team labeling routes.
pub async fn owner_only(req: Request, next: Next) -> Response {
    match req.extensions().get::<Caller>() {
        Some(Caller {
            worker_id: Some(_), ..
        }) => ApiError::forbidden(
            "ModelArts.0108",
            "You are not authorized to perform this operation: this API is for the project owner, not for labeling team members.",
        )
        .into_response(),
        _ => next.run(req).await,
    }
}
