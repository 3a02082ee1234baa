//! Allocation of a task's samples to its labelers: two allocations of one task that
//! looked at the same samples before either wrote give each sample its labelers once
//! (below the API), a failed allocation lets the task be started again, and samples
//! added later reach, balanced, the tasks that synchronize data and no other.

use labelhive_domain::store::TeamTaskStore;
use labelhive_store::SqlStore;
use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::team_helpers::{add_samples, items_of, sample_stats, tasks, team, wait_status};
use crate::team_stats::ann_and_bob;

both_backends!(racing_allocations_give_a_sample_its_labelers_once);

async fn racing_allocations_give_a_sample_its_labelers_once(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let ds = app.new_dataset("race").await;
    let ids = add_samples(&app, &ds, &["a.jpg", "b.jpg"], false).await;
    // Created, not started: no sample is allocated yet.
    let (_, w, _, task, _) = ann_and_bob(&app, &ds, "racers", "race-task").await;
    let store = SqlStore::connect(&app.database_url_or_sqlite())
        .await
        .unwrap();
    // The first allocation gives a.jpg to ann; the second, which looked before the
    // first wrote, would give a.jpg to bob as well, and b.jpg to bob.
    let first = store
        .allocate_items(&task, &[(ids[0].clone(), w[0].clone())], 1)
        .await
        .unwrap();
    let second = store
        .allocate_items(
            &task,
            &[
                (ids[0].clone(), w[1].clone()),
                (ids[1].clone(), w[1].clone()),
            ],
            2,
        )
        .await
        .unwrap();
    assert_eq!((first, second), (1, 1));
    let items = store.items_of(&task, &ids).await.unwrap();
    let got: Vec<(&str, &str)> = items
        .iter()
        .map(|i| (i.sample_id.as_str(), i.worker_id.as_str()))
        .collect();
    let mut want = vec![
        (ids[0].as_str(), w[0].as_str()),
        (ids[1].as_str(), w[1].as_str()),
    ];
    want.sort_unstable();
    assert_eq!(got, want);
    store.close().await;
    // The API sees the same: one labeler per sample.
    let listed = app
        .get(&format!("/datasets/{ds}/data-annotations/samples?limit=10"))
        .await
        .body;
    for s in listed["samples"].as_array().unwrap() {
        assert_eq!(s["labelers"].as_array().unwrap().len(), 1, "{s}");
    }
    assert_eq!(listed["sample_count"], json!(2));
    app.stop().await;
}

both_backends!(a_failed_allocation_lets_the_task_be_started_again);

async fn a_failed_allocation_lets_the_task_be_started_again(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let ds = app.new_dataset("fails").await;
    add_samples(&app, &ds, &["a.jpg", "b.jpg"], false).await;
    let (_, _, _, task, path) = ann_and_bob(&app, &ds, "starters", "fail-task").await;
    // A fault below the API: conditions the allocation cannot read, so every attempt
    // of its job fails.
    let sql = app.sql_pool().await;
    sqlx::query("update team_tasks set sample_conditions = '{' where id = $1")
        .bind(&task)
        .execute(&sql)
        .await
        .unwrap();
    let r = app.post(&path, &json!({})).await;
    assert_eq!(r.status, reqwest::StatusCode::OK, "{}", r.body);
    // Starting (0) until the job gives up, then created (6) again, nothing allocated.
    wait_status(&app, &ds, &task, 6).await;
    let d = app.get(&format!("{path}?sample_stats=true")).await.body;
    assert_eq!(d["sample_stats"]["total_sample_count"], 0, "{d}");
    let listed = app
        .get(&format!("/datasets/{ds}/data-annotations/samples?limit=10"))
        .await
        .body;
    assert!(listed["samples"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["labelers"] == json!([])));
    // Mended, it starts and allocates.
    sqlx::query("update team_tasks set sample_conditions = '' where id = $1")
        .bind(&task)
        .execute(&sql)
        .await
        .unwrap();
    sql.close().await;
    let r = app.post(&path, &json!({})).await;
    assert_eq!(r.status, reqwest::StatusCode::OK, "{}", r.body);
    wait_status(&app, &ds, &task, 1).await;
    let listed = app
        .get(&format!("/datasets/{ds}/data-annotations/samples?limit=10"))
        .await
        .body;
    assert!(listed["samples"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["labelers"].as_array().unwrap().len() == 1));
    app.stop().await;
}

both_backends!(samples_added_later_reach_tasks_that_synchronize_data);

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
