//! Satisfaction (客户满意度), summed in SQL over `form_answers`, with the
//! formulas themselves taken from `onsite_domain::forms`.
//!
//! Which answers count: those of *submitted* forms whose submission falls in the period.
//! The self-assessment side is `respondent = 'self'`; the survey side is the customer's
//! voice, `survey` (on site) and `callback` (the phone survey) together.

use onsite_domain::forms::{Satisfaction, item_labels, overall};
use rusqlite::{Connection, params};
use serde_json::{Value, json};

use super::{Cell, Period, Table, pct};

/// What a report groups by. The SQL of each is fixed here, never built from input.
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

    fn sql(self) -> &'static str {
        match self {
            Group::All => "''",
            Group::Technician => "COALESCE(j.assignee, '')",
            Group::CustomerTier => "j.customer_tier",
            Group::ProductModel => "j.product_model",
            Group::Region => "j.customer_region",
            Group::Month => "strftime('%Y-%m', f.submitted_at / 1000, 'unixepoch')",
        }
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

/// Narrows the answers counted; every field is a bound parameter.
#[derive(Debug, Clone, Default)]
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

impl Sums {
    fn add(self, o: Sums) -> Sums {
        Sums {
            answered: self.answered + o.answered,
            points: self.points + o.points,
            satisfied: self.satisfied + o.satisfied,
        }
    }

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
        self.self_assessment.add(self.survey).satisfaction()
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

const ANSWERS: &str = "
    FROM form_answers a
    JOIN job_forms f ON f.doc_id = a.doc_id AND f.form_id = a.form_id
    JOIN jobs j ON j.doc_id = a.doc_id
   WHERE f.submitted_at IS NOT NULL AND f.submitted_at >= ?1 AND f.submitted_at < ?2
     AND f.respondent IN ('self', 'survey', 'callback')
     AND (?3 IS NULL OR j.assignee = ?3) AND (?4 IS NULL OR j.customer_tier = ?4)
     AND (?5 IS NULL OR j.product_model = ?5) AND (?6 IS NULL OR j.customer_region = ?6)";

pub(super) fn sums(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Sums> {
    Ok(Sums {
        answered: r.get::<_, i64>(at)? as u64,
        points: r.get(at + 1)?,
        satisfied: r.get::<_, i64>(at + 2)? as u64,
    })
}

/// Totals per group key, in key order.
pub fn by_group(
    conn: &Connection,
    period: &Period,
    group: Group,
    filter: &Filter,
) -> rusqlite::Result<Vec<(String, Totals)>> {
    let sql = format!(
        "SELECT {key} AS k, f.respondent = 'self' AS is_self,
                COUNT(*), SUM(a.points), SUM(a.points >= 6)
         {ANSWERS}
         GROUP BY k, is_self ORDER BY k",
        key = group.sql()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![
            period.start_ms(),
            period.end_ms(),
            filter.technician,
            filter.customer_tier,
            filter.product_model,
            filter.region
        ],
        |r| {
            Ok((
                r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                r.get::<_, bool>(1)?,
                sums(r, 2)?,
            ))
        },
    )?;
    let mut out: Vec<(String, Totals)> = Vec::new();
    for row in rows {
        let (key, is_self, s) = row?;
        if out.last().is_none_or(|(k, _)| *k != key) {
            out.push((key, Totals::default()));
        }
        if let Some((_, t)) = out.last_mut() {
            if is_self {
                t.self_assessment = s;
            } else {
                t.survey = s;
            }
        }
    }
    Ok(out)
}

/// Totals of the whole period.
pub fn totals(conn: &Connection, period: &Period, filter: &Filter) -> rusqlite::Result<Totals> {
    Ok(by_group(conn, period, Group::All, filter)?
        .into_iter()
        .next()
        .map(|(_, t)| t)
        .unwrap_or_default())
}

/// Per template item, both sides together, lowest degree first.
pub fn by_item(
    conn: &Connection,
    period: &Period,
    filter: &Filter,
) -> rusqlite::Result<Vec<(String, Sums)>> {
    let sql = format!(
        "SELECT a.item_id, COUNT(*), SUM(a.points), SUM(a.points >= 6)
         {ANSWERS}
         GROUP BY a.item_id
         ORDER BY CAST(SUM(a.points) AS REAL) / COUNT(*), a.item_id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![
            period.start_ms(),
            period.end_ms(),
            filter.technician,
            filter.customer_tier,
            filter.product_model,
            filter.region
        ],
        |r| Ok((r.get::<_, String>(0)?, sums(r, 1)?)),
    )?;
    rows.collect()
}

pub(super) fn side_json(s: Sums) -> Value {
    match s.satisfaction() {
        Some(x) => json!({
            "answered": x.answered,
            "degree_pct": pct(x.degree_pct),
            "rate_pct": pct(x.rate_pct),
        }),
        None => json!({ "answered": 0, "degree_pct": null, "rate_pct": null }),
    }
}

pub fn totals_json(t: &Totals) -> Value {
    let all = t.self_assessment.add(t.survey);
    json!({
        "self": side_json(t.self_assessment),
        "survey": side_json(t.survey),
        "all": side_json(all),
        "overall": t.overall().map(|o| json!({
            "degree_pct": pct(o.degree_pct),
            "rate_pct": pct(o.rate_pct),
        })),
    })
}

pub fn item_json(item: &str, s: Sums) -> Value {
    let labels = item_labels(item);
    let x = s.satisfaction();
    json!({
        "item": item,
        "label_zh": labels.map(|l| l.label_zh),
        "label_en": labels.map(|l| l.label_en),
        "answered": s.answered,
        "degree_pct": x.map(|x| pct(x.degree_pct)),
        "rate_pct": x.map(|x| pct(x.rate_pct)),
    })
}

/// Percentage points gained since the previous period; `None` when either side is empty.
pub fn change(now: Option<f64>, before: Option<f64>) -> Option<f64> {
    Some(pct(now? - before?))
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

/// Groups (with a total row last) as a table for export.
pub fn groups_table(group: Group, groups: &[(String, String, Totals)], total: &Totals) -> Table {
    let mut columns = vec![group.label().to_string()];
    columns.extend(COLUMNS.iter().map(|c| c.to_string()));
    let mut rows: Vec<Vec<Cell>> = groups
        .iter()
        .map(|(_, label, t)| {
            let mut row = vec![Cell::Text(label.clone())];
            row.extend(figures_cells(t));
            row
        })
        .collect();
    let mut total_row = vec![Cell::from("合计 total")];
    total_row.extend(figures_cells(total));
    rows.push(total_row);
    Table {
        title: "满意度 satisfaction".into(),
        columns,
        rows,
    }
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

pub fn trend_table(trend: &[(Period, Totals)]) -> Table {
    let mut columns = vec!["月份 month".to_string()];
    columns.extend(COLUMNS.iter().map(|c| c.to_string()));
    Table {
        title: "满意度趋势 trend".into(),
        columns,
        rows: trend
            .iter()
            .map(|(p, t)| {
                let mut row = vec![Cell::Text(p.from.format("%Y-%m").to_string())];
                row.extend(figures_cells(t));
                row
            })
            .collect(),
    }
}
