//! The one error type of the domain, with its ModelArts error code.
//!
//! The code belongs to the ModelArts contract, not to HTTP: jobs write it into task
//! rows, and the API maps each variant to a status in one table (`api::error`).

/// Everything a client can get wrong, plus internal failures.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// A field is missing, has the wrong value or breaks a documented rule.
    #[error("Invalid parameter: {field}: {reason}")]
    InvalidParameter {
        /// The field, in the wire's words.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A dataset of that name already exists in the project.
    #[error("Dataset already exists: {0}")]
    DatasetNameTaken(String),
    /// No dataset with that id in the project.
    #[error("Dataset does not exist: {0}")]
    DatasetNotFound(String),
    /// No dataset version with that id.
    #[error("Dataset version does not exist: {0}")]
    VersionNotFound(String),
    /// A version of that name already exists in the dataset.
    #[error("Dataset version already exists: {0}")]
    VersionNameTaken(String),
    /// No label of that name in the dataset.
    #[error("Label does not exist: {0}")]
    LabelNotFound(String),
    /// A label of that name already exists in the dataset.
    #[error("Label already exists: {0}")]
    LabelExists(String),
    /// No sample with that id in the dataset.
    #[error("Sample does not exist: {0}")]
    SampleNotFound(String),
    /// The bucket named by an OBS path does not exist in the object store.
    #[error("OBS bucket does not exist: {0}")]
    BucketNotFound(String),
    /// An OBS path is malformed or would leave the store's root.
    #[error("OBS path is invalid: {0}")]
    InvalidObsPath(String),
    /// A file named by an OBS path does not exist.
    #[error("OBS path {0} does not exist.")]
    ObsPathNotFound(String),
    /// A bucket itself was given where a directory inside one is required.
    #[error("A subdirectory must be specified as the dataset input or output path: {0}")]
    BucketAsPath(String),
    /// The operation is not possible in the resource's current state.
    #[error("{0}")]
    Conflict(String),
    /// No task of that kind and id in the dataset.
    #[error("Task does not exist: {0}")]
    TaskNotFound(String),
    /// An import is queued or running on the dataset.
    #[error("Dataset already has running import task: {0}")]
    ImportRunning(String),
    /// An export parameter breaks a documented rule.
    #[error("Invalid export parameter: {field}: {reason}")]
    ExportParameter {
        /// The field, in the wire's words.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The export path is missing or unusable.
    #[error("Invalid export path: {0}")]
    InvalidExportPath(String),
    /// A synchronization is queued or running on the dataset.
    #[error("A data synchronization task is being executed for the dataset: {0}")]
    SyncRunning(String),
    /// A project of that name already exists.
    #[error("Project already exists: {0}")]
    ProjectNameTaken(String),
    /// No labeling team with that id in the project.
    #[error("The workforce does not exist: {0}")]
    WorkforceNotFound(String),
    /// A labeling team of that name already exists in the project.
    #[error("The workforce already exists: {0}")]
    WorkforceNameTaken(String),
    /// No member with that id in the team.
    #[error("The worker does not exist: {0}")]
    WorkerNotFound(String),
    /// A member with that email already belongs to the team.
    #[error("The worker already exists: {0}")]
    WorkerExists(String),
    /// A team has at most one team manager.
    #[error("The number of manager should be one: {0}")]
    OneManager(String),
    /// No team labeling task with that id.
    #[error("Workforce task does not exist: {0}")]
    WorkforceTaskNotFound(String),
    /// A team labeling task of that name already exists in the dataset.
    #[error("The workforce task already exists: {0}")]
    WorkforceTaskNameTaken(String),
    /// The team labeling task's status does not allow the action.
    #[error("{0}")]
    TaskState(String),
    /// The task cannot start (no labelers, or fewer than its repetition).
    #[error("Failed to start the team labeling task: {0}")]
    TaskStart(String),
    /// A labeler with unfinished samples cannot leave the task.
    #[error("Can not delete worker who has task: {0}")]
    WorkerHasTask(String),
    /// A notification to this member is still waiting to go out.
    #[error("Request notify too frequently: {0}")]
    NotifyTooFrequent(String),
    /// An acceptance round is already open on the task.
    #[error("Workforce task is checking: {0}")]
    TaskChecking(String),
    /// No sample waits for acceptance.
    #[error("There are no unchecked samples: {0}")]
    NoUncheckedSamples(String),
    /// The sample is not waiting for review (already reviewed, or never labeled).
    #[error("The sample has been reviewed: {0}")]
    SampleReviewed(String),
    /// No acceptance round with that id on the task.
    #[error("Task not found: {0}")]
    CheckNotFound(String),
    /// The caller's role in the task does not allow the action.
    #[error("The worker action is forbidden: {0}")]
    WorkerForbidden(String),
    /// Labelhive does not implement this option (an honest refusal, not a silent no-op).
    #[error("Not supported by Labelhive: {0}")]
    Unsupported(String),
    /// Anything else: logged with its cause, reported to clients without details.
    #[error("Internal error")]
    Internal(#[source] BoxError),
}

/// Any error, sendable between threads: the cause kept by an internal failure.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

impl DomainError {
    /// Shorthand for an invalid parameter.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidParameter {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Wraps any error as an internal failure.
    pub fn internal(err: impl Into<BoxError>) -> Self {
        Self::Internal(err.into())
    }

    /// The ModelArts error code, from `shared/spec/appendix/error_codes.md`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidParameter { .. } => "ModelArts.0101",
            Self::DatasetNameTaken(_) => "ModelArts.4351",
            Self::DatasetNotFound(_) => "ModelArts.4352",
            Self::VersionNotFound(_) => "ModelArts.4353",
            Self::VersionNameTaken(_) => "ModelArts.4371",
            Self::LabelNotFound(_) => "ModelArts.4410",
            Self::LabelExists(_) => "ModelArts.4411",
            Self::SampleNotFound(_) => "ModelArts.4420",
            Self::BucketNotFound(_) => "ModelArts.4311",
            Self::InvalidObsPath(_) => "ModelArts.4313",
            Self::ObsPathNotFound(_) => "ModelArts.3551",
            Self::BucketAsPath(_) => "ModelArts.4205",
            Self::Conflict(_) => "ModelArts.4343",
            Self::TaskNotFound(_) => "ModelArts.4359",
            Self::ImportRunning(_) => "ModelArts.4356",
            Self::ExportParameter { .. } => "ModelArts.4384",
            Self::InvalidExportPath(_) => "ModelArts.4358",
            Self::SyncRunning(_) => "ModelArts.4355",
            Self::ProjectNameTaken(_) => "ModelArts.0101",
            Self::WorkforceNotFound(_) => "ModelArts.4601",
            Self::WorkforceNameTaken(_) => "ModelArts.4602",
            Self::WorkerNotFound(_) => "ModelArts.4604",
            Self::WorkerExists(_) => "ModelArts.4605",
            Self::OneManager(_) => "ModelArts.4617",
            Self::WorkforceTaskNotFound(_) => "ModelArts.4619",
            Self::WorkforceTaskNameTaken(_) => "ModelArts.4620",
            Self::TaskState(_) => "ModelArts.4343",
            Self::TaskStart(_) => "ModelArts.4621",
            Self::WorkerHasTask(_) => "ModelArts.4628",
            Self::NotifyTooFrequent(_) => "ModelArts.4627",
            Self::TaskChecking(_) => "ModelArts.4623",
            Self::NoUncheckedSamples(_) => "ModelArts.4625",
            Self::SampleReviewed(_) => "ModelArts.4606",
            Self::CheckNotFound(_) => "ModelArts.4612",
            Self::WorkerForbidden(_) => "ModelArts.4600",
            Self::Unsupported(_) => "ModelArts.0104",
            Self::Internal(_) => "ModelArts.5000",
        }
    }
}
