//! The shape of a job document, as the write policy sees it: every key a document may
//! hold, what kind of Automerge value sits there, and which part of the ownership table
//! it belongs to. A key that is not here is refused wherever it appears.

use super::table::Part;

/// What kind of Automerge value a key holds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shape {
    /// A string, number, boolean or null.
    Scalar,
    /// An Automerge text object.
    Text,
    /// A map with a fixed set of keys.
    Struct(&'static [Field]),
    /// A map keyed by ids, every value of one shape.
    IdMap(&'static Shape),
    /// A list, every element of one shape.
    List(&'static Shape),
}

#[derive(Debug)]
pub(crate) struct Field {
    pub name: &'static str,
    pub shape: Shape,
    /// The row of the ownership table for this key and what is below it; `None` keeps
    /// the row of the enclosing key.
    pub part: Option<Part>,
}

const fn field(name: &'static str, shape: Shape) -> Field {
    Field {
        name,
        shape,
        part: None,
    }
}

const fn owned(name: &'static str, shape: Shape, part: Part) -> Field {
    Field {
        name,
        shape,
        part: Some(part),
    }
}

use Shape::{IdMap, List, Scalar, Struct, Text};

const CUSTOMER: &[Field] = &[
    field("id", Scalar),
    field("name", Scalar),
    field("phone", Scalar),
    field("address", Scalar),
    field("tier", Scalar),
    field("region", Scalar),
    field("site_distance", Scalar),
];

const PRODUCT: &[Field] = &[
    field("id", Scalar),
    field("model", Scalar),
    field("serial", Scalar),
    field("purchase_date", Scalar),
];

const EVENT: Shape = Struct(&[
    field("id", Scalar),
    field("kind", Scalar),
    field("at", Scalar),
    field("by", Scalar),
]);

const NOTE: Shape = Struct(&[
    field("id", Scalar),
    owned("text", Text, Part::NoteText),
    field("at", Scalar),
    field("by", Scalar),
]);

const PART_LINE: Shape = Struct(&[
    field("id", Scalar),
    field("sku", Scalar),
    field("name", Scalar),
    field("quantity", Scalar),
    field("unit_price_cents", Scalar),
    field("billable", Scalar),
    field("serials_removed", List(&Scalar)),
    field("serials_installed", List(&Scalar)),
    field("at", Scalar),
    field("by", Scalar),
]);

const ANSWER: Shape = Struct(&[
    field("points", Scalar),
    field("comment", Scalar),
    field("at", Scalar),
]);

const FORM: Shape = Struct(&[
    field("id", Scalar),
    field("template_id", Scalar),
    field("template_version", Scalar),
    field("respondent", Scalar),
    owned("answers", IdMap(&ANSWER), Part::FormAnswers),
    owned("suggestion", Text, Part::FormSuggestion),
    owned("submitted_at", Scalar, Part::FormSubmission),
    field("by", Scalar),
]);

const REVIEW: Shape = Struct(&[
    field("id", Scalar),
    field("decision", Scalar),
    field("comment", Scalar),
    field("at", Scalar),
    field("by", Scalar),
]);

const ATTACHMENT: Shape = Struct(&[
    field("sha256", Scalar),
    field("kind", Scalar),
    field("bytes", Scalar),
    field("at", Scalar),
    field("by", Scalar),
]);

/// The root of a job document.
pub(crate) const JOB: Shape = Struct(&[
    owned("schema_version", Scalar, Part::SchemaVersion),
    owned("id", Scalar, Part::Id),
    owned("origin", Scalar, Part::Origin),
    owned("complaint", Scalar, Part::Complaint),
    owned("reported_at", Scalar, Part::ReportedAt),
    owned("customer", Struct(CUSTOMER), Part::Customer),
    owned("product", Struct(PRODUCT), Part::Product),
    owned("fault", Text, Part::Fault),
    owned("diagnosis", Text, Part::Diagnosis),
    owned("resolution", Text, Part::Resolution),
    owned("assignee", Scalar, Part::Assignee),
    owned("events", List(&EVENT), Part::Events),
    owned("notes", IdMap(&NOTE), Part::Notes),
    owned("parts", IdMap(&PART_LINE), Part::Parts),
    owned("forms", IdMap(&FORM), Part::Forms),
    owned("reviews", List(&REVIEW), Part::Reviews),
    owned("attachments", IdMap(&ATTACHMENT), Part::Attachments),
    owned("labour_minutes", Scalar, Part::LabourMinutes),
    owned("feedback_category", Scalar, Part::Classification),
    owned("responsible_department", Scalar, Part::Classification),
]);

/// The deepest a job document nests (root → forms → form → answers → answer).
pub(crate) const MAX_DEPTH: usize = 5;

/// One step of a path into the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    Field(&'static str),
    /// A key of a map keyed by ids.
    Entry(String),
    /// An element of a list.
    Element,
}

/// A place in the document: the steps from the root, the shape found there, and the row
/// of the ownership table it belongs to.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    pub steps: Vec<Step>,
    pub shape: Shape,
    pub part: Option<Part>,
}

impl Place {
    pub fn root() -> Place {
        Place {
            steps: Vec::new(),
            shape: JOB,
            part: None,
        }
    }

    /// The place of `key` below this one, or `None` when the schema has no such key.
    pub fn child(&self, key: Key<'_>) -> Option<Place> {
        if self.steps.len() >= MAX_DEPTH {
            return None;
        }
        let (step, shape, part) = match (self.shape, key) {
            (Struct(fields), Key::Map(name)) => {
                let f = fields.iter().find(|f| f.name == name)?;
                (Step::Field(f.name), f.shape, f.part.or(self.part))
            }
            (IdMap(shape), Key::Map(id)) => (Step::Entry(id.to_string()), *shape, self.part),
            (List(shape), Key::Element) => (Step::Element, *shape, self.part),
            _ => return None,
        };
        let mut steps = self.steps.clone();
        steps.push(step);
        Some(Place { steps, shape, part })
    }

    /// The id of the top-level entry this place is in (a note, parts line, form or
    /// attachment), which decides whose it is.
    pub fn entry(&self) -> Option<&str> {
        self.steps.iter().find_map(|s| match s {
            Step::Entry(id) => Some(id.as_str()),
            _ => None,
        })
    }

    /// Whether this place is the collection itself (the `notes` map, the `events` list).
    pub fn is_collection(&self) -> bool {
        matches!(self.shape, IdMap(_) | List(_))
    }

    pub fn describe(&self) -> String {
        let mut out = String::new();
        for step in &self.steps {
            match step {
                Step::Field(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                Step::Entry(id) => {
                    out.push('.');
                    out.extend(id.chars().take(40));
                }
                Step::Element => out.push_str("[]"),
            }
        }
        if out.is_empty() {
            "the root".into()
        } else {
            out
        }
    }
}

/// A key of a map, or an element of a list.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Key<'a> {
    Map(&'a str),
    Element,
}
