//! Starting a team labeling task: allocating its samples to the members, as a job
//! at the start and for samples that arrive later.

use crate::allocation::allocate;
use crate::job::kind;
use crate::search::{parse_search_conditions, SampleFilter, SampleState};
use crate::services::team_tasks::{
    require_manager, team_job, Actor, TeamTaskService, WorkforcesConfig,
};
use crate::team_task::{task_status, TeamTask};
use crate::time::now_ms;
use crate::DomainError;

/// Samples read per allocation step.
const ALLOCATE_BATCH: i64 = 1000;

impl TeamTaskService {
    /// Starts a created task (allocation runs as a job, status 0 until done) or
    /// resumes a rejected one (status 1). Owner or the task's manager.
    pub async fn start(
        &self,
        project: &str,
        dataset: &str,
        task_id: &str,
        config: Option<WorkforcesConfig>,
        actor: &Actor,
    ) -> Result<(), DomainError> {
        let mut task = self.get(project, dataset, task_id, actor).await?;
        require_manager(&task, actor, "start the task")?;
        task.require_status(
            &[task_status::CREATED, task_status::REJECTED],
            "start the task",
        )?;
        let mut moves = Vec::new();
        if let Some(config) = config.filter(|c| !c.workforces.is_empty()) {
            moves = self.replace_members(project, &mut task, &config).await?;
        }
        let labelers = task.labelers().len();
        if labelers == 0 || i64::try_from(labelers).unwrap_or(0) < task.repetition {
            return Err(DomainError::TaskStart(format!(
                "the task needs at least {} labeler(s) (repetition) and has {labelers}",
                task.repetition
            )));
        }
        let expect = task.status;
        task.update_time = now_ms();
        let job = if expect == task_status::CREATED {
            task.status = task_status::STARTING;
            Some(team_job(&task, kind::TEAM_ALLOCATE, None)?)
        } else {
            task.status = task_status::RUNNING;
            None
        };
        if !self
            .store
            .save_team_task(&task, expect, job.as_ref(), &moves)
            .await?
        {
            return Err(DomainError::TaskState(
                "the task changed status meanwhile; read it again".into(),
            ));
        }
        Ok(())
    }

    /// Allocates every in-scope sample not allocated yet; the job's body. Idempotent:
    /// a rerun after a crash skips what was allocated and keeps the balance.
    pub async fn allocate_all(&self, task_id: &str, dataset_id: &str) -> Result<u64, DomainError> {
        let Some(task) = self.store.team_task(dataset_id, task_id).await? else {
            return Ok(0);
        };
        let added = self.allocate_scope(&task, &[]).await?;
        self.store
            .set_team_task_status(task_id, &[task_status::STARTING], task_status::RUNNING)
            .await?;
        Ok(added)
    }

    /// After the allocation job failed for good: the task goes back from starting to
    /// created, so its owner can start it again (a new start allocates what the
    /// failed one did not).
    pub async fn allocation_failed(&self, task_id: &str) -> Result<(), DomainError> {
        self.store
            .set_team_task_status(task_id, &[task_status::STARTING], task_status::CREATED)
            .await?;
        Ok(())
    }

    /// Allocates samples that arrived after the start to the dataset's tasks with
    /// `synchronize_data`: those of `ids` when known (an upload), else every in-scope
    /// sample not allocated yet (after an import or a synchronization). An accepted
    /// task with new samples runs again.
    pub async fn allocate_arrivals(
        &self,
        dataset_id: &str,
        ids: &[String],
    ) -> Result<u64, DomainError> {
        let mut added = 0;
        for task in &self.store.synchronizing_tasks(dataset_id).await? {
            let n = self.allocate_scope(task, ids).await?;
            if n > 0 {
                self.store
                    .set_team_task_status(&task.id, &[task_status::ACCEPTED], task_status::RUNNING)
                    .await?;
            }
            added += n;
        }
        Ok(added)
    }

    /// Allocates the in-scope samples (only `ids` when not empty) not allocated yet,
    /// keeping the labelers balanced with what they already have.
    async fn allocate_scope(&self, task: &TeamTask, ids: &[String]) -> Result<u64, DomainError> {
        let mut filter = self.scope(task)?;
        filter.ids = ids.to_vec();
        let repetition = usize::try_from(task.repetition).unwrap_or(1);
        let mut loads: Vec<(String, i64)> = task.labelers().into_iter().map(|w| (w, 0)).collect();
        if loads.len() < repetition {
            return Ok(0);
        }
        for (w, n) in self.store.item_loads(&task.id).await? {
            if let Some(l) = loads.iter_mut().find(|l| l.0 == w) {
                l.1 = n;
            }
        }
        let mut after = 0;
        let mut added = 0;
        loop {
            let page = self
                .store
                .scan_samples(&task.dataset_id, &filter, after, ALLOCATE_BATCH)
                .await?;
            let Some((last, _)) = page.last() else { break };
            after = *last;
            let ids: Vec<String> = page.into_iter().map(|(_, s)| s.id).collect();
            let done = self.store.allocated(&task.id, &ids).await?;
            let fresh: Vec<String> = ids.into_iter().filter(|i| !done.contains(i)).collect();
            let pairs = allocate(&mut loads, &fresh, repetition);
            added += self
                .store
                .allocate_items(&task.id, &pairs, now_ms())
                .await?;
        }
        Ok(added)
    }

    /// The samples a task labels: unlabeled ones matching its conditions.
    fn scope(&self, task: &TeamTask) -> Result<SampleFilter, DomainError> {
        Ok(SampleFilter {
            states: Some(SampleState::None),
            conditions: parse_search_conditions(&task.sample_conditions, now_ms())?,
            ..SampleFilter::default()
        })
    }
}
