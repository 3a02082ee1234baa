//! Imports: a batch of samples and the job's progress in one transaction.

use async_trait::async_trait;
use labelhive_domain::store::{ImportBatch, ImportStore, RegisterOutcome, StoreResult};
use labelhive_domain::time::now_ms;

use crate::counters::Pending;
use crate::jobs::{record_progress, Progress};
use crate::sample_writes::{insert_plain, write_in_tx};
use crate::samples::lock_dataset;
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
        let progress = Progress {
            done: batch.progress_done,
            total: Some(batch.progress_total),
            result: Some(batch.result),
        };
        if !record_progress(&mut *tx, job_id, owner, progress, now).await? {
            return Ok(RegisterOutcome::Abandoned);
        }
        let Some(locked) = lock_dataset(&mut tx, dataset_id, now).await? else {
            return Ok(RegisterOutcome::Abandoned);
        };
        let mut next = locked;
        let mut pending = Pending::default();
        let mut written = insert_plain(
            &mut tx,
            dataset_id,
            batch.plain,
            &mut next,
            &mut pending.counters,
            now,
        )
        .await?;
        if !batch.labeled.is_empty() {
            let done = write_in_tx(
                &mut tx,
                &mut pending,
                dataset_id,
                batch.labeled,
                batch.mode,
                &mut next,
                now,
            )
            .await?;
            written += done.iter().filter(|w| **w).count() as i64;
        }
        pending.counters.next_seq(locked, next);
        pending.run(&mut tx, dataset_id).await?;
        tx.commit().await.map_err(db)?;
        Ok(RegisterOutcome::Registered(written))
    }
}
