//! What an odd input is read as: a plan of one request, made with `arbitrary`.

mod build;
mod send;

use super::*;

#[derive(Arbitrary, Debug)]
pub(super) struct Plan {
    /// From the technician's second device rather than the phone.
    tablet: bool,
    action: Action,
}

#[derive(Arbitrary, Debug)]
enum Action {
    Sync {
        pushes: Vec<Push>,
        pull: Option<Pull>,
        upload_reference: bool,
    },
    /// Automerge's own sync protocol, a few rounds, from a built document.
    Repair {
        doc: DocChoice,
        build: Build,
        rounds: u8,
    },
    RawRepair {
        doc: DocChoice,
        message: Vec<u8>,
    },
    Scope,
}

#[derive(Arbitrary, Debug)]
struct Pull {
    cursor: Option<(bool, u64)>,
    max_items: u32,
    reference: Option<u64>,
}

#[derive(Arbitrary, Debug)]
enum Push {
    Raw {
        doc: DocChoice,
        changes: Vec<Vec<u8>>,
    },
    Whole {
        doc: DocChoice,
        whole: Vec<u8>,
        changes: Vec<Vec<u8>>,
    },
    Built {
        doc: DocChoice,
        build: Build,
        send: Send,
    },
}

#[derive(Arbitrary, Debug, Clone)]
enum DocChoice {
    Job,
    Other,
    New,
    Id(String),
}

impl DocChoice {
    fn id(&self) -> String {
        match self {
            DocChoice::Job => JOB.into(),
            DocChoice::Other => OTHER.into(),
            DocChoice::New => NEW.into(),
            DocChoice::Id(s) => s.clone(),
        }
    }
}

/// A document built on the device side: a starting point, an actor, then commits.
#[derive(Arbitrary, Debug)]
struct Build {
    base: Base,
    actor: ActorChoice,
    commits: Vec<Vec<Op>>,
}

#[derive(Arbitrary, Debug)]
enum Base {
    /// The server's document of that id (empty if it holds none).
    Current,
    /// The server's document as it was right after its creation.
    AtCreation,
    Empty,
    /// A new job made on the device with that id, assigned to `wang` or to someone else.
    Fresh {
        mine: bool,
    },
    /// The seeded job's content whatever the id (a copy under another id).
    Seeded,
}

#[derive(Arbitrary, Debug)]
enum ActorChoice {
    /// The actor `wang`'s phone owns.
    Phone,
    /// The back office's actor.
    Office,
    /// An actor nobody has used yet.
    Tablet,
    Bytes([u8; 16]),
    Short(u8),
}

impl ActorChoice {
    fn actor(&self) -> ActorId {
        match self {
            ActorChoice::Phone => phone_actor(),
            ActorChoice::Office => office_actor(),
            ActorChoice::Tablet => tablet_actor(),
            ActorChoice::Bytes(b) => ActorId::from(b.as_slice()),
            ActorChoice::Short(b) => ActorId::from([*b].as_slice()),
        }
    }
}

/// How the built document is sent.
#[derive(Arbitrary, Debug)]
struct Send {
    /// As `whole` (`save()`) instead of changes.
    whole: bool,
    /// Every change of the document, not just those made after the base.
    from_start: bool,
    /// Leave one change out (its dependants then lack it).
    drop: Option<u8>,
    reverse: bool,
    /// Flip bits of one byte of the whole document or of the first change.
    corrupt: Option<(u16, u8)>,
    /// Raw bytes sent as further changes.
    extra: Vec<Vec<u8>>,
}

#[derive(Arbitrary, Debug)]
enum Op {
    Put {
        at: Path,
        key: Key,
        value: Scalar,
    },
    PutObject {
        at: Path,
        key: Key,
        kind: Kind,
    },
    Insert {
        at: Path,
        index: u8,
        value: Scalar,
    },
    InsertObject {
        at: Path,
        index: u8,
        kind: Kind,
    },
    Delete {
        at: Path,
        key: Key,
    },
    Splice {
        at: Path,
        pos: u8,
        del: i8,
        text: String,
    },
    Increment {
        at: Path,
        key: Key,
        by: i64,
    },
    Typed(Typed),
}

/// Where an operation applies: a walk from the root, one step per segment, that stops at
/// the first value that is not an object.
#[derive(Arbitrary, Debug)]
struct Path(Vec<Step>);

#[derive(Arbitrary, Debug)]
enum Step {
    Field(Field),
    /// The n-th key of a map or element of a list.
    Nth(u8),
    Key(String),
}

#[derive(Arbitrary, Debug)]
enum Key {
    Field(Field),
    Nth(u8),
    Name(String),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Kind {
    Map,
    List,
    Text,
}

impl Kind {
    fn obj_type(self) -> ObjType {
        match self {
            Kind::Map => ObjType::Map,
            Kind::List => ObjType::List,
            Kind::Text => ObjType::Text,
        }
    }
}

/// Field names of the job schema.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Field {
    SchemaVersion,
    Id,
    Origin,
    Complaint,
    ReportedAt,
    Customer,
    Product,
    Fault,
    Diagnosis,
    Resolution,
    Assignee,
    Events,
    Notes,
    Parts,
    Forms,
    Reviews,
    Attachments,
    LabourMinutes,
    FeedbackCategory,
    ResponsibleDepartment,
    Name,
    Phone,
    Tier,
    Kind,
    At,
    By,
    Decision,
    Comment,
    Points,
    Answers,
    Sku,
    Quantity,
    Text,
    Suggestion,
    SubmittedAt,
    TemplateId,
    TemplateVersion,
    Respondent,
    Billable,
    SerialsRemoved,
    Sha256,
    Bytes,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::SchemaVersion => "schema_version",
            Field::Id => "id",
            Field::Origin => "origin",
            Field::Complaint => "complaint",
            Field::ReportedAt => "reported_at",
            Field::Customer => "customer",
            Field::Product => "product",
            Field::Fault => "fault",
            Field::Diagnosis => "diagnosis",
            Field::Resolution => "resolution",
            Field::Assignee => "assignee",
            Field::Events => "events",
            Field::Notes => "notes",
            Field::Parts => "parts",
            Field::Forms => "forms",
            Field::Reviews => "reviews",
            Field::Attachments => "attachments",
            Field::LabourMinutes => "labour_minutes",
            Field::FeedbackCategory => "feedback_category",
            Field::ResponsibleDepartment => "responsible_department",
            Field::Name => "name",
            Field::Phone => "phone",
            Field::Tier => "tier",
            Field::Kind => "kind",
            Field::At => "at",
            Field::By => "by",
            Field::Decision => "decision",
            Field::Comment => "comment",
            Field::Points => "points",
            Field::Answers => "answers",
            Field::Sku => "sku",
            Field::Quantity => "quantity",
            Field::Text => "text",
            Field::Suggestion => "suggestion",
            Field::SubmittedAt => "submitted_at",
            Field::TemplateId => "template_id",
            Field::TemplateVersion => "template_version",
            Field::Respondent => "respondent",
            Field::Billable => "billable",
            Field::SerialsRemoved => "serials_removed",
            Field::Sha256 => "sha256",
            Field::Bytes => "bytes",
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Scalar {
    Word(Word),
    Str(String),
    Small(i8),
    Int(i64),
    Uint(u64),
    F64(f64),
    Bool(bool),
    Null,
    Counter(i64),
    Timestamp(i64),
    Bytes(Vec<u8>),
}

/// String values the schema gives meaning to.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Word {
    Wang,
    Li,
    Office,
    Reported,
    Assigned,
    Accepted,
    Completed,
    Cancelled,
    Approved,
    Returned,
    SelfAssessment,
    Survey,
    Template,
    Job,
    Other,
    Empty,
}

impl Word {
    fn text(self) -> &'static str {
        match self {
            Word::Wang => "wang",
            Word::Li => "li",
            Word::Office => "office",
            // autosurgeon stores a unit enum variant as its name.
            Word::Reported => "Reported",
            Word::Assigned => "Assigned",
            Word::Accepted => "Accepted",
            Word::Completed => "Completed",
            Word::Cancelled => "Cancelled",
            Word::Approved => "Approved",
            Word::Returned => "Returned",
            Word::SelfAssessment => "self",
            Word::Survey => "survey",
            Word::Template => "csat-onsite",
            Word::Job => JOB,
            Word::Other => OTHER,
            Word::Empty => "",
        }
    }
}

impl Scalar {
    fn value(&self) -> ScalarValue {
        match self {
            Scalar::Word(w) => ScalarValue::Str(w.text().into()),
            Scalar::Str(s) => ScalarValue::Str(s.as_str().into()),
            Scalar::Small(i) => ScalarValue::Int(i64::from(*i)),
            Scalar::Int(i) => ScalarValue::Int(*i),
            Scalar::Uint(u) => ScalarValue::Uint(*u),
            Scalar::F64(f) => ScalarValue::F64(*f),
            Scalar::Bool(b) => ScalarValue::Boolean(*b),
            Scalar::Null => ScalarValue::Null,
            Scalar::Counter(c) => ScalarValue::counter(*c),
            Scalar::Timestamp(t) => ScalarValue::Timestamp(*t),
            Scalar::Bytes(b) => ScalarValue::Bytes(b.clone()),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Who {
    Wang,
    Li,
    Office,
}

impl Who {
    fn name(self) -> &'static str {
        match self {
            Who::Wang => "wang",
            Who::Li => "li",
            Who::Office => "office",
        }
    }
}

/// Edits through the typed view, as the app makes them (hydrate, change, reconcile).
#[derive(Arbitrary, Debug)]
enum Typed {
    Event {
        kind: u8,
        by: Who,
        at: i64,
        id: u8,
    },
    RemoveEvent(u8),
    RewriteEvent {
        index: u8,
        by: Who,
        at: i64,
    },
    Note {
        id: u8,
        by: Who,
        text: String,
    },
    Part {
        id: u8,
        by: Who,
        quantity: i64,
    },
    RemovePart(u8),
    Form {
        id: u8,
        by: Who,
        points: i64,
        item: u8,
    },
    RemoveForm(u8),
    Review {
        approve: bool,
        by: Who,
    },
    RemoveReview(u8),
    Assign(Option<Who>),
    CustomerName(String),
    Diagnosis(String),
    SchemaVersion(u64),
}

const IDS: [&str; 4] = ["p1", "f1", "n1", "x"];
const ITEMS: [&str; 3] = ["quality", "no-such-item", ""];

impl Typed {
    fn apply(&self, job: &mut Job) {
        let nth = |len: usize, i: u8| (len > 0).then(|| usize::from(i) % len);
        match self {
            Typed::Event { kind, by, at, id } => job.events.push(event(
                &format!("e-{id}"),
                EventKind::ALL[usize::from(*kind) % EventKind::ALL.len()],
                *at,
                by.name(),
            )),
            Typed::RemoveEvent(i) => {
                if let Some(i) = nth(job.events.len(), *i) {
                    job.events.remove(i);
                }
            }
            Typed::RewriteEvent { index, by, at } => {
                if let Some(i) = nth(job.events.len(), *index) {
                    job.events[i].by = by.name().into();
                    job.events[i].at = *at;
                }
            }
            Typed::Note { id, by, text } => {
                let id = IDS[usize::from(*id) % IDS.len()];
                job.notes.insert(id.into(), note(id, by.name(), text));
            }
            Typed::Part { id, by, quantity } => {
                let id = IDS[usize::from(*id) % IDS.len()];
                job.parts.insert(id.into(), part(id, by.name(), *quantity));
            }
            Typed::RemovePart(i) => {
                if let Some(key) =
                    nth(job.parts.len(), *i).and_then(|i| job.parts.keys().nth(i).cloned())
                {
                    job.parts.remove(&key);
                }
            }
            Typed::Form {
                id,
                by,
                points,
                item,
            } => {
                let id = IDS[usize::from(*id) % IDS.len()];
                let item = ITEMS[usize::from(*item) % ITEMS.len()];
                job.forms
                    .insert(id.into(), form(id, by.name(), item, *points));
            }
            Typed::RemoveForm(i) => {
                if let Some(key) =
                    nth(job.forms.len(), *i).and_then(|i| job.forms.keys().nth(i).cloned())
                {
                    job.forms.remove(&key);
                }
            }
            Typed::Review { approve, by } => job.reviews.push(ReviewDecision {
                id: format!("r-{}", job.reviews.len()),
                decision: if *approve {
                    Decision::Approved
                } else {
                    Decision::Returned
                },
                comment: String::new(),
                at: T0 + 300_000,
                by: by.name().into(),
            }),
            Typed::RemoveReview(i) => {
                if let Some(i) = nth(job.reviews.len(), *i) {
                    job.reviews.remove(i);
                }
            }
            Typed::Assign(who) => job.assignee = who.map(|w| w.name().to_string()),
            Typed::CustomerName(name) => job.customer.name = name.clone(),
            Typed::Diagnosis(text) => job.diagnosis = Text::with_value(text),
            Typed::SchemaVersion(v) => job.schema_version = *v,
        }
    }
}
