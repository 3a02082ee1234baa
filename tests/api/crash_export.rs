//! Crash safety of export tasks: the real binary is killed with SIGKILL while an
//! export into a new dataset runs, restarted, and the export ends with every sample
//! copied once and the new dataset usable.

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use sqlx::Row;

use crate::both_backends;
use crate::crash::{call, details, free_port, start, wait_healthy};
use crate::helpers::{dataset_body, postgres_available, Backend, Creds, PgDb};

both_backends!(an_export_killed_mid_way_resumes_and_copies_every_sample_once);

const SAMPLES: usize = 4_000;

async fn an_export_killed_mid_way_resumes_and_copies_every_sample_once(backend: Backend) {
    if backend == Backend::Postgres && !postgres_available() {
        return;
    }
    let pg = match backend {
        Backend::Postgres => Some(PgDb::create().await),
        Backend::Sqlite => None,
    };
    let url = pg.as_ref().map(|p| p.url.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let obs = dir.path().join("obs");
    for d in ["bkt/in", "bkt/out", "bkt/m", "bkt/copy", "bkt/copy-out"] {
        std::fs::create_dir_all(obs.join(d)).expect("mkdir");
    }
    let mut manifest = String::new();
    for i in 0..SAMPLES {
        std::fs::write(obs.join(format!("bkt/in/{i:05}.jpg")), b"x").expect("write");
        let label = if i % 2 == 0 { "Rabbits" } else { "Bees" };
        let line = json!({"source": format!("s3://bkt/in/{i:05}.jpg"),
            "annotation": [{"type": "modelarts/image_classification", "name": label}]});
        manifest.push_str(&format!("{line}\n"));
    }
    std::fs::write(obs.join("bkt/m/all.manifest"), manifest).expect("manifest");

    let log = dir.path().join("server.log");
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let client = reqwest::Client::new();
    let first = start(dir.path(), port, url.as_deref(), &log);
    wait_healthy(&client, addr).await;
    let creds_text =
        std::fs::read_to_string(dir.path().join("credentials.json")).expect("credentials");
    let creds = Creds::from_json(&serde_json::from_str(&creds_text).expect("json"));
    let body = dataset_body("crash-export", "/bkt/in/", "/bkt/out/");
    let created = call(
        &client,
        addr,
        &creds,
        Method::POST,
        "/datasets",
        Some(&body),
    )
    .await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.body);
    let id = created.body["dataset_id"].as_str().expect("id").to_owned();
    let wait_normal = |id: String| {
        let client = client.clone();
        let creds = creds.clone();
        async move {
            for _ in 0..1200 {
                let d = details(&client, addr, &creds, &id).await;
                if d["status"] == 1 && d["running_tasks_id"].as_array().is_some_and(Vec::is_empty) {
                    return d;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("dataset {id} never became normal");
        }
    };
    wait_normal(id.clone()).await;
    let r = call(
        &client,
        addr,
        &creds,
        Method::POST,
        &format!("/datasets/{id}/import-tasks"),
        Some(&json!({"import_type": "manifest", "import_path": "/bkt/m/all.manifest"})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    wait_normal(id.clone()).await;

    let db_url = url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("labelhive.db").display()));
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db_url).await.expect("db");
    let tasks = format!("/datasets/{id}/export-tasks");
    let r = call(
        &client,
        addr,
        &creds,
        Method::POST,
        &tasks,
        Some(
            &json!({"path": "/bkt/copy/", "export_params": {"export_dest": "NEW_DATASET",
            "export_new_dataset_name": "copy", "export_new_dataset_work_path": "/bkt/copy-out/"}}),
        ),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let task = r.body["task_id"].as_str().expect("task_id").to_owned();
    let mut killed_at = None;
    for _ in 0..5000 {
        let done: i64 = sqlx::query("select progress_done from jobs where id = $1")
            .bind(&task)
            .fetch_one(&pool)
            .await
            .expect("job row")
            .get("progress_done");
        if done > 0 {
            assert!(
                done < SAMPLES as i64,
                "the export finished before it could be killed"
            );
            killed_at = Some(done);
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    first.kill();
    let killed_at = killed_at.expect("the export never started");

    let second = start(dir.path(), port, url.as_deref(), &log);
    wait_healthy(&client, addr).await;
    let mut ended = None;
    for _ in 0..1200 {
        let r = call(
            &client,
            addr,
            &creds,
            Method::GET,
            &format!("{tasks}/{task}"),
            None,
        )
        .await;
        assert!(r.status.is_success(), "{}", r.body);
        if r.body["status"] == "SUCCESSED" || r.body["status"] == "FAILED" {
            ended = Some(r.body);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let t = ended.expect("the export never ended after the restart");
    assert_eq!(t["status"], "SUCCESSED", "killed at {killed_at}: {t}");
    assert_eq!(t["finished_sample_count"], SAMPLES as i64, "{t}");
    assert_eq!(t["failed_sample_count"], 0, "{t}");
    let new_id = t["new_dataset_id"]
        .as_str()
        .expect("new dataset")
        .to_owned();
    let d = wait_normal(new_id.clone()).await;
    assert_eq!(d["total_sample_count"], SAMPLES as i64, "{d}");
    let row = sqlx::query(
        "select count(*) as n, count(distinct path) as paths from samples where dataset_id = $1",
    )
    .bind(&new_id)
    .fetch_one(&pool)
    .await
    .expect("count");
    assert_eq!(row.get::<i64, _>("n"), SAMPLES as i64);
    assert_eq!(row.get::<i64, _>("paths"), SAMPLES as i64);
    let stats = call(
        &client,
        addr,
        &creds,
        Method::GET,
        &format!("/datasets/{new_id}/data-annotations/stats"),
        None,
    )
    .await;
    assert_eq!(
        stats.body["sample_stats"]["__ALL__"], SAMPLES as i64,
        "{}",
        stats.body
    );
    let job = sqlx::query("select attempts from jobs where id = $1")
        .bind(&task)
        .fetch_one(&pool)
        .await
        .expect("job");
    assert!(
        job.get::<i64, _>("attempts") >= 2,
        "claimed again after the crash"
    );
    pool.close().await;
    second.kill();
    drop(pg);
}
