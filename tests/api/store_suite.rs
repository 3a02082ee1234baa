//! The store's job and sample semantics, run against both backends.

use std::sync::Arc;

use labelhive::blob::LocalBlob;
use labelhive_domain::annotation::{SampleLabel, SampleMetadata};
use labelhive_domain::dataset::{DataSource, Dataset, DatasetType, NewDataset};
use labelhive_domain::obs_path::ObsPath;
use labelhive_domain::project::Project;
use labelhive_domain::sample::{Sample, SamplePage, SampleWrite};
use labelhive_domain::search::SampleFilter;
use labelhive_domain::services::datasets::DatasetService;
use labelhive_domain::store::{
    JobOutcome, NewSample, ProjectStore, RegisterOutcome, Store, WriteMode,
};
use labelhive_domain::time::now_ms;
use labelhive_store::SqlStore;
use serde_json::json;

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

/// A project and an image classification dataset in it, its files under `dir`.
async fn new_dataset(store: &Arc<dyn Store>, dir: &tempfile::TempDir) -> (Project, Dataset) {
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
    let ds = service.create(&project.id, new_dataset).await.unwrap();
    (project, ds)
}

async fn jobs_are_leased_renewed_reclaimed_and_finished_once(backend: Backend) {
    let Some((pg, dir, url)) = fresh_database(backend).await else {
        return;
    };
    let store: Arc<dyn Store> = Arc::new(SqlStore::connect(&url).await.unwrap());
    let (project, ds) = new_dataset(&store, &dir).await;
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

both_backends!(samples_read_back_exactly_as_written);

/// Labels and metadata with what a JSON round trip could bend (escapes, non-ASCII,
/// floats, integers past 2^53, nested values, nulls), written and read back through
/// every multi-row read: by id, the pages of a scope and of a filter, both ways, and
/// the keyset scan. SQLite reads those as one JSON document, PostgreSQL row by row;
/// both must give back what a one-row read gives.
async fn samples_read_back_exactly_as_written(backend: Backend) {
    let Some((pg, dir, url)) = fresh_database(backend).await else {
        return;
    };
    let store: Arc<dyn Store> = Arc::new(SqlStore::connect(&url).await.unwrap());
    let (_, ds) = new_dataset(&store, &dir).await;
    const N: usize = 600;
    let writes: Vec<SampleWrite> = (0..N)
        .map(|i| {
            let path = format!("/bkt/in/{i:04} ü \"q\".jpg");
            let labels: Vec<SampleLabel> = serde_json::from_value(json!([{
                "name": format!("猫 \"{i}\" \\ tab\t"),
                "type": 0,
                "score": 0.1 + 0.2,
                "property": {
                    "@modelarts:hard": i % 3 == 0,
                    "x": 1e-7,
                    "big": 9_007_199_254_740_993_u64,
                    "nested": {"list": [1, null, "ß", -0.5]}
                }
            }]))
            .unwrap();
            let metadata: SampleMetadata = serde_json::from_value(json!({
                "@modelarts:import_origin": 0,
                "user": {"k": [true, null, 2.5e300]},
                "emoji": "🐝"
            }))
            .unwrap();
            let mut w = SampleWrite {
                id: labelhive_domain::ids::sample_id_for_path(&path),
                name: format!("{i:04} ü \"q\".jpg"),
                path,
                size: i as i64,
                sample_type: 0,
                status: if i % 2 == 0 { "__ALL__" } else { "__NONE__" },
                labels: if i % 2 == 0 { labels } else { Vec::new() },
                metadata: Some(metadata),
                hard: false,
                score: None,
                usage: (i % 4 == 0).then(|| "TRAIN".to_owned()),
            };
            w.derive_flags();
            w
        })
        .collect();
    let written = store
        .write_samples(&ds.id, &writes, WriteMode::Upsert)
        .await
        .unwrap();
    assert!(written.iter().all(|w| *w));

    // The one-row read is the reference; it also must match what was written.
    let mut reference = Vec::new();
    for w in &writes {
        let s = store.sample(&ds.id, &w.id).await.unwrap().expect("stored");
        assert_eq!(
            (&s.labels, &s.metadata, &s.path, &s.name, s.size),
            (
                &w.labels,
                w.metadata.as_ref().unwrap(),
                &w.path,
                &w.name,
                w.size
            )
        );
        assert_eq!(s.usage, w.usage);
        reference.push(s);
    }
    let by_id = |v: &[Sample]| {
        let mut v = v.to_vec();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    };

    let ids: Vec<String> = writes.iter().map(|w| w.id.clone()).collect();
    let found = store.samples_by_id(&ds.id, &ids).await.unwrap();
    assert_eq!(by_id(&found), by_id(&reference), "by id");
    // A handful of ids, as a one-sample relabel reads them.
    let few = store.samples_by_id(&ds.id, &ids[..3]).await.unwrap();
    assert_eq!(by_id(&few), by_id(&reference[..3]), "a few by id");

    for ascending in [true, false] {
        let mut expected = reference.clone();
        if !ascending {
            expected.reverse();
        }
        let page = |offset| SamplePage {
            ascending,
            offset,
            limit: 250,
        };
        // No filter pages a bucket-counted scope; a sample type pages the filter.
        let filtered = SampleFilter {
            sample_type: Some(0),
            ..SampleFilter::default()
        };
        for q in [SampleFilter::default(), filtered] {
            let mut listed = Vec::new();
            for offset in 0..3 {
                let (samples, total) = store.list_samples(&ds.id, &q, page(offset)).await.unwrap();
                assert_eq!(total, N as i64);
                listed.extend(samples);
            }
            assert_eq!(listed, expected, "list, ascending {ascending}, {q:?}");
        }
    }

    let mut scanned = Vec::new();
    let mut after = 0;
    loop {
        let batch = store
            .scan_samples(&ds.id, &SampleFilter::default(), after, 250)
            .await
            .unwrap();
        let Some((last, _)) = batch.last() else { break };
        after = *last;
        assert!(batch.windows(2).all(|w| w[0].0 < w[1].0), "in order");
        scanned.extend(batch.into_iter().map(|(_, s)| s));
    }
    assert_eq!(scanned, reference, "scan");

    // A relabel reads what it replaces (the write's own multi-row read): the counters
    // must follow from the stored labels and states exactly. Without metadata it keeps
    // the stored one, and its counters.
    let cleared: Vec<SampleWrite> = writes
        .iter()
        .map(|w| SampleWrite {
            labels: Vec::new(),
            status: "__NONE__",
            metadata: None,
            hard: false,
            score: None,
            usage: None,
            ..w.clone()
        })
        .collect();
    store
        .write_samples(&ds.id, &cleared, WriteMode::ExistingOnly)
        .await
        .unwrap();
    let counters: std::collections::HashMap<String, i64> = store
        .sample_counters(&ds.id)
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(counters.get("__NONE__"), Some(&(N as i64)), "{counters:?}");
    assert_eq!(counters.get("__ALL__"), None, "{counters:?}");
    assert_eq!(
        counters.get("meta:emoji"),
        Some(&(N as i64)),
        "{counters:?}"
    );
    for (w, before) in writes.iter().zip(&reference).step_by(97) {
        let s = store.sample(&ds.id, &w.id).await.unwrap().expect("stored");
        assert_eq!(s.metadata, before.metadata, "kept metadata");
        assert!(s.labels.is_empty());
    }
    drop(pg);
}
