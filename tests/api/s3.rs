//! The real binary on S3, configured by its documented environment, against a real
//! S3 server: folder markers, bucket checks, streamed files, sync.

use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{dataset_body, sdk_date_now, send_signed_to, Creds, Resp};
use crate::storage::S3Server;

/// A child process, killed on drop.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running `labelhive serve` and the default project's credentials.
struct Served {
    _child: Killed,
    addr: std::net::SocketAddr,
    creds: Creds,
    client: reqwest::Client,
}

impl Served {
    async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Resp {
        let path = format!("/v2/{}{path}", self.creds.project_id);
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        send_signed_to(
            &self.client,
            self.addr,
            &self.creds,
            method,
            &path,
            bytes,
            &sdk_date_now(),
        )
        .await
    }

    async fn wait_normal(&self, id: &str) -> Value {
        for _ in 0..400 {
            let r = self
                .call(Method::GET, &format!("/datasets/{id}"), None)
                .await;
            assert_eq!(r.status.as_u16(), 200, "{}", r.body);
            if r.body["status"] == 1 && r.body["running_tasks_id"] == json!([]) {
                return r.body;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("dataset {id} never became normal");
    }
}

/// Starts the binary with its storage given only through `LABELHIVE_S3_*`.
async fn serve(s3: &S3Server, data_dir: &std::path::Path) -> Served {
    let options = s3.options();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let child = Killed(
        Command::new(env!("CARGO_BIN_EXE_labelhive"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env_remove("LABELHIVE_DATABASE_URL")
            .env("LABELHIVE_DATA_DIR", data_dir)
            .env("LABELHIVE_STORAGE", "s3")
            .env("LABELHIVE_S3_ENDPOINT", options.endpoint.unwrap())
            .env("LABELHIVE_S3_REGION", options.region.unwrap())
            .env("LABELHIVE_S3_ACCESS_KEY_ID", options.access_key_id.unwrap())
            .env(
                "LABELHIVE_S3_SECRET_ACCESS_KEY",
                options.secret_access_key.unwrap(),
            )
            .env("LABELHIVE_S3_PATH_STYLE", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("http://{addr}/health"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            let text = std::fs::read_to_string(data_dir.join("credentials.json")).unwrap();
            return Served {
                _child: child,
                addr,
                creds: Creds::from_json(&serde_json::from_str(&text).unwrap()),
                client,
            };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not come up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_keeps_sample_files_in_s3_buckets() {
    let Some(s3) = S3Server::start().await else {
        return;
    };
    s3.create_bucket("bkt").await;
    s3.create_bucket("work").await;
    let raw = reqwest::Client::new();
    for (key, body) in [
        ("in/a.jpg", "A"),
        ("in/sub/b.jpg", "B"),
        // Folder markers, as consoles make them: directories, not files.
        ("in/", ""),
        ("in/sub/", ""),
        ("in/empty/", ""),
    ] {
        let r = raw
            .put(format!("{}/bkt/{key}", s3.endpoint))
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "put {key}: {}", r.status());
    }
    let dir = tempfile::tempdir().unwrap();
    let app = serve(&s3, dir.path()).await;

    let r = app
        .call(
            Method::POST,
            "/datasets",
            Some(&dataset_body("on-s3", "/bkt/in/", "/work/out/")),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let id = r.body["dataset_id"].as_str().unwrap().to_owned();
    let ds = app.wait_normal(&id).await;
    assert_eq!(ds["total_sample_count"], 2, "markers are not samples: {ds}");

    // A sample's file streams from its bucket.
    let list = app
        .call(
            Method::GET,
            &format!("/datasets/{id}/data-annotations/samples?limit=10"),
            None,
        )
        .await;
    let samples = list.body["samples"].as_array().unwrap().clone();
    let a = samples
        .iter()
        .find(|s| s["source"].as_str().unwrap().ends_with("/in/a.jpg"))
        .expect("a.jpg");
    let file = raw
        .get(format!(
            "http://{}/files/{}/datasets/{id}/samples/{}",
            app.addr,
            app.creds.project_id,
            a["sample_id"].as_str().unwrap()
        ))
        .header(
            "x-auth-token",
            token(&raw, app.addr, &app.creds).await.as_str(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(file.status().as_u16(), 200);
    assert_eq!(file.headers()["content-type"], "image/jpeg");
    assert_eq!(file.bytes().await.unwrap().as_ref(), b"A");

    // A sync over the markers finds nothing new; a new object is added.
    let r = raw
        .put(format!("{}/bkt/in/empty/c.jpg", s3.endpoint))
        .body("C")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let r = app
        .call(
            Method::POST,
            &format!("/datasets/{id}/sync-data"),
            Some(&json!({})),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let mut status = Value::Null;
    for _ in 0..400 {
        status = app
            .call(
                Method::GET,
                &format!("/datasets/{id}/sync-data/status"),
                None,
            )
            .await
            .body;
        if status["status"] == "COMPLETED" || status["status"] == "FAILED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status["status"], "COMPLETED", "{status}");
    assert_eq!(status["add_sample_count"], 1, "{status}");
    assert_eq!(status["deleted_sample_count"], 0, "{status}");
    assert_eq!(status["total_sample_count"], 3, "{status}");

    // A bucket the store does not have is refused and nothing is made.
    let r = app
        .call(
            Method::POST,
            "/datasets",
            Some(&dataset_body(
                "nowhere",
                "/no-such-bucket/in/",
                "/work/out2/",
            )),
        )
        .await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.body);
    assert_eq!(r.body["error_code"], "ModelArts.4311", "{}", r.body);
    let r = app.call(Method::GET, "/datasets", None).await;
    assert_eq!(r.body["total_number"], 1, "{}", r.body);
    assert!(
        !dir.path().join("obs").exists(),
        "nothing was written to the local store"
    );
}

/// A token for `creds`, for the file endpoint.
async fn token(client: &reqwest::Client, addr: std::net::SocketAddr, creds: &Creds) -> String {
    let r = client
        .post(format!("http://{addr}/auth/tokens"))
        .json(&json!({"access_key": creds.access_key, "secret_key": creds.secret_key}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    r.headers()["x-subject-token"].to_str().unwrap().to_owned()
}
