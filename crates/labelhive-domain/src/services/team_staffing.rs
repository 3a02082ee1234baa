//! Who takes part in a team labeling task: resolving `workforces_config` to members,
//! re-staffing a task, and members leaving (a task's update, or removal from a team),
//! whose unfinished samples are handed to the labelers who stay.

use std::collections::HashMap;

use crate::allocation::{hand_over, Handover};
use crate::ids::is_resource_id;
use crate::services::team_tasks::{TeamTaskService, WorkforcesConfig};
use crate::services::team_workers;
use crate::store::MemberTaskQuery;
use crate::team_task::{task_status, TaskMember, TeamTask};
use crate::time::now_ms;
use crate::DomainError;

impl TeamTaskService {
    /// The members `config` names, with their roles in their teams.
    pub(crate) async fn resolve(
        &self,
        project: &str,
        config: &WorkforcesConfig,
    ) -> Result<Vec<TaskMember>, DomainError> {
        let mut members: Vec<TaskMember> = Vec::new();
        for (i, choice) in config.workforces.iter().enumerate() {
            let field = format!("workforces_config.workforces[{i}]");
            let team_id = match (&choice.workforce_id, &choice.workforce_name) {
                (Some(id), _) => id.clone(),
                (None, Some(name)) => self.team_named(project, name).await?,
                (None, None) => {
                    return Err(DomainError::invalid(
                        format!("{field}.workforce_id"),
                        "workforce_id or workforce_name is required",
                    ))
                }
            };
            if !is_resource_id(&team_id) || self.store.workforce(project, &team_id).await?.is_none()
            {
                return Err(DomainError::WorkforceNotFound(team_id));
            }
            let team = self.team_members(project, &team_id).await?;
            let chosen: Vec<TaskMember> = if choice.workers.is_empty() {
                team
            } else {
                let mut out = Vec::new();
                for w in &choice.workers {
                    let found = team.iter().find(|m| {
                        w.worker_id.as_deref() == Some(m.worker_id.as_str())
                            || w.email.as_deref().map(str::to_lowercase).as_deref()
                                == Some(m.email.as_str())
                    });
                    let who = w
                        .worker_id
                        .clone()
                        .or_else(|| w.email.clone())
                        .unwrap_or_default();
                    out.push(found.cloned().ok_or(DomainError::WorkerNotFound(who))?);
                }
                out
            };
            for m in chosen {
                if !members.contains(&m) {
                    members.push(m);
                }
            }
        }
        Ok(members)
    }

    async fn team_named(&self, project: &str, name: &str) -> Result<String, DomainError> {
        let mut q = crate::workforce::WorkforceQuery {
            search_content: Some(name.to_owned()),
            limit: 100,
            ..Default::default()
        };
        loop {
            let (teams, total) = self.store.list_workforces(project, &q).await?;
            if let Some(t) = teams.iter().find(|t| t.name == name) {
                return Ok(t.id.clone());
            }
            if (q.offset + 1) * q.limit >= total {
                return Err(DomainError::WorkforceNotFound(name.to_owned()));
            }
            q.offset += 1;
        }
    }

    async fn team_members(
        &self,
        project: &str,
        team: &str,
    ) -> Result<Vec<TaskMember>, DomainError> {
        Ok(team_workers(self.store.as_ref(), project, team)
            .await?
            .into_iter()
            .map(|w| TaskMember {
                worker_id: w.worker_id,
                workforce_id: w.workforce_id,
                email: w.email,
                role: w.role,
                ..TaskMember::default()
            })
            .collect())
    }

    /// Replaces the members, keeping what the ones who stay were sent. Returns the
    /// unfinished samples of labelers who leave, handed to those who stay (4628 when
    /// they cannot all be absorbed).
    pub(crate) async fn replace_members(
        &self,
        project: &str,
        task: &mut TeamTask,
        config: &WorkforcesConfig,
    ) -> Result<Vec<Handover>, DomainError> {
        let mut members = self.resolve(project, config).await?;
        for m in &mut members {
            if let Some(old) = task
                .members
                .iter()
                .find(|o| o.worker_id == m.worker_id && o.workforce_id == m.workforce_id)
            {
                m.email_status = old.email_status;
                m.last_notify_time = old.last_notify_time;
            }
        }
        let moves = self.handovers(task, &members).await?;
        task.members = members;
        if let Some(agency) = &config.agency {
            task.agency.clone_from(agency);
        }
        Ok(moves)
    }

    /// The unfinished items (unlabeled or rejected back) of the task's labelers who are
    /// not labelers among `members`, each handed to the least loaded staying labeler
    /// who does not label that sample yet.
    async fn handovers(
        &self,
        task: &TeamTask,
        members: &[TaskMember],
    ) -> Result<Vec<Handover>, DomainError> {
        let staying: Vec<String> = {
            let mut next = task.clone();
            next.members = members.to_vec();
            next.labelers()
        };
        let leaving: Vec<String> = task
            .labelers()
            .into_iter()
            .filter(|w| !staying.contains(w))
            .collect();
        if leaving.is_empty() {
            return Ok(Vec::new());
        }
        let items = self.store.unfinished_items(&task.id, &leaving).await?;
        if items.is_empty() {
            return Ok(Vec::new());
        }
        if matches!(task.status, task_status::STARTING | task_status::SYNCING) {
            return Err(DomainError::TaskState(
                "members with unfinished samples cannot leave while the task is starting or \
                 synchronizing"
                    .into(),
            ));
        }
        let mut loads: Vec<(String, i64)> = staying.into_iter().map(|w| (w, 0)).collect();
        for (w, n) in self.store.item_loads(&task.id).await? {
            if let Some(l) = loads.iter_mut().find(|l| l.0 == w) {
                l.1 = n;
            }
        }
        let samples: Vec<String> = items.iter().map(|(s, _)| s.clone()).collect();
        let mut holders: HashMap<String, Vec<String>> = HashMap::new();
        for chunk in samples.chunks(500) {
            for item in self.store.items_of(&task.id, chunk).await? {
                holders
                    .entry(item.sample_id)
                    .or_default()
                    .push(item.worker_id);
            }
        }
        hand_over(&mut loads, &items, &holders).ok_or_else(|| {
            DomainError::WorkerHasTask(format!(
                "{} has unfinished samples that the remaining labelers cannot take (each \
                 sample needs distinct labelers); add labelers first",
                leaving.join(", ")
            ))
        })
    }

    /// Takes people removed from a team out of that team's tasks, handing their
    /// unfinished samples to the labelers who stay. Per worker: done, or why they
    /// cannot leave (4628 when their samples cannot be absorbed).
    pub async fn leave_team(
        &self,
        project: &str,
        workforce_id: &str,
        worker_ids: &[String],
    ) -> Result<Vec<Result<(), DomainError>>, DomainError> {
        let mut out = Vec::with_capacity(worker_ids.len());
        for worker in worker_ids {
            out.push(self.leave_tasks(project, workforce_id, worker).await);
        }
        Ok(out)
    }

    async fn leave_tasks(
        &self,
        project: &str,
        workforce_id: &str,
        worker: &str,
    ) -> Result<(), DomainError> {
        let mut q = MemberTaskQuery {
            worker_id: Some(worker.to_owned()),
            ascending: true,
            limit: 1000,
            ..MemberTaskQuery::default()
        };
        let mut tasks = Vec::new();
        loop {
            let (page, total) = self.store.member_tasks(project, &q).await?;
            tasks.extend(
                page.into_iter()
                    .filter(|(_, m)| m.workforce_id == workforce_id)
                    .map(|(t, _)| (t.dataset_id, t.id)),
            );
            if (q.offset + 1) * q.limit >= total {
                break;
            }
            q.offset += 1;
        }
        for (dataset, id) in tasks {
            // The page holds the task without its members; read it whole.
            let Some(mut task) = self.store.team_task(&dataset, &id).await? else {
                continue;
            };
            let members: Vec<TaskMember> = task
                .members
                .iter()
                .filter(|m| !(m.worker_id == worker && m.workforce_id == workforce_id))
                .cloned()
                .collect();
            let moves = self.handovers(&task, &members).await?;
            task.members = members;
            task.update_time = now_ms();
            let expect = task.status;
            if !self
                .store
                .save_team_task(&task, expect, None, &moves)
                .await?
            {
                return Err(DomainError::TaskState(
                    "the task changed status meanwhile; try again".into(),
                ));
            }
        }
        Ok(())
    }
}
