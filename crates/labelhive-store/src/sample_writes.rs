//! Sample writes inside a transaction: what a write reads of the stored samples,
//! and the statements that insert, replace and delete them with their index rows.
//! Used by the sample endpoints, imports, syncs and label deletions.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use labelhive_domain::annotation::{SampleLabel, SampleMetadata};
use labelhive_domain::sample::counter;
use labelhive_domain::sample::{state, SampleWrite};
use labelhive_domain::store::{NewSample, StoreError, StoreResult, WriteMode};
use sqlx::{Any, Row, Transaction};

use crate::counters::{tally, Counters, Pending, Side, Tally};
use crate::rows::to_json;
use crate::sample_index::{
    delete_index_rows, delete_label_rows, insert_label_rows, insert_metadata_rows,
};
use crate::sample_reads::Col;
use crate::sql::{dialect_of, push_in, Param, Script, Sql};
use crate::{db, label_props, sample_reads};

/// Rows per multi-row statement: at most 15 parameters each keeps far below both
/// engines' parameter limits.
pub(crate) const ROWS_PER_STATEMENT: usize = 250;

/// A stored sample as a write sees it before changing it.
pub(crate) struct Existing {
    pub seq: i64,
    pub tally: Tally,
    pub status: String,
    pub path: String,
    pub keys: Vec<String>,
    /// Whether its labels have rows in the label property index.
    pub label_props: bool,
    /// Its metadata as read (not moved on by the writes of the batch).
    pub metadata: SampleMetadata,
}

impl Existing {
    fn side(&self) -> Side<'_> {
        Side {
            tally: &self.tally,
            status: &self.status,
            keys: &self.keys,
        }
    }
}

/// Inserts samples without labels, leaving existing ids alone; returns how many were new.
pub(crate) async fn insert_plain(
    tx: &mut Transaction<'_, Any>,
    dataset_id: &str,
    samples: &[NewSample],
    next: &mut i64,
    counters: &mut Counters,
    now: i64,
) -> StoreResult<i64> {
    let empty = Tally::new();
    let mut inserted: i64 = 0;
    for chunk in samples.chunks(ROWS_PER_STATEMENT) {
        let mut sql = Sql::new(
            "insert into samples (dataset_id, id, seq, path, name, size, sample_type, create_time, update_time, dir) values ",
        );
        for (i, s) in chunk.iter().enumerate() {
            // Numbers of ids that turn out to exist are skipped: gaps are harmless.
            *next += 1;
            sql.push(if i == 0 { "(" } else { ", (" })
                .bind(Param::Text(dataset_id.to_owned()))
                .push(", ")
                .bind(Param::Text(s.id.clone()))
                .push(", ")
                .bind(Param::Int(*next))
                .push(", ")
                .bind(Param::Text(s.path.clone()))
                .push(", ")
                .bind(Param::Text(s.name.clone()))
                .push(", ")
                .bind(Param::Int(s.size))
                .push(", ")
                .bind(Param::Int(i64::from(s.sample_type)))
                .push(", ")
                .bind(Param::Int(now))
                .push(", ")
                .bind(Param::Int(now))
                .push(", ")
                .bind(Param::Text(dir_of(&s.path)))
                .push(")");
        }
        sql.push(" on conflict (dataset_id, id) do nothing returning seq");
        for row in sql.query_for(tx).fetch_all(&mut **tx).await.map_err(db)? {
            let seq: i64 = row.try_get("seq").map_err(db)?;
            counters.change(seq, None, Some(Side::plain(&empty, state::UNLABELED)));
            inserted += 1;
        }
    }
    Ok(inserted)
}

/// Writes samples with their labels and metadata inside the caller's transaction,
/// after [`crate::samples::lock_dataset`]; per sample, whether it was written. It reads the samples'
/// stored state now; the writes go into `pending`, which the caller runs before any
/// further read of these samples.
pub(crate) async fn write_in_tx(
    tx: &mut Transaction<'_, Any>,
    pending: &mut Pending,
    dataset_id: &str,
    samples: &[SampleWrite],
    mode: WriteMode,
    next: &mut i64,
    now: i64,
) -> StoreResult<Vec<bool>> {
    let Pending { script, counters } = pending;
    let ids: Vec<&str> = samples.iter().map(|s| s.id.as_str()).collect();
    let mut current = existing(tx, dataset_id, &ids).await?;
    // A stored sample whose every write here keeps its metadata keeps its metadata
    // index rows too.
    let given: HashSet<&str> = samples
        .iter()
        .filter(|s| s.metadata.is_some())
        .map(|s| s.id.as_str())
        .collect();
    let kept_metadata: HashSet<&str> = samples
        .iter()
        .map(|s| s.id.as_str())
        .filter(|id| current.contains_key(*id) && !given.contains(id))
        .collect();
    let samples = resolve_metadata(samples, &current);
    // Index rows exist only for samples that had labels or metadata before.
    let holding = |f: &dyn Fn(&Existing) -> bool| -> HashSet<String> {
        current
            .iter()
            .filter(|(_, e)| f(e))
            .map(|(id, _)| id.clone())
            .collect()
    };
    let had_labels = holding(&|e| !e.tally.is_empty());
    let had_metadata = holding(&|e| e.keys.iter().any(|k| k.starts_with(counter::METADATA)));
    let had_label_props = holding(&|e| e.label_props);
    // The last write of an id wins; counters follow every write in order.
    let mut last: HashMap<&str, usize> = HashMap::new();
    let mut written = Vec::with_capacity(samples.len());
    for (i, s) in samples.iter().enumerate() {
        let new_tally = tally(&s.labels);
        let new_keys = counter::keys(s.status, s.hard, &s.labels, metadata_of(s));
        let new_side = Side {
            tally: &new_tally,
            status: s.status,
            keys: &new_keys,
        };
        match current.get_mut(&s.id) {
            Some(cur) => {
                counters.change(cur.seq, Some(cur.side()), Some(new_side));
                cur.tally = new_tally;
                s.status.clone_into(&mut cur.status);
                cur.keys = new_keys;
            }
            None if mode == WriteMode::Upsert => {
                *next += 1;
                counters.change(*next, None, Some(new_side));
                current.insert(
                    s.id.clone(),
                    Existing {
                        seq: *next,
                        tally: new_tally,
                        status: s.status.to_owned(),
                        path: s.path.clone(),
                        keys: new_keys,
                        label_props: false,
                        metadata: SampleMetadata::default(),
                    },
                );
            }
            None => {
                written.push(false);
                continue;
            }
        }
        last.insert(&s.id, i);
        written.push(true);
    }
    let mut finals: Vec<(&SampleWrite, &Existing)> = Vec::with_capacity(last.len());
    let mut order: Vec<usize> = last.values().copied().collect();
    order.sort_unstable();
    for i in order {
        let s = &samples[i];
        let cur = current
            .get(&s.id)
            .ok_or_else(|| StoreError::other("a written sample lost its row"))?;
        finals.push((s, cur));
    }
    let seqs: Vec<i64> = finals
        .iter()
        .filter(|(s, _)| had_labels.contains(s.id.as_str()))
        .map(|(_, cur)| cur.seq)
        .collect();
    delete_label_rows(script, dataset_id, &seqs);
    let ids: Vec<&str> = finals
        .iter()
        .map(|(s, _)| s.id.as_str())
        .filter(|id| had_metadata.contains(*id) && !kept_metadata.contains(id))
        .collect();
    delete_index_rows(script, "sample_metadata", dataset_id, &ids);
    let ids: Vec<&str> = finals
        .iter()
        .filter(|(s, _)| had_label_props.contains(s.id.as_str()))
        .map(|(s, _)| s.id.as_str())
        .collect();
    label_props::delete(script, dataset_id, &ids);
    upsert_rows(script, dataset_id, &finals, now)?;
    insert_label_rows(script, dataset_id, &finals);
    let metadata_rows: Vec<(&SampleWrite, &Existing)> = finals
        .iter()
        .filter(|(s, _)| !kept_metadata.contains(s.id.as_str()))
        .copied()
        .collect();
    insert_metadata_rows(script, dataset_id, &metadata_rows);
    let labeled: Vec<(&str, &[SampleLabel])> = finals
        .iter()
        .map(|(s, _)| (s.id.as_str(), s.labels.as_slice()))
        .collect();
    label_props::insert(script, dataset_id, &labeled);
    Ok(written)
}

/// The writes with their metadata filled in: one without keeps what its sample has
/// at that point of the batch (stored, or given by an earlier write of the same id)
/// and is a hard example if that metadata says so (see `SampleWrite::hard`).
fn resolve_metadata<'a>(
    samples: &'a [SampleWrite],
    current: &HashMap<String, Existing>,
) -> Vec<Cow<'a, SampleWrite>> {
    let mut latest: HashMap<&str, &SampleMetadata> = current
        .iter()
        .map(|(id, e)| (id.as_str(), &e.metadata))
        .collect();
    samples
        .iter()
        .map(|s| match &s.metadata {
            Some(m) => {
                latest.insert(&s.id, m);
                Cow::Borrowed(s)
            }
            None => {
                let kept = latest
                    .get(s.id.as_str())
                    .map(|m| (*m).clone())
                    .unwrap_or_default();
                let mut w = s.clone();
                w.hard |= kept.is_hard();
                w.metadata = Some(kept);
                Cow::Owned(w)
            }
        })
        .collect()
}

/// A write's metadata; every write has some once [`resolve_metadata`] ran.
pub(crate) fn metadata_of(s: &SampleWrite) -> &SampleMetadata {
    static NONE: LazyLock<SampleMetadata> = LazyLock::new(SampleMetadata::default);
    s.metadata.as_ref().unwrap_or(&NONE)
}

/// Deletes those of `ids` that exist, counting them in `counters`; returns the deleted
/// samples' paths by id. The deletes go into `pending`, for the caller to run.
pub(crate) async fn delete_in_tx(
    tx: &mut Transaction<'_, Any>,
    pending: &mut Pending,
    dataset_id: &str,
    ids: &[&str],
) -> StoreResult<HashMap<String, String>> {
    let Pending { script, counters } = pending;
    let found = existing(tx, dataset_id, ids).await?;
    let mut gone = HashMap::with_capacity(found.len());
    let labeled: Vec<i64> = found
        .values()
        .filter(|e| !e.tally.is_empty())
        .map(|e| e.seq)
        .collect();
    let indexed: Vec<String> = found
        .iter()
        .filter(|(_, e)| e.label_props)
        .map(|(id, _)| id.clone())
        .collect();
    for (id, old) in found {
        counters.change(old.seq, Some(old.side()), None);
        gone.insert(id, old.path);
    }
    counters.deleted(i64::try_from(gone.len()).unwrap_or(i64::MAX));
    let keys: Vec<&str> = gone.keys().map(String::as_str).collect();
    // Index rows refer to their dataset, not their sample (migrations 0010, 0013).
    delete_label_rows(script, dataset_id, &labeled);
    let indexed: Vec<&str> = indexed.iter().map(String::as_str).collect();
    label_props::delete(script, dataset_id, &indexed);
    delete_rows(script, dataset_id, &keys);
    Ok(gone)
}

/// Deletes the sample rows `ids` with their metadata index rows (label rows are the
/// caller's: they are keyed by sequence number).
pub(crate) fn delete_rows(script: &mut Script, dataset_id: &str, ids: &[&str]) {
    delete_index_rows(script, "sample_metadata", dataset_id, ids);
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let mut sql = Sql::new("delete from samples where dataset_id = ");
        sql.bind(Param::Text(dataset_id.to_owned()));
        push_in(&mut sql, " and id", chunk);
        script.add(sql);
    }
}

/// The stored state of those of `ids` that exist.
pub(crate) async fn existing(
    tx: &mut Transaction<'_, Any>,
    dataset_id: &str,
    ids: &[&str],
) -> StoreResult<HashMap<String, Existing>> {
    let mut out = HashMap::with_capacity(ids.len());
    let dialect = dialect_of(tx);
    for chunk in ids.chunks(ROWS_PER_STATEMENT * 2) {
        let mut sql = Sql::new(
            "select id, seq, labels, metadata, status, path, hard from samples where dataset_id = ",
        );
        sql.bind(Param::Text(dataset_id.to_owned()));
        push_in(&mut sql, " and id", chunk);
        let cols = [
            Col::Value("id"),
            Col::Value("seq"),
            Col::Json("labels"),
            Col::Json("metadata"),
            Col::Value("status"),
            Col::Value("path"),
            Col::Value("hard"),
        ];
        let rows: Vec<ExistingRow> =
            sample_reads::document(&mut **tx, dialect, &sql, &cols, "seq").await?;
        for ExistingRow(id, seq, labels, metadata, status, path, hard) in rows {
            let existing = Existing {
                seq,
                tally: tally(&labels),
                keys: counter::keys(&status, hard != 0, &labels, &metadata),
                status,
                path,
                label_props: label_props::any_indexed(&labels),
                metadata,
            };
            out.insert(id, existing);
        }
    }
    Ok(out)
}

/// What a write needs of a stored sample: id, seq, labels, metadata, status, path, hard.
#[derive(serde::Deserialize)]
struct ExistingRow(
    String,
    i64,
    Vec<SampleLabel>,
    SampleMetadata,
    String,
    String,
    i64,
);

/// Inserts new samples and replaces the labels, metadata and flags of existing ones.
fn upsert_rows(
    script: &mut Script,
    dataset_id: &str,
    rows: &[(&SampleWrite, &Existing)],
    now: i64,
) -> StoreResult<()> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = Sql::new(
            "insert into samples (dataset_id, id, seq, path, name, size, sample_type, status, labels, \
             metadata, create_time, update_time, dir, hard, score, sample_usage) values ",
        );
        for (i, (s, cur)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            for (j, p) in [
                Param::Text(dataset_id.to_owned()),
                Param::Text(s.id.clone()),
                Param::Int(cur.seq),
                Param::Text(s.path.clone()),
                Param::Text(s.name.clone()),
                Param::Int(s.size),
                Param::Int(i64::from(s.sample_type)),
                Param::Text(s.status.to_owned()),
                Param::Text(to_json(&s.labels)?),
                Param::Text(to_json(metadata_of(s))?),
                Param::Int(now),
                Param::Int(now),
                Param::Text(dir_of(&s.path)),
                Param::Int(i64::from(s.hard)),
                Param::OptFloat(s.score),
                Param::OptText(s.usage.clone()),
            ]
            .into_iter()
            .enumerate()
            {
                if j > 0 {
                    sql.push(", ");
                }
                sql.bind(p);
            }
            sql.push(")");
        }
        sql.push(
            " on conflict (dataset_id, id) do update set status = excluded.status, \
             labels = excluded.labels, metadata = excluded.metadata, update_time = excluded.update_time, \
             hard = excluded.hard, score = excluded.score, \
             sample_usage = coalesce(excluded.sample_usage, samples.sample_usage)",
        );
        script.add(sql);
    }
    Ok(())
}

/// The directory of an OBS-style file path, with its trailing slash.
fn dir_of(path: &str) -> String {
    path.rsplit_once('/')
        .map_or_else(|| "/".to_owned(), |(d, _)| format!("{d}/"))
}
