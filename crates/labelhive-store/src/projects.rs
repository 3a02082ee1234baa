//! Projects and tokens.

use async_trait::async_trait;
use labelhive_domain::project::{Project, TokenGrant};
use labelhive_domain::store::{ProjectStore, StoreResult};
use sqlx::Row;

use crate::{db, on_unique, rows, SqlStore};

const INSERT_PROJECT: &str =
    "insert into projects (id, name, access_key, create_time) values ($1, $2, $3, $4)";

#[async_trait]
impl ProjectStore for SqlStore {
    async fn create_project(&self, p: &Project) -> StoreResult<()> {
        sqlx::query(INSERT_PROJECT)
            .bind(&p.id)
            .bind(&p.name)
            .bind(&p.access_key)
            .bind(p.create_time)
            .execute(&self.pool)
            .await
            .map_err(|e| on_unique(e, "projects_name"))?;
        Ok(())
    }

    async fn create_first_project(&self, p: &Project) -> StoreResult<bool> {
        // One statement, so two replicas starting together cannot both insert.
        let done = sqlx::query(
            "insert into projects (id, name, access_key, create_time) \
             select $1, $2, $3, $4 where not exists (select 1 from projects)",
        )
        .bind(&p.id)
        .bind(&p.name)
        .bind(&p.access_key)
        .bind(p.create_time)
        .execute(&self.pool)
        .await
        .map_err(|e| on_unique(e, "projects_name"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn project_by_access_key(&self, access_key: &str) -> StoreResult<Option<Project>> {
        let row = sqlx::query(
            "select id, name, access_key, create_time from projects where access_key = $1",
        )
        .bind(access_key)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(rows::project).transpose()
    }

    async fn insert_token(&self, token_hash: &str, g: &TokenGrant) -> StoreResult<()> {
        sqlx::query("insert into tokens (token_hash, project_id, worker_id, expires_at) values ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(&g.project_id)
            .bind(g.worker_id.as_deref())
            .bind(g.expires_at)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn token(&self, token_hash: &str) -> StoreResult<Option<TokenGrant>> {
        let row = sqlx::query(
            "select project_id, worker_id, expires_at from tokens where token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|r| {
            Ok(TokenGrant {
                project_id: r.try_get("project_id").map_err(db)?,
                worker_id: r.try_get("worker_id").map_err(db)?,
                expires_at: r.try_get("expires_at").map_err(db)?,
            })
        })
        .transpose()
    }
}
