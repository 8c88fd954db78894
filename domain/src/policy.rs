//! Who may write what: the write policy, written once and enforced on both ends.
//!
//! The policy judges the *effect* of a change (the job before and after), not which
//! document it touches, so a hand-crafted Automerge change is judged like an honest one.

use std::collections::{BTreeMap, BTreeSet};

use crate::forms::Level;
use crate::job::{Event, EventKind, Job};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Technician,
    BackOffice,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Technician => "technician",
            Role::BackOffice => "back_office",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::Technician, Role::BackOffice, Role::Admin]
            .into_iter()
            .find(|r| r.as_str() == s)
    }

    /// Whether this role sees every job (and so needs no per-job scope).
    pub fn sees_all_jobs(self) -> bool {
        self == Role::BackOffice
    }
}

/// The account making a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: String,
    pub role: Role,
}

/// Why a change was refused. The message is shown to people; it names no customer data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

fn refuse(code: &'static str, message: impl Into<String>) -> Result<(), Refusal> {
    Err(Refusal {
        code,
        message: message.into(),
    })
}

/// Checks that `actor` may turn `before` (None for a new job) into `after`.
pub fn check_write(actor: &Actor, before: Option<&Job>, after: &Job) -> Result<(), Refusal> {
    check_well_formed(after)?;
    if let Some(before) = before {
        check_append_only(before, after)?;
    }
    match actor.role {
        Role::Admin => refuse("role", "administrators do not edit jobs"),
        Role::BackOffice => Ok(()),
        Role::Technician => check_technician(&actor.user_id, before, after),
    }
}

fn check_well_formed(job: &Job) -> Result<(), Refusal> {
    for form in job.forms.values() {
        for (item, answer) in &form.answers {
            if Level::from_points(answer.points).is_none() {
                return refuse(
                    "score_out_of_scale",
                    format!(
                        "item {item} has {} points; the scale is 10, 8, 6, 4, 2",
                        answer.points
                    ),
                );
            }
        }
    }
    for part in job.parts.values() {
        if part.quantity <= 0 {
            return refuse("bad_quantity", "a parts line needs a positive quantity");
        }
    }
    Ok(())
}

/// The timeline, review decisions and forms are records: nobody removes or rewrites them.
fn check_append_only(before: &Job, after: &Job) -> Result<(), Refusal> {
    let after_events: BTreeMap<&str, &Event> =
        after.events.iter().map(|e| (e.id.as_str(), e)).collect();
    for event in &before.events {
        if after_events.get(event.id.as_str()) != Some(&event) {
            return refuse(
                "timeline_rewritten",
                "timeline events cannot be deleted or changed",
            );
        }
    }
    let after_reviews: BTreeSet<&str> = after.reviews.iter().map(|r| r.id.as_str()).collect();
    if before
        .reviews
        .iter()
        .any(|r| !after_reviews.contains(r.id.as_str()))
    {
        return refuse("review_deleted", "review decisions cannot be deleted");
    }
    if before.forms.keys().any(|id| !after.forms.contains_key(id)) {
        return refuse("form_deleted", "satisfaction forms cannot be deleted");
    }
    Ok(())
}

fn check_technician(me: &str, before: Option<&Job>, after: &Job) -> Result<(), Refusal> {
    let mine = |job: &Job| job.assignee.as_deref() == Some(me);
    let new_events: Vec<&Event> = match before {
        None => {
            if !mine(after) {
                return refuse(
                    "not_assigned",
                    "a technician can only create jobs assigned to themselves",
                );
            }
            after.events.iter().collect()
        }
        Some(before) => {
            if !mine(before) {
                return refuse("not_assigned", "this job is not assigned to you");
            }
            if before.assignee != after.assignee {
                return refuse("reassign", "only the back office can reassign a job");
            }
            if before.customer != after.customer {
                return refuse(
                    "customer_record",
                    "only the back office can change the customer record",
                );
            }
            let known: BTreeSet<&str> = before.events.iter().map(|e| e.id.as_str()).collect();
            after
                .events
                .iter()
                .filter(|e| !known.contains(e.id.as_str()))
                .collect()
        }
    };
    if after.reviews.len() != before.map_or(0, |b| b.reviews.len()) {
        return refuse("review", "only the back office can approve or return a job");
    }
    for event in new_events {
        if event.by != me {
            return refuse("impersonation", "events must be recorded in your own name");
        }
        let creating = before.is_none();
        let allowed = match event.kind {
            EventKind::Reported | EventKind::Assigned => creating,
            EventKind::Cancelled => false,
            _ => true,
        };
        if !allowed {
            return refuse(
                "event_kind",
                format!(
                    "a technician cannot record a '{}' event",
                    event.kind.as_str()
                ),
            );
        }
    }
    Ok(())
}
