//! Labeling teams and members: create, list (every query parameter), details, update,
//! delete, the one-manager and one-email rules, project scoping, and bad input that
//! changes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_error_in, sdk_date_now, Backend, TestApp};

both_backends!(teams_are_created_listed_updated_and_deleted);
both_backends!(members_are_people_added_by_email_with_one_manager_per_team);
both_backends!(team_and_member_requests_are_checked_and_change_nothing);
both_backends!(a_workers_token_cannot_manage_teams);

/// Creates a team and returns its id.
async fn team(app: &TestApp, name: &str, description: &str) -> String {
    let r = app
        .post(
            "/workforces",
            &json!({"workforce_name": name, "description": description}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body["workforce_id"].as_str().unwrap().to_owned()
}

/// Names of a team list page.
fn team_names(body: &Value) -> Vec<&str> {
    body["workforces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["workforce_name"].as_str().unwrap())
        .collect()
}

/// Emails of a member list page.
fn emails(body: &Value) -> Vec<&str> {
    body["workers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["email"].as_str().unwrap())
        .collect()
}

async fn add(app: &TestApp, team: &str, body: Value) -> crate::helpers::Resp {
    app.post(&format!("/workforces/{team}/workers"), &body)
        .await
}

async fn teams_are_created_listed_updated_and_deleted(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let a = team(&app, "team-a", "my team").await;
    let b = team(&app, "team_b", "").await;
    assert_eq!(a.len(), 19);

    let list = |q: &'static str| {
        let app = &app;
        async move {
            let r = app.get(&format!("/workforces{q}")).await;
            assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.body);
            r.body
        }
    };
    let all = list("").await;
    assert_eq!(all["total_number"], 2);
    let by_name = list("?sort_by=workforce_name&order=asc").await;
    assert_eq!(team_names(&by_name), ["team-a", "team_b"]);
    let by_name_desc = list("?sort_by=workforce_name").await;
    assert_eq!(team_names(&by_name_desc), ["team_b", "team-a"]);
    let second_page = list("?sort_by=workforce_name&order=asc&limit=1&offset=1").await;
    assert_eq!(team_names(&second_page), ["team_b"]);
    assert_eq!(second_page["total_number"], 2);
    assert_eq!(
        team_names(&list("?search_content=MY%20T").await),
        ["team-a"]
    );
    assert_eq!(team_names(&list("?search_content=_").await), ["team_b"]);

    let d = app.get(&format!("/workforces/{a}")).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    assert_eq!(d.body["workforce_id"], a.as_str());
    assert_eq!(d.body["workforce_name"], "team-a");
    assert_eq!(d.body["description"], "my team");
    assert_eq!(d.body["worker_count"], 0);
    assert_eq!(d.body["workspace_id"], "0");
    assert!(d.body["create_time"].as_i64().unwrap() > 0);

    let r = app
        .put(
            &format!("/workforces/{a}"),
            &json!({"workforce_name": "team-c", "description": "renamed"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, json!({}));
    let d = app.get(&format!("/workforces/{a}")).await.body;
    assert_eq!(
        (d["workforce_name"].as_str(), d["description"].as_str()),
        (Some("team-c"), Some("renamed"))
    );
    // Only the description: the name stays.
    let r = app
        .put(&format!("/workforces/{a}"), &json!({"description": ""}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        app.get(&format!("/workforces/{a}")).await.body["workforce_name"],
        "team-c"
    );

    // Names are unique in the project, free in another one.
    let r = app
        .post("/workforces", &json!({"workforce_name": "team_b"}))
        .await;
    assert_error_in(&r, 409, "ModelArts.4602", "a taken name");
    let r = app
        .put(
            &format!("/workforces/{a}"),
            &json!({"workforce_name": "team_b"}),
        )
        .await;
    assert_error_in(&r, 409, "ModelArts.4602", "renaming to a taken name");
    assert_eq!(
        app.get(&format!("/workforces/{a}")).await.body["workforce_name"],
        "team-c"
    );
    let other = app.create_project("other").await;
    let path = format!("/v2/{}/workforces", other.project_id);
    let r = app
        .signed_as(
            &other,
            Method::POST,
            &path,
            Some(&json!({"workforce_name": "team_b"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // The other project sees only its own team, and not ours by id.
    let r = app.signed_as(&other, Method::GET, &path, None).await;
    assert_eq!(r.body["total_number"], 1, "{}", r.body);
    let r = app
        .signed_as(&other, Method::GET, &format!("{path}/{b}"), None)
        .await;
    assert_error_in(&r, 404, "ModelArts.4601", "another project's team");
    let r = app
        .signed_as(&other, Method::DELETE, &format!("{path}/{b}"), None)
        .await;
    assert_error_in(&r, 404, "ModelArts.4601", "deleting another project's team");

    let r = app.delete(&format!("/workforces/{b}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_error_in(
        &app.get(&format!("/workforces/{b}")).await,
        404,
        "ModelArts.4601",
        "deleted",
    );
    assert_error_in(
        &app.delete(&format!("/workforces/{b}")).await,
        404,
        "ModelArts.4601",
        "again",
    );
    assert_eq!(list("").await["total_number"], 1);
    app.stop().await;
}

async fn members_are_people_added_by_email_with_one_manager_per_team(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let t = team(&app, "labelers", "").await;
    let r = add(
        &app,
        &t,
        json!({"emails": "Ann@Example.com, bob@example.com", "role": 0}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // The documented example sends the role as a string.
    let r = add(
        &app,
        &t,
        json!({"emails": "carl@example.com", "role": "2", "description": "lead"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = add(&app, &t, json!({"emails": "dora@example.com", "role": 2})).await;
    assert_error_in(&r, 400, "ModelArts.4617", "a second manager");
    let r = add(
        &app,
        &t,
        json!({"emails": "eve@example.com, ann@example.com", "role": 1}),
    )
    .await;
    assert_error_in(&r, 409, "ModelArts.4605", "an email already in the team");

    let members = app
        .get(&format!("/workforces/{t}/workers?sort_by=email&order=asc"))
        .await;
    assert_eq!(members.status, StatusCode::OK, "{}", members.body);
    assert_eq!(
        members.body["total_number"], 3,
        "nothing of the refused requests"
    );
    assert_eq!(
        emails(&members.body),
        ["ann@example.com", "bob@example.com", "carl@example.com"]
    );
    let ann = members.body["workers"][0].clone();
    assert_eq!(ann["role"], 0);
    assert_eq!(ann["status"], 0, "no invitation sent");
    assert_eq!(ann["workforce_id"], t.as_str());
    let ann_id = ann["worker_id"].as_str().unwrap().to_owned();
    assert_eq!(ann_id.len(), 32);
    let page = app
        .get(&format!(
            "/workforces/{t}/workers?sort_by=email&order=desc&limit=1&offset=1"
        ))
        .await;
    assert_eq!(emails(&page.body), ["bob@example.com"]);
    assert_eq!(
        app.get(&format!("/workforces/{t}")).await.body["worker_count"],
        3
    );

    // The same person in a second team keeps their id.
    let t2 = team(&app, "reviewers", "").await;
    let r = add(&app, &t2, json!({"emails": "ann@example.com", "role": 1})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let all = app.get("/workforces/workers?role=1").await;
    assert_eq!(emails(&all.body), ["ann@example.com"]);
    assert_eq!(all.body["workers"][0]["worker_id"], ann_id.as_str());
    assert_eq!(all.body["workers"][0]["workforce_id"], t2.as_str());
    // `role` defaults to 0, as documented.
    let labelers = app.get("/workforces/workers?sort_by=email&order=asc").await;
    assert_eq!(
        emails(&labelers.body),
        ["ann@example.com", "bob@example.com"]
    );
    let managers = app.get("/workforces/workers?role=2").await;
    assert_eq!(emails(&managers.body), ["carl@example.com"]);

    let d = app.get(&format!("/workforces/{t}/workers/{ann_id}")).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    assert_eq!(d.body["email"], "ann@example.com");
    let r = app
        .put(
            &format!("/workforces/{t}/workers/{ann_id}"),
            &json!({"role": 1, "description": "checks boxes"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = app
        .get(&format!("/workforces/{t}/workers/{ann_id}"))
        .await
        .body;
    assert_eq!(
        (d["role"].as_i64(), d["description"].as_str()),
        (Some(1), Some("checks boxes"))
    );
    let r = app
        .put(
            &format!("/workforces/{t}/workers/{ann_id}"),
            &json!({"role": 2}),
        )
        .await;
    assert_error_in(&r, 400, "ModelArts.4617", "promoting a second manager");
    assert_eq!(
        app.get(&format!("/workforces/{t}/workers/{ann_id}"))
            .await
            .body["role"],
        1
    );
    let carl = managers.body["workers"][0]["worker_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .put(
            &format!("/workforces/{t}/workers/{carl}"),
            &json!({"role": 2}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "the manager stays manager: {}",
        r.body
    );

    let r = app
        .delete(&format!("/workforces/{t}/workers/{ann_id}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = app.get(&format!("/workforces/{t}/workers/{ann_id}")).await;
    assert_error_in(&r, 404, "ModelArts.4604", "a removed member");
    let r = app
        .delete(&format!("/workforces/{t}/workers/{ann_id}"))
        .await;
    assert_error_in(&r, 404, "ModelArts.4604", "removing twice");
    // Ann is still in the second team.
    let r = app.get(&format!("/workforces/{t2}/workers/{ann_id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let bob = labelers.body["workers"][1]["worker_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let unknown = "0123456789abcdef0123456789abcdef";
    let r = app
        .post(
            &format!("/workforces/{t}/workers/batch-delete"),
            &json!({"workers": [bob, unknown]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["success"], false, "{}", r.body);
    assert_eq!(r.body["results"][0], json!({"success": true}));
    assert_eq!(r.body["results"][1]["error_code"], "ModelArts.4604");
    let left = app.get(&format!("/workforces/{t}/workers")).await;
    assert_eq!(emails(&left.body), ["carl@example.com"]);

    // Deleting a team removes its memberships, not the person's other ones.
    let r = app.delete(&format!("/workforces/{t}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = app.get("/workforces/workers?role=2").await;
    assert_eq!(r.body["total_number"], 0, "{}", r.body);
    assert_eq!(
        app.get("/workforces/workers?role=1").await.body["total_number"],
        1
    );
    app.stop().await;
}

/// A refused request: case, method, path, body, status, error code.
type Case<'a> = (&'a str, Method, String, Option<Value>, u16, &'a str);

async fn team_and_member_requests_are_checked_and_change_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let t = team(&app, "team", "").await;
    let r = add(&app, &t, json!({"emails": "ann@example.com", "role": 0})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let ann = app.get(&format!("/workforces/{t}/workers")).await.body["workers"][0]["worker_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = snapshot(&app, &t).await;

    let long = "x".repeat(65);
    let many: Vec<String> = (0..101).map(|i| format!("u{i}@example.com")).collect();
    let unknown_team = "AAAAAAAAAAAAAAAAAAA";
    let cases: Vec<Case<'_>> = vec![
        (
            "no name",
            Method::POST,
            "/workforces".into(),
            Some(json!({"description": "x"})),
            400,
            "ModelArts.0101",
        ),
        (
            "name with a space",
            Method::POST,
            "/workforces".into(),
            Some(json!({"workforce_name": "a b"})),
            400,
            "ModelArts.0101",
        ),
        (
            "name too long",
            Method::POST,
            "/workforces".into(),
            Some(json!({"workforce_name": long})),
            400,
            "ModelArts.0101",
        ),
        (
            "name type",
            Method::POST,
            "/workforces".into(),
            Some(json!({"workforce_name": 5})),
            400,
            "ModelArts.0101",
        ),
        (
            "special description",
            Method::POST,
            "/workforces".into(),
            Some(json!({"workforce_name": "n", "description": "<b>"})),
            400,
            "ModelArts.0101",
        ),
        (
            "rename with a space",
            Method::PUT,
            format!("/workforces/{t}"),
            Some(json!({"workforce_name": "a b"})),
            400,
            "ModelArts.0101",
        ),
        (
            "unknown team update",
            Method::PUT,
            format!("/workforces/{unknown_team}"),
            Some(json!({"description": "x"})),
            404,
            "ModelArts.4601",
        ),
        (
            "malformed team id",
            Method::GET,
            "/workforces/x!".into(),
            None,
            404,
            "ModelArts.4601",
        ),
        (
            "limit 0",
            Method::GET,
            "/workforces?limit=0".into(),
            None,
            400,
            "ModelArts.0101",
        ),
        (
            "limit 101",
            Method::GET,
            "/workforces?limit=101".into(),
            None,
            400,
            "ModelArts.0101",
        ),
        (
            "offset",
            Method::GET,
            "/workforces?offset=-1".into(),
            None,
            400,
            "ModelArts.0101",
        ),
        (
            "order",
            Method::GET,
            "/workforces?order=up".into(),
            None,
            400,
            "ModelArts.0101",
        ),
        (
            "sort_by",
            Method::GET,
            "/workforces?sort_by=size".into(),
            None,
            400,
            "ModelArts.0101",
        ),
        (
            "workforce_task_id",
            Method::GET,
            "/workforces?workforce_task_id=abc".into(),
            None,
            404,
            "ModelArts.4619",
        ),
        (
            "member sort_by",
            Method::GET,
            format!("/workforces/{t}/workers?sort_by=role"),
            None,
            400,
            "ModelArts.0101",
        ),
        (
            "all members role",
            Method::GET,
            "/workforces/workers?role=7".into(),
            None,
            400,
            "ModelArts.0101",
        ),
        (
            "all members role type",
            Method::GET,
            "/workforces/workers?role=x".into(),
            None,
            400,
            "ModelArts.0101",
        ),
        (
            "members of an unknown team",
            Method::GET,
            format!("/workforces/{unknown_team}/workers"),
            None,
            404,
            "ModelArts.4601",
        ),
        (
            "not an email",
            Method::POST,
            format!("/workforces/{t}/workers"),
            Some(json!({"emails": "ann", "role": 0})),
            400,
            "ModelArts.0101",
        ),
        (
            "101 emails",
            Method::POST,
            format!("/workforces/{t}/workers"),
            Some(json!({"emails": many.join(","), "role": 0})),
            400,
            "ModelArts.0101",
        ),
        (
            "no emails",
            Method::POST,
            format!("/workforces/{t}/workers"),
            Some(json!({"role": 0})),
            400,
            "ModelArts.0101",
        ),
        (
            "no role",
            Method::POST,
            format!("/workforces/{t}/workers"),
            Some(json!({"emails": "eve@example.com"})),
            400,
            "ModelArts.0101",
        ),
        (
            "role 3 on create",
            Method::POST,
            format!("/workforces/{t}/workers"),
            Some(json!({"emails": "eve@example.com", "role": 3})),
            400,
            "ModelArts.0101",
        ),
        (
            "role type",
            Method::POST,
            format!("/workforces/{t}/workers"),
            Some(json!({"emails": "eve@example.com", "role": "lead"})),
            400,
            "ModelArts.0101",
        ),
        (
            "member description",
            Method::POST,
            format!("/workforces/{t}/workers"),
            Some(json!({"emails": "eve@example.com", "role": 0, "description": "a&b"})),
            400,
            "ModelArts.0101",
        ),
        (
            "two managers at once",
            Method::POST,
            format!("/workforces/{t}/workers"),
            Some(json!({"emails": "eve@example.com,fay@example.com", "role": 2})),
            400,
            "ModelArts.4617",
        ),
        (
            "member of an unknown team",
            Method::POST,
            format!("/workforces/{unknown_team}/workers"),
            Some(json!({"emails": "eve@example.com", "role": 0})),
            404,
            "ModelArts.4601",
        ),
        (
            "update role 4",
            Method::PUT,
            format!("/workforces/{t}/workers/{ann}"),
            Some(json!({"role": 4})),
            400,
            "ModelArts.0101",
        ),
        (
            "update unknown member",
            Method::PUT,
            format!("/workforces/{t}/workers/0123456789abcdef0123456789abcdef"),
            Some(json!({"role": 1})),
            404,
            "ModelArts.4604",
        ),
        (
            "malformed member id",
            Method::GET,
            format!("/workforces/{t}/workers/xyz"),
            None,
            404,
            "ModelArts.4604",
        ),
        (
            "empty batch",
            Method::POST,
            format!("/workforces/{t}/workers/batch-delete"),
            Some(json!({"workers": []})),
            400,
            "ModelArts.0101",
        ),
        (
            "batch type",
            Method::POST,
            format!("/workforces/{t}/workers/batch-delete"),
            Some(json!({"workers": "x"})),
            400,
            "ModelArts.0101",
        ),
        (
            "batch of an unknown team",
            Method::POST,
            format!("/workforces/{unknown_team}/workers/batch-delete"),
            Some(json!({"workers": [ann]})),
            404,
            "ModelArts.4601",
        ),
        (
            "worker tasks sort",
            Method::GET,
            "/workforces/worker-tasks?sort_by=email".into(),
            None,
            400,
            "ModelArts.0101",
        ),
        (
            "worker tasks limit",
            Method::GET,
            "/workforces/worker-tasks?limit=0".into(),
            None,
            400,
            "ModelArts.0101",
        ),
    ];
    for (case, method, path, body, status, code) in cases {
        let r = app.signed(method, &app.v2(&path), body.as_ref()).await;
        assert_error_in(&r, status, code, case);
    }
    // Malformed and empty bodies.
    let (creds, path, date) = (app.creds.clone(), app.v2("/workforces"), sdk_date_now());
    let bad = b"{\"workforce_name\":".to_vec();
    let r = app
        .send_signed(&creds, Method::POST, &path, bad, &date)
        .await;
    assert_error_in(&r, 400, "ModelArts.4105", "malformed JSON");
    let r = app
        .send_signed(&creds, Method::POST, &path, Vec::new(), &date)
        .await;
    assert_error_in(&r, 400, "ModelArts.4202", "an empty body");
    // Unsigned.
    let r = app.raw(Method::GET, &path, &[], None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);

    assert_eq!(snapshot(&app, &t).await, before, "nothing changed");
    app.stop().await;
}

/// The team list and a team's members, to check that nothing changed.
async fn snapshot(app: &TestApp, team: &str) -> (Value, Value) {
    let teams = app.get("/workforces").await.body;
    let members = app.get(&format!("/workforces/{team}/workers")).await.body;
    (teams, members)
}

async fn a_workers_token_cannot_manage_teams(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let t = team(&app, "team", "").await;
    let r = add(&app, &t, json!({"emails": "ann@example.com", "role": 2})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let ann = app.get(&format!("/workforces/{t}/workers")).await.body["workers"][0]["worker_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = app.worker_token(&ann).await;
    let as_ann = |method: Method, path: String, body: Option<Value>| {
        let (app, token) = (&app, token.clone());
        async move {
            let body = body.map(|b| serde_json::to_vec(&b).unwrap());
            app.raw(method, &app.v2(&path), &[("x-auth-token", &token)], body)
                .await
        }
    };
    for (method, path, body) in [
        (Method::GET, "/workforces".to_owned(), None),
        (
            Method::POST,
            "/workforces".to_owned(),
            Some(json!({"workforce_name": "mine"})),
        ),
        (Method::DELETE, format!("/workforces/{t}"), None),
        (Method::GET, format!("/workforces/{t}/workers"), None),
        (
            Method::POST,
            format!("/workforces/{t}/workers"),
            Some(json!({"emails": "eve@example.com", "role": 0})),
        ),
        (
            Method::PUT,
            format!("/workforces/{t}/workers/{ann}"),
            Some(json!({"role": 0})),
        ),
    ] {
        let case = format!("{method} {path}");
        let r = as_ann(method, path, body).await;
        assert_error_in(&r, 403, "ModelArts.0108", &case);
    }
    // The members' own task list is theirs: not refused, and empty.
    let r = as_ann(Method::GET, "/workforces/worker-tasks".to_owned(), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["count"], 0, "{}", r.body);
    // Nor may a member use the owner's dataset API.
    let r = as_ann(Method::GET, "/datasets".to_owned(), None).await;
    assert_error_in(&r, 403, "ModelArts.0108", "datasets");
    // Nothing changed: the team, its one member and her role.
    let teams = app.get("/workforces").await.body;
    assert_eq!(team_names(&teams), ["team"]);
    let d = app
        .get(&format!("/workforces/{t}/workers/{ann}"))
        .await
        .body;
    assert_eq!(d["role"], 2, "{d}");
    assert_eq!(
        app.get(&format!("/workforces/{t}")).await.body["worker_count"],
        1
    );
    app.stop().await;
}
