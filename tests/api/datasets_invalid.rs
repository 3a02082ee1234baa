//! Dataset endpoints: bad input gets a clear ModelArts error and changes nothing.

use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_error, dataset_body, files_under, sdk_date_now, Backend, TestApp};

both_backends!(
    bad_create_bodies_are_refused_and_change_nothing,
    malformed_and_empty_bodies_are_refused,
    bad_list_parameters_are_refused,
    bad_updates_are_refused_and_change_nothing,
    unknown_and_malformed_dataset_ids_are_404,
    oversized_bodies_get_413,
    bad_metrics_queries_are_refused,
);

fn with(mut body: Value, key: &str, value: Value) -> Value {
    body[key] = value;
    body
}

async fn bad_create_bodies_are_refused_and_change_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.put_files("bkt/in", 3, "jpg").await;
    app.mkdir("bkt/out").await;
    let base = dataset_body("ok-name", "/bkt/in/", "/bkt/out/");
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "name with a space",
            with(base.clone(), "dataset_name", json!("bad name")),
            400,
            "ModelArts.0101",
        ),
        (
            "name with a dot",
            with(base.clone(), "dataset_name", json!("a.b")),
            400,
            "ModelArts.0101",
        ),
        (
            "empty name",
            with(base.clone(), "dataset_name", json!("")),
            400,
            "ModelArts.0101",
        ),
        (
            "101-character name",
            with(base.clone(), "dataset_name", json!("a".repeat(101))),
            400,
            "ModelArts.0101",
        ),
        (
            "name of wrong type",
            with(base.clone(), "dataset_name", json!(7)),
            400,
            "ModelArts.0101",
        ),
        (
            "description with <",
            with(base.clone(), "description", json!("a<b")),
            400,
            "ModelArts.0101",
        ),
        (
            "257-character description",
            with(base.clone(), "description", json!("d".repeat(257))),
            400,
            "ModelArts.0101",
        ),
        (
            "unknown dataset_type",
            with(base.clone(), "dataset_type", json!(7)),
            400,
            "ModelArts.0101",
        ),
        (
            "dataset_type of wrong type",
            with(base.clone(), "dataset_type", json!("zero")),
            400,
            "ModelArts.0101",
        ),
        (
            "missing data_sources",
            {
                let mut b = base.clone();
                b.as_object_mut().unwrap().remove("data_sources");
                b
            },
            400,
            "ModelArts.0101",
        ),
        (
            "two data sources",
            with(
                base.clone(),
                "data_sources",
                json!([{"data_path": "/bkt/in/"}, {"data_path": "/bkt/in/"}]),
            ),
            400,
            "ModelArts.0101",
        ),
        (
            "no data source",
            with(base.clone(), "data_sources", json!([])),
            400,
            "ModelArts.0101",
        ),
        (
            "DLI data source",
            with(
                base.clone(),
                "data_sources",
                json!([{"data_type": 2, "data_path": "/bkt/in/"}]),
            ),
            400,
            "ModelArts.0104",
        ),
        (
            "input escaping the store",
            with(
                base.clone(),
                "data_sources",
                json!([{"data_path": "/bkt/../../etc/"}]),
            ),
            400,
            "ModelArts.4313",
        ),
        (
            "work path escaping the store",
            with(base.clone(), "work_path", json!("/bkt/out/../../../tmp/")),
            400,
            "ModelArts.4313",
        ),
        (
            "relative work path",
            with(base.clone(), "work_path", json!("bkt/out/")),
            400,
            "ModelArts.4313",
        ),
        (
            "work path with //",
            with(base.clone(), "work_path", json!("/bkt//out/")),
            400,
            "ModelArts.4313",
        ),
        (
            "work path is a bucket",
            with(base.clone(), "work_path", json!("/bkt/")),
            400,
            "ModelArts.4205",
        ),
        (
            "input is a bucket",
            with(base.clone(), "data_sources", json!([{"data_path": "/bkt"}])),
            400,
            "ModelArts.4205",
        ),
        (
            "unknown input bucket",
            with(
                base.clone(),
                "data_sources",
                json!([{"data_path": "/nobucket/in/"}]),
            ),
            400,
            "ModelArts.4311",
        ),
        (
            "unknown work bucket",
            with(base.clone(), "work_path", json!("/nobucket/out/")),
            400,
            "ModelArts.4311",
        ),
        (
            "work path inside the input",
            with(base.clone(), "work_path", json!("/bkt/in/out/")),
            400,
            "ModelArts.0101",
        ),
        (
            "work path equal to the input",
            with(base.clone(), "work_path", json!("/bkt/in/")),
            400,
            "ModelArts.0101",
        ),
        (
            "work path over 700 characters",
            with(
                base.clone(),
                "work_path",
                json!(format!("/bkt/{}/", "a/".repeat(350))),
            ),
            400,
            "ModelArts.0101",
        ),
        (
            "work_path_type 1",
            with(base.clone(), "work_path_type", json!(1)),
            400,
            "ModelArts.0101",
        ),
        (
            "label of the wrong type",
            with(base.clone(), "labels", json!([{"name": "a", "type": 1}])),
            400,
            "ModelArts.0101",
        ),
        (
            "label without a name",
            with(base.clone(), "labels", json!([{"type": 0}])),
            400,
            "ModelArts.0101",
        ),
        (
            "duplicate labels",
            with(
                base.clone(),
                "labels",
                json!([{"name": "a"}, {"name": "a"}]),
            ),
            400,
            "ModelArts.0101",
        ),
        (
            "bad label color",
            with(
                base.clone(),
                "labels",
                json!([{"name": "a", "property": {"@modelarts:color": "red"}}]),
            ),
            400,
            "ModelArts.0101",
        ),
        (
            "labels of wrong type",
            with(base.clone(), "labels", json!({"name": "a"})),
            400,
            "ModelArts.0101",
        ),
        (
            "bad attribute type",
            with(
                base.clone(),
                "labels",
                json!([{"name": "a", "attributes": [{"name": "x", "type": "number"}]}]),
            ),
            400,
            "ModelArts.0101",
        ),
        (
            "bad data_format",
            with(base.clone(), "data_format", json!("Parquet")),
            400,
            "ModelArts.0101",
        ),
        (
            "bad separator",
            with(
                base.clone(),
                "label_format",
                json!({"text_label_separator": ",,"}),
            ),
            400,
            "ModelArts.0101",
        ),
        (
            "bad team task name",
            with(
                base.clone(),
                "workforce_information",
                json!({"task_name": "bad name"}),
            ),
            400,
            "ModelArts.0101",
        ),
        (
            "team task without a name",
            with(
                base.clone(),
                "workforce_information",
                json!({"repetition": 1}),
            ),
            400,
            "ModelArts.0101",
        ),
        (
            "repetition 0",
            with(
                base.clone(),
                "workforce_information",
                json!({"task_name": "t", "repetition": 0}),
            ),
            400,
            "ModelArts.0101",
        ),
        (
            "bad worker email",
            with(
                base.clone(),
                "workforce_information",
                json!({"task_name": "t", "workforces_config": {"workforces": [{"workers": [{"email": "nope"}]}]}}),
            ),
            400,
            "ModelArts.0101",
        ),
        (
            "bad worker role",
            with(
                base.clone(),
                "workforce_information",
                json!({"task_name": "t", "workforces_config": {"workforces": [{"workers": [{"email": "a@b.co", "role": 9}]}]}}),
            ),
            400,
            "ModelArts.0101",
        ),
    ];
    let files_before = files_under(&app.obs());
    for (what, body, status, code) in cases {
        let r = app.post("/datasets", &body).await;
        assert_eq!(r.status.as_u16(), status, "{what}: {}", r.body);
        assert_eq!(r.body["error_code"], code, "{what}: {}", r.body);
    }
    assert_eq!(app.dataset_count().await, 0, "nothing was created");
    assert_eq!(files_under(&app.obs()), files_before, "nothing was written");
}

async fn malformed_and_empty_bodies_are_refused(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let creds = app.creds.clone();
    let path = app.v2("/datasets");
    let date = sdk_date_now();
    let r = app
        .send_signed(
            &creds,
            Method::POST,
            &path,
            b"{\"dataset_name\": ".to_vec(),
            &date,
        )
        .await;
    assert_error(&r, 400, "ModelArts.4105");
    let r = app
        .send_signed(&creds, Method::POST, &path, b"not json".to_vec(), &date)
        .await;
    assert_error(&r, 400, "ModelArts.4105");
    let r = app
        .send_signed(&creds, Method::POST, &path, Vec::new(), &date)
        .await;
    assert_error(&r, 400, "ModelArts.4202");
    let r = app
        .send_signed(&creds, Method::POST, &path, b"[1, 2]".to_vec(), &date)
        .await;
    assert_error(&r, 400, "ModelArts.0101");
    assert_eq!(app.dataset_count().await, 0);
}

async fn bad_list_parameters_are_refused(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("order=up", "order"),
        ("sort_by=size", "sort_by"),
        ("dataset_type=7", "dataset_type"),
        ("dataset_type=x", "dataset_type"),
        ("with_labels=yes", "with_labels"),
        ("file_preview=1", "file_preview"),
        ("check_running_task=maybe", "check_running_task"),
        ("running_task_type=8", "running_task_type"),
        ("contain_versions=no", "contain_versions"),
        ("support_export=2", "support_export"),
        ("version_format=3", "version_format"),
        ("train_evaluate_ratio=0.5", "train_evaluate_ratio"),
        ("train_evaluate_ratio=0.9,0.1", "train_evaluate_ratio"),
        ("train_evaluate_ratio=0,2", "train_evaluate_ratio"),
        ("dataset_version=v3", "dataset_version"),
    ] {
        let r = app.get(&format!("/datasets?{query}")).await;
        assert_error(&r, 400, "ModelArts.0101");
        assert!(
            r.body["error_msg"].as_str().unwrap().contains(field),
            "{query}: {}",
            r.body
        );
    }
}

async fn bad_updates_are_refused_and_change_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("stable").await;
    let before = app.wait_for_dataset_status(&id, 1).await;
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "bad name",
            json!({"dataset_name": "no spaces allowed"}),
            400,
            "ModelArts.0101",
        ),
        (
            "bad description",
            json!({"description": "x & y"}),
            400,
            "ModelArts.0101",
        ),
        (
            "name of wrong type",
            json!({"dataset_name": ["a"]}),
            400,
            "ModelArts.0101",
        ),
        (
            "delete an unknown label",
            json!({"description": "changed", "delete_labels": [{"name": "Nope"}]}),
            404,
            "ModelArts.4410",
        ),
        (
            "update an unknown label",
            json!({"update_labels": [{"name": "Nope", "property": {}}]}),
            404,
            "ModelArts.4410",
        ),
        (
            "add an existing label",
            json!({"description": "changed", "add_labels": [{"name": "Bees"}]}),
            409,
            "ModelArts.4411",
        ),
        (
            "rename onto an existing label",
            json!({"update_labels": [{"name": "Bees", "property": {"@modelarts:rename_to": "Rabbits"}}]}),
            409,
            "ModelArts.4411",
        ),
        (
            "add a label of the wrong type",
            json!({"add_labels": [{"name": "Box", "type": 1}]}),
            400,
            "ModelArts.0101",
        ),
        (
            "unknown current version",
            json!({"current_version_id": "abcdefghijklmnopqrs"}),
            404,
            "ModelArts.4353",
        ),
        (
            "malformed current version",
            json!({"current_version_id": "v1"}),
            404,
            "ModelArts.4353",
        ),
    ];
    for (what, body, status, code) in cases {
        let r = app.put(&format!("/datasets/{id}"), &body).await;
        assert_eq!(r.status.as_u16(), status, "{what}: {}", r.body);
        assert_eq!(r.body["error_code"], code, "{what}: {}", r.body);
    }
    let after = app.get(&format!("/datasets/{id}")).await.body;
    assert_eq!(after, before, "a refused update changes nothing");
}

async fn unknown_and_malformed_dataset_ids_are_404(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    for id in [
        "abcdefghijklmnopqrs",
        "short",
        "has-a-dash-in-it-xx",
        "'%20or%201=1",
    ] {
        assert_error(
            &app.get(&format!("/datasets/{id}")).await,
            404,
            "ModelArts.4352",
        );
        assert_error(
            &app.put(&format!("/datasets/{id}"), &json!({"description": "x"}))
                .await,
            404,
            "ModelArts.4352",
        );
        assert_error(
            &app.delete(&format!("/datasets/{id}")).await,
            404,
            "ModelArts.4352",
        );
        assert_error(
            &app.get(&format!("/datasets/{id}/metrics?start_time=0&end_time=1"))
                .await,
            404,
            "ModelArts.4352",
        );
    }
    assert_error(&app.get("/no-such-resource").await, 404, "ModelArts.4201");
}

async fn oversized_bodies_get_413(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |c| c.max_body_bytes = 4096).await else {
        return;
    };
    app.mkdir("bkt/in").await;
    app.mkdir("bkt/out").await;
    let body = with(
        dataset_body("big", "/bkt/in/", "/bkt/out/"),
        "description",
        json!("x".repeat(10_000)),
    );
    assert_error(&app.post("/datasets", &body).await, 413, "ModelArts.4202");
    assert_eq!(app.dataset_count().await, 0);
}

async fn bad_metrics_queries_are_refused(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("m").await;
    for q in [
        "",
        "start_time=1",
        "end_time=1",
        "start_time=x&end_time=1",
        "start_time=5&end_time=1",
    ] {
        assert_error(
            &app.get(&format!("/datasets/{id}/metrics?{q}")).await,
            400,
            "ModelArts.0101",
        );
    }
    let r = app
        .get(&format!(
            "/datasets/{id}/metrics?start_time=0&end_time=1&workforce_task_id=abcdefghijklmnopqrs"
        ))
        .await;
    assert_error(&r, 404, "ModelArts.4338");
}
