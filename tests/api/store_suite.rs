//! The store's job and sample semantics, run against both backends.

use std::sync::Arc;

use labelhive::blob::LocalBlob;
use labelhive_domain::dataset::{DataSource, DatasetType, NewDataset};
use labelhive_domain::obs_path::ObsPath;
use labelhive_domain::project::Project;
use labelhive_domain::services::datasets::DatasetService;
use labelhive_domain::store::{JobOutcome, NewSample, ProjectStore, RegisterOutcome, Store};
use labelhive_domain::time::now_ms;
use labelhive_store::SqlStore;

use crate::both_backends;
use crate::helpers::{postgres_available, Backend, PgDb};

both_backends!(jobs_are_leased_renewed_reclaimed_and_finished_once);

/// A fresh database for `backend`: its own PostgreSQL database (dropped with the
/// returned guard) or a SQLite file in the returned directory, and its URL; `None`
/// when the PostgreSQL half is not configured.
async fn fresh_database(backend: Backend) -> Option<(Option<PgDb>, tempfile::TempDir, String)> {
    if backend == Backend::Postgres && !postgres_available() {
        return None;
    }
    let pg = match backend {
        Backend::Postgres => Some(PgDb::create().await),
        Backend::Sqlite | Backend::SqliteS3 => None,
    };
    let dir = tempfile::tempdir().unwrap();
    let url = match &pg {
        Some(p) => p.url.clone(),
        None => format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display()),
    };
    Some((pg, dir, url))
}

async fn jobs_are_leased_renewed_reclaimed_and_finished_once(backend: Backend) {
    let Some((pg, dir, url)) = fresh_database(backend).await else {
        return;
    };
    let store: Arc<dyn Store> = Arc::new(SqlStore::connect(&url).await.unwrap());
    std::fs::create_dir_all(dir.path().join("obs/bkt/in")).unwrap();
    let blob = Arc::new(LocalBlob::open(dir.path().join("obs")).unwrap());
    let project = Project {
        id: labelhive_domain::ids::new_hex_id(),
        name: "p".into(),
        access_key: labelhive_domain::ids::new_access_key(),
        create_time: now_ms(),
    };
    store.create_project(&project).await.unwrap();
    let tasks = labelhive_domain::services::team_tasks::TeamTaskService::new(
        store.clone(),
        labelhive_domain::services::samples::SampleService::new(store.clone(), blob.clone()),
    );
    let service = DatasetService::new(store.clone(), blob, tasks);
    let new_dataset = NewDataset {
        name: "d".into(),
        dataset_type: DatasetType::ImageClassification,
        description: String::new(),
        data_format: "Default".into(),
        data_source: DataSource {
            data_path: None,
            data_type: 0,
            schema_maps: None,
            source_info: None,
            with_column_header: None,
        },
        input_path: ObsPath::parse("p", "/bkt/in/").unwrap(),
        work_path: ObsPath::parse("p", "/bkt/out/").unwrap(),
        work_path_type: 0,
        workspace_id: "0".into(),
        import_data: false,
        import_annotations: true,
        managed: false,
        label_format: None,
        labels: vec![],
        schema: vec![],
        workforce_information: None,
    };
    let ds = service
        .create(&project.id, new_dataset.clone())
        .await
        .unwrap();
    let job_id = ds.import_task_id.clone().unwrap();

    let now = now_ms();
    let job = store
        .claim_job("a", now, now + 1_000)
        .await
        .unwrap()
        .expect("claimed");
    assert_eq!(job.id, job_id);
    assert_eq!(job.attempts, 1);
    assert!(
        store
            .claim_job("b", now, now + 1_000)
            .await
            .unwrap()
            .is_none(),
        "held by a"
    );
    assert!(store.renew_lease(&job_id, "a", now + 2_000).await.unwrap());
    assert!(!store.renew_lease(&job_id, "b", now + 2_000).await.unwrap());

    let batch: Vec<NewSample> = (0..3)
        .map(|i| {
            let path = format!("/bkt/in/{i}.jpg");
            NewSample {
                id: labelhive_domain::ids::sample_id_for_path(&path),
                name: format!("{i}.jpg"),
                path,
                size: 1,
                sample_type: 0,
            }
        })
        .collect();
    assert_eq!(
        store
            .register_samples(&job_id, "a", &ds.id, &batch, 3)
            .await
            .unwrap(),
        RegisterOutcome::Registered(3)
    );
    assert_eq!(
        store
            .register_samples(&job_id, "a", &ds.id, &batch, 3)
            .await
            .unwrap(),
        RegisterOutcome::Registered(0),
        "idempotent"
    );
    assert_eq!(
        store
            .register_samples(&job_id, "b", &ds.id, &batch, 3)
            .await
            .unwrap(),
        RegisterOutcome::Abandoned
    );

    // After the lease expires another runner takes the job; the first can no longer write.
    let later = now + 5_000;
    let reclaimed = store
        .claim_job("b", later, later + 1_000)
        .await
        .unwrap()
        .expect("reclaimed");
    assert_eq!(reclaimed.attempts, 2);
    assert_eq!(
        store
            .register_samples(&job_id, "a", &ds.id, &batch, 3)
            .await
            .unwrap(),
        RegisterOutcome::Abandoned
    );
    let ok = JobOutcome::Succeeded(serde_json::json!({"n": 3}));
    assert!(!store.finish_job(&job_id, "a", &ok, Some(1)).await.unwrap());
    assert!(store.finish_job(&job_id, "b", &ok, Some(1)).await.unwrap());
    assert!(
        !store.finish_job(&job_id, "b", &ok, Some(1)).await.unwrap(),
        "finished once"
    );
    assert!(store
        .claim_job("c", later + 10_000, later + 20_000)
        .await
        .unwrap()
        .is_none());
    let after = store.dataset(&project.id, &ds.id).await.unwrap().unwrap();
    assert_eq!(after.total_sample_count, 3);
    assert_eq!(after.status, 1);
    let row = store.job(&project.id, &job_id).await.unwrap().unwrap();
    assert_eq!(row.result, Some(serde_json::json!({"n": 3})));
    drop(pg);
}

both_backends!(statistics_are_refreshed_for_tables_that_changed);

/// PostgreSQL without autovacuum never analyzes; the server does it for tables that
/// changed by more than autovacuum's threshold. SQLite runs `pragma optimize`.
async fn statistics_are_refreshed_for_tables_that_changed(backend: Backend) {
    let Some((pg, _dir, url)) = fresh_database(backend).await else {
        return;
    };
    let sql = SqlStore::connect(&url).await.unwrap();
    for i in 0..200 {
        let project = Project {
            id: labelhive_domain::ids::new_hex_id(),
            name: format!("p{i}"),
            access_key: labelhive_domain::ids::new_access_key(),
            create_time: now_ms(),
        };
        sql.create_project(&project).await.unwrap();
    }
    let mut refreshed = sql.refresh_statistics().await.unwrap();
    // PostgreSQL backends publish their row counts to the statistics up to ~10 s late.
    for _ in 0..60 {
        if backend == Backend::Sqlite || refreshed.contains(&"projects".to_owned()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        refreshed = sql.refresh_statistics().await.unwrap();
    }
    match backend {
        Backend::Postgres => {
            assert!(refreshed.contains(&"projects".to_owned()), "{refreshed:?}");
            assert!(
                !refreshed.contains(&"samples".to_owned()),
                "unchanged tables are left alone: {refreshed:?}"
            );
            // Counts of other tables may still arrive late; the analyzed one is done
            // once the server has published the analysis (also up to seconds late
            // on a loaded machine).
            let mut again = sql.refresh_statistics().await.unwrap();
            for _ in 0..20 {
                if !again.contains(&"projects".to_owned()) {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                again = sql.refresh_statistics().await.unwrap();
            }
            assert!(
                !again.contains(&"projects".to_owned()),
                "analyzed once: {again:?}"
            );
        }
        Backend::Sqlite | Backend::SqliteS3 => assert!(refreshed.is_empty()),
    }
    sql.close().await;
    drop(pg);
}
