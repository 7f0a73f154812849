//! Redaction of secrets and personal data before anything is sent to an LLM.
//!
//! Telemetry is untrusted and this runs on every prompt, so every scanner is hand
//! written and linear: each one moves a cursor forward and never rescans what it
//! has already passed (look-behinds are bounded by a small constant).
//!
//! A [`Redactor`] keeps a mapping for the whole session, so the same secret always
//! becomes the same placeholder and an answer can be restored for display.

use std::collections::HashMap;

use memchr::memmem;
use serde::{Deserialize, Serialize};

/// What besides credentials gets redacted. Credentials are always redacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RedactConfig {
    /// IPv4 and IPv6 addresses (loopback and unspecified are left alone).
    pub ips: bool,
    /// Fully qualified host names with a known TLD or a cluster-internal suffix.
    pub hostnames: bool,
    /// Email addresses.
    pub emails: bool,
}

impl Default for RedactConfig {
    // Addresses and host names are usually the evidence itself, so they are opt-in.
    fn default() -> Self {
        RedactConfig { ips: false, hostnames: false, emails: true }
    }
}

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
}

impl Kind {
    const ALL: [Kind; 10] = [
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
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone)]
struct Entry {
    placeholder: String,
    kind: Kind,
    secret: String,
}

/// Replaces secrets with stable placeholders such as `[PASSWORD_1]` and maps them back.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    config: RedactConfig,
    entries: Vec<Entry>,
    by_secret: HashMap<String, usize>,
    by_placeholder: HashMap<String, usize>,
    counters: [u32; Kind::ALL.len()],
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
        let spans = resolve(find_spans(text, &self.config));
        if spans.is_empty() {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len() + 16);
        let mut last = 0;
        for span in spans {
            out.push_str(&text[last..span.start]);
            out.push_str(self.placeholder_for(&text[span.start..span.end], span.kind));
            last = span.end;
        }
        out.push_str(&text[last..]);
        out
    }

    /// Maps placeholders produced by this redactor back to their secrets, for display
    /// to the user only. Unknown placeholders are left as they are.
    pub fn restore(&self, text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        let mut i = 0;
        while let Some(off) = memchr::memchr(b'[', &bytes[i..]) {
            let at = i + off;
            match placeholder_len(bytes, at) {
                Some(len) => {
                    if let Some(&idx) = self.by_placeholder.get(&text[at..at + len]) {
                        out.push_str(&text[last..at]);
                        out.push_str(&self.entries[idx].secret);
                        last = at + len;
                    }
                    i = at + len;
                }
                None => i = at + 1,
            }
        }
        out.push_str(&text[last..]);
        out
    }

    /// Placeholders and their kinds, in order of first appearance; never the secrets,
    /// so this is what goes to the audit log.
    pub fn mapping(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|e| (e.placeholder.as_str(), e.kind.name()))
    }

    fn placeholder_for(&mut self, secret: &str, kind: Kind) -> &str {
        // Keyed by the secret alone: the same value seen in two contexts keeps one name.
        let idx = match self.by_secret.get(secret) {
            Some(&idx) => idx,
            None => {
                let n = &mut self.counters[kind.index()];
                *n += 1;
                let placeholder = format!("[{}_{}]", kind.label(), n);
                let idx = self.entries.len();
                self.entries.push(Entry { placeholder: placeholder.clone(), kind, secret: secret.to_string() });
                self.by_secret.insert(secret.to_string(), idx);
                self.by_placeholder.insert(placeholder, idx);
                idx
            }
        };
        &self.entries[idx].placeholder
    }
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
    scan_private_keys(b, &mut spans);
    let authorities = scan_urls(b, &mut spans);
    scan_ado(b, &mut spans);
    scan_key_values(b, &mut spans);
    scan_flags(b, &mut spans);
    scan_prefixed_tokens(b, &mut spans);
    scan_jwts(b, &mut spans);
    scan_auth_schemes(b, &mut spans);
    if config.emails {
        scan_emails(b, &authorities, &mut spans);
    }
    if config.ips {
        scan_ipv4(b, &mut spans);
        scan_ipv6(b, &mut spans);
    }
    if config.hostnames {
        scan_hostnames(b, &mut spans);
    }
    spans
}

// ---------------------------------------------------------------------------
// byte classes

fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

fn is_b64url(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

/// Characters a bare secret value may contain; stops at separators and quotes.
fn is_value_byte(c: u8) -> bool {
    c > b' ' && c < 0x7f && !matches!(c, b',' | b';' | b'&' | b'"' | b'\'' | b'`' | b'}' | b')' | b'<' | b'>')
}

fn run_end(b: &[u8], mut i: usize, class: impl Fn(u8) -> bool) -> usize {
    while i < b.len() && class(b[i]) {
        i += 1;
    }
    i
}

/// Length of a placeholder such as `[SECRET_12]` starting at `at`, if there is one.
fn placeholder_len(b: &[u8], at: usize) -> Option<usize> {
    if b.get(at) != Some(&b'[') {
        return None;
    }
    let mut i = at + 1;
    let label_start = i;
    while i < b.len() && i - at < 24 && (b[i].is_ascii_uppercase() || b[i] == b'_') {
        i += 1;
    }
    if i == label_start || b[i - 1] != b'_' {
        return None;
    }
    let digits = i;
    while i < b.len() && i - at < 32 && b[i].is_ascii_digit() {
        i += 1;
    }
    (i > digits && b.get(i) == Some(&b']')).then_some(i + 1 - at)
}

fn is_placeholder(value: &[u8]) -> bool {
    placeholder_len(value, 0) == Some(value.len())
}

// ---------------------------------------------------------------------------
// PEM private keys

fn scan_private_keys(b: &[u8], spans: &mut Vec<Span>) {
    let begin = memmem::Finder::new(b"-----BEGIN ");
    let end_marker = memmem::Finder::new(b"-----END ");
    let mut i = 0;
    // Once no END marker is left, later BEGINs must not search for one again.
    let mut no_end = false;
    while let Some(off) = begin.find(&b[i..]) {
        let start = i + off;
        let label_start = start + 11;
        // The label is short and upper case; bound the look so this stays linear.
        let label_end = run_end(b, label_start, |c| c.is_ascii_uppercase() || c == b' ' || c.is_ascii_digit());
        let is_private =
            memmem::find(&b[label_start..label_end], b"PRIVATE KEY").is_some() && b[label_end..].starts_with(b"-----");
        if !is_private {
            i = label_end.max(start + 1);
            continue;
        }
        let body = label_end + 5;
        let found = if no_end { None } else { end_marker.find(&b[body..]) };
        no_end = found.is_none();
        let end = match found {
            Some(o) => {
                let e = body + o + 9;
                let after_label = run_end(b, e, |c| c.is_ascii_uppercase() || c == b' ');
                if b[after_label..].starts_with(b"-----") {
                    after_label + 5
                } else {
                    after_label
                }
            }
            // Truncated key (log line cut short): take the rest of the base64 block.
            None => run_end(b, body, |c| c.is_ascii_alphanumeric() || b"+/=\\\r\n\t ".contains(&c)),
        };
        spans.push(Span { start, end, kind: Kind::PrivateKey });
        i = end;
    }
}

// ---------------------------------------------------------------------------
// URLs with credentials and connection strings

const DB_SCHEMES: &[&str] = &[
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "mongodb",
    "mongodb+srv",
    "redis",
    "rediss",
    "amqp",
    "amqps",
    "mssql",
    "sqlserver",
    "clickhouse",
    "cassandra",
    "couchbase",
    "nats",
    "kafka",
    "memcached",
    "oracle",
    "jdbc:postgresql",
    "jdbc:mysql",
];

/// Replaces the password of `scheme://user:pass@host`, keeping scheme, user and host.
/// Returns the authority ranges that contain a userinfo `@`, so the email scanner
/// does not read `pass@host` as an address.
fn scan_urls(b: &[u8], spans: &mut Vec<Span>) -> Vec<(usize, usize)> {
    let mut authorities = Vec::new();
    let finder = memmem::Finder::new(b"://");
    let mut i = 0;
    while let Some(off) = finder.find(&b[i..]) {
        let sep = i + off;
        let auth_start = sep + 3;
        // Scheme chars never include ':' or '/', so look-behinds never overlap.
        let mut s = sep;
        while s > 0 && (is_alnum(b[s - 1]) || matches!(b[s - 1], b'+' | b'.' | b'-')) {
            s -= 1;
        }
        // jdbc:postgresql://
        if s >= 5 && &b[s - 5..s] == b"jdbc:" {
            s -= 5;
        }
        let scheme = String::from_utf8_lossy(&b[s..sep]).to_ascii_lowercase();
        let auth_end = run_end(b, auth_start, |c| {
            c > b' ' && c < 0x7f && !matches!(c, b'/' | b'?' | b'#' | b'"' | b'\'' | b'`' | b'<' | b'>' | b',' | b';')
        });
        let auth = &b[auth_start..auth_end];
        if let Some(at) = memchr::memrchr(b'@', auth) {
            authorities.push((auth_start, auth_end));
            let userinfo = &auth[..at];
            if let Some(colon) = memchr::memchr(b':', userinfo) {
                let pass = &userinfo[colon + 1..];
                if !pass.is_empty() && !is_placeholder(pass) {
                    let kind = if DB_SCHEMES.contains(&scheme.as_str()) { Kind::ConnStr } else { Kind::Password };
                    let start = auth_start + colon + 1;
                    spans.push(Span { start, end: auth_start + at, kind });
                }
            }
        }
        i = auth_end.max(auth_start);
    }
    authorities
}

/// ADO.NET style `Server=db;User Id=app;Password=...;` strings: the password is a
/// connection-string credential, the rest is evidence and stays.
fn scan_ado(b: &[u8], spans: &mut Vec<Span>) {
    let mut i = 0;
    while let Some(off) = memchr::memchr(b';', &b[i..]) {
        let semi = i + off;
        i = semi + 1;
        let mut k = i;
        while k < b.len() && b[k] == b' ' {
            k += 1;
        }
        let key_end = run_end(b, k, |c| c.is_ascii_alphabetic() || c == b' ');
        if key_end >= b.len() || b[key_end] != b'=' {
            continue;
        }
        let key = b[k..key_end].to_ascii_lowercase();
        let key = key.trim_ascii_end();
        if !matches!(key, b"password" | b"pwd") {
            continue;
        }
        let v = key_end + 1;
        let end = run_end(b, v, |c| c != b';' && c != b'"' && c != b'\'' && c != b'\n' && c != b'\r');
        let value = b[v..end].trim_ascii();
        if value.is_empty() || is_placeholder(value) || is_masked(value) {
            continue;
        }
        let lead = b[v..end].len() - b[v..end].trim_ascii_start().len();
        spans.push(Span { start: v + lead, end: v + lead + value.len(), kind: Kind::ConnStr });
        i = end;
    }
}

// ---------------------------------------------------------------------------
// key=value, key: value, "key": "value"

fn is_key_byte(c: u8) -> bool {
    is_alnum(c) || matches!(c, b'_' | b'-' | b'.')
}

/// Splits a key into lower-case words at `_ - .` and camelCase boundaries.
fn key_words(key: &[u8]) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    for (idx, &c) in key.iter().enumerate() {
        if matches!(c, b'_' | b'-' | b'.') {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let camel = c.is_ascii_uppercase() && idx > 0 && key[idx - 1].is_ascii_lowercase();
        if camel && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        cur.push(c.to_ascii_lowercase() as char);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

// Words that make a key describe a secret rather than be one.
const NOT_SECRET_WORDS: &[&str] = &[
    "count",
    "total",
    "num",
    "number",
    "len",
    "length",
    "size",
    "max",
    "min",
    "limit",
    "ttl",
    "timeout",
    "expiry",
    "expires",
    "expiration",
    "exp",
    "type",
    "method",
    "policy",
    "provider",
    "url",
    "uri",
    "endpoint",
    "path",
    "file",
    "enabled",
    "required",
    "rotation",
    "age",
    "version",
    "name",
    "format",
    "mode",
    "scope",
    "hint",
    "strength",
    "reset",
    "changed",
    "updated",
    "status",
    "error",
    "errors",
    "failures",
    "attempts",
    "duration",
    "ms",
    "used",
    "header",
    "domain",
    "samesite",
    "secure",
    "httponly",
];

/// The kind of a secret-looking key, or `None` for an ordinary key.
fn secret_key_kind(key: &[u8]) -> Option<Kind> {
    let words = key_words(key);
    if words.is_empty() || words.iter().any(|w| NOT_SECRET_WORDS.contains(&w.as_str())) {
        return None;
    }
    let joined: String = words.concat();
    if joined == "awssecretaccesskey" || joined == "awssessiontoken" {
        return Some(Kind::AwsKey);
    }
    let has = |w: &str| words.iter().any(|x| x == w);
    let pair = |a: &str, c: &str| words.windows(2).any(|p| p[0] == a && p[1] == c);
    let ends = |suffix: &str| words.iter().any(|w| w.ends_with(suffix));
    if ends("password") || ends("passwd") || has("pwd") || has("pass") || has("passphrase") {
        return Some(Kind::Password);
    }
    if ends("token") || has("auth") || has("authorization") || has("bearer") {
        return Some(Kind::Token);
    }
    let secretish = ends("secret")
        || ends("apikey")
        || ends("accesskey")
        || ends("privatekey")
        || ends("accountkey")
        || pair("account", "key")
        || has("sig")
        || has("signature")
        || pair("api", "key")
        || pair("access", "key")
        || pair("private", "key")
        || pair("secret", "key")
        || pair("signing", "key")
        || pair("encryption", "key")
        || has("credential")
        || has("credentials")
        || has("creds")
        || has("session")
        || has("sessionid")
        || has("cookie")
        || has("jsessionid")
        || has("sid");
    secretish.then_some(Kind::Secret)
}

/// Values that already hide the secret; redacting them again adds only noise.
fn is_masked(v: &[u8]) -> bool {
    let lower = v.to_ascii_lowercase();
    matches!(
        lower.as_slice(),
        b"null" | b"none" | b"nil" | b"true" | b"false" | b"redacted" | b"[redacted]" | b"<redacted>"
    ) || v.iter().all(|&c| c == b'*' || c == b'x' || c == b'X' || c == b'.')
}

fn scan_key_values(b: &[u8], spans: &mut Vec<Span>) {
    let mut i = 0;
    while let Some(off) = memchr::memchr2(b'=', b':', &b[i..]) {
        let sep = i + off;
        i = sep + 1;
        // `://` belongs to a URL and `==` / `:=` are operators or padding.
        if b[sep] == b':' && b.get(sep + 1) == Some(&b'/') {
            continue;
        }
        // Look back over `"key" :` with a hard bound so this stays linear.
        let mut k = sep;
        while k > 0 && sep - k < 4 && b[k - 1] == b' ' {
            k -= 1;
        }
        let quote = if k > 0 && matches!(b[k - 1], b'"' | b'\'') { Some(b[k - 1]) } else { None };
        if quote.is_some() {
            k -= 1;
        }
        let key_end = k;
        while k > 0 && key_end - k < 64 && is_key_byte(b[k - 1]) {
            k -= 1;
        }
        if k == key_end || (k > 0 && is_key_byte(b[k - 1])) {
            continue;
        }
        let key = &b[k..key_end];
        let Some(kind) = secret_key_kind(key) else { continue };
        let (start, end, redact) = key_value(b, sep + 1, key);
        // `invalid token: expired` is prose; a real token or secret is never one short
        // lower-case word. Passwords can be, so they stay strict.
        let value = &b[start..end];
        let prose = b[sep] == b':'
            && matches!(kind, Kind::Token | Kind::Secret)
            && value.len() <= 12
            && value.iter().all(u8::is_ascii_lowercase);
        if redact && !prose {
            spans.push(Span { start, end, kind });
        }
        i = i.max(end);
    }
}

/// Command-line flags such as `--password hunter2` (the `=` form is a key/value pair).
fn scan_flags(b: &[u8], spans: &mut Vec<Span>) {
    let finder = memmem::Finder::new(b"--");
    let mut i = 0;
    while let Some(off) = finder.find(&b[i..]) {
        let k = i + off + 2;
        let key_end = run_end(b, k, is_key_byte);
        i = key_end.max(k);
        if key_end == k || key_end - k > 64 || b.get(key_end) != Some(&b' ') {
            continue;
        }
        let Some(kind) = secret_key_kind(&b[k..key_end]) else { continue };
        let v = run_end(b, key_end, |c| c == b' ');
        let end = run_end(b, v, is_value_byte);
        let value = &b[v..end];
        if !value.is_empty() && value[0] != b'-' && !is_placeholder(value) && !is_masked(value) {
            spans.push(Span { start: v, end, kind });
        }
        i = end.max(i);
    }
}

/// The value after a separator at `v`: its byte range and whether to redact it
/// (not when empty, masked or already a placeholder). The end is returned either way
/// so the caller can skip past it and stay linear.
fn key_value(b: &[u8], mut v: usize, key: &[u8]) -> (usize, usize, bool) {
    while v < b.len() && b[v] == b' ' {
        v += 1;
    }
    if v >= b.len() {
        return (v, v, false);
    }
    let quote = matches!(b[v], b'"' | b'\'').then_some(b[v]);
    // Cookie headers carry several secrets separated by `;`: take the whole line.
    let whole_line = quote.is_none() && b[v - 1] != b'=' && key_words(key).iter().any(|w| w == "cookie");
    let (mut start, mut end) = match quote {
        Some(q) => {
            let s = v + 1;
            let mut e = s;
            while e < b.len() && b[e] != q && b[e] != b'\n' {
                // Skip escaped quotes inside JSON strings.
                if b[e] == b'\\' && e + 1 < b.len() {
                    e += 1;
                }
                e += 1;
            }
            (s, e.min(b.len()))
        }
        None if whole_line => (v, run_end(b, v, |c| c != b'\n' && c != b'\r' && c != b'"')),
        None => (v, run_end(b, v, is_value_byte)),
    };
    // `Authorization: Bearer xyz`: keep the scheme word, redact the credential.
    let word_end = run_end(b, start, |c| c.is_ascii_alphabetic());
    let word = &b[start..word_end];
    let is_scheme =
        [&b"bearer"[..], b"basic", b"token", b"digest", b"negotiate"].iter().any(|s| word.eq_ignore_ascii_case(s));
    if is_scheme && b.get(word_end) == Some(&b' ') && (quote.is_none() || word_end < end) {
        start = run_end(b, word_end, |c| c == b' ');
        if quote.is_none() && !whole_line {
            end = run_end(b, start, is_value_byte);
        }
    }
    let start = start.min(end);
    let value = b[start..end].trim_ascii_end();
    let vend = start + value.len();
    let skip = value.is_empty()
        || is_placeholder(value)
        || is_masked(value)
        // `PWD=/home/app` is a working directory, not a password.
        || (key.eq_ignore_ascii_case(b"pwd") && matches!(value[0], b'/' | b'~'));
    (start, vend.max(start), !skip)
}

// ---------------------------------------------------------------------------
// Vendor tokens with a recognisable prefix

struct Prefixed {
    prefix: &'static [u8],
    /// Minimum length after the prefix.
    min: usize,
    /// Exact length after the prefix, when the format fixes it.
    exact: Option<usize>,
    class: fn(u8) -> bool,
    kind: Kind,
}

fn upper_alnum(c: u8) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
}

fn alnum_underscore(c: u8) -> bool {
    is_alnum(c) || c == b'_'
}

fn slack_byte(c: u8) -> bool {
    is_alnum(c) || c == b'-'
}

const PREFIXED: &[Prefixed] = &[
    Prefixed { prefix: b"AKIA", min: 16, exact: Some(16), class: upper_alnum, kind: Kind::AwsKey },
    Prefixed { prefix: b"ASIA", min: 16, exact: Some(16), class: upper_alnum, kind: Kind::AwsKey },
    Prefixed { prefix: b"ghp_", min: 20, exact: None, class: is_alnum, kind: Kind::Token },
    Prefixed { prefix: b"gho_", min: 20, exact: None, class: is_alnum, kind: Kind::Token },
    Prefixed { prefix: b"ghu_", min: 20, exact: None, class: is_alnum, kind: Kind::Token },
    Prefixed { prefix: b"ghs_", min: 20, exact: None, class: is_alnum, kind: Kind::Token },
    Prefixed { prefix: b"ghr_", min: 20, exact: None, class: is_alnum, kind: Kind::Token },
    Prefixed { prefix: b"github_pat_", min: 20, exact: None, class: alnum_underscore, kind: Kind::Token },
    Prefixed { prefix: b"xoxa-", min: 8, exact: None, class: slack_byte, kind: Kind::Token },
    Prefixed { prefix: b"xoxb-", min: 8, exact: None, class: slack_byte, kind: Kind::Token },
    Prefixed { prefix: b"xoxp-", min: 8, exact: None, class: slack_byte, kind: Kind::Token },
    Prefixed { prefix: b"xoxr-", min: 8, exact: None, class: slack_byte, kind: Kind::Token },
    Prefixed { prefix: b"xoxs-", min: 8, exact: None, class: slack_byte, kind: Kind::Token },
    Prefixed { prefix: b"sk_live_", min: 10, exact: None, class: is_alnum, kind: Kind::Token },
    Prefixed { prefix: b"rk_live_", min: 10, exact: None, class: is_alnum, kind: Kind::Token },
    Prefixed { prefix: b"AIza", min: 35, exact: Some(35), class: is_b64url, kind: Kind::Token },
    Prefixed { prefix: b"glpat-", min: 20, exact: None, class: is_b64url, kind: Kind::Token },
    Prefixed { prefix: b"sk-proj-", min: 20, exact: None, class: is_b64url, kind: Kind::Token },
    Prefixed { prefix: b"sk-ant-", min: 20, exact: None, class: is_b64url, kind: Kind::Token },
    // Legacy OpenAI keys: long enough that "sk-" inside ordinary words never fits.
    Prefixed { prefix: b"sk-", min: 32, exact: None, class: is_alnum, kind: Kind::Token },
    Prefixed { prefix: b"npm_", min: 36, exact: None, class: is_alnum, kind: Kind::Token },
    Prefixed { prefix: b"pypi-", min: 50, exact: None, class: is_b64url, kind: Kind::Token },
    Prefixed { prefix: b"hf_", min: 30, exact: None, class: is_alnum, kind: Kind::Token },
    Prefixed { prefix: b"dop_v1_", min: 40, exact: None, class: is_alnum, kind: Kind::Token },
    Prefixed { prefix: b"shpat_", min: 32, exact: None, class: is_alnum, kind: Kind::Token },
    Prefixed { prefix: b"xapp-", min: 8, exact: None, class: slack_byte, kind: Kind::Token },
    Prefixed { prefix: b"SG.", min: 60, exact: None, class: sendgrid_byte, kind: Kind::Token },
];

fn sendgrid_byte(c: u8) -> bool {
    is_b64url(c) || c == b'.'
}

fn scan_prefixed_tokens(b: &[u8], spans: &mut Vec<Span>) {
    for p in PREFIXED {
        let finder = memmem::Finder::new(p.prefix);
        let mut i = 0;
        while let Some(off) = finder.find(&b[i..]) {
            let start = i + off;
            let body = start + p.prefix.len();
            if start > 0 && is_alnum(b[start - 1]) {
                i = body;
                continue;
            }
            // Continue after everything read so overlapping prefixes cannot go quadratic.
            let end = run_end(b, body, p.class);
            let len = end - body;
            let fits = match p.exact {
                Some(n) => len == n && !b.get(end).is_some_and(|&c| is_alnum(c)),
                None => len >= p.min,
            };
            if fits {
                spans.push(Span { start, end, kind: p.kind });
            }
            i = end.max(body);
        }
    }
}

// ---------------------------------------------------------------------------
// JWTs

fn scan_jwts(b: &[u8], spans: &mut Vec<Span>) {
    let finder = memmem::Finder::new(b"eyJ");
    let mut i = 0;
    while let Some(off) = finder.find(&b[i..]) {
        let start = i + off;
        let p1 = run_end(b, start, is_b64url);
        if start > 0 && (is_b64url(b[start - 1]) || b[start - 1] == b'.') {
            i = p1;
            continue;
        }
        let mut end = None;
        if p1 - start >= 10 && b.get(p1) == Some(&b'.') {
            let p2 = run_end(b, p1 + 1, is_b64url);
            if p2 - (p1 + 1) >= 2 && b.get(p2) == Some(&b'.') {
                end = Some(run_end(b, p2 + 1, is_b64url));
            }
        }
        match end {
            Some(e) => {
                spans.push(Span { start, end: e, kind: Kind::Jwt });
                i = e;
            }
            None => i = p1,
        }
    }
}

// ---------------------------------------------------------------------------
// `Bearer <token>` and `Basic <base64>` anywhere (headers without a key in front)

fn is_token_byte(c: u8) -> bool {
    is_alnum(c) || matches!(c, b'.' | b'_' | b'~' | b'+' | b'/' | b'=' | b'-')
}

/// Rejects prose such as "bearer of bad news" or "basic information".
fn looks_random(tok: &[u8]) -> bool {
    let digits = tok.iter().filter(|c| c.is_ascii_digit()).count();
    let upper = tok.iter().filter(|c| c.is_ascii_uppercase()).count();
    let lower = tok.iter().filter(|c| c.is_ascii_lowercase()).count();
    let special = tok.iter().filter(|c| matches!(c, b'+' | b'/' | b'=' | b'_' | b'-' | b'.' | b'~')).count();
    (tok.len() >= 8 && digits > 0) || (tok.len() >= 20 && ((upper > 1 && lower > 1) || special > 0))
}

fn scan_auth_schemes(b: &[u8], spans: &mut Vec<Span>) {
    for (scheme, kind) in [(&b"bearer"[..], Kind::Token), (b"basic", Kind::Password)] {
        let mut i = 0;
        while let Some(off) = memchr::memchr2(scheme[0], scheme[0].to_ascii_uppercase(), &b[i..]) {
            let start = i + off;
            i = start + 1;
            let after = start + scheme.len();
            if after >= b.len() || !b[start..after].eq_ignore_ascii_case(scheme) || b[after] != b' ' {
                continue;
            }
            if start > 0 && is_alnum(b[start - 1]) {
                continue;
            }
            let t = run_end(b, after, |c| c == b' ');
            let end = run_end(b, t, is_token_byte);
            let tok = &b[t..end];
            if looks_random(tok) {
                spans.push(Span { start: t, end, kind });
            }
            i = end.max(i);
        }
    }
}

// ---------------------------------------------------------------------------
// Emails

fn is_local_byte(c: u8) -> bool {
    is_alnum(c) || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn is_domain_byte(c: u8) -> bool {
    is_alnum(c) || c == b'.' || c == b'-'
}

/// Checks `labels.tld` with an alphabetic TLD; returns the length without a trailing dot.
fn domain_len(b: &[u8], start: usize) -> Option<usize> {
    let mut end = run_end(b, start, is_domain_byte);
    while end > start && matches!(b[end - 1], b'.' | b'-') {
        end -= 1;
    }
    let d = &b[start..end];
    let dot = memchr::memrchr(b'.', d)?;
    let tld = &d[dot + 1..];
    let labels_ok = d.split(|&c| c == b'.').all(|l| !l.is_empty() && l[0] != b'-');
    // `icon@2x.png` is an asset, not an address.
    let lower = tld.to_ascii_lowercase();
    let file_ext = [&b"png"[..], b"jpg", b"jpeg", b"gif", b"svg", b"webp", b"js", b"css", b"json", b"log", b"txt"]
        .contains(&lower.as_slice());
    (labels_ok && !file_ext && tld.len() >= 2 && tld.iter().all(|c| c.is_ascii_alphabetic())).then_some(end - start)
}

fn scan_emails(b: &[u8], authorities: &[(usize, usize)], spans: &mut Vec<Span>) {
    let mut auth = authorities.iter().peekable();
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'@', &b[i..]) {
        let at = i + off;
        i = at + 1;
        while auth.peek().is_some_and(|&&(_, e)| e <= at) {
            auth.next();
        }
        if auth.peek().is_some_and(|&&(s, e)| s <= at && at < e) {
            continue;
        }
        // Local parts are at most 64 bytes; the bound keeps `a@a@a@…` linear.
        let mut s = at;
        while s > 0 && at - s < 64 && is_local_byte(b[s - 1]) {
            s -= 1;
        }
        while s < at && b[s] == b'.' {
            s += 1;
        }
        if s == at {
            continue;
        }
        if let Some(len) = domain_len(b, at + 1) {
            spans.push(Span { start: s, end: at + 1 + len, kind: Kind::Email });
            i = at + 1 + len;
        }
    }
}

// ---------------------------------------------------------------------------
// IP addresses

fn parse_ipv4(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    for part in 0..4 {
        if part > 0 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let d = i;
        let mut v: u32 = 0;
        while i < b.len() && i - d < 3 && b[i].is_ascii_digit() {
            v = v * 10 + u32::from(b[i] - b'0');
            i += 1;
        }
        if i == d || v > 255 || (i - d > 1 && b[d] == b'0') {
            return None;
        }
    }
    // `1.2.3.4.5` (OIDs, versions) and `1.2.3.4a` are not addresses.
    match b.get(i) {
        Some(&c) if is_alnum(c) => None,
        Some(&b'.') if b.get(i + 1).is_some_and(|c| c.is_ascii_digit()) => None,
        _ => Some(i),
    }
}

fn scan_ipv4(b: &[u8], spans: &mut Vec<Span>) {
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && (is_alnum(b[i - 1]) || b[i - 1] == b'.')) {
            i += 1;
            continue;
        }
        match parse_ipv4(b, i) {
            Some(end) => {
                let ip = &b[i..end];
                if !ip.starts_with(b"127.") && ip != b"0.0.0.0" {
                    spans.push(Span { start: i, end, kind: Kind::Ip });
                }
                i = end;
            }
            None => i = run_end(b, i, |c| c.is_ascii_digit() || c == b'.'),
        }
    }
}

fn is_ipv6_byte(c: u8) -> bool {
    c.is_ascii_hexdigit() || c == b':' || c == b'.'
}

fn valid_ipv6(s: &[u8]) -> bool {
    let double = memmem::find_iter(s, b"::").count();
    if double > 1 || memmem::find(s, b":::").is_some() {
        return false;
    }
    let mut groups = 0;
    let parts: Vec<&[u8]> = s.split(|&c| c == b':').collect();
    for (n, g) in parts.iter().enumerate() {
        if g.is_empty() {
            continue;
        }
        // An embedded IPv4 tail (::ffff:10.0.0.1) counts as two groups.
        if n == parts.len() - 1 && g.contains(&b'.') {
            if parse_ipv4(g, 0) != Some(g.len()) {
                return false;
            }
            groups += 2;
            continue;
        }
        if g.len() > 4 || !g.iter().all(|c| c.is_ascii_hexdigit()) {
            return false;
        }
        groups += 1;
    }
    if double == 1 {
        // Demand a digit so `abc::def` (code paths) is not an address.
        (2..8).contains(&groups) && s.iter().any(|c| c.is_ascii_digit())
    } else {
        groups == 8 && !s.starts_with(b":") && !s.ends_with(b":")
    }
}

fn scan_ipv6(b: &[u8], spans: &mut Vec<Span>) {
    let mut i = 0;
    while i < b.len() {
        if !is_ipv6_byte(b[i]) || (i > 0 && (is_alnum(b[i - 1]) || b[i - 1] == b'_')) {
            i += 1;
            continue;
        }
        let run = run_end(b, i, is_ipv6_byte);
        let mut end = run;
        while end > i && b[end - 1] == b'.' {
            end -= 1;
        }
        let next_ok = !b.get(end).is_some_and(|&c| is_alnum(c) || c == b'_');
        if end > i && next_ok && valid_ipv6(&b[i..end]) {
            spans.push(Span { start: i, end, kind: Kind::Ip });
        }
        // Skip the whole run, trailing dots included, so a run of dots stays linear.
        i = run.max(i + 1);
    }
}

// ---------------------------------------------------------------------------
// Host names

// Common TLDs; ones that double as file extensions (rs, py, md, sh, so, pl, js) are
// left out on purpose.
const TLDS: &[&str] = &[
    "com",
    "net",
    "org",
    "io",
    "dev",
    "app",
    "cloud",
    "co",
    "ai",
    "us",
    "uk",
    "de",
    "fr",
    "nl",
    "eu",
    "ca",
    "au",
    "jp",
    "cn",
    "br",
    "ru",
    "info",
    "biz",
    "tech",
    "gov",
    "edu",
    "mil",
    "xyz",
    "me",
    "tv",
    "ch",
    "se",
    "fi",
    "dk",
    "es",
    "be",
    "at",
    "ie",
    "nz",
    "sg",
    "kr",
    "hk",
    "tw",
    "internal",
    "local",
    "localdomain",
    "lan",
    "corp",
    "intranet",
    "svc",
    "example",
    "test",
];

fn is_host_byte(c: u8) -> bool {
    is_alnum(c) || matches!(c, b'.' | b'-' | b'_')
}

fn scan_hostnames(b: &[u8], spans: &mut Vec<Span>) {
    let mut i = 0;
    while i < b.len() {
        if !is_host_byte(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = run_end(b, i, is_host_byte);
        i = end;
        while end > start && matches!(b[end - 1], b'.' | b'-' | b'_') {
            end -= 1;
        }
        let h = &b[start..end];
        let Some(dot) = memchr::memrchr(b'.', h) else { continue };
        let tld = h[dot + 1..].to_ascii_lowercase();
        let known = TLDS.iter().any(|t| t.as_bytes() == tld.as_slice());
        let labels_ok = h.split(|&c| c == b'.').all(|l| !l.is_empty() && is_alnum(l[0]));
        // Host labels hold a letter somewhere before the TLD (not `1.2.com`).
        let has_letter = h[..dot].iter().any(|c| c.is_ascii_alphabetic());
        if known && labels_ok && has_letter {
            spans.push(Span { start, end, kind: Kind::Host });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> RedactConfig {
        RedactConfig { ips: true, hostnames: true, emails: true }
    }

    fn red(text: &str) -> String {
        Redactor::new(RedactConfig::default()).redact(text)
    }

    /// (input, secrets that must disappear, expected output or "" to skip the exact check)
    const POSITIVES: &[(&str, &[&str], &str)] = &[
        (
            "aws: using key AKIAIOSFODNN7EXAMPLE for s3",
            &["AKIAIOSFODNN7EXAMPLE"],
            "aws: using key [AWS_KEY_1] for s3",
        ),
        ("sts creds ASIAY34FZKBOKMUTVV7A expired", &["ASIAY34FZKBOKMUTVV7A"], "sts creds [AWS_KEY_1] expired"),
        (
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            &["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
            "aws_secret_access_key = [AWS_KEY_1]",
        ),
        (
            "git clone failed with token 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",
            &["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"],
            "git clone failed with token [TOKEN_1]",
        ),
        (
            "GITHUB_TOKEN=github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123",
            &["github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123"],
            "GITHUB_TOKEN=[TOKEN_1]",
        ),
        (
            "slack notify error token=xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp channel=#ops",
            &["xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp"],
            "slack notify error token=[TOKEN_1] channel=#ops",
        ),
        (
            "stripe charge failed key sk_live_51HqLyjWDarjtT1zdp7dc",
            &["sk_live_51HqLyjWDarjtT1zdp7dc"],
            "stripe charge failed key [TOKEN_1]",
        ),
        (
            "maps: https://maps.googleapis.com/maps/api?key=AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI",
            &["AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI"],
            "maps: https://maps.googleapis.com/maps/api?key=[TOKEN_1]",
        ),
        (
            "GET /api/v1/orders Authorization: Bearer abcDEF123456ghiJKL789 status=401",
            &["abcDEF123456ghiJKL789"],
            "GET /api/v1/orders Authorization: Bearer [TOKEN_1] status=401",
        ),
        (
            "proxy sent Authorization: Basic dXNlcjpodW50ZXIy to upstream",
            &["dXNlcjpodW50ZXIy"],
            "proxy sent Authorization: Basic [TOKEN_1] to upstream",
        ),
        (
            "curl -H 'Bearer 9f8e7d6c5b4a39281706' https://api",
            &["9f8e7d6c5b4a39281706"],
            "curl -H 'Bearer [TOKEN_1]' https://api",
        ),
        (
            "jwt rejected: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U sig mismatch",
            &["eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"],
            "jwt rejected: [JWT_1] sig mismatch",
        ),
        (
            "connecting to postgres://orders:s3cr3tP4ss@db.prod:5432/orders?sslmode=require",
            &["s3cr3tP4ss"],
            "connecting to postgres://orders:[CONNSTR_1]@db.prod:5432/orders?sslmode=require",
        ),
        (
            "mongo uri mongodb+srv://app:Zx9%40pw@cluster0.mongodb.net/test",
            &["Zx9%40pw"],
            "mongo uri mongodb+srv://app:[CONNSTR_1]@cluster0.mongodb.net/test",
        ),
        ("cache redis://:r3d1sPass@cache:6379/0 down", &["r3d1sPass"], "cache redis://:[CONNSTR_1]@cache:6379/0 down"),
        (
            "fetch https://deploy:hunter2@artifacts.example.com/pkg failed",
            &["hunter2"],
            "fetch https://deploy:[PASSWORD_1]@artifacts.example.com/pkg failed",
        ),
        (
            "Server=sql01;Database=orders;User Id=app;Password=P@ssw0rd!;Encrypt=true",
            &["P@ssw0rd!"],
            "Server=sql01;Database=orders;User Id=app;Password=[CONNSTR_1];Encrypt=true",
        ),
        ("login failed password=hunter22 user=bob", &["hunter22"], "login failed password=[PASSWORD_1] user=bob"),
        (
            r#"{"user":"bob","db_password":"correct horse battery","level":"error"}"#,
            &["correct horse battery"],
            r#"{"user":"bob","db_password":"[PASSWORD_1]","level":"error"}"#,
        ),
        ("X-Api-Key: 5f4dcc3b5aa765d61d83 rejected", &["5f4dcc3b5aa765d61d83"], "X-Api-Key: [SECRET_1] rejected"),
        ("config client_secret: 'abc123xyz' loaded", &["abc123xyz"], "config client_secret: '[SECRET_1]' loaded"),
        ("set-cookie: session=7a6b5c4d3e; Path=/; HttpOnly", &["7a6b5c4d3e"], "set-cookie: [SECRET_1]"),
        ("apiKey=Qw3rTy9 refresh", &["Qw3rTy9"], "apiKey=[SECRET_1] refresh"),
        ("MYSQL_PWD=t0ps3cret", &["t0ps3cret"], "MYSQL_PWD=[PASSWORD_1]"),
        ("auth_token: abc.def.ghi", &["abc.def.ghi"], "auth_token: [TOKEN_1]"),
        ("request from alice.smith@example.com failed", &["alice.smith@example.com"], "request from [EMAIL_1] failed"),
        (
            "key loaded -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7\nabc+/=\n-----END RSA PRIVATE KEY----- ok",
            &["MIIEpAIBAAKCAQEA7", "abc+/="],
            "key loaded [PRIVATE_KEY_1] ok",
        ),
        (
            r#"{"key":"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n"}"#,
            &["MIIEvQIBADANBg"],
            r#"{"key":"[PRIVATE_KEY_1]\n"}"#,
        ),
        ("truncated -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBk", &["MHcCAQEEIBk"], "truncated [PRIVATE_KEY_1]"),
        ("export AWS_SESSION_TOKEN=FwoGZXIvYXdzEJr", &["FwoGZXIvYXdzEJr"], "export AWS_SESSION_TOKEN=[AWS_KEY_1]"),
        (
            "exec: psql --password s3cret --host db -U app",
            &["s3cret"],
            "exec: psql --password [PASSWORD_1] --host db -U app",
        ),
        (
            r#"{"headers": {"Authorization" : "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl"}}"#,
            &["eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl"],
            r#"{"headers": {"Authorization" : "Bearer [JWT_1]"}}"#,
        ),
        (
            "callback /oauth?code=x&access_token=ya29.a0AfH6SMB&state=1",
            &["ya29.a0AfH6SMB"],
            "callback /oauth?code=x&access_token=[TOKEN_1]&state=1",
        ),
        ("invalid password: letmein", &["letmein"], "invalid password: [PASSWORD_1]"),
        (
            "push failed with glpat-xYz12AbC34dEf56GhI78j",
            &["glpat-xYz12AbC34dEf56GhI78j"],
            "push failed with [TOKEN_1]",
        ),
        (
            "openai 401 for sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12",
            &["sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12"],
            "openai 401 for [TOKEN_1]",
        ),
        (
            "legacy key sk-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e",
            &["sk-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e"],
            "legacy key [TOKEN_1]",
        ),
        (
            "npm publish with npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
            &["npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"],
            "npm publish with [TOKEN_1]",
        ),
        (
            "mail api 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",
            &["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"],
            "mail api [TOKEN_1]",
        ),
        (
            "DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq==;EndpointSuffix=core.windows.net",
            &["Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq=="],
            "DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=[SECRET_1];EndpointSuffix=core.windows.net",
        ),
    ];

    /// Lines that must come out unchanged with the default config.
    const NEGATIVES: &[&str] = &[
        "password policy updated for tenant acme",
        "user reset their password after 3 attempts",
        "deployed checkout-svc version 1.2.3 to prod",
        "upgrade to 10.4.12.1 rejected: not a release",
        "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7 status=500",
        "request 550e8400-e29b-41d4-a716-446655440000 took 1.532s",
        "2024-05-01T12:30:45.123Z WARN payments latency p99=850ms",
        "token_count=512 max_tokens=1024",
        "session_timeout=30m auth_method=oidc",
        "the bearer of bad news: basic information about auth",
        "password: ******** (masked)",
        "token=[REDACTED]",
        "PWD=/home/app",
        "oauth_provider=google author=alice",
        "GET https://api.example.com/v1/items?page=2 200",
        "panic at src/main.rs:42: called std::io::Error",
        "invalid token: expired signature",
        "auth: denied for user bob, session: missing",
        "retry --token-file /etc/token --verbose",
        "Authentication: failed for tenant acme",
        "loaded icon@2x.png and logo@3x.webp",
    ];

    #[test]
    fn positives_are_redacted() {
        for (input, secrets, expected) in POSITIVES {
            let out = red(input);
            for s in *secrets {
                assert!(!out.contains(s), "secret {s:?} survived in {out:?}");
            }
            if !expected.is_empty() {
                assert_eq!(&out, expected, "input {input:?}");
            }
        }
    }

    #[test]
    fn negatives_are_left_alone() {
        for input in NEGATIVES {
            assert_eq!(&red(input), input);
        }
    }

    #[test]
    fn optional_ips_and_hosts() {
        let mut r = Redactor::new(all());
        let out = r.redact("conn from 10.2.3.4:5432 to payments.prod.svc.cluster.local and [2001:db8::1]:443 ok");
        assert_eq!(out, "conn from [IP_1]:5432 to [HOST_1] and [[IP_2]]:443 ok");
        let out = r.redact("fe80::1ff:fe23:4567:890a via api.internal; mac 00:1a:2b:3c:4d:5e at 12:30:45");
        assert_eq!(out, "[IP_3] via [HOST_2]; mac 00:1a:2b:3c:4d:5e at 12:30:45");
        // Versions, loopback, timestamps, service names, file names and code paths stay.
        for s in [
            "checkout-svc v1.2.3 started on 0.0.0.0:8080 and 127.0.0.1",
            "oid 1.3.6.1.4.1 and build 2.10.0.1.5",
            "load config.json from main.rs, setup.py and README.md",
            "std::io::Error and Vec::new in core::fmt",
            "trace 4bf92f3577b34da6a3ce929d0e0e4736 at 2024-05-01T12:30:45Z",
            "com.example.OrderService threw java.lang.NullPointerException",
        ] {
            assert_eq!(r.redact(s), s);
        }
        assert_eq!(r.redact("mail bob@corp.example.com"), "mail [EMAIL_1]");
        assert_eq!(r.redact("https://u:pw1@db.example.com/x"), "https://u:[PASSWORD_1]@[HOST_3]/x");
        assert_eq!(r.redact("::ffff:192.168.1.10 dropped"), "[IP_4] dropped");
    }

    #[test]
    fn emails_can_be_turned_off() {
        let mut r = Redactor::new(RedactConfig { emails: false, ..RedactConfig::default() });
        assert_eq!(r.redact("from a@b.com"), "from a@b.com");
    }

    #[test]
    fn idempotent() {
        for config in [RedactConfig::default(), all()] {
            let mut r = Redactor::new(config);
            for (input, _, _) in POSITIVES {
                let once = r.redact(input);
                assert_eq!(r.redact(&once), once, "shared redactor");
                assert_eq!(Redactor::new(config).redact(&once), once, "fresh redactor");
            }
        }
    }

    #[test]
    fn stable_placeholders() {
        let mut r = Redactor::default();
        let a = r.redact("password=alpha1 password=beta22");
        assert_eq!(a, "password=[PASSWORD_1] password=[PASSWORD_2]");
        let b = r.redact("retry password=beta22 then password=alpha1");
        assert_eq!(b, "retry password=[PASSWORD_2] then password=[PASSWORD_1]");
        // The same value in another context keeps its name.
        assert_eq!(r.redact("postgres://u:alpha1@h/db"), "postgres://u:[PASSWORD_1]@h/db");
        let m: Vec<_> = r.mapping().collect();
        assert_eq!(m, vec![("[PASSWORD_1]", "password"), ("[PASSWORD_2]", "password")]);
        assert!(r.mapping().all(|(p, k)| !p.contains("alpha") && !k.contains("alpha")));
    }

    #[test]
    fn restore_round_trip() {
        let mut r = Redactor::new(all());
        for (input, _, _) in POSITIVES {
            let red = r.redact(input);
            assert_eq!(r.restore(&red), *input);
        }
        // Placeholders it never issued, and brackets in general, are untouched.
        assert_eq!(r.restore("[TOKEN_99] [E1] [ a [x_1]"), "[TOKEN_99] [E1] [ a [x_1]");
    }

    /// Tiny xorshift so the fuzz test needs no dependency and is reproducible.
    fn rng(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    #[test]
    fn random_input_never_panics() {
        let alphabet: Vec<char> =
            "aA0:/@.=-_ \"'[]{};,\nBEGINAKIAeyJ://xoxb-Bearer password token é→😀".chars().collect();
        let mut seed = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..300 {
            let len = (rng(&mut seed) % 300) as usize;
            let s: String = (0..len).map(|_| alphabet[(rng(&mut seed) % alphabet.len() as u64) as usize]).collect();
            let mut r = Redactor::new(all());
            let out = r.redact(&s);
            assert_eq!(r.restore(&out), s);
        }
    }

    #[test]
    fn megabyte_lines_are_linear() {
        let pieces = [
            "a",
            "@",
            ":",
            "=",
            "://",
            ".",
            "1.",
            "eyJ",
            "AKIA",
            "ghp_",
            "-----BEGIN ",
            "Bearer ",
            "password=",
            "x:",
            "::",
            "f",
            ";Password=",
            "com",
            "pwd=/",
            "-----BEGIN PRIVATE KEY-----",
            "token=\"",
            "Cookie: ",
            "--password ",
            "--",
        ];
        let limit = std::time::Duration::from_secs(if cfg!(debug_assertions) { 20 } else { 4 });
        for p in pieces {
            let s = p.repeat(1_000_000 / p.len());
            let t = std::time::Instant::now();
            let out = Redactor::new(all()).redact(&s);
            assert!(!out.is_empty());
            assert!(t.elapsed() < limit, "{p:?} took {:?}", t.elapsed());
        }
        let mut seed = 7;
        let alphabet = b"a0:/@.=-_ \"[]AKIeyJ";
        let s: String =
            (0..1_000_000).map(|_| alphabet[(rng(&mut seed) % alphabet.len() as u64) as usize] as char).collect();
        let t = std::time::Instant::now();
        Redactor::new(all()).redact(&s);
        assert!(t.elapsed() < limit);
    }
}
