//! Service-level clocks and the DAP flag (Service levels and Flags).
//!
//! Each clock is measured on the device timestamps carried by the timeline events; the
//! targets are configuration and live with whoever reports on them, not here.

use crate::job::{EventKind, Job};
use crate::status::first_event_at;

/// A fault reported within this many days of purchase is "dead after purchase".
pub const DAP_DAYS: i64 = 15;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Dead after purchase: the fault appeared (was reported) within 15 days of purchase.
///
/// A job without a purchase date, or with one after the report (a data-entry error), is
/// not DAP: the flag must be earned by the data, not guessed.
pub fn is_dap(job: &Job) -> bool {
    let Some(date) = job.product.purchase_date.as_deref() else {
        return false;
    };
    let Ok(purchased) = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d") else {
        return false;
    };
    let Some(reported) = chrono::DateTime::from_timestamp_millis(job.reported_at) else {
        return false;
    };
    let days = (reported.date_naive() - purchased).num_days();
    (0..=DAP_DAYS).contains(&days)
}

/// Durations of the the after-sales practice clocks for one job, in milliseconds; `None` until both ends
/// of a clock have been recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Clocks {
    /// Reported → accepted.
    pub response_ms: Option<i64>,
    /// Reported → on site.
    pub arrival_ms: Option<i64>,
    /// On site → diagnosed.
    pub diagnosis_ms: Option<i64>,
    /// Diagnosed → repaired: the handling of the service issue itself, whose *average*
    /// is held to a target.
    pub handling_ms: Option<i64>,
}

/// The clocks of a job. "Reported" is the job's `reported_at`; each other end is the
/// first event of its kind, so a later duplicate (a second device, a resubmission) never
/// moves a clock.
pub fn clocks(job: &Job) -> Clocks {
    let reported = Some(job.reported_at).filter(|&t| t > 0);
    let accepted = first_event_at(job, EventKind::Accepted);
    let on_site = first_event_at(job, EventKind::OnSite);
    let diagnosed = first_event_at(job, EventKind::Diagnosed);
    let repaired = first_event_at(job, EventKind::Repaired);
    let span = |from: Option<i64>, to: Option<i64>| match (from, to) {
        // Device clocks can disagree; a negative span is clamped to zero rather than
        // counted as a miss or dropped, so the job still appears in the denominator.
        (Some(f), Some(t)) => Some((t - f).max(0)),
        _ => None,
    };
    Clocks {
        response_ms: span(reported, accepted),
        arrival_ms: span(reported, on_site),
        diagnosis_ms: span(on_site, diagnosed),
        handling_ms: span(diagnosed, repaired),
    }
}

/// Default targets, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    pub response_ms: i64,
    pub arrival_near_ms: i64,
    pub arrival_far_ms: i64,
    pub diagnosis_ms: i64,
    pub handling_avg_ms: i64,
}

impl Targets {
    /// The target of the arrival clock at a site `near` or `far` (any other distance is
    /// near).
    pub fn arrival_ms(&self, site_distance: &str) -> i64 {
        if site_distance == "far" {
            self.arrival_far_ms
        } else {
            self.arrival_near_ms
        }
    }

    /// A job's clocks with their targets, by name: response, arrival, diagnosis, and the
    /// handling of a service issue (whose target is met on average; one job is shown
    /// against it).
    pub fn of_job(&self, site_distance: &str) -> [(&'static str, i64); 4] {
        [
            ("response", self.response_ms),
            ("arrival", self.arrival_ms(site_distance)),
            ("diagnosis", self.diagnosis_ms),
            ("handling", self.handling_avg_ms),
        ]
    }
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            response_ms: DAY_MS,
            arrival_near_ms: DAY_MS,
            arrival_far_ms: 2 * DAY_MS,
            diagnosis_ms: 2 * 60 * 60 * 1000,
            handling_avg_ms: 30 * 60 * 1000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Event, Product};

    fn at(kind: EventKind, ms: i64) -> Event {
        Event {
            id: format!("{kind:?}{ms}"),
            kind,
            at: ms,
            by: "t".into(),
        }
    }

    #[test]
    fn dap_is_within_fifteen_days_of_purchase() {
        let reported = chrono::NaiveDate::from_ymd_opt(2026, 11, 16)
            .and_then(|d| d.and_hms_opt(10, 0, 0))
            .map(|d| d.and_utc().timestamp_millis());
        let job = |purchase: Option<&str>| Job {
            reported_at: reported.unwrap_or_default(),
            product: Product {
                purchase_date: purchase.map(str::to_string),
                ..Product::default()
            },
            ..Job::default()
        };
        assert!(is_dap(&job(Some("2026-11-01"))), "15 days");
        assert!(!is_dap(&job(Some("2026-10-31"))), "16 days");
        assert!(is_dap(&job(Some("2026-11-16"))), "same day");
        assert!(!is_dap(&job(Some("2026-11-17"))), "bought after the report");
        assert!(!is_dap(&job(None)));
        assert!(!is_dap(&job(Some("garbage"))));
    }

    #[test]
    fn clocks_use_the_first_event_of_each_kind() {
        let h = 60 * 60 * 1000;
        let job = Job {
            reported_at: 1_000,
            events: vec![
                at(EventKind::Accepted, 1_000 + 2 * h),
                at(EventKind::OnSite, 1_000 + 30 * h),
                at(EventKind::Diagnosed, 1_000 + 31 * h),
                at(EventKind::Accepted, 1_000 + 40 * h),
            ],
            ..Job::default()
        };
        let c = clocks(&job);
        assert_eq!(c.response_ms, Some(2 * h));
        assert_eq!(c.arrival_ms, Some(30 * h));
        assert_eq!(c.diagnosis_ms, Some(h));
        assert_eq!(c.handling_ms, None);
    }
}
