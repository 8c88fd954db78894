//! Documents built on the device side: a base, an actor, commits of raw and typed edits.

use super::*;

impl Build {
    /// The built document and the heads of its base.
    pub(super) fn build(
        &self,
        world: &World,
        store: &MemoryServerStore,
        id: &str,
    ) -> (JobDoc, Vec<automerge::ChangeHash>) {
        let actor = self.actor.actor();
        let load = |id: &str| store.doc_bytes(id).and_then(|b| JobDoc::load(b).ok());
        let mut doc = match &self.base {
            Base::Current => load(id).unwrap_or_else(JobDoc::empty),
            Base::AtCreation => {
                let forked = load(id).zip(world.created.get(id)).and_then(|(mut d, h)| {
                    d.automerge().fork_at(h).ok().map(JobDoc::from_automerge)
                });
                forked.unwrap_or_else(JobDoc::empty)
            }
            Base::Empty => JobDoc::empty(),
            Base::Fresh { mine } => {
                let mut job = new_job(id, if *mine { "wang" } else { "li" });
                job.events = vec![event("e-reported", EventKind::Reported, T0, "wang")];
                match JobDoc::create(&job, actor.clone(), T0 + 1_000) {
                    Ok((doc, _)) => doc,
                    Err(_) => JobDoc::empty(),
                }
            }
            Base::Seeded => load(JOB).unwrap_or_else(JobDoc::empty),
        };
        doc.set_actor(actor);
        let base_heads = doc.heads();
        for (n, commit) in self.commits.iter().take(MAX_COMMITS).enumerate() {
            let at = T0 + 600_000 + 1_000 * n as i64;
            for op in commit.iter().take(MAX_OPS) {
                if let Op::Typed(edit) = op {
                    // An edit that does not apply (the document no longer hydrates, say)
                    // is just left out; so is any operation below that does not.
                    let _ = doc.edit("typed", at, |job| edit.apply(job));
                } else {
                    apply(doc.automerge(), op);
                }
            }
            doc.automerge()
                .commit_with(CommitOptions::default().with_time(at / 1000));
        }
        (doc, base_heads)
    }
}

/// The object a path leads to.
fn walk(doc: &AutoCommit, path: &Path) -> (ObjId, ObjType) {
    let mut obj = ROOT;
    let mut kind = ObjType::Map;
    for step in path.0.iter().take(MAX_PATH) {
        let Some(prop) = prop(doc, &obj, kind, step_key(step)) else {
            break;
        };
        match doc.get(&obj, prop) {
            Ok(Some((automerge::Value::Object(t), id))) => {
                obj = id;
                kind = t;
            }
            _ => break,
        }
    }
    (obj, kind)
}

fn step_key(step: &Step) -> KeyRef<'_> {
    match step {
        Step::Field(f) => KeyRef::Name(f.name()),
        Step::Nth(n) => KeyRef::Nth(*n),
        Step::Key(k) => KeyRef::Name(k),
    }
}

fn key_ref(key: &Key) -> KeyRef<'_> {
    match key {
        Key::Field(f) => KeyRef::Name(f.name()),
        Key::Nth(n) => KeyRef::Nth(*n),
        Key::Name(k) => KeyRef::Name(k),
    }
}

#[derive(Clone, Copy)]
enum KeyRef<'a> {
    Name(&'a str),
    Nth(u8),
}

/// The property of `obj` a key names: a map key, or an index of an existing element.
fn prop(doc: &AutoCommit, obj: &ObjId, kind: ObjType, key: KeyRef<'_>) -> Option<Prop> {
    match (kind, key) {
        (ObjType::Map | ObjType::Table, KeyRef::Name(name)) => Some(Prop::Map(name.into())),
        (ObjType::Map | ObjType::Table, KeyRef::Nth(n)) => {
            let len = doc.length(obj);
            (len > 0)
                .then(|| doc.keys(obj).nth(usize::from(n) % len))
                .flatten()
                .map(Prop::Map)
        }
        (ObjType::List | ObjType::Text, key) => {
            let len = doc.length(obj);
            let n = match key {
                KeyRef::Nth(n) => usize::from(n),
                KeyRef::Name(_) => 0,
            };
            (len > 0).then(|| Prop::Seq(n % len))
        }
    }
}

/// Applies one raw operation; one that does not fit the object is left out.
fn apply(doc: &mut AutoCommit, op: &Op) {
    match op {
        Op::Put { at, key, value } => {
            let (obj, kind) = walk(doc, at);
            if let Some(p) = prop(doc, &obj, kind, key_ref(key)) {
                let _ = doc.put(&obj, p, value.value());
            }
        }
        Op::PutObject { at, key, kind: k } => {
            let (obj, kind) = walk(doc, at);
            if let Some(p) = prop(doc, &obj, kind, key_ref(key)) {
                let _ = doc.put_object(&obj, p, k.obj_type());
            }
        }
        Op::Insert { at, index, value } => {
            let (obj, kind) = walk(doc, at);
            if matches!(kind, ObjType::List | ObjType::Text) {
                let index = usize::from(*index) % (doc.length(&obj) + 1);
                let _ = doc.insert(&obj, index, value.value());
            }
        }
        Op::InsertObject { at, index, kind: k } => {
            let (obj, kind) = walk(doc, at);
            if matches!(kind, ObjType::List) {
                let index = usize::from(*index) % (doc.length(&obj) + 1);
                let _ = doc.insert_object(&obj, index, k.obj_type());
            }
        }
        Op::Delete { at, key } => {
            let (obj, kind) = walk(doc, at);
            if let Some(p) = prop(doc, &obj, kind, key_ref(key)) {
                let _ = doc.delete(&obj, p);
            }
        }
        Op::Splice { at, pos, del, text } => {
            let (obj, kind) = walk(doc, at);
            if matches!(kind, ObjType::Text) {
                let pos = usize::from(*pos) % (doc.length(&obj) + 1);
                let _ = doc.splice_text(&obj, pos, isize::from(*del), text);
            }
        }
        Op::Increment { at, key, by } => {
            let (obj, kind) = walk(doc, at);
            if let Some(p) = prop(doc, &obj, kind, key_ref(key)) {
                let _ = doc.increment(&obj, p, *by);
            }
        }
        Op::Typed(_) => {}
    }
}
