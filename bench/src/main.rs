//! # onsite-bench
//!
//! The benchmark scenarios of docs/benchmarks.md, against a real `onsite serve` process on
//! 127.0.0.1. Prints one JSON object on stdout; progress goes to stderr.
//!
//! ```sh
//! cargo run --release -p onsite-bench -- fleet-day --docs 1000 --edits 50
//! cargo run --release -p onsite-bench -- server-scale --jobs 100000 --technicians 50
//! ```

mod fleet_day;
mod jobs;
mod server;
mod server_scale;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "onsite-bench",
    about = "Onsite benchmark scenarios (docs/benchmarks.md)"
)]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// One technician's device: upload, idle reconnect, sparse edits, fresh device, back-office edits.
    FleetDay(fleet_day::Options),
    /// Many technicians load S jobs through sync; then the back office's list and monthly
    /// reports, server memory and database size.
    ServerScale(server_scale::Options),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = match cli.scenario {
        Scenario::FleetDay(options) => {
            serde_json::to_value(runtime.block_on(fleet_day::run(options))?)?
        }
        Scenario::ServerScale(options) => {
            serde_json::to_value(runtime.block_on(server_scale::run(options))?)?
        }
    };
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
