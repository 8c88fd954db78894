//! Sign-in attempts limited per account and per client address.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::error::ApiError;

#[derive(Debug, Clone)]
pub struct LoginLimiter {
    per_account: Arc<DefaultKeyedRateLimiter<String>>,
    per_address: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl LoginLimiter {
    /// `per_account` and `per_address` attempts a minute, each with that burst.
    pub fn new(per_account: u32, per_address: u32) -> LoginLimiter {
        let quota =
            |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        LoginLimiter {
            per_account: Arc::new(DefaultKeyedRateLimiter::keyed(quota(per_account))),
            per_address: Arc::new(DefaultKeyedRateLimiter::keyed(quota(per_address))),
        }
    }

    pub fn check(&self, username: &str, address: IpAddr) -> Result<(), ApiError> {
        let clock = DefaultClock::default();
        let account = self.per_account.check_key(&username.to_string());
        let addr = self.per_address.check_key(&address);
        match account.and(addr) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(clock.now()).as_secs().max(1);
                Err(ApiError::too_many_requests(wait))
            }
        }
    }
}
