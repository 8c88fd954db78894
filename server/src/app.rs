//! Application state and the server's lifecycle: `serve(listener, state, shutdown)`.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;

use onsite_store::{Backend, Live, StoreError};
use onsite_store_postgres::{PgDatabase, PgError};
use onsite_store_sqlite::SqliteBackend;
use onsite_store_sqlite::db::DbError;

use crate::auth::Keys;
use crate::ratelimit::LoginLimiter;

/// Settings of a running server.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    /// A PostgreSQL URL (`postgres://user@host:port/db`): the database of several servers.
    /// `None`: the embedded SQLite database in `data_dir`.
    pub database: Option<String>,
    /// Lifetime of access tokens.
    pub access_token_ttl_secs: i64,
    /// How long a refresh token lasts unused (each refresh gives a new one).
    pub refresh_token_ttl_secs: i64,
    /// Database connections: PostgreSQL's pool; on SQLite, the read connections kept open
    /// beside its one writer.
    pub connections: u32,
    /// Largest sync request body accepted.
    pub max_sync_body_bytes: usize,
    /// Largest JSON request body accepted.
    pub max_json_body_bytes: usize,
    /// Sign-in attempts allowed per minute for one account, and from one address.
    pub login_per_account_per_minute: u32,
    pub login_per_address_per_minute: u32,
    /// Reverse proxies whose `X-Forwarded-For` names the client ([`crate::client_address`]).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The company's time zone: reports count its calendar days and months.
    pub timezone: onsite_store::report::Tz,
    /// The secret that signs access tokens; `None`: the one the database keeps (made at
    /// its creation). Several servers on one database need no setting: they share that one.
    pub jwt_secret: Option<String>,
    /// A secret replaced by `jwt_secret`: tokens it signed are still accepted until they
    /// expire.
    pub jwt_previous_secret: Option<String>,
    /// Service-level targets of the reports (the after-sales practice defaults); a request may override them.
    pub sla_targets: onsite_domain::service::Targets,
    /// Browsers reach this server over TLS (its own, or a proxy's that does not say so by
    /// `X-Forwarded-Proto`): the back office's cookies are `Secure`.
    pub behind_tls: bool,
}

impl Config {
    pub fn new(data_dir: impl Into<PathBuf>) -> Config {
        Config {
            data_dir: data_dir.into(),
            database: None,
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_secs: onsite_store::repo::accounts::REFRESH_LIFETIME_SECS,
            connections: 16,
            max_sync_body_bytes: 32 * 1024 * 1024,
            max_json_body_bytes: 1024 * 1024,
            login_per_account_per_minute: 10,
            login_per_address_per_minute: 60,
            trusted_proxies: Vec::new(),
            timezone: onsite_store::report::Tz::UTC,
            jwt_secret: None,
            jwt_previous_secret: None,
            sla_targets: onsite_domain::service::Targets::default(),
            behind_tls: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct AppState {
    /// The database, behind the storage seam.
    pub backend: Arc<dyn Backend>,
    /// Seed of the Automerge actors of edits made through the API ([`AppState::api_actor`]),
    /// new at every start so that a server restored from a backup never reuses one of its
    /// old change sequence numbers.
    api_seed: [u8; 16],
    pub keys: Arc<Keys>,
    pub config: Arc<Config>,
    pub login_limiter: LoginLimiter,
    /// Becomes `true` when the server begins to shut down: live sockets, which never end on
    /// their own, close then, so that the drain of open connections can end.
    pub stopping: Arc<tokio::sync::watch::Sender<bool>>,
}

/// Why a data directory does not open.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Postgres(#[from] PgError),
    #[error("opening the database panicked")]
    Panicked,
}

impl AppState {
    /// Opens the database the configuration names (blocking: once, at start-up).
    pub fn open(config: Config) -> Result<AppState, OpenError> {
        let (backend, secret): (Arc<dyn Backend>, String) = match &config.database {
            None => {
                let sqlite = SqliteBackend::open(&config.data_dir, config.connections)?;
                let secret = sqlite.write_blocking(|unit| unit.jwt_secret())?;
                (Arc::new(sqlite), secret)
            }
            Some(url) => {
                let url = url.clone();
                let connections = config.connections;
                // The PostgreSQL driver blocks on a runtime of its own, which cannot start
                // inside the server's: open it on a thread of its own.
                let (pg, secret) = std::thread::spawn(move || {
                    let pg = PgDatabase::open(&url, connections, Live::default())?;
                    let secret =
                        pg.write_unit(|unit| onsite_store::repo::Accounts::jwt_secret(unit))?;
                    Ok::<_, OpenError>((pg, secret))
                })
                .join()
                .map_err(|_| OpenError::Panicked)??;
                (Arc::new(pg), secret)
            }
        };
        Ok(AppState {
            backend,
            api_seed: rand::random(),
            keys: Arc::new(Keys::rotating(
                config.jwt_secret.as_deref().unwrap_or(&secret).as_bytes(),
                config.jwt_previous_secret.as_deref().map(str::as_bytes),
            )),
            login_limiter: LoginLimiter::new(
                config.login_per_account_per_minute,
                config.login_per_address_per_minute,
            ),
            config: Arc::new(config),
            stopping: Arc::new(tokio::sync::watch::Sender::new(false)),
        })
    }
}

impl AppState {
    /// The Automerge actor of a back-office account's edits through the JSON API, in this
    /// server process: the first 16 bytes of SHA-256(seed ‖ account id). Each account has
    /// its own (actors belong to one account and device, [`crate::auth::API_DEVICE`] here),
    /// the same one for all its edits until the server restarts.
    pub fn api_actor(&self, user_id: &str) -> automerge::ActorId {
        use sha2::{Digest, Sha256};
        let digest = Sha256::new()
            .chain_update(self.api_seed)
            .chain_update(user_id.as_bytes())
            .finalize();
        automerge::ActorId::from(&digest[..16])
    }
}

/// Serves the API on `listener` until `shutdown` resolves; then accepts no connection,
/// closes the live sockets (close code 1012: connect again) and returns once the open
/// requests have finished.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_on(listener, state, shutdown).await
}

/// [`serve`] over HTTPS: connections on `listener` after their TLS handshake. Browsers
/// reach it over TLS, so the back office's cookies are `Secure` ([`Config::behind_tls`]).
pub async fn serve_tls(
    listener: crate::tls::TlsListener,
    mut state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if !state.config.behind_tls {
        let mut config = (*state.config).clone();
        config.behind_tls = true;
        state.config = Arc::new(config);
    }
    serve_on(listener, state, shutdown).await
}

async fn serve_on<L>(
    listener: L,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    L: axum::serve::Listener<Addr = std::net::SocketAddr>,
{
    use axum::serve::ListenerExt;
    crate::metrics::start();
    let stopping = state.stopping.clone();
    let app = crate::routes::router(state);
    // `tap_io` gives any listener the peer address as connect info, TLS or not.
    axum::serve(
        listener.tap_io(|_| {}),
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: no new connections; open requests finish");
        stopping.send_replace(true);
    })
    .await
}
