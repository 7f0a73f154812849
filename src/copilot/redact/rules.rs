//! Rules anchored on a literal: vendor token prefixes (`ghp_`, `xoxb-`, `dckr_pat_`),
//! webhook hosts, and phrases such as "with password". Their families follow gitleaks'
//! and noseyparker's rule sets; the rules themselves are written here.
//!
//! One Aho-Corasick automaton over every literal finds all candidate positions in a
//! single pass. Each candidate is then checked by its rule's regex, anchored at the
//! candidate and run over a bounded window, so the work per candidate is bounded and the
//! whole scan stays linear.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::Regex;

use super::placeholders::starts_redacted;
use super::scanner::is_alnum;
use super::{Kind, Span};

mod table;

use table::RULES;
pub use table::RULE_COUNT;

/// A rule that cannot be used. Production code skips such a rule; a unit test proves
/// that none exists.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("redaction rule {id}: {source}")]
    Regex { id: &'static str, source: Box<regex::Error> },
    #[error("redaction literals: {0}")]
    Automaton(#[from] aho_corasick::BuildError),
}

/// One rule: where it may start (a literal), what it must match from there, and what
/// part of the match is the secret.
pub(super) struct Rule {
    pub id: &'static str,
    /// Candidates: a secret of this rule contains one of these literals.
    pub literals: &'static [&'static str],
    /// Matched from the start of the secret's token (implicitly anchored). When it has
    /// capture groups, the first one that took part is the secret; else the whole match.
    pub pattern: &'static str,
    pub kind: Kind,
    /// The literal must appear in exactly this case (vendor prefixes); phrases do not.
    pub exact_case: bool,
    /// How far before the literal the token may start (`…8Q~…`, `123:AA…`), over `back_class`.
    pub back: usize,
    pub back_class: fn(u8) -> bool,
    /// The byte after the match may not be alphanumeric (fixed-length formats).
    pub word_end: bool,
    /// The longest a match can be: the regex never reads further.
    pub max: usize,
    /// A check of the secret the regex cannot express (digits, stop words).
    pub check: Option<fn(&str) -> bool>,
}

impl Rule {
    /// A vendor token: exact case, alphanumeric boundary, a token placeholder.
    pub(super) const fn token(id: &'static str, literals: &'static [&'static str], pattern: &'static str) -> Rule {
        Rule {
            id,
            literals,
            pattern,
            kind: Kind::Token,
            exact_case: true,
            back: 0,
            back_class: is_alnum,
            word_end: false,
            max: 1024,
            check: None,
        }
    }

    pub(super) const fn kind(mut self, kind: Kind) -> Rule {
        self.kind = kind;
        self
    }

    pub(super) const fn any_case(mut self) -> Rule {
        self.exact_case = false;
        self
    }

    pub(super) const fn back(mut self, n: usize, class: fn(u8) -> bool) -> Rule {
        self.back = n;
        self.back_class = class;
        self
    }

    pub(super) const fn word_end(mut self) -> Rule {
        self.word_end = true;
        self
    }

    pub(super) const fn max(mut self, n: usize) -> Rule {
        self.max = n;
        self
    }

    pub(super) const fn check(mut self, f: fn(&str) -> bool) -> Rule {
        self.check = Some(f);
        self
    }
}

struct Compiled {
    automaton: Option<AhoCorasick>,
    /// For each automaton pattern: the rules that use it and the literal as written.
    by_pattern: Vec<Vec<(usize, &'static str)>>,
    /// Per rule; `None` for a rule whose regex failed to compile (skipped).
    regexes: Vec<Option<Regex>>,
}

fn compile_rule(rule: &Rule) -> Result<Regex, RuleError> {
    Regex::new(&format!("^(?:{})", rule.pattern)).map_err(|e| RuleError::Regex { id: rule.id, source: Box::new(e) })
}

fn compile() -> (Compiled, Vec<RuleError>) {
    let mut errors = Vec::new();
    let regexes: Vec<Option<Regex>> = RULES
        .iter()
        .map(|r| match compile_rule(r) {
            Ok(re) => Some(re),
            Err(e) => {
                errors.push(e);
                None
            }
        })
        .collect();
    // Literals are matched without regard to case and deduplicated that way; a rule that
    // wants exact case compares the bytes itself.
    let mut patterns: Vec<String> = Vec::new();
    let mut by_pattern: Vec<Vec<(usize, &'static str)>> = Vec::new();
    for (idx, rule) in RULES.iter().enumerate() {
        for lit in rule.literals {
            let key = lit.to_ascii_lowercase();
            let at = match patterns.iter().position(|p| *p == key) {
                Some(at) => at,
                None => {
                    patterns.push(key);
                    by_pattern.push(Vec::new());
                    patterns.len() - 1
                }
            };
            by_pattern[at].push((idx, lit));
        }
    }
    let automaton = AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .build(&patterns)
        .map_err(|e| errors.push(RuleError::from(e)))
        .ok();
    (Compiled { automaton, by_pattern, regexes }, errors)
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let (compiled, errors) = compile();
    for e in errors {
        tracing::error!("{e}; the rule is skipped");
    }
    compiled
});

/// Every rule that cannot be used; empty in a correct build (a unit test checks).
pub fn rule_errors() -> Vec<RuleError> {
    compile().1
}

/// Runs every rule over `text` and adds the secrets found.
pub(super) fn scan(text: &str, spans: &mut Vec<Span>) {
    let c = &*COMPILED;
    let Some(ac) = &c.automaton else { return };
    let b = text.as_bytes();
    // The last match taken: a candidate inside it adds nothing and, skipped, keeps a run
    // of repeated literals linear.
    let mut taken = (0, 0);
    for m in ac.find_overlapping_iter(text) {
        let pos = m.start();
        if taken.0 <= pos && pos < taken.1 {
            continue;
        }
        for &(idx, lit) in &c.by_pattern[m.pattern().as_usize()] {
            let (rule, Some(re)) = (&RULES[idx], &c.regexes[idx]) else { continue };
            if rule.exact_case && &b[pos..m.end()] != lit.as_bytes() {
                continue;
            }
            if let Some((span, matched)) = try_rule(rule, re, text, pos) {
                spans.push(span);
                taken = matched;
                break;
            }
        }
    }
}

/// Checks one candidate: the rule's literal starts at `pos`.
fn try_rule(rule: &Rule, re: &Regex, text: &str, pos: usize) -> Option<(Span, (usize, usize))> {
    let b = text.as_bytes();
    let mut start = pos;
    while start > 0 && pos - start < rule.back && (rule.back_class)(b[start - 1]) {
        start -= 1;
    }
    // A token starts at a boundary: `xghp_…` is not a GitHub token. A literal that starts
    // with punctuation (`/IncomingWebhook/`) is its own boundary.
    let boundary = if rule.back > 0 { rule.back_class } else { is_alnum };
    let own_boundary = rule.back == 0 && !b[pos].is_ascii_alphanumeric();
    if start > 0 && !own_boundary && boundary(b[start - 1]) {
        return None;
    }
    let mut end = (start + rule.max).min(b.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let window = text.get(start..end)?;
    let (whole, secret) = if re.captures_len() > 1 {
        let caps = re.captures(window)?;
        let whole = caps.get(0)?.range();
        let secret = caps.iter().skip(1).flatten().next().map_or(whole.clone(), |m| m.range());
        (whole, secret)
    } else {
        let m = re.find(window)?;
        (m.range(), m.range())
    };
    let m_end = start + whole.end;
    if rule.word_end && b.get(m_end).is_some_and(|&c| is_alnum(c)) {
        return None;
    }
    let s = start + secret.start;
    let mut e = start + secret.end;
    // A sentence's full stop is not part of the token.
    while e > s && b[e - 1] == b'.' {
        e -= 1;
    }
    let value = &text[s..e];
    if value.is_empty() || starts_redacted(value.as_bytes()) || rule.check.is_some_and(|f| !f(value)) {
        return None;
    }
    Some((Span { start: s, end: e, kind: rule.kind }, (start, m_end)))
}

/// Ids and literals of every rule, for the docs test and the coverage table.
#[cfg(test)]
pub(super) fn rule_ids() -> Vec<(&'static str, &'static [&'static str])> {
    RULES.iter().map(|r| (r.id, r.literals)).collect()
}
