//! PostgreSQL connections cut under the server (a database restart) do not fail the
//! requests that follow: the pool pings a connection before handing it out (sqlx's
//! `test_before_acquire`) and replaces a dead one. Pinging only connections idle for a
//! while was tried for its saved round trip, and failed the first request after a cut.

use sqlx::Row;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};

backend_tests!(connections_cut_under_the_server_are_replaced: postgres => Postgres);

async fn connections_cut_under_the_server_are_replaced(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("cut-connections").await;
    let path = format!("/datasets/{id}");
    assert_eq!(app.get(&path).await.status, 200);

    // Right after the cut, on connections used a moment ago.
    cut_every_connection(&app).await;
    for _ in 0..5 {
        let shown = app.get(&path).await;
        assert_eq!(shown.status, 200, "{}", shown.body);
        assert_eq!(shown.body["dataset_name"], "cut-connections");
    }
}

/// Terminates every connection of the server to its database, as a restart would.
async fn cut_every_connection(app: &TestApp) {
    let admin = app.sql_pool().await;
    let cut = sqlx::query(
        "select count(pg_terminate_backend(pid)) as n from pg_stat_activity \
         where datname = current_database() and pid <> pg_backend_pid()",
    )
    .fetch_one(&admin)
    .await
    .expect("terminate");
    let n: i64 = cut.try_get("n").expect("count");
    assert!(n >= 1, "the server held no connection to cut");
    admin.close().await;
}
