//! Dataset labels and their propagation into samples: renames and deletions change
//! every sample carrying the label, in the caller's transaction.

use std::collections::{BTreeMap, HashSet};

use labelhive_domain::annotation::SampleLabel;
use labelhive_domain::label::Label;
use labelhive_domain::sample::state_for;
use labelhive_domain::store::{LabelChanges, LabelDeletePolicy, StoreResult};
use sqlx::{Any, Row, Transaction};

use crate::rows::to_json;
use crate::sql::{Param, Sql};
use crate::{db, on_unique};

/// Occurrences per label name in a label list: (type, instances).
pub(crate) fn tally(labels: &[SampleLabel]) -> BTreeMap<String, (i32, i64)> {
    let mut out: BTreeMap<String, (i32, i64)> = BTreeMap::new();
    for l in labels {
        if let Some(name) = &l.name {
            let e = out
                .entry(name.clone())
                .or_insert((l.label_type.unwrap_or(0), 0));
            e.1 += 1;
        }
    }
    out
}

/// Moves a sample from `old` labels and state to `new` ones: its index rows, the label
/// counters and the state counters.
pub(crate) async fn apply_label_delta(
    tx: &mut Transaction<'_, Any>,
    dataset_id: &str,
    sample_id: &str,
    old: Option<(&[SampleLabel], &str)>,
    new: Option<(&[SampleLabel], &str)>,
) -> StoreResult<()> {
    let before = old.map(|(l, _)| tally(l)).unwrap_or_default();
    let after = new.map(|(l, _)| tally(l)).unwrap_or_default();
    if before != after {
        sqlx::query("delete from sample_labels where dataset_id = $1 and sample_id = $2")
            .bind(dataset_id)
            .bind(sample_id)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        for (name, (t, n)) in &after {
            sqlx::query(
                "insert into sample_labels (dataset_id, sample_id, label_name, label_type, instances) \
                 values ($1, $2, $3, $4, $5)",
            )
            .bind(dataset_id)
            .bind(sample_id)
            .bind(name)
            .bind(i64::from(*t))
            .bind(*n)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        }
        let names: HashSet<&String> = before.keys().chain(after.keys()).collect();
        for name in names {
            let b = before.get(name).map_or(0, |v| v.1);
            let a = after.get(name).map_or(0, |v| v.1);
            let samples = i64::from(a > 0) - i64::from(b > 0);
            if a == b && samples == 0 {
                continue;
            }
            sqlx::query(
                "update labels set instance_count = instance_count + $1, sample_count = sample_count + $2 \
                 where dataset_id = $3 and name = $4",
            )
            .bind(a - b)
            .bind(samples)
            .bind(dataset_id)
            .bind(name)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        }
    }
    let old_state = old.map(|(_, s)| s);
    let new_state = new.map(|(_, s)| s);
    if old_state != new_state {
        if let Some(s) = old_state {
            bump_state(tx, dataset_id, s, -1).await?;
        }
        if let Some(s) = new_state {
            bump_state(tx, dataset_id, s, 1).await?;
        }
        let labeled =
            |s: Option<&str>| i64::from(s == Some(labelhive_domain::sample::state::LABELED));
        let total = i64::from(new_state.is_some()) - i64::from(old_state.is_some());
        sqlx::query(
            "update datasets set annotated_sample_count = annotated_sample_count + $1, \
             total_sample_count = total_sample_count + $2 where id = $3",
        )
        .bind(labeled(new_state) - labeled(old_state))
        .bind(total)
        .bind(dataset_id)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    }
    Ok(())
}

/// Adds `delta` to the count of samples in `state`.
pub(crate) async fn bump_state(
    tx: &mut Transaction<'_, Any>,
    dataset_id: &str,
    state: &str,
    delta: i64,
) -> StoreResult<()> {
    sqlx::query(
        "insert into sample_state_counts (dataset_id, state, n) values ($1, $2, $3) \
         on conflict (dataset_id, state) do update set n = sample_state_counts.n + excluded.n",
    )
    .bind(dataset_id)
    .bind(state)
    .bind(delta)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

/// Writes the label set of a dataset after an edit: renames keep their counters,
/// labels gone from the set are removed from samples per `changes.delete_policy`.
/// Returns the paths of samples deleted because only removed labels were left on them.
pub(crate) async fn write_labels(
    tx: &mut Transaction<'_, Any>,
    dataset_id: &str,
    before: &[Label],
    after: &[Label],
    changes: &LabelChanges,
) -> StoreResult<Vec<String>> {
    for (old, new) in &changes.renames {
        rename_in_samples(tx, dataset_id, old, new).await?;
    }
    let renamed: BTreeMap<&str, &str> = changes
        .renames
        .iter()
        .map(|(o, n)| (o.as_str(), n.as_str()))
        .collect();
    let kept: HashSet<&str> = after.iter().map(|l| l.name.as_str()).collect();
    let removed: Vec<String> = before
        .iter()
        .map(|l| {
            renamed
                .get(l.name.as_str())
                .copied()
                .unwrap_or(l.name.as_str())
        })
        .filter(|n| !kept.contains(n))
        .map(str::to_owned)
        .collect();
    let deleted_paths = if removed.is_empty() {
        Vec::new()
    } else {
        remove_from_samples(tx, dataset_id, &removed, changes.delete_policy).await?
    };
    for name in &removed {
        sqlx::query("delete from labels where dataset_id = $1 and name = $2")
            .bind(dataset_id)
            .bind(name)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
    }
    for (i, l) in after.iter().enumerate() {
        let position = i64::try_from(i).unwrap_or(i64::MAX);
        let updated = sqlx::query(
            "update labels set position = $1, label_type = $2, property = $3, attributes = $4 \
             where dataset_id = $5 and name = $6",
        )
        .bind(position)
        .bind(i64::from(l.label_type))
        .bind(to_json(&l.property)?)
        .bind(to_json(&l.attributes)?)
        .bind(dataset_id)
        .bind(&l.name)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
        if updated.rows_affected() == 0 {
            sqlx::query(
                "insert into labels (dataset_id, position, name, label_type, property, attributes) \
                 values ($1, $2, $3, $4, $5, $6)",
            )
            .bind(dataset_id)
            .bind(position)
            .bind(&l.name)
            .bind(i64::from(l.label_type))
            .bind(to_json(&l.property)?)
            .bind(to_json(&l.attributes)?)
            .execute(&mut **tx)
            .await
            .map_err(|e| on_unique(e, "labels_dataset_name"))?;
        }
    }
    Ok(deleted_paths)
}

/// Sample ids carrying any of `names`, read in full before the caller rewrites them.
async fn samples_with(
    tx: &mut Transaction<'_, Any>,
    dataset_id: &str,
    names: &[String],
) -> StoreResult<Vec<(String, String, String, String)>> {
    let mut sql =
        Sql::new("select s.id, s.labels, s.status, s.path from samples s where s.dataset_id = ");
    sql.bind(Param::Text(dataset_id.to_owned()));
    sql.push(" and s.id in (select sample_id from sample_labels where dataset_id = ");
    sql.bind(Param::Text(dataset_id.to_owned()));
    sql.push(" and label_name in (");
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(Param::Text(n.clone()));
    }
    sql.push("))");
    let rows = sql.query().fetch_all(&mut **tx).await.map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("id").map_err(db)?,
                r.try_get("labels").map_err(db)?,
                r.try_get("status").map_err(db)?,
                r.try_get("path").map_err(db)?,
            ))
        })
        .collect()
}

fn parse_labels(text: &str) -> StoreResult<Vec<SampleLabel>> {
    serde_json::from_str(text).map_err(labelhive_domain::store::StoreError::other)
}

async fn save_sample_labels(
    tx: &mut Transaction<'_, Any>,
    dataset_id: &str,
    id: &str,
    labels: &[SampleLabel],
    status: &str,
) -> StoreResult<()> {
    sqlx::query("update samples set labels = $1, status = $2, update_time = $3 where dataset_id = $4 and id = $5")
        .bind(to_json(&labels)?)
        .bind(status)
        .bind(labelhive_domain::time::now_ms())
        .bind(dataset_id)
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(())
}

async fn rename_in_samples(
    tx: &mut Transaction<'_, Any>,
    dataset_id: &str,
    old: &str,
    new: &str,
) -> StoreResult<()> {
    sqlx::query("update labels set name = $1 where dataset_id = $2 and name = $3")
        .bind(new)
        .bind(dataset_id)
        .bind(old)
        .execute(&mut **tx)
        .await
        .map_err(|e| on_unique(e, "labels_dataset_name"))?;
    for (id, labels, status, _) in samples_with(tx, dataset_id, &[old.to_owned()]).await? {
        let mut labels = parse_labels(&labels)?;
        for l in &mut labels {
            if l.name.as_deref() == Some(old) {
                l.name = Some(new.to_owned());
            }
        }
        save_sample_labels(tx, dataset_id, &id, &labels, &status).await?;
    }
    sqlx::query(
        "update sample_labels set label_name = $1 where dataset_id = $2 and label_name = $3",
    )
    .bind(new)
    .bind(dataset_id)
    .bind(old)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

async fn remove_from_samples(
    tx: &mut Transaction<'_, Any>,
    dataset_id: &str,
    names: &[String],
    policy: LabelDeletePolicy,
) -> StoreResult<Vec<String>> {
    let mut deleted = Vec::new();
    for (id, labels_text, status, path) in samples_with(tx, dataset_id, names).await? {
        let old = parse_labels(&labels_text)?;
        let new: Vec<SampleLabel> = old
            .iter()
            .filter(|l| !l.name.as_ref().is_some_and(|n| names.contains(n)))
            .cloned()
            .collect();
        if new.is_empty() && policy != LabelDeletePolicy::KeepSamples {
            apply_label_delta(tx, dataset_id, &id, Some((&old, &status)), None).await?;
            sqlx::query("delete from samples where dataset_id = $1 and id = $2")
                .bind(dataset_id)
                .bind(&id)
                .execute(&mut **tx)
                .await
                .map_err(db)?;
            sqlx::query(
                "update datasets set deleted_sample_count = deleted_sample_count + 1 where id = $1",
            )
            .bind(dataset_id)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
            deleted.push(path);
            continue;
        }
        let final_annotation = status != labelhive_domain::sample::state::TO_CONFIRM;
        let new_status = state_for(&new, final_annotation);
        apply_label_delta(
            tx,
            dataset_id,
            &id,
            Some((&old, &status)),
            Some((&new, new_status)),
        )
        .await?;
        save_sample_labels(tx, dataset_id, &id, &new, new_status).await?;
    }
    Ok(deleted)
}
