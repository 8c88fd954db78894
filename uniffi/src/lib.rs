//! # onsite-ffi
//!
//! The client core ([`onsite_client`]) for Kotlin, Swift and Python apps, through UniFFI
//! proc-macros. This crate only wraps and converts: every method of [`OnsiteClient`]
//! delegates to [`onsite_client::Client`] in one line, the records are the core's own
//! types declared to UniFFI (see `types`), errors are mapped once (see [`OnsiteError`]).
//! Logic found here belongs in the client core.
//!
//! The native library is `libonsite_ffi` (`.so`, `.a`, `.dylib`); the bindings'
//! namespace is `onsite` (Python module `onsite`, Kotlin package `uniffi.onsite`, Swift
//! module `onsite`). Generate them from an unstripped build:
//!
//! ```sh
//! uniffi/generate.sh bindings    # Kotlin, Swift and Python into ./bindings
//! ```
//!
//! From Rust (as the apps see it, minus the generated layer):
//!
//! ```
//! use onsite_ffi::{OnsiteClient, OnsiteError};
//!
//! let dir = std::env::temp_dir().join(format!("onsite-ffi-doc-{}", std::process::id()));
//! let client = OnsiteClient::open(dir.to_string_lossy().into_owned())?;
//! assert_eq!(client.session()?, None);
//! assert_eq!(client.pending_changes()?, 0);
//! // Changing jobs needs a session: the error's variant is its kind.
//! let refused = client.start_travel("some-job".into());
//! assert!(matches!(refused, Err(OnsiteError::SignInNeeded { .. })));
//! # drop(client);
//! # let _ = std::fs::remove_dir_all(&dir);
//! # Ok::<(), OnsiteError>(())
//! ```
//!
//! What it looks like from Python:
//!
//! ```python
//! from onsite import OnsiteClient, NewJob, Customer, Product, OnsiteError
//!
//! client = OnsiteClient.open("/data/onsite")
//! await client.sign_in("https://onsite.example.com", "wang", password)
//! job = client.create_job(NewJob(customer=Customer(name="Zhang Wei"), product=Product(),
//!                                fault="drum does not turn"))
//! client.arrive(job)
//! report = await client.sync()
//! ```

uniffi::setup_scaffolding!("onsite");

mod client;
mod error;
mod listeners;
mod types;

pub use client::OnsiteClient;
pub use error::OnsiteError;
pub use listeners::{JobsListener, ListenerHandle, SyncStateListener};
pub use types::{FormAnswer, JobDetail, JobForm, JobNote, SyncReport};
