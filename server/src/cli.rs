//! The `onsite` command line: run the server, administer accounts.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::{AppState, Config, passwords, serve};
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use onsite_domain::Role;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(
    name = "onsite",
    version,
    about = "Onsite: offline-first field service server"
)]
struct Cli {
    /// How log lines are written to stderr: `text` for people, `json` (one object a line)
    /// for a log collector.
    #[arg(long, global = true, env = "ONSITE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "ONSITE_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[command(flatten)]
        data: DataDir,
        /// Lifetime of access tokens, in seconds.
        #[arg(long, env = "ONSITE_ACCESS_TOKEN_TTL", default_value_t = 900)]
        access_token_ttl: i64,
        /// Largest sync request accepted, in MiB.
        #[arg(long, env = "ONSITE_MAX_SYNC_BODY_MB", default_value_t = 32)]
        max_sync_body_mb: usize,
        /// A reverse proxy or load balancer in front of the server (an IP address;
        /// repeatable, or comma-separated in the variable): the client address of its
        /// requests is read from X-Forwarded-For.
        #[arg(
            long = "trusted-proxy",
            env = "ONSITE_TRUSTED_PROXIES",
            value_delimiter = ','
        )]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// The company's time zone (an IANA name such as Asia/Shanghai): reports count
        /// its calendar days and months.
        #[arg(long, env = "ONSITE_TIMEZONE", default_value = "UTC", value_parser = parse_zone)]
        timezone: onsite_store::report::Tz,
        /// A file holding the secret that signs access tokens (else ONSITE_JWT_SECRET, else
        /// the one the database keeps).
        #[arg(long, env = "ONSITE_JWT_SECRET_FILE")]
        jwt_secret_file: Option<PathBuf>,
        /// A file holding the secret used before the current one: its tokens are still
        /// accepted until they expire (else ONSITE_JWT_PREVIOUS_SECRET).
        #[arg(long, env = "ONSITE_JWT_PREVIOUS_SECRET_FILE")]
        jwt_previous_secret_file: Option<PathBuf>,
    },
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
}

#[derive(Debug, clap::Args)]
struct DataDir {
    /// Directory of the embedded database (unused with --database).
    #[arg(long, env = "ONSITE_DATA_DIR", default_value = "./onsite-data")]
    data_dir: PathBuf,
    /// A PostgreSQL database instead of the embedded one: postgres://user@host:port/db.
    /// Any number of servers may share it.
    #[arg(long, env = "ONSITE_DATABASE_URL")]
    database: Option<String>,
}

impl DataDir {
    fn config(&self) -> Config {
        let mut config = Config::new(&self.data_dir);
        config.database = self.database.clone();
        config
    }

    /// Where the data is, for messages (never the URL, which may hold a password).
    fn describe(&self) -> String {
        describe(&self.config())
    }

    /// Backups of the embedded database only: PostgreSQL has its own tools.
    fn sqlite_only(&self, command: &str) -> anyhow::Result<()> {
        if self.database.is_some() {
            bail!(
                "onsite {command} works on the embedded database; for PostgreSQL use pg_dump and pg_restore (docs/backends.md)"
            );
        }
        Ok(())
    }
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create an account. The password is read from standard input (one line).
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

/// Parses the command line and runs it.
pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("ONSITE_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    match cli.command {
        Command::Serve {
            listen,
            data,
            access_token_ttl,
            max_sync_body_mb,
            trusted_proxies,
            timezone,
            jwt_secret_file,
            jwt_previous_secret_file,
        } => {
            let mut config = data.config();
            config.access_token_ttl_secs = access_token_ttl;
            config.max_sync_body_bytes = max_sync_body_mb * 1024 * 1024;
            config.trusted_proxies = trusted_proxies;
            config.timezone = timezone;
            config.jwt_secret = secret("ONSITE_JWT_SECRET", jwt_secret_file)?;
            config.jwt_previous_secret =
                secret("ONSITE_JWT_PREVIOUS_SECRET", jwt_previous_secret_file)?;
            run_server(listen, config)
        }
        Command::Backup { data, to } => {
            data.sqlite_only("backup")?;
            onsite_store_sqlite::backup::backup(&data.data_dir, &to)
                .with_context(|| format!("backing up {}", data.data_dir.display()))?;
            println!("{}", serde_json::json!({"backup": to}));
            Ok(())
        }
        Command::Restore { data, from } => match (&data.database, from) {
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
                let restored = onsite_store_sqlite::backup::restore(&data.data_dir, &from)
                    .with_context(|| format!("restoring {}", from.display()))?;
                println!("{}", serde_json::to_string(&restored)?);
                Ok(())
            }
            (None, None) => bail!("give the backup file to restore: --from FILE"),
        },
        Command::Admin {
            command:
                AdminCommand::CreateUser {
                    data,
                    username,
                    role,
                    display_name,
                },
        } => {
            let Some(role) = Role::parse(&role) else {
                bail!("role must be technician, back_office or admin");
            };
            let password = read_password(&username)?;
            let password = password.as_str();
            let display_name = display_name.unwrap_or_else(|| username.clone());
            let new = passwords::new_account(&username, &display_name, role, password)?;
            let state = AppState::open(data.config())
                .with_context(|| format!("opening {}", data.describe()))?;
            let runtime = tokio::runtime::Runtime::new()?;
            let account = runtime.block_on(
                state
                    .backend
                    .write(move |unit| unit.create_account(&new).map_err(anyhow::Error::from)),
            )?;
            println!("{}", serde_json::to_string(&account)?);
            Ok(())
        }
    }
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
            Ok::<_, anyhow::Error>(Some(unit.create_account(&new)?))
        })
        .await?;
    if let Some(admin) = created {
        tracing::info!(username = %admin.username, "created the first administrator");
    }
    Ok(())
}

/// Where a configuration keeps its data, for messages and logs.
fn describe(config: &Config) -> String {
    match &config.database {
        None => config.data_dir.display().to_string(),
        Some(_) => "the PostgreSQL database of --database".into(),
    }
}

fn run_server(listen: SocketAddr, config: Config) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let data = describe(&config);
        let state = AppState::open(config).with_context(|| format!("opening {data}"))?;
        bootstrap_admin(&state).await?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let addr = listener.local_addr()?;
        // Tools that start the server on port 0 read the real address from this line.
        println!("onsite listening on http://{addr}");
        tracing::info!(%addr, %data, "onsite serving");
        serve(listener, state, stop_requested()).await?;
        tracing::info!("onsite stopped");
        Ok(())
    })
}

fn parse_zone(name: &str) -> Result<onsite_store::report::Tz, String> {
    name.parse()
        .map_err(|_| format!("{name:?} is not a time zone name (e.g. Asia/Shanghai, UTC)"))
}

/// A signing secret from its file, else from the environment variable `var` (never a
/// flag: the command line is visible to every user of the machine).
fn secret(var: &str, file: Option<PathBuf>) -> anyhow::Result<Option<String>> {
    let secret = match file {
        Some(path) => Some(
            std::fs::read_to_string(&path)
                .with_context(|| format!("reading the secret in {}", path.display()))?
                .trim_end_matches(['\r', '\n'])
                .to_string(),
        ),
        None => std::env::var(var).ok(),
    };
    if let Some(s) = &secret
        && s.len() < 32
    {
        bail!("a signing secret must be at least 32 bytes (from {var} or its file)");
    }
    Ok(secret)
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
