//! Sync in the background, and the sync status an app shows.
//!
//! Every [`Client::sync`], whoever started it, moves the client's [`SyncStatus`]: it is
//! `syncing` while the sync runs, and keeps when the last one succeeded and why the last
//! one failed. [`Client::subscribe_sync_state`] hears every move.
//!
//! [`Client::start_background_sync`] syncs on the current tokio runtime: at once, then
//! every `interval`, as soon as a local operation leaves changes to upload, and as soon as
//! the server says something new is there (its live notices, over a WebSocket the task
//! holds while online). After a
//! network or server failure it tries again sooner (1 s, 2 s, 4 s, … up to `interval`). The task holds the
//! client weakly: it ends with [`Client::stop_background_sync`], when it is started again,
//! or when the app drops the last clone of the client.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::client::{Client, WeakClient};
use crate::clock;
use crate::error::{Error, ErrorKind, Result};
use crate::listeners::{JobsListener, ListenerHandle, Listeners};
use crate::retry::Retry;

/// Where syncing stands on this device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncStatus {
    /// A sync is running now.
    pub syncing: bool,
    /// Background sync is on.
    pub background: bool,
    /// When the last sync started (device clock, ms); `None` before the first.
    pub last_attempt_at: Option<i64>,
    /// When the last successful sync ended (device clock, ms).
    pub last_success_at: Option<i64>,
    /// Why the last sync failed; `None` when it succeeded (or none finished yet).
    pub last_error: Option<SyncFailure>,
}

/// Why a sync failed: the error's stable kind and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncFailure {
    pub kind: ErrorKind,
    pub message: String,
}

/// Told each time the [`SyncStatus`] changes: a sync starts or ends, background sync is
/// turned on or off. Called on the thread that made the change, with the status as it is
/// then; keep it short.
pub trait SyncStateListener: Send + Sync {
    fn on_sync_state_changed(&self, status: SyncStatus);
}

/// The sync status of one client, its listeners and its background task.
#[derive(Default)]
pub(crate) struct SyncTracker {
    status: Mutex<SyncStatus>,
    listeners: Listeners<dyn SyncStateListener>,
    background: Mutex<Option<Background>>,
}

impl std::fmt::Debug for SyncTracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncTracker")
            .field("status", &*lock(&self.status))
            .field("listeners", &self.listeners)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each value is replaced whole under the lock, so a panic elsewhere cannot leave it
    // half-written.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SyncTracker {
    /// Changes the status, then tells the listeners (outside the lock).
    fn update(&self, change: impl FnOnce(&mut SyncStatus)) {
        change(&mut lock(&self.status));
        // Read again rather than passing on this change's copy, so that of two updates
        // racing, the listeners hear the later state last.
        let status = lock(&self.status).clone();
        self.listeners
            .each(|listener| listener.on_sync_state_changed(status.clone()));
    }

    /// A sync starts; call [`SyncAttempt::finish`] with its result.
    pub(crate) fn begin(&self) -> SyncAttempt<'_> {
        let at = clock::now_ms();
        self.update(|s| {
            s.syncing = true;
            s.last_attempt_at = Some(at);
        });
        SyncAttempt {
            tracker: self,
            finished: false,
        }
    }
}

/// A sync in progress. Dropped unfinished (the sync was cancelled), it only clears
/// `syncing`.
pub(crate) struct SyncAttempt<'a> {
    tracker: &'a SyncTracker,
    finished: bool,
}

impl SyncAttempt<'_> {
    pub(crate) fn finish<T>(mut self, result: &Result<T>) {
        self.finished = true;
        let at = clock::now_ms();
        self.tracker.update(|s| {
            s.syncing = false;
            match result {
                Ok(_) => {
                    s.last_success_at = Some(at);
                    s.last_error = None;
                }
                Err(e) => {
                    s.last_error = Some(SyncFailure {
                        kind: e.kind(),
                        message: e.to_string(),
                    });
                }
            }
        });
    }
}

impl Drop for SyncAttempt<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.tracker.update(|s| s.syncing = false);
        }
    }
}

/// The running background task; dropping it stops the task.
struct Background {
    task: JoinHandle<()>,
    live: JoinHandle<()>,
    _nudges: ListenerHandle,
}

impl Drop for Background {
    fn drop(&mut self) {
        self.task.abort();
        self.live.abort();
    }
}

/// Wakes the background task when jobs change on the device.
struct Nudge(Arc<Notify>);

impl JobsListener for Nudge {
    fn on_jobs_changed(&self, _ids: Vec<String>) {
        self.0.notify_one();
    }
}

/// Shortest interval accepted: background sync is for minutes, not a busy loop.
pub const MIN_BACKGROUND_INTERVAL: Duration = Duration::from_secs(1);
async fn run(client: WeakClient, wake: Arc<Notify>, remote: Arc<Notify>, interval: Duration) {
    let mut due = Instant::now();
    // Retries never wait longer than the interval.
    let mut retry = Retry::new(interval);
    loop {
        let nudged = tokio::select! {
            () = tokio::time::sleep_until(due) => false,
            () = wake.notified() => true,
            // The server has something new: sync, whatever the outbox holds.
            () = remote.notified() => false,
        };
        let Some(client) = client.upgrade() else {
            return;
        };
        // A nudge matters only when there is something to upload: a sync that brought
        // jobs down also tells the listeners.
        if nudged && client.pending_changes().is_ok_and(|n| n == 0) {
            continue;
        }
        let result = client.sync().await;
        drop(client);
        // Retrying soon helps when the network or the server failed; not when a sign-in
        // is needed or the device was refused: those wait for the interval (or a nudge).
        let wait = match result {
            Err(e) if matches!(e.kind(), ErrorKind::Network | ErrorKind::Server { .. }) => {
                retry.after_failure().min(interval)
            }
            _ => {
                retry.reset();
                interval
            }
        };
        due = Instant::now() + wait;
    }
}

impl Client {
    /// Where syncing stands now.
    pub fn sync_status(&self) -> SyncStatus {
        lock(&self.sync_tracker().status).clone()
    }

    /// Subscribes to sync status changes until the handle is dropped.
    pub fn subscribe_sync_state(&self, listener: Arc<dyn SyncStateListener>) -> ListenerHandle {
        self.sync_tracker().listeners.subscribe(listener)
    }

    /// Turns background sync on, on the current tokio runtime: a sync at once, then every
    /// `interval` (at least [`MIN_BACKGROUND_INTERVAL`]), and soon after each local change.
    /// Started again, it replaces the running task (with the new interval).
    ///
    /// Fails with [`Internal`](crate::ErrorKind::Internal) outside a tokio runtime.
    pub fn start_background_sync(&self, interval: Duration) -> Result<()> {
        if interval < MIN_BACKGROUND_INTERVAL {
            return Err(Error::invalid(
                "the background sync interval must be at least one second",
            ));
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::Internal("background sync needs a tokio runtime to run on".into())
        })?;
        let tracker = self.sync_tracker();
        // Before the task starts, so that listeners hear it before the first sync.
        tracker.update(|s| s.background = true);
        let wake = Arc::new(Notify::new());
        let nudges = self.subscribe(Arc::new(Nudge(wake.clone())));
        let remote = Arc::new(Notify::new());
        let task = runtime.spawn(run(self.downgrade(), wake, remote.clone(), interval));
        let live = runtime.spawn(crate::live::run(self.downgrade(), remote));
        let previous = lock(&tracker.background).replace(Background {
            task,
            live,
            _nudges: nudges,
        });
        drop(previous);
        Ok(())
    }

    /// Turns background sync off. A sync it was running is cancelled; what that sync had
    /// committed stays, and the next sync resumes from there.
    pub fn stop_background_sync(&self) {
        let tracker = self.sync_tracker();
        let previous = lock(&tracker.background).take();
        if previous.is_some() {
            drop(previous);
            tracker.update(|s| s.background = false);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::mpsc;

    use onsite_domain::{Customer, Role};

    use super::*;
    use crate::NewJob;

    const WAIT: Duration = Duration::from_secs(10);

    struct Statuses(Mutex<mpsc::Sender<SyncStatus>>);

    impl SyncStateListener for Statuses {
        fn on_sync_state_changed(&self, status: SyncStatus) {
            let _ = lock(&self.0).send(status);
        }
    }

    fn listen(client: &Client) -> (ListenerHandle, mpsc::Receiver<SyncStatus>) {
        let (tx, rx) = mpsc::channel();
        let handle = client.subscribe_sync_state(Arc::new(Statuses(Mutex::new(tx))));
        (handle, rx)
    }

    /// Waits for the next status the listener hears, for at most [`WAIT`].
    fn next(rx: &mpsc::Receiver<SyncStatus>) -> SyncStatus {
        rx.recv_timeout(WAIT).expect("a sync status in time")
    }

    /// A client with a session but no server: every sync fails with `SignInNeeded`.
    fn offline_client() -> (tempfile::TempDir, Client) {
        let dir = tempfile::tempdir().unwrap();
        let client = Client::open_with_session(dir.path(), "tech-1", Role::Technician).unwrap();
        (dir, client)
    }

    fn new_job() -> NewJob {
        NewJob {
            customer: Customer {
                name: "Zhao".into(),
                ..Default::default()
            },
            fault: "no power".into(),
            ..NewJob::default()
        }
    }

    #[tokio::test]
    async fn a_failed_sync_is_reported_with_its_kind() {
        let (_dir, client) = offline_client();
        assert_eq!(client.sync_status(), SyncStatus::default());
        let (handle, rx) = listen(&client);

        let err = client.sync().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::SignInNeeded);

        let started = next(&rx);
        assert!(started.syncing && started.last_attempt_at.is_some());
        let ended = next(&rx);
        assert!(!ended.syncing);
        assert_eq!(ended.last_success_at, None);
        let failure = ended.last_error.clone().unwrap();
        assert_eq!(failure.kind, ErrorKind::SignInNeeded);
        assert!(failure.message.contains("sign in"), "{}", failure.message);
        assert_eq!(client.sync_status(), ended);

        drop(handle);
        let _ = client.sync().await;
        assert!(
            rx.try_recv().is_err(),
            "a dropped handle hears nothing more"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn background_sync_starts_at_once_wakes_on_local_changes_and_stops() {
        let (_dir, client) = offline_client();
        let (_handle, rx) = listen(&client);
        // An hour: every sync below comes from the start or from a local change.
        client
            .start_background_sync(Duration::from_secs(3600))
            .unwrap();
        assert!(next(&rx).background);
        let first = next(&rx);
        assert!(first.syncing && first.background);
        let failed = next(&rx);
        assert!(!failed.syncing);
        assert_eq!(failed.last_error.unwrap().kind, ErrorKind::SignInNeeded);

        // A local change leaves something to upload: the task syncs again at once, where
        // it would otherwise wait an hour (no quick retries when a sign-in is needed).
        client.create_job(new_job()).unwrap();
        assert!(next(&rx).syncing);
        assert!(!next(&rx).syncing);

        client.stop_background_sync();
        let stopped = next(&rx);
        assert!(!stopped.background && !stopped.syncing);
        assert!(!client.sync_status().background);
        client.stop_background_sync();
        assert!(rx.try_recv().is_err(), "stopping twice changes nothing");
    }

    #[test]
    fn background_sync_needs_a_runtime_and_a_sane_interval() {
        let (_dir, client) = offline_client();
        let err = client
            .start_background_sync(Duration::from_secs(60))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Internal);
        let err = client
            .start_background_sync(Duration::from_millis(10))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(!client.sync_status().background);
    }
}
