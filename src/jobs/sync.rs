//! The synchronization job: adds the files that appeared under a dataset's input path
//! and deletes the samples whose files vanished, listing only directories that changed.
//!
//! Every directory's change stamp is recorded when it has been listed. A directory
//! whose stamp has not moved has the same entries, so its files are not listed again
//! and its subdirectories are taken from the record: a sync costs one stamp read per
//! directory plus a listing of each changed one, not a rescan of every file. A stamp
//! taken less than [`SETTLE_NS`] before the sync is not trusted (file systems keep
//! coarse times; a file added in the same tick would not move it) and is recorded as
//! `-1`, so that directory is listed again next time.
//!
//! Each directory's changes are written with its stamp in one transaction, so a run
//! resumed after a crash lists again only the directories it had not finished.

use std::collections::{HashMap, HashSet};

use futures::StreamExt;
use labelhive_domain::blob::{DirEntry, DirStamp};
use labelhive_domain::dataset::Dataset;
use labelhive_domain::ids::sample_id_for_path;
use labelhive_domain::job::Job;
use labelhive_domain::obs_path::ObsPath;
use labelhive_domain::store::{JobOutcome, NewSample, SyncStep};
use labelhive_domain::DomainError;
use serde_json::json;
use tokio::sync::watch;

use super::RunEnd;
use crate::app::AppState;

/// Stamps younger than this (ns) are recorded as "list again".
const SETTLE_NS: i64 = 2_000_000_000;
/// New files written per transaction.
const BATCH: usize = 1000;

/// What a synchronization has done so far.
#[derive(Default)]
struct SyncTally {
    added: i64,
    deleted: i64,
    dirs_listed: i64,
    dirs_unchanged: i64,
}

impl SyncTally {
    fn to_value(&self, total: Option<i64>) -> serde_json::Value {
        json!({
            "added": self.added,
            "deleted": self.deleted,
            "dirs_listed": self.dirs_listed,
            "dirs_unchanged": self.dirs_unchanged,
            "total": total,
        })
    }
}

/// The parent directory of a directory path (`/b/a/c/` → `/b/a/`).
fn parent(dir: &str) -> Option<&str> {
    let trimmed = dir.strip_suffix('/')?;
    trimmed.rfind('/').map(|i| &dir[..=i])
}

/// Runs one synchronization to its end, or until it is abandoned or the server stops.
pub(crate) async fn run(
    state: &AppState,
    owner: &str,
    job: &Job,
    stop: watch::Receiver<bool>,
) -> Result<RunEnd, DomainError> {
    let Some(dataset) = super::job_dataset(state, job).await? else {
        return Ok(RunEnd::Abandoned);
    };
    let dataset_id = dataset.id.as_str();
    let Some(input) = dataset
        .input_path()
        .map(|p| ObsPath::parse("data_path", p))
        .transpose()?
    else {
        return Err(DomainError::invalid(
            "data_path",
            "the dataset has no input path",
        ));
    };
    let known: HashMap<String, i64> = state
        .store
        .sync_dirs(dataset_id)
        .await?
        .into_iter()
        .collect();
    let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
    for dir in known.keys() {
        if let Some(p) = parent(dir) {
            children.entry(p).or_default().push(dir);
        }
    }
    let now_ns = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    let now_ns = i64::try_from(now_ns).unwrap_or(i64::MAX);
    let mut run = SyncRun {
        state,
        owner,
        job,
        dataset: &dataset,
        tally: SyncTally::default(),
        visited: 0,
    };
    let mut stack = vec![input.as_dir()];
    while let Some(dir) = stack.pop() {
        run.visited += 1;
        let path = ObsPath::parse("dir", &dir)?;
        let stamp = state.blob.dir_stamp(&path).await?;
        let step = match stamp {
            DirStamp::Missing => run.vanished(&dir).await?,
            DirStamp::At(s) if known.get(&dir) == Some(&s) => {
                run.tally.dirs_unchanged += 1;
                stack.extend(
                    children
                        .get(dir.as_str())
                        .into_iter()
                        .flatten()
                        .map(|c| (*c).to_owned()),
                );
                true
            }
            DirStamp::At(_) | DirStamp::Unknown => {
                // A stamp that may still move within the file system's time
                // granularity, or none at all, is recorded as "list again".
                let recorded = match stamp {
                    DirStamp::At(s) if now_ns - s >= SETTLE_NS => s,
                    _ => -1,
                };
                let known_children = children.get(dir.as_str()).cloned().unwrap_or_default();
                run.list(&path, recorded, &known_children, &mut stack)
                    .await?
            }
        };
        if !step {
            return Ok(RunEnd::Abandoned);
        }
        if *stop.borrow() {
            return Ok(RunEnd::Interrupted);
        }
    }
    let total = state
        .store
        .dataset(&job.project_id, dataset_id)
        .await?
        .map(|d| d.total_sample_count);
    Ok(RunEnd::Done(
        JobOutcome::Succeeded(run.tally.to_value(total)),
        None,
    ))
}

/// One run of a synchronization.
struct SyncRun<'a> {
    state: &'a AppState,
    owner: &'a str,
    job: &'a Job,
    dataset: &'a Dataset,
    tally: SyncTally,
    visited: i64,
}

impl SyncRun<'_> {
    /// Writes one step; false when the job or the dataset is gone.
    async fn step(
        &mut self,
        add: &[NewSample],
        remove: &[String],
        remove_dirs: &[String],
        stamp: Option<(&str, i64)>,
    ) -> Result<bool, DomainError> {
        let result = self.tally.to_value(None);
        let step = SyncStep {
            add,
            remove,
            remove_dirs,
            stamp,
            progress_done: self.visited,
            result: &result,
        };
        let written = self
            .state
            .store
            .sync_step(&self.job.id, self.owner, &self.dataset.id, step)
            .await?;
        let Some((added, deleted)) = written else {
            return Ok(false);
        };
        self.tally.added += added;
        self.tally.deleted += deleted;
        Ok(true)
    }

    /// A directory that is gone: every sample below it goes.
    async fn vanished(&mut self, dir: &str) -> Result<bool, DomainError> {
        self.step(&[], &[], &[dir.to_owned()], None).await
    }

    /// Lists a changed directory: adds new files, deletes vanished ones and vanished
    /// subdirectories, pushes its subdirectories, and records its stamp.
    async fn list(
        &mut self,
        path: &ObsPath,
        stamp: i64,
        known_children: &[&str],
        stack: &mut Vec<String>,
    ) -> Result<bool, DomainError> {
        self.tally.dirs_listed += 1;
        let dir = path.as_dir();
        let kind = self.dataset.kind();
        let mut existing: HashMap<String, String> = self
            .state
            .store
            .dir_samples(&self.dataset.id, &dir)
            .await?
            .into_iter()
            .map(|(id, name)| (name, id))
            .collect();
        let mut subdirs: HashSet<String> = HashSet::new();
        let mut batch: Vec<NewSample> = Vec::with_capacity(BATCH);
        let blob = self.state.blob.clone();
        let mut entries = blob.list_dir(path);
        while let Some(entry) = entries.next().await {
            match entry? {
                DirEntry::Dir(d) => {
                    subdirs.insert(d.clone());
                    stack.push(d);
                }
                DirEntry::File(f) => {
                    let name = f.path.file_name().to_owned();
                    if existing.remove(&name).is_some() || !kind.accepts_file(&name) {
                        continue;
                    }
                    let file = f.path.as_file();
                    batch.push(NewSample {
                        id: sample_id_for_path(&file),
                        path: file,
                        name,
                        size: i64::try_from(f.size).unwrap_or(i64::MAX),
                        sample_type: kind.sample_type(),
                    });
                    if batch.len() >= BATCH {
                        if !self.step(&batch, &[], &[], None).await? {
                            return Ok(false);
                        }
                        batch.clear();
                    }
                }
            }
        }
        let gone: Vec<String> = existing.into_values().collect();
        let gone_dirs: Vec<String> = known_children
            .iter()
            .filter(|c| !subdirs.contains(**c))
            .map(|c| (*c).to_owned())
            .collect();
        self.step(&batch, &gone, &gone_dirs, Some((&dir, stamp)))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::parent;

    #[test]
    fn parents_of_directories() {
        assert_eq!(parent("/b/a/c/"), Some("/b/a/"));
        assert_eq!(parent("/b/a/"), Some("/b/"));
        assert_eq!(parent("/b/"), Some("/"));
        assert_eq!(parent("/b/a"), None);
    }
}
