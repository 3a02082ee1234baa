//! Team labeling task use cases: create, read, update, delete. Starting and
//! allocation are in `team_allocation`, labeling and review in `team_labeling`,
//! acceptance and synchronization in `team_acceptance`, statistics in `team_stats`.
//!
//! Every call names its [`Actor`]: the project owner, or a member signed in with a
//! worker token. Owners may do everything; members only what their role in the task
//! allows (`WorkerForbidden`, 403, otherwise).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, WorkforceInformation};
use crate::ids::{is_resource_id, new_resource_id};
use crate::job::{kind, NewJob};
use crate::search::parse_search_conditions;
use crate::services::existing_dataset;
use crate::services::samples::SampleService;
use crate::store::{MemberTaskQuery, Store, StoreError};
use crate::team_task::{
    task_status, StateCounts, TaskFields, TaskMember, TeamTask, MAX_REPETITION,
};
use crate::time::now_ms;
use crate::workforce::role;
use crate::DomainError;

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The project owner (AK/SK or an owner token).
    Owner,
    /// A team member, by worker id.
    Worker(String),
}

/// A team named in `workforces_config`, with the members chosen (none: all of them).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TeamChoice {
    /// The team's id.
    pub workforce_id: Option<String>,
    /// The team's name, when no id is given.
    pub workforce_name: Option<String>,
    /// Members by email or worker_id; empty for the whole team.
    #[serde(default)]
    pub workers: Vec<MemberChoice>,
}

/// A member named in a team choice.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MemberChoice {
    /// Their address.
    pub email: Option<String>,
    /// Their id.
    pub worker_id: Option<String>,
}

/// `workforces_config`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WorkforcesConfig {
    /// The administrator's address, kept as given.
    pub agency: Option<String>,
    /// Teams taking part.
    #[serde(default)]
    pub workforces: Vec<TeamChoice>,
}

/// A create request.
#[derive(Debug, Clone, Default)]
pub struct NewTask {
    /// Name and description.
    pub fields: TaskFields,
    /// Labelers per sample, default 1.
    pub repetition: Option<i64>,
    /// Default true.
    pub auto_sync_dataset: Option<bool>,
    /// Default false.
    pub synchronize_data: Option<bool>,
    /// Default false.
    pub synchronize_auto_labeling_data: Option<bool>,
    /// 0 to 3, default 0.
    pub data_sync_type: Option<i64>,
    /// Search conditions JSON.
    pub sample_conditions: Option<String>,
    /// Teams and members.
    pub workforces_config: Option<WorkforcesConfig>,
}

/// Payload of a [`kind::TEAM_ALLOCATE`] or [`kind::TEAM_SYNC`] job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TeamJob {
    /// The task.
    pub task_id: String,
    /// A job to wait for first: the import of a dataset created with its team task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_job: Option<String>,
}

/// A member's progress in a task.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberStats {
    /// The member.
    pub member: TaskMember,
    /// Their items by state.
    pub counts: StateCounts,
}

/// Team labeling task use cases.
#[derive(Clone)]
pub struct TeamTaskService {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) samples: SampleService,
}

impl TeamTaskService {
    /// A service over a store; sample reads go through `samples`.
    pub fn new(store: Arc<dyn Store>, samples: SampleService) -> Self {
        Self { store, samples }
    }

    /// The dataset of the project; 404 when missing.
    pub async fn dataset(&self, project: &str, dataset: &str) -> Result<Dataset, DomainError> {
        existing_dataset(self.store.as_ref(), project, dataset).await
    }

    /// The task, if the actor may see it (members see only their tasks).
    pub async fn get(
        &self,
        project: &str,
        dataset: &str,
        task_id: &str,
        actor: &Actor,
    ) -> Result<TeamTask, DomainError> {
        self.dataset(project, dataset).await?;
        let missing = || DomainError::WorkforceTaskNotFound(task_id.to_owned());
        if !is_resource_id(task_id) {
            return Err(missing());
        }
        let task = self
            .store
            .team_task(dataset, task_id)
            .await?
            .ok_or_else(missing)?;
        if let Actor::Worker(w) = actor {
            if task.roles_of(w).is_empty() {
                return Err(missing());
            }
        }
        Ok(task)
    }

    /// The teams taking part in a task of the project (for the team list's
    /// `workforce_task_id` filter); `WorkforceTaskNotFound` when there is no such task.
    pub async fn teams_of(&self, project: &str, task_id: &str) -> Result<Vec<String>, DomainError> {
        let missing = || DomainError::WorkforceTaskNotFound(task_id.to_owned());
        if !is_resource_id(task_id) {
            return Err(missing());
        }
        let task = self
            .store
            .project_team_task(project, task_id)
            .await?
            .ok_or_else(missing)?;
        Ok(task.workforce_ids())
    }

    /// Creates a task (owner only), status 6 created.
    pub async fn create(
        &self,
        project: &str,
        dataset: &str,
        req: NewTask,
        actor: &Actor,
    ) -> Result<TeamTask, DomainError> {
        require_owner(actor, "create team labeling tasks")?;
        let ds = self.dataset(project, dataset).await?;
        let task = self.prepare(project, &ds.id, req).await?;
        self.store
            .create_team_task(&task)
            .await
            .map_err(|e| name_taken(e, &task.name))?;
        Ok(task)
    }

    /// The team task a dataset created with `workforce_information` starts with: its
    /// settings and members checked now (a bad one refuses the dataset). With enough
    /// labelers it is started at once: status 0 and an allocation job that waits for
    /// the dataset's import (`import_job`); else it stays created (6).
    pub async fn for_new_dataset(
        &self,
        project: &str,
        dataset_id: &str,
        info: &WorkforceInformation,
        import_job: Option<&str>,
    ) -> Result<(TeamTask, Option<NewJob>), DomainError> {
        let config = info.workforces_config.as_ref().map(|c| WorkforcesConfig {
            agency: c.agency.clone(),
            workforces: c
                .workforces
                .iter()
                .flatten()
                .map(|w| TeamChoice {
                    workforce_id: w.workforce_id.clone(),
                    workforce_name: w.workforce_name.clone(),
                    workers: w
                        .workers
                        .iter()
                        .flatten()
                        .map(|m| MemberChoice {
                            email: m.email.clone(),
                            worker_id: m.worker_id.clone(),
                        })
                        .collect(),
                })
                .collect(),
        });
        let req = NewTask {
            fields: TaskFields {
                name: Some(info.task_name.clone()),
                description: None,
            },
            repetition: info.repetition.map(i64::from),
            synchronize_data: info.synchronize_data,
            synchronize_auto_labeling_data: info.synchronize_auto_labeling_data,
            data_sync_type: info.data_sync_type.map(i64::from),
            workforces_config: config,
            ..NewTask::default()
        };
        let mut task = self
            .prepare(project, dataset_id, req)
            .await
            .map_err(|e| match e {
                DomainError::InvalidParameter { field, reason } => DomainError::InvalidParameter {
                    field: format!("workforce_information.{field}"),
                    reason,
                },
                other => other,
            })?;
        let labelers = i64::try_from(task.labelers().len()).unwrap_or(0);
        if labelers == 0 || labelers < task.repetition {
            return Ok((task, None));
        }
        task.status = task_status::STARTING;
        let job = team_job(&task, kind::TEAM_ALLOCATE, import_job.map(str::to_owned))?;
        Ok((task, Some(job)))
    }

    /// A new task of the dataset (status 6), checked and its members resolved.
    pub(crate) async fn prepare(
        &self,
        project: &str,
        dataset_id: &str,
        req: NewTask,
    ) -> Result<TeamTask, DomainError> {
        req.fields.check()?;
        let repetition = req.repetition.unwrap_or(1);
        if !(1..=MAX_REPETITION).contains(&repetition) {
            return Err(DomainError::invalid(
                "repetition",
                format!("{repetition} is not from 1 to {MAX_REPETITION}"),
            ));
        }
        let data_sync_type = req.data_sync_type.unwrap_or(0);
        if !(0..=3).contains(&data_sync_type) {
            return Err(DomainError::invalid(
                "data_sync_type",
                format!("{data_sync_type} is not one of 0, 1, 2, 3"),
            ));
        }
        let conditions = req.sample_conditions.unwrap_or_default();
        parse_search_conditions(&conditions, now_ms())
            .map_err(|e| rename(e, "sample_conditions"))?;
        let config = req.workforces_config.unwrap_or_default();
        let members = self.resolve(project, &config).await?;
        let now = now_ms();
        let task = TeamTask {
            id: new_resource_id(),
            project_id: project.to_owned(),
            dataset_id: dataset_id.to_owned(),
            name: req
                .fields
                .name
                .unwrap_or_else(|| format!("task-{}", &new_resource_id()[..4].to_lowercase())),
            description: req.fields.description.unwrap_or_default(),
            status: task_status::CREATED,
            repetition,
            auto_sync_dataset: req.auto_sync_dataset.unwrap_or(true),
            synchronize_data: req.synchronize_data.unwrap_or(false),
            synchronize_auto_labeling_data: req.synchronize_auto_labeling_data.unwrap_or(false),
            data_sync_type,
            sample_conditions: conditions,
            agency: config.agency.unwrap_or_default(),
            checking_task_id: None,
            action: None,
            overwrite_last_result: false,
            create_time: now,
            update_time: now,
            members,
        };
        Ok(task)
    }

    /// A page of the dataset's tasks the actor may see.
    pub async fn list(
        &self,
        project: &str,
        dataset: &str,
        offset: i64,
        limit: i64,
        actor: &Actor,
    ) -> Result<(Vec<TeamTask>, i64), DomainError> {
        self.dataset(project, dataset).await?;
        match actor {
            Actor::Owner => Ok(self.store.list_team_tasks(dataset, offset, limit).await?),
            Actor::Worker(w) => {
                // A member's view: their own tasks of this dataset.
                let q = MemberTaskQuery {
                    worker_id: Some(w.clone()),
                    limit: i64::MAX / 2,
                    ..Default::default()
                };
                let (pairs, _) = self.store.member_tasks(project, &q).await?;
                let mut tasks: Vec<TeamTask> = Vec::new();
                for (t, _) in pairs {
                    if t.dataset_id == dataset && !tasks.iter().any(|x| x.id == t.id) {
                        tasks.push(t);
                    }
                }
                let total = i64::try_from(tasks.len()).unwrap_or(i64::MAX);
                let start = usize::try_from(offset.saturating_mul(limit)).unwrap_or(usize::MAX);
                let page: Vec<TeamTask> = tasks
                    .into_iter()
                    .skip(start)
                    .take(usize::try_from(limit).unwrap_or(0))
                    .collect();
                let mut full = Vec::with_capacity(page.len());
                for t in page {
                    if let Some(t) = self.store.team_task(dataset, &t.id).await? {
                        full.push(t);
                    }
                }
                Ok((full, total))
            }
        }
    }

    /// Renames, redescribes or re-staffs a task. Owner or the task's manager.
    pub async fn update(
        &self,
        project: &str,
        dataset: &str,
        task_id: &str,
        fields: TaskFields,
        config: Option<WorkforcesConfig>,
        actor: &Actor,
    ) -> Result<(), DomainError> {
        fields.check()?;
        let mut task = self.get(project, dataset, task_id, actor).await?;
        require_manager(&task, actor, "update the task")?;
        task.require_status(
            &[
                task_status::CREATED,
                task_status::RUNNING,
                task_status::REJECTED,
                task_status::ACCEPTED,
            ],
            "update the task",
        )?;
        if let Some(n) = fields.name {
            task.name = n;
        }
        if let Some(d) = fields.description {
            task.description = d;
        }
        let mut moves = Vec::new();
        if let Some(config) = config.filter(|c| !c.workforces.is_empty()) {
            moves = self.replace_members(project, &mut task, &config).await?;
        }
        task.update_time = now_ms();
        let expect = task.status;
        let saved = self
            .store
            .save_team_task(&task, expect, None, &moves)
            .await
            .map_err(|e| name_taken(e, &task.name))?;
        if !saved {
            return Err(DomainError::TaskState(
                "the task changed status meanwhile; read it again".into(),
            ));
        }
        Ok(())
    }

    /// Deletes a task with its items (owner only); not while a job works on it.
    pub async fn delete(
        &self,
        project: &str,
        dataset: &str,
        task_id: &str,
        actor: &Actor,
    ) -> Result<(), DomainError> {
        require_owner(actor, "delete team labeling tasks")?;
        let task = self.get(project, dataset, task_id, actor).await?;
        if matches!(task.status, task_status::STARTING | task_status::SYNCING) {
            return task.require_status(&[], "delete the task");
        }
        if self.store.delete_team_task(dataset, task_id).await? {
            Ok(())
        } else {
            Err(DomainError::WorkforceTaskNotFound(task_id.to_owned()))
        }
    }
}

/// A job of `kind` over the task, after `after_job` when given.
pub(crate) fn team_job(
    task: &TeamTask,
    kind: &'static str,
    after_job: Option<String>,
) -> Result<NewJob, DomainError> {
    Ok(NewJob {
        id: new_resource_id(),
        project_id: task.project_id.clone(),
        dataset_id: Some(task.dataset_id.clone()),
        kind,
        payload: serde_json::to_value(TeamJob {
            task_id: task.id.clone(),
            after_job,
        })
        .map_err(DomainError::internal)?,
    })
}

/// Owners only.
pub(crate) fn require_owner(actor: &Actor, doing: &str) -> Result<(), DomainError> {
    match actor {
        Actor::Owner => Ok(()),
        Actor::Worker(_) => Err(DomainError::WorkerForbidden(format!(
            "only the project owner may {doing}"
        ))),
    }
}

/// The owner or a manager of the task.
pub(crate) fn require_manager(
    task: &TeamTask,
    actor: &Actor,
    doing: &str,
) -> Result<(), DomainError> {
    require_role(task, actor, &[role::MANAGER], doing)
}

/// The owner or a member holding one of `roles` in the task.
pub(crate) fn require_role(
    task: &TeamTask,
    actor: &Actor,
    roles: &[i32],
    doing: &str,
) -> Result<(), DomainError> {
    match actor {
        Actor::Owner => Ok(()),
        Actor::Worker(w) if task.roles_of(w).iter().any(|r| roles.contains(r)) => Ok(()),
        Actor::Worker(_) => Err(DomainError::WorkerForbidden(format!(
            "your role in this task does not allow you to {doing}"
        ))),
    }
}

fn name_taken(err: StoreError, name: &str) -> DomainError {
    match err {
        StoreError::Conflict {
            constraint: "team_tasks_dataset_name",
        } => DomainError::WorkforceTaskNameTaken(name.to_owned()),
        other => other.into(),
    }
}

/// Reports a search-conditions error under another field name.
fn rename(err: DomainError, field: &str) -> DomainError {
    match err {
        DomainError::InvalidParameter { field: f, reason } => DomainError::InvalidParameter {
            field: f.replacen("search_conditions", field, 1),
            reason,
        },
        other => other,
    }
}
