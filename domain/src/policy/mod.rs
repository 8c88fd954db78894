//! Who may write what: the write policy, written once and enforced on both ends.
//!
//! Three checks, all default-deny and all reading one ownership table ([`TABLE`]):
//! - the **value check** ([`check_write`]): the job before and after, field by field;
//!   both ends make it, so an honest app never produces a change the server refuses;
//! - the **op check** ([`check_ops`]): where each operation of a change writes, so that a
//!   write of an owned path that leaves the value unchanged, or a list replaced by a copy
//!   of itself, is refused too (both still win merges against concurrent changes);
//! - the **history check** ([`new_changes`]): op counters and sequence numbers exactly as an
//!   honest Automerge peer gives them, and bounds on what one upload may bring.

mod history;
pub mod limits;
mod ops;
mod schema;
pub mod table;
mod values;

use crate::job::Job;

pub use history::{NewHistory, new_changes};
pub use ops::check_ops;
pub use table::{Action, Part, TABLE};
pub use values::WORK_EVENTS;

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

pub(crate) fn refuse<T>(code: &'static str, message: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal {
        code,
        message: message.into(),
    })
}

/// Checks that `actor` may turn `before` (None for a new job) into `after`: the value
/// check, which both ends make. The server also judges the ops of the change
/// ([`check_ops`]) and its history ([`new_changes`]).
///
/// Default deny: every difference between the two must be allowed by the ownership table
/// ([`TABLE`]), every entry added follows the rules of its role, and the whole job keeps
/// the bounds of [`limits`].
pub fn check_write(actor: &Actor, before: Option<&Job>, after: &Job) -> Result<(), Refusal> {
    if actor.role == Role::Admin {
        return refuse("role", "administrators do not edit jobs");
    }
    let tech = actor.role == Role::Technician;
    match before {
        None if tech && !assigned_to(after, &actor.user_id) => {
            return refuse(
                "not_assigned",
                "a technician can only create jobs assigned to themselves",
            );
        }
        Some(before) if tech && !assigned_to(before, &actor.user_id) => {
            return refuse("not_assigned", "this job is not assigned to you");
        }
        _ => {}
    }
    limits::check_job(after)?;
    match before {
        None => check_creation(actor, after)?,
        Some(before) => {
            for touch in values::diff(before, after)? {
                table::judge(actor, &touch, before)?;
            }
        }
    }
    values::check_new_entries(actor, before, after)
}

fn assigned_to(job: &Job, user: &str) -> bool {
    job.assignee.as_deref() == Some(user)
}

/// A new job. The back office may make any well-formed job; a technician makes one on
/// site, assigned to themselves, with nothing only the back office decides.
fn check_creation(actor: &Actor, job: &Job) -> Result<(), Refusal> {
    if actor.role != Role::Technician {
        return Ok(());
    }
    if job.feedback_category.is_some() || job.responsible_department.is_some() {
        return refuse(
            "classification",
            "only the back office classifies a job's feedback",
        );
    }
    // Events, reviews, forms and lines are judged as additions by check_new_entries.
    let mut events = std::collections::BTreeSet::new();
    if !job.events.iter().all(|e| events.insert(e.id.as_str())) {
        return refuse("duplicate_id", "two events have the same id");
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
            origin: "hotline".into(),
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
        assert_eq!(with(forgeries[0].as_ref()), Err("impersonation"));
        // Recorded lines are records: not even their author changes or removes them.
        for forged in &forgeries[1..] {
            assert_eq!(with(forged.as_ref()), Err("parts_line"));
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
