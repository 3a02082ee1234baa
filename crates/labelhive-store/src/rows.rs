//! Row-to-domain mapping, shared by both backends (all columns decode alike).

use labelhive_domain::dataset::Dataset;
use labelhive_domain::job::{Job, JobStatus};
use labelhive_domain::project::Project;
use labelhive_domain::store::StoreError;
use serde::de::DeserializeOwned;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::db;

/// Columns of `datasets`, in the order [`dataset`] reads them.
pub(crate) const DATASET_COLUMNS: &str = "id, project_id, name, dataset_type, description, \
    data_format, data_sources, work_path, work_path_type, workspace_id, import_data, \
    import_annotations, managed, label_format, schema_fields, workforce_information, status, \
    create_time, update_time, data_update_time, total_sample_count, annotated_sample_count, \
    deleted_sample_count, next_version_num, dataset_version_count, current_version_id, \
    current_version_name, import_task_id";

/// Columns of `jobs`, in the order [`job`] reads them.
pub(crate) const JOB_COLUMNS: &str = "id, project_id, dataset_id, kind, payload, status, attempts, \
    progress_done, progress_total, result, error_code, error_msg, create_time, update_time, finish_time";

pub(crate) fn json<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::other(format!("decoding {what}: {e}")))
}

fn opt_json<T: DeserializeOwned>(
    text: Option<String>,
    what: &str,
) -> Result<Option<T>, StoreError> {
    text.map(|t| json(&t, what)).transpose()
}

/// Encodes a value as JSON text for storage.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(StoreError::other)
}

pub(crate) fn i32_col(row: &AnyRow, col: &str) -> Result<i32, StoreError> {
    let v: i64 = row.try_get(col).map_err(db)?;
    i32::try_from(v).map_err(|e| StoreError::other(format!("column {col}: {e}")))
}

/// Two columns of each row, as pairs (a key and its count, a sample and its labeler).
pub(crate) fn pairs<A, B>(rows: &[AnyRow], a: &str, b: &str) -> Result<Vec<(A, B)>, StoreError>
where
    A: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
    B: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    rows.iter()
        .map(|r| Ok((r.try_get(a).map_err(db)?, r.try_get(b).map_err(db)?)))
        .collect()
}

pub(crate) fn bool_col(row: &AnyRow, col: &str) -> Result<bool, StoreError> {
    let v: i64 = row.try_get(col).map_err(db)?;
    Ok(v != 0)
}

/// A dataset row, without its labels.
pub(crate) fn dataset(row: &AnyRow) -> Result<Dataset, StoreError> {
    let get = |c: &str| -> Result<String, StoreError> { row.try_get(c).map_err(db) };
    let get_opt = |c: &str| -> Result<Option<String>, StoreError> { row.try_get(c).map_err(db) };
    let get_i64 = |c: &str| -> Result<i64, StoreError> { row.try_get(c).map_err(db) };
    Ok(Dataset {
        id: get("id")?,
        project_id: get("project_id")?,
        name: get("name")?,
        dataset_type: i32_col(row, "dataset_type")?,
        description: get("description")?,
        data_format: get("data_format")?,
        data_sources: json(&get("data_sources")?, "data_sources")?,
        work_path: get("work_path")?,
        work_path_type: i32_col(row, "work_path_type")?,
        workspace_id: get("workspace_id")?,
        import_data: bool_col(row, "import_data")?,
        import_annotations: bool_col(row, "import_annotations")?,
        managed: bool_col(row, "managed")?,
        label_format: opt_json(get_opt("label_format")?, "label_format")?,
        schema: json(&get("schema_fields")?, "schema")?,
        workforce_information: opt_json(
            get_opt("workforce_information")?,
            "workforce_information",
        )?,
        status: i32_col(row, "status")?,
        create_time: get_i64("create_time")?,
        update_time: get_i64("update_time")?,
        data_update_time: get_i64("data_update_time")?,
        total_sample_count: get_i64("total_sample_count")?,
        annotated_sample_count: get_i64("annotated_sample_count")?,
        deleted_sample_count: get_i64("deleted_sample_count")?,
        next_version_num: get_i64("next_version_num")?,
        dataset_version_count: get_i64("dataset_version_count")?,
        current_version_id: get_opt("current_version_id")?,
        current_version_name: get_opt("current_version_name")?,
        import_task_id: get_opt("import_task_id")?,
        labels: Vec::new(),
    })
}

/// A job row.
pub(crate) fn job(row: &AnyRow) -> Result<Job, StoreError> {
    let status: String = row.try_get("status").map_err(db)?;
    let payload: String = row.try_get("payload").map_err(db)?;
    Ok(Job {
        id: row.try_get("id").map_err(db)?,
        project_id: row.try_get("project_id").map_err(db)?,
        dataset_id: row.try_get("dataset_id").map_err(db)?,
        kind: row.try_get("kind").map_err(db)?,
        payload: json(&payload, "job payload")?,
        status: JobStatus::parse(&status)
            .ok_or_else(|| StoreError::other(format!("unknown job status {status:?}")))?,
        attempts: row.try_get("attempts").map_err(db)?,
        progress_done: row.try_get("progress_done").map_err(db)?,
        progress_total: row.try_get("progress_total").map_err(db)?,
        result: opt_json(row.try_get("result").map_err(db)?, "job result")?,
        error_code: row.try_get("error_code").map_err(db)?,
        error_msg: row.try_get("error_msg").map_err(db)?,
        create_time: row.try_get("create_time").map_err(db)?,
        update_time: row.try_get("update_time").map_err(db)?,
        finish_time: row.try_get("finish_time").map_err(db)?,
    })
}

/// A project row (`id, name, access_key, create_time`).
pub(crate) fn project(row: &AnyRow) -> Result<Project, StoreError> {
    Ok(Project {
        id: row.try_get("id").map_err(db)?,
        name: row.try_get("name").map_err(db)?,
        access_key: row.try_get("access_key").map_err(db)?,
        create_time: row.try_get("create_time").map_err(db)?,
    })
}

/// Columns of `samples`, in the order [`sample`] reads them.
pub(crate) const SAMPLE_COLUMNS: &str =
    "id, dataset_id, path, name, size, sample_type, status, labels, metadata, create_time, update_time, \
     sample_usage";

/// A sample row.
pub(crate) fn sample(row: &AnyRow) -> Result<labelhive_domain::sample::Sample, StoreError> {
    let labels: String = row.try_get("labels").map_err(db)?;
    let metadata: String = row.try_get("metadata").map_err(db)?;
    Ok(labelhive_domain::sample::Sample {
        id: row.try_get("id").map_err(db)?,
        dataset_id: row.try_get("dataset_id").map_err(db)?,
        path: row.try_get("path").map_err(db)?,
        name: row.try_get("name").map_err(db)?,
        size: row.try_get("size").map_err(db)?,
        sample_type: i32_col(row, "sample_type")?,
        status: row.try_get("status").map_err(db)?,
        labels: json(&labels, "sample labels")?,
        metadata: json(&metadata, "sample metadata")?,
        create_time: row.try_get("create_time").map_err(db)?,
        update_time: row.try_get("update_time").map_err(db)?,
        usage: row.try_get("sample_usage").map_err(db)?,
    })
}
