//! Frame render time: the whole frame (widgets built from the state and diffed into the
//! buffer) at 200x50, with 100k incidents in the list, 500 hits in the log pane, a long
//! incident detail and a chat. The budget is 8 ms at p99 (see scripts/bench-ui.sh for the
//! real binary's p99 and key-to-screen latency).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

use std::hint::black_box;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use firewatch::model::Severity;
use firewatch::ui::keys::Keymap;
use firewatch::ui::rows::{Detail, IncidentRow, TimelineEntry};
use firewatch::ui::theme::{Depth, Theme};
use firewatch::ui::{update, Action, HitRow, Pane, SearchResults, State};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn state() -> State {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 20, 15, 0, 0).unwrap();
    let mut s = State::new(t0 + Duration::hours(3));
    let detail = Arc::new(Detail {
        summary: Some("catalog: p99 latency went from 40ms to 900ms at 15:10".into()),
        timeline: (0..200)
            .map(|i| TimelineEntry {
                at: t0 + Duration::seconds(i),
                kind: "alert",
                text: format!("alert HighErrorRate fired on svc-{i}"),
            })
            .collect(),
        ..Detail::default()
    });
    let rows = (0..100_000)
        .map(|i| IncidentRow {
            id: format!("inc-{i:08x}"),
            title: format!("HighErrorRate on svc-{} (+{} alerts)", i % 97, i % 7),
            firing: i % 5 == 0,
            severity: if i % 3 == 0 { Severity::Fatal } else { Severity::Warn },
            services: vec![format!("svc-{}", i % 97), "checkout".into()],
            regions: vec!["us-east-1".into()],
            started_at: t0 - Duration::seconds(i),
            alerts: (i % 7) as usize + 1,
            cause: (i % 2 == 0).then(|| ("catalog".to_string(), 0.8)),
            detail: detail.clone(),
        })
        .collect();
    update(&mut s, Action::Incidents(rows));
    update(&mut s, Action::Resize(200, 50));
    let hits = (0..500)
        .map(|i| HitRow {
            timestamp: t0 - Duration::milliseconds(i * 37),
            service: "catalog".into(),
            severity: Severity::Error,
            body: format!("query timeout after {i} ms on products-db while serving GET /api/products/{i} for user {i}"),
            trace_id: Some(format!("{i:032x}")),
        })
        .collect();
    update(&mut s, Action::Goto(Pane::Search));
    update(&mut s, Action::StartSearch);
    for c in "timeout".chars() {
        update(&mut s, Action::Char(c));
    }
    update(&mut s, Action::Submit);
    update(
        &mut s,
        Action::SearchDone {
            seq: 1,
            results: SearchResults {
                hits,
                total: 1_000_000,
                terms: vec!["timeout".into()],
                histogram: (0..60).collect(),
                span: Some((t0, t0 + Duration::hours(2))),
                millis: 3,
                fallback: None,
                scanned: None,
            },
        },
    );
    s
}

fn bench_render(c: &mut Criterion) {
    let theme = Theme::named("dark", Depth::TrueColor).unwrap();
    let keys = Keymap::new(&Default::default()).unwrap();
    let base = state();
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
    for (name, pane) in [("incidents_100k", Pane::Incidents), ("logs_500_hits", Pane::Search), ("detail", Pane::Detail)]
    {
        let mut s = base.clone();
        update(&mut s, Action::Goto(pane));
        // Move the selection each frame, as a user holding j would.
        c.bench_function(&format!("frame_200x50_{name}"), |b| {
            b.iter(|| {
                update(&mut s, Action::Down);
                term.draw(|f| firewatch::ui::view::draw(f, black_box(&s), &theme, &keys)).unwrap();
            })
        });
    }
    // Applying a keystroke to the state with 100k incidents (the list is not copied).
    let mut s = base.clone();
    update(&mut s, Action::Goto(Pane::Incidents));
    c.bench_function("update_key_100k_incidents", |b| b.iter(|| black_box(update(&mut s, Action::Down))));
}

criterion_group!(benches, bench_render);
criterion_main!(benches);
