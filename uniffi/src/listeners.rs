//! Listeners the app implements, and the handle that keeps one subscribed.
//!
//! Both are called on the thread that made the change (an app thread for local operations,
//! a background thread for syncs): hand the data to the UI thread and return. A listener
//! must not throw.

use std::sync::{Arc, Mutex, PoisonError};

use onsite_client::SyncStatus;

/// Told which jobs changed on the device: after each local operation, and after a sync
/// that stored, changed or removed jobs.
#[uniffi::export(callback_interface)]
pub trait JobsListener: Send + Sync {
    fn on_jobs_changed(&self, job_ids: Vec<String>);
}

/// Told each time the sync status changes: a sync starts or ends, background sync is
/// turned on or off.
#[uniffi::export(callback_interface)]
pub trait SyncStateListener: Send + Sync {
    fn on_sync_state_changed(&self, status: SyncStatus);
}

/// An app's [`JobsListener`], as the client core takes it.
pub(crate) struct Jobs(pub Box<dyn JobsListener>);

impl onsite_client::JobsListener for Jobs {
    fn on_jobs_changed(&self, ids: Vec<String>) {
        self.0.on_jobs_changed(ids);
    }
}

/// An app's [`SyncStateListener`], as the client core takes it.
pub(crate) struct SyncState(pub Box<dyn SyncStateListener>);

impl onsite_client::SyncStateListener for SyncState {
    fn on_sync_state_changed(&self, status: SyncStatus) {
        self.0.on_sync_state_changed(status);
    }
}

/// Keeps a listener subscribed until it is cancelled or freed (Kotlin `close()`, Swift
/// deinit, Python garbage collection). Languages with a garbage collector free late:
/// call `cancel()` to stop hearing at once.
#[derive(Debug, uniffi::Object)]
pub struct ListenerHandle(Mutex<Option<onsite_client::ListenerHandle>>);

impl ListenerHandle {
    pub(crate) fn new(handle: onsite_client::ListenerHandle) -> Arc<Self> {
        Arc::new(ListenerHandle(Mutex::new(Some(handle))))
    }
}

#[uniffi::export]
impl ListenerHandle {
    /// Unsubscribes now. Cancelling again does nothing.
    pub fn cancel(&self) {
        let handle = self.0.lock().unwrap_or_else(PoisonError::into_inner).take();
        drop(handle);
    }
}
