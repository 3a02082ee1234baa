//! Crash safety of import tasks: the real binary is killed with SIGKILL while a
//! manifest import runs, restarted, and the task ends with every line imported once
//! and every bad line reported once.

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use sqlx::Row;

use crate::both_backends;
use crate::crash::{call, details, free_port, start, wait_healthy};
use crate::helpers::{dataset_body, postgres_available, Backend, Creds, PgDb};

both_backends!(a_manifest_import_killed_mid_way_resumes_and_imports_every_line_once);

const LINES: usize = 3_000;
/// Every this many lines, one is broken.
const BAD_EVERY: usize = 500;

async fn a_manifest_import_killed_mid_way_resumes_and_imports_every_line_once(backend: Backend) {
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
    for d in ["bkt/in", "bkt/out", "bkt/src", "bkt/m"] {
        std::fs::create_dir_all(obs.join(d)).expect("mkdir");
    }
    let mut manifest = String::new();
    for i in 0..LINES {
        if i % BAD_EVERY == BAD_EVERY - 1 {
            manifest.push_str("{broken\n");
            continue;
        }
        std::fs::write(obs.join(format!("bkt/src/{i:05}.jpg")), b"x").expect("write");
        let label = if i % 2 == 0 { "Rabbits" } else { "Bees" };
        let line = json!({"source": format!("s3://bkt/src/{i:05}.jpg"),
            "annotation": [{"type": "modelarts/image_classification", "name": label}]});
        manifest.push_str(&format!("{line}\n"));
    }
    std::fs::write(obs.join("bkt/m/all.manifest"), manifest).expect("manifest");
    let bad = LINES / BAD_EVERY;
    let good = LINES - bad;

    let log = dir.path().join("server.log");
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let client = reqwest::Client::new();
    let first = start(dir.path(), port, url.as_deref(), &log);
    wait_healthy(&client, addr).await;
    let creds_text =
        std::fs::read_to_string(dir.path().join("credentials.json")).expect("credentials");
    let creds = Creds::from_json(&serde_json::from_str(&creds_text).expect("json"));
    let body = dataset_body("crash-import", "/bkt/in/", "/bkt/out/");
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
    for _ in 0..1200 {
        if details(&client, addr, &creds, &id).await["status"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let db_url = url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("labelhive.db").display()));
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db_url).await.expect("db");

    let tasks = format!("/datasets/{id}/import-tasks");
    let r = call(
        &client,
        addr,
        &creds,
        Method::POST,
        &tasks,
        Some(&json!({"import_type": "manifest", "import_path": "/bkt/m/all.manifest"})),
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
                done < LINES as i64,
                "the import finished before it could be killed"
            );
            killed_at = Some(done);
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    first.kill();
    let killed_at = killed_at.expect("the import never started");

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
        if r.body["status"] == "COMPLETED" || r.body["status"] == "FAILED" {
            ended = Some(r.body);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let t = ended.expect("the import never ended after the restart");
    assert_eq!(t["status"], "COMPLETED", "killed at {killed_at}: {t}");
    assert_eq!(t["total_sample_count"], LINES as i64, "{t}");
    assert_eq!(t["imported_sample_count"], good as i64, "{t}");
    assert_eq!(t["annotated_sample_count"], good as i64, "{t}");
    assert_eq!(
        t["failed_sample_count"], bad as i64,
        "each bad line once: {t}"
    );
    let lines: Vec<i64> = t["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .map(|f| f["line"].as_i64().expect("line"))
        .collect();
    let want: Vec<i64> = (1..=bad).map(|k| (k * BAD_EVERY) as i64).collect();
    assert_eq!(lines, want);
    let row = sqlx::query(
        "select count(*) as n, count(distinct id) as ids from samples where dataset_id = $1",
    )
    .bind(&id)
    .fetch_one(&pool)
    .await
    .expect("count");
    assert_eq!(row.get::<i64, _>("n"), good as i64);
    assert_eq!(row.get::<i64, _>("ids"), good as i64);
    let stats = call(
        &client,
        addr,
        &creds,
        Method::GET,
        &format!("/datasets/{id}/data-annotations/stats"),
        None,
    )
    .await;
    assert_eq!(
        stats.body["sample_stats"]["__ALL__"], good as i64,
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
