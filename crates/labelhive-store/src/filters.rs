//! Sample filters (`sample_state`, labels, scores, search conditions) as SQL over the
//! indexed columns and tables, never over JSON text.

use labelhive_domain::search::{BoolOp, Condition, LabelMatch, PropMatch, PropTerms, SampleFilter};

use crate::sql::{Param, Sql};

/// Appends ` and (...)` clauses for `filter` to a statement over `samples s`.
pub(crate) fn push_filter(sql: &mut Sql, filter: &SampleFilter) {
    if let Some(state) = filter.states {
        sql.push(" and s.status = ")
            .bind(Param::Text(state.as_str().to_owned()));
    }
    if filter.label_name.is_some() || filter.label_type.is_some() {
        sql.push(" and exists (select 1 from sample_labels l where l.dataset_id = s.dataset_id and l.seq = s.seq");
        if let Some(name) = &filter.label_name {
            sql.push(" and l.label_name = ")
                .bind(Param::Text(name.clone()));
        }
        if let Some(t) = filter.label_type {
            sql.push(" and l.label_type = ")
                .bind(Param::Int(i64::from(t)));
        }
        sql.push(")");
    }
    if let Some((lo, hi)) = filter.score {
        push_range(sql, "s.score", lo, hi);
    }
    if let Some(t) = filter.sample_type {
        sql.push(" and s.sample_type = ")
            .bind(Param::Int(i64::from(t)));
    }
    for c in &filter.conditions {
        push_condition(sql, c);
    }
    if !filter.any_of.is_empty() {
        sql.push(" and (");
        for (i, c) in filter.any_of.iter().enumerate() {
            sql.push(if i == 0 { "(1 = 1" } else { " or (1 = 1" });
            push_condition(sql, c);
            sql.push(")");
        }
        sql.push(")");
    }
    if !filter.ids.is_empty() {
        let ids: Vec<&str> = filter.ids.iter().map(String::as_str).collect();
        crate::sql::push_in(sql, " and s.id", &ids);
    }
    if let Some(items) = &filter.items {
        push_team_items(sql);
        crate::team_items::push_item_filter(sql, items);
        sql.push(")");
    }
}

/// Opens ` and exists (...` over the items of the dataset's team tasks for sample `s`
/// (one primary-key probe per task); the caller narrows `i` and closes it.
fn push_team_items(sql: &mut Sql) {
    sql.push(
        " and exists (select 1 from team_tasks t join team_task_items i on i.task_id = t.id \
         where t.dataset_id = s.dataset_id and i.sample_id = s.id",
    );
}

fn push_range(sql: &mut Sql, column: &str, lo: f64, hi: f64) {
    sql.push(&format!(" and {column} >= "))
        .bind(Param::Float(lo));
    sql.push(&format!(" and {column} <= "))
        .bind(Param::Float(hi));
}

fn push_condition(sql: &mut Sql, c: &Condition) {
    if let Some(labels) = &c.labels {
        push_labels(sql, labels);
    }
    if let Some(name) = &c.sample_name {
        sql.push(" and s.name = ").bind(Param::Text(name.clone()));
    }
    if let Some(dir) = &c.sample_dir {
        // `dir` holds each sample's own directory, so equality is the non-recursive search.
        let dir = labelhive_domain::obs_path::ObsPath::parse("sample_dir", dir)
            .map_or_else(|_| dir.clone(), |p| p.as_dir());
        sql.push(" and s.dir = ").bind(Param::Text(dir));
    }
    if let Some((from, to)) = c.sample_time {
        sql.push(" and s.create_time >= ").bind(Param::Int(from));
        sql.push(" and s.create_time < ").bind(Param::Int(to));
    }
    if let Some(hard) = c.hard {
        sql.push(" and s.hard = ").bind(Param::Int(i64::from(hard)));
    }
    if let Some((lo, hi)) = c.score {
        push_range(sql, "s.score", lo, hi);
    }
    if let Some((lo, hi)) = c.coefficient {
        sql.push(" and exists (select 1 from sample_metadata m where m.dataset_id = s.dataset_id and m.sample_id = s.id and m.key = '@modelarts:hard_coefficient'");
        push_range(sql, "cast(m.value as double precision)", lo, hi);
        sql.push(")");
    }
    if let Some(t) = c.time_in_video {
        // Frames imported from a video carry their time as sample metadata.
        sql.push(" and exists (select 1 from sample_metadata m where m.dataset_id = s.dataset_id and m.sample_id = s.id and m.key = '@modelarts:time_in_video'");
        push_range(sql, "cast(m.value as double precision)", t, t);
        sql.push(")");
    }
    if let Some(worker_id) = &c.labeler {
        // A member who submitted an annotation of the sample in a team task.
        push_team_items(sql);
        sql.push(" and i.labeled_time > 0 and i.worker_id = ")
            .bind(Param::Text(worker_id.clone()));
        sql.push(")");
    }
    if c.parent_sample_id.is_some() {
        // No sample has a parent (sub-samples) yet.
        sql.push(" and 1 = 0");
    }
    if let Some(origin) = &c.import_origin {
        push_props(
            sql,
            &PropMatch {
                op: BoolOp::And,
                props: vec![(
                    "@modelarts:import_origin".into(),
                    Some(vec![origin.clone()]),
                )],
            },
        );
    }
    if let Some(props) = &c.metadata {
        push_props(sql, props);
    }
}

fn join_op(op: BoolOp) -> &'static str {
    match op {
        BoolOp::And => " and ",
        BoolOp::Or => " or ",
    }
}

fn push_labels(sql: &mut Sql, m: &LabelMatch) {
    sql.push(" and (");
    for (i, term) in m.labels.iter().enumerate() {
        if i > 0 {
            sql.push(join_op(m.op));
        }
        if !term.property.is_empty() {
            crate::label_props::push_term(sql, term);
            continue;
        }
        sql.push("exists (select 1 from sample_labels l where l.dataset_id = s.dataset_id and l.seq = s.seq");
        if let Some(name) = &term.name {
            sql.push(" and l.label_name = ")
                .bind(Param::Text(name.clone()));
        }
        if let Some(t) = term.label_type {
            sql.push(" and l.label_type = ")
                .bind(Param::Int(i64::from(t)));
        }
        sql.push(")");
    }
    sql.push(")");
}

fn push_props(sql: &mut Sql, m: &PropMatch) {
    push_prop_terms(sql, m.op, &m.props);
}

fn push_prop_terms(sql: &mut Sql, op: BoolOp, props: &PropTerms) {
    if props.is_empty() {
        return;
    }
    sql.push(" and (");
    for (i, (key, values)) in props.iter().enumerate() {
        if i > 0 {
            sql.push(join_op(op));
        }
        sql.push("exists (select 1 from sample_metadata m where m.dataset_id = s.dataset_id and m.sample_id = s.id and m.key = ")
            .bind(Param::Text(key.clone()));
        if let Some(values) = values {
            sql.push(" and m.value in (");
            for (j, v) in values.iter().enumerate() {
                if j > 0 {
                    sql.push(", ");
                }
                sql.bind(Param::Text(v.clone()));
            }
            sql.push(")");
        }
        sql.push(")");
    }
    sql.push(")");
}
