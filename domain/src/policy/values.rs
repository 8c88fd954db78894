//! The value check: what differs between the job before and after a change, as touches
//! of the ownership table, and the rules every new entry keeps.

use std::collections::{BTreeMap, BTreeSet};

use super::table::{Action, Part, Touch};
use super::{Actor, Refusal, Role, refuse};
use crate::job::{Event, EventKind, Job, ReviewDecision};

fn touch(part: Part, action: Action, entry: Option<&str>, path: impl Into<String>) -> Touch {
    Touch {
        part,
        action,
        entry: entry.map(str::to_string),
        path: path.into(),
    }
}

/// Every difference between `before` and `after`, as touches. Entries that are new in
/// `after` are one `Add` each; what they hold is judged by [`check_new_entries`].
pub(crate) fn diff(before: &Job, after: &Job) -> Result<Vec<Touch>, Refusal> {
    let b = before;
    let a = after;
    let classification = (&b.feedback_category, &b.responsible_department)
        != (&a.feedback_category, &a.responsible_department);
    let fields = [
        (b.id != a.id, Part::Id, "id"),
        (
            b.schema_version != a.schema_version,
            Part::SchemaVersion,
            "schema_version",
        ),
        (b.origin != a.origin, Part::Origin, "origin"),
        (b.complaint != a.complaint, Part::Complaint, "complaint"),
        (
            b.reported_at != a.reported_at,
            Part::ReportedAt,
            "reported_at",
        ),
        (b.customer != a.customer, Part::Customer, "customer"),
        (b.product != a.product, Part::Product, "product"),
        (b.fault != a.fault, Part::Fault, "fault"),
        (b.assignee != a.assignee, Part::Assignee, "assignee"),
        (classification, Part::Classification, "classification"),
        (b.diagnosis != a.diagnosis, Part::Diagnosis, "diagnosis"),
        (b.resolution != a.resolution, Part::Resolution, "resolution"),
        (
            b.labour_minutes != a.labour_minutes,
            Part::LabourMinutes,
            "labour_minutes",
        ),
    ];
    let mut out: Vec<Touch> = fields
        .into_iter()
        .filter(|(changed, _, _)| *changed)
        .map(|(_, part, path)| touch(part, Action::Edit, None, path))
        .collect();
    list_diff(
        &before.events,
        &after.events,
        Part::Events,
        "events",
        |e| &e.id,
        &mut out,
    )?;
    list_diff(
        &before.reviews,
        &after.reviews,
        Part::Reviews,
        "reviews",
        |r: &ReviewDecision| &r.id,
        &mut out,
    )?;
    map_diff(
        &before.notes,
        &after.notes,
        Part::Notes,
        "notes",
        &mut out,
        |id, b, a, out| {
            if b.text != a.text {
                out.push(touch(
                    Part::NoteText,
                    Action::Edit,
                    Some(id),
                    format!("notes.{id}.text"),
                ));
            }
            if (&b.id, b.at, &b.by) != (&a.id, a.at, &a.by) {
                out.push(touch(
                    Part::Notes,
                    Action::Edit,
                    Some(id),
                    format!("notes.{id}"),
                ));
            }
        },
    );
    map_diff(
        &before.parts,
        &after.parts,
        Part::Parts,
        "parts",
        &mut out,
        |id, b, a, out| {
            if b != a {
                out.push(touch(
                    Part::Parts,
                    Action::Edit,
                    Some(id),
                    format!("parts.{id}"),
                ));
            }
        },
    );
    map_diff(
        &before.forms,
        &after.forms,
        Part::Forms,
        "forms",
        &mut out,
        |id, b, a, out| {
            let same = b.id == a.id
                && b.template_id == a.template_id
                && b.template_version == a.template_version
                && b.respondent == a.respondent
                && b.by == a.by;
            if !same {
                out.push(touch(
                    Part::Forms,
                    Action::Edit,
                    Some(id),
                    format!("forms.{id}"),
                ));
            }
            for (item, answer) in &a.answers {
                let action = match b.answers.get(item) {
                    None => Action::Add,
                    Some(old) if old != answer => Action::Edit,
                    Some(_) => continue,
                };
                out.push(touch(
                    Part::FormAnswers,
                    action,
                    Some(id),
                    format!("forms.{id}.answers.{item}"),
                ));
            }
            for item in b.answers.keys().filter(|k| !a.answers.contains_key(*k)) {
                out.push(touch(
                    Part::FormAnswers,
                    Action::Delete,
                    Some(id),
                    format!("forms.{id}.answers.{item}"),
                ));
            }
            if b.suggestion != a.suggestion {
                out.push(touch(
                    Part::FormSuggestion,
                    Action::Edit,
                    Some(id),
                    format!("forms.{id}.suggestion"),
                ));
            }
            if b.submitted_at != a.submitted_at {
                out.push(touch(
                    Part::FormSubmission,
                    Action::Edit,
                    Some(id),
                    format!("forms.{id}.submitted_at"),
                ));
            }
        },
    );
    map_diff(
        &before.attachments,
        &after.attachments,
        Part::Attachments,
        "attachments",
        &mut out,
        |id, b, a, out| {
            if b != a {
                out.push(touch(
                    Part::Attachments,
                    Action::Edit,
                    Some(id),
                    format!("attachments.{id}"),
                ));
            }
        },
    );
    Ok(out)
}

/// Append-only lists: every entry before is still there, unchanged, and ids are unique.
fn list_diff<T: PartialEq>(
    before: &[T],
    after: &[T],
    part: Part,
    name: &str,
    id: impl Fn(&T) -> &String,
    out: &mut Vec<Touch>,
) -> Result<(), Refusal> {
    let mut by_id: BTreeMap<&str, &T> = BTreeMap::new();
    for entry in after {
        if by_id.insert(id(entry).as_str(), entry).is_some() {
            return refuse(
                "duplicate_id",
                format!("two entries of {name} have the id {:?}", trim(id(entry))),
            );
        }
    }
    let known: BTreeSet<&str> = before.iter().map(|e| id(e).as_str()).collect();
    for old in before {
        match by_id.get(id(old).as_str()) {
            None => out.push(touch(part, Action::Delete, None, format!("{name}[]"))),
            Some(new) if *new != old => {
                out.push(touch(part, Action::Edit, None, format!("{name}[]")))
            }
            Some(_) => {}
        }
    }
    for entry in after.iter().filter(|e| !known.contains(id(e).as_str())) {
        out.push(touch(
            part,
            Action::Add,
            None,
            format!("{name}[{}]", trim(id(entry))),
        ));
    }
    Ok(())
}

fn map_diff<T: PartialEq>(
    before: &BTreeMap<String, T>,
    after: &BTreeMap<String, T>,
    part: Part,
    name: &str,
    out: &mut Vec<Touch>,
    changed: impl Fn(&str, &T, &T, &mut Vec<Touch>),
) {
    for (id, old) in before {
        match after.get(id) {
            None => out.push(touch(
                part,
                Action::Delete,
                Some(id),
                format!("{name}.{id}"),
            )),
            Some(new) if new != old => changed(id, old, new, out),
            Some(_) => {}
        }
    }
    for id in after.keys().filter(|k| !before.contains_key(*k)) {
        out.push(touch(part, Action::Add, Some(id), format!("{name}.{id}")));
    }
}

pub(crate) fn trim(s: &str) -> String {
    s.chars().take(40).collect()
}

/// The event kinds a technician records on a job assigned to them.
pub const WORK_EVENTS: [EventKind; 6] = [
    EventKind::Accepted,
    EventKind::EnRoute,
    EventKind::OnSite,
    EventKind::Diagnosed,
    EventKind::Repaired,
    EventKind::Completed,
];

/// The rules of what `actor` adds (every entry of `after` not in `before`; all of it for
/// a new job): recorded in their own name, of a kind their role may record.
pub(crate) fn check_new_entries(
    actor: &Actor,
    before: Option<&Job>,
    after: &Job,
) -> Result<(), Refusal> {
    let me = actor.user_id.as_str();
    let tech = actor.role == Role::Technician;
    let creating = before.is_none();
    let own = |by: &str, what: &str| {
        if by == me {
            Ok(())
        } else {
            refuse(
                "impersonation",
                format!("{what} must be recorded in your own name"),
            )
        }
    };
    let old_events: BTreeSet<&str> = before
        .map(|b| b.events.iter().map(|e| e.id.as_str()).collect())
        .unwrap_or_default();
    for event in after
        .events
        .iter()
        .filter(|e| !old_events.contains(e.id.as_str()))
    {
        own(&event.by, "events")?;
        if tech && !technician_may_record(event, creating) {
            return refuse(
                "event_kind",
                format!(
                    "a technician cannot record a '{}' event",
                    event.kind.as_str()
                ),
            );
        }
    }
    let old_reviews: BTreeSet<&str> = before
        .map(|b| b.reviews.iter().map(|r| r.id.as_str()).collect())
        .unwrap_or_default();
    for review in after
        .reviews
        .iter()
        .filter(|r| !old_reviews.contains(r.id.as_str()))
    {
        if tech {
            return refuse("review", "only the back office can approve or return a job");
        }
        own(&review.by, "review decisions")?;
    }
    let is_new = |present: bool| creating || !present;
    for note in after
        .notes
        .values()
        .filter(|n| is_new(before.is_some_and(|b| b.notes.contains_key(&n.id))))
    {
        own(&note.by, "notes")?;
    }
    for line in after
        .parts
        .values()
        .filter(|p| is_new(before.is_some_and(|b| b.parts.contains_key(&p.id))))
    {
        if tech {
            own(&line.by, "parts lines")?;
        }
    }
    for form in after
        .forms
        .values()
        .filter(|f| is_new(before.is_some_and(|b| b.forms.contains_key(&f.id))))
    {
        own(&form.by, "forms")?;
        if tech && form.respondent == "callback" {
            return refuse(
                "callback",
                "callback survey forms are recorded by the back office",
            );
        }
    }
    for (sha, attachment) in after
        .attachments
        .iter()
        .filter(|(k, _)| is_new(before.is_some_and(|b| b.attachments.contains_key(*k))))
    {
        own(&attachment.by, &format!("attachment {}", trim(sha)))?;
    }
    Ok(())
}

fn technician_may_record(event: &Event, creating: bool) -> bool {
    match event.kind {
        EventKind::Reported | EventKind::Assigned => creating,
        EventKind::Cancelled => false,
        kind => WORK_EVENTS.contains(&kind),
    }
}
