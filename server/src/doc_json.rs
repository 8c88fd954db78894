//! A job document as JSON, walked with an explicit stack.
//!
//! Devices choose how deep their documents nest. A recursive walk (`automerge::AutoSerde`)
//! goes as deep as the document, and a deep enough document overflows the thread's stack,
//! which aborts the whole server. This walk keeps its own stack on the heap and stops at
//! [`MAX_DEPTH`]: deeper maps and lists become `null`, and the result says it was cut.
//!
//! Below the limit the shape is AutoSerde's: maps (and tables) are objects, lists are
//! arrays, text is a string, and scalars are serialised as Automerge serialises them
//! (counters and timestamps as numbers, bytes as an array of numbers, null as null).

use automerge::{AutomergeError, ObjId, ObjType, ROOT, ReadDoc, Value as AmValue};
use serde_json::{Map, Value};

/// The most levels of JSON objects and arrays in a converted document, the root included.
pub const MAX_DEPTH: usize = 32;

/// A document converted to JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct DocJson {
    pub value: Value,
    /// Whether maps or lists nested deeper than [`MAX_DEPTH`] were replaced by `null`.
    pub truncated: bool,
}

type Items<'a> = Box<dyn Iterator<Item = (Option<String>, AmValue<'static>, ObjId)> + 'a>;

/// One map or list being converted: what is left to read of it, and what was built so far.
struct Frame<'a> {
    items: Items<'a>,
    built: Built,
    /// Its key in the parent map; `None` in a list (and for the root).
    key: Option<String>,
}

enum Built {
    Object(Map<String, Value>),
    Array(Vec<Value>),
}

impl Built {
    fn add(&mut self, key: Option<String>, value: Value) {
        match self {
            Built::Object(map) => {
                map.insert(key.unwrap_or_default(), value);
            }
            Built::Array(list) => list.push(value),
        }
    }

    fn into_value(self) -> Value {
        match self {
            Built::Object(map) => Value::Object(map),
            Built::Array(list) => Value::Array(list),
        }
    }
}

fn frame<'a, R: ReadDoc>(doc: &'a R, obj: ObjId, ty: ObjType, key: Option<String>) -> Frame<'a> {
    let (items, built): (Items<'a>, Built) = match ty {
        ObjType::List => (
            Box::new(
                doc.list_range(obj, ..)
                    .map(|item| (None, item.value.clone().into(), item.id())),
            ),
            Built::Array(Vec::new()),
        ),
        // Text never gets a frame (it is read whole); maps and tables are objects.
        ObjType::Map | ObjType::Table | ObjType::Text => (
            Box::new(doc.map_range(obj, ..).map(|item| {
                (
                    Some(item.key.to_string()),
                    item.value.clone().into(),
                    item.id(),
                )
            })),
            Built::Object(Map::new()),
        ),
    };
    Frame { items, built, key }
}

fn scalar(value: &automerge::ScalarValue) -> Value {
    // Automerge's own serialisation of a scalar, as AutoSerde writes it.
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Converts the whole document, without recursion.
pub fn to_json<R: ReadDoc>(doc: &R) -> Result<DocJson, AutomergeError> {
    let mut truncated = false;
    let mut stack = vec![frame(doc, ROOT, ObjType::Map, None)];
    loop {
        let depth = stack.len();
        let Some(top) = stack.last_mut() else {
            // Not reached: the root frame is popped only by returning.
            return Ok(DocJson {
                value: Value::Null,
                truncated,
            });
        };
        let Some((key, value, id)) = top.items.next() else {
            let Some(done) = stack.pop() else { continue };
            let value = done.built.into_value();
            match stack.last_mut() {
                Some(parent) => parent.built.add(done.key, value),
                None => return Ok(DocJson { value, truncated }),
            }
            continue;
        };
        let leaf = match value {
            AmValue::Scalar(s) => scalar(&s),
            AmValue::Object(ObjType::Text) => Value::String(doc.text(&id)?),
            AmValue::Object(_) if depth >= MAX_DEPTH => {
                truncated = true;
                Value::Null
            }
            AmValue::Object(ty) => {
                stack.push(frame(doc, id, ty, key));
                continue;
            }
        };
        top.built.add(key, leaf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, AutoSerde, ScalarValue};
    use onsite_domain::{Answer, Customer, Event, EventKind, Form, Job, JobDoc, PartLine, Product};

    /// Levels of objects and arrays down the first child of each, to the first non-container.
    fn levels(mut at: &Value) -> usize {
        let mut levels = 0;
        loop {
            at = match at {
                Value::Object(map) => match map.values().next() {
                    Some(v) => v,
                    None => return levels + 1,
                },
                Value::Array(list) => match list.first() {
                    Some(v) => v,
                    None => return levels + 1,
                },
                _ => return levels,
            };
            levels += 1;
        }
    }

    #[test]
    fn a_document_nested_far_deeper_than_the_stack_allows_is_cut_at_the_limit() {
        let mut doc = AutoCommit::new();
        let mut obj = ROOT;
        for _ in 0..100_000 {
            obj = doc.put_object(&obj, "deeper", ObjType::Map).unwrap();
        }
        doc.put(&obj, "bottom", "reached").unwrap();
        let json = to_json(&doc).unwrap();
        assert!(json.truncated);
        assert_eq!(levels(&json.value), MAX_DEPTH);
        assert!(!json.value.to_string().contains("reached"));
    }

    #[test]
    fn lists_count_towards_the_limit_like_maps() {
        let mut doc = AutoCommit::new();
        let mut obj = ROOT;
        for i in 0..1_000 {
            obj = if i % 2 == 0 {
                doc.put_object(&obj, "deeper", ObjType::Map).unwrap()
            } else {
                let list = doc.put_object(&obj, "list", ObjType::List).unwrap();
                doc.insert_object(&list, 0, ObjType::Map).unwrap()
            };
        }
        let json = to_json(&doc).unwrap();
        assert!(json.truncated);
        assert_eq!(levels(&json.value), MAX_DEPTH);
    }

    #[test]
    fn a_document_within_the_limit_is_whole() {
        let mut doc = AutoCommit::new();
        let mut obj = ROOT;
        for _ in 1..MAX_DEPTH {
            obj = doc.put_object(&obj, "n", ObjType::Map).unwrap();
        }
        doc.put(&obj, "bottom", "reached").unwrap();
        let json = to_json(&doc).unwrap();
        assert!(!json.truncated);
        assert_eq!(levels(&json.value), MAX_DEPTH);
        assert_eq!(
            json.value,
            serde_json::to_value(AutoSerde::from(&doc)).unwrap()
        );
        // One level more is cut.
        doc.put_object(&obj, "n", ObjType::Map).unwrap();
        assert!(to_json(&doc).unwrap().truncated);
    }

    #[test]
    fn a_job_converts_as_autoserde_converts_it() {
        let job = Job {
            id: "8a1c2f1e-4b5d-4e6f-8a7b-9c0d1e2f3a4b".into(),
            origin: "complaint".into(),
            complaint: true,
            reported_at: 1_767_225_600_000,
            customer: Customer {
                id: "C-1".into(),
                name: "张三 Zhang".into(),
                phone: "+86 138 0000 0000".into(),
                address: "1 Road".into(),
                tier: "key".into(),
                region: "east".into(),
                site_distance: "far".into(),
            },
            product: Product {
                id: "P-1".into(),
                model: "AC-9000".into(),
                serial: "SN-1".into(),
                purchase_date: Some("2026-01-31".into()),
            },
            fault: autosurgeon::Text::with_value("不制冷 does not cool"),
            assignee: Some("tech-1".into()),
            events: vec![
                Event {
                    id: "e1".into(),
                    kind: EventKind::Reported,
                    at: 1_767_225_600_000,
                    by: "office".into(),
                },
                Event {
                    id: "e2".into(),
                    kind: EventKind::Assigned,
                    at: 1_767_225_600_001,
                    by: "office".into(),
                },
            ],
            parts: [(
                "l1".to_string(),
                PartLine {
                    id: "l1".into(),
                    sku: "RELAY-01".into(),
                    name: "relay".into(),
                    quantity: 2,
                    unit_price_cents: 1250,
                    billable: false,
                    serials_removed: vec!["OLD-1".into()],
                    serials_installed: vec![],
                    at: 1_767_225_700_000,
                    by: "tech-1".into(),
                },
            )]
            .into(),
            forms: [(
                "f1".to_string(),
                Form {
                    id: "f1".into(),
                    template_id: "csat-onsite".into(),
                    template_version: 1,
                    respondent: "survey".into(),
                    answers: [(
                        "punctuality".to_string(),
                        Answer {
                            points: 8,
                            comment: "准时".into(),
                            at: 1_767_225_800_000,
                        },
                    )]
                    .into(),
                    suggestion: autosurgeon::Text::with_value("更快 faster"),
                    submitted_at: None,
                    by: "tech-1".into(),
                },
            )]
            .into(),
            feedback_category: Some("product".into()),
            ..Job::default()
        };
        let (mut doc, _) =
            JobDoc::create(&job, automerge::ActorId::random(), 1_767_225_600_000).unwrap();
        let am = doc.automerge();
        let json = to_json(&*am).unwrap();
        assert!(!json.truncated);
        assert_eq!(
            json.value,
            serde_json::to_value(AutoSerde::from(&*am)).unwrap()
        );
        assert_eq!(json.value["customer"]["name"], "张三 Zhang");
        assert_eq!(json.value["events"][1]["id"], "e2");
    }

    #[test]
    fn every_kind_of_value_converts_as_autoserde_converts_it() {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "str", "text").unwrap();
        doc.put(ROOT, "int", -3_i64).unwrap();
        doc.put(ROOT, "uint", 7_u64).unwrap();
        doc.put(ROOT, "f64", 1.5_f64).unwrap();
        doc.put(ROOT, "bool", true).unwrap();
        doc.put(ROOT, "null", ()).unwrap();
        doc.put(ROOT, "counter", ScalarValue::counter(5)).unwrap();
        doc.increment(ROOT, "counter", 2).unwrap();
        doc.put(ROOT, "timestamp", ScalarValue::Timestamp(1_767_225_600_000))
            .unwrap();
        doc.put(ROOT, "bytes", ScalarValue::Bytes(vec![0, 1, 255]))
            .unwrap();
        doc.put(
            ROOT,
            "unknown",
            ScalarValue::Unknown {
                type_code: 20,
                bytes: vec![9],
            },
        )
        .unwrap();
        let text = doc.put_object(ROOT, "text", ObjType::Text).unwrap();
        doc.splice_text(&text, 0, 0, "满意 fine").unwrap();
        let list = doc.put_object(ROOT, "list", ObjType::List).unwrap();
        doc.insert(&list, 0, "a").unwrap();
        let inner = doc.insert_object(&list, 1, ObjType::List).unwrap();
        doc.insert(&inner, 0, 2_i64).unwrap();
        let in_list = doc.insert_object(&list, 2, ObjType::Text).unwrap();
        doc.splice_text(&in_list, 0, 0, "t").unwrap();
        doc.put_object(ROOT, "empty_map", ObjType::Map).unwrap();
        doc.put_object(ROOT, "empty_list", ObjType::List).unwrap();
        // A conflict: two actors set the same key; both views take the same winner.
        let mut other = doc.fork();
        doc.put(ROOT, "conflict", "ours").unwrap();
        other.put(ROOT, "conflict", "theirs").unwrap();
        doc.merge(&mut other).unwrap();

        let json = to_json(&doc).unwrap();
        assert!(!json.truncated);
        assert_eq!(
            json.value,
            serde_json::to_value(AutoSerde::from(&doc)).unwrap()
        );
        assert_eq!(json.value["counter"], 7);
        assert_eq!(json.value["timestamp"], 1_767_225_600_000_i64);
        assert_eq!(json.value["text"], "满意 fine");
        assert_eq!(json.value["list"][1][0], 2);
    }
}
