//! The `onsite` command line: run the server, administer accounts.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::settings::{
    LimitOverrides, LogFormat, Overrides, Settings, TlsOverrides, TokenOverrides,
};
use crate::{AppState, Config, passwords, serve, serve_tls};
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use onsite_domain::Role;
use onsite_store::repo::accounts::Account;
use onsite_store::repo::audit::{AuditAction, AuditEvent};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(
    name = "onsite",
    version,
    about = "Onsite: offline-first field service server"
)]
struct Cli {
    /// A TOML file of settings (deploy/onsite.toml shows every key): the environment and
    /// flags override it.
    #[arg(long, global = true, env = "ONSITE_CONFIG")]
    config: Option<PathBuf>,
    /// How log lines are written to stderr: `text` for people, `json` (one object a line)
    /// for a log collector [default: text].
    #[arg(long, global = true, env = "ONSITE_LOG_FORMAT", value_enum)]
    log_format: Option<LogFormat>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Write a consistent copy of the database to a new file; the server may be running.
    Backup {
        #[command(flatten)]
        data: DataDir,
        /// The file to write (it must not exist).
        #[arg(long)]
        to: PathBuf,
    },
    /// Replace the embedded database with a backup, under a new epoch; stop the server
    /// first. With --database (and no --from): give a PostgreSQL database just restored
    /// with pg_restore its new epoch, before any server starts on it.
    Restore {
        #[command(flatten)]
        data: DataDir,
        /// The backup file to restore (embedded database only).
        #[arg(long)]
        from: Option<PathBuf>,
    },
    /// Administer accounts directly in the data directory.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The server's configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

/// The settings `serve` takes from the environment and flags (`config show` takes the
/// same, to show what `serve` would run with).
#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "ONSITE_LISTEN")]
    listen: Option<SocketAddr>,
    #[command(flatten)]
    data: DataDir,
    /// Serve HTTPS: a PEM file of the certificate chain (with --tls-key).
    #[arg(long, env = "ONSITE_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key, a PEM file (with --tls-cert).
    #[arg(long, env = "ONSITE_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// Lifetime of access tokens, in seconds [default: 900].
    #[arg(long, env = "ONSITE_ACCESS_TOKEN_TTL")]
    access_token_ttl: Option<i64>,
    /// How long a refresh token lasts unused, in days [default: 30].
    #[arg(long, env = "ONSITE_REFRESH_TOKEN_DAYS")]
    refresh_token_days: Option<i64>,
    /// Largest sync request accepted, in MiB [default: 32].
    #[arg(long, env = "ONSITE_MAX_SYNC_BODY_MB")]
    max_sync_body_mb: Option<usize>,
    /// Largest JSON request accepted, in KiB [default: 1024].
    #[arg(long, env = "ONSITE_MAX_JSON_BODY_KB")]
    max_json_body_kb: Option<usize>,
    /// Sign-in attempts allowed per minute for one account [default: 10].
    #[arg(long, env = "ONSITE_SIGN_INS_PER_ACCOUNT_PER_MINUTE")]
    sign_ins_per_account_per_minute: Option<u32>,
    /// Sign-in attempts allowed per minute from one client address [default: 60]; raise
    /// it for a fleet behind one carrier address.
    #[arg(long, env = "ONSITE_SIGN_INS_PER_ADDRESS_PER_MINUTE")]
    sign_ins_per_address_per_minute: Option<u32>,
    /// Database connections: PostgreSQL's pool, SQLite's readers kept open [default: 16].
    #[arg(long, env = "ONSITE_CONNECTIONS")]
    connections: Option<u32>,
    /// A reverse proxy or load balancer in front of the server (an IP address;
    /// repeatable, or comma-separated in the variable): the client address of its
    /// requests is read from X-Forwarded-For.
    #[arg(
        long = "trusted-proxy",
        env = "ONSITE_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Option<Vec<std::net::IpAddr>>,
    /// The company's time zone (an IANA name such as Asia/Shanghai): reports count
    /// its calendar days and months [default: UTC].
    #[arg(long, env = "ONSITE_TIMEZONE")]
    timezone: Option<String>,
    /// A file holding the secret that signs access tokens (else ONSITE_JWT_SECRET, else
    /// the one the database keeps).
    #[arg(long, env = "ONSITE_JWT_SECRET_FILE")]
    jwt_secret_file: Option<PathBuf>,
    /// A file holding the secret used before the current one: its tokens are still
    /// accepted until they expire (else ONSITE_JWT_PREVIOUS_SECRET).
    #[arg(long, env = "ONSITE_JWT_PREVIOUS_SECRET_FILE")]
    jwt_previous_secret_file: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct DataDir {
    /// Directory of the embedded database, unused with --database [default: ./onsite-data].
    #[arg(long, env = "ONSITE_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// A PostgreSQL database instead of the embedded one: postgres://user@host:port/db.
    /// Any number of servers may share it.
    #[arg(long, env = "ONSITE_DATABASE_URL")]
    database: Option<String>,
}

impl DataDir {
    fn overrides(&self) -> Overrides {
        Overrides {
            data_dir: self.data_dir.clone(),
            database: self.database.clone(),
            ..Overrides::default()
        }
    }
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create an account. The password is asked for on a terminal, else read from standard
    /// input (one line).
    CreateUser {
        #[command(flatten)]
        data: DataDir,
        #[arg(long)]
        username: String,
        /// technician, back_office or admin.
        #[arg(long)]
        role: String,
        #[arg(long)]
        display_name: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the effective settings (defaults, file, environment and flags of `serve`) as
    /// TOML, secrets hidden.
    Show(ServeArgs),
}

impl ServeArgs {
    /// What the environment and flags of `serve` set.
    fn overrides(&self) -> Overrides {
        Overrides {
            listen: self.listen,
            timezone: self.timezone.clone(),
            trusted_proxies: self.trusted_proxies.clone(),
            connections: self.connections,
            tls: TlsOverrides {
                cert: self.tls_cert.clone(),
                key: self.tls_key.clone(),
            },
            tokens: TokenOverrides {
                access_ttl_secs: self.access_token_ttl,
                refresh_ttl_days: self.refresh_token_days,
                jwt_secret_file: self.jwt_secret_file.clone(),
                jwt_previous_secret_file: self.jwt_previous_secret_file.clone(),
            },
            limits: LimitOverrides {
                max_sync_body_mb: self.max_sync_body_mb,
                max_json_body_kb: self.max_json_body_kb,
                sign_ins_per_account_per_minute: self.sign_ins_per_account_per_minute,
                sign_ins_per_address_per_minute: self.sign_ins_per_address_per_minute,
            },
            ..self.data.overrides()
        }
    }
}

impl Command {
    /// What this command's environment and flags set.
    fn overrides(&self) -> Overrides {
        match self {
            Command::Serve(serve)
            | Command::Config {
                command: ConfigCommand::Show(serve),
            } => serve.overrides(),
            Command::Backup { data, .. }
            | Command::Restore { data, .. }
            | Command::Admin {
                command: AdminCommand::CreateUser { data, .. },
            } => data.overrides(),
        }
    }
}

/// Parses the command line and runs it.
pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let overrides = Overrides {
        log_format: cli.log_format,
        ..cli.command.overrides()
    };
    let settings = Settings::load(cli.config.as_deref(), &overrides)?;
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("ONSITE_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colours for a person at a terminal, not for the journal or a log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match settings.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    let config = settings.config()?;
    match cli.command {
        Command::Serve(_) => run_server(&settings, config),
        Command::Config { .. } => {
            print!("{}", settings.show()?);
            Ok(())
        }
        Command::Backup { to, .. } => {
            sqlite_only(&config, "backup")?;
            onsite_store_sqlite::backup::backup(&config.data_dir, &to)
                .with_context(|| format!("backing up {}", config.data_dir.display()))?;
            println!("{}", serde_json::json!({"backup": to}));
            Ok(())
        }
        Command::Restore { from, .. } => match (&config.database, from) {
            (Some(url), None) => {
                let marked = onsite_store_postgres::restore::mark_restored(url)
                    .context("marking the PostgreSQL database restored")?;
                println!(
                    "{}",
                    serde_json::json!({"epoch": marked.epoch, "restored_from": marked.restored_from})
                );
                Ok(())
            }
            (Some(_), Some(_)) => bail!(
                "restore a PostgreSQL dump with pg_restore, then run `onsite restore --database URL` without --from"
            ),
            (None, Some(from)) => {
                let restored = onsite_store_sqlite::backup::restore(&config.data_dir, &from)
                    .with_context(|| format!("restoring {}", from.display()))?;
                println!("{}", serde_json::to_string(&restored)?);
                Ok(())
            }
            (None, None) => bail!("give the backup file to restore: --from FILE"),
        },
        Command::Admin {
            command:
                AdminCommand::CreateUser {
                    username,
                    role,
                    display_name,
                    ..
                },
        } => {
            let Some(role) = Role::parse(&role) else {
                bail!("role must be technician, back_office or admin");
            };
            let password = read_password(&username)?;
            let password = password.as_str();
            let display_name = display_name.unwrap_or_else(|| username.clone());
            let new = passwords::new_account(&username, &display_name, role, password)?;
            let data = describe(&config);
            let state = AppState::open(config).with_context(|| format!("opening {data}"))?;
            let runtime = tokio::runtime::Runtime::new()?;
            let account = runtime.block_on(state.backend.write(move |unit| {
                let account = unit.create_account(&new)?;
                unit.record_audit(
                    &command_line_created(&account, "onsite admin create-user"),
                    chrono::Utc::now().timestamp_millis(),
                )?;
                Ok::<_, anyhow::Error>(account)
            }))?;
            println!("{}", serde_json::to_string(&account)?);
            Ok(())
        }
    }
}

/// Backups of the embedded database only: PostgreSQL has its own tools.
fn sqlite_only(config: &Config, command: &str) -> anyhow::Result<()> {
    if config.database.is_some() {
        bail!(
            "onsite {command} works on the embedded database; for PostgreSQL use pg_dump and pg_restore (docs/backends.md)"
        );
    }
    Ok(())
}

/// On first start, `ONSITE_ADMIN_USERNAME` and `ONSITE_ADMIN_PASSWORD` create the first
/// administrator (only while no administrator exists; there is never a default password).
async fn bootstrap_admin(state: &AppState) -> anyhow::Result<()> {
    let (Ok(username), Ok(password)) = (
        std::env::var("ONSITE_ADMIN_USERNAME"),
        std::env::var("ONSITE_ADMIN_PASSWORD"),
    ) else {
        return Ok(());
    };
    // The password is checked (and hashed) only when it is needed: once an administrator
    // exists, the variables are ignored.
    let created = state
        .backend
        .write(move |unit| {
            if unit.has_admin()? {
                return Ok(None);
            }
            let new = passwords::new_account(&username, &username, Role::Admin, &password)?;
            let admin = unit.create_account(&new)?;
            unit.record_audit(
                &command_line_created(&admin, "ONSITE_ADMIN_USERNAME at start"),
                chrono::Utc::now().timestamp_millis(),
            )?;
            Ok::<_, anyhow::Error>(Some(admin))
        })
        .await?;
    if let Some(admin) = created {
        tracing::info!(username = %admin.username, "created the first administrator");
    }
    Ok(())
}

/// The audit entry of an account made from the machine itself, where no account acts.
fn command_line_created(account: &Account, how: &str) -> AuditEvent {
    AuditEvent {
        action: AuditAction::AccountCreated,
        actor_id: None,
        actor: how.into(),
        target_id: Some(account.id.clone()),
        device_id: None,
        address: None,
        detail: serde_json::json!({"username": account.username, "role": account.role.as_str()}),
    }
}

/// Where a configuration keeps its data, for messages and logs.
fn describe(config: &Config) -> String {
    match &config.database {
        None => config.data_dir.display().to_string(),
        Some(_) => "the PostgreSQL database of --database".into(),
    }
}

fn run_server(settings: &Settings, config: Config) -> anyhow::Result<()> {
    let listen = settings.listen;
    let tls = match (&settings.tls.cert, &settings.tls.key) {
        (Some(cert), Some(key)) => Some(crate::tls::acceptor(cert, key)?),
        _ => None,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let data = describe(&config);
        let state = AppState::open(config).with_context(|| format!("opening {data}"))?;
        bootstrap_admin(&state).await?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let addr = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        // Tools that start the server on port 0 read the real address from this line.
        println!("onsite listening on {scheme}://{addr}");
        tracing::info!(%addr, %data, scheme, "onsite serving");
        match tls {
            Some(acceptor) => {
                let listener = crate::tls::listener(listener, acceptor);
                serve_tls(listener, state, stop_requested()).await?;
            }
            None => serve(listener, state, stop_requested()).await?,
        }
        tracing::info!("onsite stopped");
        Ok(())
    })
}

/// The new account's password: asked for, twice and without echo, on a terminal; else the
/// first line of standard input (`<<< 'password'`, a secret file, a pipe).
fn read_password(username: &str) -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let password = rpassword::prompt_password(format!("password for {username}: "))
            .context("reading the password")?;
        let again = rpassword::prompt_password("the same password again: ")
            .context("reading the password")?;
        if password != again {
            bail!("the two passwords differ; nothing was created");
        }
        return Ok(password);
    }
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .context("reading the password from standard input")?;
    Ok(input.lines().next().unwrap_or_default().to_string())
}

/// Ctrl-C, or SIGTERM (what systemd and container runtimes send to stop a service).
async fn stop_requested() {
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            // Without the handler SIGTERM ends the process as before; Ctrl-C still works.
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}
