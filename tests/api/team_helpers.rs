//! Shared helpers of the team labeling scenarios: samples, teams with members, tasks
//! created over a team, polling a task's status, a member's items and labels, and a
//! dataset sample's label names.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::sample_helpers::{add, sample};

/// Adds image samples named `names` (labeled with `Bees` when `labeled`); returns ids.
pub(crate) async fn add_samples(
    app: &TestApp,
    ds: &str,
    names: &[&str],
    labeled: bool,
) -> Vec<String> {
    let labels = if labeled {
        json!([{"name": "Bees"}])
    } else {
        json!([])
    };
    let samples: Vec<Value> = names.iter().map(|n| sample(n, labels.clone())).collect();
    let body = add(app, ds, json!({ "samples": samples })).await;
    assert_eq!(body["success"], true, "{body}");
    let listed = app
        .get(&format!(
            "/datasets/{ds}/data-annotations/samples?limit=100"
        ))
        .await
        .body;
    let all = listed["samples"].as_array().unwrap();
    names
        .iter()
        .map(|n| {
            all.iter().find(|s| s["sample_name"] == *n).unwrap()["sample_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// A team with members `(email, role)`; returns its id and the members' worker ids.
pub(crate) async fn team(
    app: &TestApp,
    name: &str,
    members: &[(&str, i64)],
) -> (String, Vec<String>) {
    let r = app
        .post("/workforces", &json!({"workforce_name": name}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["workforce_id"].as_str().unwrap().to_owned();
    let mut ids = Vec::new();
    for (email, role) in members {
        let r = app
            .post(
                &format!("/workforces/{id}/workers"),
                &json!({"emails": email, "role": role}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let list = app
            .get(&format!("/workforces/{id}/workers?limit=100"))
            .await
            .body;
        let w = list["workers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["email"] == *email)
            .unwrap()["worker_id"]
            .as_str()
            .unwrap()
            .to_owned();
        ids.push(w);
    }
    (id, ids)
}

pub(crate) fn tasks(ds: &str) -> String {
    format!("/datasets/{ds}/workforce-tasks")
}

/// Creates a task named `name` over one team with the defaults; returns its id and
/// its path.
pub(crate) async fn new_task(
    app: &TestApp,
    ds: &str,
    name: &str,
    team_id: &str,
) -> (String, String) {
    let r = app
        .post(
            &tasks(ds),
            &json!({"task_name": name, "workforces_config": {"workforces": [{"workforce_id": team_id}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let task = r.body["task_id"].as_str().unwrap().to_owned();
    let path = format!("{}/{task}", tasks(ds));
    (task, path)
}

/// Polls the task until its status is `status`.
pub(crate) async fn wait_status(app: &TestApp, ds: &str, task: &str, status: i64) -> Value {
    for _ in 0..200 {
        let d = app.get(&format!("{}/{task}", tasks(ds))).await.body;
        if d["status"] == status {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("task {task} never reached status {status}");
}

/// A member's items: (sample_id, sample_status) of a page.
pub(crate) async fn items_of(
    app: &TestApp,
    token: &str,
    ds: &str,
    task: &str,
    query: &str,
) -> Vec<(String, String)> {
    let r = app
        .as_worker(
            token,
            Method::GET,
            &format!(
                "{}/{task}/data-annotations/samples?limit=100{query}",
                tasks(ds)
            ),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let samples = r.body["samples"].as_array().unwrap();
    assert_eq!(r.body["sample_count"], samples.len(), "{}", r.body);
    samples
        .iter()
        .map(|s| {
            (
                s["sample_id"].as_str().unwrap().to_owned(),
                s["sample_status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A member labels samples with one class; returns the batch answer.
pub(crate) async fn label(
    app: &TestApp,
    token: &str,
    ds: &str,
    task: &str,
    ids: &[String],
    class: &str,
) -> Value {
    let samples: Vec<Value> = ids
        .iter()
        .map(|id| json!({"sample_id": id, "labels": [{"name": class}]}))
        .collect();
    let r = app
        .as_worker(
            token,
            Method::PUT,
            &format!("{}/{task}/data-annotations/samples", tasks(ds)),
            Some(&json!({"samples": samples})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

/// The label names of a dataset sample.
pub(crate) async fn dataset_labels(app: &TestApp, ds: &str, id: &str) -> Vec<String> {
    let d = app
        .get(&format!("/datasets/{ds}/data-annotations/samples/{id}"))
        .await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    d.body["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_owned())
        .collect()
}

pub(crate) fn sample_stats(d: &Value) -> Vec<i64> {
    let s = &d["sample_stats"];
    [
        "total_sample_count",
        "unannotated_sample_count",
        "unreviewed_sample_count",
        "uncheck_sample_count",
        "sampled_sample_count",
        "rejected_sample_count",
        "accepted_sample_count",
    ]
    .iter()
    .map(|k| s[*k].as_i64().unwrap_or(-1))
    .collect()
}
