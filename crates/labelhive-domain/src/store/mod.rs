//! The metadata store port: capability traits joined by [`Store`].
//!
//! Each method is a unit of work with its transaction inside; no transaction handle
//! crosses this interface. Where a use case needs a read and a write to be atomic, the
//! store takes the domain rule as a closure and runs it inside its transaction.

use async_trait::async_trait;

use crate::dataset::{Dataset, DatasetQuery};
use crate::error::BoxError;
use crate::job::{Job, NewJob};
use crate::project::{Project, TokenGrant};
use crate::sample::{LabelCount, Sample, SamplePage, SampleWrite};
use crate::search::SampleFilter;
use crate::team_task::TeamTask;
use crate::version::Version;
use crate::DomainError;

mod team;
pub use team::{MemberTaskQuery, OutboxStore, TeamTaskStore, WorkforceStore};

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
