//! The export job: copies the selected samples' files to a directory with their label
//! files and a manifest (DIR), or into a new dataset (NEW_DATASET).
//!
//! Samples are read in pages by a keyset scan (by sequence number, or by position in a
//! version), so memory stays flat and a page costs the same at any depth; the next
//! page is read while one is copied. A run starts over from the first sample: every write is keyed
//! by path (copies overwrite, samples upsert by path-derived id) and the manifest only
//! appears once complete, so a run resumed after a crash leaves the same result.

use labelhive_domain::dataset::{status, Dataset, DatasetType};
use labelhive_domain::export::{
    class_names, copied_sample, copy_targets, relative_path, AnnotationFormat, ExportDest,
    ExportPayload, ExportTally,
};
use labelhive_domain::job::Job;
use labelhive_domain::layouts::beside;
use labelhive_domain::manifest::{has_shapes, manifest_line, ManifestSample};
use labelhive_domain::obs_path::ObsPath;
use labelhive_domain::sample::{state, Sample, SamplePage, SampleWrite};
use labelhive_domain::search::SampleFilter;
use labelhive_domain::store::{ImportBatch, JobOutcome, NewSample, RegisterOutcome, WriteMode};
use labelhive_domain::version::Splitter;
use labelhive_domain::yolo::write_labels;
use labelhive_domain::DomainError;
use std::collections::HashMap;
use tokio::sync::watch;

use super::export_format::{Exported, FormatSink};
use super::export_pages::Pages;
use super::publish::manifest_time;
use super::RunEnd;
use crate::app::AppState;

/// Runs one export job to its end, or until it is abandoned or the server stops.
pub(crate) async fn run(
    state: &AppState,
    owner: &str,
    job: &Job,
    stop: watch::Receiver<bool>,
) -> Result<RunEnd, DomainError> {
    let payload: ExportPayload = super::payload(job)?;
    let Some(dataset) = super::job_dataset(state, job).await? else {
        return Ok(RunEnd::Abandoned);
    };
    let filter = payload.filter()?;
    let yolo = payload.format() == AnnotationFormat::Yolo;
    let mut run = ExportRun {
        state,
        owner,
        job,
        input_dir: dataset.input_path().map(str::to_owned).unwrap_or_default(),
        dataset: &dataset,
        payload: &payload,
        tally: ExportTally::default(),
        splitter: payload.split_ratio().map(Splitter::new),
        yolo_classes: yolo.then(|| {
            let names = dataset.labels.iter().enumerate();
            names.map(|(i, l)| (l.name.clone(), i)).collect()
        }),
    };
    // Kept out of the run: the copies share the run across tasks, and a writer is
    // not Sync.
    let mut sink: Option<FormatSink> = None;
    run.tally.total = run.count(&filter).await?;
    let mut manifest = match payload.dest {
        ExportDest::Dir => {
            let path = format!("{}{}.manifest", payload.path, job.id);
            let writer = state
                .blob
                .writer(&ObsPath::parse("manifest", &path)?)
                .await?;
            run.tally.manifest_path = Some(path);
            if let Some((opened, path)) =
                FormatSink::open(state, &payload, &dataset, &job.id).await?
            {
                sink = Some(opened);
                run.tally.annotation_path = Some(path);
            }
            Some(writer)
        }
        ExportDest::NewDataset => None,
    };
    let pages = Pages {
        state,
        version_id: payload.version_id.as_deref(),
        dataset_id: &dataset.id,
        filter: &filter,
    };
    let mut fetched = pages.after(0).await?;
    loop {
        let (page, cursor) = fetched;
        if page.is_empty() {
            break;
        }
        // The next page is read while this one is copied: a read and the copies wait
        // on different things (the database, the disk).
        let exported = async {
            // A NEW_DATASET page records its progress with its samples; a DIR page here.
            match manifest.as_mut() {
                Some(writer) => {
                    let text = run.export_to_dir(&page, sink.as_mut()).await?;
                    writer.write(text.as_bytes()).await?;
                    let done = run.tally.exported + run.tally.failed;
                    let result = run.tally.to_value();
                    Ok(state
                        .store
                        .job_progress(&job.id, owner, done, run.tally.total, &result)
                        .await?)
                }
                None => run.export_to_dataset(&page).await,
            }
        };
        let (held, following) = tokio::join!(exported, pages.after(cursor));
        if !held? {
            return Ok(RunEnd::Abandoned);
        }
        if *stop.borrow() {
            return Ok(RunEnd::Interrupted);
        }
        fetched = following?;
    }
    if let Some(sink) = sink {
        sink.finish(state).await?;
    }
    if let Some(writer) = manifest {
        writer.finish().await?;
    }
    if let Some(new_id) = &payload.new_dataset_id {
        state
            .store
            .set_dataset_status(new_id, status::NORMAL)
            .await?;
    }
    Ok(RunEnd::Done(
        JobOutcome::Succeeded(run.tally.to_value()),
        None,
    ))
}

/// One run of an export and what it has done so far.
struct ExportRun<'a> {
    state: &'a AppState,
    owner: &'a str,
    job: &'a Job,
    dataset: &'a Dataset,
    payload: &'a ExportPayload,
    input_dir: String,
    tally: ExportTally,
    splitter: Option<Splitter>,
    /// YOLO class indexes of the dataset's labels, for a YOLO export.
    yolo_classes: Option<HashMap<String, usize>>,
}

/// What one sample's export produced for the manifest.
struct Copied {
    target: String,
    voc: Option<String>,
    /// Labels its YOLO label file leaves out.
    skipped: i64,
}

/// A file copy: from, to.
type CopyPair = (ObsPath, ObsPath);

/// What exporting one sample to a directory writes.
struct DirPlan {
    /// Its file to each of its places.
    copies: Vec<CopyPair>,
    /// Its label files.
    files: Vec<(ObsPath, Vec<u8>)>,
    /// What it becomes once written.
    copied: Copied,
}

impl ExportRun<'_> {
    /// How many samples the export takes.
    async fn count(&self, filter: &SampleFilter) -> Result<i64, DomainError> {
        let store = &self.state.store;
        let one = SamplePage {
            ascending: true,
            offset: 0,
            limit: 1,
        };
        let (_, n) = match &self.payload.version_id {
            Some(v) => {
                let version = store
                    .version(&self.dataset.id, v)
                    .await?
                    .ok_or_else(|| DomainError::VersionNotFound(v.clone()))?;
                store.list_version_samples(&version, filter, one).await?
            }
            None => store.list_samples(&self.dataset.id, filter, one).await?,
        };
        Ok(n)
    }

    /// Copies a page of samples with their label files (and their entries in the
    /// format's document); returns its manifest lines.
    async fn export_to_dir(
        &mut self,
        page: &[Sample],
        mut sink: Option<&mut FormatSink>,
    ) -> Result<String, DomainError> {
        // Usage follows the scan order, so it is taken before the copies run at once:
        // the split's when one is asked for, else the usage each sample was given.
        let usages: Vec<Option<&str>> = page
            .iter()
            .map(|s| match self.splitter.as_mut() {
                Some(split) => (s.status == state::LABELED).then(|| split.next_usage()),
                None => s.usage.as_deref(),
            })
            .collect();
        let results = self.copy_page_to_dir(page).await?;
        let mut text = String::new();
        for ((sample, usage), result) in page.iter().zip(usages).zip(results) {
            let copied = match result {
                Ok(c) => c,
                // A missing file, or (YOLO) an image of unknown size.
                Err(
                    e @ (DomainError::ObsPathNotFound(_) | DomainError::InvalidParameter { .. }),
                ) => {
                    self.tally.fail(&sample.id, &sample.path, &e);
                    continue;
                }
                Err(e) => return Err(e),
            };
            self.tally.exported += 1;
            self.tally.skipped_labels += copied.skipped;
            let header = &self.payload.source_type_header;
            let source = uri(header, &copied.target);
            if let Some(sink) = sink.as_deref_mut() {
                let exported = Exported {
                    sample,
                    target: &copied.target,
                    uri: &source,
                    usage,
                };
                self.tally.skipped_labels += sink.add(exported, &self.payload.path).await?;
            }
            let line = manifest_line(&ManifestSample {
                id: &sample.id,
                source,
                usage,
                sample_type: sample.sample_type,
                labels: &sample.labels,
                metadata: &sample.metadata,
                keep_hard: !self.payload.clear_hard_property,
                annotation_loc: copied.voc.map(|p| uri(header, &p)),
                creation_time: &manifest_time(sample.update_time),
            });
            text.push_str(&line.to_string());
            text.push('\n');
        }
        Ok(text)
    }

    /// Copies a page of samples' files to their place(s) and writes their label files,
    /// each kind in one batch; per sample what it became, or why it failed alone.
    async fn copy_page_to_dir(
        &self,
        page: &[Sample],
    ) -> Result<Vec<Result<Copied, DomainError>>, DomainError> {
        let blob = &self.state.blob;
        let mut plans: Vec<Result<DirPlan, DomainError>> =
            page.iter().map(|s| self.plan_dir(s)).collect();
        let mut owners = Vec::new();
        let mut pairs = Vec::new();
        for (i, plan) in plans.iter_mut().enumerate() {
            if let Ok(p) = plan {
                for pair in p.copies.drain(..) {
                    owners.push(i);
                    pairs.push(pair);
                }
            }
        }
        for (i, copied) in owners.into_iter().zip(blob.copy_many(pairs).await) {
            if let Err(e) = copied {
                if plans[i].is_ok() {
                    plans[i] = Err(e);
                }
            }
        }
        let files: Vec<(ObsPath, Vec<u8>)> = plans
            .iter_mut()
            .filter_map(|p| p.as_mut().ok())
            .flat_map(|p| p.files.drain(..))
            .collect();
        blob.put_many(files).await?;
        Ok(plans.into_iter().map(|p| p.map(|p| p.copied)).collect())
    }

    /// What exporting one sample to a directory writes: its file to its place(s), and
    /// its label files.
    fn plan_dir(&self, sample: &Sample) -> Result<DirPlan, DomainError> {
        let source = ObsPath::parse("source", &sample.path)?;
        let relative = relative_path(&self.input_dir, &sample.path, &sample.name);
        let classes = class_names(&sample.labels);
        let tree = self.payload.export_format == 1;
        let targets = copy_targets(&self.payload.path, relative, &sample.name, tree, &classes);
        // Only VOC keeps shapes in VOC files; COCO, YOLO and Ground Truth have their own.
        let shapes = has_shapes(&sample.labels) && self.payload.format() == AnnotationFormat::Voc;
        let yolo = match &self.yolo_classes {
            Some(classes) if has_shapes(&sample.labels) => {
                // Detection samples always carry their size; YOLO boxes are relative to it.
                let size = sample.metadata.size().ok_or_else(|| {
                    DomainError::invalid("metadata", "has no @modelarts:size for YOLO boxes")
                })?;
                Some(write_labels(
                    &sample.labels,
                    classes,
                    size.width,
                    size.height,
                ))
            }
            _ => None,
        };
        let mut copies = Vec::new();
        let mut files = Vec::new();
        for target in &targets {
            copies.push((source.clone(), ObsPath::parse("target", target)?));
            if shapes {
                let folder = target.rsplit_once('/').map_or("", |(d, _)| d);
                let xml = labelhive_domain::voc::write_voc(
                    folder,
                    &sample.name,
                    sample.metadata.size(),
                    &sample.labels,
                );
                files.push((
                    ObsPath::parse("voc", &beside(target, "xml"))?,
                    xml.into_bytes(),
                ));
            }
            // Class label files are the image layout; text and sound classes live in
            // the manifest (and in class folders with the tree layout).
            if !tree
                && !classes.is_empty()
                && self.dataset.kind() == DatasetType::ImageClassification
            {
                let txt = format!("{}\n", classes.join("\n"));
                files.push((
                    ObsPath::parse("txt", &beside(target, "txt"))?,
                    txt.into_bytes(),
                ));
            }
            if let Some((text, _)) = &yolo {
                let txt = ObsPath::parse("txt", &beside(target, "txt"))?;
                files.push((txt, text.clone().into_bytes()));
            }
        }
        let target = targets.into_iter().next().unwrap_or_default();
        let voc = shapes.then(|| beside(&target, "xml"));
        let skipped = yolo.map_or(0, |(_, n)| n);
        Ok(DirPlan {
            copies,
            files,
            copied: Copied {
                target,
                voc,
                skipped,
            },
        })
    }

    /// Copies a page of samples' files below the new dataset's input path in one batch;
    /// per sample its copy, or why it failed alone.
    async fn copy_page_to_dataset(&self, page: &[Sample]) -> Vec<Result<String, DomainError>> {
        let mut targets: Vec<Result<(String, CopyPair), DomainError>> = page
            .iter()
            .map(|s| {
                let relative = relative_path(&self.input_dir, &s.path, &s.name);
                let target = format!("{}{relative}", self.payload.path);
                let pair = (
                    ObsPath::parse("source", &s.path)?,
                    ObsPath::parse("target", &target)?,
                );
                Ok((target, pair))
            })
            .collect();
        let pairs: Vec<CopyPair> = targets
            .iter()
            .filter_map(|t| t.as_ref().ok().map(|(_, pair)| pair.clone()))
            .collect();
        let mut copied = self.state.blob.copy_many(pairs).await.into_iter();
        for t in targets.iter_mut().filter(|t| t.is_ok()) {
            if let Some(Err(e)) = copied.next() {
                *t = Err(e);
            }
        }
        targets
            .into_iter()
            .map(|t| t.map(|(target, _)| target))
            .collect()
    }

    /// Copies a page of samples into the new dataset; false when the job or the new
    /// dataset is gone.
    async fn export_to_dataset(&mut self, page: &[Sample]) -> Result<bool, DomainError> {
        let Some(new_id) = self.payload.new_dataset_id.as_deref() else {
            return Err(DomainError::invalid("new_dataset_id", "missing"));
        };
        let results = self.copy_page_to_dataset(page).await;
        let mut plain: Vec<NewSample> = Vec::new();
        let mut labeled: Vec<SampleWrite> = Vec::new();
        for (sample, result) in page.iter().zip(results) {
            let target = match result {
                Ok(t) => t,
                Err(e @ DomainError::ObsPathNotFound(_)) => {
                    self.tally.fail(&sample.id, &sample.path, &e);
                    continue;
                }
                Err(e) => return Err(e),
            };
            self.tally.exported += 1;
            let write = copied_sample(sample, &target, self.payload.clear_hard_property);
            if write.labels.is_empty() && write.metadata.as_ref().is_none_or(|m| m.0.is_empty()) {
                plain.push(NewSample {
                    id: write.id,
                    path: write.path,
                    name: write.name,
                    size: write.size,
                    sample_type: write.sample_type,
                });
            } else {
                labeled.push(write);
            }
        }
        let done = self.tally.exported + self.tally.failed;
        let result = self.tally.to_value();
        let batch = ImportBatch {
            plain: &plain,
            labeled: &labeled,
            mode: WriteMode::Upsert,
            progress_done: done,
            progress_total: self.tally.total,
            result: &result,
        };
        let outcome = self
            .state
            .store
            .import_batch(&self.job.id, self.owner, new_id, batch)
            .await?;
        Ok(matches!(outcome, RegisterOutcome::Registered(_)))
    }
}

/// `obs://bucket/key` (or `s3://`) for an OBS-style path.
fn uri(header: &str, obs_path: &str) -> String {
    format!("{header}{}", obs_path.trim_start_matches('/'))
}

/// Marks the new dataset of a failed NEW_DATASET export abnormal.
pub(crate) async fn failed(state: &AppState, job: &Job) {
    let Ok(payload) = serde_json::from_value::<ExportPayload>(job.payload.clone()) else {
        return;
    };
    if let Some(id) = payload.new_dataset_id {
        if let Err(e) = state.store.set_dataset_status(&id, status::ABNORMAL).await {
            tracing::error!(error = %e, "marking an export's new dataset abnormal");
        }
    }
}
