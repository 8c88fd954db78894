//! The job document schema: what one Automerge document per repair job holds.
//!
//! Merge rules are part of the schema: timeline events and review decisions are
//! append-only lists, parts lines, forms, notes and attachments are maps keyed by id (no
//! list-index conflicts), free text is an Automerge text object.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile, Text};

/// Version of the document layout written by this code. Readers accept every version up to it.
pub const SCHEMA_VERSION: u64 = 1;

/// How a job came in: `hotline`, `complaint`, or `onsite` (made by the technician on site).
pub const ORIGINS: [&str; 3] = ["hotline", "complaint", "onsite"];
/// `near` or `far` (empty: not known, counted as near).
pub const SITE_DISTANCES: [&str; 3] = ["", "near", "far"];
/// Who answered a form: the customer (`survey`), the technician (`self`) or a callback.
pub const RESPONDENTS: [&str; 3] = ["survey", "self", "callback"];
/// 产品问题 / 服务问题 / 流程问题.
pub const FEEDBACK_CATEGORIES: [&str; 3] = ["product", "service", "process"];
/// The departments a job's feedback can be given to.
pub const DEPARTMENTS: [&str; 5] = ["rnd", "customer_service", "production", "quality", "supply"];
/// Kinds of attached blob.
pub const ATTACHMENT_KINDS: [&str; 3] = ["photo", "signature", "document"];

/// One repair job (维修工单).
#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct Job {
    pub schema_version: u64,
    pub id: String,
    /// How the job was reported: `hotline`, `complaint` or `onsite`.
    pub origin: String,
    pub complaint: bool,
    /// When the job was reported, milliseconds since the Unix epoch.
    pub reported_at: i64,
    pub customer: Customer,
    pub product: Product,
    pub fault: Text,
    pub diagnosis: Text,
    pub resolution: Text,
    /// The technician the job is assigned to. Written by the back office only.
    pub assignee: Option<String>,
    pub events: Vec<Event>,
    pub notes: BTreeMap<String, Note>,
    pub parts: BTreeMap<String, PartLine>,
    pub forms: BTreeMap<String, Form>,
    pub reviews: Vec<ReviewDecision>,
    pub attachments: BTreeMap<String, Attachment>,
    pub labour_minutes: i64,
    /// `product`, `service` or `process` (产品问题 / 服务问题 / 流程问题).
    pub feedback_category: Option<String>,
    pub responsible_department: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct Customer {
    pub id: String,
    pub name: String,
    pub phone: String,
    pub address: String,
    /// `key` or `general` (some companies: `diamond`, `gold`, `silver`).
    pub tier: String,
    pub region: String,
    /// `near` or `far`; selects the arrival target.
    pub site_distance: String,
}

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct Product {
    /// The product's id in the server's registry, when the job was made from it; empty
    /// otherwise. Documents written before it existed read as empty.
    #[autosurgeon(missing = "Default::default")]
    pub id: String,
    pub model: String,
    pub serial: String,
    /// ISO date `YYYY-MM-DD`, when known.
    pub purchase_date: Option<String>,
}

/// A timeline event. The status of a job is derived from these, never stored.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Event {
    pub id: String,
    pub kind: EventKind,
    /// Device clock, milliseconds since the Unix epoch.
    pub at: i64,
    /// Account id of whoever recorded the event.
    pub by: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Reconcile, Hydrate)]
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

impl EventKind {
    pub const ALL: [EventKind; 9] = [
        EventKind::Reported,
        EventKind::Assigned,
        EventKind::Accepted,
        EventKind::EnRoute,
        EventKind::OnSite,
        EventKind::Diagnosed,
        EventKind::Repaired,
        EventKind::Completed,
        EventKind::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Reported => "reported",
            EventKind::Assigned => "assigned",
            EventKind::Accepted => "accepted",
            EventKind::EnRoute => "en_route",
            EventKind::OnSite => "on_site",
            EventKind::Diagnosed => "diagnosed",
            EventKind::Repaired => "repaired",
            EventKind::Completed => "completed",
            EventKind::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Note {
    pub id: String,
    pub text: Text,
    pub at: i64,
    pub by: String,
}

/// A parts usage line (配件使用).
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct PartLine {
    pub id: String,
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub unit_price_cents: i64,
    /// `true` when billable to the customer, `false` when covered by warranty.
    pub billable: bool,
    pub serials_removed: Vec<String>,
    pub serials_installed: Vec<String>,
    pub at: i64,
    pub by: String,
}

/// An answered satisfaction form; keeps the template id and version it was answered on.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Form {
    pub id: String,
    pub template_id: String,
    pub template_version: i64,
    /// `survey` (customer or dealer), `self` (technician's self-assessment) or `callback`.
    pub respondent: String,
    /// Keyed by the template's item id.
    pub answers: BTreeMap<String, Answer>,
    pub suggestion: Text,
    pub submitted_at: Option<i64>,
    pub by: String,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Answer {
    /// Points on the five-level scale: 10, 8, 6, 4 or 2.
    pub points: i64,
    pub comment: String,
    pub at: i64,
}

/// A back-office review decision (审核).
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct ReviewDecision {
    pub id: String,
    pub decision: Decision,
    pub comment: String,
    pub at: i64,
    pub by: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum Decision {
    Approved,
    Returned,
}

/// A reference to a content-addressed blob (photo, signature).
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Attachment {
    pub sha256: String,
    pub kind: String,
    pub bytes: i64,
    pub at: i64,
    pub by: String,
}
