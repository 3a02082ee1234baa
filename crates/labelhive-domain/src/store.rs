//! The metadata store port: capability traits joined by [`Store`].
//!
//! Each method is a unit of work with its transaction inside; no transaction handle
//! crosses this interface. Where a use case needs a read and a write to be atomic, the
//! store takes the domain rule as a closure and runs it inside its transaction.

use async_trait::async_trait;

use crate::allocation::Handover;
use crate::dataset::{Dataset, DatasetQuery};
use crate::error::BoxError;
use crate::job::{Job, NewJob};
use crate::notice::Notice;
use crate::project::{Project, TokenGrant};
use crate::sample::{LabelCount, Sample, SamplePage, SampleWrite};
use crate::search::SampleFilter;
use crate::team_task::{
    CheckRound, ItemFilter, ItemWrite, Labeler, Move, StateCounts, TaskItem, TaskMember, TeamTask,
};
use crate::version::Version;
use crate::workforce::{Worker, WorkerQuery, Workforce, WorkforceFields, WorkforceQuery};
use crate::DomainError;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; the name is stable across backends.
    #[error("unique constraint {constraint} violated")]
    Conflict {
        /// `<table>_<columns>`.
        constraint: &'static str,
    },
    /// A domain rule run inside the transaction refused the change.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The database failed.
    #[error("database error")]
    Other(#[source] BoxError),
}

impl StoreError {
    /// Wraps a backend error.
    pub fn other(err: impl Into<BoxError>) -> Self {
        Self::Other(err.into())
    }
}

impl From<StoreError> for DomainError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Domain(d) => d,
            other => DomainError::internal(other),
        }
    }
}

/// Result of store calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// What becomes of samples when labels leave a dataset's label set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LabelDeletePolicy {
    /// Remove the labels from samples; samples left without labels become unlabeled.
    #[default]
    KeepSamples,
    /// Also delete the samples that carried only removed labels (files stay).
    DeleteSamples,
    /// As `DeleteSamples`, and the caller deletes their source files too.
    DeleteSamplesAndFiles,
}

/// Label changes that must reach the samples, returned by a dataset edit.
#[derive(Debug, Clone, Default)]
pub struct LabelChanges {
    /// Labels renamed, old name to new name.
    pub renames: Vec<(String, String)>,
    /// What happens to samples of labels that left the set.
    pub delete_policy: LabelDeletePolicy,
}

/// A domain rule applied to a dataset inside the store's transaction.
pub type DatasetEdit<'a> =
    &'a (dyn Fn(&mut Dataset) -> Result<LabelChanges, DomainError> + Send + Sync);

/// A modified dataset and the paths of samples its label changes deleted.
pub type Modified = (Dataset, Vec<String>);

/// Projects and their credentials.
#[async_trait]
pub trait ProjectStore {
    /// Inserts a project; `Conflict { "projects_name" }` if the name is taken.
    async fn create_project(&self, project: &Project) -> StoreResult<()>;
    /// Inserts a project unless any project exists; true if it was inserted.
    async fn create_first_project(&self, project: &Project) -> StoreResult<bool>;
    /// The project with this access key.
    async fn project_by_access_key(&self, access_key: &str) -> StoreResult<Option<Project>>;
    /// Stores a token under the hash of its value.
    async fn insert_token(&self, token_hash: &str, grant: &TokenGrant) -> StoreResult<()>;
    /// The grant of a token, by the hash of its value.
    async fn token(&self, token_hash: &str) -> StoreResult<Option<TokenGrant>>;
}

/// A sample file registered by an import.
#[derive(Debug, Clone)]
pub struct NewSample {
    /// 32-hex id derived from the path.
    pub id: String,
    /// OBS-style file path.
    pub path: String,
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub size: i64,
    /// ModelArts sample type.
    pub sample_type: i32,
}

/// A sample shown in dataset previews.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplePreview {
    /// Sample id.
    pub id: String,
    /// OBS-style file path.
    pub path: String,
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub size: i64,
    /// When it was registered, ms.
    pub create_time: i64,
}

/// One point of a dataset's monitoring series.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPoint {
    /// Minute the point stands for, ms.
    pub time: i64,
    /// Samples then.
    pub total: i64,
    /// Labeled samples then.
    pub annotated: i64,
}

/// A job that is queued or running on a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct RunningJob {
    /// Dataset id.
    pub dataset_id: String,
    /// Job id.
    pub job_id: String,
    /// Job kind.
    pub kind: String,
}

/// Datasets and their labels.
#[async_trait]
pub trait DatasetStore {
    /// Inserts a dataset with its labels, its first jobs (claimed in this order) and
    /// the team task of its `workforce_information`, in one transaction. A taken team
    /// task name cannot happen (the dataset is new).
    async fn create_dataset(
        &self,
        dataset: &Dataset,
        jobs: &[NewJob],
        team_task: Option<&TeamTask>,
    ) -> StoreResult<()>;
    /// A dataset of the project, with its labels.
    async fn dataset(&self, project_id: &str, dataset_id: &str) -> StoreResult<Option<Dataset>>;
    /// A page of the project's datasets and the total matching the filters.
    async fn list_datasets(
        &self,
        project_id: &str,
        query: &DatasetQuery,
    ) -> StoreResult<(Vec<Dataset>, i64)>;
    /// Loads, edits by `edit` and saves a dataset in one transaction, carrying label
    /// renames and deletions into its samples; `None` if unknown.
    async fn modify_dataset(
        &self,
        project_id: &str,
        dataset_id: &str,
        edit: DatasetEdit<'_>,
    ) -> StoreResult<Option<Modified>>;
    /// Deletes a dataset with its labels and samples and cancels its jobs; false if unknown.
    async fn delete_dataset(&self, project_id: &str, dataset_id: &str) -> StoreResult<bool>;
    /// Sets a dataset's status (a dataset filled by a job becomes usable); false if unknown.
    async fn set_dataset_status(&self, dataset_id: &str, status: i32) -> StoreResult<bool>;
    /// Queued and running jobs of these datasets.
    async fn running_jobs(&self, dataset_ids: &[String]) -> StoreResult<Vec<RunningJob>>;
    /// The first `limit` samples of a dataset, oldest first.
    async fn sample_previews(
        &self,
        dataset_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<SamplePreview>>;
    /// Monitoring points of a dataset between two times, ms, inclusive.
    async fn dataset_metrics(
        &self,
        dataset_id: &str,
        start: i64,
        end: i64,
    ) -> StoreResult<Vec<MetricPoint>>;
}

/// Outcome of registering a batch of samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterOutcome {
    /// The batch was written; this many samples were new.
    Registered(i64),
    /// The job lost its lease or its dataset is gone; nothing was written.
    Abandoned,
}

/// How [`SampleStore::write_samples`] treats existing samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteMode {
    /// Insert new samples; existing ones get the new labels and metadata.
    Upsert,
    /// Only change existing samples; unknown ids are reported, not created.
    ExistingOnly,
}

/// Samples.
#[async_trait]
pub trait SampleStore {
    /// Writes samples in one transaction, keeping every counter; per sample, whether it
    /// was written (with `ExistingOnly`, false for an unknown id).
    async fn write_samples(
        &self,
        dataset_id: &str,
        samples: &[SampleWrite],
        mode: WriteMode,
    ) -> StoreResult<Vec<bool>>;
    /// Deletes samples in one transaction; per id, the deleted sample's path.
    async fn delete_samples(
        &self,
        dataset_id: &str,
        ids: &[String],
    ) -> StoreResult<Vec<Option<String>>>;
    /// One sample.
    async fn sample(&self, dataset_id: &str, sample_id: &str) -> StoreResult<Option<Sample>>;
    /// Those of `ids` that exist, in any order.
    async fn samples_by_id(&self, dataset_id: &str, ids: &[String]) -> StoreResult<Vec<Sample>>;
    /// A page of samples and the number matching.
    async fn list_samples(
        &self,
        dataset_id: &str,
        query: &SampleFilter,
        page: SamplePage,
    ) -> StoreResult<(Vec<Sample>, i64)>;
    /// The next `limit` samples matching `query` after sequence number `after` (0 for
    /// the start), in insertion order, each with its sequence number.
    async fn scan_samples(
        &self,
        dataset_id: &str,
        query: &SampleFilter,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<(i64, Sample)>>;
    /// The dataset's nonzero sample counters: samples per state (`__ALL__`, ...), hard
    /// examples (`hard`), mentions per hard reason (`hard_reason:<id>`) and samples
    /// per metadata key (`meta:<key>`).
    async fn sample_counters(&self, dataset_id: &str) -> StoreResult<Vec<(String, i64)>>;
    /// Distinct metadata values per key (at most `per_key` values each).
    async fn metadata_values(
        &self,
        dataset_id: &str,
        per_key: i64,
    ) -> StoreResult<Vec<(String, Vec<String>)>>;
    /// Instances and samples per label.
    async fn label_counts(&self, dataset_id: &str) -> StoreResult<Vec<LabelCount>>;
    /// Registers samples for a running job in one transaction: inserts the new ones
    /// (existing ids are left alone), bumps the dataset's counters and the job's
    /// progress to `progress_done`, but only while `owner` still holds the job's lease.
    async fn register_samples(
        &self,
        job_id: &str,
        owner: &str,
        dataset_id: &str,
        samples: &[NewSample],
        progress_done: i64,
    ) -> StoreResult<RegisterOutcome>;
}

/// One batch of a running import: written with the job's progress in one transaction.
#[derive(Debug, Clone, Copy)]
pub struct ImportBatch<'a> {
    /// Samples without labels: inserted when new, existing ones left alone.
    pub plain: &'a [NewSample],
    /// Samples with labels: written by `mode`.
    pub labeled: &'a [SampleWrite],
    /// How labeled samples treat existing ones.
    pub mode: WriteMode,
    /// Units consumed so far.
    pub progress_done: i64,
    /// Units known so far.
    pub progress_total: i64,
    /// The job's running result (its tally).
    pub result: &'a serde_json::Value,
}

/// Imports.
#[async_trait]
pub trait ImportStore {
    /// Writes an import batch, with the job's progress and result, in one transaction,
    /// while `owner` holds the job's lease.
    async fn import_batch(
        &self,
        job_id: &str,
        owner: &str,
        dataset_id: &str,
        batch: ImportBatch<'_>,
    ) -> StoreResult<RegisterOutcome>;
}

/// One step of a synchronization: a directory's changes, written with the job's
/// progress in one transaction.
#[derive(Debug, Clone, Copy)]
pub struct SyncStep<'a> {
    /// New files (existing ids are left alone).
    pub add: &'a [NewSample],
    /// Samples whose file vanished.
    pub remove: &'a [String],
    /// Vanished directories: every sample below them goes, with their stamps.
    pub remove_dirs: &'a [String],
    /// The directory's stamp to record once its changes are all written.
    pub stamp: Option<(&'a str, i64)>,
    /// Directories visited so far.
    pub progress_done: i64,
    /// The job's running result.
    pub result: &'a serde_json::Value,
}

/// Synchronizations: directory stamps remembered between runs.
#[async_trait]
pub trait SyncStore {
    /// The directory stamps recorded for the dataset.
    async fn sync_dirs(&self, dataset_id: &str) -> StoreResult<Vec<(String, i64)>>;
    /// Ids and file names of the dataset's samples directly in `dir`.
    async fn dir_samples(&self, dataset_id: &str, dir: &str) -> StoreResult<Vec<(String, String)>>;
    /// Writes one step while `owner` holds the job; `None` when it was abandoned, else
    /// the samples added and deleted.
    async fn sync_step(
        &self,
        job_id: &str,
        owner: &str,
        dataset_id: &str,
        step: SyncStep<'_>,
    ) -> StoreResult<Option<(i64, i64)>>;
}

/// How a job ended.
#[derive(Debug, Clone)]
pub enum JobOutcome {
    /// Success, with a result.
    Succeeded(serde_json::Value),
    /// Failure, with the error the task endpoints report.
    Failed {
        /// ModelArts error code.
        code: String,
        /// Message.
        msg: String,
    },
}

/// Durable jobs.
#[async_trait]
pub trait JobStore {
    /// Claims the oldest queued job, or a running one whose lease expired, for `owner`
    /// until `lease_until`.
    async fn claim_job(&self, owner: &str, now: i64, lease_until: i64) -> StoreResult<Option<Job>>;
    /// Extends a lease; false if `owner` no longer holds the job.
    async fn renew_lease(&self, job_id: &str, owner: &str, lease_until: i64) -> StoreResult<bool>;
    /// Records a running job's progress and result; false if `owner` no longer holds it.
    async fn job_progress(
        &self,
        job_id: &str,
        owner: &str,
        done: i64,
        total: i64,
        result: &serde_json::Value,
    ) -> StoreResult<bool>;
    /// Ends a job held by `owner`, and sets its dataset's status if given, in one
    /// transaction; false if the job was no longer held (canceled or re-claimed).
    async fn finish_job(
        &self,
        job_id: &str,
        owner: &str,
        outcome: &JobOutcome,
        dataset_status: Option<i32>,
    ) -> StoreResult<bool>;
    /// Puts a failed attempt back in the queue; false if no longer held.
    async fn retry_job(&self, job_id: &str, owner: &str, error_msg: &str) -> StoreResult<bool>;
    /// Makes every running job claimable at once (single-process SQLite start-up:
    /// no other runner can hold a lease).
    async fn requeue_running_jobs(&self) -> StoreResult<u64>;
    /// A job of the project.
    async fn job(&self, project_id: &str, job_id: &str) -> StoreResult<Option<Job>>;
    /// Queues a job; with `exclusive`, only when no job of its kind is queued or running
    /// on its dataset, else returns that job's id and inserts nothing.
    async fn create_job(&self, job: &NewJob, exclusive: bool) -> StoreResult<Option<String>>;
    /// A page (`offset` pages of `limit`) of a dataset's jobs of one kind, newest first,
    /// and their number.
    async fn list_jobs(
        &self,
        dataset_id: &str,
        kind: &str,
        offset: i64,
        limit: i64,
    ) -> StoreResult<(Vec<Job>, i64)>;
}

/// Filters and page of the version list.
#[derive(Debug, Clone, Default)]
pub struct VersionQuery {
    /// Only versions in this status.
    pub status: Option<i32>,
    /// Only versions whose split ratio lies within these bounds.
    pub ratio: Option<(f64, f64)>,
    /// Only versions of this format.
    pub version_format: Option<String>,
    /// Page number.
    pub offset: i64,
    /// Page size.
    pub limit: i64,
}

/// A domain rule that builds the version to insert from its dataset, inside the
/// store's transaction (the default name takes the dataset's next version number).
pub type VersionBuild<'a> = &'a (dyn Fn(&Dataset) -> Result<Version, DomainError> + Send + Sync);

/// Outcome of one step of copying samples into a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyOutcome {
    /// This many samples were copied; more may follow.
    Copied(i64),
    /// Every sample of the version has been copied.
    Done,
    /// The job lost its lease or the version is gone; nothing was written.
    Abandoned,
}

/// Dataset versions.
#[async_trait]
pub trait VersionStore {
    /// Builds a version by `build` and inserts it with its publish job in one
    /// transaction, taking the dataset's next version number; `None` if the dataset is
    /// unknown. `Conflict { "versions_dataset_name" }` when the name is taken.
    async fn create_version(
        &self,
        project_id: &str,
        dataset_id: &str,
        build: VersionBuild<'_>,
        job: &NewJob,
    ) -> StoreResult<Option<Version>>;
    /// A version of the dataset.
    async fn version(&self, dataset_id: &str, version_id: &str) -> StoreResult<Option<Version>>;
    /// A page of the dataset's versions, newest first, and the number matching.
    async fn list_versions(
        &self,
        dataset_id: &str,
        query: &VersionQuery,
    ) -> StoreResult<(Vec<Version>, i64)>;
    /// Copies the next `limit` samples of the dataset into the version, with the copy's
    /// progress, in one transaction, while `owner` holds the job.
    async fn copy_into_version(
        &self,
        job_id: &str,
        owner: &str,
        version_id: &str,
        limit: i64,
    ) -> StoreResult<CopyOutcome>;
    /// Samples of a version in their order, after position `after` (0 for the start).
    async fn version_samples(
        &self,
        version_id: &str,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<Sample>>;
    /// A page of a version's samples and the number matching (state and label filters).
    async fn list_version_samples(
        &self,
        version: &Version,
        query: &SampleFilter,
        page: SamplePage,
    ) -> StoreResult<(Vec<Sample>, i64)>;
    /// Marks a version published with its counts and makes it the dataset's current
    /// version; a no-op when it is not being published (a repeated finish).
    async fn publish_version(&self, version: &Version) -> StoreResult<bool>;
    /// Marks a version being published as failed, with the reason.
    async fn fail_version(&self, version_id: &str, message: &str) -> StoreResult<()>;
    /// Deletes a version and its samples, cancels its publish job and moves the
    /// dataset's current version to the newest remaining one; false if unknown.
    async fn delete_version(&self, dataset_id: &str, version_id: &str) -> StoreResult<bool>;
}

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

/// The whole metadata store.
pub trait Store:
    ProjectStore
    + DatasetStore
    + SampleStore
    + JobStore
    + VersionStore
    + ImportStore
    + SyncStore
    + WorkforceStore
    + TeamTaskStore
    + OutboxStore
    + Send
    + Sync
{
    /// `sqlite` or `postgres`, for logs.
    fn backend(&self) -> &'static str;
}
