//! JSON views of team labeling tasks: WorkforceTask, SampleStats, WorkforceStats,
//! WorkerTask, CheckTaskStats, as seeds 001 and 004 document them.

use labelhive_domain::services::team_tasks::MemberStats;
use labelhive_domain::team_task::{ratio, score_letter, CheckRound, StateCounts, TeamTask};
use serde_json::{json, Map, Value};

use crate::api::error::ApiResult;
use crate::api::statistics::label_stats;
use crate::app::AppState;

/// Optional parts of a task view.
#[derive(Debug, Clone, Copy, Default)]
#[allow(missing_docs)]
pub struct Flags {
    pub label_stats: bool,
    pub sample_stats: bool,
    pub workforce_stats: bool,
    pub worker_stats: bool,
}

/// SampleStats (`*_sample_count`).
pub fn sample_stats(c: &StateCounts) -> Value {
    json!({
        "total_sample_count": c.total,
        "unannotated_sample_count": c.unannotated,
        "unreviewed_sample_count": c.unreviewed,
        "uncheck_sample_count": c.uncheck,
        "sampled_sample_count": c.sampled,
        "rejected_sample_count": c.rejected,
        "accepted_sample_count": c.accepted,
        // Labelhive has no auto labeling, so nothing waits for confirmation.
        "auto_annotation_sample_count": 0,
        "deleted_sample_count": c.deleted,
    })
}

/// The short-key counts of the statistics and metrics endpoints.
pub fn counts_map(c: &StateCounts) -> Value {
    json!({
        "total": c.total,
        "un_annotation": c.unannotated,
        "unreviewed": c.unreviewed,
        "uncheck": c.uncheck,
        "sampled": c.sampled,
        "rejected": c.rejected,
        "accepted": c.accepted,
        "auto_annotation": 0,
    })
}

/// CheckTaskStats of a round (or of all rounds).
pub fn check_stats(r: &CheckRound) -> Value {
    json!({
        "task_id": r.id,
        "sampling_num": r.sampling_num,
        "sampling_rate": r.sampling_rate,
        "total_sample_count": r.total_sample_count,
        "sampled_sample_count": r.sampled_sample_count,
        "checked_sample_count": r.checked(),
        "unchecked_sample_count": (r.sampled_sample_count - r.checked()).max(0),
        "accepted_sample_count": r.accepted_sample_count,
        "rejected_sample_count": r.rejected_sample_count,
        "pass_rate": r.pass_rate(),
        "score": score_letter(r.total_score, r.scored_count),
        "total_score": r.total_score,
    })
}

/// WorkforcesConfig: the task's teams with their names and chosen members.
async fn workforces_config(state: &AppState, t: &TeamTask) -> ApiResult<Value> {
    let mut teams = Vec::new();
    for id in t.workforce_ids() {
        let name = state
            .workforces
            .get(&t.project_id, &id)
            .await
            .map(|w| w.name)
            .unwrap_or_default();
        let workers: Vec<Value> = t
            .members
            .iter()
            .filter(|m| m.workforce_id == id)
            .map(|m| json!({"email": m.email, "worker_id": m.worker_id, "role": m.role, "workforce_id": id}))
            .collect();
        teams.push(json!({"workforce_id": id, "workforce_name": name, "workers": workers}));
    }
    Ok(json!({"agency": t.agency, "workforces": teams}))
}

/// The WorkforceTask object.
pub async fn task_view(state: &AppState, t: &TeamTask, flags: Flags) -> ApiResult<Value> {
    let svc = &state.team_tasks;
    let rounds = state
        .store
        .rounds(&t.id)
        .await
        .map_err(labelhive_domain::DomainError::from)?;
    let (mut accepted, mut checked, mut points, mut scored) = (0, 0, 0, 0);
    for r in &rounds {
        accepted += r.accepted_sample_count;
        checked += r.checked();
        points += r.total_score;
        scored += r.scored_count;
    }
    let samples = svc.sample_stats(t).await?;
    // Stored as given and checked at creation: a JSON list.
    let conditions = serde_json::from_str::<Value>(&t.sample_conditions)
        .ok()
        .filter(Value::is_array);
    let mut v = json!({
        "task_id": t.id,
        "task_name": t.name,
        "description": t.description,
        "dataset_id": t.dataset_id,
        "status": t.status,
        "repetition": t.repetition,
        "auto_sync_dataset": t.auto_sync_dataset,
        "synchronize_data": t.synchronize_data,
        "synchronize_auto_labeling_data": t.synchronize_auto_labeling_data,
        "create_time": t.create_time,
        "update_time": t.update_time,
        "workforces_config": workforces_config(state, t).await?,
        "check_rate": ratio(samples.accepted, samples.total),
        "pass_rate": ratio(accepted, checked),
        "score": if scored == 0 { 0.0 } else { points as f64 / scored as f64 },
    });
    let Value::Object(obj) = &mut v else {
        return Ok(v);
    };
    if let Some(c) = conditions {
        obj.insert("sample_search_conditions".into(), c);
    }
    if let Some(id) = &t.checking_task_id {
        let mut desc = Map::new();
        desc.insert("checking_task_id".into(), json!(id));
        if let Some(a) = t.action {
            desc.insert("action".into(), json!(a));
        }
        desc.insert(
            "overwrite_last_result".into(),
            json!(t.overwrite_last_result),
        );
        if let Some(r) = rounds.iter().find(|r| r.id == *id) {
            desc.insert("checking_stats".into(), check_stats(r));
        }
        obj.insert("checking_task_desc".into(), Value::Object(desc));
    }
    if flags.sample_stats {
        obj.insert("sample_stats".into(), sample_stats(&samples));
    }
    if flags.workforce_stats {
        obj.insert(
            "workforce_stats".into(),
            json!({
                "workforce_count": t.workforce_ids().len(),
                "labeler_count": t.labelers().len(),
                "reviewer_count": t.reviewers().len(),
            }),
        );
    }
    let ds = if flags.label_stats || flags.worker_stats {
        Some(svc.dataset(&t.project_id, &t.dataset_id).await?)
    } else {
        None
    };
    if let (true, Some(ds)) = (flags.label_stats, &ds) {
        let (_, stats) = svc.stats(t, &Default::default()).await?;
        obj.insert(
            "label_stats".into(),
            json!(label_stats(&ds.labels, &stats.labels)),
        );
    }
    if let (true, Some(ds)) = (flags.worker_stats, &ds) {
        let agreement = svc.member_agreement(t).await?;
        let mut out = Vec::new();
        for s in svc.member_stats(t).await? {
            let mut m = member_view(t, &s, ds.dataset_type);
            if let (Some(a), Value::Object(o)) = (agreement.get(&s.member.worker_id), &mut m) {
                o.insert("agreement".into(), json!(a));
            }
            out.push(m);
        }
        obj.insert("worker_stats".into(), Value::Array(out));
    }
    Ok(v)
}

/// The WorkerTask object: one member's part in a task of a dataset of `dataset_type`.
pub fn member_view(t: &TeamTask, s: &MemberStats, dataset_type: i32) -> Value {
    json!({
        "email": s.member.email,
        "worker_id": s.member.worker_id,
        "role": s.member.role,
        "task_id": t.id,
        "workforce_task_name": t.name,
        "dataset_id": t.dataset_id,
        "dataset_type": dataset_type,
        "task_status": t.status,
        "sample_stats": sample_stats(&s.counts),
        "create_time": t.create_time,
        "update_time": t.update_time,
        "email_status": s.member.email_status,
        "last_notify_time": s.member.last_notify_time,
    })
}
