//! Service levels (SLA): for each clock, the share of jobs that met its target.
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
use serde_json::{Value, json};

use super::{Cell, Period, Table, pct};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    All,
    Technician,
    Month,
}

impl Group {
    pub fn parse(s: &str) -> Option<Group> {
        Some(match s {
            "none" => Group::All,
            "technician" => Group::Technician,
            "month" => Group::Month,
            _ => return None,
        })
    }

    fn sql(self) -> &'static str {
        match self {
            Group::All => "''",
            Group::Technician => "COALESCE(assignee, '')",
            Group::Month => "strftime('%Y-%m', reported_at / 1000, 'unixepoch')",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Group::All => "全部 all",
            Group::Technician => "技术员 technician",
            Group::Month => "月份 month",
        }
    }
}

/// Jobs measured and jobs on target, for one clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Met {
    pub measured: u64,
    pub met: u64,
}

impl Met {
    pub fn share_pct(self) -> Option<f64> {
        (self.measured > 0).then(|| self.met as f64 / self.measured as f64 * 100.0)
    }
}

/// Jobs with at least one flagged event among those their clocks use, per flag and in all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlagCounts {
    pub future: u64,
    pub before_creation: u64,
    pub clock_off: u64,
    /// Jobs with any flag.
    pub jobs: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Levels {
    pub jobs: u64,
    pub response: Met,
    pub arrival: Met,
    pub diagnosis: Met,
    pub handling: Met,
    /// The handling target is on the average; the per-job share is given too.
    pub handling_avg_ms: Option<f64>,
    pub time_flags: FlagCounts,
}

impl Levels {
    pub fn handling_avg_met(&self, targets: &Targets) -> Option<bool> {
        self.handling_avg_ms
            .map(|avg| avg <= targets.handling_avg_ms as f64)
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
        key = group.sql()
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

fn met_json(m: Met) -> Value {
    json!({
        "measured": m.measured,
        "met": m.met,
        "share_pct": m.share_pct().map(pct),
    })
}

pub fn flags_json(f: FlagCounts) -> Value {
    json!({
        "future": f.future,
        "before_creation": f.before_creation,
        "clock_off": f.clock_off,
        "jobs": f.jobs,
    })
}

pub fn levels_json(l: &Levels, targets: &Targets) -> Value {
    json!({
        "jobs": l.jobs,
        "response": met_json(l.response),
        "arrival": met_json(l.arrival),
        "diagnosis": met_json(l.diagnosis),
        "handling": {
            "measured": l.handling.measured,
            "met": l.handling.met,
            "share_pct": l.handling.share_pct().map(pct),
            "average_minutes": l.handling_avg_ms.map(|ms| pct(ms / 60_000.0)),
            "average_met": l.handling_avg_met(targets),
        },
        "time_flags": flags_json(l.time_flags),
    })
}

pub fn targets_json(t: &Targets) -> Value {
    let h = |ms: i64| ms as f64 / 3_600_000.0;
    json!({
        "response_hours": h(t.response_ms),
        "arrival_near_hours": h(t.arrival_near_ms),
        "arrival_far_hours": h(t.arrival_far_ms),
        "diagnosis_hours": h(t.diagnosis_ms),
        "handling_average_minutes": t.handling_avg_ms as f64 / 60_000.0,
    })
}

pub fn table(group: Group, rows: &[(String, String, Levels)], targets: &Targets) -> Table {
    let mut columns = vec![group.label().to_string(), "工单数 jobs".to_string()];
    for (zh, en) in [
        ("响应", "response"),
        ("到达", "arrival"),
        ("诊断", "diagnosis"),
        ("处理", "handling"),
    ] {
        columns.push(format!("{zh}计数 {en} measured"));
        columns.push(format!("{zh}达标 {en} met"));
        columns.push(format!("{zh}达标率 {en} met %"));
    }
    columns.push("平均处理时间(分钟) average handling minutes".into());
    columns.push("平均处理达标 average handling met".into());
    for label in [
        "时间存疑 flagged jobs",
        "时间超前 future",
        "早于建单 before creation",
        "时钟偏差 clock off",
    ] {
        columns.push(label.into());
    }
    Table {
        title: "服务水平 service levels".into(),
        columns,
        rows: rows
            .iter()
            .map(|(_, label, l)| {
                let mut row = vec![Cell::Text(label.clone()), Cell::Int(l.jobs as i64)];
                for m in [l.response, l.arrival, l.diagnosis, l.handling] {
                    row.push(Cell::Int(m.measured as i64));
                    row.push(Cell::Int(m.met as i64));
                    row.push(m.share_pct().into());
                }
                row.push(l.handling_avg_ms.map(|ms| ms / 60_000.0).into());
                row.push(match l.handling_avg_met(targets) {
                    Some(true) => "是 yes".into(),
                    Some(false) => "否 no".into(),
                    None => Cell::Empty,
                });
                let f = l.time_flags;
                for n in [f.jobs, f.future, f.before_creation, f.clock_off] {
                    row.push(Cell::Int(n as i64));
                }
                row
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

    use onsite_domain::{Event, EventKind, Job};
    use onsite_sync::server::Received;

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
        let json = levels_json(li, &targets);
        assert_eq!(
            json["time_flags"],
            json!({"future": 1, "before_creation": 0, "clock_off": 1, "jobs": 1})
        );
        let labelled: Vec<(String, String, Levels)> =
            rows.into_iter().map(|(k, l)| (k.clone(), k, l)).collect();
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
