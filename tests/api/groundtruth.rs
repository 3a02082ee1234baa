//! SageMaker Ground Truth: exports with `annotation_format` SAGEMAKER write an
//! augmented manifest that imports back (`import_type` sagemaker, an extension); bad
//! lines are reported with their number and the rest imports.

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::exports::export;
use crate::helpers::{assert_error_in, Backend, TestApp};
use crate::imports::{
    detection_dataset, import, label_names, put, samples_by_name, shapes, three_shapes_dataset,
};
use crate::{both_backends, every_store};

every_store!(ground_truth_detection_manifests_round_trip);
every_store!(ground_truth_classification_manifests_round_trip);
both_backends!(ground_truth_imports_report_bad_lines_and_refuse_bad_requests);

/// The one line of a Ground Truth manifest at `path`, parsed.
async fn lines(app: &TestApp, path: &str) -> Vec<Value> {
    app.read_text(path)
        .await
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

async fn ground_truth_detection_manifests_round_trip(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.mkdir("bkt/gt").await;
    let id = three_shapes_dataset(&app).await;
    let t = export(
        &app,
        &id,
        &json!({"path": "/bkt/gt/", "export_type": 0, "annotation_format": "SAGEMAKER",
                "source_type_header": "s3://"}),
    )
    .await;
    assert_eq!(t["status"], "SUCCESSED", "{t}");
    assert_eq!(t["skipped_labels"], 2, "the polygon and the circle: {t}");
    let task = t["task_id"].as_str().unwrap();
    let manifest = format!("/bkt/gt/{task}.groundtruth.manifest");
    assert_eq!(t["annotation_path"], manifest.as_str(), "{t}");
    let mut expected = vec![
        format!("{task}.groundtruth.manifest"),
        format!("{task}.manifest"),
        "p.jpg".to_owned(),
    ];
    expected.sort();
    assert_eq!(app.list_files("bkt/gt").await, expected, "no VOC files");
    let line = &lines(&app, &manifest).await[0];
    assert_eq!(line["source-ref"], "s3://bkt/gt/p.jpg", "{line}");
    assert_eq!(
        line["det"],
        json!({"annotations": [{"class_id": 1, "left": 10, "top": 20, "width": 20, "height": 25}],
               "image_size": [{"width": 100, "height": 80, "depth": 3}]}),
        "{line}"
    );
    let meta = &line["det-metadata"];
    assert_eq!(meta["type"], "groundtruth/object-detection", "{line}");
    assert_eq!(meta["class-map"], json!({"1": "dog"}), "{line}");
    assert_eq!(meta["objects"], json!([{"confidence": 0.75}]), "{line}");
    assert_eq!(meta["human-annotated"], "yes", "{line}");

    // The manifest imports back: the box, its score and the image size.
    let copy = detection_dataset(&app, "det-copy", "/bkt/in2/", json!([])).await;
    let body = json!({"import_type": "sagemaker", "import_path": manifest});
    let r = import(&app, &copy, &body).await;
    assert_eq!(r["status"], "COMPLETED", "{r}");
    assert_eq!(r["import_type"], 3, "{r}");
    assert_eq!(r["annotated_sample_count"], 1, "{r}");
    let original = samples_by_name(&app, &id).await;
    let back = samples_by_name(&app, &copy).await;
    let boxes: Vec<Value> = shapes(&original[0].1)
        .into_iter()
        .filter(|s| s["shape"] == "bndbox")
        .collect();
    assert_eq!(shapes(&back[0].1), boxes);
    assert_eq!(back[0].1["labels"][0]["score"], 0.75);
    assert_eq!(
        back[0].1["metadata"]["@modelarts:size"],
        json!([100, 80, 3])
    );
    // Importing it again changes nothing.
    let again = import(&app, &copy, &body).await;
    assert_eq!(again["status"], "COMPLETED", "{again}");
    assert_eq!(samples_by_name(&app, &copy).await, back);
    app.stop().await;
}

async fn ground_truth_classification_manifests_round_trip(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.mkdir("bkt/gt").await;
    let id = app.new_dataset("pets").await;
    app.wait_for_dataset_status(&id, 1).await;
    let class = |n: &str| json!({"name": n, "type": 0});
    let data = base64::engine::general_purpose::STANDARD.encode("img");
    let samples = json!({"samples": [
        {"name": "one.jpg", "data": data, "labels": [class("Bees")]},
        {"name": "two.jpg", "data": data, "labels": [class("Bees"), class("Rabbits")]},
        {"name": "none.jpg", "data": data},
    ]});
    let r = app
        .post(
            &format!("/datasets/{id}/data-annotations/samples"),
            &samples,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let t = export(
        &app,
        &id,
        &json!({"path": "/bkt/gt/", "export_type": 2, "annotation_format": "sagemaker"}),
    )
    .await;
    assert_eq!(t["status"], "SUCCESSED", "{t}");
    let mut found = lines(&app, t["annotation_path"].as_str().unwrap()).await;
    found.sort_by_key(|l| l["source-ref"].to_string());
    assert_eq!(found[0], json!({"source-ref": "obs://bkt/gt/none.jpg"}));
    // Class ids follow the dataset's label order: Rabbits 0, Bees 1.
    assert_eq!(found[1]["pets"], 1, "{}", found[1]);
    assert_eq!(found[1]["pets-metadata"]["class-name"], "Bees");
    assert_eq!(
        found[1]["pets-metadata"]["type"],
        "groundtruth/image-classification"
    );
    assert_eq!(found[2]["pets"], json!([1, 0]), "{}", found[2]);
    assert_eq!(
        found[2]["pets-metadata"]["type"],
        "groundtruth/image-classification-multilabel"
    );

    let mut body = crate::helpers::dataset_body("pets-copy", "/bkt/in2/", "/bkt/out/");
    body["labels"] = json!([]);
    app.mkdir("bkt/in2").await;
    let copy = app.create_dataset(&body).await["dataset_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.wait_for_dataset_status(&copy, 1).await;
    let r = import(
        &app,
        &copy,
        &json!({"import_type": "sagemaker", "import_path": t["annotation_path"]}),
    )
    .await;
    assert_eq!(r["status"], "COMPLETED", "{r}");
    assert_eq!(r["imported_sample_count"], 3, "{r}");
    let names = |samples: Vec<(String, Value)>| -> Vec<(String, Vec<String>)> {
        samples
            .into_iter()
            .map(|(n, s)| (n, label_names(&s)))
            .collect()
    };
    assert_eq!(
        names(samples_by_name(&app, &copy).await),
        names(samples_by_name(&app, &id).await)
    );
    app.stop().await;
}

async fn ground_truth_imports_report_bad_lines_and_refuse_bad_requests(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("pets").await;
    app.wait_for_dataset_status(&id, 1).await;
    put(&app, "bkt/g/a.jpg", "a").await;
    let cls = |file: &str, name: &str| {
        json!({"source-ref": format!("s3://bkt/g/{file}"), "pet": 0,
               "pet-metadata": {"class-name": name, "type": "groundtruth/image-classification"}})
        .to_string()
    };
    let lines = [
        cls("a.jpg", "Bees"),
        "{not json".to_owned(),
        json!({"source-ref": "s3://bkt/g/a.jpg", "mask": "s3://bkt/g/a.png",
               "mask-metadata": {"type": "groundtruth/semantic-segmentation"}})
        .to_string(),
        json!({"source-ref": "s3://bkt/g/a.jpg", "pet": [4],
               "pet-metadata": {"class-map": {"0": "Bees"},
                                "type": "groundtruth/image-classification-multilabel"}})
        .to_string(),
        cls("missing.jpg", "Bees"),
        cls("../../etc/passwd", "Bees"),
    ];
    put(&app, "bkt/g/gt.manifest", &lines.join("\n")).await;
    let t = import(
        &app,
        &id,
        &json!({"import_type": "sagemaker", "import_path": "/bkt/g/gt.manifest"}),
    )
    .await;
    assert_eq!(t["status"], "COMPLETED", "{t}");
    assert_eq!(t["imported_sample_count"], 1, "{t}");
    assert_eq!(t["failed_sample_count"], 5, "{t}");
    let failures = t["failures"].as_array().unwrap();
    let lines: Vec<i64> = failures
        .iter()
        .map(|f| f["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3, 4, 5, 6], "{t}");
    let msg = |i: usize| failures[i]["error_msg"].as_str().unwrap().to_owned();
    assert!(msg(0).contains("not a JSON object"), "{t}");
    assert!(msg(1).contains("not supported"), "{t}");
    assert!(msg(2).contains("class 4"), "{t}");
    assert_eq!(failures[3]["error_code"], "ModelArts.3551", "{t}");
    assert!(msg(4).contains("source"), "{t}");
    let samples = samples_by_name(&app, &id).await;
    assert_eq!(samples.len(), 1);
    assert_eq!(label_names(&samples[0].1), ["Bees"]);

    // Requests: a directory; an export format the dataset type cannot take.
    let r = app
        .post(
            &format!("/datasets/{id}/import-tasks"),
            &json!({"import_type": "sagemaker", "import_path": "/bkt/g/"}),
        )
        .await;
    assert_error_in(&r, 400, "ModelArts.0101", "a directory");
    app.mkdir("bkt/in3").await;
    let mut body = crate::helpers::dataset_body("speech", "/bkt/in3/", "/bkt/out/");
    body["dataset_type"] = json!(202);
    body["labels"] = json!([]);
    let speech = app.create_dataset(&body).await["dataset_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .post(
            &format!("/datasets/{speech}/export-tasks"),
            &json!({"path": "/bkt/g/x/", "annotation_format": "SAGEMAKER"}),
        )
        .await;
    assert_error_in(&r, 400, "ModelArts.4384", "a speech dataset");
    let tasks = app.get(&format!("/datasets/{speech}/export-tasks")).await;
    assert_eq!(tasks.body["total_count"], 0, "{}", tasks.body);
    app.stop().await;
}
