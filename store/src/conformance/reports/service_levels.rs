//! Service levels: the clocks, and jobs on doubtful device time.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // Test code: a failed unwrap is a failed test.

use super::*;

pub fn service_levels_count_jobs_meeting_each_clock<
    U: ServerStore<Error = StoreError> + Reports + ?Sized,
>(
    unit: &mut U,
) {
    let r = ms("2026-11-02", 8);
    // Response 2 h, arrival 20 h (near), diagnosis 1 h, handling 20 min: all met.
    let mut near = job("near", "t1", "key", "M1", "east", r);
    near.events = vec![
        ev(EventKind::Accepted, r + 2 * H, "t1"),
        ev(EventKind::OnSite, r + 20 * H, "t1"),
        ev(EventKind::Diagnosed, r + 21 * H, "t1"),
        ev(EventKind::Repaired, r + 21 * H + 20 * MIN, "t1"),
    ];
    // Far site: response 25 h (missed), arrival 30 h (meets the 48 h far target, would
    // miss the near one), diagnosis 3 h (missed), handling 60 min (missed). A complaint.
    let mut far = job("far", "t1", "key", "M1", "east", r);
    far.customer.site_distance = "far".into();
    far.complaint = true;
    far.events = vec![
        ev(EventKind::Accepted, r + 25 * H, "t1"),
        ev(EventKind::OnSite, r + 30 * H, "t1"),
        ev(EventKind::Diagnosed, r + 33 * H, "t1"),
        ev(EventKind::Repaired, r + 33 * H + 60 * MIN, "t1"),
    ];
    // Still waiting: counts as a job, measured on no clock.
    let waiting = job("waiting", "t2", "key", "M1", "east", r);
    // Cancelled jobs and jobs reported in another month are not counted.
    let mut cancelled = job("cancelled", "t2", "key", "M1", "east", r);
    cancelled.events = vec![ev(EventKind::Cancelled, r + H, "office-1")];
    let mut october = job("october", "t2", "key", "M1", "east", ms("2026-10-31", 23));
    october.events = vec![ev(EventKind::Accepted, ms("2026-11-01", 1), "t2")];
    store(unit, &[near, far, waiting, cancelled, october]);

    let targets = Targets::default();
    let nov = month("2026-11");
    let all = unit
        .service_levels(&levels_query(nov, targets), sla::Group::All)
        .unwrap();
    let expected = Levels {
        jobs: 3,
        response: met(2, 1),
        arrival: met(2, 2),
        diagnosis: met(2, 1),
        handling: met(2, 1),
        handling_avg_ms: Some(40.0 * MIN as f64),
        time_flags: FlagCounts::default(),
    };
    assert_eq!(all, [(String::new(), expected.clone())]);
    assert_eq!(all[0].1.handling_avg_met(&targets), Some(false));
    // Targets are configuration: looser ones change the answer.
    let loose = Targets {
        response_ms: 26 * H,
        handling_avg_ms: 45 * MIN,
        ..targets
    };
    let l = unit
        .service_levels(&levels_query(nov, loose), sla::Group::All)
        .unwrap();
    assert_eq!(l[0].1.response, met(2, 2));
    assert_eq!(l[0].1.handling_avg_met(&loose), Some(true));
    let strict = Targets {
        arrival_far_ms: 29 * H,
        arrival_near_ms: 19 * H,
        ..targets
    };
    let s = unit
        .service_levels(&levels_query(nov, strict), sla::Group::All)
        .unwrap();
    assert_eq!(s[0].1.arrival, met(2, 0));

    let t2 = Levels {
        jobs: 1,
        ..Levels::default()
    };
    assert_eq!(
        unit.service_levels(&levels_query(nov, targets), sla::Group::Technician)
            .unwrap(),
        [
            (
                "t1".to_string(),
                Levels {
                    jobs: 2,
                    ..expected.clone()
                }
            ),
            ("t2".to_string(), t2.clone())
        ]
    );
    assert_eq!(
        unit.service_levels(
            &LevelsQuery {
                technician: Some("t2".into()),
                ..levels_query(nov, targets)
            },
            sla::Group::All
        )
        .unwrap(),
        [(String::new(), t2)]
    );
    // Complaints only: the far job.
    assert_eq!(
        unit.service_levels(
            &LevelsQuery {
                complaint: Some(true),
                ..levels_query(nov, targets)
            },
            sla::Group::All
        )
        .unwrap(),
        [(
            String::new(),
            Levels {
                jobs: 1,
                response: met(1, 0),
                arrival: met(1, 1),
                diagnosis: met(1, 0),
                handling: met(1, 0),
                handling_avg_ms: Some(60.0 * MIN as f64),
                time_flags: FlagCounts::default(),
            }
        )]
    );
    // No complaints: near and waiting; the average over the one measured.
    let calm = unit
        .service_levels(
            &LevelsQuery {
                complaint: Some(false),
                ..levels_query(nov, targets)
            },
            sla::Group::All,
        )
        .unwrap();
    assert_eq!(calm[0].1.jobs, 2);
    assert_eq!(calm[0].1.handling_avg_ms, Some(20.0 * MIN as f64));
    // By month of the report: October's job is October's, whenever it was accepted.
    let months = unit
        .service_levels(
            &levels_query(period("2026-10-01", "2026-11-30"), targets),
            sla::Group::Month,
        )
        .unwrap();
    assert_eq!(
        months
            .iter()
            .map(|(k, l)| (k.as_str(), l.jobs, l.response))
            .collect::<Vec<_>>(),
        [("2026-10", 1, met(1, 1)), ("2026-11", 3, met(2, 1))]
    );
    // Nothing reported: no row, and no average.
    assert!(
        unit.service_levels(&levels_query(month("2026-09"), targets), sla::Group::All)
            .unwrap()
            .is_empty()
    );
    let waiting_only = unit
        .service_levels(
            &LevelsQuery {
                technician: Some("t2".into()),
                ..levels_query(nov, targets)
            },
            sla::Group::All,
        )
        .unwrap();
    assert_eq!(waiting_only[0].1.handling_avg_ms, None);
}

pub fn service_levels_count_jobs_on_doubtful_device_time<
    U: ServerStore<Error = StoreError> + Reports + ?Sized,
>(
    unit: &mut U,
) {
    let r = month("2026-11").start_ms() + 8 * H;
    let accepted = |id: &str, tech: &str, at: i64| {
        let mut j = job(id, tech, "key", "M1", "east", r);
        j.events = vec![ev(EventKind::Accepted, at, tech)];
        j
    };
    // Received an hour after the report from a clock two hours ahead; and from an
    // honest one.
    let received = |device_clock_ms| {
        Some(Received {
            at_ms: r + H,
            device_clock_ms: Some(device_clock_ms),
        })
    };
    store_received(
        unit,
        &[
            (accepted("ahead", "li", r + 3 * H), received(r + 3 * H)),
            (accepted("honest", "wang", r + H), received(r + H)),
        ],
    );
    let rows = unit
        .service_levels(
            &levels_query(month("2026-11"), Targets::default()),
            sla::Group::Technician,
        )
        .unwrap();
    let keys: Vec<&str> = rows.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["li", "wang"]);
    let li = &rows[0].1;
    assert_eq!(li.response, met(1, 1), "measured on device time");
    assert_eq!(
        li.time_flags,
        FlagCounts {
            future: 1,
            before_creation: 0,
            clock_off: 1,
            jobs: 1
        }
    );
    assert_eq!(rows[1].1.time_flags, FlagCounts::default());
}
