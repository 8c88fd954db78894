//! The document as an edit's reconcile writes it: a scalar whose winning value is the one
//! the edit writes is left alone.
//!
//! autosurgeon puts every scalar of the job, and Automerge records a put of the value a
//! key already holds whenever the key holds a conflict (two devices wrote it concurrently),
//! to settle it. Such a put is a write of the key: the back office adding a note would
//! write a technician's `labour_minutes`, and the write policy refuses an edit that writes
//! what its author may not, so one conflict anywhere would block every other role's edits
//! of the job. An edit writes what it changed, nothing else; the conflict stays until its
//! owner writes the key again.

use std::ops::RangeBounds;

use automerge::transaction::Transactable;
use automerge::{self as am, AutoCommit, AutomergeError, ObjId, Value};
use autosurgeon::{Doc, ReadDoc};

pub(crate) struct ChangedOnly<'a>(pub &'a mut AutoCommit);

impl ReadDoc for ChangedOnly<'_> {
    type Parents<'b>
        = am::Parents<'b>
    where
        Self: 'b;

    fn get_heads(&self) -> Vec<am::ChangeHash> {
        Transactable::base_heads(self.0)
    }

    fn get<P: Into<am::Prop>>(
        &self,
        obj: &ObjId,
        prop: P,
    ) -> Result<Option<(Value<'_>, ObjId)>, AutomergeError> {
        am::ReadDoc::get(self.0, obj, prop)
    }

    fn object_type<O: AsRef<ObjId>>(&self, obj: O) -> Option<am::ObjType> {
        am::ReadDoc::object_type(self.0, obj).ok()
    }

    fn map_range<'b, O, R>(&'b self, obj: O, range: R) -> am::iter::MapRange<'b>
    where
        R: RangeBounds<String> + 'b,
        O: AsRef<ObjId>,
    {
        am::ReadDoc::map_range(self.0, obj, range)
    }

    fn list_range<O: AsRef<ObjId>, R: RangeBounds<usize>>(
        &self,
        obj: O,
        range: R,
    ) -> am::iter::ListRange<'_> {
        am::ReadDoc::list_range(self.0, obj, range)
    }

    fn length<O: AsRef<ObjId>>(&self, obj: O) -> usize {
        am::ReadDoc::length(self.0, obj)
    }

    fn text<O: AsRef<ObjId>>(&self, obj: O) -> Result<String, AutomergeError> {
        am::ReadDoc::text(self.0, obj)
    }

    fn parents<O: AsRef<ObjId>>(&self, obj: O) -> Result<Self::Parents<'_>, AutomergeError> {
        am::ReadDoc::parents(self.0, obj)
    }

    fn is_empty(&self) -> bool {
        am::ReadDoc::keys(self.0, am::ROOT).count() == 0
    }
}

impl Doc for ChangedOnly<'_> {
    fn put<O: AsRef<ObjId>, P: Into<am::Prop>, V: Into<am::ScalarValue>>(
        &mut self,
        obj: O,
        prop: P,
        value: V,
    ) -> Result<(), AutomergeError> {
        let (prop, value) = (prop.into(), value.into());
        if let Ok(Some((Value::Scalar(current), _))) =
            am::ReadDoc::get(self.0, obj.as_ref(), prop.clone())
            && *current == value
        {
            return Ok(());
        }
        Transactable::put(self.0, obj, prop, value)
    }

    fn put_object<O: AsRef<ObjId>, P: Into<am::Prop>>(
        &mut self,
        obj: O,
        prop: P,
        value: am::ObjType,
    ) -> Result<ObjId, AutomergeError> {
        Transactable::put_object(self.0, obj, prop, value)
    }

    fn insert<O: AsRef<ObjId>, V: Into<am::ScalarValue>>(
        &mut self,
        obj: O,
        index: usize,
        value: V,
    ) -> Result<(), AutomergeError> {
        Transactable::insert(self.0, obj, index, value)
    }

    fn insert_object<O: AsRef<ObjId>>(
        &mut self,
        obj: O,
        index: usize,
        value: am::ObjType,
    ) -> Result<ObjId, AutomergeError> {
        Transactable::insert_object(self.0, obj, index, value)
    }

    fn increment<O: AsRef<ObjId>, P: Into<am::Prop>>(
        &mut self,
        obj: O,
        prop: P,
        value: i64,
    ) -> Result<(), AutomergeError> {
        Transactable::increment(self.0, obj, prop, value)
    }

    fn delete<O: AsRef<ObjId>, P: Into<am::Prop>>(
        &mut self,
        obj: O,
        prop: P,
    ) -> Result<(), AutomergeError> {
        Transactable::delete(self.0, obj, prop)
    }

    fn splice_text<O: AsRef<ObjId>>(
        &mut self,
        obj: O,
        pos: usize,
        del: isize,
        text: &str,
    ) -> Result<(), AutomergeError> {
        Transactable::splice_text(self.0, obj, pos, del, text)
    }

    fn update_text<O: AsRef<ObjId>>(&mut self, obj: O, text: &str) -> Result<(), AutomergeError> {
        Transactable::update_text(self.0, obj.as_ref(), text)
    }

    fn batch_create<O: AsRef<ObjId>, P: Into<am::Prop>>(
        &mut self,
        obj: O,
        prop: P,
        value: am::hydrate::Value,
        insert: bool,
    ) -> Result<(), AutomergeError> {
        <AutoCommit as Doc>::batch_create(self.0, obj, prop, value, insert)
    }

    fn init_root_from_hydrate(&mut self, value: &am::hydrate::Map) -> Result<(), AutomergeError> {
        Transactable::init_root_from_hydrate(self.0, value)
    }
}

#[cfg(test)]
mod tests {
    use automerge::ActorId;

    use crate::document::JobDoc;
    use crate::job::{Job, Note};
    use crate::policy::{Actor, Role, check_ops};

    #[test]
    fn an_edit_leaves_a_conflict_it_did_not_touch() {
        let job = Job {
            id: "j".into(),
            assignee: Some("wang".into()),
            labour_minutes: 30,
            ..Job::default()
        };
        let (mut office, _) = JobDoc::create(&job, ActorId::random(), 1_000).unwrap();
        // Two of wang's devices set the labour concurrently: the key holds a conflict.
        let mut phone = JobDoc::load(&office.save()).unwrap();
        phone.set_actor(ActorId::random());
        let mut tablet = JobDoc::load(&office.save()).unwrap();
        tablet.set_actor(ActorId::random());
        let a = phone.edit("labour", 2_000, |j| j.labour_minutes = 45);
        let b = tablet.edit("labour", 2_000, |j| j.labour_minutes = 50);
        office
            .apply_changes(vec![a.unwrap().unwrap(), b.unwrap().unwrap()])
            .unwrap();
        let before = office.job().unwrap();
        let heads = office.heads();

        office.set_actor(ActorId::random());
        let note = office
            .edit("note", 3_000, |j| {
                j.notes.insert(
                    "n".into(),
                    Note {
                        id: "n".into(),
                        text: autosurgeon::Text::with_value("called the customer"),
                        at: 3_000,
                        by: "office".into(),
                    },
                );
            })
            .unwrap()
            .unwrap();
        let back_office = Actor {
            user_id: "office".into(),
            role: Role::BackOffice,
        };
        let base = office.automerge().fork_at(&heads).unwrap();
        check_ops(&back_office, &base, Some(&before), &[note]).unwrap();
        assert_eq!(office.job().unwrap().labour_minutes, before.labour_minutes);
    }
}
