//! What directory and manifest imports share: turning a found item into a sample
//! write (filters, label creation, label checks), batching, and writing each batch
//! with the job's tally in one transaction.

use labelhive_domain::annotation::{
    check_sample_labels, LabelContext, SampleLabel, SampleMetadata,
};
use labelhive_domain::dataset::Dataset;
use labelhive_domain::ids::sample_id_for_path;
use labelhive_domain::import::{ImportPayload, ImportTally, MAX_ITEM_BYTES};
use labelhive_domain::job::Job;
use labelhive_domain::label::allowed_label_types;
use labelhive_domain::obs_path::ObsPath;
use labelhive_domain::sample::{state_for, SampleWrite};
use labelhive_domain::services::imports::ensure_labels;
use labelhive_domain::store::{ImportBatch, NewSample, RegisterOutcome, WriteMode};
use labelhive_domain::DomainError;
use serde_json::Value;
use tokio::task::JoinHandle;

use crate::app::AppState;

/// Reads a file found beside a sample (annotation, label or text file) if it exists;
/// one past [`MAX_ITEM_BYTES`] is refused.
pub(crate) async fn read_small(
    state: &AppState,
    path: &ObsPath,
) -> Result<Option<Vec<u8>>, DomainError> {
    match state.blob.size(path).await? {
        None => Ok(None),
        Some(n) if n > MAX_ITEM_BYTES as u64 => Err(DomainError::invalid(
            path.as_file(),
            format!(
                "is {n} bytes; annotation, label and text files may hold at most {MAX_ITEM_BYTES}"
            ),
        )),
        Some(_) => state.blob.get(path).await.map(Some),
    }
}

/// [`read_small`] as UTF-8 text.
pub(crate) async fn read_small_text(
    state: &AppState,
    path: &ObsPath,
) -> Result<Option<String>, DomainError> {
    read_small(state, path)
        .await?
        .map(|bytes| {
            String::from_utf8(bytes)
                .map_err(|_| DomainError::invalid(path.as_file(), "is not UTF-8 text"))
        })
        .transpose()
}

/// How an import task's reading ended.
pub(crate) enum Ended {
    /// Everything was read.
    Done,
    /// The job was abandoned.
    Abandoned,
    /// The server is stopping.
    Interrupted,
}

/// A sample an import found, before the import's rules apply.
#[derive(Debug, Default)]
pub(crate) struct Item {
    /// Canonical file path.
    pub path: String,
    /// Size in bytes.
    pub size: i64,
    /// Labels found with it.
    pub labels: Vec<SampleLabel>,
    /// Metadata found with it.
    pub metadata: SampleMetadata,
    /// Whether the source marks it hard.
    pub hard: bool,
    /// Its text, for text samples whose labels need it.
    pub text: Option<String>,
    /// Manifest line, for error reports.
    pub line: Option<i64>,
    /// The usage the source gives it.
    pub usage: Option<String>,
}

/// The running side of one import job.
pub(crate) struct Importer<'a> {
    state: &'a AppState,
    owner: &'a str,
    job: &'a Job,
    pub payload: &'a ImportPayload,
    pub dataset: Dataset,
    pub tally: ImportTally,
    plain: Vec<NewSample>,
    labeled: Vec<SampleWrite>,
    /// The batch being written while the next one is read: one at a time, in order,
    /// so the progress each records stays a prefix of the source.
    pending: Option<JoinHandle<Result<RegisterOutcome, DomainError>>>,
}

impl<'a> Importer<'a> {
    /// An importer starting from `tally` (a fresh one, or the stored one on resume).
    pub fn new(
        state: &'a AppState,
        owner: &'a str,
        job: &'a Job,
        payload: &'a ImportPayload,
        dataset: Dataset,
        tally: ImportTally,
    ) -> Self {
        Self {
            state,
            owner,
            job,
            payload,
            dataset,
            tally,
            plain: Vec::new(),
            labeled: Vec::new(),
            pending: None,
        }
    }

    /// Writes the last batch and ends as `ended`, or as abandoned when the job is gone.
    pub async fn end(&mut self, ended: Ended) -> Result<Ended, DomainError> {
        Ok(if self.flush().await? && self.settle().await? {
            ended
        } else {
            Ended::Abandoned
        })
    }

    /// Waits for the batch being written; `Ok(false)` when the job was abandoned.
    async fn settle(&mut self) -> Result<bool, DomainError> {
        let Some(write) = self.pending.take() else {
            return Ok(true);
        };
        match write.await.map_err(DomainError::internal)?? {
            RegisterOutcome::Registered(_) => Ok(true),
            RegisterOutcome::Abandoned => Ok(false),
        }
    }

    /// Records a refused item.
    pub fn fail(&mut self, line: Option<i64>, path: Option<String>, err: &DomainError) {
        self.tally.fail(line, path, err);
    }

    /// Takes one item (already counted in `total_samples`) through the import's rules into the current batch; flushes a full
    /// batch. `Ok(false)` when the job was abandoned.
    pub async fn add(&mut self, mut item: Item) -> Result<bool, DomainError> {
        let p = self.payload;
        if !p
            .filter
            .admits(&item.labels, item.hard || item.metadata.is_hard())
        {
            self.tally.skipped += 1;
            return Ok(true);
        }
        if let Some(origin) = p.import_origin {
            item.metadata
                .0
                .entry("@modelarts:import_origin")
                .or_insert(Value::from(origin));
        }
        let path = ObsPath::parse("source", &item.path)?;
        let keep_labels = p.import_annotations
            && (!item.labels.is_empty() || !item.metadata.0.is_empty() || item.usage.is_some());
        if !keep_labels {
            if !p.import_samples {
                self.tally.skipped += 1;
                return Ok(true);
            }
            self.plain.push(NewSample {
                id: sample_id_for_path(&item.path),
                name: path.file_name().to_owned(),
                path: item.path,
                size: item.size,
                sample_type: self.dataset.kind().sample_type(),
            });
            self.tally.file_size += item.size;
        } else {
            // Creating labels writes the dataset too: let the batch in flight end first.
            let new_label = item
                .labels
                .iter()
                .filter_map(|l| l.name.as_ref())
                .any(|n| !self.dataset.labels.iter().any(|d| &d.name == n));
            if new_label && !self.settle().await? {
                return Ok(false);
            }
            match self.prepare(item).await {
                Ok(write) => {
                    self.tally.file_size += write.size;
                    self.labeled.push(write);
                }
                Err((line, path, e)) => self.fail(line, Some(path), &e),
            }
        }
        if self.plain.len() + self.labeled.len() >= self.state.config.import_batch {
            return self.flush().await;
        }
        Ok(true)
    }

    /// Creates missing labels and checks the item's labels against the dataset.
    async fn prepare(
        &mut self,
        item: Item,
    ) -> Result<SampleWrite, (Option<i64>, String, DomainError)> {
        let Item {
            path,
            size,
            mut labels,
            metadata,
            text,
            line,
            usage,
            ..
        } = item;
        let at = |e: DomainError| (line, path.clone(), e);
        let missing: Vec<(String, i32)> = labels
            .iter()
            .filter_map(|l| Some((l.name.clone()?, l.label_type?)))
            .filter(|(n, _)| !self.dataset.labels.iter().any(|d| &d.name == n))
            .collect();
        let allowed = allowed_label_types(self.dataset.kind());
        if let Some((name, t)) = missing.iter().find(|(_, t)| !allowed.contains(t)) {
            let code = self.dataset.kind().code();
            let why =
                format!("label {name:?} has type {t}, which a dataset of type {code} cannot hold");
            return Err(at(DomainError::invalid("labels", why)));
        }
        if !missing.is_empty() {
            let (ds, created) = ensure_labels(self.state.store.as_ref(), &self.dataset, &missing)
                .await
                .map_err(at)?;
            self.dataset = ds;
            self.tally.labels_created.extend(created);
        }
        let ctx = LabelContext {
            dataset_type: self.dataset.kind(),
            dataset_labels: &self.dataset.labels,
            text: text.as_deref(),
        };
        check_sample_labels(&ctx, &mut labels, Some(&metadata)).map_err(at)?;
        let name = ObsPath::parse("source", &path)
            .map_err(at)?
            .file_name()
            .to_owned();
        let mut write = SampleWrite {
            id: sample_id_for_path(&path),
            name,
            size,
            sample_type: self.dataset.kind().sample_type(),
            status: state_for(&labels, self.payload.final_annotation),
            labels,
            metadata: Some(metadata),
            path,
            hard: false,
            score: None,
            usage,
        };
        write.derive_flags();
        Ok(write)
    }

    /// Starts writing the current batch with the tally, once the batch before it is
    /// written; `Ok(false)` when the job was abandoned.
    pub async fn flush(&mut self) -> Result<bool, DomainError> {
        if !self.settle().await? {
            return Ok(false);
        }
        if !self.payload.import_samples && !self.labeled.is_empty() {
            // Only samples the dataset has are relabeled; the others count as skipped.
            let ids: Vec<String> = self.labeled.iter().map(|w| w.id.clone()).collect();
            let known: std::collections::HashSet<String> = self
                .state
                .store
                .samples_by_id(&self.dataset.id, &ids)
                .await?
                .into_iter()
                .map(|s| s.id)
                .collect();
            let before = self.labeled.len();
            self.labeled.retain(|w| known.contains(&w.id));
            self.tally.skipped += i64::try_from(before - self.labeled.len()).unwrap_or(0);
        }
        let mut tally = self.tally.clone();
        tally.annotated +=
            i64::try_from(self.labeled.iter().filter(|w| !w.labels.is_empty()).count())
                .unwrap_or(0);
        tally.imported += i64::try_from(self.plain.len() + self.labeled.len()).unwrap_or(i64::MAX);
        let result = tally.to_value();
        let plain = std::mem::take(&mut self.plain);
        let labeled = std::mem::take(&mut self.labeled);
        let mode = if self.payload.import_samples {
            WriteMode::Upsert
        } else {
            WriteMode::ExistingOnly
        };
        let (store, job_id, owner, dataset_id) = (
            self.state.store.clone(),
            self.job.id.clone(),
            self.owner.to_owned(),
            self.dataset.id.clone(),
        );
        let done = tally.consumed;
        // The batch is written while the next one is read and checked; the tally
        // moves on now, and a failed or abandoned write ends the job at `settle`.
        self.pending = Some(tokio::spawn(async move {
            let batch = ImportBatch {
                plain: &plain,
                labeled: &labeled,
                mode,
                progress_done: done,
                progress_total: done,
                result: &result,
            };
            Ok(store
                .import_batch(&job_id, &owner, &dataset_id, batch)
                .await?)
        }));
        self.tally = tally;
        Ok(true)
    }
}
