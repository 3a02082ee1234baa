//! Dataset endpoints: the working paths.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_error, dataset_body, Backend, TestApp};
use crate::{both_backends, every_store};

// These read the files under the input path: local storage and S3.
every_store!(
    creating_a_dataset_imports_the_files_under_its_input_path,
    deleting_a_dataset_removes_it_and_leaves_its_files,
);
both_backends!(
    dataset_details_carry_every_documented_field_with_its_type,
    the_dataset_list_filters_sorts_and_pages,
    modifying_a_dataset_renames_and_edits_labels,
    metrics_report_counts_over_time,
    workforce_information_is_stored_and_described,
    a_taken_dataset_name_returns_409_modelarts_4351,
    table_datasets_import_only_when_asked,
    every_dataset_type_is_created_with_labels_attributes_and_properties,
);

async fn creating_a_dataset_imports_the_files_under_its_input_path(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.put_files("bkt/in/animals", 30, "jpg").await;
    app.put_files("bkt/in/animals/nested", 5, "PNG").await;
    app.put_files("bkt/in/animals", 3, "txt").await; // not images: skipped
    app.put_files("bkt/elsewhere", 4, "jpg").await; // outside the input path
    app.mkdir("bkt/out").await;
    let created = app
        .create_dataset(&dataset_body("animals", "/bkt/in/animals/", "/bkt/out/"))
        .await;
    let id = created["dataset_id"].as_str().unwrap();
    assert_eq!(id.len(), 19);
    let task = created["import_task_id"].as_str().unwrap();
    let ds = app.wait_for_dataset_status(id, 1).await;
    assert_eq!(ds["total_sample_count"], 35);
    assert_eq!(ds["annotated_sample_count"], 0);
    assert_eq!(ds["import_task_id"], task);
    assert_eq!(ds["labels"][0]["name"], "Rabbits");
    assert_eq!(ds["labels"][1]["property"]["@modelarts:color"], "#3399ff");
    assert_eq!(ds["data_sources"][0]["data_path"], "/bkt/in/animals/");

    // obs:// and s3:// spellings name the same store; importing the same files into a
    // second dataset counts them there too, once.
    let mut body = dataset_body("animals-2", "obs://bkt/in/animals", "s3://bkt/out/two/");
    body["dataset_type"] = json!(0);
    let second = app.create_dataset(&body).await;
    let ds2 = app
        .wait_for_dataset_status(second["dataset_id"].as_str().unwrap(), 1)
        .await;
    assert_eq!(ds2["total_sample_count"], 35);
    assert_eq!(ds2["work_path"], "/bkt/out/two/");

    // Previews list real samples of the dataset.
    let list = app
        .get("/datasets?file_preview=true&search_content=animals-2")
        .await;
    let samples = list.body["datasets"][0]["samples"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(samples.len(), 4);
    for s in samples {
        assert!(s["url"].as_str().unwrap().starts_with("/bkt/in/animals/"));
        assert_eq!(s["file_id"].as_str().unwrap().len(), 32);
    }
}

async fn dataset_details_carry_every_documented_field_with_its_type(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.put_files("bkt/in", 2, "jpg").await;
    app.mkdir("bkt/out").await;
    let created = app
        .create_dataset(&dataset_body("shape", "/bkt/in/", "/bkt/out/"))
        .await;
    let ds = app
        .wait_for_dataset_status(created["dataset_id"].as_str().unwrap(), 1)
        .await;
    let ints = [
        "annotated_sample_count",
        "annotated_sub_sample_count",
        "create_time",
        "data_update_time",
        "dataset_format",
        "dataset_type",
        "dataset_version_count",
        "deleted_sample_count",
        "label_task_count",
        "loading_sample_count",
        "next_version_num",
        "status",
        "total_sample_count",
        "total_sub_sample_count",
        "unconfirmed_sample_count",
        "update_time",
        "work_path_type",
        "workforce_task_count",
    ];
    for f in ints {
        assert!(ds[f].is_i64(), "{f} should be an integer: {}", ds[f]);
    }
    let strings = [
        "data_format",
        "data_url",
        "dataset_id",
        "dataset_name",
        "description",
        "enterprise_project_id",
        "import_task_id",
        "inner_annotation_path",
        "inner_data_path",
        "inner_log_path",
        "inner_task_path",
        "inner_temp_path",
        "inner_work_path",
        "work_path",
        "workspace_id",
    ];
    for f in strings {
        assert!(ds[f].is_string(), "{f} should be a string: {}", ds[f]);
    }
    for f in [
        "content_labeling",
        "exist_running_task",
        "exist_workforce_task",
        "import_data",
        "managed",
    ] {
        assert!(ds[f].is_boolean(), "{f} should be a boolean");
    }
    for f in [
        "data_sources",
        "dataset_tags",
        "feature_supports",
        "labels",
        "running_tasks_id",
        "schema",
        "versions",
    ] {
        assert!(ds[f].is_array(), "{f} should be an array");
    }
    for f in ["data_statistics", "deletion_stats"] {
        assert!(ds[f].is_object(), "{f} should be an object");
    }
    assert_eq!(ds["dataset_tags"], json!(["Image", "Image classification"]));
    let inner = format!("/bkt/out/shape-{}/", ds["dataset_id"].as_str().unwrap());
    assert_eq!(ds["inner_work_path"], inner);
    assert_eq!(ds["inner_annotation_path"], format!("{inner}annotation/"));
    assert_eq!(ds["data_statistics"]["total_sample_count"], 2);
}

async fn the_dataset_list_filters_sorts_and_pages(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.mkdir("bkt/in").await;
    app.mkdir("bkt/out").await;
    let specs = [
        ("cats", 0),
        ("boxes", 1),
        ("news", 100),
        ("songs", 200),
        ("alpha", 0),
    ];
    for (name, t) in specs {
        let mut body = dataset_body(name, "/bkt/in/", &format!("/bkt/out/{name}/"));
        body["dataset_type"] = json!(t);
        body["labels"] = json!([]);
        if name == "alpha" {
            body["workspace_id"] = json!("ws1");
            body["description"] = json!("first letters");
            body["labels"] = json!([
                {"name": "b", "type": 0, "property": {"@modelarts:color": "#112233"}},
                {"name": "a", "type": 0},
            ]);
        }
        app.create_dataset(&body).await;
    }
    let names = |v: &Value| -> Vec<String> {
        v["datasets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["dataset_name"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = app.get("/datasets").await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.body["total_number"], 5);
    // Default: newest first.
    assert_eq!(
        names(&all.body),
        ["alpha", "songs", "news", "boxes", "cats"]
    );
    assert!(
        all.body["datasets"][0].get("labels").is_none(),
        "labels only with with_labels=true"
    );

    let asc = app.get("/datasets?sort_by=dataset_name&order=asc").await;
    assert_eq!(
        names(&asc.body),
        ["alpha", "boxes", "cats", "news", "songs"]
    );
    let by_type = app
        .get("/datasets?dataset_type=0&sort_by=dataset_name&order=asc")
        .await;
    assert_eq!(names(&by_type.body), ["alpha", "cats"]);
    assert_eq!(by_type.body["total_number"], 2);
    let export = app
        .get("/datasets?support_export=true&sort_by=dataset_name&order=asc")
        .await;
    assert_eq!(names(&export.body), ["alpha", "boxes", "cats"]);
    let search = app.get("/datasets?search_content=SONG").await;
    assert_eq!(names(&search.body), ["songs"]);
    let by_description = app.get("/datasets?search_content=letters").await;
    assert_eq!(names(&by_description.body), ["alpha"]);
    let wildcard = app.get("/datasets?search_content=%25").await;
    assert_eq!(wildcard.body["total_number"], 0, "% is matched literally");
    let ws = app.get("/datasets?workspace_id=ws1").await;
    assert_eq!(names(&ws.body), ["alpha"]);
    // Each dataset's own labels, in creation order: alpha (newest) has two.
    let labels = app.get("/datasets?with_labels=true&limit=2").await;
    let listed = &labels.body["datasets"];
    assert_eq!(listed[0]["dataset_name"], "alpha");
    assert_eq!(listed[0]["labels"][0]["name"], "b");
    assert_eq!(
        listed[0]["labels"][0]["property"]["@modelarts:color"],
        "#112233"
    );
    assert_eq!(listed[0]["labels"][1]["name"], "a");
    assert_eq!(listed[0]["labels"].as_array().map(Vec::len), Some(2));
    assert_eq!(listed[1]["labels"], json!([]));

    // offset counts pages of `limit` rows, as ModelArts' "start page".
    let p0 = app
        .get("/datasets?sort_by=dataset_name&order=asc&limit=2&offset=0")
        .await;
    let p1 = app
        .get("/datasets?sort_by=dataset_name&order=asc&limit=2&offset=1")
        .await;
    let p2 = app
        .get("/datasets?sort_by=dataset_name&order=asc&limit=2&offset=2")
        .await;
    assert_eq!(names(&p0.body), ["alpha", "boxes"]);
    assert_eq!(names(&p1.body), ["cats", "news"]);
    assert_eq!(names(&p2.body), ["songs"]);
    assert_eq!(p2.body["total_number"], 5);

    // No versions exist yet: the version filters find nothing, and their negation everything.
    assert_eq!(
        app.get("/datasets?contain_versions=true").await.body["total_number"],
        0
    );
    assert_eq!(
        app.get("/datasets?contain_versions=false").await.body["total_number"],
        5
    );
    assert_eq!(
        app.get("/datasets?train_evaluate_ratio=0.0,1.0").await.body["total_number"],
        0
    );
    assert_eq!(
        app.get("/datasets?version_format=0").await.body["total_number"],
        0
    );
    for ok in [
        "dataset_version=all",
        "check_running_task=true&running_task_type=5",
        "file_preview=false",
    ] {
        assert_eq!(
            app.get(&format!("/datasets?{ok}")).await.status,
            StatusCode::OK,
            "{ok}"
        );
    }
}

async fn modifying_a_dataset_renames_and_edits_labels(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("before").await;
    let r = app
        .put(
            &format!("/datasets/{id}"),
            &json!({
                "dataset_name": "after",
                "description": "just a test",
                "add_labels": [{"name": "Ants", "type": 0, "property": {"@modelarts:color": "#00ff00"}}],
                "update_labels": [{"name": "Bees", "property": {"@modelarts:rename_to": "Wasps", "@modelarts:shortcut": "W"}}],
                "delete_labels": [{"name": "Rabbits"}]
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["dataset_id"], id.as_str());
    let ds = app.get(&format!("/datasets/{id}")).await.body;
    assert_eq!(ds["dataset_name"], "after");
    assert_eq!(ds["description"], "just a test");
    let labels: Vec<&str> = ds["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["Wasps", "Ants"]);
    assert_eq!(ds["labels"][0]["property"]["@modelarts:shortcut"], "W");
    assert!(ds["labels"][0]["property"]
        .get("@modelarts:rename_to")
        .is_none());
    assert!(ds["update_time"].as_i64().unwrap() >= ds["create_time"].as_i64().unwrap());
}

async fn deleting_a_dataset_removes_it_and_leaves_its_files(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.put_files("bkt/in", 10, "jpg").await;
    app.mkdir("bkt/out").await;
    let id = app.new_dataset("gone").await;
    app.wait_for_dataset_status(&id, 1).await;
    let r = app.delete(&format!("/datasets/{id}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_error(
        &app.get(&format!("/datasets/{id}")).await,
        404,
        "ModelArts.4352",
    );
    assert_error(
        &app.delete(&format!("/datasets/{id}")).await,
        404,
        "ModelArts.4352",
    );
    assert_eq!(app.dataset_count().await, 0);
    assert_eq!(
        app.list_files("bkt/in").await.len(),
        10,
        "source files stay"
    );
    // The name is free again.
    app.create_dataset(&dataset_body("gone", "/bkt/in/", "/bkt/out/"))
        .await;
}

async fn metrics_report_counts_over_time(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.put_files("bkt/in", 7, "jpg").await;
    app.mkdir("bkt/out").await;
    let id = app.new_dataset("watched").await;
    app.wait_for_dataset_status(&id, 1).await;
    let now = labelhive_domain::time::now_ms();
    let r = app
        .get(&format!(
            "/datasets/{id}/metrics?start_time={}&end_time={}",
            now - 3_600_000,
            now + 60_000
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let m = &r.body["metrics"];
    let total: Vec<i64> = m["total"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(total.last(), Some(&7));
    let un: Vec<i64> = m["un_annotation"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(un.last(), Some(&7));
    for key in [
        "manual_annotation",
        "failed_user",
        "queuing",
        "success",
        "unfinished",
        "failed",
        "failed_system",
    ] {
        assert!(m[key].is_object(), "{key}");
    }
    let before = app
        .get(&format!(
            "/datasets/{id}/metrics?start_time=0&end_time=1000"
        ))
        .await;
    assert_eq!(before.body["metrics"]["total"], json!({}));
}

async fn workforce_information_is_stored_and_described(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.mkdir("bkt/in").await;
    app.mkdir("bkt/out").await;
    let team = app
        .post("/workforces", &json!({"workforce_name": "team-a"}))
        .await
        .body["workforce_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (email, role) in [("a@example.com", 0), ("r@example.com", 1)] {
        let r = app
            .post(
                &format!("/workforces/{team}/workers"),
                &json!({"emails": email, "role": role}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let mut body = dataset_body("team", "/bkt/in/", "/bkt/out/");
    body["workforce_information"] = json!({
        "task_name": "task-1",
        "repetition": 3,
        "synchronize_data": true,
        "data_sync_type": 3,
        "workforces_config": {"workforces": [{
            "workforce_id": team,
            "workforce_name": "team-a",
            "workers": [{"email": "a@example.com", "role": 0}, {"email": "r@example.com", "role": 1}]
        }]}
    });
    let id = app.create_dataset(&body).await["dataset_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ds = app.get(&format!("/datasets/{id}")).await.body;
    let w = &ds["workforce_descriptor"];
    assert_eq!(w["current_task_name"], "task-1");
    assert_eq!(w["repetition"], 3);
    assert_eq!(w["is_synchronize_data"], true);
    assert_eq!(w["workforce_name"], "team-a");
    assert_eq!(w["workers"][1]["email"], "r@example.com");
    // The team task exists; one labeler cannot cover repetition 3, so it waits created.
    let tasks = app
        .get(&format!("/datasets/{id}/workforce-tasks"))
        .await
        .body;
    assert_eq!(tasks["count"], 1, "{tasks}");
    assert_eq!(
        tasks["tasks"][0]["task_id"], w["current_task_id"],
        "{tasks} {w}"
    );
    assert_eq!(tasks["tasks"][0]["status"], 6, "{tasks}");
    assert_eq!(tasks["tasks"][0]["synchronize_data"], true, "{tasks}");
    assert_eq!(ds["workforce_task_count"], 1, "{ds}");
}

async fn a_taken_dataset_name_returns_409_modelarts_4351(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.mkdir("bkt/in").await;
    app.mkdir("bkt/out").await;
    app.create_dataset(&dataset_body("same", "/bkt/in/", "/bkt/out/"))
        .await;
    let r = app
        .post(
            "/datasets",
            &dataset_body("same", "/bkt/in/", "/bkt/out/other/"),
        )
        .await;
    assert_error(&r, 409, "ModelArts.4351");
    assert_eq!(app.dataset_count().await, 1);
    // Renaming onto a taken name is refused the same way, and changes nothing.
    let other = app
        .create_dataset(&dataset_body("other", "/bkt/in/", "/bkt/out/"))
        .await;
    let oid = other["dataset_id"].as_str().unwrap();
    let r = app
        .put(
            &format!("/datasets/{oid}"),
            &json!({"dataset_name": "same", "description": "x"}),
        )
        .await;
    assert_error(&r, 409, "ModelArts.4351");
    let ds = app.get(&format!("/datasets/{oid}")).await.body;
    assert_eq!(ds["dataset_name"], "other");
    assert_eq!(ds["description"], "");
    // Another project may use the name.
    let creds = app.create_project("second").await;
    let path = format!("/v2/{}/datasets", creds.project_id);
    let r = app
        .signed_as(
            &creds,
            Method::POST,
            &path,
            Some(&dataset_body("same", "/bkt/in/", "/bkt/out/")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

async fn table_datasets_import_only_when_asked(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.put_files("bkt/table", 3, "csv").await;
    app.mkdir("bkt/out").await;
    let mut body = dataset_body("table-no", "/bkt/table/", "/bkt/out/");
    body["dataset_type"] = json!(400);
    body["labels"] = json!([]);
    body["schema"] = json!([{"schema_id": 1, "name": "a", "type": "STRING"}]);
    let created = app.create_dataset(&body).await;
    assert!(created.get("import_task_id").is_none());
    let ds = app
        .get(&format!(
            "/datasets/{}",
            created["dataset_id"].as_str().unwrap()
        ))
        .await
        .body;
    assert_eq!(ds["total_sample_count"], 0);
    assert_eq!(ds["dataset_format"], 1);
    assert_eq!(ds["schema"][0]["name"], "a");
    body["dataset_name"] = json!("table-yes");
    body["import_data"] = json!(true);
    let created = app.create_dataset(&body).await;
    let ds = app
        .wait_for_dataset_status(created["dataset_id"].as_str().unwrap(), 1)
        .await;
    assert_eq!(ds["total_sample_count"], 3);
}

async fn every_dataset_type_is_created_with_labels_attributes_and_properties(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.mkdir("bkt/in").await;
    app.mkdir("bkt/out").await;
    let music = json!({
        "name": "music",
        "property": {"@modelarts:color": "#3399ff", "@modelarts:shortcut": "M"},
        "attributes": [
            {"name": "style", "type": "select", "default_value": "jazz",
             "values": [{"id": "1", "value": "jazz"}, {"id": "2", "value": "rock"}]},
            {"name": "artist", "type": "text"}
        ]
    });
    let cases = [
        (0, json!([music.clone()]), "Image classification"),
        (
            1,
            json!([{"name": "box", "property": {"@modelarts:default_shape": "bndbox"}}]),
            "Object detection",
        ),
        (3, json!([{"name": "road"}]), "Image segmentation"),
        (100, json!([music.clone()]), "Text classification"),
        (101, json!([{"name": "person"}]), "Named entity recognition"),
        (
            102,
            json!([
                {"name": "person", "type": 103},
                {"name": "city", "type": 103},
                {"name": "lives_in", "type": 102,
                 "property": {"@modelarts:from_type": "person", "@modelarts:to_type": "city"}}
            ]),
            "Text triplet",
        ),
        (200, json!([music.clone()]), "Sound classification"),
        (201, json!([{"name": "speech"}]), "Speech content"),
        (
            202,
            json!([{"name": "speaker-a"}]),
            "Speech paragraph labeling",
        ),
        (400, json!([]), "Table"),
        (600, json!([{"name": "car"}]), "Video labeling"),
        (
            900,
            json!([{"name": "anything", "type": 1}]),
            "Custom format",
        ),
    ];
    for (t, labels, tag) in cases {
        let mut body = dataset_body(&format!("type-{t}"), "/bkt/in/", &format!("/bkt/out/{t}/"));
        body["dataset_type"] = json!(t);
        body["labels"] = labels.clone();
        let id = app.create_dataset(&body).await["dataset_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let ds = app.get(&format!("/datasets/{id}")).await.body;
        assert_eq!(ds["dataset_type"], t);
        assert_eq!(ds["dataset_tags"][1], tag, "type {t}");
        let got = ds["labels"].as_array().unwrap();
        assert_eq!(got.len(), labels.as_array().unwrap().len(), "type {t}");
        for (sent, stored) in labels.as_array().unwrap().iter().zip(got) {
            assert_eq!(stored["name"], sent["name"]);
            assert!(stored["type"].is_i64(), "type {t}: every label has a type");
            if let Some(attrs) = sent.get("attributes") {
                assert_eq!(
                    &stored["attributes"], attrs,
                    "type {t}: attributes round-trip"
                );
            }
            if let Some(prop) = sent.get("property") {
                assert_eq!(&stored["property"], prop, "type {t}: properties round-trip");
            }
        }
    }
    assert_eq!(app.dataset_count().await, 12);
    // A label left without a type gets the dataset's own label type.
    let ds = app
        .get("/datasets?dataset_type=101&with_labels=true")
        .await
        .body;
    assert_eq!(ds["datasets"][0]["labels"][0]["type"], 101);
}
