//! Crash safety: the real binary is killed with SIGKILL during the creation import, or
//! during a publish, restarted, and the job finishes with every file registered (every
//! sample published) exactly once.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::both_backends;
use crate::helpers::{
    dataset_body, postgres_available, sdk_date_now, send_signed_to, Backend, Creds, PgDb, Resp,
};

both_backends!(an_import_killed_mid_way_resumes_and_registers_every_file_once);
both_backends!(a_publish_killed_mid_way_resumes_and_publishes_every_sample_once);

const FILES: usize = 12_000;

pub(crate) fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A server process, killed with SIGKILL and reaped when dropped.
pub(crate) struct ServerProcess(Child);

impl ServerProcess {
    /// SIGKILL, then wait so no zombie is left.
    pub(crate) fn kill(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn start(
    data_dir: &Path,
    port: u16,
    database_url: Option<&str>,
    log: &Path,
) -> ServerProcess {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_labelhive"));
    cmd.arg("serve")
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .env("LABELHIVE_IMPORT_BATCH", "25")
        .env("LABELHIVE_JOB_LEASE_SECS", "2")
        .env("RUST_LOG", "info")
        .env_remove("LABELHIVE_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .expect("log"),
        );
    if let Some(url) = database_url {
        cmd.arg("--database-url").arg(url);
    }
    ServerProcess(cmd.spawn().expect("spawn labelhive"))
}

pub(crate) async fn wait_healthy(client: &reqwest::Client, addr: SocketAddr) {
    for _ in 0..200 {
        if let Ok(r) = client.get(format!("http://{addr}/health")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server at {addr} never became healthy");
}

pub(crate) async fn details(
    client: &reqwest::Client,
    addr: SocketAddr,
    creds: &Creds,
    id: &str,
) -> Value {
    let path = format!("/v2/{}/datasets/{id}", creds.project_id);
    let r: Resp = send_signed_to(
        client,
        addr,
        creds,
        Method::GET,
        &path,
        Vec::new(),
        &sdk_date_now(),
    )
    .await;
    assert!(r.status.is_success(), "{}", r.body);
    r.body
}

async fn an_import_killed_mid_way_resumes_and_registers_every_file_once(backend: Backend) {
    if backend == Backend::Postgres && !postgres_available() {
        return;
    }
    let pg = match backend {
        Backend::Postgres => Some(PgDb::create().await),
        Backend::Sqlite => None,
    };
    let url = pg.as_ref().map(|p| p.url.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("obs/bkt/in");
    std::fs::create_dir_all(&input).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("obs/bkt/out")).expect("mkdir");
    for i in 0..FILES {
        std::fs::write(input.join(format!("{i:05}.jpg")), b"x").expect("write");
    }
    let log = dir.path().join("server.log");
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let client = reqwest::Client::new();

    let first = start(dir.path(), port, url.as_deref(), &log);
    wait_healthy(&client, addr).await;
    let creds_text =
        std::fs::read_to_string(dir.path().join("credentials.json")).expect("credentials");
    let creds = Creds::from_json(&serde_json::from_str(&creds_text).expect("json"));
    let body = serde_json::to_vec(&dataset_body("crash", "/bkt/in/", "/bkt/out/")).expect("json");
    let path = format!("/v2/{}/datasets", creds.project_id);
    let created = send_signed_to(
        &client,
        addr,
        &creds,
        Method::POST,
        &path,
        body,
        &sdk_date_now(),
    )
    .await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.body);
    let id = created.body["dataset_id"].as_str().expect("id").to_owned();

    // Kill while the import is part-way: some samples registered, not all.
    let mut killed_at = None;
    for _ in 0..2000 {
        let d = details(&client, addr, &creds, &id).await;
        let n = d["total_sample_count"].as_i64().expect("count");
        if n > 0 {
            assert!(
                n < FILES as i64,
                "the import finished before it could be killed; make it slower"
            );
            killed_at = Some(n);
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill();
    let killed_at = killed_at.expect("the import never started");

    let second = start(dir.path(), port, url.as_deref(), &log);
    wait_healthy(&client, addr).await;
    let mut done = None;
    for _ in 0..1200 {
        let d = details(&client, addr, &creds, &id).await;
        if d["status"] == 1 {
            done = Some(d);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let d = done.expect("the import never finished after the restart");
    assert_eq!(
        d["total_sample_count"], FILES as i64,
        "killed at {killed_at}"
    );

    // Every file once, straight from the database.
    let db_url =
        url.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("labelhive.db").display()));
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db_url).await.expect("db");
    use sqlx::Row;
    let row = sqlx::query(
        "select count(*) as n, count(distinct path) as p from samples where dataset_id = $1",
    )
    .bind(&id)
    .fetch_one(&pool)
    .await
    .expect("count");
    assert_eq!(row.get::<i64, _>("n"), FILES as i64);
    assert_eq!(row.get::<i64, _>("p"), FILES as i64);
    let job = sqlx::query("select status, attempts from jobs where dataset_id = $1")
        .bind(&id)
        .fetch_one(&pool)
        .await
        .expect("job");
    assert_eq!(job.get::<String, _>("status"), "succeeded");
    assert!(
        job.get::<i64, _>("attempts") >= 2,
        "the job was claimed again after the crash"
    );
    pool.close().await;

    second.kill();
    // The log has one line per request and never a secret.
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(
        logged.contains("http.route=/v2/{project_id}/datasets")
            && logged.contains("http.status=201"),
        "request lines are logged"
    );
    assert!(
        !logged.contains(&creds.secret_key),
        "the secret key was logged"
    );
    assert!(!logged.contains("Signature="), "a signature was logged");
    drop(pg);
}

pub(crate) async fn call(
    client: &reqwest::Client,
    addr: SocketAddr,
    creds: &Creds,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Resp {
    let bytes = body
        .map(|b| serde_json::to_vec(b).expect("json"))
        .unwrap_or_default();
    let full = format!("/v2/{}{path}", creds.project_id);
    send_signed_to(client, addr, creds, method, &full, bytes, &sdk_date_now()).await
}

async fn a_publish_killed_mid_way_resumes_and_publishes_every_sample_once(backend: Backend) {
    const SAMPLES: usize = 3_000;
    if backend == Backend::Postgres && !postgres_available() {
        return;
    }
    let pg = match backend {
        Backend::Postgres => Some(PgDb::create().await),
        Backend::Sqlite => None,
    };
    let url = pg.as_ref().map(|p| p.url.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("obs/bkt/in");
    std::fs::create_dir_all(&input).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("obs/bkt/out")).expect("mkdir");
    for i in 0..SAMPLES {
        std::fs::write(input.join(format!("{i:05}.jpg")), b"x").expect("write");
    }
    let log = dir.path().join("server.log");
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let client = reqwest::Client::new();
    let first = start(dir.path(), port, url.as_deref(), &log);
    wait_healthy(&client, addr).await;
    let creds_text =
        std::fs::read_to_string(dir.path().join("credentials.json")).expect("credentials");
    let creds = Creds::from_json(&serde_json::from_str(&creds_text).expect("json"));
    let body = dataset_body("publish", "/bkt/in/", "/bkt/out/");
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
    use sqlx::Row;

    let versions = format!("/datasets/{id}/versions");
    let r = call(
        &client,
        addr,
        &creds,
        Method::POST,
        &versions,
        Some(&serde_json::json!({})),
    )
    .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let vid = r.body["version_id"]
        .as_str()
        .expect("version_id")
        .to_owned();
    // Kill once part of the samples are copied into the version.
    let mut killed_at = None;
    for _ in 0..5000 {
        let copied: i64 = sqlx::query("select copied from versions where id = $1")
            .bind(&vid)
            .fetch_one(&pool)
            .await
            .expect("version row")
            .get("copied");
        if copied > 0 {
            assert!(
                copied < SAMPLES as i64,
                "the copy finished before it could be killed; make it slower"
            );
            killed_at = Some(copied);
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    first.kill();
    let killed_at = killed_at.expect("the copy never started");

    let second = start(dir.path(), port, url.as_deref(), &log);
    wait_healthy(&client, addr).await;
    let mut published = None;
    for _ in 0..1200 {
        let r = call(
            &client,
            addr,
            &creds,
            Method::GET,
            &format!("{versions}/{vid}"),
            None,
        )
        .await;
        assert!(r.status.is_success(), "{}", r.body);
        if r.body["status"] != 0 {
            published = Some(r.body);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let v = published.expect("the publish never finished after the restart");
    assert_eq!(v["status"], 1, "{v}");
    assert_eq!(
        v["total_sample_count"], SAMPLES as i64,
        "killed at {killed_at}"
    );
    let row = sqlx::query(
        "select count(*) as n, count(distinct id) as ids, max(pos) as top from version_samples where version_id = $1",
    )
    .bind(&vid)
    .fetch_one(&pool)
    .await
    .expect("count");
    assert_eq!(row.get::<i64, _>("n"), SAMPLES as i64);
    assert_eq!(row.get::<i64, _>("ids"), SAMPLES as i64);
    assert_eq!(
        row.get::<i64, _>("top"),
        SAMPLES as i64,
        "positions stay dense"
    );
    let manifest = dir.path().join("obs").join(
        v["manifest_path"]
            .as_str()
            .expect("path")
            .trim_start_matches('/'),
    );
    let text = std::fs::read_to_string(manifest).expect("manifest");
    assert_eq!(text.lines().count(), SAMPLES);
    let job = sqlx::query("select status, attempts from jobs where kind = 'publish'")
        .fetch_one(&pool)
        .await
        .expect("job");
    assert_eq!(job.get::<String, _>("status"), "succeeded");
    assert!(
        job.get::<i64, _>("attempts") >= 2,
        "claimed again after the crash"
    );
    pool.close().await;
    second.kill();
    drop(pg);
}
