//! The op check: what each operation of a change writes, judged by where it writes, not by
//! the value left behind. Writing a path the role does not own is refused even when the
//! value stays the same (such a write still wins the merge against a concurrent change),
//! and so is putting a new object where an object already is.

use std::collections::BTreeMap;

use automerge::legacy::{ElementId, Key as OpKey, ObjectId, OpId, OpType};
use automerge::{AutoCommit, Change, ObjId, ObjType, Prop, ReadDoc, Value};

use super::schema::{Key, Place, Shape};
use super::table::{self, Action, Touch};
use super::{Actor, Refusal, refuse};
use crate::job::Job;

/// Where an object of the document sits, and whether this upload made it.
#[derive(Debug, Clone)]
struct Obj {
    place: Place,
    new: bool,
}

/// Judges every operation of `changes` (new to `before`, in causal order). `before_job`
/// is `None` for a new job: then only the shape is checked, and the value check judges
/// the whole job as an addition.
pub fn check_ops(
    actor: &Actor,
    before: &AutoCommit,
    before_job: Option<&Job>,
    changes: &[Change],
) -> Result<(), Refusal> {
    let mut judge = OpJudge {
        actor,
        before,
        before_job,
        made: BTreeMap::new(),
        elements: BTreeMap::new(),
        seen: BTreeMap::new(),
    };
    for change in changes {
        let expanded = change.decode();
        for (i, op) in expanded.operations.iter().enumerate() {
            let id = OpId(
                expanded.start_op.get() + i as u64,
                expanded.actor_id.clone(),
            );
            judge.op(&id, op)?;
        }
    }
    Ok(())
}

struct OpJudge<'a> {
    actor: &'a Actor,
    before: &'a AutoCommit,
    before_job: Option<&'a Job>,
    /// Objects this upload made, by the id of the op that made them.
    made: BTreeMap<OpId, Obj>,
    /// List elements this upload inserted.
    elements: BTreeMap<OpId, ()>,
    /// Objects of the document already located.
    seen: BTreeMap<OpId, Obj>,
}

fn unknown(what: String) -> Result<(), Refusal> {
    refuse(
        "unknown_field",
        format!("{what} is not part of a job document"),
    )
}

impl OpJudge<'_> {
    fn op(&mut self, id: &OpId, op: &automerge::legacy::Op) -> Result<(), Refusal> {
        if matches!(
            op.action,
            OpType::Increment(_) | OpType::MarkBegin(..) | OpType::MarkEnd(_)
        ) {
            return refuse(
                "bad_op",
                "counters and text marks are not part of a job document",
            );
        }
        let target = self.locate(&op.obj)?;
        match target.place.shape {
            Shape::Text => self.text_op(&target, op),
            Shape::List(_) => self.list_op(id, &target, op),
            Shape::Struct(_) | Shape::IdMap(_) => self.map_op(id, &target, op),
            Shape::Scalar => unknown(format!("a value inside {}", target.place.describe())),
        }
    }

    fn text_op(&mut self, target: &Obj, op: &automerge::legacy::Op) -> Result<(), Refusal> {
        if !matches!(op.action, OpType::Put(_) | OpType::Delete) {
            return refuse(
                "schema",
                format!("{} holds text only", target.place.describe()),
            );
        }
        if target.new {
            return Ok(());
        }
        self.touch(&target.place, Action::Edit)
    }

    fn list_op(
        &mut self,
        id: &OpId,
        target: &Obj,
        op: &automerge::legacy::Op,
    ) -> Result<(), Refusal> {
        let Some(place) = target.place.child(Key::Element) else {
            return unknown(format!("an element of {}", target.place.describe()));
        };
        check_value(&place, &op.action)?;
        if op.insert {
            self.elements.insert(id.clone(), ());
            self.made_object(id, &place, &op.action);
            return if target.new {
                Ok(())
            } else {
                self.touch(&target.place, Action::Add)
            };
        }
        let element_is_new = match &op.key {
            OpKey::Seq(ElementId::Id(e)) => self.elements.contains_key(e),
            _ => return refuse("malformed_change", "a list operation without an element"),
        };
        self.made_object(id, &place, &op.action);
        if target.new || element_is_new {
            return Ok(());
        }
        let action = if op.action == OpType::Delete {
            Action::Delete
        } else {
            Action::Edit
        };
        self.touch(&target.place, action)
    }

    fn map_op(
        &mut self,
        id: &OpId,
        target: &Obj,
        op: &automerge::legacy::Op,
    ) -> Result<(), Refusal> {
        let OpKey::Map(key) = &op.key else {
            return refuse("malformed_change", "a map operation without a key");
        };
        let Some(place) = target.place.child(Key::Map(key.as_str())) else {
            return unknown(format!(
                "{:?} in {}",
                super::values::trim(key),
                target.place.describe()
            ));
        };
        check_value(&place, &op.action)?;
        self.made_object(id, &place, &op.action);
        if target.new {
            return Ok(());
        }
        let existing = self.existing_value(&op.obj, key)?;
        if matches!(op.action, OpType::Make(_)) && existing == Some(true) {
            return refuse(
                "object_replaced",
                format!(
                    "{} already holds an object; change it in place",
                    place.describe()
                ),
            );
        }
        if self.before_job.is_none() {
            return Ok(());
        }
        match (target.place.is_collection(), existing, &op.action) {
            // A new entry of a map keyed by id.
            (true, None, OpType::Make(_)) => self.touch(&place, Action::Add),
            (true, None, _) => refuse("schema", format!("{} must be an object", place.describe())),
            (true, Some(_), OpType::Delete) => self.touch(&place, Action::Delete),
            (true, Some(_), _) => self.touch(&place, Action::Edit),
            (false, _, _) => self.touch(&place, Action::Edit),
        }
    }

    /// Remembers an object an op makes, with its place.
    fn made_object(&mut self, id: &OpId, place: &Place, action: &OpType) {
        if matches!(action, OpType::Make(_)) {
            self.made.insert(
                id.clone(),
                Obj {
                    place: place.clone(),
                    new: true,
                },
            );
        }
    }

    /// Whether `key` of an object of the document held an object (`Some(true)`), a value
    /// (`Some(false)`), or nothing.
    fn existing_value(&self, obj: &ObjectId, key: &str) -> Result<Option<bool>, Refusal> {
        let exid = self.exid(obj)?;
        match self.before.get(&exid, key) {
            Ok(Some((Value::Object(_), _))) => Ok(Some(true)),
            Ok(Some(_)) => Ok(Some(false)),
            Ok(None) => Ok(None),
            Err(e) => refuse(
                "malformed_change",
                format!("an operation on a missing object: {e}"),
            ),
        }
    }

    fn touch(&self, place: &Place, action: Action) -> Result<(), Refusal> {
        let Some(before) = self.before_job else {
            return Ok(());
        };
        let Some(part) = place.part else {
            return unknown(place.describe());
        };
        let touch = Touch {
            part,
            action,
            entry: place.entry().map(str::to_string),
            path: place.describe(),
        };
        table::judge(self.actor, &touch, before)
    }

    fn exid(&self, obj: &ObjectId) -> Result<ObjId, Refusal> {
        match obj {
            ObjectId::Root => Ok(automerge::ROOT),
            ObjectId::Id(OpId(counter, actor)) => self
                .before
                .import_obj(&format!("{counter}@{}", actor.to_hex_string()))
                .map_err(|_| Refusal {
                    code: "malformed_change",
                    message: "an operation on an object the job does not have".into(),
                }),
        }
    }

    /// Where the object an op writes to is.
    fn locate(&mut self, obj: &ObjectId) -> Result<Obj, Refusal> {
        let id = match obj {
            ObjectId::Root => {
                return Ok(Obj {
                    place: Place::root(),
                    new: false,
                });
            }
            ObjectId::Id(id) => id,
        };
        if let Some(made) = self.made.get(id).or_else(|| self.seen.get(id)) {
            return Ok(made.clone());
        }
        let exid = self.exid(obj)?;
        let missing = || Refusal {
            code: "malformed_change",
            message: "an operation on an object the job does not have".into(),
        };
        self.before.object_type(&exid).map_err(|_| missing())?;
        let parents = self.before.parents(&exid).map_err(|_| missing())?;
        let mut path = Vec::new();
        for parent in parents.take(super::schema::MAX_DEPTH + 1) {
            if !parent.visible {
                return refuse(
                    "object_replaced",
                    "an operation on an object the job no longer shows",
                );
            }
            path.push(parent.prop);
        }
        if path.len() > super::schema::MAX_DEPTH {
            return refuse(
                "unknown_field",
                "an object nested this deep is not part of a job document",
            );
        }
        let mut place = Place::root();
        for prop in path.iter().rev() {
            let key = match prop {
                Prop::Map(k) => Key::Map(k.as_str()),
                Prop::Seq(_) => Key::Element,
            };
            place = match place.child(key) {
                Some(p) => p,
                None => {
                    return refuse(
                        "unknown_field",
                        format!(
                            "an object in {} is not part of a job document",
                            place.describe()
                        ),
                    );
                }
            };
        }
        let found = Obj { place, new: false };
        self.seen.insert(id.clone(), found.clone());
        Ok(found)
    }
}

/// The kind of value an op writes must fit the shape of its place.
fn check_value(place: &Place, action: &OpType) -> Result<(), Refusal> {
    let fits = matches!(
        (place.shape, action),
        (_, OpType::Delete)
            | (Shape::Scalar, OpType::Put(_))
            | (Shape::Text, OpType::Make(ObjType::Text))
            | (
                Shape::Struct(_) | Shape::IdMap(_),
                OpType::Make(ObjType::Map)
            )
            | (Shape::List(_), OpType::Make(ObjType::List))
    );
    if fits {
        Ok(())
    } else {
        refuse(
            "schema",
            format!("{} cannot hold that kind of value", place.describe()),
        )
    }
}
