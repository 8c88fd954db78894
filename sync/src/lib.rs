//! # onsite-sync
//!
//! The Onsite sync protocol, used by both ends:
//! - [`wire`]: the versioned binary messages (a magic, a version, a CBOR body);
//! - [`server`]: given the server's store and a request, what to accept and what to answer;
//! - [`client`]: given the device's store, what to send next and what an answer changes;
//! - [`memory`]: in-memory stores keeping the same contracts, for simulations and tests.
//!
//! Neither engine does IO, so a test can run many devices, a server and a hostile
//! network in memory, from a seed:
//!
//! ```
//! use onsite_sync::{client::{ClientSync, SyncOptions}, memory::*, server::{self, Peer}, wire};
//! use onsite_domain::Role;
//!
//! let mut server_store = MemoryServerStore::new("epoch-1");
//! let mut device = MemoryClientStore::default();
//! let peer = Peer { user_id: "tech".into(), role: Role::Technician, device_id: "phone".into() };
//! let mut run = ClientSync::new(SyncOptions::default());
//! while let Some(request) = run.next_request(&mut device).unwrap() {
//!     // A real transport encodes the request, sends it, and decodes the answer.
//!     let request: wire::Request = wire::decode(&wire::encode(&request)).unwrap();
//!     let response = server::handle(&mut server_store, &peer, request).unwrap();
//!     run.handle_response(&mut device, response).unwrap();
//! }
//! assert_eq!(device.cursor.unwrap().epoch, "epoch-1");
//! ```

pub mod client;
pub mod memory;
pub mod server;
pub mod wire;
