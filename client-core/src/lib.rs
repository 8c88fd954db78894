//! # onsite-client
//!
//! The device side of Onsite: what a technician's phone runs, linked into the native apps
//! through UniFFI. A [`Client`] is opened on a data directory and works offline:
//!
//! - every operation ([`Client::accept`], [`Client::record_part`], …) is checked against
//!   the same write policy the server applies, made as one Automerge change, and committed
//!   to SQLite (document, outbox entry and query row in one transaction) before it returns;
//! - lists and searches ([`Client::list_jobs`]) read a query table, never documents;
//! - [`Client::sync`] uploads the outbox and reads the server's feed with the sans-IO
//!   engine of `onsite-sync`, over HTTP;
//! - reference data the server owns arrives with the sync and is read-only here:
//!   [`Client::parts_catalog`], [`Client::form_templates`], [`Client::van_stock`];
//! - listeners ([`Client::subscribe`]) hear which jobs changed;
//! - [`Client::start_background_sync`] keeps the device in sync by itself, and
//!   [`Client::sync_status`] / [`Client::subscribe_sync_state`] tell how syncing goes.
//!
//! ```no_run
//! use onsite_client::{Client, JobFilter, NewJob, PartInput};
//! use onsite_domain::{Customer, Product};
//!
//! # async fn example() -> Result<(), onsite_client::Error> {
//! let client = Client::open("/data/onsite")?;
//! client.sign_in("https://onsite.example.com", "wang", "correct horse").await?;
//! client.sync().await?; // the jobs, the parts catalog, the templates, the van stock
//!
//! // Offline from here on: every call is committed before it returns.
//! let job = client.create_job(NewJob {
//!     customer: Customer { name: "Zhang Wei".into(), phone: "+86 139 0000 0000".into(), ..Default::default() },
//!     product: Product { model: "WM-100".into(), serial: "SN-42".into(), ..Default::default() },
//!     fault: "drum does not turn".into(),
//!     complaint: false,
//! })?;
//! client.arrive(&job)?;
//! client.diagnose(&job, "motor relay stuck")?;
//! // A part of the catalog: the SKU is enough, name and price come from the catalog.
//! client.record_part(&job, PartInput { sku: "RLY-12".into(), quantity: 1, ..Default::default() })?;
//! client.repair(&job, "replaced the relay, tested a full cycle")?;
//! let form = client.start_form(&job, "survey")?;
//! client.answer_item(&job, &form, "overall", 10, "")?;
//! client.submit_form(&job, &form, "")?;
//! client.complete(&job)?;
//! assert_eq!(client.list_jobs(&JobFilter::default())?.len(), 1);
//!
//! // Back online.
//! let report = client.sync().await?;
//! assert_eq!(client.pending_changes()?, 0);
//! println!("uploaded {} changes", report.uploaded);
//! for line in client.van_stock()? {
//!     println!("{} {}: {}{}", line.sku, line.name, line.balance, if line.negative { " (!)" } else { "" });
//! }
//! # Ok(())
//! # }
//! ```
//!
//! ## Decisions
//! - **One device, one actor.** Each store gets a random device id (UUID v4) on first
//!   open; the Automerge actor of every local change is those 16 bytes. The session's user
//!   id is the author recorded in events, notes, parts lines and forms.
//! - **Refused locally means nothing written.** Input is validated first
//!   ([`ErrorKind::InvalidInput`], e.g. a score off the 10/8/6/4/2 scale), then the whole
//!   edited job goes through `onsite_domain::check_write` ([`ErrorKind::Refused`], e.g. a
//!   job assigned to someone else). Only then is the change made.
//! - **Losing a sign-in loses nothing.** A 401 from the server is
//!   [`ErrorKind::SignInNeeded`]; the session, the jobs and the outbox stay, and operations
//!   keep working offline. When the server issued a refresh token, a sync refreshes the
//!   access token once before giving up.
//! - **Another account on the same device** may sign in only when the outbox is empty
//!   (otherwise [`ErrorKind::InvalidInput`], and nothing changes); the previous account's
//!   jobs (all acknowledged), its conflict log and the reference data (its van stock, and
//!   the catalog and templates, which the next sync brings again) are then removed, and
//!   the cursors reset.
//! - **Remote wipe.** When an administrator revokes the device for a wipe, the next sync
//!   (even after its access token expired) uploads once what the server will accept, then
//!   erases everything of the account (jobs, outbox, conflict log, session, cursor; deleted
//!   rows are overwritten on disk) and fails with [`ErrorKind::DeviceWiped`]: tell the
//!   user, then show the sign-in screen. Only the device id stays, and the server refuses
//!   that account on this device from then on (`device_revoked`). The last upload is the
//!   first request of that sync (about 2 MiB of changes); anything beyond is erased unsent.
//! - **Reference data is read-only.** The catalog, the templates and the van stock are
//!   written only from what a sync brings; the device never uploads them. A form is
//!   answered against the template version it was started on, from the store.
//! - **Van stock = the server's count − uses not counted yet.** The server counts every
//!   parts line a technician recorded (from any of their devices) against their
//!   restocks; the device subtracts the lines recorded here whose changes still wait in
//!   the outbox. The acknowledgement of a line and the balance counting it arrive in one
//!   answer and are committed together, so a use is never counted twice or not at all.
//! - **Sync holds the store lock per engine step**, off the async threads
//!   (`spawn_blocking`), never across a network wait; concurrent syncs queue up.

mod background;
mod client;
mod clock;
pub mod error;
mod listeners;
mod live;
mod ops;
mod query;
mod reference;
mod retry;
pub mod schema;
mod session;
pub mod store;
mod tls;
mod transport;

pub use background::{MIN_BACKGROUND_INTERVAL, SyncFailure, SyncStateListener, SyncStatus};
pub use client::Client;
pub use error::{Error, ErrorKind, Result};
pub use listeners::{JobsListener, ListenerHandle};
pub use ops::{NewJob, PartInput};
pub use query::{Conflict, JobFilter, JobSummary, JobView};
pub use reference::StockLine;
pub use session::Session;
pub use store::Store;
pub use tls::Trust;
pub use transport::TransferStats;

pub use onsite_sync::client::SyncReport;
pub use onsite_sync::wire::Cursor;
