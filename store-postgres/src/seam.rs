//! [`PgDatabase`] as the server's [`Backend`]: units of work on blocking threads, one
//! transaction each.

use std::panic::{AssertUnwindSafe, catch_unwind};

use onsite_store::backend::{BoxFuture, Connections};
use onsite_store::{Access, Backend, Finish, Live, Notice, StoreError, Unit, Work};

use crate::backend::{PgDatabase, begin_read, begin_write, send_notices};
use crate::unit::{PgUnit, pg_err};

impl Unit for PgUnit<'_, '_> {
    fn notify(&mut self, notice: Notice) {
        PgUnit::notify(self, notice);
    }
}

impl Backend for PgDatabase {
    fn connections(&self) -> Connections {
        let state = self.pool_state();
        Connections {
            open: state.connections,
            idle: state.idle_connections,
        }
    }

    fn run(&self, access: Access, work: Work) -> BoxFuture<'_, Result<(), StoreError>> {
        let db = self.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || db.run_work(access, work))
                .await
                .map_err(|e| StoreError::Panicked(e.to_string()))?
        })
    }

    fn live(&self) -> &Live {
        PgDatabase::live(self)
    }
}

impl PgDatabase {
    /// One unit of work in one transaction. As on the embedded database, what the work
    /// wrote is kept whether it succeeded or failed (handlers check before they write),
    /// its notices go out only when it succeeded, and a panic rolls everything back.
    fn run_work(&self, access: Access, work: Work) -> Result<(), StoreError> {
        let mut client = self.client()?;
        let mut tx = match access {
            Access::Read => begin_read(&mut client)?,
            Access::Write => begin_write(&mut client)?,
        };
        let mut unit = PgUnit::new(&mut tx);
        let finish = catch_unwind(AssertUnwindSafe(|| work(&mut unit)));
        let notices = unit.take_notices();
        match finish {
            Ok(Finish::Done) => {
                send_notices(&mut tx, &notices)?;
                tx.commit().map_err(pg_err)
            }
            Ok(Finish::Failed) => tx.commit().map_err(pg_err),
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panicked".into());
                tracing::error!(panic = %message, "database work panicked; its transaction was rolled back");
                // Dropping the transaction rolls it back.
                drop(tx);
                Err(StoreError::Panicked(message))
            }
        }
    }
}
