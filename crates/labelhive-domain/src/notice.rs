//! Notification emails to team members and the sign-in codes they carry.
//!
//! A notice is written to the outbox when it is asked for and delivered by the
//! server's mailer; its status is the member's `email_status` for the task.

use crate::workforce::role;

/// `email_status` of a member in a task.
pub mod email_status {
    /// Not sent (yet): waiting in the outbox, or never asked for.
    pub const NOT_SENT: i32 = 0;
    /// The address is not a valid email address.
    pub const BAD_ADDRESS: i32 = 1;
    /// The mail server refused the address for good.
    pub const UNREACHABLE: i32 = 2;
    /// The mail server accepted the message.
    pub const SENT: i32 = 3;
}

/// Stands for the sign-in code in a stored body; the mailer fills it in when it sends,
/// so the database never holds a usable code.
pub const CODE_PLACEHOLDER: &str = "{code}";

/// How long a sign-in code from an email stays valid: a week.
pub const CODE_TTL_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// Longest wait between two delivery attempts.
const MAX_RETRY_MS: i64 = 15 * 60 * 1000;

/// One message in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Its id.
    pub id: String,
    /// The project.
    pub project_id: String,
    /// The team labeling task it is about.
    pub task_id: String,
    /// The member.
    pub worker_id: String,
    /// Their address.
    pub email: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body with [`CODE_PLACEHOLDER`] where the sign-in code goes.
    pub body: String,
    /// An [`email_status`] value.
    pub status: i32,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// When it was queued, ms.
    pub create_time: i64,
}

/// What a delivery attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Accepted by the mail server.
    Sent,
    /// The address cannot be an email address.
    BadAddress(String),
    /// Refused for good (a 5xx answer).
    Unreachable(String),
    /// Not delivered this time (no connection, a 4xx answer): try again later.
    Retry(String),
}

/// What a notice says: the task, the member's part in it, and how to sign in.
#[derive(Debug, Clone)]
pub struct NoticeText<'a> {
    /// The project.
    pub project_id: &'a str,
    /// The task's name.
    pub task_name: &'a str,
    /// The dataset's name.
    pub dataset_name: &'a str,
    /// The member's address.
    pub email: &'a str,
    /// The member's role in the task.
    pub role: i32,
    /// Where the server is reached, without a trailing slash.
    pub public_url: &'a str,
}

impl NoticeText<'_> {
    /// Subject and body (with the code placeholder).
    pub fn compose(&self) -> (String, String) {
        let part = match self.role {
            role::REVIEWER => "review",
            role::MANAGER => "manage",
            _ => "label",
        };
        let subject = format!(
            "Team labeling task \"{}\" is waiting for you",
            self.task_name
        );
        // Short lines, so the text travels as written; the code stands alone on its
        // line, whole, whatever encoding a long name forces on the rest.
        let body = format!(
            "Hello,\n\n\
             you are asked to {part} the team labeling task \"{task}\"\n\
             of the dataset \"{dataset}\".\n\n\
             Your sign-in code (valid for 7 days):\n\n    {code}\n\n\
             Sign in with it to get a token:\n\n\
             curl -i -X POST {url}/auth/worker-tokens \\\n  \
             -H 'Content-Type: application/json' -d '{{\n  \
             \"project_id\": \"{project}\",\n  \
             \"email\": \"{email}\",\n  \
             \"code\": \"{code}\"}}'\n\n\
             The token comes back in the X-Subject-Token header. Send it as\n\
             X-Auth-Token to {url}/v2/{project}/workforces/worker-tasks\n\
             to see your tasks.\n",
            task = self.task_name,
            dataset = self.dataset_name,
            code = CODE_PLACEHOLDER,
            url = self.public_url,
            project = self.project_id,
            email = self.email,
        );
        (subject, body)
    }
}

/// Wait before the next attempt after `attempts` failed ones: `base_ms` doubling,
/// at most 15 minutes.
pub fn retry_delay_ms(base_ms: i64, attempts: i64) -> i64 {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    base_ms
        .max(1)
        .saturating_mul(1_i64 << doublings)
        .min(MAX_RETRY_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_a_ceiling() {
        assert_eq!(retry_delay_ms(1000, 1), 1000);
        assert_eq!(retry_delay_ms(1000, 2), 2000);
        assert_eq!(retry_delay_ms(1000, 4), 8000);
        assert_eq!(retry_delay_ms(1000, 60), MAX_RETRY_MS);
        assert_eq!(retry_delay_ms(0, 1), 1);
    }

    #[test]
    fn the_body_keeps_a_place_for_the_code() {
        let text = NoticeText {
            project_id: "p1",
            task_name: "cats",
            dataset_name: "pets",
            email: "a@x.org",
            role: role::REVIEWER,
            public_url: "http://h:1",
        };
        let (subject, body) = text.compose();
        assert!(subject.contains("cats"));
        assert!(body.contains("to review the team labeling task \"cats\"\nof the dataset"));
        assert!(body.contains(&format!("\n    {CODE_PLACEHOLDER}\n")));
        assert_eq!(body.matches(CODE_PLACEHOLDER).count(), 2);
        assert!(body.contains("http://h:1/auth/worker-tokens"));
        assert!(body.contains("\"email\": \"a@x.org\""));
    }
}
