//! Durable jobs: the rows behind every asynchronous task.
//!
//! A job is claimed by one runner at a time under a lease; a runner that dies leaves
//! the lease to expire and the job is claimed again. Every job kind is written to be
//! re-runnable (idempotent upserts keyed by sample id), so a retry never doubles data.

use serde::{Deserialize, Serialize};

/// Job kinds, stored as text.
pub mod kind {
    /// Registers the files under a path as samples of a dataset.
    pub const IMPORT: &str = "import";
    /// Publishes a dataset version.
    pub const PUBLISH: &str = "publish";
    /// Exports samples to a directory or a new dataset.
    pub const EXPORT: &str = "export";
    /// Synchronizes a dataset with its input path.
    pub const SYNC: &str = "sync";
    /// Allocates a team labeling task's samples to its labelers.
    pub const TEAM_ALLOCATE: &str = "team_allocate";
    /// Applies an acceptance result and writes accepted labels to the dataset.
    pub const TEAM_SYNC: &str = "team_sync";
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Waiting for a runner.
    Queued,
    /// Claimed by a runner whose lease has not expired.
    Running,
    /// Finished successfully.
    Succeeded,
    /// Finished with an error after its attempts.
    Failed,
    /// Stopped because its subject went away (for example the dataset was deleted).
    Canceled,
}

impl JobStatus {
    /// Whether the job has ended (succeeded, failed or canceled).
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled)
    }

    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }

    /// Parses the stored text.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "queued" => Self::Queued,
            "running" => Self::Running,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "canceled" => Self::Canceled,
            _ => return None,
        })
    }

    /// Whether the job still has work to do.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Queued | Self::Running)
    }
}

/// A job row.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// 19-character id; also the task id the API returns.
    pub id: String,
    /// Owning project.
    pub project_id: String,
    /// The dataset it works on, if any.
    pub dataset_id: Option<String>,
    /// One of [`kind`].
    pub kind: String,
    /// Kind-specific input, JSON.
    pub payload: serde_json::Value,
    /// Status.
    pub status: JobStatus,
    /// Claims so far.
    pub attempts: i64,
    /// Units of work done (files, samples).
    pub progress_done: i64,
    /// Units of work known so far.
    pub progress_total: i64,
    /// Kind-specific result, JSON.
    pub result: Option<serde_json::Value>,
    /// ModelArts error code of a failure.
    pub error_code: Option<String>,
    /// Message of a failure.
    pub error_msg: Option<String>,
    /// Creation time, ms.
    pub create_time: i64,
    /// Last change, ms.
    pub update_time: i64,
    /// End time, ms.
    pub finish_time: Option<i64>,
}

/// A job to insert.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// Id (fixed up front so it can be returned with the request that made it).
    pub id: String,
    /// Owning project.
    pub project_id: String,
    /// Dataset, if any.
    pub dataset_id: Option<String>,
    /// Kind.
    pub kind: &'static str,
    /// Input.
    pub payload: serde_json::Value,
}

pub use crate::import::ImportPayload;

/// The running-task type codes of the dataset list (`running_task_type`).
pub fn running_task_type(kind: &str) -> Option<i32> {
    match kind {
        self::kind::IMPORT => Some(5),
        self::kind::PUBLISH => Some(6),
        self::kind::EXPORT => Some(2),
        _ => None,
    }
}

/// Payload of a [`kind::PUBLISH`] job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishPayload {
    /// The version being published.
    pub version_id: String,
}
