//! Statistics of a team labeling task: label counts over the members' annotations,
//! sample statistics of the samples they cover, and the members' agreement.

use std::collections::HashMap;

use crate::annotation::SampleLabel;
use crate::consensus::consensus;
use crate::sample::{counter, LabelCount, Sample};
use crate::search::SampleFilter;
use crate::services::team_tasks::MemberStats;
use crate::services::team_tasks::{Actor, TeamTaskService};
use crate::stats::SampleStats;
use crate::store::MemberTaskQuery;
use crate::team_task::StateCounts;
use crate::team_task::{item_state, ItemFilter, TaskItem, TeamTask};
use crate::DomainError;

impl TeamTaskService {
    /// Samples of the task by their least advanced item, and samples deleted since.
    pub async fn sample_stats(&self, task: &TeamTask) -> Result<StateCounts, DomainError> {
        Ok(self.store.sample_counts(task).await?)
    }

    /// Each member's item counts (members without items included, at zero).
    pub async fn member_stats(&self, task: &TeamTask) -> Result<Vec<MemberStats>, DomainError> {
        let rows = self.store.item_counts(&task.id).await?;
        let mut out: Vec<MemberStats> = Vec::new();
        for m in &task.members {
            if out.iter().any(|s| s.member.worker_id == m.worker_id) {
                continue;
            }
            let mut counts = StateCounts::default();
            for (w, state, n) in &rows {
                if *w == m.worker_id {
                    counts.add(*state, *n);
                }
            }
            out.push(MemberStats {
                member: m.clone(),
                counts,
            });
        }
        Ok(out)
    }

    /// The (task, member) pairs of the actor (the owner sees every member's).
    pub async fn member_tasks(
        &self,
        project: &str,
        mut q: MemberTaskQuery,
        actor: &Actor,
    ) -> Result<(Vec<(TeamTask, MemberStats)>, i64), DomainError> {
        if let Actor::Worker(w) = actor {
            q.worker_id = Some(w.clone());
        }
        let (pairs, total) = self.store.member_tasks(project, &q).await?;
        // The owner's page holds several members of one task: count it once.
        let mut by_task: HashMap<String, Vec<(String, i32, i64)>> = HashMap::new();
        let mut out = Vec::with_capacity(pairs.len());
        for (task, member) in pairs {
            if !by_task.contains_key(&task.id) {
                let rows = self.store.item_counts(&task.id).await?;
                by_task.insert(task.id.clone(), rows);
            }
            let mut counts = StateCounts::default();
            for (w, state, n) in by_task.get(&task.id).into_iter().flatten() {
                if *w == member.worker_id {
                    counts.add(*state, *n);
                }
            }
            out.push((task, MemberStats { member, counts }));
        }
        Ok((out, total))
    }

    /// Statistics over the task's items (of one state when given): label counts over
    /// the members' annotations, and over the distinct samples those items cover the
    /// hard examples, hard reason mentions and metadata keys. Pages are sorted by
    /// sample, so a sample's items are gathered across a page boundary and counted once.
    /// Answers the number of those samples with the statistics.
    pub async fn stats(
        &self,
        task: &TeamTask,
        f: &ItemFilter,
    ) -> Result<(i64, SampleStats), DomainError> {
        let mut tally = TaskTally::default();
        self.tally_items(task, f, &mut tally).await?;
        Ok(tally.finish())
    }

    /// [`Self::stats`] over every team task of the dataset, for the dataset statistics
    /// narrowed by a team state or a member. A sample in two tasks counts in each.
    pub async fn dataset_stats(
        &self,
        project: &str,
        dataset: &str,
        f: &ItemFilter,
    ) -> Result<(i64, SampleStats), DomainError> {
        self.dataset(project, dataset).await?;
        let mut tally = TaskTally::default();
        let mut page = 0;
        loop {
            let (tasks, total) = self.store.list_team_tasks(dataset, page, 100).await?;
            for task in &tasks {
                self.tally_items(task, f, &mut tally).await?;
            }
            page += 1;
            if page * 100 >= total {
                return Ok(tally.finish());
            }
        }
    }

    /// Adds the task's items matching `f`, page by page, to `tally`.
    async fn tally_items(
        &self,
        task: &TeamTask,
        f: &ItemFilter,
        tally: &mut TaskTally,
    ) -> Result<(), DomainError> {
        let mut offset = 0;
        loop {
            let (rows, total) = self
                .store
                .list_items(task, f, &SampleFilter::default(), offset, 500)
                .await?;
            for (item, sample) in rows {
                tally.add(item, sample);
            }
            offset += 1;
            if offset * 500 >= total {
                return Ok(());
            }
        }
    }

    /// Each member's agreement with the other annotators of their accepted or
    /// labeled samples (mean over samples with more than one annotation).
    pub async fn member_agreement(
        &self,
        task: &TeamTask,
    ) -> Result<HashMap<String, f64>, DomainError> {
        if task.repetition < 2 {
            return Ok(HashMap::new());
        }
        let f = ItemFilter::default().with_state(Some(crate::search::SampleState::All));
        let mut sums: HashMap<String, (f64, i64)> = HashMap::new();
        let mut offset = 0;
        let mut last = String::new();
        loop {
            let (rows, total) = self
                .store
                .list_items(task, &f, &SampleFilter::default(), offset, 500)
                .await?;
            // Pages are sorted by sample: a sample split over two pages counts once.
            let mut ids: Vec<String> = rows
                .iter()
                .map(|(i, _)| i.sample_id.clone())
                .filter(|id| *id > last)
                .collect();
            ids.dedup();
            if let Some(l) = ids.last() {
                last.clone_from(l);
            }
            let items = self.store.items_of(&task.id, &ids).await?;
            for id in &ids {
                let of: Vec<&TaskItem> = items
                    .iter()
                    .filter(|i| i.sample_id == *id && i.state >= item_state::UNREVIEWED)
                    .collect();
                if of.len() < 2 {
                    continue;
                }
                let annotations: Vec<&[SampleLabel]> =
                    of.iter().map(|i| i.labels.as_slice()).collect();
                let c = consensus(&annotations);
                for (it, a) in of.iter().zip(c.per_annotator) {
                    let e = sums.entry(it.worker_id.clone()).or_default();
                    e.0 += a;
                    e.1 += 1;
                }
            }
            offset += 1;
            if offset * 500 >= total {
                break;
            }
        }
        Ok(sums
            .into_iter()
            .map(|(w, (s, n))| (w, s / n as f64))
            .collect())
    }
}

/// Agreement of a sample's labeled annotations (1 with fewer than two).
pub fn agreement(items: &[TaskItem]) -> f64 {
    let labeled: Vec<&[SampleLabel]> = items
        .iter()
        .filter(|i| i.state >= item_state::UNREVIEWED)
        .map(|i| i.labels.as_slice())
        .collect();
    if labeled.len() < 2 {
        return 1.0;
    }
    consensus(&labeled).agreement
}
/// Running totals of [`TeamTaskService::stats`].
#[derive(Default)]
struct TaskTally {
    labels: Vec<LabelCount>,
    /// The sample whose items are being gathered, with their labels.
    current: Option<(Sample, Vec<SampleLabel>)>,
    /// Samples counted.
    samples: i64,
    /// Counter keys of the counted samples (`sample::counter`).
    keys: HashMap<String, i64>,
}

impl TaskTally {
    fn add(&mut self, item: TaskItem, sample: Sample) {
        let mut seen: Vec<&str> = Vec::new();
        for l in &item.labels {
            let name = l.name.as_deref().unwrap_or_default();
            let i = match self.labels.iter().position(|c| c.name == name) {
                Some(i) => i,
                None => {
                    self.labels.push(LabelCount {
                        name: name.to_owned(),
                        count: 0,
                        sample_count: 0,
                    });
                    self.labels.len() - 1
                }
            };
            self.labels[i].count += 1;
            if !seen.contains(&name) {
                seen.push(name);
                self.labels[i].sample_count += 1;
            }
        }
        match &mut self.current {
            Some((s, labels)) if s.id == sample.id => labels.extend(item.labels),
            _ => {
                self.close();
                self.current = Some((sample, item.labels));
            }
        }
    }

    /// Counts the gathered sample: its metadata with its items' annotations.
    fn close(&mut self) {
        let Some((sample, labels)) = self.current.take() else {
            return;
        };
        self.samples += 1;
        let hard = crate::annotation::is_hard(&labels, Some(&sample.metadata));
        for key in counter::base_keys(hard, &labels, &sample.metadata) {
            *self.keys.entry(key).or_default() += 1;
        }
    }

    /// The number of samples and their statistics.
    fn finish(mut self) -> (i64, SampleStats) {
        self.close();
        let samples = self.samples;
        (samples, SampleStats::from_counters(self.keys, self.labels))
    }
}
