//! Review and acceptance comments, and how many samples an acceptance round takes.

use super::score_points;
use crate::names::check_no_special;
use crate::DomainError;

/// A review or acceptance comment as the API gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    /// The sample.
    pub sample_id: String,
    /// The labeler whose annotation is judged; may be omitted when only one labeler
    /// has the sample.
    pub worker_id: Option<String>,
    /// Passed or not.
    pub accept: bool,
    /// Free text.
    pub comment: String,
    /// A to D, or empty.
    pub score: String,
}

impl Comment {
    /// Checks the documented rules; `field` prefixes errors (e.g. `comments[2]`).
    pub fn check(&self, field: &str) -> Result<(), DomainError> {
        if self.comment.chars().count() > 256 {
            return Err(DomainError::invalid(
                format!("{field}.comment"),
                "must contain 0 to 256 characters",
            ));
        }
        check_no_special(&format!("{field}.comment"), &self.comment, "!<>=&\"'")?;
        if !self.score.is_empty() && score_points(&self.score).is_none() {
            return Err(DomainError::invalid(
                format!("{field}.score"),
                format!("{:?} is not one of A, B, C, D", self.score),
            ));
        }
        Ok(())
    }
}

/// Samples an acceptance round takes: `sampling_num`, or `sampling_rate` of
/// `waiting` rounded up; at least 1 and at most `waiting`.
pub fn sampling_size(
    num: Option<i64>,
    rate: Option<f64>,
    waiting: i64,
) -> Result<i64, DomainError> {
    let wanted = match (num, rate) {
        (Some(_), Some(_)) => {
            return Err(DomainError::invalid(
                "sampling_num",
                "give either sampling_num or sampling_rate, not both",
            ))
        }
        (Some(n), None) if n >= 1 => n,
        (Some(n), None) => {
            return Err(DomainError::invalid(
                "sampling_num",
                format!("{n} is not a positive number"),
            ))
        }
        (None, Some(r)) if r > 0.0 && r <= 1.0 => (r * waiting as f64).ceil() as i64,
        (None, Some(r)) => {
            return Err(DomainError::invalid(
                "sampling_rate",
                format!("{r} is not in (0, 1]"),
            ))
        }
        (None, None) => {
            return Err(DomainError::invalid(
                "sampling_num",
                "sampling_num or sampling_rate is required",
            ))
        }
    };
    Ok(wanted.clamp(1, waiting.max(1)).min(waiting))
}
