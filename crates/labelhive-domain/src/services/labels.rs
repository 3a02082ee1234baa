//! Label use cases of a dataset: list, create, modify, delete (in batches and by name).
//!
//! Every change runs through the store's dataset edit, so renames and deletions reach
//! every sample carrying the label in the same transaction. Batch requests answer per
//! label: bad items are refused one by one, the good ones applied together.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::dataset::{Dataset, DatasetUpdate};
use crate::label::Label;
use crate::store::{LabelChanges, LabelDeletePolicy, Store};
use crate::DomainError;

/// The outcome of one label of a batch.
pub type LabelResult = Result<(), DomainError>;

/// Label use cases.
#[derive(Clone)]
pub struct LabelService {
    store: Arc<dyn Store>,
}

impl LabelService {
    /// A service over a store.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// The dataset, with its labels.
    pub async fn dataset(
        &self,
        project_id: &str,
        dataset_id: &str,
    ) -> Result<Dataset, DomainError> {
        super::existing_dataset(self.store.as_ref(), project_id, dataset_id).await
    }

    /// Splits a batch into per-item results, trying each item on a working copy of the
    /// label set, then applies the accepted ones in one transaction. Returns the
    /// results and the sample paths deleted by the change.
    async fn batch(
        &self,
        project_id: &str,
        dataset_id: &str,
        items: Vec<DatasetUpdate>,
    ) -> Result<(Vec<LabelResult>, Vec<String>), DomainError> {
        let ds = self.dataset(project_id, dataset_id).await?;
        let kind = ds.kind();
        let mut working = ds.labels.clone();
        let mut accepted: Vec<DatasetUpdate> = Vec::new();
        let mut results = Vec::with_capacity(items.len());
        for item in items {
            let mut trial = working.clone();
            match item.apply_labels(kind, &mut trial) {
                Ok(_) => {
                    working = trial;
                    accepted.push(item);
                    results.push(Ok(()));
                }
                Err(e) => results.push(Err(e)),
            }
        }
        if accepted.is_empty() {
            return Ok((results, Vec::new()));
        }
        let edit = |d: &mut Dataset| -> Result<LabelChanges, DomainError> {
            let mut all = LabelChanges::default();
            for item in &accepted {
                let changes = item.apply_labels(kind, &mut d.labels)?;
                all.renames.extend(changes.renames);
                all.delete_policy = changes.delete_policy;
            }
            Ok(all)
        };
        let (_, deleted) = self
            .store
            .modify_dataset(project_id, dataset_id, &edit)
            .await?
            .ok_or_else(|| DomainError::DatasetNotFound(dataset_id.to_owned()))?;
        Ok((results, deleted))
    }

    /// Creating labels: each new label is added unless it breaks a rule.
    pub async fn create(
        &self,
        project_id: &str,
        dataset_id: &str,
        labels: Vec<Label>,
    ) -> Result<Vec<LabelResult>, DomainError> {
        let items = labels
            .into_iter()
            .map(|l| DatasetUpdate {
                add_labels: vec![l],
                ..DatasetUpdate::default()
            })
            .collect();
        Ok(self.batch(project_id, dataset_id, items).await?.0)
    }

    /// Modifying labels: properties and attributes by name; `@modelarts:rename_to` renames.
    pub async fn update(
        &self,
        project_id: &str,
        dataset_id: &str,
        labels: Vec<Label>,
    ) -> Result<Vec<LabelResult>, DomainError> {
        let items = labels
            .into_iter()
            .map(|l| DatasetUpdate {
                update_labels: vec![l],
                ..DatasetUpdate::default()
            })
            .collect();
        Ok(self.batch(project_id, dataset_id, items).await?.0)
    }

    /// Deleting labels by name under a policy; returns results and deleted sample paths.
    pub async fn delete(
        &self,
        project_id: &str,
        dataset_id: &str,
        names: Vec<String>,
        policy: LabelDeletePolicy,
    ) -> Result<(Vec<LabelResult>, Vec<String>), DomainError> {
        let items = names
            .into_iter()
            .map(|n| DatasetUpdate {
                delete_labels: vec![n],
                delete_policy: policy,
                ..DatasetUpdate::default()
            })
            .collect();
        self.batch(project_id, dataset_id, items).await
    }

    /// Updating one label's properties by name (a `label_type` must match when given).
    pub async fn update_one(
        &self,
        project_id: &str,
        dataset_id: &str,
        name: &str,
        label_type: Option<i32>,
        property: Map<String, Value>,
    ) -> Result<(), DomainError> {
        let ds = self.dataset(project_id, dataset_id).await?;
        let label = find(&ds, name, label_type)?;
        let change = Label {
            property,
            attributes: Vec::new(),
            ..label
        };
        let (mut results, _) = self
            .batch(
                project_id,
                dataset_id,
                vec![DatasetUpdate {
                    update_labels: vec![change],
                    ..DatasetUpdate::default()
                }],
            )
            .await?;
        results.pop().unwrap_or(Ok(()))
    }

    /// Deleting one label and the samples that carry only it; returns their paths.
    pub async fn delete_one(
        &self,
        project_id: &str,
        dataset_id: &str,
        name: &str,
        label_type: Option<i32>,
        policy: LabelDeletePolicy,
    ) -> Result<Vec<String>, DomainError> {
        let ds = self.dataset(project_id, dataset_id).await?;
        find(&ds, name, label_type)?;
        let (mut results, deleted) = self
            .delete(project_id, dataset_id, vec![name.to_owned()], policy)
            .await?;
        results.pop().unwrap_or(Ok(()))?;
        Ok(deleted)
    }
}

/// The dataset's label of that name (and type, when given).
fn find(ds: &Dataset, name: &str, label_type: Option<i32>) -> Result<Label, DomainError> {
    ds.labels
        .iter()
        .find(|l| l.name == name && label_type.is_none_or(|t| t == l.label_type))
        .cloned()
        .ok_or_else(|| DomainError::LabelNotFound(name.to_owned()))
}
