//! Authentication and tenancy: every way in that must be refused, is, and changes nothing.

use std::time::{Duration, SystemTime};

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{
    assert_error, assert_error_in, dataset_body, sdk_date_at, sdk_date_now, Backend, Creds, TestApp,
};

both_backends!(
    health_answers_without_authentication,
    unsigned_requests_get_401_modelarts_0205,
    bad_signatures_get_401_and_change_nothing,
    stale_dates_get_401_modelarts_0208,
    another_projects_path_gets_403,
    tokens_authenticate_and_are_scoped_to_their_project,
    datasets_of_one_project_are_invisible_to_another,
    secrets_are_not_readable_from_the_database,
    every_dataset_endpoint_refuses_bad_credentials_and_changes_nothing,
);

async fn health_answers_without_authentication(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let r = app.raw(Method::GET, "/health", &[], None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["status"], "ok");
}

async fn unsigned_requests_get_401_modelarts_0205(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.mkdir("bkt/in").await;
    app.mkdir("bkt/out").await;
    let path = app.v2("/datasets");
    assert_error(
        &app.raw(Method::GET, &path, &[], None).await,
        401,
        "ModelArts.0205",
    );
    let body = serde_json::to_vec(&dataset_body("x", "/bkt/in/", "/bkt/out/")).unwrap();
    let r = app
        .raw(
            Method::POST,
            &path,
            &[("content-type", "application/json")],
            Some(body),
        )
        .await;
    assert_error(&r, 401, "ModelArts.0205");
    assert_eq!(app.dataset_count().await, 0);
}

async fn bad_signatures_get_401_and_change_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.mkdir("bkt/in").await;
    app.mkdir("bkt/out").await;
    let path = app.v2("/datasets");
    let body = dataset_body("x", "/bkt/in/", "/bkt/out/");
    // Wrong secret key.
    let wrong = Creds {
        secret_key: "0".repeat(40),
        ..app.creds.clone()
    };
    assert_error(
        &app.signed_as(&wrong, Method::POST, &path, Some(&body))
            .await,
        401,
        "ModelArts.0206",
    );
    // Unknown access key.
    let unknown = Creds {
        access_key: "AAAAAAAAAAAAAAAAAAAA".into(),
        ..app.creds.clone()
    };
    assert_error(
        &app.signed_as(&unknown, Method::GET, &path, None).await,
        401,
        "ModelArts.0206",
    );
    // Malformed Authorization headers.
    let date = sdk_date_now();
    for auth in [
        "Basic dXNlcjpwYXNz",
        "SDK-HMAC-SHA256",
        "SDK-HMAC-SHA256 Access=AK",
        "SDK-HMAC-SHA1 Access=AK, SignedHeaders=host, Signature=00",
    ] {
        let r = app
            .raw(
                Method::GET,
                &path,
                &[("authorization", auth), ("x-sdk-date", &date)],
                None,
            )
            .await;
        assert_error(&r, 401, "ModelArts.0206");
    }
    // A signature without its date header, or with a malformed date.
    let r = app
        .raw(
            Method::GET,
            &path,
            &[(
                "authorization",
                "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=00",
            )],
            None,
        )
        .await;
    assert_error(&r, 401, "ModelArts.0206");
    let r = app
        .raw(
            Method::GET,
            &path,
            &[
                (
                    "authorization",
                    "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;x-sdk-date, Signature=00",
                ),
                ("x-sdk-date", "yesterday"),
            ],
            None,
        )
        .await;
    assert_error(&r, 401, "ModelArts.0206");
    // A body changed after signing.
    let signed = serde_json::to_vec(&body).unwrap();
    let creds = app.creds.clone();
    let date = sdk_date_now();
    let parts = labelhive::api::auth::signing::RequestParts {
        method: "POST",
        path: &path,
        query: None,
        headers: vec![
            ("host".into(), app.addr.to_string()),
            ("content-type".into(), "application/json".into()),
            ("x-sdk-date".into(), date.clone()),
        ],
        body: &signed,
    };
    let authorization = labelhive::api::auth::signing::sign_request(
        &creds.access_key,
        &creds.secret_key,
        &parts,
        &date,
    );
    let tampered = serde_json::to_vec(&dataset_body("evil", "/bkt/in/", "/bkt/out/")).unwrap();
    let r = app
        .raw(
            Method::POST,
            &path,
            &[
                ("content-type", "application/json"),
                ("x-sdk-date", &date),
                ("authorization", &authorization),
            ],
            Some(tampered),
        )
        .await;
    assert_error(&r, 401, "ModelArts.0206");
    assert_eq!(app.dataset_count().await, 0);
}

async fn stale_dates_get_401_modelarts_0208(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let creds = app.creds.clone();
    let path = app.v2("/datasets");
    for offset in [Duration::from_secs(16 * 60), Duration::from_secs(3600)] {
        let past = sdk_date_at(SystemTime::now() - offset);
        assert_error(
            &app.send_signed(&creds, Method::GET, &path, Vec::new(), &past)
                .await,
            401,
            "ModelArts.0208",
        );
        let future = sdk_date_at(SystemTime::now() + offset);
        assert_error(
            &app.send_signed(&creds, Method::GET, &path, Vec::new(), &future)
                .await,
            401,
            "ModelArts.0208",
        );
    }
    // Fourteen minutes off is still accepted.
    let close = sdk_date_at(SystemTime::now() - Duration::from_secs(14 * 60));
    assert_eq!(
        app.send_signed(&creds, Method::GET, &path, Vec::new(), &close)
            .await
            .status,
        StatusCode::OK
    );
}

async fn another_projects_path_gets_403(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.mkdir("bkt/in").await;
    app.mkdir("bkt/out").await;
    let other = app.create_project("other").await;
    // Signed by the default project, aimed at the other project's path.
    let path = format!("/v2/{}/datasets", other.project_id);
    assert_error(
        &app.signed(Method::GET, &path, None).await,
        403,
        "ModelArts.0210",
    );
    let r = app
        .signed(
            Method::POST,
            &path,
            Some(&dataset_body("x", "/bkt/in/", "/bkt/out/")),
        )
        .await;
    assert_error(&r, 403, "ModelArts.0210");
    // A project id that exists nowhere.
    assert_error(
        &app.signed(
            Method::GET,
            "/v2/00000000000000000000000000000000/datasets",
            None,
        )
        .await,
        403,
        "ModelArts.0210",
    );
    let r = app.signed_as(&other, Method::GET, &path, None).await;
    assert_eq!(
        r.body["total_number"], 0,
        "nothing was created in the other project"
    );
}

async fn tokens_authenticate_and_are_scoped_to_their_project(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.mkdir("bkt/in").await;
    app.mkdir("bkt/out").await;
    let token = app.token(&app.creds.clone()).await;
    assert_eq!(token.len(), 64);
    let path = app.v2("/datasets");
    let body = serde_json::to_vec(&dataset_body("by-token", "/bkt/in/", "/bkt/out/")).unwrap();
    let r = app
        .raw(
            Method::POST,
            &path,
            &[
                ("x-auth-token", &token),
                ("content-type", "application/json"),
            ],
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = app
        .raw(Method::GET, &path, &[("x-auth-token", &token)], None)
        .await;
    assert_eq!(r.body["total_number"], 1);
    // Another project's path with this token.
    let other = app.create_project("other").await;
    let r = app
        .raw(
            Method::GET,
            &format!("/v2/{}/datasets", other.project_id),
            &[("x-auth-token", &token)],
            None,
        )
        .await;
    assert_error(&r, 403, "ModelArts.0210");
    // Unknown tokens and wrong key pairs.
    let r = app
        .raw(
            Method::GET,
            &path,
            &[("x-auth-token", &"f".repeat(64))],
            None,
        )
        .await;
    assert_error(&r, 401, "ModelArts.0203");
    let bad =
        serde_json::to_vec(&json!({"access_key": app.creds.access_key, "secret_key": "wrong"}))
            .unwrap();
    assert_error(
        &app.raw(Method::POST, "/auth/tokens", &[], Some(bad)).await,
        401,
        "ModelArts.0206",
    );
    let bad = serde_json::to_vec(&json!({"access_key": 5})).unwrap();
    assert_error(
        &app.raw(Method::POST, "/auth/tokens", &[], Some(bad)).await,
        400,
        "ModelArts.0101",
    );
}

async fn datasets_of_one_project_are_invisible_to_another(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("mine").await;
    let other = app.create_project("other").await;
    let base = format!("/v2/{}/datasets/{id}", other.project_id);
    assert_error(
        &app.signed_as(&other, Method::GET, &base, None).await,
        404,
        "ModelArts.4352",
    );
    let r = app
        .signed_as(
            &other,
            Method::PUT,
            &base,
            Some(&json!({"description": "hijacked"})),
        )
        .await;
    assert_error(&r, 404, "ModelArts.4352");
    assert_error(
        &app.signed_as(&other, Method::DELETE, &base, None).await,
        404,
        "ModelArts.4352",
    );
    let r = app
        .signed_as(
            &other,
            Method::GET,
            &format!("/v2/{}/datasets", other.project_id),
            None,
        )
        .await;
    assert_eq!(r.body["total_number"], 0);
    let mine = app.get(&format!("/datasets/{id}")).await.body;
    assert_eq!(mine["description"], "", "untouched");
}

async fn secrets_are_not_readable_from_the_database(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let token = app.token(&app.creds.clone()).await;
    let dump = match backend {
        Backend::Sqlite | Backend::SqliteS3 => {
            let bytes = std::fs::read(app.data_dir.path().join("labelhive.db")).unwrap();
            let wal =
                std::fs::read(app.data_dir.path().join("labelhive.db-wal")).unwrap_or_default();
            String::from_utf8_lossy(&[bytes, wal].concat()).into_owned()
        }
        Backend::Postgres => {
            use sqlx::{Connection, Row};
            let mut conn = sqlx::PgConnection::connect(app.database_url.as_deref().unwrap())
                .await
                .unwrap();
            let mut text = String::new();
            for table in ["projects", "tokens"] {
                let rows = sqlx::query(&format!("select row_to_json(t)::text as j from {table} t"))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
                for r in rows {
                    text.push_str(&r.get::<String, _>("j"));
                }
            }
            text
        }
    };
    assert!(dump.contains(&app.creds.access_key), "the dump is real");
    assert!(
        !dump.contains(&app.creds.secret_key),
        "no secret key in the database"
    );
    assert!(!dump.contains(&token), "no token in the database");
}

async fn every_dataset_endpoint_refuses_bad_credentials_and_changes_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.put_files("bkt/in", 3, "jpg").await;
    app.mkdir("bkt/out").await;
    let id = app.new_dataset("kept").await;
    app.wait_for_dataset_status(&id, 1).await;
    let before = app.get(&format!("/datasets/{id}")).await.body;
    let other = app.create_project("intruder").await;
    let update = json!({"dataset_name": "changed", "description": "changed"});
    let create = dataset_body("new-one", "/bkt/in/", "/bkt/out/");
    let endpoints: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (Method::GET, "/datasets".into(), None),
        (Method::POST, "/datasets".into(), Some(create)),
        (Method::GET, format!("/datasets/{id}"), None),
        (Method::PUT, format!("/datasets/{id}"), Some(update)),
        (Method::DELETE, format!("/datasets/{id}"), None),
        (
            Method::GET,
            format!("/datasets/{id}/metrics?start_time=0&end_time=1"),
            None,
        ),
    ];
    let wrong = Creds {
        secret_key: "1".repeat(40),
        ..app.creds.clone()
    };
    let stale = sdk_date_at(SystemTime::now() - Duration::from_secs(3600));
    for (method, path, body) in endpoints {
        let full = app.v2(&path);
        let bytes = body.as_ref().map(|b| serde_json::to_vec(b).unwrap());
        let what = format!("{method} {path}");
        let r = app
            .raw(
                method.clone(),
                &full,
                &[("content-type", "application/json")],
                bytes.clone(),
            )
            .await;
        assert_error_in(&r, 401, "ModelArts.0205", &format!("unsigned {what}"));
        let r = app
            .signed_as(&wrong, method.clone(), &full, body.as_ref())
            .await;
        assert_error_in(
            &r,
            401,
            "ModelArts.0206",
            &format!("wrong signature {what}"),
        );
        let r = app
            .send_signed(
                &app.creds.clone(),
                method.clone(),
                &full,
                bytes.clone().unwrap_or_default(),
                &stale,
            )
            .await;
        assert_error_in(&r, 401, "ModelArts.0208", &format!("stale date {what}"));
        let r = app
            .signed_as(&other, method.clone(), &full, body.as_ref())
            .await;
        assert_error_in(
            &r,
            403,
            "ModelArts.0210",
            &format!("another project {what}"),
        );
    }
    assert_eq!(
        app.get(&format!("/datasets/{id}")).await.body,
        before,
        "nothing changed"
    );
    assert_eq!(app.dataset_count().await, 1);
}
