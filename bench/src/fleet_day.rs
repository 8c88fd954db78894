//! Scenario 1, `fleet-day`: one technician's device through a working day.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use onsite_client::{Client, JobFilter, TransferStats};
use serde::Serialize;
use serde_json::{Value, json};

use crate::jobs;
use crate::server::{self, PASSWORD, ServerProcess, disk_bytes};

#[derive(Debug, clap::Args)]
pub struct Options {
    /// Jobs the device creates offline.
    #[arg(long, default_value_t = 1000)]
    docs: usize,
    /// Jobs edited in the sparse-edit and back-office phases.
    #[arg(long, default_value_t = 50)]
    edits: usize,
    /// Use this running server instead of starting one (it must have the accounts
    /// `bench-tech` and `bench-office` with the bench password).
    #[arg(long)]
    server: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct Phase {
    ms: u64,
    bytes_up: u64,
    bytes_down: u64,
    requests: u64,
}

#[derive(Debug, Serialize)]
pub struct Phases {
    upload: Phase,
    idle_reconnect: Phase,
    sparse_edits: Phase,
    fresh_device: Phase,
    backoffice_edit: Phase,
}

#[derive(Debug, Serialize)]
pub struct Report {
    scenario: &'static str,
    docs: usize,
    edits: usize,
    phases: Phases,
    server_peak_rss_kb: Option<u64>,
    server_disk_bytes: Option<u64>,
    client_disk_bytes: u64,
    automerge_save_bytes: u64,
}

fn phase(started: Instant, before: TransferStats, after: TransferStats) -> Phase {
    Phase {
        ms: started.elapsed().as_millis() as u64,
        bytes_up: after.bytes_up - before.bytes_up,
        bytes_down: after.bytes_down - before.bytes_down,
        requests: after.requests - before.requests,
    }
}

/// Syncs until the device has nothing left to send, and returns the phase's figures.
async fn sync_phase(client: &Client) -> anyhow::Result<Phase> {
    let before = client.transfer_stats();
    let started = Instant::now();
    client.sync().await?;
    ensure!(
        client.pending_changes()? == 0,
        "changes left in the outbox after sync"
    );
    Ok(phase(started, before, client.transfer_stats()))
}

pub async fn run(options: Options) -> anyhow::Result<Report> {
    let work = tempfile::tempdir()?;
    let process = match &options.server {
        Some(_) => None,
        None => {
            let binary = server::onsite_binary()?;
            let data = work.path().join("server");
            let process = ServerProcess::start(&binary, &data)?;
            process.create_user("bench-tech", "technician")?;
            process.create_user("bench-office", "back_office")?;
            Some(process)
        }
    };
    let url = match (&options.server, &process) {
        (Some(url), _) => url.clone(),
        (None, Some(p)) => p.url.clone(),
        (None, None) => bail!("no server"),
    };
    eprintln!("server at {url}");

    let device_dir = work.path().join("device-1");
    let device = Client::open(&device_dir)?;
    device.sign_in(&url, "bench-tech", PASSWORD).await?;
    eprintln!("creating {} jobs offline…", options.docs);
    let ids = jobs::create_day(&device, options.docs)?;
    eprintln!("upload…");
    let upload = sync_phase(&device).await?;
    eprintln!("idle reconnect…");
    let idle_reconnect = sync_phase(&device).await?;

    eprintln!("sparse edits…");
    let edited: Vec<&String> = ids
        .iter()
        .step_by((ids.len() / options.edits.max(1)).max(1))
        .take(options.edits)
        .collect();
    for id in &edited {
        jobs::sparse_edit(&device, id)?;
    }
    let sparse_edits = sync_phase(&device).await?;

    eprintln!("fresh device…");
    let fresh_dir = work.path().join("device-2");
    let fresh = Client::open(&fresh_dir)?;
    fresh.sign_in(&url, "bench-tech", PASSWORD).await?;
    let fresh_device = sync_phase(&fresh).await?;
    check_identical(&device, &fresh, &ids)?;

    eprintln!("back-office edits…");
    let office = OfficeApi::sign_in(&url).await?;
    for id in &edited {
        office.approve(id).await?;
    }
    let backoffice_edit = sync_phase(&device).await?;
    let approved = device.list_jobs(&JobFilter {
        review_state: Some("approved".into()),
        limit: Some(options.docs as u32 + 1),
        ..JobFilter::default()
    })?;
    ensure!(
        approved.len() == edited.len(),
        "device sees {} approved jobs, expected {}",
        approved.len(),
        edited.len()
    );

    let automerge_save_bytes = saved_bytes(&device_dir)?;
    Ok(Report {
        scenario: "fleet-day",
        docs: options.docs,
        edits: options.edits,
        phases: Phases {
            upload,
            idle_reconnect,
            sparse_edits,
            fresh_device,
            backoffice_edit,
        },
        server_peak_rss_kb: process.as_ref().map(|p| p.peak_rss_kb()).transpose()?,
        server_disk_bytes: process.as_ref().map(|p| disk_bytes(&p.data_dir)),
        client_disk_bytes: disk_bytes(&device_dir),
        automerge_save_bytes,
    })
}

/// The device store keeps each job as its `save()` output: their sum is the floor.
fn saved_bytes(device_dir: &Path) -> anyhow::Result<u64> {
    let conn = rusqlite::Connection::open_with_flags(
        device_dir.join("onsite.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let total: i64 = conn.query_row(
        "SELECT COALESCE(SUM(LENGTH(data)), 0) FROM documents",
        [],
        |r| r.get(0),
    )?;
    Ok(total as u64)
}

fn check_identical(a: &Client, b: &Client, ids: &[String]) -> anyhow::Result<()> {
    for id in ids {
        let (ja, jb) = (a.get_job(id)?, b.get_job(id)?);
        ensure!(ja == jb, "job {id} differs between the devices");
    }
    Ok(())
}

struct OfficeApi {
    url: String,
    token: String,
    http: reqwest::Client,
}

impl OfficeApi {
    async fn sign_in(url: &str) -> anyhow::Result<OfficeApi> {
        let http = reqwest::Client::new();
        let resp: Value = http
            .post(format!("{url}/v1/auth/login"))
            .json(&json!({"username": "bench-office", "password": PASSWORD, "device_id": "bench-office"}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let token = resp["access_token"]
            .as_str()
            .context("no access token")?
            .to_string();
        Ok(OfficeApi {
            url: url.to_string(),
            token,
            http,
        })
    }

    async fn approve(&self, id: &str) -> anyhow::Result<()> {
        self.http
            .post(format!("{}/v1/jobs/{id}/review", self.url))
            .bearer_auth(&self.token)
            .json(&json!({"decision": "approved", "comment": "OK"}))
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }
}
