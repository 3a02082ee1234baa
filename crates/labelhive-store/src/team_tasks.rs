//! Team labeling tasks and their members.
//!
//! Status changes are compare-and-set on the task row (`where status = $expected`), so
//! two requests racing to start, accept or end a task cannot both win.

use async_trait::async_trait;
use labelhive_domain::allocation::Handover;
use labelhive_domain::job::NewJob;
use labelhive_domain::sample::Sample;
use labelhive_domain::search::SampleFilter;
use labelhive_domain::store::{MemberTaskQuery, StoreResult, TeamTaskStore};
use labelhive_domain::team_task::{
    CheckRound, ItemFilter, ItemWrite, Labeler, Move, StateCounts, TaskItem, TaskMember, TeamTask,
};
use labelhive_domain::time::now_ms;

use crate::jobs::insert_job;
use crate::rows::pairs;
use crate::sql::push_in;
use crate::sql::{like_pattern, Param, Sql};
use crate::team_items::hand_over_items;
use crate::team_task_rows::{insert_members, insert_team_task, member, task, TASK_COLUMNS};
use crate::workforces::Order;
use crate::{db, on_unique, SqlStore};

impl SqlStore {
    /// Fills the members of `tasks` with one query.
    async fn with_members(&self, mut tasks: Vec<TeamTask>) -> StoreResult<Vec<TeamTask>> {
        if tasks.is_empty() {
            return Ok(tasks);
        }
        let ids: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
        let mut q = Sql::new(
            "select task_id, worker_id, workforce_id, email, role, email_status, last_notify_time \
             from team_task_workers where ",
        );
        push_in(&mut q, "task_id", &ids);
        q.push(" order by workforce_id, role desc, email");
        let rows = q.query().fetch_all(&self.pool).await.map_err(db)?;
        for row in &rows {
            let (task_id, m) = member(row)?;
            if let Some(t) = tasks.iter_mut().find(|t| t.id == task_id) {
                t.members.push(m);
            }
        }
        Ok(tasks)
    }

    pub(crate) async fn create_team_task_row(&self, t: &TeamTask) -> StoreResult<()> {
        let (_gate, mut tx) = self.begin_write().await?;
        insert_team_task(&mut tx, t).await?;
        tx.commit().await.map_err(db)
    }

    pub(crate) async fn team_task_row(
        &self,
        dataset_id: &str,
        task_id: &str,
    ) -> StoreResult<Option<TeamTask>> {
        let row = sqlx::query(&format!(
            "select {TASK_COLUMNS} from team_tasks t where t.id = $1 and t.dataset_id = $2"
        ))
        .bind(task_id)
        .bind(dataset_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        let Some(row) = row else { return Ok(None) };
        Ok(self.with_members(vec![task(&row)?]).await?.pop())
    }

    pub(crate) async fn list_team_task_rows(
        &self,
        dataset_id: &str,
        offset: i64,
        limit: i64,
    ) -> StoreResult<(Vec<TeamTask>, i64)> {
        let mut filter = Sql::new(" from team_tasks t where t.dataset_id = ");
        filter.bind(Param::Text(dataset_id.to_owned()));
        let order = Order::new("t.create_time", "t.id", false, offset, limit);
        let (tasks, total) = self.page(TASK_COLUMNS, &filter, &order, task).await?;
        Ok((self.with_members(tasks).await?, total))
    }

    pub(crate) async fn member_task_rows(
        &self,
        project_id: &str,
        q: &MemberTaskQuery,
    ) -> StoreResult<(Vec<(TeamTask, TaskMember)>, i64)> {
        let mut filter = Sql::new(
            " from team_task_workers m join team_tasks t on t.id = m.task_id where t.project_id = ",
        );
        filter.bind(Param::Text(project_id.to_owned()));
        if let Some(w) = &q.worker_id {
            filter
                .push(" and m.worker_id = ")
                .bind(Param::Text(w.clone()));
        }
        if let Some(text) = &q.search_content {
            filter
                .push(" and lower(t.name) like ")
                .bind(Param::Text(like_pattern(text)))
                .push(" escape '\\'");
        }
        let key = if q.by_name { "t.name" } else { "t.create_time" };
        let columns = format!(
            "{TASK_COLUMNS}, m.task_id, m.worker_id, m.workforce_id, m.email, m.role, \
             m.email_status, m.last_notify_time"
        );
        // The member's id breaks ties between the rows of one task.
        let order = Order::new(key, "t.id, m.worker_id", q.ascending, q.offset, q.limit);
        self.page(&columns, &filter, &order, |row| {
            Ok((task(row)?, member(row)?.1))
        })
        .await
    }

    pub(crate) async fn save_team_task_row(
        &self,
        t: &TeamTask,
        expect_status: i32,
        job: Option<&NewJob>,
        moves: &[Handover],
    ) -> StoreResult<bool> {
        let (_gate, mut tx) = self.begin_write().await?;
        let done = sqlx::query(
            "update team_tasks set name = $1, description = $2, status = $3, \
             checking_task_id = $4, action = $5, overwrite_last_result = $6, update_time = $7 \
             where id = $8 and status = $9",
        )
        .bind(&t.name)
        .bind(&t.description)
        .bind(i64::from(t.status))
        .bind(t.checking_task_id.as_deref())
        .bind(t.action.map(i64::from))
        .bind(i64::from(t.overwrite_last_result))
        .bind(t.update_time)
        .bind(&t.id)
        .bind(i64::from(expect_status))
        .execute(&mut *tx)
        .await
        .map_err(|e| on_unique(e, "team_tasks_dataset_name"))?
        .rows_affected();
        if done == 0 {
            return Ok(false);
        }
        sqlx::query("delete from team_task_workers where task_id = $1")
            .bind(&t.id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        insert_members(&mut tx, t).await?;
        hand_over_items(&mut tx, &t.id, moves, t.update_time).await?;
        if let Some(job) = job {
            insert_job(&mut tx, job, now_ms()).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    pub(crate) async fn delete_team_task_row(
        &self,
        dataset_id: &str,
        task_id: &str,
    ) -> StoreResult<bool> {
        // Members, items and rounds go with it (foreign keys cascade).
        let n = sqlx::query("delete from team_tasks where id = $1 and dataset_id = $2")
            .bind(task_id)
            .bind(dataset_id)
            .execute(&self.pool)
            .await
            .map_err(db)?
            .rows_affected();
        Ok(n > 0)
    }

    pub(crate) async fn set_team_task_status_row(
        &self,
        task_id: &str,
        from: &[i32],
        to: i32,
    ) -> StoreResult<bool> {
        let (_gate, mut tx) = self.begin_write().await?;
        let mut q = Sql::new("update team_tasks set status = ");
        q.bind(Param::Int(i64::from(to)))
            .push(", update_time = ")
            .bind(Param::Int(now_ms()))
            .push(" where id = ")
            .bind(Param::Text(task_id.to_owned()))
            .push(" and status in (");
        for (i, s) in from.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.bind(Param::Int(i64::from(*s)));
        }
        q.push(")");
        let n = q
            .query()
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        tx.commit().await.map_err(db)?;
        Ok(n > 0)
    }
}

#[async_trait]
impl TeamTaskStore for SqlStore {
    async fn create_team_task(&self, task: &TeamTask) -> StoreResult<()> {
        self.create_team_task_row(task).await
    }

    async fn team_task(&self, dataset_id: &str, task_id: &str) -> StoreResult<Option<TeamTask>> {
        self.team_task_row(dataset_id, task_id).await
    }

    async fn project_team_task(
        &self,
        project_id: &str,
        task_id: &str,
    ) -> StoreResult<Option<TeamTask>> {
        let row = sqlx::query(&format!(
            "select {TASK_COLUMNS} from team_tasks t where t.id = $1 and t.project_id = $2"
        ))
        .bind(task_id)
        .bind(project_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        let Some(row) = row else { return Ok(None) };
        Ok(self.with_members(vec![task(&row)?]).await?.pop())
    }

    async fn list_team_tasks(
        &self,
        dataset_id: &str,
        offset: i64,
        limit: i64,
    ) -> StoreResult<(Vec<TeamTask>, i64)> {
        self.list_team_task_rows(dataset_id, offset, limit).await
    }

    async fn team_task_counts(&self, dataset_ids: &[String]) -> StoreResult<Vec<(String, i64)>> {
        if dataset_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = dataset_ids.iter().map(String::as_str).collect();
        let mut q = Sql::new("select dataset_id, count(*) as n from team_tasks where ");
        push_in(&mut q, "dataset_id", &ids);
        q.push(" group by dataset_id");
        let rows = q.query().fetch_all(&self.pool).await.map_err(db)?;
        pairs(&rows, "dataset_id", "n")
    }

    async fn synchronizing_tasks(&self, dataset_id: &str) -> StoreResult<Vec<TeamTask>> {
        use labelhive_domain::team_task::task_status as s;
        let rows = sqlx::query(&format!(
            "select {TASK_COLUMNS} from team_tasks t where t.dataset_id = $1 \
             and t.synchronize_data = 1 and t.status in ($2, $3, $4, $5)"
        ))
        .bind(dataset_id)
        .bind(i64::from(s::RUNNING))
        .bind(i64::from(s::REJECTED))
        .bind(i64::from(s::ACCEPTING))
        .bind(i64::from(s::ACCEPTED))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let tasks = rows.iter().map(task).collect::<StoreResult<Vec<_>>>()?;
        self.with_members(tasks).await
    }

    async fn member_tasks(
        &self,
        project_id: &str,
        q: &MemberTaskQuery,
    ) -> StoreResult<(Vec<(TeamTask, TaskMember)>, i64)> {
        self.member_task_rows(project_id, q).await
    }

    async fn save_team_task(
        &self,
        task: &TeamTask,
        expect_status: i32,
        job: Option<&NewJob>,
        moves: &[Handover],
    ) -> StoreResult<bool> {
        self.save_team_task_row(task, expect_status, job, moves)
            .await
    }

    async fn delete_team_task(&self, dataset_id: &str, task_id: &str) -> StoreResult<bool> {
        self.delete_team_task_row(dataset_id, task_id).await
    }

    async fn allocate_items(
        &self,
        task_id: &str,
        pairs: &[(String, String)],
        now: i64,
    ) -> StoreResult<u64> {
        self.allocate_item_rows(task_id, pairs, now).await
    }

    async fn item_loads(&self, task_id: &str) -> StoreResult<Vec<(String, i64)>> {
        self.item_load_rows(task_id).await
    }

    async fn unfinished_items(
        &self,
        task_id: &str,
        worker_ids: &[String],
    ) -> StoreResult<Vec<(String, String)>> {
        self.unfinished_item_rows(task_id, worker_ids).await
    }

    async fn allocated(&self, task_id: &str, sample_ids: &[String]) -> StoreResult<Vec<String>> {
        self.allocated_rows(task_id, sample_ids).await
    }

    async fn list_items(
        &self,
        task: &TeamTask,
        f: &ItemFilter,
        samples: &SampleFilter,
        offset: i64,
        limit: i64,
    ) -> StoreResult<(Vec<(TaskItem, Sample)>, i64)> {
        self.list_item_rows(task, f, samples, offset, limit).await
    }

    async fn sample_labelers(
        &self,
        dataset_id: &str,
        sample_ids: &[String],
    ) -> StoreResult<Vec<Labeler>> {
        self.sample_labeler_rows(dataset_id, sample_ids).await
    }

    async fn dataset_labelers(&self, dataset_id: &str) -> StoreResult<Vec<String>> {
        self.dataset_labeler_rows(dataset_id).await
    }

    async fn items_of(&self, task_id: &str, sample_ids: &[String]) -> StoreResult<Vec<TaskItem>> {
        self.items_of_rows(task_id, sample_ids).await
    }

    async fn write_items(
        &self,
        task_id: &str,
        writes: &[ItemWrite],
        round: Option<&str>,
    ) -> StoreResult<Vec<bool>> {
        // Concurrent labelers' submissions share transactions (and fsyncs).
        let store = self.clone();
        crate::combine::combined(
            self.item_combiner.clone(),
            task_id,
            writes,
            round.map(str::to_owned),
            move |task_id, all, round| async move {
                store
                    .write_item_rows(&task_id, &all, round.as_deref())
                    .await
            },
        )
        .await
    }

    async fn item_counts(&self, task_id: &str) -> StoreResult<Vec<(String, i32, i64)>> {
        self.item_count_rows(task_id).await
    }

    async fn sample_counts(&self, task: &TeamTask) -> StoreResult<StateCounts> {
        self.sample_count_rows(task).await
    }

    async fn open_round(
        &self,
        task_id: &str,
        expect_status: i32,
        round: &CheckRound,
        size: i64,
    ) -> StoreResult<Option<i64>> {
        self.open_round_rows(task_id, expect_status, round, size)
            .await
    }

    async fn rounds(&self, task_id: &str) -> StoreResult<Vec<CheckRound>> {
        self.round_rows(task_id).await
    }

    async fn end_round(
        &self,
        task: &TeamTask,
        moves: &[Move],
        status: i32,
        job: Option<&NewJob>,
    ) -> StoreResult<Option<u64>> {
        self.end_round_rows(task, moves, status, job).await
    }

    async fn accepted_unsynced(
        &self,
        task_id: &str,
        after: &str,
        limit: i64,
    ) -> StoreResult<Vec<(String, Vec<TaskItem>)>> {
        self.accepted_unsynced_rows(task_id, after, limit).await
    }

    async fn mark_synced(&self, task_id: &str, sample_ids: &[String]) -> StoreResult<()> {
        self.mark_synced_rows(task_id, sample_ids).await
    }

    async fn set_team_task_status(
        &self,
        task_id: &str,
        from: &[i32],
        to: i32,
    ) -> StoreResult<bool> {
        self.set_team_task_status_row(task_id, from, to).await
    }
}
