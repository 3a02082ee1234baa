//! Booting the server: store, blob, default project, listener, job runners.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use labelhive_domain::blob::Blob;
use labelhive_domain::store::Store;
use labelhive_store::{Dialect, SqlStore};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::app::AppState;
use crate::blob::{LocalBlob, S3Blob};
use crate::config::{Config, Storage};
use crate::jobs::Runner;
use crate::keys::Keys;
use crate::mailer::SmtpMailer;

/// A bound, not yet running server.
pub struct Server {
    listener: TcpListener,
    state: AppState,
    addr: SocketAddr,
    /// The store again, for periodic maintenance.
    maintenance: SqlStore,
    /// The SMTP client, when SMTP is configured.
    mailer: Option<SmtpMailer>,
}

impl Server {
    /// Opens the store (running migrations), the object store and the listener.
    pub async fn bind(config: Config) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating the data dir {}", config.data_dir.display()))?;
        let keys = Keys::load(config.master_key.as_deref(), &config.data_dir)?;
        let sql = SqlStore::connect(&config.effective_database_url()).await?;
        if sql.dialect() == Dialect::Sqlite {
            // SQLite serves one process: a job still marked running was left by a crash.
            let n = labelhive_domain::store::JobStore::requeue_running_jobs(&sql).await?;
            if n > 0 {
                tracing::info!(job.count = n, "requeued jobs interrupted by a restart");
            }
        }
        let maintenance = sql.clone();
        let store: Arc<dyn Store> = Arc::new(sql);
        let blob: Arc<dyn Blob> = match &config.storage {
            Storage::Local => Arc::new(LocalBlob::open(config.obs_root())?),
            Storage::S3(options) => Arc::new(S3Blob::new(options.clone())?),
        };
        crate::projects::bootstrap_default(&store, &keys, &config.data_dir).await?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        let addr = listener.local_addr()?;
        let mailer = config
            .smtp
            .as_ref()
            .map(SmtpMailer::new)
            .transpose()
            .context("configuring SMTP")?;
        let mut config = config;
        // Emails point members at the address really bound (port 0 picks one).
        config.listen = addr;
        tracing::info!(db.backend = store.backend(), "store ready");
        Ok(Self {
            listener,
            state: AppState::new(store, blob, keys, config),
            addr,
            maintenance,
            mailer,
        })
    }

    /// The bound address (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` resolves, then stops the job runners.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut runners = Vec::new();
        for i in 0..self.state.config.job_workers.max(1) {
            let runner = Runner::new(self.state.clone(), i);
            runners.push(tokio::spawn(runner.run(stop_rx.clone())));
        }
        runners.push(tokio::spawn(maintain(
            self.maintenance.clone(),
            stop_rx.clone(),
        )));
        match self.mailer {
            Some(mailer) => runners.push(tokio::spawn(crate::mailer::run(
                self.state.clone(),
                mailer,
                stop_rx.clone(),
            ))),
            None => tracing::info!("no SMTP configured: notification emails wait in the outbox"),
        }
        let app = crate::api::router(self.state.clone());
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .context("serving HTTP")?;
        let _ = stop_tx.send(true);
        for r in runners {
            let _ = r.await;
        }
        Ok(())
    }
}

/// How often table statistics are checked.
const MAINTENANCE_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Keeps the database's planner statistics fresh until `stop` turns true.
async fn maintain(sql: SqlStore, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(MAINTENANCE_EVERY) => {}
            _ = stop.changed() => return,
        }
        match sql.refresh_statistics().await {
            Ok(tables) if !tables.is_empty() => {
                tracing::info!(tables = ?tables, "refreshed planner statistics");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = format!("{e:#}"), "refreshing planner statistics"),
        }
    }
}
