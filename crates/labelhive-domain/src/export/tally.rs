//! The running counts of an export job.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::failure::ItemFailure;
use crate::DomainError;

/// The running counts of an export, stored as its job's result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExportTally {
    /// Samples selected.
    pub total: i64,
    /// Samples exported.
    pub exported: i64,
    /// Samples left out (their file is missing).
    pub failed: i64,
    /// The first failures, with sample id and path.
    pub failures: Vec<ItemFailure>,
    /// The manifest written (DIR exports).
    pub manifest_path: Option<String>,
    /// The document of the `annotation_format`: the COCO document, the Ground Truth
    /// manifest, or YOLO's `obj.data`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotation_path: Option<String>,
    /// Labels the `annotation_format` cannot hold (COCO: shapes other than boxes and
    /// polygons; YOLO and Ground Truth: shapes other than boxes).
    #[serde(skip_serializing_if = "is_zero")]
    pub skipped_labels: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

impl ExportTally {
    /// Reads a stored result; an absent or foreign one reads as zero.
    pub fn from_value(v: Option<&Value>) -> Self {
        v.and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }

    /// Records a sample left out.
    pub fn fail(&mut self, sample_id: &str, path: &str, err: &DomainError) {
        ItemFailure {
            sample_id: Some(sample_id.to_owned()),
            path: Some(path.to_owned()),
            ..ItemFailure::of(err)
        }
        .record(&mut self.failed, &mut self.failures);
    }

    /// As stored.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}
