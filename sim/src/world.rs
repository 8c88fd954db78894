//! The simulated world and its random steps.

use std::collections::VecDeque;

use onsite_domain::{JobDoc, Role};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::device::{Device, RunState};
use crate::edits::{self, Reassignments};
use crate::net::{Faults, NetStats, Network};
use crate::server::{Account, SimServer};

const TECHNICIANS: usize = 5;
/// Older copies of the server store kept for restores.
const MAX_BACKUPS: usize = 4;
const MAX_RESTORES: u32 = 2;
const TRACE_TAIL: usize = 40;

/// What happened in a seed, summed over all seeds at the end.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub edits: u64,
    pub runs_done: u64,
    pub runs_abandoned: u64,
    pub restarts: u64,
    pub restores: u64,
    pub net: NetStats,
}

impl Stats {
    pub fn add(&mut self, o: &Stats) {
        self.edits += o.edits;
        self.runs_done += o.runs_done;
        self.runs_abandoned += o.runs_abandoned;
        self.restarts += o.restarts;
        self.restores += o.restores;
        self.net.delivered += o.net.delivered;
        self.net.dropped_requests += o.net.dropped_requests;
        self.net.dropped_responses += o.net.dropped_responses;
        self.net.duplicated += o.net.duplicated;
        self.net.replayed += o.net.replayed;
    }
}

#[derive(Debug)]
pub struct World<S: SimServer> {
    pub rng: ChaCha8Rng,
    /// Virtual clock, milliseconds since the Unix epoch.
    pub now: i64,
    pub server: S,
    epochs: u32,
    backups: Vec<S::Snapshot>,
    restores_allowed: bool,
    pub devices: Vec<Device>,
    pub technicians: Vec<String>,
    pub net: Network,
    pub moves: Reassignments,
    pub stats: Stats,
    trace_on: bool,
    trace: VecDeque<String>,
}

impl<S: SimServer> World<S> {
    /// A new world, its server started by `S::start`.
    pub fn new(seed: u64, trace_on: bool) -> Result<World<S>, String> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let technicians: Vec<String> = (1..=TECHNICIANS).map(|i| format!("tech-{i}")).collect();
        let mut devices = Vec::new();
        for tech in &technicians {
            devices.push(Device::new(
                format!("{tech}/phone"),
                tech,
                Role::Technician,
                &mut rng,
            ));
        }
        // One technician also works from a tablet: two devices, one account.
        devices.push(Device::new(
            "tech-1/tablet".into(),
            "tech-1",
            Role::Technician,
            &mut rng,
        ));
        devices.push(Device::new(
            "office/desk".into(),
            "office",
            Role::BackOffice,
            &mut rng,
        ));
        // Each seed gets its own weather: some networks are much worse than others.
        let faults = Faults {
            drop_request: rng.random_range(0.0..0.15),
            drop_response: rng.random_range(0.0..0.15),
            duplicate: rng.random_range(0.0..0.1),
            keep_late: rng.random_range(0.0..0.1),
        };
        let restores_allowed = rng.random_bool(0.4);
        let accounts: Vec<Account> = devices
            .iter()
            .map(|d| Account {
                user_id: d.peer.user_id.clone(),
                role: d.peer.role,
            })
            .collect();
        Ok(World {
            rng,
            now: 1_700_000_000_000,
            server: S::start(&accounts)?,
            epochs: 0,
            backups: Vec::new(),
            restores_allowed,
            devices,
            technicians,
            net: Network::new(faults),
            moves: Reassignments::default(),
            stats: Stats::default(),
            trace_on,
            trace: VecDeque::new(),
        })
    }

    pub fn log(&mut self, line: String) {
        if self.trace_on {
            eprintln!("  {line}");
        }
        if self.trace.len() == TRACE_TAIL {
            self.trace.pop_front();
        }
        self.trace.push_back(line);
    }

    /// The last steps, for a failure message.
    pub fn recent_trace(&self) -> String {
        let lines: Vec<&str> = self.trace.iter().map(String::as_str).collect();
        format!("last steps:\n  {}", lines.join("\n  "))
    }

    /// One random step.
    pub fn step(&mut self) -> Result<(), String> {
        self.now += self.rng.random_range(1_000..120_000);
        match self.rng.random_range(0..100) {
            0..40 => self.edit(),
            40..76 => self.sync_some(),
            76..84 => {
                self.toggle_online();
                Ok(())
            }
            84..89 => {
                if let Some(line) = self.net.deliver_late(&mut self.server, &mut self.rng)? {
                    self.log(line);
                }
                Ok(())
            }
            89..92 => {
                let i = self.rng.random_range(0..self.devices.len());
                if self.devices[i].run.take().is_some() {
                    let name = self.devices[i].name.clone();
                    self.log(format!("{name}: app restarts in the middle of a sync"));
                    self.stats.runs_abandoned += 1;
                }
                Ok(())
            }
            92..96 => {
                let backup = self.server.snapshot()?;
                self.backups.push(backup);
                if self.backups.len() > MAX_BACKUPS {
                    self.backups.remove(0);
                }
                Ok(())
            }
            96..99 => {
                // A restart keeps only what the store made durable.
                self.server.restart()?;
                self.stats.restarts += 1;
                self.log("server restarts".into());
                Ok(())
            }
            _ => self.restore(),
        }
    }

    fn edit(&mut self) -> Result<(), String> {
        let office = self.devices.len() - 1;
        let i = if self.rng.random_bool(0.25) {
            office
        } else {
            self.rng.random_range(0..office)
        };
        let dev = &mut self.devices[i];
        let done = if dev.is_back_office() {
            edits::back_office(
                dev,
                &self.technicians,
                &mut self.moves,
                &mut self.rng,
                self.now,
            )?
        } else {
            edits::technician(dev, &mut self.rng, self.now)?
        };
        if let Some(what) = done {
            let dev = &self.devices[i];
            let hash = dev.created.last().map_or("", |c| &c.hash[..8]);
            let line = format!("{}: {what} [{hash}]", dev.name);
            self.stats.edits += 1;
            self.log(line);
        }
        Ok(())
    }

    fn sync_some(&mut self) -> Result<(), String> {
        let online: Vec<usize> = (0..self.devices.len())
            .filter(|&i| self.devices[i].online)
            .collect();
        let Some(&i) = online.choose(&mut self.rng) else {
            return Ok(());
        };
        let exchanges = self.rng.random_range(1..=8);
        let dev = &mut self.devices[i];
        let state = dev.advance(&mut self.server, &mut self.net, &mut self.rng, exchanges)?;
        let name = dev.name.clone();
        let report = match state {
            RunState::Done => {
                self.stats.runs_done += 1;
                dev.last_report.take().map(|r| {
                    format!(
                        " up {} refused {} docs {} changes {} left {} repaired {}",
                        r.uploaded,
                        r.refused,
                        r.docs_received,
                        r.changes_received,
                        r.docs_left,
                        r.repaired
                    )
                })
            }
            RunState::Abandoned => {
                self.stats.runs_abandoned += 1;
                None
            }
            RunState::Going => None,
        };
        let head = self.server.head()?;
        self.log(format!(
            "{name}: sync {state:?}{} (server head {head})",
            report.unwrap_or_default()
        ));
        Ok(())
    }

    fn toggle_online(&mut self) {
        let i = self.rng.random_range(0..self.devices.len());
        let dev = &mut self.devices[i];
        dev.online = !dev.online;
        if !dev.online {
            // Going offline breaks the run in progress.
            dev.run = None;
        }
        let line = format!(
            "{}: {}",
            dev.name,
            if dev.online { "online" } else { "offline" }
        );
        self.log(line);
    }

    /// The server is restored from an older copy of its store, under a new epoch.
    fn restore(&mut self) -> Result<(), String> {
        if !self.restores_allowed || self.stats.restores >= u64::from(MAX_RESTORES) {
            return Ok(());
        }
        let Some(backup) = self.backups.choose(&mut self.rng) else {
            return Ok(());
        };
        self.epochs += 1;
        let was = self.server.head()?;
        let epoch = self
            .server
            .restore(backup, &format!("epoch-{}", self.epochs))?;
        let line = format!(
            "server restored from a copy at head {} (was {was}), new epoch {epoch}",
            self.server.head()?,
        );
        self.note_lost_assignments()?;
        self.stats.restores += 1;
        self.log(line);
        Ok(())
    }

    /// Jobs the back office has assigned to someone the restored server no longer has as
    /// assignee: that technician may rightly see its changes to them refused.
    fn note_lost_assignments(&mut self) -> Result<(), String> {
        let office = &self.devices[self.devices.len() - 1];
        for id in office.store.docs.keys() {
            let Some(bytes) = self
                .server
                .load_saved(id)
                .map_err(|e| format!("reading {id} on the restored server: {e}"))?
            else {
                continue;
            };
            let assignee = |bytes: &[u8]| {
                JobDoc::load(bytes)
                    .ok()
                    .and_then(|d| d.job().ok()?.assignee)
            };
            if let Some(user) = assignee(&office.store.docs[id])
                && assignee(&bytes).as_ref() != Some(&user)
            {
                self.moves.taken_from.insert((id.clone(), user));
            }
        }
        Ok(())
    }

    /// Ends every fault: all devices online, late requests delivered, a perfect network.
    pub fn end_faults(&mut self) -> Result<(), String> {
        self.net.flush(&mut self.server, &mut self.rng)?;
        self.net.faults = Faults::NONE;
        for dev in &mut self.devices {
            dev.online = true;
        }
        self.stats.net = self.net.stats;
        Ok(())
    }
}
