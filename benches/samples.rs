//! Sample and label benchmark: spawns the release `labelhive` binary on a fresh store,
//! drives it over HTTP with signed requests, and prints a Markdown report.
//!
//! `cargo bench --bench samples` (SQLite). Environment:
//! - `LABELHIVE_BENCH_SAMPLES` (default 1000000): samples in the text dataset;
//! - `LABELHIVE_BENCH_DATABASE_URL`: a PostgreSQL server URL; a database is created there;
//! - `LABELHIVE_BENCH_RELABEL_ROUNDS` (default 20): rounds of the 1,000-sample relabel
//!   (per client, in its 4-client phase).
//!
//! Each phase is announced on stderr as it starts, for attaching a profiler.
//!
//! Timings come from this process, memory from the server's /proc status (VmRSS, VmHWM).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use base64::Engine;
use common::{latencies, mem_kb, poll, Bench, Client};
use serde_json::{json, Value};

/// Sequential requests per latency row: enough that p99 is the tenth slowest, not
/// the second slowest of a hundred, so one stall is not read as the percentile.
const LATENCY_SAMPLES: usize = 1000;

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("LABELHIVE_BENCH_SAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let bench = Bench::start(&[]).await;
    let (dir, addr, pid, http, creds, backend) = (
        &bench.dir,
        bench.addr,
        bench.pid,
        bench.http.clone(),
        bench.creds.clone(),
        bench.backend,
    );
    let client = bench.client();
    let (status, created) = client
        .call(
            reqwest::Method::POST,
            "/datasets",
            Some(&json!({
                "dataset_name": "bench", "dataset_type": 100,
                "data_sources": [{"data_path": "/bench/in/"}], "work_path": "/bench/out/", "work_path_type": 0,
                "labels": [{"name": "pos"}, {"name": "neg"}]
            })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["dataset_id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_kb = mem_kb(pid, "VmRSS:");

    // Add: 1000 samples per request, 4 clients.
    eprintln!("bench: add {n}");
    let b64 = base64::engine::general_purpose::STANDARD;
    let batches = n.div_ceil(1000);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..4usize {
        let c = Client {
            http: http.clone(),
            addr,
            creds: creds.clone(),
        };
        let id = id.clone();
        let b64 = b64.clone();
        tasks.push(tokio::spawn(async move {
            let mut b = worker;
            while b < batches {
                let samples: Vec<Value> = (b * 1000..((b + 1) * 1000).min(n))
                    .map(|i| {
                        let labels = if i.is_multiple_of(2) { json!([{"name": if i.is_multiple_of(4) { "pos" } else { "neg" }}]) } else { json!([]) };
                        json!({"name": format!("{i:07}.txt"), "data": b64.encode(format!("sample text {i}")), "labels": labels})
                    })
                    .collect();
                let (status, body) = c.call(reqwest::Method::POST, &format!("/datasets/{id}/data-annotations/samples"), Some(&json!({"samples": samples}))).await;
                assert!(status == 200 && body["success"] == true, "{status} {body}");
                b += 4;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let add_secs = started.elapsed().as_secs_f64();
    let peak_after_add = mem_kb(pid, "VmHWM:");

    let page = |offset: usize| {
        format!("/datasets/{id}/data-annotations/samples?limit=100&offset={offset}")
    };
    let last = (n / 100).saturating_sub(1);
    eprintln!("bench: list");
    let mut rows = Vec::new();
    for (what, path) in [
        ("list, offset 0".to_owned(), page(0)),
        (
            format!("list, offset {} (middle)", last / 2),
            page(last / 2),
        ),
        (format!("list, offset {last} (last page)"), page(last)),
        (
            "list, sample_state=__ALL__".into(),
            format!("{}&sample_state=__ALL__", page(10)),
        ),
        (
            "list, sample_state=__NONE__".into(),
            format!("{}&sample_state=__NONE__", page(10)),
        ),
        (
            "list, label_name=pos".into(),
            format!("{}&label_name=pos", page(10)),
        ),
        (
            "statistics".into(),
            format!("/datasets/{id}/data-annotations/stats"),
        ),
    ] {
        let (p50, p99, max) = latencies(&client, &path, LATENCY_SAMPLES).await;
        rows.push(format!("| {what} | {p50:.2} | {p99:.2} | {max:.2} |"));
    }

    // Relabel: 1000 per request.
    let (_, listing) = client
        .call(
            reqwest::Method::GET,
            &format!("{}&order=asc", page(0)),
            None,
        )
        .await;
    let first: Vec<String> = listing["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sample_id"].as_str().unwrap().to_owned())
        .collect();
    // 4,000 ids: the first 1,000 for one client, 1,000 each for four.
    let mut ids = Vec::new();
    for off in 0..40 {
        let (_, l) = client
            .call(
                reqwest::Method::GET,
                &format!("{}&order=asc", page(off)),
                None,
            )
            .await;
        ids.extend(
            l["samples"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["sample_id"].as_str().unwrap().to_owned()),
        );
    }
    let t = Instant::now();
    // More rounds give a profiler a longer window over the batch relabel path.
    let rounds: usize = std::env::var("LABELHIVE_BENCH_RELABEL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    eprintln!("bench: relabel, {rounds} rounds of 1000");
    for r in 0..rounds {
        relabel_all(&client, &id, &ids[..ids.len().min(1000)], r).await;
    }
    let batch_rate = (rounds * ids.len().min(1000)) as f64 / t.elapsed().as_secs_f64();
    // The same from four clients at once, each on its own 1,000 samples: requests
    // overlap, so one request's JSON is read while another's transaction runs.
    eprintln!("bench: relabel from 4 clients, {rounds} rounds of 1000 each");
    let t = Instant::now();
    let mut tasks = Vec::new();
    let parts: Vec<Vec<String>> = ids.chunks(1000).take(4).map(<[String]>::to_vec).collect();
    let relabeled: usize = parts.iter().map(Vec::len).sum::<usize>() * rounds;
    for part in parts {
        let c = Client {
            http: http.clone(),
            addr,
            creds: creds.clone(),
        };
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            for r in 0..rounds {
                relabel_all(&c, &id, &part, r).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let batch4_rate = relabeled as f64 / t.elapsed().as_secs_f64();
    // Relabel: one per request, 1 client, then 8 clients.
    eprintln!("bench: relabel one per request");
    let one = |sid: &str, k: usize| json!({"samples": [{"sample_id": sid, "labels": [{"name": if k.is_multiple_of(2) { "pos" } else { "neg" }}]}]});
    let t = Instant::now();
    let singles = 2000;
    for k in 0..singles {
        let (status, _) = client
            .call(
                reqwest::Method::PUT,
                &format!("/datasets/{id}/data-annotations/samples"),
                Some(&one(&first[k % first.len()], k)),
            )
            .await;
        assert_eq!(status, 200);
    }
    let single_rate = singles as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..8usize {
        let c = Client {
            http: http.clone(),
            addr,
            creds: creds.clone(),
        };
        let id = id.clone();
        let sid = ids[w * 100].clone();
        tasks.push(tokio::spawn(async move {
            for k in 0..500usize {
                let body = json!({"samples": [{"sample_id": sid, "labels": [{"name": if k.is_multiple_of(2) { "pos" } else { "neg" }}]}]});
                let (status, _) = c.call(reqwest::Method::PUT, &format!("/datasets/{id}/data-annotations/samples"), Some(&body)).await;
                assert_eq!(status, 200);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let concurrent_rate = 4000.0 / t.elapsed().as_secs_f64();

    eprintln!("bench: publish");
    // Publish a version of the whole dataset: copy, manifest, counts.
    let t = Instant::now();
    let (status, created) = client
        .call(
            reqwest::Method::POST,
            &format!("/datasets/{id}/versions"),
            Some(&json!({"train_evaluate_sample_ratio": "0.8"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let vid = created["version_id"].as_str().unwrap().to_owned();
    let v = poll(&client, &format!("/datasets/{id}/versions/{vid}"), |v| {
        v["status"] != 0
    })
    .await;
    assert_eq!(v["status"], 1, "{v}");
    assert_eq!(v["total_sample_count"], n as i64);
    let publish_secs = t.elapsed().as_secs_f64();
    let version_page = |offset: usize| {
        format!(
            "/datasets/{id}/data-annotations/samples?limit=100&offset={offset}&version_id={vid}"
        )
    };
    for (what, path) in [
        ("version list, offset 0".to_owned(), version_page(0)),
        (
            format!("version list, offset {last} (last page)"),
            version_page(last),
        ),
    ] {
        let (p50, p99, max) = latencies(&client, &path, LATENCY_SAMPLES).await;
        rows.push(format!("| {what} | {p50:.2} | {p99:.2} | {max:.2} |"));
    }
    eprintln!("bench: import");
    // Import the version's manifest (n lines of existing files, labeled) into a new
    // dataset: the migration path of the manifest specification.
    let (_, v) = client
        .call(
            reqwest::Method::GET,
            &format!("/datasets/{id}/versions/{vid}"),
            None,
        )
        .await;
    let manifest = v["manifest_path"].as_str().unwrap().to_owned();
    std::fs::create_dir_all(dir.path().join("obs/bench/in2")).unwrap();
    let (status, created) = client
        .call(
            reqwest::Method::POST,
            "/datasets",
            Some(&json!({
                "dataset_name": "bench-import", "dataset_type": 100,
                "data_sources": [{"data_path": "/bench/in2/"}], "work_path": "/bench/out/", "work_path_type": 0,
                "labels": [{"name": "pos"}, {"name": "neg"}]
            })),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id2 = created["dataset_id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let t = Instant::now();
    let (status, task) = client
        .call(
            reqwest::Method::POST,
            &format!("/datasets/{id2}/import-tasks"),
            Some(&json!({"import_type": "manifest", "import_path": manifest})),
        )
        .await;
    assert_eq!(status, 200, "{task}");
    let task_id = task["task_id"].as_str().unwrap().to_owned();
    let done = poll(
        &client,
        &format!("/datasets/{id2}/import-tasks/{task_id}"),
        |t| t["status"] == "COMPLETED" || t["status"] == "FAILED",
    )
    .await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(done["imported_sample_count"], n as i64, "{done}");
    let import_secs = t.elapsed().as_secs_f64();
    eprintln!("bench: export");
    // Export every sample of the first dataset to a directory: files (hard links on the
    // local store), a label file beside each labeled one, and the manifest.
    std::fs::create_dir_all(dir.path().join("obs/bench/export")).unwrap();
    let t = Instant::now();
    let (status, task) = client
        .call(
            reqwest::Method::POST,
            &format!("/datasets/{id}/export-tasks"),
            Some(&json!({"path": "/bench/export/all/", "export_type": 2})),
        )
        .await;
    assert_eq!(status, 200, "{task}");
    let task_id = task["task_id"].as_str().unwrap().to_owned();
    let done = poll(
        &client,
        &format!("/datasets/{id}/export-tasks/{task_id}"),
        |t| t["status"] == "SUCCESSED" || t["status"] == "FAILED",
    )
    .await;
    assert_eq!(done["status"], "SUCCESSED", "{done}");
    assert_eq!(done["exported_sample_count"], n as i64, "{done}");
    let export_secs = t.elapsed().as_secs_f64();
    let peak = mem_kb(pid, "VmHWM:");

    println!("## {backend}, {n} text samples\n");
    println!("| measure | result |\n|---|---|");
    println!(
        "| add, 1000 per request, 4 clients | {:.0} samples/s ({add_secs:.1} s) |",
        n as f64 / add_secs
    );
    println!("| relabel, 1000 per request, 1 client | {batch_rate:.0} samples/s |");
    println!("| relabel, 1000 per request, 4 clients | {batch4_rate:.0} samples/s |");
    println!("| relabel, 1 per request, 1 client | {single_rate:.0} requests/s |");
    println!("| relabel, 1 per request, 8 clients | {concurrent_rate:.0} requests/s |");
    println!(
        "| publish a version (copy + manifest) | {:.0} samples/s ({publish_secs:.1} s) |",
        n as f64 / publish_secs
    );
    println!(
        "| import that manifest into a new dataset | {:.0} samples/s ({import_secs:.1} s) |",
        n as f64 / import_secs
    );
    println!(
        "| export all samples to a directory (file copies, manifest) | {:.0} samples/s ({export_secs:.1} s) |",
        n as f64 / export_secs
    );
    println!(
        "| server memory idle (RSS) | {:.1} MB |",
        idle_kb as f64 / 1024.0
    );
    println!(
        "| server memory peak after adding (VmHWM) | {:.1} MB |",
        peak_after_add as f64 / 1024.0
    );
    println!(
        "| server memory peak over the run (VmHWM) | {:.1} MB |",
        peak as f64 / 1024.0
    );
    println!(
        "\n| request ({LATENCY_SAMPLES} sequential) | p50 ms | p99 ms | max ms |\n|---|---|---|---|"
    );
    for r in rows {
        println!("{r}");
    }
    drop(bench);
}

/// Gives every sample of `ids` one label in one request: `pos` in even rounds, `neg`
/// in odd ones.
async fn relabel_all(client: &Client, dataset_id: &str, ids: &[String], round: usize) {
    let name = if round.is_multiple_of(2) {
        "pos"
    } else {
        "neg"
    };
    let samples: Vec<Value> = ids
        .iter()
        .map(|s| json!({"sample_id": s, "labels": [{"name": name}]}))
        .collect();
    let (status, body) = client
        .call(
            reqwest::Method::PUT,
            &format!("/datasets/{dataset_id}/data-annotations/samples"),
            Some(&json!({"samples": samples})),
        )
        .await;
    assert!(status == 200 && body["success"] == true, "{body}");
}
