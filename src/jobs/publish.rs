//! The publish job: copies a dataset's samples into a version, then writes the
//! version's manifest (and PASCAL VOC files for shapes) from that copy.
//!
//! The copy advances in batches, each in one transaction with its progress, so a run
//! resumed after a crash continues where it stopped. The manifest is written from the
//! start on every run through a streaming upload that only appears when complete, so a
//! reader never sees half a manifest. Finishing is idempotent.

use futures::StreamExt;
use labelhive_domain::dataset::Dataset;
use labelhive_domain::export::relative_path;
use labelhive_domain::job::{Job, PublishPayload};
use labelhive_domain::manifest::{has_shapes, manifest_line, ManifestSample};
use labelhive_domain::obs_path::ObsPath;
use labelhive_domain::sample::Sample;
use labelhive_domain::store::{CopyOutcome, JobOutcome};
use labelhive_domain::version::{self, status, Splitter, Version, VersionTally};
use labelhive_domain::DomainError;
use tokio::sync::watch;

use super::RunEnd;
use crate::app::AppState;

/// Samples read per page while writing the manifest.
const READ_PAGE: i64 = 1000;

/// Runs one publish job to its end, or until it is abandoned or the server stops.
pub(crate) async fn run(
    state: &AppState,
    owner: &str,
    job: &Job,
    stop: watch::Receiver<bool>,
) -> Result<RunEnd, DomainError> {
    let payload: PublishPayload = super::payload(job)?;
    let Some(dataset) = super::job_dataset(state, job).await? else {
        return Ok(RunEnd::Abandoned);
    };
    let dataset_id = dataset.id.as_str();
    let Some(mut version) = state.store.version(dataset_id, &payload.version_id).await? else {
        return Ok(RunEnd::Abandoned);
    };
    if version.status == status::NORMAL {
        // A previous run finished the version but not the job.
        return Ok(done(&version));
    }
    if version.status != status::CREATING {
        return Ok(RunEnd::Abandoned);
    }
    let batch = i64::try_from(state.config.import_batch).unwrap_or(1000);
    loop {
        match state
            .store
            .copy_into_version(&job.id, owner, &version.id, batch)
            .await?
        {
            CopyOutcome::Copied(_) => {}
            CopyOutcome::Done => break,
            CopyOutcome::Abandoned => return Ok(RunEnd::Abandoned),
        }
        if *stop.borrow() {
            return Ok(RunEnd::Interrupted);
        }
    }
    let tally = write_files(state, &dataset, &version, &stop).await?;
    let Some(tally) = tally else {
        return Ok(RunEnd::Interrupted);
    };
    version.total_sample_count = tally.total;
    version.annotated_sample_count = tally.annotated;
    version.labels = tally.version_labels(&dataset.labels);
    version.label_type = Some(if tally.multi { "multi" } else { "single" }.to_owned());
    state.store.publish_version(&version).await?;
    Ok(done(&version))
}

fn done(v: &Version) -> RunEnd {
    let result = serde_json::json!({
        "version_id": v.id,
        "version_name": v.name,
        "manifest_path": v.manifest_path,
        "total_sample_count": v.total_sample_count,
    });
    RunEnd::Done(JobOutcome::Succeeded(result), None)
}

/// `s3://bucket/key`: how manifests name objects.
fn s3_uri(obs_path: &str) -> String {
    format!("s3:/{obs_path}")
}

/// `2019-01-23 11:30:30` (UTC) for a time in ms.
pub(crate) fn manifest_time(ms: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// Writes the manifest, the VOC files and (with `export_images`) copies of the files;
/// returns the counts, or `None` when the server is stopping.
async fn write_files(
    state: &AppState,
    dataset: &Dataset,
    version: &Version,
    stop: &watch::Receiver<bool>,
) -> Result<Option<VersionTally>, DomainError> {
    let manifest = ObsPath::parse("manifest_path", &version.manifest_path)?;
    let dir = version::version_dir(&dataset.inner_work_path(), &version.name);
    let ratio = version::parse_ratio(
        "train_evaluate_sample_ratio",
        &version.train_evaluate_sample_ratio,
    )?;
    let mut splitter = Splitter::new(ratio);
    let mut tally = VersionTally::default();
    let mut writer = state.blob.writer(&manifest).await?;
    let mut after = 0;
    loop {
        let page = state
            .store
            .version_samples(&version.id, after, READ_PAGE)
            .await?;
        if page.is_empty() {
            break;
        }
        after += i64::try_from(page.len()).unwrap_or(READ_PAGE);
        let mut text = String::new();
        for sample in &page {
            tally.add(sample);
            let usage = version::usage_of(sample, !version.remove_sample_usage, &mut splitter);
            let line = sample_line(state, dataset, version, &dir, sample, usage).await?;
            text.push_str(&line);
            text.push('\n');
        }
        writer.write(text.as_bytes()).await?;
        if *stop.borrow() {
            return Ok(None);
        }
    }
    writer.finish().await?;
    Ok(Some(tally))
}

/// One manifest line; writes the sample's VOC file and file copy first when needed.
async fn sample_line(
    state: &AppState,
    dataset: &Dataset,
    version: &Version,
    dir: &str,
    sample: &Sample,
    usage: Option<String>,
) -> Result<String, DomainError> {
    let annotation_loc = if has_shapes(&sample.labels) {
        let path = format!("{dir}annotation/{}.xml", sample.id);
        let folder = sample.path.rsplit_once('/').map_or("", |(d, _)| d);
        let xml = labelhive_domain::voc::write_voc(
            folder,
            &sample.name,
            sample.metadata.size(),
            &sample.labels,
        );
        state
            .blob
            .put(&ObsPath::parse("annotation-loc", &path)?, xml.into_bytes())
            .await?;
        Some(s3_uri(&path))
    } else {
        None
    };
    if version.export_images {
        export_file(state, dataset, version, sample).await?;
    }
    let line = manifest_line(&ManifestSample {
        id: &sample.id,
        source: s3_uri(&sample.path),
        usage: usage.as_deref(),
        sample_type: sample.sample_type,
        labels: &sample.labels,
        metadata: &sample.metadata,
        keep_hard: !version.clear_hard_property,
        annotation_loc,
        creation_time: &manifest_time(sample.update_time),
    });
    Ok(line.to_string())
}

/// Copies a sample's file to the version's data directory, keeping its path below the
/// dataset's input directory (its name, for files from elsewhere).
async fn export_file(
    state: &AppState,
    dataset: &Dataset,
    version: &Version,
    sample: &Sample,
) -> Result<(), DomainError> {
    let relative = relative_path(
        dataset.input_path().unwrap_or_default(),
        &sample.path,
        &sample.name,
    );
    let target = ObsPath::parse("data_path", &format!("{}{relative}", version.data_path))?;
    let source = ObsPath::parse("source", &sample.path)?;
    let Some(mut chunks) = state.blob.stream(&source).await? else {
        return Err(DomainError::ObsPathNotFound(sample.path.clone()));
    };
    // Streamed: sample files (videos) can be large.
    let mut writer = state.blob.writer(&target).await?;
    while let Some(chunk) = chunks.next().await {
        writer.write(&chunk?).await?;
    }
    writer.finish().await
}

/// Marks the job's version failed, with the reason (the job failed for good).
pub(crate) async fn failed(state: &AppState, job: &Job, message: &str) {
    let Ok(payload) = serde_json::from_value::<PublishPayload>(job.payload.clone()) else {
        return;
    };
    if let Err(e) = state.store.fail_version(&payload.version_id, message).await {
        tracing::error!(error = %e, "marking a version failed");
    }
}
