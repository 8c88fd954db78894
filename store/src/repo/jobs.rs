//! Back-office work on jobs: create, edit, assign, review, classify, cancel, callback; the job list and detail; quarantined jobs.
//!
//! A back-office edit is committed through the sync engine's
//! [`ServerStore::commit`](onsite_sync::server::ServerStore::commit) on the same unit, like
//! any synced change; this repository only reads what the edits and views need.

use onsite_domain::{Customer, JobDoc, Product};

use crate::error::StoreError;
use crate::report::Period;

/// A job's stored document, as the backend found it.
#[derive(Debug)]
pub enum StoredDoc {
    /// The bytes load as an Automerge document (whether it reads as a job is the caller's
    /// question).
    Loaded(Box<JobDoc>),
    /// The bytes do not load; why. Not a storage failure: the document is to be set aside.
    Unusable(String),
}

/// A job set aside by [`ServerStore::quarantine`](onsite_sync::server::ServerStore::quarantine):
/// why, and when (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantined {
    pub doc_id: String,
    pub reason: String,
    pub at: i64,
}

/// What the query tables say of one job's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobState {
    pub status: String,
    pub review_state: String,
    pub assignee: Option<String>,
}

/// Filters of the job list; `None` disables a filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobListFilter {
    pub status: Option<String>,
    pub review_state: Option<String>,
    pub assignee: Option<String>,
    pub limit: u32,
    pub offset: u32,
}

/// One row of the job list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct JobSummary {
    pub id: String,
    pub status: String,
    pub review_state: String,
    pub assignee: Option<String>,
    pub customer_name: String,
    pub product_model: String,
    pub complaint: bool,
    pub reported_at: i64,
}

/// Filters of the review list; `None` disables a filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewFilter {
    pub status: Option<String>,
    pub review_state: Option<String>,
    pub technician: Option<String>,
    /// On the date the job was reported.
    pub period: Option<Period>,
    pub complaint: Option<bool>,
    pub dap: Option<bool>,
    pub feedback_category: Option<String>,
    pub customer_tier: Option<String>,
    pub limit: u32,
    pub offset: u32,
}

/// One row of the review list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ReviewRow {
    pub id: String,
    pub status: String,
    pub review_state: String,
    pub assignee: Option<String>,
    pub assignee_name: Option<String>,
    pub customer_name: String,
    pub customer_tier: String,
    pub customer_region: String,
    pub product_model: String,
    pub complaint: bool,
    pub dap: bool,
    pub feedback_category: Option<String>,
    pub reported_at: i64,
    pub completed_at: Option<i64>,
    /// How many forms the job has.
    pub forms: i64,
    /// How many parts lines the job has.
    pub parts_lines: i64,
}

/// One change of a job's document, with who uploaded it (from the feed).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    /// The change hash, hex.
    pub hash: String,
    /// The Automerge actor, hex.
    pub actor: String,
    pub seq: u64,
    /// The author's clock in milliseconds (Automerge records seconds).
    pub at: i64,
    /// The change message: "accept", "answer", "review"…
    pub what: Option<String>,
    pub user_id: Option<String>,
    pub user_name: Option<String>,
    pub device_id: Option<String>,
}

/// A product of the registry, with the customer it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisteredProduct {
    pub customer_id: String,
    pub product: Product,
}

/// Back-office work on jobs: create, edit, assign, review, classify, cancel, callback; the job list and detail; quarantined jobs.
pub trait Jobs {
    /// The job's stored document; `None` when there is no such job.
    fn job_doc(&mut self, doc_id: &str) -> Result<Option<StoredDoc>, StoreError>;

    /// Whether the job is set aside, and why.
    fn quarantined(&mut self, doc_id: &str) -> Result<Option<Quarantined>, StoreError>;

    /// Every job set aside, the latest first.
    fn quarantined_jobs(&mut self) -> Result<Vec<Quarantined>, StoreError>;

    /// The job's state in the query tables; `None` when there is no such job.
    fn job_state(&mut self, doc_id: &str) -> Result<Option<JobState>, StoreError>;

    /// One page of the job list, newest report first.
    fn job_list(&mut self, filter: &JobListFilter) -> Result<Vec<JobSummary>, StoreError>;

    /// One page of the review list, newest report first, and how many match in all.
    fn review_list(&mut self, filter: &ReviewFilter) -> Result<(Vec<ReviewRow>, u64), StoreError>;

    /// A job's detail from the query tables (state, parties, clocks, timeline, reviews,
    /// forms, parts); `None` when there is no such job.
    fn review_detail(&mut self, doc_id: &str) -> Result<Option<serde_json::Value>, StoreError>;

    /// Every change of the document in causal order, with who uploaded it.
    fn job_history(&mut self, doc: &mut JobDoc) -> Result<Vec<HistoryEntry>, StoreError>;

    /// The registry's customer with this id, as a job copies it.
    fn registry_customer(&mut self, id: &str) -> Result<Option<Customer>, StoreError>;

    /// The registry's product with this id, as a job copies it.
    fn registry_product(&mut self, id: &str) -> Result<Option<RegisteredProduct>, StoreError>;
}
