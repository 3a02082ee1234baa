//! Labeling teams (workforces) and their members (workers): the documented fields,
//! roles and rules.
//!
//! Choices where the specification is silent:
//! - a member is a person known by email; the person's `worker_id` is the same in every
//!   team of the project (derived from the project and the lower-cased email), so a
//!   person's tasks and sign-in follow them across teams;
//! - `emails` of the create request may list several addresses separated by commas,
//!   semicolons or spaces; each becomes a member with the same role and description;
//! - a team has at most one team manager (role 2, `ModelArts.4617`), as the error code
//!   table says;
//! - names are unique per project (`ModelArts.4602`), emails per team (4605).

use sha2::{Digest, Sha256};

use crate::names::{check_description, check_task_name};
use crate::DomainError;

/// Member roles.
pub mod role {
    /// Labels samples.
    pub const LABELER: i32 = 0;
    /// Reviews labeled samples.
    pub const REVIEWER: i32 = 1;
    /// Manages the team's tasks.
    pub const MANAGER: i32 = 2;
    /// The dataset owner (may be set by an update).
    pub const OWNER: i32 = 3;
}

/// Member sign-in states (`status`).
pub mod worker_status {
    /// The invitation email has not been sent.
    pub const NOT_INVITED: i32 = 0;
    /// Invited, not signed in yet.
    pub const INVITED: i32 = 1;
    /// Signed in at least once.
    pub const SIGNED_IN: i32 = 2;
}

/// Addresses one create request may add.
pub const MAX_EMAILS_PER_REQUEST: usize = 100;
/// Longest email address (RFC 5321 path limit).
const MAX_EMAIL_LEN: usize = 254;

/// A labeling team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workforce {
    /// 19-character id.
    pub id: String,
    /// Owning project.
    pub project_id: String,
    /// Unique in the project.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Workspace, `0` by default.
    pub workspace_id: String,
    /// Members.
    pub worker_count: i64,
    /// Milliseconds.
    pub create_time: i64,
    /// Milliseconds.
    pub update_time: i64,
}

/// A member of a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    /// The person's id, 32 hex characters.
    pub worker_id: String,
    /// The team.
    pub workforce_id: String,
    /// Lower-cased address.
    pub email: String,
    /// See [`role`].
    pub role: i32,
    /// Free text.
    pub description: String,
    /// See [`worker_status`].
    pub status: i32,
    /// Milliseconds.
    pub create_time: i64,
    /// Milliseconds.
    pub update_time: i64,
}

/// Sort keys of the team list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WorkforceSort {
    /// Creation time (default).
    #[default]
    CreateTime,
    /// Team name.
    Name,
}

/// The team list's query.
#[derive(Debug, Clone, Default)]
pub struct WorkforceQuery {
    /// Only these teams (a task's), when given.
    pub ids: Option<Vec<String>>,
    /// Fuzzy, case-insensitive match on the name or description.
    pub search_content: Option<String>,
    /// Sort key.
    pub sort_by: WorkforceSort,
    /// Ascending instead of descending.
    pub ascending: bool,
    /// Page number from 0.
    pub offset: i64,
    /// Page size.
    pub limit: i64,
}

/// Sort keys of member lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WorkerSort {
    /// Creation time (default).
    #[default]
    CreateTime,
    /// Email address.
    Email,
}

/// A member list's query.
#[derive(Debug, Clone, Default)]
pub struct WorkerQuery {
    /// Only this team (the team's member list).
    pub workforce_id: Option<String>,
    /// Only this role.
    pub role: Option<i32>,
    /// Sort key.
    pub sort_by: WorkerSort,
    /// Ascending instead of descending.
    pub ascending: bool,
    /// Page number from 0.
    pub offset: i64,
    /// Page size.
    pub limit: i64,
}

/// A team's name and description as a create or update request gives them.
#[derive(Debug, Clone, Default)]
pub struct WorkforceFields {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
}

impl WorkforceFields {
    /// Checks the documented character rules.
    pub fn check(&self) -> Result<(), DomainError> {
        if let Some(n) = &self.name {
            check_task_name("workforce_name", n)?;
        }
        if let Some(d) = &self.description {
            check_description("description", d, 256)?;
        }
        Ok(())
    }
}

/// The id of the person with this email in this project.
pub fn worker_id_for(project_id: &str, email: &str) -> String {
    let digest = Sha256::digest(format!("{project_id}\n{}", email.to_lowercase()).as_bytes());
    hex::encode(&digest[..16])
}

/// Checks one address: `local@domain`, no spaces or control characters, a dotted
/// domain; returns it lower-cased.
pub fn check_email(value: &str) -> Result<String, DomainError> {
    let bad = |why: &str| DomainError::invalid("emails", format!("{value:?} {why}"));
    if value.len() > MAX_EMAIL_LEN {
        return Err(bad("is longer than 254 characters"));
    }
    let Some((local, domain)) = value.rsplit_once('@') else {
        return Err(bad("is not an email address"));
    };
    let clean = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[],;:\"@\\".contains(c))
    };
    let labels_ok = domain
        .split('.')
        .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'));
    if !clean(local) || !clean(domain) || !domain.contains('.') || !labels_ok {
        return Err(bad("is not an email address"));
    }
    Ok(value.to_lowercase())
}

/// The addresses of a create request: separated by commas, semicolons or spaces;
/// duplicates count once.
pub fn parse_emails(value: &str) -> Result<Vec<String>, DomainError> {
    let mut out: Vec<String> = Vec::new();
    for part in value
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let email = check_email(part)?;
        if !out.contains(&email) {
            out.push(email);
        }
    }
    if out.is_empty() {
        return Err(DomainError::invalid(
            "emails",
            "at least one address is required",
        ));
    }
    if out.len() > MAX_EMAILS_PER_REQUEST {
        return Err(DomainError::invalid(
            "emails",
            format!("at most {MAX_EMAILS_PER_REQUEST} addresses per request"),
        ));
    }
    Ok(out)
}

/// Checks a role: 0 to 2 when adding members, 0 to 3 when updating one.
pub fn check_role(value: i64, allow_owner: bool) -> Result<i32, DomainError> {
    let max = if allow_owner {
        role::OWNER
    } else {
        role::MANAGER
    };
    i32::try_from(value)
        .ok()
        .filter(|r| (role::LABELER..=max).contains(r))
        .ok_or_else(|| DomainError::invalid("role", format!("{value} is not one of 0 to {max}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_split() {
        assert_eq!(
            parse_emails("Ann@Example.com, bob@example.org;ann@example.com").unwrap(),
            ["ann@example.com", "bob@example.org"]
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "ann@exa mple.com",
            "ann@example..com",
            "<ann@example.com>",
        ] {
            assert!(parse_emails(bad).is_err(), "{bad}");
        }
        let many: Vec<String> = (0..101).map(|i| format!("u{i}@example.com")).collect();
        assert!(parse_emails(&many.join(",")).is_err());
    }

    #[test]
    fn a_person_has_one_id_per_project() {
        let a = worker_id_for("p1", "Ann@example.com");
        assert_eq!(a, worker_id_for("p1", "ann@example.com"));
        assert_ne!(a, worker_id_for("p2", "ann@example.com"));
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn roles_and_names_follow_the_documented_rules() {
        assert_eq!(check_role(2, false).unwrap(), role::MANAGER);
        assert!(check_role(3, false).is_err());
        assert_eq!(check_role(3, true).unwrap(), role::OWNER);
        assert!(check_role(-1, true).is_err());
        let f = |n: &str, d: &str| WorkforceFields {
            name: Some(n.into()),
            description: Some(d.into()),
        };
        assert!(f("team-1_a", "my team").check().is_ok());
        assert!(f("team 1", "").check().is_err());
        assert!(f(&"x".repeat(65), "").check().is_err());
        assert!(f("t", "<b>").check().is_err());
    }
}
