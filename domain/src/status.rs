//! Status and review state, derived from the append-only timeline.
//!
//! Deriving instead of storing is what makes concurrent edits merge by design: two devices
//! that record "arrived" and "completed" while apart both append, and the derived status of
//! the merged document is "completed" on every replica.

use crate::job::{Decision, EventKind, Job};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    New,
    Assigned,
    Accepted,
    EnRoute,
    OnSite,
    Diagnosed,
    Repaired,
    Completed,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Assigned => "assigned",
            Status::Accepted => "accepted",
            Status::EnRoute => "en_route",
            Status::OnSite => "on_site",
            Status::Diagnosed => "diagnosed",
            Status::Repaired => "repaired",
            Status::Completed => "completed",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::New,
            Status::Assigned,
            Status::Accepted,
            Status::EnRoute,
            Status::OnSite,
            Status::Diagnosed,
            Status::Repaired,
            Status::Completed,
            Status::Cancelled,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewState {
    /// Not completed yet: nothing to review.
    NotSubmitted,
    Pending,
    Approved,
    Returned,
}

impl ReviewState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::NotSubmitted => "not_submitted",
            ReviewState::Pending => "pending",
            ReviewState::Approved => "approved",
            ReviewState::Returned => "returned",
        }
    }
}

fn progress(kind: EventKind) -> Option<Status> {
    Some(match kind {
        EventKind::Accepted => Status::Accepted,
        EventKind::EnRoute => Status::EnRoute,
        EventKind::OnSite => Status::OnSite,
        EventKind::Diagnosed => Status::Diagnosed,
        EventKind::Repaired => Status::Repaired,
        EventKind::Completed => Status::Completed,
        EventKind::Reported | EventKind::Assigned | EventKind::Cancelled => return None,
    })
}

/// The job's status: the furthest step recorded by the current assignee.
///
/// Progress made by a previous assignee does not count after a reassignment (the new
/// technician must accept the job). Completion wins over a concurrent cancellation: the
/// work was done.
pub fn derive_status(job: &Job) -> Status {
    let assignee = job.assignee.as_deref();
    let furthest = job
        .events
        .iter()
        .filter(|e| Some(e.by.as_str()) == assignee)
        .filter_map(|e| progress(e.kind))
        .max();
    if furthest == Some(Status::Completed) {
        return Status::Completed;
    }
    if job.events.iter().any(|e| e.kind == EventKind::Cancelled) {
        return Status::Cancelled;
    }
    match (furthest, assignee) {
        (Some(st), _) => st,
        (None, Some(_)) => Status::Assigned,
        (None, None) => Status::New,
    }
}

/// The review state: the latest decision, unless the technician resubmitted after a return.
pub fn derive_review(job: &Job) -> ReviewState {
    if derive_status(job) != Status::Completed {
        return ReviewState::NotSubmitted;
    }
    let latest = job
        .reviews
        .iter()
        .max_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    let Some(latest) = latest else {
        return ReviewState::Pending;
    };
    match latest.decision {
        Decision::Approved => ReviewState::Approved,
        Decision::Returned => {
            let resubmitted = job
                .events
                .iter()
                .any(|e| e.kind == EventKind::Completed && e.at > latest.at);
            if resubmitted {
                ReviewState::Pending
            } else {
                ReviewState::Returned
            }
        }
    }
}

/// The time of the first event of `kind`, used by the service-level clocks.
pub fn first_event_at(job: &Job, kind: EventKind) -> Option<i64> {
    job.events
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.at)
        .min()
}
