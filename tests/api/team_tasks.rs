//! Team labeling tasks end to end through HTTP: create, start (allocation), members
//! labeling with their own tokens, review, acceptance rounds with every ending
//! action, synchronization into the dataset with and without overwrite, consensus
//! with repetition 3, role denials, and bad input that changes nothing.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_error_in, Backend, TestApp};

both_backends!(team_labeling_with_review_and_acceptance_reaches_the_dataset);
both_backends!(three_labelers_per_sample_give_the_dataset_their_consensus);
both_backends!(roles_are_enforced_and_bad_requests_change_nothing);
both_backends!(samples_added_later_reach_tasks_that_synchronize_data);

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

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
    let samples: Vec<Value> = names
        .iter()
        .map(|n| json!({"name": n, "data": b64(&format!("bytes of {n}")), "labels": labels}))
        .collect();
    let r = app
        .post(
            &format!("/datasets/{ds}/data-annotations/samples"),
            &json!({"samples": samples}),
        )
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);
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

fn sample_stats(d: &Value) -> Vec<i64> {
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

async fn team_labeling_with_review_and_acceptance_reaches_the_dataset(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let ds = app.new_dataset("team-ds").await;
    let work = add_samples(
        &app,
        &ds,
        &["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg", "f.jpg"],
        false,
    )
    .await;
    // Already labeled: outside the task's default scope (unlabeled samples).
    let done = add_samples(&app, &ds, &["z.jpg"], true).await;
    let (team_id, w) = team(
        &app,
        "crew",
        &[
            ("ann@example.com", 0),
            ("bob@example.com", 0),
            ("rev@example.com", 1),
            ("man@example.com", 2),
        ],
    )
    .await;
    let (ann, bob, rev, man) = (
        app.worker_token(&w[0]).await,
        app.worker_token(&w[1]).await,
        app.worker_token(&w[2]).await,
        app.worker_token(&w[3]).await,
    );
    let (task, path) = new_task(&app, &ds, "task-eb17", &team_id).await;
    let d = app
        .get(&format!("{path}?sample_stats=true&workforce_stats=true"))
        .await
        .body;
    assert_eq!(d["status"], 6, "{d}");
    assert_eq!(d["repetition"], 1);
    assert_eq!(d["auto_sync_dataset"], true);
    assert_eq!(
        d["workforce_stats"],
        json!({"workforce_count": 1, "labeler_count": 2, "reviewer_count": 1})
    );
    assert_eq!(
        d["workforces_config"]["workforces"][0]["workforce_name"],
        "crew"
    );
    let listed = app.get(&tasks(&ds)).await.body;
    assert_eq!(listed["count"], 1);
    let dd = app.get(&format!("/datasets/{ds}")).await.body;
    assert_eq!(
        (
            dd["exist_workforce_task"].as_bool(),
            dd["workforce_task_count"].as_i64()
        ),
        (Some(true), Some(1)),
        "{dd}"
    );
    // The team list filtered by the task names its team.
    let teams = app
        .get(&format!("/workforces?workforce_task_id={task}"))
        .await
        .body;
    assert_eq!(teams["total_number"], 1, "{teams}");
    assert_eq!(teams["workforces"][0]["workforce_id"], team_id.as_str());
    assert_eq!(listed["tasks"][0]["task_name"], "task-eb17");

    // The manager starts it; allocation gives each labeler three samples.
    let r = app
        .as_worker(&man, Method::POST, &path, Some(&json!({})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = wait_status(&app, &ds, &task, 1).await;
    let metrics = app.get(&format!("{path}/metrics")).await.body;
    assert_eq!(
        metrics["sample_stats"]["ann@example.com"]["un_annotation"], 3,
        "{metrics}"
    );
    assert_eq!(
        metrics["sample_stats"]["bob@example.com"]["un_annotation"], 3,
        "{metrics}"
    );
    assert_eq!(d["worker_stats"].as_array().unwrap().len(), 4, "{d}");
    let ann_items = items_of(&app, &ann, &ds, &task, "").await;
    let bob_items = items_of(&app, &bob, &ds, &task, "").await;
    assert_eq!(ann_items.len(), 3);
    assert!(ann_items
        .iter()
        .all(|(id, s)| s == "__NONE__" && work.contains(id)));
    assert!(!ann_items
        .iter()
        .any(|(id, _)| bob_items.iter().any(|(b, _)| b == id)));
    assert!(!ann_items.iter().any(|(id, _)| *id == done[0]));
    let ann_ids: Vec<String> = ann_items.iter().map(|(i, _)| i.clone()).collect();
    let bob_ids: Vec<String> = bob_items.iter().map(|(i, _)| i.clone()).collect();

    // A labeler labels her own samples; another's sample is not hers to label.
    let r = label(
        &app,
        &ann,
        &ds,
        &task,
        &[ann_ids.clone(), vec![bob_ids[0].clone()]].concat(),
        "Rabbits",
    )
    .await;
    let results = r["results"].as_array().unwrap();
    assert_eq!(r["success"], false);
    assert!(results[..3].iter().all(|x| x["success"] == true), "{r}");
    assert_eq!(results[3]["error_code"], "ModelArts.4420", "{r}");
    assert_eq!(
        items_of(&app, &bob, &ds, &task, "&sample_state=__NONE__")
            .await
            .len(),
        3
    );
    assert_eq!(
        items_of(&app, &ann, &ds, &task, "&sample_state=__UNREVIEWED__")
            .await
            .len(),
        3
    );

    // The reviewer passes two and rejects one; the rejected one goes back to ann.
    let review = |token: String, comments: Value| {
        let (app, path) = (&app, path.clone());
        async move {
            app.as_worker(
                &token,
                Method::POST,
                &format!("{path}/data-annotations/review"),
                Some(&json!({"comments": comments})),
            )
            .await
        }
    };
    let r = review(
        rev.clone(),
        json!([
            {"sample_id": ann_ids[0], "worker_id": w[0], "accept": true, "score": "A"},
            {"sample_id": ann_ids[1], "accept": true, "score": "B"},
            {"sample_id": ann_ids[2], "accept": false, "comment": "wrong class"}
        ]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, json!({}));
    // Reviewed: judged either way; the reviewer sees everyone's items.
    let reviewed = items_of(&app, &rev, &ds, &task, "&sample_state=__REVIEWED__").await;
    assert_eq!(reviewed.len(), 3, "{reviewed:?}");
    let rejected = items_of(&app, &ann, &ds, &task, "&sample_state=__REJECTED__").await;
    assert_eq!(
        rejected,
        vec![(ann_ids[2].clone(), "__REJECTED__".to_owned())]
    );
    let detail = app
        .as_worker(
            &ann,
            Method::GET,
            &format!("{path}/data-annotations/samples/{}", ann_ids[2]),
            None,
        )
        .await
        .body;
    assert_eq!(detail["review_accept"], false, "{detail}");
    assert_eq!(detail["review_comment"], "wrong class");
    // Reviewing it again is refused: it is not waiting for review.
    let r = review(
        rev.clone(),
        json!([{"sample_id": ann_ids[2], "accept": true}]),
    )
    .await;
    assert_eq!(
        r.body["results"][0]["error_code"], "ModelArts.4606",
        "{}",
        r.body
    );
    label(&app, &ann, &ds, &task, &[ann_ids[2].clone()], "Rabbits").await;
    label(&app, &bob, &ds, &task, &bob_ids, "Bees").await;
    let all: Vec<Value> = ann_ids
        .iter()
        .skip(2)
        .chain(bob_ids.iter())
        .map(|id| json!({"sample_id": id, "accept": true, "score": "A"}))
        .collect();
    assert_eq!(review(rev.clone(), json!(all)).await.body, json!({}));
    let d = app.get(&format!("{path}?sample_stats=true")).await.body;
    assert_eq!(sample_stats(&d), vec![6, 0, 0, 6, 0, 0, 0], "{d}");

    // Meanwhile the owner labels one of bob's samples in the dataset directly.
    let r = app
        .put(
            &format!("/datasets/{ds}/data-annotations/samples"),
            &json!({"samples": [{"sample_id": bob_ids[0], "labels": [{"name": "Rabbits"}]}]}),
        )
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);

    // Acceptance: two sampled, one passed and one rejected; pass the rest.
    let r = app
        .post(&format!("{path}/acceptance"), &json!({"sampling_num": 2}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let round = r.body["task_id"].as_str().unwrap().to_owned();
    let r = app
        .post(&format!("{path}/acceptance"), &json!({"sampling_num": 2}))
        .await;
    assert_error_in(&r, 409, "ModelArts.4623", "second acceptance");
    let d = app.get(&format!("{path}?sample_stats=true")).await.body;
    assert_eq!(d["status"], 2);
    assert_eq!(d["checking_task_desc"]["checking_task_id"], round.as_str());
    assert_eq!(sample_stats(&d), vec![6, 0, 0, 4, 2, 0, 0], "{d}");
    let sampled = app
        .get(&format!(
            "{path}/data-annotations/samples?sample_state=__WORKFORCE_SAMPLED__"
        ))
        .await
        .body;
    let picked: Vec<String> = sampled["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sample_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(picked.len(), 2, "{sampled}");
    let r = app
        .post(
            &format!("{path}/acceptance/batch-comment"),
            &json!({"comments": [
                {"sample_id": picked[0], "accept": true, "score": "A"},
                {"sample_id": picked[1], "accept": false, "comment": "boxes too loose"}
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let report = app
        .get(&format!(
            "{path}/acceptance/report?checking_task_id={round}"
        ))
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    let c = &report.body["checking_stats"];
    assert_eq!(
        (
            c["total_sample_count"].as_i64(),
            c["sampled_sample_count"].as_i64(),
            c["checked_sample_count"].as_i64()
        ),
        (Some(6), Some(2), Some(2)),
        "{c}"
    );
    assert_eq!(
        (
            c["accepted_sample_count"].as_i64(),
            c["rejected_sample_count"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(c["pass_rate"], 0.5);
    assert_eq!(c["score"], "A");
    assert_eq!(c["unchecked_sample_count"], 0);
    let r = app
        .put(
            &format!("{path}/acceptance/status?locale=en-us"),
            &json!({"action": 4, "overwrite_last_result": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["sample_count"], 5, "{}", r.body);
    let d = wait_status(&app, &ds, &task, 4).await;
    assert_eq!(d["checking_task_desc"]["action"], 4, "{d}");
    assert_eq!(d["pass_rate"], 0.5);
    // Five accepted samples reached the dataset (overwriting the owner's label on
    // bob's first sample); the rejected one did not; the excluded one is untouched.
    let d2 = app.get(&format!("{path}?sample_stats=true")).await.body;
    assert_eq!(sample_stats(&d2), vec![6, 0, 0, 0, 0, 1, 5], "{d2}");
    for id in &work {
        let labels = dataset_labels(&app, &ds, id).await;
        if *id == picked[1] {
            let expected: Vec<String> = if bob_ids[0] == *id {
                vec!["Rabbits".into()]
            } else {
                vec![]
            };
            assert_eq!(labels, expected, "{id} was rejected");
        } else if ann_ids.contains(id) {
            assert_eq!(labels, ["Rabbits"], "{id}");
        } else {
            assert_eq!(labels, ["Bees"], "{id}");
        }
    }
    assert_eq!(dataset_labels(&app, &ds, &done[0]).await, ["Bees"]);

    // The rejected sample loops back to its labeler, then passes a second round.
    let owner_of = if ann_ids.contains(&picked[1]) {
        &ann
    } else {
        &bob
    };
    let back = items_of(&app, owner_of, &ds, &task, "&sample_state=__REJECTED__").await;
    assert_eq!(back, vec![(picked[1].clone(), "__REJECTED__".to_owned())]);
    label(&app, owner_of, &ds, &task, &[picked[1].clone()], "Bees").await;
    assert_eq!(
        review(
            rev.clone(),
            json!([{"sample_id": picked[1], "accept": true}])
        )
        .await
        .body,
        json!({})
    );
    let r = app
        .post(
            &format!("{path}/acceptance"),
            &json!({"sampling_rate": 1.0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let round2 = r.body["task_id"].as_str().unwrap().to_owned();
    let r = app
        .put(
            &format!("{path}/acceptance/status"),
            &json!({"action": 0, "overwrite_last_result": true}),
        )
        .await;
    assert_eq!(r.body["sample_count"], 1, "{}", r.body);
    let d = wait_status(&app, &ds, &task, 3).await;
    assert_eq!(d["check_rate"], 1.0, "{d}");
    assert_eq!(dataset_labels(&app, &ds, &picked[1]).await, ["Bees"]);
    let total = &app
        .get(&format!(
            "{path}/acceptance/report?checking_task_id={round2}"
        ))
        .await
        .body["total_stats"];
    assert_eq!(total["sampled_sample_count"], 3, "{total}");
    assert_eq!(total["total_sample_count"], 7, "{total}");

    // Each member sees the task in their own list with their counts.
    let mine = app
        .as_worker(&ann, Method::GET, "/workforces/worker-tasks", None)
        .await
        .body;
    assert_eq!(mine["count"], 1, "{mine}");
    assert_eq!(mine["worker_tasks"][0]["task_status"], 3);
    assert_eq!(
        mine["worker_tasks"][0]["sample_stats"]["accepted_sample_count"],
        3
    );
    let everyone = app.get("/workforces/worker-tasks?limit=100").await.body;
    assert_eq!(everyone["count"], 4, "{everyone}");

    // Deleting the task leaves the dataset's accepted labels.
    let r = app.delete(&path).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_error_in(&app.get(&path).await, 404, "ModelArts.4619", "deleted task");
    // (Not the sample relabeled Bees after its rejection: sampling picks it at random.)
    let kept = ann_ids.iter().find(|id| **id != picked[1]).unwrap();
    assert_eq!(dataset_labels(&app, &ds, kept).await, ["Rabbits"]);
    app.stop().await;
}

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

async fn roles_are_enforced_and_bad_requests_change_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let ds = app.new_dataset("rules").await;
    let ids = add_samples(&app, &ds, &["a.jpg", "b.jpg"], false).await;
    let (team_id, w) = team(
        &app,
        "crew",
        &[
            ("ann@example.com", 0),
            ("rev@example.com", 1),
            ("man@example.com", 2),
        ],
    )
    .await;
    let (_, out) = team(&app, "others", &[("eve@example.com", 0)]).await;
    let (ann, rev, eve) = (
        app.worker_token(&w[0]).await,
        app.worker_token(&w[1]).await,
        app.worker_token(&out[0]).await,
    );
    let config = json!({"workforces": [{"workforce_id": team_id}]});
    // Bad create requests: each refused, no task made.
    for (case, body, status, code) in [
        (
            "repetition 0",
            json!({"repetition": 0, "workforces_config": config}),
            400,
            "ModelArts.0101",
        ),
        (
            "repetition type",
            json!({"repetition": "3"}),
            400,
            "ModelArts.0101",
        ),
        (
            "bad name",
            json!({"task_name": "a b"}),
            400,
            "ModelArts.0101",
        ),
        (
            "sync type",
            json!({"data_sync_type": 7}),
            400,
            "ModelArts.0101",
        ),
        (
            "conditions",
            json!({"sample_conditions": "[{\"sample_time\": \"someday\"}]"}),
            400,
            "ModelArts.0101",
        ),
        (
            "unknown field",
            json!({"task_nam": "x"}),
            400,
            "ModelArts.0101",
        ),
        (
            "unknown team",
            json!({"workforces_config": {"workforces": [{"workforce_id": "aaaaaaaaaaaaaaaaaaa"}]}}),
            404,
            "ModelArts.4601",
        ),
        (
            "unknown member",
            json!({"workforces_config": {"workforces": [{"workforce_id": team_id, "workers": [{"email": "nobody@example.com"}]}]}}),
            404,
            "ModelArts.4604",
        ),
    ] {
        let r = app.post(&tasks(&ds), &body).await;
        assert_error_in(&r, status, code, case);
    }
    let r = app
        .raw(
            Method::POST,
            &app.v2(&tasks(&ds)),
            &[],
            Some(b"{\"task_name\": ".to_vec()),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "unsigned: {}", r.body);
    let r = app.signed(Method::POST, &app.v2(&tasks(&ds)), None).await;
    assert_error_in(&r, 400, "ModelArts.4202", "empty body");
    let creds = app.creds.clone();
    let r = app
        .send_signed(
            &creds,
            Method::POST,
            &app.v2(&tasks(&ds)),
            b"{\"task_name\": ".to_vec(),
            &crate::helpers::sdk_date_now(),
        )
        .await;
    assert_error_in(&r, 400, "ModelArts.4105", "malformed JSON");
    let r = app
        .post("/datasets/aaaaaaaaaaaaaaaaaaa/workforce-tasks", &json!({}))
        .await;
    assert_error_in(&r, 404, "ModelArts.4352", "unknown dataset");
    // Members cannot create tasks or use the owner's API.
    let r = app
        .as_worker(&ann, Method::POST, &tasks(&ds), Some(&json!({})))
        .await;
    assert_error_in(&r, 403, "ModelArts.4600", "labeler creates");
    let r = app
        .as_worker(&ann, Method::GET, &format!("/datasets/{ds}"), None)
        .await;
    assert_error_in(&r, 403, "ModelArts.0108", "labeler reads the dataset");
    assert_eq!(app.get(&tasks(&ds)).await.body["count"], 0);

    let r = app
        .post(
            &tasks(&ds),
            &json!({"task_name": "t1", "repetition": 2, "workforces_config": config}),
        )
        .await;
    let task = r.body["task_id"].as_str().unwrap().to_owned();
    let path = format!("{}/{task}", tasks(&ds));
    let r = app.post(&tasks(&ds), &json!({"task_name": "t1"})).await;
    assert_error_in(&r, 409, "ModelArts.4620", "duplicate name");
    // Two labelers per sample but one labeler: cannot start.
    let r = app.post(&path, &json!({})).await;
    assert_error_in(&r, 400, "ModelArts.4621", "repetition above labelers");
    assert_eq!(app.get(&path).await.body["status"], 6);
    // Only the owner or the task's manager starts; the labeler may not, nor outsiders
    // see it.
    let r = app
        .as_worker(&ann, Method::POST, &path, Some(&json!({})))
        .await;
    assert_error_in(&r, 403, "ModelArts.4600", "labeler starts");
    let r = app.as_worker(&eve, Method::GET, &path, None).await;
    assert_error_in(&r, 404, "ModelArts.4619", "outsider reads");
    let r = app.as_worker(&eve, Method::GET, &tasks(&ds), None).await;
    assert_eq!(r.body["count"], 0, "{}", r.body);
    let r = app
        .put(&path, &json!({"task_name": "t-one", "description": "<b>"}))
        .await;
    assert_error_in(&r, 400, "ModelArts.0101", "bad description");
    let r = app
        .put(&path, &json!({"task_id": "bbbbbbbbbbbbbbbbbbb"}))
        .await;
    assert_error_in(&r, 400, "ModelArts.0101", "mismatched id");
    assert_eq!(app.get(&path).await.body["task_name"], "t1");
    let r = app.put(&path, &json!({"task_name": "t-one"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(app.get(&path).await.body["task_name"], "t-one");
    let d = app.delete(&path).await;
    assert_eq!(d.status, StatusCode::NO_CONTENT);

    // A startable task for the remaining checks.
    let r = app
        .post(
            &tasks(&ds),
            &json!({"task_name": "t2", "workforces_config": config}),
        )
        .await;
    let task = r.body["task_id"].as_str().unwrap().to_owned();
    let path = format!("{}/{task}", tasks(&ds));
    let r = app
        .post(&format!("{path}/acceptance"), &json!({"sampling_num": 1}))
        .await;
    assert_error_in(&r, 409, "ModelArts.4343", "acceptance before start");
    assert_eq!(app.post(&path, &json!({})).await.status, StatusCode::OK);
    wait_status(&app, &ds, &task, 1).await;
    let r = app.post(&path, &json!({})).await;
    assert_error_in(&r, 409, "ModelArts.4343", "started twice");
    let r = app
        .post(&format!("{path}/acceptance"), &json!({"sampling_num": 1}))
        .await;
    assert_error_in(&r, 400, "ModelArts.4625", "nothing to accept");
    // The reviewer may not label; the labeler may not review or accept.
    let samples = format!("{path}/data-annotations/samples");
    let body = json!({"samples": [{"sample_id": ids[0], "labels": [{"name": "Bees"}]}]});
    let r = app
        .as_worker(&rev, Method::PUT, &samples, Some(&body))
        .await;
    assert_error_in(&r, 403, "ModelArts.4600", "reviewer labels");
    let review = json!({"comments": [{"sample_id": ids[0], "accept": true}]});
    let r = app
        .as_worker(
            &ann,
            Method::POST,
            &format!("{path}/data-annotations/review"),
            Some(&review),
        )
        .await;
    assert_error_in(&r, 403, "ModelArts.4600", "labeler reviews");
    let r = app
        .as_worker(
            &ann,
            Method::POST,
            &format!("{path}/acceptance"),
            Some(&json!({"sampling_num": 1})),
        )
        .await;
    assert_error_in(&r, 403, "ModelArts.4600", "labeler accepts");
    let r = app.as_worker(&ann, Method::DELETE, &path, None).await;
    assert_error_in(&r, 403, "ModelArts.4600", "labeler deletes");
    // Bad labels and bad batches change nothing.
    for (case, body) in [
        (
            "unknown label",
            json!({"samples": [{"sample_id": ids[0], "labels": [{"name": "Wasps"}]}]}),
        ),
        ("empty batch", json!({"samples": []})),
        (
            "labels type",
            json!({"samples": [{"sample_id": ids[0], "labels": "Bees"}]}),
        ),
        ("no sample id", json!({"samples": [{"labels": []}]})),
    ] {
        let r = app
            .as_worker(&ann, Method::PUT, &samples, Some(&body))
            .await;
        let failed = r.status == StatusCode::BAD_REQUEST || r.body["success"] == false;
        assert!(failed, "{case}: {}", r.body);
    }
    assert_eq!(
        items_of(&app, &ann, &ds, &task, "&sample_state=__NONE__")
            .await
            .len(),
        2
    );
    // Bad review, acceptance and report requests.
    let r = app
        .as_worker(
            &rev,
            Method::POST,
            &format!("{path}/data-annotations/review"),
            Some(&json!({"comments": [{"sample_id": ids[0], "accept": true, "score": "E"}]})),
        )
        .await;
    assert_error_in(&r, 400, "ModelArts.0101", "score E");
    let r = app
        .as_worker(
            &rev,
            Method::POST,
            &format!("{path}/data-annotations/review"),
            Some(&json!({"comments": [{"sample_id": ids[0]}]})),
        )
        .await;
    assert_error_in(&r, 400, "ModelArts.0101", "no accept");
    label(&app, &ann, &ds, &task, &ids, "Bees").await;
    let passed: Vec<Value> = ids
        .iter()
        .map(|i| json!({"sample_id": i, "accept": true}))
        .collect();
    let r = app
        .as_worker(
            &rev,
            Method::POST,
            &format!("{path}/data-annotations/review"),
            Some(&json!({"comments": passed})),
        )
        .await;
    assert_eq!(r.body, json!({}));
    let r = app
        .post(&format!("{path}/acceptance"), &json!({"sampling_rate": 2}))
        .await;
    assert_error_in(&r, 400, "ModelArts.0101", "rate above 1");
    let r = app
        .post(
            &format!("{path}/acceptance"),
            &json!({"sampling_rate": 0.5, "sampling_num": 1}),
        )
        .await;
    assert_error_in(&r, 400, "ModelArts.0101", "both");
    let r = app
        .put(&format!("{path}/acceptance/status"), &json!({"action": 0}))
        .await;
    assert_error_in(&r, 409, "ModelArts.4343", "end without a round");
    assert_eq!(
        app.get(&format!("{path}?sample_stats=true")).await.body["status"],
        1
    );
    let r = app
        .get(&format!(
            "{path}/acceptance/report?checking_task_id=ccccccccccccccccccc"
        ))
        .await;
    assert_error_in(&r, 404, "ModelArts.4612", "unknown round");
    let r = app.get(&format!("{path}/acceptance/report")).await;
    assert_error_in(&r, 400, "ModelArts.0101", "no round");
    let r = app
        .post(&format!("{path}/acceptance"), &json!({"sampling_num": 1}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .put(&format!("{path}/acceptance/status"), &json!({"action": 9}))
        .await;
    assert_error_in(&r, 400, "ModelArts.0101", "action 9");
    let r = app
        .put(
            &format!("{path}/acceptance/status"),
            &json!({"action": "0"}),
        )
        .await;
    assert_error_in(&r, 400, "ModelArts.0101", "action type");
    let r = app
        .get(&format!(
            "{path}/data-annotations/samples?sample_state=__DONE__"
        ))
        .await;
    assert_error_in(&r, 400, "ModelArts.0101", "bad state");
    let r = app
        .get(&format!("{path}/data-annotations/samples?limit=101"))
        .await;
    assert_error_in(&r, 400, "ModelArts.0101", "limit");
    let r = app
        .get(&format!("{}/ddddddddddddddddddd", tasks(&ds)))
        .await;
    assert_error_in(&r, 404, "ModelArts.4619", "unknown task");
    let r = app.get(&format!("{}/x", tasks(&ds))).await;
    assert_error_in(&r, 404, "ModelArts.4619", "malformed task id");
    let d = app.get(&format!("{path}?sample_stats=true")).await.body;
    assert_eq!(d["status"], 2, "{d}");
    assert_eq!(sample_stats(&d)[4], 1, "{d}");
    app.stop().await;
}

async fn samples_added_later_reach_tasks_that_synchronize_data(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let ds = app.new_dataset("arrivals").await;
    add_samples(&app, &ds, &["a.jpg", "b.jpg", "c.jpg"], false).await;
    let (team_id, w) = team(&app, "pair", &[("a@example.com", 0), ("b@example.com", 0)]).await;
    let config = json!({"workforces": [{"workforce_id": team_id}]});
    let mut ids = Vec::new();
    for (name, sync) in [("follows", true), ("fixed", false)] {
        let r = app
            .post(
                &tasks(&ds),
                &json!({"task_name": name, "synchronize_data": sync, "workforces_config": config}),
            )
            .await;
        let id = r.body["task_id"].as_str().unwrap().to_owned();
        assert_eq!(
            app.post(&format!("{}/{id}", tasks(&ds)), &json!({}))
                .await
                .status,
            StatusCode::OK
        );
        wait_status(&app, &ds, &id, 1).await;
        ids.push(id);
    }
    let a = app.worker_token(&w[0]).await;
    let b = app.worker_token(&w[1]).await;
    let count = |token: String, task: String| {
        let (app, ds) = (&app, ds.clone());
        async move { items_of(app, &token, &ds, &task, "").await.len() }
    };
    assert_eq!(
        count(a.clone(), ids[0].clone()).await + count(b.clone(), ids[0].clone()).await,
        3
    );
    // Three uploads later: the synchronizing task takes them, balanced; the other not.
    add_samples(&app, &ds, &["d.jpg", "e.jpg", "f.jpg"], false).await;
    let (na, nb) = (
        count(a.clone(), ids[0].clone()).await,
        count(b.clone(), ids[0].clone()).await,
    );
    assert_eq!(
        (na + nb, na.abs_diff(nb)),
        (6, 0),
        "balanced: {na} and {nb}"
    );
    assert_eq!(
        count(a.clone(), ids[1].clone()).await + count(b.clone(), ids[1].clone()).await,
        3
    );
    let d = app
        .get(&format!("{}/{}?sample_stats=true", tasks(&ds), ids[0]))
        .await
        .body;
    assert_eq!(d["synchronize_data"], true);
    assert_eq!(sample_stats(&d)[0], 6, "{d}");
    app.stop().await;
}
