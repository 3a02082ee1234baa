//! Team labeling task statistics through HTTP: label, sample, key-sample, hard reason
//! and metadata statistics over the task's samples, narrowed by `sample_state`, and
//! the refusals of the endpoint.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_error_in, Backend, TestApp};
use crate::sample_helpers::{b64, label_stat};
use crate::team_helpers::{items_of, label, new_task, tasks, team, wait_status};

both_backends!(task_statistics_cover_the_tasks_samples_by_state);

/// A team of two labelers, ann and bob, and a task over it: the team id, their worker
/// ids, ann's token, the task id and path.
pub(crate) async fn ann_and_bob(
    app: &TestApp,
    ds: &str,
    team_name: &str,
    task_name: &str,
) -> (String, Vec<String>, String, String, String) {
    let (team_id, w) = team(
        app,
        team_name,
        &[("ann@example.com", 0), ("bob@example.com", 0)],
    )
    .await;
    let ann = app.worker_token(&w[0]).await;
    let (task, path) = new_task(app, ds, task_name, &team_id).await;
    (team_id, w, ann, task, path)
}

async fn task_statistics_cover_the_tasks_samples_by_state(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let ds = app.new_dataset("team-stats").await;
    let r = app
        .post(
            &format!("/datasets/{ds}/data-annotations/samples"),
            &json!({"samples": [
                {"name": "a.jpg", "data": b64("a"),
                 "metadata": {"camera": "south", "@modelarts:hard": 1, "@modelarts:hard_reasons": [3, 20]}},
                {"name": "b.jpg", "data": b64("b"), "metadata": {"camera": "north"}},
                {"name": "c.jpg", "data": b64("c")},
                {"name": "d.jpg", "data": b64("d")},
                // Labeled already: outside the task's scope, so outside its statistics.
                {"name": "z.jpg", "data": b64("z"), "labels": [{"name": "Rabbits"}],
                 "metadata": {"camera": "east"}},
            ]}),
        )
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);
    let listed = app
        .get(&format!(
            "/datasets/{ds}/data-annotations/samples?limit=100"
        ))
        .await
        .body;
    let id_of = |name: &str| -> String {
        listed["samples"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["sample_name"] == name)
            .unwrap()["sample_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (a, b) = (id_of("a.jpg"), id_of("b.jpg"));
    let (_, _, ann, task, path) = ann_and_bob(&app, &ds, "counters", "stats-task").await;
    let stats_path = format!("{path}/data-annotations/stats");

    // Before starting, the task covers no sample.
    let s = app.get(&stats_path).await.body;
    assert_eq!(
        s["key_sample_stats"],
        json!({"total": 0, "key_sample": 0, "non_key_sample": 0}),
        "{s}"
    );
    assert_eq!(s["sample_stats"]["total"], 0, "{s}");

    let r = app.post(&path, &json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    wait_status(&app, &ds, &task, 1).await;

    // Started: the four unlabeled samples, nothing labeled yet.
    let s = app.get(&stats_path).await.body;
    assert_eq!(
        s["key_sample_stats"],
        json!({"total": 4, "key_sample": 1, "non_key_sample": 3}),
        "{s}"
    );
    assert_eq!(s["hard_detail_stats"]["3"]["key"], 1, "{s}");
    assert_eq!(s["hard_detail_stats"]["3"]["value"]["id"], 3, "{s}");
    assert_eq!(s["hard_detail_stats"]["20"]["key"], 1, "{s}");
    assert_eq!(
        s["metadata_stats"],
        json!({"camera": 2, "@modelarts:hard": 1, "@modelarts:hard_reasons": 1}),
        "{s}"
    );
    assert_eq!(s["sample_stats"]["total"], 4, "{s}");
    assert_eq!(s["sample_stats"]["un_annotation"], 4, "{s}");
    assert_eq!(s["data_spliting_enable"], false, "{s}");
    assert!(s["label_stats"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["count"] == 0 && l["sample_count"] == 0));
    assert_eq!(s["data_path"], "/bkt/in/", "{s}");

    // Ann labels her two samples as hard Bees with reason 7 (one box each is not
    // needed: a classification label carries the property).
    let mine: Vec<String> = items_of(&app, &ann, &ds, &task, "")
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(mine.len(), 2);
    let body: Vec<Value> = mine
        .iter()
        .map(|id| {
            json!({"sample_id": id, "labels": [
                {"name": "Bees", "property": {"@modelarts:hard": "true", "@modelarts:hard_reasons": "7"}},
                {"name": "Rabbits"},
            ]})
        })
        .collect();
    let r = app
        .as_worker(
            &ann,
            Method::PUT,
            &format!("{path}/data-annotations/samples"),
            Some(&json!({"samples": body})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["success"], true, "{}", r.body);

    let mine_set: HashSet<&String> = mine.iter().collect();
    let camera = [&a, &b].iter().filter(|id| mine_set.contains(*id)).count();
    let has_a = mine_set.contains(&a);

    // Labeled and waiting for acceptance (no reviewers): ann's two samples.
    let s = app
        .get(&format!("{stats_path}?sample_state=__UNCHECK__"))
        .await
        .body;
    assert_eq!(
        s["key_sample_stats"],
        json!({"total": 2, "key_sample": 2, "non_key_sample": 0}),
        "{s}"
    );
    assert_eq!(s["hard_detail_stats"]["7"]["key"], 2, "{s}");
    assert_eq!(
        s["hard_detail_stats"].get("3").map(|d| d["key"].clone()),
        has_a.then(|| json!(1)),
        "{s}"
    );
    assert_eq!(
        s["metadata_stats"].get("camera").cloned(),
        (camera > 0).then(|| json!(camera)),
        "{s}"
    );
    let counts: Vec<(String, i64, i64)> = s["label_stats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["name"].as_str().unwrap().to_owned(),
                l["count"].as_i64().unwrap(),
                l["sample_count"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(counts.contains(&("Bees".into(), 2, 2)), "{s}");
    assert!(counts.contains(&("Rabbits".into(), 2, 2)), "{s}");
    assert_eq!(s["grouped_label_stats"]["0"].as_array().unwrap().len(), 2);
    // The sample counts stay those of the whole task.
    assert_eq!(s["sample_stats"]["uncheck"], 2, "{s}");
    assert_eq!(s["sample_stats"]["un_annotation"], 2, "{s}");
    assert_eq!(s["data_spliting_enable"], true, "{s}");

    // Still unlabeled: bob's two, with no labels and no reason 7.
    let s = app
        .get(&format!("{stats_path}?sample_state=__NONE__"))
        .await
        .body;
    assert_eq!(s["key_sample_stats"]["total"], 2, "{s}");
    assert_eq!(
        s["key_sample_stats"]["key_sample"],
        i64::from(!has_a),
        "{s}"
    );
    assert!(s["hard_detail_stats"].get("7").is_none(), "{s}");
    assert!(s["label_stats"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["count"] == 0));

    // The whole task: ann's labels counted, and a counted once though two views see it.
    let s = app.get(&stats_path).await.body;
    assert_eq!(
        s["key_sample_stats"],
        json!({"total": 4, "key_sample": if has_a { 2 } else { 3 }, "non_key_sample": if has_a { 2 } else { 1 }}),
        "{s}"
    );
    assert_eq!(s["hard_detail_stats"]["3"]["key"], 1, "{s}");
    assert_eq!(s["metadata_stats"]["camera"], 2, "{s}");

    // Refusals: a bad state, an unknown or malformed task, no signature.
    let before = app.get(&stats_path).await.body;
    for query in ["?sample_state=__DONE__", "?sample_state=__all__x"] {
        let r = app.get(&format!("{stats_path}{query}")).await;
        assert_error_in(&r, 400, "ModelArts.0101", query);
    }
    for bad in ["0123456789abcdefghij", "x"] {
        let r = app
            .get(&format!("{}/{bad}/data-annotations/stats", tasks(&ds)))
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}: {}", r.body);
    }
    let r = app
        .raw(
            Method::GET,
            &format!("/v2/{}{stats_path}", app.creds.project_id),
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert_eq!(app.get(&stats_path).await.body, before);
    app.stop().await;
}

both_backends!(dataset_lists_and_statistics_read_team_labeling);

/// Names of the listed samples, sorted.
async fn names(app: &TestApp, ds: &str, query: &str) -> Vec<String> {
    let r = app
        .get(&format!(
            "/datasets/{ds}/data-annotations/samples?limit=100&{query}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.body);
    let mut out: Vec<String> = r.body["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sample_name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(r.body["sample_count"], out.len(), "{query}: {}", r.body);
    out.sort();
    out
}

async fn dataset_lists_and_statistics_read_team_labeling(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let ds = app.new_dataset("team-lists").await;
    let samples: Vec<Value> = ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]
        .iter()
        .map(|n| json!({"name": n, "data": b64(n)}))
        .collect();
    let r = app
        .post(
            &format!("/datasets/{ds}/data-annotations/samples"),
            &json!({ "samples": samples }),
        )
        .await;
    assert_eq!(r.body["success"], true, "{}", r.body);
    let (team_id, w, ann, task, path) = ann_and_bob(&app, &ds, "listers", "list-task").await;

    // Before the task starts nobody works on anything.
    let all = app
        .get(&format!(
            "/datasets/{ds}/data-annotations/samples?limit=100"
        ))
        .await
        .body;
    assert!(all["samples"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["labelers"] == json!([])));
    assert!(names(&app, &ds, "email=ann@example.com").await.is_empty());

    let r = app.post(&path, &json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    wait_status(&app, &ds, &task, 1).await;

    // Every sample names its one labeler, as a Worker object.
    let all = app
        .get(&format!(
            "/datasets/{ds}/data-annotations/samples?limit=100"
        ))
        .await
        .body;
    let mut ann_names = Vec::new();
    for s in all["samples"].as_array().unwrap() {
        let l = s["labelers"].as_array().unwrap();
        assert_eq!(l.len(), 1, "{s}");
        assert_eq!(l[0]["role"], 0, "{s}");
        assert_eq!(l[0]["workforce_id"], team_id.as_str(), "{s}");
        let email = l[0]["email"].as_str().unwrap();
        let worker = if email == "ann@example.com" {
            &w[0]
        } else {
            &w[1]
        };
        assert_eq!(l[0]["worker_id"], worker.as_str(), "{s}");
        if email == "ann@example.com" {
            ann_names.push(s["sample_name"].as_str().unwrap().to_owned());
        }
        let one = app
            .get(&format!(
                "/datasets/{ds}/data-annotations/samples/{}",
                s["sample_id"].as_str().unwrap()
            ))
            .await
            .body;
        assert_eq!(one["labelers"], s["labelers"], "{one}");
    }
    ann_names.sort();
    assert_eq!(ann_names.len(), 2);
    let bob_names: Vec<String> = ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]
        .iter()
        .map(|n| (*n).to_owned())
        .filter(|n| !ann_names.contains(n))
        .collect();

    // `email` lists a member's samples (case-insensitively); nobody's: none.
    assert_eq!(names(&app, &ds, "email=ann@example.com").await, ann_names);
    assert_eq!(names(&app, &ds, "email=Bob@Example.com").await, bob_names);
    assert!(names(&app, &ds, "email=eve@example.com").await.is_empty());

    // Ann labels hers; with no reviewers they wait for acceptance.
    let mine: Vec<String> = items_of(&app, &ann, &ds, &task, "")
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let done = label(&app, &ann, &ds, &task, &mine, "Bees").await;
    assert_eq!(done["success"], true, "{done}");

    // Team states read the task's items; dataset states the samples themselves.
    assert_eq!(
        names(&app, &ds, "sample_state=__UNCHECK__").await,
        ann_names
    );
    assert!(names(&app, &ds, "sample_state=__UNREVIEWED__")
        .await
        .is_empty());
    assert!(names(&app, &ds, "sample_state=__ACCEPTED__")
        .await
        .is_empty());
    assert_eq!(names(&app, &ds, "sample_state=__NONE__").await.len(), 4);
    // With a member, every state is that member's.
    assert_eq!(
        names(&app, &ds, "sample_state=__ALL__&email=ann@example.com").await,
        ann_names
    );
    assert!(
        names(&app, &ds, "sample_state=__NONE__&email=ann@example.com")
            .await
            .is_empty()
    );
    assert_eq!(
        names(&app, &ds, "sample_state=__NONE__&email=bob@example.com").await,
        bob_names
    );
    // The labeler search condition: who submitted an annotation of the sample.
    let by = |who: &str| crate::sample_helpers::enc(&json!([{ "labeler": who }]));
    assert_eq!(
        names(
            &app,
            &ds,
            &format!("search_conditions={}", by("human/ann@example.com"))
        )
        .await,
        ann_names
    );
    assert_eq!(
        names(
            &app,
            &ds,
            &format!("search_conditions={}", by("ann@example.com"))
        )
        .await,
        ann_names
    );
    assert!(names(
        &app,
        &ds,
        &format!("search_conditions={}", by("human/bob@example.com"))
    )
    .await
    .is_empty());
    let options = app
        .get(&format!("/datasets/{ds}/data-annotations/search-condition"))
        .await
        .body;
    assert_eq!(
        options["labelers"],
        json!(["human/ann@example.com"]),
        "{options}"
    );

    // Dataset statistics narrowed to a team state or a member; sample_stats stay whole.
    let stats = |q: &'static str| {
        let app = &app;
        let ds = ds.clone();
        async move {
            let r = app
                .get(&format!("/datasets/{ds}/data-annotations/stats{q}"))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.body);
            r.body
        }
    };
    let bees = |s: &Value| label_stat(s, "Bees");
    let s = stats("?sample_state=__UNCHECK__").await;
    assert_eq!(bees(&s), (2, 2), "{s}");
    assert_eq!(s["key_sample_stats"]["total"], 2, "{s}");
    assert_eq!(s["sample_stats"]["total"], 4, "{s}");
    assert_eq!(s["sample_stats"]["__NONE__"], 4, "{s}");
    let s = stats("?email=bob@example.com").await;
    assert_eq!(bees(&s), (0, 0), "{s}");
    assert_eq!(s["key_sample_stats"]["total"], 2, "{s}");
    let s = stats("?email=ann@example.com&sample_state=__ALL__").await;
    assert_eq!(bees(&s), (2, 2), "{s}");
    let s = stats("?sample_state=__ACCEPTED__").await;
    assert_eq!(bees(&s), (0, 0), "{s}");
    assert_eq!(s["key_sample_stats"]["total"], 0, "{s}");
    // Unnarrowed: the dataset's own counters (nothing accepted into it yet).
    let s = stats("").await;
    assert_eq!(bees(&s), (0, 0), "{s}");
    assert_eq!(s["key_sample_stats"]["total"], 4, "{s}");

    // Refusals change nothing.
    for (q, field) in [
        ("samples?email=not-an-email", "email"),
        ("samples?email=a%20b@example.com", "email"),
        ("stats?email=@example.com", "email"),
        // A published version keeps no team labeling.
        (
            "samples?email=ann@example.com&version_id=0123456789abcdefghij",
            "email",
        ),
        ("stats?sample_state=__DONE__", "sample_state"),
    ] {
        let r = app
            .get(&format!("/datasets/{ds}/data-annotations/{q}"))
            .await;
        assert_error_in(&r, 400, "ModelArts.0101", field);
    }
    assert_eq!(
        names(&app, &ds, "sample_state=__UNCHECK__").await,
        ann_names
    );
    app.stop().await;
}
