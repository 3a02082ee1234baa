//! Samples and labels: adding, listing, relabeling, deleting, label changes reaching
//! samples, and statistics from counters.

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, Backend, TestApp};
use crate::{both_backends, every_store};

// These write, read or delete sample files: local storage and S3.
every_store!(
    samples_are_added_listed_relabeled_and_counted,
    a_bad_sample_in_a_batch_fails_alone,
    deleting_samples_removes_them_and_optionally_their_files,
    label_changes_reach_every_sample_carrying_the_label,
    sample_files_stream_with_their_content_type,
);
both_backends!(
    label_endpoints_refuse_bad_input,
    sample_list_parameters_are_checked,
    search_conditions_filter_the_sample_list,
    entity_spans_are_checked_against_the_sample_text,
);

pub(crate) fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn sample(name: &str, labels: Value) -> Value {
    json!({"name": name, "data": b64(&format!("bytes of {name}")), "labels": labels})
}

pub(crate) async fn add(app: &TestApp, id: &str, body: Value) -> Value {
    let r = app
        .post(&format!("/datasets/{id}/data-annotations/samples"), &body)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

pub(crate) async fn list(app: &TestApp, id: &str, query: &str) -> Value {
    let r = app
        .get(&format!("/datasets/{id}/data-annotations/samples?{query}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.body);
    r.body
}

/// The dataset's statistics, expecting 200.
pub(crate) async fn stats(app: &TestApp, id: &str) -> Value {
    let r = app
        .get(&format!("/datasets/{id}/data-annotations/stats"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

/// (count, sample_count) of a label in a statistics answer.
pub(crate) fn label_stat(stats: &Value, name: &str) -> (i64, i64) {
    let l = stats["label_stats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .unwrap();
    (
        l["count"].as_i64().unwrap(),
        l["sample_count"].as_i64().unwrap(),
    )
}

/// The sorted names of the samples a listing holds.
pub(crate) fn names(listing: &Value) -> Vec<String> {
    let mut n: Vec<String> = listing["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sample_name"].as_str().unwrap().to_owned())
        .collect();
    n.sort();
    n
}

fn ids(listing: &Value) -> Vec<String> {
    listing["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sample_id"].as_str().unwrap().to_owned())
        .collect()
}

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

async fn label_changes_reach_every_sample_carrying_the_label(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("zoo").await;
    app.wait_for_dataset_status(&id, 1).await;
    let labels = format!("/datasets/{id}/data-annotations/labels");
    // Create: one new, one duplicate (refused alone).
    let r = app.post(&labels, &json!({"labels": [{"name": "Ants", "property": {"@modelarts:color": "#00ff00"}}, {"name": "Bees"}]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["results"][0]["success"], true);
    assert_eq!(r.body["results"][1]["error_code"], "ModelArts.4411");
    let listed = app.get(&labels).await.body;
    assert_eq!(listed["total_number"], 3);
    assert_eq!(
        app.get(&format!("{labels}?limit=1&offset=2")).await.body["labels"][0]["name"],
        "Ants"
    );

    add(
        &app,
        &id,
        json!({"samples": [
            sample("1.jpg", json!([{"name": "Bees"}])),
            sample("2.jpg", json!([{"name": "Bees"}, {"name": "Ants"}])),
            sample("3.jpg", json!([{"name": "Rabbits"}])),
            sample("4.jpg", json!([{"name": "Ants"}])),
        ]}),
    )
    .await;
    // Rename in a batch: every sample follows.
    let r = app
        .put(
            &labels,
            &json!({"labels": [{"name": "Bees", "property": {"@modelarts:rename_to": "Wasps"}}]}),
        )
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);
    assert_eq!(list(&app, &id, "label_name=Wasps").await["sample_count"], 2);
    assert_eq!(list(&app, &id, "label_name=Bees").await["sample_count"], 0);
    assert_eq!(label_stat(&stats(&app, &id).await, "Wasps"), (2, 2));
    let one = list(&app, &id, "label_name=Wasps&order=asc&limit=1").await;
    assert_eq!(one["samples"][0]["labels"][0]["name"], "Wasps");

    // Update by name: properties change, 204.
    let r = app
        .put(
            &format!("{labels}/Ants"),
            &json!({"@modelarts:color": "#93c47d"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let ants = app.get(&labels).await.body["labels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "Ants")
        .unwrap()
        .clone();
    assert_eq!(ants["property"]["@modelarts:color"], "#93c47d");

    // Delete in a batch with policy 0: labels leave samples, samples stay.
    let r = app
        .post(
            &format!("{labels}/delete?delete_policy=0"),
            &json!({"labels": [{"name": "Rabbits"}]}),
        )
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);
    assert_eq!(list(&app, &id, "").await["sample_count"], 4);
    assert_eq!(
        list(&app, &id, "sample_state=__NONE__").await["sample_count"],
        1,
        "3.jpg lost its only label"
    );

    // Delete by name: samples carrying only that label go, with their files when asked.
    let r = app
        .delete(&format!("{labels}/Ants?delete_source=true"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(
        list(&app, &id, "").await["sample_count"],
        3,
        "4.jpg carried only Ants"
    );
    assert!(app.read_file("bkt/in/4.jpg").await.is_none());
    assert!(
        app.read_file("bkt/in/2.jpg").await.is_some(),
        "2.jpg also carries Wasps"
    );
    let s = stats(&app, &id).await;
    let names: Vec<&str> = s["label_stats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Wasps"]);
    assert_eq!(s["sample_stats"]["__ALL__"], 2);
    assert_eq!(s["sample_stats"]["__NONE__"], 1);
    let ds = app.get(&format!("/datasets/{id}")).await.body;
    assert_eq!(ds["total_sample_count"], 3);
    assert_eq!(ds["annotated_sample_count"], 2);
}

async fn label_endpoints_refuse_bad_input(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("rules").await;
    let labels = format!("/datasets/{id}/data-annotations/labels");
    let before = app.get(&labels).await.body;
    assert_error(
        &app.put(
            &format!("{labels}/Nope"),
            &json!({"@modelarts:color": "#000000"}),
        )
        .await,
        404,
        "ModelArts.4410",
    );
    assert_error(
        &app.delete(&format!("{labels}/Nope")).await,
        404,
        "ModelArts.4410",
    );
    assert_error(
        &app.delete(&format!("{labels}/Bees?label_type=1")).await,
        404,
        "ModelArts.4410",
    );
    assert_error(
        &app.delete(&format!("{labels}/Bees?label_type=7")).await,
        400,
        "ModelArts.0101",
    );
    assert_error(
        &app.delete(&format!("{labels}/Bees?delete_source=maybe"))
            .await,
        400,
        "ModelArts.0101",
    );
    assert_error(
        &app.put(
            &format!("{labels}/Bees"),
            &json!({"@modelarts:color": "blue"}),
        )
        .await,
        400,
        "ModelArts.0101",
    );
    assert_error(
        &app.post(
            &format!("{labels}/delete?delete_policy=3"),
            &json!({"labels": [{"name": "Bees"}]}),
        )
        .await,
        400,
        "ModelArts.0101",
    );
    assert_error(
        &app.post(&labels, &json!({"labels": "Bees"})).await,
        400,
        "ModelArts.0101",
    );
    assert_error(
        &app.post(&labels, &json!({"labels": [{"type": 0}]})).await,
        400,
        "ModelArts.0101",
    );
    assert_error(
        &app.get(&format!("{labels}?limit=0")).await,
        400,
        "ModelArts.0101",
    );
    let r = app
        .post(
            &labels,
            &json!({"labels": [{"name": "Box", "type": 1}, {"name": "bad\nname"}]}),
        )
        .await;
    assert_eq!(r.body["success"], false);
    assert!(
        r.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["error_code"] == "ModelArts.0101"),
        "{}",
        r.body
    );
    let r = app
        .put(
            &labels,
            &json!({"labels": [{"name": "Nope", "property": {}}]}),
        )
        .await;
    assert_eq!(r.body["results"][0]["error_code"], "ModelArts.4410");
    let r = app
        .post(
            &format!("{labels}/delete"),
            &json!({"labels": [{"name": "Nope"}]}),
        )
        .await;
    assert_eq!(r.body["results"][0]["error_code"], "ModelArts.4410");
    assert_eq!(app.get(&labels).await.body, before, "nothing changed");
    assert_error(
        &app.get("/datasets/abcdefghijklmnopqrs/data-annotations/labels")
            .await,
        404,
        "ModelArts.4352",
    );
}

async fn sample_list_parameters_are_checked(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("params").await;
    for q in [
        "limit=0",
        "limit=101",
        "offset=-1",
        "order=up",
        "sample_state=__SOME__",
        "label_type=7",
        "label_type=x",
        "preview=1",
    ] {
        let r = app
            .get(&format!("/datasets/{id}/data-annotations/samples?{q}"))
            .await;
        assert_error(&r, 400, "ModelArts.0101");
    }
    for q in [
        "sample_state=__ACCEPTED__",
        "sample_state=__UNREVIEWED__",
        "sample_state=__WORKFORCE_SAMPLED__",
    ] {
        let r = app
            .get(&format!("/datasets/{id}/data-annotations/samples?{q}"))
            .await;
        assert_eq!(
            r.body["sample_count"], 0,
            "{q}: no team task exists, so no sample is in a team state"
        );
    }
    assert_error(
        &app.get(&format!("/datasets/{id}/data-annotations/samples/nothex"))
            .await,
        404,
        "ModelArts.4420",
    );
    assert_error(
        &app.get(&format!(
            "/datasets/{id}/data-annotations/stats?sample_state=x"
        ))
        .await,
        400,
        "ModelArts.0101",
    );
}

/// Percent-encodes a JSON value for a query string.
pub(crate) fn enc(v: &Value) -> String {
    let mut out = String::new();
    for b in v.to_string().bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn search_conditions_filter_the_sample_list(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("search").await;
    app.wait_for_dataset_status(&id, 1).await;
    app.put_files("bkt/in/sub", 1, "jpg").await;
    add(&app, &id, json!({"samples": [
        {"name": "cat.jpg", "data": b64("c"), "labels": [{"name": "Rabbits", "score": 0.9}],
         "metadata": {"camera": "north", "@modelarts:import_origin": 1}},
        {"name": "dog.jpg", "data": b64("d"), "labels": [{"name": "Bees", "score": 0.3}, {"name": "Rabbits"}],
         "metadata": {"camera": "south", "@modelarts:hard": 1, "@modelarts:hard_coefficient": 0.7}},
        {"name": "owl.jpg", "data": b64("o"), "labels": [{"name": "Bees", "property": {"@modelarts:hard": "true"}}]},
        {"data_source": {"data_path": "/bkt/in/sub/0.jpg"}},
    ]}))
    .await;
    let search = |conds: Value| {
        let app = &app;
        let id = id.clone();
        async move { list(app, &id, &format!("search_conditions={}", enc(&conds))).await }
    };
    assert_eq!(
        names(&search(json!([{"sample_name": "dog.jpg"}])).await),
        ["dog.jpg"]
    );
    assert_eq!(
        names(&search(json!([{"sample_dir": "/bkt/in/sub/"}])).await),
        ["0.jpg"]
    );
    assert_eq!(
        names(&search(json!([{"sample_dir": "/bkt/in/"}])).await),
        ["cat.jpg", "dog.jpg", "owl.jpg"],
        "not recursive"
    );
    assert_eq!(
        names(&search(json!([{"hard": "1"}])).await),
        ["dog.jpg", "owl.jpg"]
    );
    assert_eq!(
        names(&search(json!([{"hard": "0"}])).await),
        ["0.jpg", "cat.jpg"]
    );
    let both =
        json!([{"label_list": {"op": "AND", "labels": [{"name": "Rabbits"}, {"name": "Bees"}]}}]);
    assert_eq!(names(&search(both).await), ["dog.jpg"]);
    let either =
        json!([{"label_list": {"op": "OR", "labels": [{"name": "Rabbits"}, {"name": "Bees"}]}}]);
    assert_eq!(
        names(&search(either).await),
        ["cat.jpg", "dog.jpg", "owl.jpg"]
    );
    assert_eq!(
        names(
            &search(json!([{"metadata": {"op": "OR", "props": {"camera": ["north", "east"]}}}]))
                .await
        ),
        ["cat.jpg"]
    );
    assert_eq!(
        names(&search(json!([{"metadata": {"props": {"camera": null}}}])).await),
        ["cat.jpg", "dog.jpg"]
    );
    assert_eq!(
        names(&search(json!([{"import_origin": "1"}])).await),
        ["cat.jpg"]
    );
    assert_eq!(
        names(&search(json!([{"coefficient": "0.5-0.8"}])).await),
        ["dog.jpg"]
    );
    assert_eq!(
        names(&search(json!([{"score": "0.5-1"}])).await),
        ["cat.jpg"]
    );
    assert_eq!(
        names(&search(json!([{"sample_time": "day"}])).await).len(),
        4
    );
    assert_eq!(
        names(&search(json!([{"sample_time": "20190901-20190915"}])).await).len(),
        0
    );
    assert_eq!(
        names(&search(json!([{"labeler": "someone@example.com"}])).await).len(),
        0
    );
    // Several conditions combine with AND.
    let and = json!([{"hard": "1"}, {"label_list": {"labels": [{"name": "Rabbits"}]}}]);
    assert_eq!(names(&search(and).await), ["dog.jpg"]);
    // Scores from the query string.
    assert_eq!(names(&list(&app, &id, "low_score=0.5").await), ["cat.jpg"]);
    assert_eq!(
        names(&list(&app, &id, "low_score=0.1&high_score=0.5").await),
        ["dog.jpg"]
    );
    // Honest refusal: no sample carries DICOM tags to search.
    let r = app
        .get(&format!(
            "/datasets/{id}/data-annotations/samples?search_conditions={}",
            enc(&json!([{"kvp": "5"}]))
        ))
        .await;
    assert_error(&r, 400, "ModelArts.0104");
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
