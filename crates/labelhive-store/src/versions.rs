//! Dataset versions: the version rows, the copy of samples a version holds, and the
//! dataset's current version.
//!
//! A version's samples are numbered densely from 1 (`pos`), so any page of an
//! unfiltered version listing is one primary-key range, at any depth.

use async_trait::async_trait;
use labelhive_domain::job::NewJob;
use labelhive_domain::sample::{Sample, SamplePage};
use labelhive_domain::search::SampleFilter;
use labelhive_domain::store::{
    CopyOutcome, StoreError, StoreResult, VersionBuild, VersionQuery, VersionStore,
};
use labelhive_domain::time::now_ms;
use labelhive_domain::version::{status, Version, VERSION_FORMATS};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::datasets::load_in_tx;
use crate::jobs::insert_job;
use crate::rows::{to_json, SAMPLE_COLUMNS};
use crate::sql::{Param, Sql};
use crate::{db, on_unique, sample_reads, version_samples, SqlStore};

/// Columns of `versions`, in the order [`version`] reads them.
const VERSION_COLUMNS: &str = "id, dataset_id, name, description, status, version_format, \
    train_evaluate_sample_ratio, clear_hard_property, remove_sample_usage, export_images, \
    with_column_header, task_type, total_sample_count, annotated_sample_count, labels, \
    label_type, manifest_path, data_path, previous_version_id, message, job_id, last_seq, \
    create_time, update_time";

fn version(row: &AnyRow) -> StoreResult<Version> {
    let get_i64 = |c: &str| -> StoreResult<i64> { row.try_get(c).map_err(db) };
    let get = |c: &str| -> StoreResult<String> { row.try_get(c).map_err(db) };
    let get_opt = |c: &str| -> StoreResult<Option<String>> { row.try_get(c).map_err(db) };
    let labels = get("labels")?;
    Ok(Version {
        id: get("id")?,
        dataset_id: get("dataset_id")?,
        name: get("name")?,
        description: get("description")?,
        status: i32::try_from(get_i64("status")?).map_err(StoreError::other)?,
        version_format: get("version_format")?,
        train_evaluate_sample_ratio: get("train_evaluate_sample_ratio")?,
        clear_hard_property: get_i64("clear_hard_property")? != 0,
        remove_sample_usage: get_i64("remove_sample_usage")? != 0,
        export_images: get_i64("export_images")? != 0,
        with_column_header: get_i64("with_column_header")? != 0,
        task_type: i32::try_from(get_i64("task_type")?).map_err(StoreError::other)?,
        total_sample_count: get_i64("total_sample_count")?,
        annotated_sample_count: get_i64("annotated_sample_count")?,
        labels: serde_json::from_str(&labels)
            .map_err(|e| StoreError::other(format!("decoding version labels: {e}")))?,
        label_type: get_opt("label_type")?,
        manifest_path: get("manifest_path")?,
        data_path: get("data_path")?,
        previous_version_id: get_opt("previous_version_id")?,
        message: get_opt("message")?,
        job_id: get("job_id")?,
        last_seq: get_i64("last_seq")?,
        create_time: get_i64("create_time")?,
        update_time: get_i64("update_time")?,
    })
}

/// The newest published version of a dataset other than `except`.
async fn newest_published(
    tx: &mut Transaction<'_, Any>,
    dataset_id: &str,
    except: &str,
) -> StoreResult<Option<(String, String)>> {
    let row = sqlx::query(
        "select id, name from versions where dataset_id = $1 and id <> $2 and status = $3 \
         order by create_time desc, id desc limit 1",
    )
    .bind(dataset_id)
    .bind(except)
    .bind(i64::from(status::NORMAL))
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?;
    row.map(|r| -> StoreResult<(String, String)> {
        Ok((r.try_get("id").map_err(db)?, r.try_get("name").map_err(db)?))
    })
    .transpose()
}

#[async_trait]
impl VersionStore for SqlStore {
    async fn create_version(
        &self,
        project_id: &str,
        dataset_id: &str,
        build: VersionBuild<'_>,
        job: &NewJob,
    ) -> StoreResult<Option<Version>> {
        let (_gate, mut tx) = self.begin_write().await?;
        let now = now_ms();
        // Taking the number first locks the dataset row (PostgreSQL), so two publishes
        // of one dataset cannot both see no publish running.
        let touched = sqlx::query(
            "update datasets set next_version_num = next_version_num + 1, update_time = $1 \
             where id = $2 and project_id = $3",
        )
        .bind(now)
        .bind(dataset_id)
        .bind(project_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if touched.rows_affected() == 0 {
            return Ok(None);
        }
        let Some(mut ds) = load_in_tx(&mut tx, project_id, dataset_id).await? else {
            return Ok(None);
        };
        ds.next_version_num -= 1;
        let running = sqlx::query("select id from versions where dataset_id = $1 and status = $2")
            .bind(dataset_id)
            .bind(i64::from(status::CREATING))
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if running.is_some() {
            return Err(StoreError::Domain(labelhive_domain::DomainError::Conflict(
                "Dataset is publishing, the operation is forbidden: wait until the running publish ends".into(),
            )));
        }
        let last_seq: i64 = sqlx::query("select next_seq from datasets where id = $1")
            .bind(dataset_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?
            .try_get("next_seq")
            .map_err(db)?;
        let mut v = build(&ds)?;
        v.last_seq = last_seq;
        v.create_time = now;
        v.update_time = now;
        sqlx::query(
            "insert into versions (id, dataset_id, name, description, status, version_format, \
             train_evaluate_sample_ratio, clear_hard_property, remove_sample_usage, export_images, \
             with_column_header, task_type, manifest_path, data_path, previous_version_id, job_id, \
             last_seq, create_time, update_time) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)",
        )
        .bind(&v.id)
        .bind(&v.dataset_id)
        .bind(&v.name)
        .bind(&v.description)
        .bind(i64::from(v.status))
        .bind(&v.version_format)
        .bind(&v.train_evaluate_sample_ratio)
        .bind(i64::from(v.clear_hard_property))
        .bind(i64::from(v.remove_sample_usage))
        .bind(i64::from(v.export_images))
        .bind(i64::from(v.with_column_header))
        .bind(i64::from(v.task_type))
        .bind(&v.manifest_path)
        .bind(&v.data_path)
        .bind(v.previous_version_id.as_deref())
        .bind(&v.job_id)
        .bind(v.last_seq)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| on_unique(e, "versions_dataset_name"))?;
        insert_job(&mut tx, job, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(Some(v))
    }

    async fn version(&self, dataset_id: &str, version_id: &str) -> StoreResult<Option<Version>> {
        let row = sqlx::query(&format!(
            "select {VERSION_COLUMNS} from versions where id = $1 and dataset_id = $2"
        ))
        .bind(version_id)
        .bind(dataset_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(version).transpose()
    }

    async fn list_versions(
        &self,
        dataset_id: &str,
        q: &VersionQuery,
    ) -> StoreResult<(Vec<Version>, i64)> {
        let mut filter = Sql::new(" from versions where dataset_id = ");
        filter.bind(Param::Text(dataset_id.to_owned()));
        if let Some(s) = q.status {
            filter.push(" and status = ").bind(Param::Int(i64::from(s)));
        }
        if let Some((lo, hi)) = q.ratio {
            filter
                .push(" and cast(train_evaluate_sample_ratio as double precision) between ")
                .bind(Param::Float(lo))
                .push(" and ")
                .bind(Param::Float(hi));
        }
        if let Some(f) = &q.version_format {
            debug_assert!(VERSION_FORMATS.contains(&f.as_str()));
            filter
                .push(" and version_format = ")
                .bind(Param::Text(f.clone()));
        }
        let total = Sql::count(&filter, &self.pool).await?;
        let mut page = Sql::with_filter(&format!("select {VERSION_COLUMNS}"), &filter);
        page.push(" order by create_time desc, id desc limit ")
            .bind(Param::Int(q.limit))
            .push(" offset ")
            .bind(Param::Int(q.offset.saturating_mul(q.limit)));
        let rows = page.query().fetch_all(&self.pool).await.map_err(db)?;
        let versions = rows.iter().map(version).collect::<StoreResult<_>>()?;
        Ok((versions, total))
    }

    async fn copy_into_version(
        &self,
        job_id: &str,
        owner: &str,
        version_id: &str,
        limit: i64,
    ) -> StoreResult<CopyOutcome> {
        let (_gate, mut tx) = self.begin_write().await?;
        let now = now_ms();
        let held = sqlx::query(
            "update jobs set update_time = $1 where id = $2 and lease_owner = $3 and status = 'running'",
        )
        .bind(now)
        .bind(job_id)
        .bind(owner)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if held.rows_affected() == 0 {
            return Ok(CopyOutcome::Abandoned);
        }
        let row = sqlx::query(
            "select dataset_id, last_seq, copied_seq, copied from versions where id = $1 and status = $2",
        )
        .bind(version_id)
        .bind(i64::from(status::CREATING))
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let Some(row) = row else {
            return Ok(CopyOutcome::Abandoned);
        };
        let dataset_id: String = row.try_get("dataset_id").map_err(db)?;
        let last_seq: i64 = row.try_get("last_seq").map_err(db)?;
        let copied_seq: i64 = row.try_get("copied_seq").map_err(db)?;
        let copied: i64 = row.try_get("copied").map_err(db)?;
        let mut sql = Sql::new(&format!(
            "select seq, {SAMPLE_COLUMNS} from samples where dataset_id = "
        ));
        sql.bind(Param::Text(dataset_id));
        sql.push(" and seq > ").bind(Param::Int(copied_seq));
        sql.push(" and seq <= ").bind(Param::Int(last_seq));
        sql.push(" order by seq limit ").bind(Param::Int(limit));
        let rows = sample_reads::fetch(&mut *tx, self.dialect, &sql, "asc").await?;
        let Some(new_seq) = rows.last().map(|(seq, _)| *seq) else {
            return Ok(CopyOutcome::Done);
        };
        let samples: Vec<Sample> = rows.into_iter().map(|(_, s)| s).collect();
        let pos = version_samples::insert(&mut tx, version_id, copied, &samples).await?;
        sqlx::query(
            "update versions set copied_seq = $1, copied = $2, update_time = $3 where id = $4",
        )
        .bind(new_seq)
        .bind(pos)
        .bind(now)
        .bind(version_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(CopyOutcome::Copied(pos - copied))
    }

    async fn version_samples(
        &self,
        version_id: &str,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<Sample>> {
        version_samples::page(&self.pool, self.dialect, version_id, after, limit).await
    }

    async fn list_version_samples(
        &self,
        v: &Version,
        q: &SampleFilter,
        page: SamplePage,
    ) -> StoreResult<(Vec<Sample>, i64)> {
        version_samples::list(&self.pool, self.dialect, v, q, page).await
    }

    async fn publish_version(&self, v: &Version) -> StoreResult<bool> {
        let (_gate, mut tx) = self.begin_write().await?;
        let now = now_ms();
        let done = sqlx::query(
            "update versions set status = $1, total_sample_count = $2, annotated_sample_count = $3, \
             labels = $4, label_type = $5, message = null, update_time = $6 where id = $7 and status = $8",
        )
        .bind(i64::from(status::NORMAL))
        .bind(v.total_sample_count)
        .bind(v.annotated_sample_count)
        .bind(to_json(&v.labels)?)
        .bind(v.label_type.as_deref())
        .bind(now)
        .bind(&v.id)
        .bind(i64::from(status::CREATING))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "update datasets set dataset_version_count = dataset_version_count + 1, \
             current_version_id = $1, current_version_name = $2, update_time = $3 where id = $4",
        )
        .bind(&v.id)
        .bind(&v.name)
        .bind(now)
        .bind(&v.dataset_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn fail_version(&self, version_id: &str, message: &str) -> StoreResult<()> {
        let (_gate, mut tx) = self.begin_write().await?;
        sqlx::query(
            "update versions set status = $1, message = $2, update_time = $3 where id = $4 and status = $5",
        )
        .bind(i64::from(status::ERROR))
        .bind(message)
        .bind(now_ms())
        .bind(version_id)
        .bind(i64::from(status::CREATING))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn delete_version(&self, dataset_id: &str, version_id: &str) -> StoreResult<bool> {
        let (_gate, mut tx) = self.begin_write().await?;
        let now = now_ms();
        let row =
            sqlx::query("select status, job_id from versions where id = $1 and dataset_id = $2")
                .bind(version_id)
                .bind(dataset_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        let Some(row) = row else {
            return Ok(false);
        };
        let was: i64 = row.try_get("status").map_err(db)?;
        let job_id: String = row.try_get("job_id").map_err(db)?;
        sqlx::query(
            "update jobs set status = 'canceled', lease_owner = null, finish_time = $1, \
             update_time = $1, error_msg = 'the version was deleted' \
             where id = $2 and status in ('queued', 'running')",
        )
        .bind(now)
        .bind(&job_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        sqlx::query("delete from version_samples where version_id = $1")
            .bind(version_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query("delete from versions where id = $1")
            .bind(version_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let current = newest_published(&mut tx, dataset_id, version_id).await?;
        let counted = i64::from(was == i64::from(status::NORMAL));
        // The current version moves only when the deleted one was current.
        sqlx::query(
            "update datasets set dataset_version_count = dataset_version_count - $1, \
             current_version_id = case when current_version_id = $2 then $3 else current_version_id end, \
             current_version_name = case when current_version_id = $2 then $4 else current_version_name end, \
             update_time = $5 where id = $6",
        )
        .bind(counted)
        .bind(version_id)
        .bind(current.as_ref().map(|c| c.0.as_str()))
        .bind(current.as_ref().map(|c| c.1.as_str()))
        .bind(now)
        .bind(dataset_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }
}
