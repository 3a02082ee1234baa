//! How items and tasks move between states, and how reviews are scored.

use super::{action, item_state, task_status};
use crate::DomainError;

/// Counts by item state, as the task's and members' `sample_stats` report them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateCounts {
    /// Everything counted.
    pub total: i64,
    /// Not labeled.
    pub unannotated: i64,
    /// Waiting for review.
    pub unreviewed: i64,
    /// Waiting for acceptance.
    pub uncheck: i64,
    /// In the open acceptance round.
    pub sampled: i64,
    /// Sent back.
    pub rejected: i64,
    /// Accepted.
    pub accepted: i64,
    /// Allocated samples since deleted from the dataset.
    pub deleted: i64,
}

impl StateCounts {
    /// Adds `n` in `state`.
    pub fn add(&mut self, state: i32, n: i64) {
        self.total += n;
        match state {
            item_state::NONE => self.unannotated += n,
            item_state::REJECTED => self.rejected += n,
            item_state::UNREVIEWED => self.unreviewed += n,
            item_state::UNCHECK => self.uncheck += n,
            item_state::SAMPLED | item_state::CHECKED => self.sampled += n,
            _ => self.accepted += n,
        }
    }
}

/// The state after a labeler submits an annotation, or why they may not.
pub fn after_submit(state: i32, has_reviewers: bool, empty: bool) -> Result<i32, DomainError> {
    use item_state as s;
    match state {
        s::NONE | s::REJECTED | s::UNREVIEWED | s::UNCHECK => Ok(if empty {
            s::NONE
        } else if has_reviewers {
            s::UNREVIEWED
        } else {
            s::UNCHECK
        }),
        _ => Err(DomainError::TaskState(
            "the sample is in acceptance or accepted; its labels can no longer change".into(),
        )),
    }
}

/// The state after a review verdict, or why it cannot be given.
pub fn after_review(state: i32, accept: bool) -> Result<i32, DomainError> {
    match state {
        item_state::UNREVIEWED if accept => Ok(item_state::UNCHECK),
        item_state::UNREVIEWED => Ok(item_state::REJECTED),
        _ => Err(DomainError::SampleReviewed(
            "the sample is not waiting for review".into(),
        )),
    }
}

/// One rule of an acceptance action: items in `from` (with this verdict when given)
/// move to `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    /// State before.
    pub from: i32,
    /// Only items with this acceptance verdict (`None`: any).
    pub verdict: Option<bool>,
    /// State after.
    pub to: i32,
}

/// The moves of an ending action (0, 1, 4, 5), as the guide describes them.
pub fn action_moves(action_code: i64) -> Result<Vec<Move>, DomainError> {
    use item_state::{ACCEPTED, CHECKED, REJECTED, SAMPLED, UNCHECK};
    let m = |from, verdict, to| Move { from, verdict, to };
    let (unsampled, uncommented, passed, failed) = match i32::try_from(action_code) {
        Ok(action::PASS_ALL) => (ACCEPTED, ACCEPTED, ACCEPTED, ACCEPTED),
        Ok(action::REJECT_ALL) => (REJECTED, REJECTED, REJECTED, REJECTED),
        Ok(action::PASS_REST) => (ACCEPTED, ACCEPTED, ACCEPTED, REJECTED),
        Ok(action::REJECT_REST) => (REJECTED, REJECTED, ACCEPTED, REJECTED),
        Ok(action::CANCEL) => (UNCHECK, UNCHECK, UNCHECK, UNCHECK),
        _ => {
            return Err(DomainError::invalid(
                "action",
                format!("{action_code} is not one of 0, 1, 2, 3, 4, 5"),
            ))
        }
    };
    Ok(vec![
        m(UNCHECK, None, unsampled),
        m(SAMPLED, None, uncommented),
        m(CHECKED, Some(true), passed),
        m(CHECKED, Some(false), failed),
    ])
}

/// The task status once an action's moves are applied and synchronized.
pub fn status_after(counts: &StateCounts) -> i32 {
    if counts.rejected > 0 {
        task_status::REJECTED
    } else if counts.total > 0 && counts.accepted == counts.total {
        task_status::ACCEPTED
    } else {
        task_status::RUNNING
    }
}

/// Points of a score letter: A 4, B 3, C 2, D 1.
pub fn score_points(letter: &str) -> Option<i64> {
    match letter {
        "A" => Some(4),
        "B" => Some(3),
        "C" => Some(2),
        "D" => Some(1),
        _ => None,
    }
}

/// The letter of an average score; `E` when nothing was scored, as the documented
/// report example shows.
pub fn score_letter(total: i64, scored: i64) -> &'static str {
    if scored == 0 {
        return "E";
    }
    let avg = total as f64 / scored as f64;
    match avg {
        a if a >= 3.5 => "A",
        a if a >= 2.5 => "B",
        a if a >= 1.5 => "C",
        _ => "D",
    }
}

/// `part / whole`, 0 when `whole` is 0.
pub fn ratio(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}
