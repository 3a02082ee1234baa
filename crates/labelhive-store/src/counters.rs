//! Counters moved by sample changes. A batch gathers every change in memory and writes
//! them at the end of its transaction with a handful of statements, so a request of
//! 1,000 samples costs a few counter updates instead of thousands.

use std::collections::{BTreeMap, HashSet};

use labelhive_domain::annotation::SampleLabel;
use labelhive_domain::sample::state;
use labelhive_domain::store::StoreResult;
use sqlx::{Any, Transaction};

use crate::datasets::metric_point;
use crate::sql::push_in;
use crate::sql::{Param, Script, Sql};
use labelhive_domain::time::now_ms;

/// Sequence numbers per paging bucket (see migration 0003).
pub(crate) const BUCKET: i64 = 1024;

/// Rows per multi-row upsert.
const ROWS_PER_STATEMENT: usize = 300;

/// Occurrences per label name in a sample: (label type, instances).
pub(crate) type Tally = BTreeMap<String, (i32, i64)>;

/// The tally of a label list.
pub(crate) fn tally(labels: &[SampleLabel]) -> Tally {
    let mut out = Tally::new();
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

/// The paging scope of a state.
pub(crate) fn state_scope(status: &str) -> String {
    format!("s:{status}")
}

/// The paging scope of a label name.
pub(crate) fn label_scope(name: &str) -> String {
    format!("l:{name}")
}

/// What the counters know of one sample at one moment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Side<'a> {
    /// Its labels, tallied.
    pub tally: &'a Tally,
    /// Its `sample_status`.
    pub status: &'a str,
    /// Further per-dataset counters it adds one to each (`sample::counter::keys`).
    pub keys: &'a [String],
}

impl<'a> Side<'a> {
    /// A sample with no further counter keys.
    pub fn plain(tally: &'a Tally, status: &'a str) -> Self {
        Self {
            tally,
            status,
            keys: &[],
        }
    }
}

/// What a sample write gathers before its commit: the statements still to run and
/// the counter deltas of every change.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    pub script: Script,
    pub counters: Counters,
}

impl Pending {
    /// Adds the counter updates to the statements and runs them all inside `tx`.
    pub async fn run(self, tx: &mut Transaction<'_, Any>, dataset_id: &str) -> StoreResult<()> {
        let Pending {
            mut script,
            counters,
        } = self;
        counters.flush(&mut script, dataset_id);
        script.run(tx).await
    }
}

/// Counter deltas of one transaction.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Label name -> (instances, samples carrying it).
    labels: BTreeMap<String, (i64, i64)>,
    /// Samples per state and per further counter key (`sample_state_counts`).
    states: BTreeMap<String, i64>,
    /// (scope, bucket) -> samples.
    pages: BTreeMap<(String, i64), i64>,
    total: i64,
    annotated: i64,
    deleted: i64,
    /// The dataset's new `next_seq`, when samples were numbered.
    next_seq: Option<i64>,
}

impl Counters {
    /// Records that the sample numbered `seq` went from `old` (tally, state) to `new`;
    /// `None` means it did not exist before, or no longer exists.
    pub fn change(&mut self, seq: i64, old: Option<Side<'_>>, new: Option<Side<'_>>) {
        let bucket = seq / BUCKET;
        let empty = Tally::new();
        let before = old.map_or(&empty, |o| o.tally);
        let after = new.map_or(&empty, |n| n.tally);
        for k in old.map_or(&[][..], |o| o.keys) {
            *self.states.entry(k.clone()).or_default() -= 1;
        }
        for k in new.map_or(&[][..], |n| n.keys) {
            *self.states.entry(k.clone()).or_default() += 1;
        }
        if before != after {
            let names: HashSet<&String> = before.keys().chain(after.keys()).collect();
            for name in names {
                let b = before.get(name).map_or(0, |v| v.1);
                let a = after.get(name).map_or(0, |v| v.1);
                let carried = i64::from(a > 0) - i64::from(b > 0);
                if a == b && carried == 0 {
                    continue;
                }
                let e = self.labels.entry(name.clone()).or_default();
                e.0 += a - b;
                e.1 += carried;
                if carried != 0 {
                    *self.pages.entry((label_scope(name), bucket)).or_default() += carried;
                }
            }
        }
        let old_state = old.map(|o| o.status);
        let new_state = new.map(|n| n.status);
        if old_state != new_state {
            if let Some(s) = old_state {
                *self.states.entry(s.to_owned()).or_default() -= 1;
                *self.pages.entry((state_scope(s), bucket)).or_default() -= 1;
            }
            if let Some(s) = new_state {
                *self.states.entry(s.to_owned()).or_default() += 1;
                *self.pages.entry((state_scope(s), bucket)).or_default() += 1;
            }
            let labeled = |s: Option<&str>| i64::from(s == Some(state::LABELED));
            self.annotated += labeled(new_state) - labeled(old_state);
        }
        let exists = i64::from(new.is_some()) - i64::from(old.is_some());
        if exists != 0 {
            self.total += exists;
            *self.pages.entry((String::new(), bucket)).or_default() += exists;
        }
    }

    /// Counts samples deleted (the dataset's `deleted_sample_count`).
    pub fn deleted(&mut self, n: i64) {
        self.deleted += n;
    }

    /// Records the dataset's last sequence number, `next`, when it moved on from
    /// `locked` (what [`crate::samples::lock_dataset`] read). A write that numbered
    /// nothing (a relabel) then leaves the dataset row alone: one statement fewer.
    pub fn next_seq(&mut self, locked: i64, next: i64) {
        if next != locked {
            self.next_seq = Some(next);
        }
    }

    /// Writes every delta.
    pub fn flush(self, script: &mut Script, dataset_id: &str) {
        // All label counters in one statement: a relabel usually moves two labels.
        let labels: Vec<_> = self
            .labels
            .iter()
            .filter(|(_, (i, n))| *i != 0 || *n != 0)
            .collect();
        for chunk in labels.chunks(ROWS_PER_STATEMENT) {
            let mut sql = Sql::new("update labels set instance_count = instance_count + case name");
            for (name, (instances, _)) in chunk {
                sql.push(" when ").bind(Param::Text((*name).clone()));
                sql.push(" then ").bind(Param::Int(*instances));
            }
            sql.push(" else 0 end, sample_count = sample_count + case name");
            for (name, (_, samples)) in chunk {
                sql.push(" when ").bind(Param::Text((*name).clone()));
                sql.push(" then ").bind(Param::Int(*samples));
            }
            sql.push(" else 0 end where dataset_id = ")
                .bind(Param::Text(dataset_id.to_owned()));
            let names: Vec<&str> = chunk.iter().map(|(n, _)| n.as_str()).collect();
            push_in(&mut sql, " and name", &names);
            script.add(sql);
        }
        let states: Vec<_> = self.states.iter().filter(|(_, n)| **n != 0).collect();
        for chunk in states.chunks(ROWS_PER_STATEMENT) {
            let mut sql =
                Sql::new("insert into sample_state_counts (dataset_id, state, n) values ");
            for (i, (s, n)) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" })
                    .bind(Param::Text(dataset_id.to_owned()))
                    .push(", ")
                    .bind(Param::Text((*s).clone()))
                    .push(", ")
                    .bind(Param::Int(**n))
                    .push(")");
            }
            sql.push(" on conflict (dataset_id, state) do update set n = sample_state_counts.n + excluded.n");
            script.add(sql);
        }
        let pages: Vec<_> = self.pages.iter().filter(|(_, n)| **n != 0).collect();
        for chunk in pages.chunks(ROWS_PER_STATEMENT) {
            let mut sql =
                Sql::new("insert into sample_pages (dataset_id, scope, bucket, n) values ");
            for (i, ((scope, bucket), n)) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" })
                    .bind(Param::Text(dataset_id.to_owned()))
                    .push(", ")
                    .bind(Param::Text(scope.clone()))
                    .push(", ")
                    .bind(Param::Int(*bucket))
                    .push(", ")
                    .bind(Param::Int(**n))
                    .push(")");
            }
            sql.push(
                " on conflict (dataset_id, scope, bucket) do update set n = sample_pages.n + excluded.n",
            );
            script.add(sql);
        }
        if self.total != 0 || self.annotated != 0 || self.deleted != 0 || self.next_seq.is_some() {
            let mut sql =
                Sql::new("update datasets set total_sample_count = total_sample_count + ");
            sql.bind(Param::Int(self.total))
                .push(", annotated_sample_count = annotated_sample_count + ")
                .bind(Param::Int(self.annotated))
                .push(", deleted_sample_count = deleted_sample_count + ")
                .bind(Param::Int(self.deleted));
            if let Some(next) = self.next_seq {
                sql.push(", next_seq = case when ")
                    .bind(Param::Int(next))
                    .push(" > next_seq then ")
                    .bind(Param::Int(next))
                    .push(" else next_seq end");
            }
            sql.push(" where id = ")
                .bind(Param::Text(dataset_id.to_owned()));
            script.add(sql);
        }
        // The metrics series has a point per minute in which these counts changed.
        if self.total != 0 || self.annotated != 0 {
            script.add(metric_point(dataset_id, now_ms()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use labelhive_domain::annotation::SampleMetadata;
    use labelhive_domain::sample::counter;

    fn named(names: &[&str]) -> Vec<SampleLabel> {
        names
            .iter()
            .map(|n| SampleLabel {
                name: Some((*n).to_owned()),
                ..SampleLabel::default()
            })
            .collect()
    }

    #[test]
    fn a_relabel_moves_labels_states_keys_and_pages_of_the_samples_bucket() {
        let mut c = Counters::default();
        let cat = tally(&named(&["cat", "cat"]));
        let dog = tally(&named(&["dog"]));
        let metadata: SampleMetadata = serde_json::from_value(
            serde_json::json!({"@modelarts:hard_reasons": [3, 3, 20], "camera": "a"}),
        )
        .unwrap();
        let keys = counter::keys(state::LABELED, true, &[], &metadata);
        let hard_dog = Side {
            keys: &keys,
            ..Side::plain(&dog, state::LABELED)
        };
        c.change(2048 + 5, None, Some(Side::plain(&cat, state::LABELED)));
        c.change(
            2048 + 5,
            Some(Side::plain(&cat, state::LABELED)),
            Some(hard_dog),
        );
        assert_eq!(c.labels["cat"], (0, 0));
        assert_eq!(c.labels["dog"], (1, 1));
        assert_eq!(c.states[counter::HARD], 1);
        assert_eq!(c.states["hard_reason:3"], 2);
        assert_eq!(c.states["meta:camera"], 1);
        assert_eq!(c.pages[&(label_scope("dog"), 2)], 1);
        assert_eq!(c.pages[&(label_scope("cat"), 2)], 0);
        assert_eq!(c.pages[&(state_scope(state::LABELED), 2)], 1);
        assert_eq!(c.pages[&(String::new(), 2)], 1);
        assert_eq!((c.total, c.annotated), (1, 1));
        c.change(2048 + 5, Some(hard_dog), None);
        assert_eq!(c.pages[&(String::new(), 2)], 0);
        assert_eq!((c.total, c.annotated), (0, 0));
        assert_eq!(c.states[state::LABELED], 0);
        assert_eq!((c.states[counter::HARD], c.states["hard_reason:3"]), (0, 0));
    }
}
