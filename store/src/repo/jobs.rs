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

/// A job's detail from the query tables: its state, parties, clocks and what it holds.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct JobDetail {
    pub id: String,
    pub status: String,
    pub review_state: String,
    pub assignee: Option<String>,
    pub assignee_name: Option<String>,
    pub origin: String,
    pub complaint: bool,
    pub dap: bool,
    pub customer: DetailCustomer,
    pub product: DetailProduct,
    pub reported_at: i64,
    pub completed_at: Option<i64>,
    pub feedback_category: Option<String>,
    pub responsible_department: Option<String>,
    pub labour_minutes: i64,
    pub clocks_ms: Clocks,
    /// When the job first reached the server (server clock).
    pub created_at: Option<i64>,
    /// The time flags of the events the clocks are measured on.
    pub time_flags: Vec<String>,
    pub timeline: Vec<TimelineEvent>,
    pub reviews: Vec<ReviewEntry>,
    pub forms: Vec<FormEntry>,
    pub parts: Vec<PartEntry>,
}

/// The job's copy of its customer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct DetailCustomer {
    pub id: String,
    pub name: String,
    pub phone: String,
    pub tier: String,
    pub region: String,
    pub site_distance: String,
}

/// The job's copy of its product.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct DetailProduct {
    pub model: String,
    pub serial: String,
    pub purchase_date: Option<String>,
}

/// The service clocks of a job, in milliseconds; `None` until measured.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Clocks {
    pub response: Option<i64>,
    pub arrival: Option<i64>,
    pub diagnosis: Option<i64>,
    pub handling: Option<i64>,
}

/// One event of the job's timeline, with when it reached the server.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct TimelineEvent {
    pub id: String,
    pub kind: String,
    pub at: i64,
    pub by: String,
    pub by_name: Option<String>,
    pub received_at: Option<i64>,
    pub device_offset_ms: Option<i64>,
    /// Why the event's device time is in doubt (`onsite_domain::evidence`).
    pub flags: Vec<String>,
}

/// One review decision.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ReviewEntry {
    pub id: String,
    pub decision: String,
    pub comment: String,
    pub at: i64,
    pub by: String,
}

/// One form of the job, with its answers and satisfaction.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct FormEntry {
    pub id: String,
    pub template_id: String,
    pub template_version: i64,
    pub respondent: String,
    pub submitted_at: Option<i64>,
    pub by: String,
    pub suggestion: String,
    pub answers: Vec<AnswerEntry>,
    pub degree_pct: Option<f64>,
    pub rate_pct: Option<f64>,
}

/// One answer of a form.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AnswerEntry {
    pub item: String,
    pub points: i64,
    pub comment: String,
}

/// One parts line of the job.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct PartEntry {
    pub id: String,
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub unit_price_cents: i64,
    pub billable: bool,
    pub at: i64,
    pub by: String,
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
    fn review_detail(&mut self, doc_id: &str) -> Result<Option<JobDetail>, StoreError>;

    /// Every change of the document in causal order, with who uploaded it.
    fn job_history(&mut self, doc: &mut JobDoc) -> Result<Vec<HistoryEntry>, StoreError>;

    /// The registry's customer with this id, as a job copies it.
    fn registry_customer(&mut self, id: &str) -> Result<Option<Customer>, StoreError>;

    /// The registry's product with this id, as a job copies it.
    fn registry_product(&mut self, id: &str) -> Result<Option<RegisteredProduct>, StoreError>;
}
