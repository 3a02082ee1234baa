//! Samples.

use async_trait::async_trait;
use labelhive_domain::annotation::SampleLabel;
use labelhive_domain::annotation::SampleMetadata;
use labelhive_domain::sample::{state, LabelCount, Sample, SamplePage, SampleWrite};
use labelhive_domain::search::SampleFilter;
use labelhive_domain::store::{NewSample, RegisterOutcome, SampleStore, StoreResult, WriteMode};
use labelhive_domain::time::now_ms;
use sqlx::{Any, Row, Transaction};

use crate::filters::push_filter;

use crate::labels::{apply_label_delta, bump_state};
use crate::rows::{self, to_json, SAMPLE_COLUMNS};
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
                "insert into samples (dataset_id, id, path, name, size, sample_type, create_time, update_time, dir) values ",
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
                    .push(", ")
                    .bind(Param::Text(dir_of(&s.path)))
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
        bump_state(&mut tx, dataset_id, state::UNLABELED, inserted).await?;
        record_metric(&mut tx, dataset_id, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(RegisterOutcome::Registered(inserted))
    }

    async fn write_samples(
        &self,
        dataset_id: &str,
        samples: &[SampleWrite],
        mode: WriteMode,
    ) -> StoreResult<Vec<bool>> {
        let now = now_ms();
        let mut tx = self.pool.begin().await.map_err(db)?;
        // Taking the dataset row first serialises writers of one dataset, so counters
        // are read and moved by one transaction at a time.
        let touched = sqlx::query("update datasets set data_update_time = $1 where id = $2")
            .bind(now)
            .bind(dataset_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        if touched.rows_affected() == 0 {
            return Ok(vec![false; samples.len()]);
        }
        let mut written = Vec::with_capacity(samples.len());
        for s in samples {
            let existing =
                sqlx::query("select labels, status from samples where dataset_id = $1 and id = $2")
                    .bind(dataset_id)
                    .bind(&s.id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db)?;
            match existing {
                Some(row) => {
                    let labels: String = row.try_get("labels").map_err(db)?;
                    let status: String = row.try_get("status").map_err(db)?;
                    let old: Vec<SampleLabel> = serde_json::from_str(&labels)
                        .map_err(labelhive_domain::store::StoreError::other)?;
                    sqlx::query(
                        "update samples set labels = $1, metadata = $2, status = $3, update_time = $4, \
                         hard = $7, score = $8 where dataset_id = $5 and id = $6",
                    )
                    .bind(to_json(&s.labels)?)
                    .bind(to_json(&s.metadata)?)
                    .bind(s.status)
                    .bind(now)
                    .bind(dataset_id)
                    .bind(&s.id)
                    .bind(i64::from(s.hard))
                    .bind(s.score)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                    write_metadata(&mut tx, dataset_id, &s.id, &s.metadata).await?;
                    apply_label_delta(
                        &mut tx,
                        dataset_id,
                        &s.id,
                        Some((&old, &status)),
                        Some((&s.labels, s.status)),
                    )
                    .await?;
                    written.push(true);
                }
                None if mode == WriteMode::Upsert => {
                    sqlx::query(
                        "insert into samples (dataset_id, id, path, name, size, sample_type, status, labels, \
                         metadata, create_time, update_time, dir, hard, score) \
                         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12, $13)",
                    )
                    .bind(dataset_id)
                    .bind(&s.id)
                    .bind(&s.path)
                    .bind(&s.name)
                    .bind(s.size)
                    .bind(i64::from(s.sample_type))
                    .bind(s.status)
                    .bind(to_json(&s.labels)?)
                    .bind(to_json(&s.metadata)?)
                    .bind(now)
                    .bind(dir_of(&s.path))
                    .bind(i64::from(s.hard))
                    .bind(s.score)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                    write_metadata(&mut tx, dataset_id, &s.id, &s.metadata).await?;
                    apply_label_delta(
                        &mut tx,
                        dataset_id,
                        &s.id,
                        None,
                        Some((&s.labels, s.status)),
                    )
                    .await?;
                    written.push(true);
                }
                None => written.push(false),
            }
        }
        record_metric(&mut tx, dataset_id, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(written)
    }

    async fn delete_samples(
        &self,
        dataset_id: &str,
        ids: &[String],
    ) -> StoreResult<Vec<Option<String>>> {
        let now = now_ms();
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("update datasets set data_update_time = $1 where id = $2")
            .bind(now)
            .bind(dataset_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let row = sqlx::query(
                "select labels, status, path from samples where dataset_id = $1 and id = $2",
            )
            .bind(dataset_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
            let Some(row) = row else {
                out.push(None);
                continue;
            };
            let labels: String = row.try_get("labels").map_err(db)?;
            let status: String = row.try_get("status").map_err(db)?;
            let old: Vec<SampleLabel> = serde_json::from_str(&labels)
                .map_err(labelhive_domain::store::StoreError::other)?;
            apply_label_delta(&mut tx, dataset_id, id, Some((&old, &status)), None).await?;
            sqlx::query("delete from samples where dataset_id = $1 and id = $2")
                .bind(dataset_id)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            sqlx::query(
                "update datasets set deleted_sample_count = deleted_sample_count + 1 where id = $1",
            )
            .bind(dataset_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            out.push(Some(row.try_get("path").map_err(db)?));
        }
        record_metric(&mut tx, dataset_id, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(out)
    }

    async fn sample(&self, dataset_id: &str, sample_id: &str) -> StoreResult<Option<Sample>> {
        let row = sqlx::query(&format!(
            "select {SAMPLE_COLUMNS} from samples where dataset_id = $1 and id = $2"
        ))
        .bind(dataset_id)
        .bind(sample_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(rows::sample).transpose()
    }

    async fn list_samples(
        &self,
        dataset_id: &str,
        q: &SampleFilter,
        page: SamplePage,
    ) -> StoreResult<(Vec<Sample>, i64)> {
        let mut filter = Sql::new(" from samples s where s.dataset_id = ");
        filter.bind(Param::Text(dataset_id.to_owned()));
        push_filter(&mut filter, q);
        let count_sql = format!("select count(*) as n{}", filter.text);
        let total: i64 = crate::sql::bind_all(sqlx::query(&count_sql), filter.params())
            .fetch_one(&self.pool)
            .await
            .map_err(db)?
            .try_get("n")
            .map_err(db)?;
        let dir = if page.ascending { "asc" } else { "desc" };
        let columns = SAMPLE_COLUMNS
            .split(", ")
            .map(|c| format!("s.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut params = filter.params().to_vec();
        let text = format!(
            "select {columns}{} order by s.create_time {dir}, s.id {dir} limit ${} offset ${}",
            filter.text,
            params.len() + 1,
            params.len() + 2
        );
        params.push(Param::Int(page.limit));
        params.push(Param::Int(page.offset.saturating_mul(page.limit)));
        let rows = crate::sql::bind_all(sqlx::query(&text), &params)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        let samples = rows
            .iter()
            .map(rows::sample)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((samples, total))
    }

    async fn state_counts(&self, dataset_id: &str) -> StoreResult<Vec<(String, i64)>> {
        let rows = sqlx::query("select state, n from sample_state_counts where dataset_id = $1 and n <> 0 order by state")
            .bind(dataset_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter()
            .map(|r| Ok((r.try_get("state").map_err(db)?, r.try_get("n").map_err(db)?)))
            .collect()
    }

    async fn metadata_values(
        &self,
        dataset_id: &str,
        per_key: i64,
    ) -> StoreResult<Vec<(String, Vec<String>)>> {
        let rows = sqlx::query(
            "select distinct key, value from sample_metadata where dataset_id = $1 order by key, value",
        )
        .bind(dataset_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for r in rows {
            let key: String = r.try_get("key").map_err(db)?;
            let value: String = r.try_get("value").map_err(db)?;
            match out.last_mut() {
                Some((k, values)) if *k == key => {
                    if i64::try_from(values.len()).unwrap_or(i64::MAX) < per_key {
                        values.push(value);
                    }
                }
                _ => out.push((key, vec![value])),
            }
        }
        Ok(out)
    }

    async fn label_counts(&self, dataset_id: &str) -> StoreResult<Vec<LabelCount>> {
        let rows = sqlx::query(
            "select name, instance_count, sample_count from labels where dataset_id = $1 order by position",
        )
        .bind(dataset_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(LabelCount {
                    name: r.try_get("name").map_err(db)?,
                    count: r.try_get("instance_count").map_err(db)?,
                    sample_count: r.try_get("sample_count").map_err(db)?,
                })
            })
            .collect()
    }
}

/// The directory of an OBS-style file path, with its trailing slash.
fn dir_of(path: &str) -> String {
    path.rsplit_once('/')
        .map_or_else(|| "/".to_owned(), |(d, _)| format!("{d}/"))
}

/// Replaces a sample's indexed metadata: scalar values only, as text.
async fn write_metadata(
    tx: &mut Transaction<'_, Any>,
    dataset_id: &str,
    sample_id: &str,
    metadata: &SampleMetadata,
) -> StoreResult<()> {
    sqlx::query("delete from sample_metadata where dataset_id = $1 and sample_id = $2")
        .bind(dataset_id)
        .bind(sample_id)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    for (key, value) in &metadata.0 {
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => continue,
        };
        sqlx::query("insert into sample_metadata (dataset_id, sample_id, key, value) values ($1, $2, $3, $4)")
            .bind(dataset_id)
            .bind(sample_id)
            .bind(key)
            .bind(text)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
    }
    Ok(())
}
