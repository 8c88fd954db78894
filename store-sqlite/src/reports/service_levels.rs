//! Service levels (SLA), counted in SQL; the report is
//! `onsite_store::report::service_levels`.
//!
//! The durations are measured per job by `onsite_domain::service::clocks` from the device
//! timestamps of the events and stored in the `jobs` query table; this module only counts
//! them against the targets of the request, in SQL. A job belongs to the period it was
//! reported in. A job whose clock has not stopped yet is not counted for that clock.
//!
//! Device time is evidence, not truth: next to the figures, each group counts the jobs
//! whose clocks rest on a device time the server has reason to doubt (the flags of
//! `onsite_domain::evidence`, kept per job by the projection). The figures themselves are
//! measured on the device times all the same.

use onsite_domain::service::Targets;
use rusqlite::{Connection, params};

pub use onsite_store::report::service_levels::{FlagCounts, Group, Levels, Met};

use super::Period;

/// The SQL of each group, fixed here, never built from input.
fn group_sql(group: Group, period: &Period) -> String {
    match group {
        Group::All => "''".into(),
        Group::Technician => "COALESCE(assignee, '')".into(),
        Group::Month => super::month_of("reported_at", period),
    }
}

pub fn by_group(
    conn: &Connection,
    period: &Period,
    group: Group,
    technician: Option<&str>,
    complaint: Option<bool>,
    targets: &Targets,
) -> rusqlite::Result<Vec<(String, Levels)>> {
    let sql = format!(
        "SELECT {key} AS k, COUNT(*),
                COUNT(response_ms), COALESCE(SUM(response_ms <= ?5), 0),
                COUNT(arrival_ms),
                COALESCE(SUM(arrival_ms <= CASE site_distance WHEN 'far' THEN ?7 ELSE ?6 END), 0),
                COUNT(diagnosis_ms), COALESCE(SUM(diagnosis_ms <= ?8), 0),
                COUNT(handling_ms), COALESCE(SUM(handling_ms <= ?9), 0), AVG(handling_ms),
                COALESCE(SUM(time_flags & 1 <> 0), 0), COALESCE(SUM(time_flags & 2 <> 0), 0),
                COALESCE(SUM(time_flags & 4 <> 0), 0), COALESCE(SUM(time_flags <> 0), 0)
           FROM jobs
          WHERE reported_at >= ?1 AND reported_at < ?2 AND status <> 'cancelled'
            AND (?3 IS NULL OR assignee = ?3) AND (?4 IS NULL OR complaint = ?4)
          GROUP BY k ORDER BY k",
        key = group_sql(group, period)
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let met = |r: &rusqlite::Row<'_>, at: usize| -> rusqlite::Result<Met> {
        Ok(Met {
            measured: r.get::<_, i64>(at)? as u64,
            met: r.get::<_, i64>(at + 1)? as u64,
        })
    };
    let rows = stmt.query_map(
        params![
            period.start_ms(),
            period.end_ms(),
            technician,
            complaint,
            targets.response_ms,
            targets.arrival_near_ms,
            targets.arrival_far_ms,
            targets.diagnosis_ms,
            targets.handling_avg_ms,
        ],
        |r| {
            Ok((
                r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                Levels {
                    jobs: r.get::<_, i64>(1)? as u64,
                    response: met(r, 2)?,
                    arrival: met(r, 4)?,
                    diagnosis: met(r, 6)?,
                    handling: met(r, 8)?,
                    handling_avg_ms: r.get(10)?,
                    time_flags: FlagCounts {
                        future: r.get::<_, i64>(11)? as u64,
                        before_creation: r.get::<_, i64>(12)? as u64,
                        clock_off: r.get::<_, i64>(13)? as u64,
                        jobs: r.get::<_, i64>(14)? as u64,
                    },
                },
            ))
        },
    )?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

    use onsite_domain::{Event, EventKind, Job};
    use onsite_sync::server::Received;

    use onsite_store::report::Cell;
    use onsite_store::report::service_levels::{GroupLevels, LevelFigures, table};

    use super::*;
    use crate::projection::upsert_job_received;

    const H: i64 = 3_600_000;

    fn job(id: &str, tech: &str, reported: i64, accepted: i64) -> Job {
        Job {
            id: id.into(),
            origin: "hotline".into(),
            reported_at: reported,
            assignee: Some(tech.into()),
            events: vec![Event {
                id: format!("{id}-a"),
                kind: EventKind::Accepted,
                at: accepted,
                by: tech.into(),
            }],
            ..Job::default()
        }
    }

    #[test]
    fn flagged_jobs_are_counted_beside_unchanged_figures() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        let period = Period::month("2026-11").unwrap();
        let r = period.start_ms() + 8 * H;
        // Received an hour after the report from a clock two hours ahead; and from an
        // honest one.
        let received = |device_clock_ms| {
            Some(Received {
                at_ms: r + H,
                device_clock_ms: Some(device_clock_ms),
            })
        };
        let ahead = job("ahead", "li", r, r + 3 * H);
        let honest = job("honest", "wang", r, r + H);
        upsert_job_received(&conn, "ahead", &ahead, 1, received(r + 3 * H)).unwrap();
        upsert_job_received(&conn, "honest", &honest, 2, received(r + H)).unwrap();
        let targets = Targets::default();
        let rows = by_group(&conn, &period, Group::Technician, None, None, &targets).unwrap();
        let li = &rows[0].1;
        assert_eq!(rows[0].0, "li");
        assert_eq!(
            (li.response.measured, li.response.met),
            (1, 1),
            "measured on device time"
        );
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
        let json = serde_json::to_value(LevelFigures::new(li, &targets)).unwrap();
        assert_eq!(
            json["time_flags"],
            serde_json::json!({"future": 1, "before_creation": 0, "clock_off": 1, "jobs": 1})
        );
        let labelled: Vec<GroupLevels> = rows
            .into_iter()
            .map(|(k, l)| GroupLevels {
                key: k.clone(),
                label: k,
                figures: LevelFigures::new(&l, &targets),
                levels: l,
            })
            .collect();
        let t = table(Group::Technician, &labelled, &targets);
        let at = t
            .columns
            .iter()
            .position(|c| c == "时间存疑 flagged jobs")
            .unwrap();
        assert_eq!(t.columns.len(), at + 4);
        assert_eq!(
            t.rows[0][at..],
            [Cell::Int(1), Cell::Int(1), Cell::Int(0), Cell::Int(1)]
        );
        assert_eq!(
            t.rows[1][at..],
            [Cell::Int(0), Cell::Int(0), Cell::Int(0), Cell::Int(0)]
        );
    }
}
