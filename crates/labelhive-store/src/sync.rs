//! Synchronization: directory stamps, and one directory's changes with the job's
//! progress in one transaction.

use async_trait::async_trait;
use labelhive_domain::store::{StoreResult, SyncStep, SyncStore};
use labelhive_domain::time::now_ms;
use sqlx::{Any, Row, Transaction};

use crate::counters::Pending;
use crate::jobs::{record_progress, Progress};
use crate::rows::pairs;
use crate::sample_writes::{delete_in_tx, insert_plain};
use crate::samples::lock_dataset;
use crate::{db, SqlStore};

#[async_trait]
impl SyncStore for SqlStore {
    async fn sync_dirs(&self, dataset_id: &str) -> StoreResult<Vec<(String, i64)>> {
        let rows = sqlx::query("select dir, stamp from sync_dirs where dataset_id = $1")
            .bind(dataset_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        pairs(&rows, "dir", "stamp")
    }

    async fn dir_samples(&self, dataset_id: &str, dir: &str) -> StoreResult<Vec<(String, String)>> {
        let rows = sqlx::query("select id, name from samples where dataset_id = $1 and dir = $2")
            .bind(dataset_id)
            .bind(dir)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter()
            .map(|r| Ok((r.try_get("id").map_err(db)?, r.try_get("name").map_err(db)?)))
            .collect()
    }

    async fn sync_step(
        &self,
        job_id: &str,
        owner: &str,
        dataset_id: &str,
        step: SyncStep<'_>,
    ) -> StoreResult<Option<(i64, i64)>> {
        let now = now_ms();
        let (_gate, mut tx) = self.begin_write().await?;
        let progress = Progress {
            done: step.progress_done,
            total: None,
            result: Some(step.result),
        };
        if !record_progress(&mut *tx, job_id, owner, progress, now).await? {
            return Ok(None);
        }
        let Some(locked) = lock_dataset(&mut tx, dataset_id, now).await? else {
            return Ok(None);
        };
        let mut next = locked;
        let mut pending = Pending::default();
        let added = insert_plain(
            &mut tx,
            dataset_id,
            step.add,
            &mut next,
            &mut pending.counters,
            now,
        )
        .await?;
        let mut ids: Vec<String> = step.remove.to_vec();
        for dir in step.remove_dirs {
            ids.extend(ids_below(&mut tx, dataset_id, dir).await?);
            let n = i64::try_from(dir.chars().count()).unwrap_or(i64::MAX);
            sqlx::query("delete from sync_dirs where dataset_id = $1 and substr(dir, 1, cast($2 as integer)) = $3")
                .bind(dataset_id)
                .bind(n)
                .bind(dir)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let deleted = delete_in_tx(&mut tx, &mut pending, dataset_id, &refs).await?;
        if let Some((dir, stamp)) = step.stamp {
            sqlx::query(
                "insert into sync_dirs (dataset_id, dir, stamp) values ($1, $2, $3) \
                 on conflict (dataset_id, dir) do update set stamp = excluded.stamp",
            )
            .bind(dataset_id)
            .bind(dir)
            .bind(stamp)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        pending.counters.next_seq(locked, next);
        pending.run(&mut tx, dataset_id).await?;
        tx.commit().await.map_err(db)?;
        Ok(Some((
            added,
            i64::try_from(deleted.len()).unwrap_or(i64::MAX),
        )))
    }
}

/// Ids of the samples in `dir` or below it.
async fn ids_below(
    tx: &mut Transaction<'_, Any>,
    dataset_id: &str,
    dir: &str,
) -> StoreResult<Vec<String>> {
    let n = i64::try_from(dir.chars().count()).unwrap_or(i64::MAX);
    let rows = sqlx::query(
        "select id from samples where dataset_id = $1 and substr(dir, 1, cast($2 as integer)) = $3",
    )
    .bind(dataset_id)
    .bind(n)
    .bind(dir)
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    rows.iter().map(|r| r.try_get("id").map_err(db)).collect()
}
