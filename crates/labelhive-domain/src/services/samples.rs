//! Sample use cases: add in batches, list, show, delete, relabel, statistics.
//!
//! Batch operations answer per item: a bad sample gets its own error and stays
//! unchanged while the others go through, all good ones in one transaction.

use std::collections::HashMap;
use std::sync::Arc;

use crate::annotation::{
    check_sample_labels, needs_text, LabelContext, SampleLabel, SampleMetadata,
};
use crate::blob::Blob;
use crate::dataset::Dataset;
use crate::ids::{is_hex_id, sample_id_for_path};
use crate::names::check_no_special;
use crate::obs_path::ObsPath;
use crate::sample::{state_for, Sample, SamplePage, SampleWrite};
use futures::stream::{BoxStream, StreamExt};

use crate::search::SampleFilter;
use crate::stats::SampleStats;
use crate::store::{Store, WriteMode};
use crate::team_task::Labeler;
use crate::workforce::worker_id_for;
use crate::DomainError;

/// Most samples one batch request may carry.
pub const MAX_BATCH: usize = 1000;

/// A sample to add, as parsed from the request.
#[derive(Debug, Clone, Default)]
pub struct SampleInput {
    /// File name (required with `data`).
    pub name: Option<String>,
    /// File bytes, stored under the dataset's input path.
    pub data: Option<Vec<u8>>,
    /// An existing file to register instead of uploading.
    pub data_path: Option<String>,
    /// Labels.
    pub labels: Vec<SampleLabel>,
    /// Metadata.
    pub metadata: SampleMetadata,
}

/// A relabeling of one existing sample.
#[derive(Debug, Clone)]
pub struct LabelUpdate {
    /// The sample.
    pub sample_id: String,
    /// The new labels (empty clears them).
    pub labels: Vec<SampleLabel>,
    /// New metadata, when given.
    pub metadata: Option<SampleMetadata>,
    /// New usage (`TRAIN`, `EVAL`, `TEST`, `INFERENCE`), when given.
    pub usage: Option<String>,
}

/// The outcome of one item of a batch.
pub type ItemResult = Result<String, DomainError>;

/// What the sample search condition endpoint offers.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    /// The dataset (its labels).
    pub dataset: Dataset,
    /// Metadata keys with up to 100 values each.
    pub metadata: Vec<(String, Vec<String>)>,
    /// Emails of the members who labeled samples in the dataset's team tasks.
    pub labelers: Vec<String>,
}

/// Sample use cases.
#[derive(Clone)]
pub struct SampleService {
    pub(super) store: Arc<dyn Store>,
    pub(super) blob: Arc<dyn Blob>,
}

pub(crate) fn check_batch(len: usize) -> Result<(), DomainError> {
    if len == 0 || len > MAX_BATCH {
        return Err(DomainError::invalid(
            "samples",
            format!("must hold 1 to {MAX_BATCH} samples"),
        ));
    }
    Ok(())
}

impl SampleService {
    /// A service over a store and a blob store.
    pub fn new(store: Arc<dyn Store>, blob: Arc<dyn Blob>) -> Self {
        Self { store, blob }
    }

    pub(super) async fn dataset(
        &self,
        project_id: &str,
        dataset_id: &str,
    ) -> Result<Dataset, DomainError> {
        super::existing_dataset(self.store.as_ref(), project_id, dataset_id).await
    }

    /// Validates one input into a write; uploads no bytes yet.
    fn prepare(
        &self,
        ds: &Dataset,
        i: usize,
        input: SampleInput,
        final_annotation: bool,
    ) -> Result<(SampleWrite, Option<Vec<u8>>), DomainError> {
        let f = format!("samples[{i}]");
        let (path, bytes) = match (input.data, input.data_path) {
            (Some(bytes), _) => {
                let name = input.name.clone().ok_or_else(|| {
                    DomainError::invalid(format!("{f}.name"), "is required with data")
                })?;
                if name.is_empty() || name.chars().count() > 1024 {
                    return Err(DomainError::invalid(
                        format!("{f}.name"),
                        "must contain 1 to 1024 characters",
                    ));
                }
                check_no_special(&format!("{f}.name"), &name, "!<>=&\"'")?;
                let input_dir = ds
                    .input_path()
                    .ok_or_else(|| DomainError::invalid("dataset", "has no input path"))?;
                let dir = ObsPath::parse("data_sources[0].data_path", input_dir)?;
                (
                    dir.join(&name).map_err(|_| {
                        DomainError::invalid(format!("{f}.name"), "is not a valid file name")
                    })?,
                    Some(bytes),
                )
            }
            (None, Some(p)) => (
                ObsPath::parse(&format!("{f}.data_source.data_path"), &p)?,
                None,
            ),
            (None, None) => {
                return Err(DomainError::invalid(
                    f,
                    "needs data or data_source.data_path",
                ))
            }
        };
        if path.is_bucket() {
            return Err(DomainError::BucketAsPath(path.as_dir()));
        }
        let text = bytes.as_deref().and_then(|b| std::str::from_utf8(b).ok());
        let ctx = LabelContext {
            dataset_type: ds.kind(),
            dataset_labels: &ds.labels,
            text: if ds.kind().sample_type() == 1 {
                text
            } else {
                None
            },
        };
        let mut labels = input.labels;
        check_sample_labels(&ctx, &mut labels, Some(&input.metadata)).map_err(|e| prefix(e, &f))?;
        let file = path.as_file();
        let mut write = SampleWrite {
            id: sample_id_for_path(&file),
            name: path.file_name().to_owned(),
            size: bytes
                .as_ref()
                .map_or(0, |b| i64::try_from(b.len()).unwrap_or(i64::MAX)),
            sample_type: ds.kind().sample_type(),
            status: state_for(&labels, final_annotation),
            labels,
            metadata: Some(input.metadata),
            path: file,
            hard: false,
            score: None,
            usage: None,
        };
        write.derive_flags();
        Ok((write, bytes))
    }

    /// Adds samples: uploads their bytes, then writes all good ones in one transaction.
    pub async fn add(
        &self,
        project_id: &str,
        dataset_id: &str,
        inputs: Vec<SampleInput>,
        final_annotation: bool,
    ) -> Result<Vec<(String, ItemResult)>, DomainError> {
        check_batch(inputs.len())?;
        let ds = self.dataset(project_id, dataset_id).await?;
        let mut results: Vec<(String, ItemResult)> = Vec::with_capacity(inputs.len());
        let mut prepared = Vec::new();
        let mut buckets: HashMap<String, bool> = HashMap::new();
        for (i, input) in inputs.into_iter().enumerate() {
            let shown = input
                .name
                .clone()
                .or_else(|| input.data_path.clone())
                .unwrap_or_default();
            match self.prepare(&ds, i, input, final_annotation) {
                Ok((mut write, bytes)) => {
                    if bytes.is_none() {
                        // A registered file must exist; its size comes from the store.
                        let path = ObsPath::parse("path", &write.path)?;
                        match self.blob.size(&path).await? {
                            Some(size) => write.size = i64::try_from(size).unwrap_or(i64::MAX),
                            None => {
                                results
                                    .push((shown, Err(DomainError::ObsPathNotFound(write.path))));
                                continue;
                            }
                        }
                    } else {
                        let path = ObsPath::parse("path", &write.path)?;
                        let bucket = path.bucket().to_owned();
                        let exists = match buckets.get(&bucket) {
                            Some(known) => *known,
                            None => {
                                let known = self.blob.bucket_exists(&bucket).await?;
                                buckets.insert(bucket.clone(), known);
                                known
                            }
                        };
                        // A bucket that vanished is this item's problem, not the batch's.
                        if !exists {
                            results.push((shown, Err(DomainError::BucketNotFound(bucket))));
                            continue;
                        }
                    }
                    results.push((write.path.clone(), Ok(write.id.clone())));
                    prepared.push((write, bytes));
                }
                Err(e) => results.push((shown, Err(e))),
            }
        }
        // Files go first and concurrently; the metadata commit then makes them samples.
        let mut files = Vec::new();
        let mut writes = Vec::with_capacity(prepared.len());
        for (write, bytes) in prepared {
            if let Some(bytes) = bytes {
                files.push((ObsPath::parse("path", &write.path)?, bytes));
            }
            writes.push(write);
        }
        self.blob.put_many(files).await?;
        if !writes.is_empty() {
            let written = self
                .store
                .write_samples(&ds.id, &writes, WriteMode::Upsert)
                .await?;
            if written.iter().any(|w| !w) {
                return Err(DomainError::DatasetNotFound(ds.id));
            }
        }
        Ok(results)
    }

    /// Deletes samples; with `delete_source`, their files too (after the commit).
    pub async fn delete(
        &self,
        project_id: &str,
        dataset_id: &str,
        ids: Vec<String>,
        delete_source: bool,
    ) -> Result<Vec<ItemResult>, DomainError> {
        check_batch(ids.len())?;
        let ds = self.dataset(project_id, dataset_id).await?;
        let valid: Vec<String> = ids.iter().filter(|id| is_hex_id(id)).cloned().collect();
        let deleted = self.store.delete_samples(&ds.id, &valid).await?;
        let mut by_id = valid
            .into_iter()
            .zip(deleted)
            .collect::<std::collections::HashMap<_, _>>();
        let mut results = Vec::with_capacity(ids.len());
        for id in ids {
            match by_id.remove(&id).flatten() {
                Some(path) => {
                    if delete_source {
                        self.delete_file(&path).await;
                    }
                    results.push(Ok(id));
                }
                None => results.push(Err(DomainError::SampleNotFound(id))),
            }
        }
        Ok(results)
    }

    /// Deletes a sample's file; a failure is logged by the caller's layer, never fatal,
    /// because the metadata change is already committed.
    pub async fn delete_file(&self, path: &str) {
        if let Ok(p) = ObsPath::parse("path", path) {
            let _ = self.blob.delete(&p).await;
        }
    }

    /// One sample.
    pub async fn get(
        &self,
        project_id: &str,
        dataset_id: &str,
        sample_id: &str,
    ) -> Result<Sample, DomainError> {
        let ds = self.dataset(project_id, dataset_id).await?;
        self.sample_in(&ds, sample_id).await
    }

    /// One sample with the team members it is allocated to (its `labelers`).
    pub async fn details(
        &self,
        project_id: &str,
        dataset_id: &str,
        sample_id: &str,
    ) -> Result<(Sample, Vec<Labeler>), DomainError> {
        let ds = self.dataset(project_id, dataset_id).await?;
        let sample = self.sample_in(&ds, sample_id).await?;
        let labelers = self
            .store
            .sample_labelers(&ds.id, std::slice::from_ref(&sample.id))
            .await?;
        Ok((sample, labelers))
    }

    async fn sample_in(&self, ds: &Dataset, sample_id: &str) -> Result<Sample, DomainError> {
        if !is_hex_id(sample_id) {
            return Err(DomainError::SampleNotFound(sample_id.to_owned()));
        }
        self.store
            .sample(&ds.id, sample_id)
            .await?
            .ok_or_else(|| DomainError::SampleNotFound(sample_id.to_owned()))
    }

    /// A page of samples, the number matching, and the team members the page's samples
    /// are allocated to (their `labelers`).
    pub async fn list(
        &self,
        project_id: &str,
        dataset_id: &str,
        query: &SampleFilter,
        page: SamplePage,
    ) -> Result<(Vec<Sample>, i64, Vec<Labeler>), DomainError> {
        let ds = self.dataset(project_id, dataset_id).await?;
        // A labeler is named as the search condition endpoint lists them
        // (`human/<email>`) or by email; the store matches its worker id.
        let mut query = query.clone();
        // Every sample is written with its dataset's type: asking for that type is no test.
        if query.sample_type == Some(ds.kind().sample_type()) {
            query.sample_type = None;
        }
        for c in &mut query.conditions {
            if let Some(l) = &mut c.labeler {
                let email = l.strip_prefix("human/").unwrap_or(l).trim().to_lowercase();
                *l = worker_id_for(&ds.project_id, &email);
            }
        }
        let (samples, count) = self.store.list_samples(&ds.id, &query, page).await?;
        let ids: Vec<String> = samples.iter().map(|s| s.id.clone()).collect();
        let labelers = self.store.sample_labelers(&ds.id, &ids).await?;
        Ok((samples, count, labelers))
    }

    /// The sample's file as a stream of chunks, with its name.
    pub async fn file(
        &self,
        project_id: &str,
        dataset_id: &str,
        sample_id: &str,
    ) -> Result<(String, BoxStream<'static, Result<Vec<u8>, DomainError>>), DomainError> {
        let sample = self.get(project_id, dataset_id, sample_id).await?;
        let path = ObsPath::parse("path", &sample.path)?;
        let stream = self.blob.stream(&path).await?.ok_or_else(|| {
            DomainError::SampleNotFound(format!("{sample_id} (its file is gone)"))
        })?;
        Ok((sample.name, stream))
    }

    /// Labels, labelers and metadata values to build search conditions from.
    pub async fn search_options(
        &self,
        project_id: &str,
        dataset_id: &str,
    ) -> Result<SearchOptions, DomainError> {
        let ds = self.dataset(project_id, dataset_id).await?;
        let metadata = self.store.metadata_values(&ds.id, 100).await?;
        let labelers = self.store.dataset_labelers(&ds.id).await?;
        Ok(SearchOptions {
            dataset: ds,
            metadata,
            labelers,
        })
    }

    /// The text of a text sample, for span checks; `None` for other kinds or non-UTF-8.
    /// Checks new labels of an existing sample: the outer error is a failure to read
    /// its text, the inner one what is wrong with the labels.
    pub(crate) async fn check_labels(
        &self,
        ds: &Dataset,
        sample: &Sample,
        labels: &mut [SampleLabel],
        metadata: &SampleMetadata,
    ) -> Result<Result<(), DomainError>, DomainError> {
        // Only span labels need the text, and reading it costs a file read.
        let text = if needs_text(labels) {
            self.text_of(ds, sample).await?
        } else {
            None
        };
        let ctx = LabelContext {
            dataset_type: ds.kind(),
            dataset_labels: &ds.labels,
            text: text.as_deref(),
        };
        Ok(check_sample_labels(&ctx, labels, Some(metadata)))
    }

    pub(crate) async fn text_of(
        &self,
        ds: &Dataset,
        sample: &Sample,
    ) -> Result<Option<String>, DomainError> {
        if ds.kind().sample_type() != 1 {
            return Ok(None);
        }
        let path = ObsPath::parse("path", &sample.path)?;
        let Some(mut chunks) = self.blob.stream(&path).await? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        while let Some(chunk) = chunks.next().await {
            bytes.extend(chunk?);
        }
        Ok(String::from_utf8(bytes).ok())
    }

    /// Counters of a dataset (of its samples in one dataset state when given: `__ALL__`,
    /// `__NONE__` or `__AUTO_ANNOTATION__`), read without scanning samples; with the
    /// number of samples counted.
    pub async fn stats(
        &self,
        project_id: &str,
        dataset_id: &str,
        state: Option<&str>,
    ) -> Result<(Dataset, (i64, SampleStats)), DomainError> {
        let ds = self.dataset(project_id, dataset_id).await?;
        let labels = self.store.label_counts(&ds.id).await?;
        let counters = self.store.sample_counters(&ds.id).await?;
        let stats = match state {
            Some(status) => SampleStats::in_state(&counters, &labels, status),
            None => (
                ds.total_sample_count,
                SampleStats::from_counters(counters, labels),
            ),
        };
        Ok((ds, stats))
    }
}

/// Puts the item's position in front of a validation error's field.
pub(crate) fn prefix(err: DomainError, item: &str) -> DomainError {
    match err {
        DomainError::InvalidParameter { field, reason } => DomainError::InvalidParameter {
            field: format!("{item}.{field}"),
            reason,
        },
        other => other,
    }
}
