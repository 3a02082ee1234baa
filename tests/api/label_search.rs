//! Searching samples by label properties (`label_list` with `property` maps), by a
//! video frame's time and by `sample_type`; the property index follows relabels,
//! label renames and deletions, and sample deletions.

use labelhive_domain::ids::sample_id_for_path;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_error, Backend, TestApp};
use crate::sample_helpers::{add, b64, enc, list, names};

both_backends!(
    label_properties_filter_the_sample_list,
    quotes_backslashes_and_placeholders_in_values_are_kept_verbatim,
    frame_times_and_sample_types_filter_the_sample_list,
);

/// The names of the samples one `label_list` condition finds.
async fn find(app: &TestApp, id: &str, label_list: Value) -> Vec<String> {
    let conds = json!([{ "label_list": label_list }]);
    let found = list(
        app,
        id,
        &format!("limit=100&search_conditions={}", enc(&conds)),
    )
    .await;
    assert_eq!(
        found["sample_count"].as_u64().unwrap() as usize,
        names(&found).len(),
        "the count agrees with the page"
    );
    names(&found)
}

/// The names of the samples one label term finds.
async fn one(app: &TestApp, id: &str, term: Value) -> Vec<String> {
    find(app, id, json!({ "labels": [term] })).await
}

/// Every row of the label property index, in a stable order.
async fn index_rows(app: &TestApp) -> Vec<String> {
    use sqlx::Row;
    let pool = app.sql_pool().await;
    let rows = sqlx::query(
        "select sample_id, label_index, label_name, label_type, key, value from sample_label_props \
         order by sample_id, label_index, key",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows.iter()
        .map(|r| {
            format!(
                "{} {} {} {} {}={}",
                r.get::<String, _>(0),
                r.get::<i64, _>(1),
                r.get::<String, _>(2),
                r.get::<i64, _>(3),
                r.get::<String, _>(4),
                r.get::<String, _>(5)
            )
        })
        .collect()
}

async fn label_properties_filter_the_sample_list(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("props").await;
    app.wait_for_dataset_status(&id, 1).await;
    let labeled =
        |name: &str, labels: Value| json!({"name": name, "data": b64(name), "labels": labels});
    add(&app, &id, json!({"samples": [
        labeled("a.jpg", json!([{"name": "Rabbits", "property": {"color": "red", "size": 3}}])),
        labeled("b.jpg", json!([{"name": "Rabbits", "property": {"color": "blue"}}, {"name": "Bees", "property": {"size": 3}}])),
        labeled("c.jpg", json!([{"name": "Bees", "property": {"color": "red", "size": 4, "tags": ["x"]}}])),
        labeled("d.jpg", json!([{"name": "Rabbits"}])),
        labeled("f.jpg", json!([{"name": "Bees", "property": {"size": 3}}, {"name": "Rabbits", "property": {"color": "green", "size": 5, "tame": true}}])),
        json!({"name": "e.jpg", "data": b64("e")}),
    ]}))
    .await;

    assert_eq!(
        one(
            &app,
            &id,
            json!({"name": "Rabbits", "property": {"color": ["red"]}})
        )
        .await,
        ["a.jpg"]
    );
    assert_eq!(
        one(
            &app,
            &id,
            json!({"name": "Rabbits", "property": {"color": ["red", "blue"]}})
        )
        .await,
        ["a.jpg", "b.jpg"]
    );
    // Without a name, any label; numbers and booleans compare as their text.
    assert_eq!(
        one(&app, &id, json!({"property": {"color": ["red"]}})).await,
        ["a.jpg", "c.jpg"]
    );
    assert_eq!(
        one(&app, &id, json!({"property": {"tame": ["true"]}})).await,
        ["f.jpg"]
    );
    // AND: one label instance passes every test; b's color and size sit on two labels.
    assert_eq!(
        one(
            &app,
            &id,
            json!({"op": "AND", "property": {"color": ["red"], "size": ["3"]}})
        )
        .await,
        ["a.jpg"]
    );
    assert_eq!(
        one(
            &app,
            &id,
            json!({"property": {"color": ["blue"], "size": ["3"]}})
        )
        .await,
        Vec::<String>::new()
    );
    // OR: one of the tests.
    assert_eq!(
        one(
            &app,
            &id,
            json!({"op": "OR", "property": {"color": ["blue"], "size": ["4"]}})
        )
        .await,
        ["b.jpg", "c.jpg"]
    );
    // A null value list asks for the property whatever its value; lists are not indexed.
    assert_eq!(
        one(&app, &id, json!({"property": {"size": null}})).await,
        ["a.jpg", "b.jpg", "c.jpg", "f.jpg"]
    );
    assert_eq!(
        one(&app, &id, json!({"property": {"tags": null}})).await,
        Vec::<String>::new()
    );
    // Type narrows; terms with and without properties combine by the list's op.
    assert_eq!(
        one(
            &app,
            &id,
            json!({"type": 0, "property": {"color": ["red"]}})
        )
        .await,
        ["a.jpg", "c.jpg"]
    );
    assert!(one(
        &app,
        &id,
        json!({"type": 1, "property": {"color": ["red"]}})
    )
    .await
    .is_empty());
    let either = json!({"op": "OR", "labels": [
        {"name": "Bees", "property": {"size": ["4"]}},
        {"name": "Rabbits", "property": {"color": ["blue"]}}]});
    assert_eq!(find(&app, &id, either).await, ["b.jpg", "c.jpg"]);
    let both = json!({"op": "AND", "labels": [
        {"name": "Bees", "property": {"size": ["3"]}}, {"name": "Rabbits"}]});
    assert_eq!(find(&app, &id, both).await, ["b.jpg", "f.jpg"]);
    // Malformed maps are refused by field.
    for bad in [
        json!({"labels": [{"property": {"color": []}}]}),
        json!({"labels": [{"property": ["color"]}]}),
        json!({"labels": [{"property": {"color": "red"}}]}),
    ] {
        let r = app
            .get(&format!(
                "/datasets/{id}/data-annotations/samples?search_conditions={}",
                enc(&json!([{ "label_list": bad }]))
            ))
            .await;
        assert_error(&r, 400, "ModelArts.0101");
    }

    // A relabel replaces the sample's rows.
    let samples = format!("/datasets/{id}/data-annotations/samples");
    let b = sample_id_for_path("/bkt/in/b.jpg");
    let r = app
        .put(&samples, &json!({"samples": [{"sample_id": b, "labels": [{"name": "Rabbits", "property": {"color": "red"}}]}]}))
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);
    let red_rabbits = || json!({"name": "Rabbits", "property": {"color": ["red"]}});
    assert_eq!(one(&app, &id, red_rabbits()).await, ["a.jpg", "b.jpg"]);
    assert_eq!(
        one(
            &app,
            &id,
            json!({"name": "Bees", "property": {"size": ["3"]}})
        )
        .await,
        ["f.jpg"]
    );

    // A rename moves them to the new name.
    let labels = format!("/datasets/{id}/data-annotations/labels");
    let r = app
        .put(&labels, &json!({"labels": [{"name": "Rabbits", "property": {"@modelarts:rename_to": "Hares"}}]}))
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);
    assert!(one(&app, &id, red_rabbits()).await.is_empty());
    assert_eq!(
        one(
            &app,
            &id,
            json!({"name": "Hares", "property": {"color": ["red"]}})
        )
        .await,
        ["a.jpg", "b.jpg"]
    );

    // Deleting Bees from the samples (policy 0) shifts f's Hares to the first place:
    // its rows are rewritten there, and Bees' rows are gone.
    let r = app
        .post(
            &format!("{labels}/delete?delete_policy=0"),
            &json!({"labels": [{"name": "Bees"}]}),
        )
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);
    assert!(one(&app, &id, json!({"property": {"size": ["3", "4"]}}))
        .await
        .iter()
        .all(|n| n == "a.jpg"));
    assert_eq!(
        one(
            &app,
            &id,
            json!({"name": "Hares", "property": {"color": ["green"], "size": ["5"]}})
        )
        .await,
        ["f.jpg"]
    );

    // Deleting a sample deletes its rows.
    let a = sample_id_for_path("/bkt/in/a.jpg");
    let r = app
        .post(&format!("{samples}/delete"), &json!({"samples": [a]}))
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);
    let rows = index_rows(&app).await;
    assert!(rows.iter().all(|r| !r.starts_with(&a)), "{rows:?}");
    assert_eq!(rows.len(), 4, "b: color; f: color, size, tame: {rows:?}");
    // The index kept by every write equals what the migration derives from the labels.
    app.rerun_migration("0011_label_props.sql", "drop table sample_label_props")
        .await;
    assert_eq!(index_rows(&app).await, rows);
    assert_eq!(list(&app, &id, "").await["sample_count"], 5);
}

/// PostgreSQL writes a small write's statements as one query with the values written
/// in as literals (`literals.rs`): text that looks like SQL must stay text.
async fn quotes_backslashes_and_placeholders_in_values_are_kept_verbatim(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("quotes").await;
    app.wait_for_dataset_status(&id, 1).await;
    add(
        &app,
        &id,
        json!({"samples": [
            {"name": "q.jpg", "data": b64("q"), "labels": [{"name": "Rabbits"}]},
            {"name": "r.jpg", "data": b64("r")},
        ]}),
    )
    .await;
    let tricky = "it's \\ $1 $2'); drop table samples; -- E'\\x27' \"q\" $$ \n end";
    let q = sample_id_for_path("/bkt/in/q.jpg");
    let samples = format!("/datasets/{id}/data-annotations/samples");
    let labels = json!([{"name": "Rabbits", "property": {"note": tricky, "size": 2.5}}]);
    let r = app
        .put(
            &samples,
            &json!({"samples": [{"sample_id": q, "labels": labels}]}),
        )
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);

    let detail = app.get(&format!("{samples}/{q}")).await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
    let property = &detail.body["labels"][0]["property"];
    assert_eq!(property["note"], tricky, "{}", detail.body);
    assert_eq!(property["size"], 2.5, "{}", detail.body);
    assert_eq!(
        one(&app, &id, json!({"property": {"note": [tricky]}})).await,
        ["q.jpg"]
    );
    let rows = index_rows(&app).await;
    let row = format!("note={tricky}");
    assert!(
        rows.iter().any(|r| r.starts_with(&q) && r.ends_with(&row)),
        "{rows:?}"
    );
    assert_eq!(list(&app, &id, "").await["sample_count"], 2);
}

async fn frame_times_and_sample_types_filter_the_sample_list(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("frames").await;
    app.wait_for_dataset_status(&id, 1).await;
    add(&app, &id, json!({"samples": [
        {"name": "t1.jpg", "data": b64("1"), "metadata": {"@modelarts:time_in_video": 1.473722}},
        {"name": "t2.jpg", "data": b64("2"), "metadata": {"@modelarts:time_in_video": 8}},
        {"name": "x.jpg", "data": b64("3")},
    ]}))
    .await;
    let at = |t: &str| {
        let app = &app;
        let id = id.clone();
        let conds = json!([{ "time_in_video": t }]);
        async move { names(&list(app, &id, &format!("search_conditions={}", enc(&conds))).await) }
    };
    assert_eq!(at("1.473722").await, ["t1.jpg"]);
    assert_eq!(at("8").await, ["t2.jpg"]);
    assert!(at("2").await.is_empty());
    // An image dataset holds image samples (type 0) only.
    assert_eq!(list(&app, &id, "sample_type=0").await["sample_count"], 3);
    let text = list(&app, &id, "sample_type=1").await;
    assert_eq!(text["sample_count"], 0);
    assert!(names(&text).is_empty());
    let samples = format!("/datasets/{id}/data-annotations/samples");
    for bad in ["sample_type=3", "sample_type=x"] {
        assert_error(
            &app.get(&format!("{samples}?{bad}")).await,
            400,
            "ModelArts.0101",
        );
    }
    for (key, value) in [
        ("time_in_video", json!("00:01")),
        ("frame_in_video", json!(3)),
    ] {
        let conds = json!([{ key: value }]);
        let r = app
            .get(&format!("{samples}?search_conditions={}", enc(&conds)))
            .await;
        let code = if key == "time_in_video" {
            "ModelArts.0101"
        } else {
            "ModelArts.0104"
        };
        assert_error(&r, 400, code);
    }
    assert_eq!(app.get(&samples).await.status, StatusCode::OK);
}
