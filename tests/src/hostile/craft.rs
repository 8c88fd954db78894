//! The hostile app's editor: raw Automerge calls on a pulled job, and header forgeries.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{
    ActorId, AutoCommit, ExpandedChange, LoadOptions, ObjId, ObjType, Prop, ROOT, ReadDoc,
    ScalarValue, TextEncoding, Value,
};

use super::{SKU, SKU_NAME, SKU_PRICE, new_id, now_ms};

/// The hostile app's editor: an Automerge document of one job, edited with raw calls.
#[derive(Debug)]
pub struct Craft {
    pub doc: AutoCommit,
}

/// A parts line, field by field.
#[derive(Debug, Clone)]
pub struct Line {
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub unit_price_cents: i64,
    pub billable: bool,
    pub at: i64,
    pub by: String,
}

impl Line {
    /// One relay from the catalog, now, in `by`'s name.
    pub fn honest(by: &str) -> Line {
        Line {
            sku: SKU.into(),
            name: SKU_NAME.into(),
            quantity: 1,
            unit_price_cents: SKU_PRICE,
            billable: true,
            at: now_ms(),
            by: by.into(),
        }
    }
}

impl Craft {
    /// Loads a document (saved, or its changes one after another) with a new actor. Text
    /// positions count characters.
    pub fn load(bytes: &[u8]) -> Craft {
        let options = LoadOptions::new().text_encoding(TextEncoding::UnicodeCodePoint);
        let mut doc = AutoCommit::load_with_options(bytes, options).expect("the pulled job loads");
        doc.set_actor(ActorId::random());
        Craft { doc }
    }

    /// The object at `path`: keys and list indices separated by `/`, `""` for the root.
    pub fn obj(&self, path: &str) -> ObjId {
        let mut obj = ROOT;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            let prop = self.prop(&obj, part);
            obj = match self.doc.get(&obj, prop) {
                Ok(Some((Value::Object(_), id))) => id,
                other => panic!("{path}: {part} is not an object: {other:?}"),
            };
        }
        obj
    }

    fn prop(&self, obj: &ObjId, part: &str) -> Prop {
        match self.doc.object_type(obj) {
            Ok(ObjType::List | ObjType::Text) => Prop::Seq(part.parse().expect("a list index")),
            _ => Prop::Map(part.to_string()),
        }
    }

    /// The scalar at `path/key`.
    pub fn scalar(&self, path: &str, key: &str) -> ScalarValue {
        let obj = self.obj(path);
        let prop = self.prop(&obj, key);
        match self.doc.get(&obj, prop) {
            Ok(Some((Value::Scalar(s), _))) => s.into_owned(),
            other => panic!("{path}/{key} is not a scalar: {other:?}"),
        }
    }

    pub fn string(&self, path: &str, key: &str) -> String {
        match self.scalar(path, key) {
            ScalarValue::Str(s) => s.to_string(),
            other => panic!("{path}/{key} is not a string: {other:?}"),
        }
    }

    pub fn len(&self, path: &str) -> usize {
        self.doc.length(self.obj(path))
    }

    pub fn is_empty(&self, path: &str) -> bool {
        self.len(path) == 0
    }

    pub fn text(&self, path: &str) -> String {
        self.doc.text(self.obj(path)).expect("a text object")
    }

    /// Puts a scalar at `path/key` (`key` an index when `path` is a list).
    pub fn put(&mut self, path: &str, key: &str, value: impl Into<ScalarValue>) {
        let obj = self.obj(path);
        let prop = self.prop(&obj, key);
        self.doc.put(&obj, prop, value).expect("put");
    }

    /// Puts a new, empty object at `path/key`, where there may already be one.
    pub fn put_object(&mut self, path: &str, key: &str, kind: ObjType) -> ObjId {
        let obj = self.obj(path);
        let prop = self.prop(&obj, key);
        self.doc.put_object(&obj, prop, kind).expect("put_object")
    }

    /// Deletes `path/key` (a map key, or a list index).
    pub fn delete(&mut self, path: &str, key: &str) {
        let obj = self.obj(path);
        let prop = self.prop(&obj, key);
        self.doc.delete(&obj, prop).expect("delete");
    }

    /// Splices `text` into the text object at `path`, deleting `del` characters at `pos`.
    pub fn splice(&mut self, path: &str, pos: usize, del: isize, text: &str) {
        let obj = self.obj(path);
        self.doc.splice_text(&obj, pos, del, text).expect("splice");
    }

    /// Puts a new text object holding `text` at `obj/key`.
    pub fn put_text(&mut self, obj: &ObjId, key: &str, text: &str) -> ObjId {
        let t = self
            .doc
            .put_object(obj, key, ObjType::Text)
            .expect("put text");
        self.doc.splice_text(&t, 0, 0, text).expect("splice");
        t
    }

    /// Appends a map of scalars to the list at `path`; returns it.
    pub fn append_map(&mut self, path: &str, fields: &[(&str, ScalarValue)]) -> ObjId {
        let list = self.obj(path);
        let n = self.doc.length(&list);
        let map = self
            .doc
            .insert_object(&list, n, ObjType::Map)
            .expect("insert");
        for (key, value) in fields {
            self.doc.put(&map, *key, value.clone()).expect("put");
        }
        map
    }

    /// Appends an event map to `events`; returns it.
    pub fn append_event_with_id(&mut self, id: &str, kind: &str, at: i64, by: &str) -> ObjId {
        self.append_map(
            "events",
            &[
                ("id", id.into()),
                ("kind", kind.into()),
                ("at", at.into()),
                ("by", by.into()),
            ],
        )
    }

    /// Appends an event with a fresh id; returns the id.
    pub fn append_event(&mut self, kind: &str, at: i64, by: &str) -> String {
        let id = new_id();
        self.append_event_with_id(&id, kind, at, by);
        id
    }

    /// Adds a note under `notes/<id>`; returns the id.
    pub fn add_note(&mut self, text: &str, at: i64, by: &str) -> String {
        let id = new_id();
        let notes = self.obj("notes");
        let note = self
            .doc
            .put_object(&notes, id.as_str(), ObjType::Map)
            .expect("note");
        self.doc.put(&note, "id", id.as_str()).expect("put");
        self.put_text(&note, "text", text);
        self.doc.put(&note, "at", at).expect("put");
        self.doc.put(&note, "by", by).expect("put");
        id
    }

    /// Adds a parts line under `parts/<id>`; returns the id.
    pub fn add_part(&mut self, line: &Line) -> String {
        let id = new_id();
        let parts = self.obj("parts");
        let p = self
            .doc
            .put_object(&parts, id.as_str(), ObjType::Map)
            .expect("part");
        let d = &mut self.doc;
        d.put(&p, "id", id.as_str()).expect("put");
        d.put(&p, "sku", line.sku.as_str()).expect("put");
        d.put(&p, "name", line.name.as_str()).expect("put");
        d.put(&p, "quantity", line.quantity).expect("put");
        d.put(&p, "unit_price_cents", line.unit_price_cents)
            .expect("put");
        d.put(&p, "billable", line.billable).expect("put");
        d.put_object(&p, "serials_removed", ObjType::List)
            .expect("list");
        d.put_object(&p, "serials_installed", ObjType::List)
            .expect("list");
        d.put(&p, "at", line.at).expect("put");
        d.put(&p, "by", line.by.as_str()).expect("put");
        id
    }

    /// Starts a form of csat-onsite v1 under `forms/<id>`, unanswered; returns the id.
    pub fn add_form(&mut self, respondent: &str, by: &str) -> String {
        let id = new_id();
        let forms = self.obj("forms");
        let f = self
            .doc
            .put_object(&forms, id.as_str(), ObjType::Map)
            .expect("form");
        self.doc.put(&f, "id", id.as_str()).expect("put");
        self.doc.put(&f, "template_id", "csat-onsite").expect("put");
        self.doc.put(&f, "template_version", 1_i64).expect("put");
        self.doc.put(&f, "respondent", respondent).expect("put");
        self.doc
            .put_object(&f, "answers", ObjType::Map)
            .expect("answers");
        self.put_text(&f, "suggestion", "");
        self.doc
            .put(&f, "submitted_at", ScalarValue::Null)
            .expect("put");
        self.doc.put(&f, "by", by).expect("put");
        id
    }

    /// Answers `item` of `form` (a new answer map, or one replacing the old answer).
    /// Answers `item` of `form`: a new answer map, or the existing one changed in place (as
    /// an honest app does; a new object there would replace it).
    pub fn answer(&mut self, form: &str, item: &str, points: i64, comment: &str, at: i64) {
        let answers = self.obj(&format!("forms/{form}/answers"));
        let existing = match self.doc.get(&answers, item).expect("get") {
            Some((automerge::Value::Object(ObjType::Map), id)) => Some(id),
            _ => None,
        };
        let a = match existing {
            Some(id) => id,
            None => self
                .doc
                .put_object(&answers, item, ObjType::Map)
                .expect("answer"),
        };
        self.doc.put(&a, "points", points).expect("put");
        self.doc.put(&a, "comment", comment).expect("put");
        self.doc.put(&a, "at", at).expect("put");
    }

    /// Adds an attachment under `attachments/<sha256>` (its key is its hash); returns the key.
    pub fn add_attachment(&mut self, at: i64, by: &str) -> String {
        let id = new_id();
        let sha = format!("{:0>64}", id.replace('-', ""));
        let attachments = self.obj("attachments");
        let a = self
            .doc
            .put_object(&attachments, sha.as_str(), ObjType::Map)
            .expect("attachment");
        self.doc.put(&a, "sha256", sha.as_str()).expect("put");
        self.doc.put(&a, "kind", "photo").expect("put");
        self.doc.put(&a, "bytes", 48_213_i64).expect("put");
        self.doc.put(&a, "at", at).expect("put");
        self.doc.put(&a, "by", by).expect("put");
        sha
    }

    /// Puts a new object at `path/key` that is a deep copy of the one already there: the
    /// same content, but a different object.
    pub fn replace_with_copy(&mut self, path: &str, key: &str) -> ObjId {
        let parent = self.obj(path);
        let prop = self.prop(&parent, key);
        let old = match self.doc.get(&parent, prop.clone()) {
            Ok(Some((Value::Object(_), id))) => id,
            other => panic!("{path}/{key} is not an object: {other:?}"),
        };
        let kind = self.doc.object_type(&old).expect("object type");
        let copy = self.read_tree(&old);
        let new = self.doc.put_object(&parent, prop, kind).expect("replace");
        self.write_tree(&new, copy);
        new
    }

    fn read_tree(&self, obj: &ObjId) -> Tree {
        match self.doc.object_type(obj).expect("object type") {
            ObjType::Text => Tree::Text(self.doc.text(obj).expect("text")),
            ObjType::List => Tree::List(
                (0..self.doc.length(obj))
                    .map(|i| self.read_value(obj, Prop::Seq(i)))
                    .collect(),
            ),
            ObjType::Map | ObjType::Table => Tree::Map(
                self.doc
                    .keys(obj)
                    .map(|k| {
                        let v = self.read_value(obj, Prop::Map(k.clone()));
                        (k, v)
                    })
                    .collect(),
            ),
        }
    }

    fn read_value(&self, obj: &ObjId, prop: Prop) -> Tree {
        match self.doc.get(obj, prop).expect("get") {
            Some((Value::Object(_), id)) => self.read_tree(&id),
            Some((Value::Scalar(s), _)) => Tree::Scalar(s.into_owned()),
            None => Tree::Scalar(ScalarValue::Null),
        }
    }

    fn write_tree(&mut self, obj: &ObjId, tree: Tree) {
        match tree {
            Tree::Text(t) => self.doc.splice_text(obj, 0, 0, &t).expect("splice"),
            Tree::List(items) => {
                for (i, item) in items.into_iter().enumerate() {
                    match item {
                        Tree::Scalar(s) => self.doc.insert(obj, i, s).expect("insert"),
                        other => {
                            let child = self
                                .doc
                                .insert_object(obj, i, other.kind())
                                .expect("insert");
                            self.write_tree(&child, other);
                        }
                    }
                }
            }
            Tree::Map(entries) => {
                for (k, v) in entries {
                    match v {
                        Tree::Scalar(s) => self.doc.put(obj, k.as_str(), s).expect("put"),
                        other => {
                            let child = self
                                .doc
                                .put_object(obj, k.as_str(), other.kind())
                                .expect("put");
                            self.write_tree(&child, other);
                        }
                    }
                }
            }
            Tree::Scalar(_) => unreachable!("objects only"),
        }
    }

    /// Commits what was written as one change; its raw bytes.
    pub fn change(&mut self) -> Vec<u8> {
        self.doc
            .commit_with(
                CommitOptions::default()
                    .with_message("hand-made".to_string())
                    .with_time(now_ms() / 1000),
            )
            .expect("the crafted change is not empty");
        self.doc
            .get_last_local_change()
            .expect("a local change")
            .raw_bytes()
            .to_vec()
    }

    /// A change that writes the value already at `path/key` again: a new op, the same
    /// value. Automerge's own `put` skips a write that changes nothing; a hostile app does
    /// not, so the op is put with a placeholder and given the old value in the encoding.
    /// The editor's own document keeps the placeholder: make this its last change.
    pub fn rewrite_same(&mut self, path: &str, key: &str) -> Vec<u8> {
        let value = self.scalar(path, key);
        let placeholder = match value {
            ScalarValue::Str(_) => ScalarValue::Int(0),
            _ => ScalarValue::Str("placeholder".into()),
        };
        self.put(path, key, placeholder);
        let change = self.change();
        tamper(&change, |ch| {
            assert_eq!(ch.operations.len(), 1, "one put");
            ch.operations[0].action = automerge::legacy::OpType::Put(value);
        })
    }

    /// The document's largest op counter.
    pub fn max_op(&mut self) -> u64 {
        self.doc
            .get_changes(&[])
            .iter()
            .map(|c| c.max_op())
            .max()
            .unwrap_or(0)
    }
}

/// A copy of an object's content.
enum Tree {
    Scalar(ScalarValue),
    Text(String),
    List(Vec<Tree>),
    Map(Vec<(String, Tree)>),
}

impl Tree {
    fn kind(&self) -> ObjType {
        match self {
            Tree::Text(_) => ObjType::Text,
            Tree::List(_) => ObjType::List,
            Tree::Map(_) => ObjType::Map,
            Tree::Scalar(_) => unreachable!("objects only"),
        }
    }
}

/// Rewrites a change's header or ops (actor, `seq`, `start_op`, …) and encodes it again, as
/// a hostile app can: the hash is recomputed, so the result is a valid Automerge change.
pub fn tamper(change: &[u8], edit: impl FnOnce(&mut ExpandedChange)) -> Vec<u8> {
    let change = automerge::Change::try_from(change).expect("a change");
    let mut expanded = ExpandedChange::from(&change);
    edit(&mut expanded);
    expanded.hash = None;
    automerge::Change::from(expanded).raw_bytes().to_vec()
}
