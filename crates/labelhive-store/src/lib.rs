#![doc = include_str!("../README.md")]

mod combine;
mod counters;
mod datasets;
mod filters;
mod imports;
mod jobs;
mod label_props;
mod labels;
mod listing;
mod literals;
mod outbox;
mod projects;
mod rows;
mod sample_index;
mod sample_reads;
mod sample_writes;
mod samples;
mod sql;
mod sync;
mod team_items;
mod team_labelers;
mod team_rounds;
mod team_task_rows;
mod team_tasks;
mod version_samples;
mod versions;
mod workforces;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use labelhive_domain::store::{Store, StoreError, StoreResult};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor, Row};

/// Which database a [`SqlStore`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite: one process, WAL, writes serialised by the database.
    Sqlite,
    /// PostgreSQL: any number of replicas.
    Postgres,
}

/// The metadata store on SQLite or PostgreSQL.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    /// Where write transactions run: on SQLite one connection of its own, whose page
    /// cache stays valid from one write to the next (a connection drops its whole
    /// cache when it finds that another one wrote); on PostgreSQL `pool` itself.
    writer: AnyPool,
    dialect: Dialect,
    /// SQLite has one writer at a time; queueing writers here is far cheaper than
    /// letting them poll the file lock through the busy handler.
    write_gate: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Group commit of sample writes (see `combine.rs`).
    combiner: std::sync::Arc<
        combine::Combiner<
            labelhive_domain::store::WriteMode,
            labelhive_domain::sample::SampleWrite,
        >,
    >,
    /// Group commit of team task item writes, per task and acceptance round.
    item_combiner:
        std::sync::Arc<combine::Combiner<Option<String>, labelhive_domain::team_task::ItemWrite>>,
}

impl SqlStore {
    /// Connects to `url` (`sqlite://...` or `postgres://...`) and runs the migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Dialect::Postgres
        } else {
            anyhow::bail!("unsupported database URL scheme (use sqlite:// or postgres://)");
        };
        let options = AnyConnectOptions::from_str(url).context("parsing the database URL")?;
        let (pool, writer) = match dialect {
            Dialect::Sqlite => {
                let readers = sqlite_pool(4)
                    .connect_with(options.clone())
                    .await
                    .context("connecting to the database")?;
                let writer = sqlite_pool(1)
                    .connect_with(options)
                    .await
                    .context("connecting to the database")?;
                (readers, writer)
            }
            Dialect::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // Plan each execution for its parameters and the tables' current
                            // size. A generic plan cached while a dataset was small (or on a
                            // server without autovacuum, whose statistics never change) kept
                            // scanning whole tables once they held a million rows.
                            conn.execute("set plan_cache_mode = force_custom_plan")
                                .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await
                    .context("connecting to the database")?;
                (pool.clone(), pool)
            }
        };
        let migrator = match dialect {
            Dialect::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Dialect::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator.run(&pool).await.context("running migrations")?;
        Ok(Self {
            pool,
            writer,
            dialect,
            write_gate: std::sync::Arc::default(),
            combiner: std::sync::Arc::default(),
            item_combiner: std::sync::Arc::default(),
        })
    }

    /// Begins a write transaction; on SQLite the returned guard holds the write gate
    /// and must live until the transaction ends.
    pub(crate) async fn begin_write(
        &self,
    ) -> StoreResult<(
        Option<tokio::sync::OwnedMutexGuard<()>>,
        sqlx::Transaction<'static, sqlx::Any>,
    )> {
        match self.dialect {
            Dialect::Sqlite => {
                let gate = self.write_gate.clone().lock_owned().await;
                // IMMEDIATE takes the file's write lock now. A deferred transaction
                // reads first and fails with SQLITE_BUSY, without waiting, when it
                // then writes after another connection (a job's progress, a
                // statistics refresh) committed since its read began.
                let tx = self
                    .writer
                    .begin_with("begin immediate")
                    .await
                    .map_err(db)?;
                Ok((Some(gate), tx))
            }
            Dialect::Postgres => Ok((None, self.pool.begin().await.map_err(db)?)),
        }
    }

    /// Refreshes planner statistics of the tables that changed much since they were
    /// last analyzed; returns their names. PostgreSQL's autovacuum normally does this,
    /// but a server running without it (as on this project's CI machines) never
    /// analyzes, and its planner then picks the wrong sample index at a million rows.
    /// SQLite runs `pragma optimize`, which analyzes where SQLite sees a need.
    pub async fn refresh_statistics(&self) -> anyhow::Result<Vec<String>> {
        match self.dialect {
            Dialect::Sqlite => {
                self.pool
                    .execute("pragma optimize")
                    .await
                    .context("pragma optimize")?;
                Ok(Vec::new())
            }
            Dialect::Postgres => {
                // Autovacuum's default threshold (50 rows + 10%), but at most 20,000
                // rows: a new dataset filling a big table must reach the statistics
                // soon, or the planner takes it for empty and scans its rows.
                let stale = sqlx::query(
                    "select cast(relname as text) as relname from pg_stat_user_tables \
                     where schemaname = current_schema() \
                     and n_mod_since_analyze > least(50 + 0.1 * n_live_tup, 20000) \
                     order by relname",
                )
                .fetch_all(&self.pool)
                .await
                .context("reading table statistics")?;
                let mut done = Vec::new();
                for row in stale {
                    let table: String = row.try_get("relname")?;
                    // The name comes from the catalog; quoting keeps it an identifier.
                    let quoted = format!("\"{}\"", table.replace('"', "\"\""));
                    self.pool
                        .execute(format!("analyze {quoted}").as_str())
                        .await
                        .with_context(|| format!("analyzing {table}"))?;
                    done.push(table);
                }
                Ok(done)
            }
        }
    }

    /// The dialect in use.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Closes the pools, waiting for connections to be returned.
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}

/// A pool of up to `max` SQLite connections with the pragmas every connection needs.
fn sqlite_pool(max: u32) -> AnyPoolOptions {
    // No ping before each checkout: on SQLite every statement is a round trip to the
    // connection's thread, and a dead local file is not a concern.
    AnyPoolOptions::new()
        .max_connections(max)
        .test_before_acquire(false)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                // WAL lets readers run beside the one writer; FULL sync so a committed
                // label survives a power cut, not only a crash. A 32 MB page cache
                // (default 2 MB) keeps the upper levels of the sample indexes of a
                // million-sample dataset in memory. Checkpoints every 64 MB of WAL
                // (default 4 MB): a page that several batches change in between is
                // written back once. Temporary files in memory: a multi-row upsert keeps
                // a statement journal of the pages it changes, which SQLite otherwise
                // spills to a file past 64 KB, a fifth of an import's SQLite time.
                conn.execute(
                    "pragma journal_mode = wal; pragma synchronous = full; \
                     pragma foreign_keys = on; pragma busy_timeout = 10000; \
                     pragma cache_size = -32768; pragma wal_autocheckpoint = 16384; \
                     pragma temp_store = memory;",
                )
                .await?;
                Ok(())
            })
        })
}

impl Store for SqlStore {
    fn backend(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }
}

/// Maps a unique violation to the named constraint, anything else to `Other`.
pub(crate) fn on_unique(err: sqlx::Error, constraint: &'static str) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict { constraint }
        }
        _ => StoreError::other(err),
    }
}

/// Wraps any sqlx error.
pub(crate) fn db(err: sqlx::Error) -> StoreError {
    StoreError::other(err)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[tokio::test]
    async fn a_write_transaction_that_reads_first_survives_another_connections_commit() {
        let dir = std::env::temp_dir().join(format!(
            "labelhive-store-{}",
            labelhive_domain::ids::new_hex_id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("meta.db").display());
        let store = SqlStore::connect(&url).await.unwrap();
        let (gate, mut tx) = store.begin_write().await.unwrap();
        sqlx::query("select count(*) from projects")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        // A write outside the gate, as a job's progress update is, commits while
        // the transaction above is between its read and its write.
        let pool = store.pool.clone();
        let outside = tokio::spawn(async move {
            sqlx::query(
                "insert into projects (id, name, access_key, create_time) \
                 values ('p2', 'two', 'AK2', 0)",
            )
            .execute(&pool)
            .await
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        sqlx::query(
            "insert into projects (id, name, access_key, create_time) \
             values ('p1', 'one', 'AK1', 0)",
        )
        .execute(&mut *tx)
        .await
        .expect("the write after the read is not refused");
        tx.commit().await.unwrap();
        drop(gate);
        outside
            .await
            .unwrap()
            .expect("the outside write waited its turn");
        let n: i64 = sqlx::query_scalar("select count(*) from projects")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(n, 2);
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn names(dir: &str) -> BTreeSet<String> {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn both_backends_have_the_same_migrations() {
        let root = env!("CARGO_MANIFEST_DIR");
        let sqlite = names(&format!("{root}/migrations/sqlite"));
        let postgres = names(&format!("{root}/migrations/postgres"));
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, postgres);
    }
}
