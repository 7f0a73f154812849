//! Redaction of secrets and personal data before anything is sent to an LLM.
//!
//! Telemetry is untrusted and this runs on every prompt, so everything here is linear:
//! - `rules`: a table of rules anchored on a literal (vendor prefixes such as `ghp_`,
//!   webhook hosts, phrases such as "with password"), found in one Aho-Corasick pass; a
//!   regex then checks the candidate within a bounded window, and a validator may follow.
//! - `scanner`: structure: PEM blocks, credentials in URLs, connection strings,
//!   `key=value` pairs (any value after a secret key; only random-looking ones after a
//!   weak key such as `key`), flags, JWTs, `Bearer`/`Basic` credentials.
//! - `pii`: card numbers (Luhn), IBANs (mod 97), US SSNs (valid ranges), phone numbers.
//! - `network`: emails, and opt-in IP addresses and host names.
//! - `placeholders`: the session's mapping from secrets to `[KIND_n]` names.
//!
//! Scanners move a cursor forward and never rescan what they have passed (look-behinds
//! are bounded by a small constant). docs/redaction.md lists what is covered.
//!
//! A [`Redactor`] keeps a mapping for the whole session, so the same secret always
//! becomes the same placeholder and an answer can be restored for display.

mod network;
mod pii;
mod placeholders;
mod rules;
mod scanner;
#[cfg(test)]
mod tests;

use placeholders::Placeholders;
pub use rules::{rule_errors, RuleError, RULE_COUNT};

// The `[redact]` section is config's own type, so config never imports copilot.
pub use crate::config::RedactConfig;

/// The kind of a redacted value; its label names the placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    PrivateKey,
    AwsKey,
    Jwt,
    Token,
    ConnStr,
    Password,
    Secret,
    Email,
    Ip,
    Host,
    Card,
    Iban,
    Ssn,
    Phone,
}

impl Kind {
    const ALL: [Kind; 14] = [
        Kind::PrivateKey,
        Kind::AwsKey,
        Kind::Jwt,
        Kind::Token,
        Kind::ConnStr,
        Kind::Password,
        Kind::Secret,
        Kind::Email,
        Kind::Ip,
        Kind::Host,
        Kind::Card,
        Kind::Iban,
        Kind::Ssn,
        Kind::Phone,
    ];

    fn label(self) -> &'static str {
        match self {
            Kind::PrivateKey => "PRIVATE_KEY",
            Kind::AwsKey => "AWS_KEY",
            Kind::Jwt => "JWT",
            Kind::Token => "TOKEN",
            Kind::ConnStr => "CONNSTR",
            Kind::Password => "PASSWORD",
            Kind::Secret => "SECRET",
            Kind::Email => "EMAIL",
            Kind::Ip => "IP",
            Kind::Host => "HOST",
            Kind::Card => "CARD",
            Kind::Iban => "IBAN",
            Kind::Ssn => "SSN",
            Kind::Phone => "PHONE",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::PrivateKey => "private_key",
            Kind::AwsKey => "aws_key",
            Kind::Jwt => "jwt",
            Kind::Token => "token",
            Kind::ConnStr => "connstr",
            Kind::Password => "password",
            Kind::Secret => "secret",
            Kind::Email => "email",
            Kind::Ip => "ip",
            Kind::Host => "host",
            Kind::Card => "card",
            Kind::Iban => "iban",
            Kind::Ssn => "ssn",
            Kind::Phone => "phone",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Replaces secrets with stable placeholders such as `[PASSWORD_1]` and maps them back.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    config: RedactConfig,
    names: Placeholders,
}

impl Redactor {
    pub fn new(config: RedactConfig) -> Self {
        Redactor { config, ..Redactor::default() }
    }

    pub fn config(&self) -> &RedactConfig {
        &self.config
    }

    /// Returns `text` with every detected secret replaced by its placeholder.
    /// Redacting already redacted text changes nothing.
    pub fn redact(&mut self, text: &str) -> String {
        // Redacting can change what a scanner sees next to a secret (`4111 1111 1111 1111
        // 10.1.2.3` reads as a card once the address is `[IP_1]`), so passes repeat until
        // nothing changes. That makes the result a fixed point: redacting it again changes
        // nothing. Text without secrets takes one pass, text with them usually two.
        let mut cur = text.to_string();
        for _ in 0..MAX_PASSES {
            let spans = outside_placeholders(resolve(find_spans(&cur, &self.config)), &cur);
            if spans.is_empty() {
                break;
            }
            cur = self.replace(&cur, &spans);
        }
        cur
    }

    fn replace(&mut self, text: &str, spans: &[Span]) -> String {
        let mut out = String::with_capacity(text.len() + 16);
        let mut last = 0;
        for span in spans {
            out.push_str(&text[last..span.start]);
            out.push_str(self.names.name(&text[span.start..span.end], span.kind));
            last = span.end;
        }
        out.push_str(&text[last..]);
        out
    }

    /// Maps placeholders produced by this redactor back to their secrets, for display
    /// to the user only. Unknown placeholders are left as they are.
    pub fn restore(&self, text: &str) -> String {
        self.names.restore(text)
    }

    /// Placeholders and their kinds, in order of first appearance; never the secrets,
    /// so this is what goes to the audit log.
    pub fn mapping(&self) -> impl Iterator<Item = (&str, &str)> {
        self.names.mapping()
    }
}

/// Enough for any input seen so far; each pass only turns more text into placeholders.
const MAX_PASSES: usize = 4;

/// Cuts placeholders already in `text` out of `spans`, so a secret never contains one
/// (restoring stays a single substitution) and a placeholder is never redacted again.
/// Pieces with nothing alphanumeric left (` ` between two placeholders) are dropped.
fn outside_placeholders(spans: Vec<Span>, text: &str) -> Vec<Span> {
    let b = text.as_bytes();
    let mut marks = Vec::new();
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'[', &b[i..]) {
        let at = i + off;
        match placeholders::placeholder_len(b, at) {
            Some(len) => {
                marks.push((at, at + len));
                i = at + len;
            }
            None => i = at + 1,
        }
    }
    if marks.is_empty() {
        return spans;
    }
    let mut out = Vec::with_capacity(spans.len());
    let mut m = 0;
    for span in spans {
        let mut start = span.start;
        while m < marks.len() && marks[m].1 <= start {
            m += 1;
        }
        let mut k = m;
        while start < span.end {
            let (cut_start, cut_end) = match marks.get(k) {
                Some(&(s, e)) if s < span.end => (s.max(start), e),
                _ => (span.end, span.end),
            };
            let piece = &b[start..cut_start];
            if piece.iter().any(u8::is_ascii_alphanumeric) {
                out.push(Span { start, end: cut_start, kind: span.kind });
            }
            start = cut_end.min(span.end).max(cut_start);
            if cut_start == span.end {
                break;
            }
            k += 1;
        }
    }
    out
}

/// A byte range of the input to replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
    kind: Kind,
}

/// Sorts and merges overlapping spans. Overlaps are unioned rather than dropped so
/// no byte that any scanner flagged survives; the earliest, longest, most specific
/// span names the result.
fn resolve(mut spans: Vec<Span>) -> Vec<Span> {
    spans.retain(|s| s.start < s.end);
    spans.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)).then(a.kind.cmp(&b.kind)));
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(last) if s.start < last.end => last.end = last.end.max(s.end),
            _ => out.push(s),
        }
    }
    out
}

fn find_spans(text: &str, config: &RedactConfig) -> Vec<Span> {
    let b = text.as_bytes();
    let mut spans = Vec::new();
    // Every rule anchored on a literal (vendor prefixes, webhook hosts, phrases) in one
    // Aho-Corasick pass; then the structural scanners, each one linear.
    rules::scan(text, &mut spans);
    scanner::scan_private_keys(b, &mut spans);
    let authorities = scanner::scan_urls(b, &mut spans);
    scanner::scan_ado(b, &mut spans);
    scanner::scan_key_values(b, &mut spans);
    scanner::scan_flags(b, &mut spans);
    scanner::scan_jwts(b, &mut spans);
    scanner::scan_auth_schemes(b, &mut spans);
    pii::scan_numbers(b, &mut spans);
    pii::scan_ibans(b, &mut spans);
    if config.emails {
        network::scan_emails(b, &authorities, &mut spans);
    }
    if config.ips {
        network::scan_ipv4(b, &mut spans);
        network::scan_ipv6(b, &mut spans);
    }
    if config.hostnames {
        network::scan_hostnames(b, &mut spans);
    }
    spans
}
