//! Bounds on everything a device sends, and the values a job may hold. Past any of them a
//! change is refused before it can stall the server's single writer or blow a stack.

use super::{Refusal, refuse};
use crate::forms::Level;
use crate::job::{
    ATTACHMENT_KINDS, DEPARTMENTS, FEEDBACK_CATEGORIES, Job, ORIGINS, RESPONDENTS, SCHEMA_VERSION,
    SITE_DISTANCES,
};

/// The largest saved job document (Automerge `save()`).
pub const MAX_DOC_BYTES: usize = 4 * 1024 * 1024;
/// The most bytes of changes one upload may bring for one job.
pub const MAX_UPLOAD_BYTES: usize = 4 * 1024 * 1024;
/// The most changes, and operations, one upload may bring for one job.
pub const MAX_UPLOAD_CHANGES: usize = 5_000;
pub const MAX_UPLOAD_OPS: usize = 200_000;
/// The longest change message (a short word like "accept" in honest apps).
pub const MAX_MESSAGE_CHARS: usize = 200;
/// Free text (diagnosis, notes, suggestion, …) and short fields (names, SKUs, serials, …).
pub const MAX_TEXT_CHARS: usize = 20_000;
pub const MAX_FIELD_CHARS: usize = 500;
/// Ids of entries, accounts and templates.
pub const MAX_ID_CHARS: usize = 64;
/// Entries per collection.
pub const MAX_EVENTS: usize = 1_000;
pub const MAX_REVIEWS: usize = 100;
pub const MAX_NOTES: usize = 500;
pub const MAX_PARTS: usize = 500;
pub const MAX_FORMS: usize = 50;
pub const MAX_ANSWERS: usize = 100;
pub const MAX_ATTACHMENTS: usize = 500;
pub const MAX_SERIALS: usize = 50;
/// Numeric ranges.
pub const MAX_QUANTITY: i64 = 100_000;
pub const MAX_UNIT_PRICE_CENTS: i64 = 1_000_000_000;
pub const MAX_LABOUR_MINUTES: i64 = 100_000;
pub const MAX_TEMPLATE_VERSION: i64 = 1_000_000;
pub const MAX_ATTACHMENT_BYTES: i64 = 1 << 30;
/// Times are milliseconds since the Unix epoch, before 2100-01-01.
pub const MAX_TIME_MS: i64 = 4_102_444_800_000;

fn too_large(what: &str, limit: usize) -> Result<(), Refusal> {
    refuse("too_large", format!("{what}: at most {limit}"))
}

fn bad_value(message: String) -> Result<(), Refusal> {
    refuse("bad_value", message)
}

fn text(value: &str, what: &str, max: usize) -> Result<(), Refusal> {
    // Byte length first: a string of more than 4 bytes per character is not counted.
    if value.len() > max * 4 || value.chars().count() > max {
        return too_large(&format!("{what} (characters)"), max);
    }
    Ok(())
}

fn count(n: usize, what: &str, max: usize) -> Result<(), Refusal> {
    if n > max {
        return too_large(&format!("{what} (entries)"), max);
    }
    Ok(())
}

fn range(value: i64, what: &str, min: i64, max: i64) -> Result<(), Refusal> {
    if value < min || value > max {
        return bad_value(format!("{what} is {value}; it must be {min} to {max}"));
    }
    Ok(())
}

fn time(value: i64, what: &str) -> Result<(), Refusal> {
    range(value, what, 0, MAX_TIME_MS)
}

fn one_of(value: &str, what: &str, allowed: &[&str]) -> Result<(), Refusal> {
    if !allowed.contains(&value) {
        return bad_value(format!(
            "{what} {:?} is not one of {}",
            super::values::trim(value),
            allowed.join(", ")
        ));
    }
    Ok(())
}

fn id(value: &str, what: &str) -> Result<(), Refusal> {
    if value.is_empty() {
        return bad_value(format!("{what} is empty"));
    }
    text(value, what, MAX_ID_CHARS)
}

/// The key of an entry must be its id: a reader that finds it by key finds that entry.
fn keyed(key: &str, entry_id: &str, what: &str) -> Result<(), Refusal> {
    if key != entry_id {
        return refuse(
            "duplicate_id",
            format!(
                "{what} {:?} is stored under another key",
                super::values::trim(entry_id)
            ),
        );
    }
    Ok(())
}

/// Checks every bound and value rule of a whole job.
pub fn check_job(job: &Job) -> Result<(), Refusal> {
    if job.schema_version > SCHEMA_VERSION {
        return bad_value(format!(
            "schema_version is {}; this server writes {SCHEMA_VERSION}",
            job.schema_version
        ));
    }
    id(&job.id, "the job id")?;
    one_of(&job.origin, "origin", &ORIGINS)?;
    time(job.reported_at, "reported_at")?;
    let c = &job.customer;
    for (value, what) in [
        (&c.id, "customer.id"),
        (&c.name, "customer.name"),
        (&c.phone, "customer.phone"),
        (&c.address, "customer.address"),
        (&c.tier, "customer.tier"),
        (&c.region, "customer.region"),
    ] {
        text(value, what, MAX_FIELD_CHARS)?;
    }
    one_of(&c.site_distance, "customer.site_distance", &SITE_DISTANCES)?;
    let p = &job.product;
    for (value, what) in [
        (&p.id, "product.id"),
        (&p.model, "product.model"),
        (&p.serial, "product.serial"),
    ] {
        text(value, what, MAX_FIELD_CHARS)?;
    }
    if let Some(date) = &p.purchase_date
        && chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err()
    {
        return bad_value("product.purchase_date must be a date like 2026-03-31".into());
    }
    text(job.fault.as_str(), "fault", MAX_TEXT_CHARS)?;
    text(job.diagnosis.as_str(), "diagnosis", MAX_TEXT_CHARS)?;
    text(job.resolution.as_str(), "resolution", MAX_TEXT_CHARS)?;
    if let Some(a) = &job.assignee {
        id(a, "assignee")?;
    }
    range(job.labour_minutes, "labour_minutes", 0, MAX_LABOUR_MINUTES)?;
    if let Some(f) = &job.feedback_category {
        one_of(f, "feedback_category", &FEEDBACK_CATEGORIES)?;
    }
    if let Some(d) = &job.responsible_department {
        one_of(d, "responsible_department", &DEPARTMENTS)?;
    }

    count(job.events.len(), "events", MAX_EVENTS)?;
    for e in &job.events {
        id(&e.id, "an event id")?;
        id(&e.by, "an event's by")?;
        time(e.at, "an event's at")?;
    }
    count(job.reviews.len(), "reviews", MAX_REVIEWS)?;
    for r in &job.reviews {
        id(&r.id, "a review id")?;
        id(&r.by, "a review's by")?;
        time(r.at, "a review's at")?;
        text(&r.comment, "a review comment", MAX_TEXT_CHARS)?;
    }
    count(job.notes.len(), "notes", MAX_NOTES)?;
    for (key, n) in &job.notes {
        keyed(key, &n.id, "note")?;
        id(&n.id, "a note id")?;
        id(&n.by, "a note's by")?;
        time(n.at, "a note's at")?;
        text(n.text.as_str(), "a note", MAX_TEXT_CHARS)?;
    }
    count(job.parts.len(), "parts lines", MAX_PARTS)?;
    for (key, line) in &job.parts {
        keyed(key, &line.id, "parts line")?;
        id(&line.id, "a parts line id")?;
        id(&line.by, "a parts line's by")?;
        time(line.at, "a parts line's at")?;
        text(&line.sku, "a SKU", MAX_FIELD_CHARS)?;
        text(&line.name, "a part name", MAX_FIELD_CHARS)?;
        if line.quantity <= 0 {
            return refuse("bad_quantity", "a parts line needs a positive quantity");
        }
        range(line.quantity, "a parts quantity", 1, MAX_QUANTITY)?;
        range(
            line.unit_price_cents,
            "a unit price (cents)",
            0,
            MAX_UNIT_PRICE_CENTS,
        )?;
        for serials in [&line.serials_removed, &line.serials_installed] {
            count(serials.len(), "serial numbers of a parts line", MAX_SERIALS)?;
            for s in serials {
                text(s, "a serial number", MAX_FIELD_CHARS)?;
            }
        }
    }
    count(job.forms.len(), "forms", MAX_FORMS)?;
    for (key, form) in &job.forms {
        keyed(key, &form.id, "form")?;
        id(&form.id, "a form id")?;
        id(&form.by, "a form's by")?;
        id(&form.template_id, "a form's template id")?;
        range(
            form.template_version,
            "a form's template version",
            1,
            MAX_TEMPLATE_VERSION,
        )?;
        one_of(&form.respondent, "respondent", &RESPONDENTS)?;
        if let Some(at) = form.submitted_at {
            time(at, "a form's submitted_at")?;
        }
        text(form.suggestion.as_str(), "a suggestion", MAX_TEXT_CHARS)?;
        count(form.answers.len(), "answers of a form", MAX_ANSWERS)?;
        for (item, answer) in &form.answers {
            id(item, "an item id")?;
            if Level::from_points(answer.points).is_none() {
                return refuse(
                    "score_out_of_scale",
                    format!(
                        "item {} has {} points; the scale is 10, 8, 6, 4, 2",
                        super::values::trim(item),
                        answer.points
                    ),
                );
            }
            text(&answer.comment, "an answer's comment", MAX_TEXT_CHARS)?;
            time(answer.at, "an answer's at")?;
        }
    }
    count(job.attachments.len(), "attachments", MAX_ATTACHMENTS)?;
    for (key, a) in &job.attachments {
        keyed(key, &a.sha256, "attachment")?;
        let hex = a.sha256.len() == 64
            && a.sha256
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
        if !hex {
            return bad_value("an attachment's sha256 must be 64 lowercase hex digits".into());
        }
        one_of(&a.kind, "attachment kind", &ATTACHMENT_KINDS)?;
        range(a.bytes, "an attachment's size", 0, MAX_ATTACHMENT_BYTES)?;
        id(&a.by, "an attachment's by")?;
        time(a.at, "an attachment's at")?;
    }
    Ok(())
}
