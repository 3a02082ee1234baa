//! Team labeling tasks: the task status machine, the per-(sample, labeler) item
//! states, allocation, review and acceptance rules.
//!
//! Choices where the specification is silent:
//! - an *item* is one allocated (sample, labeler) pair; with `repetition` r a sample has
//!   r items, each carrying its labeler's own annotation;
//! - the task's `sample_stats` count samples by their least advanced item, a member's
//!   count their items;
//! - acceptance samples whole samples (every item of a sampled sample is sampled);
//!   comments and actions apply to items;
//! - after an action the task is `4` rejected when any item went back to its labeler,
//!   `3` accepted when every item is accepted, else `1` running (more to label).

mod acceptance;
mod flow;

pub use acceptance::{sampling_size, Comment};
pub use flow::{
    action_moves, after_review, after_submit, ratio, score_letter, score_points, status_after,
    Move, StateCounts,
};

use serde::{Deserialize, Serialize};

use crate::annotation::SampleLabel;
use crate::names::{check_description, check_task_name};
use crate::search::SampleState;
use crate::workforce::role;
use crate::DomainError;

/// Task statuses (`status`).
pub mod task_status {
    /// Allocating samples.
    pub const STARTING: i32 = 0;
    /// Labeling, reviewing and acceptance under way.
    pub const RUNNING: i32 = 1;
    /// An acceptance round is open.
    pub const ACCEPTING: i32 = 2;
    /// Every item accepted.
    pub const ACCEPTED: i32 = 3;
    /// The last acceptance sent items back to their labelers.
    pub const REJECTED: i32 = 4;
    /// An acceptance action is being applied and synchronized to the dataset.
    pub const SYNCING: i32 = 5;
    /// Created, not started.
    pub const CREATED: i32 = 6;
    /// Acceptance sampling in progress.
    pub const SAMPLING: i32 = 7;
}

/// Item states, in order of progress.
pub mod item_state {
    /// Allocated, not labeled.
    pub const NONE: i32 = 0;
    /// Sent back to the labeler by a reviewer or by acceptance.
    pub const REJECTED: i32 = 1;
    /// Labeled, waiting for a reviewer.
    pub const UNREVIEWED: i32 = 2;
    /// Labeled (and reviewed), waiting for acceptance.
    pub const UNCHECK: i32 = 3;
    /// Sampled by the open acceptance round, not commented yet.
    pub const SAMPLED: i32 = 4;
    /// Sampled and commented (`check_accept` says how).
    pub const CHECKED: i32 = 5;
    /// Accepted.
    pub const ACCEPTED: i32 = 6;
}

/// Acceptance actions (`action` of the status update).
pub mod action {
    /// Pass every item in the acceptance scope.
    pub const PASS_ALL: i32 = 0;
    /// Reject every item in the scope.
    pub const REJECT_ALL: i32 = 1;
    /// Cancel the round: sampled items wait for acceptance again.
    pub const CANCEL: i32 = 2;
    /// List the sampled samples whose annotators disagree; changes nothing.
    pub const CONFLICTS: i32 = 3;
    /// Pass all but the items commented as rejected.
    pub const PASS_REST: i32 = 4;
    /// Reject all but the items commented as passed.
    pub const REJECT_REST: i32 = 5;
}

/// The largest `repetition` (labelers per sample).
pub const MAX_REPETITION: i64 = 100;

/// A member of a task, as snapshotted from a team.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskMember {
    /// The person.
    pub worker_id: String,
    /// The team through which they take part.
    pub workforce_id: String,
    /// Their address.
    pub email: String,
    /// Their role in that team.
    pub role: i32,
    /// What their last notification email came to (`notice::email_status`).
    #[serde(default)]
    pub email_status: i32,
    /// When a notification email last went out to them, ms (0: never).
    #[serde(default)]
    pub last_notify_time: i64,
}

/// The acceptance round under way or last ended.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CheckRound {
    /// Id of the round (`checking_task_id`).
    pub id: String,
    /// Requested number, or 0 when a rate was given.
    pub sampling_num: i64,
    /// Requested rate, or 0 when a number was given.
    pub sampling_rate: f64,
    /// Samples awaiting acceptance when the round began.
    pub total_sample_count: i64,
    /// Samples sampled.
    pub sampled_sample_count: i64,
    /// Items commented as passed.
    pub accepted_sample_count: i64,
    /// Items commented as rejected.
    pub rejected_sample_count: i64,
    /// Sum of the comments' score points.
    pub total_score: i64,
    /// Comments carrying a score.
    pub scored_count: i64,
    /// Milliseconds.
    pub create_time: i64,
}

impl CheckRound {
    /// Items commented.
    pub fn checked(&self) -> i64 {
        self.accepted_sample_count + self.rejected_sample_count
    }

    /// Passed among commented, 0 when none.
    pub fn pass_rate(&self) -> f64 {
        ratio(self.accepted_sample_count, self.checked())
    }
}

/// A team labeling task.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamTask {
    /// 19-character id.
    pub id: String,
    /// Owning project.
    pub project_id: String,
    /// The dataset labeled.
    pub dataset_id: String,
    /// Unique in the dataset.
    pub name: String,
    /// Free text.
    pub description: String,
    /// See [`task_status`].
    pub status: i32,
    /// Labelers per sample.
    pub repetition: i64,
    /// Write accepted results to the dataset.
    pub auto_sync_dataset: bool,
    /// Allocate samples added after the start.
    pub synchronize_data: bool,
    /// Stored as given; Labelhive has no auto labeling to synchronize.
    pub synchronize_auto_labeling_data: bool,
    /// Stored as given (0-3).
    pub data_sync_type: i64,
    /// Raw `sample_conditions` (search conditions JSON), empty for all unlabeled.
    pub sample_conditions: String,
    /// `workforces_config.agency`.
    pub agency: String,
    /// The acceptance round under way or last ended.
    pub checking_task_id: Option<String>,
    /// The action that ended the last round.
    pub action: Option<i32>,
    /// Whether accepted results replace labels the dataset already has.
    pub overwrite_last_result: bool,
    /// Milliseconds.
    pub create_time: i64,
    /// Milliseconds.
    pub update_time: i64,
    /// Members, by team.
    pub members: Vec<TaskMember>,
}

impl TeamTask {
    /// Distinct labelers' ids, in member order.
    pub fn labelers(&self) -> Vec<String> {
        self.with_role(role::LABELER)
    }

    /// Distinct reviewers' ids.
    pub fn reviewers(&self) -> Vec<String> {
        self.with_role(role::REVIEWER)
    }

    fn with_role(&self, r: i32) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for m in self.members.iter().filter(|m| m.role == r) {
            if !out.contains(&m.worker_id) {
                out.push(m.worker_id.clone());
            }
        }
        out
    }

    /// Distinct teams.
    pub fn workforce_ids(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for m in &self.members {
            if !out.contains(&m.workforce_id) {
                out.push(m.workforce_id.clone());
            }
        }
        out
    }

    /// The roles the person holds in this task.
    pub fn roles_of(&self, worker_id: &str) -> Vec<i32> {
        self.members
            .iter()
            .filter(|m| m.worker_id == worker_id)
            .map(|m| m.role)
            .collect()
    }

    /// The person's address, if they are a member.
    pub fn email_of(&self, worker_id: &str) -> Option<&str> {
        self.members
            .iter()
            .find(|m| m.worker_id == worker_id)
            .map(|m| m.email.as_str())
    }

    /// The member with this address.
    pub fn worker_by_email(&self, email: &str) -> Option<&str> {
        let email = email.to_lowercase();
        self.members
            .iter()
            .find(|m| m.email == email)
            .map(|m| m.worker_id.as_str())
    }

    /// Fails with `ModelArts.4343` (409) unless the task is in one of `allowed`.
    pub fn require_status(&self, allowed: &[i32], doing: &str) -> Result<(), DomainError> {
        if allowed.contains(&self.status) {
            return Ok(());
        }
        Err(DomainError::TaskState(format!(
            "cannot {doing} while the team labeling task is {} ({})",
            status_name(self.status),
            self.status
        )))
    }
}

/// The documented meaning of a task status.
pub fn status_name(status: i32) -> &'static str {
    match status {
        task_status::STARTING => "starting",
        task_status::RUNNING => "running",
        task_status::ACCEPTING => "accepting",
        task_status::ACCEPTED => "accepted",
        task_status::REJECTED => "rejected",
        task_status::SYNCING => "synchronizing the acceptance result",
        task_status::CREATED => "created",
        task_status::SAMPLING => "acceptance sampling",
        _ => "unknown",
    }
}

/// One allocated (sample, labeler) pair and what happened to it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TaskItem {
    /// The sample.
    pub sample_id: String,
    /// The labeler.
    pub worker_id: String,
    /// See [`item_state`].
    pub state: i32,
    /// The labeler's annotation.
    pub labels: Vec<SampleLabel>,
    /// When the labeler last submitted, ms (0: never).
    pub labeled_time: i64,
    /// The reviewer's verdict.
    pub review_accept: Option<bool>,
    /// The reviewer's comment.
    pub review_comment: String,
    /// The reviewer's score, A to D.
    pub review_score: String,
    /// Who reviewed.
    pub reviewer_id: String,
    /// The acceptance round that sampled it last.
    pub check_task_id: Option<String>,
    /// The acceptance verdict.
    pub check_accept: Option<bool>,
    /// The acceptance comment.
    pub check_comment: String,
    /// The acceptance score, A to D.
    pub check_score: String,
    /// Milliseconds.
    pub update_time: i64,
}

/// A member a sample is allocated to in one of its dataset's team tasks (the sample
/// list's `labelers`).
#[derive(Debug, Clone, PartialEq)]
pub struct Labeler {
    /// The sample.
    pub sample_id: String,
    /// The member.
    pub worker_id: String,
    /// The member's email.
    pub email: String,
    /// The member's role in the task's team.
    pub role: i32,
    /// The team.
    pub workforce_id: String,
}

/// A change to one item, applied only if the item is still in `expect_state`.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemWrite {
    /// The item after the change.
    pub item: TaskItem,
    /// The state the decision was made on (compare-and-set).
    pub expect_state: i32,
}

/// Which items a list or count covers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemFilter {
    /// Only this labeler's items.
    pub worker_id: Option<String>,
    /// Only these states (empty: any).
    pub states: Vec<i32>,
    /// Only items a reviewer has judged (passed or rejected).
    pub reviewed: bool,
    /// Only items with this acceptance verdict.
    pub check_accept: Option<bool>,
    /// Only items whose annotation has a label of this name.
    pub label_name: Option<String>,
    /// Only items whose annotation has a label of this type.
    pub label_type: Option<i32>,
    /// Nothing matches (a state no item can be in, such as auto labeling's).
    pub none: bool,
}

impl ItemFilter {
    /// Narrows by a `sample_state` value, as the workbench's tabs do.
    pub fn with_state(mut self, state: Option<SampleState>) -> Self {
        use item_state as s;
        let Some(state) = state else { return self };
        match state {
            SampleState::All => {
                self.states = vec![
                    s::UNREVIEWED,
                    s::UNCHECK,
                    s::SAMPLED,
                    s::CHECKED,
                    s::ACCEPTED,
                ]
            }
            SampleState::None => self.states = vec![s::NONE],
            SampleState::Uncheck => self.states = vec![s::UNCHECK],
            SampleState::Accepted => self.states = vec![s::ACCEPTED],
            SampleState::Rejected => self.states = vec![s::REJECTED],
            SampleState::Unreviewed => self.states = vec![s::UNREVIEWED],
            SampleState::Reviewed => self.reviewed = true,
            SampleState::WorkforceSampled => self.states = vec![s::SAMPLED, s::CHECKED],
            SampleState::WorkforceSampledUncheck => self.states = vec![s::SAMPLED],
            SampleState::WorkforceSampledChecked => self.states = vec![s::CHECKED],
            SampleState::WorkforceSampledAccepted => {
                self.states = vec![s::CHECKED];
                self.check_accept = Some(true);
            }
            SampleState::WorkforceSampledRejected => {
                self.states = vec![s::CHECKED];
                self.check_accept = Some(false);
            }
            // Labelhive has no auto labeling: no item is ever waiting for confirmation.
            SampleState::AutoAnnotation => self.none = true,
        }
        self
    }
}

/// The wire `sample_status` of an item.
pub fn item_status(item: &TaskItem) -> &'static str {
    match item.state {
        item_state::NONE => "__NONE__",
        item_state::REJECTED => "__REJECTED__",
        item_state::UNREVIEWED => "__UNREVIEWED__",
        item_state::UNCHECK => "__UNCHECK__",
        item_state::SAMPLED => "__WORKFORCE_SAMPLED_UNCHECK__",
        item_state::CHECKED if item.check_accept == Some(false) => "__WORKFORCE_SAMPLED_REJECTED__",
        item_state::CHECKED => "__WORKFORCE_SAMPLED_ACCEPTED__",
        _ => "__ACCEPTED__",
    }
}

/// The editable fields of a task, as a create or update request gives them.
#[derive(Debug, Clone, Default)]
pub struct TaskFields {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
}

impl TaskFields {
    /// Checks the documented character rules.
    pub fn check(&self) -> Result<(), DomainError> {
        if let Some(n) = &self.name {
            check_task_name("task_name", n)?;
        }
        if let Some(d) = &self.description {
            check_description("description", d, 256)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labelers_reviewers_and_actions_follow_the_guide() {
        use item_state as s;
        assert_eq!(after_submit(s::NONE, true, false).unwrap(), s::UNREVIEWED);
        assert_eq!(after_submit(s::REJECTED, false, false).unwrap(), s::UNCHECK);
        assert_eq!(after_submit(s::UNCHECK, false, true).unwrap(), s::NONE);
        assert!(after_submit(s::SAMPLED, false, false).is_err());
        assert!(after_submit(s::ACCEPTED, false, false).is_err());
        assert_eq!(after_review(s::UNREVIEWED, true).unwrap(), s::UNCHECK);
        assert_eq!(after_review(s::UNREVIEWED, false).unwrap(), s::REJECTED);
        assert!(after_review(s::UNCHECK, true).is_err());
        let to = |a: i64, from: i32, verdict: Option<bool>| {
            action_moves(a)
                .unwrap()
                .into_iter()
                .find(|m| m.from == from && m.verdict == verdict)
                .unwrap()
                .to
        };
        // Pass all passes even the rejected; reject all rejects even the passed.
        assert_eq!(to(0, s::CHECKED, Some(false)), s::ACCEPTED);
        assert_eq!(to(1, s::CHECKED, Some(true)), s::REJECTED);
        // Pass the rest: rejected stay rejected; reject the rest: passed stay passed.
        assert_eq!(to(4, s::CHECKED, Some(false)), s::REJECTED);
        assert_eq!(to(4, s::UNCHECK, None), s::ACCEPTED);
        assert_eq!(to(5, s::CHECKED, Some(true)), s::ACCEPTED);
        assert_eq!(to(5, s::SAMPLED, None), s::REJECTED);
        assert!(action_moves(6).is_err());
    }

    #[test]
    fn scores_sampling_and_comments_are_checked() {
        assert_eq!(score_letter(0, 0), "E");
        assert_eq!(score_letter(7, 2), "A");
        assert_eq!(score_letter(5, 2), "B");
        assert_eq!(sampling_size(None, Some(0.2), 10).unwrap(), 2);
        assert_eq!(sampling_size(None, Some(0.25), 10).unwrap(), 3);
        assert_eq!(sampling_size(Some(50), None, 10).unwrap(), 10);
        assert!(sampling_size(None, Some(0.0), 10).is_err());
        assert!(sampling_size(None, Some(1.5), 10).is_err());
        assert!(sampling_size(Some(0), None, 10).is_err());
        assert!(sampling_size(None, None, 10).is_err());
        let c = |comment: &str, score: &str| Comment {
            sample_id: "s".into(),
            worker_id: None,
            accept: true,
            comment: comment.into(),
            score: score.into(),
        };
        assert!(c("fine", "A").check("c").is_ok());
        assert!(c("<b>", "A").check("c").is_err());
        assert!(c("", "E").check("c").is_err());
        let mut counts = StateCounts::default();
        counts.add(item_state::ACCEPTED, 3);
        assert_eq!(status_after(&counts), task_status::ACCEPTED);
        counts.add(item_state::NONE, 1);
        assert_eq!(status_after(&counts), task_status::RUNNING);
        counts.add(item_state::REJECTED, 1);
        assert_eq!(status_after(&counts), task_status::REJECTED);
    }
}
