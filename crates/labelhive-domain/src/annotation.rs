//! Sample labels (annotations) and sample metadata, with their validation.
//!
//! Interim version: names and types are checked against the dataset's labels; the
//! per-type geometry, span and time rules arrive with the full validator.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::dataset::DatasetType;
use crate::label::{allowed_label_types, Label};
use crate::DomainError;

/// A label placed on a sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SampleLabel {
    /// `human` or `auto` (video).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotated_by: Option<String>,
    /// Label instance id (triplet entities are referenced by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Label name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Shape, span, time and hard-example properties.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub property: Map<String, Value>,
    /// Confidence in [0, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Label type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub label_type: Option<i32>,
}

/// Sample metadata: the documented `@modelarts:` keys and any user keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SampleMetadata(pub Map<String, Value>);

/// What a sample's labels are checked against.
#[derive(Debug, Clone, Copy)]
pub struct LabelContext<'a> {
    /// The dataset's type.
    pub dataset_type: DatasetType,
    /// The dataset's labels.
    pub dataset_labels: &'a [Label],
    /// The sample's text, when known.
    pub text: Option<&'a str>,
}

/// Checks a sample's labels, filling a missing `type` from the dataset's label.
pub fn check_sample_labels(
    ctx: &LabelContext<'_>,
    labels: &mut [SampleLabel],
    _metadata: Option<&SampleMetadata>,
) -> Result<(), DomainError> {
    for (i, l) in labels.iter_mut().enumerate() {
        let f = format!("labels[{i}]");
        let name = l
            .name
            .as_deref()
            .ok_or_else(|| DomainError::invalid(format!("{f}.name"), "is required"))?;
        let known = ctx
            .dataset_labels
            .iter()
            .find(|d| d.name == name)
            .ok_or_else(|| {
                DomainError::invalid(format!("{f}.name"), format!("unknown label {name:?}"))
            })?;
        match l.label_type {
            None => l.label_type = Some(known.label_type),
            Some(t) if t != known.label_type => {
                return Err(DomainError::invalid(
                    format!("{f}.type"),
                    format!("label {name:?} has type {}", known.label_type),
                ))
            }
            Some(_) => {}
        }
        if !allowed_label_types(ctx.dataset_type).contains(&known.label_type) {
            return Err(DomainError::invalid(
                format!("{f}.type"),
                "not allowed in this dataset",
            ));
        }
        if let Some(s) = l.score {
            if !(0.0..=1.0).contains(&s) {
                return Err(DomainError::invalid(
                    format!("{f}.score"),
                    "must be within [0, 1]",
                ));
            }
        }
    }
    Ok(())
}
