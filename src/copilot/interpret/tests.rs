//! The interpreter on questions as people type them: a table of questions and the reading each must get, the
//! notes, serialization, timezones and DST, and random questions.

use chrono::{DateTime, FixedOffset, Utc};

use super::entities::{osa, service_match};
use super::*;

fn known() -> Known {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect();
    Known {
        services: s(&[
            "checkout",
            "payment",
            "postgres-orders",
            "postgres-users",
            "redis",
            "frontend",
            "auth",
            "inventory",
            "api-gateway",
            "notification-service",
        ]),
        regions: s(&["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1"]),
    }
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

const NOW_EST: &str = "2026-11-20T16:10:00-05:00";

struct Case {
    q: &'static str,
    now: &'static str,
    services: &'static [&'static str],
    regions: &'static [&'static str],
    symptom: Option<Symptom>,
    window: (&'static str, &'static str),
}

const fn c(
    q: &'static str,
    now: &'static str,
    services: &'static [&'static str],
    regions: &'static [&'static str],
    symptom: Option<Symptom>,
    window: (&'static str, &'static str),
) -> Case {
    Case { q, now, services, regions, symptom, window }
}

use Symptom::*;
const US_EAST: &[&str] = &["us-east-1", "us-east-2"];
const EU: &[&str] = &["eu-west-1", "eu-central-1"];
const PG: &[&str] = &["postgres-orders", "postgres-users"];
const LAST_HOUR_EST: (&str, &str) = ("2026-11-20T20:10:00Z", "2026-11-20T21:10:00Z");

const CASES: &[Case] = &[
    c(
        "why did checkout slow down in us-east at 3pm",
        NOW_EST,
        &["checkout"],
        US_EAST,
        Some(Latency),
        ("2026-11-20T19:30:00Z", "2026-11-20T20:30:00Z"),
    ),
    c(
        "why did checkout slow down in us-east at 3pm",
        "2026-11-20T16:10:00Z",
        &["checkout"],
        US_EAST,
        Some(Latency),
        ("2026-11-20T14:30:00Z", "2026-11-20T15:30:00Z"),
    ),
    c("is chekout failing?", NOW_EST, &["checkout"], &[], Some(Errors), LAST_HOUR_EST),
    c(
        "payments errors since 14:20",
        NOW_EST,
        &["payment"],
        &[],
        Some(Errors),
        ("2026-11-20T19:20:00Z", "2026-11-20T21:10:00Z"),
    ),
    c(
        "db latency between 14:00 and 15:30",
        NOW_EST,
        PG,
        &[],
        Some(Latency),
        ("2026-11-20T19:00:00Z", "2026-11-20T20:30:00Z"),
    ),
    c(
        "cache cpu in the last 30 minutes",
        NOW_EST,
        &["redis"],
        &[],
        Some(Saturation),
        ("2026-11-20T20:40:00Z", "2026-11-20T21:10:00Z"),
    ),
    c(
        "frontend 5xx in EU past 2h",
        NOW_EST,
        &["frontend"],
        EU,
        Some(Errors),
        ("2026-11-20T19:10:00Z", "2026-11-20T21:10:00Z"),
    ),
    c("login unavailable for europe", NOW_EST, &["auth"], EU, Some(Availability), LAST_HOUR_EST),
    // month boundary: asked on Dec 1 about Nov 30
    c(
        "what happened yesterday evening",
        "2026-12-01T09:00:00+01:00",
        &[],
        &[],
        None,
        ("2026-11-30T17:00:00Z", "2026-11-30T22:59:59Z"),
    ),
    c(
        "anything wrong this morning",
        "2026-11-20T10:30:00+05:30",
        &[],
        &[],
        None,
        ("2026-11-20T00:30:00Z", "2026-11-20T05:00:00Z"),
    ),
    c(
        "inventory restarts today",
        NOW_EST,
        &["inventory"],
        &[],
        Some(Restarts),
        ("2026-11-20T05:00:00Z", "2026-11-20T21:10:00Z"),
    ),
    c(
        "api-gateway crashloop yesterday",
        NOW_EST,
        &["api-gateway"],
        &[],
        Some(Restarts),
        ("2026-11-19T05:00:00Z", "2026-11-20T04:59:59Z"),
    ),
    c("at 17:00", NOW_EST, &[], &[], None, ("2026-11-19T21:30:00Z", "2026-11-19T22:30:00Z")),
    c("around 15:05", NOW_EST, &[], &[], None, ("2026-11-20T19:35:00Z", "2026-11-20T20:35:00Z")),
    c("2026-11-20 03:10 UTC", NOW_EST, &[], &[], None, ("2026-11-20T02:40:00Z", "2026-11-20T03:40:00Z")),
    c(
        "what failed at 2026-11-20T03:10:00Z",
        NOW_EST,
        &[],
        &[],
        Some(Errors),
        ("2026-11-20T02:40:00Z", "2026-11-20T03:40:00Z"),
    ),
    c(
        "2026-11-20T03:10:00+02:00 oom",
        NOW_EST,
        &[],
        &[],
        Some(Saturation),
        ("2026-11-20T00:40:00Z", "2026-11-20T01:40:00Z"),
    ),
    c("on Nov 20 at 3am", NOW_EST, &[], &[], None, ("2026-11-20T07:30:00Z", "2026-11-20T08:30:00Z")),
    c(
        "notifications down in APAC",
        NOW_EST,
        &["notification-service"],
        &["ap-southeast-1"],
        Some(Availability),
        LAST_HOUR_EST,
    ),
    c("redis OOMKilled", NOW_EST, &["redis"], &[], Some(Restarts), LAST_HOUR_EST),
    c("checkout p99", NOW_EST, &["checkout"], &[], Some(Latency), LAST_HOUR_EST),
    c("postgres-orders connection pool exhausted", NOW_EST, &["postgres-orders"], &[], Some(Saturation), LAST_HOUR_EST),
    c("invetory timeouts", NOW_EST, &["inventory"], &[], Some(Latency), LAST_HOUR_EST),
    c("inventory keeps timing out", NOW_EST, &["inventory"], &[], Some(Latency), LAST_HOUR_EST),
    c("notfication service", NOW_EST, &["notification-service"], &[], None, LAST_HOUR_EST),
    c(
        "US checkout errors",
        NOW_EST,
        &["checkout"],
        &["us-east-1", "us-east-2", "us-west-2"],
        Some(Errors),
        LAST_HOUR_EST,
    ),
    c("is it down for us", NOW_EST, &[], &[], Some(Availability), LAST_HOUR_EST),
    c("asdf qwer zxcv", NOW_EST, &[], &[], None, LAST_HOUR_EST),
    c("", NOW_EST, &[], &[], None, LAST_HOUR_EST),
    c("tonight", "2026-11-20T23:00:00Z", &[], &[], None, ("2026-11-20T18:00:00Z", "2026-11-20T23:00:00Z")),
    c("last night", "2026-11-20T09:00:00Z", &[], &[], None, ("2026-11-19T18:00:00Z", "2026-11-20T06:00:00Z")),
    c("can't reach auth", NOW_EST, &["auth"], &[], Some(Availability), LAST_HOUR_EST),
    c(
        "between 23:00 and 01:00",
        "2026-11-20T03:00:00Z",
        &[],
        &[],
        None,
        ("2026-11-19T23:00:00Z", "2026-11-20T01:00:00Z"),
    ),
    c("Slow web in us-east-2", NOW_EST, &["frontend"], &["us-east-2"], Some(Latency), LAST_HOUR_EST),
    c("disk full on postgres", NOW_EST, PG, &[], Some(Saturation), LAST_HOUR_EST),
    c(
        "why is checkout throwing exceptions in the last 2 hours",
        NOW_EST,
        &["checkout"],
        &[],
        Some(Errors),
        ("2026-11-20T19:10:00Z", "2026-11-20T21:10:00Z"),
    ),
    c("at 3", NOW_EST, &[], &[], None, ("2026-11-20T19:30:00Z", "2026-11-20T20:30:00Z")),
    c("half an hour ago", NOW_EST, &[], &[], None, ("2026-11-20T20:10:00Z", "2026-11-20T21:10:00Z")),
    c("why is the api slow", NOW_EST, &["api-gateway"], &[], Some(Latency), LAST_HOUR_EST),
    c("between 2 and 4", NOW_EST, &[], &[], None, ("2026-11-20T19:00:00Z", "2026-11-20T21:00:00Z")),
    c("between 9 and 11", NOW_EST, &[], &[], None, ("2026-11-20T14:00:00Z", "2026-11-20T16:00:00Z")),
    c("inven errors", NOW_EST, &["inventory"], &[], Some(Errors), LAST_HOUR_EST),
    c("🔥🔥 ÜBER ß 99:99 at 25pm 2026-13-45 -- :: ++", NOW_EST, &[], &[], None, LAST_HOUR_EST),
    c("errors in the last 3 days", NOW_EST, &[], &[], Some(Errors), ("2026-11-17T21:10:00Z", "2026-11-20T21:10:00Z")),
    c("yesterday at 3pm", NOW_EST, &[], &[], None, ("2026-11-19T19:30:00Z", "2026-11-19T20:30:00Z")),
    c(
        "payment latency 2 hours ago",
        NOW_EST,
        &["payment"],
        &[],
        Some(Latency),
        ("2026-11-20T18:40:00Z", "2026-11-20T19:40:00Z"),
    ),
    c("which services restarted after the deploy", NOW_EST, &[], &[], Some(Restarts), LAST_HOUR_EST),
    c("checkout crash-loop and errors", NOW_EST, &["checkout"], &[], Some(Restarts), LAST_HOUR_EST),
    c("checkout crashed, pods crashloop", NOW_EST, &["checkout"], &[], Some(Restarts), LAST_HOUR_EST),
    c("since this morning", NOW_EST, &[], &[], None, ("2026-11-20T11:00:00Z", "2026-11-20T21:10:00Z")),
    c("14:00-15:30 checkout", NOW_EST, &["checkout"], &[], None, ("2026-11-20T19:00:00Z", "2026-11-20T20:30:00Z")),
    c("since 14:20 UTC", NOW_EST, &[], &[], None, ("2026-11-20T14:20:00Z", "2026-11-20T21:10:00Z")),
    c(
        "why did checkout slow down in us-east at 3pm",
        "2026-11-20T16:10:00+05:30",
        &["checkout"],
        US_EAST,
        Some(Latency),
        ("2026-11-20T09:00:00Z", "2026-11-20T10:00:00Z"),
    ),
    c(
        "payments errors in eu since 14:20",
        NOW_EST,
        &["payment"],
        EU,
        Some(Errors),
        ("2026-11-20T19:20:00Z", "2026-11-20T21:10:00Z"),
    ),
    c(
        "was auth down this morning",
        NOW_EST,
        &["auth"],
        &[],
        Some(Availability),
        ("2026-11-20T11:00:00Z", "2026-11-20T17:00:00Z"),
    ),
    c(
        "yesterday evening checkout latency",
        NOW_EST,
        &["checkout"],
        &[],
        Some(Latency),
        ("2026-11-19T23:00:00Z", "2026-11-20T04:59:59Z"),
    ),
    c(
        "postgres saturation around 15:05",
        NOW_EST,
        PG,
        &[],
        Some(Saturation),
        ("2026-11-20T19:35:00Z", "2026-11-20T20:35:00Z"),
    ),
    c(
        "did redis restart in the last 30 minutes",
        NOW_EST,
        &["redis"],
        &[],
        Some(Restarts),
        ("2026-11-20T20:40:00Z", "2026-11-20T21:10:00Z"),
    ),
    c(
        "ap-southeast errors at 9am",
        NOW_EST,
        &[],
        &["ap-southeast-1"],
        Some(Errors),
        ("2026-11-20T13:30:00Z", "2026-11-20T14:30:00Z"),
    ),
    c("api gateway 5xx in us-west", NOW_EST, &["api-gateway"], &["us-west-2"], Some(Errors), LAST_HOUR_EST),
    // +13:45: a DST-free odd offset, where "today" is already Nov 21
    c("at 9am", "2026-11-21T10:55:00+13:45", &[], &[], None, ("2026-11-20T18:45:00Z", "2026-11-20T19:45:00Z")),
];

#[test]
fn table() {
    let k = known();
    let mut failures = Vec::new();
    for case in CASES {
        let now = DateTime::parse_from_rfc3339(case.now).unwrap();
        let got = interpret(case.q, now, &k);
        let want_window = Window { start: t(case.window.0), end: t(case.window.1) };
        let ok = got.services == case.services
            && got.regions == case.regions
            && got.symptom == case.symptom
            && got.window == want_window;
        if !ok {
            failures.push(format!("{:?} at {}: got {got:?}", case.q, case.now));
        }
    }
    assert!(CASES.len() >= 60);
    assert!(failures.is_empty(), "{} of {} failed:\n{}", failures.len(), CASES.len(), failures.join("\n"));
}

#[test]
fn notes_explain_choices() {
    let now = DateTime::parse_from_rfc3339(NOW_EST).unwrap();
    let got = interpret("payments chekout", now, &known());
    assert!(got.notes.contains(&"'payments' matched service payment (same word)".to_string()), "{:?}", got.notes);
    assert!(got.notes.iter().any(|n| n.starts_with("'chekout' matched service checkout (typo, 1 edit)")));
    assert!(got.notes.iter().any(|n| n.starts_with("no time given: the last hour")));
    let got = interpret("at 17:00", now, &known());
    assert!(got.notes.iter().any(|n| n.contains("read as yesterday")), "{:?}", got.notes);
}

#[test]
fn serializes_lowercase_and_rfc3339() {
    let now = DateTime::parse_from_rfc3339(NOW_EST).unwrap();
    let v = serde_json::to_value(interpret("checkout slow at 3pm", now, &known())).unwrap();
    assert_eq!(v["symptom"], "latency");
    assert_eq!(v["window"]["start"], "2026-11-20T19:30:00Z");
    assert_eq!(v["services"][0], "checkout");
}

#[test]
fn local_timezone_from_tz() {
    // the only test that touches the environment or Local
    // US Eastern with its DST rules; chrono reads TZ once per process, so every Local case is here.
    std::env::set_var("TZ", "EST5EDT,M3.2.0,M11.1.0");
    let now_utc = t("2026-11-20T21:10:00Z");
    let local =
        interpret("why did checkout slow down in us-east at 3pm", now_utc.with_timezone(&chrono::Local), &known());
    let fixed = interpret(
        "why did checkout slow down in us-east at 3pm",
        now_utc.with_timezone(&FixedOffset::west_opt(5 * 3600).unwrap()),
        &known(),
    );
    assert_eq!(local.window, fixed.window);
    assert_eq!(local.window.start, t("2026-11-20T19:30:00Z"));

    // DST edges: 2026-03-08 02:00 jumps to 03:00; 2026-11-01 02:00 falls back to 01:00.
    let cases: &[(&str, &str, (&str, &str))] = &[
        // "2:30am" does not exist that night: the clock meant 3:30 EDT
        ("at 2:30am", "2026-03-08T16:00:00Z", ("2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z")),
        // 1:00-2:00 happens twice: the first pass (EDT) is meant
        ("at 1:30am", "2026-11-01T17:00:00Z", ("2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z")),
        ("yesterday at 3pm", "2026-03-09T14:00:00Z", ("2026-03-08T18:30:00Z", "2026-03-08T19:30:00Z")),
        ("yesterday at 3pm", "2026-11-02T14:00:00Z", ("2026-11-01T19:30:00Z", "2026-11-01T20:30:00Z")),
        ("in the last hour", "2026-11-01T06:30:00Z", ("2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z")),
        ("this morning", "2026-03-08T15:00:00Z", ("2026-03-08T10:00:00Z", "2026-03-08T15:00:00Z")),
        ("since 14:20 UTC", "2026-03-08T20:00:00Z", ("2026-03-08T14:20:00Z", "2026-03-08T20:00:00Z")),
    ];
    for (q, now, (a, b)) in cases {
        let got = interpret(q, t(now).with_timezone(&chrono::Local), &known());
        assert_eq!(got.window, Window { start: t(a), end: t(b) }, "{q} at {now}: {:?}", got.notes);
    }
    let got = interpret("at 2:30am", t("2026-03-08T16:00:00Z").with_timezone(&chrono::Local), &known());
    assert_eq!(got.notes.iter().filter(|n| n.contains("does not exist")).count(), 1, "{:?}", got.notes);
}

#[test]
fn whole_name_beats_part_of_a_name() {
    let mut k = known();
    k.services.push("orders".to_string());
    let now = DateTime::parse_from_rfc3339(NOW_EST).unwrap();
    assert_eq!(interpret("look at the order logs", now, &k).services, ["orders"]);
    assert_eq!(
        interpret("postgres orders", now, &k).services,
        PG.iter().chain(&["orders"]).copied().collect::<Vec<_>>()
    );
}

#[test]
fn edit_distance() {
    let d = |a: &str, b: &str| osa(&a.chars().collect::<Vec<_>>(), &b.chars().collect::<Vec<_>>());
    assert_eq!(d("chekout", "checkout"), 1);
    assert_eq!(d("chekcout", "checkout"), 1);
    assert_eq!(d("", "abc"), 3);
    assert_eq!(service_match("pay", "payment"), None);
    assert_eq!(service_match("errors", "orders").map(|m| m.0), None);
}

/// Random questions never panic; start <= end always, and end <= now unless the window
/// was noted as being in the future.
#[test]
fn random_questions_never_panic() {
    let pieces = [
        "at",
        "3pm",
        "15:00",
        "since",
        "between",
        "and",
        "last",
        "2h",
        "ago",
        "yesterday",
        "evening",
        "tonight",
        "nov",
        "20",
        "2026-11-20",
        "utc",
        "+02:00",
        "-05:00",
        "checkout",
        "chekout",
        "db",
        "EU",
        "US",
        "us-east",
        "slow",
        "down",
        "oom",
        "crashloop",
        "ß",
        "🔥",
        "-",
        ":",
        "99:99",
        "12am",
        "noon",
        "monday",
        "9999",
        "2026-02-30",
        "morning",
        "0",
        "a",
        "hours",
        "65536",
        "p.m",
        "'",
        "--1",
        "T",
        "2026-11-20T03:10:00Z",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let k = known();
    for _ in 0..3000 {
        let n = (next() % 8) as usize;
        let mut q = String::new();
        for _ in 0..n {
            let r = next();
            if r % 5 == 0 {
                // raw characters, including multi-byte ones
                q.extend((0..(r % 7)).filter_map(|i| char::from_u32(((r >> (i * 8)) % 0x2000) as u32)));
            } else {
                q.push_str(pieces[(r as usize / 5) % pieces.len()]);
            }
            q.push(if next() % 3 == 0 { '-' } else { ' ' });
        }
        let off = FixedOffset::east_opt(((next() % 50_000) as i32) - 25_000).unwrap();
        let now = t("2026-03-01T00:30:00Z").with_timezone(&off);
        let got = interpret(&q, now, &k);
        let w = got.window;
        assert!(w.start <= w.end, "{q:?}: {w:?}");
        let future = got.notes.iter().any(|n| n.contains("in the future"));
        assert!(future || w.end <= now, "{q:?}: {w:?} {:?}", got.notes);
    }
}

/// (question, window, read as rough): every time phrase form, hedged and not. Asked at 16:10 EST (21:10Z).
/// Hedged durations reach back twice as far (at least 20 minutes more); a hedged clock after "since" starts half
/// an hour earlier; unhedged forms keep their exact windows and no rough note.
const ROUGH: &[(&str, (&str, &str), bool)] = &[
    ("payments have been failing for about 10 minutes", ("2026-11-20T20:40:00Z", "2026-11-20T21:10:00Z"), true),
    ("payments have been failing for 10 minutes", ("2026-11-20T21:00:00Z", "2026-11-20T21:10:00Z"), false),
    ("payments failing for 10ish minutes", ("2026-11-20T20:40:00Z", "2026-11-20T21:10:00Z"), true),
    ("payments failing for some 20 minutes", ("2026-11-20T20:30:00Z", "2026-11-20T21:10:00Z"), true),
    ("checkout has been slow since 9ish", ("2026-11-20T13:30:00Z", "2026-11-20T21:10:00Z"), true),
    ("checkout has been slow since 9-ish", ("2026-11-20T13:30:00Z", "2026-11-20T21:10:00Z"), true),
    ("checkout has been slow since 9", ("2026-11-20T14:00:00Z", "2026-11-20T21:10:00Z"), false),
    ("errors for the last half hour or so", ("2026-11-20T20:10:00Z", "2026-11-20T21:10:00Z"), true),
    ("errors for the last half hour", ("2026-11-20T20:40:00Z", "2026-11-20T21:10:00Z"), false),
    ("errors in the last 10 minutes or so", ("2026-11-20T20:40:00Z", "2026-11-20T21:10:00Z"), true),
    ("errors in the last 10 minutes", ("2026-11-20T21:00:00Z", "2026-11-20T21:10:00Z"), false),
    // a short guess still reaches 20 minutes further back than said
    ("checkout failing for a few minutes", ("2026-11-20T20:47:00Z", "2026-11-20T21:10:00Z"), true),
    ("checkout failing for a couple of hours", ("2026-11-20T17:10:00Z", "2026-11-20T21:10:00Z"), true),
    ("errors in the last few hours", ("2026-11-20T15:10:00Z", "2026-11-20T21:10:00Z"), true),
    ("checkout errors since around 3", ("2026-11-20T19:30:00Z", "2026-11-20T21:10:00Z"), true),
    ("checkout errors since about 14:20", ("2026-11-20T18:50:00Z", "2026-11-20T21:10:00Z"), true),
    ("checkout errors since 3pm", ("2026-11-20T20:00:00Z", "2026-11-20T21:10:00Z"), false),
    ("checkout errors since 14:20", ("2026-11-20T19:20:00Z", "2026-11-20T21:10:00Z"), false),
    ("slow for roughly an hour", ("2026-11-20T19:10:00Z", "2026-11-20T21:10:00Z"), true),
    ("slow for an hour", ("2026-11-20T20:10:00Z", "2026-11-20T21:10:00Z"), false),
    ("down for an hour or so", ("2026-11-20T19:10:00Z", "2026-11-20T21:10:00Z"), true),
    ("slow since about 20 minutes ago", ("2026-11-20T20:30:00Z", "2026-11-20T21:10:00Z"), true),
    ("slow since 20 minutes ago", ("2026-11-20T20:50:00Z", "2026-11-20T21:10:00Z"), false),
    // "ago": the window around the moment already reaches half an hour before it
    ("it broke a couple of minutes ago", ("2026-11-20T20:38:00Z", "2026-11-20T21:10:00Z"), true),
    ("it broke 2 minutes ago", ("2026-11-20T20:38:00Z", "2026-11-20T21:10:00Z"), false),
    ("it broke about 2 hours ago", ("2026-11-20T17:10:00Z", "2026-11-20T19:40:00Z"), true),
    ("it broke 2 hours ago", ("2026-11-20T18:40:00Z", "2026-11-20T19:40:00Z"), false),
    ("it broke an hour or so ago", ("2026-11-20T19:10:00Z", "2026-11-20T20:40:00Z"), true),
    ("at 3ish", ("2026-11-20T19:30:00Z", "2026-11-20T20:30:00Z"), false),
    ("around 15:05", ("2026-11-20T19:35:00Z", "2026-11-20T20:35:00Z"), false),
    // not durations: a region, a pronoun, a count of things
    ("checkout errors for europe", LAST_HOUR_EST, false),
    ("is it down for us", LAST_HOUR_EST, false),
    ("errors for 3 customers", LAST_HOUR_EST, false),
    ("some 5xx errors on checkout", LAST_HOUR_EST, false),
];

#[test]
fn rough_time_phrases() {
    let now = DateTime::parse_from_rfc3339(NOW_EST).unwrap();
    let mut failures = Vec::new();
    for (q, (a, b), rough) in ROUGH {
        let got = interpret(q, now, &known());
        let noted = got.notes.iter().any(|n| n.contains("read as rough"));
        if got.window != (Window { start: t(a), end: t(b) }) || noted != *rough {
            failures.push(format!("{q:?}: {:?} {:?}", got.window, got.notes));
        }
    }
    assert!(failures.is_empty(), "{} of {} failed:\n{}", failures.len(), ROUGH.len(), failures.join("\n"));
}

#[test]
fn rough_phrases_keep_their_entities_and_say_how_far_back() {
    let now = DateTime::parse_from_rfc3339(NOW_EST).unwrap();
    let got = interpret("payments have been failing for about 10 minutes", now, &known());
    assert_eq!((got.services.as_slice(), got.symptom), (&["payment".to_string()][..], Some(Errors)));
    let note = "'for about 10 minutes' read as rough: looking back 30 minutes";
    assert!(got.notes.iter().any(|n| n == note), "{:?}", got.notes);
    let got = interpret("checkout has been slow since 9ish", now, &known());
    assert_eq!(got.services, ["checkout"]);
    assert!(
        got.notes.iter().any(|n| n == "'since 9ish' read as rough: starting 30 minutes earlier"),
        "{:?}",
        got.notes
    );
    // a rough duration longer than the cap is capped, not widened past it
    let got = interpret("errors for 80 days or so", now, &known());
    assert_eq!(got.window.end - got.window.start, chrono::Duration::days(MAX_RELATIVE_DAYS));
}

/// The moment asked about stays where it was said, however far back a rough window reaches; a window that does
/// not sit around a moment has none.
#[test]
fn moment_of_a_window() {
    let now = DateTime::parse_from_rfc3339(NOW_EST).unwrap();
    let moment = |q: &str| interpret(q, now, &known()).moment();
    assert_eq!(moment("it broke about 2 hours ago"), Some(t("2026-11-20T19:10:00Z")));
    assert_eq!(moment("it broke 2 hours ago"), Some(t("2026-11-20T19:10:00Z")));
    assert_eq!(moment("it broke a couple of minutes ago"), Some(t("2026-11-20T21:08:00Z")));
    assert_eq!(moment("checkout slow at 3pm"), Some(t("2026-11-20T20:00:00Z")));
    assert_eq!(moment("at 4pm"), Some(t("2026-11-20T21:00:00Z")));
    assert_eq!(moment("payments failing for about 10 minutes"), None);
    assert_eq!(moment("checkout slow since around 3"), None);
    assert_eq!(moment("db latency between 14:00 and 15:30"), None);
}

#[test]
fn vocabulary_is_exported_for_fuzzing() {
    let words = time_words();
    for w in ["last", "ago", "since", "about", "roughly", "few", "couple", "ish", "half", "november", "monday"] {
        assert!(words.contains(&w), "{w} is missing");
    }
    assert!(symptom_words().contains(&"latency"));
}

/// The moment travels as a field: JSON written before it existed still reads (as no moment), and a window that is
/// not around a moment serializes exactly as before.
#[test]
fn anchor_is_a_compatible_field() {
    let now = DateTime::parse_from_rfc3339(NOW_EST).unwrap();
    let around = interpret("checkout slow at 3pm", now, &known());
    let v = serde_json::to_value(&around).unwrap();
    assert_eq!(v["anchor"], "2026-11-20T20:00:00Z");
    assert_eq!(serde_json::from_value::<Interpretation>(v).unwrap(), around);
    let last = interpret("checkout slow in the last 30 minutes", now, &known());
    let mut v = serde_json::to_value(&last).unwrap();
    assert!(v.get("anchor").is_none(), "{v}");
    v["notes"] = serde_json::json!(["around '3pm': a note is not a moment"]);
    assert_eq!(serde_json::from_value::<Interpretation>(v).unwrap().moment(), None);
}
