//! Items an import or export refused: all are counted, the first few kept with their
//! place and reason for the task pages.

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// Failures kept with their reason per task; more are only counted.
pub const MAX_REPORTED_FAILURES: usize = 100;

/// One refused item, with where it was.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemFailure {
    /// Manifest line (1-based), for manifest imports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<i64>,
    /// The file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The sample, for exports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_id: Option<String>,
    /// ModelArts error code.
    pub error_code: String,
    /// What is wrong.
    pub error_msg: String,
}

impl ItemFailure {
    /// A failure for `err`, its place still to be filled in.
    pub fn of(err: &DomainError) -> Self {
        Self {
            error_code: err.code().to_owned(),
            error_msg: err.to_string(),
            ..Self::default()
        }
    }

    /// Counts the failure in `failed` and keeps it while fewer than
    /// [`MAX_REPORTED_FAILURES`] are kept.
    pub fn record(self, failed: &mut i64, kept: &mut Vec<ItemFailure>) {
        *failed += 1;
        if kept.len() < MAX_REPORTED_FAILURES {
            kept.push(self);
        }
    }
}
