//! Export tasks: to a directory (tile and tree layouts, label files, manifest, split,
//! hard examples, selections), to a new dataset, round trips through import, a version's
//! snapshot, and requests that change nothing.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::every_store;
use crate::helpers::{assert_error_in, Backend, TestApp};
use crate::imports::{
    add_shaped_sample, cat_dog_dataset, detection_dataset, import, label_names, put, put_manifest,
    samples_by_name, shapes,
};

every_store!(exports_write_files_label_files_and_a_manifest);
every_store!(an_export_to_a_new_dataset_copies_samples_and_labels);
every_store!(detection_exports_write_voc_files_that_import_back);
every_store!(export_requests_are_checked_and_change_nothing);

/// Starts an export and waits for its end; returns the task status.
pub(crate) async fn export(app: &TestApp, dataset_id: &str, body: &Value) -> Value {
    let r = app
        .post(&format!("/datasets/{dataset_id}/export-tasks"), body)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let task = r.body["task_id"].as_str().expect("task_id").to_owned();
    for _ in 0..600 {
        let r = app
            .get(&format!("/datasets/{dataset_id}/export-tasks/{task}"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        if r.body["status"] == "SUCCESSED" || r.body["status"] == "FAILED" {
            return r.body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("export task {task} never ended");
}

/// Files under an OBS directory, relative to it, sorted.
async fn listing(app: &TestApp, dir: &str) -> Vec<String> {
    app.list_files(dir).await
}

/// Sorted owned strings.
fn sorted(items: &[String]) -> Vec<String> {
    let mut v = items.to_vec();
    v.sort();
    v
}

async fn read(app: &TestApp, path: &str) -> String {
    app.read_text(path).await
}

async fn manifest_lines(app: &TestApp, task: &Value) -> Vec<Value> {
    let path = task["manifest_path"].as_str().expect("manifest_path");
    read(app, path)
        .await
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

/// A classification dataset over `/bkt/in/`: a (Rabbits), b (Rabbits, Bees), c (no
/// label), sub/d (Bees, hard); returns its id and the samples by name.
async fn labeled_dataset(app: &TestApp, name: &str) -> (String, Vec<(String, Value)>) {
    for f in ["a.jpg", "b.jpg", "c.jpg", "sub/d.jpg"] {
        put(app, &format!("bkt/in/{f}"), f).await;
    }
    let id = app.new_dataset(name).await;
    app.wait_for_dataset_status(&id, 1).await;
    let class = |n: &str| json!({"type": "modelarts/image_classification", "name": n});
    let lines = vec![
        json!({"source": "s3://bkt/in/a.jpg", "annotation": [class("Rabbits")]}).to_string(),
        json!({"source": "s3://bkt/in/b.jpg", "annotation": [class("Rabbits"), class("Bees")]})
            .to_string(),
        json!({"source": "s3://bkt/in/sub/d.jpg", "hard": "true", "annotation": [class("Bees")]})
            .to_string(),
    ];
    put_manifest(app, "bkt/m/labels.manifest", &lines).await;
    let t = import(
        app,
        &id,
        &json!({"import_type": "manifest", "import_path": "/bkt/m/labels.manifest"}),
    )
    .await;
    assert_eq!(t["status"], "COMPLETED", "{t}");
    let samples = samples_by_name(app, &id).await;
    assert_eq!(samples.len(), 4);
    (id, samples)
}

async fn exports_write_files_label_files_and_a_manifest(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.mkdir("bkt/exp").await;
    let (id, samples) = labeled_dataset(&app, "exports").await;

    // Labeled samples, tile layout: files keep their place, labels go beside them.
    let t = export(
        &app,
        &id,
        &json!({"path": "/bkt/exp/tile/", "export_type": 0}),
    )
    .await;
    assert_eq!(t["status"], "SUCCESSED", "{t}");
    assert_eq!(t["total_sample_count"], 3, "{t}");
    assert_eq!(t["finished_sample_count"], 3, "{t}");
    assert_eq!(t["progress"], 100.0, "{t}");
    assert_eq!(t["export_type"], 0);
    assert_eq!(t["export_format"], 2);
    assert_eq!(t["path"], "/bkt/exp/tile/");
    assert!(t["error_code"].is_null(), "{t}");
    let task_id = t["task_id"].as_str().unwrap();
    assert_eq!(
        listing(&app, "bkt/exp/tile").await,
        sorted(&[
            "a.jpg".to_owned(),
            "a.txt".to_owned(),
            "b.jpg".to_owned(),
            "b.txt".to_owned(),
            format!("{task_id}.manifest"),
            "sub/d.jpg".to_owned(),
            "sub/d.txt".to_owned(),
        ])
    );
    assert_eq!(read(&app, "bkt/exp/tile/a.jpg").await, "a.jpg");
    assert_eq!(read(&app, "bkt/exp/tile/b.txt").await, "Rabbits\nBees\n");
    let lines = manifest_lines(&app, &t).await;
    assert_eq!(lines.len(), 3);
    // Lines follow the samples' insertion order, which the directory listing set.
    let mut sources: Vec<&str> = lines
        .iter()
        .map(|l| l["source"].as_str().unwrap())
        .collect();
    sources.sort();
    assert_eq!(
        sources,
        [
            "obs://bkt/exp/tile/a.jpg",
            "obs://bkt/exp/tile/b.jpg",
            "obs://bkt/exp/tile/sub/d.jpg"
        ]
    );
    // Hard-example fields are cleared by default, kept on request.
    assert!(lines.iter().all(|l| l.get("hard").is_none()), "{lines:?}");
    assert!(lines.iter().all(|l| l.get("usage").is_none()));

    // Unlabeled samples, tree layout.
    let t = export(
        &app,
        &id,
        &json!({"path": "/bkt/exp/none/", "export_type": 1, "export_format": 1}),
    )
    .await;
    assert_eq!(t["total_sample_count"], 1, "{t}");
    let task_id = t["task_id"].as_str().unwrap();
    assert_eq!(
        listing(&app, "bkt/exp/none").await,
        sorted(&[format!("{task_id}.manifest"), "c.jpg".to_owned()])
    );

    // Everything, tree layout: one folder per label, unlabeled at the root.
    let t = export(
        &app,
        &id,
        &json!({"path": "/bkt/exp/tree/", "export_type": 2, "export_format": 1,
                "source_type_header": "s3://",
                "export_params": {"clear_hard_property": false, "ratio_sample_usage": true,
                                  "train_sample_ratio": "0.5"}}),
    )
    .await;
    assert_eq!(t["total_sample_count"], 4, "{t}");
    let task_id = t["task_id"].as_str().unwrap();
    assert_eq!(
        listing(&app, "bkt/exp/tree").await,
        sorted(&[
            "Bees/b.jpg".to_owned(),
            "Bees/d.jpg".to_owned(),
            "Rabbits/a.jpg".to_owned(),
            "Rabbits/b.jpg".to_owned(),
            format!("{task_id}.manifest"),
            "c.jpg".to_owned(),
        ])
    );
    let lines = manifest_lines(&app, &t).await;
    assert!(lines
        .iter()
        .any(|l| l["source"] == "s3://bkt/exp/tree/Rabbits/a.jpg"));
    let usages: Vec<&str> = lines.iter().filter_map(|l| l["usage"].as_str()).collect();
    // Three labeled samples at 0.5: one trains, two evaluate; c has no usage.
    assert_eq!(usages.len(), 3, "{lines:?}");
    assert_eq!(usages.iter().filter(|u| **u == "TRAIN").count(), 1);
    let d = lines
        .iter()
        .find(|l| l["source"].as_str().unwrap().ends_with("d.jpg"))
        .unwrap();
    assert_eq!(d["hard"], "true", "{d}");
    assert_eq!(t["export_params"]["train_sample_ratio"], "0.5");

    // Conditional: search conditions combine with OR; ids and sample_state narrow.
    let t = export(
        &app,
        &id,
        &json!({"path": "/bkt/exp/cond/", "export_type": 3, "export_params": {
            "search_conditions": [{"sample_name": "a.jpg"}, {"sample_name": "c.jpg"}]}}),
    )
    .await;
    let mut names: Vec<String> = manifest_lines(&app, &t)
        .await
        .iter()
        .map(|l| {
            l["source"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    names.sort();
    assert_eq!(names, ["a.jpg", "c.jpg"]);
    let b_id = samples[1].1["sample_id"].as_str().unwrap();
    let c_id = samples[2].1["sample_id"].as_str().unwrap();
    let t = export(
        &app,
        &id,
        &json!({"path": "/bkt/exp/ids/", "export_type": 3, "sample_state": "__ALL__",
                "export_params": {"samples": [b_id, c_id]}}),
    )
    .await;
    assert_eq!(t["total_sample_count"], 1, "{t}");
    assert_eq!(manifest_lines(&app, &t).await[0]["id"], b_id);

    // The tile export reads back as a dataset with the same labels.
    app.mkdir("bkt/in2").await;
    app.mkdir("bkt/out2").await;
    let body = crate::helpers::dataset_body("exports-back", "/bkt/in2/", "/bkt/out2/");
    let back = app.create_dataset(&body).await["dataset_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.wait_for_dataset_status(&back, 1).await;
    let t2 = import(
        &app,
        &back,
        &json!({"import_type": "dir", "import_path": "/bkt/exp/tile/"}),
    )
    .await;
    assert_eq!(t2["imported_sample_count"], 3, "{t2}");
    let again = samples_by_name(&app, &back).await;
    let labels = |s: &[(String, Value)]| -> Vec<(String, Vec<String>)> {
        s.iter().map(|(n, v)| (n.clone(), label_names(v))).collect()
    };
    let mut labeled = labels(&samples);
    labeled.retain(|(_, l)| !l.is_empty());
    assert_eq!(labels(&again), labeled);

    // A missing file is reported and the rest exports.
    app.remove_file("bkt/in/c.jpg").await;
    let t = export(&app, &id, &json!({"path": "/bkt/exp/gone/"})).await;
    assert_eq!(t["status"], "SUCCESSED", "{t}");
    assert_eq!(t["total_sample_count"], 4, "{t}");
    assert_eq!(t["exported_sample_count"], 3, "{t}");
    assert_eq!(t["failed_sample_count"], 1, "{t}");
    assert_eq!(t["error_code"], "ModelArts.4401", "{t}");
    assert_eq!(t["failures"][0]["sample_id"], c_id);
    assert_eq!(t["failures"][0]["error_code"], "ModelArts.3551");
    assert_eq!(manifest_lines(&app, &t).await.len(), 3);

    // The list: newest first, filtered by type, paged.
    let list = app.get(&format!("/datasets/{id}/export-tasks")).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body["total_count"], 6, "{}", list.body);
    assert_eq!(list.body["export_tasks"][0]["task_id"], t["task_id"]);
    let typed = app
        .get(&format!(
            "/datasets/{id}/export-tasks?export_type=3&limit=1&offset=1"
        ))
        .await;
    assert_eq!(typed.body["total_count"], 2, "{}", typed.body);
    let tasks = typed.body["export_tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(
        tasks[0]["export_params"]["search_conditions"][0]["sample_name"],
        "a.jpg"
    );
    app.stop().await;
}

async fn an_export_to_a_new_dataset_copies_samples_and_labels(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.mkdir("bkt/copy").await;
    app.mkdir("bkt/copy-out").await;
    let (id, samples) = labeled_dataset(&app, "source").await;
    // Publish, then relabel: an export of the version reads the snapshot.
    let v = crate::versions::publish(&app, &id, &json!({})).await;
    let a_id = samples[0].1["sample_id"].as_str().unwrap();
    let r = app
        .put(
            &format!("/datasets/{id}/data-annotations/samples"),
            &json!({"samples": [{"sample_id": a_id, "labels": [{"name": "Bees", "type": 0}]}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let body = json!({"path": "/bkt/copy/", "export_type": 2,
        "version_id": v["version_id"],
        "export_params": {"export_dest": "NEW_DATASET", "export_new_dataset_name": "copied",
                          "export_new_dataset_work_path": "/bkt/copy-out/"}});
    let t = export(&app, &id, &body).await;
    assert_eq!(t["status"], "SUCCESSED", "{t}");
    assert_eq!(t["finished_sample_count"], 4, "{t}");
    assert_eq!(t["export_params"]["export_dest"], "NEW_DATASET");
    let new_id = t["new_dataset_id"]
        .as_str()
        .expect("new_dataset_id")
        .to_owned();
    let ds = app.wait_for_dataset_status(&new_id, 1).await;
    assert_eq!(ds["dataset_name"], "copied");
    assert_eq!(ds["data_sources"][0]["data_path"], "/bkt/copy/");
    assert_eq!(ds["work_path"], "/bkt/copy-out/");
    let copied = samples_by_name(&app, &new_id).await;
    let names = |s: &[(String, Value)]| -> Vec<(String, Vec<String>)> {
        s.iter().map(|(n, v)| (n.clone(), label_names(v))).collect()
    };
    // a keeps the label it had when the version was published.
    assert_eq!(names(&copied), names(&samples));
    assert!(copied
        .iter()
        .all(|(_, s)| s["source"].as_str().unwrap().contains("bkt/copy/")));
    assert_eq!(read(&app, "bkt/copy/sub/d.jpg").await, "sub/d.jpg");
    // Hard-example fields were cleared (the default).
    let d = &copied[3].1;
    assert!(d["metadata"].get("@modelarts:hard").is_none(), "{d}");
    let stats = app
        .get(&format!("/datasets/{new_id}/data-annotations/stats"))
        .await;
    assert_eq!(stats.body["sample_stats"]["__ALL__"], 3, "{}", stats.body);
    assert_eq!(stats.body["sample_stats"]["__NONE__"], 1, "{}", stats.body);

    // The name is taken now: refused, and nothing is created or queued.
    let before = app.dataset_count().await;
    let r = app
        .post(&format!("/datasets/{id}/export-tasks"), &body)
        .await;
    assert_error_in(&r, 409, "ModelArts.4351", "name taken");
    assert_eq!(app.dataset_count().await, before);
    let list = app.get(&format!("/datasets/{id}/export-tasks")).await;
    assert_eq!(list.body["total_count"], 1, "{}", list.body);
    app.stop().await;
}

async fn detection_exports_write_voc_files_that_import_back(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.mkdir("bkt/voc").await;
    let id = cat_dog_dataset(&app).await;
    let labels = json!([
        {"name": "cat", "type": 1, "property": {"@modelarts:shape": "bndbox", "@modelarts:feature": [[10, 20], [30, 40]]}},
        {"name": "dog", "type": 1, "property": {"@modelarts:shape": "polygon", "@modelarts:feature": [[1, 1], [9, 1], [5, 8]]}}
    ]);
    add_shaped_sample(&app, &id, labels).await;
    let t = export(
        &app,
        &id,
        &json!({"path": "/bkt/voc/", "export_type": 0, "annotation_format": "voc"}),
    )
    .await;
    assert_eq!(t["status"], "SUCCESSED", "{t}");
    let xml = read(&app, "bkt/voc/p.xml").await;
    assert!(
        xml.contains("<bndbox>") && xml.contains("<polygon>"),
        "{xml}"
    );
    assert!(xml.contains("<width>100</width>"), "{xml}");
    let line = &manifest_lines(&app, &t).await[0];
    assert_eq!(
        line["annotation"][0]["annotation-loc"], "obs://bkt/voc/p.xml",
        "{line}"
    );

    // Both the directory (VOC beside images) and the manifest import back alike.
    let original = samples_by_name(&app, &id).await;
    for (i, import_body) in [
        json!({"import_type": "dir", "import_path": "/bkt/voc/"}),
        json!({"import_type": "manifest", "import_path": t["manifest_path"]}),
    ]
    .iter()
    .enumerate()
    {
        let input = format!("/bkt/in{i}/");
        let copy = detection_dataset(&app, &format!("det-{i}"), &input, json!([])).await;
        let r = import(&app, &copy, import_body).await;
        assert_eq!(r["annotated_sample_count"], 1, "{r}");
        let back = samples_by_name(&app, &copy).await;
        assert_eq!(shapes(&back[0].1), shapes(&original[0].1), "{import_body}");
        assert_eq!(
            back[0].1["metadata"]["@modelarts:size"],
            json!([100, 80, 3])
        );
    }
    app.stop().await;
}

async fn export_requests_are_checked_and_change_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.mkdir("bkt/exp").await;
    let (id, _) = labeled_dataset(&app, "checked").await;
    let datasets_before = app.dataset_count().await;
    let good_id = "0123456789abcdef0123456789abcdef";
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        ("no path", json!({"export_type": 0}), 400, "ModelArts.4358"),
        (
            "escaping path",
            json!({"path": "/bkt/../etc/"}),
            400,
            "ModelArts.4358",
        ),
        (
            "bucket as path",
            json!({"path": "/bkt/"}),
            400,
            "ModelArts.4358",
        ),
        (
            "inside the input",
            json!({"path": "/bkt/in/x/"}),
            400,
            "ModelArts.4358",
        ),
        (
            "unknown bucket",
            json!({"path": "/nobucket/x/"}),
            400,
            "ModelArts.4311",
        ),
        (
            "export_type",
            json!({"path": "/bkt/exp/x/", "export_type": 7}),
            400,
            "ModelArts.4384",
        ),
        (
            "export_type type",
            json!({"path": "/bkt/exp/x/", "export_type": "0"}),
            400,
            "ModelArts.0101",
        ),
        (
            "export_format",
            json!({"path": "/bkt/exp/x/", "export_format": 3}),
            400,
            "ModelArts.4384",
        ),
        (
            "annotation_format",
            json!({"path": "/bkt/exp/x/", "annotation_format": "XYZ"}),
            400,
            "ModelArts.4384",
        ),
        (
            "YOLO of a classification dataset",
            json!({"path": "/bkt/exp/x/", "annotation_format": "yolo"}),
            400,
            "ModelArts.4384",
        ),
        (
            "version_format",
            json!({"path": "/bkt/exp/x/", "version_format": "CSV"}),
            400,
            "ModelArts.4384",
        ),
        (
            "header",
            json!({"path": "/bkt/exp/x/", "source_type_header": "http://"}),
            400,
            "ModelArts.4384",
        ),
        (
            "sample_state",
            json!({"path": "/bkt/exp/x/", "export_type": 3, "sample_state": "__NOPE__"}),
            400,
            "ModelArts.4384",
        ),
        (
            "state without type 3",
            json!({"path": "/bkt/exp/x/", "export_type": 0, "sample_state": "__ALL__"}),
            400,
            "ModelArts.4384",
        ),
        (
            "bad sample id",
            json!({"path": "/bkt/exp/x/", "export_type": 3, "export_params": {"samples": ["x"]}}),
            400,
            "ModelArts.4384",
        ),
        (
            "samples type",
            json!({"path": "/bkt/exp/x/", "export_type": 3, "export_params": {"samples": good_id}}),
            400,
            "ModelArts.0101",
        ),
        (
            "conditions",
            json!({"path": "/bkt/exp/x/", "export_type": 3, "export_params": {"search_conditions": [{"hard": "2"}]}}),
            400,
            "ModelArts.0101",
        ),
        (
            "ratio",
            json!({"path": "/bkt/exp/x/", "export_params": {"train_sample_ratio": "2"}}),
            400,
            "ModelArts.4384",
        ),
        (
            "dest",
            json!({"path": "/bkt/exp/x/", "export_params": {"export_dest": "FTP"}}),
            400,
            "ModelArts.4384",
        ),
        (
            "new without name",
            json!({"path": "/bkt/exp/x/", "export_params": {"export_dest": "NEW_DATASET", "export_new_dataset_work_path": "/bkt/exp/w/"}}),
            400,
            "ModelArts.4384",
        ),
        (
            "new bad name",
            json!({"path": "/bkt/exp/x/", "export_params": {"export_dest": "NEW_DATASET", "export_new_dataset_name": "bad name!", "export_new_dataset_work_path": "/bkt/exp/w/"}}),
            400,
            "ModelArts.0101",
        ),
        (
            "new work inside path",
            json!({"path": "/bkt/exp/x/", "export_params": {"export_dest": "NEW_DATASET", "export_new_dataset_name": "n", "export_new_dataset_work_path": "/bkt/exp/x/w/"}}),
            400,
            "ModelArts.4384",
        ),
        (
            "unknown version",
            json!({"path": "/bkt/exp/x/", "version_id": "aaaaaaaaaaaaaaaaaaa"}),
            404,
            "ModelArts.4353",
        ),
    ];
    for (case, body, status, code) in &cases {
        let r = app
            .post(&format!("/datasets/{id}/export-tasks"), body)
            .await;
        assert_error_in(&r, *status, code, case);
    }
    let creds = app.creds.clone();
    let r = app
        .send_signed(
            &creds,
            reqwest::Method::POST,
            &app.v2(&format!("/datasets/{id}/export-tasks")),
            b"{\"path\": ".to_vec(),
            &crate::helpers::sdk_date_now(),
        )
        .await;
    assert_error_in(&r, 400, "ModelArts.4105", "malformed JSON");
    let r = app
        .post(
            "/datasets/aaaaaaaaaaaaaaaaaaa/export-tasks",
            &json!({"path": "/bkt/exp/x/"}),
        )
        .await;
    assert_error_in(&r, 404, "ModelArts.4352", "unknown dataset");
    let r = app
        .get(&format!("/datasets/{id}/export-tasks/aaaaaaaaaaaaaaaaaaa"))
        .await;
    assert_error_in(&r, 404, "ModelArts.4359", "unknown task");
    let r = app.get(&format!("/datasets/{id}/export-tasks/x")).await;
    assert_error_in(&r, 404, "ModelArts.4359", "malformed task id");
    for q in [
        "limit=0",
        "limit=101",
        "offset=-1",
        "export_type=4",
        "export_type=x",
    ] {
        let r = app.get(&format!("/datasets/{id}/export-tasks?{q}")).await;
        assert_error_in(&r, 400, "ModelArts.0101", q);
    }
    // Another project sees no such dataset.
    let other = app.create_project("other-exports").await;
    let r = app
        .signed_as(
            &other,
            reqwest::Method::POST,
            &format!("/v2/{}/datasets/{id}/export-tasks", other.project_id),
            Some(&json!({"path": "/bkt/exp/x/"})),
        )
        .await;
    assert_error_in(&r, 404, "ModelArts.4352", "other project");

    let list = app.get(&format!("/datasets/{id}/export-tasks")).await;
    assert_eq!(list.body["total_count"], 0, "{}", list.body);
    assert!(listing(&app, "bkt/exp").await.is_empty());
    assert_eq!(app.dataset_count().await, datasets_before);
    app.stop().await;
}
