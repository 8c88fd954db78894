//! Sign-in attempts limited per account and per client address. The backend counts them,
//! so that a client spreading its attempts over several servers meets the same limits.

use std::net::IpAddr;
use std::sync::Arc;

use onsite_store::Backend;
use onsite_store::repo::accounts::{Admission, AttemptLimit};

use crate::error::ApiError;
use crate::passwords::valid_username;

#[derive(Debug, Clone, Copy)]
pub struct LoginLimiter {
    per_account: u32,
    per_address: u32,
}

impl LoginLimiter {
    /// `per_account` and `per_address` attempts in any minute.
    pub fn new(per_account: u32, per_address: u32) -> LoginLimiter {
        LoginLimiter {
            per_account: per_account.max(1),
            per_address: per_address.max(1),
        }
    }

    /// Counts an attempt, or refuses it with how long to wait (a refused attempt does not
    /// count). A name no account can have counts against the address only.
    pub async fn check(
        self,
        backend: &Arc<dyn Backend>,
        username: &str,
        address: IpAddr,
        now_ms: i64,
    ) -> Result<(), ApiError> {
        // Prefixed: a user name can look like an address.
        let account = valid_username(username).then(|| format!("account:{username}"));
        let address = format!("address:{address}");
        let admission = backend
            .write(move |unit| {
                let mut limits = vec![AttemptLimit {
                    key: &address,
                    per_window: self.per_address,
                }];
                if let Some(account) = &account {
                    limits.push(AttemptLimit {
                        key: account,
                        per_window: self.per_account,
                    });
                }
                unit.admit_attempt(&limits, now_ms).map_err(ApiError::from)
            })
            .await?;
        match admission {
            Admission::Admitted => Ok(()),
            Admission::RetryAfterMs(ms) => Err(ApiError::too_many_requests(
                u64::try_from(ms).unwrap_or(0).div_ceil(1000).max(1),
            )),
        }
    }
}
