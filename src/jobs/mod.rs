//! Job runners: claim a job under a lease, keep the lease alive while it runs, and
//! record how it ended.
//!
//! Every process runs a few runner loops. A job whose runner dies keeps its lease until
//! it expires and is then claimed again; on SQLite, start-up requeues such jobs at once
//! (one process owns the file). Job kinds are idempotent, so running a job twice never
//! doubles its effect.

mod export;
mod export_coco;
mod export_format;
mod export_pages;
mod import;
mod import_coco;
mod import_dir;
mod import_manifest;
mod importer;
mod publish;
mod sync;
mod team;

use std::time::Duration;

use labelhive_domain::dataset::status;
use labelhive_domain::ids::new_hex_id;
use labelhive_domain::job::{kind, Job};
use labelhive_domain::store::JobOutcome;
use labelhive_domain::time::now_ms;
use labelhive_domain::DomainError;
use tokio::sync::watch;
use tracing::Instrument;

use crate::app::AppState;

/// Attempts before a failing job is marked failed.
const MAX_ATTEMPTS: i64 = 3;
/// How often an idle runner looks for work when nobody wakes it.
const IDLE_POLL: Duration = Duration::from_millis(500);

/// How a job run ended, seen from the runner.
pub(crate) enum RunEnd {
    /// Finished; record this outcome and set the dataset status if given.
    Done(JobOutcome, Option<i32>),
    /// The job lost its lease or its dataset; someone else owns its fate.
    Abandoned,
    /// The server is stopping; the job goes back to the queue as it is.
    Interrupted,
}

/// A job's payload, as its service stored it.
fn payload<T: serde::de::DeserializeOwned>(job: &Job) -> Result<T, DomainError> {
    serde_json::from_value(job.payload.clone())
        .map_err(|e| DomainError::invalid("payload", format!("{} payload: {e}", job.kind)))
}

/// The dataset a job works on; `None` once it is deleted (the job is abandoned).
async fn job_dataset(
    state: &AppState,
    job: &Job,
) -> Result<Option<labelhive_domain::dataset::Dataset>, DomainError> {
    let Some(dataset_id) = job.dataset_id.as_deref() else {
        return Err(DomainError::invalid(
            "dataset_id",
            format!("the {} job names no dataset", job.kind),
        ));
    };
    Ok(state.store.dataset(&job.project_id, dataset_id).await?)
}

/// The sources of an error, outermost first: internal errors hide them from clients,
/// not from the log.
fn causes(e: &DomainError) -> String {
    let mut out = Vec::new();
    let mut next = std::error::Error::source(e);
    while let Some(c) = next {
        out.push(c.to_string());
        next = c.source();
    }
    out.join(": ")
}

/// One runner loop.
pub struct Runner {
    state: AppState,
    owner: String,
}

impl Runner {
    /// A runner with a fresh lease-owner id.
    pub fn new(state: AppState, index: usize) -> Self {
        Self {
            state,
            owner: format!("{}-{index}", new_hex_id()),
        }
    }

    /// Runs jobs until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                return;
            }
            let now = now_ms();
            let lease_until = now + self.lease_ms();
            match self
                .state
                .store
                .claim_job(&self.owner, now, lease_until)
                .await
            {
                Ok(Some(job)) => {
                    let span = tracing::info_span!("job", job.id = %job.id, job.kind = %job.kind);
                    self.execute(job, stop.clone()).instrument(span).await;
                }
                Ok(None) => {
                    tokio::select! {
                        _ = stop.changed() => {}
                        () = self.state.jobs_queued.notified() => {}
                        () = tokio::time::sleep(IDLE_POLL) => {}
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "claiming a job failed");
                    tokio::time::sleep(IDLE_POLL).await;
                }
            }
        }
    }

    fn lease_ms(&self) -> i64 {
        i64::try_from(self.state.config.job_lease_ms).unwrap_or(30_000)
    }

    async fn execute(&self, job: Job, stop: watch::Receiver<bool>) {
        tracing::info!(job.attempt = job.attempts, "job started");
        let heartbeat = self.spawn_heartbeat(job.id.clone());
        let ended = match job.kind.as_str() {
            kind::IMPORT => import::run(&self.state, &self.owner, &job, stop).await,
            kind::PUBLISH => publish::run(&self.state, &self.owner, &job, stop).await,
            kind::EXPORT => export::run(&self.state, &self.owner, &job, stop).await,
            kind::SYNC => sync::run(&self.state, &self.owner, &job, stop).await,
            kind::TEAM_ALLOCATE => team::allocate(&self.state, &job, stop).await,
            kind::TEAM_SYNC => team::sync(&self.state, &job).await,
            other => Err(DomainError::Unsupported(format!("job kind {other}"))),
        };
        heartbeat.abort();
        let store = &self.state.store;
        let recorded = match ended {
            Ok(RunEnd::Done(outcome, dataset_status)) => {
                self.allocate_arrivals(&job).await;
                store
                    .finish_job(&job.id, &self.owner, &outcome, dataset_status)
                    .await
            }
            Ok(RunEnd::Abandoned) => {
                tracing::info!("job abandoned: its lease or its dataset is gone");
                return;
            }
            Ok(RunEnd::Interrupted) => {
                store
                    .retry_job(&job.id, &self.owner, "interrupted by a server shutdown")
                    .await
            }
            Err(e) if job.attempts < MAX_ATTEMPTS && !matches!(e, DomainError::Unsupported(_)) => {
                tracing::warn!(error = %e, cause = %causes(&e), "job attempt failed; it will be retried");
                store.retry_job(&job.id, &self.owner, &e.to_string()).await
            }
            Err(e) => {
                tracing::error!(error = %e, cause = %causes(&e), "job failed");
                let outcome = JobOutcome::Failed {
                    code: e.code().to_owned(),
                    msg: e.to_string(),
                };
                let task =
                    job.payload.get("task").and_then(serde_json::Value::as_bool) == Some(true);
                // A failed import task leaves the dataset usable; a failed creation does not.
                let dataset_status =
                    (job.kind == kind::IMPORT && !task).then_some(status::ABNORMAL);
                match job.kind.as_str() {
                    kind::PUBLISH => publish::failed(&self.state, &job, &e.to_string()).await,
                    kind::EXPORT => export::failed(&self.state, &job).await,
                    kind::TEAM_ALLOCATE | kind::TEAM_SYNC => team::failed(&self.state, &job).await,
                    _ => {}
                }
                store
                    .finish_job(&job.id, &self.owner, &outcome, dataset_status)
                    .await
            }
        };
        match recorded {
            Ok(true) => tracing::info!("job ended"),
            Ok(false) => tracing::info!("job ended after losing its lease; result dropped"),
            Err(e) => tracing::error!(error = %e, "recording the end of a job failed"),
        }
    }

    /// After an import or a synchronization, team tasks with `synchronize_data` get
    /// the new samples. A failure is logged: the samples stay, and the next arrival
    /// allocates them.
    async fn allocate_arrivals(&self, job: &Job) {
        if job.kind != kind::IMPORT && job.kind != kind::SYNC {
            return;
        }
        let Some(dataset_id) = job.dataset_id.as_deref() else {
            return;
        };
        match self
            .state
            .team_tasks
            .allocate_arrivals(dataset_id, &[])
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(items = n, "new samples allocated to team tasks"),
            Err(e) => tracing::warn!(error = %e, "allocating new samples to team tasks failed"),
        }
    }

    /// Renews the lease every third of its length while the job runs.
    fn spawn_heartbeat(&self, job_id: String) -> tokio::task::JoinHandle<()> {
        let store = self.state.store.clone();
        let owner = self.owner.clone();
        let lease = self.lease_ms();
        tokio::spawn(async move {
            let period = Duration::from_millis(u64::try_from(lease / 3).unwrap_or(1000).max(100));
            loop {
                tokio::time::sleep(period).await;
                match store.renew_lease(&job_id, &owner, now_ms() + lease).await {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, job.id = %job_id, "renewing a job lease failed")
                    }
                }
            }
        })
    }
}
