//! Projects (tenants) and the credentials that act for them.

/// A project: the tenant scope named by `project_id` in every path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// 32-character hex id.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// The access key (AK) of the project owner.
    pub access_key: String,
    /// Creation time, ms.
    pub create_time: i64,
}

/// Who a bearer token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    /// The project the token is scoped to.
    pub project_id: String,
    /// The worker the token belongs to; `None` for the project owner.
    pub worker_id: Option<String>,
    /// Expiry, ms.
    pub expires_at: i64,
}
