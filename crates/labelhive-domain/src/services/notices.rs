//! Notifying team members by email, delivering the outbox, and signing members in
//! with the codes their emails carry.

use std::sync::Arc;

use async_trait::async_trait;

use crate::ids::{hash_secret, new_resource_id, new_token};
use crate::notice::{
    email_status, retry_delay_ms, Delivery, Notice, NoticeText, CODE_PLACEHOLDER, CODE_TTL_MS,
};
use crate::services::team_tasks::{require_manager, Actor, TeamTaskService};
use crate::store::Store;
use crate::team_task::TeamTask;
use crate::time::now_ms;
use crate::DomainError;

/// Addresses one notify request may name.
pub const MAX_NOTIFY_EMAILS: usize = 100;

/// How long a mailer holds a claimed notice before another may try it.
const CLAIM_LEASE_MS: i64 = 120_000;

/// Notices claimed per delivery round.
const CLAIM_BATCH: i64 = 20;

/// Sends one email; the server's SMTP client.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Delivers a plain-text message and says what came of it.
    async fn send(&self, to: &str, subject: &str, body: &str) -> Delivery;
}

/// Notification use cases.
#[derive(Clone)]
pub struct NoticeService {
    store: Arc<dyn Store>,
    tasks: TeamTaskService,
    public_url: String,
}

impl NoticeService {
    /// A service whose emails point members at `public_url`.
    pub fn new(store: Arc<dyn Store>, tasks: TeamTaskService, public_url: &str) -> Self {
        Self {
            store,
            tasks,
            public_url: public_url.trim_end_matches('/').to_owned(),
        }
    }

    /// Queues an email to each member of `emails` (owner or the task's manager). Per
    /// address: queued, not a member of the task (4604), or one still waiting (4627).
    pub async fn notify(
        &self,
        project: &str,
        dataset: &str,
        task_id: &str,
        emails: &[String],
        actor: &Actor,
    ) -> Result<Vec<Result<(), DomainError>>, DomainError> {
        if emails.is_empty() || emails.len() > MAX_NOTIFY_EMAILS {
            return Err(DomainError::invalid(
                "emails",
                format!("must list 1 to {MAX_NOTIFY_EMAILS} addresses"),
            ));
        }
        let task = self.tasks.get(project, dataset, task_id, actor).await?;
        require_manager(&task, actor, "notify members")?;
        let dataset_name = self.tasks.dataset(project, dataset).await?.name;
        let ids: Vec<String> = task.members.iter().map(|m| m.worker_id.clone()).collect();
        let waiting = self.store.waiting_notices(&task.id, &ids).await?;
        let mut queued: Vec<Notice> = Vec::new();
        let mut out = Vec::with_capacity(emails.len());
        for email in emails {
            let email = email.trim().to_lowercase();
            let Some(member) = task.members.iter().find(|m| m.email == email) else {
                out.push(Err(DomainError::WorkerNotFound(email)));
                continue;
            };
            if waiting.contains(&member.worker_id)
                || queued.iter().any(|n| n.worker_id == member.worker_id)
            {
                out.push(Err(DomainError::NotifyTooFrequent(format!(
                    "an email to {email} is still waiting to go out"
                ))));
                continue;
            }
            queued.push(self.notice(&task, &dataset_name, &member.worker_id));
            out.push(Ok(()));
        }
        self.store.queue_notices(&queued).await?;
        Ok(out)
    }

    /// Queues an email to every member of a task that has just been allocated samples,
    /// unless one is waiting already (a rerun of the allocation job).
    pub async fn task_started(&self, task: &TeamTask) -> Result<usize, DomainError> {
        if self.store.item_loads(&task.id).await?.is_empty() {
            // Nothing to label, nothing to announce.
            return Ok(0);
        }
        let dataset = self
            .store
            .dataset(&task.project_id, &task.dataset_id)
            .await?
            .map(|d| d.name)
            .unwrap_or_default();
        // A member of two teams is listed twice; `queued` keeps them to one email.
        let ids: Vec<String> = task.members.iter().map(|m| m.worker_id.clone()).collect();
        let waiting = self.store.waiting_notices(&task.id, &ids).await?;
        let mut queued: Vec<Notice> = Vec::new();
        for id in ids.iter().filter(|w| !waiting.contains(w)) {
            if !queued.iter().any(|n| &n.worker_id == id) {
                queued.push(self.notice(task, &dataset, id));
            }
        }
        self.store.queue_notices(&queued).await?;
        Ok(queued.len())
    }

    /// A notice for one member, in the role they hold highest in the task.
    fn notice(&self, task: &TeamTask, dataset_name: &str, worker_id: &str) -> Notice {
        let roles = task.roles_of(worker_id);
        let role = roles.iter().copied().max().unwrap_or_default();
        let email = task
            .members
            .iter()
            .find(|m| m.worker_id == worker_id)
            .map(|m| m.email.clone())
            .unwrap_or_default();
        let (subject, body) = NoticeText {
            project_id: &task.project_id,
            task_name: &task.name,
            dataset_name,
            email: &email,
            role,
            public_url: &self.public_url,
        }
        .compose();
        Notice {
            id: new_resource_id(),
            project_id: task.project_id.clone(),
            task_id: task.id.clone(),
            worker_id: worker_id.to_owned(),
            email,
            subject,
            body,
            status: email_status::NOT_SENT,
            attempts: 0,
            create_time: now_ms(),
        }
    }

    /// One delivery round: claims the notices that are due and sends each with a
    /// fresh sign-in code. Returns how many were claimed (0: nothing due).
    pub async fn deliver_due(
        &self,
        mailer: &dyn Mailer,
        retry_base_ms: i64,
    ) -> Result<usize, DomainError> {
        let now = now_ms();
        let claimed = self
            .store
            .claim_notices(now, CLAIM_LEASE_MS, CLAIM_BATCH)
            .await?;
        for n in &claimed {
            let code = new_token();
            // Stored before sending: a code that reached an inbox always works.
            self.store
                .insert_sign_in_code(&hash_secret(&code), n, now + CODE_TTL_MS)
                .await?;
            let body = n.body.replace(CODE_PLACEHOLDER, &code);
            let outcome = mailer.send(&n.email, &n.subject, &body).await;
            let done = now_ms();
            match outcome {
                Delivery::Sent => {
                    self.store
                        .finish_notice(n, email_status::SENT, "", done)
                        .await?;
                }
                Delivery::BadAddress(e) => {
                    self.store
                        .finish_notice(n, email_status::BAD_ADDRESS, &e, done)
                        .await?;
                }
                Delivery::Unreachable(e) => {
                    self.store
                        .finish_notice(n, email_status::UNREACHABLE, &e, done)
                        .await?;
                }
                Delivery::Retry(e) => {
                    let next = done + retry_delay_ms(retry_base_ms, n.attempts);
                    self.store.retry_notice(&n.id, &e, next).await?;
                }
            }
        }
        Ok(claimed.len())
    }

    /// The worker a sign-in code from an email belongs to (now signed in), or `None`.
    pub async fn sign_in(
        &self,
        project: &str,
        email: &str,
        code: &str,
    ) -> Result<Option<String>, DomainError> {
        let email = email.trim().to_lowercase();
        Ok(self
            .store
            .redeem_sign_in_code(project, &email, &hash_secret(code.trim()), now_ms())
            .await?)
    }
}
