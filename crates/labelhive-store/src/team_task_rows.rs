//! Team task rows: the columns read, a task row and a member row as domain values,
//! and inserting a new task with its members.

use labelhive_domain::store::{StoreError, StoreResult};
use labelhive_domain::team_task::{TaskMember, TeamTask};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::rows::{bool_col, i32_col};
use crate::{db, on_unique};

/// The task columns every task read selects, qualified with the alias `t`.
pub(crate) const TASK_COLUMNS: &str = "t.id, t.project_id, t.dataset_id, t.name, t.description, \
     t.status, t.repetition, t.auto_sync_dataset, t.synchronize_data, \
     t.synchronize_auto_labeling_data, t.data_sync_type, t.sample_conditions, t.agency, \
     t.checking_task_id, t.action, t.overwrite_last_result, t.create_time, t.update_time";

/// A task row (without its members).
pub(crate) fn task(row: &AnyRow) -> Result<TeamTask, StoreError> {
    let action: Option<i64> = row.try_get("action").map_err(db)?;
    Ok(TeamTask {
        id: row.try_get("id").map_err(db)?,
        project_id: row.try_get("project_id").map_err(db)?,
        dataset_id: row.try_get("dataset_id").map_err(db)?,
        name: row.try_get("name").map_err(db)?,
        description: row.try_get("description").map_err(db)?,
        status: i32_col(row, "status")?,
        repetition: row.try_get("repetition").map_err(db)?,
        auto_sync_dataset: bool_col(row, "auto_sync_dataset")?,
        synchronize_data: bool_col(row, "synchronize_data")?,
        synchronize_auto_labeling_data: bool_col(row, "synchronize_auto_labeling_data")?,
        data_sync_type: row.try_get("data_sync_type").map_err(db)?,
        sample_conditions: row.try_get("sample_conditions").map_err(db)?,
        agency: row.try_get("agency").map_err(db)?,
        checking_task_id: row.try_get("checking_task_id").map_err(db)?,
        action: action.and_then(|a| i32::try_from(a).ok()),
        overwrite_last_result: bool_col(row, "overwrite_last_result")?,
        create_time: row.try_get("create_time").map_err(db)?,
        update_time: row.try_get("update_time").map_err(db)?,
        members: Vec::new(),
    })
}

/// A member row: its task id and the member.
pub(crate) fn member(row: &AnyRow) -> Result<(String, TaskMember), StoreError> {
    Ok((
        row.try_get("task_id").map_err(db)?,
        TaskMember {
            worker_id: row.try_get("worker_id").map_err(db)?,
            workforce_id: row.try_get("workforce_id").map_err(db)?,
            email: row.try_get("email").map_err(db)?,
            role: i32_col(row, "role")?,
            email_status: i32_col(row, "email_status")?,
            last_notify_time: row.try_get("last_notify_time").map_err(db)?,
        },
    ))
}

/// Inserts the members of `t`.
pub(crate) async fn insert_members(tx: &mut Transaction<'_, Any>, t: &TeamTask) -> StoreResult<()> {
    for m in &t.members {
        sqlx::query(
            "insert into team_task_workers (task_id, worker_id, workforce_id, email, role, \
             email_status, last_notify_time) values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&t.id)
        .bind(&m.worker_id)
        .bind(&m.workforce_id)
        .bind(&m.email)
        .bind(i64::from(m.role))
        .bind(i64::from(m.email_status))
        .bind(m.last_notify_time)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    }
    Ok(())
}

/// Inserts a task with its members; a taken name is a `team_tasks_dataset_name` conflict.
pub(crate) async fn insert_team_task(
    tx: &mut Transaction<'_, Any>,
    t: &TeamTask,
) -> StoreResult<()> {
    sqlx::query(&format!(
        "insert into team_tasks ({}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
         $12, $13, $14, $15, $16, $17, $18)",
        TASK_COLUMNS.replace("t.", "")
    ))
    .bind(&t.id)
    .bind(&t.project_id)
    .bind(&t.dataset_id)
    .bind(&t.name)
    .bind(&t.description)
    .bind(i64::from(t.status))
    .bind(t.repetition)
    .bind(i64::from(t.auto_sync_dataset))
    .bind(i64::from(t.synchronize_data))
    .bind(i64::from(t.synchronize_auto_labeling_data))
    .bind(t.data_sync_type)
    .bind(&t.sample_conditions)
    .bind(&t.agency)
    .bind(t.checking_task_id.as_deref())
    .bind(t.action.map(i64::from))
    .bind(i64::from(t.overwrite_last_result))
    .bind(t.create_time)
    .bind(t.update_time)
    .execute(&mut **tx)
    .await
    .map_err(|e| on_unique(e, "team_tasks_dataset_name"))?;
    insert_members(tx, t).await
}
