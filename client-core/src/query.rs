//! Reading the device's jobs: lists and searches from the `jobs` query table (never from
//! documents), one job whole from its document, the outbox size and the conflict log.
//!
//! The query table is written here too ([`write_job_row`]), always in the transaction
//! that stores the document, so it never disagrees with the documents.

use onsite_domain::{Job, ReviewState, Status, derive_review, derive_status};
use rusqlite::types::Value;
use rusqlite::{Connection, params};

use crate::error::{Error, Result};
use crate::store::Store;

/// Which jobs to list. Every field is optional; the default lists the first 100 jobs,
/// most recently reported first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    /// A status as [`Status::as_str`] gives it, e.g. `on_site`.
    pub status: Option<String>,
    /// `not_submitted`, `pending`, `approved` or `returned`.
    pub review_state: Option<String>,
    /// Matched anywhere in the customer's name or phone or the product serial number.
    pub text: Option<String>,
    /// At most this many jobs (default 100).
    pub limit: Option<u32>,
    /// Skip this many jobs first.
    pub offset: u32,
}

/// One line of a job list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSummary {
    pub id: String,
    pub status: Status,
    pub review_state: ReviewState,
    pub assignee: Option<String>,
    pub origin: String,
    pub complaint: bool,
    pub customer_name: String,
    pub customer_phone: String,
    pub customer_tier: String,
    pub product_model: String,
    pub product_serial: String,
    pub reported_at: i64,
    /// The latest time recorded in the job (events, notes, parts, forms, reviews).
    pub updated_at: i64,
    pub event_count: u32,
    pub note_count: u32,
    pub parts_count: u32,
    pub forms_count: u32,
    /// Changes made on this device that the server has not acknowledged yet.
    pub unsynced: bool,
}

/// One job, whole, with what is derived from it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobView {
    pub job: Job,
    pub status: Status,
    pub review_state: ReviewState,
}

/// A local change the server refused, kept in the conflict log. The job itself went back
/// to the server's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub id: i64,
    pub doc_id: String,
    /// The server's reason code (the write policy's, e.g. `not_assigned`).
    pub code: String,
    pub message: String,
    /// When the refusal arrived, by the device clock (ms).
    pub at: i64,
    pub change_count: u32,
}

const DEFAULT_LIMIT: u32 = 100;

const REVIEW_STATES: [ReviewState; 4] = [
    ReviewState::NotSubmitted,
    ReviewState::Pending,
    ReviewState::Approved,
    ReviewState::Returned,
];

fn parse_review(s: &str) -> Option<ReviewState> {
    REVIEW_STATES.into_iter().find(|r| r.as_str() == s)
}

/// Inserts or replaces the query row of a job.
pub(crate) fn write_job_row(conn: &Connection, doc_id: &str, job: &Job) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO jobs (doc_id, status, review_state, assignee, origin, complaint,
             customer_name, customer_phone, customer_tier, product_model, product_serial,
             reported_at, updated_at, event_count, note_count, parts_count, forms_count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?
    .execute(params![
        doc_id,
        derive_status(job).as_str(),
        derive_review(job).as_str(),
        job.assignee,
        job.origin,
        job.complaint,
        job.customer.name,
        job.customer.phone,
        job.customer.tier,
        job.product.model,
        job.product.serial,
        job.reported_at,
        updated_at(job),
        job.events.len() as i64,
        job.notes.len() as i64,
        job.parts.len() as i64,
        job.forms.len() as i64,
    ])?;
    Ok(())
}

pub(crate) fn delete_job_row(conn: &Connection, doc_id: &str) -> Result<()> {
    conn.execute("DELETE FROM jobs WHERE doc_id = ?1", [doc_id])?;
    Ok(())
}

/// The latest time recorded anywhere in the job: the same on every replica.
fn updated_at(job: &Job) -> i64 {
    let events = job.events.iter().map(|e| e.at);
    let notes = job.notes.values().map(|n| n.at);
    let parts = job.parts.values().map(|p| p.at);
    let forms = job.forms.values().flat_map(|f| {
        f.answers
            .values()
            .map(|a| a.at)
            .chain(f.submitted_at)
            .collect::<Vec<_>>()
    });
    let reviews = job.reviews.iter().map(|r| r.at);
    let attachments = job.attachments.values().map(|a| a.at);
    events
        .chain(notes)
        .chain(parts)
        .chain(forms)
        .chain(reviews)
        .chain(attachments)
        .fold(job.reported_at, i64::max)
}

/// `%` and `_` are literal in a search, not wildcards.
fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

pub(crate) fn list_jobs(conn: &Connection, filter: &JobFilter) -> Result<Vec<JobSummary>> {
    let mut sql = String::from(
        "SELECT doc_id, status, review_state, assignee, origin, complaint, customer_name,
                customer_phone, customer_tier, product_model, product_serial, reported_at,
                updated_at, event_count, note_count, parts_count, forms_count,
                EXISTS (SELECT 1 FROM outbox WHERE outbox.doc_id = jobs.doc_id)
         FROM jobs WHERE 1 = 1",
    );
    let mut args: Vec<Value> = Vec::new();
    if let Some(status) = &filter.status {
        if Status::parse(status).is_none() {
            return Err(Error::invalid(format!("unknown status '{status}'")));
        }
        sql.push_str(" AND status = ?");
        args.push(Value::Text(status.clone()));
    }
    if let Some(review) = &filter.review_state {
        if parse_review(review).is_none() {
            return Err(Error::invalid(format!("unknown review state '{review}'")));
        }
        sql.push_str(" AND review_state = ?");
        args.push(Value::Text(review.clone()));
    }
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        sql.push_str(
            " AND (customer_name LIKE ? ESCAPE '\\' OR customer_phone LIKE ? ESCAPE '\\'
                   OR product_serial LIKE ? ESCAPE '\\')",
        );
        let pattern = like_pattern(text);
        for _ in 0..3 {
            args.push(Value::Text(pattern.clone()));
        }
    }
    sql.push_str(" ORDER BY reported_at DESC, doc_id LIMIT ? OFFSET ?");
    args.push(Value::Integer(filter.limit.unwrap_or(DEFAULT_LIMIT).into()));
    args.push(Value::Integer(filter.offset.into()));

    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), |row| {
        Ok((
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            JobSummary {
                id: row.get(0)?,
                status: Status::New,
                review_state: ReviewState::NotSubmitted,
                assignee: row.get(3)?,
                origin: row.get(4)?,
                complaint: row.get(5)?,
                customer_name: row.get(6)?,
                customer_phone: row.get(7)?,
                customer_tier: row.get(8)?,
                product_model: row.get(9)?,
                product_serial: row.get(10)?,
                reported_at: row.get(11)?,
                updated_at: row.get(12)?,
                event_count: row.get(13)?,
                note_count: row.get(14)?,
                parts_count: row.get(15)?,
                forms_count: row.get(16)?,
                unsynced: row.get(17)?,
            },
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (status, review, mut summary) = row?;
        summary.status = Status::parse(&status).ok_or_else(|| {
            Error::Internal(format!("unknown status '{status}' in the jobs table"))
        })?;
        summary.review_state = parse_review(&review).ok_or_else(|| {
            Error::Internal(format!("unknown review state '{review}' in the jobs table"))
        })?;
        out.push(summary);
    }
    Ok(out)
}

pub(crate) fn get_job(store: &Store, id: &str) -> Result<JobView> {
    let doc = store.load(id)?.ok_or_else(|| Error::job_not_found(id))?;
    let job = doc.job()?;
    Ok(JobView {
        status: derive_status(&job),
        review_state: derive_review(&job),
        job,
    })
}

pub(crate) fn pending_changes(conn: &Connection) -> Result<u64> {
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

pub(crate) fn conflicts(conn: &Connection) -> Result<Vec<Conflict>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, doc_id, code, message, at, change_count FROM conflicts ORDER BY id",
    )?;
    let rows = stmt.query_map([], |row| {
        Ok(Conflict {
            id: row.get(0)?,
            doc_id: row.get(1)?,
            code: row.get(2)?,
            message: row.get(3)?,
            at: row.get(4)?,
            change_count: row.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn search_text_is_literal() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }

    #[test]
    fn review_states_round_trip() {
        for r in REVIEW_STATES {
            assert_eq!(parse_review(r.as_str()), Some(r));
        }
        assert_eq!(parse_review("maybe"), None);
    }
}
