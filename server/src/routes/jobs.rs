//! Back-office job endpoints: create, list, read, assign, review.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::ActorId;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use onsite_domain::{
    Actor, Customer, Decision, Event, EventKind, Job, JobDoc, Product, ReviewDecision, Role,
    check_write,
};
use onsite_sync::server::{DocWrite, NewChange, Peer, Received, ServerStore, valid_doc_id};
use rusqlite::params;
use serde::Deserialize;
use serde_json::{Value, json};

use super::json::JsonBody;
use super::quarantine::{self, Loaded};
use crate::accounts;
use crate::app::AppState;
use crate::auth::{API_DEVICE, AuthUser};
use crate::db::panic_message;
use crate::doc_json;
use crate::error::ApiError;
use crate::live::Live;
use crate::reference::registry;
use crate::storage::SqliteStore;

const OFFICE: &[Role] = &[Role::BackOffice];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    #[serde(default)]
    id: String,
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
    #[serde(default = "general")]
    tier: String,
    #[serde(default)]
    region: String,
    #[serde(default = "near")]
    site_distance: String,
}

fn general() -> String {
    "general".into()
}
fn near() -> String {
    "near".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    model: String,
    #[serde(default)]
    serial: String,
    purchase_date: Option<String>,
}

/// A new job. The customer is given inline (`customer`) or as a registry id
/// (`customer_id`), and so is the product (`product` or `product_id`); a `product_id`
/// alone also gives its customer. Records from the registry are copied into the job: the
/// job keeps them as they were when it was made.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateJob {
    customer: Option<CustomerInput>,
    customer_id: Option<String>,
    product: Option<ProductInput>,
    product_id: Option<String>,
    fault: String,
    #[serde(default)]
    complaint: bool,
    /// Account id of the technician to assign at once.
    assignee: Option<String>,
}

pub(super) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(super) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn validate_create(req: &CreateJob) -> Result<(), ApiError> {
    match (&req.customer, &req.customer_id, &req.product_id) {
        (Some(_), Some(_), _) => {
            return Err(ApiError::bad_request(
                "give either customer or customer_id, not both",
            ));
        }
        (None, None, None) => {
            return Err(ApiError::bad_request(
                "a job needs a customer: customer, customer_id, or a product_id",
            ));
        }
        _ => {}
    }
    match (&req.product, &req.product_id) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "give either product or product_id, not both",
            ));
        }
        (None, None) => {
            return Err(ApiError::bad_request(
                "a job needs a product: product or product_id",
            ));
        }
        _ => {}
    }
    if let Some(customer) = &req.customer {
        if customer.name.trim().is_empty() {
            return Err(ApiError::bad_request("customer.name is required"));
        }
        if !matches!(customer.site_distance.as_str(), "near" | "far") {
            return Err(ApiError::bad_request(
                "customer.site_distance must be 'near' or 'far'",
            ));
        }
    }
    if let Some(product) = &req.product {
        if product.model.trim().is_empty() {
            return Err(ApiError::bad_request("product.model is required"));
        }
        if let Some(date) = &product.purchase_date
            && chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err()
        {
            return Err(ApiError::bad_request(
                "product.purchase_date must be a date like 2026-01-31",
            ));
        }
    }
    Ok(())
}

/// The job's customer and product: the inline records, or copies of the registry's.
fn resolve_parties(
    conn: &rusqlite::Connection,
    customer: Option<CustomerInput>,
    customer_id: Option<String>,
    product: Option<ProductInput>,
    product_id: Option<String>,
) -> Result<(Customer, Product), ApiError> {
    let unknown = |code, what: &str| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            format!("no {what} has that id in the registry"),
        )
    };
    let registered_product = match &product_id {
        Some(id) => Some(
            registry::product_by_id(conn, id)?
                .ok_or_else(|| unknown("unknown_product", "product"))?,
        ),
        None => None,
    };
    // A product_id alone names its customer too.
    let customer_id = customer_id.or_else(|| {
        customer
            .is_none()
            .then(|| registered_product.as_ref().map(|p| p.customer_id.clone()))
            .flatten()
    });
    let customer = match (customer, customer_id) {
        (Some(c), _) => Customer {
            id: c.id,
            name: c.name,
            phone: c.phone,
            address: c.address,
            tier: c.tier,
            region: c.region,
            site_distance: c.site_distance,
        },
        (None, Some(id)) => {
            let c = registry::customer_by_id(conn, &id)?
                .ok_or_else(|| unknown("unknown_customer", "customer"))?;
            Customer {
                id: c.id,
                name: c.name,
                phone: c.phone,
                address: c.address,
                tier: c.tier,
                region: c.region,
                site_distance: c.site_distance,
            }
        }
        (None, None) => return Err(ApiError::bad_request("a job needs a customer")),
    };
    if let Some(p) = &registered_product
        && !customer.id.is_empty()
        && p.customer_id != customer.id
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "product_customer_mismatch",
            "the product belongs to another customer",
        ));
    }
    let product = match (product, registered_product) {
        (Some(p), _) => Product {
            id: String::new(),
            model: p.model,
            serial: p.serial,
            purchase_date: p.purchase_date,
        },
        (None, Some(p)) => Product {
            id: p.id,
            model: p.model,
            serial: p.serial,
            purchase_date: p.purchase_date,
        },
        (None, None) => return Err(ApiError::bad_request("a job needs a product")),
    };
    Ok((customer, product))
}

fn technician_exists(conn: &rusqlite::Connection, id: &str) -> Result<(), ApiError> {
    match accounts::by_id(conn, id)? {
        Some(a) if a.role == Role::Technician && !a.disabled => Ok(()),
        Some(_) => Err(ApiError::bad_request(
            "the assignee must be an enabled technician account",
        )),
        None => Err(ApiError::bad_request("no account has that assignee id")),
    }
}

pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(req): JsonBody<CreateJob>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    user.require(OFFICE)?;
    validate_create(&req)?;
    let id = new_id();
    let at = now_ms();
    let mut events = vec![Event {
        id: new_id(),
        kind: EventKind::Reported,
        at,
        by: user.user_id.clone(),
    }];
    if req.assignee.is_some() {
        events.push(Event {
            id: new_id(),
            kind: EventKind::Assigned,
            at,
            by: user.user_id.clone(),
        });
    }
    let actor = state.api_actor(&user.user_id);
    let live = state.live.clone();
    let doc_id = id.clone();
    let view = state
        .db
        .write(move |conn| {
            let (customer, product) = resolve_parties(
                conn,
                req.customer,
                req.customer_id,
                req.product,
                req.product_id,
            )?;
            if let Some(a) = &req.assignee {
                technician_exists(conn, a)?;
            }
            let job = Job {
                id: doc_id.clone(),
                origin: if req.complaint {
                    "complaint"
                } else {
                    "hotline"
                }
                .into(),
                complaint: req.complaint,
                reported_at: at,
                customer,
                product,
                fault: autosurgeon::Text::with_value(req.fault),
                assignee: req.assignee,
                events,
                ..Job::default()
            };
            let (doc, change) = JobDoc::create(&job, actor, at).map_err(ApiError::internal)?;
            let edited = Edited::new(doc, change)?;
            commit_edit(conn, &live, &user, &doc_id, None, edited)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// A job document after a back-office edit, with what its commit needs.
struct Edited {
    doc: JobDoc,
    after: Job,
    saved: Vec<u8>,
    change: automerge::Change,
}

impl Edited {
    fn new(mut doc: JobDoc, change: automerge::Change) -> Result<Edited, ApiError> {
        let after = doc.job().map_err(ApiError::internal)?;
        let saved = doc.save();
        Ok(Edited {
            doc,
            after,
            saved,
            change,
        })
    }
}

/// Checks the policy and commits a back-office edit through the same path as synced changes.
fn commit_edit(
    conn: &mut rusqlite::Connection,
    live: &Live,
    user: &AuthUser,
    doc_id: &str,
    before: Option<&Job>,
    edited: Edited,
) -> Result<Value, ApiError> {
    let Edited {
        mut doc,
        after,
        saved,
        change,
    } = edited;
    let actor = Actor {
        user_id: user.user_id.clone(),
        role: user.role,
    };
    check_write(&actor, before, &after)
        .map_err(|r| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, r.code, r.message))?;
    let write = DocWrite {
        doc_id: doc_id.to_string(),
        saved,
        changes: vec![NewChange {
            hash: change.hash(),
            bytes: change.raw_bytes().to_vec(),
        }],
        created: before.is_none(),
        authored: vec![change.actor_id().clone()],
        job: after,
        // The back office's edits are dated by the server clock itself: no offset.
        received: Some({
            let now = now_ms();
            Received {
                at_ms: now,
                device_clock_ms: Some(now),
            }
        }),
    };
    let peer = Peer {
        user_id: user.user_id.clone(),
        role: user.role,
        device_id: API_DEVICE.into(),
    };
    // The store registers the account's actor as owned by it on the API device.
    let mut notices = Vec::new();
    SqliteStore::new(conn, &mut notices).commit(&peer, vec![write])?;
    for notice in notices {
        live.publish(notice);
    }
    job_view(conn, doc_id, &mut doc)
}

fn job_view(
    conn: &rusqlite::Connection,
    doc_id: &str,
    doc: &mut JobDoc,
) -> Result<Value, ApiError> {
    let row = conn.query_row(
        "SELECT status, review_state, assignee FROM jobs WHERE doc_id = ?1",
        [doc_id],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        },
    )?;
    // Walked without recursion: a device chooses how deep its document nests.
    let document = doc_json::to_json(&*doc.automerge()).map_err(ApiError::internal)?;
    Ok(json!({
        "id": doc_id,
        "status": row.0,
        "review_state": row.1,
        "assignee": row.2,
        "document": document.value,
        "truncated": document.truncated,
    }))
}

fn check_id(id: &str) -> Result<(), ApiError> {
    if valid_doc_id(id) {
        Ok(())
    } else {
        Err(ApiError::bad_request("job ids are lowercase UUIDs"))
    }
}

pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    user.require(OFFICE)?;
    check_id(&id)?;
    let again = id.clone();
    // Read beside the writer. Only a document found unusable is looked at again, on the
    // writer, which sets it aside.
    match state.db.read(move |conn| view(conn, &id, false)).await? {
        Some(view) => Ok(Json(view)),
        None => state
            .db
            .write(move |conn| view(conn, &again, true))
            .await?
            .map(Json)
            .ok_or_else(|| ApiError::internal("an unusable job was not set aside")),
    }
}

/// The job's view; `None` for an unusable document found on a reader (`writer` false).
fn view(
    conn: &mut rusqlite::Connection,
    id: &str,
    writer: bool,
) -> Result<Option<Value>, ApiError> {
    match quarantine::load(conn, id)? {
        Loaded::Usable(mut doc, _) => job_view(conn, id, &mut doc).map(Some),
        Loaded::SetAside(q) => Err(quarantine::refused(&q)),
        Loaded::Unusable(reason) if writer => Err(quarantine::set_aside(conn, id, &reason)),
        Loaded::Unusable(_) => Ok(None),
    }
}

/// Loads a job, applies a back-office edit as one change, and commits it.
///
/// A stored document that cannot be loaded or read as a job, or whose loading or edit
/// panics inside Automerge, is set aside (409 `quarantined`); the server goes on serving.
pub(super) async fn edit(
    state: AppState,
    user: AuthUser,
    id: String,
    what: &'static str,
    check: impl FnOnce(&rusqlite::Connection, &Job) -> Result<(), ApiError> + Send + 'static,
    edit: impl FnOnce(&mut Job) + Send + 'static,
) -> Result<Json<Value>, ApiError> {
    check_id(&id)?;
    let actor: ActorId = state.api_actor(&user.user_id);
    let live = state.live.clone();
    state
        .db
        .write(move |conn| {
            let panicked = |conn: &mut rusqlite::Connection, payload: Box<dyn Any + Send>| {
                let reason = format!("could not be edited: {}", panic_message(payload.as_ref()));
                quarantine::set_aside(conn, &id, &reason)
            };
            let loaded = match catch_unwind(AssertUnwindSafe(|| quarantine::load(conn, &id))) {
                Ok(loaded) => loaded?,
                Err(payload) => return Err(panicked(conn, payload)),
            };
            let (mut doc, before) = match loaded {
                Loaded::Usable(doc, job) => (*doc, *job),
                Loaded::SetAside(q) => return Err(quarantine::refused(&q)),
                Loaded::Unusable(reason) => return Err(quarantine::set_aside(conn, &id, &reason)),
            };
            check(conn, &before)?;
            let edited = catch_unwind(AssertUnwindSafe(|| {
                doc.set_actor(actor);
                let change = doc
                    .edit(what, now_ms(), edit)
                    .map_err(ApiError::internal)?
                    .ok_or_else(|| {
                        ApiError::new(
                            StatusCode::CONFLICT,
                            "no_change",
                            "the job is already in that state",
                        )
                    })?;
                Edited::new(doc, change)
            }));
            let edited = match edited {
                Ok(edited) => edited?,
                Err(payload) => return Err(panicked(conn, payload)),
            };
            commit_edit(conn, &live, &user, &id, Some(&before), edited).map(Json)
        })
        .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    assignee: String,
}

pub async fn assign(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<AssignRequest>,
) -> Result<Json<Value>, ApiError> {
    user.require(OFFICE)?;
    let by = user.user_id.clone();
    let assignee = req.assignee;
    let target = assignee.clone();
    edit(
        state,
        user,
        id,
        "assign",
        move |conn, job| {
            technician_exists(conn, &target)?;
            if job.assignee.as_deref() == Some(target.as_str()) {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "no_change",
                    "the job is already assigned to that technician",
                ));
            }
            Ok(())
        },
        move |job| {
            job.assignee = Some(assignee);
            job.events.push(Event {
                id: new_id(),
                kind: EventKind::Assigned,
                at: now_ms(),
                by,
            });
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    decision: String,
    #[serde(default)]
    comment: String,
}

pub async fn review(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<ReviewRequest>,
) -> Result<Json<Value>, ApiError> {
    user.require(OFFICE)?;
    let decision = match req.decision.as_str() {
        "approved" => Decision::Approved,
        "returned" => Decision::Returned,
        _ => {
            return Err(ApiError::bad_request(
                "decision must be 'approved' or 'returned'",
            ));
        }
    };
    if decision == Decision::Returned && req.comment.trim().is_empty() {
        return Err(ApiError::bad_request(
            "a returned job needs a comment for the technician",
        ));
    }
    let by = user.user_id.clone();
    edit(
        state,
        user,
        id,
        "review",
        |_, job| {
            if onsite_domain::derive_review(job) != onsite_domain::ReviewState::Pending {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "not_pending",
                    "only a completed job waiting for review can be reviewed",
                ));
            }
            Ok(())
        },
        move |job| {
            job.reviews.push(ReviewDecision {
                id: new_id(),
                decision,
                comment: req.comment,
                at: now_ms(),
                by,
            })
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    review_state: Option<String>,
    assignee: Option<String>,
    #[serde(default = "default_limit")]
    limit: u32,
    #[serde(default)]
    offset: u32,
}

fn default_limit() -> u32 {
    50
}

pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    user.require(OFFICE)?;
    if q.limit == 0 || q.limit > 500 {
        return Err(ApiError::bad_request("limit must be between 1 and 500"));
    }
    if let Some(s) = &q.status
        && onsite_domain::Status::parse(s).is_none()
    {
        return Err(ApiError::bad_request("unknown status"));
    }
    state
        .db
        .read(move |conn| {
            // Filters are bound parameters: a NULL parameter disables its filter.
            let mut stmt = conn.prepare_cached(
                "SELECT doc_id, status, review_state, assignee, customer_name, product_model, complaint, reported_at
                   FROM jobs
                  WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR review_state = ?2)
                    AND (?3 IS NULL OR assignee = ?3)
                  ORDER BY reported_at DESC, doc_id LIMIT ?4 OFFSET ?5",
            )?;
            let rows = stmt
                .query_map(params![q.status, q.review_state, q.assignee, q.limit, q.offset], |r| {
                    Ok(json!({
                        "id": r.get::<_, String>(0)?,
                        "status": r.get::<_, String>(1)?,
                        "review_state": r.get::<_, String>(2)?,
                        "assignee": r.get::<_, Option<String>>(3)?,
                        "customer_name": r.get::<_, String>(4)?,
                        "product_model": r.get::<_, String>(5)?,
                        "complaint": r.get::<_, bool>(6)?,
                        "reported_at": r.get::<_, i64>(7)?,
                    }))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Json(json!({ "jobs": rows, "limit": q.limit, "offset": q.offset })))
        })
        .await
}

/// Responsible departments: R&D, customer service, production, quality, supply.
pub use onsite_domain::job::DEPARTMENTS;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifyRequest {
    feedback_category: String,
    responsible_department: String,
}

/// Sets the feedback category (产品/服务/流程问题) and the responsible department.
pub async fn classify(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<ClassifyRequest>,
) -> Result<Json<Value>, ApiError> {
    user.require(OFFICE)?;
    if !super::review::FEEDBACK_CATEGORIES.contains(&req.feedback_category.as_str()) {
        return Err(ApiError::bad_request(
            "feedback_category must be product, service or process",
        ));
    }
    if !DEPARTMENTS.contains(&req.responsible_department.as_str()) {
        return Err(ApiError::bad_request(format!(
            "responsible_department must be one of {}",
            DEPARTMENTS.join(", ")
        )));
    }
    edit(
        state,
        user,
        id,
        "classify",
        |_, _| Ok(()),
        move |job| {
            job.feedback_category = Some(req.feedback_category);
            job.responsible_department = Some(req.responsible_department);
        },
    )
    .await
}

/// Cancels a job that is not completed; the technician's device hears it by sync.
pub async fn cancel(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    user.require(OFFICE)?;
    let by = user.user_id.clone();
    edit(
        state,
        user,
        id,
        "cancel",
        |_, job| match onsite_domain::derive_status(job) {
            onsite_domain::Status::Completed => Err(ApiError::new(
                StatusCode::CONFLICT,
                "completed",
                "a completed job cannot be cancelled",
            )),
            onsite_domain::Status::Cancelled => Err(ApiError::new(
                StatusCode::CONFLICT,
                "no_change",
                "the job is already cancelled",
            )),
            _ => Ok(()),
        },
        move |job| {
            job.events.push(Event {
                id: new_id(),
                kind: EventKind::Cancelled,
                at: now_ms(),
                by,
            })
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Config;
    use crate::storage;

    async fn setup() -> (tempfile::TempDir, AppState, AuthUser) {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::open(Config::new(dir.path())).unwrap();
        let account = {
            let conn = state.db.writer().unwrap();
            accounts::create_user(
                &conn,
                "office",
                "office",
                Role::BackOffice,
                "long-password-1",
            )
            .unwrap()
        };
        let user = AuthUser {
            user_id: account.id,
            username: "office".into(),
            role: Role::BackOffice,
            device_id: "office-pc".into(),
            expires_at: i64::MAX,
        };
        (dir, state, user)
    }

    async fn new_job(state: &AppState, user: &AuthUser, customer: &str) -> String {
        let req = CreateJob {
            customer: Some(CustomerInput {
                id: String::new(),
                name: customer.into(),
                phone: String::new(),
                address: String::new(),
                tier: general(),
                region: String::new(),
                site_distance: near(),
            }),
            customer_id: None,
            product: Some(ProductInput {
                model: "AC-9000".into(),
                serial: String::new(),
                purchase_date: None,
            }),
            product_id: None,
            fault: "does not cool".into(),
            complaint: false,
            assignee: None,
        };
        let (_, Json(view)) = create(State(state.clone()), user.clone(), JsonBody(req))
            .await
            .unwrap();
        view["id"].as_str().unwrap().to_string()
    }

    #[tokio::test]
    async fn an_edit_that_panics_sets_the_job_aside_and_the_server_goes_on() {
        let (_dir, state, user) = setup().await;
        let job = new_job(&state, &user, "Zhang").await;
        let before = state
            .db
            .read({
                let job = job.clone();
                move |c| Ok::<_, ApiError>(storage::load_doc(c, &job)?.map(|mut d| d.save()))
            })
            .await
            .unwrap();

        let err = edit(
            state.clone(),
            user.clone(),
            job.clone(),
            "classify",
            |_, _| Ok(()),
            |_| panic!("automerge exploded"),
        )
        .await
        .unwrap_err();
        assert_eq!(
            (err.status, err.code),
            (StatusCode::CONFLICT, "quarantined")
        );
        assert!(
            err.message
                .contains("could not be edited: automerge exploded"),
            "{}",
            err.message
        );

        let (quarantined, after) = state
            .db
            .read({
                let job = job.clone();
                move |c| {
                    Ok::<_, ApiError>((
                        storage::quarantined(c, &job)?,
                        storage::load_doc(c, &job)?.map(|mut d| d.save()),
                    ))
                }
            })
            .await
            .unwrap();
        let quarantined = quarantined.unwrap();
        assert_eq!(
            quarantined.reason,
            "could not be edited: automerge exploded"
        );
        // Nothing of the edit was stored.
        assert_eq!(before, after);

        // The job is refused from now on, without touching it again.
        let err = edit(
            state.clone(),
            user.clone(),
            job.clone(),
            "classify",
            |_, _| Ok(()),
            |job| job.feedback_category = Some("product".into()),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code, "quarantined");
        let err = get(State(state.clone()), user.clone(), Path(job.clone()))
            .await
            .unwrap_err();
        assert_eq!(err.code, "quarantined");

        // Other jobs are created and edited as before, on the same writer.
        let other = new_job(&state, &user, "Li").await;
        let Json(view) = edit(
            state.clone(),
            user.clone(),
            other.clone(),
            "classify",
            |_, _| Ok(()),
            |job| job.feedback_category = Some("product".into()),
        )
        .await
        .unwrap();
        assert_eq!(view["document"]["feedback_category"], "product");
    }
}
