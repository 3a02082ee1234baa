//! Acceptance of a team labeling task: sampling rounds, comments, reports, ending a
//! round, and the synchronization of accepted results into the dataset.

use std::collections::HashMap;

use crate::annotation::SampleLabel;
use crate::consensus::consensus;
use crate::ids::new_resource_id;
use crate::job::kind;
use crate::sample::{state_for, Sample, SampleWrite};
use crate::search::SampleFilter;
use crate::services::samples::ItemResult;
use crate::services::team_stats::agreement;
use crate::services::team_tasks::{require_owner, team_job, Actor, TeamTaskService};
use crate::store::WriteMode;
use crate::team_task::{
    action, action_moves, item_state, sampling_size, status_after, task_status, CheckRound,
    Comment, ItemFilter, TaskItem, TeamTask,
};
use crate::time::now_ms;
use crate::DomainError;

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
}

/// Checks a review's or an acceptance round's comments.
pub(crate) fn check_comments(comments: &[Comment]) -> Result<(), DomainError> {
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
