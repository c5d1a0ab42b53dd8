//! Per-socket budgets for the events that cost the server (a write, or a full payload sent back):
//! a token bucket per socket, generous enough for an uploader catching up after a day offline
//! (AndroidAPS's v1 client sends one `dbAdd` per item and waits for its ack), small enough that one
//! socket cannot tie up the store or make the server send megabytes in a loop. Nightscout has none.

use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Write events (`dbAdd`, `dbUpdate`, `dbUpdateUnset`, `dbRemove`): a burst of this many...
pub const WRITE_BURST: f64 = 500.0;
/// ...then this many a second.
pub const WRITES_PER_SEC: f64 = 100.0;
/// Events answered with the full payload (`authorize`, `loadRetro`): a burst of this many...
pub const FULL_BURST: f64 = 10.0;
/// ...then one every 2 seconds.
pub const FULL_PER_SEC: f64 = 0.5;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// One socket's budgets, kept in its extensions.
#[derive(Clone, Debug)]
pub struct Budget {
    writes: Arc<Mutex<Bucket>>,
    full: Arc<Mutex<Bucket>>,
}

fn take(b: &Mutex<Bucket>, burst: f64, per_sec: f64, now: Instant) -> bool {
    let mut b = b.lock().unwrap_or_else(|p| p.into_inner());
    b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * per_sec).min(burst);
    b.at = now;
    if b.tokens >= 1.0 {
        b.tokens -= 1.0;
        true
    } else {
        false
    }
}

impl Budget {
    pub fn new() -> Budget {
        let now = Instant::now();
        Budget {
            writes: Arc::new(Mutex::new(Bucket { tokens: WRITE_BURST, at: now })),
            full: Arc::new(Mutex::new(Bucket { tokens: FULL_BURST, at: now })),
        }
    }

    /// True when one more write event fits the budget.
    pub fn write(&self) -> bool {
        take(&self.writes, WRITE_BURST, WRITES_PER_SEC, Instant::now())
    }

    /// True when one more full-payload event fits the budget.
    pub fn full(&self) -> bool {
        take(&self.full, FULL_BURST, FULL_PER_SEC, Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_its_rate() {
        let b = Mutex::new(Bucket { tokens: 3.0, at: Instant::now() });
        let t0 = Instant::now();
        assert!((0..3).all(|_| take(&b, 3.0, 2.0, t0)));
        assert!(!take(&b, 3.0, 2.0, t0), "the burst is spent");
        assert!(take(&b, 3.0, 2.0, t0 + Duration::from_millis(500)), "half a second at 2/s is one more");
        assert!(!take(&b, 3.0, 2.0, t0 + Duration::from_millis(500)));
        let later = t0 + Duration::from_secs(60);
        assert!((0..3).all(|_| take(&b, 3.0, 2.0, later)), "it refills up to the burst, no further");
        assert!(!take(&b, 3.0, 2.0, later));
    }
}
