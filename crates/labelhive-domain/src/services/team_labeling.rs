//! Inside a team labeling task: members' samples, labeling and review (acceptance is
//! in `team_acceptance`, statistics in `team_stats`).

use std::collections::HashMap;

use crate::annotation::{SampleLabel, SampleMetadata};
use crate::sample::Sample;
use crate::search::SampleFilter;
use crate::services::samples::{check_batch, prefix, ItemResult};
use crate::services::team_acceptance::check_comments;
use crate::services::team_stats::agreement;
use crate::services::team_tasks::{require_role, Actor, TeamTaskService};
use crate::team_task::{
    after_review, after_submit, task_status, Comment, ItemFilter, ItemWrite, TaskItem, TeamTask,
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
    pub(super) async fn judge(
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
}
