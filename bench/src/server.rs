//! The `onsite serve` process under measurement.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, anyhow, bail};

pub const PASSWORD: &str = "bench-password-1";

/// Finds the release `onsite` binary beside this one, building it when it is missing.
pub fn onsite_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .ok_or_else(|| anyhow!("no directory for {}", exe.display()))?;
    let binary = dir.join("onsite");
    if !binary.exists() {
        eprintln!("building the onsite server (cargo build --release -p onsite-server)…");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "build",
                "--release",
                "-p",
                "onsite-server",
                "--bin",
                "onsite",
            ])
            .status()?;
        if !status.success() || !binary.exists() {
            bail!("could not build {}", binary.display());
        }
    }
    Ok(binary)
}

#[derive(Debug)]
pub struct ServerProcess {
    pub url: String,
    pub data_dir: PathBuf,
    binary: PathBuf,
    /// The `--database` arguments of `onsite serve`, repeated for `onsite admin`.
    admin_args: Vec<String>,
    child: Child,
}

impl ServerProcess {
    pub fn start(binary: &Path, data_dir: &Path) -> anyhow::Result<ServerProcess> {
        ServerProcess::start_with(binary, data_dir, &[])
    }

    /// [`ServerProcess::start`] with more arguments for `onsite serve` (e.g. `--database URL`).
    pub fn start_with(
        binary: &Path,
        data_dir: &Path,
        extra: &[String],
    ) -> anyhow::Result<ServerProcess> {
        let mut child = Command::new(binary)
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(extra)
            .env("ONSITE_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let url = line
            .trim()
            .strip_prefix("onsite listening on ")
            .ok_or_else(|| anyhow!("unexpected first line from the server: {line:?}"))?
            .to_string();
        Ok(ServerProcess {
            url,
            data_dir: data_dir.to_path_buf(),
            binary: binary.to_path_buf(),
            admin_args: database_args(extra),
            child,
        })
    }

    /// Creates an account with `onsite admin create-user`.
    pub fn create_user(&self, username: &str, role: &str) -> anyhow::Result<()> {
        let mut child = Command::new(&self.binary)
            .args([
                "admin",
                "create-user",
                "--username",
                username,
                "--role",
                role,
                "--data-dir",
            ])
            .arg(&self.data_dir)
            .args(&self.admin_args)
            .env("ONSITE_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        child
            .stdin
            .take()
            .ok_or_else(|| anyhow!("no stdin"))?
            .write_all(format!("{PASSWORD}\n").as_bytes())?;
        if !child.wait()?.success() {
            bail!("could not create user {username}");
        }
        Ok(())
    }

    /// Peak resident memory of the server process so far (VmHWM), in KiB.
    pub fn peak_rss_kb(&self) -> anyhow::Result<u64> {
        self.proc_status_kb("VmHWM:")
    }

    /// Resident memory of the server process now (VmRSS), in KiB.
    pub fn rss_kb(&self) -> anyhow::Result<u64> {
        self.proc_status_kb("VmRSS:")
    }

    /// CPU time the server process used so far (user + system), in ms.
    pub fn cpu_ms(&self) -> anyhow::Result<u64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))?;
        // The fields after the command name, which is in parentheses and may hold spaces.
        let rest = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest)
            .ok_or_else(|| anyhow!("unreadable /proc stat"))?;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of proc(5), 12 and 13 after the name.
        let ticks = |i: usize| -> anyhow::Result<u64> {
            fields
                .get(i)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| anyhow!("no field {i} in /proc stat"))
        };
        // Clock ticks are 1/100 s on Linux (USER_HZ).
        Ok((ticks(11)? + ticks(12)?) * 10)
    }

    fn proc_status_kb(&self, field: &str) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| anyhow!("no {field} in /proc status"))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `--database URL` (or `--database=URL`) among arguments of `onsite serve`.
fn database_args(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--database" {
            out.push(arg.clone());
            out.extend(it.next().cloned());
        } else if arg.starts_with("--database=") {
            out.push(arg.clone());
        }
    }
    out
}

/// The database URL among arguments of `onsite serve`, if one was given.
pub fn database_url(args: &[String]) -> Option<String> {
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--database" {
            return it.next().cloned();
        }
        if let Some(url) = arg.strip_prefix("--database=") {
            return Some(url.to_string());
        }
    }
    None
}

/// Bytes used by the files under `dir`.
pub fn disk_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => disk_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
