//! How long to wait before trying again after a failure: from one second, doubling up to a
//! cap, each wait drawn at random between the delay and twice it (backon's jitter), so that
//! a fleet that lost its server at one moment does not come back at one moment.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};

/// The first wait after a failure (before jitter).
const FIRST: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub(crate) struct Retry {
    cap: Duration,
    waits: Option<ExponentialBackoff>,
}

impl Retry {
    /// Waits that double up to `cap` (before jitter: a wait is at most twice it).
    pub(crate) fn new(cap: Duration) -> Retry {
        Retry { cap, waits: None }
    }

    /// After a failure: how long to wait before the next attempt.
    pub(crate) fn after_failure(&mut self) -> Duration {
        let cap = self.cap.max(FIRST);
        self.waits
            .get_or_insert_with(|| {
                ExponentialBuilder::default()
                    .with_min_delay(FIRST)
                    .with_max_delay(cap)
                    .with_jitter()
                    .without_max_times()
                    .build()
            })
            .next()
            .unwrap_or(cap)
    }

    /// After a success: the next failure waits the first delay again.
    pub(crate) fn reset(&mut self) {
        self.waits = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn waits_double_with_jitter_up_to_twice_the_cap_and_start_over_after_a_success() {
        let mut retry = Retry::new(secs(8));
        let waits: Vec<Duration> = (0..8).map(|_| retry.after_failure()).collect();
        for (i, (wait, delay)) in waits.iter().zip([1, 2, 4, 8, 8, 8, 8, 8]).enumerate() {
            assert!(
                *wait >= secs(delay) && *wait < secs(2 * delay),
                "wait {i}: {wait:?} not in [{delay} s, {} s)",
                2 * delay
            );
        }
        retry.reset();
        let first = retry.after_failure();
        assert!(first >= secs(1) && first < secs(2), "{first:?}");
    }

    #[test]
    fn a_fleet_does_not_wait_in_lockstep() {
        let firsts: std::collections::BTreeSet<Duration> = (0..20)
            .map(|_| Retry::new(secs(60)).after_failure())
            .collect();
        assert!(
            firsts.len() > 1,
            "20 devices drew the same wait: {firsts:?}"
        );
    }
}
