#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! A seeded, deterministic, randomized simulation of the sync protocol.
//!
//! Several technician devices and a back-office device edit jobs while a hostile network
//! drops, duplicates and replays messages, devices go offline, and the server restarts or
//! is restored from an older copy under a new epoch. After healing, every replica must be
//! identical and every acknowledged change must be on the server. See `sim/mod.rs`.
//!
//! - `ONSITE_SIM_SEEDS=<n>` runs seeds `0..n` (default 200);
//! - `ONSITE_SIM_SEED=<n>` replays exactly one seed;
//! - `ONSITE_SIM_TRACE=1` prints what every step does (best with one seed).

mod sim;

#[test]
fn randomized_sync_simulation() {
    sim::run_from_env();
}
