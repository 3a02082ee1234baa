//! Samples.

use async_trait::async_trait;
use labelhive_domain::store::{NewSample, RegisterOutcome, SampleStore, StoreResult};
use labelhive_domain::time::now_ms;

use crate::sql::{Param, Sql};
use crate::{datasets::record_metric, db, SqlStore};

/// Rows per insert statement: 7 parameters each stays far below both engines' limits.
const ROWS_PER_STATEMENT: usize = 500;

#[async_trait]
impl SampleStore for SqlStore {
    async fn register_samples(
        &self,
        job_id: &str,
        owner: &str,
        dataset_id: &str,
        samples: &[NewSample],
        progress_done: i64,
    ) -> StoreResult<RegisterOutcome> {
        let now = now_ms();
        let mut tx = self.pool.begin().await.map_err(db)?;
        // The lease check writes first, so a job that lost its lease (or was canceled
        // when its dataset was deleted) cannot write after the fact.
        let held = sqlx::query(
            "update jobs set progress_done = $1, update_time = $2 \
             where id = $3 and lease_owner = $4 and status = 'running'",
        )
        .bind(progress_done)
        .bind(now)
        .bind(job_id)
        .bind(owner)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if held.rows_affected() == 0 {
            return Ok(RegisterOutcome::Abandoned);
        }
        let mut inserted: i64 = 0;
        for chunk in samples.chunks(ROWS_PER_STATEMENT) {
            let mut sql = Sql::new(
                "insert into samples (dataset_id, id, path, name, size, sample_type, create_time, update_time) values ",
            );
            for (i, s) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("(")
                    .bind(Param::Text(dataset_id.to_owned()))
                    .push(", ")
                    .bind(Param::Text(s.id.clone()))
                    .push(", ")
                    .bind(Param::Text(s.path.clone()))
                    .push(", ")
                    .bind(Param::Text(s.name.clone()))
                    .push(", ")
                    .bind(Param::Int(s.size))
                    .push(", ")
                    .bind(Param::Int(i64::from(s.sample_type)))
                    .push(", ")
                    .bind(Param::Int(now))
                    .push(", ")
                    .bind(Param::Int(now))
                    .push(")");
            }
            sql.push(" on conflict (dataset_id, id) do nothing");
            let done = sql.query().execute(&mut *tx).await.map_err(db)?;
            inserted += i64::try_from(done.rows_affected()).unwrap_or(i64::MAX);
        }
        let counted = sqlx::query(
            "update datasets set total_sample_count = total_sample_count + $1, data_update_time = $2 where id = $3",
        )
        .bind(inserted)
        .bind(now)
        .bind(dataset_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if counted.rows_affected() == 0 {
            return Ok(RegisterOutcome::Abandoned);
        }
        record_metric(&mut tx, dataset_id, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(RegisterOutcome::Registered(inserted))
    }
}
