//! The seeded sync simulation (crate `onsite-sim`) over the in-memory server store.
//!
//! Several technician devices and a back-office device edit jobs while a hostile network
//! drops, duplicates and replays messages, devices go offline, and the server restarts or
//! is restored from an older copy under a new epoch. After healing, every replica must be
//! identical and every acknowledged change must be on the server. The same worlds run over
//! SQLite in `store-sqlite/tests/simulation.rs`.
//!
//! - `ONSITE_SIM_SEEDS=<n>` runs seeds `0..n` (default 200);
//! - `ONSITE_SIM_SEED=<n>` replays exactly one seed;
//! - `ONSITE_SIM_TRACE=1` prints what every step does (best with one seed).

use onsite_sim::Run;
use onsite_sync::memory::MemoryServerStore;

#[test]
fn randomized_sync_simulation() {
    onsite_sim::run_from_env::<MemoryServerStore>(&Run {
        store: "memory",
        default_seeds: 200,
        seeds_var: None,
        replay: "cargo test -p onsite-sync --test simulation",
    });
}
