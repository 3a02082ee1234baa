//! Reading many rows at once, as one JSON value.
//!
//! sqlx's SQLite driver passes each result row from the connection's thread to the task
//! that asked, one hand-off per row, and its `Any` rows cost an allocation per column on
//! either backend; for a batch of hundreds of samples that costs more than reading the
//! rows. Such a read is therefore wrapped in an aggregate (`json_group_array` on SQLite,
//! `json_agg` on PostgreSQL) and comes back as one JSON document, decoded here.

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

/// The columns of one [`SampleArray`]; `labels` and `metadata` are stored JSON texts,
/// embedded as values.
const SAMPLE_ARRAY: &[Col] = &[
    Col::Value("seq"),
    Col::Value("id"),
    Col::Value("dataset_id"),
    Col::Value("path"),
    Col::Value("name"),
    Col::Value("size"),
    Col::Value("sample_type"),
    Col::Value("status"),
    Col::Json("labels"),
    Col::Json("metadata"),
    Col::Value("create_time"),
    Col::Value("update_time"),
    Col::Value("sample_usage"),
];

/// A column of a row read as a JSON array.
pub(crate) enum Col {
    /// A plain value.
    Value(&'static str),
    /// A stored JSON text, embedded as JSON.
    Json(&'static str),
}

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
    let rows: Vec<SampleArray> =
        document(conn, dialect, select, SAMPLE_ARRAY, &format!("seq {dir}")).await?;
    Ok(rows.into_iter().map(Into::into).collect())
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

/// Runs `select` so that its rows come back as one JSON array of arrays of `cols` (the
/// select's result columns) in `order`, and decodes it.
pub(crate) async fn document<'c, E, T>(
    conn: E,
    dialect: Dialect,
    select: &Sql,
    cols: &[Col],
    order: &str,
) -> StoreResult<Vec<T>>
where
    E: Executor<'c, Database = Any>,
    T: DeserializeOwned,
{
    let head = format!("select {} as doc from (", aggregate(dialect, cols, order));
    let text: String = Sql::around(&head, select, ") t")
        .query_on(dialect)
        .fetch_one(conn)
        .await
        .map_err(db)?
        .try_get("doc")
        .map_err(db)?;
    rows::json(&text, "rows")
}

/// An aggregate of the rows in scope into one JSON text: an array of arrays of `cols`
/// in `order`, `[]` when there are none.
pub(crate) fn aggregate(dialect: Dialect, cols: &[Col], order: &str) -> String {
    let array = row(dialect, cols);
    match dialect {
        Dialect::Sqlite => format!("json_group_array(json_array({array}) order by {order})"),
        Dialect::Postgres => {
            format!("coalesce(json_agg(json_build_array({array}) order by {order}), '[]')::text")
        }
    }
}

/// The arguments of a row's JSON array.
fn row(dialect: Dialect, cols: &[Col]) -> String {
    let each = cols.iter().map(|c| match (c, dialect) {
        (Col::Value(name), _) => (*name).to_owned(),
        (Col::Json(name), Dialect::Sqlite) => format!("json({name})"),
        (Col::Json(name), Dialect::Postgres) => format!("{name}::json"),
    });
    each.collect::<Vec<_>>().join(", ")
}
