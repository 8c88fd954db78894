//! The device clock. Timestamps in documents are milliseconds since the Unix epoch.

use std::sync::Arc;

/// Now, by the device clock, in milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Where a client reads the time it writes into documents (event times, report times,
/// answers) and sends with each sync: the device clock, unless a test gave its own.
#[derive(Clone, Default)]
pub(crate) struct Clock(Option<Arc<dyn Fn() -> i64 + Send + Sync>>);

impl Clock {
    pub(crate) fn new(f: impl Fn() -> i64 + Send + Sync + 'static) -> Clock {
        Clock(Some(Arc::new(f)))
    }

    pub(crate) fn now_ms(&self) -> i64 {
        match &self.0 {
            Some(f) => f(),
            None => now_ms(),
        }
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Clock(given)"
        } else {
            "Clock(device)"
        })
    }
}
