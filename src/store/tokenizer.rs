//! The body tokenizer: words for full-text search, plus whole identifiers as single
//! tokens so that ids, IPs, emails and versions are found with one term lookup.
//!
//! Text is cut into chunks at whitespace and delimiters (quotes, brackets, `=`, `,`
//! ...). Each chunk yields its alphanumeric sub-tokens (`10`, `0`, `0`, `1`) at
//! consecutive positions and, when it has more than one, the whole chunk (`10.0.0.1`)
//! at the position of its first sub-token. Chunks are also split at `:`, `/`, `@` into
//! parts that get the same treatment, so `10.0.0.1:8080` is found by `10.0.0.1`, and
//! every dotted run (`10.0.0.1`, `payments.internal`, `2.14.1`) gets its own token
//! wherever it appears, so that addresses and versions never need a phrase query.
//!
//! Attributes follow the body in the same field, as entries: the key is a single `@key`
//! token (no bare word can produce it, so free text never matches keys), the value is
//! tokenized like the body right after it. One field means one term lookup per segment
//! for a bare word, whether it is in the body or in an attribute.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Longest sub-token that is indexed; longer ones (base64 blobs) only take a position.
pub const MAX_WORD: usize = 64;
/// Longest whole-chunk token.
pub const MAX_COMPOUND: usize = 128;
/// Shortest word with a digit that counts as an id (see `needs_compound`).
const RARE_WORD: usize = 10;

pub const NAME: &str = "fw";

/// In the text given to the index: starts the attributes after the body, separates
/// attribute entries, and a key from its value. Control characters, so no log text is
/// mistaken for them (they are delimiters to the word tokenizer).
pub const ATTRS_START: char = '\u{1d}';
pub const ENTRY_SEP: char = '\u{1e}';
pub const KEY_SEP: char = '\u{1f}';
/// In the body given to the index: stands for the `=` of a `key=value` pair that is also an
/// attribute, as it is. The key gets its `@key` token there, right before the value's words,
/// so the pair needs no entry after the body (its value would be indexed twice).
pub const KEY_MARK: char = '\u{1c}';
const _: () = assert!(
    KEY_MARK as u32 == 0x1c && ATTRS_START as u32 == 0x1d && ENTRY_SEP as u32 == 0x1e && KEY_SEP as u32 == 0x1f
);

pub fn is_delimiter(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c, '"' | '\'' | '`' | '(' | ')' | '[' | ']' | '{' | '}' | '<' | '>' | ',' | ';' | '=' | '|' | '\\')
}

fn is_edge_punct(c: char) -> bool {
    !c.is_alphanumeric()
}

fn is_part_separator(c: char) -> bool {
    matches!(c, ':' | '/' | '@')
}

/// One chunk of text, trimmed of punctuation at both ends, as byte offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    pub from: usize,
    pub to: usize,
}

/// Splits `text` into chunks. The query side uses the same function, so queries and
/// documents agree on what a chunk is.
pub fn chunks(text: &str) -> impl Iterator<Item = Chunk> + '_ {
    let mut rest = 0usize;
    // Logs are nearly all ASCII: bytes are classified by a table instead of decoding characters.
    let ascii = text.is_ascii();
    std::iter::from_fn(move || if ascii { next_ascii_chunk(text, &mut rest) } else { next_chunk(text, &mut rest) })
}

fn next_chunk(text: &str, rest: &mut usize) -> Option<Chunk> {
    while *rest < text.len() {
        let tail = &text[*rest..];
        let start_rel = tail.find(|c: char| !is_delimiter(c))?;
        let start = *rest + start_rel;
        let end = text[start..].find(is_delimiter).map_or(text.len(), |e| start + e);
        *rest = end;
        let raw = &text[start..end];
        let lead = raw.len() - raw.trim_start_matches(is_edge_punct).len();
        let trimmed = raw.trim_matches(is_edge_punct);
        if !trimmed.is_empty() {
            let from = start + lead;
            return Some(Chunk { from, to: from + trimmed.len() });
        }
    }
    None
}

/// [`is_delimiter`] for every ASCII byte.
const ASCII_DELIMITERS: [bool; 128] = {
    let mut t = [false; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = c.is_ascii_whitespace()
            || c == 0x0b
            || c.is_ascii_control()
            || matches!(c, b'"' | b'\'' | b'`' | b'(' | b')' | b'[' | b']' | b'{' | b'}' | b'<' | b'>' | b',' | b';')
            || matches!(c, b'=' | b'|' | b'\\');
        b += 1;
    }
    t
};

pub fn is_ascii_delimiter(b: u8) -> bool {
    ASCII_DELIMITERS[usize::from(b & 0x7f)]
}

/// [`next_chunk`] for ASCII text.
fn next_ascii_chunk(text: &str, rest: &mut usize) -> Option<Chunk> {
    let bytes = text.as_bytes();
    while *rest < bytes.len() {
        let start = *rest + bytes[*rest..].iter().position(|&b| !is_ascii_delimiter(b))?;
        let end = bytes[start..].iter().position(|&b| is_ascii_delimiter(b)).map_or(bytes.len(), |e| start + e);
        *rest = end;
        let raw = &bytes[start..end];
        if let Some(first) = raw.iter().position(u8::is_ascii_alphanumeric) {
            let last = raw.iter().rposition(u8::is_ascii_alphanumeric).unwrap_or(first);
            return Some(Chunk { from: start + first, to: start + last + 1 });
        }
    }
    None
}

/// Alphanumeric runs inside `text[from..to]`, as byte offsets.
pub fn words(text: &str, chunk: Chunk) -> impl Iterator<Item = (usize, usize)> + '_ {
    let s = text.get(chunk.from..chunk.to).unwrap_or("");
    let ascii = s.is_ascii();
    let mut idx = 0usize;
    std::iter::from_fn(move || {
        let (st, en) = if ascii {
            let tail = &s.as_bytes()[idx..];
            let st = tail.iter().position(u8::is_ascii_alphanumeric)?;
            (st, tail[st..].iter().position(|b| !b.is_ascii_alphanumeric()).map_or(tail.len(), |e| st + e))
        } else {
            let tail = &s[idx..];
            let st = tail.find(char::is_alphanumeric)?;
            (st, tail[st..].find(|c: char| !c.is_alphanumeric()).map_or(tail.len(), |e| st + e))
        };
        idx += en;
        Some((chunk.from + idx - (en - st), chunk.from + idx))
    })
}

/// Sub-parts of a chunk at `:`, `/`, `@`, trimmed like chunks.
pub fn parts(text: &str, chunk: Chunk) -> impl Iterator<Item = Chunk> + '_ {
    let s = text.get(chunk.from..chunk.to).unwrap_or("");
    s.split(is_part_separator).filter_map(move |p| {
        // Offsets come from the piece itself, never from adding up separator lengths.
        let start = chunk.from + sub_offset(s, p);
        let lead = p.len() - p.trim_start_matches(is_edge_punct).len();
        let t = p.trim_matches(is_edge_punct);
        (!t.is_empty()).then(|| Chunk { from: start + lead, to: start + lead + t.len() })
    })
}

/// Byte offset of `part`, a sub-slice of `whole`, inside `whole`.
fn sub_offset(whole: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize).min(whole.len())
}

pub fn lowercase_into(src: &str, dst: &mut String) {
    dst.clear();
    lowercase_push(src, dst);
}

fn lowercase_push(src: &str, dst: &mut String) {
    if src.is_ascii() {
        let start = dst.len();
        dst.push_str(src);
        dst[start..].make_ascii_lowercase();
    } else {
        for c in src.chars() {
            dst.extend(c.to_lowercase());
        }
    }
}

/// Maximal runs of alphanumerics and dots that hold more than one word, as byte offsets.
pub fn dotted_runs(text: &str, chunk: Chunk) -> impl Iterator<Item = Chunk> + '_ {
    let s = text.get(chunk.from..chunk.to).unwrap_or("");
    // The separators here may be multi-byte characters (`€`, `�`): offsets come from the piece itself.
    s.split(|c: char| !(c.is_alphanumeric() || c == '.')).filter_map(move |p| {
        let start = chunk.from + sub_offset(s, p);
        let t = p.trim_matches('.');
        let lead = p.len() - p.trim_start_matches('.').len();
        (t.contains('.') && t.split('.').filter(|w| !w.is_empty()).nth(1).is_some())
            .then(|| Chunk { from: start + lead, to: start + lead + t.len() })
    })
}

/// Whether `text` is one dotted run (an address, a version, a host name): its whole
/// token is emitted wherever it occurs, so a query needs nothing else.
pub fn is_dotted(text: &str) -> bool {
    text.contains('.')
        && text.chars().all(|c| c.is_alphanumeric() || c == '.')
        && !text.starts_with('.')
        && !text.ends_with('.')
        && !text.contains("..")
}

/// Normalizes a compound as the index stores it.
pub fn compound_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    lowercase_into(s, &mut out);
    out
}

/// Tokens of the current text. Their `String`s are reused from one text to the next:
/// a fresh allocation per token was the largest single cost of indexing.
#[derive(Clone, Default)]
pub struct TokenBuf {
    tokens: Vec<Token>,
    len: usize,
}

impl TokenBuf {
    pub fn clear(&mut self) {
        self.len = 0;
    }

    pub fn as_slice(&self) -> &[Token] {
        &self.tokens[..self.len]
    }

    /// The next token slot, its text emptied.
    fn slot(&mut self) -> &mut Token {
        if self.len == self.tokens.len() {
            self.tokens.push(Token::default());
        }
        let t = &mut self.tokens[self.len];
        self.len += 1;
        t.text.clear();
        t
    }

    /// `base` shifts the offsets: `text` may be a part of the indexed text. `ascii`: `text` is all ASCII.
    fn push(&mut self, text: &str, from: usize, to: usize, position: usize, base: usize, ascii: bool) {
        // Spans come from char-aware splitting; a span that is not one is dropped rather than panicking.
        let Some(src) = text.get(from..to) else { return };
        let t = self.slot();
        t.offset_from = base + from;
        t.offset_to = base + to;
        t.position = position;
        t.position_length = 1;
        if ascii {
            t.text.push_str(src);
            t.text.make_ascii_lowercase();
        } else {
            lowercase_push(src, &mut t.text);
        }
    }
}

#[derive(Clone, Default)]
pub struct FwTokenizer {
    pending: TokenBuf,
}

/// The key token of an attribute.
pub fn key_token(key: &str) -> String {
    let mut t = String::with_capacity(key.len() + 1);
    t.push('@');
    lowercase_push(key, &mut t);
    t
}

/// Body, then attribute entries after a gap of positions.
pub fn index_tokenize_into(text: &str, out: &mut TokenBuf) {
    match text.split_once(ATTRS_START) {
        Some((body, attrs)) => {
            let next = tokenize_at(body, out, 0, 0);
            attr_tokenize_at(attrs, out, next + 1, body.len() + ATTRS_START.len_utf8());
        }
        None => {
            tokenize_at(text, out, 0, 0);
        }
    }
}

fn attr_tokenize_at(text: &str, out: &mut TokenBuf, first_position: usize, base_offset: usize) {
    let mut position = first_position;
    let mut offset = base_offset;
    for entry in text.split(ENTRY_SEP) {
        let base = offset;
        offset += entry.len() + ENTRY_SEP.len_utf8();
        let Some((key, value)) = entry.split_once(KEY_SEP) else { continue };
        if key.len() < MAX_COMPOUND {
            push_key(out, key, base, position);
        }
        let value_base = base + key.len() + KEY_SEP.len_utf8();
        let after = tokenize_at(value, out, position + 1, value_base);
        // A gap, so that a phrase never runs from one entry into the next.
        position = after + 1;
    }
}

pub struct FwTokenStream<'a> {
    tokens: &'a mut TokenBuf,
    idx: usize,
}

impl Tokenizer for FwTokenizer {
    type TokenStream<'a> = FwTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> FwTokenStream<'a> {
        self.pending.clear();
        // This runs on Tantivy's indexing threads, where a panic would take the whole writer (and every
        // uncommitted record of the command) down. Any bug left in the tokenizer costs one document its
        // compound tokens instead: it is indexed by whitespace-separated words.
        let tokenized = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            index_tokenize_into(text, &mut self.pending);
        }));
        if tokenized.is_err() {
            tracing::error!(len = text.len(), "tokenizer panicked; document indexed by plain words");
            self.pending.clear();
            fallback_tokenize_into(text, &mut self.pending);
        }
        FwTokenStream { tokens: &mut self.pending, idx: 0 }
    }
}

impl TokenStream for FwTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.idx += 1;
        self.idx <= self.tokens.len
    }

    fn token(&self) -> &Token {
        &self.tokens.tokens[self.idx - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens.tokens[self.idx - 1]
    }
}

/// Lowercased whitespace-separated words, cut to [`MAX_WORD`] bytes: the tokenization of last resort.
fn fallback_tokenize_into(text: &str, out: &mut TokenBuf) {
    for (position, w) in text.split(|c: char| is_delimiter(c)).filter(|w| !w.is_empty()).enumerate() {
        let from = sub_offset(text, w);
        if w.len() <= MAX_WORD {
            out.push(text, from, from + w.len(), position, 0, false);
        }
    }
}

/// Every token of `text`, in position order.
pub fn tokenize_into(text: &str, out: &mut TokenBuf) {
    tokenize_at(text, out, 0, 0);
}

/// Whether a word is long and has a digit: an id (`89499506de51`), all but unique to its record.
pub fn is_rare_word(w: &str) -> bool {
    w.len() >= RARE_WORD && w.bytes().any(|b| b.is_ascii_digit())
}

/// Whether the whole-identifier token of `span` (a chunk or a part of one, not a dotted run) is worth
/// indexing. Not when one of its words is an id: a query finds the span as the phrase of its words,
/// which that word makes as fast as one term, and a unique term per record is what costs most to
/// index (hashed, sorted and written to the dictionary of its segment). A word longer than
/// [`MAX_WORD`] is not indexed, so its span keeps its token.
pub fn needs_compound(text: &str, span: Chunk) -> bool {
    words_need_compound(text, words(text, span))
}

/// [`needs_compound`] of the span with these words.
fn words_need_compound(text: &str, words: impl IntoIterator<Item = (usize, usize)>) -> bool {
    let mut rare = false;
    for (a, b) in words {
        if b - a > MAX_WORD {
            return true;
        }
        rare |= is_rare_word(&text[a..b]);
    }
    !rare
}

/// Tokenizes `text` with positions from `first_position` and offsets shifted by
/// `base`; returns the position after the last word.
fn tokenize_at(text: &str, out: &mut TokenBuf, first_position: usize, base: usize) -> usize {
    tokenize_with(text, out, first_position, base, text.is_ascii())
}

/// [`tokenize_at`]; with `ascii` (the text is all ASCII, as nearly all logs are), chunks, words, parts and
/// dotted runs are cut by byte scans instead of decoded characters: a third of the tokenizer's time went to
/// decoding (measured with callgrind). Both ways give the same tokens (`ascii_path_gives_the_same_tokens`).
fn tokenize_with(text: &str, out: &mut TokenBuf, first_position: usize, base: usize, ascii: bool) -> usize {
    let b = text.as_bytes();
    let mut position = first_position;
    let mut word_spans: Vec<(usize, usize)> = Vec::new();
    let mut part_words: Vec<(usize, usize)> = Vec::new();
    let mut compounds: Vec<(usize, usize)> = Vec::new();
    let mut rest = 0usize;
    loop {
        let next = if ascii { next_ascii_chunk(text, &mut rest) } else { next_chunk(text, &mut rest) };
        let Some(chunk) = next else { break };
        word_spans.clear();
        if ascii {
            ascii_words(b, chunk, &mut word_spans);
        } else {
            word_spans.extend(words(text, chunk));
        }
        if word_spans.is_empty() {
            continue;
        }
        compounds.clear();
        if word_spans.len() > 1 {
            if words_need_compound(text, word_spans.iter().copied()) {
                compounds.push((chunk.from, chunk.to));
            }
            // A chunk without a separator is its only part, and one without a dot has no dotted run:
            // most chunks skip both scans.
            let span = &b[chunk.from..chunk.to];
            if span.iter().any(|&c| is_part_separator(char::from(c))) {
                if ascii {
                    for part in ascii_parts(b, chunk) {
                        part_words.clear();
                        ascii_words(b, part, &mut part_words);
                        if part_words.len() > 1 && words_need_compound(text, part_words.iter().copied()) {
                            compounds.push((part.from, part.to));
                        }
                    }
                } else {
                    for part in parts(text, chunk) {
                        let inner = words(text, part).take(2).count();
                        if inner > 1 && needs_compound(text, part) {
                            compounds.push((part.from, part.to));
                        }
                    }
                }
            }
            if span.contains(&b'.') {
                if ascii {
                    ascii_dotted_runs(b, chunk, &mut compounds);
                } else {
                    compounds.extend(dotted_runs(text, chunk).map(|c| (c.from, c.to)));
                }
            }
            // In start order; the same span found twice is emitted once.
            compounds.sort_unstable();
            compounds.dedup();
        }
        let mut ci = 0;
        let key_at = (b.get(chunk.to) == Some(&(KEY_MARK as u8)))
            .then(|| position + word_spans.len() - 1)
            .filter(|_| chunk.to - chunk.from < MAX_COMPOUND);
        for (i, &(wf, wt)) in word_spans.iter().enumerate() {
            while ci < compounds.len() && compounds[ci].0 <= wf {
                let (cf, ct) = compounds[ci];
                if ct.saturating_sub(cf) <= MAX_COMPOUND {
                    out.push(text, cf, ct, position + i, base, ascii);
                }
                ci += 1;
            }
            if wt.saturating_sub(wf) <= MAX_WORD {
                out.push(text, wf, wt, position + i, base, ascii);
            }
        }
        if let Some(at) = key_at {
            push_key(out, &text[chunk.from..chunk.to], base + chunk.from, at);
        }
        position += word_spans.len();
    }
    position
}

/// [`words`] of ASCII text, into `out`.
fn ascii_words(b: &[u8], chunk: Chunk, out: &mut Vec<(usize, usize)>) {
    let mut i = chunk.from;
    while i < chunk.to {
        while i < chunk.to && !b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let start = i;
        while i < chunk.to && b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        if i > start {
            out.push((start, i));
        }
    }
}

/// [`parts`] of ASCII text.
fn ascii_parts(b: &[u8], chunk: Chunk) -> impl Iterator<Item = Chunk> + '_ {
    let span = &b[chunk.from..chunk.to];
    let mut offset = chunk.from;
    span.split(|&c| matches!(c, b':' | b'/' | b'@')).filter_map(move |piece| {
        let start = offset;
        offset += piece.len() + 1;
        let first = piece.iter().position(u8::is_ascii_alphanumeric)?;
        let last = piece.iter().rposition(u8::is_ascii_alphanumeric).unwrap_or(first);
        Some(Chunk { from: start + first, to: start + last + 1 })
    })
}

/// [`dotted_runs`] of ASCII text, pushed to `out`. A run trimmed of its edge dots that still holds a dot has
/// two words around it, so holding a dot is the whole test.
fn ascii_dotted_runs(b: &[u8], chunk: Chunk, out: &mut Vec<(usize, usize)>) {
    let mut i = chunk.from;
    while i < chunk.to {
        let start = i;
        while i < chunk.to && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
            i += 1;
        }
        let (mut from, mut to) = (start, i);
        while from < to && b[from] == b'.' {
            from += 1;
        }
        while to > from && b[to - 1] == b'.' {
            to -= 1;
        }
        if b[from..to].contains(&b'.') {
            out.push((from, to));
        }
        i += 1;
    }
}

/// The `@key` token of an attribute key, at `position`.
fn push_key(out: &mut TokenBuf, key: &str, offset: usize, position: usize) {
    let t = out.slot();
    t.offset_from = offset;
    t.offset_to = offset + key.len();
    t.position = position;
    t.position_length = 1;
    t.text.push('@');
    lowercase_push(key, &mut t.text);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<(String, usize)> {
        let mut out = TokenBuf::default();
        // Reuse must not leak tokens of an earlier text.
        tokenize_into("some earlier text with many many words in it", &mut out);
        out.clear();
        tokenize_into(text, &mut out);
        out.as_slice().iter().map(|t| (t.text.clone(), t.position)).collect()
    }

    #[test]
    fn ip_port_and_words() {
        let t = toks("Connection from 10.0.0.1:8080 refused");
        let texts: Vec<&str> = t.iter().map(|(s, _)| s.as_str()).collect();
        assert!(texts.contains(&"10.0.0.1:8080"));
        assert!(texts.contains(&"10.0.0.1"));
        assert!(texts.contains(&"connection"));
        let pos = |s: &str| t.iter().find(|(x, _)| x == s).map(|(_, p)| *p);
        assert_eq!(pos("from"), Some(1));
        assert_eq!(pos("10.0.0.1"), Some(2));
        assert_eq!(pos("10"), Some(2));
        assert_eq!(pos("8080"), Some(6));
        assert_eq!(pos("refused"), Some(7));
        // positions never go backwards
        assert!(t.windows(2).all(|w| w[0].1 <= w[1].1));
    }

    #[test]
    fn trims_and_delimits() {
        let t = toks("error: user=bob (req-7F3A) \"ok\".");
        let texts: Vec<&str> = t.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(texts, vec!["error", "user", "bob", "req-7f3a", "req", "7f3a", "ok"]);
    }

    #[test]
    fn dotted_runs_everywhere() {
        let t = toks("host-10.1.2.3 [/10.0.0.9:3888:Listener@493] v2.14.1-rc1");
        let texts: Vec<&str> = t.iter().map(|(s, _)| s.as_str()).collect();
        for want in ["10.1.2.3", "10.0.0.9", "10.0.0.9:3888:listener@493", "v2.14.1", "v2.14.1-rc1"] {
            assert!(texts.contains(&want), "{want} in {texts:?}");
        }
        assert!(t.windows(2).all(|w| w[0].1 <= w[1].1));
        assert!(is_dotted("10.0.0.1") && is_dotted("api.internal") && !is_dotted("10.0.0.1:80") && !is_dotted("a..b"));
    }

    #[test]
    fn attribute_entries() {
        let text = format!("body words{ATTRS_START}order.id{KEY_SEP}ord-7{ENTRY_SEP}peer{KEY_SEP}payments internal");
        let mut out = TokenBuf::default();
        index_tokenize_into(&text, &mut out);
        let got: Vec<(&str, usize)> = out.as_slice().iter().map(|t| (t.text.as_str(), t.position)).collect();
        assert_eq!(
            got,
            vec![
                ("body", 0),
                ("words", 1),
                ("@order.id", 3),
                ("ord-7", 4),
                ("ord", 4),
                ("7", 5),
                ("@peer", 7),
                ("payments", 8),
                ("internal", 9)
            ]
        );
        assert!(out.as_slice().iter().all(|t| t.offset_to <= text.len() && t.offset_from <= t.offset_to));
    }

    /// Regression: `/var/log/apt/eipp.log.xz` read as text panicked the index thread ("end byte index … is not a
    /// char boundary"): a dotted run after a multi-byte separator (`�`, `€`) got offsets one byte per separator off.
    #[test]
    fn multibyte_separators_never_cut_a_character() {
        let inputs = [
            "a.b\u{fffd}c.d",
            "\u{fffd}\u{fffd}x.y.z",
            "7zXZ\u{0}\u{fffd}\u{fffd}F\u{fffd}!\u{fffd}\u{fffd}ab.cd\u{fffd}ef.gh",
            "host\u{20ac}10.0.0.1\u{20ac}v2.1:9\u{fffd}\u{fffd}a.b@\u{1f600}c.d/e.f",
        ];
        for text in inputs {
            let mut out = TokenBuf::default();
            index_tokenize_into(text, &mut out);
            for t in out.as_slice() {
                let span = text.get(t.offset_from..t.offset_to);
                assert_eq!(span.map(str::to_lowercase).as_deref(), Some(t.text.as_str()), "{text:?}");
            }
        }
        let t = toks("a.b\u{fffd}c.d\u{20ac}e.f");
        let texts: Vec<&str> = t.iter().map(|(s, _)| s.as_str()).collect();
        for want in ["a.b", "c.d", "e.f"] {
            assert!(texts.contains(&want), "{want} in {texts:?}");
        }
    }

    #[test]
    fn ids_are_found_by_their_words_not_a_token_of_their_own() {
        let t = toks("req=req-89499506de51 at 10.2.148.41:8080 order ord-7F3A blob-");
        let texts: Vec<&str> = t.iter().map(|(s, _)| s.as_str()).collect();
        assert!(!texts.contains(&"req-89499506de51"), "{texts:?}");
        let pos = |s: &str| t.iter().find(|(x, _)| x == s).map(|(_, p)| *p);
        assert_eq!((pos("89499506de51"), pos("at")), (Some(2), Some(3)), "{texts:?}");
        for want in ["10.2.148.41:8080", "10.2.148.41", "ord-7f3a"] {
            assert!(texts.contains(&want), "{want} in {texts:?}");
        }
        // A word too long to be indexed keeps its chunk findable as one token.
        let long = format!("x-{}1", "a".repeat(MAX_WORD));
        assert!(toks(&long).iter().any(|(s, _)| *s == long.to_lowercase()));
    }

    #[test]
    fn the_fallback_keeps_plain_words() {
        let mut out = TokenBuf::default();
        fallback_tokenize_into("Disk FULL on\u{fffd}host-1", &mut out);
        let got: Vec<&str> = out.as_slice().iter().map(|t| t.text.as_str()).collect();
        assert_eq!(got, vec!["disk", "full", "on\u{fffd}host-1"]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Any text, including what lossy UTF-8 conversion makes of random bytes: no panic, and every token is
        /// the lowercased text at its offsets.
        #[test]
        fn arbitrary_text_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512),
                                       s in "\\PC{0,64}") {
            for text in [String::from_utf8_lossy(&bytes).into_owned(), s.clone(), format!("{s}{ATTRS_START}k{KEY_SEP}{s}")] {
                let mut out = TokenBuf::default();
                index_tokenize_into(&text, &mut out);
                for t in out.as_slice() {
                    proptest::prop_assert!(text.get(t.offset_from..t.offset_to).is_some(), "{:?} in {:?}", t, text);
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// The byte-table path for ASCII text cuts exactly where the character path does.
        #[test]
        fn ascii_chunks_match_the_general_rule(s in "[ -~\t\x00-\x1f\x7f]{0,80}") {
            let (mut a, mut b) = (0usize, 0usize);
            loop {
                let (x, y) = (next_ascii_chunk(&s, &mut a), next_chunk(&s, &mut b));
                proptest::prop_assert_eq!(x, y, "{:?}", s);
                if x.is_none() {
                    break;
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        /// The byte-scan path for ASCII text gives exactly the tokens of the character path: texts, positions
        /// and offsets, for log-like text (ids, addresses, paths, pairs) and for any printable ASCII.
        #[test]
        fn ascii_path_gives_the_same_tokens(
            logish in "([a-zA-Z0-9]{1,14}[ .:/@_=,;()\\[\\]\"'-]{1,2}){0,16}",
            any in "[ -~\t\x00-\x1f\x7f]{0,120}",
        ) {
            for s in [&logish, &any] {
                let (mut fast, mut general) = (TokenBuf::default(), TokenBuf::default());
                let end_fast = tokenize_with(s, &mut fast, 3, 7, true);
                let end_general = tokenize_with(s, &mut general, 3, 7, false);
                let view = |b: &TokenBuf| -> Vec<(String, usize, usize, usize)> {
                    b.as_slice().iter().map(|t| (t.text.clone(), t.position, t.offset_from, t.offset_to)).collect()
                };
                proptest::prop_assert_eq!(view(&fast), view(&general), "{:?}", s);
                proptest::prop_assert_eq!(end_fast, end_general);
            }
        }
    }

    /// The compounds of a chunk as every scan finds them, without the shortcuts of `tokenize_at`.
    fn compounds_of_every_scan(text: &str, chunk: Chunk) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        if words(text, chunk).count() > 1 {
            if needs_compound(text, chunk) {
                out.push((chunk.from, chunk.to));
            }
            for part in parts(text, chunk) {
                if words(text, part).count() > 1 && needs_compound(text, part) {
                    out.push((part.from, part.to));
                }
            }
            out.extend(dotted_runs(text, chunk).map(|c| (c.from, c.to)));
        }
        out.sort_unstable();
        out.dedup();
        out.retain(|(f, t)| t - f <= MAX_COMPOUND);
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Skipping the part and dotted-run scans of chunks without `:/@` or `.` loses no compound token.
        #[test]
        fn shortcuts_keep_every_compound(s in "([a-z0-9]{1,12}[ .:/@_=é-]){0,12}") {
            let mut out = TokenBuf::default();
            tokenize_into(&s, &mut out);
            let got: Vec<(usize, usize)> = out.as_slice().iter().map(|t| (t.offset_from, t.offset_to)).collect();
            for chunk in chunks(&s) {
                for c in compounds_of_every_scan(&s, chunk) {
                    proptest::prop_assert!(got.contains(&c), "{:?} of {:?}", &s[c.0..c.1], s);
                }
            }
        }
    }

    #[test]
    fn a_dotted_run_after_digits_keeps_its_compound() {
        // The case the property above found while the dot check was switched off.
        let s = "0aa00a0aaa.0 ";
        let mut out = TokenBuf::default();
        tokenize_into(s, &mut out);
        let got: Vec<(usize, usize)> = out.as_slice().iter().map(|t| (t.offset_from, t.offset_to)).collect();
        let want: Vec<(usize, usize)> = chunks(s).flat_map(|c| compounds_of_every_scan(s, c)).collect();
        assert!(!want.is_empty());
        assert!(want.iter().all(|c| got.contains(c)), "{want:?} in {got:?}");
    }

    #[test]
    fn long_blobs_only_take_positions() {
        let blob = "a".repeat(200);
        let t = toks(&format!("x {blob} y"));
        assert_eq!(t, vec![("x".to_string(), 0), ("y".to_string(), 2)]);
    }
}
