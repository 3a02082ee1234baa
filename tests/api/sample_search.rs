//! The sample list's parameters and search conditions through HTTP: bad parameters
//! refused, team states empty without a team task, and each search condition (name,
//! directory, hard, labels, metadata, origin, coefficient, score, time, labeler)
//! filtering the list, several combining with AND.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_error, Backend, TestApp};
use crate::sample_helpers::{add, b64, enc, list, names};

both_backends!(
    sample_list_parameters_are_checked,
    search_conditions_filter_the_sample_list,
);

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
