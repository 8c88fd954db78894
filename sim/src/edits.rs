//! Honest random edits: what technicians and the back office do in the apps.
//!
//! Every edit is checked with the write policy before it is recorded, as the client core
//! does, so a refused change can only come from a race the device could not see.

use onsite_domain::{
    Answer, Customer, Decision, Event, EventKind, Form, Job, JobDoc, Note, PartLine, Product,
    ReviewDecision, check_write,
    forms::{DEFAULT_TEMPLATE_ID, DEFAULT_TEMPLATE_ITEMS, DEFAULT_TEMPLATE_VERSION},
};
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use crate::device::Device;

/// The event kinds a technician may record on an existing job.
const TECH_EVENTS: [EventKind; 6] = [
    EventKind::Accepted,
    EventKind::EnRoute,
    EventKind::OnSite,
    EventKind::Diagnosed,
    EventKind::Repaired,
    EventKind::Completed,
];
const SCALE: [i64; 5] = [10, 8, 6, 4, 2];
const WORDS: [&str; 8] = [
    "compressor",
    "leak",
    "fan",
    "noise",
    "board",
    "replaced",
    "checked",
    "ok",
];

/// A lowercase UUID (version 4 layout) from the seeded generator.
pub fn uuid(rng: &mut ChaCha8Rng) -> String {
    let mut b: [u8; 16] = rng.random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn words(rng: &mut ChaCha8Rng, n: usize) -> String {
    let picked: Vec<&str> = (0..n).filter_map(|_| WORDS.choose(rng).copied()).collect();
    picked.join(" ")
}

fn event(rng: &mut ChaCha8Rng, kind: EventKind, at: i64, by: &str) -> Event {
    Event {
        id: uuid(rng),
        kind,
        at,
        by: by.to_string(),
    }
}

/// What an edit did, for the trace; `None` when the device did nothing.
pub type Outcome = Result<Option<String>, String>;

/// Edits a stored job as `dev`: apply, check the policy, record. `Ok(false)` if the edit
/// changed nothing or the policy (as the app checks it) refuses it.
fn edit(
    dev: &mut Device,
    doc_id: &str,
    now: i64,
    what: &str,
    f: impl FnOnce(&mut Job),
) -> Result<bool, String> {
    let Some(mut doc) = dev.load(doc_id)? else {
        return Ok(false);
    };
    let before = doc
        .job()
        .map_err(|e| format!("{}: {doc_id}: {e}", dev.name))?;
    let change = doc
        .edit(what, now, f)
        .map_err(|e| format!("{}: edit {what} of {doc_id}: {e}", dev.name))?;
    let Some(change) = change else {
        return Ok(false);
    };
    let after = doc
        .job()
        .map_err(|e| format!("{}: {doc_id}: {e}", dev.name))?;
    if check_write(&dev.peer.actor(), Some(&before), &after).is_err() {
        return Ok(false);
    }
    dev.record(doc_id, &mut doc, &change);
    Ok(true)
}

/// Creates a job on `dev` and records its first change.
fn create(dev: &mut Device, job: &Job, now: i64) -> Result<bool, String> {
    let (mut doc, change) = JobDoc::create(job, dev.actor.clone(), now)
        .map_err(|e| format!("{}: create {}: {e}", dev.name, job.id))?;
    let after = doc.job().map_err(|e| format!("{}: {e}", dev.name))?;
    if check_write(&dev.peer.actor(), None, &after).is_err() {
        return Ok(false);
    }
    dev.record(&job.id, &mut doc, &change);
    Ok(true)
}

fn new_job(rng: &mut ChaCha8Rng, origin: &str, now: i64, by: &str, assignee: Option<&str>) -> Job {
    let mut events = vec![event(rng, EventKind::Reported, now, by)];
    if assignee.is_some() {
        events.push(event(rng, EventKind::Assigned, now, by));
    }
    let mut job = Job {
        id: uuid(rng),
        origin: origin.to_string(),
        complaint: rng.random_bool(0.2),
        reported_at: now,
        customer: Customer {
            id: uuid(rng),
            name: format!("Customer {}", rng.random_range(1..500)),
            phone: format!("555-{:04}", rng.random_range(0..10_000)),
            address: format!("{} Main Street", rng.random_range(1..200)),
            tier: ["key", "general"]
                .choose(rng)
                .copied()
                .unwrap_or("general")
                .into(),
            region: "north".into(),
            site_distance: ["near", "far"]
                .choose(rng)
                .copied()
                .unwrap_or("near")
                .into(),
        },
        product: Product {
            id: String::new(),
            model: format!("AC-{}", rng.random_range(100..120)),
            serial: format!("SN{}", rng.random_range(10_000..99_999)),
            purchase_date: None,
        },
        assignee: assignee.map(str::to_string),
        events,
        ..Job::default()
    };
    job.fault.update(words(rng, 3));
    job
}

/// A random document the device holds, if any.
fn pick_doc(dev: &Device, rng: &mut ChaCha8Rng) -> Option<String> {
    let n = dev.store.docs.len();
    if n == 0 {
        return None;
    }
    dev.store.docs.keys().nth(rng.random_range(0..n)).cloned()
}

/// One random edit by a technician device, only on jobs assigned to its user.
pub fn technician(dev: &mut Device, rng: &mut ChaCha8Rng, now: i64) -> Outcome {
    let me = dev.peer.user_id.clone();
    if rng.random_bool(0.06) || dev.store.docs.is_empty() {
        let job = new_job(rng, "onsite", now, &me, Some(&me));
        let id = job.id.clone();
        return Ok(create(dev, &job, now)?.then(|| format!("creates job {id} on site")));
    }
    let Some(doc_id) = pick_doc(dev, rng) else {
        return Ok(None);
    };
    let Some(doc) = dev.load(&doc_id)? else {
        return Ok(None);
    };
    let job = doc
        .job()
        .map_err(|e| format!("{}: {doc_id}: {e}", dev.name))?;
    if job.assignee.as_deref() != Some(me.as_str()) {
        return Ok(None);
    }
    let (what, done) = match rng.random_range(0..100) {
        0..35 => {
            let kind = *TECH_EVENTS.choose(rng).unwrap_or(&EventKind::Accepted);
            let ev = event(rng, kind, now, &me);
            (
                kind.as_str(),
                edit(dev, &doc_id, now, "event", |j| j.events.push(ev))?,
            )
        }
        35..50 => {
            let mut note = Note {
                id: uuid(rng),
                text: Default::default(),
                at: now,
                by: me.clone(),
            };
            note.text.update(words(rng, 4));
            let done = edit(dev, &doc_id, now, "note", |j| {
                j.notes.insert(note.id.clone(), note);
            })?;
            ("note", done)
        }
        50..65 => {
            let line = part_line(rng, now, &me);
            let done = edit(dev, &doc_id, now, "part", |j| {
                j.parts.insert(line.id.clone(), line);
            })?;
            ("parts line", done)
        }
        65..70 => {
            let quantity = rng.random_range(1..5);
            let line = job.parts.keys().next().cloned();
            let done = match line {
                Some(line) => edit(dev, &doc_id, now, "quantity", |j| {
                    if let Some(p) = j.parts.get_mut(&line) {
                        p.quantity = quantity;
                    }
                })?,
                None => false,
            };
            ("parts quantity", done)
        }
        70..90 => {
            let form = job
                .forms
                .keys()
                .next()
                .cloned()
                .filter(|_| rng.random_bool(0.6));
            let item = DEFAULT_TEMPLATE_ITEMS
                .choose(rng)
                .map_or("overall", |i| i.id);
            let answer = Answer {
                points: *SCALE.choose(rng).unwrap_or(&10),
                comment: words(rng, 2),
                at: now,
            };
            let new_form = new_form(rng, now, &me);
            let done = edit(dev, &doc_id, now, "form", |j| {
                let form = match form {
                    Some(id) => j.forms.get_mut(&id),
                    None => {
                        let id = new_form.id.clone();
                        j.forms.insert(id.clone(), new_form);
                        j.forms.get_mut(&id)
                    }
                };
                if let Some(form) = form {
                    form.answers.insert(item.to_string(), answer);
                }
            })?;
            ("form answer", done)
        }
        _ => {
            let text = words(rng, 2);
            let at = rng.random_range(0..=job.diagnosis.as_str().len());
            let done = edit(dev, &doc_id, now, "diagnosis", |j| {
                j.diagnosis.splice(at, 0, format!(" {text}"));
            })?;
            ("diagnosis text", done)
        }
    };
    Ok(done.then(|| format!("{what} on {doc_id}")))
}

fn part_line(rng: &mut ChaCha8Rng, now: i64, by: &str) -> PartLine {
    PartLine {
        id: uuid(rng),
        sku: format!("P-{}", rng.random_range(100..130)),
        name: words(rng, 1),
        quantity: rng.random_range(1..4),
        unit_price_cents: rng.random_range(100..20_000),
        billable: rng.random_bool(0.5),
        serials_removed: Vec::new(),
        serials_installed: Vec::new(),
        at: now,
        by: by.to_string(),
    }
}

fn new_form(rng: &mut ChaCha8Rng, now: i64, by: &str) -> Form {
    Form {
        id: uuid(rng),
        template_id: DEFAULT_TEMPLATE_ID.into(),
        template_version: DEFAULT_TEMPLATE_VERSION,
        respondent: ["survey", "self", "callback"]
            .choose(rng)
            .copied()
            .unwrap_or("survey")
            .into(),
        answers: Default::default(),
        suggestion: Default::default(),
        submitted_at: Some(now),
        by: by.to_string(),
    }
}

/// What makes a technician's refused change legitimate later.
#[derive(Debug, Default)]
pub struct Reassignments {
    /// (job, user): the server stopped giving the job to the user at least once, because the
    /// back office reassigned it or a restore lost its assignment to the user.
    pub taken_from: std::collections::BTreeSet<(String, String)>,
}

/// One random edit by the back office: create, assign, reassign, review, annotate.
pub fn back_office(
    dev: &mut Device,
    technicians: &[String],
    moves: &mut Reassignments,
    rng: &mut ChaCha8Rng,
    now: i64,
) -> Outcome {
    let office = dev.peer.user_id.clone();
    let roll = rng.random_range(0..100);
    if roll < 25 || dev.store.docs.is_empty() {
        let assignee = technicians
            .choose(rng)
            .filter(|_| rng.random_bool(0.9))
            .cloned();
        let job = new_job(rng, "hotline", now, &office, assignee.as_deref());
        let id = job.id.clone();
        let done = create(dev, &job, now)?;
        return Ok(done.then(|| format!("creates job {id} for {assignee:?}")));
    }
    let Some(doc_id) = pick_doc(dev, rng) else {
        return Ok(None);
    };
    let Some(doc) = dev.load(&doc_id)? else {
        return Ok(None);
    };
    let job = doc
        .job()
        .map_err(|e| format!("{}: {doc_id}: {e}", dev.name))?;
    let (what, done) = match roll {
        25..55 => {
            let Some(to) = technicians.choose(rng).cloned() else {
                return Ok(None);
            };
            if job.assignee.as_deref() == Some(to.as_str()) {
                return Ok(None);
            }
            let ev = event(rng, EventKind::Assigned, now, &office);
            let target = to.clone();
            let done = edit(dev, &doc_id, now, "assign", |j| {
                j.assignee = Some(target);
                j.events.push(ev);
            })?;
            if done && let Some(from) = job.assignee.clone() {
                moves.taken_from.insert((doc_id.clone(), from));
            }
            (format!("reassigns {:?} -> {to}", job.assignee), done)
        }
        55..70 => {
            let review = ReviewDecision {
                id: uuid(rng),
                decision: *[Decision::Approved, Decision::Returned]
                    .choose(rng)
                    .unwrap_or(&Decision::Approved),
                comment: words(rng, 3),
                at: now,
                by: office.clone(),
            };
            (
                "review".to_string(),
                edit(dev, &doc_id, now, "review", |j| j.reviews.push(review))?,
            )
        }
        70..85 => {
            let mut note = Note {
                id: uuid(rng),
                text: Default::default(),
                at: now,
                by: office.clone(),
            };
            note.text.update(words(rng, 5));
            let done = edit(dev, &doc_id, now, "note", |j| {
                j.notes.insert(note.id.clone(), note);
            })?;
            ("note".to_string(), done)
        }
        85..95 => {
            let phone = format!("555-{:04}", rng.random_range(0..10_000));
            (
                "customer phone".to_string(),
                edit(dev, &doc_id, now, "customer", |j| j.customer.phone = phone)?,
            )
        }
        _ => {
            let ev = event(rng, EventKind::Cancelled, now, &office);
            (
                "cancel".to_string(),
                edit(dev, &doc_id, now, "cancel", |j| j.events.push(ev))?,
            )
        }
    };
    Ok(done.then(|| format!("{what} on {doc_id}")))
}
