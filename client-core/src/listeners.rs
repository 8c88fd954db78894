//! Change listeners: the app subscribes, gets told which jobs changed, and unsubscribes by
//! dropping the handle. Each client has its own list; there is no global registry.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// Told which jobs changed on the device: after each local operation, and after a sync
/// that stored, changed or removed jobs. Called on the thread that made the change, after
/// the change is committed; keep it short (hand the ids to the UI thread).
pub trait JobsListener: Send + Sync {
    fn on_jobs_changed(&self, ids: Vec<String>);
}

type Entries = Mutex<Vec<(u64, Arc<dyn JobsListener>)>>;

#[derive(Default)]
pub(crate) struct Listeners {
    next_id: AtomicU64,
    entries: Arc<Entries>,
}

impl std::fmt::Debug for Listeners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listeners")
            .field("count", &lock(&self.entries).len())
            .finish()
    }
}

fn lock(entries: &Entries) -> std::sync::MutexGuard<'_, Vec<(u64, Arc<dyn JobsListener>)>> {
    // The list stays consistent whatever panicked while holding it.
    entries.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Listeners {
    pub fn subscribe(&self, listener: Arc<dyn JobsListener>) -> ListenerHandle {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        lock(&self.entries).push((id, listener));
        ListenerHandle {
            entries: Arc::downgrade(&self.entries),
            id,
        }
    }

    /// Calls every listener with `ids`, outside the lock (a listener may subscribe or
    /// drop handles).
    pub fn notify(&self, ids: Vec<String>) {
        if ids.is_empty() {
            return;
        }
        let listeners: Vec<Arc<dyn JobsListener>> =
            lock(&self.entries).iter().map(|(_, l)| l.clone()).collect();
        for listener in listeners {
            listener.on_jobs_changed(ids.clone());
        }
    }
}

/// Keeps a listener subscribed; dropping it unsubscribes.
#[must_use = "dropping the handle unsubscribes the listener"]
pub struct ListenerHandle {
    entries: Weak<Entries>,
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
            lock(&entries).retain(|(id, _)| *id != self.id);
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
        let listeners = Listeners::default();
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
