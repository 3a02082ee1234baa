//! The index rows kept beside each sample: one `sample_labels` row per label name it
//! carries, one `sample_metadata` row per scalar metadata value. Writes remove a
//! sample's rows and insert the new ones in the same transaction.

use crate::label_props;
use crate::sample_writes::{metadata_of, Existing, ROWS_PER_STATEMENT};
use crate::sql::{push_in, Param, Script, Sql};
use labelhive_domain::annotation::SampleMetadata;
use labelhive_domain::sample::SampleWrite;

/// Removes the index rows in `table` (label or metadata) of samples about to be rewritten.
pub(crate) fn delete_index_rows(script: &mut Script, table: &str, dataset_id: &str, ids: &[&str]) {
    for chunk in ids.chunks(ROWS_PER_STATEMENT * 2) {
        let mut sql = Sql::new(&format!("delete from {table} where dataset_id = "));
        sql.bind(Param::Text(dataset_id.to_owned()));
        push_in(&mut sql, " and sample_id", chunk);
        script.add(sql);
    }
}

/// Removes the label index rows of the samples numbered `seqs` (their key).
pub(crate) fn delete_label_rows(script: &mut Script, dataset_id: &str, seqs: &[i64]) {
    for chunk in seqs.chunks(ROWS_PER_STATEMENT * 2) {
        let mut sql = Sql::new("delete from sample_labels where dataset_id = ");
        sql.bind(Param::Text(dataset_id.to_owned()));
        sql.push(" and seq in (");
        for (i, seq) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(Param::Int(*seq));
        }
        sql.push(")");
        script.add(sql);
    }
}

/// Writes one `sample_labels` row per sample and label name it carries.
pub(crate) fn insert_label_rows(
    script: &mut Script,
    dataset_id: &str,
    rows: &[(&SampleWrite, &Existing)],
) {
    let mut entries = Vec::new();
    for (s, cur) in rows {
        for (name, (t, n)) in &cur.tally {
            entries.push((s.id.as_str(), cur.seq, name.as_str(), *t, *n));
        }
    }
    for chunk in entries.chunks(ROWS_PER_STATEMENT) {
        let mut sql = Sql::new(
            "insert into sample_labels (dataset_id, sample_id, seq, label_name, label_type, instances) values ",
        );
        for (i, (id, seq, name, t, n)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" })
                .bind(Param::Text(dataset_id.to_owned()))
                .push(", ")
                .bind(Param::Text((*id).to_owned()))
                .push(", ")
                .bind(Param::Int(*seq))
                .push(", ")
                .bind(Param::Text((*name).to_owned()))
                .push(", ")
                .bind(Param::Int(i64::from(*t)))
                .push(", ")
                .bind(Param::Int(*n))
                .push(")");
        }
        script.add(sql);
    }
}

/// The scalar metadata values of a sample, as text, for the metadata index.
fn scalar_metadata(metadata: &SampleMetadata) -> impl Iterator<Item = (&String, String)> {
    metadata
        .0
        .iter()
        .filter_map(|(key, value)| Some((key, label_props::scalar_text(value)?)))
}

/// Writes the metadata index rows of the samples.
pub(crate) fn insert_metadata_rows(
    script: &mut Script,
    dataset_id: &str,
    rows: &[(&SampleWrite, &Existing)],
) {
    let entries: Vec<(&str, &String, String)> = rows
        .iter()
        .flat_map(|(s, _)| scalar_metadata(metadata_of(s)).map(|(k, v)| (s.id.as_str(), k, v)))
        .collect();
    for chunk in entries.chunks(ROWS_PER_STATEMENT) {
        let mut sql =
            Sql::new("insert into sample_metadata (dataset_id, sample_id, key, value) values ");
        for (i, (id, key, value)) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" })
                .bind(Param::Text(dataset_id.to_owned()))
                .push(", ")
                .bind(Param::Text((*id).to_owned()))
                .push(", ")
                .bind(Param::Text((*key).clone()))
                .push(", ")
                .bind(Param::Text(value.clone()))
                .push(")");
        }
        script.add(sql);
    }
}
