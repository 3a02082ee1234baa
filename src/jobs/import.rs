//! The import job: registers the files under a path as samples of a dataset.
//!
//! The listing streams and samples are written in batches, each batch in one
//! transaction with the job's progress. Sample ids derive from file paths and inserts
//! skip existing ids, so a run resumed after a crash registers every file exactly once.

use futures::StreamExt;
use labelhive_domain::dataset::status;
use labelhive_domain::groundtruth;
use labelhive_domain::ids::sample_id_for_path;
use labelhive_domain::import::{ImportTally, ImportType};
use labelhive_domain::job::{ImportPayload, Job};
use labelhive_domain::manifest::parse_line;
use labelhive_domain::obs_path::ObsPath;
use labelhive_domain::store::{JobOutcome, NewSample, RegisterOutcome};
use labelhive_domain::DomainError;
use tokio::sync::watch;

use super::importer::{Ended, Importer};
use super::{import_coco, import_dir, import_manifest, RunEnd};
use crate::app::AppState;

/// Runs one import job to its end, or until it is abandoned or the server stops.
pub(crate) async fn run(
    state: &AppState,
    owner: &str,
    job: &Job,
    stop: watch::Receiver<bool>,
) -> Result<RunEnd, DomainError> {
    let payload: ImportPayload = super::payload(job)?;
    let Some(dataset) = super::job_dataset(state, job).await? else {
        return Ok(RunEnd::Abandoned);
    };
    let source = ObsPath::parse("source", &payload.source)?;
    if payload.task {
        return run_task(state, owner, job, &payload, dataset, &source, &stop).await;
    }
    let dataset_id = dataset.id.as_str();
    let kind = dataset.kind();
    let batch_size = state.config.import_batch;
    let mut listing = state.blob.list(&source);
    let mut batch: Vec<NewSample> = Vec::with_capacity(batch_size);
    let (mut seen, mut added, mut skipped) = (0i64, 0i64, 0i64);
    while let Some(entry) = listing.next().await {
        let entry = entry?;
        seen += 1;
        if !kind.accepts_file(entry.path.file_name()) {
            skipped += 1;
            continue;
        }
        let path = entry.path.as_file();
        batch.push(NewSample {
            id: sample_id_for_path(&path),
            name: entry.path.file_name().to_owned(),
            path,
            size: i64::try_from(entry.size).unwrap_or(i64::MAX),
            sample_type: kind.sample_type(),
        });
        if batch.len() >= batch_size {
            match flush(state, owner, job, dataset_id, &mut batch, seen).await? {
                Some(n) => added += n,
                None => return Ok(RunEnd::Abandoned),
            }
            // Stop between batches on shutdown; the lease expiry hands the job on.
            if *stop.borrow() {
                return Ok(RunEnd::Interrupted);
            }
        }
    }
    match flush(state, owner, job, dataset_id, &mut batch, seen).await? {
        Some(n) => added += n,
        None => return Ok(RunEnd::Abandoned),
    }
    let result = serde_json::json!({
        "files_seen": seen,
        "samples_added": added,
        "files_skipped": skipped,
    });
    Ok(RunEnd::Done(
        JobOutcome::Succeeded(result),
        Some(status::NORMAL),
    ))
}

/// Writes a batch; `None` when the job was abandoned.
async fn flush(
    state: &AppState,
    owner: &str,
    job: &Job,
    dataset_id: &str,
    batch: &mut Vec<NewSample>,
    seen: i64,
) -> Result<Option<i64>, DomainError> {
    let outcome = state
        .store
        .register_samples(&job.id, owner, dataset_id, batch, seen)
        .await?;
    batch.clear();
    Ok(match outcome {
        RegisterOutcome::Registered(n) => Some(n),
        RegisterOutcome::Abandoned => None,
    })
}

/// Runs an import task (directory or manifest) with its filters and labels.
async fn run_task(
    state: &AppState,
    owner: &str,
    job: &Job,
    payload: &ImportPayload,
    dataset: labelhive_domain::dataset::Dataset,
    source: &ObsPath,
    stop: &watch::Receiver<bool>,
) -> Result<RunEnd, DomainError> {
    let tally = ImportTally::from_value(job.result.as_ref());
    let mut imp = Importer::new(state, owner, job, payload, dataset, tally);
    let ended = match payload.import_type {
        ImportType::Manifest => {
            import_manifest::run(state, &mut imp, source, stop, parse_line).await
        }
        ImportType::SageMaker => {
            import_manifest::run(state, &mut imp, source, stop, groundtruth::parse_line).await
        }
        ImportType::Dir => import_dir::run(state, &mut imp, source, stop).await,
        ImportType::Coco => import_coco::run(state, &mut imp, source, stop).await,
    };
    let ended = match ended {
        Ok(e) => e,
        Err(e) if ends_task(&e, payload.import_type) => {
            let outcome = JobOutcome::Failed {
                code: e.code().to_owned(),
                msg: e.to_string(),
            };
            return Ok(RunEnd::Done(outcome, None));
        }
        Err(e) => return Err(e),
    };
    Ok(match ended {
        Ended::Done => RunEnd::Done(JobOutcome::Succeeded(imp.tally.to_value()), None),
        Ended::Abandoned => RunEnd::Abandoned,
        Ended::Interrupted => RunEnd::Interrupted,
    })
}

/// Whether an import error ends the task at once, as retrying cannot help: a missing
/// manifest, directory or document, or a COCO document that cannot be read.
fn ends_task(err: &DomainError, import_type: ImportType) -> bool {
    match err {
        DomainError::ObsPathNotFound(_) | DomainError::InvalidObsPath(_) => true,
        DomainError::InvalidParameter { .. } => import_type == ImportType::Coco,
        _ => false,
    }
}
