//! Every pane at 80x24 and 200x50 as insta snapshots of the text, each shipped theme as a
//! snapshot of the styles it gives every pane, plus checks that the theme's meanings reach
//! the cells and telemetry is drawn safely.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::*;
use crate::copilot::chat::ChatEvent;
use crate::copilot::interpret::{Interpretation, Window};
use crate::copilot::offline::{Answer, Evidence};
use crate::model::Severity;
use crate::ui::chart::MetricChart;
use crate::ui::keys::Keymap;
use crate::ui::rows::{
    AlertLine, CauseLine, Detail, EdgeLine, IncidentRow, PatternLine, RunbookItem, StepLine, TimelineEntry,
};
use crate::ui::theme::{Depth, Theme, SHIPPED};
use crate::ui::{update, Action, HitRow, SearchResults, SourceState, SourceStatus, State};

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, h, m, 0).unwrap()
}

fn detail() -> Detail {
    Detail {
        summary: Some(
            "catalog: p99 latency in us-east-1 went from 40ms to 900ms at 15:10; it was deployed at 15:07".into(),
        ),
        timeline: vec![
            TimelineEntry { at: at(15, 7), kind: "deploy", text: "deploy: starting catalog version 2.3.0".into() },
            TimelineEntry {
                at: at(15, 10),
                kind: "anomaly",
                text: "latency on catalog went from 40ms to 900ms".into(),
            },
            TimelineEntry { at: at(15, 16), kind: "alert", text: "alert HighErrorRate fired on checkout".into() },
            TimelineEntry { at: at(15, 40), kind: "resolved", text: "alert HighLatency on catalog resolved".into() },
        ],
        alerts: vec![
            AlertLine {
                alertname: "HighErrorRate".into(),
                service: "checkout".into(),
                severity: Severity::Fatal,
                firing: true,
                starts_at: at(15, 16),
                summary: "checkout 5xx above 5%".into(),
            },
            AlertLine {
                alertname: "HighLatency".into(),
                service: "catalog".into(),
                severity: Severity::Warn,
                firing: false,
                starts_at: at(15, 12),
                summary: "p99 above 500ms".into(),
            },
        ],
        patterns: vec![PatternLine {
            template: "query timeout after <*> ms on <*>".into(),
            before: 0.0,
            during: 14.2,
            new: true,
        }],
        edges: vec![EdgeLine {
            caller: "checkout".into(),
            callee: "catalog".into(),
            calls: 4200,
            errors_before: 0.001,
            errors_during: 0.21,
            ms_before: 41.0,
            ms_during: 870.0,
        }],
        causes: vec![
            CauseLine {
                service: "catalog".into(),
                region: Some("us-east-1".into()),
                score: 1.12,
                reason: "latency rose first; deployed 3 minutes before".into(),
                suspected: true,
            },
            CauseLine {
                service: "checkout".into(),
                region: None,
                score: 0.41,
                reason: "errors, but catalog it calls failed first".into(),
                suspected: false,
            },
        ],
        runbooks: vec![RunbookItem {
            id: "rollback-deploy".into(),
            title: "Roll back a bad deploy".into(),
            score: 0.71,
            reason: "alerts HighErrorRate; a deploy shortly before".into(),
            steps: vec![
                StepLine {
                    title: "See the rollout history".into(),
                    kind: "check",
                    read_only: true,
                    exact: Ok("$ kubectl rollout history deployment/catalog -n production".into()),
                },
                StepLine {
                    title: "Roll back".into(),
                    kind: "command",
                    read_only: false,
                    exact: Ok("$ kubectl rollout undo deployment/catalog -n production".into()),
                },
                StepLine {
                    title: "Tell the channel".into(),
                    kind: "http",
                    read_only: false,
                    exact: Err("no value for channel".into()),
                },
            ],
        }],
    }
}

pub(crate) fn state() -> State {
    let mut s = State::new(at(16, 0));
    update(
        &mut s,
        Action::Incidents(vec![
            IncidentRow {
                id: "inc-1b4bd2c1".into(),
                title: "HighErrorRate on checkout (+6 alerts)".into(),
                firing: true,
                severity: Severity::Fatal,
                services: vec!["checkout".into(), "catalog".into(), "frontend".into()],
                regions: vec!["us-east-1".into()],
                started_at: at(15, 16),
                alerts: 7,
                cause: Some(("catalog".into(), 0.82)),
                detail: Arc::new(detail()),
            },
            IncidentRow {
                id: "inc-77f0a9e3".into(),
                // Telemetry text with an escape sequence: drawn visibly, never sent raw.
                title: "HighCPUThrottling on pricing \u{1b}[2J".into(),
                firing: false,
                severity: Severity::Warn,
                services: vec!["pricing".into()],
                regions: vec!["eu-west-1".into()],
                started_at: at(14, 20),
                alerts: 3,
                cause: None,
                detail: Arc::default(),
            },
        ]),
    );
    update(
        &mut s,
        Action::Sources(vec![
            SourceStatus { name: "alertmanager".into(), state: SourceState::Ok },
            SourceStatus { name: "loki".into(), state: SourceState::Degraded },
        ]),
    );
    s.feed = "demo: replaying at x30, data time 16:00:00".into();
    s
}

fn with_search(mut s: State) -> State {
    update(&mut s, Action::Goto(Pane::Search));
    update(&mut s, Action::StartSearch);
    for c in "service:catalog timeout".chars() {
        update(&mut s, Action::Char(c));
    }
    let u = update(&mut s, Action::Submit);
    assert!(matches!(u.tasks.as_slice(), [crate::ui::Task::Search { .. }]), "{u:?}");
    let hits = hits(at(15, 59));
    let histogram = (0..60).map(|i| if i > 45 { (i - 45) * 3 } else { i % 2 }).collect();
    update(
        &mut s,
        Action::SearchDone {
            seq: 1,
            results: SearchResults {
                hits,
                total: 1234,
                terms: vec!["timeout".into()],
                histogram,
                span: Some((at(14, 0), at(16, 0))),
                millis: 4,
                fallback: None,
                scanned: None,
            },
        },
    );
    s
}

/// Files opened (`firewatch app.log`): the tail, followed, a third of it indexed.
fn with_tail(mut s: State) -> State {
    let mut lines: Vec<String> =
        (0..40).map(|i| format!("2026-11-20T15:{i:02}:00Z INFO request {i} served in 12ms")).collect();
    lines.push("2026-11-20T15:41:00Z WARN retrying payment for order 42".into());
    lines.push("2026-11-20T15:41:02Z ERROR payment failed for order 42 \u{1b}[2J".into());
    s.logs = crate::ui::panes::logs::LogsPane::opened("app.log".into(), lines, false);
    s.pane = Pane::Tail;
    let u = update(&mut s, Action::Follow);
    assert!(u.tasks.contains(&crate::ui::Task::FollowFiles(true)), "{u:?}");
    update(
        &mut s,
        Action::Indexing(crate::engine::open::OpenProgress {
            name: "app.log".into(),
            bytes_done: 380_000_000,
            bytes_total: 1_000_000_000,
            records: 1_200_000,
            commit: 3,
            indexing: true,
        }),
    );
    s
}

/// A search of the opened file while it is being indexed: it says how much it covers, and what the scan of the
/// part not indexed yet found.
fn with_coverage(s: State) -> State {
    let mut s = with_search(with_tail(s));
    s.search.results.scanned = Some((2, 412_000_000));
    s
}

fn hits(newest: DateTime<Utc>) -> Vec<HitRow> {
    (0..30)
        .map(|i| HitRow {
            timestamp: newest - chrono::Duration::seconds(i * 7),
            service: "catalog".into(),
            severity: if i % 3 == 0 { Severity::Error } else { Severity::Warn },
            body: format!("query timeout after {} ms on products-db \u{1b}]0;pwned\u{7}", 900 + i),
            trace_id: (i % 2 == 0).then(|| format!("4bf92f3577b34da6a3ce929d0e0e{i:04}")),
        })
        .collect()
}

/// The chat's metric citation opened: its series above the logs of its service at its time.
fn with_cited_metric(mut s: State) -> State {
    let u = update(&mut s, Action::Open);
    let seq = match u.tasks.as_slice() {
        [crate::ui::Task::Search { seq, .. }, crate::ui::Task::Chart { seq: chart_seq, evidence }] => {
            assert_eq!((seq, evidence.id.as_str()), (chart_seq, "E1"));
            *seq
        }
        other => panic!("a metric citation searches its logs and reads its series: {other:?}"),
    };
    let results = SearchResults {
        hits: hits(at(15, 11)),
        total: 87,
        terms: vec![],
        histogram: vec![],
        span: Some((at(14, 0), at(16, 0))),
        millis: 3,
        fallback: Some("service:catalog level:>=warn".into()),
        scanned: None,
    };
    update(&mut s, Action::SearchDone { seq, results });
    let points = (0..60)
        .map(|m| {
            (at(14, 40) + chrono::Duration::minutes(m), if m < 30 { 40.0 + (m % 4) as f64 } else { 900.0 - m as f64 })
        })
        .collect();
    let chart = MetricChart {
        name: "http.server.request.duration.p99".into(),
        service: "catalog".into(),
        region: Some("us-east-1".into()),
        unit: "ms".into(),
        points,
        at: at(15, 10),
        from: at(14, 40),
        to: at(15, 40),
    };
    assert!(update(&mut s, Action::ChartDone { seq, chart: Ok(chart) }).redraw);
    s
}

fn answer() -> Answer {
    Answer {
        question: "why did checkout slow down?".into(),
        interpretation: Interpretation {
            services: vec!["checkout".into()],
            regions: vec!["us-east-1".into()],
            symptom: None,
            window: Window { start: at(15, 0), end: at(16, 0) },
            notes: vec![],
            anchor: None,
        },
        root_cause: None,
        candidates: vec![],
        evidence: vec![
            Evidence {
                id: "E1".into(),
                kind: "metric",
                timestamp: at(15, 10),
                service: Some("catalog".into()),
                text: "p99 latency went from 40ms to 900ms".into(),
            },
            Evidence {
                id: "E2".into(),
                kind: "deploy",
                timestamp: at(15, 7),
                service: Some("catalog".into()),
                text: "starting catalog version 2.3.0".into(),
            },
        ],
        answer: "Suspected cause: catalog. Its p99 latency rose at 15:10 [E1], three minutes after a deploy [E2]."
            .into(),
        runbooks: vec![],
        incident: Some("inc-1b4bd2c1".into()),
    }
}

fn with_chat(mut s: State) -> State {
    update(&mut s, Action::StartAsk);
    for c in "why did checkout slow down?".chars() {
        update(&mut s, Action::Char(c));
    }
    let u = update(&mut s, Action::Submit);
    assert!(!u.tasks.is_empty());
    update(&mut s, Action::Chat(ChatEvent::Offline { id: 1, answer: Box::new(answer()) }));
    update(&mut s, Action::NextMatch);
    s
}

fn render(s: &State, t: &Theme, w: u16, h: u16) -> ratatui::buffer::Buffer {
    let keys = Keymap::new(&Default::default()).unwrap();
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| draw(f, s, t, &keys)).unwrap();
    term.backend().buffer().clone()
}

pub(crate) fn text(b: &ratatui::buffer::Buffer) -> String {
    let mut out = String::new();
    for y in 0..b.area.height {
        let line: String = (0..b.area.width).map(|x| b[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn panes() -> Vec<(&'static str, State)> {
    let mut detail = state();
    update(&mut detail, Action::Open);
    let mut runbooks = state();
    update(&mut runbooks, Action::Goto(Pane::Runbooks));
    update(&mut runbooks, Action::Down);
    let mut confirm = runbooks.clone();
    update(&mut confirm, Action::Open);
    update(&mut confirm, Action::Char('y'));
    let mut help = state();
    update(&mut help, Action::Help);
    vec![
        ("incidents", state()),
        ("detail", detail),
        ("search", with_search(state())),
        ("chat", with_chat(state())),
        ("metric", with_cited_metric(with_chat(state()))),
        ("runbooks", runbooks),
        ("confirm", confirm),
        ("help", help),
        ("tail", with_tail(state())),
        ("coverage", with_coverage(state())),
    ]
}

/// Each row as runs of one style: `x..end fg bg modifiers |text|`. A theme changes the
/// styles, never the text, so a theme's snapshot is this, not another copy of the text.
fn styled(b: &ratatui::buffer::Buffer) -> String {
    let mut out = String::new();
    for y in 0..b.area.height {
        out.push_str(&format!("{y:>2}:"));
        let mut x = 0;
        while x < b.area.width {
            let style = |x: u16| (b[(x, y)].fg, b[(x, y)].bg, b[(x, y)].modifier);
            let start = x;
            let mut run = String::new();
            while x < b.area.width && style(x) == style(start) {
                run.push_str(b[(x, y)].symbol());
                x += 1;
            }
            let (fg, bg, m) = style(start);
            out.push_str(&format!(" {start}..{x} {fg} {bg} {m:?} |{run}|"));
        }
        out.push('\n');
    }
    out
}

/// Every pane at both sizes: its text once (every theme draws the same text, and the test
/// says so), and each theme's styles of every pane at 80x24.
#[test]
fn every_pane_in_every_theme_at_both_sizes() {
    let themes: Vec<(&str, Theme)> =
        SHIPPED.iter().map(|(name, _)| (*name, Theme::named(name, Depth::TrueColor).unwrap())).collect();
    let mut styles: Vec<String> = vec![String::new(); themes.len()];
    for (pane, s) in panes() {
        for (w, h) in [(80, 24), (200, 50)] {
            let (first, t0) = &themes[0];
            let all = text(&render(&s, t0, w, h));
            // Nothing from telemetry reaches the terminal raw.
            assert!(!all.contains('\u{1b}') && !all.contains('\u{7}'), "{pane}");
            for (i, (name, t)) in themes.iter().enumerate() {
                let b = render(&s, t, w, h);
                assert_eq!(text(&b), all, "{pane} {w}x{h}: {name} draws other text than {first}");
                if (w, h) == (80, 24) {
                    styles[i].push_str(&format!("== {pane}\n{}", styled(&b)));
                }
            }
            insta::assert_snapshot!(format!("{pane}_{w}x{h}"), all);
        }
    }
    for ((name, _), dump) in themes.iter().zip(styles) {
        insta::assert_snapshot!(format!("styles_{name}"), dump);
    }
}

#[test]
fn theme_meanings_reach_the_cells() {
    for (name, _) in SHIPPED {
        let t = Theme::named(name, Depth::TrueColor).unwrap();
        let b = render(&state(), &t, 80, 24);
        // The warning incident's severity (the critical one is selected, so it wears the selection).
        let (w, h) = (80u16, 24u16);
        let sev = (0..h)
            .flat_map(|y| (0..w - 8).map(move |x| (x, y)))
            .find(|&(x, y)| (0..8).map(|i| b[(x + i, y)].symbol()).collect::<String>() == "warning ");
        let (x, y) = sev.expect("a severity cell");
        assert_eq!(b[(x, y)].fg, t.warning.fg.unwrap(), "{name}");
        assert_eq!(b[(x, y - 1)].bg, t.selection.bg.unwrap(), "{name}: the selected row");
        // A search term is highlighted in the evidence colour.
        let b = render(&with_search(state()), &t, 200, 50);
        let hit = (0..50u16)
            .flat_map(|y| (0..192u16).map(move |x| (x, y)))
            .find(|&(x, y)| (0..7).map(|i| b[(x + i, y)].symbol()).collect::<String>() == "timeout" && y > 8)
            .expect("a highlighted term");
        assert_eq!(b[hit].fg, t.evidence.fg.unwrap(), "{name}: highlight");
    }
}

#[test]
fn escape_sequences_are_drawn_visibly() {
    let t = Theme::named("dark", Depth::TrueColor).unwrap();
    let all = text(&render(&state(), &t, 200, 50));
    assert!(all.contains("\\x1b[2J"), "{all}");
    let all = text(&render(&with_search(state()), &t, 200, 50));
    assert!(all.contains("\\x1b]0;pwned\\x07"), "{all}");
}

#[test]
fn a_small_terminal_is_told_so_and_help_lists_every_key() {
    let t = Theme::named("high-contrast", Depth::Mono).unwrap();
    let all = text(&render(&state(), &t, 60, 20)).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(all.contains("needs a terminal of at least 80x24; this one is 60x20"), "{all}");
    let mut s = state();
    update(&mut s, Action::Help);
    for (w, h) in [(80, 24), (200, 50)] {
        let all = text(&render(&s, &t, w, h));
        for (_, keys, what) in &Keymap::new(&Default::default()).unwrap().shown {
            assert!(all.contains(&keys[0]), "{keys:?} missing from help at {w}x{h}:\n{all}");
            let words: String = what.chars().take(8).collect();
            assert!(all.contains(&words), "{what} missing from help at {w}x{h}:\n{all}");
        }
    }
}

#[test]
fn a_mono_terminal_still_marks_the_selection() {
    let t = Theme::named("dark", Depth::Mono).unwrap();
    let b = render(&state(), &t, 80, 24);
    let row = (0..24u16).find(|&y| text(&b).lines().nth(y as usize).is_some_and(|l| l.contains("critical"))).unwrap();
    assert!(b[(2, row)].modifier.contains(ratatui::style::Modifier::REVERSED), "selection is reversed without colour");
}

#[test]
fn a_new_search_shows_no_count_and_no_hits_until_its_results_come() {
    let t = Theme::named("dark", Depth::TrueColor).unwrap();
    let mut s = with_search(state());
    // A second query while the first one's hits are on screen.
    update(&mut s, Action::StartSearch);
    update(&mut s, Action::ClearInput);
    for c in "service:search".chars() {
        update(&mut s, Action::Char(c));
    }
    update(&mut s, Action::Submit);
    let all = text(&render(&s, &t, 120, 30));
    assert!(all.contains("Logs: service:search | searching…"), "{all}");
    assert!(
        !all.contains(" hits,") && !all.contains("query timeout"),
        "the old query's hits are not this one's:\n{all}"
    );
    let u = update(
        &mut s,
        Action::SearchDone {
            seq: 2,
            results: SearchResults { span: Some((at(14, 0), at(16, 0))), ..SearchResults::default() },
        },
    );
    assert!(u.redraw, "the end of a search is drawn even with nothing found");
    let all = text(&render(&s, &t, 120, 30));
    assert!(all.contains("Logs: service:search | 0 hits, newest 0 shown") && all.contains("no hits"), "{all}");
    assert!(!all.contains("searching…"), "{all}");
}

/// The row of the screen whose text contains `needle`.
fn row_of(b: &ratatui::buffer::Buffer, needle: &str) -> u16 {
    text(b).lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle} is not on screen")) as u16
}

#[test]
fn a_click_lands_on_what_is_drawn_there() {
    let t = Theme::named("dark", Depth::TrueColor).unwrap();
    for (w, h) in [(80, 24), (200, 50)] {
        let mut s = state();
        update(&mut s, Action::Resize(w, h));
        assert!(s.incidents.visible.len() >= 2);
        // The second incident, clicked where it is drawn, is selected; a second click opens it.
        let second = s.incidents.rows[s.incidents.visible[1]].title.clone();
        let y = row_of(&render(&s, &t, w, h), &second.chars().take(12).collect::<String>());
        assert!(update(&mut s, Action::Click(30, y)).redraw);
        assert_eq!(s.selected_incident().map(|r| r.title.clone()), Some(second.clone()), "{w}x{h}");
        update(&mut s, Action::Click(30, y));
        assert_eq!(s.pane, Pane::Detail);
        // The border, the header and the rows below the list are not incidents.
        update(&mut s, Action::Goto(Pane::Incidents));
        let header = row_of(&render(&s, &t, w, h), "SEV");
        assert!(!update(&mut s, Action::Click(30, header)).redraw);
        assert!(!update(&mut s, Action::Click(30, h - 1)).redraw);
        // A tab, clicked on its label.
        let x = text(&render(&s, &t, w, h)).lines().next().unwrap().find("3 Logs").unwrap() as u16;
        update(&mut s, Action::Click(x + 2, 0));
        assert_eq!(s.pane, Pane::Search);
        // A hit: the third one drawn, also when a cited metric's chart pushes the list down.
        for mut s in [with_search(state()), with_cited_metric(with_chat(state()))] {
            update(&mut s, Action::Resize(w, h));
            let b = render(&s, &t, w, h);
            let third = text(&b).lines().filter(|l| l.contains("query timeout after")).nth(2).unwrap().to_string();
            let y = row_of(&b, &third);
            update(&mut s, Action::Click(10, y));
            assert_eq!(s.search.selected, 2, "{w}x{h}\n{}", text(&b));
        }
    }
}
