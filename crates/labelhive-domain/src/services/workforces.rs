//! Labeling team and member use cases (the owner's side; workers sign in elsewhere).

use std::sync::Arc;

use crate::ids::new_resource_id;
use crate::services::team_tasks::TeamTaskService;
use crate::services::team_workers;
use crate::store::{Store, StoreError};
use crate::time::now_ms;
use crate::workforce::{
    parse_emails, worker_id_for, worker_status, Worker, WorkerQuery, Workforce, WorkforceFields,
    WorkforceQuery,
};
use crate::DomainError;

/// Team and member use cases.
#[derive(Clone)]
pub struct WorkforceService {
    store: Arc<dyn Store>,
    /// Members leaving a team leave its tasks too.
    tasks: TeamTaskService,
}

/// A taken team name as the API reports it.
fn name_taken(err: StoreError, name: Option<&str>) -> DomainError {
    match err {
        StoreError::Conflict {
            constraint: "workforces_project_name",
        } => DomainError::WorkforceNameTaken(name.unwrap_or_default().to_owned()),
        other => other.into(),
    }
}

impl WorkforceService {
    /// A service over a store; members who leave are taken out of `tasks`.
    pub fn new(store: Arc<dyn Store>, tasks: TeamTaskService) -> Self {
        Self { store, tasks }
    }

    /// Creates a team; its name must be new in the project.
    pub async fn create(
        &self,
        project_id: &str,
        fields: WorkforceFields,
    ) -> Result<Workforce, DomainError> {
        let name = fields
            .name
            .clone()
            .ok_or_else(|| DomainError::invalid("workforce_name", "is required"))?;
        fields.check()?;
        let now = now_ms();
        let team = Workforce {
            id: new_resource_id(),
            project_id: project_id.to_owned(),
            name,
            description: fields.description.unwrap_or_default(),
            workspace_id: "0".to_owned(),
            worker_count: 0,
            create_time: now,
            update_time: now,
        };
        self.store
            .create_workforce(&team)
            .await
            .map_err(|e| name_taken(e, Some(&team.name)))?;
        Ok(team)
    }

    /// One team; `WorkforceNotFound` (404) when the project has none with that id.
    pub async fn get(
        &self,
        project_id: &str,
        workforce_id: &str,
    ) -> Result<Workforce, DomainError> {
        self.store
            .workforce(project_id, workforce_id)
            .await?
            .ok_or_else(|| DomainError::WorkforceNotFound(workforce_id.to_owned()))
    }

    /// A page of teams and the total.
    pub async fn list(
        &self,
        project_id: &str,
        q: &WorkforceQuery,
    ) -> Result<(Vec<Workforce>, i64), DomainError> {
        Ok(self.store.list_workforces(project_id, q).await?)
    }

    /// Renames or redescribes a team.
    pub async fn update(
        &self,
        project_id: &str,
        workforce_id: &str,
        fields: WorkforceFields,
    ) -> Result<(), DomainError> {
        fields.check()?;
        let done = self
            .store
            .update_workforce(project_id, workforce_id, &fields, now_ms())
            .await
            .map_err(|e| name_taken(e, fields.name.as_deref()))?;
        if done {
            Ok(())
        } else {
            Err(DomainError::WorkforceNotFound(workforce_id.to_owned()))
        }
    }

    /// Deletes a team and its memberships. Its members first leave the team's tasks,
    /// their unfinished samples handed to the labelers who stay; when that cannot be
    /// done for someone (4628), nothing is deleted.
    pub async fn delete(&self, project_id: &str, workforce_id: &str) -> Result<(), DomainError> {
        self.get(project_id, workforce_id).await?;
        let members: Vec<String> = team_workers(self.store.as_ref(), project_id, workforce_id)
            .await?
            .into_iter()
            .map(|w| w.worker_id)
            .collect();
        for left in self
            .tasks
            .leave_team(project_id, workforce_id, &members)
            .await?
        {
            left?;
        }
        if self
            .store
            .delete_workforce(project_id, workforce_id)
            .await?
        {
            Ok(())
        } else {
            Err(DomainError::WorkforceNotFound(workforce_id.to_owned()))
        }
    }

    /// Adds the people of `emails` to a team with one role; all or none.
    pub async fn add_workers(
        &self,
        project_id: &str,
        workforce_id: &str,
        emails: &str,
        role: i32,
        description: &str,
    ) -> Result<Vec<Worker>, DomainError> {
        crate::names::check_description("description", description, 256)?;
        let emails = parse_emails(emails)?;
        if role == crate::workforce::role::MANAGER && emails.len() > 1 {
            return Err(DomainError::OneManager(
                "a team has one manager; add one address with role 2".to_owned(),
            ));
        }
        let now = now_ms();
        let workers: Vec<Worker> = emails
            .into_iter()
            .map(|email| Worker {
                worker_id: worker_id_for(project_id, &email),
                workforce_id: workforce_id.to_owned(),
                email,
                role,
                description: description.to_owned(),
                status: worker_status::NOT_INVITED,
                create_time: now,
                update_time: now,
            })
            .collect();
        self.store
            .add_workers(project_id, workforce_id, &workers)
            .await?;
        Ok(workers)
    }

    /// One member; the team must exist (4601) and hold the member (4604).
    pub async fn worker(
        &self,
        project_id: &str,
        workforce_id: &str,
        worker_id: &str,
    ) -> Result<Worker, DomainError> {
        self.get(project_id, workforce_id).await?;
        self.store
            .worker(project_id, workforce_id, worker_id)
            .await?
            .ok_or_else(|| DomainError::WorkerNotFound(worker_id.to_owned()))
    }

    /// A page of members and the total; a team named in the query must exist.
    pub async fn list_workers(
        &self,
        project_id: &str,
        q: &WorkerQuery,
    ) -> Result<(Vec<Worker>, i64), DomainError> {
        if let Some(team) = &q.workforce_id {
            self.get(project_id, team).await?;
        }
        Ok(self.store.list_workers(project_id, q).await?)
    }

    /// Changes a member's role or description.
    pub async fn update_worker(
        &self,
        project_id: &str,
        workforce_id: &str,
        worker_id: &str,
        role: Option<i32>,
        description: Option<&str>,
    ) -> Result<(), DomainError> {
        if let Some(d) = description {
            crate::names::check_description("description", d, 256)?;
        }
        let done = self
            .store
            .update_worker(
                project_id,
                workforce_id,
                worker_id,
                role,
                description,
                now_ms(),
            )
            .await?;
        if done {
            Ok(())
        } else {
            Err(DomainError::WorkerNotFound(worker_id.to_owned()))
        }
    }

    /// Removes members; per id, removed or the error that member got. Each first
    /// leaves the team's tasks, their unfinished samples handed to the labelers who
    /// stay; one whose samples cannot be absorbed stays (4628).
    pub async fn delete_workers(
        &self,
        project_id: &str,
        workforce_id: &str,
        worker_ids: &[String],
    ) -> Result<Vec<Result<(), DomainError>>, DomainError> {
        self.get(project_id, workforce_id).await?;
        let mut out = self
            .tasks
            .leave_team(project_id, workforce_id, worker_ids)
            .await?;
        let leaving: Vec<String> = worker_ids
            .iter()
            .zip(&out)
            .filter(|(_, left)| left.is_ok())
            .map(|(id, _)| id.clone())
            .collect();
        let mut removed = if leaving.is_empty() {
            Vec::new()
        } else {
            self.store
                .delete_workers(project_id, workforce_id, &leaving)
                .await?
        }
        .into_iter();
        for (id, result) in worker_ids.iter().zip(out.iter_mut()) {
            if result.is_ok() && removed.next() != Some(true) {
                *result = Err(DomainError::WorkerNotFound(id.clone()));
            }
        }
        Ok(out)
    }
}
