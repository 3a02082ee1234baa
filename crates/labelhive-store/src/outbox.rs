//! The notification outbox and sign-in codes.

use async_trait::async_trait;
use labelhive_domain::notice::{email_status, Notice};
use labelhive_domain::store::{OutboxStore, StoreError, StoreResult};
use labelhive_domain::workforce::worker_status;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::rows::i32_col;
use crate::sql::push_in;
use crate::sql::{Param, Sql};
use crate::{db, SqlStore};

const NOTICE_COLUMNS: &str =
    "id, project_id, task_id, worker_id, email, subject, body, status, attempts, create_time";

fn notice(row: &AnyRow) -> Result<Notice, StoreError> {
    Ok(Notice {
        id: row.try_get("id").map_err(db)?,
        project_id: row.try_get("project_id").map_err(db)?,
        task_id: row.try_get("task_id").map_err(db)?,
        worker_id: row.try_get("worker_id").map_err(db)?,
        email: row.try_get("email").map_err(db)?,
        subject: row.try_get("subject").map_err(db)?,
        body: row.try_get("body").map_err(db)?,
        status: i32_col(row, "status")?,
        attempts: row.try_get("attempts").map_err(db)?,
        create_time: row.try_get("create_time").map_err(db)?,
    })
}

#[async_trait]
impl OutboxStore for SqlStore {
    async fn queue_notices(&self, notices: &[Notice]) -> StoreResult<()> {
        let (_gate, mut tx) = self.begin_write().await?;
        for n in notices {
            sqlx::query(&format!(
                "insert into outbox ({NOTICE_COLUMNS}, next_attempt, lease_until, last_error, \
                 sent_time) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, '', 0)"
            ))
            .bind(&n.id)
            .bind(&n.project_id)
            .bind(&n.task_id)
            .bind(&n.worker_id)
            .bind(&n.email)
            .bind(&n.subject)
            .bind(&n.body)
            .bind(i64::from(n.status))
            .bind(n.attempts)
            .bind(n.create_time)
            .bind(n.create_time)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    async fn waiting_notices(
        &self,
        task_id: &str,
        worker_ids: &[String],
    ) -> StoreResult<Vec<String>> {
        if worker_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Sql::new("select distinct worker_id from outbox where task_id = ");
        q.bind(Param::Text(task_id.to_owned()))
            .push(" and status = ")
            .bind(Param::Int(i64::from(email_status::NOT_SENT)))
            .push(" and ");
        let ids: Vec<&str> = worker_ids.iter().map(String::as_str).collect();
        push_in(&mut q, "worker_id", &ids);
        let rows = q.query().fetch_all(&self.pool).await.map_err(db)?;
        rows.iter()
            .map(|r| r.try_get("worker_id").map_err(db))
            .collect()
    }

    async fn claim_notices(&self, now: i64, lease_ms: i64, limit: i64) -> StoreResult<Vec<Notice>> {
        let due = sqlx::query(&format!(
            "select {NOTICE_COLUMNS} from outbox where status = $1 and next_attempt <= $2 \
             and lease_until <= $3 order by next_attempt, id limit $4"
        ))
        .bind(i64::from(email_status::NOT_SENT))
        .bind(now)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let mut claimed = Vec::new();
        for row in &due {
            let mut n = notice(row)?;
            // Compare-and-set on the lease, so two mailers never send one message twice.
            let (_gate, mut tx) = self.begin_write().await?;
            let won = sqlx::query(
                "update outbox set lease_until = $1, attempts = attempts + 1 \
                 where id = $2 and status = $3 and lease_until <= $4",
            )
            .bind(now + lease_ms)
            .bind(&n.id)
            .bind(i64::from(email_status::NOT_SENT))
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
            tx.commit().await.map_err(db)?;
            if won == 1 {
                n.attempts += 1;
                claimed.push(n);
            }
        }
        Ok(claimed)
    }

    async fn finish_notice(
        &self,
        n: &Notice,
        status: i32,
        error: &str,
        now: i64,
    ) -> StoreResult<()> {
        let sent = status == email_status::SENT;
        let (_gate, mut tx) = self.begin_write().await?;
        sqlx::query(
            "update outbox set status = $1, last_error = $2, sent_time = $3, lease_until = 0 \
             where id = $4",
        )
        .bind(i64::from(status))
        .bind(error)
        .bind(if sent { now } else { 0 })
        .bind(&n.id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        // last_notify_time is when a message last went out; a refusal leaves it.
        let mut member = Sql::new("update team_task_workers set email_status = ");
        member.bind(Param::Int(i64::from(status)));
        if sent {
            member.push(", last_notify_time = ").bind(Param::Int(now));
        }
        member
            .push(" where task_id = ")
            .bind(Param::Text(n.task_id.clone()))
            .push(" and worker_id = ")
            .bind(Param::Text(n.worker_id.clone()));
        member.query().execute(&mut *tx).await.map_err(db)?;
        if sent {
            sqlx::query(
                "update workers set status = $1, update_time = $2 \
                 where project_id = $3 and worker_id = $4 and status = $5",
            )
            .bind(i64::from(worker_status::INVITED))
            .bind(now)
            .bind(&n.project_id)
            .bind(&n.worker_id)
            .bind(i64::from(worker_status::NOT_INVITED))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    async fn retry_notice(&self, id: &str, error: &str, next_attempt: i64) -> StoreResult<()> {
        let (_gate, mut tx) = self.begin_write().await?;
        sqlx::query(
            "update outbox set lease_until = 0, next_attempt = $1, last_error = $2 where id = $3",
        )
        .bind(next_attempt)
        .bind(error)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn insert_sign_in_code(
        &self,
        code_hash: &str,
        n: &Notice,
        expires_at: i64,
    ) -> StoreResult<()> {
        let (_gate, mut tx) = self.begin_write().await?;
        sqlx::query(
            "insert into sign_in_codes (code_hash, project_id, worker_id, email, expires_at) \
             values ($1, $2, $3, $4, $5)",
        )
        .bind(code_hash)
        .bind(&n.project_id)
        .bind(&n.worker_id)
        .bind(&n.email)
        .bind(expires_at)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn redeem_sign_in_code(
        &self,
        project_id: &str,
        email: &str,
        code_hash: &str,
        now: i64,
    ) -> StoreResult<Option<String>> {
        let (_gate, mut tx) = self.begin_write().await?;
        let row = sqlx::query(
            "select worker_id from sign_in_codes where code_hash = $1 and project_id = $2 \
             and email = $3 and expires_at > $4",
        )
        .bind(code_hash)
        .bind(project_id)
        .bind(email)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let worker_id: String = row.try_get("worker_id").map_err(db)?;
        sqlx::query(
            "update workers set status = $1, update_time = $2 \
             where project_id = $3 and worker_id = $4",
        )
        .bind(i64::from(worker_status::SIGNED_IN))
        .bind(now)
        .bind(project_id)
        .bind(&worker_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Some(worker_id))
    }
}
