//! A synchronization that fails for good (here: a trigger in the metadata database
//! refuses every new label row, on each of the job's attempts) does not leave the task
//! synchronizing (5) forever: the task takes the status its items give, and the
//! dataset keeps what it had.

use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::team_helpers::{add_samples, dataset_labels, label, new_task, team, wait_status};

both_backends!(a_synchronization_that_fails_for_good_ends_the_acceptance);

async fn a_synchronization_that_fails_for_good_ends_the_acceptance(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let ds = app.new_dataset("sync-fails").await;
    let ids = add_samples(&app, &ds, &["s1.jpg"], false).await;
    let (team_id, w) = team(&app, "solo", &[("a@example.com", 0)]).await;
    let (task, path) = new_task(&app, &ds, "failing-sync", &team_id).await;
    assert_eq!(app.post(&path, &json!({})).await.status, StatusCode::OK);
    wait_status(&app, &ds, &task, 1).await;
    let token = app.worker_token(&w[0]).await;
    label(&app, &token, &ds, &task, &ids, "Rabbits").await;
    let r = app
        .post(
            &format!("{path}/acceptance"),
            &json!({"sampling_rate": 1.0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let db = app.sql_pool().await;
    let refuse: &[&str] = match backend {
        Backend::Postgres => &[
            "create function refuse_labels() returns trigger language plpgsql as \
             $$ begin raise exception 'refused by the test'; end $$",
            "create trigger refuse_labels before insert on sample_labels \
             for each row execute function refuse_labels()",
        ],
        _ => &[
            "create trigger refuse_labels before insert on sample_labels \
                begin select raise(abort, 'refused by the test'); end",
        ],
    };
    for sql in refuse {
        sqlx::query(sql)
            .execute(&db)
            .await
            .expect("install the trigger");
    }

    let r = app
        .put(
            &format!("{path}/acceptance/status"),
            &json!({"action": 0, "overwrite_last_result": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Every item was accepted: the task ends accepted, not synchronizing.
    wait_status(&app, &ds, &task, 3).await;
    assert!(
        dataset_labels(&app, &ds, &ids[0]).await.is_empty(),
        "the refused labels did not reach the dataset"
    );
    db.close().await;
    app.stop().await;
}
