//! Labeling teams and members.
//!
//! Member changes lock their team's row first (`for update` on PostgreSQL; SQLite has
//! one writer), so the checks made inside the transaction (email not yet in the team,
//! at most one manager) hold against concurrent requests.

use async_trait::async_trait;
use labelhive_domain::store::{StoreError, StoreResult, WorkforceStore};
use labelhive_domain::workforce::{
    role, Worker, WorkerQuery, WorkerSort, Workforce, WorkforceFields, WorkforceQuery,
    WorkforceSort,
};
use labelhive_domain::DomainError;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::sql::push_in;
use crate::sql::{like_pattern, Param, Sql};
use crate::{db, on_unique, Dialect, SqlStore};

const WORKFORCE_COLUMNS: &str = "w.id, w.project_id, w.name, w.description, w.workspace_id, \
     w.create_time, w.update_time, \
     (select count(*) from workers m where m.workforce_id = w.id) as worker_count";

const WORKER_COLUMNS: &str =
    "worker_id, workforce_id, email, role, description, status, create_time, update_time";

fn workforce(row: &AnyRow) -> Result<Workforce, StoreError> {
    Ok(Workforce {
        id: row.try_get("id").map_err(db)?,
        project_id: row.try_get("project_id").map_err(db)?,
        name: row.try_get("name").map_err(db)?,
        description: row.try_get("description").map_err(db)?,
        workspace_id: row.try_get("workspace_id").map_err(db)?,
        worker_count: row.try_get("worker_count").map_err(db)?,
        create_time: row.try_get("create_time").map_err(db)?,
        update_time: row.try_get("update_time").map_err(db)?,
    })
}

fn worker(row: &AnyRow) -> Result<Worker, StoreError> {
    let small = |k: &str| -> Result<i32, StoreError> {
        let v: i64 = row.try_get(k).map_err(db)?;
        i32::try_from(v).map_err(StoreError::other)
    };
    Ok(Worker {
        worker_id: row.try_get("worker_id").map_err(db)?,
        workforce_id: row.try_get("workforce_id").map_err(db)?,
        email: row.try_get("email").map_err(db)?,
        role: small("role")?,
        description: row.try_get("description").map_err(db)?,
        status: small("status")?,
        create_time: row.try_get("create_time").map_err(db)?,
        update_time: row.try_get("update_time").map_err(db)?,
    })
}

/// The order and window of a list page.
pub(crate) struct Order<'a> {
    key: &'a str,
    tie: &'a str,
    ascending: bool,
    offset: i64,
    limit: i64,
}

impl<'a> Order<'a> {
    pub(crate) fn new(
        key: &'a str,
        tie: &'a str,
        ascending: bool,
        offset: i64,
        limit: i64,
    ) -> Self {
        Self {
            key,
            tie,
            ascending,
            offset,
            limit,
        }
    }
}

impl SqlStore {
    /// A page of `columns` over `filter` (a `from ... where ...` clause) and the total.
    pub(crate) async fn page<T>(
        &self,
        columns: &str,
        filter: &Sql,
        o: &Order<'_>,
        read: fn(&AnyRow) -> Result<T, StoreError>,
    ) -> StoreResult<(Vec<T>, i64)> {
        let total = Sql::count(filter, &self.pool).await?;
        let dir = if o.ascending { "asc" } else { "desc" };
        let mut page = Sql::with_filter(&format!("select {columns}"), filter);
        page.push(&format!(
            " order by {} {dir}, {} {dir} limit ",
            o.key, o.tie
        ))
        .bind(Param::Int(o.limit))
        .push(" offset ")
        .bind(Param::Int(o.offset.saturating_mul(o.limit)));
        let rows = page.query().fetch_all(&self.pool).await.map_err(db)?;
        let items = rows.iter().map(read).collect::<StoreResult<_>>()?;
        Ok((items, total))
    }

    /// Locks the team's row for the transaction; false when the project has no such team.
    async fn lock_workforce(
        &self,
        tx: &mut Transaction<'static, Any>,
        project_id: &str,
        workforce_id: &str,
    ) -> StoreResult<bool> {
        let lock = match self.dialect {
            Dialect::Postgres => " for update",
            Dialect::Sqlite => "",
        };
        let row = sqlx::query(&format!(
            "select id from workforces where id = $1 and project_id = $2{lock}"
        ))
        .bind(workforce_id)
        .bind(project_id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
        Ok(row.is_some())
    }

    /// The team's manager other than `except`, if any.
    async fn other_manager(
        tx: &mut Transaction<'static, Any>,
        workforce_id: &str,
        except: &str,
    ) -> StoreResult<Option<String>> {
        let row = sqlx::query(
            "select email from workers where workforce_id = $1 and role = $2 and worker_id <> $3",
        )
        .bind(workforce_id)
        .bind(i64::from(role::MANAGER))
        .bind(except)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
        row.map(|r| r.try_get("email").map_err(db)).transpose()
    }

    async fn touch_workforce(
        tx: &mut Transaction<'static, Any>,
        workforce_id: &str,
        now: i64,
    ) -> StoreResult<()> {
        sqlx::query("update workforces set update_time = $1 where id = $2")
            .bind(now)
            .bind(workforce_id)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        Ok(())
    }
}

#[async_trait]
impl WorkforceStore for SqlStore {
    async fn create_workforce(&self, w: &Workforce) -> StoreResult<()> {
        sqlx::query(
            "insert into workforces (id, project_id, name, description, workspace_id, \
             create_time, update_time) values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&w.id)
        .bind(&w.project_id)
        .bind(&w.name)
        .bind(&w.description)
        .bind(&w.workspace_id)
        .bind(w.create_time)
        .bind(w.update_time)
        .execute(&self.pool)
        .await
        .map_err(|e| on_unique(e, "workforces_project_name"))?;
        Ok(())
    }

    async fn workforce(
        &self,
        project_id: &str,
        workforce_id: &str,
    ) -> StoreResult<Option<Workforce>> {
        let row = sqlx::query(&format!(
            "select {WORKFORCE_COLUMNS} from workforces w where w.id = $1 and w.project_id = $2"
        ))
        .bind(workforce_id)
        .bind(project_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(workforce).transpose()
    }

    async fn list_workforces(
        &self,
        project_id: &str,
        q: &WorkforceQuery,
    ) -> StoreResult<(Vec<Workforce>, i64)> {
        let mut filter = Sql::new(" from workforces w where w.project_id = ");
        filter.bind(Param::Text(project_id.to_owned()));
        if let Some(ids) = &q.ids {
            if ids.is_empty() {
                filter.push(" and 1 = 0");
            } else {
                let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                push_in(&mut filter, " and w.id", &ids);
            }
        }
        if let Some(text) = &q.search_content {
            let pattern = like_pattern(text);
            filter
                .push(" and (lower(w.name) like ")
                .bind(Param::Text(pattern.clone()))
                .push(" escape '\\' or lower(w.description) like ")
                .bind(Param::Text(pattern))
                .push(" escape '\\')");
        }
        let key = match q.sort_by {
            WorkforceSort::CreateTime => "w.create_time",
            WorkforceSort::Name => "w.name",
        };
        let order = Order::new(key, "w.id", q.ascending, q.offset, q.limit);
        self.page(WORKFORCE_COLUMNS, &filter, &order, workforce)
            .await
    }

    async fn update_workforce(
        &self,
        project_id: &str,
        workforce_id: &str,
        fields: &WorkforceFields,
        now: i64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "update workforces set name = coalesce($1, name), \
             description = coalesce($2, description), update_time = $3 \
             where id = $4 and project_id = $5",
        )
        .bind(fields.name.as_deref())
        .bind(fields.description.as_deref())
        .bind(now)
        .bind(workforce_id)
        .bind(project_id)
        .execute(&self.pool)
        .await
        .map_err(|e| on_unique(e, "workforces_project_name"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_workforce(&self, project_id: &str, workforce_id: &str) -> StoreResult<bool> {
        let (_gate, mut tx) = self.begin_write().await?;
        if !self
            .lock_workforce(&mut tx, project_id, workforce_id)
            .await?
        {
            return Ok(false);
        }
        sqlx::query("delete from workers where workforce_id = $1")
            .bind(workforce_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query("delete from workforces where id = $1")
            .bind(workforce_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn add_workers(
        &self,
        project_id: &str,
        workforce_id: &str,
        workers: &[Worker],
    ) -> StoreResult<()> {
        let (_gate, mut tx) = self.begin_write().await?;
        if !self
            .lock_workforce(&mut tx, project_id, workforce_id)
            .await?
        {
            return Err(DomainError::WorkforceNotFound(workforce_id.to_owned()).into());
        }
        let mut ids = Sql::new("select email from workers where workforce_id = ");
        ids.bind(Param::Text(workforce_id.to_owned())).push(" and ");
        let new_ids: Vec<&str> = workers.iter().map(|w| w.worker_id.as_str()).collect();
        push_in(&mut ids, "worker_id", &new_ids);
        if let Some(row) = ids.query().fetch_optional(&mut *tx).await.map_err(db)? {
            let email: String = row.try_get("email").map_err(db)?;
            return Err(DomainError::WorkerExists(email).into());
        }
        if let Some(new) = workers.iter().find(|w| w.role == role::MANAGER) {
            if let Some(m) = Self::other_manager(&mut tx, workforce_id, "").await? {
                return Err(DomainError::OneManager(format!(
                    "{m} already manages the team; {} cannot be added as manager",
                    new.email
                ))
                .into());
            }
        }
        let mut insert = Sql::new(
            "insert into workers (workforce_id, worker_id, project_id, email, role, \
             description, status, create_time, update_time) values ",
        );
        for (i, w) in workers.iter().enumerate() {
            insert.push(if i == 0 { "(" } else { ", (" });
            insert
                .bind(Param::Text(workforce_id.to_owned()))
                .push(", ")
                .bind(Param::Text(w.worker_id.clone()))
                .push(", ")
                .bind(Param::Text(project_id.to_owned()))
                .push(", ")
                .bind(Param::Text(w.email.clone()))
                .push(", ")
                .bind(Param::Int(i64::from(w.role)))
                .push(", ")
                .bind(Param::Text(w.description.clone()))
                .push(", ")
                .bind(Param::Int(i64::from(w.status)))
                .push(", ")
                .bind(Param::Int(w.create_time))
                .push(", ")
                .bind(Param::Int(w.update_time))
                .push(")");
        }
        insert.query().execute(&mut *tx).await.map_err(db)?;
        let now = workers.first().map_or(0, |w| w.create_time);
        Self::touch_workforce(&mut tx, workforce_id, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn worker(
        &self,
        project_id: &str,
        workforce_id: &str,
        worker_id: &str,
    ) -> StoreResult<Option<Worker>> {
        let row = sqlx::query(&format!(
            "select {WORKER_COLUMNS} from workers \
             where workforce_id = $1 and worker_id = $2 and project_id = $3"
        ))
        .bind(workforce_id)
        .bind(worker_id)
        .bind(project_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(worker).transpose()
    }

    async fn list_workers(
        &self,
        project_id: &str,
        q: &WorkerQuery,
    ) -> StoreResult<(Vec<Worker>, i64)> {
        let mut filter = Sql::new(" from workers where project_id = ");
        filter.bind(Param::Text(project_id.to_owned()));
        if let Some(team) = &q.workforce_id {
            filter
                .push(" and workforce_id = ")
                .bind(Param::Text(team.clone()));
        }
        if let Some(r) = q.role {
            filter.push(" and role = ").bind(Param::Int(i64::from(r)));
        }
        let key = match q.sort_by {
            WorkerSort::CreateTime => "create_time",
            WorkerSort::Email => "email",
        };
        let order = Order::new(key, "worker_id", q.ascending, q.offset, q.limit);
        self.page(WORKER_COLUMNS, &filter, &order, worker).await
    }

    async fn update_worker(
        &self,
        project_id: &str,
        workforce_id: &str,
        worker_id: &str,
        new_role: Option<i32>,
        description: Option<&str>,
        now: i64,
    ) -> StoreResult<bool> {
        let (_gate, mut tx) = self.begin_write().await?;
        if !self
            .lock_workforce(&mut tx, project_id, workforce_id)
            .await?
        {
            return Err(DomainError::WorkforceNotFound(workforce_id.to_owned()).into());
        }
        if new_role == Some(role::MANAGER) {
            if let Some(m) = Self::other_manager(&mut tx, workforce_id, worker_id).await? {
                return Err(
                    DomainError::OneManager(format!("{m} already manages the team")).into(),
                );
            }
        }
        let done = sqlx::query(
            "update workers set role = coalesce($1, role), \
             description = coalesce($2, description), update_time = $3 \
             where workforce_id = $4 and worker_id = $5",
        )
        .bind(new_role.map(i64::from))
        .bind(description)
        .bind(now)
        .bind(workforce_id)
        .bind(worker_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn delete_workers(
        &self,
        project_id: &str,
        workforce_id: &str,
        worker_ids: &[String],
    ) -> StoreResult<Vec<bool>> {
        let (_gate, mut tx) = self.begin_write().await?;
        if !self
            .lock_workforce(&mut tx, project_id, workforce_id)
            .await?
        {
            return Err(DomainError::WorkforceNotFound(workforce_id.to_owned()).into());
        }
        // Which of the ids are members, then one delete of those.
        let mut present = Sql::new("select worker_id from workers where workforce_id = ");
        present
            .bind(Param::Text(workforce_id.to_owned()))
            .push(" and ");
        let asked: Vec<&str> = worker_ids.iter().map(String::as_str).collect();
        push_in(&mut present, "worker_id", &asked);
        let rows = present.query().fetch_all(&mut *tx).await.map_err(db)?;
        let members: std::collections::HashSet<String> = rows
            .iter()
            .map(|r| r.try_get("worker_id").map_err(db))
            .collect::<StoreResult<_>>()?;
        if !members.is_empty() {
            let mut delete = Sql::new("delete from workers where workforce_id = ");
            delete
                .bind(Param::Text(workforce_id.to_owned()))
                .push(" and ");
            let ids: Vec<&str> = members.iter().map(String::as_str).collect();
            push_in(&mut delete, "worker_id", &ids);
            delete.query().execute(&mut *tx).await.map_err(db)?;
        }
        let out: Vec<bool> = worker_ids.iter().map(|id| members.contains(id)).collect();
        if out.iter().any(|d| *d) {
            Self::touch_workforce(&mut tx, workforce_id, labelhive_domain::time::now_ms()).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(out)
    }
}
