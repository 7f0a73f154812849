//! What live source tasks hand to the collector, and how they report their health.
//!
//! Sources only send [`SourceEvent`]s over a bounded channel; the collector owns the store, commits,
//! and saves a source's cursor only after the batch that produced it is durable. A crash between the
//! two replays the batch, and stable record ids make the replay an overwrite, not a duplicate.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::oneshot;

use crate::model::Signal;

/// Normalized signals from one source.
#[derive(Debug)]
pub struct Batch {
    /// The source's configured name (`SourceConfig::name`, or `kind` when unnamed).
    pub source: String,
    pub signals: Vec<Signal>,
    /// The resume point after this batch, saved once the signals are committed.
    pub cursor: Option<String>,
    /// Answered once the batch is committed (or failed): push receivers reply to their client with it.
    pub ack: Option<oneshot::Sender<Result<(), String>>>,
}

impl Batch {
    pub fn new(source: impl Into<String>, signals: Vec<Signal>) -> Self {
        Batch { source: source.into(), signals, cursor: None, ack: None }
    }
}

/// A source's health as the status bar and `doctor` show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum Health {
    Starting,
    Ok {
        since: DateTime<Utc>,
    },
    /// Failing, but retrying within its backoff; the last error says why.
    Degraded {
        since: DateTime<Utc>,
        error: String,
    },
    /// Failing for longer than the degraded grace period.
    Down {
        since: DateTime<Utc>,
        error: String,
    },
}

#[derive(Debug)]
pub enum SourceEvent {
    Batch(Batch),
    Health {
        source: String,
        health: Health,
    },
    /// A pull source finished a poll round (caught up, or failed and will retry): `collect --once` waits for one
    /// from every source.
    Polled {
        source: String,
    },
}

/// A source's saved cursor, read back. An unreadable one starts afresh with a warning:
/// the stores are idempotent, so re-reading is safe, and a cursor is never worth a crash.
pub fn cursor_from_json<T: serde::de::DeserializeOwned + Default>(cursor: Option<&str>, what: &str) -> T {
    match cursor.map(serde_json::from_str::<T>) {
        None => T::default(),
        Some(Ok(c)) => c,
        Some(Err(e)) => {
            tracing::warn!(error = %e, "ignoring an unreadable {what} cursor");
            T::default()
        }
    }
}

pub fn cursor_to_json<T: Serialize>(cursor: &T) -> String {
    serde_json::to_string(cursor).unwrap_or_default()
}
