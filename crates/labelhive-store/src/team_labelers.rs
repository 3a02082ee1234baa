//! Who works on a dataset's samples in its team tasks: the sample list's `labelers`
//! and the search condition's labeler list.

use labelhive_domain::store::StoreResult;
use labelhive_domain::team_task::Labeler;
use sqlx::Row;

use crate::rows::i32_col;
use crate::sql::push_in;
use crate::sql::{Param, Sql};
use crate::{db, SqlStore};

impl SqlStore {
    pub(crate) async fn sample_labeler_rows(
        &self,
        dataset_id: &str,
        sample_ids: &[String],
    ) -> StoreResult<Vec<Labeler>> {
        let mut out = Vec::new();
        if sample_ids.is_empty() {
            return Ok(out);
        }
        // Planning the join for a page of ids costs PostgreSQL more than this probe,
        // and most datasets have no team task.
        let has_tasks =
            sqlx::query("select 1 as one from team_tasks where dataset_id = $1 limit 1")
                .bind(dataset_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?
                .is_some();
        if !has_tasks {
            return Ok(out);
        }
        let ids: Vec<&str> = sample_ids.iter().map(String::as_str).collect();
        for chunk in ids.chunks(500) {
            let mut q = Sql::new(
                "select distinct i.sample_id, i.worker_id, w.email, w.role, w.workforce_id \
                 from team_tasks t join team_task_items i on i.task_id = t.id \
                 join team_task_workers w on w.task_id = i.task_id and w.worker_id = i.worker_id \
                 where t.dataset_id = ",
            );
            q.bind(Param::Text(dataset_id.to_owned()));
            push_in(&mut q, " and i.sample_id", chunk);
            q.push(" order by i.sample_id, w.email, w.workforce_id");
            for row in q.query().fetch_all(&self.pool).await.map_err(db)? {
                out.push(Labeler {
                    sample_id: row.try_get("sample_id").map_err(db)?,
                    worker_id: row.try_get("worker_id").map_err(db)?,
                    email: row.try_get("email").map_err(db)?,
                    role: i32_col(&row, "role")?,
                    workforce_id: row.try_get("workforce_id").map_err(db)?,
                });
            }
        }
        // A member in two teams of one task is one labeler of the sample.
        out.dedup_by(|a, b| a.sample_id == b.sample_id && a.worker_id == b.worker_id);
        Ok(out)
    }

    pub(crate) async fn dataset_labeler_rows(&self, dataset_id: &str) -> StoreResult<Vec<String>> {
        // Per task member, the item index on (task, worker) read up to their first
        // labeled item, not a scan of all the dataset's items.
        let rows = sqlx::query(
            "select distinct w.email from team_tasks t \
             join team_task_workers w on w.task_id = t.id \
             where t.dataset_id = $1 and exists (select 1 from team_task_items i \
               where i.task_id = w.task_id and i.worker_id = w.worker_id and i.labeled_time > 0) \
             order by w.email",
        )
        .bind(dataset_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| r.try_get("email").map_err(db))
            .collect()
    }
}
