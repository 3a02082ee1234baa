//! Import task use cases: queue an import, read one, list a dataset's imports, and the
//! label-set growth an import needs while it runs.

use std::sync::Arc;

use crate::dataset::{Dataset, DatasetUpdate};
use crate::ids::new_resource_id;
use crate::import::ImportRequest;
use crate::job::{kind, Job, NewJob};
use crate::label::{allowed_label_types, Label};
use crate::store::{LabelChanges, Store};
use crate::DomainError;

/// Import task use cases.
#[derive(Clone)]
pub struct ImportService {
    store: Arc<dyn Store>,
}

impl ImportService {
    /// A service over a store.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    async fn dataset(&self, project_id: &str, dataset_id: &str) -> Result<Dataset, DomainError> {
        super::existing_dataset(self.store.as_ref(), project_id, dataset_id).await
    }

    /// Checks the request and queues the import job; returns the task id.
    pub async fn create(
        &self,
        project_id: &str,
        dataset_id: &str,
        req: ImportRequest,
    ) -> Result<String, DomainError> {
        let ds = self.dataset(project_id, dataset_id).await?;
        let payload = req.check(ds.kind())?;
        let job = NewJob {
            id: new_resource_id(),
            project_id: project_id.to_owned(),
            dataset_id: Some(dataset_id.to_owned()),
            kind: kind::IMPORT,
            payload: serde_json::to_value(&payload).map_err(DomainError::internal)?,
        };
        if let Some(running) = self.store.create_job(&job, true).await? {
            return Err(DomainError::ImportRunning(running));
        }
        Ok(job.id)
    }

    /// One import task of the dataset.
    pub async fn get(
        &self,
        project_id: &str,
        dataset_id: &str,
        task_id: &str,
    ) -> Result<Job, DomainError> {
        super::dataset_task(
            self.store.as_ref(),
            project_id,
            dataset_id,
            kind::IMPORT,
            task_id,
        )
        .await
    }

    /// A page of the dataset's import tasks, newest first, and their number.
    pub async fn list(
        &self,
        project_id: &str,
        dataset_id: &str,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Job>, i64), DomainError> {
        self.dataset(project_id, dataset_id).await?;
        Ok(self
            .store
            .list_jobs(dataset_id, kind::IMPORT, offset, limit)
            .await?)
    }
}

/// Adds the labels an import met that the dataset lacks, when the dataset type allows
/// their type; returns the dataset as it now is and the names added. Labels of a type
/// the dataset cannot hold are left out: the samples carrying them are refused later.
pub async fn ensure_labels(
    store: &dyn Store,
    ds: &Dataset,
    wanted: &[(String, i32)],
) -> Result<(Dataset, Vec<String>), DomainError> {
    let allowed = allowed_label_types(ds.kind());
    let mut add: Vec<Label> = Vec::new();
    for (name, t) in wanted {
        let known =
            ds.labels.iter().any(|l| &l.name == name) || add.iter().any(|l| &l.name == name);
        if !known && allowed.contains(t) && crate::names::check_label_name("name", name).is_ok() {
            add.push(Label {
                name: name.clone(),
                label_type: *t,
                property: serde_json::Map::new(),
                attributes: Vec::new(),
            });
        }
    }
    if add.is_empty() {
        return Ok((ds.clone(), Vec::new()));
    }
    let kind = ds.kind();
    let edit = |d: &mut Dataset| -> Result<LabelChanges, DomainError> {
        // Another batch may have added some meanwhile: add only what is still missing.
        let update = DatasetUpdate {
            add_labels: add
                .iter()
                .filter(|a| !d.labels.iter().any(|l| l.name == a.name))
                .cloned()
                .collect(),
            ..DatasetUpdate::default()
        };
        update.apply_labels(kind, &mut d.labels)
    };
    let (updated, _) = store
        .modify_dataset(&ds.project_id, &ds.id, &edit)
        .await?
        .ok_or_else(|| DomainError::DatasetNotFound(ds.id.clone()))?;
    Ok((updated, add.into_iter().map(|l| l.name).collect()))
}
