//! The verifier against the reference client: requests signed by the PyPI package
//! huaweicloudsdkcore (its own signer, via scripts/sdk_request.py) reach the real server.

use std::io::Write;
use std::process::Command;

use serde_json::json;

use crate::helpers::{Backend, TestApp};

fn sdk_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import huaweicloudsdkcore"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("LABELHIVE_TEST_REQUIRE_SDK").is_err(),
            "LABELHIVE_TEST_REQUIRE_SDK is set but python3 cannot import huaweicloudsdkcore"
        );
        let _ = writeln!(
            std::io::stderr(),
            "\nNOTE: python3 cannot import huaweicloudsdkcore (pip install huaweicloudsdkcore): \
             the reference-client signing test did NOT run.\n"
        );
    }
    ok
}

/// Runs the SDK-signed request; returns (status, body).
fn sdk_request(app: &TestApp, sk: &str, method: &str, path: &str, extra: &[&str]) -> (u16, String) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/sdk_request.py");
    let out = Command::new("python3")
        .arg(script)
        .args([
            "--endpoint",
            &app.base,
            "--ak",
            &app.creds.access_key,
            "--sk",
            sk,
        ])
        .args(["--project-id", &app.creds.project_id, method, path])
        .args(extra)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "sdk_request.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (status, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
    (status.trim().parse().expect("status line"), body.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_signed_by_huaweicloudsdkcore_are_accepted() {
    if !sdk_available() {
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite app");
    app.mkdir("bkt/in").await;
    app.mkdir("bkt/out").await;
    let sk = app.creds.secret_key.clone();
    let datasets = format!("/v2/{}/datasets", app.creds.project_id);
    let body = json!({
        "dataset_name": "signed-by-sdk",
        "dataset_type": 0,
        "data_sources": [{"data_path": "/bkt/in/"}],
        "work_path": "/bkt/out/",
        "work_path_type": 0,
        "description": "créé par le SDK",
    })
    .to_string();
    let (status, text) = sdk_request(&app, &sk, "POST", &datasets, &["--body", &body]);
    assert_eq!(status, 201, "{text}");
    let (status, text) = sdk_request(
        &app,
        &sk,
        "GET",
        &datasets,
        &[
            "--query",
            "search_content=signed-by",
            "--query",
            "limit=5",
            "--query",
            "sort_by=dataset_name",
            "--query",
            "order=asc",
        ],
    );
    assert_eq!(status, 200, "{text}");
    let listed: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(listed["total_number"], 1);
    assert_eq!(listed["datasets"][0]["description"], "créé par le SDK");
    let (status, text) = sdk_request(
        &app,
        &sk,
        "GET",
        &datasets,
        &["--query", "search_content=a b/c~é%"],
    );
    assert_eq!(status, 200, "query values needing encoding: {text}");
    // The same request with a wrong secret is refused.
    let (status, text) = sdk_request(&app, &"0".repeat(40), "GET", &datasets, &[]);
    assert_eq!(status, 401, "{text}");
}
