//! [`onsite_store::repo::Accounts`] on SQLite.

use onsite_domain::Role;
use onsite_store::repo::accounts::{
    Account, Accounts, Credentials, DeviceInfo, DeviceState, NewAccount, Refresh, WipeContact,
};
use onsite_store::{RepoError, StoreError};

use crate::backend::{SqliteUnit, db_err};
use crate::{accounts, db, sessions};

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

    fn issue_refresh(&mut self, user_id: &str, device_id: &str) -> Result<String, StoreError> {
        sessions::issue_refresh(self.conn(), user_id, device_id, None).map_err(db_err)
    }

    fn rotate_refresh(&mut self, token: &str) -> Result<Refresh, StoreError> {
        sessions::rotate(self.conn(), token).map_err(db_err)
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
}

#[cfg(test)]
mod tests {
    use onsite_store::Unit;

    use super::*;
    use crate::SqliteBackend;

    fn with_unit<T>(f: impl FnOnce(&mut dyn Unit) -> Result<T, RepoError>) -> T {
        let dir = tempfile::tempdir().unwrap();
        let backend = SqliteBackend::open(dir.path()).unwrap();
        backend.write_blocking(f).unwrap()
    }

    fn new(username: &str, role: Role) -> NewAccount {
        NewAccount {
            username: username.into(),
            display_name: username.into(),
            role,
            password_hash: format!("hash-of-{username}"),
        }
    }

    #[test]
    fn accounts_are_created_once_per_username_and_keep_their_hash() {
        with_unit(|unit| {
            assert!(!unit.has_admin()?);
            let wang = unit.create_account(&new("wang", Role::Technician))?;
            let again = unit.create_account(&new("wang", Role::Admin));
            assert!(
                matches!(&again, Err(RepoError::Refused(r)) if r.code == "username_taken"),
                "{again:?}"
            );
            assert!(!unit.has_admin()?, "the refused admin was not created");
            assert_eq!(unit.account(&wang.id)?.as_ref(), Some(&wang));
            let found = unit.credentials("wang")?.unwrap();
            assert_eq!(found.account, wang);
            assert_eq!(found.password_hash, "hash-of-wang");
            assert!(unit.set_password_hash(&wang.id, "another")?);
            let found = unit.credentials("wang")?.unwrap();
            assert_eq!(found.password_hash, "another");
            assert_eq!(found.account.token_version, 1);
            assert!(!unit.set_password_hash("nobody", "x")?);
            Ok(())
        });
    }

    #[test]
    fn a_role_change_ends_access_tokens_and_a_name_change_does_not() {
        with_unit(|unit| {
            let li = unit.create_account(&new("li", Role::Technician))?;
            let renamed = unit.update_account(&li.id, Some("Li Lei"), None)?.unwrap();
            assert_eq!(
                (renamed.display_name.as_str(), renamed.token_version),
                ("Li Lei", 0)
            );
            let same_role = unit
                .update_account(&li.id, None, Some(Role::Technician))?
                .unwrap();
            assert_eq!(same_role.token_version, 0);
            let promoted = unit
                .update_account(&li.id, None, Some(Role::Admin))?
                .unwrap();
            assert_eq!((promoted.role, promoted.token_version), (Role::Admin, 1));
            assert!(unit.has_admin()?);
            assert_eq!(unit.update_account("nobody", Some("x"), None)?, None);
            assert!(unit.delete_account(&li.id)?);
            assert_eq!(unit.account(&li.id)?, None);
            assert!(unit.accounts()?.is_empty());
            Ok(())
        });
    }

    #[test]
    fn a_refresh_token_works_once_and_its_reuse_ends_the_sign_in() {
        with_unit(|unit| {
            let wang = unit.create_account(&new("wang", Role::Technician))?;
            unit.touch_device(&wang.id, "phone")?;
            let first = unit.issue_refresh(&wang.id, "phone")?;
            let Refresh::Rotated { token: second, .. } = unit.rotate_refresh(&first)? else {
                panic!("a fresh token rotates");
            };
            assert_eq!(unit.rotate_refresh(&first)?, Refresh::Reused);
            assert_eq!(unit.rotate_refresh(&second)?, Refresh::Invalid);
            assert_eq!(unit.rotate_refresh("unknown")?, Refresh::Invalid);
            let devices = unit.devices(&wang.id)?;
            assert_eq!(devices.len(), 1);
            assert_eq!(devices[0].active_sessions, 0);
            Ok(())
        });
    }

    #[test]
    fn a_device_revoked_for_a_wipe_gets_one_final_upload() {
        with_unit(|unit| {
            let wang = unit.create_account(&new("wang", Role::Technician))?;
            unit.touch_device(&wang.id, "phone")?;
            let token = unit.issue_refresh(&wang.id, "phone")?;
            assert_eq!(unit.wipe_contact(&token)?, None);
            assert!(unit.revoke_device(&wang.id, "phone", true)?);
            assert!(!unit.revoke_device(&wang.id, "never-seen", true)?);
            assert_eq!(
                unit.device_state(&wang.id, "phone")?,
                DeviceState {
                    revoked: true,
                    wipe: true
                }
            );
            assert_eq!(
                unit.wipe_contact(&token)?,
                Some(WipeContact::FinalUpload {
                    user_id: wang.id.clone(),
                    device_id: "phone".into()
                })
            );
            assert_eq!(unit.wipe_contact(&token)?, Some(WipeContact::Wipe));
            assert_eq!(
                unit.device_state(&wang.id, "tablet")?,
                DeviceState::default()
            );
            Ok(())
        });
    }

    #[test]
    fn logging_out_ends_the_sign_in_and_revoking_ends_them_all() {
        with_unit(|unit| {
            let wang = unit.create_account(&new("wang", Role::Technician))?;
            let a = unit.issue_refresh(&wang.id, "phone")?;
            let b = unit.issue_refresh(&wang.id, "tablet")?;
            let c = unit.issue_refresh(&wang.id, "laptop")?;
            assert!(unit.logout(&a)?);
            assert!(!unit.logout("unknown")?);
            assert_eq!(unit.rotate_refresh(&a)?, Refresh::Invalid);
            unit.revoke_sessions(&wang.id)?;
            assert_eq!(unit.rotate_refresh(&b)?, Refresh::Invalid);
            assert_eq!(unit.rotate_refresh(&c)?, Refresh::Invalid);
            assert!(!unit.jwt_secret()?.is_empty());
            Ok(())
        });
    }
}
