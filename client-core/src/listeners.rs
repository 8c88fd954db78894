//! Change listeners: the app subscribes, gets told which jobs changed, and unsubscribes by
//! dropping the handle. Each client has its own lists; there is no global registry. The
//! same machinery serves job listeners and sync state listeners
//! ([`SyncStateListener`](crate::SyncStateListener)).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// Told which jobs changed on the device: after each local operation, and after a sync
/// that stored, changed or removed jobs. Called on the thread that made the change, after
/// the change is committed; keep it short (hand the ids to the UI thread).
pub trait JobsListener: Send + Sync {
    fn on_jobs_changed(&self, ids: Vec<String>);
}

type Entries<L> = Mutex<Vec<(u64, Arc<L>)>>;

/// The listeners of one kind (jobs, sync state) of one client.
pub(crate) struct Listeners<L: ?Sized = dyn JobsListener> {
    next_id: AtomicU64,
    entries: Arc<Entries<L>>,
}

impl<L: ?Sized> Default for Listeners<L> {
    fn default() -> Self {
        Listeners {
            next_id: AtomicU64::new(0),
            entries: Arc::new(Mutex::new(Vec::new())),
        }
    }
}

impl<L: ?Sized> std::fmt::Debug for Listeners<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listeners")
            .field("count", &lock(&self.entries).len())
            .finish()
    }
}

fn lock<L: ?Sized>(entries: &Entries<L>) -> std::sync::MutexGuard<'_, Vec<(u64, Arc<L>)>> {
    // The list stays consistent whatever panicked while holding it.
    entries.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What a [`ListenerHandle`] needs of a list, whatever kind of listener it holds.
trait Unsubscribe: Send + Sync {
    fn unsubscribe(&self, id: u64);
}

impl<L: ?Sized + Send + Sync> Unsubscribe for Entries<L> {
    fn unsubscribe(&self, id: u64) {
        lock(self).retain(|(entry, _)| *entry != id);
    }
}

impl<L: ?Sized + Send + Sync + 'static> Listeners<L> {
    pub fn subscribe(&self, listener: Arc<L>) -> ListenerHandle {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        lock(&self.entries).push((id, listener));
        let entries: Arc<dyn Unsubscribe> = self.entries.clone();
        ListenerHandle {
            entries: Arc::downgrade(&entries),
            id,
        }
    }

    /// Calls `call` with every listener, outside the lock (a listener may subscribe or
    /// drop handles).
    pub fn each(&self, call: impl Fn(&L)) {
        let listeners: Vec<Arc<L>> = lock(&self.entries).iter().map(|(_, l)| l.clone()).collect();
        for listener in listeners {
            call(&listener);
        }
    }
}

impl Listeners<dyn JobsListener> {
    /// Tells every listener that the jobs `ids` changed; nothing when `ids` is empty.
    pub fn notify(&self, ids: Vec<String>) {
        if ids.is_empty() {
            return;
        }
        self.each(|listener| listener.on_jobs_changed(ids.clone()));
    }
}

/// Keeps a listener subscribed; dropping it unsubscribes.
#[must_use = "dropping the handle unsubscribes the listener"]
pub struct ListenerHandle {
    entries: Weak<dyn Unsubscribe>,
    id: u64,
}

impl std::fmt::Debug for ListenerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListenerHandle")
            .field("id", &self.id)
            .finish()
    }
}

impl Drop for ListenerHandle {
    fn drop(&mut self) {
        if let Some(entries) = self.entries.upgrade() {
            entries.unsubscribe(self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Seen(Mutex<Vec<Vec<String>>>);

    impl JobsListener for Seen {
        fn on_jobs_changed(&self, ids: Vec<String>) {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(ids);
        }
    }

    #[test]
    fn dropping_the_handle_unsubscribes() {
        let listeners: Listeners = Listeners::default();
        let seen = Arc::new(Seen::default());
        let handle = listeners.subscribe(seen.clone());
        listeners.notify(vec!["a".into()]);
        listeners.notify(vec![]);
        drop(handle);
        listeners.notify(vec!["b".into()]);
        let got = seen
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        assert_eq!(got, vec![vec!["a".to_string()]]);
    }
}
