//! Samples: the store's sample operations. Every batch costs a fixed number of
//! statements per few hundred samples, never one per sample, so a 1,000-sample
//! request is a handful of round trips on both backends; the statements are in
//! [`crate::sample_writes`] and [`crate::listing`].

use async_trait::async_trait;
use labelhive_domain::sample::{LabelCount, Sample, SamplePage, SampleWrite};
use labelhive_domain::search::SampleFilter;
use labelhive_domain::store::{NewSample, RegisterOutcome, SampleStore, StoreResult, WriteMode};
use labelhive_domain::time::now_ms;
use sqlx::{Any, Row, Transaction};

use crate::combine::combined;
use crate::counters::Pending;
use crate::jobs::{record_progress, Progress};
use crate::sample_writes::{delete_in_tx, insert_plain, write_in_tx};
use crate::{db, listing, SqlStore};

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
        let (_gate, mut tx) = self.begin_write().await?;
        let progress = Progress {
            done: progress_done,
            total: None,
            result: None,
        };
        if !record_progress(&mut *tx, job_id, owner, progress, now).await? {
            return Ok(RegisterOutcome::Abandoned);
        }
        let Some(locked) = lock_dataset(&mut tx, dataset_id, now).await? else {
            return Ok(RegisterOutcome::Abandoned);
        };
        let mut next = locked;
        let mut pending = Pending::default();
        let inserted = insert_plain(
            &mut tx,
            dataset_id,
            samples,
            &mut next,
            &mut pending.counters,
            now,
        )
        .await?;
        pending.counters.next_seq(locked, next);
        pending.run(&mut tx, dataset_id).await?;
        tx.commit().await.map_err(db)?;
        Ok(RegisterOutcome::Registered(inserted))
    }

    async fn write_samples(
        &self,
        dataset_id: &str,
        samples: &[SampleWrite],
        mode: WriteMode,
    ) -> StoreResult<Vec<bool>> {
        let store = self.clone();
        combined(
            self.combiner.clone(),
            dataset_id,
            samples,
            mode,
            move |dataset_id, all, mode| async move {
                store.write_now(&dataset_id, &all, mode).await
            },
        )
        .await
    }

    async fn delete_samples(
        &self,
        dataset_id: &str,
        ids: &[String],
    ) -> StoreResult<Vec<Option<String>>> {
        let now = now_ms();
        let (_gate, mut tx) = self.begin_write().await?;
        if lock_dataset(&mut tx, dataset_id, now).await?.is_none() {
            return Ok(vec![None; ids.len()]);
        }
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let mut pending = Pending::default();
        let mut gone = delete_in_tx(&mut tx, &mut pending, dataset_id, &refs).await?;
        // A repeated id is deleted once; its second mention finds nothing.
        let out = ids.iter().map(|id| gone.remove(id)).collect();
        pending.run(&mut tx, dataset_id).await?;
        tx.commit().await.map_err(db)?;
        Ok(out)
    }

    async fn sample(&self, dataset_id: &str, sample_id: &str) -> StoreResult<Option<Sample>> {
        listing::sample(&self.pool, dataset_id, sample_id).await
    }

    async fn samples_by_id(&self, dataset_id: &str, ids: &[String]) -> StoreResult<Vec<Sample>> {
        listing::samples_by_id(&self.pool, self.dialect, dataset_id, ids).await
    }

    async fn list_samples(
        &self,
        dataset_id: &str,
        q: &SampleFilter,
        page: SamplePage,
    ) -> StoreResult<(Vec<Sample>, i64)> {
        listing::list(&self.pool, self.dialect, dataset_id, q, page).await
    }

    async fn scan_samples(
        &self,
        dataset_id: &str,
        q: &SampleFilter,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<(i64, Sample)>> {
        listing::scan(&self.pool, self.dialect, dataset_id, q, after, limit).await
    }

    async fn sample_counters(&self, dataset_id: &str) -> StoreResult<Vec<(String, i64)>> {
        listing::sample_counters(&self.pool, dataset_id).await
    }

    async fn metadata_values(
        &self,
        dataset_id: &str,
        per_key: i64,
    ) -> StoreResult<Vec<(String, Vec<String>)>> {
        listing::metadata_values(&self.pool, dataset_id, per_key).await
    }

    async fn label_counts(&self, dataset_id: &str) -> StoreResult<Vec<LabelCount>> {
        listing::label_counts(&self.pool, dataset_id).await
    }
}

impl SqlStore {
    /// Writes samples in one transaction: the combined batch of `write_samples`.
    async fn write_now(
        &self,
        dataset_id: &str,
        samples: &[SampleWrite],
        mode: WriteMode,
    ) -> StoreResult<Vec<bool>> {
        let now = now_ms();
        let (_gate, mut tx) = self.begin_write().await?;
        let Some(locked) = lock_dataset(&mut tx, dataset_id, now).await? else {
            return Ok(vec![false; samples.len()]);
        };
        let mut next = locked;
        let mut pending = Pending::default();
        let written = write_in_tx(
            &mut tx,
            &mut pending,
            dataset_id,
            samples,
            mode,
            &mut next,
            now,
        )
        .await?;
        pending.counters.next_seq(locked, next);
        pending.run(&mut tx, dataset_id).await?;
        tx.commit().await.map_err(db)?;
        Ok(written)
    }
}

/// Takes the dataset's row lock and returns its last sequence number; `None` when the
/// dataset is gone. Taking the row first serialises the writers of one dataset, so
/// counters and numbering move one transaction at a time.
pub(crate) async fn lock_dataset(
    tx: &mut Transaction<'_, Any>,
    dataset_id: &str,
    now: i64,
) -> StoreResult<Option<i64>> {
    let row =
        sqlx::query("update datasets set data_update_time = $1 where id = $2 returning next_seq")
            .bind(now)
            .bind(dataset_id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db)?;
    row.map(|r| r.try_get("next_seq").map_err(db)).transpose()
}
