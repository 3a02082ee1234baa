//! Export task use cases: queue an export (creating the new dataset of a NEW_DATASET
//! export with it), read one, list a dataset's exports.

use std::sync::Arc;

use crate::blob::Blob;
use crate::dataset::{status, DataSource, Dataset};
use crate::export::{ExportDest, ExportPayload, ExportRequest};
use crate::ids::new_resource_id;
use crate::job::{kind, Job, NewJob};
use crate::obs_path::ObsPath;
use crate::store::Store;
use crate::time::now_ms;
use crate::version::status as version_status;
use crate::DomainError;

use super::datasets::name_conflict;

/// Export task use cases.
#[derive(Clone)]
pub struct ExportService {
    store: Arc<dyn Store>,
    blob: Arc<dyn Blob>,
}

impl ExportService {
    /// A service over a store and a blob store.
    pub fn new(store: Arc<dyn Store>, blob: Arc<dyn Blob>) -> Self {
        Self { store, blob }
    }

    async fn dataset(&self, project_id: &str, dataset_id: &str) -> Result<Dataset, DomainError> {
        super::existing_dataset(self.store.as_ref(), project_id, dataset_id).await
    }

    async fn check_bucket(&self, field: &str, path: &str) -> Result<(), DomainError> {
        super::require_bucket(self.blob.as_ref(), &ObsPath::parse(field, path)?).await
    }

    /// Checks the request and queues the export job (with the new dataset of a
    /// NEW_DATASET export, in one transaction); returns the task id.
    pub async fn create(
        &self,
        project_id: &str,
        dataset_id: &str,
        req: ExportRequest,
    ) -> Result<String, DomainError> {
        let ds = self.dataset(project_id, dataset_id).await?;
        let now = now_ms();
        let mut payload = req.check(&ds, now)?;
        self.check_bucket("path", &payload.path).await?;
        if let Some(v) = &payload.version_id {
            let version = self
                .store
                .version(dataset_id, v)
                .await?
                .ok_or_else(|| DomainError::VersionNotFound(v.clone()))?;
            if version.status != version_status::NORMAL {
                return Err(DomainError::Conflict(format!(
                    "version {v} is not published yet"
                )));
            }
        }
        let mut job = NewJob {
            id: new_resource_id(),
            project_id: project_id.to_owned(),
            dataset_id: Some(dataset_id.to_owned()),
            kind: kind::EXPORT,
            payload: serde_json::Value::Null,
        };
        if payload.dest == ExportDest::NewDataset {
            let target = new_dataset(&ds, &payload, now)?;
            self.check_bucket(
                "export_params.export_new_dataset_work_path",
                &target.work_path,
            )
            .await?;
            payload.new_dataset_id = Some(target.id.clone());
            job.payload = serde_json::to_value(&payload).map_err(DomainError::internal)?;
            self.store
                .create_dataset(&target, std::slice::from_ref(&job), None)
                .await
                .map_err(|e| name_conflict(e, &target.name))?;
        } else {
            job.payload = serde_json::to_value(&payload).map_err(DomainError::internal)?;
            self.store.create_job(&job, false).await?;
        }
        Ok(job.id)
    }

    /// One export task of the dataset.
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
            kind::EXPORT,
            task_id,
        )
        .await
    }

    /// A page of the dataset's export tasks, newest first, and their number; with
    /// `export_type`, only exports of that type.
    pub async fn list(
        &self,
        project_id: &str,
        dataset_id: &str,
        export_type: Option<i32>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Job>, i64), DomainError> {
        self.dataset(project_id, dataset_id).await?;
        let Some(t) = export_type else {
            return Ok(self
                .store
                .list_jobs(dataset_id, kind::EXPORT, offset, limit)
                .await?);
        };
        // Export types are inside the payload: filter a bounded history in memory.
        let (all, _) = self
            .store
            .list_jobs(dataset_id, kind::EXPORT, 0, MAX_FILTERED_HISTORY)
            .await?;
        let matching: Vec<Job> = all
            .into_iter()
            .filter(|j| j.payload.get("export_type").and_then(|v| v.as_i64()) == Some(i64::from(t)))
            .collect();
        let total = i64::try_from(matching.len()).unwrap_or(i64::MAX);
        let start = usize::try_from(offset.saturating_mul(limit)).unwrap_or(usize::MAX);
        let page = matching
            .into_iter()
            .skip(start)
            .take(usize::try_from(limit).unwrap_or(0))
            .collect();
        Ok((page, total))
    }
}

/// Exports read when the list is filtered by `export_type`, newest first.
const MAX_FILTERED_HISTORY: i64 = 10_000;

/// The dataset a NEW_DATASET export creates: the source's type and labels, `path` as
/// its input and the given work path; importing until the export has filled it.
fn new_dataset(src: &Dataset, p: &ExportPayload, now: i64) -> Result<Dataset, DomainError> {
    let name = p.params.export_new_dataset_name.clone().unwrap_or_default();
    let work = p
        .params
        .export_new_dataset_work_path
        .as_deref()
        .map(|w| ObsPath::parse("export_params.export_new_dataset_work_path", w))
        .transpose()?
        .map(|w| w.as_dir())
        .unwrap_or_default();
    Ok(Dataset {
        id: new_resource_id(),
        project_id: src.project_id.clone(),
        name: name.trim().to_owned(),
        dataset_type: src.dataset_type,
        description: String::new(),
        data_format: src.data_format.clone(),
        data_sources: vec![DataSource {
            data_path: Some(p.path.clone()),
            data_type: 0,
            schema_maps: None,
            source_info: None,
            with_column_header: None,
        }],
        work_path: work,
        work_path_type: 0,
        workspace_id: src.workspace_id.clone(),
        import_data: false,
        import_annotations: true,
        managed: false,
        label_format: src.label_format.clone(),
        schema: src.schema.clone(),
        workforce_information: None,
        status: status::IMPORTING,
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
        import_task_id: None,
        labels: src.labels.clone(),
    })
}
