//! # onsite-sim
//!
//! A seeded, deterministic, randomized simulation of the sync protocol, generic over the
//! server's store ([`SimServer`]): the same worlds run over the in-memory store (the
//! tests of `onsite-sync`) and over a SQLite file (the tests of `onsite-store-sqlite`).
//!
//! Several technician devices and a back-office device edit jobs while a hostile network
//! drops, duplicates and replays messages, devices go offline, and the server restarts or
//! is restored from an older copy under a new epoch. After healing, every replica must be
//! identical and every acknowledged change must be on the server. A world is one server,
//! devices and a hostile network, driven by one seeded random number generator so that a
//! seed replays exactly.
//!
//! - `device`: a device's durable store, its sync run and what it ever created;
//! - `net`: the hostile network between devices and the server;
//! - `edits`: honest random edits of technicians and the back office;
//! - `world`: the random steps (edits, syncs, partitions, restarts, restores);
//! - `check`: healing and the final invariants;
//! - `server`: what the world needs of a server's store, and the in-memory one.
//!
//! [`run_from_env`] reads the environment:
//! - `ONSITE_SIM_SEEDS=<n>` runs seeds `0..n` (a run's own variable, see [`Run`], first);
//! - `ONSITE_SIM_SEED=<n>` replays exactly one seed;
//! - `ONSITE_SIM_TRACE=1` prints what every step does (best with one seed).

mod check;
mod device;
mod edits;
mod net;
mod server;
mod world;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

pub use server::{Account, SimServer};
pub use world::{Stats, World};

/// Random steps per seed before healing.
const STEPS: usize = 200;

/// How one test runs the simulation over its store.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    /// The store, as the summary line names it.
    pub store: &'static str,
    /// Seeds `0..default_seeds` run when the environment names none.
    pub default_seeds: u64,
    /// A variable naming the number of seeds for this run only, read before
    /// `ONSITE_SIM_SEEDS`.
    pub seeds_var: Option<&'static str>,
    /// The command that replays a seed, without the variables.
    pub replay: &'static str,
}

/// Runs one seed: random steps, healing, checks. `Err` says what broke.
pub fn run_seed<S: SimServer>(seed: u64, trace: bool) -> Result<Stats, String> {
    let mut world = World::<S>::new(seed, trace).map_err(|e| format!("starting: {e}"))?;
    for step in 0..STEPS {
        world
            .step()
            .map_err(|e| format!("step {step}: {e}\n{}", world.recent_trace()))?;
    }
    check::heal(&mut world).map_err(|e| format!("healing: {e}\n{}", world.recent_trace()))?;
    check::invariants(&mut world).map_err(|e| format!("after healing: {e}"))?;
    Ok(world.stats)
}

fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    match value.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => panic!("{name}={value:?} is not a number"),
    }
}

/// Runs one seed, turning a panic into the failure it reports.
fn run_one<S: SimServer>(seed: u64, trace: bool) -> Result<Stats, String> {
    match catch_unwind(AssertUnwindSafe(|| run_seed::<S>(seed, trace))) {
        Ok(outcome) => outcome,
        Err(panic) => Err(panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panicked".into())),
    }
}

/// Runs the seeds the environment asks for over the store `S` and panics naming every
/// failed seed.
pub fn run_from_env<S: SimServer>(run: &Run) {
    let trace = std::env::var("ONSITE_SIM_TRACE").is_ok_and(|v| v != "0");
    let seeds: Vec<u64> = match env_u64("ONSITE_SIM_SEED") {
        Some(seed) => vec![seed],
        None => {
            let n = run
                .seeds_var
                .and_then(env_u64)
                .or_else(|| env_u64("ONSITE_SIM_SEEDS"))
                .unwrap_or(run.default_seeds);
            (0..n).collect()
        }
    };
    let started = Instant::now();
    // Seeds are independent worlds: they run on every core, each on one thread from start
    // to end, so a seed replays the same whatever the number of cores.
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers.min(seeds.len()) {
            scope.spawn(|| {
                while let Some(&seed) = seeds.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let outcome = run_one::<S>(seed, trace);
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((seed, outcome));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(seed, _)| *seed);
    let mut total = Stats::default();
    let mut failures = Vec::new();
    for (seed, outcome) in results {
        match outcome {
            Ok(stats) => total.add(&stats),
            Err(failure) => {
                eprintln!("simulation ({}) seed {seed} FAILED: {failure}", run.store);
                failures.push((seed, failure));
            }
        }
    }
    eprintln!(
        "simulation ({}): {} seeds in {:.1?} on {workers} threads, {} failed; totals: {total:?}",
        run.store,
        seeds.len(),
        started.elapsed(),
        failures.len()
    );
    if let Some((seed, failure)) = failures.first() {
        let all: Vec<String> = failures.iter().map(|(s, _)| s.to_string()).collect();
        panic!(
            "simulation ({}) failed for seed {seed} (failed seeds: {}): {failure}\n\
             replay with: ONSITE_SIM_SEED={seed} {} (add ONSITE_SIM_TRACE=1 to see every step)",
            run.store,
            all.join(", "),
            run.replay,
        );
    }
}
