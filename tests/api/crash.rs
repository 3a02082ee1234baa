//! Crash safety: the real binary is killed with SIGKILL during the creation import, or
//! during a publish, restarted, and the job finishes with every file registered (every
//! sample published) exactly once. [`Rig`] is the harness the other crash tests share.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};
use sqlx::Row;

use crate::both_backends;
use crate::helpers::{
    dataset_body, free_port, postgres_available, sdk_date_now, send_signed_to, token_for,
    wait_healthy, Backend, Creds, PgDb, Resp, ServerProcess,
};
use crate::storage::S3Server;

both_backends!(an_import_killed_mid_way_resumes_and_registers_every_file_once);
both_backends!(a_publish_killed_mid_way_resumes_and_publishes_every_sample_once);

const FILES: usize = 12_000;

fn start(
    data_dir: &Path,
    port: u16,
    database_url: Option<&str>,
    env: &[(String, String)],
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
        .envs(env.iter().map(|(k, v)| (k, v)))
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

/// The real binary on a fresh data directory (and its own PostgreSQL database, or its
/// own S3 server), with a signed client and a direct connection to its database.
pub(crate) struct Rig {
    dir: tempfile::TempDir,
    /// Where the server listens.
    pub addr: SocketAddr,
    client: reqwest::Client,
    /// The first project's credentials.
    pub creds: Creds,
    /// The server's database, to watch jobs and count rows.
    pub pool: sqlx::AnyPool,
    port: u16,
    url: Option<String>,
    log: PathBuf,
    /// Environment the server starts with (the S3 settings).
    env: Vec<(String, String)>,
    server: Option<ServerProcess>,
    _pg: Option<PgDb>,
    /// The S3 server holding the files, on `SqliteS3`.
    pub s3: Option<S3Server>,
}

impl Rig {
    /// Starts the server; `None` when the backend is not available here.
    pub(crate) async fn boot(backend: Backend) -> Option<Rig> {
        Rig::boot_with(backend, &[]).await
    }

    /// Starts the server with `extra` environment on top of the rig's own, kept across
    /// restarts; `None` when the backend is not available here.
    pub(crate) async fn boot_with(backend: Backend, extra: &[(&str, &str)]) -> Option<Rig> {
        if backend == Backend::Postgres && !postgres_available() {
            return None;
        }
        let pg = match backend {
            Backend::Postgres => Some(PgDb::create().await),
            Backend::Sqlite | Backend::SqliteS3 => None,
        };
        let s3 = match backend {
            Backend::SqliteS3 => Some(S3Server::start().await?),
            _ => None,
        };
        let mut env = s3.as_ref().map(S3Server::env).unwrap_or_default();
        env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let url = pg.as_ref().map(|p| p.url.clone());
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("server.log");
        let port = free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
        let client = reqwest::Client::new();
        let server = start(dir.path(), port, url.as_deref(), &env, &log);
        wait_healthy(&client, addr).await;
        let creds_text =
            std::fs::read_to_string(dir.path().join("credentials.json")).expect("credentials");
        let creds = Creds::from_json(&serde_json::from_str(&creds_text).expect("json"));
        let db_url = url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("labelhive.db").display()));
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&db_url).await.expect("db");
        Some(Rig {
            dir,
            addr,
            client,
            creds,
            pool,
            port,
            url,
            log,
            env,
            server: Some(server),
            _pg: pg,
            s3,
        })
    }

    /// The server's data directory.
    pub(crate) fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// A path below the object store root, its directories made.
    pub(crate) fn obs(&self, relative: &str) -> PathBuf {
        let p = self.dir.path().join("obs").join(relative);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        p
    }

    /// A token for the first project.
    pub(crate) async fn token(&self) -> String {
        token_for(&self.client, self.addr, &self.creds).await
    }

    /// A signed request to `/v2/{project_id}{path}`.
    pub(crate) async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Resp {
        let bytes = body
            .map(|b| serde_json::to_vec(b).expect("json"))
            .unwrap_or_default();
        let full = format!("/v2/{}{path}", self.creds.project_id);
        let date = sdk_date_now();
        send_signed_to(
            &self.client,
            self.addr,
            &self.creds,
            method,
            &full,
            bytes,
            &date,
        )
        .await
    }

    /// Creates a dataset over `/bkt/in/` writing to `/bkt/out/`; returns its id.
    pub(crate) async fn create_dataset(&self, name: &str) -> String {
        self.obs("bkt/in/");
        self.obs("bkt/out/");
        let body = dataset_body(name, "/bkt/in/", "/bkt/out/");
        let created = self.call(Method::POST, "/datasets", Some(&body)).await;
        assert_eq!(created.status.as_u16(), 201, "{}", created.body);
        created.body["dataset_id"].as_str().expect("id").to_owned()
    }

    /// Polls `path` until `ended` holds for its body, and returns the body.
    pub(crate) async fn poll(&self, path: &str, ended: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..1200 {
            let r = self.call(Method::GET, path, None).await;
            assert!(r.status.is_success(), "{path}: {}", r.body);
            if ended(&r.body) {
                return r.body;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{path} never reached its end");
    }

    /// Waits until the dataset is normal with no task running; returns its details.
    pub(crate) async fn wait_idle(&self, id: &str) -> Value {
        self.poll(&format!("/datasets/{id}"), |d| {
            d["status"] == 1 && d["running_tasks_id"].as_array().is_some_and(Vec::is_empty)
        })
        .await
    }

    /// Polls `sql` (one bigint column `n`, `$1` bound to `key`) until it is above zero,
    /// checks the work is not yet all done (`whole`), and kills the server with
    /// SIGKILL; returns how far the work had got.
    pub(crate) async fn kill_part_way(&mut self, sql: &str, key: &str, whole: i64) -> i64 {
        // A deadline rather than a count of polls: on a loaded machine the job may take
        // a while to be claimed.
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let n: i64 = sqlx::query(sql)
                .bind(key)
                .fetch_one(&self.pool)
                .await
                .expect("progress row")
                .get("n");
            if n > 0 {
                assert!(
                    n < whole,
                    "the work finished ({n} of {whole}) before it could be killed"
                );
                self.server.take().expect("running").kill();
                return n;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        panic!("the work never started within a minute");
    }

    /// Starts the task `body` at `tasks`, kills the server once its job has made some
    /// progress (out of `whole`), restarts it and waits until the task's status is one
    /// of `ended`; returns how far it had got and the final status.
    pub(crate) async fn crash_task(
        &mut self,
        tasks: &str,
        body: &Value,
        whole: i64,
        ended: [&str; 2],
    ) -> (i64, Value) {
        let r = self.call(Method::POST, tasks, Some(body)).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
        let task = r.body["task_id"].as_str().expect("task_id").to_owned();
        let killed_at = self
            .kill_part_way(
                "select progress_done as n from jobs where id = $1",
                &task,
                whole,
            )
            .await;
        self.restart().await;
        let status = self
            .poll(&format!("{tasks}/{task}"), |t| {
                ended.iter().any(|e| t["status"] == *e)
            })
            .await;
        (killed_at, status)
    }

    /// Starts the server again on the same data directory and database.
    pub(crate) async fn restart(&mut self) {
        self.server = Some(start(
            self.dir.path(),
            self.port,
            self.url.as_deref(),
            &self.env,
            &self.log,
        ));
        wait_healthy(&self.client, self.addr).await;
    }

    /// Asserts that the dataset's statistics count `n` samples, as its rows do.
    pub(crate) async fn assert_counted(&self, dataset_id: &str, n: i64) {
        let stats = self
            .call(
                Method::GET,
                &format!("/datasets/{dataset_id}/data-annotations/stats"),
                None,
            )
            .await;
        assert_eq!(stats.body["sample_stats"]["__ALL__"], n, "{}", stats.body);
    }

    /// How often a job was claimed.
    pub(crate) async fn attempts(&self, job_id: &str) -> i64 {
        sqlx::query("select attempts from jobs where id = $1")
            .bind(job_id)
            .fetch_one(&self.pool)
            .await
            .expect("job")
            .get("attempts")
    }

    /// Rows and distinct values of `column` of a dataset's samples.
    pub(crate) async fn sample_rows(&self, dataset_id: &str, column: &str) -> (i64, i64) {
        let row = sqlx::query(&format!(
            "select count(*) as n, count(distinct {column}) as d from samples where dataset_id = $1"
        ))
        .bind(dataset_id)
        .fetch_one(&self.pool)
        .await
        .expect("count");
        (row.get("n"), row.get("d"))
    }

    /// The server's log so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).expect("log")
    }

    /// Closes the database connection and stops the server.
    pub(crate) async fn stop(mut self) {
        self.pool.close().await;
        if let Some(s) = self.server.take() {
            s.kill();
        }
    }
}

async fn an_import_killed_mid_way_resumes_and_registers_every_file_once(backend: Backend) {
    let Some(mut rig) = Rig::boot(backend).await else {
        return;
    };
    for i in 0..FILES {
        std::fs::write(rig.obs(&format!("bkt/in/{i:05}.jpg")), b"x").expect("write");
    }
    let id = rig.create_dataset("crash").await;

    // Kill while the import is part-way: some samples registered, not all.
    let killed_at = rig
        .kill_part_way(
            "select total_sample_count as n from datasets where id = $1",
            &id,
            FILES as i64,
        )
        .await;
    rig.restart().await;
    let d = rig
        .poll(&format!("/datasets/{id}"), |d| d["status"] == 1)
        .await;
    assert_eq!(
        d["total_sample_count"], FILES as i64,
        "killed at {killed_at}"
    );

    // Every file once, straight from the database.
    assert_eq!(
        rig.sample_rows(&id, "path").await,
        (FILES as i64, FILES as i64)
    );
    let job = sqlx::query("select id, status from jobs where dataset_id = $1")
        .bind(&id)
        .fetch_one(&rig.pool)
        .await
        .expect("job");
    assert_eq!(job.get::<String, _>("status"), "succeeded");
    let job_id: String = job.get("id");
    assert!(
        rig.attempts(&job_id).await >= 2,
        "the job was claimed again after the crash"
    );

    // The log has one line per request and never a secret.
    let logged = rig.log();
    assert!(
        logged.contains("http.route=/v2/{project_id}/datasets")
            && logged.contains("http.status=201"),
        "request lines are logged"
    );
    assert!(
        !logged.contains(&rig.creds.secret_key),
        "the secret key was logged"
    );
    assert!(!logged.contains("Signature="), "a signature was logged");
    rig.stop().await;
}

async fn a_publish_killed_mid_way_resumes_and_publishes_every_sample_once(backend: Backend) {
    const SAMPLES: usize = 3_000;
    // Five samples per transaction: 600 commits, so the copy is still running when a
    // poll from a busy test machine first sees it.
    let Some(mut rig) = Rig::boot_with(backend, &[("LABELHIVE_IMPORT_BATCH", "5")]).await else {
        return;
    };
    for i in 0..SAMPLES {
        std::fs::write(rig.obs(&format!("bkt/in/{i:05}.jpg")), b"x").expect("write");
    }
    let id = rig.create_dataset("publish").await;
    rig.wait_idle(&id).await;

    let versions = format!("/datasets/{id}/versions");
    let r = rig.call(Method::POST, &versions, Some(&json!({}))).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let vid = r.body["version_id"]
        .as_str()
        .expect("version_id")
        .to_owned();
    // Kill once part of the samples are copied into the version.
    let killed_at = rig
        .kill_part_way(
            "select copied as n from versions where id = $1",
            &vid,
            SAMPLES as i64,
        )
        .await;
    rig.restart().await;
    let v = rig
        .poll(&format!("{versions}/{vid}"), |v| v["status"] != 0)
        .await;
    assert_eq!(v["status"], 1, "{v}");
    assert_eq!(
        v["total_sample_count"], SAMPLES as i64,
        "killed at {killed_at}"
    );
    let row = sqlx::query(
        "select count(*) as n, count(distinct id) as ids, max(pos) as top from version_samples where version_id = $1",
    )
    .bind(&vid)
    .fetch_one(&rig.pool)
    .await
    .expect("count");
    assert_eq!(row.get::<i64, _>("n"), SAMPLES as i64);
    assert_eq!(row.get::<i64, _>("ids"), SAMPLES as i64);
    assert_eq!(
        row.get::<i64, _>("top"),
        SAMPLES as i64,
        "positions stay dense"
    );
    let manifest = rig.obs(
        v["manifest_path"]
            .as_str()
            .expect("path")
            .trim_start_matches('/'),
    );
    let text = std::fs::read_to_string(manifest).expect("manifest");
    assert_eq!(text.lines().count(), SAMPLES);
    let job = sqlx::query("select id, status from jobs where kind = 'publish'")
        .fetch_one(&rig.pool)
        .await
        .expect("job");
    assert_eq!(job.get::<String, _>("status"), "succeeded");
    let job_id: String = job.get("id");
    assert!(
        rig.attempts(&job_id).await >= 2,
        "claimed again after the crash"
    );
    rig.stop().await;
}
