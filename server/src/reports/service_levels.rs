//! Service levels (SLA): for each clock, the share of jobs that met its target.
//!
//! The durations are measured per job by `onsite_domain::service::clocks` from the device
//! timestamps of the events and stored in the `jobs` query table; this module only counts
//! them against the targets of the request, in SQL. A job belongs to the period it was
//! reported in. A job whose clock has not stopped yet is not counted for that clock.

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

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Levels {
    pub jobs: u64,
    pub response: Met,
    pub arrival: Met,
    pub diagnosis: Met,
    pub handling: Met,
    /// The handling target is on the average; the per-job share is given too.
    pub handling_avg_ms: Option<f64>,
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
                COUNT(handling_ms), COALESCE(SUM(handling_ms <= ?9), 0), AVG(handling_ms)
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
                row
            })
            .collect(),
    }
}
