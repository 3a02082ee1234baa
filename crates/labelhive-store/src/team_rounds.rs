//! Acceptance rounds of team labeling tasks: opening one (sampling items), its
//! tallies, ending it (moving its items and queuing the synchronization), and the
//! synchronization's reads and marks.

use labelhive_domain::store::{StoreError, StoreResult};
use labelhive_domain::team_task::{item_state, score_points, CheckRound, Move, TaskItem, TeamTask};
use labelhive_domain::time::now_ms;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::jobs::insert_job;
use crate::sql::push_in;
use crate::sql::{Param, Sql};
use crate::team_items::opt_bool;
use crate::{db, SqlStore};

/// An acceptance round row.
fn round(row: &AnyRow) -> Result<CheckRound, StoreError> {
    let get = |c: &str| -> Result<i64, StoreError> { row.try_get(c).map_err(db) };
    Ok(CheckRound {
        id: row.try_get("id").map_err(db)?,
        sampling_num: get("sampling_num")?,
        sampling_rate: row.try_get("sampling_rate").map_err(db)?,
        total_sample_count: get("total_sample_count")?,
        sampled_sample_count: get("sampled_sample_count")?,
        accepted_sample_count: get("accepted_sample_count")?,
        rejected_sample_count: get("rejected_sample_count")?,
        total_score: get("total_score")?,
        scored_count: get("scored_count")?,
        create_time: get("create_time")?,
    })
}

/// Recounts a round's tallies from its checked items.
pub(crate) async fn refresh_round(
    tx: &mut Transaction<'_, Any>,
    task_id: &str,
    round_id: &str,
) -> StoreResult<()> {
    let rows = sqlx::query(
        "select check_accept, check_score, count(*) as n from team_task_items \
         where task_id = $1 and check_task_id = $2 and state = $3 \
         group by check_accept, check_score",
    )
    .bind(task_id)
    .bind(round_id)
    .bind(i64::from(item_state::CHECKED))
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    let (mut accepted, mut rejected, mut total, mut scored) = (0i64, 0i64, 0i64, 0i64);
    for row in &rows {
        let n: i64 = row.try_get("n").map_err(db)?;
        match opt_bool(row, "check_accept")? {
            Some(true) => accepted += n,
            Some(false) => rejected += n,
            None => {}
        }
        let score: String = row.try_get("check_score").map_err(db)?;
        if let Some(p) = score_points(&score) {
            total += p * n;
            scored += n;
        }
    }
    sqlx::query(
        "update team_task_checks set accepted_sample_count = $1, rejected_sample_count = $2, \
         total_score = $3, scored_count = $4 where id = $5 and task_id = $6",
    )
    .bind(accepted)
    .bind(rejected)
    .bind(total)
    .bind(scored)
    .bind(round_id)
    .bind(task_id)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

impl SqlStore {
    pub(crate) async fn open_round_rows(
        &self,
        task_id: &str,
        expect_status: i32,
        r: &CheckRound,
        size: i64,
    ) -> StoreResult<Option<i64>> {
        use labelhive_domain::team_task::task_status;
        let (_gate, mut tx) = self.begin_write().await?;
        let now = now_ms();
        let moved = sqlx::query(
            "update team_tasks set status = $1, checking_task_id = $2, action = null, \
             update_time = $3 where id = $4 and status = $5",
        )
        .bind(i64::from(task_status::ACCEPTING))
        .bind(&r.id)
        .bind(now)
        .bind(task_id)
        .bind(i64::from(expect_status))
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
        if moved == 0 {
            return Ok(None);
        }
        // Whole samples whose every item waits for acceptance (or was accepted in an
        // earlier round), in random order.
        let picked = sqlx::query(
            "select sample_id from team_task_items where task_id = $1 group by sample_id \
             having min(state) = $2 order by random() limit $3",
        )
        .bind(task_id)
        .bind(i64::from(item_state::UNCHECK))
        .bind(size)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let ids: Vec<String> = picked
            .iter()
            .map(|row| row.try_get("sample_id").map_err(db))
            .collect::<StoreResult<_>>()?;
        for chunk in ids.chunks(500) {
            let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
            let mut q = Sql::new("update team_task_items set state = ");
            q.bind(Param::Int(i64::from(item_state::SAMPLED)))
                .push(", check_task_id = ")
                .bind(Param::Text(r.id.clone()))
                .push(", check_accept = null, check_comment = '', check_score = '', update_time = ")
                .bind(Param::Int(now))
                .push(" where task_id = ")
                .bind(Param::Text(task_id.to_owned()))
                .push(" and state = ")
                .bind(Param::Int(i64::from(item_state::UNCHECK)));
            push_in(&mut q, " and sample_id", &refs);
            q.query().execute(&mut *tx).await.map_err(db)?;
        }
        let sampled = i64::try_from(ids.len()).unwrap_or(i64::MAX);
        sqlx::query(
            "insert into team_task_checks (id, task_id, sampling_num, sampling_rate, \
             total_sample_count, sampled_sample_count, accepted_sample_count, \
             rejected_sample_count, total_score, scored_count, create_time) \
             values ($1, $2, $3, $4, $5, $6, 0, 0, 0, 0, $7)",
        )
        .bind(&r.id)
        .bind(task_id)
        .bind(r.sampling_num)
        .bind(r.sampling_rate)
        .bind(r.total_sample_count)
        .bind(sampled)
        .bind(r.create_time)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Some(sampled))
    }

    pub(crate) async fn round_rows(&self, task_id: &str) -> StoreResult<Vec<CheckRound>> {
        let rows = sqlx::query(
            "select id, sampling_num, sampling_rate, total_sample_count, sampled_sample_count, \
             accepted_sample_count, rejected_sample_count, total_score, scored_count, create_time \
             from team_task_checks where task_id = $1 order by create_time, id",
        )
        .bind(task_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(round).collect()
    }

    pub(crate) async fn end_round_rows(
        &self,
        task: &TeamTask,
        moves: &[Move],
        status: i32,
        job: Option<&labelhive_domain::job::NewJob>,
    ) -> StoreResult<Option<u64>> {
        use labelhive_domain::team_task::task_status;
        let (_gate, mut tx) = self.begin_write().await?;
        let now = now_ms();
        let moved = sqlx::query(
            "update team_tasks set status = $1, action = $2, overwrite_last_result = $3, \
             update_time = $4 where id = $5 and status = $6",
        )
        .bind(i64::from(status))
        .bind(task.action.map(i64::from))
        .bind(i64::from(task.overwrite_last_result))
        .bind(now)
        .bind(&task.id)
        .bind(i64::from(task_status::ACCEPTING))
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
        if moved == 0 {
            return Ok(None);
        }
        let mut accepted = 0;
        // Each move reads the states before any move ran: `from` states are distinct
        // and no `to` of one move is the `from` of a later one with the same verdict.
        for m in moves {
            let mut q = Sql::new("update team_task_items set state = ");
            q.bind(Param::Int(i64::from(m.to)))
                .push(", synced = 0, update_time = ")
                .bind(Param::Int(now));
            if m.to == item_state::UNCHECK {
                q.push(", check_accept = null, check_comment = '', check_score = ''");
            }
            q.push(" where task_id = ")
                .bind(Param::Text(task.id.clone()))
                .push(" and state = ")
                .bind(Param::Int(i64::from(m.from)));
            if let Some(v) = m.verdict {
                q.push(" and check_accept = ")
                    .bind(Param::Int(i64::from(v)));
            }
            let n = q
                .query()
                .execute(&mut *tx)
                .await
                .map_err(db)?
                .rows_affected();
            if m.to == item_state::ACCEPTED {
                accepted += n;
            }
        }
        if let Some(job) = job {
            insert_job(&mut tx, job, now).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(Some(accepted))
    }

    pub(crate) async fn accepted_unsynced_rows(
        &self,
        task_id: &str,
        after: &str,
        limit: i64,
    ) -> StoreResult<Vec<(String, Vec<TaskItem>)>> {
        let picked = sqlx::query(
            "select sample_id from team_task_items where task_id = $1 and sample_id > $2 \
             group by sample_id having min(state) = $3 and min(synced) = 0 \
             order by sample_id limit $4",
        )
        .bind(task_id)
        .bind(after)
        .bind(i64::from(item_state::ACCEPTED))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let ids: Vec<String> = picked
            .iter()
            .map(|row| row.try_get("sample_id").map_err(db))
            .collect::<StoreResult<_>>()?;
        let items = self.items_of_rows(task_id, &ids).await?;
        let mut out: Vec<(String, Vec<TaskItem>)> =
            ids.into_iter().map(|i| (i, Vec::new())).collect();
        for it in items {
            if let Some(slot) = out.iter_mut().find(|(s, _)| *s == it.sample_id) {
                slot.1.push(it);
            }
        }
        Ok(out)
    }

    pub(crate) async fn mark_synced_rows(
        &self,
        task_id: &str,
        sample_ids: &[String],
    ) -> StoreResult<()> {
        if sample_ids.is_empty() {
            return Ok(());
        }
        let (_gate, mut tx) = self.begin_write().await?;
        let ids: Vec<&str> = sample_ids.iter().map(String::as_str).collect();
        let mut q = Sql::new("update team_task_items set synced = 1 where task_id = ");
        q.bind(Param::Text(task_id.to_owned()));
        push_in(&mut q, " and sample_id", &ids);
        q.query().execute(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)
    }
}
