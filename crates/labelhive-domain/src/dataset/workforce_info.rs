//! `workforce_information`: the team labeling settings given when a dataset is created.

use serde::{Deserialize, Serialize};

use crate::names::{check_description, check_no_special, check_task_name};
use crate::DomainError;

/// A team member named in `workforce_information`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct WorkforceWorker {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workforce_id: Option<String>,
}

/// A team taking part in a team labeling task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct WorkforceConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workers: Option<Vec<WorkforceWorker>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workforce_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workforce_name: Option<String>,
}

/// Manpower of a team labeling task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct WorkforcesConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workforces: Option<Vec<WorkforceConfig>>,
}

/// Team labeling settings given when a dataset is created; the team labeling service
/// turns them into the dataset's first team task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct WorkforceInformation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_sync_type: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repetition: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synchronize_auto_labeling_data: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synchronize_data: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    pub task_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workforces_config: Option<WorkforcesConfig>,
}

impl WorkforceInformation {
    /// Checks the documented rules of each field.
    pub fn check(&self) -> Result<(), DomainError> {
        let f = "workforce_information";
        check_task_name(&format!("{f}.task_name"), &self.task_name)?;
        if let Some(t) = self.data_sync_type {
            if !(0..=3).contains(&t) {
                return Err(DomainError::invalid(
                    format!("{f}.data_sync_type"),
                    "must be 0, 1, 2 or 3",
                ));
            }
        }
        if let Some(r) = self.repetition {
            if r < 1 {
                return Err(DomainError::invalid(
                    format!("{f}.repetition"),
                    "the minimum value is 1",
                ));
            }
        }
        let teams = self
            .workforces_config
            .iter()
            .flat_map(|c| c.workforces.iter().flatten());
        for (i, team) in teams.enumerate() {
            let tf = format!("{f}.workforces_config.workforces[{i}]");
            if let Some(name) = &team.workforce_name {
                if name.chars().count() > 1024 {
                    return Err(DomainError::invalid(
                        format!("{tf}.workforce_name"),
                        "at most 1024 characters",
                    ));
                }
                check_no_special(&format!("{tf}.workforce_name"), name, "!<>=&\"'")?;
            }
            for (j, w) in team.workers.iter().flatten().enumerate() {
                let wf = format!("{tf}.workers[{j}]");
                if let Some(role) = w.role {
                    if !(0..=3).contains(&role) {
                        return Err(DomainError::invalid(
                            format!("{wf}.role"),
                            "must be 0, 1, 2 or 3",
                        ));
                    }
                }
                if let Some(d) = &w.description {
                    check_description(&format!("{wf}.description"), d, 256)?;
                }
                if let Some(email) = &w.email {
                    if !looks_like_email(email) {
                        return Err(DomainError::invalid(
                            format!("{wf}.email"),
                            "not an email address",
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// A plausible email address: one `@`, a non-empty local part and a dotted domain.
pub fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.contains('@')
}
