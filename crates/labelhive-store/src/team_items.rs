//! The items of team labeling tasks (one per allocated sample and labeler) and the
//! acceptance rounds over them.
//!
//! Item writes are compare-and-set on the item's state, so a labeler's submit and a
//! reviewer's verdict on the same item cannot both apply to the state they read.

use labelhive_domain::allocation::Handover;
use labelhive_domain::annotation::SampleLabel;
use labelhive_domain::sample::Sample;
use labelhive_domain::search::SampleFilter;
use labelhive_domain::store::{StoreError, StoreResult};
use labelhive_domain::team_task::{
    item_state, ItemFilter, ItemWrite, StateCounts, TaskItem, TeamTask,
};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::filters::push_filter;
use crate::rows::{i32_col, json, pairs, sample, to_json, SAMPLE_COLUMNS};
use crate::sql::push_in;
use crate::sql::{Param, Sql};
use crate::team_rounds::refresh_round;
use crate::{db, Dialect, SqlStore};

const ITEM_COLUMNS: &str = "i.sample_id, i.worker_id, i.state, i.labels, i.labeled_time, \
     i.review_accept, i.review_comment, i.review_score, i.reviewer_id, i.check_task_id, \
     i.check_accept, i.check_comment, i.check_score, i.update_time";

/// A nullable 0/1 column as a boolean.
pub(crate) fn opt_bool(row: &AnyRow, col: &str) -> Result<Option<bool>, StoreError> {
    let v: Option<i64> = row.try_get(col).map_err(db)?;
    Ok(v.map(|v| v != 0))
}

fn item(row: &AnyRow) -> Result<TaskItem, StoreError> {
    item_named(row, "labels", "update_time")
}

/// An item read from a row where its `labels` and `update_time` columns are aliased
/// (beside a sample's own columns).
fn item_named(row: &AnyRow, labels_col: &str, update_col: &str) -> Result<TaskItem, StoreError> {
    let labels: String = row.try_get(labels_col).map_err(db)?;
    Ok(TaskItem {
        sample_id: row.try_get("sample_id").map_err(db)?,
        worker_id: row.try_get("worker_id").map_err(db)?,
        state: i32_col(row, "state")?,
        labels: json(&labels, "item labels")?,
        labeled_time: row.try_get("labeled_time").map_err(db)?,
        review_accept: opt_bool(row, "review_accept")?,
        review_comment: row.try_get("review_comment").map_err(db)?,
        review_score: row.try_get("review_score").map_err(db)?,
        reviewer_id: row.try_get("reviewer_id").map_err(db)?,
        check_task_id: row.try_get("check_task_id").map_err(db)?,
        check_accept: opt_bool(row, "check_accept")?,
        check_comment: row.try_get("check_comment").map_err(db)?,
        check_score: row.try_get("check_score").map_err(db)?,
        update_time: row.try_get(update_col).map_err(db)?,
    })
}

/// `\nn:<name>\nt:<type>\n...`: the label names and types an item filter matches with
/// `like`, so filters never parse JSON.
fn label_keys(labels: &[SampleLabel]) -> String {
    let mut keys = String::from("\n");
    for l in labels {
        if let Some(n) = &l.name {
            keys.push_str(&format!("n:{n}\n"));
        }
        if let Some(t) = l.label_type {
            keys.push_str(&format!("t:{t}\n"));
        }
    }
    keys
}

fn like_key(key: &str) -> String {
    let escaped = key
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%\n{escaped}\n%")
}

fn opt_int(v: Option<bool>) -> Option<i64> {
    v.map(i64::from)
}

/// Appends the item filter's clauses to a statement over `team_task_items i`.
pub(crate) fn push_item_filter(q: &mut Sql, f: &ItemFilter) {
    if f.none {
        q.push(" and 1 = 0");
    }
    if let Some(w) = &f.worker_id {
        q.push(" and i.worker_id = ").bind(Param::Text(w.clone()));
    }
    if !f.states.is_empty() {
        q.push(" and i.state in (");
        for (n, s) in f.states.iter().enumerate() {
            if n > 0 {
                q.push(", ");
            }
            q.bind(Param::Int(i64::from(*s)));
        }
        q.push(")");
    }
    if f.reviewed {
        q.push(" and i.review_accept is not null");
    }
    if let Some(v) = f.check_accept {
        q.push(" and i.check_accept = ")
            .bind(Param::Int(i64::from(v)));
    }
    if let Some(n) = &f.label_name {
        q.push(" and i.label_keys like ")
            .bind(Param::Text(like_key(&format!("n:{n}"))))
            .push(" escape '\\'");
    }
    if let Some(t) = f.label_type {
        q.push(" and i.label_keys like ")
            .bind(Param::Text(like_key(&format!("t:{t}"))))
            .push(" escape '\\'");
    }
}

impl SqlStore {
    pub(crate) async fn allocate_item_rows(
        &self,
        task_id: &str,
        pairs: &[(String, String)],
        now: i64,
    ) -> StoreResult<u64> {
        let (_gate, mut tx) = self.begin_write().await?;
        // Allocations of one task take turns (the task's row lock on PostgreSQL, the
        // write gate on SQLite) and skip samples another one allocated since they
        // looked: two allocations racing (an upload while an import's job ends) would
        // otherwise give a sample labelers twice.
        let lock = match self.dialect {
            Dialect::Postgres => " for update",
            Dialect::Sqlite => "",
        };
        let task = sqlx::query(&format!("select id from team_tasks where id = $1{lock}"))
            .bind(task_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if task.is_none() {
            return Ok(0);
        }
        let mut taken: std::collections::HashSet<String> = std::collections::HashSet::new();
        let samples: Vec<&str> = pairs.iter().map(|(s, _)| s.as_str()).collect();
        for chunk in samples.chunks(500) {
            let mut q = Sql::new("select distinct sample_id from team_task_items where task_id = ");
            q.bind(Param::Text(task_id.to_owned()));
            push_in(&mut q, " and sample_id", chunk);
            for row in q.query().fetch_all(&mut *tx).await.map_err(db)? {
                taken.insert(row.try_get("sample_id").map_err(db)?);
            }
        }
        let fresh: Vec<(String, String)> = pairs
            .iter()
            .filter(|(s, _)| !taken.contains(s))
            .cloned()
            .collect();
        let added = insert_items(&mut tx, task_id, &fresh, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(added)
    }

    pub(crate) async fn unfinished_item_rows(
        &self,
        task_id: &str,
        worker_ids: &[String],
    ) -> StoreResult<Vec<(String, String)>> {
        if worker_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = Sql::new("select sample_id, worker_id from team_task_items where task_id = ");
        q.bind(Param::Text(task_id.to_owned()))
            .push(" and state in (")
            .bind(Param::Int(i64::from(item_state::NONE)))
            .push(", ")
            .bind(Param::Int(i64::from(item_state::REJECTED)))
            .push(") and ");
        let ids: Vec<&str> = worker_ids.iter().map(String::as_str).collect();
        push_in(&mut q, "worker_id", &ids);
        q.push(" order by worker_id, sample_id");
        let rows = q.query().fetch_all(&self.pool).await.map_err(db)?;
        pairs(&rows, "sample_id", "worker_id")
    }

    pub(crate) async fn item_load_rows(&self, task_id: &str) -> StoreResult<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "select worker_id, count(*) as n from team_task_items where task_id = $1 \
             group by worker_id",
        )
        .bind(task_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        pairs(&rows, "worker_id", "n")
    }

    pub(crate) async fn allocated_rows(
        &self,
        task_id: &str,
        sample_ids: &[String],
    ) -> StoreResult<Vec<String>> {
        if sample_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = sample_ids.iter().map(String::as_str).collect();
        let mut q = Sql::new("select distinct sample_id from team_task_items where task_id = ");
        q.bind(Param::Text(task_id.to_owned()));
        push_in(&mut q, " and sample_id", &ids);
        let rows = q.query().fetch_all(&self.pool).await.map_err(db)?;
        rows.iter()
            .map(|r| r.try_get("sample_id").map_err(db))
            .collect()
    }

    pub(crate) async fn list_item_rows(
        &self,
        task: &TeamTask,
        f: &ItemFilter,
        samples: &SampleFilter,
        offset: i64,
        limit: i64,
    ) -> StoreResult<(Vec<(TaskItem, Sample)>, i64)> {
        let mut filter = Sql::new(" from team_task_items i join samples s on s.dataset_id = ");
        filter
            .bind(Param::Text(task.dataset_id.clone()))
            .push(" and s.id = i.sample_id where i.task_id = ")
            .bind(Param::Text(task.id.clone()));
        push_item_filter(&mut filter, f);
        push_filter(&mut filter, samples);
        let total = Sql::count(&filter, &self.pool).await?;
        let sample_columns: Vec<String> = SAMPLE_COLUMNS
            .split(", ")
            .map(|c| format!("s.{c}"))
            .collect();
        let item_columns = ITEM_COLUMNS
            .replace("i.labels", "i.labels as item_labels")
            .replace("i.update_time", "i.update_time as item_update_time");
        let mut page = Sql::with_filter(
            &format!("select {item_columns}, {}", sample_columns.join(", ")),
            &filter,
        );
        page.push(" order by i.sample_id, i.worker_id limit ")
            .bind(Param::Int(limit))
            .push(" offset ")
            .bind(Param::Int(offset.saturating_mul(limit)));
        let rows = page.query().fetch_all(&self.pool).await.map_err(db)?;
        let out = rows
            .iter()
            .map(|row| {
                Ok((
                    item_named(row, "item_labels", "item_update_time")?,
                    sample(row)?,
                ))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((out, total))
    }

    pub(crate) async fn items_of_rows(
        &self,
        task_id: &str,
        sample_ids: &[String],
    ) -> StoreResult<Vec<TaskItem>> {
        if sample_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = sample_ids.iter().map(String::as_str).collect();
        let mut q = Sql::new(&format!(
            "select {ITEM_COLUMNS} from team_task_items i where i.task_id = "
        ));
        q.bind(Param::Text(task_id.to_owned()));
        push_in(&mut q, " and i.sample_id", &ids);
        q.push(" order by i.sample_id, i.worker_id");
        let rows = q.query().fetch_all(&self.pool).await.map_err(db)?;
        rows.iter().map(item).collect()
    }

    pub(crate) async fn write_item_rows(
        &self,
        task_id: &str,
        writes: &[ItemWrite],
        round_id: Option<&str>,
    ) -> StoreResult<Vec<bool>> {
        let (_gate, mut tx) = self.begin_write().await?;
        let mut out = Vec::with_capacity(writes.len());
        for w in writes {
            let it = &w.item;
            let n = sqlx::query(
                "update team_task_items set state = $1, labels = $2, label_keys = $3, \
                 labeled_time = $4, review_accept = $5, review_comment = $6, review_score = $7, \
                 reviewer_id = $8, check_task_id = $9, check_accept = $10, check_comment = $11, \
                 check_score = $12, update_time = $13 \
                 where task_id = $14 and sample_id = $15 and worker_id = $16 and state = $17",
            )
            .bind(i64::from(it.state))
            .bind(to_json(&it.labels)?)
            .bind(label_keys(&it.labels))
            .bind(it.labeled_time)
            .bind(opt_int(it.review_accept))
            .bind(&it.review_comment)
            .bind(&it.review_score)
            .bind(&it.reviewer_id)
            .bind(it.check_task_id.as_deref())
            .bind(opt_int(it.check_accept))
            .bind(&it.check_comment)
            .bind(&it.check_score)
            .bind(it.update_time)
            .bind(task_id)
            .bind(&it.sample_id)
            .bind(&it.worker_id)
            .bind(i64::from(w.expect_state))
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
            out.push(n > 0);
        }
        if let Some(r) = round_id {
            refresh_round(&mut tx, task_id, r).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(out)
    }

    pub(crate) async fn item_count_rows(
        &self,
        task_id: &str,
    ) -> StoreResult<Vec<(String, i32, i64)>> {
        let rows = sqlx::query(
            "select worker_id, state, count(*) as n from team_task_items where task_id = $1 \
             group by worker_id, state",
        )
        .bind(task_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("worker_id").map_err(db)?,
                    i32_col(r, "state")?,
                    r.try_get("n").map_err(db)?,
                ))
            })
            .collect()
    }

    pub(crate) async fn sample_count_rows(&self, task: &TeamTask) -> StoreResult<StateCounts> {
        let rows = sqlx::query(
            "select least_state, count(*) as n from (select min(state) as least_state \
             from team_task_items where task_id = $1 group by sample_id) t group by least_state",
        )
        .bind(&task.id)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let mut counts = StateCounts::default();
        for r in &rows {
            counts.add(i32_col(r, "least_state")?, r.try_get("n").map_err(db)?);
        }
        let deleted: i64 = sqlx::query(
            "select count(distinct i.sample_id) as n from team_task_items i where i.task_id = $1 \
             and not exists (select 1 from samples s where s.dataset_id = $2 and s.id = i.sample_id)",
        )
        .bind(&task.id)
        .bind(&task.dataset_id)
        .fetch_one(&self.pool)
        .await
        .map_err(db)?
        .try_get("n")
        .map_err(db)?;
        counts.deleted = deleted;
        Ok(counts)
    }
}

/// Inserts (sample, labeler) items not allocated yet; returns how many were new.
pub(crate) async fn insert_items(
    tx: &mut Transaction<'_, Any>,
    task_id: &str,
    pairs: &[(String, String)],
    now: i64,
) -> StoreResult<u64> {
    let mut added = 0;
    for chunk in pairs.chunks(500) {
        let mut q = Sql::new(
            "insert into team_task_items (task_id, sample_id, worker_id, state, labels, \
             label_keys, labeled_time, review_comment, review_score, reviewer_id, \
             check_comment, check_score, synced, update_time) values ",
        );
        for (n, (sample, worker)) in chunk.iter().enumerate() {
            if n > 0 {
                q.push(", ");
            }
            q.push("(")
                .bind(Param::Text(task_id.to_owned()))
                .push(", ")
                .bind(Param::Text(sample.clone()))
                .push(", ")
                .bind(Param::Text(worker.clone()))
                .push(", 0, '[]', '\n', 0, '', '', '', '', '', 0, ")
                .bind(Param::Int(now))
                .push(")");
        }
        q.push(" on conflict do nothing");
        added += q
            .query()
            .execute(&mut **tx)
            .await
            .map_err(db)?
            .rows_affected();
    }
    Ok(added)
}

/// Hands unfinished items over: each still unfinished item of `from` is replaced by a
/// fresh one of `to`; an item finished meanwhile stays with its labeler.
pub(crate) async fn hand_over_items(
    tx: &mut Transaction<'_, Any>,
    task_id: &str,
    moves: &[Handover],
    now: i64,
) -> StoreResult<()> {
    for m in moves {
        let gone = sqlx::query(
            "delete from team_task_items where task_id = $1 and sample_id = $2 \
             and worker_id = $3 and state in ($4, $5)",
        )
        .bind(task_id)
        .bind(&m.sample_id)
        .bind(&m.from)
        .bind(i64::from(item_state::NONE))
        .bind(i64::from(item_state::REJECTED))
        .execute(&mut **tx)
        .await
        .map_err(db)?
        .rows_affected();
        if gone == 1 {
            insert_items(tx, task_id, &[(m.sample_id.clone(), m.to.clone())], now).await?;
        }
    }
    Ok(())
}
