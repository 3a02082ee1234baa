//! Server configuration, built once in `main` and passed down.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::blob::S3Options;
use crate::mailer::SmtpOptions;

/// Where sample files live.
#[derive(Debug, Clone, Default)]
pub enum Storage {
    /// Buckets as directories under `<data-dir>/obs`.
    #[default]
    Local,
    /// Buckets of an S3-compatible store.
    S3(S3Options),
}

/// Everything `serve` needs.
#[derive(Clone)]
pub struct Config {
    /// Listen address (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Data directory.
    pub data_dir: PathBuf,
    /// PostgreSQL URL, or `None` for SQLite in the data dir.
    pub database_url: Option<String>,
    /// Sample file storage.
    pub storage: Storage,
    /// Master key, hex, or `None` to use `<data-dir>/master.key`.
    pub master_key: Option<String>,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Job lease, ms.
    pub job_lease_ms: u64,
    /// Job runner loops.
    pub job_workers: usize,
    /// Files per import transaction, samples per publish copy transaction.
    pub import_batch: usize,
    /// JSON logs.
    pub log_json: bool,
    /// SMTP server for notification emails; `None`: they wait in the outbox.
    pub smtp: Option<SmtpOptions>,
    /// First wait before retrying an email SMTP did not take, ms (doubling after).
    pub smtp_retry_ms: u64,
    /// Base URL members reach the server at, for emails; `None`: `http://<listen>`.
    pub public_url: Option<String>,
}

impl Config {
    /// A configuration with the contract's defaults for `data_dir`.
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 7788)),
            data_dir,
            database_url: None,
            storage: Storage::Local,
            master_key: None,
            max_body_bytes: 32 * 1024 * 1024,
            job_lease_ms: 30_000,
            job_workers: 2,
            import_batch: 1000,
            log_json: false,
            smtp: None,
            smtp_retry_ms: 5000,
            public_url: None,
        }
    }

    /// The database URL in use: the configured one or the SQLite file in the data dir.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("labelhive.db").display()
            ),
        }
    }

    /// Root of the embedded object store.
    pub fn obs_root(&self) -> PathBuf {
        self.data_dir.join("obs")
    }
}

// Secrets never reach logs: the database URL may carry a password.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_ref().map(|_| "[redacted]"),
            )
            .field("storage", &self.storage)
            .field(
                "master_key",
                &self.master_key.as_ref().map(|_| "[redacted]"),
            )
            .field("max_body_bytes", &self.max_body_bytes)
            .field("job_lease_ms", &self.job_lease_ms)
            .field("job_workers", &self.job_workers)
            .field("import_batch", &self.import_batch)
            .field("smtp", &self.smtp)
            .field("smtp_retry_ms", &self.smtp_retry_ms)
            .field("public_url", &self.public_url)
            .finish()
    }
}
