//! Creating projects: from the CLI, and the default one on the first `serve`.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use labelhive_domain::ids::{new_access_key, new_hex_id};
use labelhive_domain::names::check_project_name;
use labelhive_domain::project::Project;
use labelhive_domain::store::{ProjectStore, Store, StoreError};
use labelhive_domain::time::now_ms;
use labelhive_store::SqlStore;
use serde::Serialize;

use crate::cli::ProjectCreateArgs;
use crate::config::Config;
use crate::keys::{write_private, Keys};

/// A project's id and key pair, as printed and written to credentials.json.
#[derive(Debug, Serialize)]
pub struct Credentials {
    /// Project id.
    pub project_id: String,
    /// Access key (AK).
    pub access_key: String,
    /// Secret key (SK).
    pub secret_key: String,
}

fn new_project(name: &str) -> Project {
    Project {
        id: new_hex_id(),
        name: name.to_owned(),
        access_key: new_access_key(),
        create_time: now_ms(),
    }
}

/// `labelhive project create NAME`: returns the JSON line to print.
pub async fn create_from_cli(args: ProjectCreateArgs) -> anyhow::Result<String> {
    check_project_name(&args.name).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut config = Config::new(args.store.data_dir.clone());
    config.database_url = args.store.database_url.clone();
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    let keys = Keys::load(args.store.master_key.as_deref(), &config.data_dir)?;
    let store = SqlStore::connect(&config.effective_database_url()).await?;
    let project = new_project(&args.name);
    match store.create_project(&project).await {
        Ok(()) => {}
        Err(StoreError::Conflict { .. }) => {
            anyhow::bail!("a project named {:?} already exists", args.name)
        }
        Err(e) => return Err(e).context("creating the project"),
    }
    store.close().await;
    let creds = Credentials {
        secret_key: keys.secret_key(&project.access_key),
        project_id: project.id,
        access_key: project.access_key,
    };
    Ok(serde_json::to_string(&creds)?)
}

/// On an empty store, creates the `default` project, prints its credentials once and
/// writes them to `<data-dir>/credentials.json` (mode 0600).
pub async fn bootstrap_default(
    store: &Arc<dyn Store>,
    keys: &Keys,
    data_dir: &Path,
) -> anyhow::Result<()> {
    let project = new_project("default");
    if !store
        .create_first_project(&project)
        .await
        .context("creating the default project")?
    {
        return Ok(());
    }
    let creds = Credentials {
        secret_key: keys.secret_key(&project.access_key),
        project_id: project.id,
        access_key: project.access_key,
    };
    let json = serde_json::to_string_pretty(&creds)?;
    write_private(&data_dir.join("credentials.json"), &json)?;
    // Printed to stdout, not logged: log sinks must never see a secret key.
    println!(
        "Created the default project. Its credentials (also in {}):\n{json}",
        data_dir.join("credentials.json").display()
    );
    Ok(())
}
