//! Command line: `labelhive serve` and `labelhive project create NAME`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::blob::S3Options;
use crate::config::{Config, Storage};
use crate::mailer::{SmtpOptions, SmtpTls};

/// Labelhive, a self-hosted data labeling service (ModelArts Data Management API v2).
#[derive(Debug, Parser)]
#[command(name = "labelhive", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API server and its job runners.
    Serve(Box<ServeArgs>),
    /// Manage projects (tenants).
    #[command(subcommand)]
    Project(ProjectCommand),
}

/// `project` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project and print its id and access key pair as one JSON line.
    Create(ProjectCreateArgs),
}

/// Where the metadata and the keys live; shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Data directory: SQLite file, the local object store (obs/), the master key.
    #[arg(long, env = "LABELHIVE_DATA_DIR", default_value = "./labelhive-data")]
    pub data_dir: PathBuf,
    /// PostgreSQL URL (postgres://...); without it the metadata is SQLite in the data dir.
    #[arg(long, env = "LABELHIVE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Master key (64 hex characters) from which secret keys are derived; replicas
    /// sharing a PostgreSQL database must share it. Default: <data-dir>/master.key.
    #[arg(long, env = "LABELHIVE_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<String>,
}

/// `labelhive serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "LABELHIVE_LISTEN", default_value = "127.0.0.1:7788")]
    pub listen: SocketAddr,
    /// Store location.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "LABELHIVE_MAX_BODY_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Job lease in seconds: how long a crashed replica's job waits before another takes it.
    #[arg(long, env = "LABELHIVE_JOB_LEASE_SECS", default_value_t = 30)]
    pub job_lease_secs: u64,
    /// Concurrent job runners in this process.
    #[arg(long, env = "LABELHIVE_JOB_WORKERS", default_value_t = 2)]
    pub job_workers: usize,
    /// Files registered per transaction by imports, samples copied per transaction by publishing.
    #[arg(long, env = "LABELHIVE_IMPORT_BATCH", default_value_t = 1000)]
    pub import_batch: usize,
    /// Log as JSON lines instead of text.
    #[arg(long, env = "LABELHIVE_LOG_JSON", default_value_t = false)]
    pub log_json: bool,
    /// Where sample files live.
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Where notification emails go.
    #[command(flatten)]
    pub mail: MailArgs,
}

/// Notification emails: the SMTP server and the URL the emails point members at.
#[derive(Debug, Clone, Args)]
pub struct MailArgs {
    /// SMTP server host; without it emails wait in the outbox.
    #[arg(long, env = "LABELHIVE_SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// SMTP port (default: 587 with starttls, 465 with tls, 25 with none).
    #[arg(long, env = "LABELHIVE_SMTP_PORT")]
    pub smtp_port: Option<u16>,
    /// Connection security.
    #[arg(long, env = "LABELHIVE_SMTP_TLS", value_enum, default_value_t = SmtpTls::Starttls)]
    pub smtp_tls: SmtpTls,
    /// SMTP user name.
    #[arg(long, env = "LABELHIVE_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    /// SMTP password.
    #[arg(long, env = "LABELHIVE_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,
    /// Sender address of notification emails.
    #[arg(
        long,
        env = "LABELHIVE_SMTP_FROM",
        default_value = "Labelhive <labelhive@localhost>"
    )]
    pub smtp_from: String,
    /// First wait before retrying an email the server did not take, in milliseconds;
    /// it doubles with each failure, up to 15 minutes.
    #[arg(long, env = "LABELHIVE_SMTP_RETRY_MS", default_value_t = 5000)]
    pub smtp_retry_ms: u64,
    /// Base URL members reach this server at, written into emails (default http://<listen>).
    #[arg(long, env = "LABELHIVE_PUBLIC_URL")]
    pub public_url: Option<String>,
}

impl MailArgs {
    /// The SMTP configuration, if a host is given.
    pub fn smtp(&self) -> Option<SmtpOptions> {
        self.smtp_host.as_ref().map(|host| SmtpOptions {
            host: host.clone(),
            port: self.smtp_port,
            tls: self.smtp_tls,
            username: self.smtp_username.clone(),
            password: self.smtp_password.clone(),
            from: self.smtp_from.clone(),
        })
    }
}

/// Which store holds sample files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StorageKind {
    /// Directories under <data-dir>/obs, one per bucket.
    Local,
    /// An S3-compatible store; OBS paths name its buckets.
    S3,
}

/// Sample file storage; the `--s3-*` options fall back to the `AWS_*` environment.
#[derive(Debug, Clone, Args)]
pub struct StorageArgs {
    /// Sample file storage.
    #[arg(long, env = "LABELHIVE_STORAGE", value_enum, default_value_t = StorageKind::Local)]
    pub storage: StorageKind,
    /// S3 endpoint URL (default AWS); `{bucket}` in it is replaced by the bucket name.
    #[arg(long, env = "LABELHIVE_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    /// S3 region.
    #[arg(long, env = "LABELHIVE_S3_REGION")]
    pub s3_region: Option<String>,
    /// S3 access key id.
    #[arg(long, env = "LABELHIVE_S3_ACCESS_KEY_ID")]
    pub s3_access_key_id: Option<String>,
    /// S3 secret access key.
    #[arg(long, env = "LABELHIVE_S3_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub s3_secret_access_key: Option<String>,
    /// Path-style S3 requests (endpoint/bucket/key), as MinIO and most self-hosted
    /// stores want; default virtual-hosted (bucket.endpoint/key).
    #[arg(long, env = "LABELHIVE_S3_PATH_STYLE", default_value_t = false)]
    pub s3_path_style: bool,
}

impl StorageArgs {
    /// The storage configuration.
    pub fn into_storage(self) -> Storage {
        match self.storage {
            StorageKind::Local => Storage::Local,
            StorageKind::S3 => Storage::S3(S3Options {
                endpoint: self.s3_endpoint,
                region: self.s3_region,
                access_key_id: self.s3_access_key_id,
                secret_access_key: self.s3_secret_access_key,
                path_style: self.s3_path_style,
            }),
        }
    }
}

impl ServeArgs {
    /// Builds the server configuration.
    pub fn into_config(self) -> anyhow::Result<Config> {
        anyhow::ensure!(self.import_batch > 0, "--import-batch must be at least 1");
        anyhow::ensure!(
            self.job_lease_secs > 0,
            "--job-lease-secs must be at least 1"
        );
        Ok(Config {
            listen: self.listen,
            data_dir: self.store.data_dir,
            database_url: self.store.database_url,
            storage: self.storage.into_storage(),
            master_key: self.store.master_key,
            max_body_bytes: self.max_body_bytes,
            job_lease_ms: self.job_lease_secs.saturating_mul(1000),
            job_workers: self.job_workers,
            import_batch: self.import_batch,
            log_json: self.log_json,
            smtp: self.mail.smtp(),
            smtp_retry_ms: self.mail.smtp_retry_ms,
            public_url: self.mail.public_url,
        })
    }
}

/// `labelhive project create NAME`.
#[derive(Debug, Clone, Args)]
pub struct ProjectCreateArgs {
    /// Project name: 1 to 64 letters, digits, _ or -.
    pub name: String,
    /// Store location.
    #[command(flatten)]
    pub store: StoreArgs,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        super::Cli::command().debug_assert();
    }
}
