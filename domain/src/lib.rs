//! # onsite-domain
//!
//! The pure rules of Onsite: the job document schema, status derivation, the satisfaction
//! scale and formulas, the routine-survey rules, the write policy of each role, the
//! reference data (parts catalog, form templates, van stock) the server owns, and when a
//! device's clock is not to be believed (`evidence`). No IO, no async.
//!
//! ```
//! use onsite_domain::{Job, JobDoc, EventKind, Event, Status, derive_status};
//! use automerge::ActorId;
//!
//! let job = Job { id: "job-1".into(), assignee: Some("tech-1".into()), ..Job::default() };
//! let (mut doc, _change) = JobDoc::create(&job, ActorId::random(), 1_700_000_000_000).unwrap();
//! doc.edit("accept", 1_700_000_060_000, |job| {
//!     job.events.push(Event {
//!         id: "e1".into(),
//!         kind: EventKind::Accepted,
//!         at: 1_700_000_060_000,
//!         by: "tech-1".into(),
//!     })
//! })
//! .unwrap();
//! assert_eq!(derive_status(&doc.job().unwrap()), Status::Accepted);
//! ```

mod changed_only;
pub mod document;
pub mod evidence;
pub mod facts;
pub mod forms;
pub mod job;
pub mod office;
pub mod policy;
pub mod reference;
pub mod service;
pub mod status;
pub mod survey;

pub use document::{DocError, JobDoc};
pub use job::{
    Answer, Attachment, Customer, Decision, Event, EventKind, Form, Job, Note, PartLine, Product,
    ReviewDecision, SCHEMA_VERSION,
};
pub use policy::{Actor, Refusal, Role, check_write};
pub use reference::{CatalogItem, FormItem, FormTemplate, StockLevel};
pub use status::{ReviewState, Status, derive_review, derive_status};
