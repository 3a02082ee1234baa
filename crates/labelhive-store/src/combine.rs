//! Group commit: writes to one dataset (samples) or one team task (items) that arrive
//! while another is being written are combined into the next transaction. Writers of
//! one subject are serialised anyway (its row lock, or SQLite's one writer), so
//! combining turns N waiting transactions into one, and N commits (each an fsync) into
//! one, without changing any result: the writes apply in arrival order, exactly as
//! they would one after another.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use labelhive_domain::store::{StoreError, StoreResult};
use tokio::sync::oneshot;

/// One caller's writes, waiting for the transaction that will carry them.
struct Pending<T> {
    samples: Vec<T>,
    reply: oneshot::Sender<Result<Vec<bool>, String>>,
}

/// A subject (dataset or task id) and how its writes go (a write mode, a round).
type Key<M> = (String, M);

/// The queues of waiting writes of `T` and the per-subject leader locks.
pub(crate) struct Combiner<M, T> {
    queues: Mutex<HashMap<Key<M>, Vec<Pending<T>>>>,
    leaders: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl<M, T> Default for Combiner<M, T> {
    fn default() -> Self {
        Self {
            queues: Mutex::default(),
            leaders: Mutex::default(),
        }
    }
}

impl<M, T> std::fmt::Debug for Combiner<M, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Combiner")
    }
}

impl<M: Clone + Eq + std::hash::Hash, T> Combiner<M, T> {
    /// Queues `samples`; returns true when the caller is the first in the queue and so
    /// must lead (see [`Combiner::take`]).
    fn enqueue(
        &self,
        key: &Key<M>,
        samples: Vec<T>,
    ) -> (bool, oneshot::Receiver<Result<Vec<bool>, String>>) {
        let (reply, answer) = oneshot::channel();
        let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        let queue = queues.entry(key.clone()).or_default();
        queue.push(Pending { samples, reply });
        (queue.len() == 1, answer)
    }

    /// Everything queued under `key`; later arrivals start a new queue and a new leader.
    fn take(&self, key: &Key<M>) -> Vec<Pending<T>> {
        let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        queues.remove(key).unwrap_or_default()
    }

    /// The lock a dataset's leaders take in turn, so that a queue fills while the
    /// previous transaction runs.
    fn leader_lock(&self, dataset_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut leaders = self.leaders.lock().unwrap_or_else(|p| p.into_inner());
        leaders.entry(dataset_id.to_owned()).or_default().clone()
    }

    /// Drops a dataset's leader lock when nobody else holds or waits for it, so the map
    /// does not keep one entry per dataset ever written.
    fn forget_if_idle(&self, dataset_id: &str, lock: Arc<tokio::sync::Mutex<()>>) {
        let mut leaders = self.leaders.lock().unwrap_or_else(|p| p.into_inner());
        // Ours and the map's: no other leader has it, and none can take it meanwhile.
        if Arc::strong_count(&lock) == 2 {
            leaders.remove(dataset_id);
        }
    }
}

/// Writes `samples` to `dataset_id` through `write`, combined with whatever other
/// writes to that subject in the same `mode` queue up meanwhile. The leader's work runs
/// in its own task, so a caller that goes away (a closed connection) cannot strand the
/// others.
pub(crate) async fn combined<M, T, W, F>(
    combiner: Arc<Combiner<M, T>>,
    dataset_id: &str,
    samples: &[T],
    mode: M,
    write: W,
) -> StoreResult<Vec<bool>>
where
    M: Clone + Eq + std::hash::Hash + Send + Sync + 'static,
    T: Clone + Send + 'static,
    W: FnOnce(String, Vec<T>, M) -> F + Send + 'static,
    F: std::future::Future<Output = StoreResult<Vec<bool>>> + Send,
{
    let key = (dataset_id.to_owned(), mode);
    let (leads, answer) = combiner.enqueue(&key, samples.to_vec());
    if leads {
        let task = tokio::spawn(async move {
            let lock = combiner.leader_lock(&key.0);
            let turn = lock.lock().await;
            let batch = combiner.take(&key);
            let sizes: Vec<usize> = batch.iter().map(|p| p.samples.len()).collect();
            let (all, replies): (Vec<Vec<T>>, Vec<_>) =
                batch.into_iter().map(|p| (p.samples, p.reply)).unzip();
            let result = write(key.0.clone(), all.into_iter().flatten().collect(), key.1).await;
            let mut offset = 0;
            for (size, reply) in sizes.into_iter().zip(replies) {
                let part = match &result {
                    Ok(written) => Ok(written
                        .get(offset..offset + size)
                        .map(<[bool]>::to_vec)
                        .unwrap_or_default()),
                    Err(e) => Err(describe(e)),
                };
                offset += size;
                // A caller that went away no longer needs its answer.
                let _ = reply.send(part);
            }
            drop(turn);
            combiner.forget_if_idle(&key.0, lock);
        });
        if let Err(e) = task.await {
            return Err(StoreError::other(format!("the combined write failed: {e}")));
        }
    }
    match answer.await {
        Ok(Ok(written)) => Ok(written),
        Ok(Err(msg)) => Err(StoreError::other(msg)),
        Err(_) => Err(StoreError::other("the combined write was abandoned")),
    }
}

/// An error with its causes, for every caller of a failed combined write.
fn describe(err: &StoreError) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use labelhive_domain::sample::SampleWrite;
    use labelhive_domain::store::WriteMode;

    fn write(id: &str) -> SampleWrite {
        SampleWrite {
            id: id.to_owned(),
            path: format!("/b/{id}"),
            name: id.to_owned(),
            size: 0,
            sample_type: 0,
            labels: Vec::new(),
            metadata: Default::default(),
            status: "__NONE__",
            hard: false,
            score: None,
            usage: None,
        }
    }

    #[tokio::test]
    async fn writes_queued_behind_a_running_one_share_the_next_transaction() {
        let combiner = Arc::new(Combiner::<WriteMode, SampleWrite>::default());
        let calls = Arc::new(Mutex::new(Vec::<Vec<String>>::new()));
        // Hold the dataset's leader lock so that three writers queue up behind it.
        let lock = combiner.leader_lock("d");
        let held = lock.lock().await;
        let mut tasks = Vec::new();
        for i in 0..3 {
            let (combiner, calls) = (combiner.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                let samples = [write(&format!("s{i}")), write(&format!("t{i}"))];
                combined(
                    combiner,
                    "d",
                    &samples,
                    WriteMode::Upsert,
                    move |_, all, _| async move {
                        let ids: Vec<String> = all.iter().map(|s| s.id.clone()).collect();
                        let written = ids.iter().map(|id| id.starts_with('s')).collect();
                        calls.lock().unwrap().push(ids);
                        Ok(written)
                    },
                )
                .await
            }));
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        drop(held);
        drop(lock);
        for t in tasks {
            assert_eq!(
                t.await.unwrap().unwrap(),
                [true, false],
                "each gets its own part"
            );
        }
        let calls = calls.lock().unwrap();
        assert_eq!(calls.len(), 1, "one transaction for the three writers");
        assert!(
            combiner.leaders.lock().unwrap().is_empty(),
            "idle locks are dropped"
        );
        assert_eq!(
            calls[0],
            ["s0", "t0", "s1", "t1", "s2", "t2"],
            "in arrival order"
        );
    }

    #[tokio::test]
    async fn a_failed_transaction_fails_every_writer_in_it() {
        let combiner = Arc::new(Combiner::<WriteMode, SampleWrite>::default());
        let err = combined(
            combiner,
            "d",
            &[write("a")],
            WriteMode::Upsert,
            |_, _, _| async { Err(StoreError::other("disk full")) },
        )
        .await
        .unwrap_err();
        assert!(describe(&err).contains("disk full"), "{err:?}");
    }
}
