//! What the server keeps about a job beside its document, decided here once for every
//! storage backend: derived status and review state, the service-level clocks, when the
//! job was completed, its time flags, and the corrective actions its forms open.
//!
//! A backend stores [`JobFacts`] in its query tables and answers reports over them; it
//! decides none of it. The one input that is not in the document is when each event first
//! reached the server ([`Receipt`]), which the backend remembers from earlier writes.

use crate::evidence::{Flags, clock_events, creation_reference, time_flags};
use crate::forms::Level;
use crate::service::{Clocks, clocks, is_dap};
use crate::{EventKind, Job, ReviewState, Status, derive_review, derive_status};

/// Days the back office gets by default to close a corrective action.
pub const CORRECTIVE_DUE_DAYS: i64 = 7;

/// When an event first reached the server (server ms) and the device clock's offset at
/// that sync; both unknown for what was stored before receipts were kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Receipt {
    pub received_at: Option<i64>,
    pub device_offset_ms: Option<i64>,
}

/// A corrective action a submitted form opens: one per dissatisfied or very dissatisfied
/// answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectiveOpening {
    pub form_id: String,
    pub item_id: String,
    pub points: i64,
    /// The job's responsible department, empty while it is not classified.
    pub department: String,
    /// `YYYY-MM-DD`: [`CORRECTIVE_DUE_DAYS`] after the form was submitted (UTC).
    pub due_date: String,
    /// When the form was submitted (ms).
    pub opened_at: i64,
}

/// Everything derived from one version of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFacts {
    pub status: Status,
    pub review_state: ReviewState,
    pub dap: bool,
    /// The latest completion by the job's assignee (a completion by someone else does
    /// not complete their job).
    pub completed_at: Option<i64>,
    pub clocks: Clocks,
    /// When the job first reached the server.
    pub created_at: Option<i64>,
    /// The time flags of the events the clocks use, or-ed together.
    pub flags: Flags,
    /// The receipt of each event, in the order of `job.events`.
    pub receipts: Vec<Receipt>,
    pub corrective: Vec<CorrectiveOpening>,
}

/// The facts of `job`. `created_at` is when the job first reached the server; `receipt`
/// tells the receipt of an event id, as first recorded (or this write's, for a new one).
pub fn job_facts(
    job: &Job,
    created_at: Option<i64>,
    receipt: impl Fn(&str) -> Receipt,
) -> JobFacts {
    let receipts: Vec<Receipt> = job.events.iter().map(|e| receipt(&e.id)).collect();
    let begins = creation_reference(&job.origin, job.reported_at, created_at);
    let flags = clock_events(job)
        .into_iter()
        .map(|e| {
            let r = receipt(&e.id);
            time_flags(e.at, r.received_at, begins, r.device_offset_ms)
        })
        .fold(Flags::default(), Flags::or);
    let completed_at = job
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Completed && job.assignee.as_deref() == Some(&e.by))
        .map(|e| e.at)
        .max();
    JobFacts {
        status: derive_status(job),
        review_state: derive_review(job),
        dap: is_dap(job),
        completed_at,
        clocks: clocks(job),
        created_at,
        flags,
        receipts,
        corrective: corrective_openings(job),
    }
}

/// Answers of a form still being filled in may change, so only submitted forms open
/// corrective actions.
fn corrective_openings(job: &Job) -> Vec<CorrectiveOpening> {
    let department = job.responsible_department.clone().unwrap_or_default();
    let mut out = Vec::new();
    for (form_id, form) in &job.forms {
        let Some(submitted) = form.submitted_at else {
            continue;
        };
        let due_date = chrono::DateTime::from_timestamp_millis(submitted)
            .map(|d| (d + chrono::Duration::days(CORRECTIVE_DUE_DAYS)).date_naive())
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        for (item, answer) in &form.answers {
            if Level::from_points(answer.points).is_some_and(Level::needs_corrective_action) {
                out.push(CorrectiveOpening {
                    form_id: form_id.clone(),
                    item_id: item.clone(),
                    points: answer.points,
                    department: department.clone(),
                    due_date: due_date.clone(),
                    opened_at: submitted,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

    use super::*;
    use crate::{Answer, Event, Form};

    /// 2026-11-30 20:00 UTC.
    const T: i64 = 1_796_068_800_000;

    fn event(id: &str, kind: EventKind, at: i64, by: &str) -> Event {
        Event {
            id: id.into(),
            kind,
            at,
            by: by.into(),
        }
    }

    #[test]
    fn only_the_assignee_completes_and_the_latest_completion_counts() {
        let job = Job {
            assignee: Some("wang".into()),
            events: vec![
                event("c1", EventKind::Completed, T, "wang"),
                event("c2", EventKind::Completed, T + 5, "office"),
                event("c3", EventKind::Completed, T + 2, "wang"),
            ],
            ..Job::default()
        };
        let facts = job_facts(&job, None, |_| Receipt::default());
        assert_eq!(facts.completed_at, Some(T + 2));
        assert_eq!(facts.receipts.len(), 3);
    }

    #[test]
    fn submitted_forms_open_actions_due_a_week_later_for_low_answers_only() {
        let answer = |points| Answer {
            points,
            comment: String::new(),
            at: T,
        };
        let draft_form = || Form {
            id: String::new(),
            template_id: "csat-onsite".into(),
            template_version: 1,
            respondent: "survey".into(),
            answers: Default::default(),
            suggestion: Default::default(),
            submitted_at: None,
            by: "wang".into(),
        };
        let mut submitted = Form {
            submitted_at: Some(T),
            ..draft_form()
        };
        submitted.answers.insert("overall".into(), answer(4));
        submitted.answers.insert("speed".into(), answer(8));
        submitted.answers.insert("tidy".into(), answer(2));
        let mut draft = draft_form();
        draft.answers.insert("overall".into(), answer(2));
        let mut job = Job {
            responsible_department: Some("service".into()),
            ..Job::default()
        };
        job.forms.insert("f1".into(), submitted);
        job.forms.insert("f2".into(), draft);
        let facts = job_facts(&job, None, |_| Receipt::default());
        let opened: Vec<_> = facts
            .corrective
            .iter()
            .map(|c| (c.item_id.as_str(), c.points, c.due_date.as_str()))
            .collect();
        // Submitted at 20:00 UTC on 30 November: due on 7 December.
        assert_eq!(
            opened,
            vec![("overall", 4, "2026-12-07"), ("tidy", 2, "2026-12-07")]
        );
        assert!(facts.corrective.iter().all(|c| c.department == "service"));
        assert!(facts.corrective.iter().all(|c| c.opened_at == T));
    }
}
