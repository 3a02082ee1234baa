//! Team labeling jobs: allocating a started task's samples, and applying an ended
//! acceptance to the dataset. Both bodies are idempotent service calls, so a run cut
//! by kill -9 is simply run again by the next runner.

use std::time::Duration;

use labelhive_domain::job::{kind, Job};
use labelhive_domain::services::team_tasks::TeamJob;
use labelhive_domain::store::JobOutcome;
use labelhive_domain::DomainError;
use serde_json::json;
use tokio::sync::watch;

use super::RunEnd;
use crate::app::AppState;

/// How often a waiting allocation looks at the job it waits for.
const WAIT_POLL: Duration = Duration::from_millis(250);

/// Allocates every in-scope sample to its labelers; the task then runs. A task
/// created with its dataset first waits for the dataset's import to end.
pub(crate) async fn allocate(
    state: &AppState,
    job: &Job,
    stop: watch::Receiver<bool>,
) -> Result<RunEnd, DomainError> {
    let payload: TeamJob = super::payload(job)?;
    if let Some(first) = &payload.after_job {
        while state
            .store
            .job(&job.project_id, first)
            .await?
            .is_some_and(|j| !j.status.is_final())
        {
            if *stop.borrow() {
                return Ok(RunEnd::Interrupted);
            }
            tokio::time::sleep(WAIT_POLL).await;
        }
    }
    let Some(dataset) = super::job_dataset(state, job).await? else {
        return Ok(RunEnd::Abandoned);
    };
    let added = state
        .team_tasks
        .allocate_all(&payload.task_id, &dataset.id)
        .await?;
    tracing::info!(items = added, "team task allocated");
    if let Some(task) = state.store.team_task(&dataset.id, &payload.task_id).await? {
        let queued = state.notices.task_started(&task).await?;
        if queued > 0 {
            state.mail_queued.notify_one();
        }
    }
    Ok(RunEnd::Done(
        JobOutcome::Succeeded(json!({ "allocated_items": added })),
        None,
    ))
}

/// A team job that failed for good: an allocation puts its task back to created (6);
/// a synchronization ends the acceptance anyway (the status its items give), so the
/// task does not stay synchronizing (5).
pub(crate) async fn failed(state: &AppState, job: &Job) {
    let ended = match super::payload::<TeamJob>(job) {
        Ok(payload) if job.kind == kind::TEAM_SYNC => {
            state.team_tasks.end_sync(&payload.task_id).await
        }
        Ok(payload) => state.team_tasks.allocation_failed(&payload.task_id).await,
        Err(e) => Err(e),
    };
    if let Err(e) = ended {
        tracing::error!(error = %e, "settling the task of a failed team job");
    }
}

/// Writes the accepted samples' consensus to the dataset and ends the acceptance.
pub(crate) async fn sync(state: &AppState, job: &Job) -> Result<RunEnd, DomainError> {
    let payload: TeamJob = super::payload(job)?;
    let Some(dataset) = super::job_dataset(state, job).await? else {
        return Ok(RunEnd::Abandoned);
    };
    let synced = state
        .team_tasks
        .sync_accepted(&payload.task_id, &dataset.id)
        .await?;
    tracing::info!(samples = synced, "team acceptance synchronized");
    Ok(RunEnd::Done(
        JobOutcome::Succeeded(json!({ "synced_samples": synced })),
        None,
    ))
}
