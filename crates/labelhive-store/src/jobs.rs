//! Durable jobs: claiming under a lease, progress, and their end.

use async_trait::async_trait;
use labelhive_domain::job::{Job, NewJob};
use labelhive_domain::store::{JobOutcome, JobStore, StoreResult};
use labelhive_domain::time::now_ms;
use sqlx::{Any, Row, Transaction};

use crate::rows::{self, to_json, JOB_COLUMNS};
use crate::{db, Dialect, SqlStore};

/// Inserts a queued job inside the caller's transaction.
pub(crate) async fn insert_job(
    tx: &mut Transaction<'_, Any>,
    job: &NewJob,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "insert into jobs (id, project_id, dataset_id, kind, payload, status, create_time, update_time) \
         values ($1, $2, $3, $4, $5, 'queued', $6, $6)",
    )
    .bind(&job.id)
    .bind(&job.project_id)
    .bind(job.dataset_id.as_deref())
    .bind(job.kind)
    .bind(to_json(&job.payload)?)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

/// What a running job records with its progress; `None` keeps the stored value.
pub(crate) struct Progress<'a> {
    /// Units done.
    pub done: i64,
    /// Units known.
    pub total: Option<i64>,
    /// The job's running result.
    pub result: Option<&'a serde_json::Value>,
}

/// Records a running job's progress while `owner` holds its lease; false when it does
/// not. Writes that belong to a job call this first in their transaction, so a job
/// that lost its lease (or was canceled with its dataset) cannot write after the fact.
pub(crate) async fn record_progress<'e, E>(
    exec: E,
    job_id: &str,
    owner: &str,
    p: Progress<'_>,
    now: i64,
) -> StoreResult<bool>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let result = p.result.map(to_json).transpose()?;
    let held = sqlx::query(
        "update jobs set progress_done = $1, progress_total = coalesce($2, progress_total), \
         result = coalesce($3, result), update_time = $4 \
         where id = $5 and lease_owner = $6 and status = 'running'",
    )
    .bind(p.done)
    .bind(p.total)
    .bind(result)
    .bind(now)
    .bind(job_id)
    .bind(owner)
    .execute(exec)
    .await
    .map_err(db)?;
    Ok(held.rows_affected() == 1)
}

#[async_trait]
impl JobStore for SqlStore {
    async fn claim_job(&self, owner: &str, now: i64, lease_until: i64) -> StoreResult<Option<Job>> {
        // PostgreSQL replicas race for jobs: skip rows another replica is claiming.
        // SQLite is one process and the single writer makes the statement atomic.
        let lock = match self.dialect {
            Dialect::Postgres => " for update skip locked",
            Dialect::Sqlite => "",
        };
        // A read first: an idle poll must not take SQLite's write lock from writers.
        let waiting = sqlx::query(
            "select 1 as one from jobs where status = 'queued' \
             or (status = 'running' and lease_expires_at < $1) limit 1",
        )
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        if waiting.is_none() {
            return Ok(None);
        }
        let sql = format!(
            "update jobs set status = 'running', lease_owner = $1, lease_expires_at = $2, \
             attempts = attempts + 1, update_time = $3 \
             where id = (select id from jobs where status = 'queued' \
                 or (status = 'running' and lease_expires_at < $3) \
                 order by create_time limit 1{lock}) \
             returning {JOB_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(owner)
            .bind(lease_until)
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.as_ref().map(rows::job).transpose()
    }

    async fn renew_lease(&self, job_id: &str, owner: &str, lease_until: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "update jobs set lease_expires_at = $1 where id = $2 and lease_owner = $3 and status = 'running'",
        )
        .bind(lease_until)
        .bind(job_id)
        .bind(owner)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn job_progress(
        &self,
        job_id: &str,
        owner: &str,
        done: i64,
        total: i64,
        result: &serde_json::Value,
    ) -> StoreResult<bool> {
        let p = Progress {
            done,
            total: Some(total),
            result: Some(result),
        };
        record_progress(&self.pool, job_id, owner, p, now_ms()).await
    }

    async fn finish_job(
        &self,
        job_id: &str,
        owner: &str,
        outcome: &JobOutcome,
        dataset_status: Option<i32>,
    ) -> StoreResult<bool> {
        let now = now_ms();
        let (status, result, code, msg) = match outcome {
            JobOutcome::Succeeded(r) => ("succeeded", Some(to_json(r)?), None, None),
            JobOutcome::Failed { code, msg } => {
                ("failed", None, Some(code.as_str()), Some(msg.as_str()))
            }
        };
        let (_gate, mut tx) = self.begin_write().await?;
        let done = sqlx::query(
            "update jobs set status = $1, result = coalesce($2, result), error_code = $3, error_msg = $4, \
             lease_owner = null, update_time = $5, finish_time = $5 \
             where id = $6 and lease_owner = $7 and status = 'running'",
        )
        .bind(status)
        .bind(result)
        .bind(code)
        .bind(msg)
        .bind(now)
        .bind(job_id)
        .bind(owner)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        if let Some(s) = dataset_status {
            sqlx::query(
                "update datasets set status = $1, update_time = $2 \
                 where id = (select dataset_id from jobs where id = $3)",
            )
            .bind(i64::from(s))
            .bind(now)
            .bind(job_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn retry_job(&self, job_id: &str, owner: &str, error_msg: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "update jobs set status = 'queued', lease_owner = null, lease_expires_at = null, \
             error_msg = $1, update_time = $2 where id = $3 and lease_owner = $4 and status = 'running'",
        )
        .bind(error_msg)
        .bind(now_ms())
        .bind(job_id)
        .bind(owner)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn requeue_running_jobs(&self) -> StoreResult<u64> {
        let done = sqlx::query(
            "update jobs set status = 'queued', lease_owner = null, lease_expires_at = null, update_time = $1 \
             where status = 'running'",
        )
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn job(&self, project_id: &str, job_id: &str) -> StoreResult<Option<Job>> {
        let row = sqlx::query(&format!(
            "select {JOB_COLUMNS} from jobs where id = $1 and project_id = $2"
        ))
        .bind(job_id)
        .bind(project_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(rows::job).transpose()
    }

    async fn create_job(&self, job: &NewJob, exclusive: bool) -> StoreResult<Option<String>> {
        let now = now_ms();
        let (_gate, mut tx) = self.begin_write().await?;
        if let (true, Some(dataset_id)) = (exclusive, job.dataset_id.as_deref()) {
            // The dataset row's lock orders concurrent requests on PostgreSQL.
            sqlx::query("update datasets set update_time = update_time where id = $1")
                .bind(dataset_id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            let active = sqlx::query(
                "select id from jobs where dataset_id = $1 and kind = $2 \
                 and status in ('queued', 'running') limit 1",
            )
            .bind(dataset_id)
            .bind(job.kind)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
            if let Some(row) = active {
                return Ok(Some(row.try_get("id").map_err(db)?));
            }
        }
        insert_job(&mut tx, job, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(None)
    }

    async fn list_jobs(
        &self,
        dataset_id: &str,
        kind: &str,
        offset: i64,
        limit: i64,
    ) -> StoreResult<(Vec<Job>, i64)> {
        let total: i64 =
            sqlx::query("select count(*) as n from jobs where dataset_id = $1 and kind = $2")
                .bind(dataset_id)
                .bind(kind)
                .fetch_one(&self.pool)
                .await
                .map_err(db)?
                .try_get("n")
                .map_err(db)?;
        let rows = sqlx::query(&format!(
            "select {JOB_COLUMNS} from jobs where dataset_id = $1 and kind = $2 \
             order by create_time desc, id desc limit $3 offset $4"
        ))
        .bind(dataset_id)
        .bind(kind)
        .bind(limit)
        .bind(offset.saturating_mul(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let jobs = rows
            .iter()
            .map(rows::job)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((jobs, total))
    }
}
