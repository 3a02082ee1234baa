//! The store's ports for labeling teams: workforces and their workers, team labeling
//! tasks with their items and acceptance rounds, and the notification outbox.

use async_trait::async_trait;

use super::StoreResult;
use crate::allocation::Handover;
use crate::job::NewJob;
use crate::notice::Notice;
use crate::sample::Sample;
use crate::search::SampleFilter;
use crate::team_task::{
    CheckRound, ItemFilter, ItemWrite, Labeler, Move, StateCounts, TaskItem, TaskMember, TeamTask,
};
use crate::workforce::{Worker, WorkerQuery, Workforce, WorkforceFields, WorkforceQuery};

/// Labeling teams and their members.
#[async_trait]
pub trait WorkforceStore {
    /// Inserts a team; `Conflict { constraint: "workforces_project_name" }` when the name is taken.
    async fn create_workforce(&self, w: &Workforce) -> StoreResult<()>;
    /// One team of the project.
    async fn workforce(
        &self,
        project_id: &str,
        workforce_id: &str,
    ) -> StoreResult<Option<Workforce>>;
    /// A page of the project's teams and their total.
    async fn list_workforces(
        &self,
        project_id: &str,
        q: &WorkforceQuery,
    ) -> StoreResult<(Vec<Workforce>, i64)>;
    /// Renames or redescribes a team; false when it does not exist. A taken name is a
    /// `workforces_project_name` conflict.
    async fn update_workforce(
        &self,
        project_id: &str,
        workforce_id: &str,
        fields: &WorkforceFields,
        now: i64,
    ) -> StoreResult<bool>;
    /// Deletes a team with its members; false when it does not exist.
    async fn delete_workforce(&self, project_id: &str, workforce_id: &str) -> StoreResult<bool>;
    /// Adds members in one transaction, all or none: a team that does not exist, an
    /// email already in the team or a second manager refuse the whole request.
    async fn add_workers(
        &self,
        project_id: &str,
        workforce_id: &str,
        workers: &[Worker],
    ) -> StoreResult<()>;
    /// One member of a team.
    async fn worker(
        &self,
        project_id: &str,
        workforce_id: &str,
        worker_id: &str,
    ) -> StoreResult<Option<Worker>>;
    /// A page of the project's members (of one team, of one role) and their total.
    async fn list_workers(
        &self,
        project_id: &str,
        q: &WorkerQuery,
    ) -> StoreResult<(Vec<Worker>, i64)>;
    /// Changes a member's role or description; false when the member does not exist.
    /// Making a second manager is refused.
    async fn update_worker(
        &self,
        project_id: &str,
        workforce_id: &str,
        worker_id: &str,
        role: Option<i32>,
        description: Option<&str>,
        now: i64,
    ) -> StoreResult<bool>;
    /// Removes members of a team; for each id, whether it was a member. An unknown
    /// team is `WorkforceNotFound`.
    async fn delete_workers(
        &self,
        project_id: &str,
        workforce_id: &str,
        worker_ids: &[String],
    ) -> StoreResult<Vec<bool>>;
}

/// A member's view of the tasks they take part in (`worker-tasks`).
#[derive(Debug, Clone, Default)]
pub struct MemberTaskQuery {
    /// Only this person's tasks; `None`: every member of every task of the project.
    pub worker_id: Option<String>,
    /// Case-insensitive part of the task name.
    pub search_content: Option<String>,
    /// Sort by task name instead of creation time.
    pub by_name: bool,
    /// Ascending instead of descending.
    pub ascending: bool,
    /// Page number.
    pub offset: i64,
    /// Page size.
    pub limit: i64,
}

/// Team labeling tasks, their allocated items and acceptance rounds.
#[async_trait]
pub trait TeamTaskStore {
    /// Inserts a task with its members; a taken name is a
    /// `team_tasks_dataset_name` conflict.
    async fn create_team_task(&self, task: &TeamTask) -> StoreResult<()>;
    /// One task of the dataset, with its members.
    async fn team_task(&self, dataset_id: &str, task_id: &str) -> StoreResult<Option<TeamTask>>;
    /// One task of the project, whatever its dataset.
    async fn project_team_task(
        &self,
        project_id: &str,
        task_id: &str,
    ) -> StoreResult<Option<TeamTask>>;
    /// A page of the dataset's tasks (newest first) and their total.
    async fn list_team_tasks(
        &self,
        dataset_id: &str,
        offset: i64,
        limit: i64,
    ) -> StoreResult<(Vec<TeamTask>, i64)>;
    /// Tasks per dataset, for those of `dataset_ids` that have any (one query).
    async fn team_task_counts(&self, dataset_ids: &[String]) -> StoreResult<Vec<(String, i64)>>;
    /// The dataset's tasks that take new samples: `synchronize_data` on and started
    /// (running, rejected, accepting or accepted), with their members.
    async fn synchronizing_tasks(&self, dataset_id: &str) -> StoreResult<Vec<TeamTask>>;
    /// A page of (task, member) pairs and their total.
    async fn member_tasks(
        &self,
        project_id: &str,
        q: &MemberTaskQuery,
    ) -> StoreResult<(Vec<(TeamTask, TaskMember)>, i64)>;
    /// Replaces the task's fields and members if its status is still `expect_status`,
    /// and in the same transaction queues `job` and hands over the unfinished items
    /// of `moves` (an item its labeler finished meanwhile stays); false otherwise. A
    /// taken name is a `team_tasks_dataset_name` conflict.
    async fn save_team_task(
        &self,
        task: &TeamTask,
        expect_status: i32,
        job: Option<&NewJob>,
        moves: &[Handover],
    ) -> StoreResult<bool>;
    /// Deletes a task with its items and rounds; false when it does not exist.
    async fn delete_team_task(&self, dataset_id: &str, task_id: &str) -> StoreResult<bool>;
    /// Inserts (sample, labeler) items not allocated yet; returns how many were new.
    async fn allocate_items(
        &self,
        task_id: &str,
        pairs: &[(String, String)],
        now: i64,
    ) -> StoreResult<u64>;
    /// The unfinished items (unlabeled or rejected back) of these labelers, as
    /// (sample, labeler).
    async fn unfinished_items(
        &self,
        task_id: &str,
        worker_ids: &[String],
    ) -> StoreResult<Vec<(String, String)>>;
    /// Items per labeler.
    async fn item_loads(&self, task_id: &str) -> StoreResult<Vec<(String, i64)>>;
    /// The samples of the dataset already allocated in the task, among `sample_ids`.
    async fn allocated(&self, task_id: &str, sample_ids: &[String]) -> StoreResult<Vec<String>>;
    /// A page of items matching `f` (and `samples`' search conditions) with their
    /// samples, and the number matching.
    async fn list_items(
        &self,
        task: &TeamTask,
        f: &ItemFilter,
        samples: &SampleFilter,
        offset: i64,
        limit: i64,
    ) -> StoreResult<(Vec<(TaskItem, Sample)>, i64)>;
    /// The members these samples of the dataset are allocated to, over all its team
    /// tasks (one row per sample and member), ordered by sample and email.
    async fn sample_labelers(
        &self,
        dataset_id: &str,
        sample_ids: &[String],
    ) -> StoreResult<Vec<Labeler>>;
    /// The emails of the members who submitted an annotation in the dataset's team
    /// tasks, sorted.
    async fn dataset_labelers(&self, dataset_id: &str) -> StoreResult<Vec<String>>;
    /// Every item of these samples.
    async fn items_of(&self, task_id: &str, sample_ids: &[String]) -> StoreResult<Vec<TaskItem>>;
    /// Writes items whose state is still their `expect_state`; for each, whether it was
    /// written. Comments of an acceptance round also refresh the round's counts.
    async fn write_items(
        &self,
        task_id: &str,
        writes: &[ItemWrite],
        round: Option<&str>,
    ) -> StoreResult<Vec<bool>>;
    /// Items per (labeler, state).
    async fn item_counts(&self, task_id: &str) -> StoreResult<Vec<(String, i32, i64)>>;
    /// Samples per least advanced item state, with those since deleted from the
    /// dataset in `deleted`.
    async fn sample_counts(&self, task: &TeamTask) -> StoreResult<StateCounts>;
    /// Opens an acceptance round if the task is still in `expect_status`: samples up to
    /// `size` samples whose items all wait for acceptance, at random; returns how many
    /// were sampled, or `None` when the status changed.
    async fn open_round(
        &self,
        task_id: &str,
        expect_status: i32,
        round: &CheckRound,
        size: i64,
    ) -> StoreResult<Option<i64>>;
    /// The task's acceptance rounds, oldest first.
    async fn rounds(&self, task_id: &str) -> StoreResult<Vec<CheckRound>>;
    /// Ends the open round if the task is still accepting: applies `moves`, records
    /// the action, sets `status` and queues `job` in one transaction. Returns how many
    /// items the moves accepted, or `None` when the task was no longer accepting.
    async fn end_round(
        &self,
        task: &TeamTask,
        moves: &[Move],
        status: i32,
        job: Option<&NewJob>,
    ) -> StoreResult<Option<u64>>;
    /// Up to `limit` samples after `after` whose items are all accepted and not yet
    /// synchronized, with their items.
    async fn accepted_unsynced(
        &self,
        task_id: &str,
        after: &str,
        limit: i64,
    ) -> StoreResult<Vec<(String, Vec<TaskItem>)>>;
    /// Marks these samples' items synchronized.
    async fn mark_synced(&self, task_id: &str, sample_ids: &[String]) -> StoreResult<()>;
    /// Moves the task from one of `from` to `to`; false when it was in none.
    async fn set_team_task_status(&self, task_id: &str, from: &[i32], to: i32)
        -> StoreResult<bool>;
}

/// Notification emails waiting for the mailer, and the sign-in codes they carry.
#[async_trait]
pub trait OutboxStore {
    /// Queues notices in one transaction.
    async fn queue_notices(&self, notices: &[Notice]) -> StoreResult<()>;
    /// The members of `worker_ids` that have a notice of the task still waiting.
    async fn waiting_notices(
        &self,
        task_id: &str,
        worker_ids: &[String],
    ) -> StoreResult<Vec<String>>;
    /// Claims up to `limit` waiting notices due at `now` that no mailer holds, each for
    /// `lease_ms`, counting the attempt.
    async fn claim_notices(&self, now: i64, lease_ms: i64, limit: i64) -> StoreResult<Vec<Notice>>;
    /// Records a final outcome (`status` sent, bad address or unreachable) on the
    /// notice and on the member's `email_status` in the task, in one transaction; a
    /// sent notice also marks the member invited.
    async fn finish_notice(
        &self,
        notice: &Notice,
        status: i32,
        error: &str,
        now: i64,
    ) -> StoreResult<()>;
    /// Releases a notice for another attempt at `next_attempt`.
    async fn retry_notice(&self, id: &str, error: &str, next_attempt: i64) -> StoreResult<()>;
    /// Stores a sign-in code (hashed) for a member.
    async fn insert_sign_in_code(
        &self,
        code_hash: &str,
        notice: &Notice,
        expires_at: i64,
    ) -> StoreResult<()>;
    /// The worker a valid code of this project and address belongs to, marking them
    /// signed in; `None` for an unknown, foreign or expired code.
    async fn redeem_sign_in_code(
        &self,
        project_id: &str,
        email: &str,
        code_hash: &str,
        now: i64,
    ) -> StoreResult<Option<String>>;
}
