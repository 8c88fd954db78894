//! The back office's operations on jobs, each on one unit of work: load the job (setting
//! aside a document the server cannot use), ask the rules of `onsite_domain::office`, and
//! commit the edit through the sync engine's `ServerStore::commit`, which also queues the
//! notice to the devices the job concerns.
//!
//! Nothing here speaks HTTP: the handlers turn a [`Failure`] into the API's answer.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::ActorId;
use onsite_domain::office::{self, CreateJob, Edit, Made, OfficeError, RegistryProduct};
use onsite_domain::{Customer, DocError, Job, JobDoc, check_write};
use onsite_store::repo::jobs::{Quarantined, StoredDoc};
use onsite_store::{StoreError, Unit};
use onsite_sync::server::{DocWrite, NewChange, Peer, Received};
use serde::Serialize;
use serde_json::Value;

use crate::doc_json;

/// Why an operation did not happen.
#[derive(Debug)]
pub enum Failure {
    /// The rules refuse the request.
    Refused(OfficeError),
    Store(StoreError),
    /// Something the server made itself does not hold together: a bug, logged.
    Internal(String),
}

impl From<OfficeError> for Failure {
    fn from(e: OfficeError) -> Self {
        Failure::Refused(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

fn internal(e: impl std::fmt::Display) -> Failure {
    Failure::Internal(e.to_string())
}

/// Who edits through the API: the account, on the API device, with its Automerge actor.
#[derive(Debug, Clone)]
pub struct Editor {
    pub peer: Peer,
    pub actor: ActorId,
}

/// A job as the job endpoints answer it: its state from the query tables and its whole
/// document.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct JobView {
    pub id: String,
    pub status: String,
    pub review_state: String,
    pub assignee: Option<String>,
    /// The document as JSON, cut at `doc_json::MAX_DEPTH` levels.
    #[schema(value_type = Object)]
    pub document: Value,
    /// Whether the document nested deeper than the JSON shows.
    pub truncated: bool,
}

/// A stored job, as the API finds it.
#[derive(Debug)]
pub enum Loaded {
    Usable(Box<JobDoc>, Box<Job>),
    /// Set aside before.
    SetAside(Quarantined),
    /// Found unusable now, for this reason; not set aside yet (that takes the writer).
    Unusable(String),
}

/// Loads a job's document and its typed view; `not_found` when there is no such job.
pub fn load(unit: &mut dyn Unit, doc_id: &str) -> Result<Loaded, Failure> {
    if let Some(q) = unit.quarantined(doc_id)? {
        return Ok(Loaded::SetAside(q));
    }
    let doc = match unit.job_doc(doc_id)? {
        Some(StoredDoc::Loaded(doc)) => doc,
        Some(StoredDoc::Unusable(e)) => {
            return Ok(Loaded::Unusable(format!(
                "the stored document could not be loaded: {e}"
            )));
        }
        None => return Err(OfficeError::not_found("no job with that id").into()),
    };
    match doc.job() {
        Ok(job) => Ok(Loaded::Usable(doc, Box::new(job))),
        Err(e @ (DocError::Automerge(_) | DocError::Hydrate(_))) => Ok(Loaded::Unusable(format!(
            "the stored document is not a job: {e}"
        ))),
        Err(e) => Err(internal(e)),
    }
}

/// Sets the job aside (on the writer) and returns the record.
pub fn record(unit: &mut dyn Unit, doc_id: &str, reason: &str) -> Result<Quarantined, Failure> {
    tracing::error!(doc_id, reason, "job set aside");
    unit.quarantine(doc_id, reason)?;
    unit.quarantined(doc_id)?
        .ok_or_else(|| internal("a quarantined job was not recorded"))
}

/// Sets the job aside (on the writer) and answers why.
pub fn set_aside(unit: &mut dyn Unit, doc_id: &str, reason: &str) -> Failure {
    match record(unit, doc_id, reason) {
        Ok(q) => refused(&q).into(),
        Err(e) => e,
    }
}

/// The answer about a job that is set aside.
pub fn refused(q: &Quarantined) -> OfficeError {
    OfficeError::conflict(
        "quarantined",
        format!("the job is set aside and cannot be used: {}", q.reason),
    )
}

/// The registry, as a new job's ids are looked up in it.
struct Registry<'u>(&'u mut dyn Unit);

impl office::Registry for Registry<'_> {
    type Error = Failure;

    fn product(&mut self, id: &str) -> Result<Option<RegistryProduct>, Failure> {
        Ok(self
            .0
            .registry_product(id)?
            .map(|p| (p.customer_id, p.product)))
    }

    fn customer(&mut self, id: &str) -> Result<Option<Customer>, Failure> {
        Ok(self.0.registry_customer(id)?)
    }
}

/// Whether the account may be assigned jobs.
fn check_assignee(unit: &mut dyn Unit, id: &str) -> Result<(), Failure> {
    let account = unit.account(id)?.map(|a| (a.role, a.disabled));
    Ok(office::check_assignee(account)?)
}

/// Makes a new job from a validated request (`CreateJob::validate`); `new_id` names its
/// events.
pub fn create(
    unit: &mut dyn Unit,
    editor: &Editor,
    mut req: CreateJob,
    made: Made,
    new_id: impl FnMut() -> String,
) -> Result<JobView, Failure> {
    let (customer, product) = office::resolve_parties(&mut req, &mut Registry(&mut *unit))?;
    if let Some(a) = &req.assignee {
        check_assignee(unit, a)?;
    }
    let (id, at) = (made.id.clone(), made.at);
    let job = office::new_job(req, customer, product, made, new_id);
    let (doc, change) = JobDoc::create(&job, editor.actor.clone(), at).map_err(internal)?;
    commit_edit(unit, editor, &id, None, Edited::new(doc, change)?)
}

/// The job's view; `None` for an unusable document found on a reader (`writer` false).
pub fn view(unit: &mut dyn Unit, id: &str, writer: bool) -> Result<Option<JobView>, Failure> {
    match load(unit, id)? {
        Loaded::Usable(mut doc, _) => job_view(unit, id, &mut doc).map(Some),
        Loaded::SetAside(q) => Err(refused(&q).into()),
        Loaded::Unusable(reason) if writer => Err(set_aside(unit, id, &reason)),
        Loaded::Unusable(_) => Ok(None),
    }
}

/// Applies one of the back office's edits, made at `at`; `new_id` names what it adds.
pub fn apply(
    unit: &mut dyn Unit,
    editor: &Editor,
    id: &str,
    edit: Edit,
    at: i64,
    new_id: String,
) -> Result<JobView, Failure> {
    let by = editor.peer.user_id.clone();
    let what = edit.what();
    let rules = edit.clone();
    change(
        unit,
        editor,
        id,
        what,
        at,
        move |unit, job| {
            if let Edit::Assign { assignee } = &rules {
                check_assignee(unit, assignee)?;
            }
            Ok(rules.check(job)?)
        },
        move |job| edit.apply(job, by, at, new_id),
    )
}

/// Loads a job, applies a back-office edit as one change made at `at`, and commits it.
///
/// A stored document that cannot be loaded or read as a job, or whose loading or edit
/// panics inside Automerge, is set aside (`quarantined`); the unit goes on serving.
pub fn change<E: From<Failure>>(
    unit: &mut dyn Unit,
    editor: &Editor,
    id: &str,
    what: &'static str,
    at: i64,
    check: impl FnOnce(&mut dyn Unit, &Job) -> Result<(), E>,
    edit: impl FnOnce(&mut Job),
) -> Result<JobView, E> {
    let panicked = |unit: &mut dyn Unit, payload: Box<dyn Any + Send>| {
        let reason = format!("could not be edited: {}", panic_message(payload.as_ref()));
        E::from(set_aside(unit, id, &reason))
    };
    let loaded = match catch_unwind(AssertUnwindSafe(|| load(unit, id))) {
        Ok(loaded) => loaded?,
        Err(payload) => return Err(panicked(unit, payload)),
    };
    let (mut doc, before) = match loaded {
        Loaded::Usable(doc, job) => (*doc, *job),
        Loaded::SetAside(q) => return Err(Failure::from(refused(&q)).into()),
        Loaded::Unusable(reason) => return Err(set_aside(unit, id, &reason).into()),
    };
    check(unit, &before)?;
    let edited = catch_unwind(AssertUnwindSafe(|| {
        doc.set_actor(editor.actor.clone());
        let change = doc.edit(what, at, edit).map_err(internal)?.ok_or_else(|| {
            Failure::from(OfficeError::conflict(
                "no_change",
                "the job is already in that state",
            ))
        })?;
        Edited::new(doc, change)
    }));
    let edited = match edited {
        Ok(edited) => edited?,
        Err(payload) => return Err(panicked(unit, payload)),
    };
    Ok(commit_edit(unit, editor, id, Some(&before), edited)?)
}

/// A job document after a back-office edit, with what its commit needs.
struct Edited {
    doc: JobDoc,
    after: Job,
    saved: Vec<u8>,
    change: automerge::Change,
}

impl Edited {
    fn new(mut doc: JobDoc, change: automerge::Change) -> Result<Edited, Failure> {
        let after = doc.job().map_err(internal)?;
        let saved = doc.save();
        Ok(Edited {
            doc,
            after,
            saved,
            change,
        })
    }
}

/// Checks the write policy and commits a back-office edit through the same path as synced
/// changes.
fn commit_edit(
    unit: &mut dyn Unit,
    editor: &Editor,
    doc_id: &str,
    before: Option<&Job>,
    edited: Edited,
) -> Result<JobView, Failure> {
    let Edited {
        mut doc,
        after,
        saved,
        change,
    } = edited;
    check_write(&editor.peer.actor(), before, &after)
        .map_err(|r| OfficeError::unprocessable(r.code, r.message))?;
    let now = unit.now_ms();
    let write = DocWrite {
        doc_id: doc_id.to_string(),
        saved,
        changes: vec![NewChange {
            hash: change.hash(),
            bytes: change.raw_bytes().to_vec(),
        }],
        created: before.is_none(),
        authored: vec![change.actor_id().clone()],
        job: after,
        // The back office's edits are dated by the server clock itself: no offset.
        received: Some(Received {
            at_ms: now,
            device_clock_ms: Some(now),
        }),
    };
    // The store registers the account's actor as owned by it on the API device.
    unit.commit(&editor.peer, vec![write])?;
    job_view(unit, doc_id, &mut doc)
}

fn job_view(unit: &mut dyn Unit, doc_id: &str, doc: &mut JobDoc) -> Result<JobView, Failure> {
    let state = unit
        .job_state(doc_id)?
        .ok_or_else(|| internal("a stored job has no row in the query tables"))?;
    // Walked without recursion: a device chooses how deep its document nests.
    let document = doc_json::to_json(&*doc.automerge()).map_err(internal)?;
    Ok(JobView {
        id: doc_id.to_string(),
        status: state.status,
        review_state: state.review_state,
        assignee: state.assignee,
        document: document.value,
        truncated: document.truncated,
    })
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}
