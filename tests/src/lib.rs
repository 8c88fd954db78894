//! # onsite-tests
//!
//! Harness for end-to-end tests: a real Onsite server on 127.0.0.1 (in this process, or as
//! a separate `onsite` process that can be killed), accounts, and the HTTP calls the back
//! office makes. Every server gets its own temporary data directory, removed on drop.

pub mod browser;
pub mod database;
pub mod hostile;
pub mod office;
pub mod proxy;
pub mod raw;
pub mod sqlite_file;
pub mod tls;

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use onsite_domain::Role;
use onsite_server::{AppState, Config};

use crate::database::TestDatabase;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const PASSWORD: &str = "correct-horse-battery";

/// An HTTP client for tests (TLS is never used against 127.0.0.1, but reqwest needs a
/// crypto provider chosen before it builds a client).
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A server running inside the test process.
pub struct TestServer {
    pub addr: SocketAddr,
    config: Config,
    dir: TempDir,
    running: Option<(oneshot::Sender<()>, JoinHandle<std::io::Result<()>>)>,
    http: reqwest::Client,
    /// HTTPS with a test CA's certificate ([`TestServer::start_tls`]).
    tls: Option<tokio_rustls::TlsAcceptor>,
    /// Last: dropped after the server was told to stop (and after every server beside it).
    database: Arc<TestDatabase>,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer")
            .field("addr", &self.addr)
            .finish()
    }
}

impl TestServer {
    pub async fn start() -> anyhow::Result<TestServer> {
        Self::start_with(|_| {}).await
    }

    /// Starts a server whose configuration `adjust` changes first.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> anyhow::Result<TestServer> {
        let dir = tempfile::tempdir()?;
        let database = Arc::new(TestDatabase::create()?);
        let mut config = Config::new(dir.path());
        config.database = database.url();
        adjust(&mut config);
        Self::serve_on(dir, config, database, None).await
    }

    /// A server on HTTPS with the certificate of `ca`; its own calls trust `ca`.
    pub async fn start_tls(ca: &tls::TestCa) -> anyhow::Result<TestServer> {
        let dir = tempfile::tempdir()?;
        let database = Arc::new(TestDatabase::create()?);
        let mut config = Config::new(dir.path());
        config.database = database.url();
        let acceptor = onsite_server::tls::acceptor(&ca.cert, &ca.key)?;
        let mut server = Self::serve_on(dir, config, database, Some(acceptor)).await?;
        server.http = ca.http()?;
        Ok(server)
    }

    /// A second server on this one's PostgreSQL database, with a data directory of its
    /// own, as several servers run behind one address.
    pub async fn beside(&self) -> anyhow::Result<TestServer> {
        if self.config.database.is_none() {
            bail!("only a PostgreSQL database serves several servers");
        }
        let dir = tempfile::tempdir()?;
        let mut config = self.config.clone();
        config.data_dir = dir.path().to_path_buf();
        Self::serve_on(dir, config, self.database.clone(), self.tls.clone()).await
    }

    async fn serve_on(
        dir: TempDir,
        config: Config,
        database: Arc<TestDatabase>,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> anyhow::Result<TestServer> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut server = TestServer {
            addr,
            config,
            dir,
            running: None,
            http: http(),
            tls,
            database,
        };
        server.spawn(listener)?;
        Ok(server)
    }

    fn spawn(&mut self, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
        let state = AppState::open(self.config.clone())?;
        let (tx, rx) = oneshot::channel();
        let stopped = async {
            let _ = rx.await;
        };
        let task = match &self.tls {
            Some(acceptor) => {
                let listener = onsite_server::tls::listener(listener, acceptor.clone());
                tokio::spawn(onsite_server::serve_tls(listener, state, stopped))
            }
            None => tokio::spawn(onsite_server::serve(listener, state, stopped)),
        };
        self.running = Some((tx, task));
        Ok(())
    }

    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The PostgreSQL database of this server, or `None` on SQLite.
    pub fn database_url(&self) -> Option<String> {
        self.config.database.clone()
    }

    /// Stops serving (open requests finish first). Devices now find the server unreachable.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some((tx, task)) = self.running.take() {
            let _ = tx.send(());
            task.await??;
        }
        Ok(())
    }

    /// Stops, reopens the same data directory and serves again on the same address.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.restart_with(|_| {}).await
    }

    /// [`TestServer::restart`] with the configuration `adjust` changes first.
    pub async fn restart_with(&mut self, adjust: impl FnOnce(&mut Config)) -> anyhow::Result<()> {
        adjust(&mut self.config);
        self.stop().await?;
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        self.spawn(listener)
    }

    /// Creates an account whose password is [`PASSWORD`]; returns its id.
    pub fn create_user(&self, username: &str, role: Role) -> anyhow::Result<String> {
        create_account_in(self.config.clone(), username, role)
    }

    pub async fn login(&self, username: &str, device_id: &str) -> anyhow::Result<String> {
        let resp = self.login_full(username, device_id).await?;
        resp["access_token"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow!("no access_token in {resp}"))
    }

    /// Signs in and returns the whole answer (access and refresh tokens, account id).
    pub async fn login_full(&self, username: &str, device_id: &str) -> anyhow::Result<Value> {
        let resp: Value = self
            .http
            .post(format!("{}/v1/auth/login", self.url()))
            .json(&json!({"username": username, "password": PASSWORD, "device_id": device_id}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(resp)
    }

    /// The server's token signing secret, read from its database (to forge tokens with).
    pub fn jwt_secret(&self) -> anyhow::Result<String> {
        let state = open_state(self.config.clone())?;
        wait_for(async move {
            state
                .backend
                .read(|unit| unit.jwt_secret().map_err(anyhow::Error::from))
                .await
        })
    }

    /// Calls the JSON API; returns the status and the JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.url(), path))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let text = resp.text().await?;
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok((status, value))
    }

    /// GETs a file (an export); checks for 200 and returns its content type and bytes.
    pub async fn download(&self, token: &str, path: &str) -> anyhow::Result<(String, Vec<u8>)> {
        let resp = self
            .http
            .get(format!("{}{path}", self.url()))
            .bearer_auth(token)
            .send()
            .await?;
        if resp.status().as_u16() != 200 {
            bail!("{path} answered {}", resp.status());
        }
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        Ok((content_type, resp.bytes().await?.to_vec()))
    }

    /// Adds a part to the catalog through the back-office API.
    pub async fn add_catalog_part(
        &self,
        office_token: &str,
        sku: &str,
        name: &str,
        unit_price_cents: i64,
        billable: bool,
    ) {
        office::expect(
            self,
            office_token,
            reqwest::Method::POST,
            "/v1/parts/catalog",
            Some(json!({"sku": sku, "name": name, "unit_price_cents": unit_price_cents, "billable": billable})),
            201,
        )
        .await;
    }

    /// Creates a job through the back-office API, optionally assigned; returns its id.
    pub async fn create_job(
        &self,
        office_token: &str,
        customer: &str,
        assignee: Option<&str>,
    ) -> anyhow::Result<String> {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/v1/jobs",
                office_token,
                Some(json!({
                    "customer": {"name": customer, "phone": "+86 138 0000 0000", "tier": "key", "region": "east"},
                    "product": {"model": "AC-9000", "serial": format!("SN-{customer}"), "purchase_date": "2026-11-01"},
                    "fault": "does not cool",
                    "assignee": assignee,
                })),
            )
            .await?;
        if status != 201 {
            bail!("create job answered {status}: {body}");
        }
        body["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow!("no id"))
    }

    pub async fn job(&self, office_token: &str, id: &str) -> anyhow::Result<Value> {
        let (status, body) = self
            .call(
                reqwest::Method::GET,
                &format!("/v1/jobs/{id}"),
                office_token,
                None,
            )
            .await?;
        if status != 200 {
            bail!("get job answered {status}: {body}");
        }
        Ok(body)
    }

    /// Every row of every table, for "this request changed nothing" comparisons.
    pub fn dump(&self) -> anyhow::Result<Vec<String>> {
        self.database.dump(self.dir.path())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some((tx, _)) = self.running.take() {
            let _ = tx.send(());
        }
    }
}

pub use sqlite_file::dump_database;

/// Creates an account whose password is [`PASSWORD`] in the data directory of a server
/// (running or not, in this process or not), through the backend's repository; returns
/// its id.
pub fn create_account(data_dir: &Path, username: &str, role: Role) -> anyhow::Result<String> {
    create_account_on(data_dir, None, username, role)
}

/// [`create_account`] on a PostgreSQL database when `database` names one.
pub fn create_account_on(
    data_dir: &Path,
    database: Option<String>,
    username: &str,
    role: Role,
) -> anyhow::Result<String> {
    let mut config = Config::new(data_dir);
    config.database = database;
    create_account_in(config, username, role)
}

/// Opens the server state of `config` off the test's runtime (the PostgreSQL driver
/// blocks on a runtime of its own).
fn open_state(config: Config) -> anyhow::Result<AppState> {
    std::thread::spawn(move || AppState::open(config).map_err(anyhow::Error::from))
        .join()
        .map_err(|_| anyhow!("opening the server state panicked"))?
}

fn create_account_in(config: Config, username: &str, role: Role) -> anyhow::Result<String> {
    let new = onsite_server::passwords::new_account(username, username, role, PASSWORD)?;
    let state = open_state(config)?;
    let account = wait_for(async move {
        state
            .backend
            .write(move |unit| unit.create_account(&new).map_err(anyhow::Error::from))
            .await
    })?;
    Ok(account.id)
}

/// Waits for `work` from synchronous test code, which may itself run on the test's
/// runtime and so cannot block on it: on a thread and a runtime of its own.
fn wait_for<T: Send + 'static>(
    work: impl Future<Output = anyhow::Result<T>> + Send + 'static,
) -> anyhow::Result<T> {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(work)
    })
    .join()
    .map_err(|_| anyhow!("the work panicked"))?
}

/// The `onsite` command running as its own process, for crash tests.
pub struct ServerProcess {
    /// `http` or `https`, as the server announced.
    pub scheme: String,
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    child: Child,
}

impl std::fmt::Debug for ServerProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerProcess")
            .field("addr", &self.addr)
            .finish()
    }
}

impl ServerProcess {
    /// Starts `onsite serve` on `listen` (use port 0 for a free one) and waits until it
    /// prints the address it listens on.
    pub fn start(binary: &Path, data_dir: &Path, listen: &str) -> anyhow::Result<ServerProcess> {
        Self::start_on(binary, data_dir, None, listen)
    }

    /// [`ServerProcess::start`] on a PostgreSQL database when `database` names one.
    pub fn start_on(
        binary: &Path,
        data_dir: &Path,
        database: Option<&str>,
        listen: &str,
    ) -> anyhow::Result<ServerProcess> {
        Self::start_with_args(binary, data_dir, database, listen, &[])
    }

    /// [`ServerProcess::start_on`] with more arguments for `onsite serve`.
    pub fn start_with_args(
        binary: &Path,
        data_dir: &Path,
        database: Option<&str>,
        listen: &str,
        args: &[&std::ffi::OsStr],
    ) -> anyhow::Result<ServerProcess> {
        let mut command = Command::new(binary);
        command
            .args(["serve", "--listen", listen, "--data-dir"])
            .arg(data_dir)
            .args(args);
        if let Some(url) = database {
            command.args(["--database", url]);
        }
        let mut child = command
            .env("ONSITE_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let (scheme, addr) = line
            .trim()
            .strip_prefix("onsite listening on ")
            .and_then(|url| url.split_once("://"))
            .ok_or_else(|| anyhow!("unexpected first line from the server: {line:?}"))?;
        let scheme = scheme.to_string();
        let addr = addr.parse()?;
        Ok(ServerProcess {
            scheme,
            addr,
            data_dir: data_dir.to_path_buf(),
            child,
        })
    }

    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// SIGTERM, as systemd or a container runtime stops a service; waits up to `within`
    /// for the process to exit and returns how it exited (SIGKILL if it did not).
    pub fn terminate(mut self, within: Duration) -> anyhow::Result<std::process::ExitStatus> {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status()?;
        if !status.success() {
            bail!("kill -TERM failed: {status}");
        }
        // The exit itself is the signal: a thread waits for it, this one for the thread.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(self.child.wait());
        });
        match rx.recv_timeout(within) {
            Ok(exit) => Ok(exit?),
            Err(_) => {
                let _ = Command::new("kill").args(["-KILL", &pid]).status();
                bail!("the server did not exit within {within:?} of SIGTERM")
            }
        }
    }

    /// SIGKILL: no shutdown, no flushing, like a power cut for the process.
    pub fn kill(mut self) -> anyhow::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A technician's (or back office's) device: a client core with its own store directory.
pub struct Device {
    pub client: onsite_client::Client,
    pub dir: TempDir,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("dir", &self.dir.path())
            .finish()
    }
}

impl Device {
    /// Opens a new store and signs in to `url` as `username`.
    pub async fn sign_in(url: &str, username: &str) -> anyhow::Result<Device> {
        let dir = tempfile::tempdir()?;
        let client = onsite_client::Client::open(dir.path())?;
        client.sign_in(url, username, PASSWORD).await?;
        Ok(Device { client, dir })
    }

    /// [`Device::sign_in`] on a device whose clock is `skew_ms` off the true time (ahead
    /// when positive): the times it writes into jobs and sends with each sync.
    pub async fn sign_in_skewed(url: &str, username: &str, skew_ms: i64) -> anyhow::Result<Device> {
        let dir = tempfile::tempdir()?;
        let client = onsite_client::Client::open_with_clock(dir.path(), move || {
            chrono::Utc::now().timestamp_millis() + skew_ms
        })?;
        client.sign_in(url, username, PASSWORD).await?;
        Ok(Device { client, dir })
    }

    /// Closes and reopens the store from disk, as after the app was killed.
    pub fn reopen(self) -> anyhow::Result<Device> {
        let Device { client, dir } = self;
        drop(client);
        Ok(Device {
            client: onsite_client::Client::open(dir.path())?,
            dir,
        })
    }

    pub fn job_ids(&self) -> anyhow::Result<Vec<String>> {
        let mut ids: Vec<String> = self
            .client
            .list_jobs(&onsite_client::JobFilter {
                limit: Some(100_000),
                ..Default::default()
            })?
            .into_iter()
            .map(|j| j.id)
            .collect();
        ids.sort();
        Ok(ids)
    }
}
