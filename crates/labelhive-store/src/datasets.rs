//! Datasets and their labels.

use async_trait::async_trait;
use labelhive_domain::dataset::{Dataset, DatasetQuery, DatasetSort};
use labelhive_domain::job::NewJob;
use labelhive_domain::label::{Label, LabelAttribute};
use labelhive_domain::store::{
    DatasetEdit, DatasetStore, LabelChanges, MetricPoint, Modified, RunningJob, SamplePreview,
    StoreError, StoreResult,
};
use labelhive_domain::team_task::TeamTask;
use labelhive_domain::time::now_ms;
use labelhive_domain::DomainError;
use serde::Deserialize;
use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row, Transaction};

use crate::labels::write_labels;
use crate::rows::{self, to_json, DATASET_COLUMNS};
use crate::sample_reads::{self, Col};
use crate::sql::{dialect_of, Param, Sql};
use crate::{db, on_unique, Dialect, SqlStore};

/// Upserts the monitoring point of the current minute from the dataset's counters.
pub(crate) async fn record_metric(
    tx: &mut Transaction<'_, Any>,
    dataset_id: &str,
    now: i64,
) -> StoreResult<()> {
    metric_point(dataset_id, now)
        .query_for(tx)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(())
}

/// The statement behind [`record_metric`], for a [`crate::sql::Script`].
pub(crate) fn metric_point(dataset_id: &str, now: i64) -> Sql {
    let mut sql = Sql::new(
        "insert into dataset_metrics (dataset_id, minute, total, annotated) \
         select id, ",
    );
    sql.bind(Param::Int(now - now.rem_euclid(60_000)))
        .push(", total_sample_count, annotated_sample_count from datasets where id = ")
        .bind(Param::Text(dataset_id.to_owned()))
        .push(
            " on conflict (dataset_id, minute) do update set total = excluded.total, \
             annotated = excluded.annotated",
        );
    sql
}

pub(crate) async fn load_in_tx(
    tx: &mut Transaction<'_, Any>,
    project_id: &str,
    dataset_id: &str,
) -> StoreResult<Option<Dataset>> {
    let dialect = dialect_of(tx);
    load(&mut **tx, dialect, project_id, dataset_id).await
}

/// A label as [`labels_column`] writes it: name, type, property, attributes.
#[derive(Deserialize)]
struct LabelArray(String, i32, Map<String, Value>, Vec<LabelAttribute>);

/// The column `label_doc` of a dataset row (table alias `alias`): its labels in label
/// order as one JSON value, so a dataset and its labels are one query.
fn labels_column(dialect: Dialect, alias: &str) -> String {
    let cols = [
        Col::Value("l.name"),
        Col::Value("l.label_type"),
        Col::Json("l.property"),
        Col::Json("l.attributes"),
    ];
    let labels = sample_reads::aggregate(dialect, &cols, "l.position");
    format!("(select {labels} from labels l where l.dataset_id = {alias}.id) as label_doc")
}

/// A dataset row selected with [`labels_column`], labels included.
fn dataset_with_labels(row: &AnyRow) -> StoreResult<Dataset> {
    let mut ds = rows::dataset(row)?;
    let doc: String = row.try_get("label_doc").map_err(db)?;
    let labels: Vec<LabelArray> = rows::json(&doc, "dataset labels")?;
    ds.labels = labels
        .into_iter()
        .map(|LabelArray(name, label_type, property, attributes)| Label {
            name,
            label_type,
            property,
            attributes,
        })
        .collect();
    Ok(ds)
}

/// A dataset with its labels, in one query.
async fn load<'c, E>(
    conn: E,
    dialect: Dialect,
    project_id: &str,
    dataset_id: &str,
) -> StoreResult<Option<Dataset>>
where
    E: Executor<'c, Database = Any>,
{
    let row = sqlx::query(&format!(
        "select {DATASET_COLUMNS}, {} from datasets where id = $1 and project_id = $2",
        labels_column(dialect, "datasets")
    ))
    .bind(dataset_id)
    .bind(project_id)
    .fetch_optional(conn)
    .await
    .map_err(db)?;
    row.as_ref().map(dataset_with_labels).transpose()
}

#[async_trait]
impl DatasetStore for SqlStore {
    async fn create_dataset(
        &self,
        d: &Dataset,
        jobs: &[NewJob],
        team_task: Option<&TeamTask>,
    ) -> StoreResult<()> {
        let (_gate, mut tx) = self.begin_write().await?;
        sqlx::query(&format!(
            "insert into datasets ({DATASET_COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
             $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28)"
        ))
        .bind(&d.id)
        .bind(&d.project_id)
        .bind(&d.name)
        .bind(i64::from(d.dataset_type))
        .bind(&d.description)
        .bind(&d.data_format)
        .bind(to_json(&d.data_sources)?)
        .bind(&d.work_path)
        .bind(i64::from(d.work_path_type))
        .bind(&d.workspace_id)
        .bind(i64::from(d.import_data))
        .bind(i64::from(d.import_annotations))
        .bind(i64::from(d.managed))
        .bind(d.label_format.as_ref().map(to_json).transpose()?)
        .bind(to_json(&d.schema)?)
        .bind(d.workforce_information.as_ref().map(to_json).transpose()?)
        .bind(i64::from(d.status))
        .bind(d.create_time)
        .bind(d.update_time)
        .bind(d.data_update_time)
        .bind(d.total_sample_count)
        .bind(d.annotated_sample_count)
        .bind(d.deleted_sample_count)
        .bind(d.next_version_num)
        .bind(d.dataset_version_count)
        .bind(d.current_version_id.as_deref())
        .bind(d.current_version_name.as_deref())
        .bind(d.import_task_id.as_deref())
        .execute(&mut *tx)
        .await
        .map_err(|e| on_unique(e, "datasets_project_name"))?;
        write_labels(&mut tx, &d.id, &[], &d.labels, &LabelChanges::default()).await?;
        // One millisecond apart: runners claim by creation time, so in this order.
        for (at, job) in (d.create_time..).zip(jobs) {
            crate::jobs::insert_job(&mut tx, job, at).await?;
        }
        if let Some(t) = team_task {
            crate::team_task_rows::insert_team_task(&mut tx, t).await?;
        }
        record_metric(&mut tx, &d.id, d.create_time).await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn dataset(&self, project_id: &str, dataset_id: &str) -> StoreResult<Option<Dataset>> {
        load(&self.pool, self.dialect, project_id, dataset_id).await
    }

    async fn list_datasets(
        &self,
        project_id: &str,
        q: &DatasetQuery,
    ) -> StoreResult<(Vec<Dataset>, i64)> {
        let mut filter = Sql::new(" from datasets d where d.project_id = ");
        filter.bind(Param::Text(project_id.to_owned()));
        if let Some(t) = q.dataset_type {
            filter
                .push(" and d.dataset_type = ")
                .bind(Param::Int(i64::from(t)));
        }
        if q.support_export {
            filter.push(" and d.dataset_type in (0, 1, 900)");
        }
        if let Some(ws) = &q.workspace_id {
            filter
                .push(" and d.workspace_id = ")
                .bind(Param::Text(ws.clone()));
        }
        if let Some(text) = &q.search_content {
            let escaped = text
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            filter
                .push(" and (lower(d.name) like ")
                .bind(Param::Text(format!("%{escaped}%")));
            filter
                .push(" escape '\\' or lower(d.description) like ")
                .bind(Param::Text(format!("%{escaped}%")));
            filter.push(" escape '\\')");
        }
        match q.contain_versions {
            Some(true) => {
                filter.push(" and exists (select 1 from versions v where v.dataset_id = d.id)");
            }
            Some(false) => {
                filter.push(" and not exists (select 1 from versions v where v.dataset_id = d.id)");
            }
            None => {}
        }
        if let Some((lo, hi)) = q.train_evaluate_ratio {
            filter
                .push(" and exists (select 1 from versions v where v.dataset_id = d.id and cast(v.train_evaluate_sample_ratio as double precision) between ")
                .bind(Param::Float(lo))
                .push(" and ")
                .bind(Param::Float(hi))
                .push(")");
        }
        if let Some(fmt) = &q.version_format {
            filter
                .push(" and exists (select 1 from versions v where v.dataset_id = d.id and v.version_format = ")
                .bind(Param::Text(fmt.clone()))
                .push(")");
        }
        let total = Sql::count(&filter, &self.pool).await?;
        let dir = if q.ascending { "asc" } else { "desc" };
        let key = match q.sort_by {
            DatasetSort::CreateTime => "d.create_time",
            DatasetSort::Name => "d.name",
        };
        let columns = DATASET_COLUMNS
            .split(", ")
            .map(|c| format!("d.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let labels = labels_column(self.dialect, "d");
        let mut page = Sql::new(&format!("select {columns}, {labels}"));
        page.text.push_str(&filter.text);
        let mut page_params = filter.params().to_vec();
        page.text.push_str(&format!(
            " order by {key} {dir}, d.id {dir} limit ${} offset ${}",
            page_params.len() + 1,
            page_params.len() + 2
        ));
        page_params.push(Param::Int(q.limit));
        page_params.push(Param::Int(q.offset.saturating_mul(q.limit)));
        let rows = crate::sql::bind_all(sqlx::query(&page.text), &page_params)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        let datasets = rows
            .iter()
            .map(dataset_with_labels)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((datasets, total))
    }

    async fn modify_dataset(
        &self,
        project_id: &str,
        dataset_id: &str,
        edit: DatasetEdit<'_>,
    ) -> StoreResult<Option<Modified>> {
        let (_gate, mut tx) = self.begin_write().await?;
        // Write first: takes the row lock on PostgreSQL and the write lock on SQLite
        // before reading, so two concurrent edits cannot both read the old labels.
        let now = now_ms();
        let touched =
            sqlx::query("update datasets set update_time = $1 where id = $2 and project_id = $3")
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
        let before = ds.clone();
        let changes = edit(&mut ds)?;
        ds.update_time = now;
        if ds.current_version_id != before.current_version_id {
            if let Some(vid) = &ds.current_version_id {
                let row =
                    sqlx::query("select name from versions where id = $1 and dataset_id = $2")
                        .bind(vid)
                        .bind(dataset_id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db)?;
                let Some(row) = row else {
                    return Err(StoreError::Domain(DomainError::VersionNotFound(
                        vid.clone(),
                    )));
                };
                ds.current_version_name = Some(row.try_get("name").map_err(db)?);
            }
        }
        sqlx::query(
            "update datasets set name = $1, description = $2, current_version_id = $3, \
             current_version_name = $4, update_time = $5 where id = $6",
        )
        .bind(&ds.name)
        .bind(&ds.description)
        .bind(ds.current_version_id.as_deref())
        .bind(ds.current_version_name.as_deref())
        .bind(ds.update_time)
        .bind(dataset_id)
        .execute(&mut *tx)
        .await
        .map_err(|e| on_unique(e, "datasets_project_name"))?;
        let deleted = if ds.labels == before.labels {
            Vec::new()
        } else {
            write_labels(&mut tx, dataset_id, &before.labels, &ds.labels, &changes).await?
        };
        tx.commit().await.map_err(db)?;
        Ok(Some((ds, deleted)))
    }

    async fn delete_dataset(&self, project_id: &str, dataset_id: &str) -> StoreResult<bool> {
        let (_gate, mut tx) = self.begin_write().await?;
        let now = now_ms();
        let deleted = sqlx::query("delete from datasets where id = $1 and project_id = $2")
            .bind(dataset_id)
            .bind(project_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        if deleted.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "update jobs set status = 'canceled', lease_owner = null, error_code = 'ModelArts.4352', \
             error_msg = 'The dataset was deleted.', update_time = $1, finish_time = $1 \
             where dataset_id = $2 and status in ('queued', 'running')",
        )
        .bind(now)
        .bind(dataset_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn set_dataset_status(&self, dataset_id: &str, status: i32) -> StoreResult<bool> {
        let (_gate, mut tx) = self.begin_write().await?;
        let done = sqlx::query("update datasets set status = $1, update_time = $2 where id = $3")
            .bind(i64::from(status))
            .bind(now_ms())
            .bind(dataset_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn running_jobs(&self, dataset_ids: &[String]) -> StoreResult<Vec<RunningJob>> {
        if dataset_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("select dataset_id, id, kind from jobs where status in ('queued', 'running') and dataset_id in (");
        for (i, id) in dataset_ids.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(Param::Text(id.clone()));
        }
        sql.push(") order by create_time");
        let rows = sql.query().fetch_all(&self.pool).await.map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(RunningJob {
                    dataset_id: r.try_get("dataset_id").map_err(db)?,
                    job_id: r.try_get("id").map_err(db)?,
                    kind: r.try_get("kind").map_err(db)?,
                })
            })
            .collect()
    }

    async fn sample_previews(
        &self,
        dataset_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<SamplePreview>> {
        let rows = sqlx::query(
            "select id, path, name, size, create_time from samples where dataset_id = $1 \
             order by create_time, id limit $2",
        )
        .bind(dataset_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(SamplePreview {
                    id: r.try_get("id").map_err(db)?,
                    path: r.try_get("path").map_err(db)?,
                    name: r.try_get("name").map_err(db)?,
                    size: r.try_get("size").map_err(db)?,
                    create_time: r.try_get("create_time").map_err(db)?,
                })
            })
            .collect()
    }

    async fn dataset_metrics(
        &self,
        dataset_id: &str,
        start: i64,
        end: i64,
    ) -> StoreResult<Vec<MetricPoint>> {
        let rows = sqlx::query(
            "select minute, total, annotated from dataset_metrics \
             where dataset_id = $1 and minute >= $2 and minute <= $3 order by minute",
        )
        .bind(dataset_id)
        .bind(start - start.rem_euclid(60_000))
        .bind(end)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(MetricPoint {
                    time: r.try_get("minute").map_err(db)?,
                    total: r.try_get("total").map_err(db)?,
                    annotated: r.try_get("annotated").map_err(db)?,
                })
            })
            .collect()
    }
}
