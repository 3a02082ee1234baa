//! Consensus with repetition 3 through HTTP: three labelers label every sample, the
//! task reports their agreement, action 3 lists the disagreements, a cancelled round
//! puts the samples back, and the majority reaches the dataset without overwriting the
//! owner's own labels.

use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::team_helpers::{
    add_samples, dataset_labels, items_of, label, sample_stats, tasks, team, wait_status,
};

both_backends!(three_labelers_per_sample_give_the_dataset_their_consensus);

async fn three_labelers_per_sample_give_the_dataset_their_consensus(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let ds = app.new_dataset("consensus").await;
    let ids = add_samples(&app, &ds, &["s1.jpg", "s2.jpg"], false).await;
    let (team_id, w) = team(
        &app,
        "trio",
        &[
            ("a@example.com", 0),
            ("b@example.com", 0),
            ("c@example.com", 0),
        ],
    )
    .await;
    let r = app
        .post(
            &tasks(&ds),
            &json!({"task_name": "triple", "repetition": 3, "workforces_config": {"workforces": [{"workforce_id": team_id}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let task = r.body["task_id"].as_str().unwrap().to_owned();
    let path = format!("{}/{task}", tasks(&ds));
    assert_eq!(app.post(&path, &json!({})).await.status, StatusCode::OK);
    wait_status(&app, &ds, &task, 1).await;
    let tokens = [
        app.worker_token(&w[0]).await,
        app.worker_token(&w[1]).await,
        app.worker_token(&w[2]).await,
    ];
    for t in &tokens {
        assert_eq!(
            items_of(&app, t, &ds, &task, "").await.len(),
            2,
            "every labeler has both"
        );
    }
    // s1: two say Rabbits, one says Bees; s2: all say Bees.
    label(&app, &tokens[0], &ds, &task, &ids, "Rabbits").await;
    label(&app, &tokens[1], &ds, &task, &ids[..1], "Rabbits").await;
    label(&app, &tokens[2], &ds, &task, &ids[..1], "Bees").await;
    label(&app, &tokens[0], &ds, &task, &ids[1..], "Bees").await;
    label(&app, &tokens[1], &ds, &task, &ids[1..], "Bees").await;
    label(&app, &tokens[2], &ds, &task, &ids[1..], "Bees").await;
    let d = app.get(&format!("{path}?sample_stats=true")).await.body;
    // Without reviewers, labeled samples wait for acceptance directly.
    assert_eq!(sample_stats(&d), vec![2, 0, 0, 2, 0, 0, 0], "{d}");
    // Agreement: s1's three annotations agree on one pair of three.
    let s1 = app
        .get(&format!("{path}/data-annotations/samples/{}", ids[0]))
        .await
        .body;
    assert!(
        (s1["agreement"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9,
        "{s1}"
    );
    assert_eq!(s1["labelers"].as_array().unwrap().len(), 3);
    let agreement: Vec<(String, f64)> = d["worker_stats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["email"].as_str().unwrap().to_owned(),
                s["agreement"].as_f64().unwrap(),
            )
        })
        .collect();
    assert!(
        agreement.contains(&("a@example.com".into(), 0.75)),
        "{agreement:?}"
    );
    assert!(
        agreement.contains(&("c@example.com".into(), 0.5)),
        "{agreement:?}"
    );

    // The owner labels s2 in the dataset meanwhile; without overwrite it stays.
    app.put(
        &format!("/datasets/{ds}/data-annotations/samples"),
        &json!({"samples": [{"sample_id": ids[1], "labels": [{"name": "Rabbits"}]}]}),
    )
    .await;
    let r = app
        .post(
            &format!("{path}/acceptance"),
            &json!({"sampling_rate": 1.0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Action 3 lists the samples whose annotators disagree and changes nothing.
    let r = app
        .put(&format!("{path}/acceptance/status"), &json!({"action": 3}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["sample_count"], 1, "{}", r.body);
    assert_eq!(r.body["samples"][0]["sample_id"], ids[0].as_str());
    assert_eq!(app.get(&path).await.body["status"], 2);
    // Cancel puts the sampled items back, then a new round passes everything.
    let r = app
        .put(&format!("{path}/acceptance/status"), &json!({"action": 2}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = app.get(&format!("{path}?sample_stats=true")).await.body;
    assert_eq!(
        (d["status"].as_i64(), sample_stats(&d)[3]),
        (Some(1), 2),
        "{d}"
    );
    app.post(&format!("{path}/acceptance"), &json!({"sampling_num": 1}))
        .await;
    let r = app
        .put(&format!("{path}/acceptance/status"), &json!({"action": 0}))
        .await;
    assert_eq!(r.body["sample_count"], 6, "{}", r.body);
    wait_status(&app, &ds, &task, 3).await;
    assert_eq!(
        dataset_labels(&app, &ds, &ids[0]).await,
        ["Rabbits"],
        "the majority"
    );
    assert_eq!(
        dataset_labels(&app, &ds, &ids[1]).await,
        ["Rabbits"],
        "not overwritten"
    );
    app.stop().await;
}
