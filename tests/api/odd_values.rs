//! Odd values in every field of the main write bodies, the team labeling bodies and
//! the list queries: whatever the value, the answer is a ModelArts error or a success,
//! never a server error. Each body starts valid; one leaf at a time is replaced by
//! each odd value.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{Backend, Resp, TestApp};
use crate::sample_helpers::{add, b64};
use crate::team_helpers::{add_samples, new_task, tasks, team};

both_backends!(
    odd_values_in_any_field_never_make_a_server_error,
    odd_values_in_team_labeling_bodies_never_make_a_server_error,
);

/// Values that break types, ranges, encodings and path rules.
fn odd_values() -> Vec<Value> {
    vec![
        json!(null),
        json!(true),
        json!(-1),
        json!(0),
        json!(1.5),
        json!(9_223_372_036_854_775_807_i64),
        json!(18_446_744_073_709_551_615_u64),
        json!(1e308),
        json!(""),
        json!(" "),
        json!("x".repeat(70_000)),
        json!("../../../etc/passwd"),
        json!("obs://"),
        json!("' or 1=1; --"),
        json!("😀\u{202e}\u{fffd}"),
        json!("x\u{0}y"),
        json!([]),
        json!({}),
    ]
}

/// Every leaf of `v` replaced in turn by each odd value, plus each container emptied.
fn mutations(v: &Value) -> Vec<Value> {
    fn walk(v: &Value, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    at.push(Step::Key(k.clone()));
                    out.push(at.clone());
                    walk(child, at, out);
                    at.pop();
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    at.push(Step::Index(i));
                    out.push(at.clone());
                    walk(child, at, out);
                    at.pop();
                }
            }
            _ => {}
        }
    }
    let mut paths = Vec::new();
    walk(v, &mut Vec::new(), &mut paths);
    let mut out = Vec::new();
    for path in paths {
        for odd in odd_values() {
            let mut copy = v.clone();
            *place(&mut copy, &path) = odd;
            out.push(copy);
        }
    }
    out
}

#[derive(Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn place<'a>(v: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(v, |v, step| match step {
        Step::Key(k) => &mut v[k.as_str()],
        Step::Index(i) => &mut v[*i],
    })
}

/// How many answers had each status.
type Statuses = std::collections::BTreeMap<u16, usize>;

/// Sends every mutation of every body; records faults and statuses.
async fn send_mutations(
    app: &TestApp,
    bodies: &[(reqwest::Method, String, Value)],
    faults: &mut Vec<String>,
    statuses: &mut Statuses,
) {
    for (method, path, body) in bodies {
        for mutated in mutations(body) {
            let r = app
                .signed(method.clone(), &app.v2(path), Some(&mutated))
                .await;
            *statuses.entry(r.status.as_u16()).or_insert(0) += 1;
            faults.extend(fault(
                &r,
                &format!("{method} {path} {:.200}", mutated.to_string()),
            ));
        }
    }
}

/// A server error, or an error without a ModelArts code, described; else `None`.
fn fault(r: &Resp, what: &str) -> Option<String> {
    let code = r.body["error_code"].as_str().unwrap_or_default();
    let clear = r.status.is_success() || code.starts_with("ModelArts.");
    (r.status.is_server_error() || !clear)
        .then(|| format!("{what}: {} {:.300}", r.status, r.body.to_string()))
}

async fn odd_values_in_any_field_never_make_a_server_error(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("odd").await;
    app.wait_for_dataset_status(&id, 1).await;
    let added = add(
        &app,
        &id,
        json!({"samples": [
            {"name": "a.jpg", "data": b64("a"), "labels": [{"name": "Rabbits"}]},
            {"name": "b.jpg", "data": b64("b")},
        ]}),
    )
    .await;
    assert_eq!(added["success"], true, "{added}");
    let listing = app
        .get(&format!("/datasets/{id}/data-annotations/samples"))
        .await;
    let sid = listing.body["samples"][0]["sample_id"]
        .as_str()
        .expect("a sample")
        .to_owned();
    let ds = format!("/datasets/{id}");
    let ann = format!("{ds}/data-annotations");

    let bodies: Vec<(reqwest::Method, String, Value)> = vec![
        (
            reqwest::Method::POST,
            "/datasets".to_owned(),
            json!({"workspace_id": "0", "dataset_name": "odd-new", "dataset_type": 0,
                "data_sources": [{"data_type": 0, "data_path": "/bkt/in/"}],
                "work_path": "/bkt/out/", "work_path_type": 0, "description": "",
                "labels": [{"name": "Cats", "type": 0}]}),
        ),
        (
            reqwest::Method::PUT,
            ds.clone(),
            json!({"dataset_name": "odd-renamed", "description": "d",
                "add_labels": [{"name": "Dogs", "type": 0}],
                "update_labels": [{"name": "Rabbits", "property": {"@modelarts:color": "#ff0000"}}]}),
        ),
        (
            reqwest::Method::POST,
            format!("{ann}/samples"),
            json!({"samples": [{"name": "n.jpg", "data": b64("n"),
                "labels": [{"name": "Rabbits", "type": 0, "property": {"k": "v"}}],
                "metadata": {"m": "v"}}]}),
        ),
        (
            reqwest::Method::PUT,
            format!("{ann}/samples"),
            json!({"samples": [{"sample_id": sid, "labels": [{"name": "Rabbits", "property": {"k": "v"}}]}]}),
        ),
        (
            reqwest::Method::POST,
            format!("{ann}/samples/delete"),
            json!({"samples": ["0123456789abcdef0123456789abcdef"], "delete_source": false}),
        ),
        (
            reqwest::Method::POST,
            format!("{ann}/labels"),
            json!({"labels": [{"name": "Birds", "type": 0, "property": {"@modelarts:color": "#00ff00"}}]}),
        ),
        (
            reqwest::Method::PUT,
            format!("{ann}/labels"),
            json!({"labels": [{"name": "Rabbits", "property": {"@modelarts:color": "#0000ff"}}]}),
        ),
        (
            reqwest::Method::POST,
            format!("{ann}/labels/delete"),
            json!({"labels": [{"name": "Nothing"}], "delete_policy": 0}),
        ),
        (
            reqwest::Method::POST,
            format!("{ds}/versions"),
            json!({"version_name": "V1", "train_evaluate_sample_ratio": "0.8",
                "clear_hard_property": true, "remove_sample_usage": true, "description": "x"}),
        ),
        (
            reqwest::Method::POST,
            format!("{ds}/import-tasks"),
            json!({"import_type": "manifest", "import_path": "obs://bkt/m/x.manifest",
                "included_labels": [{"name": "Rabbits"}], "import_annotations": true}),
        ),
        (
            reqwest::Method::POST,
            format!("{ds}/export-tasks"),
            json!({"path": "/bkt/exp/", "export_type": 3, "sample_state": "__ALL__",
                "export_format": 2, "export_params": {"export_dest": "DIR",
                "clear_hard_property": true, "train_sample_ratio": "0.8", "ratio_sample_usage": false}}),
        ),
        (
            reqwest::Method::POST,
            "/workforces".to_owned(),
            json!({"workforce_name": "wf-odd", "description": "d",
                "workers": [{"email": "a@b.cd", "role": 0}]}),
        ),
    ];
    let mut faults = Vec::new();
    let mut statuses = Statuses::new();
    send_mutations(&app, &bodies, &mut faults, &mut statuses).await;

    let lists = [
        (
            format!("{ann}/samples"),
            &[
                "offset",
                "limit",
                "sample_state",
                "label_name",
                "label_type",
                "order",
                "high_score",
                "low_score",
                "version_id",
                "search_conditions",
                "sample_type",
            ][..],
        ),
        (
            "/datasets".to_owned(),
            &[
                "offset",
                "limit",
                "sort_by",
                "order",
                "search_content",
                "contain_versions",
                "dataset_type",
                "with_labels",
                "support_export",
                "workspace_id",
            ][..],
        ),
        (format!("{ds}/versions"), &["offset", "limit", "status"][..]),
        (format!("{ds}/import-tasks"), &["offset", "limit"][..]),
        (format!("{ds}/export-tasks"), &["offset", "limit"][..]),
    ];
    let raw = [
        "-1",
        "99999999999999999999",
        "1e3",
        "NaN",
        "%FF%FE",
        "%27%20or%201%3D1",
        "%5B%5D",
        "%7B%7D",
        "__ALL__",
    ];
    for (path, params) in &lists {
        for param in *params {
            for value in raw {
                let r = app.get(&format!("{path}?{param}={value}")).await;
                faults.extend(fault(&r, &format!("GET {path}?{param}={value}")));
            }
        }
    }
    // Most odd values are refused, some pass (a long description), none fails.
    assert!(statuses.get(&400).is_some_and(|n| *n > 500), "{statuses:?}");
    assert!(statuses.get(&200).is_some_and(|n| *n > 100), "{statuses:?}");
    assert!(
        faults.is_empty(),
        "{} faults:\n{}",
        faults.len(),
        faults.join("\n")
    );
}

async fn odd_values_in_team_labeling_bodies_never_make_a_server_error(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let id = app.new_dataset("odd-team").await;
    app.wait_for_dataset_status(&id, 1).await;
    let ids = add_samples(&app, &id, &["a.jpg", "b.jpg"], true).await;
    let (wf, workers) = team(&app, "odd-team", &[("ann@example.org", 0)]).await;
    let (_, task) = new_task(&app, &id, "odd-task", &wf).await;
    let ds_tasks = tasks(&id);
    let post = reqwest::Method::POST;
    let put = reqwest::Method::PUT;
    let bodies: Vec<(reqwest::Method, String, Value)> = vec![
        (
            put.clone(),
            format!("/workforces/{wf}"),
            json!({"workforce_name": "odd-team-2", "description": "d"}),
        ),
        (
            post.clone(),
            format!("/workforces/{wf}/workers"),
            json!({"emails": "bob@example.org", "role": 1, "description": "d"}),
        ),
        (
            put.clone(),
            format!("/workforces/{wf}/workers/{}", workers[0]),
            json!({"role": 2, "description": "d"}),
        ),
        (
            post.clone(),
            format!("/workforces/{wf}/workers/batch-delete"),
            json!({"workers": ["0123456789abcdefghi"]}),
        ),
        (
            post.clone(),
            ds_tasks.clone(),
            json!({"task_name": "odd-task-2", "description": "d", "repetition": 1,
                "workforces_config": {"workforces": [{"workforce_id": wf,
                    "workers": [{"email": "ann@example.org", "role": 0}]}]}}),
        ),
        (
            put.clone(),
            task.clone(),
            json!({"task_name": "odd-task-3", "description": "d"}),
        ),
        (
            post.clone(),
            format!("{task}/notify"),
            json!({"emails": ["ann@example.org"]}),
        ),
        (
            put.clone(),
            format!("{task}/data-annotations/samples"),
            json!({"samples": [{"sample_id": ids[0], "labels": [{"name": "Bees"}]}]}),
        ),
        (
            post.clone(),
            format!("{task}/data-annotations/review"),
            json!({"comments": [{"sample_id": ids[0], "accept": true, "score": "A"}]}),
        ),
        (
            post.clone(),
            format!("{task}/acceptance"),
            json!({"sampling_num": 1}),
        ),
        (
            post.clone(),
            format!("{task}/acceptance/batch-comment"),
            json!({"comments": [{"sample_id": ids[1], "accept": false, "comment": "c"}]}),
        ),
        (
            put.clone(),
            format!("{task}/acceptance/status"),
            json!({"action": 0}),
        ),
    ];
    let mut faults = Vec::new();
    let mut statuses = Statuses::new();
    send_mutations(&app, &bodies, &mut faults, &mut statuses).await;
    for query in [
        "offset=-1",
        "limit=99999999999999999999",
        "sample_state=%FF",
        "email=%27",
    ] {
        let r = app
            .get(&format!("{task}/data-annotations/samples?{query}"))
            .await;
        faults.extend(fault(&r, &format!("GET {task} samples?{query}")));
    }
    assert!(statuses.get(&400).is_some_and(|n| *n > 300), "{statuses:?}");
    assert!(statuses.get(&200).is_some_and(|n| *n > 20), "{statuses:?}");
    assert!(
        faults.is_empty(),
        "{} faults:\n{}",
        faults.len(),
        faults.join("\n")
    );
}
