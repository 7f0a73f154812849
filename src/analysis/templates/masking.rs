//! Masking: splits a line into tokens and replaces the parts of each token that are variables by their form with `<*>`.

use super::classes::{has_var, in_list, trim_punct, word_list};
use super::VAR;

// Masking

/// If the token `b[start..end]` opens a double-quoted phrase that closes in one of the next few words
/// (`tag="View Lock",`), returns the end of the word holding the closing quote. Quoted phrases are
/// single values, so they should not change the token count.
pub(super) fn quoted_span(b: &[u8], start: usize, end: usize) -> Option<usize> {
    const MAX_WORDS: usize = 8;
    let tok = b.get(start..end)?;
    let q = tok.iter().position(|&c| c == b'"')?;
    // Only a value (`key="..."`, `key:"..."`): a phrase that opens a token (`"GET /x HTTP/1.1"`) is
    // words like any other, its first ones usually the event's constants.
    if q == 0 || !matches!(tok[q - 1], b'=' | b':') {
        return None;
    }
    if tok.iter().filter(|&&c| c == b'"').count() % 2 == 0 {
        return None;
    }
    let mut pos = end;
    for _ in 0..MAX_WORDS {
        while pos < b.len() && b[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if pos >= b.len() {
            return None;
        }
        let word = pos;
        while pos < b.len() && !b[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if b[word..pos].contains(&b'"') {
            return Some(pos);
        }
    }
    None
}

pub(super) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

pub(super) fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// Appends the byte range `a..b` of `s`; ranges come from ASCII scanning, so they are char boundaries,
/// but a lossy copy keeps this panic-free regardless.
pub(super) fn push_range(out: &mut String, s: &str, a: usize, b: usize) {
    if let Some(x) = s.get(a..b) {
        out.push_str(x);
    } else if let Some(x) = s.as_bytes().get(a..b) {
        out.push_str(&String::from_utf8_lossy(x));
    }
}

/// Writes `tok` (no whitespace) to `out` with its variable parts replaced by `<*>`.
pub(super) fn mask_token(tok: &str, out: &mut String, allow_path: bool) {
    if !mask_fast(tok, out) {
        mask_general(tok, out, allow_path);
    }
}

/// The fast paths of [`mask_token`]: writes the masking of a token of the commonest shapes and says whether it
/// was one, writing nothing otherwise.
pub(super) fn mask_fast(tok: &str, out: &mut String) -> bool {
    mask_timestamp(tok.as_bytes(), out) || mask_plain_value(tok, out)
}

/// [`mask_token`] without its fast paths.
pub(super) fn mask_general(tok: &str, out: &mut String, allow_path: bool) {
    let b = tok.as_bytes();
    let n = b.len();
    if is_verbatim(b) {
        out.push_str(tok);
        return;
    }
    // The most common value: a plain number, perhaps closing a clause (`42`, `42,`, `42)`).
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits > 0 && b[digits..].iter().all(|c| matches!(c, b',' | b';' | b')' | b']' | b'}')) {
        out.push_str(VAR);
        push_range(out, tok, digits, n);
        return;
    }
    // Each matcher that fails reports how far it looked; it is not retried before that point, so
    // masking stays linear in the token length.
    let (mut url_from, mut path_from, mut hex_from, mut host_from) = (0, 0, 0, 0);
    if !tok.contains("://") {
        url_from = n;
    }
    if !allow_path {
        path_from = n;
    }
    let mut i = 0;
    while i < n {
        let c = b[i];
        let boundary = i == 0 || !is_word(b[i - 1]);
        if boundary && c < 0x80 {
            if i >= url_from {
                match match_url(b, i) {
                    Ok((head, end)) => {
                        push_range(out, tok, i, head);
                        out.push_str(VAR);
                        i = end;
                        continue;
                    }
                    Err(k) => url_from = k,
                }
            }
            if i >= path_from {
                match match_path(b, i) {
                    Ok(end) => {
                        emit_path(tok, i, end, out);
                        i = end;
                        continue;
                    }
                    Err(k) => path_from = k,
                }
            }
            if let Some(end) = match_uuid(b, i) {
                // Keep the dashes so the id's shape stays visible: `<*>-<*>-<*>-<*>-<*>`.
                out.push_str("<*>-<*>-<*>-<*>-<*>");
                i = end;
                continue;
            }
            let mut end = None;
            if i >= hex_from {
                match match_hex_colon(b, i) {
                    Ok(e) => end = Some(e),
                    Err(k) => hex_from = k,
                }
            }
            if end.is_none() && i >= host_from {
                match match_host(b, i) {
                    Ok(e) => end = Some(e),
                    Err(k) => host_from = k,
                }
            }
            if let Some(end) = end.or_else(|| match_ipv4(b, i)) {
                out.push_str(VAR);
                i = end;
                continue;
            }
            if c == b'-' && i + 1 < n && b[i + 1].is_ascii_digit() && (i == 0 || !is_alnum(b[i - 1])) {
                // A sign belongs to the number (`=-1`, `(-24`), but not a dash between words or dates.
                i += 1;
                continue;
            }
        }
        if is_word(c) {
            let mut j = i;
            while j < n && is_word(b[j]) {
                j += 1;
            }
            i = mask_word(tok, i, j, out);
            continue;
        }
        out.push(c as char);
        i += 1;
    }
}

/// The masking of an RFC 3339 UTC time (`2025-11-20T00:53:20.000Z`), which leads most text log lines, written
/// without running the general matchers over it: they tried each of its nine boundaries, a twentieth of
/// ingest time. The output is the general one (`masks_timestamps_as_the_general_path_does` checks it).
fn mask_timestamp(b: &[u8], out: &mut String) -> bool {
    const SHAPE: &[u8; 19] = b"dddd-dd-ddTdd:dd:dd";
    if b.len() < SHAPE.len() || !SHAPE.iter().zip(b).all(|(&s, &c)| if s == b'd' { c.is_ascii_digit() } else { s == c })
    {
        return false;
    }
    let rest = &b[SHAPE.len()..];
    // The number of fraction digits, if there is a fraction.
    let (frac, zone) = match rest.split_first() {
        Some((b'.', tail)) => {
            let digits = tail.iter().take_while(|c| c.is_ascii_digit()).count();
            (Some(digits), &tail[digits..])
        }
        _ => (None, rest),
    };
    if frac.is_some_and(|d| !(1..=9).contains(&d)) || !matches!(zone, b"" | b"Z") {
        return false;
    }
    out.push_str("<*>-<*>-<*>T<*>:<*>:<*>");
    if frac.is_some() {
        out.push_str(".<*>");
    }
    if zone == b"Z" {
        out.push('Z');
    }
    true
}

/// The masking of a number, an IPv4 address or a hex id, alone or as the value of a `key=` whose key is a
/// plain word, and perhaps after a word and `-` or `:` (`user_id=139646`, `client=10.2.148.41`,
/// `trace=37e9671c...`, `req=req-31fa3c80db06`, `key=product:48185`): most of a log line's variables,
/// written without the general matchers, which tried each boundary of the token. The output is the
/// general one (`masks_plain_values_as_the_general_path_does`).
fn mask_plain_value(tok: &str, out: &mut String) -> bool {
    let b = tok.as_bytes();
    let value = b.iter().position(|&c| c == b'=').map_or(b, |eq| &b[eq + 1..]);
    let key = b[..b.len() - value.len()].strip_suffix(b"=").unwrap_or(&[]);
    // A key of letters and `_` is one word to the general path, kept as it is unless a part of it is
    // eight hex letters (`deadbeef`), which it masks.
    let plain_key = key.is_empty()
        || (key[0].is_ascii_alphabetic()
            && key.iter().all(|&c| c.is_ascii_alphabetic() || c == b'_')
            && !hex_run8(key));
    let var = &value[word_prefix(value)..];
    let digits = !var.is_empty() && var.iter().all(u8::is_ascii_digit);
    let hex_id = var.len() >= 8 && var.iter().all(u8::is_ascii_hexdigit) && var.iter().any(u8::is_ascii_digit);
    if !plain_key || !(digits || hex_id || match_ipv4(var, 0) == Some(var.len())) {
        return false;
    }
    // `key=` and the value's word as they stand, then the one variable.
    push_range(out, tok, 0, b.len() - var.len());
    out.push_str(VAR);
    true
}

/// The length of the word and separator that lead a value such as `req-31fa3c80db06` or `product:48185`: letters,
/// then `-` or `:`. The general path keeps such a word and masks what follows, unless the word could be read as
/// hex (a word of hex letters only, or with eight in a row), which it may mask with the rest; those are left to it.
fn word_prefix(value: &[u8]) -> usize {
    let letters = value.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    let word = &value[..letters];
    match value.get(letters) {
        Some(b'-' | b':') if word.iter().any(|c| !c.is_ascii_hexdigit()) && !hex_run8(word) => letters + 1,
        _ => 0,
    }
}

/// Common file name extensions: a file name that holds a number (`app-002.log`,
/// `[2017-07-03_13,48,39]-trace.xml`) is a value.
fn is_file_ext(e: &[u8]) -> bool {
    const WORDS: [u64; 52] = word_list([
        "xml", "txt", "log", "json", "conf", "cfg", "ini", "yaml", "yml", "csv", "dat", "bin", "tmp", "pid", "lock",
        "sock", "so", "dll", "exe", "jar", "class", "py", "java", "js", "go", "rs", "rb", "pcap", "pcapng", "gz",
        "zip", "tar", "tgz", "bz2", "xz", "plist", "html", "htm", "png", "jpg", "pdf", "db", "sqlite", "bak", "out",
        "err", "dmp", "core", "img", "iso", "crash", "ips",
    ]);
    in_list(&WORDS, e)
}

/// If the masked token `t` is, but for a `key=`/`key:` prefix and closing punctuation, a file name
/// with a variable in it, returns the byte range of that name.
pub(super) fn numbered_file(t: &str) -> Option<(usize, usize)> {
    let b = t.as_bytes();
    if !has_var(b) {
        return None;
    }
    let end = b.iter().rposition(|c| !matches!(c, b',' | b';' | b':' | b')' | b']' | b'\'' | b'"'))? + 1;
    let dot = b[..end].iter().rposition(|&c| c == b'.')?;
    if !is_file_ext(&b[dot + 1..end]) || !t[..dot].contains(VAR) {
        return None;
    }
    let start = b[..dot].iter().rposition(|&c| matches!(c, b'=' | b':' | b'\'' | b'"' | b'(')).map_or(0, |p| p + 1);
    t[start..dot].contains(VAR).then_some((start, end))
}

/// One pass over the token that starts at `pos`: where it ends (at whitespace), whether it holds a
/// double quote or a `<`, and whether masking would leave it as it is (see `is_verbatim`).
pub(super) struct Scan {
    pub end: usize,
    pub quote: bool,
    pub lt: bool,
    pub dot: bool,
    pub verbatim: bool,
}

const WS: u8 = 1;
const QUOTE: u8 = 2;
const LT: u8 = 4;
const DOT: u8 = 8;
/// A digit or a path separator: masking may change the token.
const MASKABLE: u8 = 16;
const HEX: u8 = 32;

/// Byte classes for `scan_token`, one table lookup per byte.
static CLASSES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = match b {
            // Exactly `u8::is_ascii_whitespace`, which the tokenizer skips with.
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => WS,
            b'"' => QUOTE,
            b'<' => LT,
            b'.' => DOT,
            b'0'..=b'9' => MASKABLE | HEX,
            b'/' | b'\\' => MASKABLE,
            b'a'..=b'f' | b'A'..=b'F' => HEX,
            _ => 0,
        };
        c += 1;
    }
    t
};

pub(super) fn scan_token(b: &[u8], pos: usize) -> Scan {
    let (mut i, mut flags) = (pos, 0u8);
    while let Some(&c) = b.get(i) {
        let c = CLASSES[c as usize];
        if c & WS != 0 {
            break;
        }
        flags |= c;
        i += 1;
    }
    let tok = &b[pos..i];
    // Eight hex letters in a row (`ffffffff`, `deadbeef`) are masked too: only a long, digit-free
    // token with hex letters needs the second look.
    let mut verbatim = flags & MASKABLE == 0 && !(flags & HEX != 0 && tok.len() >= 8 && hex_run8(tok));
    if verbatim && flags & DOT != 0 {
        verbatim = is_verbatim(tok);
    }
    Scan { end: i, quote: flags & QUOTE != 0, lt: flags & LT != 0, dot: flags & DOT != 0, verbatim }
}

/// Eight hex digits in a row.
fn hex_run8(b: &[u8]) -> bool {
    let mut run = 0;
    for &c in b {
        run = if c.is_ascii_hexdigit() { run + 1 } else { 0 };
        if run >= 8 {
            return true;
        }
    }
    false
}

/// Cheap pre-check: without digits or path separators no rule can fire, except the all-hex
/// letter words (`ffffffff`) caught by `mask_part`.
fn is_verbatim(b: &[u8]) -> bool {
    let mut hex_run = 0;
    for &c in b {
        if c.is_ascii_digit() || c == b'/' || c == b'\\' {
            return false;
        }
        hex_run = if c.is_ascii_hexdigit() { hex_run + 1 } else { 0 };
        if hex_run >= 8 {
            return false;
        }
    }
    // A domain name (`ns.example.com`, `www.cuhk.edu.hk`) ends in a short label.
    let core = trim_punct(b);
    match core.iter().rposition(|&c| c == b'.') {
        Some(d) => !(2..=11).contains(&(core.len() - d - 1)),
        None => true,
    }
}

/// Masks the word run `i..j` (alphanumerics and `_`); returns where scanning resumes.
fn mask_word(tok: &str, i: usize, j: usize, out: &mut String) -> usize {
    let b = tok.as_bytes();
    let n = b.len();
    // Ids such as `blk_123`, `attempt_14_0020_m_00_0`, `rdd_2_0`, `blk_-42`: a named prefix then numbers.
    for k in i..j {
        if b[k] != b'_' || k == i {
            continue;
        }
        let digit_next = k + 1 < j && b[k + 1].is_ascii_digit();
        let signed_next = k + 1 == j && j + 1 < n && b[j] == b'-' && b[j + 1].is_ascii_digit();
        if !(digit_next || signed_next) {
            continue;
        }
        let prefix = &b[i..k];
        let lead = prefix.iter().take_while(|&&x| x == b'_').count();
        let single_word = !prefix[lead..].contains(&b'_');
        // Only a one-word name (`blk`, `attempt`, `__`) makes an id prefix; `FOO_BAR_1_2` is a name
        // with numbered parts and gets its numbers masked one by one below.
        if single_word && (prefix.iter().any(|x| x.is_ascii_alphabetic()) || lead == prefix.len()) {
            push_range(out, tok, i, k + 1);
            out.push_str(VAR);
            let mut e = j;
            if signed_next {
                e = j + 1;
                while e < n && is_word(b[e]) {
                    e += 1;
                }
            }
            return e;
        }
        break;
    }
    let mut p = i;
    while p < j {
        if b[p] == b'_' {
            out.push('_');
            p += 1;
            continue;
        }
        let mut q = p;
        while q < j && b[q] != b'_' {
            q += 1;
        }
        mask_part(tok, p, q, out);
        p = q;
    }
    j
}

/// Masks one alphanumeric part (no `_`) of a word.
fn mask_part(tok: &str, p: usize, q: usize, out: &mut String) {
    let b = tok.as_bytes();
    let part = &b[p..q];
    let Some(&first) = part.first() else { return };
    let all_hex = part.iter().all(|x| x.is_ascii_hexdigit());
    let has_digit = part.iter().any(|x| x.is_ascii_digit());
    if first.is_ascii_digit() {
        let hex_prefixed = part.len() > 2 && (part[1] == b'x' || part[1] == b'X') && first == b'0';
        if (hex_prefixed && part[2..].iter().all(|x| x.is_ascii_hexdigit()))
            || (all_hex && (part.len() >= 6 || part.iter().all(|x| x.is_ascii_digit())))
        {
            out.push_str(VAR);
            return;
        }
        // Number with a unit or suffix (`5ms`, `80x25`): mask the digit runs, keep the letters.
        let mut k = p;
        while k < q {
            if b[k].is_ascii_digit() {
                while k < q && b[k].is_ascii_digit() {
                    k += 1;
                }
                out.push_str(VAR);
            } else {
                let s = k;
                while k < q && !b[k].is_ascii_digit() {
                    k += 1;
                }
                push_range(out, tok, s, k);
            }
        }
        return;
    }
    if first.is_ascii_alphabetic() {
        // Hex blobs that start with a letter (`d1c8e63`, `ffffffff`); short ones such as `ee0` stay.
        if all_hex && ((has_digit && part.len() >= 6) || part.len() >= 8) {
            out.push_str(VAR);
            return;
        }
        // Version numbers `v1.2.3`.
        let is_version = (first == b'v' || first == b'V')
            && part.len() > 1
            && part[1..].iter().all(|x| x.is_ascii_digit())
            && q + 1 < b.len()
            && b[q] == b'.'
            && b[q + 1].is_ascii_digit();
        if is_version {
            push_range(out, tok, p, p + 1);
            out.push_str(VAR);
            return;
        }
    }
    push_range(out, tok, p, q);
}

/// `scheme://rest` → returns (end of `scheme://`, end of the URL). On failure, `Err(k)`: no URL
/// starts before `k` either, which keeps the scan linear.
fn match_url(b: &[u8], i: usize) -> Result<(usize, usize), usize> {
    if !b[i].is_ascii_alphabetic() {
        return Err(i + 1);
    }
    let n = b.len();
    let mut j = i;
    while j < n && (b[j].is_ascii_alphanumeric() || matches!(b[j], b'+' | b'.' | b'-')) {
        j += 1;
    }
    if !b[j..].starts_with(b"://") {
        return Err(j);
    }
    let head = j + 3;
    let mut e = head;
    while e < n && !matches!(b[e], b'"' | b'\'' | b'<' | b'>' | b')' | b']' | b'}') {
        e += 1;
    }
    while e > head && matches!(b[e - 1], b'.' | b',' | b';' | b':') {
        e -= 1;
    }
    if e > head {
        Ok((head, e))
    } else {
        Err(head)
    }
}

/// A file path with at least two components (`/a/b`, `C:\a\b`); returns its end, or `Err(k)` with
/// no path starting before `k`.
fn match_path(b: &[u8], i: usize) -> Result<usize, usize> {
    let n = b.len();
    let c = b[i];
    let drive = c.is_ascii_alphabetic() && i + 2 < n && b[i + 1] == b':' && b[i + 2] == b'\\';
    if !(c == b'/' || c == b'\\' || drive) {
        return Err(i + 1);
    }
    let mut e = if drive { i + 2 } else { i };
    let mut depth = 0usize;
    while e < n {
        match b[e] {
            b'"' | b'\'' | b'<' | b'>' | b'{' | b'}' | b';' => break,
            b'(' | b'[' => depth += 1,
            b')' | b']' => {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            }
            b',' if depth == 0 => break,
            // A colon ends the path when it ends the token or precedes a separator (`/x/y: msg`).
            b':' if e + 1 >= n || !is_word(b[e + 1]) => break,
            _ => {}
        }
        e += 1;
    }
    while e > i + 1 && b[e - 1] == b'.' {
        e -= 1;
    }
    let comps = b[i..e].split(|&x| x == b'/' || x == b'\\').filter(|s| !s.is_empty()).count();
    // A later start inside `i..e` sees a subset of the components, so it cannot match either.
    if comps >= 2 {
        Ok(e)
    } else {
        Err(e.max(i + 1))
    }
}

/// Emits a path: `<*>`, or `/<*>/last` when the last component itself carries an id (`/<*>/blk_<*>`).
fn emit_path(tok: &str, i: usize, e: usize, out: &mut String) {
    let b = tok.as_bytes();
    let last_sep = b[i..e].iter().rposition(|&x| x == b'/' || x == b'\\').map(|p| p + i);
    if let Some(ls) = last_sep {
        if ls + 1 < e {
            let mut last = String::new();
            if let Some(s) = tok.get(ls + 1..e) {
                mask_token(s, &mut last, false);
            }
            // Only a last component with a name in it (`blk_<*>`, `part-<*>.`), not a bare id.
            if last.contains(VAR) && last.replace(VAR, "").bytes().any(|c| c.is_ascii_alphabetic()) {
                out.push_str(if b[ls] == b'/' { "/<*>/" } else { "<*>\\" });
                out.push_str(&last);
                return;
            }
        }
    }
    out.push_str(VAR);
}

/// End of the run of hex digits at `s`, scanning at most `max` of them.
fn hex_run(b: &[u8], s: usize, max: usize) -> usize {
    let mut j = s;
    while j < b.len() && j - s < max && b[j].is_ascii_hexdigit() {
        j += 1;
    }
    j
}

/// UUID `8-4-4-4-12`; returns its end.
fn match_uuid(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    for (k, want) in [8usize, 4, 4, 4, 12].into_iter().enumerate() {
        let e = hex_run(b, j, want + 1);
        if e - j != want {
            return None;
        }
        j = e;
        if k < 4 {
            if b.get(j) != Some(&b'-') {
                return None;
            }
            j += 1;
        }
    }
    if j < b.len() && is_word(b[j]) {
        return None;
    }
    Some(j)
}

/// MAC addresses and IPv6: six or more colon-separated hex groups, or a `::` form, with a digit.
/// `Err(k)`: nothing starting before `k` matches.
fn match_hex_colon(b: &[u8], i: usize) -> Result<usize, usize> {
    if !b[i].is_ascii_hexdigit() {
        return Err(i + 1);
    }
    let n = b.len();
    let (mut j, mut groups, mut empties, mut last_end, mut digit) = (i, 0, 0, i, false);
    loop {
        let e = hex_run(b, j, 5);
        let len = e - j;
        if len > 4 {
            return Err(e);
        }
        if len == 0 {
            empties += 1;
        } else {
            groups += 1;
            last_end = e;
            digit |= b[j..e].iter().any(|x| x.is_ascii_digit());
        }
        j = e;
        if j < n && b[j] == b':' {
            j += 1;
        } else {
            break;
        }
    }
    let ok = digit && ((groups >= 6 && empties == 0) || (empties >= 1 && groups >= 2));
    if ok && !(last_end < n && is_word(b[last_end])) {
        Ok(last_end)
    } else {
        // Later starts in `i..j` see fewer groups.
        Err(j.max(i + 1))
    }
}

/// Host names: `host:port` (with a dashed or dotted host), `host/1.2.3.4`, and dotted names whose
/// first label has a digit and whose last label looks like a TLD (`24-54-76-216.bflony.adelphia.net`).
/// `Err(k)`: do not try again before `k`.
fn match_host(b: &[u8], i: usize) -> Result<usize, usize> {
    if !b[i].is_ascii_alphanumeric() {
        return Err(i + 1);
    }
    let n = b.len();
    let mut j = i;
    while j < n && (b[j].is_ascii_alphanumeric() || b[j] == b'.' || b[j] == b'-') {
        j += 1;
    }
    // On failure, skip the rest of this run: restarting inside it rarely changes the outcome and
    // would make long dotted tokens quadratic.
    let fail = Err(j.max(i + 1));
    if j < n && is_word(b[j]) {
        return fail;
    }
    let mut e = j;
    while e > i && (b[e - 1] == b'.' || b[e - 1] == b'-') {
        e -= 1;
    }
    let name = &b[i..e];
    let dots = name.iter().filter(|&&x| x == b'.').count();
    let dashes = name.iter().filter(|&&x| x == b'-').count();
    let has_letter = name.iter().any(|x| x.is_ascii_alphabetic());
    if !has_letter {
        return fail;
    }
    let labels = || name.split(|&x| x == b'.');
    let generic = |l: &[u8]| GENERIC_TLDS.iter().any(|t| t.as_bytes().eq_ignore_ascii_case(l));
    // A domain name: its last label a generic TLD (`.com`), or a country code after one
    // (`.edu.hk`). Not reverse-DNS names (`com.apple.xpc`), whose first label is the TLD.
    let domain = dots >= 1 && !labels().next().is_some_and(generic) && {
        let tld = labels().next_back().unwrap_or(&[]);
        let second = labels().rev().nth(1).unwrap_or(&[]);
        generic(tld) || (tld.len() == 2 && tld.iter().all(u8::is_ascii_alphabetic) && generic(second))
    };
    if e == j && j < n && b[j] == b':' && (dashes > 0 || dots >= 2 || domain) {
        let mut k = j + 1;
        while k < n && b[k].is_ascii_digit() {
            k += 1;
        }
        let port_len = k - j - 1;
        let after_ok =
            k == n || !(is_word(b[k]) || b[k] == b':' || (b[k] == b'.' && k + 1 < n && b[k + 1].is_ascii_digit()));
        if (1..=5).contains(&port_len) && after_ok {
            return Ok(e);
        }
    }
    if e == j && j < n && b[j] == b'/' && match_ipv4(b, j + 1).is_some() {
        return Ok(e);
    }
    if domain && (e == j && (j == n || !is_word(b[j]))) {
        return Ok(e);
    }
    if dots >= 2 {
        let first_label = name.split(|&x| x == b'.').next().unwrap_or(&[]);
        let tld = name.rsplit(|&x| x == b'.').next().unwrap_or(&[]);
        if first_label.iter().any(|x| x.is_ascii_digit())
            && (2..=6).contains(&tld.len())
            && tld.iter().all(|x| x.is_ascii_alphabetic())
        {
            return Ok(e);
        }
    }
    fail
}

const GENERIC_TLDS: [&str; 12] =
    ["com", "net", "org", "edu", "gov", "mil", "info", "biz", "io", "local", "localdomain", "lan"];

/// Dotted-quad IPv4 address; returns its end (a port is masked separately as a number).
fn match_ipv4(b: &[u8], i: usize) -> Option<usize> {
    let n = b.len();
    if i > 0 && b[i - 1] == b'.' {
        return None;
    }
    let mut j = i;
    for k in 0..4 {
        let s = j;
        while j < n && b[j].is_ascii_digit() && j - s < 4 {
            j += 1;
        }
        if j == s || j - s > 3 {
            return None;
        }
        if k < 3 {
            if j < n && b[j] == b'.' {
                j += 1;
            } else {
                return None;
            }
        }
    }
    if j < n && (is_word(b[j]) || (b[j] == b'.' && j + 1 < n && b[j + 1].is_ascii_digit())) {
        return None;
    }
    Some(j)
}
