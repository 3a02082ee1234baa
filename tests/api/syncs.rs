//! Synchronization: new files are added, vanished files and directories deleted, and a
//! directory that did not change is not listed again.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::every_store;
use crate::helpers::{assert_error_in, Backend, TestApp};
use crate::imports::{put, samples_by_name};

every_store!(sync_adds_new_files_and_deletes_vanished_ones);
every_store!(sync_requests_are_checked);

/// Sets every directory under `dir` a minute into the past, as if untouched since
/// (S3 has no directories to age).
fn age_dirs(app: &TestApp, dir: &str) {
    if app.s3.is_some() {
        return;
    }
    let then = SystemTime::now() - Duration::from_secs(60);
    let mut stack = vec![app.obs().join(dir)];
    while let Some(d) = stack.pop() {
        std::fs::File::open(&d)
            .and_then(|f| f.set_modified(then))
            .expect("set directory time");
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            }
        }
    }
}

/// Starts a synchronization and waits for its end; returns its status.
async fn sync(app: &TestApp, dataset_id: &str) -> Value {
    let r = app
        .post(&format!("/datasets/{dataset_id}/sync-data"), &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let task = r.body["task_id"].clone();
    for _ in 0..600 {
        let r = app
            .get(&format!("/datasets/{dataset_id}/sync-data/status"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["task_id"], task, "{}", r.body);
        if r.body["status"] == "COMPLETED" || r.body["status"] == "FAILED" {
            return r.body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("sync never ended");
}

async fn names(app: &TestApp, id: &str) -> Vec<String> {
    samples_by_name(app, id)
        .await
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}

async fn sync_adds_new_files_and_deletes_vanished_ones(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    for f in [
        "a.jpg",
        "sub/b.jpg",
        "sub/deep/c.jpg",
        "gone/g.jpg",
        "notes.txt",
    ] {
        put(&app, &format!("bkt/in/{f}"), f).await;
    }
    let id = app.new_dataset("synced").await;
    app.wait_for_dataset_status(&id, 1).await;
    assert_eq!(names(&app, &id).await, ["a.jpg", "b.jpg", "c.jpg", "g.jpg"]);
    let r = app.get(&format!("/datasets/{id}/sync-data/status")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "NOT_EXIST", "{}", r.body);

    // The first sync lists everything and changes nothing.
    age_dirs(&app, "bkt/in");
    let s = sync(&app, &id).await;
    assert_eq!(s["status"], "COMPLETED", "{s}");
    assert_eq!(s["dataset_id"], id.as_str());
    assert_eq!(
        (
            s["add_sample_count"].as_i64(),
            s["deleted_sample_count"].as_i64()
        ),
        (Some(0), Some(0)),
        "{s}"
    );
    assert_eq!(s["total_sample_count"], 4, "{s}");
    assert_eq!(s["dirs_listed"], 4, "{s}");

    // A file appears in sub/, a.jpg and the whole gone/ directory vanish; deep/ is
    // untouched and is not listed again.
    put(&app, "bkt/in/sub/new.jpg", "new").await;
    app.remove_file("bkt/in/a.jpg").await;
    app.remove_file("bkt/in/gone/g.jpg").await;
    if app.s3.is_none() {
        std::fs::remove_dir(app.obs().join("bkt/in/gone")).unwrap();
    }
    let s = sync(&app, &id).await;
    assert_eq!(s["status"], "COMPLETED", "{s}");
    assert_eq!(s["add_sample_count"], 1, "{s}");
    assert_eq!(s["deleted_sample_count"], 2, "{s}");
    assert_eq!(s["total_sample_count"], 3, "{s}");
    if app.s3.is_some() {
        // No directory stamps on S3: every directory that still has files is listed.
        assert_eq!(s["dirs_listed"], 3, "root, sub/, deep/: {s}");
        assert_eq!(s["dirs_unchanged"], 0, "{s}");
    } else {
        assert_eq!(s["dirs_listed"], 2, "root and sub/: {s}");
        assert_eq!(s["dirs_unchanged"], 1, "deep/: {s}");
    }
    assert_eq!(names(&app, &id).await, ["b.jpg", "c.jpg", "new.jpg"]);
    let stats = app
        .get(&format!("/datasets/{id}/data-annotations/stats"))
        .await;
    assert_eq!(stats.body["sample_stats"]["__NONE__"], 3, "{}", stats.body);

    // A change inside an unchanged-looking tree: deep/ gets a file and is listed.
    age_dirs(&app, "bkt/in");
    let s = sync(&app, &id).await;
    // Every stamp moved (the aging touched them all): every directory is listed.
    assert_eq!(s["dirs_listed"], 3, "{s}");
    put(&app, "bkt/in/sub/deep/d.jpg", "d").await;
    let s = sync(&app, &id).await;
    assert_eq!(s["add_sample_count"], 1, "{s}");
    if app.s3.is_none() {
        assert_eq!(s["dirs_listed"], 1, "only deep/: {s}");
        assert_eq!(s["dirs_unchanged"], 2, "{s}");
    }
    assert_eq!(
        names(&app, &id).await,
        ["b.jpg", "c.jpg", "d.jpg", "new.jpg"]
    );
    app.stop().await;
}

async fn sync_requests_are_checked(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    // Enough directories that the first sync is still running when the second comes.
    for i in 0..300 {
        put(&app, &format!("bkt/in/d{i}/f.jpg"), "x").await;
    }
    let id = app.new_dataset("busy").await;
    app.wait_for_dataset_status(&id, 1).await;
    let path = format!("/datasets/{id}/sync-data");
    let first = app.post(&path, &json!({})).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let second = app.post(&path, &json!({})).await;
    assert_error_in(&second, 400, "ModelArts.4355", "second sync");
    let r = app
        .post("/datasets/aaaaaaaaaaaaaaaaaaa/sync-data", &json!({}))
        .await;
    assert_error_in(&r, 404, "ModelArts.4352", "unknown dataset");
    let r = app
        .get("/datasets/aaaaaaaaaaaaaaaaaaa/sync-data/status")
        .await;
    assert_error_in(&r, 404, "ModelArts.4352", "unknown dataset status");
    let other = app.create_project("other-sync").await;
    let r = app
        .signed_as(
            &other,
            reqwest::Method::POST,
            &format!("/v2/{}/datasets/{id}/sync-data", other.project_id),
            None,
        )
        .await;
    assert_error_in(&r, 404, "ModelArts.4352", "other project");

    // Text datasets cannot be synchronized, as documented.
    app.mkdir("bkt/text").await;
    let mut body = crate::helpers::dataset_body("texts", "/bkt/text/", "/bkt/out/");
    body["dataset_type"] = json!(100);
    body["labels"] = json!([{"name": "pos", "type": 100}]);
    let text = app.create_dataset(&body).await["dataset_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .post(&format!("/datasets/{text}/sync-data"), &json!({}))
        .await;
    assert_error_in(&r, 400, "ModelArts.0104", "text dataset");
    let r = app.get(&format!("/datasets/{text}/sync-data/status")).await;
    assert_eq!(r.body["status"], "NOT_EXIST", "{}", r.body);

    // The first sync ends normally.
    for _ in 0..600 {
        let r = app.get(&format!("{path}/status")).await;
        if r.body["status"] == "COMPLETED" {
            assert_eq!(r.body["task_id"], first.body["task_id"]);
            assert_eq!(r.body["dirs_listed"], 301, "{}", r.body);
            app.stop().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the first sync never ended");
}
