//! Crash safety of export tasks: the real binary is killed with SIGKILL while an
//! export into a new dataset runs, restarted, and the export ends with every sample
//! copied once and the new dataset usable. The same rig exports several pages to a
//! directory: the next page is read while one is copied.

use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::crash::Rig;
use crate::helpers::Backend;

both_backends!(an_export_killed_mid_way_resumes_and_copies_every_sample_once);
both_backends!(a_directory_export_of_many_pages_writes_every_sample_once_in_order);

const SAMPLES: usize = 4_000;

/// Boots a rig whose dataset holds [`SAMPLES`] labeled images; returns its id.
async fn rig_with_samples(backend: Backend) -> Option<(Rig, String)> {
    let rig = Rig::boot(backend).await?;
    let mut manifest = String::new();
    for i in 0..SAMPLES {
        std::fs::write(rig.obs(&format!("bkt/in/{i:05}.jpg")), b"x").expect("write");
        let label = if i % 2 == 0 { "Rabbits" } else { "Bees" };
        let line = json!({"source": format!("s3://bkt/in/{i:05}.jpg"),
            "annotation": [{"type": "modelarts/image_classification", "name": label}]});
        manifest.push_str(&format!("{line}\n"));
    }
    std::fs::write(rig.obs("bkt/m/all.manifest"), manifest).expect("manifest");
    rig.obs("bkt/copy/");
    rig.obs("bkt/copy-out/");
    let id = rig.create_dataset("crash-export").await;
    rig.wait_idle(&id).await;
    let body = json!({"import_type": "manifest", "import_path": "/bkt/m/all.manifest"});
    let r = rig
        .call(
            Method::POST,
            &format!("/datasets/{id}/import-tasks"),
            Some(&body),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    rig.wait_idle(&id).await;
    Some((rig, id))
}

async fn an_export_killed_mid_way_resumes_and_copies_every_sample_once(backend: Backend) {
    let Some((mut rig, id)) = rig_with_samples(backend).await else {
        return;
    };
    let tasks = format!("/datasets/{id}/export-tasks");
    let body = json!({"path": "/bkt/copy/", "export_params": {"export_dest": "NEW_DATASET",
        "export_new_dataset_name": "copy", "export_new_dataset_work_path": "/bkt/copy-out/"}});
    let (killed_at, t) = rig
        .crash_task(&tasks, &body, SAMPLES as i64, ["SUCCESSED", "FAILED"])
        .await;
    assert_eq!(t["status"], "SUCCESSED", "killed at {killed_at}: {t}");
    assert_eq!(t["finished_sample_count"], SAMPLES as i64, "{t}");
    assert_eq!(t["failed_sample_count"], 0, "{t}");
    let new_id = t["new_dataset_id"]
        .as_str()
        .expect("new dataset")
        .to_owned();
    let d = rig.wait_idle(&new_id).await;
    assert_eq!(d["total_sample_count"], SAMPLES as i64, "{d}");
    assert_eq!(
        rig.sample_rows(&new_id, "path").await,
        (SAMPLES as i64, SAMPLES as i64)
    );
    rig.assert_counted(&new_id, SAMPLES as i64).await;
    assert!(
        rig.attempts(t["task_id"].as_str().expect("task_id")).await >= 2,
        "claimed again after the crash"
    );
    rig.stop().await;
}

async fn a_directory_export_of_many_pages_writes_every_sample_once_in_order(backend: Backend) {
    let Some((rig, id)) = rig_with_samples(backend).await else {
        return;
    };
    let tasks = format!("/datasets/{id}/export-tasks");
    let r = rig
        .call(Method::POST, &tasks, Some(&json!({"path": "/bkt/copy/"})))
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let task_id = r.body["task_id"].as_str().expect("task_id").to_owned();
    let t = rig
        .poll(&format!("{tasks}/{task_id}"), |t| {
            t["status"] == "SUCCESSED" || t["status"] == "FAILED"
        })
        .await;
    assert_eq!(t["status"], "SUCCESSED", "{t}");
    assert_eq!(t["finished_sample_count"], SAMPLES as i64, "{t}");
    // Four pages of 1,000: each sample's line once, in the dataset's own order.
    let manifest = std::fs::read_to_string(rig.obs(&format!("bkt/copy/{task_id}.manifest")))
        .expect("manifest");
    let exported: Vec<String> = manifest
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            v["id"].as_str().expect("id").to_owned()
        })
        .collect();
    let mut listed = Vec::with_capacity(SAMPLES);
    for page in 0..SAMPLES / 100 {
        let r = rig
            .call(
                Method::GET,
                &format!(
                    "/datasets/{id}/data-annotations/samples?limit=100&offset={page}&order=asc"
                ),
                None,
            )
            .await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
        let samples = r.body["samples"].as_array().expect("samples");
        listed.extend(
            samples
                .iter()
                .map(|s| s["sample_id"].as_str().expect("id").to_owned()),
        );
    }
    assert_eq!(listed.len(), SAMPLES);
    assert_eq!(exported, listed);
    for i in [0, 999, 1000, 2001, SAMPLES - 1] {
        let copied = rig.obs(&format!("bkt/copy/{i:05}.jpg"));
        assert_eq!(std::fs::read(&copied).expect("copied file"), b"x");
    }
    rig.stop().await;
}
