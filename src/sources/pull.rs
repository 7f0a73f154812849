//! The loop every polling source runs: fetch from its cursor, report health, hand the batch over (waiting while
//! the collector is busy: the bounded channel is the back-pressure), say when it has caught up, then sleep, or
//! back off after a failure. It ends at `shutdown` or when the collector closes the channel.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc;

use super::backoff::{report, Backoff, HealthTracker};
use super::feed::{Batch, SourceEvent};
use crate::model::Signal;

/// What one fetch brought.
pub struct Fetched {
    pub signals: Vec<Signal>,
    /// The cursor after these signals, saved by the collector once they are committed.
    pub cursor: Option<String>,
    /// More is waiting right away: fetch again without sleeping.
    pub more: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct PullOptions {
    pub interval: Duration,
    /// Failing this long turns degraded into down.
    pub down_after: Duration,
}

/// Runs `fetch` until `shutdown`. `fetch` takes the source's state (its cursor) and gives it back, unchanged
/// after a failure, so a failed page is fetched again. `kind` names the backend in the log.
pub async fn run<S, E, F, Fut>(
    kind: &str,
    source: &str,
    opts: PullOptions,
    tx: &mpsc::Sender<SourceEvent>,
    shutdown: impl Future<Output = ()>,
    mut state: S,
    mut fetch: F,
) where
    E: Display,
    F: FnMut(S) -> Fut,
    Fut: Future<Output = (S, Result<Fetched, E>)>,
{
    let mut health = HealthTracker::new(5, opts.down_after);
    let mut backoff = Backoff::new(opts.interval, Duration::from_secs(60));
    tokio::pin!(shutdown);
    loop {
        let (next, result) = fetch(state).await;
        state = next;
        let wait = match result {
            Ok(f) => {
                if !report(tx, source, health.success(Utc::now())).await {
                    return;
                }
                backoff.reset();
                if !f.signals.is_empty() {
                    let batch = Batch { source: source.to_string(), signals: f.signals, cursor: f.cursor, ack: None };
                    tokio::select! {
                        r = tx.send(SourceEvent::Batch(batch)) => if r.is_err() { return },
                        () = &mut shutdown => return,
                    }
                }
                if f.more {
                    Duration::ZERO
                } else {
                    opts.interval
                }
            }
            Err(e) => {
                tracing::warn!(source = %source, "{kind} poll failed: {e}");
                if !report(tx, source, health.failure(Utc::now(), e.to_string())).await {
                    return;
                }
                backoff.next_delay()
            }
        };
        if !wait.is_zero() && tx.send(SourceEvent::Polled { source: source.to_string() }).await.is_err() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = &mut shutdown => return,
        }
        if tx.is_closed() {
            return;
        }
    }
}
