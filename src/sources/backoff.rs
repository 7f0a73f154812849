//! Retry pacing and health reporting for pull sources.
//!
//! [`Backoff`] spaces retries of a failing backend (capped exponential, full jitter, so many
//! firewatch instances do not retry in lockstep); [`HealthTracker`] turns the stream of
//! successes and failures into the few [`Health`] transitions the status bar shows.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use crate::sources::feed::{Health, SourceEvent};

/// Capped exponential backoff with full jitter: the n-th retry waits a uniform random time
/// in `[floor, min(cap, base * 2^n)]`, where `floor` is half of `base` so that a zero draw
/// never turns into a busy loop.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
    rng: XorShift,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Self {
        // Seeded from the clock and a process-wide counter: different sources, different jitter.
        static SEQ: AtomicU64 = AtomicU64::new(1);
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or(0) as u64;
        let seq = SEQ.fetch_add(1, Ordering::Relaxed).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Backoff::with_seed(base, cap, nanos ^ seq)
    }

    pub fn with_seed(base: Duration, cap: Duration, seed: u64) -> Self {
        Backoff { base, cap: cap.max(base), attempt: 0, rng: XorShift::new(seed) }
    }

    /// The delay before the next retry; each call doubles the ceiling up to the cap.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        let floor = (self.base / 2).min(ceiling);
        let span = ceiling.saturating_sub(floor).as_millis() as u64;
        let jitter = if span == 0 { 0 } else { self.rng.next() % (span + 1) };
        floor + Duration::from_millis(jitter)
    }

    /// The upper bound of the next delay.
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.attempt.min(31)).unwrap_or(u32::MAX);
        self.base.checked_mul(factor).map_or(self.cap, |d| d.min(self.cap))
    }

    /// After a success the next failure starts from `base` again.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// Consecutive failures since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }
}

/// xorshift64*: plenty for jitter, and no dependency.
#[derive(Debug, Clone)]
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> Self {
        // Zero is xorshift's fixed point.
        XorShift(if seed == 0 { 0x9E37_79B9_7F4A_7C15 } else { seed })
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Starting,
    Ok,
    Degraded,
    Down,
}

/// Health from successes and failures: the first failure makes a source Degraded; after
/// `down_after_failures` consecutive failures, or `down_after` since the first one, it is Down;
/// a success makes it Ok. Methods return `Some` only when the state changes, so a source can
/// send exactly the transitions.
#[derive(Debug, Clone)]
pub struct HealthTracker {
    state: State,
    since: Option<DateTime<Utc>>,
    failures: u32,
    first_failure: Option<DateTime<Utc>>,
    last_error: String,
    down_after_failures: u32,
    down_after: Duration,
}

impl Default for HealthTracker {
    fn default() -> Self {
        HealthTracker::new(5, Duration::from_secs(60))
    }
}

impl HealthTracker {
    pub fn new(down_after_failures: u32, down_after: Duration) -> Self {
        HealthTracker {
            state: State::Starting,
            since: None,
            failures: 0,
            first_failure: None,
            last_error: String::new(),
            down_after_failures: down_after_failures.max(1),
            down_after,
        }
    }

    pub fn success(&mut self, now: DateTime<Utc>) -> Option<Health> {
        self.failures = 0;
        self.first_failure = None;
        self.transition(State::Ok, now)
    }

    pub fn failure(&mut self, now: DateTime<Utc>, error: impl Into<String>) -> Option<Health> {
        self.failures = self.failures.saturating_add(1);
        let first = *self.first_failure.get_or_insert(now);
        self.last_error = error.into();
        let failing_for = (now - first).to_std().unwrap_or_default();
        let next = if self.failures >= self.down_after_failures || failing_for >= self.down_after {
            State::Down
        } else {
            State::Degraded
        };
        // Once down, a source stays down until a success: it does not bounce back to degraded.
        let next = if self.state == State::Down { State::Down } else { next };
        self.transition(next, now)
    }

    /// Consecutive failures so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    pub fn current(&self) -> Health {
        let since = self.since.unwrap_or_else(Utc::now);
        let error = self.last_error.clone();
        match self.state {
            State::Starting => Health::Starting,
            State::Ok => Health::Ok { since },
            State::Degraded => Health::Degraded { since, error },
            State::Down => Health::Down { since, error },
        }
    }

    fn transition(&mut self, next: State, now: DateTime<Utc>) -> Option<Health> {
        if next == self.state {
            return None;
        }
        self.state = next;
        self.since = Some(now);
        Some(self.current())
    }
}

/// Sends a health transition, if there is one. `false` when the collector has gone away,
/// which is the source's cue to stop.
pub async fn report(tx: &mpsc::Sender<SourceEvent>, source: &str, change: Option<Health>) -> bool {
    match change {
        Some(health) => tx.send(SourceEvent::Health { source: source.to_string(), health }).await.is_ok(),
        None => !tx.is_closed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_cap_with_jitter_and_resets() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(2);
        let mut b = Backoff::with_seed(base, cap, 42);
        let mut ceilings = Vec::new();
        for _ in 0..10 {
            let ceiling = b.ceiling();
            let d = b.next_delay();
            assert!(d >= base / 2 && d <= ceiling, "{d:?} outside [{:?}, {ceiling:?}]", base / 2);
            ceilings.push(ceiling.as_millis());
        }
        assert_eq!(ceilings, [100, 200, 400, 800, 1600, 2000, 2000, 2000, 2000, 2000]);
        assert_eq!(b.attempts(), 10);
        b.reset();
        assert_eq!(b.ceiling(), base);
        // Jitter: many draws at the cap are spread, not one value.
        let mut b = Backoff::with_seed(base, cap, 7);
        let draws: std::collections::BTreeSet<_> = (0..50).map(|_| b.next_delay()).collect();
        assert!(draws.len() > 20, "{draws:?}");
        // Huge attempt counts do not overflow.
        for _ in 0..100 {
            assert!(b.next_delay() <= cap);
        }
    }

    #[test]
    fn different_seeds_differ() {
        let mut a = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        let mut b = Backoff::with_seed(Duration::from_secs(1), Duration::from_secs(60), 1);
        let xs: Vec<_> = (0..8).map(|_| a.next_delay()).collect();
        let ys: Vec<_> = (0..8).map(|_| b.next_delay()).collect();
        assert_ne!(xs, ys);
    }

    #[test]
    fn health_transitions_only_on_change() {
        let t0 = Utc::now();
        let at = |s: i64| t0 + chrono::Duration::seconds(s);
        let mut h = HealthTracker::new(3, Duration::from_secs(60));
        assert_eq!(h.current(), Health::Starting);
        assert_eq!(h.success(at(0)), Some(Health::Ok { since: at(0) }));
        assert_eq!(h.success(at(1)), None);
        assert_eq!(
            h.failure(at(2), "connection refused"),
            Some(Health::Degraded { since: at(2), error: "connection refused".into() })
        );
        assert_eq!(h.failure(at(3), "connection refused"), None);
        assert_eq!(h.failure(at(4), "timed out"), Some(Health::Down { since: at(4), error: "timed out".into() }));
        assert_eq!(h.failure(at(5), "timed out"), None);
        assert_eq!(h.success(at(6)), Some(Health::Ok { since: at(6) }));
        // Down by elapsed time, before the failure count is reached.
        assert!(matches!(h.failure(at(10), "x"), Some(Health::Degraded { .. })));
        assert!(matches!(h.failure(at(71), "x"), Some(Health::Down { .. })));
        // A failure straight from Starting.
        let mut h = HealthTracker::new(1, Duration::from_secs(60));
        assert!(matches!(h.failure(at(0), "x"), Some(Health::Down { .. })));
    }

    #[tokio::test]
    async fn report_sends_changes_and_notices_a_closed_channel() {
        let (tx, mut rx) = mpsc::channel(4);
        assert!(report(&tx, "am", None).await);
        assert!(report(&tx, "am", Some(Health::Starting)).await);
        assert!(matches!(rx.recv().await, Some(SourceEvent::Health { health: Health::Starting, .. })));
        drop(rx);
        assert!(!report(&tx, "am", None).await);
        assert!(!report(&tx, "am", Some(Health::Starting)).await);
    }
}
