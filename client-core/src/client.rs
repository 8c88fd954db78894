//! [`Client`]: what an app holds. Local operations and queries are synchronous (short
//! SQLite work); sign-in and sync are async. Cheap to clone; `Send + Sync`.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use onsite_domain::forms::DEFAULT_TEMPLATE_ID;
use onsite_domain::{CatalogItem, EventKind, FormTemplate, Role};
use onsite_sync::client::{ClientSync, SyncError, SyncOptions, SyncReport};
use onsite_sync::wire::{self, Cursor, Response};

use crate::background::SyncTracker;
use crate::clock::{self, Clock};
use crate::error::{Error, Result};
use crate::listeners::{JobsListener, ListenerHandle, Listeners};
use crate::ops::{self, Author, NewJob, PartInput};
use crate::query::{self, Conflict, JobFilter, JobSummary, JobView};
use crate::reference::{self, StockLine};
use crate::session::{Credentials, Session};
use crate::store::Store;
use crate::tls::Trust;
use crate::transport::{TransferStats, Transport, normalize_base_url};

/// The device side of Onsite, opened on a data directory.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    /// Held only for local work, never across an `.await`.
    store: Mutex<Store>,
    device_id: String,
    /// One sync (or sign-in) at a time.
    sync_run: tokio::sync::Mutex<()>,
    transport: Transport,
    listeners: Listeners,
    options: SyncOptions,
    /// Sync status, its listeners and the background task (see `background`).
    sync_tracker: SyncTracker,
    /// The time written into documents and sent with each sync.
    clock: Clock,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("device_id", &self.inner.device_id)
            .finish_non_exhaustive()
    }
}

impl Inner {
    fn store(&self) -> MutexGuard<'_, Store> {
        // Every store write is one SQLite transaction, rolled back if it did not finish,
        // so a panic elsewhere while the lock was held leaves nothing half-done.
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Client {
    /// Opens (or creates) the store in `dir`. Works offline; nothing touches the network.
    pub fn open(dir: impl AsRef<Path>) -> Result<Client> {
        Client::open_with(dir, Clock::default(), Trust::default())
    }

    /// [`Client::open`], checking server certificates with `trust`: certificate
    /// authorities of the company's own, or the roots compiled into the library.
    pub fn open_with_trust(dir: impl AsRef<Path>, trust: Trust) -> Result<Client> {
        Client::open_with(dir, Clock::default(), trust)
    }

    /// [`Client::open`] with a clock of the caller's instead of the device clock, in ms
    /// since the Unix epoch: for tests of what the server makes of a device whose clock is
    /// wrong. It gives the times written into documents (events, reports, answers, parts
    /// lines) and the clock sent with each sync; the store's own bookkeeping and the
    /// session's token expiry keep the device clock.
    #[doc(hidden)]
    pub fn open_with_clock(
        dir: impl AsRef<Path>,
        clock: impl Fn() -> i64 + Send + Sync + 'static,
    ) -> Result<Client> {
        Client::open_with(dir, Clock::new(clock), Trust::default())
    }

    fn open_with(dir: impl AsRef<Path>, clock: Clock, trust: Trust) -> Result<Client> {
        let store = Store::open(dir)?;
        Ok(Client {
            inner: Arc::new(Inner {
                device_id: store.device_id().to_string(),
                store: Mutex::new(store),
                sync_run: tokio::sync::Mutex::new(()),
                transport: Transport::new(trust),
                listeners: Listeners::default(),
                options: SyncOptions::default(),
                sync_tracker: SyncTracker::default(),
                clock,
            }),
        })
    }

    /// Opens the store with a session that no server issued: for tests and demos.
    /// Operations work and are authored by `user_id`; [`Client::sync`] answers
    /// [`SignInNeeded`](crate::ErrorKind::SignInNeeded) until [`Client::sign_in`].
    #[doc(hidden)]
    pub fn open_with_session(dir: impl AsRef<Path>, user_id: &str, role: Role) -> Result<Client> {
        if user_id.trim().is_empty() {
            return Err(Error::invalid("a user id is required"));
        }
        let client = Client::open(dir)?;
        let session = Session {
            user_id: user_id.to_string(),
            username: user_id.to_string(),
            role,
            server_url: None,
        };
        client.inner.store().adopt_session(&session, None)?;
        Ok(client)
    }

    /// This device's id (a UUID made on first open), sent to the server at sign-in.
    pub fn device_id(&self) -> &str {
        &self.inner.device_id
    }

    /// Signs in to the server at `server_url` and keeps the session on the device.
    ///
    /// Signing in again as the same account keeps everything. Another account may take
    /// over the device only when it holds no unsynced changes (otherwise
    /// [`InvalidInput`](crate::ErrorKind::InvalidInput), and nothing changes); the previous
    /// account's jobs, all acknowledged by the server, and its conflict log are then
    /// removed.
    pub async fn sign_in(
        &self,
        server_url: &str,
        username: &str,
        password: &str,
    ) -> Result<Session> {
        let base = normalize_base_url(server_url)?;
        let username = username.trim();
        if username.is_empty() {
            return Err(Error::invalid("a user name is required"));
        }
        if password.is_empty() {
            return Err(Error::invalid("a password is required"));
        }
        let _running = self.inner.sync_run.lock().await;
        let tokens = self
            .inner
            .transport
            .login(&base, username, password, &self.inner.device_id)
            .await?;
        let role = Role::parse(&tokens.role)
            .ok_or_else(|| Error::bad_response(format!("unknown role '{}'", tokens.role)))?;
        if tokens.user_id.is_empty() || tokens.access_token.is_empty() {
            return Err(Error::bad_response(
                "the sign-in answer lacks a user id or token",
            ));
        }
        let access_expires_at = tokens.access_expires_at();
        let session = Session {
            user_id: tokens.user_id,
            username: tokens.username.unwrap_or_else(|| username.to_string()),
            role,
            server_url: Some(base.clone()),
        };
        let credentials = Credentials {
            server_url: base,
            access_expires_at,
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
        };
        let adopted = session.clone();
        let removed = self
            .blocking(move |store| store.adopt_session(&adopted, Some(&credentials)))
            .await?;
        self.inner.listeners.notify(removed);
        Ok(session)
    }

    /// Forgets the session and its tokens. Jobs and unsynced changes stay on the device;
    /// operations need a sign-in again.
    pub fn sign_out(&self) -> Result<()> {
        self.inner.store().sign_out()
    }

    /// The signed-in account, if any. An expired token still counts: the technician keeps
    /// working offline, and the next sync asks for a sign-in.
    pub fn session(&self) -> Result<Option<Session>> {
        self.inner.store().session()
    }

    /// Runs a local operation as the signed-in account, then tells the listeners.
    fn local<T>(
        &self,
        job_of: impl FnOnce(&T) -> Option<String>,
        op: impl FnOnce(&mut Store, Author<'_>) -> Result<T>,
    ) -> Result<T> {
        let out = {
            let mut store = self.inner.store();
            let session = store
                .session()?
                .ok_or_else(|| Error::SignInNeeded("sign in before changing jobs".into()))?;
            let actor = session.actor();
            op(
                &mut store,
                Author {
                    actor: &actor,
                    at: self.inner.clock.now_ms(),
                },
            )?
        };
        self.inner
            .listeners
            .notify(job_of(&out).into_iter().collect());
        Ok(out)
    }

    fn on_job(
        &self,
        job_id: &str,
        op: impl FnOnce(&mut Store, Author<'_>) -> Result<()>,
    ) -> Result<()> {
        self.local(|_| Some(job_id.to_string()), op)
    }

    /// Opens a job on site, assigned to and accepted by the signed-in technician.
    /// Returns its id.
    pub fn create_job(&self, new: NewJob) -> Result<String> {
        self.local(
            |id: &String| Some(id.clone()),
            |store, author| ops::create_job(store, author, new),
        )
    }

    pub fn accept(&self, job_id: &str) -> Result<()> {
        self.on_job(job_id, |s, a| {
            ops::record_event(s, a, job_id, EventKind::Accepted)
        })
    }

    /// On the way to the customer (en route).
    pub fn start_travel(&self, job_id: &str) -> Result<()> {
        self.on_job(job_id, |s, a| {
            ops::record_event(s, a, job_id, EventKind::EnRoute)
        })
    }

    /// Arrived on site.
    pub fn arrive(&self, job_id: &str) -> Result<()> {
        self.on_job(job_id, |s, a| {
            ops::record_event(s, a, job_id, EventKind::OnSite)
        })
    }

    /// Records the diagnosis (replacing the previous text) and the "diagnosed" step.
    pub fn diagnose(&self, job_id: &str, text: &str) -> Result<()> {
        self.on_job(job_id, |s, a| ops::diagnose(s, a, job_id, text))
    }

    /// Records the resolution (replacing the previous text) and the "repaired" step.
    pub fn repair(&self, job_id: &str, text: &str) -> Result<()> {
        self.on_job(job_id, |s, a| ops::repair(s, a, job_id, text))
    }

    /// Completes the job (or resubmits it after the back office returned it).
    pub fn complete(&self, job_id: &str) -> Result<()> {
        self.on_job(job_id, |s, a| {
            ops::record_event(s, a, job_id, EventKind::Completed)
        })
    }

    /// Adds a note; returns its id.
    pub fn add_note(&self, job_id: &str, text: &str) -> Result<String> {
        self.local(
            |_| Some(job_id.to_string()),
            |s, a| ops::add_note(s, a, job_id, text),
        )
    }

    /// Records a parts usage line in the signed-in account's name; returns its id. For a
    /// part of the catalog the SKU and quantity are enough (see [`PartInput`]). The
    /// quantity comes out of the account's van stock ([`Client::van_stock`]) at once.
    pub fn record_part(&self, job_id: &str, part: PartInput) -> Result<String> {
        self.local(
            |_| Some(job_id.to_string()),
            |s, a| ops::record_part(s, a, job_id, part),
        )
    }

    /// Starts a satisfaction form answered by `respondent`: `survey` (the customer) or
    /// `self` (the technician's own rating), on the newest version of csat-onsite on the
    /// device (v1, built in, until the back office publishes another). Returns the form id.
    pub fn start_form(&self, job_id: &str, respondent: &str) -> Result<String> {
        self.start_form_from_template(job_id, respondent, DEFAULT_TEMPLATE_ID, None)
    }

    /// Starts a form on a given template: `version`, or its newest version on the device
    /// when `None`. [`NotFound`](crate::ErrorKind::NotFound) for a template (or version)
    /// the device does not hold. The form keeps the template id and version for good.
    pub fn start_form_from_template(
        &self,
        job_id: &str,
        respondent: &str,
        template_id: &str,
        version: Option<i64>,
    ) -> Result<String> {
        self.local(
            |_| Some(job_id.to_string()),
            |s, a| ops::start_form(s, a, job_id, respondent, template_id, version),
        )
    }

    /// Answers one item of a form: `points` on the scale 10, 8, 6, 4, 2.
    pub fn answer_item(
        &self,
        job_id: &str,
        form_id: &str,
        item_id: &str,
        points: i64,
        comment: &str,
    ) -> Result<()> {
        self.on_job(job_id, |s, a| {
            ops::answer_item(s, a, job_id, form_id, item_id, points, comment)
        })
    }

    /// Submits a form with the customer's free-text suggestion; its answers are final.
    pub fn submit_form(&self, job_id: &str, form_id: &str, suggestion: &str) -> Result<()> {
        self.on_job(job_id, |s, a| {
            ops::submit_form(s, a, job_id, form_id, suggestion)
        })
    }

    /// Jobs on the device, from the query table.
    pub fn list_jobs(&self, filter: &JobFilter) -> Result<Vec<JobSummary>> {
        query::list_jobs(self.inner.store().conn(), filter)
    }

    /// One job, whole.
    pub fn get_job(&self, job_id: &str) -> Result<JobView> {
        query::get_job(&self.inner.store(), job_id)
    }

    /// The parts catalog as last synced, by SKU (inactive parts included, flagged).
    pub fn parts_catalog(&self) -> Result<Vec<CatalogItem>> {
        reference::parts_catalog(self.inner.store().conn())
    }

    /// Every form template version on the device: the built-in csat-onsite v1 first, then
    /// the synced ones by id and version.
    pub fn form_templates(&self) -> Result<Vec<FormTemplate>> {
        reference::form_templates(self.inner.store().conn())
    }

    /// One template version; [`NotFound`](crate::ErrorKind::NotFound) if the device does
    /// not hold it.
    pub fn form_template(&self, template_id: &str, version: i64) -> Result<FormTemplate> {
        reference::form_template(self.inner.store().conn(), template_id, version)?.ok_or_else(
            || Error::NotFound {
                what: "form template",
                id: format!("{template_id} v{version}"),
            },
        )
    }

    /// The signed-in technician's van stock: the server's count at the last sync, less
    /// the parts lines recorded here that have not reached it yet. A negative balance is
    /// shown as it is.
    pub fn van_stock(&self) -> Result<Vec<StockLine>> {
        reference::van_stock(self.inner.store().conn())
    }

    /// Local changes the server has not acknowledged yet.
    pub fn pending_changes(&self) -> Result<u64> {
        query::pending_changes(self.inner.store().conn())
    }

    /// Local changes the server refused, oldest first.
    pub fn conflicts(&self) -> Result<Vec<Conflict>> {
        query::conflicts(self.inner.store().conn())
    }

    /// Where this device is in the server's feed; `None` before the first sync.
    pub fn cursor(&self) -> Result<Option<Cursor>> {
        crate::store::read_cursor(self.inner.store().conn())
    }

    /// Subscribes to job changes until the handle is dropped.
    pub fn subscribe(&self, listener: Arc<dyn JobsListener>) -> ListenerHandle {
        self.inner.listeners.subscribe(listener)
    }

    /// Requests and body bytes exchanged with the server since this client was opened.
    pub fn transfer_stats(&self) -> TransferStats {
        self.inner.transport.stats()
    }

    /// Uploads the outbox and brings the device up to date, until there is nothing left
    /// to send. Concurrent calls wait for each other. Each step is committed as it
    /// completes, so an interrupted sync loses nothing and the next one resumes.
    ///
    /// Listeners hear about the jobs it changed, even when it fails part-way.
    ///
    /// When an administrator revoked this device for a wipe, the server takes one last
    /// upload of the outbox, then this device erases everything of the account (jobs,
    /// outbox, conflict log, session, cursor; only the device id stays) and the sync ends
    /// with [`DeviceWiped`](crate::ErrorKind::DeviceWiped); listeners hear about every job
    /// removed.
    pub async fn sync(&self) -> Result<SyncReport> {
        let _running = self.inner.sync_run.lock().await;
        let attempt = self.inner.sync_tracker.begin();
        let result = self.sync_locked().await;
        attempt.finish(&result);
        result
    }

    /// [`Client::sync`], holding the lock on syncs.
    async fn sync_locked(&self) -> Result<SyncReport> {
        let credentials = self
            .blocking(|store| store.credentials())
            .await?
            .ok_or_else(|| Error::SignInNeeded("sign in to a server before syncing".into()))?;
        let (report, result) = self.run_sync(credentials).await;
        let mut changed: Vec<String> = report.changed_docs.iter().cloned().collect();
        let result = match result {
            // Erased before the lock on syncs is released, so no other sync or sign-in
            // can come between the server's answer and the wipe.
            Err(Error::DeviceWiped(reason)) => match self.blocking(|store| store.wipe()).await {
                Ok(removed) => {
                    changed.extend(removed);
                    changed.sort();
                    changed.dedup();
                    Err(Error::DeviceWiped(reason))
                }
                Err(e) => Err(e),
            },
            other => other,
        };
        self.inner.listeners.notify(changed);
        result.map(|()| report)
    }

    async fn run_sync(&self, mut credentials: Credentials) -> (SyncReport, Result<()>) {
        let mut engine = ClientSync::new(self.inner.options.clone());
        loop {
            // The clock when the request is made: the server compares it with its own.
            let now = self.inner.clock.now_ms();
            let step = move |e: &mut ClientSync, s: &mut Store| {
                e.set_clock(now);
                e.next_request(s)
            };
            let (back, next) = match self.engine_step(engine, step).await {
                Ok(stepped) => stepped,
                Err(e) => return (SyncReport::default(), Err(e)),
            };
            engine = back;
            let request = match next {
                Ok(Some(request)) => request,
                Ok(None) => return (engine.into_report(), Ok(())),
                Err(e) => return (engine.into_report(), Err(e)),
            };
            let response = match self
                .exchange(&mut credentials, &wire::encode(&request))
                .await
            {
                Ok(response) => response,
                Err(e) => return (engine.into_report(), Err(e)),
            };
            let (back, handled) = match self
                .engine_step(engine, move |e, s| e.handle_response(s, response))
                .await
            {
                Ok(stepped) => stepped,
                Err(e) => return (SyncReport::default(), Err(e)),
            };
            engine = back;
            if let Err(e) = handled {
                return (engine.into_report(), Err(e));
            }
        }
    }

    /// Sends one frame: first refreshes an access token that is about to expire, and on a
    /// 401 refreshes it once and sends the frame again.
    async fn exchange(&self, credentials: &mut Credentials, frame: &[u8]) -> Result<Response> {
        let transport = &self.inner.transport;
        if credentials.refresh_token.is_some() && credentials.access_expiring(clock::now_ms()) {
            self.refresh(credentials, None).await?;
        }
        let first = transport
            .sync(&credentials.server_url, &credentials.access_token, frame)
            .await;
        let Err(Error::SignInNeeded(reason)) = first else {
            return first;
        };
        self.refresh(credentials, Some(reason)).await?;
        transport
            .sync(&credentials.server_url, &credentials.access_token, frame)
            .await
    }

    /// Trades the refresh token for new tokens and stores them. Without a refresh token,
    /// a sign-in is needed (`reason` says why, when the server already refused).
    async fn refresh(&self, credentials: &mut Credentials, reason: Option<String>) -> Result<()> {
        let Some(refresh_token) = credentials.refresh_token.clone() else {
            return Err(Error::SignInNeeded(
                reason.unwrap_or_else(|| "the session has no refresh token".into()),
            ));
        };
        let tokens = self
            .inner
            .transport
            .refresh(&credentials.server_url, &refresh_token)
            .await?;
        let session = self.blocking(|store| store.session()).await?;
        if session.is_none_or(|s| s.user_id != tokens.user_id) {
            return Err(Error::SignInNeeded(
                "the refreshed session belongs to another account".into(),
            ));
        }
        credentials.access_expires_at = tokens.access_expires_at();
        credentials.access_token = tokens.access_token;
        credentials.refresh_token = tokens.refresh_token.or(Some(refresh_token));
        let stored = credentials.clone();
        self.blocking(move |store| store.set_tokens(&stored)).await
    }

    /// The server address and access token for the live-notice connection; `None` when
    /// signed out.
    pub(crate) async fn live_target(&self) -> Option<(String, String)> {
        let credentials = self.blocking(|store| store.credentials()).await.ok()??;
        Some((credentials.server_url, credentials.access_token))
    }

    /// The TLS configuration of this client's connections.
    pub(crate) fn tls(&self) -> Result<Arc<rustls::ClientConfig>> {
        self.inner.transport.tls()
    }

    pub(crate) fn sync_tracker(&self) -> &SyncTracker {
        &self.inner.sync_tracker
    }

    /// A reference that does not keep the client open (for its background task).
    pub(crate) fn downgrade(&self) -> WeakClient {
        WeakClient(Arc::downgrade(&self.inner))
    }

    /// Runs store work off the async threads.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Store) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || work(&mut inner.store()))
            .await
            .map_err(|e| Error::Internal(format!("local work did not finish: {e}")))?
    }

    /// One step of the sync engine, off the async threads, holding the store lock for
    /// the step only.
    async fn engine_step<T: Send + 'static>(
        &self,
        mut engine: ClientSync,
        step: impl FnOnce(&mut ClientSync, &mut Store) -> Result<T, SyncError<Error>> + Send + 'static,
    ) -> Result<(ClientSync, Result<T>)> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let result = step(&mut engine, &mut inner.store()).map_err(Error::from);
            (engine, result)
        })
        .await
        .map_err(|e| Error::Internal(format!("a sync step did not finish: {e}")))
    }
}

/// A [`Client`] that does not keep it open.
pub(crate) struct WeakClient(Weak<Inner>);

impl WeakClient {
    pub(crate) fn upgrade(&self) -> Option<Client> {
        self.0.upgrade().map(|inner| Client { inner })
    }
}
