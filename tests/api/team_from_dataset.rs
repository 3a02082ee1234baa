//! A dataset created with `workforce_information` gets its team task in the same
//! request: started when its teams have the labelers, allocating the samples of the
//! dataset's first import once that import has ended; a bad team refuses the dataset.

use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{assert_error_in, dataset_body, Backend, TestApp};
use crate::team_helpers::{tasks, team, wait_status};

both_backends!(a_dataset_created_with_its_team_starts_the_task_after_its_import);

async fn a_dataset_created_with_its_team_starts_the_task_after_its_import(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.mkdir("bkt/in").await;
    app.mkdir("bkt/out").await;
    for i in 0..7 {
        std::fs::write(
            app.obs().join(format!("bkt/in/img{i}.jpg")),
            format!("image {i}"),
        )
        .unwrap();
    }
    let (team_id, _) = team(
        &app,
        "founders",
        &[
            ("ann@example.org", 0),
            ("bob@example.org", 0),
            ("rev@example.org", 1),
        ],
    )
    .await;
    let with_team = |name: &str, info: serde_json::Value| {
        let mut body = dataset_body(name, "/bkt/in/", "/bkt/out/");
        body["workforce_information"] = info;
        body
    };

    // A team that does not exist, or a member not in it, refuses the whole dataset.
    for (case, info, status, code) in [
        (
            "unknown team",
            json!({"task_name": "t", "workforces_config": {"workforces": [{"workforce_id": "a".repeat(19)}]}}),
            404,
            "ModelArts.4601",
        ),
        (
            "unknown member",
            json!({"task_name": "t", "workforces_config": {"workforces": [{"workforce_id": team_id, "workers": [{"email": "nobody@example.org"}]}]}}),
            404,
            "ModelArts.4604",
        ),
    ] {
        let r = app.post("/datasets", &with_team("refused", info)).await;
        assert_error_in(&r, status, code, case);
        assert_eq!(app.dataset_count().await, 0, "{case}: nothing created");
    }

    let r = app
        .post(
            "/datasets",
            &with_team(
                "teamed",
                json!({"task_name": "first-pass", "workforces_config": {"workforces": [{"workforce_id": team_id}]}}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let ds = r.body["dataset_id"].as_str().unwrap().to_owned();
    app.wait_for_dataset_status(&ds, 1).await;
    let listed = app.get(&tasks(&ds)).await.body;
    assert_eq!(listed["count"], 1, "{listed}");
    let task = listed["tasks"][0]["task_id"].as_str().unwrap().to_owned();
    assert_eq!(listed["tasks"][0]["task_name"], "first-pass");
    wait_status(&app, &ds, &task, 1).await;
    let d = app
        .get(&format!("{}/{task}?sample_stats=true", tasks(&ds)))
        .await
        .body;
    // Every imported sample was allocated, evenly, to the two labelers.
    assert_eq!(d["sample_stats"]["total_sample_count"], 7, "{d}");
    let metrics = app
        .get(&format!("{}/{task}/metrics", tasks(&ds)))
        .await
        .body;
    let mut loads: Vec<i64> = ["ann@example.org", "bob@example.org"]
        .iter()
        .map(|e| {
            metrics["sample_stats"][e]["un_annotation"]
                .as_i64()
                .unwrap()
        })
        .collect();
    loads.sort();
    assert_eq!(loads, vec![3, 4], "{metrics}");
    let details = app.get(&format!("/datasets/{ds}")).await.body;
    assert_eq!(
        details["workforce_descriptor"]["current_task_id"],
        task.as_str(),
        "{details}"
    );
}
