//! Routine surveys (定期满意度调查): rounds per customer tier, the forms customers return,
//! and the round's report with the validity and comparison rules
//! (`onsite_domain::survey`), summed in SQL.

use std::collections::BTreeMap;

use onsite_domain::survey::{
    MIN_COMPETITOR_FORMS, MIN_VALID_FORMS, Round, is_comparable, is_valid,
};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use super::satisfaction::{Sums, item_json, side_json, sums};
use super::{Cell, Table, pct};

/// A round as stored.
#[derive(Debug, Clone)]
pub struct Survey {
    pub id: String,
    pub tier: String,
    pub round: Round,
    pub template_id: String,
    pub template_version: i64,
    pub title: String,
    pub created_at: i64,
    pub created_by: String,
}

impl Survey {
    pub fn json(&self) -> Value {
        let (first, last) = self.round.months();
        json!({
            "id": self.id,
            "tier": self.tier,
            "round": self.round.to_string(),
            "months": { "from": format!("{}-{first:02}", self.round.year),
                        "to": format!("{}-{last:02}", self.round.year) },
            "template_id": self.template_id,
            "template_version": self.template_version,
            "title": self.title,
            "created_at": self.created_at,
            "created_by": self.created_by,
        })
    }
}

const SELECT: &str = "SELECT id, tier, round, template_id, template_version, title, created_at,
                             created_by FROM routine_surveys";

fn survey_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Survey> {
    let round: String = r.get(2)?;
    // Only parsed rounds are ever stored.
    let round = Round::parse(&round).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, e.into())
    })?;
    Ok(Survey {
        id: r.get(0)?,
        tier: r.get(1)?,
        round,
        template_id: r.get(3)?,
        template_version: r.get(4)?,
        title: r.get(5)?,
        created_at: r.get(6)?,
        created_by: r.get(7)?,
    })
}

pub fn get(conn: &Connection, id: &str) -> rusqlite::Result<Option<Survey>> {
    conn.prepare_cached(&format!("{SELECT} WHERE id = ?1"))?
        .query_row([id], survey_row)
        .optional()
}

fn find(conn: &Connection, tier: &str, round: &Round) -> rusqlite::Result<Option<Survey>> {
    conn.prepare_cached(&format!("{SELECT} WHERE tier = ?1 AND round = ?2"))?
        .query_row(params![tier, round.to_string()], survey_row)
        .optional()
}

#[derive(Debug)]
pub enum CreateError {
    Exists(String),
    Db(rusqlite::Error),
}

impl From<rusqlite::Error> for CreateError {
    fn from(e: rusqlite::Error) -> Self {
        CreateError::Db(e)
    }
}

pub fn create(conn: &Connection, s: &Survey) -> Result<(), CreateError> {
    if let Some(existing) = find(conn, &s.tier, &s.round)? {
        return Err(CreateError::Exists(existing.id));
    }
    conn.execute(
        "INSERT INTO routine_surveys (id, tier, round, template_id, template_version, title,
                                      created_at, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            s.id,
            s.tier,
            s.round.to_string(),
            s.template_id,
            s.template_version,
            s.title,
            s.created_at,
            s.created_by
        ],
    )?;
    Ok(())
}

/// A returned form.
#[derive(Debug, Clone)]
pub struct Response {
    pub id: String,
    pub survey_id: String,
    pub customer: String,
    /// `None`: about us; else the competitor the form is about.
    pub competitor: Option<String>,
    pub respondent: String,
    /// Item id → (points, comment).
    pub answers: BTreeMap<String, (i64, String)>,
    pub suggestion: String,
    pub recorded_at: i64,
    pub by_user: String,
}

#[derive(Debug)]
pub enum RecordError {
    /// The customer already returned a form about this subject in this round.
    Duplicate,
    Db(rusqlite::Error),
}

impl From<rusqlite::Error> for RecordError {
    fn from(e: rusqlite::Error) -> Self {
        RecordError::Db(e)
    }
}

/// Stores a form and its answers in one transaction.
pub fn record(conn: &mut Connection, r: &Response) -> Result<(), RecordError> {
    let tx = conn.transaction()?;
    let subject = r.competitor.as_deref().unwrap_or("");
    let taken: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM routine_responses
                         WHERE survey_id = ?1 AND subject = ?2 AND customer = ?3)",
        params![r.survey_id, subject, r.customer],
        |row| row.get(0),
    )?;
    if taken {
        return Err(RecordError::Duplicate);
    }
    tx.execute(
        "INSERT INTO routine_responses (id, survey_id, customer, subject, respondent, suggestion,
                                        recorded_at, by_user)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            r.id,
            r.survey_id,
            r.customer,
            subject,
            r.respondent,
            r.suggestion,
            r.recorded_at,
            r.by_user
        ],
    )?;
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO routine_answers (response_id, item_id, points, comment)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (item, (points, comment)) in &r.answers {
            stmt.execute(params![r.id, item, points, comment])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Forms and answer sums of one subject of a round.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubjectTotals {
    pub forms: u64,
    pub sums: Sums,
}

/// Per subject ('' = us), in subject order.
fn by_subject(
    conn: &Connection,
    survey_id: &str,
) -> rusqlite::Result<Vec<(String, SubjectTotals)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.subject, COUNT(DISTINCT r.id), COUNT(a.item_id), COALESCE(SUM(a.points), 0),
                COALESCE(SUM(a.points >= 6), 0)
           FROM routine_responses r LEFT JOIN routine_answers a ON a.response_id = r.id
          WHERE r.survey_id = ?1
          GROUP BY r.subject ORDER BY r.subject",
    )?;
    let rows = stmt.query_map([survey_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            SubjectTotals {
                forms: r.get::<_, i64>(1)? as u64,
                sums: sums(r, 2)?,
            },
        ))
    })?;
    rows.collect()
}

/// Our items, lowest degree first.
fn our_items(conn: &Connection, survey_id: &str) -> rusqlite::Result<Vec<(String, Sums)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.item_id, COUNT(*), SUM(a.points), SUM(a.points >= 6)
           FROM routine_answers a JOIN routine_responses r ON r.id = a.response_id
          WHERE r.survey_id = ?1 AND r.subject = ''
          GROUP BY a.item_id
          ORDER BY CAST(SUM(a.points) AS REAL) / COUNT(*), a.item_id",
    )?;
    let rows = stmt.query_map([survey_id], |r| Ok((r.get::<_, String>(0)?, sums(r, 1)?)))?;
    rows.collect()
}

/// The report of a round: returned forms, validity, our figures and items, the comparison
/// with each competitor that has enough forms, and with the tier's previous round.
pub fn report(conn: &Connection, survey: &Survey) -> rusqlite::Result<Value> {
    let subjects = by_subject(conn, &survey.id)?;
    let ours = subjects
        .iter()
        .find(|(s, _)| s.is_empty())
        .map(|(_, t)| *t)
        .unwrap_or_default();
    let valid = is_valid(ours.forms);
    let competitors: Vec<Value> = subjects
        .iter()
        .filter(|(s, _)| !s.is_empty())
        .map(|(name, t)| {
            let comparable = is_comparable(t.forms);
            let figures = t.sums.satisfaction().filter(|_| comparable);
            let ours = ours.sums.satisfaction();
            json!({
                "competitor": name,
                "forms": t.forms,
                "comparable": comparable,
                "degree_pct": figures.map(|f| pct(f.degree_pct)),
                "rate_pct": figures.map(|f| pct(f.rate_pct)),
                // Ours minus theirs, in percentage points.
                "degree_gap_pts": figures.zip(ours).map(|(f, o)| pct(o.degree_pct - f.degree_pct)),
                "rate_gap_pts": figures.zip(ours).map(|(f, o)| pct(o.rate_pct - f.rate_pct)),
                "note": if comparable { Value::Null } else {
                    json!(format!("{} of the {MIN_COMPETITOR_FORMS} forms a comparison needs", t.forms))
                },
            })
        })
        .collect();
    let items: Vec<Value> = our_items(conn, &survey.id)?
        .into_iter()
        .map(|(item, s)| item_json(&item, s))
        .collect();
    let previous = match find(conn, &survey.tier, &survey.round.previous())? {
        Some(p) => {
            let theirs = by_subject(conn, &p.id)?
                .into_iter()
                .find(|(s, _)| s.is_empty())
                .map(|(_, t)| t)
                .unwrap_or_default();
            let change = ours
                .sums
                .satisfaction()
                .zip(theirs.sums.satisfaction())
                .map(|(now, then)| {
                    json!({
                        "degree_pts": pct(now.degree_pct - then.degree_pct),
                        "rate_pts": pct(now.rate_pct - then.rate_pct),
                    })
                });
            json!({
                "id": p.id,
                "round": p.round.to_string(),
                "returned_forms": theirs.forms,
                "valid": is_valid(theirs.forms),
                "ours": side_json(theirs.sums),
                "change": change,
            })
        }
        None => Value::Null,
    };
    Ok(json!({
        "survey": survey.json(),
        "returned_forms": ours.forms,
        "min_forms": MIN_VALID_FORMS,
        "valid": valid,
        "validity": if valid {
            "valid: enough returned forms".to_string()
        } else {
            format!(
                "not valid: {} of the {MIN_VALID_FORMS} returned forms a routine survey needs",
                ours.forms
            )
        },
        "ours": side_json(ours.sums),
        "items": items,
        "competitors": competitors,
        "previous": previous,
    }))
}

/// Every round, newest first, with its returned forms and validity, in one query.
pub fn list(conn: &Connection, tier: Option<&str>) -> rusqlite::Result<Vec<Value>> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, s.tier, s.round, s.template_id, s.template_version, s.title, s.created_at,
                s.created_by, COUNT(DISTINCT r.id), COUNT(a.item_id),
                COALESCE(SUM(a.points), 0), COALESCE(SUM(a.points >= 6), 0)
           FROM routine_surveys s
           LEFT JOIN routine_responses r ON r.survey_id = s.id AND r.subject = ''
           LEFT JOIN routine_answers a ON a.response_id = r.id
          WHERE (?1 IS NULL OR s.tier = ?1)
          GROUP BY s.id
          ORDER BY s.round DESC, s.tier",
    )?;
    let rows = stmt.query_map([tier], |r| {
        let forms = r.get::<_, i64>(8)? as u64;
        let mut v = survey_row(r)?.json();
        v["returned_forms"] = json!(forms);
        v["valid"] = json!(is_valid(forms));
        v["ours"] = side_json(sums(r, 9)?);
        Ok(v)
    })?;
    rows.collect()
}

/// The list as a sheet.
pub fn list_table(rows: &[Value]) -> Table {
    let text = |v: &Value| Cell::Text(v.as_str().map(str::to_string).unwrap_or_default());
    let num = |v: &Value| v.as_f64().map_or(Cell::Empty, Cell::Num);
    Table {
        title: "定期调查 routine surveys".into(),
        columns: [
            "轮次 round",
            "客户等级 tier",
            "标题 title",
            "回收问卷 returned forms",
            "有效 valid",
            "满意度 degree %",
            "满意率 rate %",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    text(&r["round"]),
                    text(&r["tier"]),
                    text(&r["title"]),
                    Cell::Int(r["returned_forms"].as_i64().unwrap_or_default()),
                    Cell::Text(
                        if r["valid"].as_bool() == Some(true) {
                            "是 yes"
                        } else {
                            "否 no"
                        }
                        .into(),
                    ),
                    num(&r["ours"]["degree_pct"]),
                    num(&r["ours"]["rate_pct"]),
                ]
            })
            .collect(),
    }
}

/// A round's report as a sheet: ours, then each competitor, then our items.
pub fn report_table(report: &Value) -> Table {
    let num = |v: &Value| v.as_f64().map_or(Cell::Empty, Cell::Num);
    let mut rows = vec![vec![
        Cell::Text("本公司 us".into()),
        Cell::Int(report["returned_forms"].as_i64().unwrap_or_default()),
        num(&report["ours"]["degree_pct"]),
        num(&report["ours"]["rate_pct"]),
        Cell::Text(report["validity"].as_str().unwrap_or_default().into()),
    ]];
    for c in report["competitors"].as_array().into_iter().flatten() {
        rows.push(vec![
            Cell::Text(format!(
                "竞争对手 {}",
                c["competitor"].as_str().unwrap_or_default()
            )),
            Cell::Int(c["forms"].as_i64().unwrap_or_default()),
            num(&c["degree_pct"]),
            num(&c["rate_pct"]),
            Cell::Text(c["note"].as_str().unwrap_or("可比 comparable").into()),
        ]);
    }
    for i in report["items"].as_array().into_iter().flatten() {
        rows.push(vec![
            Cell::Text(format!(
                "项目 {} {}",
                i["label_zh"].as_str().unwrap_or_default(),
                i["item"].as_str().unwrap_or_default()
            )),
            Cell::Int(i["answered"].as_i64().unwrap_or_default()),
            num(&i["degree_pct"]),
            num(&i["rate_pct"]),
            Cell::Empty,
        ]);
    }
    Table {
        title: "定期调查报告 routine survey".into(),
        columns: [
            "对象 subject",
            "问卷/回答 forms/answers",
            "满意度 degree %",
            "满意率 rate %",
            "说明 note",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect(),
        rows,
    }
}
