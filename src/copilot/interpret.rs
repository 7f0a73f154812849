//! Question interpreter: a plain question becomes services, regions, a symptom and a time
//! window. Pure: "now" and the user's timezone come in as a parameter, nothing is read, and
//! every guess is written to `notes` so the answer can show how the question was understood.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset};
use chrono::{TimeZone, Timelike, Utc, Weekday};
use serde::{Deserialize, Serialize};

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
}

impl Interpretation {
    /// The moment asked about, when the window was made around one ("at 08:10", "about 30 minutes ago"): what
    /// people saw then was caused by something that had begun by then.
    pub fn moment(&self) -> Option<DateTime<Utc>> {
        self.notes
            .iter()
            .any(|n| n.starts_with("around"))
            .then(|| self.window.start + Duration::minutes(AROUND_MINUTES))
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
const AROUND_MINUTES: i64 = 30;
/// Longest relative window accepted ("last 5000 days" is capped).
const MAX_RELATIVE_DAYS: i64 = 90;

pub fn interpret<Tz: TimeZone>(question: &str, now: DateTime<Tz>, known: &Known) -> Interpretation {
    let toks = tokenize(question);
    let mut notes = Vec::new();
    let regions = match_regions(&toks, known, &mut notes);
    let services = match_services(&toks, known, &mut notes);
    let symptom = match_symptom(&toks, &mut notes);
    let mut ctx = Ctx { tz: now.timezone(), now: now.with_timezone(&Utc), notes };
    let window = resolve_window(&toks, &mut ctx);
    Interpretation { services, regions, symptom, window, notes: ctx.notes }
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

// ---------------------------------------------------------------- words

const STOP: &[&str] = &[
    "a",
    "an",
    "the",
    "and",
    "or",
    "but",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "did",
    "do",
    "does",
    "doing",
    "done",
    "why",
    "what",
    "what's",
    "whats",
    "when",
    "where",
    "which",
    "who",
    "how",
    "in",
    "on",
    "at",
    "of",
    "for",
    "to",
    "from",
    "by",
    "with",
    "about",
    "around",
    "since",
    "between",
    "into",
    "during",
    "after",
    "before",
    "until",
    "till",
    "it",
    "its",
    "it's",
    "this",
    "that",
    "these",
    "those",
    "there",
    "here",
    "i",
    "we",
    "you",
    "they",
    "me",
    "my",
    "our",
    "us",
    "your",
    "any",
    "some",
    "all",
    "not",
    "no",
    "yes",
    "can",
    "can't",
    "cannot",
    "could",
    "should",
    "would",
    "will",
    "has",
    "have",
    "had",
    "so",
    "very",
    "too",
    "up",
    "out",
    "off",
    "then",
    "than",
    "just",
    "still",
    "again",
    "now",
    "get",
    "got",
    "getting",
    "go",
    "going",
    "went",
    "see",
    "seeing",
    "seen",
    "show",
    "tell",
    "explain",
    "happen",
    "happened",
    "happening",
    "wrong",
    "issue",
    "issues",
    "problem",
    "problems",
    "incident",
    "incidents",
    "alert",
    "alerts",
    "service",
    "services",
    "region",
    "regions",
    "look",
    "looks",
    "looking",
    "check",
    "checking",
    "started",
    "start",
    "starting",
    "stop",
    "stopped",
    "keep",
    "keeps",
    "lot",
    "lots",
    "more",
    "less",
    "many",
    "much",
    "high",
    "higher",
    "spike",
    "spikes",
    "spiking",
    "spiked",
    "increase",
    "increased",
    "drop",
    "dropped",
    "please",
    "hey",
    "hi",
    "whole",
    "everything",
    "something",
    "anything",
    "users",
    "user",
    "customers",
    "customer",
    "request",
    "requests",
    "traffic",
    "cause",
    "caused",
    "causing",
    "root",
    "deploy",
    "deployed",
    "deployment",
    "release",
    "why's",
    "seems",
    "seem",
    "being",
    "throwing",
    "throw",
    "across",
];

const TIME_WORDS: &[&str] = &[
    "today",
    "yesterday",
    "tonight",
    "morning",
    "afternoon",
    "evening",
    "night",
    "overnight",
    "last",
    "past",
    "previous",
    "hour",
    "hours",
    "minute",
    "minutes",
    "min",
    "mins",
    "day",
    "days",
    "week",
    "weeks",
    "ago",
    "am",
    "pm",
    "noon",
    "midnight",
    "utc",
    "gmt",
    "recent",
    "recently",
    "earlier",
    "currently",
    "right",
];

/// Parts of service names too generic to identify one ("order-service").
const GENERIC_PARTS: &[&str] = &[
    "service",
    "services",
    "svc",
    "api",
    "app",
    "server",
    "srv",
    "prod",
    "production",
    "staging",
    "dev",
    "main",
    "core",
    "v1",
    "v2",
    "v3",
    "internal",
    "public",
];

/// Question word -> what a matching service name contains (substring) or has as a part.
struct Synonym {
    words: &'static [&'static str],
    contains: &'static [&'static str],
    parts: &'static [&'static str],
}

const SYNONYMS: &[Synonym] = &[
    Synonym {
        words: &["db", "dbs", "database", "databases", "postgres", "postgresql", "pg", "psql", "sql"],
        contains: &["postgres", "mysql", "mariadb", "database"],
        parts: &["db", "pg", "sql"],
    },
    Synonym {
        words: &["cache", "caches", "caching", "redis", "memcache", "memcached"],
        contains: &["redis", "cache", "memcache"],
        parts: &[],
    },
    Synonym {
        words: &["frontend", "front-end", "web", "ui", "website", "site"],
        contains: &["frontend", "front-end"],
        parts: &["web", "ui", "www", "site"],
    },
    Synonym {
        words: &["auth", "login", "logins", "signin", "sign-in", "sso", "authentication", "oauth"],
        contains: &["auth", "login", "identity"],
        parts: &["sso"],
    },
    Synonym {
        words: &["queue", "queues", "kafka", "rabbitmq", "broker"],
        contains: &["kafka", "rabbit", "queue"],
        parts: &["mq", "sqs"],
    },
    Synonym { words: &["gateway", "ingress", "proxy", "api"], contains: &["gateway", "ingress", "proxy"], parts: &[] },
];

const MONTHS: &[(&str, u32)] = &[
    ("jan", 1),
    ("january", 1),
    ("feb", 2),
    ("february", 2),
    ("mar", 3),
    ("march", 3),
    ("apr", 4),
    ("april", 4),
    ("may", 5),
    ("jun", 6),
    ("june", 6),
    ("jul", 7),
    ("july", 7),
    ("aug", 8),
    ("august", 8),
    ("sep", 9),
    ("sept", 9),
    ("september", 9),
    ("oct", 10),
    ("october", 10),
    ("nov", 11),
    ("november", 11),
    ("dec", 12),
    ("december", 12),
];

const WEEKDAYS: &[(&str, Weekday)] = &[
    ("monday", Weekday::Mon),
    ("tuesday", Weekday::Tue),
    ("wednesday", Weekday::Wed),
    ("thursday", Weekday::Thu),
    ("friday", Weekday::Fri),
    ("saturday", Weekday::Sat),
    ("sunday", Weekday::Sun),
];

fn month(w: &str) -> Option<u32> {
    MONTHS.iter().find(|(n, _)| *n == w).map(|(_, m)| *m)
}

// ---------------------------------------------------------------- symptom

/// (word, symptom, strength): the strongest wins, ties go to the earliest word.
const SYMPTOM_WORDS: &[(&str, Symptom, u8)] = &[
    ("latency", Symptom::Latency, 2),
    ("latencies", Symptom::Latency, 2),
    ("p99", Symptom::Latency, 2),
    ("p95", Symptom::Latency, 2),
    ("p90", Symptom::Latency, 2),
    ("p50", Symptom::Latency, 2),
    ("timeout", Symptom::Latency, 2),
    ("timeouts", Symptom::Latency, 2),
    ("timed-out", Symptom::Latency, 2),
    ("slow", Symptom::Latency, 1),
    ("slower", Symptom::Latency, 1),
    ("slowness", Symptom::Latency, 1),
    ("slowly", Symptom::Latency, 1),
    ("slowed", Symptom::Latency, 1),
    ("sluggish", Symptom::Latency, 1),
    ("lag", Symptom::Latency, 1),
    ("laggy", Symptom::Latency, 1),
    ("hanging", Symptom::Latency, 1),
    ("delay", Symptom::Latency, 1),
    ("delays", Symptom::Latency, 1),
    ("delayed", Symptom::Latency, 1),
    ("error", Symptom::Errors, 2),
    ("errors", Symptom::Errors, 2),
    ("5xx", Symptom::Errors, 2),
    ("4xx", Symptom::Errors, 2),
    ("500", Symptom::Errors, 2),
    ("500s", Symptom::Errors, 2),
    ("502", Symptom::Errors, 2),
    ("502s", Symptom::Errors, 2),
    ("503s", Symptom::Errors, 2),
    ("exception", Symptom::Errors, 2),
    ("exceptions", Symptom::Errors, 2),
    ("failing", Symptom::Errors, 2),
    ("failure", Symptom::Errors, 2),
    ("failures", Symptom::Errors, 2),
    ("failed", Symptom::Errors, 2),
    ("fails", Symptom::Errors, 2),
    ("crash", Symptom::Errors, 1),
    ("crashes", Symptom::Errors, 1),
    ("crashed", Symptom::Errors, 1),
    ("crashing", Symptom::Errors, 1),
    ("panic", Symptom::Errors, 1),
    ("panics", Symptom::Errors, 1),
    ("broken", Symptom::Errors, 1),
    ("cpu", Symptom::Saturation, 2),
    ("memory", Symptom::Saturation, 2),
    ("oom", Symptom::Saturation, 2),
    ("saturated", Symptom::Saturation, 2),
    ("saturation", Symptom::Saturation, 2),
    ("throttling", Symptom::Saturation, 2),
    ("throttled", Symptom::Saturation, 2),
    ("exhausted", Symptom::Saturation, 2),
    ("disk", Symptom::Saturation, 1),
    ("full", Symptom::Saturation, 1),
    ("pool", Symptom::Saturation, 1),
    ("mem", Symptom::Saturation, 1),
    ("ram", Symptom::Saturation, 1),
    ("leak", Symptom::Saturation, 1),
    ("heap", Symptom::Saturation, 1),
    ("down", Symptom::Availability, 2),
    ("unavailable", Symptom::Availability, 2),
    ("outage", Symptom::Availability, 2),
    ("unreachable", Symptom::Availability, 2),
    ("offline", Symptom::Availability, 2),
    ("503", Symptom::Availability, 2),
    ("crashloop", Symptom::Restarts, 3),
    ("crash-loop", Symptom::Restarts, 3),
    ("crashlooping", Symptom::Restarts, 3),
    ("crash-looping", Symptom::Restarts, 3),
    ("crashloopbackoff", Symptom::Restarts, 3),
    ("oomkilled", Symptom::Restarts, 3),
    ("oom-killed", Symptom::Restarts, 3),
    ("restart", Symptom::Restarts, 2),
    ("restarts", Symptom::Restarts, 2),
    ("restarted", Symptom::Restarts, 2),
    ("restarting", Symptom::Restarts, 2),
    ("reboot", Symptom::Restarts, 2),
    ("reboots", Symptom::Restarts, 2),
    ("rebooted", Symptom::Restarts, 2),
    ("rebooting", Symptom::Restarts, 2),
];

const SYMPTOM_PHRASES: &[(&[&str], Symptom, u8)] = &[
    (&["crash", "loop"], Symptom::Restarts, 3),
    (&["crash", "looping"], Symptom::Restarts, 3),
    (&["out", "of", "memory"], Symptom::Saturation, 2),
    (&["can't", "reach"], Symptom::Availability, 2),
    (&["cannot", "reach"], Symptom::Availability, 2),
    (&["can", "not", "reach"], Symptom::Availability, 2),
    (&["not", "reachable"], Symptom::Availability, 2),
    (&["not", "responding"], Symptom::Availability, 2),
    (&["timed", "out"], Symptom::Latency, 2),
    (&["took", "long"], Symptom::Latency, 1),
    (&["taking", "long"], Symptom::Latency, 1),
    (&["takes", "long"], Symptom::Latency, 1),
    (&["took", "forever"], Symptom::Latency, 1),
];

fn is_symptom_word(w: &str) -> bool {
    SYMPTOM_WORDS.iter().any(|(s, _, _)| *s == w)
}

fn match_symptom(toks: &[Tok], notes: &mut Vec<String>) -> Option<Symptom> {
    let mut best: Option<(u8, Symptom, String)> = None;
    for i in 0..toks.len() {
        let mut found: Option<(Symptom, u8, String)> = None;
        for (phrase, s, w) in SYMPTOM_PHRASES {
            if phrase.iter().enumerate().all(|(k, p)| low(toks, i + k) == *p) {
                found = Some((*s, *w, phrase.join(" ")));
                break;
            }
        }
        if found.is_none() {
            let word = low(toks, i);
            // "slow down", "scaled down" are not outages
            let prev = if i > 0 { low(toks, i - 1) } else { "" };
            let skip = word == "down" && (prev.starts_with("slow") || prev.starts_with("scal") || prev == "wind");
            if !skip {
                found = SYMPTOM_WORDS.iter().find(|(t, _, _)| *t == word).map(|(t, s, w)| (*s, *w, t.to_string()));
            }
        }
        if let Some((s, w, word)) = found {
            if best.as_ref().is_none_or(|(bw, _, _)| w > *bw) {
                best = Some((w, s, word));
            }
        }
    }
    match best {
        Some((_, s, word)) => {
            notes.push(format!("symptom {} from '{word}'", symptom_name(s)));
            Some(s)
        }
        None => {
            notes.push("no symptom named".to_string());
            None
        }
    }
}

fn symptom_name(s: Symptom) -> &'static str {
    match s {
        Symptom::Latency => "latency",
        Symptom::Errors => "errors",
        Symptom::Saturation => "saturation",
        Symptom::Availability => "availability",
        Symptom::Restarts => "restarts",
    }
}

// ---------------------------------------------------------------- regions

/// Shorthand -> region name prefixes it stands for.
fn region_shorthand(tok: &Tok, next: &str) -> Option<&'static [&'static str]> {
    match tok.low.as_str() {
        "eu" | "europe" | "emea" | "european" => Some(&["eu-", "europe-"]),
        "usa" | "america" | "americas" => Some(&["us-"]),
        // lowercase "us" is nearly always the pronoun
        "us" if tok.raw == "US" || next.starts_with("region") => Some(&["us-"]),
        "apac" | "asia" | "asia-pacific" => Some(&["ap-", "asia-"]),
        _ => None,
    }
}

fn is_region_word(w: &str) -> bool {
    matches!(w, "eu" | "europe" | "emea" | "european" | "usa" | "america" | "americas" | "apac" | "asia")
}

fn match_regions(toks: &[Tok], known: &Known, notes: &mut Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, tok) in toks.iter().enumerate() {
        let known_lc = known.regions.iter().map(|r| r.to_lowercase());
        let hits: Vec<String> = if let Some(prefixes) = region_shorthand(tok, low(toks, i + 1)) {
            known_lc.filter(|r| prefixes.iter().any(|p| r.starts_with(p))).collect()
        } else if tok.low.contains('-') && tok.low.len() >= 4 {
            // "us-east" covers us-east-1, us-east-2 (and gcp's us-east1)
            known_lc
                .filter(|r| {
                    *r == tok.low
                        || r.strip_prefix(tok.low.as_str())
                            .is_some_and(|rest| rest.starts_with(|c: char| c == '-' || c.is_ascii_digit()))
                })
                .collect()
        } else {
            known_lc.filter(|r| *r == tok.low).collect()
        };
        let named = region_shorthand(tok, low(toks, i + 1)).is_some();
        if hits.is_empty() {
            if named {
                notes.push(format!("'{}' names no known region", tok.raw));
            }
            continue;
        }
        if hits.len() > 1 || hits[0] != tok.low {
            notes.push(format!("'{}' matched regions {}", tok.raw, hits.join(", ")));
        }
        for h in hits {
            if !out.contains(&h) {
                out.push(h);
            }
        }
    }
    if out.is_empty() {
        notes.push("no region named: all regions".to_string());
    }
    out
}

// ---------------------------------------------------------------- services

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tier {
    Name,
    Part,
    Synonym,
    Prefix,
    Typo,
}

fn parts(name: &str) -> impl Iterator<Item = &str> {
    name.split(['-', '_', '.', ' ']).filter(|p| !p.is_empty() && !GENERIC_PARTS.contains(p))
}

/// Singular and plural of one noun ("payments"/"payment", "queries"/"query").
fn same_noun(a: &str, b: &str) -> bool {
    let one = |x: &str, y: &str| {
        x.strip_suffix('s').is_some_and(|s| s == y)
            || x.strip_suffix("es").is_some_and(|s| s == y)
            || x.strip_suffix("ies").is_some_and(|s| format!("{s}y") == y)
    };
    a == b || one(a, b) || one(b, a)
}

/// Optimal string alignment distance (Damerau-Levenshtein with adjacent swaps).
fn osa(a: &[char], b: &[char]) -> usize {
    let m = b.len();
    let mut prev2: Vec<usize> = vec![0; m + 1];
    let mut prev: Vec<usize> = (0..=m).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; m + 1];
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
        }
        prev2 = std::mem::replace(&mut prev, cur);
    }
    prev[m]
}

fn typo_budget(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// Best tier at which `word` names `service`, with the edit distance for typos.
fn service_match(word: &str, service: &str) -> Option<(Tier, usize)> {
    if same_noun(word, service) {
        return Some((Tier::Name, 0));
    }
    if parts(service).any(|p| same_noun(word, p)) {
        return Some((Tier::Part, 0));
    }
    if SYNONYMS.iter().any(|s| {
        s.words.contains(&word)
            && (s.contains.iter().any(|c| service.contains(c)) || parts(service).any(|p| s.parts.contains(&p)))
    }) {
        return Some((Tier::Synonym, 0));
    }
    if word.chars().any(|c| c.is_ascii_digit()) || word.len() > 40 {
        return None;
    }
    let n = word.chars().count();
    let targets = || std::iter::once(service).chain(parts(service));
    if n >= 4 && targets().any(|t| t.len() > word.len() && t.starts_with(word)) {
        return Some((Tier::Prefix, 0));
    }
    let budget = typo_budget(n);
    if budget == 0 {
        return None;
    }
    let w: Vec<char> = word.chars().collect();
    targets()
        .filter(|t| t.chars().count() >= 4 && t.chars().count().abs_diff(n) <= budget)
        .map(|t| osa(&w, &t.chars().collect::<Vec<_>>()))
        .filter(|d| *d <= budget)
        .min()
        .map(|d| (Tier::Typo, d))
}

fn match_services(toks: &[Tok], known: &Known, notes: &mut Vec<String>) -> Vec<String> {
    let services: Vec<String> = known.services.iter().map(|s| s.to_lowercase()).collect();
    let mut out: Vec<String> = Vec::new();
    for tok in toks {
        let word = tok.low.strip_suffix("'s").unwrap_or(&tok.low);
        let exact_name = services.iter().any(|s| s == word);
        let ignored = STOP.contains(&word)
            || TIME_WORDS.contains(&word)
            || is_symptom_word(word)
            || is_region_word(word)
            || month(word).is_some()
            || WEEKDAYS.iter().any(|(d, _)| *d == word)
            || known.regions.iter().any(|r| r.eq_ignore_ascii_case(word))
            // "us-east" is a region shorthand, not a service
            || (word.contains('-') && known.regions.iter().any(|r| r.to_lowercase().starts_with(word)));
        if ignored && !exact_name {
            continue;
        }
        let scored: Vec<(&String, Tier, usize)> =
            services.iter().filter_map(|s| service_match(word, s).map(|(t, d)| (s, t, d))).collect();
        let Some(best) = scored.iter().map(|(_, t, d)| (*t, *d)).min() else { continue };
        for (s, t, d) in scored.iter().filter(|(_, t, d)| (*t, *d) == best) {
            let how = match t {
                Tier::Name if word == s.as_str() => String::new(),
                Tier::Name => " (same word)".to_string(),
                Tier::Part => " (part of the name)".to_string(),
                Tier::Synonym => " (synonym)".to_string(),
                Tier::Prefix => " (prefix)".to_string(),
                Tier::Typo => format!(" (typo, {d} edit{})", if *d == 1 { "" } else { "s" }),
            };
            notes.push(format!("'{}' matched service {s}{how}", tok.raw));
            if !out.contains(s) {
                out.push((*s).clone());
            }
        }
    }
    if out.is_empty() {
        notes.push("no service named: all services".to_string());
    }
    out
}

// ---------------------------------------------------------------- time

struct Ctx<Tz: TimeZone> {
    tz: Tz,
    now: DateTime<Utc>,
    notes: Vec<String>,
}

fn localize<T: TimeZone>(tz: &T, naive: NaiveDateTime) -> Result<DateTime<Utc>, TimeError> {
    // From the offsets in force half a day either side, not `from_local_datetime`: chrono's
    // `Local` reports a repeated hour as a single instant (the second pass).
    let mut found: Vec<DateTime<Utc>> = Vec::new();
    for hours in [-12, 12] {
        let probe = naive.checked_add_signed(Duration::hours(hours)).ok_or(TimeError::OutOfRange(naive))?;
        let off = tz.offset_from_utc_datetime(&probe).fix();
        let Some(t) = naive.checked_sub_signed(Duration::seconds(off.local_minus_utc().into())) else { continue };
        let t = DateTime::<Utc>::from_naive_utc_and_offset(t, Utc);
        if tz.offset_from_utc_datetime(&t.naive_utc()).fix() == off && !found.contains(&t) {
            found.push(t);
        }
    }
    // a repeated hour (DST end): the first pass is the likelier one
    found.into_iter().min().ok_or(TimeError::Nonexistent(naive))
}

fn add(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(t)
}

fn sub(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_sub_signed(d).unwrap_or(t)
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

fn day_before(d: NaiveDate) -> NaiveDate {
    d.pred_opt().unwrap_or(d)
}

fn day_after(d: NaiveDate) -> NaiveDate {
    d.succ_opt().unwrap_or(d)
}

impl<Tz: TimeZone> Ctx<Tz> {
    fn today(&self, zone: Option<FixedOffset>) -> NaiveDate {
        match zone {
            Some(z) => self.now.with_timezone(&z).date_naive(),
            None => self.now.with_timezone(&self.tz).date_naive(),
        }
    }

    fn local_hour(&self) -> u32 {
        self.now.with_timezone(&self.tz).hour()
    }

    fn try_at(&self, naive: NaiveDateTime, zone: Option<FixedOffset>) -> Result<DateTime<Utc>, TimeError> {
        match zone {
            Some(z) => localize(&z, naive),
            None => localize(&self.tz, naive),
        }
    }

    fn at(&mut self, date: NaiveDate, time: NaiveTime, zone: Option<FixedOffset>) -> DateTime<Utc> {
        let naive = date.and_time(time);
        match self.try_at(naive, zone) {
            Ok(t) => t,
            Err(e) => {
                // a skipped hour (DST start): the clock meant the hour after
                let note = format!("{e}: using an hour later");
                if !self.notes.contains(&note) {
                    self.notes.push(note);
                }
                let later = naive.checked_add_signed(Duration::hours(1)).ok_or(TimeError::OutOfRange(naive));
                later
                    .and_then(|l| self.try_at(l, zone))
                    .unwrap_or_else(|_| DateTime::from_naive_utc_and_offset(naive, Utc))
            }
        }
    }

    fn fmt(&self, t: DateTime<Utc>) -> String {
        let l = t.with_timezone(&self.tz);
        format!("{} {}", l.naive_local().format("%Y-%m-%d %H:%M"), l.offset().fix())
    }

    /// Caps the end at now and writes the resulting window to the notes.
    fn window(&mut self, what: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> Window {
        let end = end.max(start);
        let (start, end, capped) = if start > self.now {
            self.notes.push(format!("{what} is in the future"));
            (start, end, false)
        } else if end > self.now {
            (start, self.now, true)
        } else {
            (start, end, false)
        };
        let cap = if capped { " (capped at now)" } else { "" };
        self.notes.push(format!("{what}: {} to {}{cap}", self.fmt(start), self.fmt(end)));
        Window { start, end }
    }

    fn around(&mut self, what: &str, t: DateTime<Utc>) -> Window {
        let d = Duration::minutes(AROUND_MINUTES);
        self.window(what, sub(t, d), add(t, d))
    }
}

/// A time of day: "15:00", "15:05:30", "3pm", "3:30 pm", "noon"; a bare hour only when `bare`.
fn parse_clock(toks: &[Tok], i: usize, bare: bool) -> Option<(NaiveTime, usize)> {
    let w = low(toks, i);
    match w {
        "noon" | "midday" => return Some((hm(12, 0), 1)),
        "midnight" => return Some((hm(0, 0), 1)),
        _ => {}
    }
    let (body, mut ampm, mut used) = if let Some(b) = w.strip_suffix("am").or_else(|| w.strip_suffix("a.m")) {
        (b, Some(false), 1)
    } else if let Some(b) = w.strip_suffix("pm").or_else(|| w.strip_suffix("p.m")) {
        (b, Some(true), 1)
    } else {
        (w, None, 1)
    };
    let nums: Vec<&str> = body.split(':').collect();
    if nums.is_empty() || nums.len() > 3 || nums.iter().any(|n| n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    if nums[0].len() > 2 || nums[1..].iter().any(|n| n.len() != 2) {
        return None;
    }
    if ampm.is_none() {
        match low(toks, i + 1) {
            "am" | "a.m" => (ampm, used) = (Some(false), 2),
            "pm" | "p.m" => (ampm, used) = (Some(true), 2),
            _ => {}
        }
    }
    if ampm.is_none() && nums.len() == 1 && !bare {
        return None;
    }
    let n = |k: usize| nums.get(k).and_then(|s| s.parse::<u32>().ok()).unwrap_or(0);
    let (mut h, m, s) = (n(0), n(1), n(2));
    if let Some(pm) = ampm {
        if !(1..=12).contains(&h) {
            return None;
        }
        h = match (pm, h) {
            (false, 12) => 0,
            (true, 12) => 12,
            (true, h) => h + 12,
            (false, h) => h,
        };
    }
    NaiveTime::from_hms_opt(h, m, s).map(|t| (t, used))
}

fn parse_zone(w: &str) -> Option<FixedOffset> {
    match w {
        "utc" | "gmt" | "z" => return FixedOffset::east_opt(0),
        _ => {}
    }
    let sign = match w.chars().next() {
        Some('+') => 1,
        Some('-') => -1,
        _ => return None,
    };
    let digits: String = w[1..].chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !matches!(digits.len(), 1 | 2 | 4) {
        return None;
    }
    let (h, m) = if digits.len() == 4 { (&digits[..2], &digits[2..]) } else { (digits.as_str(), "0") };
    let secs = h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60;
    FixedOffset::east_opt(sign * secs)
}

#[derive(Clone)]
struct Clock {
    idx: usize,
    end: usize,
    time: NaiveTime,
    zone: Option<FixedOffset>,
    text: String,
    /// "at 3": no minutes and no am/pm
    bare: bool,
}

fn clocks(toks: &[Tok], skip: &[bool]) -> Vec<Clock> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let prev = if i > 0 { low(toks, i - 1) } else { "" };
        // the end of a range may be bare too: "between 9 and 11"
        let range_end =
            matches!(prev, "and" | "to" | "until" | "till") && out.last().is_some_and(|c: &Clock| c.end + 1 == i);
        let bare = range_end
            || matches!(prev, "at" | "around" | "about" | "approximately" | "since" | "after" | "between" | "from");
        match parse_clock(toks, i, bare).filter(|_| !skip[i]) {
            Some((time, used)) => {
                let zone = parse_zone(low(toks, i + used));
                let end = i + used + usize::from(zone.is_some());
                let text = toks[i..end].iter().map(|t| t.raw.as_str()).collect::<Vec<_>>().join(" ");
                let bare = used == 1 && toks[i].low.bytes().all(|b| b.is_ascii_digit());
                out.push(Clock { idx: i, end, time, zone, text, bare });
                i = end;
            }
            None => i += 1,
        }
    }
    out
}

/// A calendar day named in the question, and the tokens it used.
struct DayRef {
    date: NaiveDate,
    text: String,
    explicit: bool,
    used: Vec<usize>,
}

fn parse_day<Tz: TimeZone>(toks: &[Tok], ctx: &mut Ctx<Tz>) -> Option<DayRef> {
    let today = ctx.today(None);
    for (i, tok) in toks.iter().enumerate() {
        let w = tok.low.as_str();
        if let Ok(date) = NaiveDate::parse_from_str(w, "%Y-%m-%d") {
            return Some(DayRef { date, text: tok.raw.clone(), explicit: true, used: vec![i] });
        }
        match w {
            "yesterday" => {
                return Some(DayRef { date: day_before(today), text: tok.raw.clone(), explicit: true, used: vec![i] })
            }
            "today" => return Some(DayRef { date: today, text: tok.raw.clone(), explicit: true, used: vec![i] }),
            _ => {}
        }
        if let Some((_, wd)) = WEEKDAYS.iter().find(|(d, _)| *d == w) {
            // the latest such day, today included unless it says "last monday"
            let strict = i > 0 && low(toks, i - 1) == "last";
            let mut d = if strict { day_before(today) } else { today };
            for _ in 0..7 {
                if d.weekday() == *wd {
                    break;
                }
                d = day_before(d);
            }
            return Some(DayRef { date: d, text: tok.raw.clone(), explicit: true, used: vec![i] });
        }
        let day_num = |s: &str| -> Option<u32> {
            let s = s.trim_end_matches(',');
            let s = ["st", "nd", "rd", "th"].iter().find_map(|x| s.strip_suffix(x)).unwrap_or(s);
            (s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
        };
        let md = match (month(w), day_num(low(toks, i + 1))) {
            (Some(m), Some(d)) => Some((m, d, i + 1)),
            _ => match (day_num(w), month(low(toks, i + 1))) {
                (Some(d), Some(m)) => Some((m, d, i + 1)),
                _ => None,
            },
        };
        if let Some((m, d, last)) = md {
            let year_tok = low(toks, last + 1);
            let year = (year_tok.len() == 4).then(|| year_tok.parse::<i32>().ok()).flatten();
            let mut used = vec![i, last];
            let text = format!("{} {}", tok.raw, toks[last].raw);
            let date = match year {
                Some(y) => {
                    used.push(last + 1);
                    NaiveDate::from_ymd_opt(y, m, d)
                }
                None => NaiveDate::from_ymd_opt(today.year(), m, d).and_then(|date| {
                    if date > today {
                        // no year: the latest such date not in the future
                        ctx.notes.push(format!("'{text}' is later this year: read as last year"));
                        NaiveDate::from_ymd_opt(today.year() - 1, m, d)
                    } else {
                        Some(date)
                    }
                }),
            };
            match date {
                Some(date) => return Some(DayRef { date, text, explicit: true, used }),
                None => ctx.notes.push(format!("'{text}' is not a date")),
            }
        }
    }
    None
}

fn number(w: &str) -> Option<i64> {
    let words = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];
    match w {
        "a" | "an" => Some(1),
        _ => words
            .iter()
            .position(|x| *x == w)
            .map(|p| p as i64 + 1)
            .or_else(|| (w.len() <= 6).then(|| w.parse::<i64>().ok()).flatten()),
    }
}

fn unit(w: &str) -> Option<Duration> {
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

/// "last hour", "past 2h", "last 30 minutes", "2 hours ago": (length, ago, tokens).
fn parse_relative(toks: &[Tok]) -> Option<(Duration, bool, String)> {
    let scale = |n: i64, u: Duration| u.checked_mul(i32::try_from(n).ok()?);
    for i in 0..toks.len() {
        let w = low(toks, i);
        if matches!(w, "last" | "past" | "previous") {
            if let Some(u) = unit(low(toks, i + 1)).filter(|_| toks[i + 1].low.len() > 1) {
                return Some((u, false, format!("{w} {}", low(toks, i + 1))));
            }
            if let Some((n, u)) = glued(low(toks, i + 1)) {
                return Some((scale(n, u)?, false, format!("{w} {}", low(toks, i + 1))));
            }
            if let (Some(n), Some(u)) = (number(low(toks, i + 1)), unit(low(toks, i + 2))) {
                return Some((scale(n, u)?, false, format!("{w} {} {}", low(toks, i + 1), low(toks, i + 2))));
            }
        }
        if low(toks, i + 1) == "ago" {
            if let Some((n, u)) = glued(w) {
                return Some((scale(n, u)?, true, format!("{w} ago")));
            }
        }
        if low(toks, i + 2) == "ago" {
            if let (Some(n), Some(u)) = (number(w), unit(low(toks, i + 1))) {
                // "half an hour ago"
                let half = i > 0 && low(toks, i - 1) == "half";
                let d = if half { u / 2 } else { scale(n, u)? };
                let text = format!("{}{w} {} ago", if half { "half " } else { "" }, low(toks, i + 1));
                return Some((d, true, text));
            }
        }
    }
    None
}

#[derive(Clone, Copy)]
enum Period {
    Morning,
    Afternoon,
    Evening,
    Night,
    Tonight,
}

fn parse_period(toks: &[Tok]) -> Option<(Period, String, bool)> {
    for i in 0..toks.len() {
        let w = low(toks, i);
        let p = match w {
            "morning" => Period::Morning,
            "afternoon" => Period::Afternoon,
            "evening" => Period::Evening,
            "tonight" => Period::Tonight,
            "night" | "overnight" => Period::Night,
            _ => continue,
        };
        let last = i > 0 && low(toks, i - 1) == "last";
        return Some((p, if last { format!("last {w}") } else { w.to_string() }, last));
    }
    None
}

fn resolve_window<Tz: TimeZone>(toks: &[Tok], ctx: &mut Ctx<Tz>) -> Window {
    // full timestamps: "2026-11-20T03:10:00Z", "2026-11-20T03:10" (local)
    let stamps: Vec<(DateTime<Utc>, &str)> = toks
        .iter()
        .filter_map(|t| {
            if !t.low.contains('t') || !t.low.starts_with(|c: char| c.is_ascii_digit()) {
                return None;
            }
            if let Ok(d) = DateTime::parse_from_rfc3339(&t.low.to_uppercase()) {
                return Some((d.with_timezone(&Utc), t.raw.as_str()));
            }
            let naive = NaiveDateTime::parse_from_str(&t.low, "%Y-%m-%dt%H:%M:%S")
                .or_else(|_| NaiveDateTime::parse_from_str(&t.low, "%Y-%m-%dt%H:%M"))
                .ok()?;
            ctx.try_at(naive, None).ok().map(|d| (d, t.raw.as_str()))
        })
        .collect();
    match stamps.as_slice() {
        [(a, ta), (b, tb), ..] => {
            let (s, e) = if a <= b { (*a, *b) } else { (*b, *a) };
            return ctx.window(&format!("'{ta}' to '{tb}'"), s, e);
        }
        [(t, text)] => return ctx.around(&format!("around '{text}'"), *t),
        [] => {}
    }

    if let Some((len, ago, text)) = parse_relative(toks) {
        let max = Duration::days(MAX_RELATIVE_DAYS);
        let len = if len > max {
            ctx.notes.push(format!("'{text}' is longer than {MAX_RELATIVE_DAYS} days: capped"));
            max
        } else {
            len
        };
        return if ago {
            ctx.around(&format!("around '{text}'"), sub(ctx.now, len))
        } else {
            ctx.window(&format!("'{text}'"), sub(ctx.now, len), ctx.now)
        };
    }

    let day = parse_day(toks, ctx);
    let mut skip = vec![false; toks.len()];
    for &i in day.iter().flat_map(|d| d.used.iter()) {
        skip[i] = true;
    }
    let cl = clocks(toks, &skip);
    let explicit = day.as_ref().is_some_and(|d| d.explicit);
    let on = day.as_ref().map(|d| format!(" {}", d.text)).unwrap_or_default();
    // an unnamed day is today, or yesterday when today's would be in the future
    let pick_date = |ctx: &mut Ctx<Tz>, time: NaiveTime, zone: Option<FixedOffset>, what: &str| {
        if let Some(d) = &day {
            return d.date;
        }
        let today = ctx.today(zone);
        if ctx.at(today, time, zone) > ctx.now {
            ctx.notes.push(format!("{what} has not come yet today: read as yesterday"));
            day_before(today)
        } else {
            today
        }
    };

    // ranges: "between 14:00 and 15:30", "from 2pm to 3pm", "14:00-15:30"
    let single_range = toks.iter().enumerate().find_map(|(i, t)| {
        let (a, b) = t.low.split_once('-')?;
        let ta = Tok { raw: a.to_string(), low: a.to_string() };
        let tb = Tok { raw: b.to_string(), low: b.to_string() };
        let (ca, _) = parse_clock(std::slice::from_ref(&ta), 0, false)?;
        let (cb, _) = parse_clock(std::slice::from_ref(&tb), 0, false)?;
        (!skip[i]).then(|| (ca, cb, None, t.raw.clone()))
    });
    let pair = cl.windows(2).find_map(|w| {
        let gap = w[1].idx.checked_sub(w[0].end)?;
        let conn = low(toks, w[0].end);
        (gap == 1 && matches!(conn, "and" | "to" | "until" | "till" | "through"))
            .then(|| (w[0].clone(), w[1].clone(), conn))
    });
    let pair = pair.map(|(mut x, mut y, conn)| {
        let pm = |t: NaiveTime| t.overflowing_add_signed(Duration::hours(12)).0;
        let today = ctx.today(y.zone.or(x.zone));
        // "between 2 and 4" asked at 16:10: the afternoon that just passed
        if x.bare
            && y.bare
            && day.is_none()
            && (1..12).contains(&x.time.hour())
            && (1..12).contains(&y.time.hour())
            && ctx.at(today, pm(y.time), y.zone.or(x.zone)) <= ctx.now
        {
            (x.time, y.time) = (pm(x.time), pm(y.time));
            ctx.notes.push(format!("'{} {conn} {}' read as the afternoon", x.text, y.text));
        }
        (x.time, y.time, y.zone.or(x.zone), format!("{} {conn} {}", x.text, y.text))
    });
    if let Some((a, b, zone, text)) = pair.or(single_range) {
        let what = format!("'{text}{on}'");
        let date = pick_date(ctx, a, zone, &what);
        let start = ctx.at(date, a, zone);
        // "between 23:00 and 01:00" runs past midnight
        let end_date = if b <= a { day_after(date) } else { date };
        let end = ctx.at(end_date, b, zone);
        return ctx.window(&what, start, end);
    }

    let since = toks.iter().position(|t| matches!(t.low.as_str(), "since" | "after"));
    if let Some(c) = cl.iter().find(|c| since.is_some_and(|s| s + 1 == c.idx)) {
        let what = format!("'since {}{on}'", c.text);
        let date = pick_date(ctx, c.time, c.zone, &what);
        let start = ctx.at(date, c.time, c.zone);
        return ctx.window(&what, start, ctx.now);
    }
    if let Some(c) = cl.first() {
        let what = format!("'{}{on}'", c.text);
        let pm = c.time.overflowing_add_signed(Duration::hours(12)).0;
        let today = ctx.today(c.zone);
        if c.bare && (1..12).contains(&c.time.hour()) && day.is_none() && ctx.at(today, pm, c.zone) <= ctx.now {
            // "at 3" asked in the afternoon means the 3pm that just passed
            ctx.notes.push(format!("{what} read as {}", pm.format("%H:%M")));
            let t = ctx.at(today, pm, c.zone);
            return ctx.around(&format!("around {what}"), t);
        }
        let date = pick_date(ctx, c.time, c.zone, &what);
        let t = ctx.at(date, c.time, c.zone);
        return ctx.around(&format!("around {what}"), t);
    }

    if let Some((p, text, last)) = parse_period(toks) {
        let today = ctx.today(None);
        let yesterday = day_before(today);
        let (date, p) = match (p, &day) {
            (Period::Tonight, _) if ctx.local_hour() >= 18 => (today, Period::Night),
            (Period::Tonight, _) => (yesterday, Period::Night),
            (_, _) if last => (yesterday, p),
            (_, Some(d)) => (d.date, p),
            (_, None) => (today, p),
        };
        let (a, b_date, b) = match p {
            Period::Morning => (hm(6, 0), date, hm(12, 0)),
            Period::Afternoon => (hm(12, 0), date, hm(18, 0)),
            Period::Evening => (hm(18, 0), date, NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN)),
            Period::Night | Period::Tonight => (hm(18, 0), day_after(date), hm(6, 0)),
        };
        let mut start = ctx.at(date, a, None);
        let mut end = ctx.at(b_date, b, None);
        if start > ctx.now && !explicit && !last {
            // "this evening" asked at 16:00: the latest evening that has begun
            ctx.notes.push(format!("'{text}' has not begun yet: read as the day before"));
            start = ctx.at(day_before(date), a, None);
            end = ctx.at(day_before(b_date), b, None);
        }
        if since.is_some() {
            end = ctx.now;
        }
        let what = format!("'{}{text}'", day.as_ref().map(|d| format!("{} ", d.text)).unwrap_or_default());
        return ctx.window(&what, start, end);
    }

    if let Some(d) = &day {
        let start = ctx.at(d.date, NaiveTime::MIN, None);
        let end = if since.is_some() {
            ctx.now
        } else {
            ctx.at(d.date, NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN), None)
        };
        let what = if since.is_some() { format!("'since {}'", d.text) } else { format!("'{}'", d.text) };
        return ctx.window(&what, start, end);
    }

    ctx.window("no time given: the last hour", sub(ctx.now, Duration::hours(1)), ctx.now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Known {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect();
        Known {
            services: s(&[
                "checkout",
                "payment",
                "postgres-orders",
                "postgres-users",
                "redis",
                "frontend",
                "auth",
                "inventory",
                "api-gateway",
                "notification-service",
            ]),
            regions: s(&["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1"]),
        }
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    const NOW_EST: &str = "2026-11-20T16:10:00-05:00";

    struct Case {
        q: &'static str,
        now: &'static str,
        services: &'static [&'static str],
        regions: &'static [&'static str],
        symptom: Option<Symptom>,
        window: (&'static str, &'static str),
    }

    const fn c(
        q: &'static str,
        now: &'static str,
        services: &'static [&'static str],
        regions: &'static [&'static str],
        symptom: Option<Symptom>,
        window: (&'static str, &'static str),
    ) -> Case {
        Case { q, now, services, regions, symptom, window }
    }

    use Symptom::*;
    const US_EAST: &[&str] = &["us-east-1", "us-east-2"];
    const EU: &[&str] = &["eu-west-1", "eu-central-1"];
    const PG: &[&str] = &["postgres-orders", "postgres-users"];
    const LAST_HOUR_EST: (&str, &str) = ("2026-11-20T20:10:00Z", "2026-11-20T21:10:00Z");

    const CASES: &[Case] = &[
        c(
            "why did checkout slow down in us-east at 3pm",
            NOW_EST,
            &["checkout"],
            US_EAST,
            Some(Latency),
            ("2026-11-20T19:30:00Z", "2026-11-20T20:30:00Z"),
        ),
        c(
            "why did checkout slow down in us-east at 3pm",
            "2026-11-20T16:10:00Z",
            &["checkout"],
            US_EAST,
            Some(Latency),
            ("2026-11-20T14:30:00Z", "2026-11-20T15:30:00Z"),
        ),
        c("is chekout failing?", NOW_EST, &["checkout"], &[], Some(Errors), LAST_HOUR_EST),
        c(
            "payments errors since 14:20",
            NOW_EST,
            &["payment"],
            &[],
            Some(Errors),
            ("2026-11-20T19:20:00Z", "2026-11-20T21:10:00Z"),
        ),
        c(
            "db latency between 14:00 and 15:30",
            NOW_EST,
            PG,
            &[],
            Some(Latency),
            ("2026-11-20T19:00:00Z", "2026-11-20T20:30:00Z"),
        ),
        c(
            "cache cpu in the last 30 minutes",
            NOW_EST,
            &["redis"],
            &[],
            Some(Saturation),
            ("2026-11-20T20:40:00Z", "2026-11-20T21:10:00Z"),
        ),
        c(
            "frontend 5xx in EU past 2h",
            NOW_EST,
            &["frontend"],
            EU,
            Some(Errors),
            ("2026-11-20T19:10:00Z", "2026-11-20T21:10:00Z"),
        ),
        c("login unavailable for europe", NOW_EST, &["auth"], EU, Some(Availability), LAST_HOUR_EST),
        // month boundary: asked on Dec 1 about Nov 30
        c(
            "what happened yesterday evening",
            "2026-12-01T09:00:00+01:00",
            &[],
            &[],
            None,
            ("2026-11-30T17:00:00Z", "2026-11-30T22:59:59Z"),
        ),
        c(
            "anything wrong this morning",
            "2026-11-20T10:30:00+05:30",
            &[],
            &[],
            None,
            ("2026-11-20T00:30:00Z", "2026-11-20T05:00:00Z"),
        ),
        c(
            "inventory restarts today",
            NOW_EST,
            &["inventory"],
            &[],
            Some(Restarts),
            ("2026-11-20T05:00:00Z", "2026-11-20T21:10:00Z"),
        ),
        c(
            "api-gateway crashloop yesterday",
            NOW_EST,
            &["api-gateway"],
            &[],
            Some(Restarts),
            ("2026-11-19T05:00:00Z", "2026-11-20T04:59:59Z"),
        ),
        c("at 17:00", NOW_EST, &[], &[], None, ("2026-11-19T21:30:00Z", "2026-11-19T22:30:00Z")),
        c("around 15:05", NOW_EST, &[], &[], None, ("2026-11-20T19:35:00Z", "2026-11-20T20:35:00Z")),
        c("2026-11-20 03:10 UTC", NOW_EST, &[], &[], None, ("2026-11-20T02:40:00Z", "2026-11-20T03:40:00Z")),
        c(
            "what failed at 2026-11-20T03:10:00Z",
            NOW_EST,
            &[],
            &[],
            Some(Errors),
            ("2026-11-20T02:40:00Z", "2026-11-20T03:40:00Z"),
        ),
        c(
            "2026-11-20T03:10:00+02:00 oom",
            NOW_EST,
            &[],
            &[],
            Some(Saturation),
            ("2026-11-20T00:40:00Z", "2026-11-20T01:40:00Z"),
        ),
        c("on Nov 20 at 3am", NOW_EST, &[], &[], None, ("2026-11-20T07:30:00Z", "2026-11-20T08:30:00Z")),
        c(
            "notifications down in APAC",
            NOW_EST,
            &["notification-service"],
            &["ap-southeast-1"],
            Some(Availability),
            LAST_HOUR_EST,
        ),
        c("redis OOMKilled", NOW_EST, &["redis"], &[], Some(Restarts), LAST_HOUR_EST),
        c("checkout p99", NOW_EST, &["checkout"], &[], Some(Latency), LAST_HOUR_EST),
        c(
            "postgres-orders connection pool exhausted",
            NOW_EST,
            &["postgres-orders"],
            &[],
            Some(Saturation),
            LAST_HOUR_EST,
        ),
        c("invetory timeouts", NOW_EST, &["inventory"], &[], Some(Latency), LAST_HOUR_EST),
        c("notfication service", NOW_EST, &["notification-service"], &[], None, LAST_HOUR_EST),
        c(
            "US checkout errors",
            NOW_EST,
            &["checkout"],
            &["us-east-1", "us-east-2", "us-west-2"],
            Some(Errors),
            LAST_HOUR_EST,
        ),
        c("is it down for us", NOW_EST, &[], &[], Some(Availability), LAST_HOUR_EST),
        c("asdf qwer zxcv", NOW_EST, &[], &[], None, LAST_HOUR_EST),
        c("", NOW_EST, &[], &[], None, LAST_HOUR_EST),
        c("tonight", "2026-11-20T23:00:00Z", &[], &[], None, ("2026-11-20T18:00:00Z", "2026-11-20T23:00:00Z")),
        c("last night", "2026-11-20T09:00:00Z", &[], &[], None, ("2026-11-19T18:00:00Z", "2026-11-20T06:00:00Z")),
        c("can't reach auth", NOW_EST, &["auth"], &[], Some(Availability), LAST_HOUR_EST),
        c(
            "between 23:00 and 01:00",
            "2026-11-20T03:00:00Z",
            &[],
            &[],
            None,
            ("2026-11-19T23:00:00Z", "2026-11-20T01:00:00Z"),
        ),
        c("Slow web in us-east-2", NOW_EST, &["frontend"], &["us-east-2"], Some(Latency), LAST_HOUR_EST),
        c("disk full on postgres", NOW_EST, PG, &[], Some(Saturation), LAST_HOUR_EST),
        c(
            "why is checkout throwing exceptions in the last 2 hours",
            NOW_EST,
            &["checkout"],
            &[],
            Some(Errors),
            ("2026-11-20T19:10:00Z", "2026-11-20T21:10:00Z"),
        ),
        c("at 3", NOW_EST, &[], &[], None, ("2026-11-20T19:30:00Z", "2026-11-20T20:30:00Z")),
        c("half an hour ago", NOW_EST, &[], &[], None, ("2026-11-20T20:10:00Z", "2026-11-20T21:10:00Z")),
        c("why is the api slow", NOW_EST, &["api-gateway"], &[], Some(Latency), LAST_HOUR_EST),
        c("between 2 and 4", NOW_EST, &[], &[], None, ("2026-11-20T19:00:00Z", "2026-11-20T21:00:00Z")),
        c("between 9 and 11", NOW_EST, &[], &[], None, ("2026-11-20T14:00:00Z", "2026-11-20T16:00:00Z")),
        c("inven errors", NOW_EST, &["inventory"], &[], Some(Errors), LAST_HOUR_EST),
        c("🔥🔥 ÜBER ß 99:99 at 25pm 2026-13-45 -- :: ++", NOW_EST, &[], &[], None, LAST_HOUR_EST),
        c(
            "errors in the last 3 days",
            NOW_EST,
            &[],
            &[],
            Some(Errors),
            ("2026-11-17T21:10:00Z", "2026-11-20T21:10:00Z"),
        ),
        c("yesterday at 3pm", NOW_EST, &[], &[], None, ("2026-11-19T19:30:00Z", "2026-11-19T20:30:00Z")),
        c(
            "payment latency 2 hours ago",
            NOW_EST,
            &["payment"],
            &[],
            Some(Latency),
            ("2026-11-20T18:40:00Z", "2026-11-20T19:40:00Z"),
        ),
        c("which services restarted after the deploy", NOW_EST, &[], &[], Some(Restarts), LAST_HOUR_EST),
        c("checkout crash-loop and errors", NOW_EST, &["checkout"], &[], Some(Restarts), LAST_HOUR_EST),
        c("checkout crashed, pods crashloop", NOW_EST, &["checkout"], &[], Some(Restarts), LAST_HOUR_EST),
        c("since this morning", NOW_EST, &[], &[], None, ("2026-11-20T11:00:00Z", "2026-11-20T21:10:00Z")),
        c("14:00-15:30 checkout", NOW_EST, &["checkout"], &[], None, ("2026-11-20T19:00:00Z", "2026-11-20T20:30:00Z")),
        c("since 14:20 UTC", NOW_EST, &[], &[], None, ("2026-11-20T14:20:00Z", "2026-11-20T21:10:00Z")),
        c(
            "why did checkout slow down in us-east at 3pm",
            "2026-11-20T16:10:00+05:30",
            &["checkout"],
            US_EAST,
            Some(Latency),
            ("2026-11-20T09:00:00Z", "2026-11-20T10:00:00Z"),
        ),
        c(
            "payments errors in eu since 14:20",
            NOW_EST,
            &["payment"],
            EU,
            Some(Errors),
            ("2026-11-20T19:20:00Z", "2026-11-20T21:10:00Z"),
        ),
        c(
            "was auth down this morning",
            NOW_EST,
            &["auth"],
            &[],
            Some(Availability),
            ("2026-11-20T11:00:00Z", "2026-11-20T17:00:00Z"),
        ),
        c(
            "yesterday evening checkout latency",
            NOW_EST,
            &["checkout"],
            &[],
            Some(Latency),
            ("2026-11-19T23:00:00Z", "2026-11-20T04:59:59Z"),
        ),
        c(
            "postgres saturation around 15:05",
            NOW_EST,
            PG,
            &[],
            Some(Saturation),
            ("2026-11-20T19:35:00Z", "2026-11-20T20:35:00Z"),
        ),
        c(
            "did redis restart in the last 30 minutes",
            NOW_EST,
            &["redis"],
            &[],
            Some(Restarts),
            ("2026-11-20T20:40:00Z", "2026-11-20T21:10:00Z"),
        ),
        c(
            "ap-southeast errors at 9am",
            NOW_EST,
            &[],
            &["ap-southeast-1"],
            Some(Errors),
            ("2026-11-20T13:30:00Z", "2026-11-20T14:30:00Z"),
        ),
        c("api gateway 5xx in us-west", NOW_EST, &["api-gateway"], &["us-west-2"], Some(Errors), LAST_HOUR_EST),
        // +13:45: a DST-free odd offset, where "today" is already Nov 21
        c("at 9am", "2026-11-21T10:55:00+13:45", &[], &[], None, ("2026-11-20T18:45:00Z", "2026-11-20T19:45:00Z")),
    ];

    #[test]
    fn table() {
        let k = known();
        let mut failures = Vec::new();
        for case in CASES {
            let now = DateTime::parse_from_rfc3339(case.now).unwrap();
            let got = interpret(case.q, now, &k);
            let want_window = Window { start: t(case.window.0), end: t(case.window.1) };
            let ok = got.services == case.services
                && got.regions == case.regions
                && got.symptom == case.symptom
                && got.window == want_window;
            if !ok {
                failures.push(format!("{:?} at {}: got {got:?}", case.q, case.now));
            }
        }
        assert!(CASES.len() >= 60);
        assert!(failures.is_empty(), "{} of {} failed:\n{}", failures.len(), CASES.len(), failures.join("\n"));
    }

    #[test]
    fn notes_explain_choices() {
        let now = DateTime::parse_from_rfc3339(NOW_EST).unwrap();
        let got = interpret("payments chekout", now, &known());
        assert!(got.notes.contains(&"'payments' matched service payment (same word)".to_string()), "{:?}", got.notes);
        assert!(got.notes.iter().any(|n| n.starts_with("'chekout' matched service checkout (typo, 1 edit)")));
        assert!(got.notes.iter().any(|n| n.starts_with("no time given: the last hour")));
        let got = interpret("at 17:00", now, &known());
        assert!(got.notes.iter().any(|n| n.contains("read as yesterday")), "{:?}", got.notes);
    }

    #[test]
    fn serializes_lowercase_and_rfc3339() {
        let now = DateTime::parse_from_rfc3339(NOW_EST).unwrap();
        let v = serde_json::to_value(interpret("checkout slow at 3pm", now, &known())).unwrap();
        assert_eq!(v["symptom"], "latency");
        assert_eq!(v["window"]["start"], "2026-11-20T19:30:00Z");
        assert_eq!(v["services"][0], "checkout");
    }

    #[test]
    fn local_timezone_from_tz() {
        // the only test that touches the environment or Local
        // US Eastern with its DST rules; chrono reads TZ once per process, so every Local case is here.
        std::env::set_var("TZ", "EST5EDT,M3.2.0,M11.1.0");
        let now_utc = t("2026-11-20T21:10:00Z");
        let local =
            interpret("why did checkout slow down in us-east at 3pm", now_utc.with_timezone(&chrono::Local), &known());
        let fixed = interpret(
            "why did checkout slow down in us-east at 3pm",
            now_utc.with_timezone(&FixedOffset::west_opt(5 * 3600).unwrap()),
            &known(),
        );
        assert_eq!(local.window, fixed.window);
        assert_eq!(local.window.start, t("2026-11-20T19:30:00Z"));

        // DST edges: 2026-03-08 02:00 jumps to 03:00; 2026-11-01 02:00 falls back to 01:00.
        let cases: &[(&str, &str, (&str, &str))] = &[
            // "2:30am" does not exist that night: the clock meant 3:30 EDT
            ("at 2:30am", "2026-03-08T16:00:00Z", ("2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z")),
            // 1:00-2:00 happens twice: the first pass (EDT) is meant
            ("at 1:30am", "2026-11-01T17:00:00Z", ("2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z")),
            ("yesterday at 3pm", "2026-03-09T14:00:00Z", ("2026-03-08T18:30:00Z", "2026-03-08T19:30:00Z")),
            ("yesterday at 3pm", "2026-11-02T14:00:00Z", ("2026-11-01T19:30:00Z", "2026-11-01T20:30:00Z")),
            ("in the last hour", "2026-11-01T06:30:00Z", ("2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z")),
            ("this morning", "2026-03-08T15:00:00Z", ("2026-03-08T10:00:00Z", "2026-03-08T15:00:00Z")),
            ("since 14:20 UTC", "2026-03-08T20:00:00Z", ("2026-03-08T14:20:00Z", "2026-03-08T20:00:00Z")),
        ];
        for (q, now, (a, b)) in cases {
            let got = interpret(q, t(now).with_timezone(&chrono::Local), &known());
            assert_eq!(got.window, Window { start: t(a), end: t(b) }, "{q} at {now}: {:?}", got.notes);
        }
        let got = interpret("at 2:30am", t("2026-03-08T16:00:00Z").with_timezone(&chrono::Local), &known());
        assert_eq!(got.notes.iter().filter(|n| n.contains("does not exist")).count(), 1, "{:?}", got.notes);
    }

    #[test]
    fn whole_name_beats_part_of_a_name() {
        let mut k = known();
        k.services.push("orders".to_string());
        let now = DateTime::parse_from_rfc3339(NOW_EST).unwrap();
        assert_eq!(interpret("look at the order logs", now, &k).services, ["orders"]);
        assert_eq!(
            interpret("postgres orders", now, &k).services,
            PG.iter().chain(&["orders"]).copied().collect::<Vec<_>>()
        );
    }

    #[test]
    fn edit_distance() {
        let d = |a: &str, b: &str| osa(&a.chars().collect::<Vec<_>>(), &b.chars().collect::<Vec<_>>());
        assert_eq!(d("chekout", "checkout"), 1);
        assert_eq!(d("chekcout", "checkout"), 1);
        assert_eq!(d("", "abc"), 3);
        assert_eq!(service_match("pay", "payment"), None);
        assert_eq!(service_match("errors", "orders").map(|m| m.0), None);
    }

    /// Random questions never panic; start <= end always, and end <= now unless the window
    /// was noted as being in the future.
    #[test]
    fn random_questions_never_panic() {
        let pieces = [
            "at",
            "3pm",
            "15:00",
            "since",
            "between",
            "and",
            "last",
            "2h",
            "ago",
            "yesterday",
            "evening",
            "tonight",
            "nov",
            "20",
            "2026-11-20",
            "utc",
            "+02:00",
            "-05:00",
            "checkout",
            "chekout",
            "db",
            "EU",
            "US",
            "us-east",
            "slow",
            "down",
            "oom",
            "crashloop",
            "ß",
            "🔥",
            "-",
            ":",
            "99:99",
            "12am",
            "noon",
            "monday",
            "9999",
            "2026-02-30",
            "morning",
            "0",
            "a",
            "hours",
            "65536",
            "p.m",
            "'",
            "--1",
            "T",
            "2026-11-20T03:10:00Z",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let k = known();
        for _ in 0..3000 {
            let n = (next() % 8) as usize;
            let mut q = String::new();
            for _ in 0..n {
                let r = next();
                if r % 5 == 0 {
                    // raw characters, including multi-byte ones
                    q.extend((0..(r % 7)).filter_map(|i| char::from_u32(((r >> (i * 8)) % 0x2000) as u32)));
                } else {
                    q.push_str(pieces[(r as usize / 5) % pieces.len()]);
                }
                q.push(if next() % 3 == 0 { '-' } else { ' ' });
            }
            let off = FixedOffset::east_opt(((next() % 50_000) as i32) - 25_000).unwrap();
            let now = t("2026-03-01T00:30:00Z").with_timezone(&off);
            let got = interpret(&q, now, &k);
            let w = got.window;
            assert!(w.start <= w.end, "{q:?}: {w:?}");
            let future = got.notes.iter().any(|n| n.contains("in the future"));
            assert!(future || w.end <= now, "{q:?}: {w:?} {:?}", got.notes);
        }
    }
}
