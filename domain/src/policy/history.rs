//! What an upload adds to a document's history, checked before Automerge sees it: the new
//! changes in causal order, each with the op counter and sequence number an honest peer
//! would have given it. A change that jumps its counters ahead (to win every later merge,
//! or to overflow them) is refused here.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{ActorId, AutoCommit, Change, ChangeHash};

use super::limits::{MAX_MESSAGE_CHARS, MAX_UPLOAD_BYTES, MAX_UPLOAD_CHANGES, MAX_UPLOAD_OPS};
use super::{Refusal, refuse};

/// The changes of an upload that the document does not hold yet.
#[derive(Debug)]
pub enum NewHistory {
    /// In causal order, every dependency present.
    Ready(Vec<Change>),
    /// Some change depends on one the server has never seen.
    MissingDeps,
}

/// Orders and checks the changes of `upload` that `doc` lacks.
///
/// An honest Automerge peer numbers a change's first op one past the highest op of the
/// changes it depends on, and an actor's changes 1, 2, 3, …; nothing else is accepted.
pub fn new_changes(doc: &mut AutoCommit, upload: Vec<Change>) -> Result<NewHistory, Refusal> {
    let mut pending: BTreeMap<ChangeHash, Change> = BTreeMap::new();
    let mut bytes = 0usize;
    let mut ops = 0usize;
    for change in upload {
        let hash = change.hash();
        if pending.contains_key(&hash) || doc.get_change_meta_by_hash(&hash).is_some() {
            continue;
        }
        bytes = bytes.saturating_add(change.raw_bytes().len());
        ops = ops.saturating_add(change.len());
        if change
            .message()
            .is_some_and(|m| m.chars().count() > MAX_MESSAGE_CHARS)
        {
            return refuse(
                "too_large",
                format!("a change message: at most {MAX_MESSAGE_CHARS} characters"),
            );
        }
        pending.insert(hash, change);
        if pending.len() > MAX_UPLOAD_CHANGES {
            return refuse(
                "too_large",
                format!("changes in one upload of a job: at most {MAX_UPLOAD_CHANGES}"),
            );
        }
    }
    if bytes > MAX_UPLOAD_BYTES {
        return refuse(
            "too_large",
            format!("bytes of changes in one upload of a job: at most {MAX_UPLOAD_BYTES}"),
        );
    }
    if ops > MAX_UPLOAD_OPS {
        return refuse(
            "too_large",
            format!("operations in one upload of a job: at most {MAX_UPLOAD_OPS}"),
        );
    }
    if pending.is_empty() {
        return Ok(NewHistory::Ready(Vec::new()));
    }

    // The highest op counter and sequence number so far, of what the document holds and
    // of the changes ordered before.
    let mut max_op: BTreeMap<ChangeHash, u64> = BTreeMap::new();
    let actors: BTreeSet<ActorId> = pending.values().map(|c| c.actor_id().clone()).collect();
    let mut seq: BTreeMap<ActorId, u64> = actors.iter().map(|a| (a.clone(), 0)).collect();
    for meta in doc.get_changes_meta(&[]) {
        if let Some(s) = seq.get_mut(meta.actor.as_ref()) {
            *s = (*s).max(meta.seq);
        }
    }
    for change in pending.values() {
        for dep in change.deps() {
            if pending.contains_key(dep) || max_op.contains_key(dep) {
                continue;
            }
            match doc.get_change_meta_by_hash(dep) {
                Some(meta) => {
                    max_op.insert(*dep, meta.max_op);
                }
                None => return Ok(NewHistory::MissingDeps),
            }
        }
    }

    let mut ordered = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready: Vec<ChangeHash> = pending
            .iter()
            .filter(|(_, c)| c.deps().iter().all(|d| max_op.contains_key(d)))
            .map(|(h, _)| *h)
            .collect();
        if ready.is_empty() {
            // Hashes make cycles impossible; a change that names itself is malformed.
            return refuse("malformed_change", "the changes' dependencies form a cycle");
        }
        for hash in ready {
            let Some(change) = pending.remove(&hash) else {
                continue;
            };
            let highest = change
                .deps()
                .iter()
                .filter_map(|d| max_op.get(d))
                .copied()
                .max()
                .unwrap_or(0);
            if change.start_op().get() != highest.saturating_add(1) {
                return refuse(
                    "op_counter",
                    format!(
                        "a change starts at op {} but its dependencies end at op {highest}",
                        change.start_op()
                    ),
                );
            }
            let next = seq.get(change.actor_id()).copied().unwrap_or(0) + 1;
            if change.seq() != next {
                return refuse(
                    "seq_number",
                    format!(
                        "a change has sequence number {} where its actor's next is {next}",
                        change.seq()
                    ),
                );
            }
            seq.insert(change.actor_id().clone(), next);
            max_op.insert(hash, change.max_op());
            ordered.push(change);
        }
    }
    Ok(NewHistory::Ready(ordered))
}
