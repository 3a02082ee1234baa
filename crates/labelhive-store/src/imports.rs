//! Imports: a batch of samples and the job's progress in one transaction.

use async_trait::async_trait;
use labelhive_domain::store::{ImportBatch, ImportStore, RegisterOutcome, StoreResult};
use labelhive_domain::time::now_ms;

use crate::counters::Counters;
use crate::rows::to_json;
use crate::samples::{insert_plain, lock_dataset, write_in_tx};
use crate::{db, SqlStore};

#[async_trait]
impl ImportStore for SqlStore {
    async fn import_batch(
        &self,
        job_id: &str,
        owner: &str,
        dataset_id: &str,
        batch: ImportBatch<'_>,
    ) -> StoreResult<RegisterOutcome> {
        let now = now_ms();
        let (_gate, mut tx) = self.begin_write().await?;
        // The lease check writes first, so a job that lost its lease (or was canceled
        // with its dataset) cannot write after the fact.
        let held = sqlx::query(
            "update jobs set progress_done = $1, progress_total = $2, result = $3, update_time = $4 \
             where id = $5 and lease_owner = $6 and status = 'running'",
        )
        .bind(batch.progress_done)
        .bind(batch.progress_total)
        .bind(to_json(batch.result)?)
        .bind(now)
        .bind(job_id)
        .bind(owner)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if held.rows_affected() == 0 {
            return Ok(RegisterOutcome::Abandoned);
        }
        let Some(mut next) = lock_dataset(&mut tx, dataset_id, now).await? else {
            return Ok(RegisterOutcome::Abandoned);
        };
        let mut counters = Counters::default();
        let mut written = insert_plain(
            &mut tx,
            dataset_id,
            batch.plain,
            &mut next,
            &mut counters,
            now,
        )
        .await?;
        if !batch.labeled.is_empty() {
            let done = write_in_tx(
                &mut tx,
                dataset_id,
                batch.labeled,
                batch.mode,
                &mut next,
                &mut counters,
                now,
            )
            .await?;
            written += done.iter().filter(|w| **w).count() as i64;
        }
        counters.next_seq(next);
        counters.flush(&mut tx, dataset_id).await?;
        tx.commit().await.map_err(db)?;
        Ok(RegisterOutcome::Registered(written))
    }
}
