//! Extractors whose rejections are ModelArts errors.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequest, Path, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use labelhive_domain::ids::is_resource_id;
use labelhive_domain::json_text::{escapes_nul, NUL_REFUSED};
use labelhive_domain::DomainError;
use serde::de::DeserializeOwned;

use super::auth::Caller;
use super::error::ApiError;

/// A JSON body: empty is 4202, malformed JSON 4105, wrong types or missing fields 0101.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "ModelArts.4202",
                "Empty request body.",
            ));
        }
        parse(&bytes).map(ApiJson)
    }
}

/// An optional JSON body: empty is `None`, anything else as [`ApiJson`].
impl<S, T> OptionalFromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        parse(&bytes).map(|v| Some(ApiJson(v)))
    }
}

async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "ModelArts.4105",
                format!("Unreadable request body: {e}"),
            )
        }
    })
}

/// Malformed JSON is 4105; wrong types or missing fields 0101 naming the field, and
/// text holding the NUL character 0101 too.
fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if escapes_nul(bytes) {
        return Err(DomainError::invalid("body", NUL_REFUSED).into());
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_data() {
            DomainError::invalid(
                if path == "." { "body".to_owned() } else { path },
                inner.to_string(),
            )
            .into()
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "ModelArts.4105",
                format!("Incorrect JSON format of the request body: {inner}"),
            )
        }
    })
}

/// 413 for a body over the configured limit.
pub fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "ModelArts.4202",
        "Request body too large.",
    )
}

/// The `{dataset_id}` path parameter, shape-checked before any query: a malformed id
/// cannot name a dataset, so it is 404 ModelArts.4352 like an unknown one.
pub struct DatasetPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for DatasetPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(params) =
            Path::<std::collections::HashMap<String, String>>::from_request_parts(parts, state)
                .await
                .map_err(|e| ApiError::invalid("path", e.body_text()))?;
        let id = params.get("dataset_id").cloned().unwrap_or_default();
        if !is_resource_id(&id) {
            return Err(DomainError::DatasetNotFound(id).into());
        }
        Ok(Self(id))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // Only the auth layer inserts a Caller; a route outside it is a wiring bug.
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
            ApiError::unauthorized("ModelArts.0205", "No authorization request header.")
        })
    }
}

/// Query-string helpers: parse optional fields with errors naming the field.
pub mod query {
    use std::collections::HashMap;

    use super::ApiError;

    /// A query parameter; an empty one counts as absent.
    pub fn param<'a>(p: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
        p.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// The documented `offset`: a page number from 0.
    pub fn offset(p: &HashMap<String, String>) -> Result<i64, ApiError> {
        bounded("offset", param(p, "offset"), 0, i64::from(i32::MAX), 0)
    }

    /// An optional integer.
    pub fn int(field: &str, value: Option<&str>) -> Result<Option<i64>, ApiError> {
        value
            .map(|v| {
                v.trim()
                    .parse::<i64>()
                    .map_err(|_| ApiError::invalid(field, format!("{v:?} is not an integer")))
            })
            .transpose()
    }

    /// An optional boolean (`true` or `false`).
    pub fn boolean(field: &str, value: Option<&str>) -> Result<Option<bool>, ApiError> {
        value
            .map(|v| match v.trim() {
                "true" => Ok(true),
                "false" => Ok(false),
                other => Err(ApiError::invalid(
                    field,
                    format!("{other:?} is not true or false"),
                )),
            })
            .transpose()
    }

    /// An optional integer within `min..=max`, or `default`.
    pub fn bounded(
        field: &str,
        value: Option<&str>,
        min: i64,
        max: i64,
        default: i64,
    ) -> Result<i64, ApiError> {
        let v = int(field, value)?.unwrap_or(default);
        if v < min || v > max {
            return Err(ApiError::invalid(
                field,
                format!("must be between {min} and {max}"),
            ));
        }
        Ok(v)
    }
}
