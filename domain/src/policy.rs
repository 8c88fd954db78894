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
    check_parts_lines(me, before, after)?;
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

/// A parts line takes its quantity out of the van stock of whoever it names in `by`, so a
/// technician adds lines only in their own name, and changes or removes only their own.
fn check_parts_lines(me: &str, before: Option<&Job>, after: &Job) -> Result<(), Refusal> {
    let empty = BTreeMap::new();
    let before_parts = before.map_or(&empty, |b| &b.parts);
    let touched = after
        .parts
        .iter()
        .filter(|(id, line)| before_parts.get(*id) != Some(line))
        .flat_map(|(id, line)| [Some(line), before_parts.get(id)])
        .chain(
            before_parts
                .iter()
                .filter(|(id, _)| !after.parts.contains_key(*id))
                .map(|(_, line)| Some(line)),
        )
        .flatten();
    for line in touched {
        if line.by != me {
            return refuse(
                "impersonation",
                "parts lines are recorded, changed and removed in your own name only",
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::job::PartLine;

    fn line(id: &str, by: &str, quantity: i64) -> PartLine {
        PartLine {
            id: id.into(),
            sku: "RLY-12".into(),
            name: "relay".into(),
            quantity,
            unit_price_cents: 100,
            billable: false,
            serials_removed: vec![],
            serials_installed: vec![],
            at: 1,
            by: by.into(),
        }
    }

    type Edit = dyn Fn(&mut Job);

    fn tech(id: &str) -> Actor {
        Actor {
            user_id: id.into(),
            role: Role::Technician,
        }
    }

    #[test]
    fn parts_lines_are_the_technicians_own() {
        let mut before = Job {
            id: "j".into(),
            assignee: Some("wang".into()),
            ..Job::default()
        };
        before
            .parts
            .insert("office-line".into(), line("office-line", "office", 1));
        let with = |f: &dyn Fn(&mut Job)| {
            let mut after = before.clone();
            f(&mut after);
            check_write(&tech("wang"), Some(&before), &after).map_err(|r| r.code)
        };
        assert_eq!(
            with(&|j| {
                j.parts.insert("mine".into(), line("mine", "wang", 3));
            }),
            Ok(())
        );
        let forgeries: Vec<Box<Edit>> = vec![
            Box::new(|j| {
                j.parts.insert("x".into(), line("x", "li", 3));
            }),
            Box::new(|j| {
                j.parts.remove("office-line");
            }),
            Box::new(|j| {
                if let Some(l) = j.parts.get_mut("office-line") {
                    l.by = "wang".into();
                }
            }),
            Box::new(|j| {
                if let Some(l) = j.parts.get_mut("office-line") {
                    l.quantity = 9;
                }
            }),
        ];
        for forged in &forgeries {
            assert_eq!(with(forged.as_ref()), Err("impersonation"));
        }
        // A new job made on the device: its lines are in the maker's name too.
        let mut new = before.clone();
        new.parts.clear();
        new.parts.insert("y".into(), line("y", "li", 1));
        assert_eq!(
            check_write(&tech("wang"), None, &new).unwrap_err().code,
            "impersonation"
        );
        // The back office may correct any line.
        let office = Actor {
            user_id: "office".into(),
            role: Role::BackOffice,
        };
        let mut fixed = before.clone();
        fixed.parts.insert("z".into(), line("z", "wang", 1));
        check_write(&office, Some(&before), &fixed).unwrap();
    }
}
