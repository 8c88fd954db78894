//! The simulation harness: a world of one server, devices and a hostile network, driven
//! by one seeded random number generator so that a seed replays exactly.
//!
//! - `device`: a device's durable store, its sync run and what it ever created;
//! - `net`: the hostile network between devices and the server;
//! - `edits`: honest random edits of technicians and the back office;
//! - `world`: the random steps (edits, syncs, partitions, restarts, restores);
//! - `check`: healing and the final invariants.

mod check;
mod device;
mod edits;
mod net;
mod world;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

pub use world::World;

/// Random steps per seed before healing.
const STEPS: usize = 200;
const DEFAULT_SEEDS: u64 = 200;

/// Runs one seed: random steps, healing, checks. `Err` says what broke.
pub fn run_seed(seed: u64, trace: bool) -> Result<world::Stats, String> {
    let mut world = World::new(seed, trace);
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
fn run_one(seed: u64, trace: bool) -> Result<world::Stats, String> {
    match catch_unwind(AssertUnwindSafe(|| run_seed(seed, trace))) {
        Ok(outcome) => outcome,
        Err(panic) => Err(panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panicked".into())),
    }
}

/// Runs the seeds the environment asks for and panics naming every failed seed.
pub fn run_from_env() {
    let trace = std::env::var("ONSITE_SIM_TRACE").is_ok_and(|v| v != "0");
    let seeds: Vec<u64> = match env_u64("ONSITE_SIM_SEED") {
        Some(seed) => vec![seed],
        None => (0..env_u64("ONSITE_SIM_SEEDS").unwrap_or(DEFAULT_SEEDS)).collect(),
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
                    let outcome = run_one(seed, trace);
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
    let mut total = world::Stats::default();
    let mut failures = Vec::new();
    for (seed, outcome) in results {
        match outcome {
            Ok(stats) => total.add(&stats),
            Err(failure) => {
                eprintln!("simulation seed {seed} FAILED: {failure}");
                failures.push((seed, failure));
            }
        }
    }
    eprintln!(
        "simulation: {} seeds in {:.1?}, {} failed; totals: {total:?}",
        seeds.len(),
        started.elapsed(),
        failures.len()
    );
    if let Some((seed, failure)) = failures.first() {
        let all: Vec<String> = failures.iter().map(|(s, _)| s.to_string()).collect();
        panic!(
            "simulation failed for seed {seed} (failed seeds: {}): {failure}\n\
             replay with: ONSITE_SIM_SEED={seed} cargo test -p onsite-sync --test simulation \
             (add ONSITE_SIM_TRACE=1 to see every step)",
            all.join(", ")
        );
    }
}
