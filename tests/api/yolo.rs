//! YOLO directories (an `obj.data` at the root) import their normalized boxes as
//! pixel boxes, sized by each image's own header; exports with `annotation_format`
//! YOLO write such directories.

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::every_store;
use crate::exports::export;
use crate::helpers::{Backend, TestApp};
use crate::imports::{cat_dog_dataset, detection_dataset, import, samples_by_name, shapes};

every_store!(yolo_directories_import_their_boxes);
every_store!(yolo_exports_write_a_directory_that_imports_back);

/// The first bytes of a PNG of `width` x `height`: enough for its size to be read.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    b.extend_from_slice(&width.to_be_bytes());
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&[8, 2, 0, 0, 0]);
    b
}

async fn yolo_directories_import_their_boxes(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = detection_dataset(&app, "yolo", "/bkt/in/", json!([])).await;
    let files: Vec<(&str, Vec<u8>)> = vec![
        (
            "obj.data",
            b"classes = 2\nnames = obj.names\ntrain = train.txt\n".to_vec(),
        ),
        ("obj.names", b"cat\ndog\n".to_vec()),
        (
            "train.txt",
            b"obj_train_data/a.png\nobj_train_data/b.png\n".to_vec(),
        ),
        ("obj_train_data/a.png", png_header(200, 100)),
        (
            "obj_train_data/a.txt",
            b"1 0.25 0.4 0.3 0.4\n0 0.5 0.5 1 1\n".to_vec(),
        ),
        // No label file: an unlabeled sample.
        ("obj_train_data/b.png", png_header(10, 10)),
        ("obj_valid_data/c.png", png_header(10, 10)),
        ("obj_valid_data/c.txt", b"5 0.5 0.5 0.1 0.1\n".to_vec()),
        ("obj_valid_data/d.jpg", b"not an image".to_vec()),
        ("obj_valid_data/d.txt", b"0 0.5 0.5 0.1 0.1\n".to_vec()),
    ];
    for (name, bytes) in files {
        app.write_file(&format!("bkt/y/{name}"), bytes).await;
    }
    let t = import(
        &app,
        &id,
        &json!({"import_type": "dir", "import_path": "/bkt/y/"}),
    )
    .await;
    assert_eq!(t["status"], "COMPLETED", "{t}");
    assert_eq!(t["total_sample_count"], 4, "{t}");
    assert_eq!(t["imported_sample_count"], 2, "{t}");
    assert_eq!(t["annotated_sample_count"], 1, "{t}");
    assert_eq!(t["failed_sample_count"], 2, "{t}");
    let mut failures: Vec<(String, String)> = t["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["error_msg"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    failures.sort();
    assert!(failures[0].0.ends_with("c.png"), "{failures:?}");
    assert!(failures[0].1.contains("not in obj.names"), "{failures:?}");
    assert!(failures[1].0.ends_with("d.jpg"), "{failures:?}");
    assert!(failures[1].1.contains("image size"), "{failures:?}");

    let samples = samples_by_name(&app, &id).await;
    let names: Vec<&str> = samples.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a.png", "b.png"]);
    let a = &samples[0].1;
    let box_of = |name: &str, feature: Value| json!({"name": name, "type": 1, "shape": "bndbox", "feature": feature});
    let mut expected = vec![
        box_of("dog", json!([[20, 20], [80, 60]])),
        box_of("cat", json!([[0, 0], [200, 100]])),
    ];
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(shapes(a), expected, "{a}");
    assert_eq!(a["metadata"]["@modelarts:size"], json!([200, 100, 3]));
    assert!(samples[1].1["labels"]
        .as_array()
        .is_none_or(|l| l.is_empty()));
    let labels = app
        .get(&format!("/datasets/{id}/data-annotations/labels"))
        .await;
    let mut created: Vec<&str> = labels.body["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    created.sort();
    assert_eq!(created, ["cat", "dog"], "{}", labels.body);
    app.stop().await;
}

/// Adds an image sample with its bytes, labels and metadata.
async fn add_image(app: &TestApp, id: &str, name: &str, bytes: &[u8], labels: Value, meta: Value) {
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    let r = app
        .post(
            &format!("/datasets/{id}/data-annotations/samples"),
            &json!({"samples": [{"name": name, "data": data, "labels": labels, "metadata": meta}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body["results"][0]["success"] != false, "{}", r.body);
}

async fn yolo_exports_write_a_directory_that_imports_back(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.mkdir("bkt/yolo").await;
    let id = cat_dog_dataset(&app).await;
    let shape = |name: &str, shape: &str, feature: Value| {
        json!({"name": name, "type": 1,
               "property": {"@modelarts:shape": shape, "@modelarts:feature": feature}})
    };
    // Sized by its metadata; the polygon has no YOLO form.
    let p_labels = json!([
        shape("dog", "bndbox", json!([[10, 20], [30, 45]])),
        shape("cat", "polygon", json!([[0, 0], [8, 0], [8, 6]])),
    ]);
    let size = json!({"@modelarts:size": [100, 80, 3]});
    add_image(&app, &id, "p.png", &png_header(100, 80), p_labels, size).await;
    let q_labels = json!([shape("cat", "bndbox", json!([[0, 0], [50, 25]]))]);
    let size = json!({"@modelarts:size": [200, 100, 3]});
    add_image(&app, &id, "q.png", &png_header(200, 100), q_labels, size).await;

    let t = export(
        &app,
        &id,
        &json!({"path": "/bkt/yolo/", "export_type": 0, "annotation_format": "YOLO"}),
    )
    .await;
    assert_eq!(t["status"], "SUCCESSED", "{t}");
    assert_eq!(t["annotation_path"], "/bkt/yolo/obj.data", "{t}");
    assert_eq!(t["skipped_labels"], 1, "the polygon: {t}");
    assert_eq!(t["exported_sample_count"], 2, "{t}");
    let task = t["task_id"].as_str().unwrap();
    let mut expected = vec![
        "obj.data".to_owned(),
        "obj.names".to_owned(),
        "p.png".to_owned(),
        "p.txt".to_owned(),
        "q.png".to_owned(),
        "q.txt".to_owned(),
        "train.txt".to_owned(),
        format!("{task}.manifest"),
    ];
    expected.sort();
    assert_eq!(app.list_files("bkt/yolo").await, expected, "no VOC files");
    assert_eq!(
        app.read_text("/bkt/yolo/p.txt").await,
        "1 0.200000 0.406250 0.200000 0.312500\n"
    );
    assert_eq!(
        app.read_text("/bkt/yolo/q.txt").await,
        "0 0.125000 0.125000 0.250000 0.250000\n"
    );
    assert_eq!(app.read_text("/bkt/yolo/obj.names").await, "cat\ndog\n");
    let mut train: Vec<String> = app
        .read_text("/bkt/yolo/train.txt")
        .await
        .lines()
        .map(str::to_owned)
        .collect();
    train.sort();
    assert_eq!(train, ["p.png", "q.png"]);

    // The directory imports back with the same boxes.
    let copy = detection_dataset(&app, "det-copy", "/bkt/in2/", json!([])).await;
    let r = import(
        &app,
        &copy,
        &json!({"import_type": "dir", "import_path": "/bkt/yolo/"}),
    )
    .await;
    assert_eq!(r["status"], "COMPLETED", "{r}");
    assert_eq!(r["annotated_sample_count"], 2, "{r}");
    let original = samples_by_name(&app, &id).await;
    let back = samples_by_name(&app, &copy).await;
    let boxes = |s: &Value| -> Vec<Value> {
        shapes(s)
            .into_iter()
            .filter(|l| l["shape"] == "bndbox")
            .collect()
    };
    assert_eq!(back.len(), 2);
    for ((name, o), (back_name, b)) in original.iter().zip(&back) {
        assert_eq!(name, back_name);
        assert_eq!(boxes(o), shapes(b), "{name}");
    }
    assert_eq!(
        back[1].1["metadata"]["@modelarts:size"],
        json!([200, 100, 3])
    );
    app.stop().await;
}
