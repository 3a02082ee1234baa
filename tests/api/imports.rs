//! Import tasks: manifests (inline labels, PASCAL VOC files, inline text), directory
//! layouts, filters, idempotence, per-line failures, and requests that change nothing.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::every_store;
use crate::helpers::{assert_error, assert_error_in, Backend, TestApp};

every_store!(a_manifest_imports_samples_and_labels_and_reports_bad_lines);
every_store!(import_filters_choose_samples_and_labels);
every_store!(a_published_detection_version_imports_into_a_new_dataset);
every_store!(directory_layouts_import_their_labels);
every_store!(import_requests_are_checked_and_change_nothing);

/// Writes a file into the object store.
pub(crate) async fn put(app: &TestApp, path: &str, content: &str) {
    app.write_file(path, content).await;
}

/// Writes a manifest from JSON values and raw lines.
pub(crate) async fn put_manifest(app: &TestApp, path: &str, lines: &[String]) {
    put(app, path, &(lines.join("\n") + "\n")).await;
}

/// Starts an import and waits for its end; returns the task details.
pub(crate) async fn import(app: &TestApp, dataset_id: &str, body: &Value) -> Value {
    let r = app
        .post(&format!("/datasets/{dataset_id}/import-tasks"), body)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let task = r.body["task_id"].as_str().expect("task_id").to_owned();
    wait_for_task(app, dataset_id, &task).await
}

/// Polls task details until the task ends.
pub(crate) async fn wait_for_task(app: &TestApp, dataset_id: &str, task: &str) -> Value {
    for _ in 0..600 {
        let r = app
            .get(&format!("/datasets/{dataset_id}/import-tasks/{task}"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        if r.body["status"] == "COMPLETED" || r.body["status"] == "FAILED" {
            return r.body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("import task {task} never ended");
}

/// Samples of a dataset by file name, with their labels.
pub(crate) async fn samples_by_name(app: &TestApp, dataset_id: &str) -> Vec<(String, Value)> {
    let r = app
        .get(&format!(
            "/datasets/{dataset_id}/data-annotations/samples?limit=100"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut out: Vec<(String, Value)> = r.body["samples"]
        .as_array()
        .expect("samples")
        .iter()
        .map(|s| {
            let path = s["source"].as_str().unwrap_or_default();
            let name = path.rsplit('/').next().unwrap_or_default().to_owned();
            (name, s.clone())
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

pub(crate) fn label_names(sample: &Value) -> Vec<String> {
    let mut names: Vec<String> = sample["labels"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|x| x["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

async fn dataset_label_names(app: &TestApp, dataset_id: &str) -> Vec<String> {
    let r = app
        .get(&format!("/datasets/{dataset_id}/data-annotations/labels"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut names: Vec<String> = r.body["labels"]
        .as_array()
        .expect("labels")
        .iter()
        .filter_map(|l| l["name"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// A normal detection dataset over `input` (made, with `/bkt/out/`) with these labels.
pub(crate) async fn detection_dataset(
    app: &TestApp,
    name: &str,
    input: &str,
    labels: Value,
) -> String {
    app.mkdir(input.trim_start_matches('/')).await;
    app.mkdir("bkt/out").await;
    let mut body = crate::helpers::dataset_body(name, input, "/bkt/out/");
    body["dataset_type"] = json!(1);
    body["labels"] = labels;
    let id = app.create_dataset(&body).await["dataset_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.wait_for_dataset_status(&id, 1).await;
    id
}

/// Adds the 100x80 image `p.jpg` with these shape labels.
pub(crate) async fn add_shaped_sample(app: &TestApp, dataset_id: &str, labels: Value) {
    use base64::Engine;
    let data = base64::engine::general_purpose::STANDARD.encode("img");
    let r = app
        .post(
            &format!("/datasets/{dataset_id}/data-annotations/samples"),
            &json!({"samples": [{"name": "p.jpg", "data": data, "labels": labels,
                                 "metadata": {"@modelarts:size": [100, 80, 3]}}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// The normal detection dataset `det` over `/bkt/in/` with the labels cat and dog.
pub(crate) async fn cat_dog_dataset(app: &TestApp) -> String {
    detection_dataset(
        app,
        "det",
        "/bkt/in/",
        json!([{"name": "cat", "type": 1}, {"name": "dog", "type": 1}]),
    )
    .await
}

/// The detection dataset `det` over `/bkt/in/` (labels cat, dog) holding `p.jpg`: a
/// dog box (score 0.75), a cat polygon and a cat circle.
pub(crate) async fn three_shapes_dataset(app: &TestApp) -> String {
    let id = cat_dog_dataset(app).await;
    let labels = json!([
        {"name": "dog", "type": 1, "score": 0.75, "property": {"@modelarts:shape": "bndbox", "@modelarts:feature": [[10, 20], [30, 45]]}},
        {"name": "cat", "type": 1, "property": {"@modelarts:shape": "polygon", "@modelarts:feature": [[0, 0], [8, 0], [8, 6]]}},
        {"name": "cat", "type": 1, "property": {"@modelarts:shape": "circle", "@modelarts:feature": [[50, 50], [5]]}}
    ]);
    add_shaped_sample(app, &id, labels).await;
    id
}

/// A sample's labels as name, type, shape and feature, sorted: comparable across
/// datasets.
pub(crate) fn shapes(sample: &Value) -> Vec<Value> {
    let mut l: Vec<Value> = sample["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            json!({"name": l["name"], "type": l["type"],
                   "shape": l["property"]["@modelarts:shape"],
                   "feature": l["property"]["@modelarts:feature"]})
        })
        .collect();
    l.sort_by_key(|v| v.to_string());
    l
}

fn classification_lines() -> Vec<String> {
    vec![
        json!({"source": "s3://bkt/src/a.jpg", "usage": "TRAIN", "hard": "true", "annotation": [
            {"type": "modelarts/image_classification", "name": "Rabbits", "annotated-by": "human"}]})
        .to_string(),
        json!({"source": "s3://bkt/src/b.jpg", "property": {"camera": "n1"}, "annotation": [
            {"type": "modelarts/image_classification", "name": "Bees", "confidence": 0.9},
            {"type": "image_classification", "name": "Cats"}]})
        .to_string(),
        json!({"source": "obs://bkt/src/c.jpg"}).to_string(),
        "{not json".to_owned(),
        json!({"source": "s3://bkt/src/missing.jpg"}).to_string(),
        json!({"source": "s3://bkt/src/d.jpg", "annotation": [
            {"type": "modelarts/object_detection", "name": "Box",
             "property": {"@modelarts:shape": "bndbox", "@modelarts:feature": [[1, 1], [2, 2]]}}]})
        .to_string(),
        String::new(),
        json!({"source": "s3://bkt/../etc/passwd"}).to_string(),
    ]
}

async fn a_manifest_imports_samples_and_labels_and_reports_bad_lines(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("manifest-import").await;
    app.wait_for_dataset_status(&id, 1).await;
    for f in ["a", "b", "c", "d"] {
        put(&app, &format!("bkt/src/{f}.jpg"), f).await;
    }
    put_manifest(&app, "bkt/m/in.manifest", &classification_lines()).await;
    let body = json!({"import_type": "manifest", "import_path": "obs://bkt/m/in.manifest"});
    let t = import(&app, &id, &body).await;
    assert_eq!(t["status"], "COMPLETED", "{t}");
    assert_eq!(t["import_type"], 1);
    assert_eq!(t["import_path"], "obs://bkt/m/in.manifest");
    assert_eq!(t["total_sample_count"], 7, "{t}");
    assert_eq!(t["imported_sample_count"], 3, "{t}");
    assert_eq!(t["annotated_sample_count"], 2, "{t}");
    assert_eq!(t["failed_sample_count"], 4, "{t}");
    assert_eq!(t["error_code"], "ModelArts.4362", "{t}");
    let failures = t["failures"].as_array().expect("failures");
    let lines: Vec<i64> = failures
        .iter()
        .map(|f| f["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, [4, 5, 6, 8], "{t}");
    assert!(failures[0]["error_msg"]
        .as_str()
        .unwrap()
        .contains("not a JSON object"));
    assert_eq!(failures[1]["error_code"], "ModelArts.3551");
    assert!(
        failures[2]["error_msg"].as_str().unwrap().contains("type"),
        "{}",
        failures[2]
    );
    assert!(
        failures[3]["error_msg"]
            .as_str()
            .unwrap()
            .contains("relative"),
        "{}",
        failures[3]
    );
    assert_eq!(t["labels_created"], json!(["Cats"]));

    let samples = samples_by_name(&app, &id).await;
    let names: Vec<&str> = samples.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a.jpg", "b.jpg", "c.jpg"]);
    assert_eq!(label_names(&samples[0].1), ["Rabbits"]);
    assert_eq!(label_names(&samples[1].1), ["Bees", "Cats"]);
    assert!(label_names(&samples[2].1).is_empty());
    assert_eq!(samples[1].1["metadata"]["camera"], "n1", "{}", samples[1].1);
    assert_eq!(
        samples[0].1["metadata"]["@modelarts:hard"], 1,
        "{}",
        samples[0].1
    );
    assert_eq!(
        dataset_label_names(&app, &id).await,
        ["Bees", "Cats", "Rabbits"]
    );

    // The same manifest again gives the same dataset.
    let again = import(&app, &id, &body).await;
    assert_eq!(again["status"], "COMPLETED");
    assert_eq!(again["labels_created"], json!([]));
    let after = samples_by_name(&app, &id).await;
    assert_eq!(after.len(), 3);
    for ((_, a), (_, b)) in samples.iter().zip(&after) {
        assert_eq!(label_names(a), label_names(b));
    }
    let stats = app
        .get(&format!("/datasets/{id}/data-annotations/stats"))
        .await;
    assert_eq!(stats.body["sample_stats"]["__ALL__"], 2, "{}", stats.body);

    // The list holds the creation import and both tasks, newest first.
    let list = app
        .get(&format!("/datasets/{id}/import-tasks?limit=2"))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body["total_count"], 3);
    let tasks = list.body["import_tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 2);
    assert_eq!(tasks[0]["task_id"], again["task_id"]);
    let page2 = app
        .get(&format!("/datasets/{id}/import-tasks?limit=2&offset=1"))
        .await;
    assert_eq!(
        page2.body["import_tasks"][0]["import_type"], 0,
        "{}",
        page2.body
    );
    app.stop().await;
}

async fn import_filters_choose_samples_and_labels(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    for f in ["a", "b", "c", "d"] {
        put(&app, &format!("bkt/src/{f}.jpg"), f).await;
    }
    put_manifest(&app, "bkt/m/in.manifest", &classification_lines()).await;
    let path = "/bkt/m/in.manifest";
    let cases = [
        (json!({"included_labels": ["Bees"]}), vec!["b.jpg"]),
        (
            json!({"included_labels": [{"name": "Rabbits", "type": 0}]}),
            vec!["a.jpg"],
        ),
        (json!({"excluded_labels": ["Bees"]}), vec!["a.jpg", "c.jpg"]),
        (json!({"difficult_only": true}), vec!["a.jpg"]),
    ];
    for (i, (extra, want)) in cases.iter().enumerate() {
        let id = app.new_dataset(&format!("filter-{i}")).await;
        app.wait_for_dataset_status(&id, 1).await;
        let mut body = json!({"import_type": "manifest", "import_path": path});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let t = import(&app, &id, &body).await;
        assert_eq!(t["status"], "COMPLETED", "{t}");
        let names: Vec<String> = samples_by_name(&app, &id)
            .await
            .into_iter()
            .map(|s| s.0)
            .collect();
        assert_eq!(&names, want, "{extra}");
        assert_eq!(t["imported_sample_count"], want.len(), "{extra}: {t}");
        assert!(
            t["skipped_sample_count"].as_i64().unwrap() >= 1,
            "{extra}: {t}"
        );
    }
    // Without annotations the samples come alone; with final_annotation false the
    // labels wait for confirmation.
    let id = app.new_dataset("no-labels").await;
    app.wait_for_dataset_status(&id, 1).await;
    let t = import(
        &app,
        &id,
        &json!({"import_path": path, "import_annotations": false}),
    )
    .await;
    // d.jpg comes too: its detection label, which this dataset cannot hold, is not read.
    assert_eq!(
        (
            t["imported_sample_count"].as_i64(),
            t["annotated_sample_count"].as_i64()
        ),
        (Some(4), Some(0)),
        "{t}"
    );
    let samples = samples_by_name(&app, &id).await;
    assert!(samples.iter().all(|(_, s)| label_names(s).is_empty()));
    assert_eq!(dataset_label_names(&app, &id).await, ["Bees", "Rabbits"]);

    let id = app.new_dataset("unconfirmed").await;
    app.wait_for_dataset_status(&id, 1).await;
    let t = import(
        &app,
        &id,
        &json!({"import_path": path, "final_annotation": false}),
    )
    .await;
    assert_eq!(t["unconfirmed_sample_count"], 2, "{t}");
    let samples = samples_by_name(&app, &id).await;
    assert_eq!(
        samples[0].1["sample_status"], "__AUTO_ANNOTATION__",
        "{}",
        samples[0].1
    );

    // import_samples false relabels only the samples the dataset has.
    let id = app.new_dataset("relabel-only").await;
    app.wait_for_dataset_status(&id, 1).await;
    let lines = vec![json!({"source": "s3://bkt/src/a.jpg"}).to_string()];
    put_manifest(&app, "bkt/m/a-only.manifest", &lines).await;
    import(&app, &id, &json!({"import_path": "/bkt/m/a-only.manifest"})).await;
    let t = import(
        &app,
        &id,
        &json!({"import_path": path, "import_samples": false}),
    )
    .await;
    assert_eq!(t["status"], "COMPLETED", "{t}");
    let samples = samples_by_name(&app, &id).await;
    assert_eq!(samples.len(), 1);
    assert_eq!(label_names(&samples[0].1), ["Rabbits"]);
    app.stop().await;
}

async fn a_published_detection_version_imports_into_a_new_dataset(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = cat_dog_dataset(&app).await;
    let labels = json!([
        {"name": "cat", "type": 1, "property": {"@modelarts:shape": "bndbox", "@modelarts:feature": [[10, 20], [30, 40]]}},
        {"name": "dog", "type": 1, "property": {"@modelarts:shape": "circle", "@modelarts:feature": [[50, 50], [5]]}},
        {"name": "dog", "type": 1, "property": {"@modelarts:shape": "polygon", "@modelarts:feature": [[1, 1], [9, 1], [5, 8]]}}
    ]);
    add_shaped_sample(&app, &id, labels).await;
    let r = app
        .post(&format!("/datasets/{id}/versions"), &json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let vid = r.body["version_id"].as_str().unwrap().to_owned();
    let v = crate::versions::wait_for_version(&app, &id, &vid).await;
    let manifest = v["manifest_path"].as_str().unwrap().to_owned();

    let copy = detection_dataset(&app, "det-copy", "/bkt/in2/", json!([])).await;
    let t = import(
        &app,
        &copy,
        &json!({"import_type": "manifest", "import_path": manifest}),
    )
    .await;
    assert_eq!(t["status"], "COMPLETED", "{t}");
    assert_eq!(t["annotated_sample_count"], 1, "{t}");
    let original = samples_by_name(&app, &id).await;
    let imported = samples_by_name(&app, &copy).await;
    assert_eq!(imported.len(), 1);
    assert_eq!(shapes(&imported[0].1), shapes(&original[0].1));
    assert_eq!(
        imported[0].1["metadata"]["@modelarts:size"],
        json!([100, 80, 3])
    );
    assert_eq!(dataset_label_names(&app, &copy).await, ["cat", "dog"]);
    app.stop().await;
}

async fn directory_layouts_import_their_labels(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    // Image classification: class folders, and a label file beside an image.
    let id = app.new_dataset("dirs").await;
    app.wait_for_dataset_status(&id, 1).await;
    put(&app, "bkt/cls/Rabbits/1.jpg", "1").await;
    put(&app, "bkt/cls/Rabbits/2.jpg", "2").await;
    put(&app, "bkt/cls/Owls/3.jpg", "3").await;
    put(&app, "bkt/cls/4.jpg", "4").await;
    put(&app, "bkt/cls/4.txt", "Bees Rabbits\n").await;
    put(&app, "bkt/cls/5.jpg", "5").await;
    let t = import(
        &app,
        &id,
        &json!({"import_type": "dir", "import_path": "obs://bkt/cls/"}),
    )
    .await;
    assert_eq!(t["status"], "COMPLETED", "{t}");
    assert_eq!(t["import_type"], 0);
    assert_eq!(
        (
            t["imported_sample_count"].as_i64(),
            t["annotated_sample_count"].as_i64()
        ),
        (Some(5), Some(4)),
        "{t}"
    );
    let s = samples_by_name(&app, &id).await;
    let got: Vec<(String, Vec<String>)> =
        s.iter().map(|(n, v)| (n.clone(), label_names(v))).collect();
    assert_eq!(
        got,
        [
            ("1.jpg".to_owned(), vec!["Rabbits".to_owned()]),
            ("2.jpg".to_owned(), vec!["Rabbits".to_owned()]),
            ("3.jpg".to_owned(), vec!["Owls".to_owned()]),
            (
                "4.jpg".to_owned(),
                vec!["Bees".to_owned(), "Rabbits".to_owned()]
            ),
            ("5.jpg".to_owned(), vec![]),
        ]
    );

    // Object detection: a VOC file beside the image; a broken one is reported.
    app.mkdir("bkt/din").await;
    let mut body = crate::helpers::dataset_body("det-dir", "/bkt/din/", "/bkt/out/");
    body["dataset_type"] = json!(1);
    body["labels"] = json!([]);
    let det = app.create_dataset(&body).await["dataset_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.wait_for_dataset_status(&det, 1).await;
    put(&app, "bkt/det/x.jpg", "x").await;
    put(&app, "bkt/det/x.xml", "<annotation><size><width>554</width><height>606</height><depth>3</depth></size><segmented>0</segmented><object><name>Rabbit</name><pose>Unspecified</pose><truncated>0</truncated><difficult>0</difficult><occluded>0</occluded><bndbox><xmin>279</xmin><ymin>52</ymin><xmax>474</xmax><ymax>278</ymax></bndbox></object></annotation>").await;
    put(&app, "bkt/det/y.jpg", "y").await;
    put(
        &app,
        "bkt/det/y.xml",
        "<annotation><object><name>Cat</name>",
    )
    .await;
    let t = import(&app, &det, &json!({"import_path": "/bkt/det/"})).await;
    assert_eq!(t["imported_sample_count"], 1, "{t}");
    assert_eq!(t["failed_sample_count"], 1, "{t}");
    assert!(
        t["failures"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("y.jpg"),
        "{t}"
    );
    let s = samples_by_name(&app, &det).await;
    assert_eq!(
        s[0].1["labels"][0]["property"]["@modelarts:feature"],
        json!([[279, 52], [474, 278]]),
        "{}",
        s[0].1
    );
    assert_eq!(s[0].1["metadata"]["@modelarts:size"], json!([554, 606, 3]));

    // Text classification: one sample per line, labels after the separator.
    app.mkdir("bkt/tin").await;
    let mut body = crate::helpers::dataset_body("text-dir", "/bkt/tin/", "/bkt/out/");
    body["dataset_type"] = json!(100);
    body["labels"] = json!([{"name": "positive", "type": 100}]);
    let text = app.create_dataset(&body).await["dataset_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.wait_for_dataset_status(&text, 1).await;
    put(
        &app,
        "bkt/txt/comments.txt",
        "It works well.\tpositive\nIt broke.\tnegative\nNo label here\n",
    )
    .await;
    let t = import(&app, &text, &json!({"import_path": "/bkt/txt/", "label_format": {"text_sample_separator": "\t", "text_label_separator": ","}})).await;
    assert_eq!(t["status"], "COMPLETED", "{t}");
    assert_eq!(
        (
            t["imported_sample_count"].as_i64(),
            t["annotated_sample_count"].as_i64()
        ),
        (Some(3), Some(2)),
        "{t}"
    );
    let r = app
        .get(&format!(
            "/datasets/{text}/data-annotations/samples?limit=10&label_name=negative"
        ))
        .await;
    assert_eq!(r.body["sample_count"], 1, "{}", r.body);
    let sid = r.body["samples"][0]["sample_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let file = app
        .get(&format!("/datasets/{text}/data-annotations/samples/{sid}"))
        .await;
    let source = file.body["source"].as_str().unwrap().to_owned();
    let stored = app
        .read_file(source.trim_start_matches("obs://"))
        .await
        .map(|b| String::from_utf8(b).expect("UTF-8"))
        .unwrap_or_default();
    assert_eq!(stored, "It broke.", "{}", file.body);
    app.stop().await;
}

async fn import_requests_are_checked_and_change_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("bad-imports").await;
    app.wait_for_dataset_status(&id, 1).await;
    let path = format!("/datasets/{id}/import-tasks");
    for (body, status, code, case) in [
        (json!({}), 400, "ModelArts.0101", "no import_path"),
        (
            json!({"import_path": 3}),
            400,
            "ModelArts.0101",
            "wrong type",
        ),
        (
            json!({"import_path": "/bkt/a", "import_type": "zip"}),
            400,
            "ModelArts.0101",
            "bad import_type",
        ),
        (
            json!({"import_path": "/bkt/../etc/"}),
            400,
            "ModelArts.4313",
            "escaping path",
        ),
        (
            json!({"import_path": "/bkt/a/", "import_type": "manifest"}),
            400,
            "ModelArts.0101",
            "manifest dir",
        ),
        (
            json!({"import_path": "/bkt/a", "included_labels": [3]}),
            400,
            "ModelArts.0101",
            "bad label list",
        ),
        (
            json!({"import_path": "/bkt/a", "import_origin": "ftp"}),
            400,
            "ModelArts.0101",
            "bad origin",
        ),
        (
            json!({"import_path": "/bkt/a", "import_folder": "../x"}),
            400,
            "ModelArts.0101",
            "bad folder",
        ),
        (
            json!({"import_path": "/bkt/a", "difficult_only": "yes"}),
            400,
            "ModelArts.0101",
            "bad bool",
        ),
        (
            json!({"import_path": "/bkt/a", "label_format": {"text_sample_separator": "ab"}}),
            400,
            "ModelArts.0101",
            "bad separator",
        ),
    ] {
        let r = app.post(&path, &body).await;
        assert_error_in(&r, status, code, case);
    }
    let creds = app.creds.clone();
    let date = crate::helpers::sdk_date_now();
    let r = app
        .send_signed(
            &creds,
            reqwest::Method::POST,
            &app.v2(&path),
            b"{nope".to_vec(),
            &date,
        )
        .await;
    assert_error(&r, 400, "ModelArts.4105");
    let unknown = app
        .post(
            "/datasets/aaaaaaaaaaaaaaaaaaaa/import-tasks",
            &json!({"import_path": "/bkt/a"}),
        )
        .await;
    assert_error(&unknown, 404, "ModelArts.4352");
    let r = app.get(&format!("{path}/bbbbbbbbbbbbbbbbbbbb")).await;
    assert_error(&r, 404, "ModelArts.4359");
    let r = app.get(&format!("{path}/bad!id")).await;
    assert_error(&r, 404, "ModelArts.4359");
    let r = app.get(&format!("{path}?limit=0")).await;
    assert_error(&r, 400, "ModelArts.0101");
    let list = app.get(&path).await;
    assert_eq!(
        list.body["total_count"], 1,
        "only the creation import: {}",
        list.body
    );

    // Another project sees neither the dataset nor its tasks.
    let other = app.create_project("other").await;
    let creation = list.body["import_tasks"][0]["task_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .signed_as(
            &other,
            reqwest::Method::GET,
            &format!(
                "/v2/{}/datasets/{id}/import-tasks/{creation}",
                other.project_id
            ),
            None,
        )
        .await;
    assert_error(&r, 404, "ModelArts.4352");

    // A missing manifest fails the task with the reason; an oversized line is refused.
    let t = import(&app, &id, &json!({"import_path": "/bkt/none.manifest"})).await;
    assert_eq!(t["status"], "FAILED", "{t}");
    assert_eq!(t["error_code"], "ModelArts.3551", "{t}");
    put(&app, "bkt/src/a.jpg", "a").await;
    let big = format!(
        "{{\"source\": \"s3://bkt/src/a.jpg\", \"property\": {{\"x\": \"{}\"}}}}",
        "y".repeat(1 << 21)
    );
    put_manifest(
        &app,
        "bkt/m/big.manifest",
        &[big, json!({"source": "s3://bkt/src/a.jpg"}).to_string()],
    )
    .await;
    let t = import(&app, &id, &json!({"import_path": "/bkt/m/big.manifest"})).await;
    assert_eq!(t["status"], "COMPLETED", "{t}");
    assert_eq!(t["failures"][0]["line"], 1, "{t}");
    assert!(
        t["failures"][0]["error_msg"]
            .as_str()
            .unwrap()
            .contains("longer"),
        "{t}"
    );
    assert_eq!(t["imported_sample_count"], 1, "{t}");
    app.stop().await;
}
