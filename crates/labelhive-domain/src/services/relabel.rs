//! Relabeling samples in batches. Most relabels need nothing of the stored sample
//! (no span labels, which are checked against the text; no shapes without new
//! metadata, which the stored image size bounds), so they are checked and written
//! without reading the samples first: the write keeps the stored metadata and
//! reports the samples that do not exist. The others read the samples first.

use std::collections::HashMap;

use crate::annotation::{check_sample_labels, needs_size, needs_text, LabelContext};
use crate::dataset::Dataset;
use crate::ids::is_hex_id;
use crate::sample::{state_for, Sample, SampleWrite};
use crate::store::WriteMode;
use crate::DomainError;

use super::samples::{check_batch, prefix, ItemResult, LabelUpdate, SampleService};

impl SampleService {
    /// Replaces the labels of existing samples; unknown ids get their own error.
    pub async fn update_labels(
        &self,
        project_id: &str,
        dataset_id: &str,
        updates: Vec<LabelUpdate>,
    ) -> Result<Vec<ItemResult>, DomainError> {
        check_batch(updates.len())?;
        let ds = self.dataset(project_id, dataset_id).await?;
        match unread_writes(&ds, &updates) {
            Some((writes, slots, mut results)) => {
                self.write_relabels(&ds, &writes, &slots, &mut results)
                    .await?;
                Ok(results)
            }
            None => self.relabel_read(&ds, updates).await,
        }
    }

    /// Relabels after reading the samples: for labels that need the text or the
    /// stored image size, and for batches with a bad item (whose error depends on
    /// whether its sample exists).
    async fn relabel_read(
        &self,
        ds: &Dataset,
        updates: Vec<LabelUpdate>,
    ) -> Result<Vec<ItemResult>, DomainError> {
        let wanted: Vec<String> = updates
            .iter()
            .filter(|u| is_hex_id(&u.sample_id))
            .map(|u| u.sample_id.clone())
            .collect();
        let mut found: HashMap<String, Sample> = self
            .store
            .samples_by_id(&ds.id, &wanted)
            .await?
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect();
        let mut results: Vec<ItemResult> = Vec::with_capacity(updates.len());
        let mut writes = Vec::new();
        let mut slots = Vec::new();
        for (i, u) in updates.into_iter().enumerate() {
            let f = format!("samples[{i}]");
            // A repeated id reads the sample again, as a later item of the batch would.
            let Some(existing) = found.get(&u.sample_id).cloned() else {
                results.push(Err(DomainError::SampleNotFound(u.sample_id)));
                continue;
            };
            let mut labels = u.labels;
            let metadata = u.metadata.unwrap_or_else(|| existing.metadata.clone());
            if let Err(e) = self
                .check_labels(ds, &existing, &mut labels, &metadata)
                .await?
            {
                results.push(Err(prefix(e, &f)));
                continue;
            }
            slots.push(results.len());
            results.push(Ok(existing.id.clone()));
            let mut write = SampleWrite {
                id: existing.id,
                path: existing.path,
                name: existing.name,
                size: existing.size,
                sample_type: existing.sample_type,
                status: state_for(&labels, true),
                labels,
                metadata: Some(metadata),
                hard: false,
                score: None,
                usage: u.usage,
            };
            write.derive_flags();
            if let Some(entry) = found.get_mut(&write.id) {
                entry.labels.clone_from(&write.labels);
                if let Some(metadata) = &write.metadata {
                    entry.metadata.clone_from(metadata);
                }
            }
            writes.push(write);
        }
        self.write_relabels(ds, &writes, &slots, &mut results)
            .await?;
        Ok(results)
    }

    /// Writes relabels of existing samples; a sample that does not exist (any more)
    /// turns its result (at `slots`) into an error instead of being created.
    async fn write_relabels(
        &self,
        ds: &Dataset,
        writes: &[SampleWrite],
        slots: &[usize],
        results: &mut [ItemResult],
    ) -> Result<(), DomainError> {
        if writes.is_empty() {
            return Ok(());
        }
        let written = self
            .store
            .write_samples(&ds.id, writes, WriteMode::ExistingOnly)
            .await?;
        for (slot, ok) in slots.iter().zip(written) {
            if !ok {
                if let Some(Ok(id)) = results.get(*slot) {
                    let id = id.clone();
                    results[*slot] = Err(DomainError::SampleNotFound(id));
                }
            }
        }
        Ok(())
    }
}

/// The writes of a batch whose labels need nothing of the stored samples, with the
/// result slot of each and the results so far; `None` when some item needs its sample
/// read (span labels, shapes without new metadata) or fails its checks.
fn unread_writes(
    ds: &Dataset,
    updates: &[LabelUpdate],
) -> Option<(Vec<SampleWrite>, Vec<usize>, Vec<ItemResult>)> {
    let ctx = LabelContext {
        dataset_type: ds.kind(),
        dataset_labels: &ds.labels,
        text: None,
    };
    let mut results = Vec::with_capacity(updates.len());
    let mut writes = Vec::with_capacity(updates.len());
    let mut slots = Vec::with_capacity(updates.len());
    for u in updates {
        if !is_hex_id(&u.sample_id) {
            results.push(Err(DomainError::SampleNotFound(u.sample_id.clone())));
            continue;
        }
        if needs_text(&u.labels) {
            return None;
        }
        let mut labels = u.labels.clone();
        check_sample_labels(&ctx, &mut labels, u.metadata.as_ref()).ok()?;
        if u.metadata.is_none() && needs_size(&labels) {
            return None;
        }
        slots.push(results.len());
        results.push(Ok(u.sample_id.clone()));
        let mut write = SampleWrite {
            id: u.sample_id.clone(),
            // Only a write that creates its sample uses these; a relabel never does.
            path: String::new(),
            name: String::new(),
            size: 0,
            sample_type: ds.kind().sample_type(),
            status: state_for(&labels, true),
            labels,
            metadata: u.metadata.clone(),
            hard: false,
            score: None,
            usage: u.usage.clone(),
        };
        write.derive_flags();
        writes.push(write);
    }
    Some((writes, slots, results))
}
