//! The accept path: one job's upload judged against the stored job, on a copy, with
//! Automerge's panics contained.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use automerge::{ActorId, Change};
use onsite_domain::policy::{NewHistory, check_ops, limits, new_changes};
use onsite_domain::{Actor, Job, JobDoc, Refusal, Role, check_write};

use super::{DocWrite, HandleError, HandleResult, NewChange, Peer, ServerStore};

/// Runs `f`, turning a panic inside it (Automerge on hostile bytes) into an error, so that
/// nothing a device sends can take the server down.
pub(super) fn contained<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into())
    })
}

pub(super) enum Accept {
    Write(Box<DocWrite>),
    Nothing,
    Refused(Refusal),
    MissingDeps,
}

/// How long judging one job's upload may take; past it the upload is refused, so that no
/// device can hold the single writer.
pub const JUDGE_BUDGET: Duration = Duration::from_secs(2);

fn refused(code: &'static str, message: impl Into<String>) -> Accept {
    Accept::Refused(Refusal {
        code,
        message: message.into(),
    })
}

/// Whose rights a change is judged by.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Author {
    Judged(Actor),
    /// Work of other devices that the back office brings back after a restore.
    Relayed,
}

/// Whose changes an upload may bring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Relay {
    /// Only changes of the peer's own actors (an outbox upload).
    Own,
    /// A repair: on a restored server, also changes of actors whose owners have uploaded
    /// nothing since the restore (bringing back what it lost).
    Repair,
}

/// The job as stored, loaded and read.
struct Stored {
    doc: JobDoc,
    job: Option<Job>,
}

/// Judges the changes of one upload against the stored job, and applies them if every
/// check passes: the history (counters, sequence numbers, bounds), the owners of their
/// actors, the ops (where each writes), and the values before and after.
pub(super) fn accept_changes<S: ServerStore + ?Sized>(
    store: &mut S,
    peer: &Peer,
    doc_id: &str,
    upload: Vec<Change>,
    relay: Relay,
) -> HandleResult<Accept, S> {
    let started = Instant::now();
    let saved = store.load_saved(doc_id).map_err(HandleError::Store)?;
    let created = saved.is_none();
    if !created && !store.in_scope(peer, doc_id).map_err(HandleError::Store)? {
        return Ok(refused("not_assigned", "this job is not assigned to you"));
    }
    let stored = match contained(|| load_stored(saved.as_deref())) {
        Ok(Ok(stored)) => stored,
        Ok(Err(reason)) | Err(reason) => {
            store
                .quarantine(doc_id, &reason)
                .map_err(HandleError::Store)?;
            return Ok(refused(
                "quarantined",
                "the server cannot read its copy of this job; the back office was told",
            ));
        }
    };
    let Stored {
        mut doc,
        job: before,
    } = stored;
    let history = match contained(|| new_changes(doc.automerge(), upload)) {
        Ok(Ok(history)) => history,
        Ok(Err(r)) => return Ok(Accept::Refused(r)),
        Err(panic) => return Ok(unprocessable(doc_id, &panic)),
    };
    let new = match history {
        NewHistory::MissingDeps => return Ok(Accept::MissingDeps),
        NewHistory::Ready(new) if new.is_empty() => return Ok(Accept::Nothing),
        NewHistory::Ready(new) => new,
    };
    // Who wrote each change: the peer, for its own actors and for actors nobody owns yet
    // (they become its own); in a repair after a restore, also owners who have uploaded
    // nothing since, whose lost changes the peer brings back and which are judged with
    // their owner's rights, not the peer's.
    let epoch = store.epoch().map_err(HandleError::Store)?;
    let repair = relay == Relay::Repair && store.restored().map_err(HandleError::Store)?;
    let mut authors: BTreeMap<ActorId, Author> = BTreeMap::new();
    let mut authored: Vec<ActorId> = Vec::new();
    for change in &new {
        let actor = change.actor_id();
        if authors.contains_key(actor) {
            continue;
        }
        let owner = store.actor_owner(actor).map_err(HandleError::Store)?;
        let mine = owner
            .as_ref()
            .is_some_and(|o| o.user_id == peer.user_id && o.device_id == peer.device_id);
        let unowned = owner.is_none();
        let author = match owner {
            _ if mine => Author::Judged(peer.actor()),
            // The back office holds every job; after a restore, what it brings back of
            // other devices' work is taken as it was (its shape and bounds still checked).
            _ if repair && peer.role == Role::BackOffice => Author::Relayed,
            None => Author::Judged(peer.actor()),
            // Another device of the same account: judged as the account, as its own are.
            Some(owner) if repair && owner.user_id == peer.user_id => Author::Judged(peer.actor()),
            Some(owner) if repair && owner.epoch != epoch => match owner.role {
                Some(role) => Author::Judged(Actor {
                    user_id: owner.user_id,
                    role,
                }),
                None => {
                    return Ok(refused(
                        "actor_taken",
                        "the change is made by the Automerge actor of an account that no longer exists",
                    ));
                }
            },
            Some(_) => {
                return Ok(refused(
                    "actor_taken",
                    "the change is made by an Automerge actor of another device; every device uses its own",
                ));
            }
        };
        if mine || (unowned && author != Author::Relayed) {
            authored.push(actor.clone());
        }
        authors.insert(actor.clone(), author);
    }
    let judged = contained(|| judge(&authors, doc_id, &mut doc, before, new, started));
    Ok(match judged {
        Ok(Ok(write)) => Accept::Write(Box::new(DocWrite { authored, ..write })),
        Ok(Err(r)) => Accept::Refused(r),
        Err(panic) => unprocessable(doc_id, &panic),
    })
}

fn load_stored(saved: Option<&[u8]>) -> Result<Stored, String> {
    let Some(saved) = saved else {
        return Ok(Stored {
            doc: JobDoc::empty(),
            job: None,
        });
    };
    let doc = JobDoc::load(saved).map_err(|e| format!("cannot be loaded: {e}"))?;
    let job = doc
        .job()
        .map_err(|e| format!("cannot be read as a job: {e}"))?;
    Ok(Stored {
        doc,
        job: Some(job),
    })
}

/// A panic while judging an upload: the upload is refused, the stored job is untouched
/// (it was judged on a copy that is now dropped), and the server goes on.
fn unprocessable(doc_id: &str, panic: &str) -> Accept {
    eprintln!("onsite-sync: judging an upload for {doc_id} panicked: {panic}");
    refused(
        "unprocessable",
        "the server could not process these changes; they were not stored",
    )
}

fn judge(
    authors: &BTreeMap<ActorId, Author>,
    doc_id: &str,
    doc: &mut JobDoc,
    before: Option<Job>,
    new: Vec<Change>,
    started: Instant,
) -> Result<DocWrite, Refusal> {
    let over_budget = || {
        if started.elapsed() > JUDGE_BUDGET {
            Err(Refusal {
                code: "too_complex",
                message: format!(
                    "judging these changes took longer than {} s",
                    JUDGE_BUDGET.as_secs()
                ),
            })
        } else {
            Ok(())
        }
    };
    let created = before.is_none();
    let changes: Vec<NewChange> = new
        .iter()
        .map(|c| NewChange {
            hash: c.hash(),
            bytes: c.raw_bytes().to_vec(),
        })
        .collect();
    // Consecutive changes of one author are judged together: an upload of a device's own
    // outbox is one run, judged once.
    let mut current = before;
    let mut runs: Vec<(Author, Vec<Change>)> = Vec::new();
    for change in new {
        let Some(author) = authors.get(change.actor_id()) else {
            return Err(Refusal {
                code: "actor_taken",
                message: "a change whose author is not known".into(),
            });
        };
        match runs.last_mut() {
            Some((a, run)) if a == author => run.push(change),
            _ => runs.push((author.clone(), vec![change])),
        }
    }
    for (author, run) in runs {
        // A relayed run is checked for its shape only: no ownership rules.
        let judged_as = match &author {
            Author::Judged(actor) => Some(actor),
            Author::Relayed => None,
        };
        let relay_actor = Actor {
            user_id: String::new(),
            role: Role::BackOffice,
        };
        check_ops(
            judged_as.unwrap_or(&relay_actor),
            doc.automerge(),
            judged_as.and(current.as_ref()),
            &run,
        )?;
        over_budget()?;
        doc.apply_changes(run).map_err(|e| Refusal {
            code: "malformed_change",
            message: e.to_string(),
        })?;
        if !doc.missing_deps().is_empty() {
            return Err(Refusal {
                code: "malformed_change",
                message: "the changes depend on changes that were not sent".into(),
            });
        }
        let after = doc.job().map_err(|e| Refusal {
            code: "schema",
            message: format!("the change does not leave a valid job: {e}"),
        })?;
        if current.is_none() && after.id != doc_id {
            return Err(Refusal {
                code: "schema",
                message: "a new job's id must equal its document id".into(),
            });
        }
        match judged_as {
            Some(actor) => check_write(actor, current.as_ref(), &after)?,
            None => limits::check_job(&after)?,
        }
        over_budget()?;
        current = Some(after);
    }
    let Some(after) = current else {
        return Err(Refusal {
            code: "schema",
            message: "the upload holds no job".into(),
        });
    };
    let saved = doc.save();
    // Automerge can save a document that it then refuses to load ("mismatching heads",
    // found by fuzzing with crafted changes). Stored, it would lose the job for every later
    // reader; so what is stored must load again, with the same heads.
    let reloaded = JobDoc::load(&saved)
        .map(|mut d| d.heads() == doc.heads())
        .unwrap_or(false);
    if !reloaded {
        return Err(Refusal {
            code: "malformed_change",
            message: "the changes leave a document that does not load again once saved".into(),
        });
    }
    if saved.len() > limits::MAX_DOC_BYTES {
        return Err(Refusal {
            code: "too_large",
            message: format!(
                "the job would take {} bytes; at most {}",
                saved.len(),
                limits::MAX_DOC_BYTES
            ),
        });
    }
    Ok(DocWrite {
        doc_id: doc_id.to_string(),
        job: after,
        saved,
        changes,
        created,
        authored: Vec::new(),
        received: None,
    })
}
