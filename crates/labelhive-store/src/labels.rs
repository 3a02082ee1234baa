//! Dataset labels and their propagation into samples: renames and deletions change
//! every sample carrying the label, in the caller's transaction.

use std::collections::{BTreeMap, HashSet};

use crate::counters::{label_scope, tally, Pending, Side};
use crate::sample_writes::delete_rows;
use crate::sql::push_in;
use labelhive_domain::annotation::{is_hard, SampleMetadata};
use labelhive_domain::sample::{counter, state};

use labelhive_domain::annotation::SampleLabel;
use labelhive_domain::label::Label;
use labelhive_domain::sample::state_for;
use labelhive_domain::store::{LabelChanges, LabelDeletePolicy, StoreResult};
use sqlx::{Any, Row, Transaction};

use crate::rows::to_json;
use crate::sql::{Param, Sql};
use crate::{db, label_props, on_unique};

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
) -> StoreResult<Vec<Carrier>> {
    let mut sql = Sql::new(
        "select s.id, s.seq, s.labels, s.metadata, s.status, s.path, s.hard from samples s \
         where s.dataset_id = ",
    );
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
    let rows = sql.query_for(tx).fetch_all(&mut **tx).await.map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(Carrier {
                id: r.try_get("id").map_err(db)?,
                seq: r.try_get("seq").map_err(db)?,
                labels: parse_labels(&r.try_get::<String, _>("labels").map_err(db)?)?,
                status: r.try_get("status").map_err(db)?,
                path: r.try_get("path").map_err(db)?,
                metadata: serde_json::from_str(&r.try_get::<String, _>("metadata").map_err(db)?)
                    .map_err(labelhive_domain::store::StoreError::other)?,
                hard: r.try_get::<i64, _>("hard").map_err(db)? != 0,
            })
        })
        .collect()
}

/// A sample carrying a label being renamed or removed.
struct Carrier {
    id: String,
    seq: i64,
    labels: Vec<SampleLabel>,
    status: String,
    path: String,
    metadata: SampleMetadata,
    hard: bool,
}

fn parse_labels(text: &str) -> StoreResult<Vec<SampleLabel>> {
    serde_json::from_str(text).map_err(labelhive_domain::store::StoreError::other)
}

/// Stores a sample's rewritten labels with the state and hard flag they give it.
/// The statement that stores a sample's new labels, state and hard flag.
fn save_sample_labels(
    dataset_id: &str,
    id: &str,
    labels: &[SampleLabel],
    status: &str,
    hard: bool,
) -> StoreResult<Sql> {
    let mut sql = Sql::new("update samples set labels = ");
    sql.bind(Param::Text(to_json(&labels)?))
        .push(", status = ")
        .bind(Param::Text(status.to_owned()))
        .push(", hard = ")
        .bind(Param::Int(i64::from(hard)))
        .push(", update_time = ")
        .bind(Param::Int(labelhive_domain::time::now_ms()))
        .push(" where dataset_id = ")
        .bind(Param::Text(dataset_id.to_owned()))
        .push(" and id = ")
        .bind(Param::Text(id.to_owned()));
    Ok(sql)
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
    for mut c in samples_with(tx, dataset_id, &[old.to_owned()]).await? {
        for l in &mut c.labels {
            if l.name.as_deref() == Some(old) {
                l.name = Some(new.to_owned());
            }
        }
        save_sample_labels(dataset_id, &c.id, &c.labels, &c.status, c.hard)?
            .query_for(tx)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
    }
    // Counters, index rows and page buckets move with the name.
    for table in ["sample_labels", label_props::TABLE] {
        sqlx::query(&format!(
            "update {table} set label_name = $1 where dataset_id = $2 and label_name = $3"
        ))
        .bind(new)
        .bind(dataset_id)
        .bind(old)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    }
    sqlx::query("update sample_pages set scope = $1 where dataset_id = $2 and scope = $3")
        .bind(label_scope(new))
        .bind(dataset_id)
        .bind(label_scope(old))
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    // So do the label counters of samples outside `__ALL__` (`counter::keys`).
    for status in [state::UNLABELED, state::TO_CONFIRM] {
        for kind in [counter::LABEL, counter::LABEL_SAMPLES] {
            let key = |name: &str| format!("{}{status}|{kind}{name}", counter::IN_STATE);
            sqlx::query(
                "update sample_state_counts set state = $1 where dataset_id = $2 and state = $3",
            )
            .bind(key(new))
            .bind(dataset_id)
            .bind(key(old))
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        }
    }
    Ok(())
}

async fn remove_from_samples(
    tx: &mut Transaction<'_, Any>,
    dataset_id: &str,
    names: &[String],
    policy: LabelDeletePolicy,
) -> StoreResult<Vec<String>> {
    let mut deleted = Vec::new();
    let mut gone = Vec::new();
    let mut pending = Pending::default();
    let carriers = samples_with(tx, dataset_id, names).await?;
    // Label positions shift as labels go: the kept samples' property rows are rewritten.
    let indexed: Vec<&str> = carriers
        .iter()
        .filter(|c| label_props::any_indexed(&c.labels))
        .map(|c| c.id.as_str())
        .collect();
    label_props::delete(&mut pending.script, dataset_id, &indexed);
    let mut kept: Vec<(String, Vec<SampleLabel>)> = Vec::new();
    for c in carriers {
        let old_tally = tally(&c.labels);
        let old_keys = counter::keys(&c.status, c.hard, &c.labels, &c.metadata);
        let old = Side {
            tally: &old_tally,
            status: &c.status,
            keys: &old_keys,
        };
        let new: Vec<SampleLabel> = c
            .labels
            .iter()
            .filter(|l| !l.name.as_ref().is_some_and(|n| names.contains(n)))
            .cloned()
            .collect();
        if new.is_empty() && policy != LabelDeletePolicy::KeepSamples {
            pending.counters.change(c.seq, Some(old), None);
            pending.counters.deleted(1);
            // Its label rows go below with the label; its row and metadata rows after
            // the loop, with the others'.
            gone.push(c.id);
            deleted.push(c.path);
            continue;
        }
        let final_annotation = c.status != labelhive_domain::sample::state::TO_CONFIRM;
        let new_status = state_for(&new, final_annotation);
        let new_tally = tally(&new);
        let hard = is_hard(&new, Some(&c.metadata));
        let new_keys = counter::keys(new_status, hard, &new, &c.metadata);
        let side = Side {
            tally: &new_tally,
            status: new_status,
            keys: &new_keys,
        };
        pending.counters.change(c.seq, Some(old), Some(side));
        pending.script.add(save_sample_labels(
            dataset_id, &c.id, &new, new_status, hard,
        )?);
        kept.push((c.id, new));
    }
    let kept: Vec<(&str, &[SampleLabel])> = kept
        .iter()
        .map(|(id, labels)| (id.as_str(), labels.as_slice()))
        .collect();
    label_props::insert(&mut pending.script, dataset_id, &kept);
    let gone: Vec<&str> = gone.iter().map(String::as_str).collect();
    delete_rows(&mut pending.script, dataset_id, &gone);
    let mut sql = Sql::new("delete from sample_labels where dataset_id = ");
    sql.bind(Param::Text(dataset_id.to_owned()));
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    push_in(&mut sql, " and label_name", &refs);
    pending.script.add(sql);
    pending.run(tx, dataset_id).await?;
    Ok(deleted)
}
