//! Dataset labels through HTTP: creating, listing, renaming, updating and deleting
//! labels, each change reaching every sample carrying the label and the statistics,
//! and the label endpoints refusing bad input while changing nothing.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, Backend, TestApp};
use crate::sample_helpers::{add, label_stat, list, names, sample, stats};
use crate::{both_backends, every_store};

// This deletes sample files: local storage and S3.
every_store!(label_changes_reach_every_sample_carrying_the_label);
both_backends!(label_endpoints_refuse_bad_input);

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
    // Its row went too, not only its counters.
    assert_eq!(
        names(&list(&app, &id, "").await),
        ["1.jpg", "2.jpg", "3.jpg"]
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
