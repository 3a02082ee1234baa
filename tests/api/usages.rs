//! Sample usage (TRAIN, EVAL, TEST, INFERENCE): set by a relabel's `sample_usage` or a
//! manifest's `usage`, kept by a version published with `remove_sample_usage: false`,
//! replaced by the split otherwise, and written by exports.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::exports::export;
use crate::helpers::{assert_error, dataset_body, Backend, TestApp};
use crate::imports::import;
use crate::sample_helpers::{add, b64, list};
use crate::versions::{manifest, publish};

both_backends!(usages_are_kept_published_imported_and_exported);

/// Manifest usages by sample file name (`-` for none).
fn usages(lines: &[Value]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = lines
        .iter()
        .map(|l| {
            let source = l["source"].as_str().unwrap();
            let name = source.rsplit('/').next().unwrap().to_owned();
            (name, l["usage"].as_str().unwrap_or("-").to_owned())
        })
        .collect();
    out.sort();
    out
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

async fn usages_are_kept_published_imported_and_exported(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("usage").await;
    app.wait_for_dataset_status(&id, 1).await;
    let labeled =
        |name: &str| json!({"name": name, "data": b64(name), "labels": [{"name": "Bees"}]});
    add(
        &app,
        &id,
        json!({"samples": [
            labeled("a.jpg"), labeled("b.jpg"), labeled("c.jpg"),
            {"name": "d.jpg", "data": b64("d")},
        ]}),
    )
    .await;
    let by_name: std::collections::HashMap<String, String> = list(&app, &id, "limit=10").await
        ["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["sample_name"].as_str().unwrap().to_owned(),
                s["sample_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let samples = format!("/datasets/{id}/data-annotations/samples");
    let relabel = |name: &str, usage: &str, labels: Value| json!({"sample_id": by_name[name], "labels": labels, "sample_usage": usage});
    // A bad usage refuses the request and changes nothing.
    let r = app
        .put(&samples, &json!({"samples": [relabel("a.jpg", "EVAL", json!([{"name": "Bees"}])), relabel("b.jpg", "PLAY", json!([{"name": "Bees"}]))]}))
        .await;
    assert_error(&r, 400, "ModelArts.0101");
    assert!(
        r.body["error_msg"]
            .as_str()
            .unwrap()
            .contains("samples[1].sample_usage"),
        "{}",
        r.body
    );
    let r = app
        .put(
            &samples,
            &json!({"samples": [
                relabel("a.jpg", "EVAL", json!([{"name": "Bees"}])),
                relabel("b.jpg", "test", json!([{"name": "Bees"}])),
                relabel("d.jpg", "INFERENCE", json!([])),
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["success"], true, "{}", r.body);
    // A relabel without sample_usage keeps the usage.
    let r = app
        .put(
            &samples,
            &json!({"samples": [{"sample_id": by_name["a.jpg"], "labels": [{"name": "Rabbits"}]}]}),
        )
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);

    let kept = publish(
        &app,
        &id,
        &json!({"version_name": "kept", "remove_sample_usage": false}),
    )
    .await;
    let kept_lines = manifest(&app, kept["manifest_path"].as_str().unwrap()).await;
    let given = pairs(&[
        ("a.jpg", "EVAL"),
        ("b.jpg", "TEST"),
        ("c.jpg", "TRAIN"),
        ("d.jpg", "INFERENCE"),
    ]);
    assert_eq!(usages(&kept_lines), given);
    // By default the split decides: every labeled sample trains at ratio 1.00.
    let split = publish(&app, &id, &json!({"version_name": "split"})).await;
    let split_lines = manifest(&app, split["manifest_path"].as_str().unwrap()).await;
    assert_eq!(
        usages(&split_lines),
        pairs(&[
            ("a.jpg", "TRAIN"),
            ("b.jpg", "TRAIN"),
            ("c.jpg", "TRAIN"),
            ("d.jpg", "-")
        ])
    );

    // An import keeps the manifest's usages; a version of the copy keeps them too.
    app.mkdir("bkt/in2").await;
    app.mkdir("bkt/out2").await;
    let copy = app
        .create_dataset(&dataset_body("usage-copy", "/bkt/in2/", "/bkt/out2/"))
        .await;
    let copy = copy["dataset_id"].as_str().unwrap().to_owned();
    app.wait_for_dataset_status(&copy, 1).await;
    let source = format!("obs:/{}", kept["manifest_path"].as_str().unwrap());
    let t = import(
        &app,
        &copy,
        &json!({"import_type": "manifest", "import_path": source}),
    )
    .await;
    assert_eq!(t["status"], "COMPLETED", "{t}");
    let again = publish(&app, &copy, &json!({"remove_sample_usage": false})).await;
    assert_eq!(
        usages(&manifest(&app, again["manifest_path"].as_str().unwrap()).await),
        given
    );

    // A directory export writes each sample's usage unless it asks for a split.
    let done = export(&app, &id, &json!({"path": "/bkt/exp/", "export_type": 2})).await;
    assert_eq!(done["status"], "SUCCESSED", "{done}");
    let exported = manifest(&app, done["manifest_path"].as_str().unwrap()).await;
    let stored = pairs(&[
        ("a.jpg", "EVAL"),
        ("b.jpg", "TEST"),
        ("c.jpg", "-"),
        ("d.jpg", "INFERENCE"),
    ]);
    assert_eq!(usages(&exported), stored, "c was never given one");
}
