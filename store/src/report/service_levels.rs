//! Service levels (SLA): for each clock, the share of jobs that met its target, and the
//! jobs whose clocks rest on a device time the server doubts.

use onsite_domain::service::Targets;

use super::{Cell, Dates, Period, Table, pct};
use crate::error::StoreError;
use crate::repo::{Accounts, Reports};

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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
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

/// What a service-level report is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelsQuery {
    pub period: Period,
    pub group: Group,
    pub technician: Option<String>,
    pub complaint: Option<bool>,
    pub targets: Targets,
}

/// One clock's figures as the API answers them.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct MetFigures {
    pub measured: u64,
    pub met: u64,
    pub share_pct: Option<f64>,
}

impl From<Met> for MetFigures {
    fn from(m: Met) -> MetFigures {
        MetFigures {
            measured: m.measured,
            met: m.met,
            share_pct: m.share_pct().map(pct),
        }
    }
}

/// The handling clock: per job, and its average against the target.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct HandlingFigures {
    pub measured: u64,
    pub met: u64,
    pub share_pct: Option<f64>,
    pub average_minutes: Option<f64>,
    pub average_met: Option<bool>,
}

/// The levels of one group, as the API answers them.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct LevelFigures {
    pub jobs: u64,
    pub response: MetFigures,
    pub arrival: MetFigures,
    pub diagnosis: MetFigures,
    pub handling: HandlingFigures,
    pub time_flags: FlagCounts,
}

impl LevelFigures {
    pub fn new(l: &Levels, targets: &Targets) -> LevelFigures {
        LevelFigures {
            jobs: l.jobs,
            response: l.response.into(),
            arrival: l.arrival.into(),
            diagnosis: l.diagnosis.into(),
            handling: HandlingFigures {
                measured: l.handling.measured,
                met: l.handling.met,
                share_pct: l.handling.share_pct().map(pct),
                average_minutes: l.handling_avg_ms.map(|ms| pct(ms / 60_000.0)),
                average_met: l.handling_avg_met(targets),
            },
            time_flags: l.time_flags,
        }
    }
}

/// The targets a report was counted against, in hours (minutes for handling).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct TargetFigures {
    pub response_hours: f64,
    pub arrival_near_hours: f64,
    pub arrival_far_hours: f64,
    pub diagnosis_hours: f64,
    pub handling_average_minutes: f64,
}

impl From<&Targets> for TargetFigures {
    fn from(t: &Targets) -> TargetFigures {
        let h = |ms: i64| ms as f64 / 3_600_000.0;
        TargetFigures {
            response_hours: h(t.response_ms),
            arrival_near_hours: h(t.arrival_near_ms),
            arrival_far_hours: h(t.arrival_far_ms),
            diagnosis_hours: h(t.diagnosis_ms),
            handling_average_minutes: t.handling_avg_ms as f64 / 60_000.0,
        }
    }
}

/// A group of the report.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct GroupLevels {
    pub key: String,
    pub label: String,
    #[serde(flatten)]
    pub figures: LevelFigures,
    /// The sums behind the figures: the exports are computed from them, unrounded.
    #[serde(skip)]
    pub levels: Levels,
}

/// `GET /v1/reports/service-levels`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ServiceLevelsReport {
    pub period: Dates,
    pub targets: TargetFigures,
    pub total: LevelFigures,
    pub groups: Vec<GroupLevels>,
    /// What the groups are by, for the export's first column.
    #[serde(skip)]
    pub group: Group,
    /// The targets themselves, for the export's "average met" column.
    #[serde(skip)]
    pub targets_used: Targets,
}

impl ServiceLevelsReport {
    /// Counts the jobs through `unit` and computes the report.
    pub fn build(
        unit: &mut (impl Reports + Accounts + ?Sized),
        q: &LevelsQuery,
    ) -> Result<ServiceLevelsReport, StoreError> {
        let mut groups = Vec::new();
        for (key, levels) in unit.service_levels(q, q.group)? {
            let label = if q.group == Group::Technician {
                super::satisfaction::technician_label(unit, &key)?
            } else {
                key.clone()
            };
            groups.push(GroupLevels {
                key,
                label,
                figures: LevelFigures::new(&levels, &q.targets),
                levels,
            });
        }
        // The whole period, for the total of the time flags above all.
        let total = match q.group {
            Group::All => groups.first().map(|g| g.levels.clone()),
            _ => unit
                .service_levels(q, Group::All)?
                .into_iter()
                .next()
                .map(|(_, l)| l),
        }
        .unwrap_or_default();
        Ok(ServiceLevelsReport {
            period: q.period.into(),
            targets: (&q.targets).into(),
            total: LevelFigures::new(&total, &q.targets),
            groups,
            group: q.group,
            targets_used: q.targets,
        })
    }

    pub fn table(&self) -> Table {
        table(self.group, &self.groups, &self.targets_used)
    }
}

pub fn table(group: Group, rows: &[GroupLevels], targets: &Targets) -> Table {
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
            .map(|g| {
                let l = &g.levels;
                let mut row = vec![Cell::Text(g.label.clone()), Cell::Int(l.jobs as i64)];
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
