//! Device time is evidence, not truth.
//!
//! Timeline events carry the clock of the device that recorded them, and the service-level
//! clocks are measured on those times (that is the rule). The server keeps, next to each
//! event, when it first received it and how far the uploading device's clock was from its
//! own at that sync; [`time_flags`] says when the device time disagrees with that beyond
//! reason. A flag does not change a measurement: it tells the back office which figures
//! rest on a clock that cannot be trusted.

use crate::job::{Event, EventKind, Job};

/// How far a device time may stray before it is flagged: clocks drift, and a phone that
/// syncs over a slow network receives its own changes' acknowledgement seconds later.
pub const TOLERANCE_MS: i64 = 5 * 60 * 1000;

/// The origin of a job opened on the device itself (`Job::origin`).
pub const ORIGIN_ONSITE: &str = "onsite";

/// What is wrong with the device time of one event. All `false`: nothing is known against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flags {
    /// The event is dated later than the server received it (beyond the tolerance): the
    /// device clock was ahead.
    pub future: bool,
    /// The event is dated before the job existed (beyond the tolerance): the device clock
    /// was behind, or the time was made up.
    pub before_creation: bool,
    /// At the sync that brought the event, the device clock was more than the tolerance
    /// away from the server's.
    pub clock_off: bool,
}

impl Flags {
    pub fn any(self) -> bool {
        self.future || self.before_creation || self.clock_off
    }

    /// The names of the flags raised, in a fixed order: `future`, `before_creation`,
    /// `clock_off`.
    pub fn names(self) -> Vec<&'static str> {
        [
            (self.future, "future"),
            (self.before_creation, "before_creation"),
            (self.clock_off, "clock_off"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }

    /// Both flag sets together.
    pub fn or(self, other: Flags) -> Flags {
        Flags {
            future: self.future || other.future,
            before_creation: self.before_creation || other.before_creation,
            clock_off: self.clock_off || other.clock_off,
        }
    }

    /// As stored in one integer column: bit 0 `future`, bit 1 `before_creation`, bit 2
    /// `clock_off`.
    pub fn bits(self) -> i64 {
        i64::from(self.future)
            | (i64::from(self.before_creation) << 1)
            | (i64::from(self.clock_off) << 2)
    }

    pub fn from_bits(bits: i64) -> Flags {
        Flags {
            future: bits & 1 != 0,
            before_creation: bits & 2 != 0,
            clock_off: bits & 4 != 0,
        }
    }
}

/// The flags of one event, all times in ms since the Unix epoch.
///
/// - `event_at`: the device time of the event (`Event::at`);
/// - `received_at`: the server clock when the event first reached the server, if known;
/// - `job_created_at`: when the job came to exist, as [`creation_reference`] gives it;
/// - `device_offset_ms`: server clock − device clock at the sync that brought the event
///   (0 for the server's own edits), if known.
///
/// What is unknown raises nothing.
pub fn time_flags(
    event_at: i64,
    received_at: Option<i64>,
    job_created_at: Option<i64>,
    device_offset_ms: Option<i64>,
) -> Flags {
    Flags {
        future: received_at.is_some_and(|r| event_at.saturating_sub(r) > TOLERANCE_MS),
        before_creation: job_created_at.is_some_and(|c| c.saturating_sub(event_at) > TOLERANCE_MS),
        clock_off: device_offset_ms.is_some_and(|o| o.saturating_abs() > TOLERANCE_MS),
    }
}

/// What an event's time is compared with for `before_creation`.
///
/// A job reported to the back office (hotline, complaint) exists from its first commit on
/// the server (`server_created_at`, server clock). A job opened on the device itself
/// ([`ORIGIN_ONSITE`]) reaches the server only when the device uploads it, so work recorded
/// before that is normal; for it, the job begins at its own `reported_at` (device clock).
pub fn creation_reference(
    origin: &str,
    reported_at: i64,
    server_created_at: Option<i64>,
) -> Option<i64> {
    if origin == ORIGIN_ONSITE {
        Some(reported_at).filter(|&t| t > 0)
    } else {
        server_created_at
    }
}

/// The events the service-level clocks of `job` are measured on
/// (`crate::service::clocks`): the first of each kind accepted, on site, diagnosed and
/// repaired, "first" as the clocks take it (the earliest time; of equal times, the first in
/// the timeline), and the first reported event, which carries the job's `reported_at` where
/// the response and arrival clocks start.
pub fn clock_events(job: &Job) -> Vec<&Event> {
    [
        EventKind::Reported,
        EventKind::Accepted,
        EventKind::OnSite,
        EventKind::Diagnosed,
        EventKind::Repaired,
    ]
    .into_iter()
    .filter_map(|kind| {
        job.events
            .iter()
            .filter(|e| e.kind == kind)
            .min_by_key(|e| e.at)
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60 * 1000;
    const HOUR: i64 = 60 * MIN;
    /// 2026-11-16 10:00 UTC.
    const T: i64 = 1_794_823_200_000;

    #[test]
    fn an_honest_device_raises_nothing() {
        // Recorded offline at 10:00, uploaded at 14:00 with a clock 20 s fast.
        let f = time_flags(T, Some(T + 4 * HOUR), Some(T - HOUR), Some(-20_000));
        assert_eq!(f, Flags::default());
        assert!(!f.any());
        assert!(f.names().is_empty());
    }

    #[test]
    fn a_clock_two_hours_ahead_is_future_and_off() {
        // Device says 12:00; the server received it at 10:01 and its clock read 10:01
        // when the device's read 12:01.
        let f = time_flags(T + 2 * HOUR, Some(T + MIN), Some(T - HOUR), Some(-2 * HOUR));
        assert_eq!(
            f,
            Flags {
                future: true,
                before_creation: false,
                clock_off: true
            }
        );
        assert_eq!(f.names(), ["future", "clock_off"]);
    }

    #[test]
    fn a_clock_behind_the_server_dates_work_before_the_job() {
        // The job was created on the server at 10:00; the device, 3 hours behind, says
        // it accepted it at 7:05.
        let f = time_flags(
            T - 3 * HOUR + 5 * MIN,
            Some(T + 5 * MIN),
            Some(T),
            Some(3 * HOUR),
        );
        assert_eq!(f.names(), ["before_creation", "clock_off"]);
    }

    #[test]
    fn the_tolerance_is_five_minutes_either_way() {
        let edge = TOLERANCE_MS;
        assert!(!time_flags(T + edge, Some(T), None, None).future);
        assert!(time_flags(T + edge + 1, Some(T), None, None).future);
        assert!(!time_flags(T - edge, None, Some(T), None).before_creation);
        assert!(time_flags(T - edge - 1, None, Some(T), None).before_creation);
        assert!(!time_flags(T, None, None, Some(edge)).clock_off);
        assert!(time_flags(T, None, None, Some(-edge - 1)).clock_off);
        assert!(time_flags(T, None, None, Some(edge + 1)).clock_off);
    }

    #[test]
    fn unknowns_raise_nothing_and_extremes_do_not_overflow() {
        assert_eq!(time_flags(T, None, None, None), Flags::default());
        let f = time_flags(i64::MAX, Some(i64::MIN), Some(i64::MAX), Some(i64::MIN));
        assert!(f.future && !f.before_creation && f.clock_off);
        let f = time_flags(i64::MIN, Some(i64::MAX), Some(i64::MAX), Some(0));
        assert_eq!(f.names(), ["before_creation"]);
    }

    #[test]
    fn a_job_opened_on_the_device_begins_at_its_report() {
        // Opened offline at 10:00, uploaded at 16:00: created on the server at 16:00.
        let uploaded = T + 6 * HOUR;
        let begins = creation_reference("onsite", T, Some(uploaded));
        assert_eq!(begins, Some(T));
        assert!(!time_flags(T + 30 * MIN, Some(uploaded), begins, Some(0)).before_creation);
        // Against its upload it would be flagged: that is why the report time is used.
        assert!(time_flags(T + 30 * MIN, Some(uploaded), Some(uploaded), Some(0)).before_creation);
        // An event dated well before the device's own report still is.
        assert!(time_flags(T - HOUR, Some(uploaded), begins, Some(0)).before_creation);
        assert_eq!(
            creation_reference("hotline", T, Some(uploaded)),
            Some(uploaded)
        );
        assert_eq!(creation_reference("complaint", T, None), None);
    }

    #[test]
    fn bits_round_trip_and_combine() {
        for bits in 0..8 {
            assert_eq!(Flags::from_bits(bits).bits(), bits);
        }
        let future = Flags {
            future: true,
            ..Flags::default()
        };
        let off = Flags {
            clock_off: true,
            ..Flags::default()
        };
        assert_eq!(future.or(off).bits(), 0b101);
    }

    #[test]
    fn clocks_use_the_earliest_event_of_each_kind() {
        let event = |id: &str, kind, at| Event {
            id: id.into(),
            kind,
            at,
            by: "t".into(),
        };
        let job = Job {
            events: vec![
                event("r", EventKind::Reported, T),
                event("as", EventKind::Assigned, T),
                event("a2", EventKind::Accepted, T + 2 * HOUR),
                event("a1", EventKind::Accepted, T + HOUR),
                event("o", EventKind::OnSite, T + 3 * HOUR),
                event("c", EventKind::Completed, T + 4 * HOUR),
            ],
            ..Job::default()
        };
        let ids: Vec<&str> = clock_events(&job).iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["r", "a1", "o"]);
    }
}
