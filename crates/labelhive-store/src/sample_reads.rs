//! Reading many sample rows at once, as one value on SQLite.
//!
//! sqlx's SQLite driver passes each result row from the connection's thread to the task
//! that asked, one hand-off per row; for a batch of hundreds of samples the hand-offs
//! cost more than reading the rows. On SQLite such a read is therefore wrapped in
//! `json_group_array` and comes back as one JSON document, decoded here. PostgreSQL
//! sends rows over its socket in bulk and keeps the row-wise read.

use labelhive_domain::annotation::{SampleLabel, SampleMetadata};
use labelhive_domain::sample::Sample;
use labelhive_domain::store::StoreResult;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use sqlx::{Any, Executor, Row};

use crate::rows;
use crate::sql::Sql;
use crate::{db, Dialect};

/// One sample as [`SAMPLE_ARRAY`] writes it: its sequence number, then the columns of
/// `SAMPLE_COLUMNS` in order.
#[derive(Deserialize)]
struct SampleArray(
    i64,
    String,
    String,
    String,
    String,
    i64,
    i32,
    String,
    Vec<SampleLabel>,
    SampleMetadata,
    i64,
    i64,
    Option<String>,
);

/// The JSON array of one result row; `labels` and `metadata` are stored JSON texts,
/// embedded as values.
const SAMPLE_ARRAY: &str = "json_array(seq, id, dataset_id, path, name, size, sample_type, \
     status, json(labels), json(metadata), create_time, update_time, sample_usage)";

impl From<SampleArray> for (i64, Sample) {
    fn from(a: SampleArray) -> Self {
        let sample = Sample {
            id: a.1,
            dataset_id: a.2,
            path: a.3,
            name: a.4,
            size: a.5,
            sample_type: a.6,
            status: a.7,
            labels: a.8,
            metadata: a.9,
            create_time: a.10,
            update_time: a.11,
            usage: a.12,
        };
        (a.0, sample)
    }
}

/// Runs `select`, whose result names `seq` and every column of `SAMPLE_COLUMNS`, and
/// returns its samples with their sequence numbers in `seq` order (`dir`: `asc` or
/// `desc`).
pub(crate) async fn fetch<'c, E>(
    conn: E,
    dialect: Dialect,
    select: &Sql,
    dir: &str,
) -> StoreResult<Vec<(i64, Sample)>>
where
    E: Executor<'c, Database = Any>,
{
    match dialect {
        Dialect::Sqlite => {
            let rows: Vec<SampleArray> =
                document(conn, select, SAMPLE_ARRAY, &format!("seq {dir}")).await?;
            Ok(rows.into_iter().map(Into::into).collect())
        }
        Dialect::Postgres => {
            let rows = select.query_on(dialect).fetch_all(conn).await.map_err(db)?;
            rows.iter()
                .map(|r| Ok((r.try_get::<i64, _>("seq").map_err(db)?, rows::sample(r)?)))
                .collect()
        }
    }
}

/// [`fetch`] without the sequence numbers.
pub(crate) async fn samples<'c, E>(
    conn: E,
    dialect: Dialect,
    select: &Sql,
    dir: &str,
) -> StoreResult<Vec<Sample>>
where
    E: Executor<'c, Database = Any>,
{
    let rows = fetch(conn, dialect, select, dir).await?;
    Ok(rows.into_iter().map(|(_, s)| s).collect())
}

/// On SQLite: runs `select` so that its rows come back as one JSON array of `array`
/// (a `json_array(...)` of the select's result columns) in `order`, and decodes it.
pub(crate) async fn document<'c, E, T>(
    conn: E,
    select: &Sql,
    array: &str,
    order: &str,
) -> StoreResult<Vec<T>>
where
    E: Executor<'c, Database = Any>,
    T: DeserializeOwned,
{
    let doc = Sql::around(
        &format!("select json_group_array({array} order by {order}) as doc from ("),
        select,
        ") t",
    );
    let text: String = doc
        .query_on(Dialect::Sqlite)
        .fetch_one(conn)
        .await
        .map_err(db)?
        .try_get("doc")
        .map_err(db)?;
    rows::json(&text, "sample rows")
}
