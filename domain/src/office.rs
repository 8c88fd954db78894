//! The back office's operations on a job, as rules: what a new job needs and how it is
//! made from the request and the registry, and which state of a job allows which edit.
//!
//! Nothing here reads or writes storage: the server looks up what a rule needs (a registry
//! record, an account), asks the rule, and commits what it returns through the same path
//! as a synced change, where the write policy ([`crate::check_write`]) is checked again.

use serde::Deserialize;

use crate::job::{DEPARTMENTS, FEEDBACK_CATEGORIES};
use crate::{
    Customer, Decision, Event, EventKind, Job, Product, ReviewDecision, ReviewState, Role, Status,
    derive_review, derive_status,
};

/// What kind of refusal: the request is malformed, names nothing, conflicts with the job's
/// state, or breaks a rule of the data it refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Invalid,
    NotFound,
    Conflict,
    Unprocessable,
}

/// Why the back office cannot do what it asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct OfficeError {
    pub kind: Kind,
    pub code: &'static str,
    pub message: String,
}

impl OfficeError {
    pub fn invalid(message: impl Into<String>) -> OfficeError {
        OfficeError::new(Kind::Invalid, "bad_request", message)
    }

    pub fn not_found(message: impl Into<String>) -> OfficeError {
        OfficeError::new(Kind::NotFound, "not_found", message)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> OfficeError {
        OfficeError::new(Kind::Conflict, code, message)
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> OfficeError {
        OfficeError::new(Kind::Unprocessable, code, message)
    }

    fn new(kind: Kind, code: &'static str, message: impl Into<String>) -> OfficeError {
        OfficeError {
            kind,
            code,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    #[serde(default)]
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub address: String,
    #[serde(default = "general")]
    pub tier: String,
    #[serde(default)]
    pub region: String,
    #[serde(default = "near")]
    pub site_distance: String,
}

fn general() -> String {
    "general".into()
}
fn near() -> String {
    "near".into()
}

impl CustomerInput {
    /// A customer given by name only, with the defaults of the API.
    pub fn named(name: impl Into<String>) -> CustomerInput {
        CustomerInput {
            id: String::new(),
            name: name.into(),
            phone: String::new(),
            address: String::new(),
            tier: general(),
            region: String::new(),
            site_distance: near(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    pub model: String,
    #[serde(default)]
    pub serial: String,
    pub purchase_date: Option<String>,
}

/// A new job. The customer is given inline (`customer`) or as a registry id
/// (`customer_id`), and so is the product (`product` or `product_id`); a `product_id`
/// alone also gives its customer. Records from the registry are copied into the job: the
/// job keeps them as they were when it was made.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateJob {
    pub customer: Option<CustomerInput>,
    pub customer_id: Option<String>,
    pub product: Option<ProductInput>,
    pub product_id: Option<String>,
    pub fault: String,
    #[serde(default)]
    pub complaint: bool,
    /// Account id of the technician to assign at once.
    pub assignee: Option<String>,
}

impl CreateJob {
    /// Checks what the request says by itself, before anything is looked up.
    pub fn validate(&self) -> Result<(), OfficeError> {
        match (&self.customer, &self.customer_id, &self.product_id) {
            (Some(_), Some(_), _) => {
                return Err(OfficeError::invalid(
                    "give either customer or customer_id, not both",
                ));
            }
            (None, None, None) => {
                return Err(OfficeError::invalid(
                    "a job needs a customer: customer, customer_id, or a product_id",
                ));
            }
            _ => {}
        }
        match (&self.product, &self.product_id) {
            (Some(_), Some(_)) => {
                return Err(OfficeError::invalid(
                    "give either product or product_id, not both",
                ));
            }
            (None, None) => {
                return Err(OfficeError::invalid(
                    "a job needs a product: product or product_id",
                ));
            }
            _ => {}
        }
        if let Some(customer) = &self.customer {
            if customer.name.trim().is_empty() {
                return Err(OfficeError::invalid("customer.name is required"));
            }
            if !matches!(customer.site_distance.as_str(), "near" | "far") {
                return Err(OfficeError::invalid(
                    "customer.site_distance must be 'near' or 'far'",
                ));
            }
        }
        if let Some(product) = &self.product {
            if product.model.trim().is_empty() {
                return Err(OfficeError::invalid("product.model is required"));
            }
            if let Some(date) = &product.purchase_date
                && chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err()
            {
                return Err(OfficeError::invalid(
                    "product.purchase_date must be a date like 2026-01-31",
                ));
            }
        }
        Ok(())
    }
}

/// A product of the registry: the customer it belongs to, and the record a job copies.
pub type RegistryProduct = (String, Product);

/// Where a new job's registry ids are looked up.
pub trait Registry {
    type Error: From<OfficeError>;
    fn product(&mut self, id: &str) -> Result<Option<RegistryProduct>, Self::Error>;
    fn customer(&mut self, id: &str) -> Result<Option<Customer>, Self::Error>;
}

/// The job's customer and product: the inline records, or copies of the registry's. Takes
/// them out of `req`.
pub fn resolve_parties<R: Registry>(
    req: &mut CreateJob,
    registry: &mut R,
) -> Result<(Customer, Product), R::Error> {
    let unknown = |code, what: &str| {
        OfficeError::unprocessable(code, format!("no {what} has that id in the registry"))
    };
    let registered_product = match &req.product_id {
        Some(id) => Some(
            registry
                .product(id)?
                .ok_or_else(|| unknown("unknown_product", "product"))?,
        ),
        None => None,
    };
    // A product_id alone names its customer too.
    let customer_id = req.customer_id.take().or_else(|| {
        req.customer
            .is_none()
            .then(|| registered_product.as_ref().map(|(c, _)| c.clone()))
            .flatten()
    });
    let customer = match (req.customer.take(), customer_id) {
        (Some(c), _) => Customer {
            id: c.id,
            name: c.name,
            phone: c.phone,
            address: c.address,
            tier: c.tier,
            region: c.region,
            site_distance: c.site_distance,
        },
        (None, Some(id)) => registry
            .customer(&id)?
            .ok_or_else(|| unknown("unknown_customer", "customer"))?,
        (None, None) => return Err(OfficeError::invalid("a job needs a customer").into()),
    };
    if let Some((owner, _)) = &registered_product
        && !customer.id.is_empty()
        && *owner != customer.id
    {
        return Err(OfficeError::unprocessable(
            "product_customer_mismatch",
            "the product belongs to another customer",
        )
        .into());
    }
    let product = match (req.product.take(), registered_product) {
        (Some(p), _) => Product {
            id: String::new(),
            model: p.model,
            serial: p.serial,
            purchase_date: p.purchase_date,
        },
        (None, Some((_, p))) => p,
        (None, None) => return Err(OfficeError::invalid("a job needs a product").into()),
    };
    Ok((customer, product))
}

/// Whether an account may be assigned jobs: `account` is its role and whether it is
/// disabled, `None` when no account has the id.
pub fn check_assignee(account: Option<(Role, bool)>) -> Result<(), OfficeError> {
    match account {
        Some((Role::Technician, false)) => Ok(()),
        Some(_) => Err(OfficeError::invalid(
            "the assignee must be an enabled technician account",
        )),
        None => Err(OfficeError::invalid("no account has that assignee id")),
    }
}

/// Who makes a new job, when, and the ids it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Made {
    pub id: String,
    pub at: i64,
    pub by: String,
}

/// The new job: reported (and assigned, when an assignee is given) at `made.at` by
/// `made.by`; `new_id` names its events.
pub fn new_job(
    req: CreateJob,
    customer: Customer,
    product: Product,
    made: Made,
    mut new_id: impl FnMut() -> String,
) -> Job {
    let mut events = vec![Event {
        id: new_id(),
        kind: EventKind::Reported,
        at: made.at,
        by: made.by.clone(),
    }];
    if req.assignee.is_some() {
        events.push(Event {
            id: new_id(),
            kind: EventKind::Assigned,
            at: made.at,
            by: made.by,
        });
    }
    Job {
        id: made.id,
        origin: if req.complaint {
            "complaint"
        } else {
            "hotline"
        }
        .into(),
        complaint: req.complaint,
        reported_at: made.at,
        customer,
        product,
        fault: autosurgeon::Text::with_value(req.fault),
        assignee: req.assignee,
        events,
        ..Job::default()
    }
}

/// A back-office edit of an existing job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Assign {
        assignee: String,
    },
    Review {
        decision: Decision,
        comment: String,
    },
    /// The feedback category (产品/服务/流程问题) and the responsible department.
    Classify {
        feedback_category: String,
        responsible_department: String,
    },
    /// Cancels a job that is not completed; the technician's device hears it by sync.
    Cancel,
}

impl Edit {
    /// A review decision as the API names it.
    pub fn review(decision: &str, comment: String) -> Result<Edit, OfficeError> {
        let decision = match decision {
            "approved" => Decision::Approved,
            "returned" => Decision::Returned,
            _ => {
                return Err(OfficeError::invalid(
                    "decision must be 'approved' or 'returned'",
                ));
            }
        };
        if decision == Decision::Returned && comment.trim().is_empty() {
            return Err(OfficeError::invalid(
                "a returned job needs a comment for the technician",
            ));
        }
        Ok(Edit::Review { decision, comment })
    }

    pub fn classify(
        feedback_category: String,
        responsible_department: String,
    ) -> Result<Edit, OfficeError> {
        if !FEEDBACK_CATEGORIES.contains(&feedback_category.as_str()) {
            return Err(OfficeError::invalid(
                "feedback_category must be product, service or process",
            ));
        }
        if !DEPARTMENTS.contains(&responsible_department.as_str()) {
            return Err(OfficeError::invalid(format!(
                "responsible_department must be one of {}",
                DEPARTMENTS.join(", ")
            )));
        }
        Ok(Edit::Classify {
            feedback_category,
            responsible_department,
        })
    }

    /// The change message the edit is recorded with (the job's edit history shows it).
    pub fn what(&self) -> &'static str {
        match self {
            Edit::Assign { .. } => "assign",
            Edit::Review { .. } => "review",
            Edit::Classify { .. } => "classify",
            Edit::Cancel => "cancel",
        }
    }

    /// Whether the job's state allows the edit.
    pub fn check(&self, job: &Job) -> Result<(), OfficeError> {
        match self {
            Edit::Assign { assignee } if job.assignee.as_deref() == Some(assignee.as_str()) => {
                Err(OfficeError::conflict(
                    "no_change",
                    "the job is already assigned to that technician",
                ))
            }
            Edit::Review { .. } if derive_review(job) != ReviewState::Pending => {
                Err(OfficeError::conflict(
                    "not_pending",
                    "only a completed job waiting for review can be reviewed",
                ))
            }
            Edit::Cancel => match derive_status(job) {
                Status::Completed => Err(OfficeError::conflict(
                    "completed",
                    "a completed job cannot be cancelled",
                )),
                Status::Cancelled => Err(OfficeError::conflict(
                    "no_change",
                    "the job is already cancelled",
                )),
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// Applies the edit, made by `by` at `at`; `id` names the event or review it adds.
    pub fn apply(self, job: &mut Job, by: String, at: i64, id: String) {
        match self {
            Edit::Assign { assignee } => {
                job.assignee = Some(assignee);
                job.events.push(Event {
                    id,
                    kind: EventKind::Assigned,
                    at,
                    by,
                });
            }
            Edit::Review { decision, comment } => job.reviews.push(ReviewDecision {
                id,
                decision,
                comment,
                at,
                by,
            }),
            Edit::Classify {
                feedback_category,
                responsible_department,
            } => {
                job.feedback_category = Some(feedback_category);
                job.responsible_department = Some(responsible_department);
            }
            Edit::Cancel => job.events.push(Event {
                id,
                kind: EventKind::Cancelled,
                at,
                by,
            }),
        }
    }
}

/// Whether a callback survey (回访) may be recorded on the job: only a completed one.
pub fn check_callback(job: &Job) -> Result<(), OfficeError> {
    if derive_status(job) != Status::Completed {
        return Err(OfficeError::conflict(
            "not_completed",
            "a callback survey is about a completed job",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> CreateJob {
        CreateJob {
            customer: Some(CustomerInput::named("Zhang")),
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
        }
    }

    fn event(kind: EventKind, at: i64) -> Event {
        Event {
            id: format!("e{at}"),
            kind,
            at,
            by: "tech".into(),
        }
    }

    /// A registry of one customer and one product; `None` answers fail the test if asked.
    #[derive(Default)]
    struct Fake {
        product: Option<Option<RegistryProduct>>,
        customer: Option<Option<Customer>>,
    }

    impl Registry for Fake {
        type Error = OfficeError;
        fn product(&mut self, id: &str) -> Result<Option<RegistryProduct>, OfficeError> {
            let found = self.product.take().expect("no product lookup expected");
            Ok(found.map(|(c, p)| (c, Product { id: id.into(), ..p })))
        }
        fn customer(&mut self, id: &str) -> Result<Option<Customer>, OfficeError> {
            let found = self.customer.take().expect("no customer lookup expected");
            Ok(found.map(|c| Customer { id: id.into(), ..c }))
        }
    }

    #[test]
    fn a_request_needs_one_customer_and_one_product() {
        assert_eq!(request().validate(), Ok(()));
        let mut both = request();
        both.customer_id = Some("c1".into());
        assert_eq!(
            both.validate().unwrap_err().message,
            "give either customer or customer_id, not both"
        );
        let mut none = request();
        none.customer = None;
        assert_eq!(none.validate().unwrap_err().kind, Kind::Invalid);
        let mut no_product = request();
        no_product.product = None;
        assert_eq!(
            no_product.validate().unwrap_err().message,
            "a job needs a product: product or product_id"
        );
        let mut far = request();
        if let Some(c) = far.customer.as_mut() {
            c.site_distance = "moon".into();
        }
        assert_eq!(
            far.validate().unwrap_err().message,
            "customer.site_distance must be 'near' or 'far'"
        );
        let mut date = request();
        if let Some(p) = date.product.as_mut() {
            p.purchase_date = Some("31/01/2026".into());
        }
        assert_eq!(date.validate().unwrap_err().code, "bad_request");
    }

    #[test]
    fn a_product_id_alone_brings_its_customer_from_the_registry() {
        let mut req = request();
        req.customer = None;
        req.product = None;
        req.product_id = Some("p1".into());
        let product = Product {
            id: "p1".into(),
            model: "AC-1".into(),
            serial: "S1".into(),
            purchase_date: None,
        };
        let mut registry = Fake {
            product: Some(Some(("c1".to_string(), product.clone()))),
            customer: Some(Some(Customer {
                name: "Li".into(),
                ..Customer::default()
            })),
        };
        let (customer, got) = resolve_parties(&mut req, &mut registry).unwrap();
        assert_eq!((customer.id.as_str(), customer.name.as_str()), ("c1", "Li"));
        assert_eq!(got, product);
    }

    #[test]
    fn registry_ids_that_name_nothing_or_disagree_are_refused() {
        let mut req = request();
        req.product = None;
        req.product_id = Some("p1".into());
        let mut unknown_product = Fake {
            product: Some(None),
            ..Fake::default()
        };
        let err = resolve_parties(&mut req, &mut unknown_product).unwrap_err();
        assert_eq!(
            (err.kind, err.code),
            (Kind::Unprocessable, "unknown_product")
        );

        let mut other = request();
        other.customer = None;
        other.customer_id = Some("c2".into());
        other.product = None;
        other.product_id = Some("p1".into());
        let mut registry = Fake {
            product: Some(Some(("c1".to_string(), Product::default()))),
            customer: Some(Some(Customer::default())),
        };
        let err = resolve_parties(&mut other, &mut registry).unwrap_err();
        assert_eq!(err.code, "product_customer_mismatch");

        let mut unknown = request();
        unknown.customer = None;
        unknown.customer_id = Some("c9".into());
        let mut unknown_customer = Fake {
            customer: Some(None),
            ..Fake::default()
        };
        let err = resolve_parties(&mut unknown, &mut unknown_customer).unwrap_err();
        assert_eq!(err.code, "unknown_customer");
    }

    #[test]
    fn a_new_job_is_reported_and_assigned_at_once_when_an_assignee_is_given() {
        let mut req = request();
        req.assignee = Some("tech".into());
        req.complaint = true;
        let (customer, product) = resolve_parties(&mut req, &mut Fake::default()).unwrap();
        let mut n = 0;
        let job = new_job(
            req,
            customer,
            product,
            Made {
                id: "job".into(),
                at: 5,
                by: "office".into(),
            },
            || {
                n += 1;
                format!("id{n}")
            },
        );
        assert_eq!(job.origin, "complaint");
        assert_eq!(job.assignee.as_deref(), Some("tech"));
        let kinds: Vec<_> = job.events.iter().map(|e| (e.kind, e.id.as_str())).collect();
        assert_eq!(
            kinds,
            [(EventKind::Reported, "id1"), (EventKind::Assigned, "id2")]
        );
        assert_eq!(derive_status(&job), Status::Assigned);
    }

    #[test]
    fn only_enabled_technicians_are_assigned() {
        assert_eq!(check_assignee(Some((Role::Technician, false))), Ok(()));
        assert_eq!(
            check_assignee(Some((Role::Technician, true)))
                .unwrap_err()
                .message,
            "the assignee must be an enabled technician account"
        );
        assert!(check_assignee(Some((Role::BackOffice, false))).is_err());
        assert_eq!(
            check_assignee(None).unwrap_err().message,
            "no account has that assignee id"
        );
    }

    #[test]
    fn the_state_of_the_job_decides_which_edit_it_allows() {
        let mut job = Job {
            assignee: Some("tech".into()),
            events: vec![event(EventKind::Reported, 1), event(EventKind::Assigned, 2)],
            ..Job::default()
        };
        let again = Edit::Assign {
            assignee: "tech".into(),
        };
        assert_eq!(again.check(&job).unwrap_err().code, "no_change");
        let review = Edit::review("approved", String::new()).unwrap();
        assert_eq!(review.check(&job).unwrap_err().code, "not_pending");
        assert_eq!(check_callback(&job).unwrap_err().code, "not_completed");
        assert_eq!(Edit::Cancel.check(&job), Ok(()));

        job.events.push(event(EventKind::Completed, 3));
        assert_eq!(Edit::Cancel.check(&job).unwrap_err().kind, Kind::Conflict);
        assert_eq!(Edit::Cancel.check(&job).unwrap_err().code, "completed");
        assert_eq!(check_callback(&job), Ok(()));

        let mut cancelled = Job::default();
        Edit::Cancel.apply(&mut cancelled, "office".into(), 4, "e4".into());
        assert_eq!(
            Edit::Cancel.check(&cancelled).unwrap_err().code,
            "no_change"
        );
    }

    #[test]
    fn edits_are_applied_as_the_back_office_made_them() {
        let mut job = Job::default();
        Edit::Assign {
            assignee: "tech".into(),
        }
        .apply(&mut job, "office".into(), 7, "e1".into());
        assert_eq!(job.assignee.as_deref(), Some("tech"));
        assert_eq!(job.events[0].kind, EventKind::Assigned);
        assert_eq!(job.events[0].by, "office");

        Edit::classify("product".into(), "quality".into())
            .unwrap()
            .apply(&mut job, "office".into(), 8, "unused".into());
        assert_eq!(job.feedback_category.as_deref(), Some("product"));
        assert_eq!(job.responsible_department.as_deref(), Some("quality"));

        Edit::review("returned", "photos missing".into())
            .unwrap()
            .apply(&mut job, "office".into(), 9, "r1".into());
        assert_eq!(job.reviews[0].decision, Decision::Returned);
        assert_eq!(job.reviews[0].comment, "photos missing");
    }

    #[test]
    fn requests_for_edits_are_checked_before_anything_is_loaded() {
        assert_eq!(
            Edit::review("maybe", String::new()).unwrap_err().message,
            "decision must be 'approved' or 'returned'"
        );
        assert_eq!(
            Edit::review("returned", "  ".into()).unwrap_err().message,
            "a returned job needs a comment for the technician"
        );
        assert_eq!(
            Edit::classify("weather".into(), "quality".into())
                .unwrap_err()
                .message,
            "feedback_category must be product, service or process"
        );
        assert_eq!(
            Edit::classify("product".into(), "sales".into())
                .unwrap_err()
                .message,
            "responsible_department must be one of rnd, customer_service, production, quality, supply"
        );
        assert_eq!(Edit::Cancel.what(), "cancel");
    }
}
