//! Deep paging through the bucket counters: every page of every simple scope, in both
//! orders, matches a model of the dataset after adds, relabels, deletes and label
//! renames and deletions, across several 1024-sample buckets.

use base64::Engine;
use labelhive_domain::ids::sample_id_for_path;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::sample_helpers::enc;

both_backends!(every_page_of_every_scope_matches_the_model);

/// One sample of the model, in insertion order.
#[derive(Clone)]
struct Model {
    id: String,
    label: Option<&'static str>,
}

fn label_for(i: usize) -> Option<&'static str> {
    match i % 3 {
        0 => Some("Rabbits"),
        1 => Some("Bees"),
        _ => None,
    }
}

async fn page_ids(app: &TestApp, id: &str, query: &str) -> (Vec<String>, i64) {
    let r = app
        .get(&format!("/datasets/{id}/data-annotations/samples?{query}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.body);
    let ids = r.body["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sample_id"].as_str().unwrap().to_owned())
        .collect();
    (ids, r.body["sample_count"].as_i64().unwrap())
}

/// Walks every page of `query` in both orders and compares with `expected` (oldest first).
async fn check_scope(app: &TestApp, id: &str, query: &str, expected: &[String]) {
    let limit = 100;
    let pages = expected.len().div_ceil(limit) + 1;
    for (order, want) in [
        ("asc", expected.to_vec()),
        ("desc", expected.iter().rev().cloned().collect::<Vec<_>>()),
    ] {
        let mut got = Vec::new();
        for page in 0..pages {
            let (ids, total) = page_ids(
                app,
                id,
                &format!("{query}&order={order}&limit={limit}&offset={page}"),
            )
            .await;
            assert_eq!(total, expected.len() as i64, "{query} {order}: total");
            got.extend(ids);
        }
        assert_eq!(got.len(), want.len(), "{query} {order}: rows");
        assert!(got == want, "{query} {order}: order differs from the model");
    }
}

async fn check_all(app: &TestApp, id: &str, model: &[Model]) {
    let ids = |f: &dyn Fn(&Model) -> bool| -> Vec<String> {
        model
            .iter()
            .filter(|m| f(m))
            .map(|m| m.id.clone())
            .collect()
    };
    check_scope(app, id, "", &ids(&|_| true)).await;
    check_scope(
        app,
        id,
        "sample_state=__ALL__",
        &ids(&|m| m.label.is_some()),
    )
    .await;
    check_scope(
        app,
        id,
        "sample_state=__NONE__",
        &ids(&|m| m.label.is_none()),
    )
    .await;
    for name in ["Rabbits", "Bees", "Wasps"] {
        let want = ids(&|m| m.label == Some(name));
        check_scope(app, id, &format!("label_name={name}"), &want).await;
    }
    // The general path (any search condition) must agree with the counted one.
    let conditions = enc(&json!([{"sample_dir": "/bkt/in/"}]));
    let (first, total) = page_ids(
        app,
        id,
        &format!("search_conditions={conditions}&order=asc&limit=100&offset=3"),
    )
    .await;
    assert_eq!(total, model.len() as i64);
    let want: Vec<String> = model
        .iter()
        .skip(300)
        .take(100)
        .map(|m| m.id.clone())
        .collect();
    assert_eq!(first, want);
}

async fn every_page_of_every_scope_matches_the_model(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("paging").await;
    app.wait_for_dataset_status(&id, 1).await;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut model: Vec<Model> = Vec::new();
    let n = 2600;
    for start in (0..n).step_by(1000) {
        let samples: Vec<Value> = (start..(start + 1000).min(n))
            .map(|i| {
                let labels = label_for(i).map_or(json!([]), |l| json!([{"name": l}]));
                json!({"name": format!("{i:05}.jpg"), "data": b64.encode(format!("{i}")), "labels": labels})
            })
            .collect();
        let r = app
            .post(
                &format!("/datasets/{id}/data-annotations/samples"),
                &json!({ "samples": samples }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["success"], true, "{}", r.body);
        for i in start..(start + 1000).min(n) {
            model.push(Model {
                id: sample_id_for_path(&format!("/bkt/in/{i:05}.jpg")),
                label: label_for(i),
            });
        }
    }
    check_all(&app, &id, &model).await;

    // Relabel across buckets: every 7th sample swaps to the other label or is cleared.
    let mut updates = Vec::new();
    let len = model.len();
    for (i, m) in model.iter_mut().enumerate().filter(|(i, _)| i % 7 == 0) {
        m.label = match m.label {
            Some("Rabbits") => Some("Bees"),
            Some(_) => None,
            None => Some("Rabbits"),
        };
        let labels = m.label.map_or(json!([]), |l| json!([{"name": l}]));
        updates.push(json!({"sample_id": m.id, "labels": labels}));
        if updates.len() == 1000 || i + 7 >= len {
            let r = app
                .put(
                    &format!("/datasets/{id}/data-annotations/samples"),
                    &json!({ "samples": std::mem::take(&mut updates) }),
                )
                .await;
            assert_eq!(r.body["success"], true, "{}", r.body);
        }
    }
    // Delete every 11th sample, some of them twice in one batch.
    let doomed: Vec<String> = model.iter().step_by(11).map(|m| m.id.clone()).collect();
    let mut batch = doomed.clone();
    batch.extend(doomed.iter().take(3).cloned());
    let r = app
        .post(
            &format!("/datasets/{id}/data-annotations/samples/delete"),
            &json!({ "samples": batch }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    model.retain(|m| !doomed.contains(&m.id));
    check_all(&app, &id, &model).await;

    // A rename moves the label's pages; a deletion (policy 0) clears them and moves
    // the samples it leaves unlabeled to __NONE__.
    let labels = format!("/datasets/{id}/data-annotations/labels");
    let r = app
        .put(
            &labels,
            &json!({"labels": [{"name": "Bees", "property": {"@modelarts:rename_to": "Wasps"}}]}),
        )
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);
    for m in &mut model {
        if m.label == Some("Bees") {
            m.label = Some("Wasps");
        }
    }
    check_all(&app, &id, &model).await;
    let r = app
        .post(
            &format!("{labels}/delete?delete_policy=0"),
            &json!({"labels": [{"name": "Rabbits"}]}),
        )
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);
    for m in &mut model {
        if m.label == Some("Rabbits") {
            m.label = None;
        }
    }
    check_all(&app, &id, &model).await;

    let stats = app
        .get(&format!("/datasets/{id}/data-annotations/stats"))
        .await
        .body;
    let unlabeled = model.iter().filter(|m| m.label.is_none()).count() as i64;
    assert_eq!(stats["sample_stats"]["__NONE__"], unlabeled, "{stats}");
    app.stop().await;
}
