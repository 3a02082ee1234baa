//! Dataset statistics: state, hard example, hard reason and metadata counters follow
//! every add, relabel and delete.

use base64::Engine;
use labelhive_domain::ids::sample_id_for_path;
use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::sample_helpers::{label_stat, stats};

both_backends!(statistics_follow_hard_examples_reasons_and_metadata);

async fn statistics_follow_hard_examples_reasons_and_metadata(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("stats").await;
    app.wait_for_dataset_status(&id, 1).await;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let samples = format!("/datasets/{id}/data-annotations/samples");
    let r = app
        .post(
            &samples,
            &json!({"samples": [
                {"name": "a.jpg", "data": b64("a"), "labels": [{"name": "Bees"}],
                 "metadata": {"camera": "south", "@modelarts:hard": 1, "@modelarts:hard_reasons": [3, 20]}},
                {"name": "b.jpg", "data": b64("b"),
                 "labels": [{"name": "Bees", "property": {"@modelarts:hard": "true", "@modelarts:hard_reasons": "3-7"}}]},
                {"name": "c.jpg", "data": b64("c"), "metadata": {"camera": "north"}},
            ]}),
        )
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);
    let s = stats(&app, &id).await;
    assert_eq!(
        s["key_sample_stats"],
        json!({"total": 3, "key_sample": 2, "non_key_sample": 1})
    );
    assert_eq!(s["hard_detail_stats"]["3"]["key"], 2, "{s}");
    assert_eq!(s["hard_detail_stats"]["3"]["value"]["id"], 3);
    assert_eq!(
        s["hard_detail_stats"]["3"]["value"]["reason"],
        "The prediction result is greatly different from the data of the same type in the training dataset."
    );
    assert_eq!(s["hard_detail_stats"]["20"]["key"], 1);
    assert_eq!(s["hard_detail_stats"]["7"]["key"], 1);
    assert_eq!(s["metadata_stats"]["camera"], 2);
    assert_eq!(s["metadata_stats"]["@modelarts:hard"], 1);
    let summary = &s["sample_stats"];
    assert_eq!(
        (
            &summary["total"],
            &summary["un_annotation"],
            &summary["manual_annotation"],
            &summary["__ALL__"],
            &summary["deleted"]
        ),
        (&json!(3), &json!(1), &json!(2), &json!(2), &json!(0))
    );

    // Relabeling b without the hard property drops it and its reasons.
    let b = sample_id_for_path("/bkt/in/b.jpg");
    let r = app
        .put(
            &samples,
            &json!({"samples": [{"sample_id": b, "labels": [{"name": "Rabbits"}]}]}),
        )
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);
    let s = stats(&app, &id).await;
    assert_eq!(s["key_sample_stats"]["key_sample"], 1);
    assert_eq!(s["hard_detail_stats"]["3"]["key"], 1);
    assert!(s["hard_detail_stats"].get("7").is_none(), "{s}");

    // Relabeling a without metadata keeps its stored metadata, and with it its hard
    // flag, reasons and camera (the relabel does not read the sample first).
    let a = sample_id_for_path("/bkt/in/a.jpg");
    let r = app
        .put(
            &samples,
            &json!({"samples": [{"sample_id": a, "labels": [{"name": "Rabbits"}]}]}),
        )
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);
    let s = stats(&app, &id).await;
    assert_eq!(s["key_sample_stats"]["key_sample"], 1, "{s}");
    assert_eq!(s["hard_detail_stats"]["20"]["key"], 1, "{s}");
    assert_eq!(s["metadata_stats"]["camera"], 2, "{s}");
    let d = app.get(&format!("{samples}/{a}")).await.body;
    assert_eq!(d["metadata"]["camera"], "south", "{d}");
    assert_eq!(d["labels"][0]["name"], "Rabbits", "{d}");
    assert_eq!(d["labels"][0]["type"], 0, "the type is filled: {d}");
    // Its metadata index rows stay: the camera is still offered and searchable.
    let options = app
        .get(&format!("/datasets/{id}/data-annotations/search-condition"))
        .await
        .body;
    let mut cameras: Vec<String> =
        serde_json::from_value(options["metadata"]["camera"].clone()).unwrap();
    cameras.sort();
    assert_eq!(cameras, ["north", "south"], "{options}");

    // Deleting a takes the last hard example and a camera with it.
    let r = app
        .post(&format!("{samples}/delete"), &json!({"samples": [a]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let s = stats(&app, &id).await;
    assert_eq!(
        s["key_sample_stats"],
        json!({"total": 2, "key_sample": 0, "non_key_sample": 2})
    );
    assert_eq!(s["hard_detail_stats"], json!({}));
    assert_eq!(s["metadata_stats"], json!({"camera": 1}));
    assert_eq!(s["sample_stats"]["deleted"], 1);
    assert_eq!(s["sample_stats"]["total"], 2);
    // Its index rows went with it: the searchable values and the label filter.
    let options = app
        .get(&format!("/datasets/{id}/data-annotations/search-condition"))
        .await
        .body;
    assert_eq!(options["metadata"]["camera"], json!(["north"]), "{options}");
    let sql = app.sql_pool().await;
    for table in ["sample_labels", "sample_metadata"] {
        let n: i64 = sqlx::query_scalar(&format!(
            "select count(*) from {table} where sample_id = $1"
        ))
        .bind(&a)
        .fetch_one(&sql)
        .await
        .unwrap();
        assert_eq!(n, 0, "{table} rows of a deleted sample");
    }
    sql.close().await;
    app.stop().await;
}

both_backends!(statistics_narrow_by_dataset_state_and_match_a_recount);

/// The narrowed statistics' parts that counters drive, for comparison.
fn counted(s: &serde_json::Value) -> serde_json::Value {
    json!({
        "labels": s["label_stats"],
        "keys": s["key_sample_stats"],
        "reasons": s["hard_detail_stats"],
        "metadata": s["metadata_stats"],
    })
}

async fn statistics_narrow_by_dataset_state_and_match_a_recount(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("by-state").await;
    app.wait_for_dataset_status(&id, 1).await;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let samples = format!("/datasets/{id}/data-annotations/samples");
    let r = app
        .post(
            &samples,
            &json!({"samples": [
                {"name": "a.jpg", "data": b64("a"), "labels": [{"name": "Bees"}],
                 "metadata": {"camera": "south", "@modelarts:hard": 1, "@modelarts:hard_reasons": [3, 20]}},
                {"name": "b.jpg", "data": b64("b"),
                 "labels": [{"name": "Bees", "property": {"@modelarts:hard": "true", "@modelarts:hard_reasons": "3-7"}}]},
                {"name": "c.jpg", "data": b64("c"),
                 "metadata": {"camera": "north", "@modelarts:hard": 1, "@modelarts:hard_reasons": [5]}},
            ]}),
        )
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);
    // To be confirmed: labels that are not final.
    let r = app
        .post(
            &samples,
            &json!({"final_annotation": false, "samples": [
                {"name": "d.jpg", "data": b64("d"), "metadata": {"camera": "east"},
                 "labels": [{"name": "Rabbits", "property": {"@modelarts:hard": "true", "@modelarts:hard_reasons": "7-12"}}, {"name": "Rabbits"}]},
                {"name": "e.jpg", "data": b64("e"), "labels": [{"name": "Bees"}]},
            ]}),
        )
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);
    let by = |q: &'static str| {
        let app = &app;
        let id = id.clone();
        async move {
            let r = app
                .get(&format!(
                    "/datasets/{id}/data-annotations/stats?sample_state={q}"
                ))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.body);
            r.body
        }
    };

    let all = by("__ALL__").await;
    assert_eq!(
        all["key_sample_stats"],
        json!({"total": 2, "key_sample": 2, "non_key_sample": 0}),
        "{all}"
    );
    assert_eq!(all["hard_detail_stats"]["3"]["key"], 2, "{all}");
    assert_eq!(all["hard_detail_stats"]["20"]["key"], 1, "{all}");
    assert_eq!(all["hard_detail_stats"]["7"]["key"], 1, "{all}");
    assert!(all["hard_detail_stats"].get("5").is_none(), "{all}");
    assert_eq!(all["metadata_stats"]["camera"], 1, "{all}");
    assert_eq!(
        (label_stat(&all, "Bees"), label_stat(&all, "Rabbits")),
        ((2, 2), (0, 0))
    );
    // The per-state counts stay the dataset's.
    assert_eq!(all["sample_stats"]["total"], 5, "{all}");

    let none = by("__NONE__").await;
    assert_eq!(
        none["key_sample_stats"],
        json!({"total": 1, "key_sample": 1, "non_key_sample": 0}),
        "{none}"
    );
    assert_eq!(none["hard_detail_stats"]["5"]["key"], 1, "{none}");
    assert_eq!(none["metadata_stats"]["camera"], 1, "{none}");
    assert_eq!(
        (label_stat(&none, "Bees"), label_stat(&none, "Rabbits")),
        ((0, 0), (0, 0))
    );

    let confirm = by("__AUTO_ANNOTATION__").await;
    assert_eq!(
        confirm["key_sample_stats"],
        json!({"total": 2, "key_sample": 1, "non_key_sample": 1}),
        "{confirm}"
    );
    assert_eq!(confirm["hard_detail_stats"]["7"]["key"], 1, "{confirm}");
    assert_eq!(confirm["hard_detail_stats"]["12"]["key"], 1, "{confirm}");
    assert_eq!(confirm["metadata_stats"], json!({"camera": 1}), "{confirm}");
    assert_eq!(
        (
            label_stat(&confirm, "Bees"),
            label_stat(&confirm, "Rabbits")
        ),
        ((1, 1), (2, 1))
    );

    // Renaming a label moves its per-state counts; relabeling moves a sample's state.
    let r = app
        .put(
            &format!("/datasets/{id}/data-annotations/labels"),
            &json!({"labels": [{"name": "Rabbits", "property": {"@modelarts:rename_to": "Hares"}}]}),
        )
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);
    let confirm = by("__AUTO_ANNOTATION__").await;
    assert_eq!(label_stat(&confirm, "Hares"), (2, 1), "{confirm}");
    let e = labelhive_domain::ids::sample_id_for_path("/bkt/in/e.jpg");
    let r = app
        .put(
            &samples,
            &json!({"samples": [{"sample_id": e, "labels": [{"name": "Bees"}, {"name": "Bees"}]}]}),
        )
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);
    let confirm = by("__AUTO_ANNOTATION__").await;
    assert_eq!(confirm["key_sample_stats"]["total"], 1, "{confirm}");
    assert_eq!(label_stat(&confirm, "Bees"), (0, 0), "{confirm}");
    let all = by("__ALL__").await;
    assert_eq!(all["key_sample_stats"]["total"], 3, "{all}");
    assert_eq!(label_stat(&all, "Bees"), (4, 3), "{all}");

    // Counting existing samples again, as the migration that introduced these
    // counters does, gives exactly what the writes kept.
    let before = [
        counted(&by("__ALL__").await),
        counted(&by("__NONE__").await),
        counted(&by("__AUTO_ANNOTATION__").await),
    ];
    app.recount_state_counters().await;
    let after = [
        counted(&by("__ALL__").await),
        counted(&by("__NONE__").await),
        counted(&by("__AUTO_ANNOTATION__").await),
    ];
    assert_eq!(before, after);
    app.stop().await;
}
