//! Dataset use cases: create (with its import job), read, list, modify, delete, metrics.

use std::sync::Arc;

use crate::blob::Blob;
use crate::dataset::{status, Dataset, DatasetQuery, DatasetType, DatasetUpdate, NewDataset};
use crate::ids::new_resource_id;
use crate::job::{kind, ImportPayload, NewJob};
use crate::store::{LabelChanges, MetricPoint, RunningJob, SamplePreview, Store, StoreError};
use crate::time::now_ms;
use crate::DomainError;

use super::team_tasks::TeamTaskService;
use super::{existing_dataset, require_bucket};

/// Dataset use cases.
#[derive(Clone)]
pub struct DatasetService {
    store: Arc<dyn Store>,
    blob: Arc<dyn Blob>,
    /// Builds the team task of `workforce_information`.
    tasks: TeamTaskService,
}

/// A store conflict on the dataset name as `DatasetNameTaken`; other errors as they are.
pub(crate) fn name_conflict(err: StoreError, name: &str) -> DomainError {
    match err {
        StoreError::Conflict {
            constraint: "datasets_project_name",
        } => DomainError::DatasetNameTaken(name.to_owned()),
        other => other.into(),
    }
}

impl DatasetService {
    /// A service over a store and a blob store; `tasks` builds team tasks.
    pub fn new(store: Arc<dyn Store>, blob: Arc<dyn Blob>, tasks: TeamTaskService) -> Self {
        Self { store, blob, tasks }
    }

    /// Creates a dataset and queues the import of the files under its input path;
    /// with `workforce_information`, its team task too (see
    /// [`TeamTaskService::for_new_dataset`]).
    pub async fn create(&self, project_id: &str, new: NewDataset) -> Result<Dataset, DomainError> {
        new.check()?;
        require_bucket(self.blob.as_ref(), &new.input_path).await?;
        require_bucket(self.blob.as_ref(), &new.work_path).await?;
        let now = now_ms();
        let id = new_resource_id();
        // Table datasets import only when asked to (`import_data`); file datasets always do.
        let imports = new.dataset_type != DatasetType::Table || new.import_data;
        let job = imports.then(|| NewJob {
            id: new_resource_id(),
            project_id: project_id.to_owned(),
            dataset_id: Some(id.clone()),
            kind: kind::IMPORT,
            payload: serde_json::json!(ImportPayload::dataset_input(
                new.input_path.as_dir(),
                new.import_annotations,
            )),
        });
        // The team task of `workforce_information`, created (and started) with the
        // dataset, its allocation after the import.
        let mut workforce_information = new.workforce_information;
        let mut team_task = None;
        let mut jobs: Vec<NewJob> = job.iter().cloned().collect();
        if let Some(info) = &mut workforce_information {
            let (task, allocate) = self
                .tasks
                .for_new_dataset(project_id, &id, info, job.as_ref().map(|j| j.id.as_str()))
                .await?;
            info.task_id = Some(task.id.clone());
            jobs.extend(allocate);
            team_task = Some(task);
        }
        let mut source = new.data_source.clone();
        source.data_path = Some(new.input_path.as_dir());
        let dataset = Dataset {
            id,
            project_id: project_id.to_owned(),
            name: new.name.clone(),
            dataset_type: new.dataset_type.code(),
            description: new.description,
            data_format: new.data_format,
            data_sources: vec![source],
            work_path: new.work_path.as_dir(),
            work_path_type: new.work_path_type,
            workspace_id: new.workspace_id,
            import_data: new.import_data,
            import_annotations: new.import_annotations,
            managed: new.managed,
            label_format: new.label_format,
            schema: new.schema,
            workforce_information,
            status: if job.is_some() {
                status::IMPORTING
            } else {
                status::NORMAL
            },
            create_time: now,
            update_time: now,
            data_update_time: now,
            total_sample_count: 0,
            annotated_sample_count: 0,
            deleted_sample_count: 0,
            next_version_num: 1,
            dataset_version_count: 0,
            current_version_id: None,
            current_version_name: None,
            import_task_id: job.as_ref().map(|j| j.id.clone()),
            labels: new.labels,
        };
        self.store
            .create_dataset(&dataset, &jobs, team_task.as_ref())
            .await
            .map_err(|e| name_conflict(e, &new.name))?;
        Ok(dataset)
    }

    /// A dataset of the project.
    pub async fn get(&self, project_id: &str, dataset_id: &str) -> Result<Dataset, DomainError> {
        existing_dataset(self.store.as_ref(), project_id, dataset_id).await
    }

    /// A page of datasets and the total.
    pub async fn list(
        &self,
        project_id: &str,
        query: &DatasetQuery,
    ) -> Result<(Vec<Dataset>, i64), DomainError> {
        Ok(self.store.list_datasets(project_id, query).await?)
    }

    /// Applies a modification in one transaction.
    pub async fn update(
        &self,
        project_id: &str,
        dataset_id: &str,
        update: DatasetUpdate,
    ) -> Result<Dataset, DomainError> {
        if let Some(name) = &update.name {
            crate::names::check_dataset_name(name)?;
        }
        if let Some(d) = &update.description {
            crate::names::check_description("description", d, 256)?;
        }
        let edit = |ds: &mut Dataset| -> Result<LabelChanges, DomainError> {
            if let Some(name) = &update.name {
                ds.name = name.clone();
            }
            if let Some(d) = &update.description {
                ds.description = d.clone();
            }
            if let Some(v) = &update.current_version_id {
                ds.current_version_id = Some(v.clone());
            }
            let kind = ds.kind();
            update.apply_labels(kind, &mut ds.labels)
        };
        let name = update.name.clone().unwrap_or_default();
        self.store
            .modify_dataset(project_id, dataset_id, &edit)
            .await
            .map_err(|e| name_conflict(e, &name))?
            .map(|(ds, _)| ds)
            .ok_or_else(|| DomainError::DatasetNotFound(dataset_id.to_owned()))
    }

    /// Deletes a dataset's metadata (never its source files) and cancels its jobs.
    pub async fn delete(&self, project_id: &str, dataset_id: &str) -> Result<(), DomainError> {
        if self.store.delete_dataset(project_id, dataset_id).await? {
            Ok(())
        } else {
            Err(DomainError::DatasetNotFound(dataset_id.to_owned()))
        }
    }

    /// Queued and running jobs of some datasets.
    pub async fn running_jobs(
        &self,
        dataset_ids: &[String],
    ) -> Result<Vec<RunningJob>, DomainError> {
        Ok(self.store.running_jobs(dataset_ids).await?)
    }

    /// Up to four samples to preview a dataset by.
    pub async fn previews(&self, dataset_id: &str) -> Result<Vec<SamplePreview>, DomainError> {
        Ok(self.store.sample_previews(dataset_id, 4).await?)
    }

    /// Monitoring points of a dataset between two times.
    pub async fn metrics(
        &self,
        project_id: &str,
        dataset_id: &str,
        start: i64,
        end: i64,
    ) -> Result<Vec<MetricPoint>, DomainError> {
        if start > end {
            return Err(DomainError::invalid(
                "start_time",
                "must not be after end_time",
            ));
        }
        let ds = self.get(project_id, dataset_id).await?;
        Ok(self.store.dataset_metrics(&ds.id, start, end).await?)
    }
}
