//! Question interpreter: a plain question becomes services, regions, a symptom and a time
//! window. Pure: "now" and the user's timezone come in as a parameter, nothing is read, and
//! every guess is written to `notes` so the answer can show how the question was understood.
//!
//! - `vocabulary`: the word tables.
//! - `entities`: the symptom, regions and services named.
//! - `time`: clock times, days, durations (exact and rough), periods, and the window they make.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

mod durations;
mod entities;
mod time;
mod vocabulary;

#[cfg(test)]
mod tests;

pub use vocabulary::{symptom_words, time_words};

/// Names actually seen in the data, lowercase.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    pub services: Vec<String>,
    pub regions: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Symptom {
    Latency,
    Errors,
    Saturation,
    Availability,
    Restarts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interpretation {
    pub services: Vec<String>,
    pub regions: Vec<String>,
    pub symptom: Option<Symptom>,
    pub window: Window,
    pub notes: Vec<String>,
    /// The moment the window was made around ("at 08:10", "about 30 minutes ago"), if it was; set where the window
    /// is made, so nothing reads it back from the notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<DateTime<Utc>>,
}

impl Interpretation {
    /// The moment asked about, when the window was made around one ("at 08:10", "about 30 minutes ago"): what
    /// people saw then was caused by something that had begun by then.
    pub fn moment(&self) -> Option<DateTime<Utc>> {
        self.anchor
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("{0} does not exist in this timezone")]
    Nonexistent(NaiveDateTime),
    #[error("{0} is out of range")]
    OutOfRange(NaiveDateTime),
}

/// Half-width of the window around a point in time ("at 3pm", "around 15:05").
pub(crate) const AROUND_MINUTES: i64 = 30;
/// Longest relative window accepted ("last 5000 days" is capped).
pub(crate) const MAX_RELATIVE_DAYS: i64 = 90;

pub fn interpret<Tz: TimeZone>(question: &str, now: DateTime<Tz>, known: &Known) -> Interpretation {
    let toks = tokenize(question);
    let mut notes = Vec::new();
    let regions = entities::match_regions(&toks, known, &mut notes);
    let services = entities::match_services(&toks, known, &mut notes);
    let symptom = entities::match_symptom(&toks, &mut notes);
    let mut ctx = time::Ctx::new(now, notes);
    let window = time::resolve_window(&toks, &mut ctx);
    Interpretation { services, regions, symptom, window, notes: ctx.notes, anchor: ctx.anchor }
}

// ---------------------------------------------------------------- tokens

struct Tok {
    raw: String,
    low: String,
}

fn tokenize(q: &str) -> Vec<Tok> {
    q.split(|c: char| !(c.is_alphanumeric() || matches!(c, ':' | '-' | '+' | '.' | '\'' | '_' | '’')))
        .filter_map(|t| {
            let t = t.trim_end_matches(['.', '\'', ':', '’', '-']).trim_start_matches(['\'', '’', '.']);
            // a leading '-' survives only as the sign of an offset like -05:00
            let t = if t.starts_with('-') && !t[1..].starts_with(|c: char| c.is_ascii_digit()) {
                t.trim_start_matches('-')
            } else {
                t
            };
            (!t.is_empty()).then(|| Tok { raw: t.to_string(), low: t.to_lowercase().replace('’', "'") })
        })
        .collect()
}

fn low(toks: &[Tok], i: usize) -> &str {
    toks.get(i).map_or("", |t| t.low.as_str())
}
