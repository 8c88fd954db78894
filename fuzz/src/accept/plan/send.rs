//! A plan carried out: the request it makes, handled by the server.

use super::*;

impl Plan {
    pub(in crate::accept) fn run(self, world: &World, store: &mut MemoryServerStore) {
        let peer = if self.tablet { tablet() } else { phone() };
        match self.action {
            Action::Sync {
                pushes,
                pull,
                upload_reference,
            } => {
                let Some(push) = building(|| {
                    pushes
                        .into_iter()
                        .take(MAX_PUSHES)
                        .map(|p| p.doc_changes(world, store))
                        .collect()
                }) else {
                    return;
                };
                let request = Request::Sync(SyncRequest {
                    push,
                    pull: pull.map(|p| PullRequest {
                        cursor: p.cursor.map(|(ours, seq)| Cursor {
                            epoch: if ours { EPOCH.into() } else { "epoch-0".into() },
                            seq,
                        }),
                        max_items: p.max_items,
                        reference: p.reference,
                    }),
                    reference: upload_reference.then(ReferenceDelta::default),
                    clock: None,
                });
                let _ = handle(store, &peer, request);
            }
            Action::Repair { doc, build, rounds } => {
                let id = doc.id();
                let Some((mut client, _)) = building(|| build.build(world, store, &id)) else {
                    return;
                };
                let mut state = State::new();
                for _ in 0..rounds.min(MAX_REPAIR_ROUNDS) {
                    let next =
                        building(|| client.automerge().sync().generate_sync_message(&mut state));
                    let Some(Some(message)) = next else {
                        break;
                    };
                    let request = Request::RepairDoc(RepairDoc {
                        doc: id.clone(),
                        message: ByteBuf::from(message.encode()),
                    });
                    let Ok(Response::RepairDoc(reply)) = handle(store, &peer, request) else {
                        break;
                    };
                    let Some(Ok(message)) = reply.message.map(|m| Message::decode(&m)) else {
                        break;
                    };
                    let received = building(|| {
                        client
                            .automerge()
                            .sync()
                            .receive_sync_message(&mut state, message)
                    });
                    if !matches!(received, Some(Ok(()))) {
                        break;
                    }
                }
            }
            Action::RawRepair { doc, message } => {
                let request = Request::RepairDoc(RepairDoc {
                    doc: doc.id(),
                    message: ByteBuf::from(message),
                });
                let _ = handle(store, &peer, request);
            }
            Action::Scope => {
                let _ = handle(store, &peer, Request::Scope);
            }
        }
    }
}

impl Push {
    fn doc_changes(self, world: &World, store: &MemoryServerStore) -> DocChanges {
        let bufs = |v: Vec<Vec<u8>>| v.into_iter().map(ByteBuf::from).collect();
        match self {
            Push::Raw { doc, changes } => DocChanges {
                doc: doc.id(),
                changes: bufs(changes),
                whole: None,
            },
            Push::Whole {
                doc,
                whole,
                changes,
            } => DocChanges {
                doc: doc.id(),
                changes: bufs(changes),
                whole: Some(ByteBuf::from(whole)),
            },
            Push::Built { doc, build, send } => {
                let id = doc.id();
                let (mut built, base_heads) = build.build(world, store, &id);
                let mut whole = send.whole.then(|| built.save());
                let mut changes: Vec<Vec<u8>> = if send.whole {
                    Vec::new()
                } else {
                    let since = if send.from_start {
                        &[][..]
                    } else {
                        &base_heads
                    };
                    built
                        .changes_since(since)
                        .iter()
                        .map(|c| c.raw_bytes().to_vec())
                        .collect()
                };
                if let Some(i) = send.drop
                    && !changes.is_empty()
                {
                    changes.remove(usize::from(i) % changes.len());
                }
                if send.reverse {
                    changes.reverse();
                }
                if let Some((at, bits)) = send.corrupt {
                    let target = match (&mut whole, changes.first_mut()) {
                        (Some(w), _) => Some(w),
                        (None, first) => first,
                    };
                    if let Some(bytes) = target
                        && !bytes.is_empty()
                    {
                        let at = usize::from(at) % bytes.len();
                        bytes[at] ^= bits;
                    }
                }
                changes.extend(send.extra);
                DocChanges {
                    doc: id,
                    changes: bufs(changes),
                    whole: whole.map(ByteBuf::from),
                }
            }
        }
    }
}
