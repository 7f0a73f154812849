//! The contract every pull source keeps ([`Source`]: fetch a round from its cursor), and the one loop that runs
//! them all ([`run`]). The loop owns what they share: health reporting, backoff with jitter, `Retry-After`, handing
//! batches over (waiting while the collector is busy: the bounded channel is the back-pressure), saying when a
//! source caught up, and shutdown. It ends at `shutdown` or when the collector closes the channel, whatever it is
//! doing then: fetching, handing over, or sleeping.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use super::backoff::{Backoff, HealthTracker};
use super::feed::{Batch, Health, SourceEvent};
use crate::model::Signal;

/// The longest `Retry-After` honoured. A server asking for hours is more likely misconfigured than right, and a
/// source waiting that long would look dead; it is still marked unhealthy meanwhile.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);

/// What one round brought.
#[derive(Debug, Default)]
pub struct Fetched {
    pub signals: Vec<Signal>,
    /// The cursor to save once these signals are committed; `None` when it did not move.
    pub cursor: Option<String>,
    /// More is waiting right away: fetch again without sleeping.
    pub more: bool,
    /// Part of the round failed while the rest worked (one bad Prometheus query): the source is reported
    /// unhealthy with this error, but keeps its pace so one bad part does not slow the rest.
    pub partial: Option<String>,
}

impl Fetched {
    pub fn new(signals: Vec<Signal>, cursor: Option<String>) -> Self {
        Fetched { signals, cursor, more: false, partial: None }
    }
}

/// A backend polled from a cursor: Loki, Elasticsearch, Alertmanager, Prometheus.
pub trait Source: Send {
    type Error: Display + Send;

    /// Names the backend in the log.
    fn kind(&self) -> &'static str;

    /// One round from the source's cursor. After an error the cursor is as it was, so the round is fetched again.
    fn fetch(&mut self) -> impl Future<Output = Result<Fetched, Self::Error>> + Send;

    /// How long the server asked to be left alone (`Retry-After`), if this failure says.
    fn retry_after(_error: &Self::Error) -> Option<Duration> {
        None
    }
}

/// How a source is paced and judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PullOptions {
    pub interval: Duration,
    /// This many failures in a row turn degraded into down...
    pub down_after_failures: u32,
    /// ...and so does failing this long.
    pub down_after: Duration,
    /// The first retry after a failure waits between half of this and this; each further one doubles the ceiling.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

impl PullOptions {
    /// Log sources: retries start at the poll interval, capped at a minute.
    pub fn new(interval: Duration, down_after: Duration) -> Self {
        PullOptions {
            interval,
            down_after_failures: 5,
            down_after,
            backoff_base: interval,
            backoff_cap: Duration::from_secs(60).max(interval),
        }
    }

    /// Alert sources: a first retry after about a second whatever the interval (an alert is worth hurrying
    /// for), capped near a few intervals.
    pub fn alerting(interval: Duration, down_after_failures: u32, down_after: Duration) -> Self {
        PullOptions {
            interval,
            down_after_failures,
            down_after,
            backoff_base: interval.clamp(Duration::from_millis(200), Duration::from_secs(1)),
            backoff_cap: (interval * 4).clamp(Duration::from_secs(5), Duration::from_secs(300)),
        }
    }
}

/// How a round ended, as the pacing sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome<'a> {
    Ok { more: bool },
    Partial { error: &'a str },
    Failed { error: &'a str, retry_after: Option<Duration> },
}

/// After a round: the health change to report, if any, and how long to wait before the next.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub health: Option<Health>,
    pub wait: Duration,
}

/// The loop's decisions, apart from its I/O: health from the outcomes, and the wait before the next round.
#[derive(Debug, Clone)]
pub struct Pacer {
    interval: Duration,
    health: HealthTracker,
    backoff: Backoff,
}

impl Pacer {
    pub fn new(opts: &PullOptions) -> Self {
        Pacer::with_backoff(opts, Backoff::new(opts.backoff_base, opts.backoff_cap))
    }

    /// With a given backoff (a seeded one, in tests).
    pub fn with_backoff(opts: &PullOptions, backoff: Backoff) -> Self {
        Pacer {
            interval: opts.interval,
            health: HealthTracker::new(opts.down_after_failures, opts.down_after),
            backoff,
        }
    }

    pub fn after(&mut self, outcome: Outcome<'_>, now: DateTime<Utc>) -> Step {
        match outcome {
            Outcome::Ok { more } => {
                self.backoff.reset();
                let wait = if more { Duration::ZERO } else { self.interval };
                Step { health: self.health.success(now), wait }
            }
            Outcome::Partial { error } => Step { health: self.health.failure(now, error), wait: self.interval },
            Outcome::Failed { error, retry_after } => {
                let delay = self.backoff.next_delay();
                let asked = retry_after.unwrap_or_default().min(MAX_RETRY_AFTER);
                Step { health: self.health.failure(now, error), wait: delay.max(asked) }
            }
        }
    }
}

/// Runs `source` until `shutdown` or until the collector drops its receiver. `name` names the source in its
/// events and in the log.
pub async fn run<S: Source>(
    mut source: S,
    name: &str,
    opts: PullOptions,
    tx: &mpsc::Sender<SourceEvent>,
    shutdown: impl Future<Output = ()>,
) {
    let mut pacer = Pacer::new(&opts);
    tokio::pin!(shutdown);
    loop {
        let result = tokio::select! {
            r = source.fetch() => r,
            () = &mut shutdown => return,
            () = tx.closed() => return,
        };
        let (step, fetched) = match result {
            Ok(f) => {
                let outcome = match &f.partial {
                    Some(error) => {
                        tracing::warn!(source = %name, "{} poll partly failed: {error}", source.kind());
                        Outcome::Partial { error }
                    }
                    None => Outcome::Ok { more: f.more },
                };
                (pacer.after(outcome, Utc::now()), Some(f))
            }
            Err(e) => {
                let error = e.to_string();
                let outcome = Outcome::Failed { error: &error, retry_after: S::retry_after(&e) };
                let step = pacer.after(outcome, Utc::now());
                tracing::warn!(source = %name, retry_in = ?step.wait, "{} poll failed: {error}", source.kind());
                (step, None)
            }
        };
        let mut events = Vec::with_capacity(3);
        if let Some(health) = step.health {
            events.push(SourceEvent::Health { source: name.to_string(), health });
        }
        if let Some(f) = fetched.filter(|f| !f.signals.is_empty() || f.cursor.is_some()) {
            events.push(SourceEvent::Batch(Batch {
                source: name.to_string(),
                signals: f.signals,
                cursor: f.cursor,
                ack: None,
            }));
        }
        if !step.wait.is_zero() {
            events.push(SourceEvent::Polled { source: name.to_string() });
        }
        for ev in events {
            tokio::select! {
                r = tx.send(ev) => if r.is_err() { return },
                () = &mut shutdown => return,
            }
        }
        tokio::select! {
            () = tokio::time::sleep(step.wait) => {}
            () = &mut shutdown => return,
            () = tx.closed() => return,
        }
    }
}

#[cfg(test)]
#[path = "pull_tests.rs"]
mod tests;
