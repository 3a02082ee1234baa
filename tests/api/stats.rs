//! Dataset statistics: state, hard example, hard reason and metadata counters follow
//! every add, relabel and delete.

use base64::Engine;
use labelhive_domain::ids::sample_id_for_path;
use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::samples::stats;

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

    // Deleting a takes the last hard example and a camera with it.
    let a = sample_id_for_path("/bkt/in/a.jpg");
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
    app.stop().await;
}
