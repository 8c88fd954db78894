//! The device clock. Timestamps in documents are milliseconds since the Unix epoch.

/// Now, by the device clock, in milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
