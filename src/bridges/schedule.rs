//! When to poll next (nightscout-connect `align_to_glucose` and its back-off): after a good
//! poll, at the next 5-minute step after the newest reading plus the vendor's lag and a random
//! jitter; after a failure, `backoff × 2^(failures−1)` capped at the maximum; after an answer
//! only the user can fix, the maximum. Pure functions, so the tests check the delays themselves.

use std::time::Duration;

use super::config::Timing;
use super::vendor::BridgeError;

/// A random number in `0..bound` (0 when `bound` is 0), from the std hasher's random keys.
pub fn random_below(bound: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    if bound == 0 {
        return 0;
    }
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    h.finish() % bound
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The wait after a good poll. `newest` is the newest reading stored (epoch ms), `jitter` a
/// random value in `0..timing.jitter`. The next reading is due at `newest + k × cadence` for the
/// smallest `k >= 1` that, with the lag, lies in the future; without any reading, one cadence.
/// A reading dated ahead of our clock (the vendor's clock runs fast) has just arrived: the next
/// one is due a cadence from now, not from its date, so we neither poll in a loop nor late.
pub fn after_success(t: &Timing, newest: Option<i64>, now: i64, jitter: Duration) -> Duration {
    let (cadence, lag) = (ms(t.cadence), ms(t.lag));
    let at = match newest {
        None => now + cadence,
        Some(last) => {
            let last = last.min(now);
            let behind = now - lag - last;
            let k = if behind < 0 { 1 } else { behind / cadence + 1 };
            last + k * cadence + lag
        }
    };
    Duration::from_millis(u64::try_from(at - now).unwrap_or(0)) + jitter
}

/// The wait after the `failures`-th failure in a row (1 for the first).
pub fn after_failure(t: &Timing, err: &BridgeError, failures: u32, jitter: Duration) -> Duration {
    if err.needs_user() {
        return t.max_backoff;
    }
    let exp = t.backoff.saturating_mul(1u32 << failures.saturating_sub(1).min(20));
    let wait = (exp + jitter).min(t.max_backoff);
    match err {
        // The vendor said how long to wait: never come back sooner.
        BridgeError::RateLimited { retry_after: Some(r), .. } => wait.max(*r),
        _ => wait,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn timing() -> Timing {
        Timing {
            cadence: Duration::from_secs(300),
            lag: Duration::from_secs(18),
            jitter: Duration::from_secs(18),
            backoff: Duration::from_secs(150),
            max_backoff: Duration::from_secs(3600),
            alert_after: Duration::from_secs(900),
        }
    }

    #[test]
    fn a_fresh_reading_schedules_the_poll_five_minutes_after_it_plus_the_lag() {
        let now = 1_000 * MIN;
        let d = after_success(&timing(), Some(now - MIN), now, Duration::ZERO);
        assert_eq!(d, Duration::from_millis((4 * MIN + 18_000) as u64));
        let j = after_success(&timing(), Some(now - MIN), now, Duration::from_millis(7_000));
        assert_eq!(j, d + Duration::from_millis(7_000));
    }

    #[test]
    fn a_stale_reading_schedules_the_next_five_minute_step_after_now() {
        let now = 1_000 * MIN;
        // 12 minutes old: steps at +5, +10, +15 → the one at +15 (3 min from now) plus the lag.
        let d = after_success(&timing(), Some(now - 12 * MIN), now, Duration::ZERO);
        assert_eq!(d, Duration::from_millis((3 * MIN + 18_000) as u64));
    }

    #[test]
    fn a_reading_just_due_waits_for_the_lag_not_a_whole_cadence() {
        let now = 1_000 * MIN;
        let d = after_success(&timing(), Some(now - 5 * MIN), now, Duration::ZERO);
        assert_eq!(d, Duration::from_secs(18));
    }

    #[test]
    fn a_reading_dated_ahead_of_our_clock_counts_as_just_arrived() {
        let now = 1_000 * MIN;
        let d = after_success(&timing(), Some(now + 3 * MIN), now, Duration::ZERO);
        assert_eq!(d, Duration::from_millis((5 * MIN + 18_000) as u64));
    }

    #[test]
    fn without_any_reading_the_next_poll_is_one_cadence_away() {
        assert_eq!(after_success(&timing(), None, 5, Duration::ZERO), Duration::from_secs(300));
    }

    #[test]
    fn failures_back_off_exponentially_up_to_the_cap() {
        let t = timing();
        let e = BridgeError::Transient("down".into());
        let waits: Vec<u64> = (1..=7).map(|n| after_failure(&t, &e, n, Duration::ZERO).as_secs()).collect();
        assert_eq!(waits, [150, 300, 600, 1200, 2400, 3600, 3600]);
        assert_eq!(after_failure(&t, &e, 1000, Duration::ZERO).as_secs(), 3600);
    }

    #[test]
    fn a_wrong_password_or_terms_to_accept_wait_the_longest_at_once() {
        let t = timing();
        for e in [BridgeError::BadCredentials("no".into()), BridgeError::NeedsAction("terms".into())] {
            assert_eq!(after_failure(&t, &e, 1, Duration::ZERO), t.max_backoff);
        }
    }

    #[test]
    fn a_rate_limit_waits_at_least_as_long_as_the_vendor_asks() {
        let t = timing();
        let e = BridgeError::RateLimited { message: "slow".into(), retry_after: Some(Duration::from_secs(900)) };
        assert_eq!(after_failure(&t, &e, 1, Duration::ZERO).as_secs(), 900);
        let e = BridgeError::RateLimited { message: "slow".into(), retry_after: None };
        assert_eq!(after_failure(&t, &e, 2, Duration::ZERO).as_secs(), 300);
    }

    #[test]
    fn random_values_stay_below_their_bound() {
        assert_eq!(random_below(0), 0);
        assert!((0..100).all(|_| random_below(7) < 7));
    }
}
