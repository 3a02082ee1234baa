//! The real binary on S3, configured by its documented environment (`LABELHIVE_S3_*`),
//! against a real S3 server: folder markers, bucket checks, streamed files, sync.

use reqwest::Method;
use serde_json::json;

use crate::crash::Rig;
use crate::helpers::{dataset_body, Backend};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_keeps_sample_files_in_s3_buckets() {
    let Some(app) = Rig::boot(Backend::SqliteS3).await else {
        return;
    };
    let s3 = app.s3.as_ref().expect("S3 server");
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

    let r = app
        .call(
            Method::POST,
            "/datasets",
            Some(&dataset_body("on-s3", "/bkt/in/", "/work/out/")),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let id = r.body["dataset_id"].as_str().unwrap().to_owned();
    let ds = app.wait_idle(&id).await;
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
        .header("x-auth-token", app.token().await.as_str())
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
    let status = app
        .poll(&format!("/datasets/{id}/sync-data/status"), |s| {
            s["status"] == "COMPLETED" || s["status"] == "FAILED"
        })
        .await;
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
        !app.data_dir().join("obs").exists(),
        "nothing was written to the local store"
    );
}
