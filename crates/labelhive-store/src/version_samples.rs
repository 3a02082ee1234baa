//! The samples a version holds: a copy of each sample as it was when published,
//! numbered densely from 1 (`pos`), so any page of an unfiltered listing is one
//! primary-key range, at any depth.

use labelhive_domain::sample::{Sample, SamplePage};
use labelhive_domain::search::SampleFilter;
use labelhive_domain::store::StoreResult;
use labelhive_domain::version::Version;
use sqlx::{Any, AnyPool, Transaction};

use crate::rows::to_json;
use crate::sql::{like_escape, Param, Sql};
use crate::{db, sample_reads, Dialect};

/// Columns of `version_samples` read as a sample, the position named as
/// [`sample_reads::fetch`] wants the order key.
const VERSION_SAMPLE_COLUMNS: &str =
    "pos as seq, id, dataset_id, path, name, size, sample_type, status, labels, metadata, \
     create_time, update_time, sample_usage";

/// Rows per multi-row insert (15 parameters each, well under both backends' limits).
const ROWS_PER_INSERT: usize = 200;

/// `'|a|b|'`: the names a sample carries, for the label filter.
fn label_names(s: &Sample) -> String {
    let mut names: Vec<&str> = s.labels.iter().filter_map(|l| l.name.as_deref()).collect();
    names.sort_unstable();
    names.dedup();
    format!("|{}|", names.join("|"))
}

/// Appends `samples` to a version after position `copied`; returns the last position.
pub(crate) async fn insert(
    tx: &mut Transaction<'_, Any>,
    version_id: &str,
    copied: i64,
    samples: &[Sample],
) -> StoreResult<i64> {
    let mut pos = copied;
    for chunk in samples.chunks(ROWS_PER_INSERT) {
        let mut sql = Sql::new(
            "insert into version_samples (version_id, pos, id, dataset_id, path, name, size, \
             sample_type, status, labels, metadata, label_names, create_time, update_time, \
             sample_usage) values ",
        );
        for (i, s) in chunk.iter().enumerate() {
            pos += 1;
            sql.push(if i == 0 { "(" } else { ", (" });
            sql.bind(Param::Text(version_id.to_owned())).push(", ");
            sql.bind(Param::Int(pos)).push(", ");
            sql.bind(Param::Text(s.id.clone())).push(", ");
            sql.bind(Param::Text(s.dataset_id.clone())).push(", ");
            sql.bind(Param::Text(s.path.clone())).push(", ");
            sql.bind(Param::Text(s.name.clone())).push(", ");
            sql.bind(Param::Int(s.size)).push(", ");
            sql.bind(Param::Int(i64::from(s.sample_type))).push(", ");
            sql.bind(Param::Text(s.status.clone())).push(", ");
            sql.bind(Param::Text(to_json(&s.labels)?)).push(", ");
            sql.bind(Param::Text(to_json(&s.metadata)?)).push(", ");
            sql.bind(Param::Text(label_names(s))).push(", ");
            sql.bind(Param::Int(s.create_time)).push(", ");
            sql.bind(Param::Int(s.update_time)).push(", ");
            sql.bind(Param::OptText(s.usage.clone())).push(")");
        }
        sql.query_for(tx).execute(&mut **tx).await.map_err(db)?;
    }
    Ok(pos)
}

/// Up to `limit` samples of a version after position `after`, in order.
pub(crate) async fn page(
    pool: &AnyPool,
    dialect: Dialect,
    version_id: &str,
    after: i64,
    limit: i64,
) -> StoreResult<Vec<Sample>> {
    let mut sql = Sql::new(&format!(
        "select {VERSION_SAMPLE_COLUMNS} from version_samples where version_id = "
    ));
    sql.bind(Param::Text(version_id.to_owned()));
    sql.push(" and pos > ").bind(Param::Int(after));
    sql.push(" and pos <= ")
        .bind(Param::Int(after.saturating_add(limit)));
    sql.push(" order by pos");
    sample_reads::samples(pool, dialect, &sql, "asc").await
}

/// One page of a version's samples, filtered by state or label, with the total.
pub(crate) async fn list(
    pool: &AnyPool,
    dialect: Dialect,
    v: &Version,
    q: &SampleFilter,
    page: SamplePage,
) -> StoreResult<(Vec<Sample>, i64)> {
    let skip = page.offset.saturating_mul(page.limit);
    if q.states.is_none() && q.label_name.is_none() {
        // Dense positions: the page is a key range, newest (highest position) first
        // unless ascending.
        let total = v.total_sample_count;
        let (lo, hi) = if page.ascending {
            (skip, skip.saturating_add(page.limit))
        } else {
            (
                total.saturating_sub(skip.saturating_add(page.limit)),
                total.saturating_sub(skip),
            )
        };
        let dir = if page.ascending { "asc" } else { "desc" };
        let mut sql = Sql::new(&format!(
            "select {VERSION_SAMPLE_COLUMNS} from version_samples where version_id = "
        ));
        sql.bind(Param::Text(v.id.clone()));
        sql.push(" and pos > ").bind(Param::Int(lo.max(0)));
        sql.push(" and pos <= ").bind(Param::Int(hi.max(0)));
        sql.push(&format!(" order by pos {dir}"));
        let samples = sample_reads::samples(pool, dialect, &sql, dir).await?;
        return Ok((samples, total));
    }
    let mut filter = Sql::new(" from version_samples where version_id = ");
    filter.bind(Param::Text(v.id.clone()));
    if let Some(s) = q.states {
        filter
            .push(" and status = ")
            .bind(Param::Text(s.as_str().to_owned()));
    }
    if let Some(name) = &q.label_name {
        filter
            .push(" and label_names like ")
            .bind(Param::Text(format!("%|{}|%", like_escape(name))))
            .push(" escape '\\'");
    }
    let total = Sql::count(&filter, pool).await?;
    let dir = if page.ascending { "asc" } else { "desc" };
    let mut rows = Sql::with_filter(&format!("select {VERSION_SAMPLE_COLUMNS}"), &filter);
    rows.push(&format!(" order by pos {dir} limit "))
        .bind(Param::Int(page.limit))
        .push(" offset ")
        .bind(Param::Int(skip));
    let samples = sample_reads::samples(pool, dialect, &rows, dir).await?;
    Ok((samples, total))
}
