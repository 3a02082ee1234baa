//! Team task roles and refusals through HTTP: bad create, start, update, review,
//! acceptance and listing requests, members acting outside their role (labeler,
//! reviewer, outsider), each refused with its error and changing nothing.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_error_in, Backend, TestApp};
use crate::team_helpers::{add_samples, items_of, label, sample_stats, tasks, team, wait_status};

both_backends!(roles_are_enforced_and_bad_requests_change_nothing);

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
