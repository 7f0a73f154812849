//! Citation check of an LLM answer against the evidence pack.
//!
//! Answers cite evidence ids written `[E1]`, `[E3, E7]` or `[E2][E5]`. Every cited id
//! must exist in the evidence; sentences that state a fact without citing anything are
//! reported so the UI can mark them. Brackets inside code (fenced blocks or inline
//! backticks) are not citations, and malformed brackets are ignored.

use serde::{Deserialize, Serialize};

/// What [`check`] found in an answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CitationReport {
    /// Every cited id, in order of first appearance, without duplicates.
    pub cited: Vec<String>,
    /// Cited ids that are not in the evidence.
    pub unknown: Vec<String>,
    /// Sentences that make a factual claim but cite nothing.
    pub uncited_sentences: Vec<String>,
    /// At least one valid citation and no unknown ones.
    pub grounded: bool,
}

/// Suffix written after an id that is not in the evidence.
const UNKNOWN_MARK: &str = "?not in evidence";
/// Line appended to an answer that cites no valid evidence.
const UNGROUNDED_LINE: &str = "(ungrounded: no evidence cited)";
/// Longest bracket content considered; longer brackets are prose, not citations.
const MAX_GROUP: usize = 80;

/// A bracketed citation group such as `[E3, E7]`.
#[derive(Debug, Clone)]
struct Group {
    start: usize,
    end: usize,
    /// Byte ranges of each id inside the answer.
    ids: Vec<(usize, usize)>,
}

pub fn check(answer: &str, known_ids: &[&str]) -> CitationReport {
    let known: Vec<String> = known_ids.iter().map(|k| normalize_id(k)).collect();
    let code = code_mask(answer);
    let groups = find_groups(answer, &code);

    let mut cited: Vec<String> = Vec::new();
    for g in &groups {
        for &(s, e) in &g.ids {
            let id = &answer[s..e];
            if !cited.iter().any(|c| c == id) {
                cited.push(id.to_string());
            }
        }
    }
    let unknown: Vec<String> = cited.iter().filter(|c| !known.contains(c)).cloned().collect();
    let grounded = unknown.is_empty() && cited.iter().any(|c| known.contains(c));

    let uncited_sentences = sentences(answer)
        .into_iter()
        .fold(Vec::<(usize, usize, bool)>::new(), |mut acc, (s, e)| {
            let has_citation = !groups_in(&groups, s, e).is_empty();
            let leading = leading_groups_end(answer, s, e, &groups);
            match (leading, acc.last_mut()) {
                // `X failed. [E1]` splits into `X failed.` and `[E1]`: the citation
                // belongs to the sentence before it.
                (Some(lead_end), Some(prev)) if !prev.2 => {
                    prev.2 = true;
                    let rest_cited = !groups_in(&groups, lead_end, e).is_empty();
                    if answer[lead_end..e].trim().is_empty() {
                        return acc;
                    }
                    acc.push((lead_end, e, rest_cited));
                }
                (Some(lead_end), _) if answer[lead_end..e].trim().is_empty() => {}
                _ => acc.push((s, e, has_citation)),
            }
            acc
        })
        .into_iter()
        .filter(|&(s, e, cited)| !cited && is_claim(&strip_groups(answer, s, e, &groups)))
        .map(|(s, e, _)| collapse_ws(&answer[s..e]))
        .collect();

    CitationReport { cited, unknown, uncited_sentences, grounded }
}

/// Marks unknown ids inline (`[E9?not in evidence]`) and appends a final line when the
/// answer cites no valid evidence at all.
pub fn annotate(answer: &str, report: &CitationReport) -> String {
    let code = code_mask(answer);
    let mut out = String::with_capacity(answer.len() + 40);
    let mut last = 0;
    for g in find_groups(answer, &code) {
        for (s, e) in g.ids {
            if report.unknown.iter().any(|u| u == &answer[s..e]) {
                out.push_str(&answer[last..e]);
                out.push_str(UNKNOWN_MARK);
                last = e;
            }
        }
    }
    out.push_str(&answer[last..]);
    let any_valid = report.cited.iter().any(|c| !report.unknown.contains(c));
    if !any_valid {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(UNGROUNDED_LINE);
    }
    out
}

/// Known ids may come as `E1`, `[E1]` or ` e1 `; compare them in the cited form.
fn normalize_id(id: &str) -> String {
    id.trim().trim_start_matches('[').trim_end_matches(']').trim().to_ascii_uppercase()
}

fn is_id(s: &[u8]) -> bool {
    s.len() >= 2 && s.len() <= 12 && s[0] == b'E' && s[1..].iter().all(u8::is_ascii_digit)
}

/// `true` for every byte inside a fenced code block or an inline code span.
fn code_mask(answer: &str) -> Vec<bool> {
    code_and_fences(answer).0
}

/// The code mask, plus for each line whether it belongs to a fenced block.
fn code_and_fences(answer: &str) -> (Vec<bool>, Vec<bool>) {
    let b = answer.as_bytes();
    let mut mask = vec![false; b.len()];
    let mut fenced = Vec::new();
    let mut fence: Option<(u8, usize)> = None;
    for (ls, le) in lines(answer) {
        fenced.push(
            fence.is_some() || {
                let t = b[ls..le].trim_ascii_start();
                (t.starts_with(b"```") || t.starts_with(b"~~~")) && b[ls..le].len() - t.len() < 4
            },
        );
        let line = &b[ls..le];
        let indent = line.iter().take_while(|&&c| c == b' ').count();
        let body = &line[indent..];
        let fence_char = body.first().copied().filter(|&c| c == b'`' || c == b'~');
        let run = fence_char.map_or(0, |c| body.iter().take_while(|&&x| x == c).count());
        match fence {
            Some((c, n)) => {
                mask[ls..le].fill(true);
                // A closing fence uses the same character, at least as many, and nothing else.
                if fence_char == Some(c) && run >= n && body[run..].trim_ascii().is_empty() {
                    fence = None;
                }
            }
            None if run >= 3 && indent < 4 => {
                mask[ls..le].fill(true);
                fence = fence_char.map(|c| (c, run));
            }
            None => mask_inline_code(b, ls, le, &mut mask),
        }
    }
    (mask, fenced)
}

/// Inline code: a run of n backticks closed by a run of exactly n on the same line.
/// An unclosed run is literal text.
fn mask_inline_code(b: &[u8], ls: usize, le: usize, mask: &mut [bool]) {
    // A length that found no closing run once finds none later either: skip the search.
    let mut unclosed: Vec<usize> = Vec::new();
    let mut i = ls;
    while i < le {
        if b[i] != b'`' {
            i += 1;
            continue;
        }
        let open_end = (i..le).find(|&j| b[j] != b'`').unwrap_or(le);
        let n = open_end - i;
        if unclosed.contains(&n) {
            i = open_end;
            continue;
        }
        let mut j = open_end;
        let mut close = None;
        while j < le {
            if b[j] == b'`' {
                let run_end = (j..le).find(|&k| b[k] != b'`').unwrap_or(le);
                if run_end - j == n {
                    close = Some(run_end);
                    break;
                }
                j = run_end;
            } else {
                j += 1;
            }
        }
        match close {
            Some(c) => {
                mask[i..c].fill(true);
                i = c;
            }
            None => {
                unclosed.push(n);
                i = open_end;
            }
        }
    }
}

/// Line ranges without their `\n` (and `\r`).
fn lines(answer: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in answer.bytes().enumerate() {
        if c == b'\n' {
            let end = if i > start && answer.as_bytes()[i - 1] == b'\r' { i - 1 } else { i };
            out.push((start, end));
            start = i + 1;
        }
    }
    if start < answer.len() {
        out.push((start, answer.len()));
    }
    out
}

fn find_groups(answer: &str, code: &[bool]) -> Vec<Group> {
    let b = answer.as_bytes();
    let mut groups = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'[' || code[i] {
            i += 1;
            continue;
        }
        // Find the closing bracket; a second `[`, a newline or code first means this
        // one is malformed, and scanning restarts there so the work stays linear.
        let mut j = i + 1;
        while j < b.len() && j - i <= MAX_GROUP && !matches!(b[j], b'[' | b']' | b'\n') && !code[j] {
            j += 1;
        }
        if j >= b.len() || b[j] != b']' || code[j] {
            i = j.max(i + 1);
            continue;
        }
        let mut ids = Vec::new();
        let mut ok = true;
        let mut k = i + 1;
        while k < j {
            if matches!(b[k], b',' | b';' | b' ' | b'\t') {
                k += 1;
                continue;
            }
            let s = k;
            while k < j && !matches!(b[k], b',' | b';' | b' ' | b'\t') {
                k += 1;
            }
            if is_id(&b[s..k]) {
                ids.push((s, k));
            } else {
                ok = false;
                break;
            }
        }
        if ok && !ids.is_empty() {
            groups.push(Group { start: i, end: j + 1, ids });
        }
        i = j + 1;
    }
    groups
}

/// The groups starting inside `s..e`; groups are sorted, so this is a binary search
/// and long answers stay fast.
fn groups_in(groups: &[Group], s: usize, e: usize) -> &[Group] {
    let lo = groups.partition_point(|g| g.start < s);
    let hi = groups.partition_point(|g| g.start < e);
    &groups[lo..hi.max(lo)]
}

/// If the sentence `s..e` opens with citation groups, where they end.
fn leading_groups_end(answer: &str, s: usize, e: usize, groups: &[Group]) -> Option<usize> {
    let b = answer.as_bytes();
    let mut p = s;
    let mut found = None;
    loop {
        while p < e && b[p].is_ascii_whitespace() {
            p += 1;
        }
        match groups_in(groups, p, e).first().filter(|g| g.start == p && g.end <= e) {
            Some(g) => {
                p = g.end;
                found = Some(p);
            }
            None => return found,
        }
    }
}

/// Length of a markdown block marker (list bullet, numbered item, quote, task box).
fn marker_len(line: &[u8]) -> usize {
    let mut p = 0;
    loop {
        let start = p;
        while p < line.len() && line[p] == b' ' {
            p += 1;
        }
        let rest = &line[p..];
        let step = match rest {
            [b'>', ..] => 1,
            [b'-' | b'*' | b'+', b' ', ..] => 2,
            [b'[', b' ' | b'x' | b'X', b']', b' ', ..] => 4,
            _ => {
                let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
                if digits > 0
                    && digits < 4
                    && matches!(rest.get(digits), Some(b'.' | b')'))
                    && rest.get(digits + 1) == Some(&b' ')
                {
                    digits + 2
                } else {
                    0
                }
            }
        };
        if step == 0 {
            return start.max(p);
        }
        p += step;
    }
}

/// Lines that carry no sentence: headings, rules, table separators.
fn is_structural(body: &[u8]) -> bool {
    let t = body.trim_ascii();
    t.first() == Some(&b'#')
        || (t.len() >= 3 && t.iter().all(|c| matches!(c, b'-' | b'*' | b'_' | b' ')))
        || (t.contains(&b'-') && t.iter().all(|c| matches!(c, b'|' | b'-' | b':' | b' ')))
}

/// Sentence ranges over the prose, outside code blocks. A sentence ends at `.`, `!`
/// or `?` followed by whitespace, at a blank line, a new list item or a table row end.
fn sentences(answer: &str) -> Vec<(usize, usize)> {
    let b = answer.as_bytes();
    let (code, fences) = code_and_fences(answer);
    let all_lines = lines(answer);
    let mut out = Vec::new();
    let mut cur: Option<usize> = None;
    let flush = |cur: &mut Option<usize>, end: usize, out: &mut Vec<(usize, usize)>| {
        if let Some(s) = cur.take() {
            if answer[s..end].trim().chars().any(char::is_alphanumeric) || answer[s..end].contains('[') {
                out.push((s, end));
            }
        }
    };
    let mut prev_end = 0;
    for (n, &(ls, le)) in all_lines.iter().enumerate() {
        let line = &b[ls..le];
        let blank = line.trim_ascii().is_empty();
        // A table header is the row right above a separator row.
        let header = all_lines.get(n + 1).is_some_and(|&(s, e)| is_structural(&b[s..e]) && b[s..e].contains(&b'|'));
        if fences[n] || blank || header || is_structural(line) {
            flush(&mut cur, prev_end, &mut out);
            prev_end = le;
            continue;
        }
        let m = marker_len(line);
        if m > 0 && line[..m].iter().any(|c| !c.is_ascii_whitespace()) {
            flush(&mut cur, prev_end, &mut out);
        }
        let table_row = line.trim_ascii_start().first() == Some(&b'|');
        let mut p = ls + m;
        while p < le {
            let c = b[p];
            if cur.is_none() {
                if !c.is_ascii_whitespace() && c != b'|' {
                    cur = Some(p);
                }
                p += 1;
                continue;
            }
            if !code[p] && matches!(c, b'.' | b'!' | b'?') {
                let mut q = p + 1;
                while q < le && matches!(b[q], b'.' | b'!' | b'?') {
                    q += 1;
                }
                if q == le || b[q].is_ascii_whitespace() || (b[q] == b'[' && c != b'.') {
                    flush(&mut cur, q, &mut out);
                }
                p = q;
                continue;
            }
            p += 1;
        }
        if table_row {
            flush(&mut cur, le, &mut out);
        }
        prev_end = le;
    }
    flush(&mut cur, prev_end, &mut out);
    out
}

/// The sentence text without its citation groups, for claim detection.
fn strip_groups(answer: &str, s: usize, e: usize, groups: &[Group]) -> String {
    let mut out = String::new();
    let mut last = s;
    for g in groups_in(groups, s, e).iter().filter(|g| g.end <= e) {
        out.push_str(&answer[last..g.start]);
        out.push(' ');
        last = g.end;
    }
    out.push_str(&answer[last..e]);
    out
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

// Verbs and nouns that state that something happened or changed.
const CLAIM_WORDS: &[&str] = &[
    "failed",
    "fails",
    "failing",
    "failure",
    "failures",
    "rose",
    "risen",
    "rising",
    "increased",
    "increasing",
    "dropped",
    "dropping",
    "drops",
    "decreased",
    "fell",
    "fallen",
    "spiked",
    "spiking",
    "spike",
    "crashed",
    "crashing",
    "restarted",
    "restarting",
    "restarts",
    "timed",
    "timeout",
    "timeouts",
    "errored",
    "erroring",
    "errors",
    "degraded",
    "exceeded",
    "exceeds",
    "saturated",
    "throttled",
    "jumped",
    "climbed",
    "surged",
    "deployed",
    "rolled",
    "started",
    "stopped",
    "began",
    "killed",
    "oomkilled",
    "evicted",
    "returned",
    "returning",
    "refused",
    "rejected",
    "unavailable",
    "elevated",
    "caused",
    "broke",
    "leaked",
];

// Sentences opening with these give advice, not facts.
const ADVICE_WORDS: &[&str] = &[
    "check",
    "consider",
    "verify",
    "look",
    "investigate",
    "try",
    "inspect",
    "review",
    "monitor",
    "escalate",
    "confirm",
    "ensure",
    "run",
    "open",
    "see",
    "please",
    "let",
    "if",
    "recommend",
    "recommended",
    "next",
];

// Hyphenated English words that do not name a service.
const COMMON_HYPHENATED: &[&str] = &[
    "follow-up",
    "on-call",
    "read-only",
    "well-known",
    "up-to-date",
    "long-term",
    "short-term",
    "real-time",
    "end-to-end",
    "built-in",
    "so-called",
    "step-by-step",
    "high-level",
    "low-level",
    "root-cause",
    "self-healing",
    "long-running",
    "user-facing",
];

/// A sentence claims a fact when it has digits, a service-like name (`checkout-svc`,
/// `payments_api`) or a verb of change, and is neither a question nor advice.
fn is_claim(text: &str) -> bool {
    let t = text.trim();
    if t.ends_with('?') {
        return false;
    }
    let words: Vec<String> = t
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
        .map(|w| w.trim_matches(|c| c == '-' || c == '_').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect();
    if words.first().is_some_and(|w| ADVICE_WORDS.contains(&w.as_str())) {
        return false;
    }
    let has_digit = t.chars().any(|c| c.is_ascii_digit());
    let service_like =
        words.iter().any(|w| (w.contains('-') || w.contains('_')) && !COMMON_HYPHENATED.contains(&w.as_str()));
    let claim_word = words.iter().any(|w| CLAIM_WORDS.contains(&w.as_str()));
    has_digit || service_like || claim_word
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["E1", "E2", "E3", "E5", "E7"];

    #[test]
    fn single_group_and_adjacent_citations() {
        let r = check("Latency on checkout-svc rose to 2.4s at 14:05 [E1]. Errors followed [E3, E7][E2].", KNOWN);
        assert_eq!(r.cited, vec!["E1", "E3", "E7", "E2"]);
        assert!(r.unknown.is_empty());
        assert!(r.uncited_sentences.is_empty(), "{:?}", r.uncited_sentences);
        assert!(r.grounded);
    }

    #[test]
    fn dedup_keeps_first_order() {
        let r = check("A failed [E2]. B failed [E1][E2]. C failed [E2; E1].", KNOWN);
        assert_eq!(r.cited, vec!["E2", "E1"]);
    }

    #[test]
    fn unknown_ids_are_reported_and_annotated() {
        let answer = "The database dropped connections [E9]. Pods restarted [E1, E12].";
        let r = check(answer, KNOWN);
        assert_eq!(r.cited, vec!["E9", "E1", "E12"]);
        assert_eq!(r.unknown, vec!["E9", "E12"]);
        assert!(!r.grounded);
        assert_eq!(
            annotate(answer, &r),
            "The database dropped connections [E9?not in evidence]. Pods restarted [E1, E12?not in evidence]."
        );
    }

    #[test]
    fn nothing_cited_is_ungrounded() {
        let answer = "payments-api failed after the deploy at 14:02.";
        let r = check(answer, KNOWN);
        assert!(r.cited.is_empty());
        assert!(!r.grounded);
        assert_eq!(r.uncited_sentences, vec![answer]);
        assert_eq!(annotate(answer, &r), format!("{answer}\n(ungrounded: no evidence cited)"));
        assert_eq!(annotate("x\n", &r), "x\n(ungrounded: no evidence cited)");
        // Only unknown citations also count as nothing valid cited.
        let r = check("It failed [E99].", KNOWN);
        assert!(annotate("It failed [E99].", &r).ends_with("[E99?not in evidence].\n(ungrounded: no evidence cited)"));
    }

    #[test]
    fn uncited_claims_are_listed() {
        let answer = "Checkout latency rose [E1]. The payments_api error rate was 12%. Memory on node-7 \
                      looks fine. I hope this helps! Should we roll back? Check the dashboards for 5xx.";
        let r = check(answer, KNOWN);
        assert_eq!(r.uncited_sentences, vec!["The payments_api error rate was 12%.", "Memory on node-7 looks fine."]);
        assert!(r.grounded);
    }

    #[test]
    fn citation_after_the_full_stop_belongs_to_the_sentence_before() {
        let r = check("Orders failed at 14:01. [E1] Then the queue grew to 5k [E2].", KNOWN);
        assert!(r.uncited_sentences.is_empty(), "{:?}", r.uncited_sentences);
        let r = check("Orders failed at 14:01.\n[E1]\n\nRedis restarted.", KNOWN);
        assert_eq!(r.uncited_sentences, vec!["Redis restarted."]);
    }

    #[test]
    fn code_is_not_cited_or_checked() {
        let answer = "Run this:\n```sh\nkubectl logs checkout-7f9 | grep '[E9]'\nfailed 500 times\n```\n\
                      The config uses `arr[E8]` and the pod failed [E1].";
        let r = check(answer, KNOWN);
        assert_eq!(r.cited, vec!["E1"]);
        assert!(r.unknown.is_empty());
        assert!(r.uncited_sentences.is_empty(), "{:?}", r.uncited_sentences);
        assert_eq!(annotate(answer, &r), answer);
        // An unclosed fence hides the rest; an unclosed backtick is literal.
        let r = check("ok [E1]\n~~~\n[E9] failed", KNOWN);
        assert_eq!(r.cited, vec!["E1"]);
        let r = check("odd ` tick [E9]", KNOWN);
        assert_eq!(r.unknown, vec!["E9"]);
    }

    #[test]
    fn malformed_brackets_are_ignored() {
        let answer = "a [E1 b] [E2 [E3] [E] [E4x] [e5] [E1, logs] [] ]E7[ [[E5]] [E2";
        let r = check(answer, KNOWN);
        assert_eq!(r.cited, vec!["E3", "E5"]);
        assert_eq!(annotate(answer, &r), answer);
        let long = format!("[E1 {}]", " ".repeat(200));
        assert!(check(&long, KNOWN).cited.is_empty());
    }

    #[test]
    fn markdown_structure() {
        let answer = "## Summary 2024\n\n\
                      1. checkout-svc returned 503s [E1]\n\
                      2. Postgres replica lag rose to 40s\n\
                      - [x] paged on-call\n\
                      > Deploy 42 rolled out [E2]\n\n\
                      | service | errors |\n|---|---|\n| cart-api | 120 [E3] |\n| auth-svc | 80 |\n\n\
                      ---\n\
                      Overall the incident\nstarted at 13:58 [E5].";
        let r = check(answer, KNOWN);
        assert_eq!(r.uncited_sentences, vec!["Postgres replica lag rose to 40s", "auth-svc | 80 |"]);
        assert_eq!(r.cited, vec!["E1", "E2", "E3", "E5"]);
        assert!(r.grounded);
    }

    #[test]
    fn long_answers_are_fast() {
        let t = std::time::Instant::now();
        let answer = "checkout-svc failed at 14:0[E1]. [E9] ` `` [E2\n".repeat(20_000);
        let r = check(&answer, KNOWN);
        assert_eq!(r.unknown, vec!["E9"]);
        assert!(annotate(&answer, &r).contains("[E9?not in evidence]"));
        let ticks = "`".repeat(100_000) + &"a` b`` c```".repeat(10_000);
        check(&ticks, KNOWN);
        assert!(t.elapsed() < std::time::Duration::from_secs(10), "{:?}", t.elapsed());
    }

    #[test]
    fn known_ids_are_normalised() {
        let r = check("It failed [E1].", &["[E1]"]);
        assert!(r.grounded);
        let r = check("It failed [E1].", &[" e1 "]);
        assert!(r.grounded);
    }

    #[test]
    fn empty_and_odd_input() {
        let r = check("", KNOWN);
        assert_eq!(r, CitationReport::default());
        assert_eq!(annotate("", &r), "(ungrounded: no evidence cited)");
        for s in ["[", "]", "[[[", "```", "`", "\r\n\r\n", "é[E1]ü.", "[E1]\u{202e}", "1. ", "> > -"] {
            let r = check(s, KNOWN);
            let _ = annotate(s, &r);
        }
        assert_eq!(check("é[E1]ü failed.", KNOWN).cited, vec!["E1"]);
    }
}
