//! API errors: one type, one status table, ModelArts JSON bodies.
//!
//! The `error_code` is the ModelArts value; the HTTP status follows HTTP (404 for an
//! unknown resource, 409 for a conflict with the current state), as docs/API.md says.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use labelhive_domain::DomainError;
use serde::Serialize;

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    msg: String,
    cause: Option<DomainError>,
}

/// The ModelArts error body.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// `ModelArts.XXXX`.
    pub error_code: String,
    /// Human-readable message.
    pub error_msg: String,
}

impl ApiError {
    /// An error with an explicit status, code and message.
    pub fn new(status: StatusCode, code: &'static str, msg: impl Into<String>) -> Self {
        Self {
            status,
            code,
            msg: msg.into(),
            cause: None,
        }
    }

    /// 400 ModelArts.0101 for a bad field.
    pub fn invalid(field: &str, reason: impl std::fmt::Display) -> Self {
        DomainError::invalid(field, reason.to_string()).into()
    }

    /// 401 with the given code.
    pub fn unauthorized(code: &'static str, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, msg)
    }

    /// 403 with the given code.
    pub fn forbidden(code: &'static str, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, msg)
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

/// Status of each domain error. Codes live with the domain (jobs need them too).
fn status_of(err: &DomainError) -> StatusCode {
    match err {
        DomainError::InvalidParameter { .. }
        | DomainError::InvalidObsPath(_)
        | DomainError::ObsPathNotFound(_)
        | DomainError::BucketAsPath(_)
        | DomainError::BucketNotFound(_)
        | DomainError::ImportRunning(_)
        | DomainError::ExportParameter { .. }
        | DomainError::InvalidExportPath(_)
        | DomainError::SyncRunning(_)
        | DomainError::OneManager(_)
        | DomainError::NoUncheckedSamples(_)
        | DomainError::TaskStart(_)
        | DomainError::WorkerHasTask(_)
        | DomainError::NotifyTooFrequent(_)
        | DomainError::SampleReviewed(_)
        | DomainError::Unsupported(_) => StatusCode::BAD_REQUEST,
        DomainError::WorkerForbidden(_) => StatusCode::FORBIDDEN,
        DomainError::DatasetNotFound(_)
        | DomainError::VersionNotFound(_)
        | DomainError::LabelNotFound(_)
        | DomainError::SampleNotFound(_)
        | DomainError::TaskNotFound(_)
        | DomainError::WorkforceNotFound(_)
        | DomainError::WorkerNotFound(_)
        | DomainError::WorkforceTaskNotFound(_)
        | DomainError::CheckNotFound(_) => StatusCode::NOT_FOUND,
        DomainError::DatasetNameTaken(_)
        | DomainError::ProjectNameTaken(_)
        | DomainError::VersionNameTaken(_)
        | DomainError::LabelExists(_)
        | DomainError::WorkforceNameTaken(_)
        | DomainError::WorkerExists(_)
        | DomainError::WorkforceTaskNameTaken(_)
        | DomainError::TaskState(_)
        | DomainError::TaskChecking(_)
        | DomainError::Conflict(_) => StatusCode::CONFLICT,
        DomainError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        let status = status_of(&err);
        let msg = match &err {
            DomainError::Internal(_) => "Internal error.".to_owned(),
            other => other.to_string(),
        };
        Self {
            status,
            code: err.code(),
            msg,
            cause: Some(err),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(DomainError::Internal(cause)) = &self.cause {
            // Logged once, here, with the whole chain; the client sees no details.
            let mut chain = cause.to_string();
            let mut source = cause.source();
            while let Some(s) = source {
                chain.push_str(": ");
                chain.push_str(&s.to_string());
                source = s.source();
            }
            tracing::error!(error = %chain, "internal error");
        }
        let body = ErrorBody {
            error_code: self.code.to_owned(),
            error_msg: self.msg,
        };
        (self.status, Json(body)).into_response()
    }
}

/// Result of handlers.
pub type ApiResult<T> = Result<T, ApiError>;
