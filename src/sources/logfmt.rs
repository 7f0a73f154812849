//! logfmt `key=value` pairs (`level=warn msg="slow request" dur=3.2s`), as Go's logfmt, logrus' text
//! formatter, slog's text handler and Heroku write them.

use std::borrow::Cow;

/// More pairs than this in one line are not read: a line is not a table.
const MAX_PAIRS: usize = 64;
const MAX_KEY: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pairs<'a> {
    /// In line order; a key may repeat.
    pub pairs: Vec<(&'a str, Cow<'a, str>)>,
    /// Whether every token of the text was a pair: then the text is a logfmt record, not prose with a few
    /// pairs in it.
    pub whole: bool,
}

/// A key as logfmt writers emit them: a letter or `_` first, then letters, digits and `_ . - /`. This keeps
/// URL queries (`/search?q=x`) and comparisons (`a==b`, `x>=1`) out.
fn is_key(k: &str) -> bool {
    let mut chars = k.chars();
    k.len() <= MAX_KEY
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'))
}

/// A quoted value from just after its opening quote: the value and the bytes it took (closing quote included).
/// `None` when the quote is not closed.
fn quoted(s: &str) -> Option<(Cow<'_, str>, usize)> {
    let b = s.as_bytes();
    let end = {
        let mut i = 0;
        loop {
            match b.get(i)? {
                b'"' => break i,
                b'\\' => i += 2,
                _ => i += 1,
            }
        }
    };
    let raw = &s[..end];
    if !raw.contains('\\') {
        return Some((Cow::Borrowed(raw), end + 1));
    }
    let mut out = String::with_capacity(raw.len());
    let mut it = raw.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    Some((Cow::Owned(out), end + 1))
}

/// Where the first whitespace character of `s` starts (`char::is_whitespace`). Bytes are tested until a
/// non-ASCII one, and only then are characters decoded: the character search was a third of this parser's
/// time (callgrind, on generated mixed logs).
fn whitespace_at(s: &str) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let b = s.as_bytes();
    // Eight bytes at a time past words of printable ASCII: a word with a byte below `!` (space, the controls) or
    // a non-ASCII one stops the skip, and is scanned byte by byte (the test may stop early, never late).
    let mut skip = 0;
    for word in b.chunks_exact(8) {
        let w = u64::from_le_bytes(<[u8; 8]>::try_from(word).unwrap_or([0; 8]));
        if ((w.wrapping_sub(ONES * 0x21) & !w) | w) & HIGHS != 0 {
            break;
        }
        skip += 8;
    }
    let i = skip + b[skip..].iter().position(|&c| !c.is_ascii() || matches!(c, b' ' | b'\t'..=b'\r'))?;
    if b[i].is_ascii() {
        return Some(i);
    }
    // Every byte before `i` is ASCII, so `i` starts a character.
    s[i..].find(char::is_whitespace).map(|j| i + j)
}

/// The pairs in `text`. Tokens that are not pairs are passed over (and make the result not `whole`); a pair
/// with an empty value (`ruser=`) is a pair with no value, not kept.
pub fn parse(text: &str) -> Pairs<'_> {
    let mut out = Pairs { pairs: Vec::new(), whole: true };
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let token_end = whitespace_at(rest).unwrap_or(rest.len());
        let token = &rest[..token_end];
        // `=` is ASCII, so its byte starts a character: memchr instead of a character search (a quarter of the parse).
        let pair = memchr::memchr(b'=', token.as_bytes())
            .map(|i| (&token[..i], &token[i + 1..]))
            .filter(|(k, v)| is_key(k) && !v.starts_with('='));
        let Some((key, _)) = pair else {
            out.whole = false;
            rest = rest[token_end..].trim_start();
            continue;
        };
        let after = &rest[key.len() + 1..];
        let (value, used) = match after.strip_prefix('"') {
            Some(q) => match quoted(q) {
                Some((v, n)) => (v, n + 1),
                None => {
                    // An unclosed quote: the rest of the token is the value, and the line is not clean logfmt.
                    out.whole = false;
                    let n = whitespace_at(after).unwrap_or(after.len());
                    (Cow::Borrowed(&after[1..n]), n)
                }
            },
            None => {
                // The token's own end: neither the key nor `=` holds whitespace.
                let n = token_end - (key.len() + 1);
                (Cow::Borrowed(&after[..n]), n)
            }
        };
        let next = &after[used..];
        if next.starts_with(|c: char| !c.is_whitespace()) {
            // `k="a"b`: not what a logfmt writer makes.
            out.whole = false;
        }
        if !value.is_empty() && out.pairs.len() < MAX_PAIRS {
            out.pairs.push((key, value));
        }
        rest = next[whitespace_at(next).unwrap_or(next.len())..].trim_start();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv<'a>(p: &'a Pairs<'_>) -> Vec<(&'a str, &'a str)> {
        p.pairs.iter().map(|(k, v)| (*k, v.as_ref())).collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// The byte scan finds the whitespace the character search finds, in ASCII and in any text.
        #[test]
        fn whitespace_is_found_where_chars_find_it(ascii in "[ -~\t\n\x0b\x0c\r\x1c-\x1f]{0,40}|[!-~]{0,30}[\x00-\x7f][!-~]{0,30}", any in "\\PC{0,40}", ws in "[\u{85}\u{a0}\u{2000}\u{3000} ]") {
            for s in [ascii.clone(), any.clone(), format!("{ascii}{ws}{any}"), format!("{any}{ws}")] {
                proptest::prop_assert_eq!(whitespace_at(&s), s.find(char::is_whitespace), "{:?}", s);
            }
        }
    }

    #[test]
    fn records_and_prose() {
        let p = parse(r#"ts=2026-01-02T03:04:05Z level=warn msg="slow \"db\" call" dur=3.2s http.route=/api/x"#);
        assert!(p.whole);
        assert_eq!(
            kv(&p),
            [
                ("ts", "2026-01-02T03:04:05Z"),
                ("level", "warn"),
                ("msg", r#"slow "db" call"#),
                ("dur", "3.2s"),
                ("http.route", "/api/x")
            ]
        );
        let p = parse("authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=10.0.0.7");
        assert!(!p.whole);
        assert_eq!(kv(&p), [("uid", "0"), ("euid", "0"), ("tty", "NODEVssh"), ("rhost", "10.0.0.7")]);
        for prose in ["GET /search?q=x HTTP/1.1", "if a==b then", "x>=1", "=oops", "1a=b", "plain words only"] {
            let p = parse(prose);
            assert!(p.pairs.is_empty(), "{prose}: {p:?}");
            assert!(!p.whole, "{prose}");
        }
        assert_eq!(kv(&parse("q=a=b")), [("q", "a=b")]);
    }

    #[test]
    fn broken_quotes_do_not_swallow_the_line() {
        let p = parse(r#"msg="never closed level=error"#);
        assert!(!p.whole);
        assert_eq!(kv(&p), [("msg", "never"), ("level", "error")]);
        let p = parse(r#"a="x"y b=2"#);
        assert_eq!(kv(&p), [("a", "x"), ("b", "2")]);
        assert!(!p.whole);
        let p = parse(r#"msg="tab\there" end="\\""#);
        assert_eq!(kv(&p), [("msg", "tab\there"), ("end", "\\")]);
        assert!(parse(&"k=v ".repeat(1000)).pairs.len() == MAX_PAIRS);
        assert!(parse("").pairs.is_empty());
    }

    #[test]
    fn any_text_parses_without_panicking() {
        let alphabet: Vec<char> = "a=\"\\ \té_.1".chars().collect();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            let text: String = (0..(x % 24))
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    alphabet[(x % alphabet.len() as u64) as usize]
                })
                .collect();
            let p = parse(&text);
            assert!(p.pairs.iter().all(|(k, v)| is_key(k) && !v.is_empty()), "{text:?}");
        }
    }
}
