//! A simulated device: its durable store, its identity, and its current sync run.

use automerge::{ActorId, Change};
use onsite_domain::{JobDoc, Role};
use onsite_sync::client::{ClientSync, SyncOptions, SyncReport};
use onsite_sync::memory::MemoryClientStore;
use onsite_sync::server::Peer;
use onsite_sync::wire::{self, Response};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::net::Network;
use crate::server::SimServer;

/// A change a device made locally, remembered for the final checks.
#[derive(Debug, Clone)]
pub struct Created {
    pub doc: String,
    pub hash: String,
}

#[derive(Debug)]
pub struct Device {
    pub name: String,
    pub peer: Peer,
    /// The device's own Automerge actor, set on every document it edits.
    pub actor: ActorId,
    /// What survives a crash; everything else is rebuilt from it.
    pub store: MemoryClientStore,
    pub online: bool,
    /// The sync run in progress, if any; dropped when the transport fails.
    pub run: Option<ClientSync>,
    pub created: Vec<Created>,
    /// What the last finished run did, for the trace.
    pub last_report: Option<SyncReport>,
}

/// How far a call to [`Device::advance`] got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// The run still has requests to send.
    Going,
    /// The run finished: the device is up to date.
    Done,
    /// A message was lost; the run was abandoned.
    Abandoned,
}

impl Device {
    pub fn new(name: String, user_id: &str, role: Role, rng: &mut ChaCha8Rng) -> Device {
        let actor: [u8; 16] = rng.random();
        Device {
            peer: Peer {
                user_id: user_id.to_string(),
                role,
                device_id: name.clone(),
            },
            name,
            actor: ActorId::from(&actor[..]),
            store: MemoryClientStore::default(),
            online: true,
            run: None,
            created: Vec::new(),
            last_report: None,
        }
    }

    pub fn is_back_office(&self) -> bool {
        self.peer.role == Role::BackOffice
    }

    /// Loads a stored document, ready for this device to edit.
    pub fn load(&self, doc_id: &str) -> Result<Option<JobDoc>, String> {
        let Some(bytes) = self.store.docs.get(doc_id) else {
            return Ok(None);
        };
        let mut doc =
            JobDoc::load(bytes).map_err(|e| format!("{}: stored {doc_id}: {e}", self.name))?;
        doc.set_actor(self.actor.clone());
        Ok(Some(doc))
    }

    /// Stores a local edit the way the app does: document and outbox in one step.
    pub fn record(&mut self, doc_id: &str, doc: &mut JobDoc, change: &Change) {
        self.store.record_local(doc_id, doc, change);
        self.created.push(Created {
            doc: doc_id.to_string(),
            hash: change.hash().to_string(),
        });
    }

    /// Performs up to `exchanges` request/response pairs of the current sync run (starting
    /// one if needed) through `net`.
    pub fn advance<S: SimServer>(
        &mut self,
        server: &mut S,
        net: &mut Network,
        rng: &mut ChaCha8Rng,
        exchanges: usize,
    ) -> Result<RunState, String> {
        if self.run.is_none() {
            // Small pages and pushes, so that paging and partial uploads happen often.
            self.run = Some(ClientSync::new(SyncOptions {
                push_bytes: rng.random_range(200..4_000),
                page_items: rng.random_range(1..24),
                ..SyncOptions::default()
            }));
        }
        for _ in 0..exchanges {
            let Some(run) = self.run.as_mut() else {
                break;
            };
            let request = run
                .next_request(&mut self.store)
                .map_err(|e| format!("{}: next_request: {e}", self.name))?;
            let Some(request) = request else {
                self.last_report = self.run.take().map(ClientSync::into_report);
                return Ok(RunState::Done);
            };
            let Some(frame) = net.exchange(server, &self.peer, wire::encode(&request), rng) else {
                self.run = None;
                return Ok(RunState::Abandoned);
            };
            let response = decode_response(&frame)?;
            run.handle_response(&mut self.store, response)
                .map_err(|e| format!("{}: handle_response: {e}", self.name))?;
        }
        Ok(RunState::Going)
    }

    /// Runs sync to the end over a perfect network; `Err` if it does not finish.
    pub fn sync_to_end<S: SimServer>(
        &mut self,
        server: &mut S,
        rng: &mut ChaCha8Rng,
    ) -> Result<(), String> {
        const MAX_EXCHANGES: usize = 5_000;
        let mut net = Network::perfect();
        match self.advance(server, &mut net, rng, MAX_EXCHANGES)? {
            RunState::Done => Ok(()),
            RunState::Going => Err(format!(
                "{}: sync did not finish after {MAX_EXCHANGES} exchanges",
                self.name
            )),
            RunState::Abandoned => Err(format!("{}: a perfect network lost a message", self.name)),
        }
    }
}

fn decode_response(frame: &[u8]) -> Result<Response, String> {
    wire::decode(frame).map_err(|e| format!("response frame does not decode: {e}"))
}
