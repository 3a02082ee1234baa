//! Use cases over the ports: what handlers and jobs call.

pub mod datasets;
pub mod exports;
pub mod imports;
pub mod labels;
pub mod notices;
pub mod relabel;
pub mod samples;
pub mod syncs;
pub mod team_acceptance;
pub mod team_allocation;
pub mod team_labeling;
pub mod team_staffing;
pub mod team_stats;
pub mod team_tasks;
pub mod versions;
pub mod workforces;

use crate::blob::Blob;
use crate::dataset::Dataset;
use crate::job::Job;
use crate::obs_path::ObsPath;
use crate::store::Store;
use crate::DomainError;

/// A dataset of the project; `DatasetNotFound` (404) when there is none.
pub(crate) async fn existing_dataset(
    store: &dyn Store,
    project_id: &str,
    dataset_id: &str,
) -> Result<Dataset, DomainError> {
    store
        .dataset(project_id, dataset_id)
        .await?
        .ok_or_else(|| DomainError::DatasetNotFound(dataset_id.to_owned()))
}

/// `BucketNotFound` (4311) unless the bucket of `path` exists.
pub(crate) async fn require_bucket(blob: &dyn Blob, path: &ObsPath) -> Result<(), DomainError> {
    if blob.bucket_exists(path.bucket()).await? {
        Ok(())
    } else {
        Err(DomainError::BucketNotFound(path.bucket().to_owned()))
    }
}

/// A task of the dataset: its job of `kind`; `TaskNotFound` (4359) otherwise.
pub(crate) async fn dataset_task(
    store: &dyn Store,
    project_id: &str,
    dataset_id: &str,
    kind: &str,
    task_id: &str,
) -> Result<Job, DomainError> {
    existing_dataset(store, project_id, dataset_id).await?;
    store
        .job(project_id, task_id)
        .await?
        .filter(|j| j.kind == kind && j.dataset_id.as_deref() == Some(dataset_id))
        .ok_or_else(|| DomainError::TaskNotFound(task_id.to_owned()))
}

/// Every member of a team, read page by page.
pub(crate) async fn team_workers(
    store: &dyn Store,
    project_id: &str,
    workforce_id: &str,
) -> Result<Vec<crate::workforce::Worker>, DomainError> {
    let mut q = crate::workforce::WorkerQuery {
        workforce_id: Some(workforce_id.to_owned()),
        ascending: true,
        limit: 100,
        ..Default::default()
    };
    let mut out = Vec::new();
    loop {
        let (page, total) = store.list_workers(project_id, &q).await?;
        out.extend(page);
        if (q.offset + 1) * q.limit >= total {
            return Ok(out);
        }
        q.offset += 1;
    }
}
