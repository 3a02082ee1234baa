//! Test harness: boots servers, signs requests, owns per-test databases.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::Duration;

use labelhive::api::auth::signing::{sign_request, RequestParts};
use labelhive::config::Config;
use labelhive::server::Server;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::{Connection, Executor, PgConnection};
use tokio::sync::oneshot;

/// Which metadata backend a scenario runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    /// SQLite metadata, sample files in a real S3 server (moto).
    SqliteS3,
}

/// Generates one test per `variant => Backend` in module `name`, each running
/// `async fn name(Backend)`.
#[macro_export]
macro_rules! backend_tests {
    ($name:ident: $($test:ident => $backend:ident),+) => {
        mod $name {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$name($crate::helpers::Backend::$backend).await;
                }
            )+
        }
    };
}

/// Generates `<name>::sqlite` and `<name>::postgres` tests from `async fn name(Backend)`:
/// one body, both backends, in the same `cargo test`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        $($crate::backend_tests!($name: sqlite => Sqlite, postgres => Postgres);)+
    };
}

/// Base URL of the PostgreSQL server for tests, if configured.
pub fn postgres_base_url() -> Option<String> {
    std::env::var("LABELHIVE_TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

static PG_NOTE: Once = Once::new();

/// Whether a PostgreSQL scenario can run; prints once, bypassing test capture, when not.
pub fn postgres_available() -> bool {
    if postgres_base_url().is_some() {
        return true;
    }
    PG_NOTE.call_once(|| {
        // Written to the real stderr (not eprintln!, which the test harness captures),
        // so a run without PostgreSQL says so plainly.
        let _ = writeln!(
            std::io::stderr(),
            "\nNOTE: LABELHIVE_TEST_DATABASE_URL is not set: the PostgreSQL half of the suite did NOT run \
             (its tests pass vacuously). Set it, e.g. postgres://postgres@127.0.0.1:5432/test, to run it.\n"
        );
    });
    false
}

/// A PostgreSQL database made for one test and dropped after it.
pub struct PgDb {
    pub url: String,
    name: String,
    admin_url: String,
}

impl PgDb {
    pub async fn create() -> PgDb {
        let admin_url = postgres_base_url().expect("LABELHIVE_TEST_DATABASE_URL");
        let name = format!("labelhive_test_{}", labelhive_domain::ids::new_hex_id());
        let mut conn = PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!("PostgreSQL at LABELHIVE_TEST_DATABASE_URL is unreachable: {e}")
        });
        conn.execute(format!("create database \"{name}\"").as_str())
            .await
            .expect("create database");
        let (base, _) = admin_url.rsplit_once('/').expect("URL with a database");
        PgDb {
            url: format!("{base}/{name}"),
            name,
            admin_url,
        }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if std::env::var("LABELHIVE_TEST_KEEP_DB").is_ok() {
            return;
        }
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime; use a thread with its own runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                if let Ok(mut conn) = PgConnection::connect(&admin_url).await {
                    let _ = conn
                        .execute(
                            format!("drop database if exists \"{name}\" with (force)").as_str(),
                        )
                        .await;
                }
            });
        })
        .join();
    }
}

/// Project credentials.
#[derive(Debug, Clone)]
pub struct Creds {
    pub project_id: String,
    pub access_key: String,
    pub secret_key: String,
}

impl Creds {
    pub fn from_json(v: &Value) -> Creds {
        Creds {
            project_id: v["project_id"].as_str().expect("project_id").to_owned(),
            access_key: v["access_key"].as_str().expect("access_key").to_owned(),
            secret_key: v["secret_key"].as_str().expect("secret_key").to_owned(),
        }
    }
}

/// A running server and a client signed as its default project.
pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub base: String,
    pub client: reqwest::Client,
    pub creds: Creds,
    pub backend: Backend,
    pub data_dir: tempfile::TempDir,
    pub database_url: Option<String>,
    /// The S3 server holding the files, when the backend is `SqliteS3`.
    pub s3: Option<crate::storage::S3Server>,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<()>>,
    _pg: Option<PgDb>,
}

/// A signed-request outcome.
pub struct Resp {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl TestApp {
    /// Boots a server on `backend`; `None` if PostgreSQL is not configured.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Boots a server after letting `tweak` adjust the configuration.
    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Option<TestApp> {
        if std::env::var("TEST_LOG").is_ok() {
            labelhive::telemetry::init(false);
        } else {
            // The server's errors (the cause behind a 500) go to the test's captured
            // output, which the harness prints only for a failing test.
            let _ = tracing_subscriber::fmt()
                .with_env_filter("error")
                .with_test_writer()
                .try_init();
        }
        let pg = match backend {
            Backend::Sqlite | Backend::SqliteS3 => None,
            Backend::Postgres => {
                if !postgres_available() {
                    return None;
                }
                Some(PgDb::create().await)
            }
        };
        let data_dir = tempfile::tempdir().expect("tempdir");
        let s3 = match backend {
            Backend::SqliteS3 => Some(crate::storage::S3Server::start().await?),
            _ => None,
        };
        let mut config = test_config(
            data_dir.path(),
            pg.as_ref().map(|p| p.url.clone()),
            s3.as_ref(),
        );
        tweak(&mut config);
        let database_url = config.database_url.clone();
        let server = Server::bind(config).await.expect("server binds");
        let addr = server.addr();
        let (tx, handle) = run(server);
        let creds_text = std::fs::read_to_string(data_dir.path().join("credentials.json"))
            .expect("credentials.json");
        let creds = Creds::from_json(&serde_json::from_str(&creds_text).expect("json"));
        Some(TestApp {
            addr,
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            creds,
            backend,
            data_dir,
            database_url,
            s3,
            shutdown: Some(tx),
            handle: Some(handle),
            _pg: pg,
        })
    }

    /// Root of the embedded object store.
    pub fn obs(&self) -> PathBuf {
        self.data_dir.path().join("obs")
    }

    /// Creates another project in the same store and returns its credentials.
    pub async fn create_project(&self, name: &str) -> Creds {
        let args = labelhive::cli::ProjectCreateArgs {
            name: name.to_owned(),
            store: labelhive::cli::StoreArgs {
                data_dir: self.data_dir.path().to_path_buf(),
                database_url: self.database_url.clone(),
                master_key: None,
            },
        };
        let line = labelhive::projects::create_from_cli(args)
            .await
            .expect("project create");
        Creds::from_json(&serde_json::from_str(&line).expect("json"))
    }

    /// `/v2/{project_id}` + `path`.
    pub fn v2(&self, path: &str) -> String {
        format!("/v2/{}{}", self.creds.project_id, path)
    }

    /// Sends a request signed with the default project's keys.
    pub async fn signed(&self, method: Method, path_and_query: &str, body: Option<&Value>) -> Resp {
        let creds = self.creds.clone();
        self.signed_as(&creds, method, path_and_query, body).await
    }

    /// Sends a request signed with `creds`.
    pub async fn signed_as(
        &self,
        creds: &Creds,
        method: Method,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> Resp {
        let date = sdk_date_now();
        let body_bytes = body
            .map(|b| serde_json::to_vec(b).expect("json"))
            .unwrap_or_default();
        self.send_signed(creds, method, path_and_query, body_bytes, &date)
            .await
    }

    /// Sends raw bytes signed with `creds` and an explicit X-Sdk-Date.
    pub async fn send_signed(
        &self,
        creds: &Creds,
        method: Method,
        path_and_query: &str,
        body: Vec<u8>,
        date: &str,
    ) -> Resp {
        send_signed_to(
            &self.client,
            self.addr,
            creds,
            method,
            path_and_query,
            body,
            date,
        )
        .await
    }

    /// Sends a request with custom headers and no signature.
    pub async fn raw(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Resp {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path_and_query));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        into_resp(req.send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.signed(Method::GET, &self.v2(path), None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.signed(Method::POST, &self.v2(path), Some(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Resp {
        self.signed(Method::PUT, &self.v2(path), Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.signed(Method::DELETE, &self.v2(path), None).await
    }

    /// Creates a dataset and asserts 201; returns the body.
    pub async fn create_dataset(&self, body: &Value) -> Value {
        let r = self.post("/datasets", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "create_dataset: {}", r.body);
        r.body
    }

    /// Creates `name` over `/bkt/in/` (writing to `/bkt/out/`), making both; returns its id.
    pub async fn new_dataset(&self, name: &str) -> String {
        self.mkdir("bkt/in").await;
        self.mkdir("bkt/out").await;
        let created = self
            .create_dataset(&dataset_body(name, "/bkt/in/", "/bkt/out/"))
            .await;
        created["dataset_id"]
            .as_str()
            .expect("dataset_id")
            .to_owned()
    }

    /// Polls dataset details until its status is `status` (1: normal) and returns them.
    pub async fn wait_for_dataset_status(&self, dataset_id: &str, status: i64) -> Value {
        for _ in 0..600 {
            let r = self.get(&format!("/datasets/{dataset_id}")).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            if r.body["status"] == status
                && r.body["running_tasks_id"]
                    .as_array()
                    .is_some_and(Vec::is_empty)
            {
                return r.body;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("dataset {dataset_id} never reached status {status}");
    }

    /// Total datasets of the default project.
    pub async fn dataset_count(&self) -> i64 {
        let r = self.get("/datasets?limit=100").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["total_number"].as_i64().expect("total_number")
    }

    /// Obtains a token for `creds`.
    pub async fn token(&self, creds: &Creds) -> String {
        token_for(&self.client, self.addr, creds).await
    }

    /// Stops the server and waits for it.
    /// Grants a worker token as sign-in does: a token row naming the worker, kept only
    /// as its SHA-256 hash. Returns the token (one per worker).
    pub async fn worker_token(&self, worker_id: &str) -> String {
        use sha2::{Digest, Sha256};
        let pool = self.sql_pool().await;
        let token = hex::encode(Sha256::digest(format!("token of {worker_id}").as_bytes()));
        let hash = hex::encode(Sha256::digest(token.as_bytes()));
        let expires = i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis(),
        )
        .unwrap()
            + 3_600_000;
        sqlx::query(
            "insert into tokens (token_hash, project_id, worker_id, expires_at) values ($1, $2, $3, $4)",
        )
        .bind(hash)
        .bind(&self.creds.project_id)
        .bind(worker_id)
        .bind(expires)
        .execute(&pool)
        .await
        .expect("token");
        pool.close().await;
        token
    }

    /// The server's metadata database URL (its SQLite file when not PostgreSQL).
    pub fn database_url_or_sqlite(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}",
                self.data_dir.path().join("labelhive.db").display()
            )
        })
    }

    /// A connection pool to the server's metadata database, for checks below the API.
    pub async fn sql_pool(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        sqlx::AnyPool::connect(&self.database_url_or_sqlite())
            .await
            .expect("db")
    }

    /// Drops the per-state counters (`state:` keys) and counts them again from the
    /// samples with the migration that introduced them, as it ran on existing data.
    pub async fn recount_state_counters(&self) {
        self.rerun_migration(
            "0009_state_counters.sql",
            "delete from sample_state_counts where state like 'state:%'",
        )
        .await;
    }

    /// Runs `clear`, then the migration `file` of this backend on the live database:
    /// what a migration derives from existing data, derived again.
    pub async fn rerun_migration(&self, file: &str, clear: &str) {
        let dialect = if self.database_url.is_some() {
            "postgres"
        } else {
            "sqlite"
        };
        let sql = std::fs::read_to_string(format!(
            "{}/crates/labelhive-store/migrations/{dialect}/{file}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("migration");
        let pool = self.sql_pool().await;
        sqlx::query(clear).execute(&pool).await.expect("clear");
        sqlx::raw_sql(&sql).execute(&pool).await.expect("rerun");
        pool.close().await;
    }

    /// A request with a worker's token.
    pub async fn as_worker(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Resp {
        let body = body.map(|b| serde_json::to_vec(b).unwrap());
        self.raw(method, &self.v2(path), &[("x-auth-token", token)], body)
            .await
    }

    /// Stops the server and boots it again on the same data dir and database, after
    /// letting `tweak` adjust the configuration; the address may change.
    pub async fn restart_with(&mut self, tweak: impl FnOnce(&mut Config)) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = h.await;
        }
        let mut config = test_config(
            self.data_dir.path(),
            self.database_url.clone(),
            self.s3.as_ref(),
        );
        tweak(&mut config);
        let server = Server::bind(config).await.expect("server binds again");
        self.addr = server.addr();
        self.base = format!("http://{}", self.addr);
        let (tx, handle) = run(server);
        self.handle = Some(handle);
        self.shutdown = Some(tx);
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = h.await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A server configuration on a random loopback port over these stores.
fn test_config(
    data_dir: &Path,
    database_url: Option<String>,
    s3: Option<&crate::storage::S3Server>,
) -> Config {
    let mut config = Config::new(data_dir.to_path_buf());
    config.listen = "127.0.0.1:0".parse().expect("addr");
    config.database_url = database_url;
    if let Some(s3) = s3 {
        config.storage = labelhive::config::Storage::S3(s3.options());
    }
    config
}

/// Runs a bound server until the returned sender fires (or is dropped).
fn run(server: Server) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        server
            .run_until(async {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
    });
    (tx, handle)
}

/// Obtains a token for `creds` from the server at `addr`.
pub async fn token_for(
    client: &reqwest::Client,
    addr: std::net::SocketAddr,
    creds: &Creds,
) -> String {
    let r = client
        .post(format!("http://{addr}/auth/tokens"))
        .json(&serde_json::json!({
            "access_key": creds.access_key, "secret_key": creds.secret_key
        }))
        .send()
        .await
        .expect("token request");
    assert_eq!(r.status(), StatusCode::CREATED);
    r.headers()["x-subject-token"]
        .to_str()
        .expect("token")
        .to_owned()
}

/// A free port on 127.0.0.1 for a process to listen on.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A child process (a server), killed with SIGKILL and reaped when dropped.
pub struct ServerProcess(pub std::process::Child);

impl ServerProcess {
    /// SIGKILL, then wait so no zombie is left.
    pub fn kill(self) {
        drop(self);
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until the server at `addr` answers `/health`.
pub async fn wait_healthy(client: &reqwest::Client, addr: std::net::SocketAddr) {
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

/// Sends a request signed like the Huawei Cloud SDKs sign, to any server address.
pub async fn send_signed_to(
    client: &reqwest::Client,
    addr: std::net::SocketAddr,
    creds: &Creds,
    method: Method,
    path_and_query: &str,
    body: Vec<u8>,
    date: &str,
) -> Resp {
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_and_query, None),
    };
    let headers = vec![
        ("host".to_owned(), addr.to_string()),
        ("content-type".to_owned(), "application/json".to_owned()),
        ("x-sdk-date".to_owned(), date.to_owned()),
    ];
    let parts = RequestParts {
        method: method.as_str(),
        path,
        query,
        headers,
        body: &body,
    };
    let authorization = sign_request(&creds.access_key, &creds.secret_key, &parts, date);
    let mut req = client
        .request(method, format!("http://{addr}{path_and_query}"))
        .header("content-type", "application/json")
        .header("x-sdk-date", date)
        .header("authorization", authorization);
    if !body.is_empty() {
        req = req.body(body);
    }
    into_resp(req.send().await.expect("request")).await
}

pub async fn into_resp(resp: reqwest::Response) -> Resp {
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Resp {
        status,
        body,
        headers,
    }
}

/// `X-Sdk-Date` for now.
pub fn sdk_date_now() -> String {
    sdk_date_at(std::time::SystemTime::now())
}

/// `X-Sdk-Date` for a given time.
pub fn sdk_date_at(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs() as i64;
    let dt = time::OffsetDateTime::from_unix_timestamp(secs).expect("timestamp");
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// Asserts a ModelArts error, naming the case in the failure message.
#[track_caller]
pub fn assert_error_in(r: &Resp, status: u16, code: &str, case: &str) {
    assert_eq!(
        r.status.as_u16(),
        status,
        "{case}: unexpected status, body: {}",
        r.body
    );
    assert_eq!(
        r.body["error_code"], code,
        "{case}: unexpected code, body: {}",
        r.body
    );
    assert!(
        r.body["error_msg"].as_str().is_some_and(|m| !m.is_empty()),
        "{case}: no error_msg: {}",
        r.body
    );
}

/// Asserts a ModelArts error.
#[track_caller]
pub fn assert_error(r: &Resp, status: u16, code: &str) {
    assert_error_in(r, status, code, "response");
}

/// A minimal valid create-dataset body for `name` reading `<input>` and writing `<work>`.
pub fn dataset_body(name: &str, input: &str, work: &str) -> Value {
    serde_json::json!({
        "workspace_id": "0",
        "dataset_name": name,
        "dataset_type": 0,
        "data_sources": [{"data_type": 0, "data_path": input}],
        "description": "",
        "work_path": work,
        "work_path_type": 0,
        "labels": [
            {"name": "Rabbits", "type": 0, "property": {"@modelarts:color": "#3399ff"}},
            {"name": "Bees", "type": 0, "property": {"@modelarts:color": "#3399ff"}}
        ]
    })
}

/// Every file under a directory, recursively (to check that nothing was written).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
