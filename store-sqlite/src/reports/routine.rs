//! Routine surveys (定期满意度调查): rounds per customer tier, the forms customers return,
//! and the round's report with the validity and comparison rules
//! (`onsite_domain::survey`), summed in SQL.

use onsite_domain::survey::Round;
use rusqlite::{Connection, OptionalExtension, params};

pub use onsite_store::report::routine::{Response, SubjectTotals, Survey, SurveyTotals};

use super::satisfaction::{Sums, sums};

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

pub fn find(conn: &Connection, tier: &str, round: &Round) -> rusqlite::Result<Option<Survey>> {
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
    let tx = conn.savepoint()?;
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

/// Per subject ('' = us), in subject order.
pub fn by_subject(
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
pub fn our_items(conn: &Connection, survey_id: &str) -> rusqlite::Result<Vec<(String, Sums)>> {
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

/// Every round, newest first, with its returned forms and validity, in one query.
pub fn list(conn: &Connection, tier: Option<&str>) -> rusqlite::Result<Vec<SurveyTotals>> {
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
        Ok(SurveyTotals {
            survey: survey_row(r)?,
            ours: SubjectTotals {
                forms: r.get::<_, i64>(8)? as u64,
                sums: sums(r, 9)?,
            },
        })
    })?;
    rows.collect()
}
