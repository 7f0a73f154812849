//! Telemetry is untrusted: nothing from a log line, an alert, a model, a config or a
//! runbook file reaches a terminal raw.
//!
//! Control characters (C0, DEL, C1), and the bidirectional overrides that can make a
//! line read differently from what it contains, are rendered visibly as escapes.
//!
//! The boundary has three parts, all built on the one predicate [`is_unsafe`]:
//! - [`terminal_safe`] for a value placed in a line: it escapes newlines too, so a value
//!   cannot forge a line of its own;
//! - [`Terminal`], the writer every command prints through ([`stdout`], [`stderr`]): it
//!   escapes whatever unsafe character is left in the stream, keeping only the command's own
//!   line breaks, so text that was not passed through `terminal_safe` is still harmless. Its
//!   own colours go through [`Terminal::style`], which takes a fixed [`Style`], never text;
//! - [`json`], for every `--json` output: C1, DEL and bidi controls are written as `\uXXXX`
//!   escapes inside JSON strings (serde_json escapes only C0, `"` and `\`).

pub mod color;

use std::borrow::Cow;
use std::io::{self, Write};

/// Whether `c` must not reach a terminal raw: C0 but tab, DEL, C1, and the bidi controls.
pub fn is_unsafe(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{a}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// The visible escape of an unsafe character.
fn push_escape(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

/// Returns `text` with every unsafe character replaced by a visible escape such as
/// `\x1b`, `\n` or `\u{202e}`. Tabs are kept: they cannot move the cursor backwards.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `items` made terminal safe one by one and joined: a name list (services, regions) read
/// from telemetry.
pub fn safe_join<S: AsRef<str>>(items: &[S], sep: &str) -> String {
    items.iter().map(|s| terminal_safe(s.as_ref())).collect::<Vec<_>>().join(sep)
}

/// Whether `text` can be written to a terminal as it is, line breaks included.
pub fn stream_safe(text: &str) -> bool {
    !text.chars().any(|c| c != '\n' && is_unsafe(c))
}

/// The styles firewatch itself writes (search's colours). A fixed set, so no text from
/// outside can ever be written as an escape sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Reset,
    /// A search match: bold, reversed.
    Match,
    /// Severities.
    Magenta,
    Red,
    Yellow,
    Dim,
    /// Back to the start of the line, and erase it: progress redrawn in place.
    ClearLine,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Reset => "\x1b[0m",
            Style::Match => "\x1b[1;7m",
            Style::Magenta => "\x1b[1;35m",
            Style::Red => "\x1b[1;31m",
            Style::Yellow => "\x1b[33m",
            Style::Dim => "\x1b[2m",
            Style::ClearLine => "\r\x1b[2K",
        }
    }
}

/// A writer to a terminal (or to whatever a command's output is piped into): every unsafe
/// character but the line break is written as its visible escape, and so is every byte
/// that is not UTF-8 (a lone 0x9b is CSI to an 8-bit terminal). A character split across
/// writes is held until its last byte comes.
pub struct Terminal<W: Write> {
    inner: W,
    /// The start of a UTF-8 sequence that the next write completes.
    pending: Vec<u8>,
}

/// Standard output, escaped.
pub fn stdout() -> Terminal<io::StdoutLock<'static>> {
    Terminal::new(io::stdout().lock())
}

/// Standard output, escaped and buffered: for commands that print many lines at once.
pub fn stdout_buffered() -> Terminal<io::BufWriter<io::StdoutLock<'static>>> {
    Terminal::new(io::BufWriter::new(io::stdout().lock()))
}

/// Standard error, escaped.
pub fn stderr() -> Terminal<io::StderrLock<'static>> {
    Terminal::new(io::stderr().lock())
}

impl<W: Write> Terminal<W> {
    pub fn new(inner: W) -> Self {
        Terminal { inner, pending: Vec::new() }
    }

    /// Writes one of firewatch's own styles: the only way an escape sequence gets out.
    pub fn style(&mut self, style: Style) -> io::Result<()> {
        self.write_pending_as_escapes()?;
        self.inner.write_all(style.code().as_bytes())
    }

    /// Bytes left of a sequence that never completed: shown, not dropped.
    fn write_pending_as_escapes(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let shown: String = self.pending.iter().map(|b| format!("\\x{b:02x}")).collect();
        self.pending.clear();
        self.inner.write_all(shown.as_bytes())
    }

    fn write_escaped(&mut self, bytes: &[u8]) -> io::Result<()> {
        // Most output is printable ASCII: no decoding, no copy.
        if self.pending.is_empty() && bytes.iter().all(|&b| matches!(b, b' '..=b'~' | b'\n' | b'\t')) {
            return self.inner.write_all(bytes);
        }
        let joined: Cow<'_, [u8]> = if self.pending.is_empty() {
            Cow::Borrowed(bytes)
        } else {
            let mut v = std::mem::take(&mut self.pending);
            v.extend_from_slice(bytes);
            Cow::Owned(v)
        };
        let mut bytes: &[u8] = &joined;
        let mut out = String::new();
        loop {
            match std::str::from_utf8(bytes) {
                Ok(text) => {
                    push_stream_safe(&mut out, text);
                    break;
                }
                Err(e) => {
                    let (good, rest) = bytes.split_at(e.valid_up_to());
                    // The prefix is valid UTF-8 by construction; lossy never replaces anything here.
                    push_stream_safe(&mut out, &String::from_utf8_lossy(good));
                    match e.error_len() {
                        Some(n) => {
                            for b in &rest[..n] {
                                out.push_str(&format!("\\x{b:02x}"));
                            }
                            bytes = &rest[n..];
                        }
                        None => {
                            // A sequence cut by the end of this write: the next one may complete it.
                            self.pending.extend_from_slice(rest);
                            break;
                        }
                    }
                }
            }
        }
        self.inner.write_all(out.as_bytes())
    }
}

fn push_stream_safe(out: &mut String, text: &str) {
    for c in text.chars() {
        if c != '\n' && is_unsafe(c) {
            push_escape(out, c);
        } else {
            out.push(c);
        }
    }
}

impl<W: Write> Write for Terminal<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_escaped(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write> Drop for Terminal<W> {
    fn drop(&mut self) {
        // Errors cannot be reported from a drop; the inner writer's own drop flushes.
        #[allow(clippy::let_underscore_must_use, reason = "a drop cannot report an error; the explicit flush does")]
        let _ = self.write_pending_as_escapes();
        #[allow(clippy::let_underscore_must_use, reason = "a drop cannot report an error; the explicit flush does")]
        let _ = self.inner.flush();
    }
}

/// JSON for a terminal: the same document serde_json writes, except that C1 controls, DEL
/// and the bidi controls inside strings are written as `\uXXXX` escapes, which every JSON
/// parser reads back as the same characters.
pub mod json {
    use std::io::{self, Write};

    use serde::Serialize;
    use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

    /// A formatter that escapes what serde_json leaves raw in string fragments, and
    /// otherwise lays out the document as `F` does.
    struct Safe<F>(F);

    impl<F: Formatter> Formatter for Safe<F> {
        fn write_string_fragment<W: ?Sized + Write>(&mut self, w: &mut W, fragment: &str) -> io::Result<()> {
            let mut start = 0;
            for (i, c) in fragment.char_indices() {
                // serde_json has already escaped C0 (as write_char_escape); the rest are left.
                if super::is_unsafe(c) {
                    w.write_all(&fragment.as_bytes()[start..i])?;
                    // Every unsafe character is in the BMP: one \u escape each.
                    write!(w, "\\u{:04x}", c as u32)?;
                    start = i + c.len_utf8();
                }
            }
            w.write_all(&fragment.as_bytes()[start..])
        }

        fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
            self.0.begin_array(w)
        }
        fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
            self.0.end_array(w)
        }
        fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
            self.0.begin_array_value(w, first)
        }
        fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
            self.0.end_array_value(w)
        }
        fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
            self.0.begin_object(w)
        }
        fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
            self.0.end_object(w)
        }
        fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
            self.0.begin_object_key(w, first)
        }
        fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
            self.0.end_object_key(w)
        }
        fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
            self.0.begin_object_value(w)
        }
        fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
            self.0.end_object_value(w)
        }
    }

    fn write_with<W: Write, F: Formatter, T: ?Sized + Serialize>(
        w: W,
        formatter: F,
        value: &T,
    ) -> serde_json::Result<()> {
        let mut ser = serde_json::Serializer::with_formatter(w, Safe(formatter));
        value.serialize(&mut ser)
    }

    /// `value` as compact JSON (one line), like `serde_json::to_writer`.
    pub fn to_writer<W: Write, T: ?Sized + Serialize>(w: W, value: &T) -> serde_json::Result<()> {
        write_with(w, CompactFormatter, value)
    }

    /// `value` as indented JSON, like `serde_json::to_writer_pretty`.
    pub fn to_writer_pretty<W: Write, T: ?Sized + Serialize>(w: W, value: &T) -> serde_json::Result<()> {
        write_with(w, PrettyFormatter::new(), value)
    }

    /// `value` as compact JSON, like `serde_json::to_string`.
    pub fn to_string<T: ?Sized + Serialize>(value: &T) -> serde_json::Result<String> {
        let mut buf = Vec::new();
        to_writer(&mut buf, value)?;
        // The serializer writes UTF-8 only; a failure here would be a serde_json bug.
        String::from_utf8(buf).map_err(|e| serde::ser::Error::custom(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_visible() {
        assert_eq!(terminal_safe("a\x1b[31mred"), "a\\x1b[31mred");
        assert_eq!(terminal_safe("line\nnext\r"), "line\\nnext\\r");
        assert_eq!(terminal_safe("nul\0"), "nul\\x00");
        assert_eq!(terminal_safe("c1\u{9b}2J"), "c1\\x9b2J");
        assert_eq!(terminal_safe("rtl\u{202e}txt"), "rtl\\u{202e}txt");
        assert_eq!(terminal_safe("tab\tok ünïcode"), "tab\tok ünïcode");
        assert!(matches!(terminal_safe("plain"), Cow::Borrowed(_)));
    }

    fn through_terminal(chunks: &[&[u8]]) -> String {
        let mut buf = Vec::new();
        {
            let mut t = Terminal::new(&mut buf);
            for c in chunks {
                t.write_all(c).unwrap();
            }
        }
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn the_terminal_writer_keeps_lines_and_escapes_the_rest() {
        let mut buf = Vec::new();
        {
            let mut t = Terminal::new(&mut buf);
            let value = "x\x1b]52;c;eA==\x07\u{202e}\u{9b}\x7f\r";
            writeln!(t, "svc {value} ok\tü").unwrap();
        }
        assert_eq!(String::from_utf8(buf).unwrap(), "svc x\\x1b]52;c;eA==\\x07\\u{202e}\\x9b\\x7f\\r ok\tü\n");
        // A character split across writes is whole again; a C1 split the same way is still caught.
        assert_eq!(through_terminal(&[b"a\xc3", b"\xbc b"]), "aü b");
        assert_eq!(through_terminal(&[b"a\xc2", b"\x9b b"]), "a\\x9b b");
        assert_eq!(through_terminal(&[b"a\xe2\x80", b"\xae b"]), "a\\u{202e} b");
        // Bytes that are not UTF-8 are shown, also at the very end.
        assert_eq!(through_terminal(&[b"x\x9b\xffy"]), "x\\x9b\\xffy");
        assert_eq!(through_terminal(&[b"end\xe2\x80"]), "end\\xe2\\x80");
        // Only firewatch's own styles are written as escapes.
        let mut buf = Vec::new();
        {
            let mut t = Terminal::new(&mut buf);
            t.style(Style::Red).unwrap();
            write!(t, "ERROR").unwrap();
            t.style(Style::Reset).unwrap();
        }
        assert_eq!(buf, b"\x1b[1;31mERROR\x1b[0m");
    }

    #[test]
    fn json_escapes_c1_del_and_bidi_inside_strings() {
        let v = serde_json::json!({"k\u{202e}": ["a\u{7f}b\u{9b}c\u{2066}\u{200e}", "\x1b[2J", "ok ü"], "n": 1});
        let s = json::to_string(&v).unwrap();
        assert_eq!(s, r#"{"k\u202e":["a\u007fb\u009bc\u2066\u200e","\u001b[2J","ok ü"],"n":1}"#);
        assert!(stream_safe(&s));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
        let mut pretty = Vec::new();
        json::to_writer_pretty(&mut pretty, &v).unwrap();
        let pretty = String::from_utf8(pretty).unwrap();
        assert_eq!(
            pretty,
            serde_json::to_string_pretty(&v)
                .unwrap()
                .replace('\u{7f}', "\\u007f")
                .replace('\u{9b}', "\\u009b")
                .replace('\u{2066}', "\\u2066")
                .replace('\u{200e}', "\\u200e")
                .replace('\u{202e}', "\\u202e")
        );
        assert_eq!(serde_json::from_str::<serde_json::Value>(&pretty).unwrap(), v);
    }
}
