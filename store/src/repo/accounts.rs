//! Accounts, their passwords and roles; device sessions and refresh tokens; the server's own settings (epoch, signing secret).

/// Accounts, their passwords and roles; device sessions and refresh tokens; the server's own settings (epoch, signing secret).
pub trait Accounts {}
