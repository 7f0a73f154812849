//! Generalisation: the most specific pattern covering two token texts, pattern matching, and rendering.

use super::masking::{is_word, push_range};
use super::VAR;

// Template generalization

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Var,
    Word,
    Punct,
}

fn piece(s: &[u8], p: (usize, usize, Kind)) -> &[u8] {
    s.get(p.0..p.1).unwrap_or(&[])
}

fn pieces(s: &str) -> Vec<(usize, usize, Kind)> {
    let b = s.as_bytes();
    let mut v = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(VAR.as_bytes()) {
            v.push((i, i + 3, Kind::Var));
            i += 3;
        } else if is_word(b[i]) {
            let s0 = i;
            while i < b.len() && is_word(b[i]) {
                i += 1;
            }
            v.push((s0, i, Kind::Word));
        } else {
            v.push((i, i + 1, Kind::Punct));
            i += 1;
        }
    }
    v
}

/// Writes the most specific pattern covering both `a` (a template token) and `b` (a line token):
/// shared leading structure, `<*>`, shared trailing structure.
pub(super) fn generalize(a: &str, b: &str, out: &mut String) {
    if a == VAR || b == VAR {
        out.push_str(VAR);
        return;
    }
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let (pa, pb) = (pieces(a), pieces(b));
    let mut p = 0;
    while p < pa.len() && p < pb.len() && piece(ab, pa[p]) == piece(bb, pb[p]) {
        p += 1;
    }
    let mut prefix_end = if p > 0 { pa[p - 1].1 } else { 0 };
    if p < pa.len() && p < pb.len() && pa[p].2 == Kind::Word && pb[p].2 == Kind::Word {
        // Numbered names (`storage12` vs `storage234`) keep their name.
        let (x, y) = (&ab[pa[p].0..pa[p].1], &bb[pb[p].0..pb[p].1]);
        let mut l = x.iter().zip(y).take_while(|(u, v)| u == v).count();
        while l > 0 && x[l - 1].is_ascii_digit() {
            l -= 1;
        }
        if l > 0 && x[l..].iter().all(u8::is_ascii_digit) && y[l..].iter().all(u8::is_ascii_digit) {
            prefix_end = pa[p].0 + l;
        }
    }
    // For `key=value` keep only the key (and an opening quote or bracket): values that differ are not
    // partly constant.
    if let Some(eq) = ab[..prefix_end].iter().rposition(|&x| x == b'=') {
        prefix_end = eq + 1;
        while prefix_end < ab.len()
            && prefix_end < bb.len()
            && ab[prefix_end] == bb[prefix_end]
            && matches!(ab[prefix_end], b'"' | b'\'' | b'(' | b'[' | b'{' | b'<')
            && !ab[prefix_end..].starts_with(VAR.as_bytes())
        {
            prefix_end += 1;
        }
    }
    // Common trailing pieces, not overlapping the prefix.
    let max_s = (pa.len() - p).min(pb.len() - p);
    let mut s = 0;
    while s < max_s && piece(ab, pa[pa.len() - 1 - s]) == piece(bb, pb[pb.len() - 1 - s]) {
        s += 1;
    }
    let suffix = &pa[pa.len() - s..];
    let has_var = suffix.iter().any(|x| x.2 == Kind::Var);
    // Without a variable in it, a word-bearing suffix is usually part of the value (`.net)`): keep
    // only its trailing punctuation.
    let mut keep = s;
    if !has_var {
        keep = suffix.iter().rev().take_while(|x| x.2 == Kind::Punct).count();
    } else {
        // Never start the suffix in the middle of a word-led value.
        while keep > 0 && pa[pa.len() - keep].2 == Kind::Word {
            keep -= 1;
        }
    }
    let suffix_start = if keep > 0 { pa[pa.len() - keep].0 } else { a.len() };
    let suffix_start = suffix_start.max(prefix_end);
    let mut g = String::with_capacity(a.len().min(64));
    push_range(&mut g, a, 0, prefix_end);
    g.push_str(VAR);
    push_range(&mut g, a, suffix_start, a.len());
    out.push_str(&collapse_vars(&g));
}

/// Whether `text` matches `pattern`, where each `<*>` in the pattern matches any substring, even an
/// empty one (`()` and `(host)` are the same event).
pub(super) fn glob_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split(VAR);
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else { return false };
    let Some(mut part) = parts.next() else { return rest.is_empty() };
    // Leftmost matching of the middle parts is optimal for `*`-only patterns; the last part must end `text`.
    for next in parts {
        match rest.find(part) {
            Some(pos) => rest = &rest[pos + part.len()..],
            None => return false,
        }
        part = next;
    }
    rest.ends_with(part)
}

/// Only `<*>` and punctuation, starting and ending with `<*>` (`<*>`, `<*>:<*>:<*>`).
pub(super) fn is_var_only(s: &str) -> bool {
    s.starts_with(VAR) && s.ends_with(VAR) && s.replace(VAR, "").bytes().all(|b| b.is_ascii_punctuation())
}

/// Joins template tokens with spaces, except that a run of variable-only tokens containing a structured
/// one (`<*> <*> <*>:<*>:<*> <*>`, a generalized timestamp) is one multi-word value and becomes one
/// `<*>`-joined token; runs of plain `<*>` (`Fan speeds ( <*> <*> <*> )`) stay as they are.
pub(super) fn render_collapsed(texts: &[&str]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < texts.len() {
        let mut j = i;
        while j < texts.len() && is_var_only(texts[j]) {
            j += 1;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        if j > i + 1 && texts[i..j].iter().any(|t| *t != VAR) {
            out.push_str(&collapse_vars(&texts[i..j].concat()));
            i = j;
        } else {
            out.push_str(texts[i]);
            i += 1;
        }
    }
    out
}

/// Replaces each run of variables separated only by spaces (`<*> <*>`, `<*><*>`) with one `<*>`.
pub(super) fn collapse_vars(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find(VAR) {
        out.push_str(&rest[..pos]);
        out.push_str(VAR);
        rest = &rest[pos + VAR.len()..];
        loop {
            let t = rest.trim_start_matches(' ');
            match t.strip_prefix(VAR) {
                Some(r) => rest = r,
                None => break,
            }
        }
    }
    out.push_str(rest);
    out
}
