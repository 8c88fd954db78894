//! # onsite-server
//!
//! The Onsite server: accounts and sign-in, the sync endpoint, the back-office API, and
//! SQLite storage with query tables updated in the same transaction as the documents.
//!
//! A test (or an embedding program) starts a real server on a free port:
//!
//! ```no_run
//! # async fn run() -> anyhow::Result<()> {
//! use onsite_server::{AppState, Config, serve};
//! let state = AppState::open(Config::new("./onsite-data"))?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! serve(listener, state, std::future::pending()).await?;
//! # Ok(()) }
//! ```

pub mod app;
pub mod auth;
pub mod cli;
pub mod client_address;
pub mod doc_json;
pub mod error;
pub mod export;
pub mod metrics;
pub mod openapi;
pub mod passwords;
pub mod ratelimit;
pub mod routes;
pub mod settings;
pub mod tls;
pub mod web;

pub use app::{AppState, Config, serve, serve_tls};
