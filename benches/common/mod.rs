//! What the benchmarks share: starting the release binary on a fresh store, a signed
//! HTTP client, percentiles and the server's memory.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use labelhive::api::auth::signing::{sign_request, RequestParts};
use serde_json::Value;

pub struct Creds {
    pub project_id: String,
    pub ak: String,
    pub sk: String,
}

pub struct Client {
    pub http: reqwest::Client,
    pub addr: SocketAddr,
    pub creds: Arc<Creds>,
}

impl Client {
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let full = format!("/v2/{}{}", self.creds.project_id, path);
        let (p, q) = full
            .split_once('?')
            .map_or((full.as_str(), None), |(p, q)| (p, Some(q)));
        let bytes = body
            .map(|b| serde_json::to_vec(b).unwrap())
            .unwrap_or_default();
        let date = sdk_date();
        let parts = RequestParts {
            method: method.as_str(),
            path: p,
            query: q,
            headers: vec![
                ("host".into(), self.addr.to_string()),
                ("content-type".into(), "application/json".into()),
                ("x-sdk-date".into(), date.clone()),
            ],
            body: &bytes,
        };
        let auth = sign_request(&self.creds.ak, &self.creds.sk, &parts, &date);
        let mut req = self
            .http
            .request(method, format!("http://{}{}", self.addr, full))
            .header("content-type", "application/json")
            .header("x-sdk-date", &date)
            .header("authorization", auth);
        if !bytes.is_empty() {
            req = req.body(bytes);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let body = resp.json().await.unwrap_or(Value::Null);
        (status, body)
    }
}

pub fn sdk_date() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

pub fn mem_kb(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

pub fn pct(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i].as_secs_f64() * 1000.0
}

/// p50, p99 and the slowest of `n` sequential GETs of `path`, in milliseconds.
pub async fn latencies(client: &Client, path: &str, n: usize) -> (f64, f64, f64) {
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let (status, body) = client.call(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        v.push(t.elapsed());
    }
    (pct(&mut v, 0.5), pct(&mut v, 0.99), pct(&mut v, 1.0))
}

pub struct Server(pub Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls a GET path every 100 ms until `ended` holds for its body.
pub async fn poll(client: &Client, path: &str, ended: impl Fn(&Value) -> bool) -> Value {
    loop {
        let (_, body) = client.call(reqwest::Method::GET, path, None).await;
        if ended(&body) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A server under benchmark, on SQLite or (with `LABELHIVE_BENCH_DATABASE_URL`) on a
/// fresh PostgreSQL database, with its files in the local folder or (with
/// `LABELHIVE_BENCH_S3_ENDPOINT`, bucket `bench` created there) on S3; killed on drop.
pub struct Bench {
    pub dir: tempfile::TempDir,
    pub addr: SocketAddr,
    pub pid: u32,
    pub http: reqwest::Client,
    pub creds: Arc<Creds>,
    pub backend: &'static str,
    /// The metadata database's URL.
    pub database_url: String,
    pub server: Server,
    /// The PostgreSQL server's URL and the database made for this run, dropped with it.
    pg_database: Option<(String, String)>,
}

impl Drop for Bench {
    fn drop(&mut self) {
        // The server first, then its database: a million-sample run leaves gigabytes,
        // and databases left by earlier runs slowed the next ones.
        let _ = self.server.0.kill();
        let _ = self.server.0.wait();
        let Some((base, name)) = self.pg_database.take() else {
            return;
        };
        // Drop runs inside the bench's runtime, which cannot block on itself.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                use sqlx::{Connection, Executor};
                let mut conn = sqlx::PgConnection::connect(&base).await?;
                conn.execute(format!("drop database if exists \"{name}\" with (force)").as_str())
                    .await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("bench: could not drop the benchmark database");
        }
    }
}

impl Bench {
    /// Starts `labelhive serve` and waits until it answers.
    pub async fn start(extra_args: &[&str]) -> Bench {
        let pg = std::env::var("LABELHIVE_BENCH_DATABASE_URL")
            .ok()
            .filter(|s| !s.is_empty());
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("obs/bench/in")).unwrap();
        std::fs::create_dir_all(dir.path().join("obs/bench/out")).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_labelhive"));
        cmd.args(["serve", "--listen", &addr.to_string(), "--data-dir"])
            .arg(dir.path())
            // LABELHIVE_BENCH_LOG=sqlx::query=debug shows each statement of a phase.
            .env(
                "RUST_LOG",
                std::env::var("LABELHIVE_BENCH_LOG").unwrap_or_else(|_| "warn".to_owned()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        cmd.args(extra_args);
        // Files on an S3-compatible server (moto, MinIO) instead of the local folder.
        let s3 = std::env::var("LABELHIVE_BENCH_S3_ENDPOINT")
            .ok()
            .filter(|s| !s.is_empty());
        if let Some(endpoint) = &s3 {
            // The server never creates buckets; an existing one answers 409, also fine.
            reqwest::Client::new()
                .put(format!("{endpoint}/bench"))
                .send()
                .await
                .unwrap();
            cmd.args([
                "--storage",
                "s3",
                "--s3-path-style",
                "--s3-endpoint",
                endpoint,
            ])
            .args(["--s3-region", "us-east-1", "--s3-access-key-id", "bench"])
            .args(["--s3-secret-access-key", "bench"]);
        }
        let mut pg_database = None;
        let (backend, database_url) = if let Some(base) = &pg {
            use sqlx::{Connection, Executor};
            let name = format!("labelhive_bench_{}", std::process::id());
            let mut conn = sqlx::PgConnection::connect(base).await.unwrap();
            conn.execute(format!("drop database if exists \"{name}\" with (force)").as_str())
                .await
                .unwrap();
            conn.execute(format!("create database \"{name}\"").as_str())
                .await
                .unwrap();
            let url = format!("{}/{name}", base.rsplit_once('/').unwrap().0);
            cmd.arg("--database-url").arg(&url);
            pg_database = Some((base.clone(), name));
            let name = if s3.is_some() {
                "PostgreSQL, files on S3"
            } else {
                "PostgreSQL"
            };
            (name, url)
        } else {
            let url = format!("sqlite://{}", dir.path().join("labelhive.db").display());
            let name = if s3.is_some() {
                "SQLite, files on S3"
            } else {
                "SQLite"
            };
            (name, url)
        };
        let server = Server(cmd.spawn().unwrap());
        let pid = server.0.id();
        let http = reqwest::Client::new();
        for _ in 0..200 {
            if http
                .get(format!("http://{addr}/health"))
                .send()
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let creds: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("credentials.json")).unwrap(),
        )
        .unwrap();
        let creds = Arc::new(Creds {
            project_id: creds["project_id"].as_str().unwrap().into(),
            ak: creds["access_key"].as_str().unwrap().into(),
            sk: creds["secret_key"].as_str().unwrap().into(),
        });
        Bench {
            dir,
            addr,
            pid,
            http,
            creds,
            backend,
            database_url,
            server,
            pg_database,
        }
    }

    /// A client signed as the default project.
    pub fn client(&self) -> Client {
        Client {
            http: self.http.clone(),
            addr: self.addr,
            creds: self.creds.clone(),
        }
    }
}
