//! Team labeling tasks end to end through HTTP: create, start (allocation), members
//! labeling with their own tokens, review, acceptance rounds with their ending
//! actions, synchronization into the dataset with overwrite, the rejected sample's
//! second round, the members' task lists, and deleting the task.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_error_in, Backend, TestApp};
use crate::team_helpers::{
    add_samples, dataset_labels, items_of, label, new_task, sample_stats, tasks, team, wait_status,
};

both_backends!(team_labeling_with_review_and_acceptance_reaches_the_dataset);

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
