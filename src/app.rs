//! Shared state handed to every handler and job runner.

use std::sync::Arc;

use labelhive_domain::blob::Blob;
use labelhive_domain::services::datasets::DatasetService;
use labelhive_domain::services::exports::ExportService;
use labelhive_domain::services::imports::ImportService;
use labelhive_domain::services::labels::LabelService;
use labelhive_domain::services::notices::NoticeService;
use labelhive_domain::services::samples::SampleService;
use labelhive_domain::services::syncs::SyncService;
use labelhive_domain::services::team_tasks::TeamTaskService;
use labelhive_domain::services::versions::VersionService;
use labelhive_domain::services::workforces::WorkforceService;
use labelhive_domain::store::Store;
use tokio::sync::Notify;

use crate::api::auth::known_keys::KnownKeys;
use crate::config::Config;
use crate::keys::Keys;

/// One context for the whole server: cheap to clone, everything behind `Arc`.
#[derive(Clone)]
pub struct AppState {
    /// Metadata.
    pub store: Arc<dyn Store>,
    /// Sample files.
    pub blob: Arc<dyn Blob>,
    /// Key derivation.
    pub keys: Arc<Keys>,
    /// Configuration.
    pub config: Arc<Config>,
    /// Wakes idle job runners when a job is queued (polling is the fallback).
    pub jobs_queued: Arc<Notify>,
    /// Dataset use cases.
    pub datasets: DatasetService,
    /// Sample use cases.
    pub samples: SampleService,
    /// Label use cases.
    pub labels: LabelService,
    /// Version use cases.
    pub versions: VersionService,
    /// Labeling teams and members.
    pub workforces: WorkforceService,
    /// Import task use cases.
    pub imports: ImportService,
    /// Export task use cases.
    pub exports: ExportService,
    /// Synchronization use cases.
    pub syncs: SyncService,
    /// Team labeling tasks.
    pub team_tasks: TeamTaskService,
    /// Notification emails and member sign-in.
    pub notices: NoticeService,
    /// Wakes the mailer when notices are queued.
    pub mail_queued: Arc<Notify>,
    /// Access keys of signed requests seen before.
    pub known_keys: Arc<KnownKeys>,
}

impl AppState {
    /// Builds the state and its services.
    pub fn new(store: Arc<dyn Store>, blob: Arc<dyn Blob>, keys: Keys, config: Config) -> Self {
        let team_tasks = TeamTaskService::new(
            store.clone(),
            SampleService::new(store.clone(), blob.clone()),
        );
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", config.listen));
        Self {
            datasets: DatasetService::new(store.clone(), blob.clone(), team_tasks.clone()),
            samples: SampleService::new(store.clone(), blob.clone()),
            labels: LabelService::new(store.clone()),
            versions: VersionService::new(store.clone()),
            workforces: WorkforceService::new(store.clone(), team_tasks.clone()),
            imports: ImportService::new(store.clone()),
            exports: ExportService::new(store.clone(), blob.clone()),
            syncs: SyncService::new(store.clone()),
            notices: NoticeService::new(store.clone(), team_tasks.clone(), &public_url),
            team_tasks,
            mail_queued: Arc::new(Notify::new()),
            known_keys: Arc::default(),
            store,
            blob,
            keys: Arc::new(keys),
            config: Arc::new(config),
            jobs_queued: Arc::new(Notify::new()),
        }
    }
}
