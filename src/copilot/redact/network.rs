//! Addresses: emails, IPv4 and IPv6 addresses, host names.

use memchr::memmem;

use super::scanner::{is_alnum, run_end};
use super::{Kind, Span};

// ---------------------------------------------------------------------------
// Emails

fn is_local_byte(c: u8) -> bool {
    is_alnum(c) || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn is_domain_byte(c: u8) -> bool {
    is_alnum(c) || c == b'.' || c == b'-'
}

/// Where a name in `b[start..run]` ends: at a `--` (no label holds one but punycode's
/// `xn--`), so `example.com-----BEGIN …` reads as `example.com`, as it does once the key
/// after it has become a placeholder.
fn name_end(b: &[u8], start: usize, run: usize) -> usize {
    let mut i = start;
    while let Some(off) = memmem::find(&b[i..run], b"--") {
        let at = i + off;
        let punycode = at >= start + 2 && b[at - 2..at].eq_ignore_ascii_case(b"xn");
        if !punycode {
            return at;
        }
        i = at + 2;
    }
    run
}

/// Checks `labels.tld` with an alphabetic TLD; returns the length without a trailing dot.
fn domain_len(b: &[u8], start: usize) -> Option<usize> {
    let mut end = name_end(b, start, run_end(b, start, is_domain_byte));
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

pub(super) fn scan_emails(b: &[u8], authorities: &[(usize, usize)], spans: &mut Vec<Span>) {
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

pub(super) fn scan_ipv4(b: &[u8], spans: &mut Vec<Span>) {
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

pub(super) fn scan_ipv6(b: &[u8], spans: &mut Vec<Span>) {
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

pub(super) fn scan_hostnames(b: &[u8], spans: &mut Vec<Span>) {
    let mut i = 0;
    while i < b.len() {
        if !is_host_byte(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        let run = run_end(b, i, is_host_byte);
        i = run;
        let mut end = name_end(b, start, run);
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
