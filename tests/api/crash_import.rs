//! Crash safety of import tasks: the real binary is killed with SIGKILL while a
//! manifest import runs, restarted, and the task ends with every line imported once
//! and every bad line reported once.

use serde_json::json;

use crate::both_backends;
use crate::crash::Rig;
use crate::helpers::Backend;

both_backends!(a_manifest_import_killed_mid_way_resumes_and_imports_every_line_once);

const LINES: usize = 3_000;
/// Every this many lines, one is broken.
const BAD_EVERY: usize = 500;

async fn a_manifest_import_killed_mid_way_resumes_and_imports_every_line_once(backend: Backend) {
    let Some(mut rig) = Rig::boot(backend).await else {
        return;
    };
    let mut manifest = String::new();
    for i in 0..LINES {
        if i % BAD_EVERY == BAD_EVERY - 1 {
            manifest.push_str("{broken\n");
            continue;
        }
        std::fs::write(rig.obs(&format!("bkt/src/{i:05}.jpg")), b"x").expect("write");
        let label = if i % 2 == 0 { "Rabbits" } else { "Bees" };
        let line = json!({"source": format!("s3://bkt/src/{i:05}.jpg"),
            "annotation": [{"type": "modelarts/image_classification", "name": label}]});
        manifest.push_str(&format!("{line}\n"));
    }
    std::fs::write(rig.obs("bkt/m/all.manifest"), manifest).expect("manifest");
    let bad = LINES / BAD_EVERY;
    let good = LINES - bad;
    let id = rig.create_dataset("crash-import").await;
    rig.wait_idle(&id).await;

    let tasks = format!("/datasets/{id}/import-tasks");
    let body = json!({"import_type": "manifest", "import_path": "/bkt/m/all.manifest"});
    let (killed_at, t) = rig
        .crash_task(&tasks, &body, LINES as i64, ["COMPLETED", "FAILED"])
        .await;
    assert_eq!(t["status"], "COMPLETED", "killed at {killed_at}: {t}");
    assert_eq!(t["total_sample_count"], LINES as i64, "{t}");
    assert_eq!(t["imported_sample_count"], good as i64, "{t}");
    assert_eq!(t["annotated_sample_count"], good as i64, "{t}");
    assert_eq!(
        t["failed_sample_count"], bad as i64,
        "each bad line once: {t}"
    );
    let lines: Vec<i64> = t["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .map(|f| f["line"].as_i64().expect("line"))
        .collect();
    let want: Vec<i64> = (1..=bad).map(|k| (k * BAD_EVERY) as i64).collect();
    assert_eq!(lines, want);
    assert_eq!(rig.sample_rows(&id, "id").await, (good as i64, good as i64));
    rig.assert_counted(&id, good as i64).await;
    assert!(
        rig.attempts(t["task_id"].as_str().expect("task_id")).await >= 2,
        "claimed again after the crash"
    );
    rig.stop().await;
}
