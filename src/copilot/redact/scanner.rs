//! Structural scanners: PEM blocks, URLs with credentials, connection strings,
//! `key=value` pairs, command-line flags, JWTs and `Bearer`/`Basic` credentials.

use memchr::memmem;

use super::placeholders::starts_redacted;
use super::{Kind, Span};

// ---------------------------------------------------------------------------
// byte classes

pub(super) fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

pub(super) fn is_b64url(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

/// Characters a bare secret value may contain; stops at separators and quotes.
fn is_value_byte(c: u8) -> bool {
    c > b' ' && c < 0x7f && !matches!(c, b',' | b';' | b'&' | b'"' | b'\'' | b'`' | b'}' | b')' | b'<' | b'>')
}

pub(super) fn run_end(b: &[u8], mut i: usize, class: impl Fn(u8) -> bool) -> usize {
    while i < b.len() && class(b[i]) {
        i += 1;
    }
    i
}

// ---------------------------------------------------------------------------
// PEM private keys

pub(super) fn scan_private_keys(b: &[u8], spans: &mut Vec<Span>) {
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
pub(super) fn scan_urls(b: &[u8], spans: &mut Vec<Span>) -> Vec<(usize, usize)> {
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
                if !pass.is_empty() && !starts_redacted(pass) {
                    let kind = if DB_SCHEMES.contains(&scheme.as_str()) { Kind::ConnStr } else { Kind::Password };
                    let start = auth_start + colon + 1;
                    spans.push(Span { start, end: auth_start + at, kind });
                }
            } else if looks_generated(userinfo) {
                // A user name that is a key: Sentry DSNs, `https://<token>@host/`.
                spans.push(Span { start: auth_start, end: auth_start + at, kind: Kind::Secret });
            }
        }
        // The authority may end in the `:` of a URL glued to it (`…@https://…`): resume
        // one byte back so that URL is read too.
        i = auth_end.saturating_sub(1).max(auth_start);
    }
    authorities
}

/// ADO.NET style `Server=db;User Id=app;Password=...;` strings: the password is a
/// connection-string credential, the rest is evidence and stays.
pub(super) fn scan_ado(b: &[u8], spans: &mut Vec<Span>) {
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
        if value.is_empty() || starts_redacted(value) || is_masked(value) {
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
    "fail",
    "failed",
    "failure",
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

/// Words before `key` that make it a credential (`license_key`, `DD_APP_KEY`, `routing_key`).
const KEY_QUALIFIERS: &[&str] = &[
    "api",
    "access",
    "secret",
    "private",
    "signing",
    "sign",
    "encryption",
    "enc",
    "account",
    "app",
    "application",
    "license",
    "licence",
    "integration",
    "routing",
    "master",
    "client",
    "service",
    "admin",
    "auth",
    "write",
    "ingest",
    "ingestion",
    "insert",
    "deploy",
    "storage",
    "shared",
    "hmac",
    "webhook",
    "subscription",
    "consumer",
    "management",
    "personal",
    "crypto",
    "cipher",
    "aes",
    "root",
    "server",
    "relay",
    "push",
    "sdk",
    "mobile",
    "restricted",
    "instrumentation",
    "secure",
    "decryption",
    "unseal",
    "recovery",
    "bootstrap",
    "join",
    "registration",
];

/// Words before `key` that make it data (`sort_key`, `public_key`, `cache_key`).
const KEY_NOT_SECRET: &[&str] = &[
    "public",
    "sort",
    "partition",
    "primary",
    "foreign",
    "cache",
    "idempotency",
    "dedup",
    "group",
    "lookup",
    "map",
    "object",
    "row",
    "field",
    "index",
    "bucket",
    "redis",
    "hash",
    "composite",
    "unique",
    "range",
    "shard",
    "routingkey",
];

/// How sure a key is about its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strength {
    /// `password`, `api_key`: any value is a secret.
    Strong,
    /// `key`, `tls.key`, `dsn`: only a random-looking value is.
    Weak,
}

/// One short word (`expired`, `SIMPLE`, `Reordering`): prose after `auth:`, not a token.
fn is_word(v: &[u8]) -> bool {
    let caps = v.iter().filter(|c| c.is_ascii_uppercase()).count();
    let capitalised = caps == 1 && v.first().is_some_and(u8::is_ascii_uppercase);
    !v.is_empty()
        && v.len() <= 12
        && v.iter().all(u8::is_ascii_alphabetic)
        && (caps == 0 || caps == v.len() || capitalised)
}

/// Values that are a printed object rather than a credential: `Token{9f4ef63`,
/// `{…`, `android.os.BinderProxy@2bd79ce` (a class name and an identity hash).
fn is_object_dump(v: &[u8]) -> bool {
    if v.first().is_some_and(|c| matches!(c, b'{' | b'[' | b'(')) || v.contains(&b'{') {
        return true;
    }
    match memchr::memrchr(b'@', v) {
        Some(at) => {
            let (class, hash) = (&v[..at], &v[at + 1..]);
            class.contains(&b'.') && !hash.is_empty() && hash.iter().all(u8::is_ascii_hexdigit)
        }
        None => false,
    }
}

/// The kind of a secret-looking key and how sure it is, or `None` for an ordinary key.
fn secret_key_kind(key: &[u8]) -> Option<(Kind, Strength)> {
    let words = key_words(key);
    if words.is_empty() || words.iter().any(|w| NOT_SECRET_WORDS.contains(&w.as_str())) {
        return None;
    }
    let strong = |k: Kind| Some((k, Strength::Strong));
    let joined: String = words.concat();
    if joined == "awssecretaccesskey" || joined == "awssessiontoken" {
        return strong(Kind::AwsKey);
    }
    let has = |w: &str| words.iter().any(|x| x == w);
    let pair = |a: &str, c: &str| words.windows(2).any(|p| p[0] == a && p[1] == c);
    let ends = |suffix: &str| words.iter().any(|w| w.ends_with(suffix));
    if ends("password") || ends("passwd") || has("pwd") || has("pass") || has("passphrase") {
        return strong(Kind::Password);
    }
    if ends("token") || has("auth") || has("authorization") || has("bearer") {
        return strong(Kind::Token);
    }
    if has("ssn") || pair("social", "security") {
        return strong(Kind::Ssn);
    }
    let secretish = ends("secret")
        || ends("apikey")
        || ends("accesskey")
        || ends("privatekey")
        || ends("accountkey")
        || pair("account", "key")
        || has("sig")
        || has("signature")
        || has("credential")
        || has("credentials")
        || has("creds")
        || has("cookie")
        || has("jsessionid");
    if secretish {
        return strong(Kind::Secret);
    }
    // `Session: 30546173_4261722401` is a servicing session; a web session id is random.
    if has("session") || has("sessionid") || has("sid") {
        return Some((Kind::Secret, Strength::Weak));
    }
    key_word_kind(&words)
}

/// `…key` keys: a credential when a qualifier says so, data when another word says so,
/// and otherwise a secret only if the value looks random.
fn key_word_kind(words: &[String]) -> Option<(Kind, Strength)> {
    let last = words.last()?;
    let weak_words = ["dsn", "hmac", "webhook", "salt", "otp"];
    if weak_words.contains(&last.as_str()) {
        return Some((Kind::Secret, Strength::Weak));
    }
    let stem = last.strip_suffix("key")?;
    let before = if stem.is_empty() { words.len().checked_sub(2).map(|i| words[i].as_str()) } else { Some(stem) };
    match before {
        Some(w) if KEY_NOT_SECRET.contains(&w) => None,
        Some(w) if KEY_QUALIFIERS.contains(&w) => Some((Kind::Secret, Strength::Strong)),
        _ => Some((Kind::Secret, Strength::Weak)),
    }
}

/// A value that looks generated rather than chosen: long, varied and without spaces.
pub(super) fn looks_generated(v: &[u8]) -> bool {
    // Keys and tokens are drawn from base64, hex and URL-safe alphabets; anything else
    // (spaces, paths, placeholders, escapes) is prose or data.
    let token_byte = |c: &u8| c.is_ascii_alphanumeric() || b"+/=_-.~:".contains(c);
    // `0x14ede63a5a70002` is a number (ZooKeeper session ids), not a key.
    if v.len() < 16 || !v.iter().all(token_byte) || v[0] == b'/' || v.starts_with(b"0x") {
        return false;
    }
    let letters = v.iter().any(u8::is_ascii_alphabetic);
    let digits = v.iter().any(u8::is_ascii_digit);
    letters && digits && shannon_bits(v) >= 3.0
}

/// Shannon entropy of the bytes of `v`, in bits per byte.
fn shannon_bits(v: &[u8]) -> f64 {
    let mut counts = [0u32; 256];
    for &c in v {
        counts[c as usize] += 1;
    }
    let n = v.len() as f64;
    counts.iter().filter(|&&c| c > 0).map(|&c| f64::from(c) / n).map(|p| -p * p.log2()).sum()
}

/// Values that already hide the secret; redacting them again adds only noise.
pub(super) fn is_masked(v: &[u8]) -> bool {
    let lower = v.to_ascii_lowercase();
    matches!(
        lower.as_slice(),
        b"null" | b"none" | b"nil" | b"true" | b"false" | b"redacted" | b"[redacted]" | b"<redacted>"
    ) || v.iter().all(|&c| c == b'*' || c == b'x' || c == b'X' || c == b'.')
}

pub(super) fn scan_key_values(b: &[u8], spans: &mut Vec<Span>) {
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
            // JSON inside a JSON string: `{\"password\":\"x\"}`.
            if k > 0 && b[k - 1] == b'\\' {
                k -= 1;
            }
        }
        let key_end = k;
        while k > 0 && key_end - k < 64 && is_key_byte(b[k - 1]) {
            k -= 1;
        }
        if k == key_end || (k > 0 && is_key_byte(b[k - 1])) {
            continue;
        }
        let key = &b[k..key_end];
        // `com.android.server.wm.Session.relayout:215` is a code location, not a key.
        if key.iter().filter(|&&c| c == b'.').count() >= 3 {
            continue;
        }
        let Some((kind, strength)) = secret_key_kind(key) else { continue };
        // `password => "x"` (Ruby, Perl, PHP) and `password := "x"` (Go).
        let v = match (b[sep], b.get(sep + 1)) {
            (b'=', Some(&b'>')) | (b':', Some(&b'=')) => sep + 2,
            _ => sep + 1,
        };
        let (start, end, redact) = key_value(b, v, key);
        // `invalid token: expired` is prose; a real token or secret is never one short
        // lower-case word. Passwords can be, so they stay strict.
        let value = &b[start..end];
        let prose = b[sep] == b':' && matches!(kind, Kind::Token | Kind::Secret) && is_word(value);
        let structure = matches!(kind, Kind::Token | Kind::Secret) && is_object_dump(value);
        let weak_miss = strength == Strength::Weak && !looks_generated(value);
        if redact && !prose && !structure && !weak_miss {
            spans.push(Span { start, end, kind });
            i = i.max(end);
        } else if end - start > 256 {
            i = i.max(end);
        }
        // A short value left in place may hold keys of its own (`key: "password=x"`), so
        // the scan goes on inside it; a long one is skipped so this stays linear.
    }
}

/// Command-line flags such as `--password hunter2` (the `=` form is a key/value pair).
pub(super) fn scan_flags(b: &[u8], spans: &mut Vec<Span>) {
    let finder = memmem::Finder::new(b"--");
    let mut i = 0;
    while let Some(off) = finder.find(&b[i..]) {
        let k = i + off + 2;
        let key_end = run_end(b, k, is_key_byte);
        i = key_end.max(k);
        if key_end == k || key_end - k > 64 || b.get(key_end) != Some(&b' ') {
            continue;
        }
        let Some((kind, strength)) = secret_key_kind(&b[k..key_end]) else { continue };
        let v = run_end(b, key_end, |c| c == b' ');
        let end = run_end(b, v, is_value_byte);
        let value = &b[v..end];
        let weak_miss = strength == Strength::Weak && !looks_generated(value);
        if !value.is_empty() && value[0] != b'-' && !starts_redacted(value) && !is_masked(value) && !weak_miss {
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
    // An escaped quote opens a value of JSON inside a JSON string; it ends at the next one.
    if b[v] == b'\\' && b.get(v + 1) == Some(&b'"') {
        let s = v + 2;
        let mut e = s;
        while e < b.len() && b[e] != b'"' && b[e] != b'\n' && !(b[e] == b'\\' && b.get(e + 1) == Some(&b'"')) {
            e += 1;
        }
        let value = &b[s..e];
        let skip = value.is_empty() || starts_redacted(value) || is_masked(value);
        return (s, e, !skip);
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
    let is_scheme = [&b"bearer"[..], b"basic", b"token", b"digest", b"negotiate", b"splunk", b"apikey", b"key", b"dsn"]
        .iter()
        .any(|s| word.eq_ignore_ascii_case(s));
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
        || starts_redacted(value)
        || is_masked(value)
        // `PWD=/home/app` is a working directory, not a password.
        || (key.eq_ignore_ascii_case(b"pwd") && matches!(value[0], b'/' | b'~'));
    (start, vend.max(start), !skip)
}

// ---------------------------------------------------------------------------
// JWTs

pub(super) fn scan_jwts(b: &[u8], spans: &mut Vec<Span>) {
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

pub(super) fn scan_auth_schemes(b: &[u8], spans: &mut Vec<Span>) {
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
