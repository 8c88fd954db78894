//! [`onsite_store::repo::Accounts`] on SQLite.

use onsite_domain::Role;
use onsite_store::repo::accounts::{
    Account, Accounts, Admission, AttemptLimit, Credentials, DeviceInfo, DeviceState, NewAccount,
    Refresh, WipeContact,
};
use onsite_store::{RepoError, StoreError};

use crate::backend::{SqliteUnit, db_err};
use crate::{accounts, attempts, db, sessions};

impl Accounts for SqliteUnit<'_> {
    fn account(&mut self, id: &str) -> Result<Option<Account>, StoreError> {
        accounts::by_id(self.conn(), id).map_err(db_err)
    }

    fn accounts(&mut self) -> Result<Vec<Account>, StoreError> {
        accounts::list(self.conn()).map_err(db_err)
    }

    fn credentials(&mut self, username: &str) -> Result<Option<Credentials>, StoreError> {
        accounts::credentials(self.conn(), username).map_err(db_err)
    }

    fn has_admin(&mut self) -> Result<bool, StoreError> {
        accounts::has_admin(self.conn()).map_err(db_err)
    }

    fn create_account(&mut self, new: &NewAccount) -> Result<Account, RepoError> {
        accounts::insert(self.conn(), new)
            .map_err(db_err)?
            .ok_or_else(|| {
                RepoError::refused(
                    "username_taken",
                    format!("username {:?} is taken", new.username),
                )
            })
    }

    fn update_account(
        &mut self,
        id: &str,
        display_name: Option<&str>,
        role: Option<Role>,
    ) -> Result<Option<Account>, StoreError> {
        let conn = self.conn();
        if !accounts::update(conn, id, display_name, role).map_err(db_err)? {
            return Ok(None);
        }
        accounts::by_id(conn, id).map_err(db_err)
    }

    fn set_disabled(&mut self, id: &str, disabled: bool) -> Result<bool, StoreError> {
        accounts::set_disabled(self.conn(), id, disabled).map_err(db_err)
    }

    fn set_password_hash(&mut self, id: &str, password_hash: &str) -> Result<bool, StoreError> {
        accounts::set_password_hash(self.conn(), id, password_hash).map_err(db_err)
    }

    fn delete_account(&mut self, id: &str) -> Result<bool, StoreError> {
        accounts::delete(self.conn(), id).map_err(db_err)
    }

    fn jwt_secret(&mut self) -> Result<String, StoreError> {
        db::meta(self.conn(), "jwt_secret")
            .map_err(db_err)?
            .ok_or_else(|| {
                StoreError::Unavailable(
                    "the database has no token signing secret; it was not initialised".into(),
                )
            })
    }

    fn device_state(&mut self, user_id: &str, device_id: &str) -> Result<DeviceState, StoreError> {
        sessions::device_state(self.conn(), user_id, device_id).map_err(db_err)
    }

    fn touch_device(&mut self, user_id: &str, device_id: &str) -> Result<(), StoreError> {
        sessions::touch_device(self.conn(), user_id, device_id).map_err(db_err)
    }

    fn issue_refresh(
        &mut self,
        user_id: &str,
        device_id: &str,
        lifetime_secs: i64,
    ) -> Result<String, StoreError> {
        sessions::issue_refresh(self.conn(), user_id, device_id, None, lifetime_secs)
            .map_err(db_err)
    }

    fn rotate_refresh(&mut self, token: &str, lifetime_secs: i64) -> Result<Refresh, StoreError> {
        sessions::rotate(self.conn(), token, lifetime_secs).map_err(db_err)
    }

    fn wipe_contact(&mut self, token: &str) -> Result<Option<WipeContact>, StoreError> {
        sessions::wipe_contact(self.conn(), token).map_err(db_err)
    }

    fn logout(&mut self, token: &str) -> Result<bool, StoreError> {
        sessions::logout(self.conn(), token).map_err(db_err)
    }

    fn revoke_sessions(&mut self, user_id: &str) -> Result<(), StoreError> {
        sessions::revoke_user(self.conn(), user_id).map_err(db_err)
    }

    fn revoke_device(
        &mut self,
        user_id: &str,
        device_id: &str,
        wipe: bool,
    ) -> Result<bool, StoreError> {
        sessions::revoke_device(self.conn(), user_id, device_id, wipe).map_err(db_err)
    }

    fn devices(&mut self, user_id: &str) -> Result<Vec<DeviceInfo>, StoreError> {
        sessions::devices(self.conn(), user_id).map_err(db_err)
    }

    fn admit_attempt(
        &mut self,
        limits: &[AttemptLimit<'_>],
        now_ms: i64,
    ) -> Result<Admission, StoreError> {
        attempts::admit(self.conn(), limits, now_ms).map_err(db_err)
    }

    fn attempts_kept(&mut self) -> Result<u64, StoreError> {
        attempts::kept(self.conn()).map_err(db_err)
    }
}
