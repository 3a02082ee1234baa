//! COCO: exports with `annotation_format` COCO write one document that imports back
//! (`import_type` coco, an extension); bad documents and images are reported.

use serde_json::{json, Value};

use crate::exports::export;
use crate::helpers::{assert_error_in, Backend, TestApp};
use crate::imports::{
    detection_dataset, import, put, samples_by_name, shapes, three_shapes_dataset,
};
use crate::{both_backends, every_store};

every_store!(coco_exports_write_one_document_that_imports_back);
both_backends!(coco_imports_report_bad_images_and_refuse_bad_documents);

async fn coco_exports_write_one_document_that_imports_back(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.mkdir("bkt/coco").await;
    let id = three_shapes_dataset(&app).await;
    let t = export(
        &app,
        &id,
        &json!({"path": "/bkt/coco/", "export_type": 0, "annotation_format": "COCO"}),
    )
    .await;
    assert_eq!(t["status"], "SUCCESSED", "{t}");
    assert_eq!(t["skipped_labels"], 1, "the circle: {t}");
    let task = t["task_id"].as_str().unwrap();
    let coco_path = format!("/bkt/coco/{task}.coco.json");
    assert_eq!(t["annotation_path"], coco_path.as_str(), "{t}");
    let mut expected = vec![
        format!("{task}.coco.json"),
        format!("{task}.manifest"),
        "p.jpg".to_owned(),
    ];
    expected.sort();
    assert_eq!(
        app.list_files("bkt/coco").await,
        expected,
        "one document, no VOC files"
    );
    let doc: Value = serde_json::from_str(&app.read_text(&coco_path).await).unwrap();
    assert_eq!(
        doc["images"],
        json!([{"id": 1, "file_name": "p.jpg", "width": 100, "height": 80}])
    );
    assert_eq!(
        doc["categories"],
        json!([{"id": 1, "name": "cat", "supercategory": ""},
               {"id": 2, "name": "dog", "supercategory": ""}])
    );
    let anns = doc["annotations"].as_array().unwrap();
    assert_eq!(anns.len(), 2, "{doc}");
    let by_cat = |c: i64| anns.iter().find(|a| a["category_id"] == c).unwrap();
    assert_eq!(by_cat(2)["bbox"], json!([10.0, 20.0, 20.0, 25.0]));
    assert_eq!(by_cat(2)["area"], json!(500.0));
    assert_eq!(
        by_cat(1)["segmentation"],
        json!([[0.0, 0.0, 8.0, 0.0, 8.0, 6.0]])
    );
    assert_eq!(by_cat(1)["area"], json!(24.0));
    assert!(anns.iter().all(|a| a["image_id"] == 1 && a["iscrowd"] == 0));

    // The document imports back: the same boxes and polygons, the same size.
    let copy = detection_dataset(&app, "det-copy", "/bkt/in2/", json!([])).await;
    let r = import(
        &app,
        &copy,
        &json!({"import_type": "coco", "import_path": coco_path}),
    )
    .await;
    assert_eq!(r["status"], "COMPLETED", "{r}");
    assert_eq!(r["import_type"], 2, "{r}");
    assert_eq!(r["annotated_sample_count"], 1, "{r}");
    let original = samples_by_name(&app, &id).await;
    let back = samples_by_name(&app, &copy).await;
    let kept: Vec<Value> = shapes(&original[0].1)
        .into_iter()
        .filter(|s| s["shape"] != "circle")
        .collect();
    assert_eq!(shapes(&back[0].1), kept);
    assert_eq!(
        back[0].1["metadata"]["@modelarts:size"],
        json!([100, 80, 3])
    );
    // Importing it again changes nothing.
    let again = import(
        &app,
        &copy,
        &json!({"import_type": "coco", "import_path": coco_path}),
    )
    .await;
    assert_eq!(again["status"], "COMPLETED", "{again}");
    assert_eq!(samples_by_name(&app, &copy).await, back);
    app.stop().await;
}

async fn coco_imports_report_bad_images_and_refuse_bad_documents(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = detection_dataset(&app, "det", "/bkt/in/", json!([])).await;
    put(&app, "bkt/c/img/a.jpg", "a").await;
    put(&app, "bkt/c/img/c.jpg", "c").await;
    let doc = json!({
        "images": [
            {"id": 1, "file_name": "img/a.jpg", "width": 10, "height": 10},
            {"id": 2, "file_name": "img/missing.jpg"},
            {"id": 3, "file_name": "img/c.jpg"},
            {"id": 4, "file_name": "../../etc/passwd"}
        ],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 4, 4]},
            {"id": 2, "image_id": 3, "category_id": 7, "bbox": [1, 1, 4, 4]}
        ],
        "categories": [{"id": 1, "name": "owl"}]
    });
    put(&app, "bkt/c/doc.json", &doc.to_string()).await;
    let t = import(
        &app,
        &id,
        &json!({"import_type": "coco", "import_path": "/bkt/c/doc.json"}),
    )
    .await;
    assert_eq!(t["status"], "COMPLETED", "{t}");
    assert_eq!(t["total_sample_count"], 4, "{t}");
    assert_eq!(t["imported_sample_count"], 1, "{t}");
    assert_eq!(t["failed_sample_count"], 3, "{t}");
    let failures = t["failures"].as_array().unwrap();
    let paths: Vec<&str> = failures
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "/bkt/c/img/missing.jpg",
            "/bkt/c/img/c.jpg",
            "/bkt/c/../../etc/passwd"
        ],
        "{t}"
    );
    assert_eq!(failures[0]["error_code"], "ModelArts.3551", "{t}");
    assert!(
        failures[1]["error_msg"]
            .as_str()
            .unwrap()
            .contains("category_id 7"),
        "{t}"
    );
    assert_eq!(failures[2]["error_code"], "ModelArts.4313", "{t}");
    let samples = samples_by_name(&app, &id).await;
    assert_eq!(samples.len(), 1);
    assert_eq!(samples[0].1["labels"][0]["name"], "owl");

    // A document that is not COCO fails the task with the reason; nothing is added.
    put(&app, "bkt/c/broken.json", "{\"images\": 5}").await;
    let t = import(
        &app,
        &id,
        &json!({"import_type": "coco", "import_path": "/bkt/c/broken.json"}),
    )
    .await;
    assert_eq!(t["status"], "FAILED", "{t}");
    assert_eq!(t["error_code"], "ModelArts.0101", "{t}");
    assert!(t["error_msg"].as_str().unwrap().contains("COCO"), "{t}");
    assert_eq!(samples_by_name(&app, &id).await.len(), 1);

    // Requests: a directory, a classification dataset.
    let path = format!("/datasets/{id}/import-tasks");
    let r = app
        .post(
            &path,
            &json!({"import_type": "coco", "import_path": "/bkt/c/"}),
        )
        .await;
    assert_error_in(&r, 400, "ModelArts.0101", "a directory");
    let cls = app.new_dataset("cls").await;
    let r = app
        .post(
            &format!("/datasets/{cls}/import-tasks"),
            &json!({"import_type": "coco", "import_path": "/bkt/c/doc.json"}),
        )
        .await;
    assert_error_in(&r, 400, "ModelArts.0101", "a classification dataset");
    let tasks = app.get(&format!("/datasets/{cls}/import-tasks")).await;
    assert_eq!(
        tasks.body["total_count"], 1,
        "only the creation import: {}",
        tasks.body
    );
    app.stop().await;
}
