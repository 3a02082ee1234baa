//! Samples through HTTP: adding, listing, relabeling and counting, a bad sample in a
//! batch failing alone, deleting samples with or without their files, streaming a
//! sample's file, and entity spans checked against the sample's text.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, Backend, TestApp};
use crate::sample_helpers::{add, b64, ids, label_stat, list, sample, stats};
use crate::{both_backends, every_store};

// These write, read or delete sample files: local storage and S3.
every_store!(
    samples_are_added_listed_relabeled_and_counted,
    a_bad_sample_in_a_batch_fails_alone,
    deleting_samples_removes_them_and_optionally_their_files,
    sample_files_stream_with_their_content_type,
);
both_backends!(entity_spans_are_checked_against_the_sample_text);

async fn samples_are_added_listed_relabeled_and_counted(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("pets").await;
    app.wait_for_dataset_status(&id, 1).await;
    let r = add(
        &app,
        &id,
        json!({"samples": [
            sample("a.jpg", json!([{"name": "Rabbits"}])),
            sample("b.jpg", json!([{"name": "Rabbits"}, {"name": "Bees"}])),
            sample("c.jpg", json!([])),
        ]}),
    )
    .await;
    assert_eq!(r["success"], true, "{r}");
    assert_eq!(r["results"].as_array().unwrap().len(), 3);
    // The bytes are stored under the dataset's input path.
    assert_eq!(
        app.read_file("bkt/in/a.jpg").await.unwrap(),
        b"bytes of a.jpg"
    );

    let all = list(&app, &id, "").await;
    assert_eq!(all["sample_count"], 3);
    let labeled = list(&app, &id, "sample_state=__ALL__").await;
    assert_eq!(labeled["sample_count"], 2);
    let unlabeled = list(&app, &id, "sample_state=__NONE__").await;
    assert_eq!(unlabeled["sample_count"], 1);
    assert_eq!(unlabeled["samples"][0]["sample_name"], "c.jpg");
    let bees = list(&app, &id, "label_name=Bees").await;
    assert_eq!(bees["sample_count"], 1);
    assert_eq!(bees["samples"][0]["sample_name"], "b.jpg");
    assert_eq!(list(&app, &id, "label_type=0").await["sample_count"], 2);
    assert_eq!(list(&app, &id, "label_type=1").await["sample_count"], 0);
    let asc = list(&app, &id, "order=asc&limit=2").await;
    let desc = list(&app, &id, "order=desc&limit=2").await;
    assert_eq!(asc["samples"].as_array().unwrap().len(), 2);
    assert_ne!(ids(&asc), ids(&desc));
    let second_page = list(&app, &id, "order=asc&limit=2&offset=1").await;
    assert_eq!(second_page["samples"].as_array().unwrap().len(), 1);

    let s = stats(&app, &id).await;
    assert_eq!(s["sample_stats"]["__ALL__"], 2);
    assert_eq!(s["sample_stats"]["__NONE__"], 1);
    assert_eq!(label_stat(&s, "Rabbits"), (2, 2));
    assert_eq!(label_stat(&s, "Bees"), (1, 1));
    let ds = app.get(&format!("/datasets/{id}")).await.body;
    assert_eq!(
        (
            ds["total_sample_count"].as_i64(),
            ds["annotated_sample_count"].as_i64()
        ),
        (Some(3), Some(2))
    );

    // Details.
    let c_id = unlabeled["samples"][0]["sample_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let d = app
        .get(&format!("/datasets/{id}/data-annotations/samples/{c_id}"))
        .await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(d.body["sample_dir"], "/bkt/in/");
    assert_eq!(d.body["source"], "/bkt/in/c.jpg");
    assert_eq!(d.body["sample_type"], 0);

    // The new list replaces the old; an empty list clears.
    let b_id = bees["samples"][0]["sample_id"].as_str().unwrap().to_owned();
    let r = app
        .put(
            &format!("/datasets/{id}/data-annotations/samples"),
            &json!({"samples": [
                {"sample_id": c_id, "labels": [{"name": "Bees"}, {"name": "Bees"}]},
                {"sample_id": b_id, "labels": []}
            ]}),
        )
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);
    let s = stats(&app, &id).await;
    assert_eq!(label_stat(&s, "Bees"), (2, 1));
    assert_eq!(label_stat(&s, "Rabbits"), (1, 1));
    assert_eq!(s["sample_stats"]["__ALL__"], 2);
    assert_eq!(s["sample_stats"]["__NONE__"], 1);
    let d = app
        .get(&format!("/datasets/{id}/data-annotations/samples/{c_id}"))
        .await
        .body;
    assert_eq!(d["labels"].as_array().unwrap().len(), 2);
    assert_eq!(
        d["labels"][0]["type"], 0,
        "the type is filled from the dataset's label"
    );

    // final_annotation=false puts labels up for confirmation.
    add(&app, &id, json!({"final_annotation": false, "samples": [sample("d.jpg", json!([{"name": "Rabbits"}]))]})).await;
    assert_eq!(
        list(&app, &id, "sample_state=__AUTO_ANNOTATION__").await["sample_count"],
        1
    );
    assert_eq!(
        stats(&app, &id).await["sample_stats"]["__AUTO_ANNOTATION__"],
        1
    );

    // Adding the same file again is one sample, relabeled.
    add(
        &app,
        &id,
        json!({"samples": [sample("a.jpg", json!([{"name": "Bees"}]))]}),
    )
    .await;
    assert_eq!(list(&app, &id, "").await["sample_count"], 4);
    let s = stats(&app, &id).await;
    assert_eq!(label_stat(&s, "Rabbits"), (1, 1));
}

async fn a_bad_sample_in_a_batch_fails_alone(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("strict").await;
    app.wait_for_dataset_status(&id, 1).await;
    let r = add(
        &app,
        &id,
        json!({"samples": [
            sample("ok.jpg", json!([{"name": "Rabbits"}])),
            sample("bad.jpg", json!([{"name": "Unicorns"}])),
            {"name": "nodata.jpg"},
            {"name": "bad<name>.jpg", "data": b64("x")},
            {"name": "notb64.jpg", "data": "!!!"},
            sample("wrongtype.jpg", json!([{"name": "Rabbits", "type": 1}])),
            sample("score.jpg", json!([{"name": "Rabbits", "score": 1.5}])),
            {"name": "escape.jpg", "data_source": {"data_path": "/bkt/../etc/passwd"}},
            {"data_source": {"data_path": "/bkt/in/missing.jpg"}},
        ]}),
    )
    .await;
    assert_eq!(r["success"], false);
    let results = r["results"].as_array().unwrap();
    assert_eq!(results.len(), 9);
    assert_eq!(results[0]["success"], true, "{r}");
    for (i, code) in [
        (1, "ModelArts.0101"),
        (2, "ModelArts.0101"),
        (3, "ModelArts.0101"),
        (4, "ModelArts.0101"),
        (5, "ModelArts.0101"),
        (6, "ModelArts.0101"),
        (7, "ModelArts.4313"),
        (8, "ModelArts.3551"),
    ] {
        assert_eq!(results[i]["success"], false, "item {i}: {r}");
        assert_eq!(results[i]["error_code"], code, "item {i}: {r}");
    }
    assert_eq!(
        list(&app, &id, "").await["sample_count"],
        1,
        "only the good sample"
    );
    assert!(
        app.read_file("bkt/in/bad.jpg").await.is_none(),
        "a refused sample's bytes are not stored"
    );
    // Relabeling: unknown ids and bad labels fail alone too.
    let good = ids(&list(&app, &id, "").await)[0].clone();
    let r = app
        .put(
            &format!("/datasets/{id}/data-annotations/samples"),
            &json!({"samples": [
                {"sample_id": good, "labels": [{"name": "Bees"}]},
                {"sample_id": "0123456789abcdef0123456789abcdef", "labels": []},
                {"sample_id": good, "labels": [{"name": "Nope"}]}
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let res = r.body["results"].as_array().unwrap();
    assert_eq!(
        (
            res[0]["success"].clone(),
            res[1]["error_code"].clone(),
            res[2]["error_code"].clone()
        ),
        (
            json!(true),
            json!("ModelArts.4420"),
            json!("ModelArts.0101")
        )
    );
    let s = stats(&app, &id).await;
    assert_eq!(label_stat(&s, "Bees"), (1, 1));
    assert_eq!(label_stat(&s, "Rabbits"), (0, 0));
    // Whole-request problems.
    let path = format!("/datasets/{id}/data-annotations/samples");
    assert_error(
        &app.post(&path, &json!({"samples": []})).await,
        400,
        "ModelArts.0101",
    );
    assert_error(
        &app.post(&path, &json!({"samples": "x"})).await,
        400,
        "ModelArts.0101",
    );
    let many: Vec<Value> = (0..1001)
        .map(|i| json!({"name": format!("{i}.jpg"), "data": "eA=="}))
        .collect();
    assert_error(
        &app.post(&path, &json!({"samples": many})).await,
        400,
        "ModelArts.0101",
    );
    assert_eq!(
        list(&app, &id, "").await["sample_count"],
        1,
        "nothing changed"
    );
}

async fn deleting_samples_removes_them_and_optionally_their_files(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("trash").await;
    app.wait_for_dataset_status(&id, 1).await;
    add(
        &app,
        &id,
        json!({"samples": [
            sample("keep.jpg", json!([{"name": "Rabbits"}])),
            sample("drop.jpg", json!([{"name": "Rabbits"}])),
            sample("purge.jpg", json!([])),
        ]}),
    )
    .await;
    let by_name = |l: &Value, n: &str| -> String {
        l["samples"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["sample_name"] == n)
            .unwrap()["sample_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let all = list(&app, &id, "").await;
    let (drop_id, purge_id) = (by_name(&all, "drop.jpg"), by_name(&all, "purge.jpg"));
    let path = format!("/datasets/{id}/data-annotations/samples/delete");
    let r = app
        .post(
            &path,
            &json!({"samples": [drop_id, "0123456789abcdef0123456789abcdef"]}),
        )
        .await;
    assert_eq!(r.body["results"][0]["success"], true, "{}", r.body);
    assert_eq!(r.body["results"][1]["error_code"], "ModelArts.4420");
    assert!(
        app.read_file("bkt/in/drop.jpg").await.is_some(),
        "files stay by default"
    );
    let r = app
        .post(
            &path,
            &json!({"samples": [purge_id], "delete_source": true}),
        )
        .await;
    assert_eq!(r.body["success"], true);
    assert!(
        app.read_file("bkt/in/purge.jpg").await.is_none(),
        "delete_source removes the file"
    );
    assert_eq!(list(&app, &id, "").await["sample_count"], 1);
    let s = stats(&app, &id).await;
    assert_eq!(label_stat(&s, "Rabbits"), (1, 1));
    assert_eq!(s["sample_stats"]["__ALL__"], 1);
    assert!(s["sample_stats"].get("__NONE__").is_none());
    let ds = app.get(&format!("/datasets/{id}")).await.body;
    assert_eq!(ds["total_sample_count"], 1);
    assert_eq!(ds["deleted_sample_count"], 2);
    assert_error(
        &app.get(&format!(
            "/datasets/{id}/data-annotations/samples/{purge_id}"
        ))
        .await,
        404,
        "ModelArts.4420",
    );
    assert_error(
        &app.post(&path, &json!({"samples": 5})).await,
        400,
        "ModelArts.0101",
    );
}

async fn sample_files_stream_with_their_content_type(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("files").await;
    app.wait_for_dataset_status(&id, 1).await;
    let big: String = "x".repeat(3 * 1024 * 1024);
    add(
        &app,
        &id,
        json!({"samples": [{"name": "big.png", "data": b64(&big)}]}),
    )
    .await;
    let sid = ids(&list(&app, &id, "").await)[0].clone();
    let path = format!(
        "/files/{}/datasets/{id}/samples/{sid}",
        app.creds.project_id
    );
    let r = app.signed(reqwest::Method::GET, &path, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "image/png");
    assert_eq!(r.body.as_str().map(str::len), Some(big.len()));
    let token = app.token(&app.creds.clone()).await;
    let r = app
        .raw(
            reqwest::Method::GET,
            &path,
            &[("x-auth-token", &token)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Unauthenticated, another project, unknown sample, file gone.
    assert_error(
        &app.raw(reqwest::Method::GET, &path, &[], None).await,
        401,
        "ModelArts.0205",
    );
    let other = app.create_project("other").await;
    assert_error(
        &app.signed_as(&other, reqwest::Method::GET, &path, None)
            .await,
        403,
        "ModelArts.0210",
    );
    let unknown = format!(
        "/files/{}/datasets/{id}/samples/0123456789abcdef0123456789abcdef",
        app.creds.project_id
    );
    assert_error(
        &app.signed(reqwest::Method::GET, &unknown, None).await,
        404,
        "ModelArts.4420",
    );
    app.remove_file("bkt/in/big.png").await;
    assert_error(
        &app.signed(reqwest::Method::GET, &path, None).await,
        404,
        "ModelArts.4420",
    );
}

async fn entity_spans_are_checked_against_the_sample_text(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.mkdir("bkt/text").await;
    app.mkdir("bkt/out").await;
    let mut body = crate::helpers::dataset_body("ner", "/bkt/text/", "/bkt/out/");
    body["dataset_type"] = json!(101);
    body["labels"] = json!([{"name": "person"}]);
    let id = app.create_dataset(&body).await["dataset_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.wait_for_dataset_status(&id, 1).await;
    let span = |s: i64, e: i64| json!([{"name": "person", "property": {"@modelarts:start_index": s, "@modelarts:end_index": e}}]);
    let r = add(
        &app,
        &id,
        json!({"samples": [
            {"name": "a.txt", "data": b64("Hope is the thing with feathers"), "labels": span(0, 4)},
            {"name": "b.txt", "data": b64("Née"), "labels": span(0, 4)},
            {"name": "c.txt", "data": b64("short"), "labels": span(3, 2)},
        ]}),
    )
    .await;
    let res = r["results"].as_array().unwrap();
    assert_eq!(res[0]["success"], true, "{r}");
    assert_eq!(
        res[1]["error_code"], "ModelArts.0101",
        "a span past the text (3 characters): {r}"
    );
    assert_eq!(
        res[2]["error_code"], "ModelArts.0101",
        "start after end: {r}"
    );
    let sid = ids(&list(&app, &id, "").await)[0].clone();
    let r = app
        .put(
            &format!("/datasets/{id}/data-annotations/samples"),
            &json!({"samples": [{"sample_id": sid, "labels": span(10, 99)}]}),
        )
        .await;
    assert_eq!(
        r.body["results"][0]["error_code"], "ModelArts.0101",
        "relabel checks the stored text: {}",
        r.body
    );
    let r = app
        .put(
            &format!("/datasets/{id}/data-annotations/samples"),
            &json!({"samples": [{"sample_id": sid, "labels": span(8, 17)}]}),
        )
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);
    let d = app
        .get(&format!("/datasets/{id}/data-annotations/samples/{sid}"))
        .await
        .body;
    assert_eq!(d["labels"][0]["property"]["@modelarts:end_index"], 17);
}
