//! Inside a team labeling task: members' samples, labeling, review, acceptance and
//! the synchronization of accepted results into the dataset.

use std::collections::HashMap;

use crate::annotation::{SampleLabel, SampleMetadata};
use crate::consensus::consensus;
use crate::ids::new_resource_id;
use crate::job::kind;
use crate::sample::{counter, state_for, LabelCount, Sample, SampleWrite};
use crate::search::SampleFilter;
use crate::services::samples::{check_batch, prefix, ItemResult};
use crate::services::team_tasks::{require_owner, require_role, team_job, Actor, TeamTaskService};
use crate::stats::SampleStats;
use crate::store::WriteMode;
use crate::team_task::{
    action, action_moves, after_review, after_submit, item_state, sampling_size, status_after,
    task_status, CheckRound, Comment, ItemFilter, ItemWrite, TaskItem, TeamTask,
};
use crate::time::now_ms;
use crate::workforce::role;
use crate::DomainError;

/// One member's annotation of a sample, as a labeler submits it.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    /// The sample.
    pub sample_id: String,
    /// The labeler (needed only when the owner acts for one).
    pub worker_id: Option<String>,
    /// The new annotation; empty clears it.
    pub labels: Vec<SampleLabel>,
    /// The sample's metadata for the label checks (e.g. `@modelarts:size`).
    pub metadata: Option<SampleMetadata>,
}

/// An item with its sample.
#[derive(Debug, Clone)]
pub struct ItemView {
    /// The item.
    pub item: TaskItem,
    /// Its sample.
    pub sample: Sample,
}

/// An acceptance report: the round asked for and all rounds together.
#[derive(Debug, Clone)]
pub struct Report {
    /// The round.
    pub checking: CheckRound,
    /// Sums over every round of the task.
    pub total: CheckRound,
}

/// What ending a round did.
#[derive(Debug, Clone, Default)]
pub struct RoundEnd {
    /// Items accepted by this action.
    pub accepted: i64,
    /// Action 3: the sampled samples whose annotators disagree, with agreement.
    pub conflicts: Vec<(String, f64)>,
}

/// Samples synchronized per step.
const SYNC_BATCH: i64 = 200;

impl TeamTaskService {
    /// A page of the task's items the actor may see: a labeler their own, reviewers,
    /// managers and the owner all.
    pub async fn items(
        &self,
        task: &TeamTask,
        actor: &Actor,
        mut f: ItemFilter,
        samples: &SampleFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<ItemView>, i64), DomainError> {
        if let Actor::Worker(w) = actor {
            let roles = task.roles_of(w);
            if !roles
                .iter()
                .any(|r| *r == role::REVIEWER || *r == role::MANAGER)
            {
                f.worker_id = Some(w.clone());
            }
        }
        let (rows, total) = self
            .store
            .list_items(task, &f, samples, offset, limit)
            .await?;
        Ok((
            rows.into_iter()
                .map(|(item, sample)| ItemView { item, sample })
                .collect(),
            total,
        ))
    }

    /// One sample of the task with the items the actor may see, and the agreement of
    /// its annotators.
    pub async fn sample(
        &self,
        task: &TeamTask,
        actor: &Actor,
        sample_id: &str,
        worker_id: Option<&str>,
    ) -> Result<(Sample, Vec<TaskItem>, f64), DomainError> {
        let missing = || DomainError::SampleNotFound(sample_id.to_owned());
        let sample = self
            .store
            .sample(&task.dataset_id, sample_id)
            .await?
            .ok_or_else(missing)?;
        let all = self
            .store
            .items_of(&task.id, &[sample_id.to_owned()])
            .await?;
        let agreement = agreement(&all);
        let own_only = match actor {
            Actor::Worker(w) => !task
                .roles_of(w)
                .iter()
                .any(|r| *r == role::REVIEWER || *r == role::MANAGER),
            Actor::Owner => false,
        };
        let items: Vec<TaskItem> = all
            .into_iter()
            .filter(|i| match actor {
                Actor::Worker(w) if own_only => i.worker_id == *w,
                _ => true,
            })
            .filter(|i| worker_id.is_none_or(|w| i.worker_id == w))
            .collect();
        if items.is_empty() {
            return Err(missing());
        }
        Ok((sample, items, agreement))
    }

    /// Labelers submit their annotations; the owner may act for one by `email` or
    /// each sample's `worker_id`. Each sample gets its own result.
    pub async fn submit(
        &self,
        task: &TeamTask,
        actor: &Actor,
        email: Option<&str>,
        subs: Vec<Submission>,
    ) -> Result<Vec<ItemResult>, DomainError> {
        check_batch(subs.len())?;
        require_role(task, actor, &[role::LABELER], "label samples")?;
        task.require_status(
            &[
                task_status::RUNNING,
                task_status::REJECTED,
                task_status::ACCEPTING,
            ],
            "label samples",
        )?;
        let acting = match (actor, email) {
            (Actor::Worker(w), _) => Some(w.clone()),
            (Actor::Owner, Some(e)) => Some(
                task.worker_by_email(e)
                    .ok_or_else(|| DomainError::WorkerNotFound(e.to_owned()))?
                    .to_owned(),
            ),
            (Actor::Owner, None) => None,
        };
        let ds = self.dataset(&task.project_id, &task.dataset_id).await?;
        let has_reviewers = !task.reviewers().is_empty();
        let ids: Vec<String> = subs.iter().map(|s| s.sample_id.clone()).collect();
        let items = self.store.items_of(&task.id, &ids).await?;
        let samples: HashMap<String, Sample> = self
            .store
            .samples_by_id(&task.dataset_id, &ids)
            .await?
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect();
        let mut results = Vec::with_capacity(subs.len());
        let mut writes = Vec::new();
        let mut slots = Vec::new();
        let now = now_ms();
        for (i, sub) in subs.into_iter().enumerate() {
            let f = format!("samples[{i}]");
            let who = match (&acting, &sub.worker_id) {
                (Some(a), Some(w)) if a != w => {
                    results.push(Err(DomainError::WorkerForbidden(format!(
                        "{f}: a labeler submits only their own samples"
                    ))));
                    continue;
                }
                (Some(a), _) => a.clone(),
                (None, Some(w)) => w.clone(),
                (None, None) => {
                    // The owner without a worker: the sample's only labeler, if one.
                    let mine: Vec<&TaskItem> = items
                        .iter()
                        .filter(|it| it.sample_id == sub.sample_id)
                        .collect();
                    match mine.as_slice() {
                        [one] => one.worker_id.clone(),
                        _ => {
                            results.push(Err(DomainError::invalid(
                                format!("{f}.worker_id"),
                                "required: name the labeler the annotation is for",
                            )));
                            continue;
                        }
                    }
                }
            };
            let (Some(item), Some(sample)) = (
                items
                    .iter()
                    .find(|it| it.sample_id == sub.sample_id && it.worker_id == who),
                samples.get(&sub.sample_id),
            ) else {
                results.push(Err(DomainError::SampleNotFound(sub.sample_id)));
                continue;
            };
            let next = match after_submit(item.state, has_reviewers, sub.labels.is_empty()) {
                Ok(s) => s,
                Err(e) => {
                    results.push(Err(e));
                    continue;
                }
            };
            let mut labels = sub.labels;
            let metadata = sub.metadata.unwrap_or_else(|| sample.metadata.clone());
            if let Err(e) = self
                .samples
                .check_labels(&ds, sample, &mut labels, &metadata)
                .await?
            {
                results.push(Err(prefix(e, &f)));
                continue;
            }
            let mut changed = item.clone();
            changed.state = next;
            changed.labels = labels;
            changed.labeled_time = now;
            changed.update_time = now;
            // A new annotation needs a new review.
            changed.review_accept = None;
            changed.review_comment.clear();
            changed.review_score.clear();
            changed.reviewer_id.clear();
            slots.push(results.len());
            results.push(Ok(item.sample_id.clone()));
            writes.push(ItemWrite {
                item: changed,
                expect_state: item.state,
            });
        }
        self.write(task, &writes, &slots, &mut results, None)
            .await?;
        Ok(results)
    }

    /// Writes items and turns lost compare-and-sets into per-item conflicts.
    async fn write(
        &self,
        task: &TeamTask,
        writes: &[ItemWrite],
        slots: &[usize],
        results: &mut [ItemResult],
        round: Option<&str>,
    ) -> Result<(), DomainError> {
        if writes.is_empty() {
            return Ok(());
        }
        let done = self.store.write_items(&task.id, writes, round).await?;
        for (slot, ok) in slots.iter().zip(done) {
            if !ok {
                results[*slot] = Err(DomainError::TaskState(
                    "the sample changed state meanwhile; read it again".into(),
                ));
            }
        }
        Ok(())
    }

    /// Reviewers (or managers, or the owner) pass or reject labeled items.
    pub async fn review(
        &self,
        task: &TeamTask,
        actor: &Actor,
        comments: Vec<Comment>,
    ) -> Result<Vec<ItemResult>, DomainError> {
        check_comments(&comments)?;
        require_role(
            task,
            actor,
            &[role::REVIEWER, role::MANAGER],
            "review samples",
        )?;
        task.require_status(
            &[
                task_status::RUNNING,
                task_status::REJECTED,
                task_status::ACCEPTING,
            ],
            "review samples",
        )?;
        let reviewer = match actor {
            Actor::Worker(w) => w.clone(),
            Actor::Owner => String::new(),
        };
        let now = now_ms();
        self.judge(task, comments, None, |item, c| {
            let mut out = item.clone();
            out.state = after_review(item.state, c.accept)?;
            out.review_accept = Some(c.accept);
            out.review_comment.clone_from(&c.comment);
            out.review_score.clone_from(&c.score);
            out.reviewer_id.clone_from(&reviewer);
            out.update_time = now;
            Ok(out)
        })
        .await
    }

    /// Applies `rule` to the items named by `comments` (all items of the sample when
    /// a comment names no worker); per-comment results.
    async fn judge(
        &self,
        task: &TeamTask,
        comments: Vec<Comment>,
        round: Option<&str>,
        rule: impl Fn(&TaskItem, &Comment) -> Result<TaskItem, DomainError>,
    ) -> Result<Vec<ItemResult>, DomainError> {
        let ids: Vec<String> = comments.iter().map(|c| c.sample_id.clone()).collect();
        let items = self.store.items_of(&task.id, &ids).await?;
        let mut results: Vec<ItemResult> = Vec::with_capacity(comments.len());
        let mut writes = Vec::new();
        let mut slots = Vec::new();
        for c in &comments {
            let targets: Vec<&TaskItem> = items
                .iter()
                .filter(|it| it.sample_id == c.sample_id)
                .filter(|it| c.worker_id.as_deref().is_none_or(|w| it.worker_id == w))
                .collect();
            if targets.is_empty() {
                results.push(Err(DomainError::SampleNotFound(c.sample_id.clone())));
                continue;
            }
            let changed: Result<Vec<TaskItem>, DomainError> =
                targets.iter().map(|it| rule(it, c)).collect();
            match changed {
                Ok(changed) => {
                    results.push(Ok(c.sample_id.clone()));
                    for (it, old) in changed.into_iter().zip(&targets) {
                        slots.push(results.len() - 1);
                        writes.push(ItemWrite {
                            item: it,
                            expect_state: old.state,
                        });
                    }
                }
                Err(e) => results.push(Err(e)),
            }
        }
        self.write(task, &writes, &slots, &mut results, round)
            .await?;
        Ok(results)
    }

    /// Opens an acceptance round over `sampling_num` samples or `sampling_rate` of
    /// those waiting (owner only); returns the round's id.
    pub async fn open_round(
        &self,
        task: &TeamTask,
        actor: &Actor,
        num: Option<i64>,
        rate: Option<f64>,
    ) -> Result<String, DomainError> {
        require_owner(actor, "start acceptance")?;
        // The request's own errors come before the task's state.
        sampling_size(num, rate, 1)?;
        if matches!(
            task.status,
            task_status::ACCEPTING | task_status::SAMPLING | task_status::SYNCING
        ) {
            return Err(DomainError::TaskChecking(task.id.clone()));
        }
        task.require_status(
            &[
                task_status::RUNNING,
                task_status::REJECTED,
                task_status::ACCEPTED,
            ],
            "start acceptance",
        )?;
        let waiting = self.sample_stats(task).await?.uncheck;
        if waiting == 0 {
            return Err(DomainError::NoUncheckedSamples(task.id.clone()));
        }
        let size = sampling_size(num, rate, waiting)?;
        let round = CheckRound {
            id: new_resource_id(),
            sampling_num: num.unwrap_or(0),
            sampling_rate: rate.unwrap_or(0.0),
            total_sample_count: waiting,
            create_time: now_ms(),
            ..CheckRound::default()
        };
        match self
            .store
            .open_round(&task.id, task.status, &round, size)
            .await?
        {
            Some(_) => Ok(round.id),
            None => Err(DomainError::TaskChecking(task.id.clone())),
        }
    }

    /// Comments on sampled items of the open round (owner only).
    pub async fn comment(
        &self,
        task: &TeamTask,
        actor: &Actor,
        comments: Vec<Comment>,
    ) -> Result<Vec<ItemResult>, DomainError> {
        require_owner(actor, "comment on acceptance samples")?;
        check_comments(&comments)?;
        task.require_status(&[task_status::ACCEPTING], "comment on acceptance samples")?;
        let round = task.checking_task_id.clone().unwrap_or_default();
        let now = now_ms();
        self.judge(task, comments, Some(&round), |item, c| {
            let sampled = matches!(item.state, item_state::SAMPLED | item_state::CHECKED)
                && item.check_task_id.as_deref() == Some(round.as_str());
            if !sampled {
                return Err(DomainError::TaskState(format!(
                    "sample {} is not sampled by the open acceptance",
                    item.sample_id
                )));
            }
            let mut out = item.clone();
            out.state = item_state::CHECKED;
            out.check_accept = Some(c.accept);
            out.check_comment.clone_from(&c.comment);
            out.check_score.clone_from(&c.score);
            out.update_time = now;
            Ok(out)
        })
        .await
    }

    /// The report of one round and of all rounds together.
    pub async fn report(
        &self,
        task: &TeamTask,
        actor: &Actor,
        checking_task_id: &str,
    ) -> Result<Report, DomainError> {
        require_owner(actor, "read acceptance reports")?;
        let rounds = self.store.rounds(&task.id).await?;
        let checking = rounds
            .iter()
            .find(|r| r.id == checking_task_id)
            .cloned()
            .ok_or_else(|| DomainError::CheckNotFound(checking_task_id.to_owned()))?;
        Ok(Report {
            checking,
            total: total_of(&rounds),
        })
    }

    /// Ends the open round with an action (owner only). Actions 0, 1, 4 and 5 move
    /// the items and queue the synchronization (status 5 until done); 2 cancels the
    /// round; 3 lists disagreeing samples and changes nothing.
    pub async fn end_round(
        &self,
        task: &TeamTask,
        actor: &Actor,
        action_code: i64,
        overwrite: bool,
    ) -> Result<RoundEnd, DomainError> {
        require_owner(actor, "end acceptance")?;
        let moves = if action_code == i64::from(action::CONFLICTS) {
            Vec::new()
        } else {
            action_moves(action_code)?
        };
        task.require_status(&[task_status::ACCEPTING], "end acceptance")?;
        if moves.is_empty() {
            return self.conflicts(task).await;
        }
        let mut ended = task.clone();
        ended.action = Some(i32::try_from(action_code).unwrap_or_default());
        ended.overwrite_last_result = overwrite;
        let (status, job) = if action_code == i64::from(action::CANCEL) {
            (task_status::RUNNING, None)
        } else {
            let job = team_job(task, kind::TEAM_SYNC, None)?;
            (task_status::SYNCING, Some(job))
        };
        let accepted = self
            .store
            .end_round(&ended, &moves, status, job.as_ref())
            .await?
            .ok_or_else(|| {
                DomainError::TaskState("the task changed status meanwhile; read it again".into())
            })?;
        Ok(RoundEnd {
            accepted: i64::try_from(accepted).unwrap_or(i64::MAX),
            conflicts: Vec::new(),
        })
    }

    /// Sampled samples whose annotators do not fully agree.
    async fn conflicts(&self, task: &TeamTask) -> Result<RoundEnd, DomainError> {
        let f = ItemFilter {
            states: vec![item_state::SAMPLED, item_state::CHECKED],
            ..ItemFilter::default()
        };
        let mut out: Vec<(String, f64)> = Vec::new();
        let mut offset = 0;
        loop {
            let (rows, total) = self
                .store
                .list_items(task, &f, &SampleFilter::default(), offset, 500)
                .await?;
            let last = out.last().map(|(s, _)| s.clone()).unwrap_or_default();
            let mut ids: Vec<String> = rows
                .iter()
                .map(|(i, _)| i.sample_id.clone())
                .filter(|id| *id > last)
                .collect();
            ids.dedup();
            let items = self.store.items_of(&task.id, &ids).await?;
            for id in ids {
                let of: Vec<TaskItem> = items
                    .iter()
                    .filter(|i| i.sample_id == id)
                    .cloned()
                    .collect();
                let a = agreement(&of);
                if a < 1.0 {
                    out.push((id, a));
                }
            }
            offset += 1;
            if offset * 500 >= total {
                break;
            }
        }
        Ok(RoundEnd {
            accepted: 0,
            conflicts: out,
        })
    }

    /// The synchronization job's body: writes the consensus of every newly accepted
    /// sample to the dataset (when `auto_sync_dataset`), then sets the final status.
    /// Idempotent: samples are marked synchronized after their write.
    pub async fn sync_accepted(&self, task_id: &str, dataset_id: &str) -> Result<u64, DomainError> {
        let Some(task) = self.store.team_task(dataset_id, task_id).await? else {
            return Ok(0);
        };
        let mut after = String::new();
        let mut synced = 0u64;
        loop {
            let batch = self
                .store
                .accepted_unsynced(task_id, &after, SYNC_BATCH)
                .await?;
            let Some((last, _)) = batch.last() else { break };
            after.clone_from(last);
            let ids: Vec<String> = batch.iter().map(|(s, _)| s.clone()).collect();
            if task.auto_sync_dataset {
                self.write_consensus(&task, &batch).await?;
            }
            self.store.mark_synced(task_id, &ids).await?;
            synced += u64::try_from(ids.len()).unwrap_or(0);
        }
        self.end_sync(task_id).await?;
        Ok(synced)
    }

    /// Moves a synchronizing task to the status its items give (they moved when the
    /// round ended): after its synchronization, and also after one that failed for
    /// good, so the task does not synchronize forever. The accepted samples a failed
    /// one did not write stay marked unsynchronized, and a later one picks them up.
    pub async fn end_sync(&self, task_id: &str) -> Result<(), DomainError> {
        let mut item_counts = crate::team_task::StateCounts::default();
        for (_, state, n) in self.store.item_counts(task_id).await? {
            item_counts.add(state, n);
        }
        self.store
            .set_team_task_status(task_id, &[task_status::SYNCING], status_after(&item_counts))
            .await?;
        Ok(())
    }

    async fn write_consensus(
        &self,
        task: &TeamTask,
        batch: &[(String, Vec<TaskItem>)],
    ) -> Result<(), DomainError> {
        let ids: Vec<String> = batch.iter().map(|(s, _)| s.clone()).collect();
        let existing: HashMap<String, Sample> = self
            .store
            .samples_by_id(&task.dataset_id, &ids)
            .await?
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect();
        let mut writes = Vec::new();
        for (id, items) in batch {
            let Some(sample) = existing.get(id) else {
                continue; // deleted from the dataset since
            };
            if !task.overwrite_last_result && !sample.labels.is_empty() {
                continue;
            }
            let annotations: Vec<&[SampleLabel]> =
                items.iter().map(|i| i.labels.as_slice()).collect();
            let c = consensus(&annotations);
            let labels = items[c.chosen].labels.clone();
            let mut write = SampleWrite {
                id: sample.id.clone(),
                path: sample.path.clone(),
                name: sample.name.clone(),
                size: sample.size,
                sample_type: sample.sample_type,
                status: state_for(&labels, true),
                labels,
                metadata: Some(sample.metadata.clone()),
                hard: false,
                score: None,
                usage: None,
            };
            write.derive_flags();
            writes.push(write);
        }
        if !writes.is_empty() {
            self.store
                .write_samples(&task.dataset_id, &writes, WriteMode::ExistingOnly)
                .await?;
        }
        Ok(())
    }

    /// Statistics over the task's items (of one state when given): label counts over
    /// the members' annotations, and over the distinct samples those items cover the
    /// hard examples, hard reason mentions and metadata keys. Pages are sorted by
    /// sample, so a sample's items are gathered across a page boundary and counted once.
    /// Answers the number of those samples with the statistics.
    pub async fn stats(
        &self,
        task: &TeamTask,
        f: &ItemFilter,
    ) -> Result<(i64, SampleStats), DomainError> {
        let mut tally = TaskTally::default();
        self.tally_items(task, f, &mut tally).await?;
        Ok(tally.finish())
    }

    /// [`Self::stats`] over every team task of the dataset, for the dataset statistics
    /// narrowed by a team state or a member. A sample in two tasks counts in each.
    pub async fn dataset_stats(
        &self,
        project: &str,
        dataset: &str,
        f: &ItemFilter,
    ) -> Result<(i64, SampleStats), DomainError> {
        self.dataset(project, dataset).await?;
        let mut tally = TaskTally::default();
        let mut page = 0;
        loop {
            let (tasks, total) = self.store.list_team_tasks(dataset, page, 100).await?;
            for task in &tasks {
                self.tally_items(task, f, &mut tally).await?;
            }
            page += 1;
            if page * 100 >= total {
                return Ok(tally.finish());
            }
        }
    }

    /// Adds the task's items matching `f`, page by page, to `tally`.
    async fn tally_items(
        &self,
        task: &TeamTask,
        f: &ItemFilter,
        tally: &mut TaskTally,
    ) -> Result<(), DomainError> {
        let mut offset = 0;
        loop {
            let (rows, total) = self
                .store
                .list_items(task, f, &SampleFilter::default(), offset, 500)
                .await?;
            for (item, sample) in rows {
                tally.add(item, sample);
            }
            offset += 1;
            if offset * 500 >= total {
                return Ok(());
            }
        }
    }

    /// Each member's agreement with the other annotators of their accepted or
    /// labeled samples (mean over samples with more than one annotation).
    pub async fn member_agreement(
        &self,
        task: &TeamTask,
    ) -> Result<HashMap<String, f64>, DomainError> {
        if task.repetition < 2 {
            return Ok(HashMap::new());
        }
        let f = ItemFilter::default().with_state(Some(crate::search::SampleState::All));
        let mut sums: HashMap<String, (f64, i64)> = HashMap::new();
        let mut offset = 0;
        let mut last = String::new();
        loop {
            let (rows, total) = self
                .store
                .list_items(task, &f, &SampleFilter::default(), offset, 500)
                .await?;
            // Pages are sorted by sample: a sample split over two pages counts once.
            let mut ids: Vec<String> = rows
                .iter()
                .map(|(i, _)| i.sample_id.clone())
                .filter(|id| *id > last)
                .collect();
            ids.dedup();
            if let Some(l) = ids.last() {
                last.clone_from(l);
            }
            let items = self.store.items_of(&task.id, &ids).await?;
            for id in &ids {
                let of: Vec<&TaskItem> = items
                    .iter()
                    .filter(|i| i.sample_id == *id && i.state >= item_state::UNREVIEWED)
                    .collect();
                if of.len() < 2 {
                    continue;
                }
                let annotations: Vec<&[SampleLabel]> =
                    of.iter().map(|i| i.labels.as_slice()).collect();
                let c = consensus(&annotations);
                for (it, a) in of.iter().zip(c.per_annotator) {
                    let e = sums.entry(it.worker_id.clone()).or_default();
                    e.0 += a;
                    e.1 += 1;
                }
            }
            offset += 1;
            if offset * 500 >= total {
                break;
            }
        }
        Ok(sums
            .into_iter()
            .map(|(w, (s, n))| (w, s / n as f64))
            .collect())
    }
}

/// Agreement of a sample's labeled annotations (1 with fewer than two).
pub fn agreement(items: &[TaskItem]) -> f64 {
    let labeled: Vec<&[SampleLabel]> = items
        .iter()
        .filter(|i| i.state >= item_state::UNREVIEWED)
        .map(|i| i.labels.as_slice())
        .collect();
    if labeled.len() < 2 {
        return 1.0;
    }
    consensus(&labeled).agreement
}

fn check_comments(comments: &[Comment]) -> Result<(), DomainError> {
    if comments.is_empty() || comments.len() > 1000 {
        return Err(DomainError::invalid(
            "comments",
            "must hold 1 to 1000 comments",
        ));
    }
    for (i, c) in comments.iter().enumerate() {
        c.check(&format!("comments[{i}]"))?;
    }
    Ok(())
}

/// All rounds as one.
fn total_of(rounds: &[CheckRound]) -> CheckRound {
    let mut t = CheckRound::default();
    for r in rounds {
        t.sampling_num += r.sampled_sample_count;
        t.total_sample_count += r.total_sample_count;
        t.sampled_sample_count += r.sampled_sample_count;
        t.accepted_sample_count += r.accepted_sample_count;
        t.rejected_sample_count += r.rejected_sample_count;
        t.total_score += r.total_score;
        t.scored_count += r.scored_count;
    }
    t.sampling_rate = crate::team_task::ratio(t.sampled_sample_count, t.total_sample_count);
    t
}

/// Running totals of [`TeamTaskService::stats`].
#[derive(Default)]
struct TaskTally {
    labels: Vec<LabelCount>,
    /// The sample whose items are being gathered, with their labels.
    current: Option<(Sample, Vec<SampleLabel>)>,
    /// Samples counted.
    samples: i64,
    /// Counter keys of the counted samples (`sample::counter`).
    keys: HashMap<String, i64>,
}

impl TaskTally {
    fn add(&mut self, item: TaskItem, sample: Sample) {
        let mut seen: Vec<&str> = Vec::new();
        for l in &item.labels {
            let name = l.name.as_deref().unwrap_or_default();
            let i = match self.labels.iter().position(|c| c.name == name) {
                Some(i) => i,
                None => {
                    self.labels.push(LabelCount {
                        name: name.to_owned(),
                        count: 0,
                        sample_count: 0,
                    });
                    self.labels.len() - 1
                }
            };
            self.labels[i].count += 1;
            if !seen.contains(&name) {
                seen.push(name);
                self.labels[i].sample_count += 1;
            }
        }
        match &mut self.current {
            Some((s, labels)) if s.id == sample.id => labels.extend(item.labels),
            _ => {
                self.close();
                self.current = Some((sample, item.labels));
            }
        }
    }

    /// Counts the gathered sample: its metadata with its items' annotations.
    fn close(&mut self) {
        let Some((sample, labels)) = self.current.take() else {
            return;
        };
        self.samples += 1;
        let hard = crate::annotation::is_hard(&labels, Some(&sample.metadata));
        for key in counter::base_keys(hard, &labels, &sample.metadata) {
            *self.keys.entry(key).or_default() += 1;
        }
    }

    /// The number of samples and their statistics.
    fn finish(mut self) -> (i64, SampleStats) {
        self.close();
        let samples = self.samples;
        (samples, SampleStats::from_counters(self.keys, self.labels))
    }
}
