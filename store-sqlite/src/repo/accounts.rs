//! [`onsite_store::repo::Accounts`] on SQLite.

use onsite_store::StoreError;
use onsite_store::repo::accounts::{Account, Accounts};

use crate::accounts;
use crate::backend::{SqliteUnit, db_err};

impl Accounts for SqliteUnit<'_> {
    fn account(&mut self, id: &str) -> Result<Option<Account>, StoreError> {
        accounts::by_id(self.conn(), id).map_err(db_err)
    }
}
