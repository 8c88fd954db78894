//! The technician's operations. Each one validates its input, builds the job as it will
//! be, checks it against the write policy (the same check the server makes), and only
//! then records exactly one Automerge change, committed before it returns. Bad input or
//! a refusal changes nothing.

use std::collections::BTreeMap;

use autosurgeon::Text;
use onsite_domain::forms::Level;
// The server's bounds, checked before a change is made: documents are not for megabytes.
use onsite_domain::policy::limits::{MAX_FIELD_CHARS, MAX_TEXT_CHARS};
use onsite_domain::{
    Actor, Answer, Customer, Event, EventKind, Form, FormTemplate, Job, JobDoc, Note, PartLine,
    Product, check_write,
};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::reference;
use crate::store::Store;

/// A job a technician opens on site.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewJob {
    pub customer: Customer,
    pub product: Product,
    /// The fault as the customer reports it.
    pub fault: String,
    /// The job comes from a complaint (投诉).
    pub complaint: bool,
}

/// A parts usage line to record on a job.
///
/// For a part of the catalog, the SKU and the quantity are enough: an empty `name` and
/// unset `unit_price_cents` / `billable` are taken from the catalog on the device. A part
/// outside the catalog needs its name (price 0 and warranty-covered unless given).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartInput {
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub unit_price_cents: Option<i64>,
    /// Billable to the customer (`false`: covered by warranty).
    pub billable: Option<bool>,
    pub serials_removed: Vec<String>,
    pub serials_installed: Vec<String>,
}

/// Who makes a change, and when (device clock, ms).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Author<'a> {
    pub actor: &'a Actor,
    pub at: i64,
}

impl Author<'_> {
    fn event(&self, kind: EventKind) -> Event {
        Event {
            id: new_id(),
            kind,
            at: self.at,
            by: self.actor.user_id.clone(),
        }
    }
}

fn new_id() -> String {
    Uuid::new_v4().to_string()
}

fn required(value: &str, field: &str, max_chars: usize) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::invalid(format!("{field} is required")));
    }
    limited(value, field, max_chars)
}

fn limited(value: &str, field: &str, max_chars: usize) -> Result<String> {
    if value.chars().count() > max_chars {
        return Err(Error::invalid(format!(
            "{field} is longer than {max_chars} characters"
        )));
    }
    Ok(value.to_string())
}

fn serials(values: &[String], field: &str) -> Result<Vec<String>> {
    values
        .iter()
        .map(|s| required(s, field, MAX_FIELD_CHARS))
        .collect()
}

/// Loads the job, lets `edit` change a copy (or refuse), checks the policy, and records
/// the difference as one change. Nothing is written unless every step succeeds.
fn change_job<T>(
    store: &mut Store,
    author: Author<'_>,
    job_id: &str,
    what: &str,
    edit: impl FnOnce(&mut Job) -> Result<T>,
) -> Result<T> {
    change_job_using(store, author, job_id, what, None, edit)
}

/// [`change_job`], for a change that adds the parts line `used`: recorded in the same
/// transaction as a use of the van stock the server has not counted yet.
fn change_job_using<T>(
    store: &mut Store,
    author: Author<'_>,
    job_id: &str,
    what: &str,
    used: Option<&PartLine>,
    edit: impl FnOnce(&mut Job) -> Result<T>,
) -> Result<T> {
    let mut doc = store
        .load_for_edit(job_id, &author.actor.user_id)?
        .ok_or_else(|| Error::job_not_found(job_id))?;
    let before = doc.job()?;
    let mut after = before.clone();
    let out = edit(&mut after)?;
    check_write(author.actor, Some(&before), &after)?;
    let change = doc
        .edit(what, author.at, move |job| *job = after)?
        .ok_or_else(|| Error::Internal(format!("the '{what}' edit changed nothing")))?;
    match used {
        Some(line) => store.record_part_use(job_id, &mut doc, &change, line)?,
        None => store.record_local(job_id, &mut doc, &change)?,
    }
    Ok(out)
}

pub(crate) fn create_job(store: &mut Store, author: Author<'_>, new: NewJob) -> Result<String> {
    let NewJob {
        mut customer,
        mut product,
        fault,
        complaint,
    } = new;
    customer.name = required(&customer.name, "customer name", MAX_FIELD_CHARS)?;
    customer.phone = limited(customer.phone.trim(), "customer phone", MAX_FIELD_CHARS)?;
    customer.address = limited(customer.address.trim(), "customer address", MAX_FIELD_CHARS)?;
    if !matches!(customer.site_distance.as_str(), "" | "near" | "far") {
        return Err(Error::invalid("site distance must be 'near' or 'far'"));
    }
    product.model = limited(product.model.trim(), "product model", MAX_FIELD_CHARS)?;
    product.serial = limited(product.serial.trim(), "product serial", MAX_FIELD_CHARS)?;
    if let Some(date) = &product.purchase_date
        && chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err()
    {
        return Err(Error::invalid(
            "purchase date must be a date like 2026-03-31",
        ));
    }
    let fault = required(&fault, "fault description", MAX_TEXT_CHARS)?;

    let id = new_id();
    let job = Job {
        id: id.clone(),
        origin: "onsite".into(),
        complaint,
        reported_at: author.at,
        customer,
        product,
        fault: Text::from(fault),
        assignee: Some(author.actor.user_id.clone()),
        events: vec![
            author.event(EventKind::Reported),
            author.event(EventKind::Assigned),
            author.event(EventKind::Accepted),
        ],
        ..Job::default()
    };
    check_write(author.actor, None, &job)?;
    let (mut doc, change) =
        JobDoc::create(&job, store.actor_for(&author.actor.user_id), author.at)?;
    store.record_local(&id, &mut doc, &change)?;
    Ok(id)
}

/// Records a step of the timeline (accepted, en route, on site, completed…).
pub(crate) fn record_event(
    store: &mut Store,
    author: Author<'_>,
    job_id: &str,
    kind: EventKind,
) -> Result<()> {
    change_job(store, author, job_id, kind.as_str(), |job| {
        let mut event = author.event(kind);
        if kind == EventKind::Completed {
            // A completion answers the latest review only if it comes after it
            // (derive_review); a device clock behind the server's must not make a
            // resubmission after a return invisible.
            let last_review = job.reviews.iter().map(|r| r.at).max();
            if let Some(reviewed) = last_review {
                event.at = event.at.max(reviewed + 1);
            }
        }
        job.events.push(event);
        Ok(())
    })
}

pub(crate) fn diagnose(
    store: &mut Store,
    author: Author<'_>,
    job_id: &str,
    text: &str,
) -> Result<()> {
    let text = required(text, "diagnosis", MAX_TEXT_CHARS)?;
    change_job(store, author, job_id, "diagnosed", |job| {
        job.diagnosis.update(text);
        job.events.push(author.event(EventKind::Diagnosed));
        Ok(())
    })
}

pub(crate) fn repair(
    store: &mut Store,
    author: Author<'_>,
    job_id: &str,
    text: &str,
) -> Result<()> {
    let text = required(text, "resolution", MAX_TEXT_CHARS)?;
    change_job(store, author, job_id, "repaired", |job| {
        job.resolution.update(text);
        job.events.push(author.event(EventKind::Repaired));
        Ok(())
    })
}

pub(crate) fn add_note(
    store: &mut Store,
    author: Author<'_>,
    job_id: &str,
    text: &str,
) -> Result<String> {
    let text = required(text, "note", MAX_TEXT_CHARS)?;
    change_job(store, author, job_id, "note", |job| {
        let id = new_id();
        job.notes.insert(
            id.clone(),
            Note {
                id: id.clone(),
                text: Text::from(text),
                at: author.at,
                by: author.actor.user_id.clone(),
            },
        );
        Ok(id)
    })
}

pub(crate) fn record_part(
    store: &mut Store,
    author: Author<'_>,
    job_id: &str,
    part: PartInput,
) -> Result<String> {
    let sku = required(&part.sku, "part SKU", MAX_FIELD_CHARS)?;
    if part.quantity <= 0 {
        return Err(Error::invalid("a parts line needs a positive quantity"));
    }
    // A part of the catalog fills in what the app left out. An inactive one is still
    // accepted: the van may hold the last of them.
    let listed = reference::catalog_item(store.conn(), &sku)?;
    let name = match (part.name.trim(), &listed) {
        ("", Some(item)) => item.name.clone(),
        ("", None) => {
            return Err(Error::invalid(format!(
                "part name is required: {sku} is not in the parts catalog on this device"
            )));
        }
        (name, _) => limited(name, "part name", MAX_FIELD_CHARS)?,
    };
    let unit_price_cents = part
        .unit_price_cents
        .or(listed.as_ref().map(|i| i.unit_price_cents))
        .unwrap_or(0);
    if unit_price_cents < 0 {
        return Err(Error::invalid("a unit price cannot be negative"));
    }
    let billable = part
        .billable
        .or(listed.as_ref().map(|i| i.billable))
        .unwrap_or(false);
    let line = PartLine {
        id: new_id(),
        sku,
        name,
        quantity: part.quantity,
        unit_price_cents,
        billable,
        serials_removed: serials(&part.serials_removed, "a removed serial number")?,
        serials_installed: serials(&part.serials_installed, "an installed serial number")?,
        at: author.at,
        by: author.actor.user_id.clone(),
    };
    let recorded = line.clone();
    change_job_using(store, author, job_id, "part", Some(&line), |job| {
        job.parts.insert(recorded.id.clone(), recorded);
        Ok(line.id.clone())
    })
}

/// Starts a satisfaction form on a template version the device holds: `version`, or the
/// newest one when `None` (csat-onsite v1 is built in). The form keeps that template id
/// and version for good. `respondent` is `survey` (the customer answers) or `self` (the
/// technician's own rating).
pub(crate) fn start_form(
    store: &mut Store,
    author: Author<'_>,
    job_id: &str,
    respondent: &str,
    template_id: &str,
    version: Option<i64>,
) -> Result<String> {
    if !matches!(respondent, "survey" | "self") {
        return Err(Error::invalid(
            "respondent must be 'survey' (the customer) or 'self' (your own rating)",
        ));
    }
    let template = match version {
        Some(v) => reference::form_template(store.conn(), template_id, v)?,
        None => reference::latest_template(store.conn(), template_id)?,
    }
    .ok_or_else(|| Error::NotFound {
        what: "form template",
        id: match version {
            Some(v) => format!("{template_id} v{v}"),
            None => template_id.to_string(),
        },
    })?;
    change_job(store, author, job_id, "form", |job| {
        let id = new_id();
        job.forms.insert(
            id.clone(),
            Form {
                id: id.clone(),
                template_id: template.id,
                template_version: template.version,
                respondent: respondent.into(),
                answers: BTreeMap::new(),
                suggestion: Text::default(),
                submitted_at: None,
                by: author.actor.user_id.clone(),
            },
        );
        Ok(id)
    })
}

/// The template a form was started on, from the device's store.
fn template_of(store: &Store, job_id: &str, form_id: &str) -> Result<FormTemplate> {
    let job = store
        .load(job_id)?
        .ok_or_else(|| Error::job_not_found(job_id))?
        .job()?;
    let form = job.forms.get(form_id).ok_or_else(|| Error::NotFound {
        what: "form",
        id: form_id.to_string(),
    })?;
    reference::form_template(store.conn(), &form.template_id, form.template_version)?.ok_or_else(
        || {
            Error::invalid(format!(
                "form template {} v{} is not on this device yet: sync, then answer",
                form.template_id, form.template_version
            ))
        },
    )
}

fn open_form<'j>(job: &'j mut Job, form_id: &str) -> Result<&'j mut Form> {
    let form = job.forms.get_mut(form_id).ok_or_else(|| Error::NotFound {
        what: "form",
        id: form_id.to_string(),
    })?;
    if form.submitted_at.is_some() {
        return Err(Error::invalid("this form was already submitted"));
    }
    Ok(form)
}

pub(crate) fn answer_item(
    store: &mut Store,
    author: Author<'_>,
    job_id: &str,
    form_id: &str,
    item_id: &str,
    points: i64,
    comment: &str,
) -> Result<()> {
    if Level::from_points(points).is_none() {
        return Err(Error::invalid(format!(
            "{points} is not on the scale; answer 10, 8, 6, 4 or 2 points"
        )));
    }
    let comment = limited(comment.trim(), "comment", MAX_TEXT_CHARS)?;
    let template = template_of(store, job_id, form_id)?;
    if !template.has_item(item_id) {
        return Err(Error::invalid(format!(
            "'{item_id}' is not an item of form template {} v{}",
            template.id, template.version
        )));
    }
    change_job(store, author, job_id, "answer", |job| {
        let form = open_form(job, form_id)?;
        form.answers.insert(
            item_id.to_string(),
            Answer {
                points,
                comment,
                at: author.at,
            },
        );
        Ok(())
    })
}

pub(crate) fn submit_form(
    store: &mut Store,
    author: Author<'_>,
    job_id: &str,
    form_id: &str,
    suggestion: &str,
) -> Result<()> {
    let suggestion = limited(suggestion.trim(), "suggestion", MAX_TEXT_CHARS)?;
    change_job(store, author, job_id, "submit form", |job| {
        let form = open_form(job, form_id)?;
        if form.answers.is_empty() {
            return Err(Error::invalid("answer at least one item before submitting"));
        }
        form.suggestion.update(suggestion);
        form.submitted_at = Some(author.at);
        Ok(())
    })
}
