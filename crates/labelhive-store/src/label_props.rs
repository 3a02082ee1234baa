//! The label property index: one row per scalar property of each label instance, so
//! `label_list` search conditions with `property` maps filter on indexed rows instead
//! of label JSON. Shape coordinates and other lists are not indexed.

use labelhive_domain::annotation::SampleLabel;
use labelhive_domain::search::{BoolOp, LabelTerm};
use serde_json::Value;

use crate::sample_index::delete_index_rows;
use crate::sql::{Param, Script, Sql};

/// The index's table.
pub(crate) const TABLE: &str = "sample_label_props";

/// Rows per insert: seven parameters each.
const ROWS_PER_STATEMENT: usize = 500;

/// A scalar JSON value as the text the indexes store and searches compare with.
pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Whether any named label of `labels` has a property the index holds.
pub(crate) fn any_indexed(labels: &[SampleLabel]) -> bool {
    labels
        .iter()
        .filter(|l| l.name.is_some())
        .any(|l| l.property.values().any(|v| scalar_text(v).is_some()))
}

/// One index row: label position, name, type, property key and value.
type Entry<'a> = (i64, &'a str, i64, &'a str, String);

fn entries(labels: &[SampleLabel]) -> impl Iterator<Item = Entry<'_>> {
    labels.iter().enumerate().flat_map(|(i, l)| {
        let name = l.name.as_deref();
        l.property.iter().filter_map(move |(key, value)| {
            let text = scalar_text(value)?;
            let idx = i64::try_from(i).unwrap_or(i64::MAX);
            Some((
                idx,
                name?,
                i64::from(l.label_type.unwrap_or(0)),
                key.as_str(),
                text,
            ))
        })
    })
}

/// Writes the index rows of samples (id, labels) that have none yet.
pub(crate) fn insert(script: &mut Script, dataset_id: &str, samples: &[(&str, &[SampleLabel])]) {
    let rows: Vec<(&str, Entry<'_>)> = samples
        .iter()
        .flat_map(|(id, labels)| entries(labels).map(move |e| (*id, e)))
        .collect();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = Sql::new(
            "insert into sample_label_props (dataset_id, sample_id, label_index, label_name, \
             label_type, key, value) values ",
        );
        for (i, (id, (idx, name, t, key, value))) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" })
                .bind(Param::Text(dataset_id.to_owned()))
                .push(", ")
                .bind(Param::Text((*id).to_owned()))
                .push(", ")
                .bind(Param::Int(*idx))
                .push(", ")
                .bind(Param::Text((*name).to_owned()))
                .push(", ")
                .bind(Param::Int(*t))
                .push(", ")
                .bind(Param::Text((*key).to_owned()))
                .push(", ")
                .bind(Param::Text(value.clone()))
                .push(")");
        }
        script.add(sql);
    }
}

/// Removes the index rows of the samples `ids`.
pub(crate) fn delete(script: &mut Script, dataset_id: &str, ids: &[&str]) {
    delete_index_rows(script, TABLE, dataset_id, ids);
}

/// Appends `exists (...)` for a label term with properties over sample `s`: one label
/// instance of the term's name and type whose properties pass the term's tests.
pub(crate) fn push_term(sql: &mut Sql, term: &LabelTerm) {
    sql.push(
        "exists (select 1 from sample_label_props p where p.dataset_id = s.dataset_id \
         and p.sample_id = s.id",
    );
    if let Some(name) = &term.name {
        sql.push(" and p.label_name = ")
            .bind(Param::Text(name.clone()));
    }
    if let Some(t) = term.label_type {
        sql.push(" and p.label_type = ")
            .bind(Param::Int(i64::from(t)));
    }
    match term.op {
        // Any one property of the instance passing its test is enough.
        BoolOp::Or => {
            sql.push(" and (");
            for (i, (key, values)) in term.property.iter().enumerate() {
                if i > 0 {
                    sql.push(" or ");
                }
                sql.push("(");
                push_test(sql, "p", key, values.as_deref());
                sql.push(")");
            }
            sql.push(")");
        }
        // The row found passes the first test; the same instance has rows passing the rest.
        BoolOp::And => {
            for (i, (key, values)) in term.property.iter().enumerate() {
                if i == 0 {
                    sql.push(" and ");
                    push_test(sql, "p", key, values.as_deref());
                    continue;
                }
                sql.push(
                    " and exists (select 1 from sample_label_props q where q.dataset_id = p.dataset_id \
                     and q.sample_id = p.sample_id and q.label_index = p.label_index and ",
                );
                push_test(sql, "q", key, values.as_deref());
                sql.push(")");
            }
        }
    }
    sql.push(")");
}

/// `<alias>.key = $k [and <alias>.value in (...)]`: a null value list tests presence only.
fn push_test(sql: &mut Sql, alias: &str, key: &str, values: Option<&[String]>) {
    sql.push(&format!("{alias}.key = "))
        .bind(Param::Text(key.to_owned()));
    if let Some(values) = values {
        sql.push(&format!(" and {alias}.value in ("));
        for (j, v) in values.iter().enumerate() {
            if j > 0 {
                sql.push(", ");
            }
            sql.bind(Param::Text(v.clone()));
        }
        sql.push(")");
    }
}
