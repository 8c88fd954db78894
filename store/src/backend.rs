//! The backend and its units of work.
//!
//! A backend owns its connections and threads; the server hands it closures. Each closure
//! is a unit of work: it runs on a blocking thread with a [`Unit`] — one connection of the
//! backend — and what it returns comes back to the async caller. Writes are serialised by
//! the backend (one writer for SQLite); reads run beside them. Panics inside the work are
//! contained: they become [`StoreError::Panicked`] and the connection keeps serving.
//!
//! The notices a unit raises ("tell the devices") are published by the backend once the
//! work has returned and its writes are committed, in one place for jobs and reference
//! data alike.

use std::future::Future;
use std::pin::Pin;

use onsite_sync::server::ServerStore;

use crate::error::StoreError;
use crate::notice::{Live, Notice};
use crate::repo::{Accounts, Audit, Jobs, Reference, Reports};

/// What a unit of work may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Only reads: runs beside the writer, on a read-only connection.
    Read,
    /// Writes: serialised with every other write.
    Write,
}

/// How a unit of work ended, as the backend needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// The work succeeded: publish its notices.
    Done,
    /// The work failed: drop its notices.
    Failed,
}

/// One connection of a backend, as a unit of work sees it: the sync engine's store and
/// the repositories.
pub trait Unit:
    ServerStore<Error = StoreError> + Accounts + Audit + Reference + Jobs + Reports + Send
{
    /// Tells the devices once this unit's writes are committed.
    fn notify(&mut self, notice: Notice);
}

/// A unit of work, boxed for the trait object.
pub type Work = Box<dyn FnOnce(&mut dyn Unit) -> Finish + Send>;

/// A future of the backend.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The database connections a backend holds, for monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Connections {
    /// Open now, busy or idle.
    pub open: u32,
    /// Open and waiting for work.
    pub idle: u32,
}

/// A database the server runs on.
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// The connections it holds now.
    fn connections(&self) -> Connections;

    /// Runs `work` on a blocking thread and resolves when it has finished.
    fn run(&self, access: Access, work: Work) -> BoxFuture<'_, Result<(), StoreError>>;

    /// Where the notices of committed units go (the server's live-notice hub).
    fn live(&self) -> &Live;
}

impl dyn Backend {
    /// Runs `f` as a write unit and returns what it returned.
    pub async fn write<T, E>(
        &self,
        f: impl FnOnce(&mut dyn Unit) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.unit(Access::Write, f).await
    }

    /// Runs `f` as a read unit, beside the writer.
    pub async fn read<T, E>(
        &self,
        f: impl FnOnce(&mut dyn Unit) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.unit(Access::Read, f).await
    }

    async fn unit<T, E>(
        &self,
        access: Access,
        f: impl FnOnce(&mut dyn Unit) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let work: Work = Box::new(move |unit| {
            let result = f(unit);
            let finish = if result.is_ok() {
                Finish::Done
            } else {
                Finish::Failed
            };
            // The caller may have gone (its request was dropped): the work is done anyway.
            let _ = tx.send(result);
            finish
        });
        self.run(access, work).await?;
        rx.await.unwrap_or_else(|_| {
            Err(E::from(StoreError::Panicked(
                "the work did not finish".into(),
            )))
        })
    }
}
