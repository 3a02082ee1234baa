//! Team labeling under load: 200 labelers working at once on one task, each fetching
//! its next unlabeled sample and submitting labels, against the release binary over
//! HTTP. Prints a Markdown report, then checks that every label arrived intact.
//!
//! `cargo bench --bench team` (SQLite). Environment:
//! - `LABELHIVE_BENCH_LABELERS` (default 200): labelers working at once;
//! - `LABELHIVE_BENCH_TEAM_SAMPLES` (default 10000): samples in the dataset;
//! - `LABELHIVE_BENCH_REPETITION` (default 2): labelers per sample;
//! - `LABELHIVE_BENCH_DATABASE_URL`: a PostgreSQL server URL; a database is created there.
//!
//! Labelers get their tokens as sign-in gives them (a token row per worker, stored as
//! its SHA-256); the emails that carry sign-in codes need an SMTP server and are not
//! part of what this measures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use common::{mem_kb, pct, poll, Bench};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What one labeler saw.
#[derive(Default)]
struct Tally {
    fetch: Vec<Duration>,
    submit: Vec<Duration>,
    labeled: usize,
    errors: usize,
}

/// The label a labeler gives every sample it gets: it makes lost or crossed
/// annotations visible in the check.
fn label_of(worker: usize) -> &'static str {
    if worker.is_multiple_of(2) {
        "pos"
    } else {
        "neg"
    }
}

/// A request with a worker token.
async fn as_worker(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut req = http
        .request(method, format!("{base}{path}"))
        .header("x-auth-token", token);
    if let Some(b) = body {
        req = req.json(b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::main]
async fn main() {
    let labelers = env_usize("LABELHIVE_BENCH_LABELERS", 200);
    let n = env_usize("LABELHIVE_BENCH_TEAM_SAMPLES", 10_000);
    let repetition = env_usize("LABELHIVE_BENCH_REPETITION", 2);
    let bench = Bench::start(&[]).await;
    let client = bench.client();
    let project = bench.creds.project_id.clone();
    let base = format!("http://{}/v2/{project}", bench.addr);
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;

    // A text dataset of n unlabeled samples.
    let (status, created) = client
        .call(
            post.clone(),
            "/datasets",
            Some(&json!({
                "dataset_name": "team-bench", "dataset_type": 100,
                "data_sources": [{"data_path": "/bench/in/"}], "work_path": "/bench/out/", "work_path_type": 0,
                "labels": [{"name": "pos"}, {"name": "neg"}]
            })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let ds = created["dataset_id"].as_str().unwrap().to_owned();
    poll(&client, &format!("/datasets/{ds}"), |d| d["status"] == 1).await;
    let b64 = base64::engine::general_purpose::STANDARD;
    for start in (0..n).step_by(1000) {
        let samples: Vec<Value> = (start..(start + 1000).min(n))
            .map(
                |i| json!({"name": format!("{i:06}.txt"), "data": b64.encode(format!("text {i}"))}),
            )
            .collect();
        let (status, body) = client
            .call(
                post.clone(),
                &format!("/datasets/{ds}/data-annotations/samples"),
                Some(&json!({ "samples": samples })),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    // One team of labelers, added 100 addresses per request.
    let (status, team) = client
        .call(
            post.clone(),
            "/workforces",
            Some(&json!({"workforce_name": "bench-team"})),
        )
        .await;
    assert_eq!(status, 201, "{team}");
    let team = team["workforce_id"].as_str().unwrap().to_owned();
    let emails: Vec<String> = (0..labelers)
        .map(|i| format!("labeler{i:03}@bench.example.org"))
        .collect();
    for chunk in emails.chunks(100) {
        let (status, body) = client
            .call(
                post.clone(),
                &format!("/workforces/{team}/workers"),
                Some(&json!({"emails": chunk.join(","), "role": 0})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let mut workers: Vec<(String, String)> = Vec::new();
    for page in 0.. {
        let (_, body) = client
            .call(
                get.clone(),
                &format!("/workforces/{team}/workers?limit=100&offset={page}"),
                None,
            )
            .await;
        let list = body["workers"].as_array().unwrap();
        if list.is_empty() {
            break;
        }
        for w in list {
            workers.push((
                w["worker_id"].as_str().unwrap().to_owned(),
                w["email"].as_str().unwrap().to_owned(),
            ));
        }
    }
    workers.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(workers.len(), labelers);

    // Their tokens, as sign-in stores them.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&bench.database_url).await.unwrap();
    let mut tokens = Vec::with_capacity(labelers);
    for (i, (worker, _)) in workers.iter().enumerate() {
        let token = hex::encode(Sha256::digest(
            format!("bench token {i} {worker}").as_bytes(),
        ));
        sqlx::query(
            "insert into tokens (token_hash, project_id, worker_id, expires_at) values ($1, $2, $3, $4)",
        )
        .bind(hex::encode(Sha256::digest(token.as_bytes())))
        .bind(&project)
        .bind(worker)
        .bind(i64::MAX / 2)
        .execute(&pool)
        .await
        .unwrap();
        tokens.push(token);
    }
    pool.close().await;

    // The task over the whole team, started: allocation runs as a job.
    let (status, task) = client
        .call(
            post.clone(),
            &format!("/datasets/{ds}/workforce-tasks"),
            Some(&json!({"task_name": "bench-task", "repetition": repetition,
                "workforces_config": {"workforces": [{"workforce_id": team}]}})),
        )
        .await;
    assert_eq!(status, 200, "{task}");
    let task = task["task_id"].as_str().unwrap().to_owned();
    let task_path = format!("/datasets/{ds}/workforce-tasks/{task}");
    let started = Instant::now();
    let (status, body) = client
        .call(post.clone(), &task_path, Some(&json!({})))
        .await;
    assert_eq!(status, 200, "{body}");
    poll(&client, &task_path, |t| t["status"] == 1).await;
    let allocation = started.elapsed();
    let items = n * repetition;

    // The load: every labeler at once, each fetching its next unlabeled sample and
    // labeling it, until none is left.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(labelers)
        .build()
        .unwrap();
    let base = Arc::new(base);
    let samples_path = Arc::new(format!("{task_path}/data-annotations/samples"));
    let started = Instant::now();
    let mut running = Vec::with_capacity(labelers);
    for (i, token) in tokens.iter().enumerate() {
        let (http, base, path, token) = (
            http.clone(),
            base.clone(),
            samples_path.clone(),
            token.clone(),
        );
        running.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let next = format!("{path}?sample_state=__NONE__&limit=1");
            loop {
                let t = Instant::now();
                let (status, page) =
                    as_worker(&http, &base, &token, reqwest::Method::GET, &next, None).await;
                tally.fetch.push(t.elapsed());
                if status != 200 {
                    tally.errors += 1;
                    continue;
                }
                let Some(sample) = page["samples"].as_array().and_then(|s| s.first()) else {
                    break;
                };
                let id = sample["sample_id"].as_str().unwrap().to_owned();
                let body =
                    json!({"samples": [{"sample_id": id, "labels": [{"name": label_of(i)}]}]});
                let t = Instant::now();
                let (status, answer) = as_worker(
                    &http,
                    &base,
                    &token,
                    reqwest::Method::PUT,
                    &path,
                    Some(&body),
                )
                .await;
                tally.submit.push(t.elapsed());
                if status == 200 && answer["success"] == true {
                    tally.labeled += 1;
                } else {
                    tally.errors += 1;
                }
            }
            tally
        }));
    }
    let mut all = Tally::default();
    for r in running {
        let t = r.await.unwrap();
        all.fetch.extend(t.fetch);
        all.submit.extend(t.submit);
        all.labeled += t.labeled;
        all.errors += t.errors;
    }
    let wall = started.elapsed();

    // The check: every item holds exactly its labeler's label, none is missing.
    let mut wrong = 0;
    let mut seen = 0;
    for (i, token) in tokens.iter().enumerate() {
        for page in 0.. {
            let (status, body) = as_worker(
                &http,
                &base,
                token,
                reqwest::Method::GET,
                &format!("{samples_path}?limit=100&offset={page}"),
                None,
            )
            .await;
            assert_eq!(status, 200, "{body}");
            let list = body["samples"].as_array().unwrap();
            if list.is_empty() {
                break;
            }
            for s in list {
                seen += 1;
                let labels: Vec<&str> = s["labels"]
                    .as_array()
                    .map(|l| l.iter().filter_map(|x| x["name"].as_str()).collect())
                    .unwrap_or_default();
                if labels != [label_of(i)] || s["sample_status"] != "__UNCHECK__" {
                    wrong += 1;
                }
            }
        }
    }
    let (_, stats) = client
        .call(get.clone(), &format!("{task_path}?sample_stats=true"), None)
        .await;
    let peak = mem_kb(bench.pid, "VmHWM:");

    let requests = all.fetch.len() + all.submit.len();
    println!(
        "## {}, {labelers} labelers, {n} samples x repetition {repetition}\n",
        bench.backend
    );
    println!("| measure | value |\n|---|---|");
    println!(
        "| allocation ({items} items, start to running) | {:.2} s ({:.0} items/s) |",
        allocation.as_secs_f64(),
        items as f64 / allocation.as_secs_f64()
    );
    println!("| labeling wall time | {:.2} s |", wall.as_secs_f64());
    println!(
        "| labels submitted | {} ({:.0} labels/s) |",
        all.labeled,
        all.labeled as f64 / wall.as_secs_f64()
    );
    println!(
        "| requests (fetch + submit) | {requests} ({:.0} requests/s) |",
        requests as f64 / wall.as_secs_f64()
    );
    println!(
        "| fetch next sample p50 / p99 | {:.1} / {:.1} ms |",
        pct(&mut all.fetch, 0.5),
        pct(&mut all.fetch, 0.99)
    );
    println!(
        "| submit labels p50 / p99 | {:.1} / {:.1} ms |",
        pct(&mut all.submit, 0.5),
        pct(&mut all.submit, 0.99)
    );
    println!("| failed requests | {} |", all.errors);
    println!("| items checked afterwards / wrong or missing | {seen} / {wrong} |");
    println!(
        "| task: samples fully labeled (uncheck) / unlabeled | {} / {} |",
        stats["sample_stats"]["uncheck_sample_count"],
        stats["sample_stats"]["unannotated_sample_count"]
    );
    println!(
        "| server memory peak (VmHWM) | {:.1} MB |",
        peak as f64 / 1024.0
    );
    assert_eq!(seen, items, "every allocated item was read back");
    assert_eq!(all.labeled, items, "every item was labeled once");
    assert_eq!(wrong, 0, "no label lost or crossed");
}
