//! Telemetry is untrusted: nothing from a log line reaches a terminal raw.
//!
//! Control characters (C0, DEL, C1), and the bidirectional overrides that can make a
//! line read differently from what it contains, are rendered visibly as escapes.

use std::borrow::Cow;

fn is_unsafe(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{a}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// Returns `text` with every unsafe character replaced by a visible escape such as
/// `\x1b`, `\n` or `\u{202e}`. Tabs are kept: they cannot move the cursor backwards.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_unsafe(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
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
}
