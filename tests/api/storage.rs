//! Sample file storage for tests: the local root, or a real S3 server (moto's server
//! mode, from PyPI) started per test.
//!
//! S3 scenarios run when `moto_server` is found (`LABELHIVE_TEST_MOTO_SERVER`, the
//! PATH, or `./.venv/bin`); without it they say so and return, unless
//! `LABELHIVE_TEST_REQUIRE_S3` is set, as `.ci/run` does.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Once};
use std::time::Duration;

use futures::TryStreamExt;
use labelhive::blob::S3Options;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, PutPayload};

use crate::helpers::{files_under, free_port, ServerProcess, TestApp};

/// Generates `<name>::sqlite`, `<name>::postgres` and `<name>::s3` (SQLite metadata,
/// files on S3) tests from `async fn name(Backend)`.
#[macro_export]
macro_rules! every_store {
    ($($name:ident),+ $(,)?) => {
        $($crate::backend_tests!($name: sqlite => Sqlite, postgres => Postgres, s3 => SqliteS3);)+
    };
}

/// Credentials the tests give moto (it accepts any).
const KEY_ID: &str = "labelhive-test";
const SECRET: &str = "labelhive-test-secret";
const REGION: &str = "us-east-1";

static S3_NOTE: Once = Once::new();

/// The `moto_server` program, if installed.
fn moto_program() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("LABELHIVE_TEST_MOTO_SERVER") {
        return Some(PathBuf::from(p));
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server");
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("moto_server"))
        .chain(std::iter::once(local))
        .find(|p| p.is_file())
}

/// A moto S3 server on a free loopback port, killed on drop.
pub struct S3Server {
    pub endpoint: String,
    _child: ServerProcess,
    client: reqwest::Client,
}

impl S3Server {
    /// Starts one; `None` (with a note) when moto is not installed.
    pub async fn start() -> Option<S3Server> {
        let Some(program) = moto_program() else {
            assert!(
                std::env::var("LABELHIVE_TEST_REQUIRE_S3").is_err(),
                "LABELHIVE_TEST_REQUIRE_S3 is set but moto_server is not installed"
            );
            S3_NOTE.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "\nNOTE: moto_server not found (pip install 'moto[server]'): the S3 scenarios \
                     did NOT run (they pass vacuously).\n"
                );
            });
            return None;
        };
        let port = free_port();
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", program.display()));
        let server = S3Server {
            endpoint: format!("http://127.0.0.1:{port}"),
            _child: ServerProcess(child),
            client: reqwest::Client::new(),
        };
        for _ in 0..200 {
            if server.client.get(&server.endpoint).send().await.is_ok() {
                return Some(server);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("moto_server did not answer at {}", server.endpoint);
    }

    /// The options a server under test is given.
    pub fn options(&self) -> S3Options {
        S3Options {
            endpoint: Some(self.endpoint.clone()),
            region: Some(REGION.to_owned()),
            access_key_id: Some(KEY_ID.to_owned()),
            secret_access_key: Some(SECRET.to_owned()),
            path_style: true,
        }
    }

    /// The documented environment that points `labelhive serve` at this server.
    pub fn env(&self) -> Vec<(String, String)> {
        let o = self.options();
        [
            ("LABELHIVE_STORAGE", "s3".to_owned()),
            ("LABELHIVE_S3_ENDPOINT", o.endpoint.unwrap_or_default()),
            ("LABELHIVE_S3_REGION", o.region.unwrap_or_default()),
            (
                "LABELHIVE_S3_ACCESS_KEY_ID",
                o.access_key_id.unwrap_or_default(),
            ),
            (
                "LABELHIVE_S3_SECRET_ACCESS_KEY",
                o.secret_access_key.unwrap_or_default(),
            ),
            ("LABELHIVE_S3_PATH_STYLE", o.path_style.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Creates a bucket (idempotent).
    pub async fn create_bucket(&self, bucket: &str) {
        let r = self
            .client
            .put(format!("{}/{bucket}", self.endpoint))
            .send()
            .await
            .expect("create bucket");
        assert!(
            r.status().is_success() || r.status() == reqwest::StatusCode::CONFLICT,
            "create bucket {bucket}: {}",
            r.status()
        );
    }

    /// A client of one bucket, independent of the server's own.
    fn bucket(&self, bucket: &str) -> Arc<AmazonS3> {
        Arc::new(
            AmazonS3Builder::new()
                .with_endpoint(&self.endpoint)
                .with_allow_http(true)
                .with_region(REGION)
                .with_access_key_id(KEY_ID)
                .with_secret_access_key(SECRET)
                .with_bucket_name(bucket)
                .build()
                .expect("S3 client"),
        )
    }
}

/// `bucket` and key of a store path `bucket/dir/file`.
fn split(path: &str) -> (&str, StorePath) {
    let path = path.trim_start_matches('/');
    let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
    (bucket, StorePath::from(key))
}

/// The store's files, whichever storage the server runs on. Paths are
/// `bucket/dir/file`, with or without a leading slash.
impl TestApp {
    /// Creates a directory (and its bucket); on S3 only the bucket is made.
    pub async fn mkdir(&self, dir: &str) {
        match &self.s3 {
            Some(s3) => s3.create_bucket(split(dir).0).await,
            None => std::fs::create_dir_all(self.obs().join(dir.trim_start_matches('/')))
                .expect("mkdir"),
        }
    }

    /// Writes a file (making its bucket and directories).
    pub async fn write_file(&self, path: &str, bytes: impl Into<Vec<u8>>) {
        let bytes = bytes.into();
        match &self.s3 {
            Some(s3) => {
                let (bucket, key) = split(path);
                s3.create_bucket(bucket).await;
                s3.bucket(bucket)
                    .put(&key, PutPayload::from(bytes))
                    .await
                    .expect("S3 put");
            }
            None => {
                let file = self.obs().join(path.trim_start_matches('/'));
                std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
                std::fs::write(file, bytes).expect("write");
            }
        }
    }

    /// Writes `count` files named `{i}.{ext}` under `dir`.
    pub async fn put_files(&self, dir: &str, count: usize, ext: &str) {
        self.mkdir(dir).await;
        for i in 0..count {
            let path = format!("{}/{i}.{ext}", dir.trim_end_matches('/'));
            self.write_file(&path, format!("sample {i}")).await;
        }
    }

    /// A file's bytes, `None` when it does not exist.
    pub async fn read_file(&self, path: &str) -> Option<Vec<u8>> {
        match &self.s3 {
            Some(s3) => {
                let (bucket, key) = split(path);
                match s3.bucket(bucket).get(&key).await {
                    Ok(r) => Some(r.bytes().await.expect("S3 body").to_vec()),
                    Err(object_store::Error::NotFound { .. }) => None,
                    Err(e) => panic!("S3 get {path}: {e}"),
                }
            }
            None => std::fs::read(self.obs().join(path.trim_start_matches('/'))).ok(),
        }
    }

    /// A file's text; panics when it does not exist.
    pub async fn read_text(&self, path: &str) -> String {
        let bytes = self
            .read_file(path)
            .await
            .unwrap_or_else(|| panic!("no file {path}"));
        String::from_utf8(bytes).expect("UTF-8 file")
    }

    /// Deletes a file.
    pub async fn remove_file(&self, path: &str) {
        match &self.s3 {
            Some(s3) => {
                let (bucket, key) = split(path);
                s3.bucket(bucket).delete(&key).await.expect("S3 delete");
            }
            None => {
                std::fs::remove_file(self.obs().join(path.trim_start_matches('/'))).expect("remove")
            }
        }
    }

    /// Files below `dir`, relative to it, sorted.
    pub async fn list_files(&self, dir: &str) -> Vec<String> {
        let dir = dir.trim_matches('/');
        let mut out: Vec<String> = match &self.s3 {
            Some(s3) => {
                let (bucket, prefix) = split(dir);
                let listed: Vec<_> = s3
                    .bucket(bucket)
                    .list(Some(&prefix))
                    .try_collect()
                    .await
                    .expect("S3 list");
                let strip = prefix.as_ref().len();
                listed
                    .iter()
                    .map(|m| {
                        m.location.as_ref()[strip..]
                            .trim_start_matches('/')
                            .to_owned()
                    })
                    .collect()
            }
            None => {
                let root = self.obs().join(dir);
                files_under(&root)
                    .iter()
                    .map(|p| {
                        p.strip_prefix(&root)
                            .expect("below root")
                            .to_string_lossy()
                            .into_owned()
                    })
                    .collect()
            }
        };
        out.sort();
        out
    }
}
