//! Synchronization use cases: queue a dataset's synchronization with its input path,
//! and read the latest one.

use std::sync::Arc;

use crate::dataset::DatasetType;
use crate::ids::new_resource_id;
use crate::job::{kind, Job, NewJob};
use crate::store::Store;
use crate::DomainError;

/// Synchronization use cases.
#[derive(Clone)]
pub struct SyncService {
    store: Arc<dyn Store>,
}

impl SyncService {
    /// A service over a store.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Queues a synchronization; one at a time per dataset (400 ModelArts.4355).
    pub async fn create(&self, project_id: &str, dataset_id: &str) -> Result<String, DomainError> {
        let ds = super::existing_dataset(self.store.as_ref(), project_id, dataset_id).await?;
        let kind_ = ds.kind();
        // As documented: text datasets hold lines, not files, and cannot be synchronized.
        if matches!(
            kind_,
            DatasetType::TextClassification
                | DatasetType::NamedEntity
                | DatasetType::TextTriplet
                | DatasetType::Table
        ) {
            return Err(DomainError::Unsupported(
                "synchronizing text and table datasets".into(),
            ));
        }
        let job = NewJob {
            id: new_resource_id(),
            project_id: project_id.to_owned(),
            dataset_id: Some(dataset_id.to_owned()),
            kind: kind::SYNC,
            payload: serde_json::json!({}),
        };
        if let Some(running) = self.store.create_job(&job, true).await? {
            return Err(DomainError::SyncRunning(running));
        }
        Ok(job.id)
    }

    /// The dataset's latest synchronization, if it ever had one.
    pub async fn latest(
        &self,
        project_id: &str,
        dataset_id: &str,
    ) -> Result<Option<Job>, DomainError> {
        super::existing_dataset(self.store.as_ref(), project_id, dataset_id).await?;
        let (jobs, _) = self.store.list_jobs(dataset_id, kind::SYNC, 0, 1).await?;
        Ok(jobs.into_iter().next())
    }
}
