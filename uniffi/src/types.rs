//! The records and enums that cross the FFI.
//!
//! Most are the client core's and the domain's own types, declared to UniFFI with
//! `#[uniffi::remote(...)]`: the declarations below repeat their fields (the compiler
//! checks that they match), and no conversion code is needed. A job read whole
//! ([`JobDetail`]) is converted: the document keeps free text as Automerge text and
//! collections as maps keyed by id, which UniFFI cannot carry, so it crosses as strings
//! and lists.

use onsite_client::{
    Conflict, ErrorKind, JobFilter, JobSummary, JobView, NewJob, PartInput, Session, StockLine,
    SyncFailure, SyncStatus, TransferStats,
};
use onsite_domain::{
    Attachment, CatalogItem, Customer, Decision, Event, EventKind, FormItem, FormTemplate,
    PartLine, Product, ReviewDecision, ReviewState, Role, Status,
};

#[uniffi::remote(Enum)]
pub enum Role {
    Technician,
    BackOffice,
    Admin,
}

#[uniffi::remote(Enum)]
pub enum Status {
    New,
    Assigned,
    Accepted,
    EnRoute,
    OnSite,
    Diagnosed,
    Repaired,
    Completed,
    Cancelled,
}

#[uniffi::remote(Enum)]
pub enum ReviewState {
    NotSubmitted,
    Pending,
    Approved,
    Returned,
}

#[uniffi::remote(Enum)]
pub enum EventKind {
    Reported,
    Assigned,
    Accepted,
    EnRoute,
    OnSite,
    Diagnosed,
    Repaired,
    Completed,
    Cancelled,
}

#[uniffi::remote(Enum)]
pub enum Decision {
    Approved,
    Returned,
}

/// The signed-in account.
#[uniffi::remote(Record)]
pub struct Session {
    pub user_id: String,
    pub username: String,
    pub role: Role,
    /// The server signed in to.
    pub server_url: Option<String>,
}

/// The customer of a job. Only `name` is required for a new job.
#[uniffi::remote(Record)]
pub struct Customer {
    #[uniffi(default)]
    pub id: String,
    pub name: String,
    #[uniffi(default)]
    pub phone: String,
    #[uniffi(default)]
    pub address: String,
    /// `key` or `general`.
    #[uniffi(default)]
    pub tier: String,
    #[uniffi(default)]
    pub region: String,
    /// `near`, `far` or empty.
    #[uniffi(default)]
    pub site_distance: String,
}

#[uniffi::remote(Record)]
pub struct Product {
    /// The product's id in the server's registry, when the job was made from it.
    #[uniffi(default)]
    pub id: String,
    #[uniffi(default)]
    pub model: String,
    #[uniffi(default)]
    pub serial: String,
    /// `YYYY-MM-DD`, when known.
    #[uniffi(default)]
    pub purchase_date: Option<String>,
}

/// A job a technician opens on site.
#[uniffi::remote(Record)]
pub struct NewJob {
    pub customer: Customer,
    pub product: Product,
    /// The fault as the customer reports it.
    pub fault: String,
    /// The job comes from a complaint.
    #[uniffi(default)]
    pub complaint: bool,
}

/// A parts usage line to record on a job. For a part of the catalog, `sku` and
/// `quantity` are enough: an empty `name` and unset price and billable come from the
/// catalog on the device.
#[uniffi::remote(Record)]
pub struct PartInput {
    pub sku: String,
    #[uniffi(default)]
    pub name: String,
    pub quantity: i64,
    #[uniffi(default)]
    pub unit_price_cents: Option<i64>,
    /// Billable to the customer (`false`: covered by warranty).
    #[uniffi(default)]
    pub billable: Option<bool>,
    #[uniffi(default)]
    pub serials_removed: Vec<String>,
    #[uniffi(default)]
    pub serials_installed: Vec<String>,
}

/// Which jobs to list; every field is optional.
#[uniffi::remote(Record)]
pub struct JobFilter {
    /// A status in snake case, e.g. `on_site`.
    #[uniffi(default)]
    pub status: Option<String>,
    /// `not_submitted`, `pending`, `approved` or `returned`.
    #[uniffi(default)]
    pub review_state: Option<String>,
    /// Matched in the customer's name or phone or the product serial number.
    #[uniffi(default)]
    pub text: Option<String>,
    /// At most this many jobs (default 100).
    #[uniffi(default)]
    pub limit: Option<u32>,
    #[uniffi(default)]
    pub offset: u32,
}

/// One line of a job list.
#[uniffi::remote(Record)]
pub struct JobSummary {
    pub id: String,
    pub status: Status,
    pub review_state: ReviewState,
    pub assignee: Option<String>,
    pub origin: String,
    pub complaint: bool,
    pub customer_name: String,
    pub customer_phone: String,
    pub customer_tier: String,
    pub product_model: String,
    pub product_serial: String,
    pub reported_at: i64,
    pub updated_at: i64,
    pub event_count: u32,
    pub note_count: u32,
    pub parts_count: u32,
    pub forms_count: u32,
    /// Changes made on this device that the server has not acknowledged yet.
    pub unsynced: bool,
}

/// A local change the server refused; the job went back to the server's state.
#[uniffi::remote(Record)]
pub struct Conflict {
    pub id: i64,
    pub doc_id: String,
    /// The server's reason code, e.g. `not_assigned`.
    pub code: String,
    pub message: String,
    pub at: i64,
    pub change_count: u32,
}

/// Requests and body bytes exchanged with the server since the client was opened.
#[uniffi::remote(Record)]
pub struct TransferStats {
    pub requests: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
}

/// The stable kind of an error, as kept in the sync status.
#[uniffi::remote(Enum)]
pub enum ErrorKind {
    InvalidInput,
    NotFound,
    Refused { code: String },
    SignInNeeded,
    DeviceWiped,
    Network,
    Server { code: String, message: String },
    Storage,
    Internal,
}

/// Why the last sync failed.
#[uniffi::remote(Record)]
pub struct SyncFailure {
    pub kind: ErrorKind,
    pub message: String,
}

/// Where syncing stands on this device.
#[uniffi::remote(Record)]
pub struct SyncStatus {
    pub syncing: bool,
    pub background: bool,
    pub last_attempt_at: Option<i64>,
    pub last_success_at: Option<i64>,
    pub last_error: Option<SyncFailure>,
}

/// A part of the catalog, as last synced. Read-only on the device.
#[uniffi::remote(Record)]
pub struct CatalogItem {
    pub sku: String,
    pub name: String,
    pub unit_price_cents: i64,
    /// `true`: billed to the customer; `false`: covered by warranty.
    pub billable: bool,
    /// No longer in use (still shown on old jobs).
    pub active: bool,
}

/// One item of a form template.
#[uniffi::remote(Record)]
pub struct FormItem {
    pub id: String,
    pub label_zh: String,
    pub label_en: String,
}

/// A version of a satisfaction form template. Read-only on the device.
#[uniffi::remote(Record)]
pub struct FormTemplate {
    pub id: String,
    pub version: i64,
    pub title_zh: String,
    pub title_en: String,
    /// In the order they are asked.
    pub items: Vec<FormItem>,
    /// Label of the free-text suggestion that closes the form.
    pub suggestion_zh: String,
    pub suggestion_en: String,
}

/// The van stock of one part: the server's count less this device's uses not yet synced.
#[uniffi::remote(Record)]
pub struct StockLine {
    pub sku: String,
    pub name: String,
    pub balance: i64,
    pub unsynced_use: i64,
    /// More used than restocked; shown, never clamped.
    pub negative: bool,
}

/// What one sync did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    /// Local changes the server accepted.
    pub uploaded: u64,
    /// Local changes the server refused (see the conflict log).
    pub refused: u64,
    pub jobs_received: u64,
    pub changes_received: u64,
    /// Ids of the jobs this sync changed on the device.
    pub changed_jobs: Vec<String>,
    /// The catalog, the templates or the van stock changed.
    pub reference_changed: bool,
}

impl From<onsite_client::SyncReport> for SyncReport {
    fn from(r: onsite_client::SyncReport) -> Self {
        SyncReport {
            uploaded: r.uploaded as u64,
            refused: r.refused as u64,
            jobs_received: r.docs_received as u64,
            changes_received: r.changes_received as u64,
            changed_jobs: r.changed_docs.into_iter().collect(),
            reference_changed: r.reference_changed,
        }
    }
}

/// A step of a job's timeline.
#[uniffi::remote(Record)]
pub struct Event {
    pub id: String,
    pub kind: EventKind,
    pub at: i64,
    pub by: String,
}

/// A parts usage line.
#[uniffi::remote(Record)]
pub struct PartLine {
    pub id: String,
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub unit_price_cents: i64,
    pub billable: bool,
    pub serials_removed: Vec<String>,
    pub serials_installed: Vec<String>,
    pub at: i64,
    pub by: String,
}

/// A back-office review decision.
#[uniffi::remote(Record)]
pub struct ReviewDecision {
    pub id: String,
    pub decision: Decision,
    pub comment: String,
    pub at: i64,
    pub by: String,
}

/// A reference to a photo or signature.
#[uniffi::remote(Record)]
pub struct Attachment {
    pub sha256: String,
    pub kind: String,
    pub bytes: i64,
    pub at: i64,
    pub by: String,
}

/// A note on a job.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct JobNote {
    pub id: String,
    pub text: String,
    pub at: i64,
    pub by: String,
}

/// One answered item of a form.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FormAnswer {
    pub item_id: String,
    /// 10, 8, 6, 4 or 2.
    pub points: i64,
    pub comment: String,
    pub at: i64,
}

/// A satisfaction form on a job.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct JobForm {
    pub id: String,
    pub template_id: String,
    pub template_version: i64,
    /// `survey` (the customer) or `self` (the technician's own rating).
    pub respondent: String,
    pub answers: Vec<FormAnswer>,
    pub suggestion: String,
    /// Set once submitted; the answers are then final.
    pub submitted_at: Option<i64>,
    pub by: String,
}

/// One job, whole, with its derived status and review state. Notes, parts and forms are
/// in id order.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct JobDetail {
    pub id: String,
    pub status: Status,
    pub review_state: ReviewState,
    /// `hotline`, `complaint` or `onsite`.
    pub origin: String,
    pub complaint: bool,
    pub reported_at: i64,
    pub customer: Customer,
    pub product: Product,
    pub fault: String,
    pub diagnosis: String,
    pub resolution: String,
    pub assignee: Option<String>,
    pub events: Vec<Event>,
    pub notes: Vec<JobNote>,
    pub parts: Vec<PartLine>,
    pub forms: Vec<JobForm>,
    pub reviews: Vec<ReviewDecision>,
    pub attachments: Vec<Attachment>,
    pub labour_minutes: i64,
    pub feedback_category: Option<String>,
    pub responsible_department: Option<String>,
}

impl From<JobView> for JobDetail {
    fn from(view: JobView) -> Self {
        let job = view.job;
        JobDetail {
            id: job.id,
            status: view.status,
            review_state: view.review_state,
            origin: job.origin,
            complaint: job.complaint,
            reported_at: job.reported_at,
            customer: job.customer,
            product: job.product,
            fault: job.fault.as_str().to_string(),
            diagnosis: job.diagnosis.as_str().to_string(),
            resolution: job.resolution.as_str().to_string(),
            assignee: job.assignee,
            events: job.events,
            notes: job
                .notes
                .into_values()
                .map(|n| JobNote {
                    id: n.id,
                    text: n.text.as_str().to_string(),
                    at: n.at,
                    by: n.by,
                })
                .collect(),
            parts: job.parts.into_values().collect(),
            forms: job
                .forms
                .into_values()
                .map(|f| JobForm {
                    id: f.id,
                    template_id: f.template_id,
                    template_version: f.template_version,
                    respondent: f.respondent,
                    answers: f
                        .answers
                        .into_iter()
                        .map(|(item_id, a)| FormAnswer {
                            item_id,
                            points: a.points,
                            comment: a.comment,
                            at: a.at,
                        })
                        .collect(),
                    suggestion: f.suggestion.as_str().to_string(),
                    submitted_at: f.submitted_at,
                    by: f.by,
                })
                .collect(),
            reviews: job.reviews,
            attachments: job.attachments.into_values().collect(),
            labour_minutes: job.labour_minutes,
            feedback_category: job.feedback_category,
            responsible_department: job.responsible_department,
        }
    }
}
