//! YOLO directories (an `obj.data` at the root) import their normalized boxes as
//! pixel boxes, sized by each image's own header.

use serde_json::{json, Value};

use crate::every_store;
use crate::helpers::{Backend, TestApp};
use crate::imports::{detection_dataset, import, samples_by_name, shapes};

every_store!(yolo_directories_import_their_boxes);

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
