//! Reading samples: one, several, pages of a listing, and the counters behind statistics.
//!
//! A listing with no filter, one `sample_state` or one `label_name` is paged through the
//! `sample_pages` bucket counters: its cost does not grow with the page's depth. Any
//! other filter falls back to `LIMIT .. OFFSET ..` over the filtered rows.

use labelhive_domain::sample::{LabelCount, Sample, SamplePage};
use labelhive_domain::search::SampleFilter;
use labelhive_domain::store::StoreResult;
use sqlx::{AnyPool, Row};

use crate::counters::{label_scope, state_scope, BUCKET};
use crate::filters::push_filter;
use crate::rows::{self, SAMPLE_COLUMNS};
use crate::sample_reads::Col;
use crate::sql::push_in;
use crate::sql::{Param, Sql};
use crate::{db, sample_reads, Dialect};

/// `SAMPLE_COLUMNS` qualified with the alias `s`.
fn columns() -> String {
    SAMPLE_COLUMNS
        .split(", ")
        .map(|c| format!("s.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One sample.
pub(crate) async fn sample(
    pool: &AnyPool,
    dataset_id: &str,
    sample_id: &str,
) -> StoreResult<Option<Sample>> {
    let row = sqlx::query(&format!(
        "select {SAMPLE_COLUMNS} from samples where dataset_id = $1 and id = $2"
    ))
    .bind(dataset_id)
    .bind(sample_id)
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    row.as_ref().map(rows::sample).transpose()
}

/// Those of `ids` that exist, in no particular order.
pub(crate) async fn samples_by_id(
    pool: &AnyPool,
    dialect: Dialect,
    dataset_id: &str,
    ids: &[String],
) -> StoreResult<Vec<Sample>> {
    let mut out = Vec::with_capacity(ids.len());
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    for chunk in refs.chunks(500) {
        let mut sql = Sql::new(&format!(
            "select seq, {SAMPLE_COLUMNS} from samples where dataset_id = "
        ));
        sql.bind(Param::Text(dataset_id.to_owned()));
        push_in(&mut sql, " and id", chunk);
        out.extend(sample_reads::samples(pool, dialect, &sql, "asc").await?);
    }
    Ok(out)
}

/// The bucket-counted scope a filter amounts to, if it is that simple.
fn scope_of(q: &SampleFilter) -> Option<String> {
    if q.label_type.is_some()
        || q.score.is_some()
        || q.sample_type.is_some()
        || !q.conditions.is_empty()
        || !q.any_of.is_empty()
        || !q.ids.is_empty()
        || q.items.is_some()
    {
        return None;
    }
    match (&q.states, &q.label_name) {
        (None, None) => Some(String::new()),
        (Some(s), None) => Some(state_scope(s.as_str())),
        (None, Some(name)) => Some(label_scope(name)),
        (Some(_), Some(_)) => None,
    }
}

/// A page of samples and the number matching.
pub(crate) async fn list(
    pool: &AnyPool,
    dialect: Dialect,
    dataset_id: &str,
    q: &SampleFilter,
    page: SamplePage,
) -> StoreResult<(Vec<Sample>, i64)> {
    match scope_of(q) {
        Some(scope) => list_scope(pool, dialect, dataset_id, &scope, page).await,
        None => list_filtered(pool, dialect, dataset_id, q, page).await,
    }
}

/// Pages a scope: the running sum of the bucket counters gives the buckets the page
/// overlaps, then one index range read covers exactly those buckets. The range is
/// bounded on both sides so that no planner (PostgreSQL without statistics, say) can
/// turn it into a scan and sort of the whole dataset.
async fn list_scope(
    pool: &AnyPool,
    dialect: Dialect,
    dataset_id: &str,
    scope: &str,
    page: SamplePage,
) -> StoreResult<(Vec<Sample>, i64)> {
    let dir = if page.ascending { "asc" } else { "desc" };
    let skip = page.offset.saturating_mul(page.limit);
    let (window, total) =
        page_window(pool, dialect, dataset_id, scope, dir, skip, page.limit).await?;
    let Some(Window {
        first: first_bucket,
        last: last_bucket,
        before,
    }) = window
    else {
        return Ok((Vec::new(), total));
    };
    let (low, high) = (
        first_bucket.min(last_bucket) * BUCKET,
        (first_bucket.max(last_bucket) + 1) * BUCKET,
    );
    let cols = columns();
    let mut sql = match scope.split_once(':') {
        Some(("l", name)) => {
            let mut sql = Sql::new(&format!(
                "select s.seq as seq, {cols} from sample_labels l join samples s on s.dataset_id = l.dataset_id \
                 and s.seq = l.seq where l.dataset_id = "
            ));
            sql.bind(Param::Text(dataset_id.to_owned()));
            sql.push(" and l.label_name = ")
                .bind(Param::Text(name.to_owned()));
            sql.push(" and l.seq >= ").bind(Param::Int(low));
            sql.push(" and l.seq < ").bind(Param::Int(high));
            sql.push(&format!(" order by l.seq {dir}"));
            sql
        }
        other => {
            let mut sql = Sql::new(&format!(
                "select s.seq as seq, {cols} from samples s where s.dataset_id = "
            ));
            sql.bind(Param::Text(dataset_id.to_owned()));
            if let Some(("s", state)) = other {
                sql.push(" and s.status = ")
                    .bind(Param::Text(state.to_owned()));
            }
            sql.push(" and s.seq >= ").bind(Param::Int(low));
            sql.push(" and s.seq < ").bind(Param::Int(high));
            sql.push(&format!(" order by s.seq {dir}"));
            sql
        }
    };
    sql.push(" limit ").bind(Param::Int(page.limit));
    sql.push(" offset ").bind(Param::Int(skip - before));
    let samples = sample_reads::samples(pool, dialect, &sql, dir).await?;
    Ok((samples, total))
}

/// Where a page falls among its scope's buckets (in the page's direction).
struct Window {
    /// The first bucket the page overlaps.
    first: i64,
    /// The last bucket the page overlaps.
    last: i64,
    /// How many of the scope's samples come before the first bucket.
    before: i64,
}

/// The buckets that the page of `limit` samples after `skip` overlaps, and the scope's
/// total: a bucket overlaps when the running count through it passes `skip` and the
/// count before it is short of `skip + limit`.
async fn page_window(
    pool: &AnyPool,
    dialect: Dialect,
    dataset_id: &str,
    scope: &str,
    dir: &str,
    skip: i64,
    limit: i64,
) -> StoreResult<(Option<Window>, i64)> {
    let end = skip.saturating_add(limit);
    // All of the scope's counters as one value, summed here: SQLite evaluates a running
    // sum (`sum(n) over (order by bucket)`) through a temporary table, which at a
    // million samples (977 buckets) cost more than the page read itself, and the
    // window query cost PostgreSQL more than this read too.
    let mut sql = Sql::new("select bucket, n from sample_pages where dataset_id = ");
    sql.bind(Param::Text(dataset_id.to_owned()))
        .push(" and scope = ")
        .bind(Param::Text(scope.to_owned()));
    let cols = [Col::Value("bucket"), Col::Value("n")];
    let buckets: Vec<(i64, i64)> =
        sample_reads::document(pool, dialect, &sql, &cols, &format!("bucket {dir}")).await?;
    let total = buckets.iter().map(|(_, n)| n).sum();
    let mut window: Option<Window> = None;
    let mut cum = 0;
    for (bucket, n) in buckets {
        cum += n;
        if cum > skip && cum - n < end {
            match &mut window {
                Some(w) => w.last = bucket,
                None => {
                    window = Some(Window {
                        first: bucket,
                        last: bucket,
                        before: cum - n,
                    })
                }
            }
        }
    }
    Ok((window, total))
}

/// Pages any other filter with a count and an offset over the filtered rows.
async fn list_filtered(
    pool: &AnyPool,
    dialect: Dialect,
    dataset_id: &str,
    q: &SampleFilter,
    page: SamplePage,
) -> StoreResult<(Vec<Sample>, i64)> {
    let mut filter = Sql::new(" from samples s where s.dataset_id = ");
    filter.bind(Param::Text(dataset_id.to_owned()));
    push_filter(&mut filter, q);
    let total = Sql::count(&filter, pool).await?;
    let dir = if page.ascending { "asc" } else { "desc" };
    let mut sql = Sql::with_filter(&format!("select s.seq as seq, {}", columns()), &filter);
    sql.push(&format!(" order by s.seq {dir} limit "))
        .bind(Param::Int(page.limit));
    sql.push(" offset ")
        .bind(Param::Int(page.offset.saturating_mul(page.limit)));
    let samples = sample_reads::samples(pool, dialect, &sql, dir).await?;
    Ok((samples, total))
}

/// The next `limit` samples matching `q` after sequence number `after`, in insertion
/// order, with their sequence numbers: a keyset scan whose cost per page does not grow
/// with its position.
pub(crate) async fn scan(
    pool: &AnyPool,
    dialect: Dialect,
    dataset_id: &str,
    q: &SampleFilter,
    after: i64,
    limit: i64,
) -> StoreResult<Vec<(i64, Sample)>> {
    let mut sql = Sql::new(&format!(
        "select s.seq as seq, {} from samples s where s.dataset_id = ",
        columns()
    ));
    sql.bind(Param::Text(dataset_id.to_owned()));
    sql.push(" and s.seq > ").bind(Param::Int(after));
    push_filter(&mut sql, q);
    sql.push(" order by s.seq limit ").bind(Param::Int(limit));
    sample_reads::fetch(pool, dialect, &sql, "asc").await
}

/// Nonzero sample counters: states, hard examples, hard reasons.
pub(crate) async fn sample_counters(
    pool: &AnyPool,
    dataset_id: &str,
) -> StoreResult<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "select state, n from sample_state_counts where dataset_id = $1 and n <> 0 order by state",
    )
    .bind(dataset_id)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| Ok((r.try_get("state").map_err(db)?, r.try_get("n").map_err(db)?)))
        .collect()
}

/// Distinct metadata values per key (at most `per_key` each).
pub(crate) async fn metadata_values(
    pool: &AnyPool,
    dataset_id: &str,
    per_key: i64,
) -> StoreResult<Vec<(String, Vec<String>)>> {
    let rows = sqlx::query(
        "select distinct key, value from sample_metadata where dataset_id = $1 order by key, value",
    )
    .bind(dataset_id)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for r in rows {
        let key: String = r.try_get("key").map_err(db)?;
        let value: String = r.try_get("value").map_err(db)?;
        match out.last_mut() {
            Some((k, values)) if *k == key => {
                if i64::try_from(values.len()).unwrap_or(i64::MAX) < per_key {
                    values.push(value);
                }
            }
            _ => out.push((key, vec![value])),
        }
    }
    Ok(out)
}

/// Instances and samples per label, in label order.
pub(crate) async fn label_counts(pool: &AnyPool, dataset_id: &str) -> StoreResult<Vec<LabelCount>> {
    let rows = sqlx::query(
        "select name, instance_count, sample_count from labels where dataset_id = $1 order by position",
    )
    .bind(dataset_id)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(LabelCount {
                name: r.try_get("name").map_err(db)?,
                count: r.try_get("instance_count").map_err(db)?,
                sample_count: r.try_get("sample_count").map_err(db)?,
            })
        })
        .collect()
}
