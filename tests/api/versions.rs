//! Dataset versions: publishing writes the manifest and an immutable snapshot that the
//! sample and label lists read with `version_id`; list filters, details, delete, and
//! bad requests that change nothing.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::every_store;
use crate::helpers::{assert_error, assert_error_in, Backend, TestApp};
use crate::sample_helpers::b64;

every_store!(publishing_snapshots_samples_and_writes_the_manifest);
every_store!(shapes_are_published_as_pascal_voc_files);
every_store!(version_requests_are_checked_and_change_nothing);

/// Polls version details until it leaves `creating`; returns them.
pub(crate) async fn wait_for_version(app: &TestApp, dataset_id: &str, version_id: &str) -> Value {
    for _ in 0..600 {
        let r = app
            .get(&format!("/datasets/{dataset_id}/versions/{version_id}"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        if r.body["status"] != 0 {
            return r.body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("version {version_id} stayed in creating");
}

/// Publishes and waits; returns the version's details.
pub(crate) async fn publish(app: &TestApp, dataset_id: &str, body: &Value) -> Value {
    let r = app
        .post(&format!("/datasets/{dataset_id}/versions"), body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let vid = r.body["version_id"]
        .as_str()
        .expect("version_id")
        .to_owned();
    let v = wait_for_version(app, dataset_id, &vid).await;
    assert_eq!(v["status"], 1, "{v}");
    v
}

/// The manifest's lines, parsed.
pub(crate) async fn manifest(app: &TestApp, manifest_path: &str) -> Vec<Value> {
    let text = app.read_text(manifest_path).await;
    text.lines()
        .map(|l| serde_json::from_str(l).expect("manifest line is JSON"))
        .collect()
}

async fn sample_page(app: &TestApp, dataset_id: &str, query: &str) -> Value {
    let r = app
        .get(&format!(
            "/datasets/{dataset_id}/data-annotations/samples?limit=100&{query}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.body);
    r.body
}

async fn publishing_snapshots_samples_and_writes_the_manifest(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("publish").await;
    app.wait_for_dataset_status(&id, 1).await;
    let samples_path = format!("/datasets/{id}/data-annotations/samples");
    let mut samples = Vec::new();
    for i in 0..10 {
        let labels = match i {
            0 => json!([{"name": "Bees"}, {"name": "Rabbits"}]),
            1..=4 => json!([{"name": "Bees"}]),
            5..=7 => json!([{"name": "Rabbits"}]),
            _ => json!([]),
        };
        let metadata = if i == 1 {
            json!({"@modelarts:hard": 1, "camera": "north"})
        } else {
            json!({})
        };
        samples.push(json!({"name": format!("s{i}.jpg"), "data": b64(&format!("img{i}")), "labels": labels, "metadata": metadata}));
    }
    let r = app.post(&samples_path, &json!({"samples": samples})).await;
    assert_eq!(r.body["success"], true, "{}", r.body);

    let v1 = publish(
        &app,
        &id,
        &json!({"version_name": "first", "description": "the first", "train_evaluate_sample_ratio": "0.75", "clear_hard_property": false}),
    )
    .await;
    let v1_id = v1["version_id"].as_str().unwrap().to_owned();
    assert_eq!(v1["version_name"], "first");
    assert_eq!(v1["description"], "the first");
    assert_eq!(v1["total_sample_count"], 10);
    assert_eq!(v1["annotated_sample_count"], 8);
    assert_eq!(v1["is_current"], true);
    assert_eq!(v1["label_type"], "multi");
    assert_eq!(v1["previous_version_id"], Value::Null);
    let stats: Vec<(String, i64, i64)> = v1["label_stats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["name"].as_str().unwrap().to_owned(),
                l["count"].as_i64().unwrap(),
                l["sample_count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        stats,
        [("Rabbits".to_owned(), 4, 4), ("Bees".to_owned(), 5, 5)]
    );
    let ds = app.get(&format!("/datasets/{id}")).await.body;
    let inner = format!("/bkt/out/publish-{id}/annotation/first/");
    assert_eq!(v1["manifest_path"], format!("{inner}first.manifest"));
    assert_eq!(v1["data_path"], format!("{inner}data/"));
    assert_eq!(ds["current_version_id"], v1_id.as_str());
    assert_eq!(ds["current_version_name"], "first");
    assert_eq!(ds["dataset_version_count"], 1);
    assert_eq!(ds["versions"][0]["version_id"], v1_id.as_str(), "{ds}");
    assert_eq!(ds["versions"].as_array().map(Vec::len), Some(1));

    let lines = manifest(&app, v1["manifest_path"].as_str().unwrap()).await;
    assert_eq!(lines.len(), 10);
    let usages: Vec<&str> = lines.iter().filter_map(|l| l["usage"].as_str()).collect();
    assert_eq!(usages.len(), 8, "only labeled samples are split");
    assert_eq!(usages.iter().filter(|u| **u == "TRAIN").count(), 6);
    assert_eq!(usages.iter().filter(|u| **u == "EVAL").count(), 2);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["source"], format!("s3://bkt/in/s{i}.jpg"), "{line}");
    }
    assert_eq!(lines[0]["annotation"].as_array().unwrap().len(), 2);
    assert_eq!(
        lines[0]["annotation"][0]["type"],
        "modelarts/image_classification"
    );
    assert_eq!(lines[0]["annotation"][0]["name"], "Bees");
    assert_eq!(lines[1]["hard"], "true", "hard kept: {}", lines[1]);
    assert!(lines[8]
        .get("annotation")
        .is_none_or(|a| a.as_array().is_some_and(Vec::is_empty)));

    // Later labeling changes the dataset, never the version.
    let listed = sample_page(&app, &id, "order=asc").await;
    let first_id = listed["samples"][0]["sample_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let last_id = listed["samples"][9]["sample_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .put(
            &samples_path,
            &json!({"samples": [{"sample_id": first_id, "labels": []}]}),
        )
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);
    let r = app
        .post(
            &format!("{samples_path}/delete"),
            &json!({"samples": [last_id]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .post(
            &samples_path,
            &json!({"samples": [{"name": "late.jpg", "data": b64("late"), "labels": [{"name": "Bees"}]}]}),
        )
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);

    let snap = sample_page(&app, &id, &format!("version_id={v1_id}&order=asc")).await;
    assert_eq!(snap["sample_count"], 10);
    let names: Vec<&str> = snap["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sample_name"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..10).map(|i| format!("s{i}.jpg")).collect();
    assert_eq!(names, expected);
    assert_eq!(snap["samples"][0]["labels"].as_array().unwrap().len(), 2);
    let desc = sample_page(&app, &id, &format!("version_id={v1_id}&limit=3&offset=1")).await;
    let names: Vec<&str> = desc["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sample_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["s6.jpg", "s5.jpg", "s4.jpg"]);
    let none = sample_page(
        &app,
        &id,
        &format!("version_id={v1_id}&sample_state=__NONE__"),
    )
    .await;
    assert_eq!(none["sample_count"], 2);
    let bees = sample_page(&app, &id, &format!("version_id={v1_id}&label_name=Bees")).await;
    assert_eq!(bees["sample_count"], 5);
    // A filtered page comes newest first too (the names follow the publish order).
    let names: Vec<&str> = bees["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sample_name"].as_str().unwrap())
        .collect();
    let mut newest_first = names.clone();
    newest_first.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(names.len(), 5);
    assert_eq!(names, newest_first);
    let r = app
        .get(&format!(
            "/datasets/{id}/data-annotations/samples?version_id={v1_id}&label_type=0"
        ))
        .await;
    assert_error(&r, 400, "ModelArts.0104");
    let labels = app
        .get(&format!(
            "/datasets/{id}/data-annotations/labels?version_id={v1_id}"
        ))
        .await;
    assert_eq!(labels.body["total_number"], 2, "{}", labels.body);

    // A second version: the default name, the first as its parent.
    let v2 = publish(&app, &id, &json!({})).await;
    let v2_id = v2["version_id"].as_str().unwrap().to_owned();
    assert_eq!(v2["version_name"], "V002");
    assert_eq!(v2["previous_version_id"], v1_id.as_str());
    assert_eq!(v2["total_sample_count"], 10);
    assert_eq!(v2["annotated_sample_count"], 8);
    assert_eq!(v2["train_evaluate_sample_ratio"], "1.00");
    let lines = manifest(&app, v2["manifest_path"].as_str().unwrap()).await;
    assert!(
        lines.iter().all(|l| l.get("hard").is_none()),
        "hard cleared by default"
    );
    assert!(lines
        .iter()
        .filter_map(|l| l["usage"].as_str())
        .all(|u| u == "TRAIN"));
    let list = app.get(&format!("/datasets/{id}/versions")).await.body;
    assert_eq!(list["total_number"], 2);
    assert_eq!(list["versions"][0]["version_id"], v2_id.as_str());
    assert_eq!(list["versions"][0]["is_current"], true);
    assert_eq!(list["versions"][1]["is_current"], false);
    for (query, n) in [
        ("status=1", 2),
        ("status=4", 0),
        ("version_format=0", 2),
        ("version_format=2", 0),
        ("train_evaluate_ratio=0.7,0.8", 1),
        ("limit=1&offset=1", 2),
    ] {
        let r = app.get(&format!("/datasets/{id}/versions?{query}")).await;
        assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.body);
        assert_eq!(r.body["total_number"], n, "{query}");
    }
    let page = app
        .get(&format!("/datasets/{id}/versions?limit=1&offset=1"))
        .await
        .body;
    assert_eq!(page["versions"][0]["version_id"], v1_id.as_str());

    // Deleting the current version makes the newest remaining one current.
    let r = app
        .delete(&format!("/datasets/{id}/versions/{v2_id}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = app.get(&format!("/datasets/{id}/versions/{v2_id}")).await;
    assert_error(&r, 404, "ModelArts.4353");
    let r = app
        .get(&format!(
            "/datasets/{id}/data-annotations/samples?version_id={v2_id}"
        ))
        .await;
    assert_error(&r, 404, "ModelArts.4353");
    let ds = app.get(&format!("/datasets/{id}")).await.body;
    assert_eq!(ds["current_version_id"], v1_id.as_str());
    assert_eq!(ds["dataset_version_count"], 1);
    // The published files stay.
    assert!(app
        .read_file(v2["manifest_path"].as_str().unwrap())
        .await
        .is_some());
    app.stop().await;
}

async fn shapes_are_published_as_pascal_voc_files(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.mkdir("bkt/in").await;
    app.mkdir("bkt/out").await;
    let mut body = crate::helpers::dataset_body("boxes", "/bkt/in/", "/bkt/out/");
    body["dataset_type"] = json!(1);
    body["labels"] = json!([{"name": "cat", "type": 1}, {"name": "dog", "type": 1}]);
    let id = app.create_dataset(&body).await["dataset_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.wait_for_dataset_status(&id, 1).await;
    let r = app
        .post(
            &format!("/datasets/{id}/data-annotations/samples"),
            &json!({"samples": [
                {"name": "a.jpg", "data": b64("a"), "metadata": {"@modelarts:size": [100, 80, 3]},
                 "labels": [
                    {"name": "cat", "property": {"@modelarts:shape": "bndbox", "@modelarts:feature": [[1, 2], [30, 40]]}},
                    {"name": "dog", "property": {"@modelarts:shape": "circle", "@modelarts:feature": [[50, 50], [10]]}}
                 ]},
                {"name": "b.jpg", "data": b64("b")}
            ]}),
        )
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);
    let v = publish(&app, &id, &json!({"version_name": "boxes-1"})).await;
    assert_eq!(v["label_stats"][0]["count"], 1);
    let lines = manifest(&app, v["manifest_path"].as_str().unwrap()).await;
    assert_eq!(lines.len(), 2);
    let ann = &lines[0]["annotation"][0];
    assert_eq!(ann["type"], "modelarts/object_detection", "{}", lines[0]);
    assert_eq!(ann["annotation-format"], "PASCAL VOC");
    let loc = ann["annotation-loc"].as_str().unwrap();
    let rel = loc.strip_prefix("s3://").expect("s3 uri");
    assert!(rel.starts_with(&format!(
        "bkt/out/boxes-{id}/annotation/boxes-1/annotation/"
    )));
    let xml = app.read_text(rel).await;
    for part in [
        "<filename>a.jpg</filename>",
        "<width>100</width>",
        "<name>cat</name>",
        "<xmin>1</xmin>",
        "<ymax>40</ymax>",
        "<name>dog</name>",
        "<cx>50</cx>",
        "<r>10</r>",
    ] {
        assert!(xml.contains(part), "{part} missing from {xml}");
    }
    app.stop().await;
}

async fn version_requests_are_checked_and_change_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("checked").await;
    app.wait_for_dataset_status(&id, 1).await;
    let base = format!("/datasets/{id}/versions");
    let taken = publish(&app, &id, &json!({"version_name": "taken"})).await;
    let taken_id = taken["version_id"].as_str().unwrap().to_owned();
    for (case, body, status, code) in [
        (
            "space in name",
            json!({"version_name": "has space"}),
            400,
            "ModelArts.0101",
        ),
        (
            "long name",
            json!({"version_name": "v".repeat(33)}),
            400,
            "ModelArts.0101",
        ),
        (
            "empty name",
            json!({"version_name": ""}),
            400,
            "ModelArts.0101",
        ),
        (
            "name of wrong type",
            json!({"version_name": 5}),
            400,
            "ModelArts.0101",
        ),
        (
            "special description",
            json!({"description": "a=b"}),
            400,
            "ModelArts.0101",
        ),
        (
            "long description",
            json!({"description": "d".repeat(257)}),
            400,
            "ModelArts.0101",
        ),
        (
            "ratio above one",
            json!({"train_evaluate_sample_ratio": "1.5"}),
            400,
            "ModelArts.0101",
        ),
        (
            "ratio not a number",
            json!({"train_evaluate_sample_ratio": "most"}),
            400,
            "ModelArts.0101",
        ),
        (
            "ratio of wrong type",
            json!({"train_evaluate_sample_ratio": 0.5}),
            400,
            "ModelArts.0101",
        ),
        (
            "bad format",
            json!({"version_format": "Parquet"}),
            400,
            "ModelArts.0101",
        ),
        (
            "CSV for images",
            json!({"version_format": "CSV"}),
            400,
            "ModelArts.0101",
        ),
        (
            "flag of wrong type",
            json!({"clear_hard_property": "yes"}),
            400,
            "ModelArts.0101",
        ),
        (
            "name taken",
            json!({"version_name": "taken"}),
            409,
            "ModelArts.4371",
        ),
    ] {
        let r = app.post(&base, &body).await;
        assert_error_in(&r, status, code, case);
    }
    let creds = app.creds.clone();
    let date = crate::helpers::sdk_date_now();
    let r = app
        .send_signed(
            &creds,
            reqwest::Method::POST,
            &app.v2(&base),
            b"{not json".to_vec(),
            &date,
        )
        .await;
    assert_error_in(&r, 400, "ModelArts.4105", "malformed JSON");
    let r = app
        .post("/datasets/AAAAAAAAAAAAAAAAAAA/versions", &json!({}))
        .await;
    assert_error_in(&r, 404, "ModelArts.4352", "unknown dataset");
    for (case, path) in [
        ("unknown version", format!("{base}/AAAAAAAAAAAAAAAAAAA")),
        ("malformed version id", format!("{base}/..%2F..")),
    ] {
        let r = app.get(&path).await;
        assert_error_in(&r, 404, "ModelArts.4353", case);
        let r = app.delete(&path).await;
        assert_error_in(&r, 404, "ModelArts.4353", case);
    }
    for (case, query) in [
        ("status out of range", "status=9"),
        ("status not a number", "status=x"),
        ("format out of range", "version_format=3"),
        ("bad ratio range", "train_evaluate_ratio=0.5"),
        ("limit above 1000", "limit=1001"),
    ] {
        let r = app.get(&format!("{base}?{query}")).await;
        assert_error_in(&r, 400, "ModelArts.0101", case);
    }
    // Another project sees neither the dataset nor its versions.
    let other = app.create_project("other").await;
    let theirs = format!("/v2/{}{base}/{taken_id}", other.project_id);
    let r = app
        .signed_as(&other, reqwest::Method::GET, &theirs, None)
        .await;
    assert_error_in(&r, 404, "ModelArts.4352", "other project");
    let r = app
        .signed_as(&other, reqwest::Method::DELETE, &theirs, None)
        .await;
    assert_error_in(&r, 404, "ModelArts.4352", "other project delete");
    // Keys of one project on another project's path are refused.
    let r = app
        .signed_as(
            &other,
            reqwest::Method::GET,
            &app.v2(&format!("{base}/{taken_id}")),
            None,
        )
        .await;
    assert_error_in(&r, 403, "ModelArts.0210", "keys of another project");
    // Nothing changed.
    let list = app.get(&base).await.body;
    assert_eq!(list["total_number"], 1, "{list}");
    let ds = app.get(&format!("/datasets/{id}")).await.body;
    assert_eq!(ds["current_version_id"], taken_id.as_str());
    assert_eq!(ds["dataset_version_count"], 1);
    app.stop().await;
}
