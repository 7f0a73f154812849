//! Placeholders such as `[TOKEN_3]`: the session's mapping from secrets to names, and how
//! to recognise a placeholder in text.

use std::collections::HashMap;

use super::Kind;

#[derive(Debug, Clone)]
struct Entry {
    placeholder: String,
    kind: Kind,
    secret: String,
}

/// Every secret seen in a session and its placeholder, both ways.
#[derive(Debug, Clone, Default)]
pub(super) struct Placeholders {
    entries: Vec<Entry>,
    by_secret: HashMap<String, usize>,
    by_placeholder: HashMap<String, usize>,
    counters: [u32; Kind::ALL.len()],
}

impl Placeholders {
    /// The placeholder of `secret`, issuing the next one of its kind the first time.
    pub(super) fn name(&mut self, secret: &str, kind: Kind) -> &str {
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

    /// Placeholders issued in this session back to their secrets; others stay as they are.
    pub(super) fn restore(&self, text: &str) -> String {
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

    /// Placeholders and kind names in order of first appearance, never the secrets.
    pub(super) fn mapping(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|e| (e.placeholder.as_str(), e.kind.name()))
    }
}

/// Length of a placeholder such as `[SECRET_12]` starting at `at`, if there is one.
pub(super) fn placeholder_len(b: &[u8], at: usize) -> Option<usize> {
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

/// A value that begins with a placeholder was redacted already, whatever follows it
/// (`[PRIVATE_KEY_1][PRIVATE_KEY_2]`, `[PASSWORD_1]é`): redacting it again would change it.
pub(super) fn starts_redacted(value: &[u8]) -> bool {
    placeholder_len(value, 0).is_some()
}
