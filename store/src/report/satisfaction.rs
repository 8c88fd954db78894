//! Satisfaction (客户满意度): the sums a backend counts, and the report built from them.
//!
//! The backend only sums answers (per group, per item); everything computed from the
//! sums — the weighted overall figure, the previous period, the trend — is done here, so
//! that every backend answers the same report.

use onsite_domain::forms::{Satisfaction, item_labels, overall};

use super::{Cell, Dates, Period, Table, pct};
use crate::error::StoreError;
use crate::repo::{Accounts, Reports};

/// What a report groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    All,
    Technician,
    CustomerTier,
    ProductModel,
    Region,
    Month,
}

impl Group {
    pub fn parse(s: &str) -> Option<Group> {
        Some(match s {
            "none" => Group::All,
            "technician" => Group::Technician,
            "customer_tier" => Group::CustomerTier,
            "product_model" => Group::ProductModel,
            "region" => Group::Region,
            "month" => Group::Month,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Group::All => "全部 all",
            Group::Technician => "技术员 technician",
            Group::CustomerTier => "客户等级 customer tier",
            Group::ProductModel => "产品型号 product model",
            Group::Region => "区域 region",
            Group::Month => "月份 month",
        }
    }
}

/// Narrows the answers counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub technician: Option<String>,
    pub customer_tier: Option<String>,
    pub product_model: Option<String>,
    pub region: Option<String>,
}

/// Sums of one side: answered items, their points, and how many were ≥ basically satisfied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sums {
    pub answered: u64,
    pub points: i64,
    pub satisfied: u64,
}

impl std::ops::Add for Sums {
    type Output = Sums;

    fn add(self, o: Sums) -> Sums {
        Sums {
            answered: self.answered + o.answered,
            points: self.points + o.points,
            satisfied: self.satisfied + o.satisfied,
        }
    }
}

impl Sums {
    pub fn satisfaction(self) -> Option<Satisfaction> {
        Satisfaction::from_totals(self.answered, self.points, self.satisfied)
    }
}

/// The two sides of one group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub self_assessment: Sums,
    pub survey: Sums,
}

/// Degree and rate, in percent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    pub degree_pct: f64,
    pub rate_pct: f64,
}

impl Totals {
    pub fn all(&self) -> Option<Satisfaction> {
        (self.self_assessment + self.survey).satisfaction()
    }

    /// Self 40 % + survey 60 %; `None` unless both sides were answered, because a weighted
    /// mean with a missing side would silently become that of the other side.
    pub fn overall(&self) -> Option<Figures> {
        let s = self.self_assessment.satisfaction()?;
        let c = self.survey.satisfaction()?;
        Some(Figures {
            degree_pct: overall(s.degree_pct, c.degree_pct),
            rate_pct: overall(s.rate_pct, c.rate_pct),
        })
    }
}

/// One side's figures as the API answers them: `null` figures when nothing was answered.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct SideFigures {
    pub answered: u64,
    pub degree_pct: Option<f64>,
    pub rate_pct: Option<f64>,
}

impl From<Sums> for SideFigures {
    fn from(s: Sums) -> SideFigures {
        match s.satisfaction() {
            Some(x) => SideFigures {
                answered: x.answered,
                degree_pct: Some(pct(x.degree_pct)),
                rate_pct: Some(pct(x.rate_pct)),
            },
            None => SideFigures {
                answered: 0,
                degree_pct: None,
                rate_pct: None,
            },
        }
    }
}

/// Degree and rate, rounded for the API.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Percentages {
    pub degree_pct: f64,
    pub rate_pct: f64,
}

/// The figures of one group: each side, both together, and the weighted overall figure.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct TotalsFigures {
    #[serde(rename = "self")]
    pub self_assessment: SideFigures,
    pub survey: SideFigures,
    pub all: SideFigures,
    pub overall: Option<Percentages>,
}

impl From<&Totals> for TotalsFigures {
    fn from(t: &Totals) -> TotalsFigures {
        TotalsFigures {
            self_assessment: t.self_assessment.into(),
            survey: t.survey.into(),
            all: (t.self_assessment + t.survey).into(),
            overall: t.overall().map(|o| Percentages {
                degree_pct: pct(o.degree_pct),
                rate_pct: pct(o.rate_pct),
            }),
        }
    }
}

/// One template item's figures, both sides together.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ItemFigures {
    pub item: String,
    pub label_zh: Option<String>,
    pub label_en: Option<String>,
    pub answered: u64,
    pub degree_pct: Option<f64>,
    pub rate_pct: Option<f64>,
}

impl ItemFigures {
    pub fn new(item: &str, s: Sums) -> ItemFigures {
        let labels = item_labels(item);
        let x = s.satisfaction();
        ItemFigures {
            item: item.to_string(),
            label_zh: labels.map(|l| l.label_zh.to_string()),
            label_en: labels.map(|l| l.label_en.to_string()),
            answered: s.answered,
            degree_pct: x.map(|x| pct(x.degree_pct)),
            rate_pct: x.map(|x| pct(x.rate_pct)),
        }
    }
}

/// Percentage points gained since the previous period; `None` when either side is empty.
pub fn change(now: Option<f64>, before: Option<f64>) -> Option<f64> {
    Some(pct(now? - before?))
}

/// A group of the report: its key, what users see of it, and its figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct GroupFigures {
    pub key: String,
    pub label: String,
    #[serde(flatten)]
    pub figures: TotalsFigures,
    /// The sums behind the figures: the exports are computed from them, unrounded.
    #[serde(skip)]
    pub totals: Totals,
}

/// One month of the trend.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct MonthFigures {
    /// `2026-11`.
    pub month: String,
    #[serde(flatten)]
    pub figures: TotalsFigures,
    /// The sums behind the figures: the exports are computed from them, unrounded.
    #[serde(skip)]
    pub totals: Totals,
}

/// Points gained since the previous period.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ChangePoints {
    pub overall_degree: Option<f64>,
    pub overall_rate: Option<f64>,
    pub degree: Option<f64>,
    pub rate: Option<f64>,
}

/// The period before the report's, for comparison.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct PreviousFigures {
    pub period: Dates,
    pub total: TotalsFigures,
    pub change_points: ChangePoints,
}

/// `GET /v1/reports/satisfaction`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct SatisfactionReport {
    pub period: Dates,
    pub group_by: String,
    pub total: TotalsFigures,
    pub groups: Vec<GroupFigures>,
    pub items: Vec<ItemFigures>,
    pub lowest_items: Vec<ItemFigures>,
    pub previous: Option<PreviousFigures>,
    pub trend: Vec<MonthFigures>,
    /// What the groups are by, for the export's first column.
    #[serde(skip)]
    pub group: Group,
    /// The sums behind the figures: the exports are computed from them, unrounded.
    #[serde(skip)]
    pub total_sums: Totals,
    #[serde(skip)]
    pub item_sums: Vec<(String, Sums)>,
}

/// What a satisfaction report is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SatisfactionQuery {
    pub period: Period,
    pub group: Group,
    pub filter: Filter,
    /// Months of the trend, ending with the period's last month.
    pub trend_months: u32,
    /// How many of the lowest items to repeat apart.
    pub lowest: usize,
}

/// What a technician group is called in a report: the account's display name when it has one.
pub fn technician_label(
    unit: &mut (impl Accounts + ?Sized),
    id: &str,
) -> Result<String, StoreError> {
    if id.is_empty() {
        return Ok("未分配 unassigned".into());
    }
    Ok(unit
        .account(id)?
        .map_or_else(|| id.to_string(), |a| a.display_name))
}

/// Totals of the whole period.
pub fn whole(
    unit: &mut (impl Reports + ?Sized),
    period: &Period,
    filter: &Filter,
) -> Result<Totals, StoreError> {
    Ok(unit
        .satisfaction_totals(period, Group::All, filter)?
        .into_iter()
        .next()
        .map(|(_, t)| t)
        .unwrap_or_default())
}

impl SatisfactionReport {
    /// Sums the answers through `unit` and computes the report.
    pub fn build(
        unit: &mut (impl Reports + Accounts + ?Sized),
        q: &SatisfactionQuery,
    ) -> Result<SatisfactionReport, StoreError> {
        let period = q.period;
        let total = whole(unit, &period, &q.filter)?;
        let previous = period.previous();
        let previous_total = previous
            .map(|prev| whole(unit, &prev, &q.filter))
            .transpose()?;
        let mut groups = Vec::new();
        for (key, t) in unit.satisfaction_totals(&period, q.group, &q.filter)? {
            let label = if q.group == Group::Technician {
                technician_label(unit, &key)?
            } else {
                key.clone()
            };
            groups.push(GroupFigures {
                key,
                label,
                figures: (&t).into(),
                totals: t,
            });
        }
        let item_sums = unit.satisfaction_items(&period, &q.filter)?;
        let items: Vec<ItemFigures> = item_sums
            .iter()
            .map(|(i, s)| ItemFigures::new(i, *s))
            .collect();
        let mut trend = Vec::new();
        for m in period.trailing_months(q.trend_months) {
            let t = whole(unit, &m, &q.filter)?;
            trend.push(MonthFigures {
                month: m.from.format("%Y-%m").to_string(),
                figures: (&t).into(),
                totals: t,
            });
        }
        let overall = total.overall();
        let all = total.all();
        let previous = match (previous, previous_total) {
            (Some(prev), Some(pt)) => {
                let prev_overall = pt.overall();
                let prev_all = pt.all();
                Some(PreviousFigures {
                    period: prev.into(),
                    total: (&pt).into(),
                    change_points: ChangePoints {
                        overall_degree: change(
                            overall.map(|o| o.degree_pct),
                            prev_overall.map(|o| o.degree_pct),
                        ),
                        overall_rate: change(
                            overall.map(|o| o.rate_pct),
                            prev_overall.map(|o| o.rate_pct),
                        ),
                        degree: change(all.map(|s| s.degree_pct), prev_all.map(|s| s.degree_pct)),
                        rate: change(all.map(|s| s.rate_pct), prev_all.map(|s| s.rate_pct)),
                    },
                })
            }
            _ => None,
        };
        Ok(SatisfactionReport {
            period: period.into(),
            group_by: q.group.label().to_string(),
            total: (&total).into(),
            groups,
            lowest_items: items.iter().take(q.lowest).cloned().collect(),
            items,
            previous,
            trend,
            group: q.group,
            total_sums: total,
            item_sums,
        })
    }

    /// Groups (with a total row last) as a table for export.
    pub fn groups_table(&self) -> Table {
        let group = self.group;
        let mut columns = vec![group.label().to_string()];
        columns.extend(COLUMNS.iter().map(|c| c.to_string()));
        let mut rows: Vec<Vec<Cell>> = self
            .groups
            .iter()
            .map(|g| {
                let mut row = vec![Cell::Text(g.label.clone())];
                row.extend(figures_cells(&g.totals));
                row
            })
            .collect();
        let mut total_row = vec![Cell::from("合计 total")];
        total_row.extend(figures_cells(&self.total_sums));
        rows.push(total_row);
        Table {
            title: "满意度 satisfaction".into(),
            columns,
            rows,
        }
    }

    pub fn items_table(&self) -> Table {
        items_table(&self.item_sums)
    }

    pub fn trend_table(&self) -> Table {
        let mut columns = vec!["月份 month".to_string()];
        columns.extend(COLUMNS.iter().map(|c| c.to_string()));
        Table {
            title: "满意度趋势 trend".into(),
            columns,
            rows: self
                .trend
                .iter()
                .map(|m| {
                    let mut row = vec![Cell::Text(m.month.clone())];
                    row.extend(figures_cells(&m.totals));
                    row
                })
                .collect(),
        }
    }
}

const COLUMNS: [&str; 10] = [
    "自评答题数 self answered",
    "自评满意度 self degree %",
    "自评满意率 self rate %",
    "调查答题数 survey answered",
    "调查满意度 survey degree %",
    "调查满意率 survey rate %",
    "总体满意度 overall degree %",
    "总体满意率 overall rate %",
    "满意度 degree % (all answers)",
    "满意率 rate % (all answers)",
];

fn figures_cells(t: &Totals) -> Vec<Cell> {
    let s = t.self_assessment.satisfaction();
    let c = t.survey.satisfaction();
    let a = t.all();
    let o = t.overall();
    vec![
        Cell::Int(t.self_assessment.answered as i64),
        s.map(|x| x.degree_pct).into(),
        s.map(|x| x.rate_pct).into(),
        Cell::Int(t.survey.answered as i64),
        c.map(|x| x.degree_pct).into(),
        c.map(|x| x.rate_pct).into(),
        o.map(|x| x.degree_pct).into(),
        o.map(|x| x.rate_pct).into(),
        a.map(|x| x.degree_pct).into(),
        a.map(|x| x.rate_pct).into(),
    ]
}

pub fn items_table(items: &[(String, Sums)]) -> Table {
    Table {
        title: "满意度分项 items".into(),
        columns: [
            "项目 item",
            "名称 label",
            "Label",
            "答题数 answered",
            "满意度 degree %",
            "满意率 rate %",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect(),
        rows: items
            .iter()
            .map(|(item, s)| {
                let labels = item_labels(item);
                let x = s.satisfaction();
                vec![
                    Cell::Text(item.clone()),
                    labels.map(|l| l.label_zh.to_string()).into(),
                    labels.map(|l| l.label_en.to_string()).into(),
                    Cell::Int(s.answered as i64),
                    x.map(|x| x.degree_pct).into(),
                    x.map(|x| x.rate_pct).into(),
                ]
            })
            .collect(),
    }
}
