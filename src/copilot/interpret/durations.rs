//! Durations said in a question ("last 30 minutes", "for about 10 minutes", "an hour or so ago") and the rule
//! that reads hedged ones as rough.

use chrono::Duration;

use super::vocabulary::{HEDGES, ISH, NUMBER_WORDS, ROUGH_COUNTS};
use super::{low, Tok};

/// People underestimate how long something has been broken, and a hedged duration ("about 10 minutes", "a few
/// minutes", "an hour or so") is a guess: read it as "at least that, perhaps twice as long". A rough window reaches
/// back `ROUGH_FACTOR` times the stated length, and at least `ROUGH_FLOOR_MINUTES` more than it, so that a short
/// guess still holds an onset noticed late: "about 10 minutes" looks back 30, as a fault is often found a quarter
/// of an hour after it began.
const ROUGH_FACTOR: i32 = 2;
const ROUGH_FLOOR_MINUTES: i64 = 20;

/// How far back a rough duration reaches.
pub(super) fn rough_reach(len: Duration) -> Duration {
    let scaled = len.checked_mul(ROUGH_FACTOR).unwrap_or(len);
    scaled.max(len.checked_add(&Duration::minutes(ROUGH_FLOOR_MINUTES)).unwrap_or(len))
}

/// How a duration was used in the question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Said {
    /// "last 30 minutes", "past 2h": the window that ends now.
    Last,
    /// "for 10 minutes", "since 20 minutes ago": something ongoing, which began that long ago.
    Ongoing,
    /// "2 hours ago": a moment that long before now.
    Ago,
}

/// A duration said in the question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Relative {
    pub(super) len: Duration,
    pub(super) said: Said,
    /// Hedged: "about", "roughly", "a few", "or so", "10ish".
    pub(super) rough: bool,
    /// The words that said it, lowercase.
    pub(super) text: String,
}

/// An amount of time: its length, whether it was hedged, and the index of the token after it.
struct Amount {
    len: Duration,
    rough: bool,
    end: usize,
}

/// "last hour", "past 2h", "for about 10 minutes", "2 hours ago", "since a few minutes ago": the first duration
/// said, in question order.
pub(super) fn parse_relative(toks: &[Tok]) -> Option<Relative> {
    let text = |from: usize, to: usize| toks[from..to].iter().map(|t| t.low.as_str()).collect::<Vec<_>>().join(" ");
    for i in 0..toks.len() {
        let w = low(toks, i);
        if matches!(w, "last" | "past" | "previous") {
            if let Some(a) = parse_amount(toks, i + 1, true) {
                return Some(Relative { len: a.len, said: Said::Last, rough: a.rough, text: text(i, a.end) });
            }
        }
        // "for 10 minutes" (present perfect: still going on); "for 10 minutes ago" is read as "ago" below
        if w == "for" {
            if let Some(a) = parse_amount(toks, i + 1, false).filter(|a| low(toks, a.end) != "ago") {
                return Some(Relative { len: a.len, said: Said::Ongoing, rough: a.rough, text: text(i, a.end) });
            }
        }
        if let Some(a) = parse_amount(toks, i, false).filter(|a| low(toks, a.end) == "ago") {
            // "since 20 minutes ago" began then and goes on
            let since = i > 0 && matches!(low(toks, i - 1), "since" | "for");
            let (said, from) = if since { (Said::Ongoing, i - 1) } else { (Said::Ago, i) };
            return Some(Relative { len: a.len, said, rough: a.rough, text: text(from, a.end + 1) });
        }
    }
    None
}

/// A hedge, a count and a unit, and a trailing "or so": "about 10 minutes", "half an hour", "a couple of hours",
/// "an hour or so", "10ish min". A unit alone ("hour") counts only where `bare_unit` ("last hour").
fn parse_amount(toks: &[Tok], i: usize, bare_unit: bool) -> Option<Amount> {
    let hedged = HEDGES.contains(&low(toks, i));
    let start = if hedged { i + 1 } else { i };
    let (len, rough, end) = count_and_unit(toks, start, bare_unit && !hedged)?;
    let or_so = low(toks, end) == "or" && low(toks, end + 1) == "so";
    Some(Amount { len, rough: hedged || rough || or_so, end: if or_so { end + 2 } else { end } })
}

fn count_and_unit(toks: &[Tok], i: usize, bare_unit: bool) -> Option<(Duration, bool, usize)> {
    let w = low(toks, i);
    // "half an hour", "half hour"
    if w == "half" {
        let k = if matches!(low(toks, i + 1), "a" | "an") { i + 2 } else { i + 1 };
        let (u, rough) = unit_ish(low(toks, k))?;
        return Some((u / 2, rough, k + 1));
    }
    // "a few minutes", "a couple of hours", "few mins": rough by themselves
    let k = if matches!(w, "a" | "an") { i + 1 } else { i };
    if let Some((_, n)) = ROUGH_COUNTS.iter().find(|(c, _)| *c == low(toks, k)) {
        let k = if low(toks, k + 1) == "of" { k + 2 } else { k + 1 };
        let (u, _) = unit_ish(low(toks, k))?;
        return Some((scale(*n, u)?, true, k + 1));
    }
    if let Some((n, u)) = glued(w) {
        return Some((scale(n, u)?, false, i + 1));
    }
    if let Some((n, rough_n)) = number_ish(w) {
        if let Some((u, rough_u)) = unit_ish(low(toks, i + 1)) {
            return Some((scale(n, u)?, rough_n || rough_u, i + 2));
        }
    }
    // "last hour" (but not "last m")
    if bare_unit && w.len() > 1 {
        if let Some((u, rough)) = unit_ish(w) {
            return Some((u, rough, i + 1));
        }
    }
    None
}

fn scale(n: i64, u: Duration) -> Option<Duration> {
    u.checked_mul(i32::try_from(n).ok()?)
}

/// A word without its "-ish" ("10ish", "10-ish", "hour-ish"), and whether it had one.
pub(super) fn strip_ish(w: &str) -> (&str, bool) {
    match w.strip_suffix(ISH) {
        Some(body) if !body.is_empty() => (body.strip_suffix('-').unwrap_or(body), true),
        _ => (w, false),
    }
}

fn number_ish(w: &str) -> Option<(i64, bool)> {
    let (body, rough) = strip_ish(w);
    number(body).map(|n| (n, rough))
}

fn unit_ish(w: &str) -> Option<(Duration, bool)> {
    let (body, rough) = strip_ish(w);
    unit(body).map(|u| (u, rough))
}

fn number(w: &str) -> Option<i64> {
    match w {
        "a" | "an" => Some(1),
        _ => NUMBER_WORDS
            .iter()
            .position(|x| *x == w)
            .and_then(|p| i64::try_from(p + 1).ok())
            .or_else(|| (w.len() <= 6).then(|| w.parse::<i64>().ok()).flatten()),
    }
}

pub(super) fn unit(w: &str) -> Option<Duration> {
    match w {
        "m" | "min" | "mins" | "minute" | "minutes" => Some(Duration::minutes(1)),
        "h" | "hr" | "hrs" | "hour" | "hours" => Some(Duration::hours(1)),
        "d" | "day" | "days" => Some(Duration::days(1)),
        "w" | "week" | "weeks" => Some(Duration::weeks(1)),
        _ => None,
    }
}

/// "30m", "2h", "90min": a number glued to its unit.
fn glued(w: &str) -> Option<(i64, Duration)> {
    let split = w.find(|c: char| !c.is_ascii_digit())?;
    if split == 0 {
        return None;
    }
    Some((number(&w[..split])?, unit(&w[split..])?))
}

/// A duration the way the notes show it: "20 minutes", "3 hours", "2 days".
pub(super) fn spoken(d: Duration) -> String {
    let plural = |n: i64, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    if d.num_days() >= 2 && d == Duration::days(d.num_days()) {
        plural(d.num_days(), "day")
    } else if d.num_hours() >= 2 && d == Duration::hours(d.num_hours()) {
        plural(d.num_hours(), "hour")
    } else {
        plural(d.num_minutes(), "minute")
    }
}
