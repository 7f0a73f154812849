//! Token classes: what a masked token is for grouping (a piece of a value, a unit, a date word, a
//! state word, a name) and the form of it that decides its event.

use super::masking::push_range;
use super::VAR;

/// How a constant token (one with no variable of its own, or only part of one, like `uid=<*>`) takes
/// part in grouping: how many distinct values a position must show, the rest of the line agreeing,
/// before it is taken for a variable. See `MinerConfig::merge_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Class {
    /// Never a variable: punctuation-only layout (`****`, `-`), flags and state words (`true`, `on`,
    /// `Active`, `failed`, `started`): distinct values there mean distinct events.
    Hard,
    /// Upper-case enum-like words (`GET`, `UNASSIGNED`).
    Caps,
    /// Plain words (`root`, `user=guest`).
    Word,
    /// Everything else: names with digits or dots (`storage12`, `com.tencent.mm`), value slots.
    Id,
}

/// Facts about one masked token, computed for every token of every line (so: one cheap pass).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct TokInfo {
    /// Holds `<*>`.
    pub var: bool,
    /// Only variables and punctuation, or a number with its unit glued on (`<*>`, `(<*>)`, `<*>:<*>`,
    /// `<*>.<*>ms`), or an empty value (`()`): one piece of a value.
    pub var_only: bool,
}

/// Whether `b` holds `<*>`.
pub(super) fn has_var(b: &[u8]) -> bool {
    let mut i = 0;
    while let Some(p) = b[i..].iter().position(|&c| c == b'<') {
        if b[i + p..].starts_with(VAR.as_bytes()) {
            return true;
        }
        i += p + 1;
    }
    false
}

pub(super) fn tok_info(t: &str) -> TokInfo {
    let b = t.as_bytes();
    if has_var(b) {
        // Strip the variables; what is left must be punctuation, or one unit glued to a number.
        let (mut i, mut letters, mut runs, mut other) = (0, (0, 0), 0, false);
        while i < b.len() {
            if b[i..].starts_with(VAR.as_bytes()) {
                i += VAR.len();
            } else if b[i].is_ascii_alphabetic() {
                let s = i;
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                letters = (s, i);
                runs += 1;
            } else {
                other |= !b[i].is_ascii_punctuation();
                i += 1;
            }
        }
        let glued_unit = runs == 1 && letters.0 > 0 && b[..letters.0].ends_with(VAR.as_bytes()) && {
            let w = &b[letters.0..letters.1];
            is_unit(w) || (w.len() == 1 && b"smhdKMGBk".contains(&w[0]))
        };
        return TokInfo { var: true, var_only: !other && (runs == 0 || glued_unit) };
    }
    TokInfo { var: false, var_only: b.len() <= 3 && empty_value(b) }
}

/// A unit word standing alone (`KB`, `ms`, `bytes,`, `sec)`): continues the value before it.
pub(super) fn unit_word(t: &str) -> bool {
    let core = trim_punct(t.as_bytes());
    core.len() <= 7 && (is_unit(core) || core == b"B" || core == b"s")
}

/// A month or weekday name: part of a date when next to numbers.
pub(super) fn date_word(t: &str) -> bool {
    let core = trim_punct(t.as_bytes());
    is_date(core)
}

/// An empty bracketed or quoted value (`()`, `[]`, `""`, `'',`): a value that is absent this time.
pub(super) fn empty_value(b: &[u8]) -> bool {
    let core = match b.last() {
        Some(b',' | b';' | b':' | b'.') => &b[..b.len() - 1],
        _ => b,
    };
    matches!(core, b"()" | b"[]" | b"{}" | b"<>" | b"\"\"" | b"''")
}

pub(super) fn trim_punct(b: &[u8]) -> &[u8] {
    let s = b.iter().position(|c| !c.is_ascii_punctuation()).unwrap_or(b.len());
    let e = b.iter().rposition(|c| !c.is_ascii_punctuation()).map_or(s, |e| e + 1);
    &b[s..e.max(s)]
}

/// `w` in lower case packed into a `u64` (little-endian, zero-padded), if it is 1 to 8 ASCII
/// letters (or `/`): word lists are then matched as integers.
pub(super) fn packed(w: &[u8]) -> Option<u64> {
    if w.is_empty() || w.len() > 8 {
        return None;
    }
    let mut out = [0u8; 8];
    for (o, &c) in out.iter_mut().zip(w) {
        if !c.is_ascii_alphabetic() && c != b'/' {
            return None;
        }
        *o = c.to_ascii_lowercase();
    }
    Some(u64::from_le_bytes(out))
}

/// A lower-case word as [`packed`] makes it, at compile time.
const fn pack(w: &[u8]) -> u64 {
    let mut out = [0u8; 8];
    let mut i = 0;
    while i < w.len() && i < 8 {
        out[i] = w[i];
        i += 1;
    }
    u64::from_le_bytes(out)
}

/// A word list as sorted packed words, built at compile time.
pub(super) const fn word_list<const N: usize>(words: [&str; N]) -> [u64; N] {
    let mut a = [0u64; N];
    let mut i = 0;
    while i < N {
        a[i] = pack(words[i].as_bytes());
        // Insertion sort.
        let mut j = i;
        while j > 0 && a[j - 1] > a[j] {
            let t = a[j - 1];
            a[j - 1] = a[j];
            a[j] = t;
            j -= 1;
        }
        i += 1;
    }
    a
}

pub(super) fn in_list(list: &[u64], w: &[u8]) -> bool {
    packed(w).is_some_and(|x| list.binary_search(&x).is_ok())
}

/// Units of size, time, frequency and rate (two letters or more; single letters only glued to a
/// number, where they are unambiguous).
fn is_unit(w: &[u8]) -> bool {
    const WORDS: [u64; 44] = word_list([
        "b", "kb", "mb", "gb", "tb", "pb", "kib", "mib", "gib", "tib", "byte", "bytes", "bit", "bits", "ns", "us",
        "ms", "msec", "msecs", "usec", "sec", "secs", "second", "seconds", "min", "mins", "minute", "minutes", "hr",
        "hrs", "hour", "hours", "day", "days", "hz", "khz", "mhz", "ghz", "bps", "kbps", "mbps", "gbps", "kb/s",
        "mb/s",
    ]);
    w.len() >= 2 && in_list(&WORDS, w)
}

fn is_date(w: &[u8]) -> bool {
    const WORDS: [u64; 20] = word_list([
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue",
        "wed", "thu", "fri", "sat", "sun",
    ]);
    (3..=4).contains(&w.len()) && in_list(&WORDS, w)
}

/// Words that state a condition or an outcome, and the HTTP methods (the action of a request
/// line): a different one is a different event.
fn is_state_word(w: &[u8]) -> bool {
    const WORDS: [u64; 43] = word_list([
        "true", "false", "yes", "no", "on", "off", "up", "down", "ok", "enable", "disable", "enabled", "disabled",
        "active", "inactive", "open", "close", "start", "stop", "success", "failure", "fail", "valid", "invalid",
        "allow", "deny", "accept", "reject", "begin", "end", "high", "low", "in", "out", "get", "head", "post", "put",
        "delete", "patch", "options", "connect", "trace",
    ]);
    in_list(&WORDS, w)
}

/// The form of a partly variable token that decides its event: runs of variables and the
/// punctuation between them (`<*>##<*>##<*>`, `<*>.<*>`, `<*>:<*>`) are one value whatever their
/// length and shape, so `steps=<*>##<*>` and `steps=<*>##<*>##<*>`, or `t=<*>` and `t=<*>.<*>`, agree.
pub(super) fn key_form(t: &str, out: &mut String) {
    let b = t.as_bytes();
    let v = VAR.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(v) {
            out.push_str(VAR);
            i += v.len();
            // Absorb `punct* <*>` repeatedly.
            loop {
                let mut j = i;
                while j < b.len() && b[j].is_ascii_punctuation() && !b[j..].starts_with(v) {
                    j += 1;
                }
                if b[j..].starts_with(v) {
                    i = j + v.len();
                } else {
                    break;
                }
            }
        } else {
            let s = i;
            i += 1;
            while i < b.len() && !b[i..].starts_with(v) {
                i += 1;
            }
            push_range(out, t, s, i);
        }
    }
}

/// The class of a constant masked token; see [`Class`]. `verbs_hard`: words ending in `-ed`/`-ing`
/// (`Started`, `scanning`) count as state words.
pub(super) fn class(t: &str, verbs_hard: bool) -> Class {
    if t.contains(VAR) {
        // A name bound to a number (`rdd_<*>`, `QQ.<*>`, `node-<*>`, `CPU#<*>`) is a value whatever
        // the name: an id or a process and its pid.
        let b = t.as_bytes();
        let name = b.iter().take_while(|c| c.is_ascii_alphanumeric()).count();
        let id = name > 0
            && matches!(b.get(name), Some(b'_' | b'.' | b'-' | b'#'))
            && b[name + 1..].starts_with(VAR.as_bytes())
            && b[name + 1 + VAR.len()..].iter().all(|c| !c.is_ascii_alphabetic());
        if id {
            return Class::Id;
        }
        // Partly a variable (`uid=<*>`, `vCores:<*>>`): the literal part is a name.
        let lit = t.replace(VAR, "");
        let letters = lit.bytes().filter(|c| !c.is_ascii_punctuation());
        return match letters.clone().count() {
            0 => Class::Id,
            _ if letters.clone().all(|c| c.is_ascii_uppercase()) => Class::Caps,
            _ if letters.clone().all(|c| c.is_ascii_alphabetic()) => Class::Word,
            _ => Class::Id,
        };
    }
    let b = t.as_bytes();
    // In `key=value`, the value decides.
    let v = match b.iter().rposition(|&c| c == b'=') {
        Some(p) if p + 1 < b.len() => &b[p + 1..],
        _ => b,
    };
    let core = trim_punct(v);
    if core.is_empty() {
        return Class::Hard;
    }
    // A state word, also inside a name (`isOverlap:true,`, `WWEN[enable]`, `SCREEN_OFF`), is hard.
    if is_state_word(core) || core.split(|c| !c.is_ascii_alphanumeric()).any(|w| w.len() >= 3 && is_state_word(w)) {
        return Class::Hard;
    }
    // Names made of words (`mDNS_RegisterInterface`, `not-responding`, `Device::start`) are words; digits, dots and
    // slashes make a value-like name (`storage12`, `com.tencent.mm`).
    // A quoted value (`tag="View Lock"`, `'x'`) is free text: a value.
    if v.len() > 2 && matches!(v[0], b'"' | b'\'') {
        return Class::Id;
    }
    if !core.iter().all(|&c| c.is_ascii_alphabetic() || matches!(c, b'_' | b'-' | b':')) {
        return Class::Id;
    }
    if core.iter().filter(|c| c.is_ascii_uppercase()).count() >= 2 && !core.iter().any(u8::is_ascii_lowercase) {
        return Class::Caps;
    }
    if verbs_hard && core.len() >= 5 && (core.ends_with(b"ed") || core.ends_with(b"ing")) {
        return Class::Hard;
    }
    Class::Word
}

/// Usable as a prefix-tree key: a word without digits, variables or dots.
pub(super) fn keyable(t: &str) -> bool {
    let b = t.as_bytes();
    if b.iter().any(u8::is_ascii_digit) || has_var(b) {
        return false;
    }
    // A dotted or slashed name (`com.apple.xpc.launchd:`) is more often a value than an event word.
    let core = trim_punct(b);
    !core.iter().any(|&c| c == b'.' || c == b'/')
}

/// Letters only, but for one closing punctuation mark.
pub(super) fn plain(t: &str) -> bool {
    let b = t.as_bytes();
    let core = match b.last() {
        Some(b':' | b',' | b'.' | b';') => &b[..b.len() - 1],
        _ => b,
    };
    !core.is_empty() && core.iter().all(u8::is_ascii_alphabetic)
}
