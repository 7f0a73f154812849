//! The things a question names besides time: its symptom, regions and services, each matched against the
//! vocabulary or against the names seen in the data, with a note for every guess.

use super::vocabulary::{month, GENERIC_PARTS, STOP, SYMPTOM_PHRASES, SYMPTOM_WORDS, SYNONYMS, TIME_WORDS, WEEKDAYS};
use super::{low, Known, Symptom, Tok};

// ---------------------------------------------------------------- symptom

fn is_symptom_word(w: &str) -> bool {
    SYMPTOM_WORDS.iter().any(|(s, _, _)| *s == w)
}

pub(super) fn match_symptom(toks: &[Tok], notes: &mut Vec<String>) -> Option<Symptom> {
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

pub(super) fn match_regions(toks: &[Tok], known: &Known, notes: &mut Vec<String>) -> Vec<String> {
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
pub(super) enum Tier {
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
pub(super) fn osa(a: &[char], b: &[char]) -> usize {
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
pub(super) fn service_match(word: &str, service: &str) -> Option<(Tier, usize)> {
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

pub(super) fn match_services(toks: &[Tok], known: &Known, notes: &mut Vec<String>) -> Vec<String> {
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
