//! Targets: question interpretation, redaction, the citation check, the prompt files and their rendering, and
//! the escapes at the terminal and LLM boundaries.

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset};
use firewatch::copilot::cite;
use firewatch::copilot::interpret::{self, interpret, Known};
use firewatch::copilot::pack;
use firewatch::copilot::prompts::{self, Prompts};
use firewatch::copilot::redact::{RedactConfig, Redactor};
use firewatch::sanitize;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::BoxedStrategy;

use crate::{any_text, config, edits, mutate, phrase};

/// Words the interpreter acts on: its own vocabulary (times, durations and their hedges, weekdays and months,
/// symptoms: `interpret::time_words`, `interpret::symptom_words`), and beside it the names, near misses and
/// malformed numbers, clock times, zones and dates that only a fuzzer would try.
static QUESTION_WORDS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut words = interpret::time_words();
    words.extend(interpret::symptom_words());
    words.extend(EDGE_WORDS);
    words
});

/// Question words that are not the interpreter's vocabulary: known names and near misses, numbers, clock times,
/// zones and dates, valid and not.
const EDGE_WORDS: &[&str] = &[
    "why",
    "is",
    "checkout",
    "checkot",
    "payments",
    "payment-svc",
    "api",
    "é-svc",
    "in",
    "us-east-1",
    "eu",
    "europe",
    "asia-",
    "us-",
    "3pm",
    "15:05",
    "25:99",
    "23:59:59",
    "12am",
    "0",
    "1",
    "2",
    "90",
    "91",
    "5000",
    "99999999999999999999",
    "-1",
    "-05:00",
    "+14:00",
    "+99:99",
    "UTC+3",
    "gmt-12",
    "31",
    "29",
    "2026",
    "1969",
    "9999",
    "2026-11-20",
    "2026-02-30",
    "0000-01-01",
    "9999-12-31T23:59:59Z",
    "11/20",
    "20.11.2026",
    "15h",
    "90m",
    "1.5h",
    "½",
    "now",
    "?",
    "'s",
    "’",
    "9ish",
    "10-ish",
    "3pmish",
    "-ish",
];

fn known() -> Known {
    Known {
        services: vec![
            "checkout".into(),
            "payments".into(),
            "payment-svc".into(),
            "api-gateway".into(),
            "é-svc".into(),
        ],
        regions: vec!["us-east-1".into(), "eu-west-1".into(), "ap-southeast-2".into()],
    }
}

/// A receive time anywhere chrono can represent a day around, in any fixed offset.
fn now() -> BoxedStrategy<DateTime<FixedOffset>> {
    prop_oneof![
        3 => (946_684_800i64..4_102_444_800, -86_399i32..86_400),
        1 => (-8_000_000_000_000i64..8_000_000_000_000, -86_399i32..86_400),
    ]
    .prop_filter_map("a representable time", |(secs, off)| {
        let off = FixedOffset::east_opt(off)?;
        Some(DateTime::from_timestamp(secs, 0)?.with_timezone(&off))
    })
    .boxed()
}

proptest! {
    #![proptest_config(config(2000))]

    /// The window never ends before it starts, and only known names are matched.
    #[test]
    fn interpretation(now in now(), q in prop_oneof![any_text(160), phrase(QUESTION_WORDS.as_slice(), &[" ", " ", "", ", "], 12)]) {
        let k = known();
        let i = interpret(&q, now, &k);
        prop_assert!(i.window.start <= i.window.end, "{q:?} at {now}: {:?}", i.window);
        for s in &i.services {
            prop_assert!(k.services.contains(s), "{s} is not a known service");
        }
        for r in &i.regions {
            prop_assert!(k.regions.contains(r), "{r} is not a known region");
        }
    }
}

/// Secrets of most families, placeholder look-alikes, and the characters at their edges.
const SECRET_WORDS: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "ABIAIOSFODNN7EXAMPLE",
    "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "password=hunter2",
    "with password hunter2",
    "Authorization: Bearer abc.def.ghi",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "ghp_0123456789abcdefghijklmnopqrstuvwxyz",
    "xoxb-123456789012-1234567890123-abcdefghijklmnopqrstuvwx",
    "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "sk_live_0123456789abcdefghijklmn",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY-----",
    "postgres://admin:s3cr3t@db.internal:5432/orders",
    "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
    "hvs.CAESIJ0123456789abcdefghijklmnopqrstuvwxyz",
    "4111 1111 1111 1111",
    "4111111111111111",
    "GB82 WEST 1234 5698 7654 32",
    "123-45-6789",
    "+1 415 555 0100",
    "(415) 555-0100",
    "alice@example.com",
    "10.1.2.3",
    "fe80::1",
    "db-1.payments.svc.cluster.local",
    "[PASSWORD_1]",
    "[EMAIL_1]",
    "[TOKEN_",
    "_1]",
    "[",
    "]",
    "=",
    ":",
    "\"",
    "é",
    "\u{fffd}",
];

fn redactor() -> BoxedStrategy<Redactor> {
    (any::<bool>(), any::<bool>(), any::<bool>())
        .prop_map(|(ips, hostnames, emails)| Redactor::new(RedactConfig { ips, hostnames, emails }))
        .boxed()
}

/// Whether `text` holds something shaped like a placeholder (`[WORD_12]`): redaction cannot tell such text from
/// its own output, so restoring it is ambiguous by design.
fn has_placeholder_shape(text: &str) -> bool {
    let b = text.as_bytes();
    (0..b.len()).any(|i| {
        if b[i] != b'[' {
            return false;
        }
        let label = b[i + 1..].iter().take_while(|c| c.is_ascii_uppercase() || **c == b'_').count();
        let j = i + 1 + label;
        let digits = b[j..].iter().take_while(|c| c.is_ascii_digit()).count();
        label > 0 && b[j - 1] == b'_' && digits > 0 && b.get(j + digits) == Some(&b']')
    })
}

fn secret_text() -> BoxedStrategy<Vec<String>> {
    proptest::collection::vec(
        prop_oneof![any_text(160), phrase(SECRET_WORDS, &[" ", "", "\n", "=", ": ", "\""], 10)],
        1..4,
    )
    .boxed()
}

proptest! {
    #![proptest_config(config(1000))]

    /// restore(redact(x)) == x, whatever x holds and whatever the session redacted before.
    #[test]
    fn redaction(mut r in redactor(), texts in secret_text()) {
        for x in &texts {
            let red = r.redact(x);
            if !has_placeholder_shape(x) {
                prop_assert_eq!(&r.restore(&red), x, "redacted as {:?}", red);
            }
        }
        let _ = r.mapping().count();
    }

    /// Redacting redacted text changes nothing: when it does, the first pass left a secret in clear (it found
    /// `findings::secret_next_to_another_is_redacted`).
    #[test]
    fn redaction_idempotent(mut r in redactor(), texts in secret_text()) {
        for x in &texts {
            let red = r.redact(x);
            let again = r.redact(&red);
            prop_assert_eq!(&again, &red, "redacting {:?} twice", x);
        }
    }
}

/// Citation groups, code spans and sentence ends.
const ANSWER_WORDS: &[&str] = &[
    "[E1]",
    "[E2, E3]",
    "[E1][E9]",
    "[E12",
    "[E]",
    "[e1]",
    "[E1,",
    "E1]",
    "[",
    "]",
    "[E0]",
    "[E99999999999999999999]",
    "`",
    "```",
    "```\n",
    "`[E1]`",
    ".",
    ". ",
    "!",
    "?",
    "\n",
    "\n\n",
    "- ",
    "* ",
    "checkout",
    "failed",
    "because",
    "errors rose",
    "p99 is 2s",
    "é",
    "\u{fffd}",
    "  ",
    "E1",
    ",",
    "(ungrounded: no evidence cited)",
    "?not in evidence",
];

proptest! {
    #![proptest_config(config(2000))]

    /// Unknown ids are cited ids; grounded means no unknown id and one known; annotating keeps the answer.
    #[test]
    fn citation_check(answer in prop_oneof![any_text(200), phrase(ANSWER_WORDS, &["", " ", "\n"], 24)],
                      known in proptest::sample::subsequence(vec!["E1", "E2", "E3", "E9", "E12", "é"], 0..6)) {
        let report = cite::check(&answer, &known);
        for u in &report.unknown {
            prop_assert!(report.cited.contains(u) && !known.contains(&u.as_str()), "{u} in {report:?}");
        }
        let grounded = report.unknown.is_empty() && report.cited.iter().any(|c| known.contains(&c.as_str()));
        prop_assert_eq!(report.grounded, grounded);
        let annotated = cite::annotate(&answer, &report);
        prop_assert!(annotated.len() >= answer.len());
    }
}

const TEMPLATE_FRAGMENTS: &[&str] = &[
    "{{",
    "}}",
    "{{question}}",
    "{{ evidence }}",
    "{{analysis}}",
    "{{interpretation}}",
    "{{tools_hint}}",
    "{{bogus}}",
    "{",
    "}",
    "\n",
    "[[tool]]",
    "name = \"search_logs\"",
    "name = \"rm\"",
    "parameters = '{\"type\":\"object\"}'",
    "parameters = 'x'",
    "description = \"\"\"",
    "\"",
    "'",
    "=",
    "tools_hint = \"\"",
];

proptest! {
    #![proptest_config(config(300))]

    /// Prompt files a user may put in the config dir: loaded or refused with a reason.
    #[test]
    fn prompt_files(answer in edits(TEMPLATE_FRAGMENTS, 4), tools in edits(TEMPLATE_FRAGMENTS, 4),
                    system in any_text(40)) {
        let dir = tempfile::tempdir().expect("a temp dir");
        std::fs::write(dir.path().join("system.md"), &system).expect("a write");
        std::fs::write(dir.path().join("answer.md"), mutate(prompts::ANSWER, &answer)).expect("a write");
        std::fs::write(dir.path().join("tools.toml"), mutate(prompts::TOOLS, &tools)).expect("a write");
        if let Ok(p) = Prompts::load(Some(dir.path())) {
            let _ = p.tools_json();
            let _ = p.render_answer(&[("question", "q")]);
        }
    }
}

proptest! {
    #![proptest_config(config(2000))]

    /// Values are inserted once and never rescanned, so each appears as it is, placeholders in it included.
    #[test]
    fn prompt_rendering(values in proptest::collection::vec(
        prop_oneof![any_text(60), phrase(TEMPLATE_FRAGMENTS, &["", " "], 6)], 4)) {
        let p = Prompts::builtin().expect("the built-in prompts");
        let names = ["question", "interpretation", "analysis", "evidence"];
        let vars: Vec<(&str, &str)> = names.iter().copied().zip(values.iter().map(String::as_str)).collect();
        let out = p.render_answer(&vars);
        for v in &values {
            prop_assert!(out.contains(v.as_str()), "{v:?} missing from the rendered prompt");
        }
    }

    /// Text for a terminal, for JSON output and for the evidence frame carries no raw control, DEL, C1 or bidi
    /// character, and JSON still reads back as the same text.
    #[test]
    fn terminal_and_frame_escapes(text in prop_oneof![any_text(200), select(&[
        "\u{1b}]52;c;aGk=\u{7}", "\u{1b}[2J", "\u{202e}", "\u{2066}", "\u{9b}", "\u{7f}", "\r", "\u{85}"][..])
        .prop_map(str::to_string)]) {
        let safe = sanitize::terminal_safe(&text);
        prop_assert!(!safe.chars().any(sanitize::is_unsafe), "{safe:?}");
        let joined = sanitize::safe_join(&[text.as_str(), "x"], ", ");
        prop_assert!(!joined.chars().any(sanitize::is_unsafe), "{joined:?}");
        let json = sanitize::json::to_string(&text).expect("a string serializes");
        prop_assert!(!json.chars().any(sanitize::is_unsafe), "{json:?}");
        prop_assert_eq!(serde_json::from_str::<String>(&json).expect("its own JSON reads back"), text.clone());
        let framed = pack::escape(&text);
        prop_assert!(!framed.chars().any(|c| c.is_control() || c == '<' || c == '>'), "{framed:?}");
    }
}
