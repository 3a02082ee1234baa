//! Version use cases: publish (queue the publish job), read, list, delete, and reading a
//! published version's samples.

use std::sync::Arc;

use crate::dataset::{Dataset, DatasetType};
use crate::ids::new_resource_id;
use crate::job::{kind, NewJob, PublishPayload};
use crate::obs_path::ObsPath;
use crate::sample::{Sample, SamplePage};
use crate::search::SampleFilter;
use crate::store::{Store, StoreError, VersionQuery};
use crate::version::{self, status, NewVersion, Version};
use crate::DomainError;

/// Version use cases.
#[derive(Clone)]
pub struct VersionService {
    store: Arc<dyn Store>,
}

impl VersionService {
    /// A service over a store.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    async fn dataset(&self, project_id: &str, dataset_id: &str) -> Result<Dataset, DomainError> {
        super::existing_dataset(self.store.as_ref(), project_id, dataset_id).await
    }

    /// Checks the request and queues the publish job; the version starts `creating`.
    pub async fn create(
        &self,
        project_id: &str,
        dataset_id: &str,
        new: NewVersion,
    ) -> Result<Version, DomainError> {
        let ds = self.dataset(project_id, dataset_id).await?;
        new.check(ds.kind())?;
        let version_id = new_resource_id();
        let job = NewJob {
            id: new_resource_id(),
            project_id: project_id.to_owned(),
            dataset_id: Some(dataset_id.to_owned()),
            kind: kind::PUBLISH,
            payload: serde_json::json!(PublishPayload {
                version_id: version_id.clone()
            }),
        };
        let build = |ds: &Dataset| -> Result<Version, DomainError> {
            let name = new
                .name
                .clone()
                .unwrap_or_else(|| version::default_name(ds.next_version_num));
            let dir = version::version_dir(&ds.inner_work_path(), &name);
            // The directory must stay a valid path inside the store.
            ObsPath::parse("work_path", &dir)?;
            Ok(Version {
                id: version_id.clone(),
                dataset_id: ds.id.clone(),
                manifest_path: format!("{dir}{name}.manifest"),
                data_path: format!("{dir}data/"),
                name,
                description: new.description.clone(),
                status: status::CREATING,
                version_format: new.version_format.clone(),
                train_evaluate_sample_ratio: new.train_evaluate_sample_ratio.clone(),
                clear_hard_property: new.clear_hard_property,
                remove_sample_usage: new.remove_sample_usage,
                export_images: new.export_images,
                with_column_header: new.with_column_header,
                task_type: ds.dataset_type,
                total_sample_count: 0,
                annotated_sample_count: 0,
                labels: Vec::new(),
                label_type: None,
                previous_version_id: ds.current_version_id.clone(),
                message: None,
                job_id: job.id.clone(),
                last_seq: 0,
                create_time: 0,
                update_time: 0,
            })
        };
        let requested = new.name.clone().unwrap_or_default();
        self.store
            .create_version(project_id, dataset_id, &build, &job)
            .await
            .map_err(|e| match e {
                StoreError::Conflict {
                    constraint: "versions_dataset_name",
                } => DomainError::VersionNameTaken(requested),
                other => other.into(),
            })?
            .ok_or_else(|| DomainError::DatasetNotFound(dataset_id.to_owned()))
    }

    /// A version of a dataset of the project.
    pub async fn get(
        &self,
        project_id: &str,
        dataset_id: &str,
        version_id: &str,
    ) -> Result<(Dataset, Version), DomainError> {
        // The version first: a publish that commits between the two reads then shows
        // as current, never as a published version that is not current yet.
        let v = self.store.version(dataset_id, version_id).await?;
        let ds = self.dataset(project_id, dataset_id).await?;
        let v = v.ok_or_else(|| DomainError::VersionNotFound(version_id.to_owned()))?;
        Ok((ds, v))
    }

    /// A page of versions and the total.
    pub async fn list(
        &self,
        project_id: &str,
        dataset_id: &str,
        query: &VersionQuery,
    ) -> Result<(Dataset, Vec<Version>, i64), DomainError> {
        let ds = self.dataset(project_id, dataset_id).await?;
        let (versions, total) = self.store.list_versions(dataset_id, query).await?;
        Ok((ds, versions, total))
    }

    /// Deletes a version (never the files it published).
    pub async fn delete(
        &self,
        project_id: &str,
        dataset_id: &str,
        version_id: &str,
    ) -> Result<(), DomainError> {
        self.dataset(project_id, dataset_id).await?;
        if self.store.delete_version(dataset_id, version_id).await? {
            Ok(())
        } else {
            Err(DomainError::VersionNotFound(version_id.to_owned()))
        }
    }

    /// A published version of the dataset, for reading its samples or labels.
    pub async fn published(
        &self,
        dataset_id: &str,
        version_id: &str,
    ) -> Result<Version, DomainError> {
        match self.store.version(dataset_id, version_id).await? {
            Some(v) if v.status == status::NORMAL => Ok(v),
            Some(v) => Err(DomainError::Conflict(format!(
                "Dataset version {} is not published (status {})",
                v.id, v.status
            ))),
            None => Err(DomainError::VersionNotFound(version_id.to_owned())),
        }
    }

    /// A page of a published version's samples. Only `sample_state` and `label_name`
    /// filter a version; other filters are refused rather than ignored.
    pub async fn list_samples(
        &self,
        dataset_id: &str,
        version_id: &str,
        filter: &SampleFilter,
        page: SamplePage,
    ) -> Result<(Vec<Sample>, i64), DomainError> {
        if filter.label_type.is_some() || filter.score.is_some() || !filter.conditions.is_empty() {
            return Err(DomainError::Unsupported(
                "label_type, scores and search_conditions together with version_id".into(),
            ));
        }
        let v = self.published(dataset_id, version_id).await?;
        // Every sample is published with its dataset's type, so another type has none.
        let kind = DatasetType::from_code(v.task_type).unwrap_or(DatasetType::Custom);
        if filter.sample_type.is_some_and(|t| t != kind.sample_type()) {
            return Ok((Vec::new(), 0));
        }
        Ok(self.store.list_version_samples(&v, filter, page).await?)
    }
}
