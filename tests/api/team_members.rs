//! Team members as people: notification emails through a real SMTP server (aiosmtpd),
//! the durable outbox while SMTP is missing or down, signing in with the emailed code,
//! and members leaving a task or a team with their unfinished samples handed over.

use std::time::Duration;

use labelhive::mailer::{SmtpOptions, SmtpTls};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_error_in, free_port, Backend, TestApp};
use crate::smtp::{self, code_in, SmtpSink};
use crate::team_helpers::{add_samples, items_of, label, tasks, team, wait_status};

both_backends!(notify_emails_members_and_their_codes_sign_them_in);
both_backends!(emails_wait_in_the_outbox_until_smtp_is_back);
both_backends!(members_who_leave_hand_their_unfinished_samples_over);

fn smtp_at(port: u16) -> SmtpOptions {
    SmtpOptions {
        host: "127.0.0.1".into(),
        port: Some(port),
        tls: SmtpTls::None,
        username: None,
        password: None,
        from: "Labelhive <hive@example.org>".into(),
    }
}

/// Creates a task over the whole team and starts it; returns its id once running.
async fn started_task(app: &TestApp, ds: &str, team_id: &str, name: &str) -> String {
    let r = app
        .post(
            &tasks(ds),
            &json!({"task_name": name, "workforces_config": {"workforces": [{"workforce_id": team_id}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let task = r.body["task_id"].as_str().unwrap().to_owned();
    let r = app.post(&format!("{}/{task}", tasks(ds)), &json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    wait_status(app, ds, &task, 1).await;
    task
}

/// Every member's WorkerTask row (the owner's view), by email.
async fn worker_rows(app: &TestApp) -> Vec<Value> {
    let r = app.get("/workforces/worker-tasks?limit=100").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["worker_tasks"].as_array().unwrap().clone()
}

fn row<'a>(rows: &'a [Value], email: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["email"] == email)
        .unwrap_or_else(|| panic!("no row for {email} in {rows:?}"))
}

/// Polls the owner's view until `email`'s `email_status` is `status`.
async fn wait_email_status(app: &TestApp, email: &str, status: i64) -> Value {
    for _ in 0..400 {
        let rows = worker_rows(app).await;
        if row(&rows, email)["email_status"] == status {
            return row(&rows, email).clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{email} never reached email_status {status}");
}

/// The message sent to `email` among `messages` (the last one, when several).
fn message_to<'a>(messages: &'a [String], email: &str) -> &'a str {
    messages
        .iter()
        .rev()
        .find(|m| m.starts_with(&format!("X-Envelope-To: {email}\r\n")))
        .unwrap_or_else(|| panic!("no message to {email} in {messages:?}"))
}

async fn sign_in(app: &TestApp, body: &Value) -> (StatusCode, Value, Option<String>) {
    let r = app
        .client
        .post(format!("{}/auth/worker-tokens", app.base))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let token = r
        .headers()
        .get("x-subject-token")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, r.json().await.unwrap_or(Value::Null), token)
}

async fn member_status(app: &TestApp, team_id: &str, worker: &str) -> i64 {
    let r = app
        .get(&format!("/workforces/{team_id}/workers/{worker}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["status"].as_i64().unwrap()
}

async fn notify_emails_members_and_their_codes_sign_them_in(backend: Backend) {
    if !smtp::available() {
        return;
    }
    let sink = SmtpSink::start(free_port()).await;
    let port = sink.port;
    let Some(app) = TestApp::spawn_with(backend, |c| {
        c.smtp = Some(smtp_at(port));
        c.smtp_retry_ms = 200;
    })
    .await
    else {
        return;
    };
    let ds = app.new_dataset("mail-ds").await;
    add_samples(&app, &ds, &["a.jpg", "b.jpg", "c.jpg", "d.jpg"], false).await;
    let (team_id, w) = team(
        &app,
        "mailers",
        &[
            ("ann@example.org", 0),
            ("bob@unreachable.invalid", 0),
            ("mia@example.org", 2),
        ],
    )
    .await;
    assert_eq!(member_status(&app, &team_id, &w[0]).await, 0);
    let task = started_task(&app, &ds, &team_id, "mail-task").await;
    let path = format!("{}/{task}", tasks(&ds));

    // Starting the task emails every member: two go out, one address is refused.
    let ann_row = wait_email_status(&app, "ann@example.org", 3).await;
    wait_email_status(&app, "mia@example.org", 3).await;
    let bob_row = wait_email_status(&app, "bob@unreachable.invalid", 2).await;
    assert!(
        ann_row["last_notify_time"].as_i64().unwrap() > 0,
        "{ann_row}"
    );
    assert_eq!(bob_row["last_notify_time"], 0, "{bob_row}");
    let messages = sink.wait_for(2).await;
    assert_eq!(messages.len(), 2, "{messages:?}");
    let to_ann = &smtp::decode_quoted_printable(message_to(&messages, "ann@example.org"));
    assert!(
        to_ann.contains("Subject: Team labeling task \"mail-task\""),
        "{to_ann}"
    );
    assert!(
        to_ann.contains("to label the team labeling task"),
        "{to_ann}"
    );
    assert!(
        to_ann.contains(&app.base),
        "the email points at the server: {to_ann}"
    );
    assert!(message_to(&messages, "mia@example.org").contains("to manage"));
    // Sent means invited; the refused address stays not invited.
    assert_eq!(member_status(&app, &team_id, &w[0]).await, 1);
    assert_eq!(member_status(&app, &team_id, &w[1]).await, 0);

    // The emailed code signs ann in; anything else is one 401.
    let code = code_in(to_ann);
    let project = app.creds.project_id.clone();
    for (case, body) in [
        (
            "wrong code",
            json!({"project_id": project, "email": "ann@example.org", "code": "0".repeat(64)}),
        ),
        (
            "another's address",
            json!({"project_id": project, "email": "mia@example.org", "code": code}),
        ),
        (
            "another project",
            json!({"project_id": "0".repeat(32), "email": "ann@example.org", "code": code}),
        ),
    ] {
        let (status, body, token) = sign_in(&app, &body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{case}: {body}");
        assert_eq!(body["error_code"], "ModelArts.0206", "{case}: {body}");
        assert!(token.is_none(), "{case}");
    }
    let (status, body, _) = sign_in(
        &app,
        &json!({"project_id": project, "email": "ann@example.org"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        member_status(&app, &team_id, &w[0]).await,
        1,
        "a failed sign-in changes nothing"
    );
    let (status, body, token) = sign_in(
        &app,
        &json!({"project_id": project, "email": "ANN@example.org", "code": code}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["worker_id"], w[0].as_str(), "{body}");
    let ann = token.expect("X-Subject-Token");
    assert_eq!(member_status(&app, &team_id, &w[0]).await, 2, "signed in");

    // With the token she sees her task, its email status, and her samples.
    let r = app
        .as_worker(&ann, Method::GET, "/workforces/worker-tasks", None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["count"], 1, "{}", r.body);
    assert_eq!(r.body["worker_tasks"][0]["email_status"], 3);
    assert_eq!(items_of(&app, &ann, &ds, &task, "").await.len(), 2);

    // A labeler may not notify; the manager, signed in the same way, may.
    let r = app
        .as_worker(
            &ann,
            Method::POST,
            &format!("{path}/notify"),
            Some(&json!({"emails": ["ann@example.org"]})),
        )
        .await;
    assert_error_in(&r, 403, "ModelArts.4600", "a labeler notifies");
    let (_, _, mia) = sign_in(
        &app,
        &json!({"project_id": project, "email": "mia@example.org", "code": code_in(message_to(&messages, "mia@example.org"))}),
    )
    .await;
    let mia = mia.expect("manager token");
    let r = app
        .as_worker(
            &mia,
            Method::POST,
            &format!("{path}/notify"),
            Some(
                &json!({"emails": ["ann@example.org", "stranger@example.org", "ANN@example.org"]}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["success"], false, "{}", r.body);
    let results = r.body["results"].as_array().unwrap();
    assert_eq!(results[0]["success"], true, "{}", r.body);
    assert_eq!(results[1]["error_code"], "ModelArts.4604", "{}", r.body);
    assert_eq!(results[2]["error_code"], "ModelArts.4627", "{}", r.body);
    let messages = sink.wait_for(3).await;
    let second = message_to(&messages, "ann@example.org");
    let new_code = code_in(second);
    assert_ne!(new_code, code, "each email carries its own code");
    let (status, _, _) = sign_in(
        &app,
        &json!({"project_id": project, "email": "ann@example.org", "code": code}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "an earlier code stays valid for its week"
    );

    // Bad notify requests: each refused, nothing queued.
    for (case, body, status, code) in [
        ("no emails", json!({}), 400, "ModelArts.0101"),
        ("empty list", json!({"emails": []}), 400, "ModelArts.0101"),
        (
            "not a list",
            json!({"emails": "ann@example.org"}),
            400,
            "ModelArts.0101",
        ),
    ] {
        let r = app.post(&format!("{path}/notify"), &body).await;
        assert_error_in(&r, status, code, case);
    }
    let r = app
        .post(
            &format!("{}/{}/notify", tasks(&ds), "a".repeat(19)),
            &json!({"emails": ["ann@example.org"]}),
        )
        .await;
    assert_error_in(&r, 404, "ModelArts.4619", "unknown task");
    let r = app
        .raw(
            Method::POST,
            &app.v2(&format!("{path}/notify")),
            &[],
            Some(b"{}".to_vec()),
        )
        .await;
    assert_error_in(&r, 401, "ModelArts.0205", "unsigned");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.messages().len(), 3, "bad requests sent nothing");
    app.stop().await;
}

async fn emails_wait_in_the_outbox_until_smtp_is_back(backend: Backend) {
    if !smtp::available() {
        return;
    }
    // No SMTP configured: the start's emails wait in the outbox.
    let Some(mut app) = TestApp::spawn(backend).await else {
        return;
    };
    let ds = app.new_dataset("outbox-ds").await;
    add_samples(&app, &ds, &["a.jpg", "b.jpg"], false).await;
    let (team_id, w) = team(&app, "waiters", &[("ann@example.org", 0)]).await;
    let task = started_task(&app, &ds, &team_id, "outbox-task").await;
    let path = format!("{}/{task}", tasks(&ds));
    let rows = worker_rows(&app).await;
    assert_eq!(row(&rows, "ann@example.org")["email_status"], 0);
    assert_eq!(row(&rows, "ann@example.org")["last_notify_time"], 0);
    let r = app
        .post(
            &format!("{path}/notify"),
            &json!({"emails": ["ann@example.org"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body["results"][0]["error_code"], "ModelArts.4627",
        "{}",
        r.body
    );

    // Restarted with SMTP configured but down: attempts fail, the email still waits.
    let port = free_port();
    app.restart_with(|c| {
        c.smtp = Some(smtp_at(port));
        c.smtp_retry_ms = 100;
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let rows = worker_rows(&app).await;
    assert_eq!(
        row(&rows, "ann@example.org")["email_status"],
        0,
        "not sent while SMTP is down"
    );
    assert_eq!(member_status(&app, &team_id, &w[0]).await, 0);

    // SMTP comes back: the one waiting email goes out, and its code works.
    let sink = SmtpSink::start(port).await;
    let messages = sink.wait_for(1).await;
    let sent = wait_email_status(&app, "ann@example.org", 3).await;
    assert!(sent["last_notify_time"].as_i64().unwrap() > 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 1, "sent exactly once");
    let (status, body, _) = sign_in(
        &app,
        &json!({"project_id": app.creds.project_id, "email": "ann@example.org", "code": code_in(&messages[0])}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.stop().await;
}

async fn members_who_leave_hand_their_unfinished_samples_over(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let ds = app.new_dataset("leave-ds").await;
    let names = ["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg", "f.jpg"];
    add_samples(&app, &ds, &names, false).await;
    let (team_id, w) = team(
        &app,
        "leavers",
        &[
            ("l1@example.org", 0),
            ("l2@example.org", 0),
            ("l3@example.org", 0),
        ],
    )
    .await;
    let mut tokens = Vec::new();
    for id in &w {
        tokens.push(app.worker_token(id).await);
    }
    let task = started_task(&app, &ds, &team_id, "leave-task").await;
    let path = format!("{}/{task}", tasks(&ds));
    let mine = |i: usize| {
        let (app, token, ds, task) = (&app, tokens[i].clone(), ds.clone(), task.clone());
        async move { items_of(app, &token, &ds, &task, "").await }
    };
    let l1 = mine(0).await;
    assert_eq!(l1.len(), 2);
    // l1 labels one sample; the other is unfinished.
    let r = label(&app, &tokens[0], &ds, &task, &[l1[0].0.clone()], "Rabbits").await;
    assert_eq!(r["success"], true, "{r}");

    // The task is re-staffed without l1: the unfinished sample goes to l2 or l3, the
    // labeled one stays l1's work.
    let r = app
        .put(
            &path,
            &json!({"workforces_config": {"workforces": [{"workforce_id": team_id, "workers": [{"worker_id": w[1]}, {"worker_id": w[2]}]}]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.as_worker(&tokens[0], Method::GET, &path, None).await;
    assert_error_in(&r, 404, "ModelArts.4619", "l1 left the task");
    let (l2, l3) = (mine(1).await, mine(2).await);
    assert_eq!(l2.len() + l3.len(), 5, "{l2:?} {l3:?}");
    assert!(
        (l2.len() as i64 - l3.len() as i64).abs() <= 1,
        "balanced: {l2:?} {l3:?}"
    );
    assert!(l2
        .iter()
        .chain(&l3)
        .any(|(id, s)| *id == l1[1].0 && s == "__NONE__"));
    assert!(!l2.iter().chain(&l3).any(|(id, _)| *id == l1[0].0));
    let stats = app.get(&format!("{path}?sample_stats=true")).await.body;
    let counts = &stats["sample_stats"];
    assert_eq!(counts["uncheck_sample_count"], 1, "{stats}");
    assert_eq!(counts["unannotated_sample_count"], 5, "{stats}");

    // l2 leaves the team: her samples go to l3, who now holds every unfinished one.
    let r = app
        .delete(&format!("/workforces/{team_id}/workers/{}", w[1]))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(mine(2).await.len(), 5);
    let d = app.get(&path).await.body;
    let members: Vec<&str> = d["workforces_config"]["workforces"][0]["workers"]
        .as_array()
        .map(|a| a.iter().filter_map(|m| m["email"].as_str()).collect())
        .unwrap_or_default();
    assert!(!members.contains(&"l2@example.org"), "{d}");

    // The last labeler's samples have nowhere to go: she stays, nothing changes.
    let r = app
        .delete(&format!("/workforces/{team_id}/workers/{}", w[2]))
        .await;
    assert_error_in(&r, 400, "ModelArts.4628", "last labeler leaves");
    let r = app
        .post(
            &format!("/workforces/{team_id}/workers/batch-delete"),
            &json!({"workers": [w[2], "f".repeat(32)]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body["results"][0]["error_code"], "ModelArts.4628",
        "{}",
        r.body
    );
    assert_eq!(
        r.body["results"][1]["error_code"], "ModelArts.4604",
        "{}",
        r.body
    );
    assert_eq!(member_status(&app, &team_id, &w[2]).await, 0);
    assert_eq!(mine(2).await.len(), 5);
    let r = app.delete(&format!("/workforces/{team_id}")).await;
    assert_error_in(&r, 400, "ModelArts.4628", "the team with the last labeler");
    assert_eq!(
        app.get(&format!("/workforces/{team_id}")).await.status,
        StatusCode::OK
    );
    app.stop().await;
}
