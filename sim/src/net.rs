//! The hostile network between devices and the server.
//!
//! Requests and responses always travel as encoded frames. A request can be lost before
//! the server sees it, delivered twice, or kept and delivered again later (out of order,
//! as the same peer, its answer going nowhere); a response can be lost after the server
//! committed. The device only sees a lost message as a failed transport.

use onsite_sync::server::{HandleError, Peer};
use onsite_sync::wire::{self, ErrorReply, Request, Response};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::server::SimServer;

/// Probabilities of each fault, per message.
#[derive(Debug, Clone, Copy)]
pub struct Faults {
    pub drop_request: f64,
    pub drop_response: f64,
    pub duplicate: f64,
    /// A request kept to be delivered again later.
    pub keep_late: f64,
}

impl Faults {
    pub const NONE: Faults = Faults {
        drop_request: 0.0,
        drop_response: 0.0,
        duplicate: 0.0,
        keep_late: 0.0,
    };
}

/// A request still travelling: delivered again at some later step.
#[derive(Debug)]
pub struct Late {
    pub peer: Peer,
    pub frame: Vec<u8>,
}

#[derive(Debug)]
pub struct Network {
    pub faults: Faults,
    pub late: Vec<Late>,
    pub stats: NetStats,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct NetStats {
    pub delivered: u64,
    pub dropped_requests: u64,
    pub dropped_responses: u64,
    pub duplicated: u64,
    pub replayed: u64,
}

/// The most late requests the network holds at once.
const MAX_LATE: usize = 12;

impl Network {
    pub fn new(faults: Faults) -> Network {
        Network {
            faults,
            late: Vec::new(),
            stats: NetStats::default(),
        }
    }

    pub fn perfect() -> Network {
        Network::new(Faults::NONE)
    }

    /// Sends one request; `None` when the device never hears an answer.
    pub fn exchange<S: SimServer>(
        &mut self,
        server: &mut S,
        peer: &Peer,
        frame: Vec<u8>,
        rng: &mut ChaCha8Rng,
    ) -> Option<Vec<u8>> {
        let f = self.faults;
        if rng.random_bool(f.keep_late) {
            self.keep(peer, frame.clone(), rng);
        }
        if rng.random_bool(f.drop_request) {
            self.stats.dropped_requests += 1;
            return None;
        }
        let mut response = serve(server, peer, &frame);
        if rng.random_bool(f.duplicate) {
            self.stats.duplicated += 1;
            let second = serve(server, peer, &frame);
            if rng.random_bool(0.5) {
                response = second;
            }
        }
        if rng.random_bool(f.drop_response) {
            self.stats.dropped_responses += 1;
            return None;
        }
        self.stats.delivered += 1;
        Some(response)
    }

    fn keep(&mut self, peer: &Peer, frame: Vec<u8>, rng: &mut ChaCha8Rng) {
        if self.late.len() >= MAX_LATE {
            let i = rng.random_range(0..self.late.len());
            self.late.swap_remove(i);
        }
        self.late.push(Late {
            peer: peer.clone(),
            frame,
        });
    }

    /// Delivers one late request (chosen at random) to the server; its answer is lost.
    /// Returns a description for the trace; `Err` if an honest request got an error.
    pub fn deliver_late<S: SimServer>(
        &mut self,
        server: &mut S,
        rng: &mut ChaCha8Rng,
    ) -> Result<Option<String>, String> {
        if self.late.is_empty() {
            return Ok(None);
        }
        let i = rng.random_range(0..self.late.len());
        // Sometimes the same late request arrives more than once.
        let late = if rng.random_bool(0.3) {
            Late {
                peer: self.late[i].peer.clone(),
                frame: self.late[i].frame.clone(),
            }
        } else {
            self.late.swap_remove(i)
        };
        let response = serve(server, &late.peer, &late.frame);
        self.stats.replayed += 1;
        let (what, error) = describe(&response);
        let line = format!(
            "late request from {} ({} bytes) answered {what}",
            late.peer.device_id,
            late.frame.len(),
        );
        if error {
            return Err(line);
        }
        Ok(Some(line))
    }

    /// Delivers every late request, in random order (the network heals).
    pub fn flush<S: SimServer>(
        &mut self,
        server: &mut S,
        rng: &mut ChaCha8Rng,
    ) -> Result<(), String> {
        while !self.late.is_empty() {
            let i = rng.random_range(0..self.late.len());
            let late = self.late.swap_remove(i);
            let (what, error) = describe(&serve(server, &late.peer, &late.frame));
            self.stats.replayed += 1;
            if error {
                return Err(format!(
                    "late request from {} answered {what}",
                    late.peer.device_id
                ));
            }
        }
        Ok(())
    }
}

/// The server's side of the transport: decode, handle, encode (errors become replies).
/// A storage failure is an `internal` error whose message says what failed (a real
/// server keeps that to its log), so that a failed seed names it.
fn serve<S: SimServer>(server: &mut S, peer: &Peer, frame: &[u8]) -> Vec<u8> {
    let response = match wire::decode::<Request>(frame) {
        Ok(request) => match server.serve(peer, request) {
            Ok(response) => response,
            Err(HandleError::Store(e)) => Response::Error(ErrorReply {
                code: "internal".into(),
                message: format!("storage failed: {e}"),
            }),
            Err(e) => Response::Error(e.reply()),
        },
        Err(e) => Response::Error(ErrorReply {
            code: e.code().into(),
            message: e.to_string(),
        }),
    };
    wire::encode(&response)
}

/// A short description of a response, and whether it is an error.
fn describe(frame: &[u8]) -> (String, bool) {
    let error = matches!(
        wire::decode::<Response>(frame),
        Ok(Response::Error(_)) | Err(_)
    );
    let what = match wire::decode::<Response>(frame) {
        Ok(Response::Sync(s)) => format!(
            "sync (refused {}, repair {}, pull {})",
            s.refused.len(),
            s.needs_repair.len(),
            s.pull.is_some()
        ),
        Ok(Response::RepairDoc(r)) => format!("repair (refused {})", r.refused.is_some()),
        Ok(Response::Scope(s)) => format!("scope ({} docs)", s.docs.len()),
        Ok(Response::Error(e)) => format!("error {}: {}", e.code, e.message),
        Err(e) => format!("undecodable: {e}"),
    };
    (what, error)
}
