//! Healing and the invariants that must hold afterwards.

use std::collections::BTreeMap;

use automerge::ChangeHash;
use onsite_domain::{Job, JobDoc};
use onsite_sync::wire::Cursor;

use crate::device::Device;
use crate::server::SimServer;
use crate::world::World;

/// Full sync rounds allowed before the system must be quiet.
const MAX_HEAL_ROUNDS: usize = 8;
/// Failures listed in one report.
const MAX_REPORTED: usize = 12;

/// What a device holds, to tell whether a round of syncs changed anything.
#[derive(Debug, PartialEq)]
struct DeviceState {
    cursor: Option<Cursor>,
    docs: Vec<(String, Vec<ChangeHash>)>,
    outbox: usize,
    conflicts: usize,
}

#[derive(Debug, PartialEq)]
struct Fingerprint {
    epoch: String,
    head: u64,
    devices: Vec<DeviceState>,
}

fn sorted_heads(doc: &mut JobDoc) -> Vec<ChangeHash> {
    let mut heads = doc.heads();
    heads.sort();
    heads
}

fn device_state(dev: &Device) -> Result<DeviceState, String> {
    let mut docs = Vec::new();
    for id in dev.store.docs.keys() {
        let mut doc = dev.load(id)?.ok_or("vanished")?;
        docs.push((id.clone(), sorted_heads(&mut doc)));
    }
    Ok(DeviceState {
        cursor: dev.store.cursor.clone(),
        docs,
        outbox: dev.store.outbox.len(),
        conflicts: dev.store.conflicts.len(),
    })
}

fn fingerprint<S: SimServer>(world: &mut World<S>) -> Result<Fingerprint, String> {
    Ok(Fingerprint {
        epoch: world
            .server
            .epoch()
            .map_err(|e| format!("server epoch: {e}"))?,
        head: world.server.head()?,
        devices: world
            .devices
            .iter()
            .map(device_state)
            .collect::<Result<_, _>>()?,
    })
}

/// Ends the faults and syncs every device until a whole round changes nothing.
pub fn heal<S: SimServer>(world: &mut World<S>) -> Result<(), String> {
    world.end_faults()?;
    world.log("network heals; every device online".into());
    for round in 0..MAX_HEAL_ROUNDS {
        let before = fingerprint(world)?;
        for dev in &mut world.devices {
            dev.sync_to_end(&mut world.server, &mut world.rng)?;
        }
        if fingerprint(world)? == before {
            world.log(format!("quiet after {round} rounds"));
            return Ok(());
        }
    }
    Err(format!(
        "still changing after {MAX_HEAL_ROUNDS} full sync rounds"
    ))
}

/// The server's view of one job.
struct ServerJob {
    heads: Vec<ChangeHash>,
    job: Job,
    doc: JobDoc,
}

fn server_jobs<S: SimServer>(world: &mut World<S>) -> Result<BTreeMap<String, ServerJob>, String> {
    let mut out = BTreeMap::new();
    for (id, bytes) in world.server.jobs()? {
        let mut doc = JobDoc::load(&bytes).map_err(|e| format!("server {id}: {e}"))?;
        let job = doc.job().map_err(|e| format!("server {id}: {e}"))?;
        out.insert(
            id,
            ServerJob {
                heads: sorted_heads(&mut doc),
                job,
                doc,
            },
        );
    }
    Ok(out)
}

/// Checks replicas, acknowledged changes and outboxes; lists every failure found.
pub fn invariants<S: SimServer>(world: &mut World<S>) -> Result<(), String> {
    let mut jobs = server_jobs(world)?;
    let mut failures = Vec::new();
    for dev in &world.devices {
        replicas(dev, &jobs, &mut failures)?;
        changes(dev, world, &mut jobs, &mut failures);
        if !dev.store.outbox.is_empty() {
            failures.push(format!(
                "{}: {} changes still in the outbox",
                dev.name,
                dev.store.outbox.len()
            ));
        }
    }
    if failures.is_empty() {
        return Ok(());
    }
    let n = failures.len();
    failures.truncate(MAX_REPORTED);
    Err(format!("{n} failures:\n  {}", failures.join("\n  ")))
}

/// Check 1: the device holds exactly the jobs it should, each identical to the server's.
fn replicas(
    dev: &Device,
    jobs: &BTreeMap<String, ServerJob>,
    failures: &mut Vec<String>,
) -> Result<(), String> {
    let user = dev.peer.user_id.as_str();
    for id in dev.store.docs.keys() {
        match jobs.get(id) {
            None => failures.push(format!(
                "{}: holds {id}, which the server does not have",
                dev.name
            )),
            Some(s) if !dev.is_back_office() && s.job.assignee.as_deref() != Some(user) => failures
                .push(format!(
                    "{}: holds {id}, which is assigned to {:?}",
                    dev.name, s.job.assignee
                )),
            Some(_) => {}
        }
    }
    for (id, s) in jobs {
        let should_hold = dev.is_back_office() || s.job.assignee.as_deref() == Some(user);
        if !should_hold {
            continue;
        }
        let Some(mut doc) = dev.load(id)? else {
            failures.push(format!(
                "{}: lacks {id}, assigned to {:?}",
                dev.name, s.job.assignee
            ));
            continue;
        };
        let heads = sorted_heads(&mut doc);
        let job = doc.job().map_err(|e| format!("{}: {id}: {e}", dev.name))?;
        if heads != s.heads || job != s.job {
            let mut server_doc = s.doc.clone();
            failures.push(format!(
                "{}: {id} differs from the server (same job: {}; device lacks {:?}, server lacks {:?})",
                dev.name,
                job == s.job,
                missing(&mut doc, &mut server_doc),
                missing(&mut server_doc, &mut doc),
            ));
        }
    }
    Ok(())
}

/// Check 2: every change the device made is on the server, or was refused for a
/// legitimate reason and kept in the device's conflict log.
fn changes<S: SimServer>(
    dev: &Device,
    world: &World<S>,
    jobs: &mut BTreeMap<String, ServerJob>,
    failures: &mut Vec<String>,
) {
    let refused: BTreeMap<&str, &str> = dev
        .store
        .conflicts
        .iter()
        .flat_map(|c| {
            c.changes
                .iter()
                .map(move |p| (p.hash.as_str(), c.code.as_str()))
        })
        .collect();
    for created in &dev.created {
        if let Some(code) = refused.get(created.hash.as_str()) {
            let taken = world
                .moves
                .taken_from
                .contains(&(created.doc.clone(), dev.peer.user_id.clone()));
            if dev.is_back_office() || *code != "not_assigned" || !taken {
                failures.push(format!(
                    "{}: change {} to {} refused ({code}) without a reassignment race",
                    dev.name,
                    short(&created.hash),
                    created.doc
                ));
            }
            continue;
        }
        let on_server = jobs.get_mut(&created.doc).is_some_and(|s| {
            created
                .hash
                .parse::<ChangeHash>()
                .is_ok_and(|h| s.doc.automerge().get_change_by_hash(&h).is_some())
        });
        if !on_server {
            failures.push(format!(
                "{}: acknowledged change {} to {} is not on the server",
                dev.name,
                short(&created.hash),
                created.doc
            ));
        }
    }
}

/// Short hashes of the changes `from` has and `to` lacks.
fn missing(to: &mut JobDoc, from: &mut JobDoc) -> Vec<String> {
    let heads = to.heads();
    from.changes_since(&heads)
        .iter()
        .filter(|c| to.automerge().get_change_by_hash(&c.hash()).is_none())
        .map(|c| short(&c.hash().to_string()).to_string())
        .collect()
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(8)]
}
