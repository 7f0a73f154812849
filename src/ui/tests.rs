//! The update function: what each action does to the state, and the work it starts.

use std::sync::Arc;

use chrono::{TimeZone, Utc};

use super::*;
use crate::copilot::chat::{ChatEvent, Status};
use crate::model::Severity;

fn row(id: &str, firing: bool, min: u32) -> IncidentRow {
    IncidentRow {
        id: id.into(),
        title: format!("t {id}"),
        firing,
        severity: if firing { Severity::Fatal } else { Severity::Warn },
        services: vec![format!("svc-{id}")],
        regions: vec![],
        started_at: Utc.with_ymd_and_hms(2026, 11, 20, 15, min, 0).unwrap(),
        alerts: 1,
        cause: None,
        detail: Arc::default(),
    }
}

fn typed(s: &mut State, text: &str) {
    for c in text.chars() {
        update(s, Action::Char(c));
    }
}

#[test]
fn moving_is_bounded_and_the_selection_follows_its_incident() {
    let mut s = State::new(Utc::now());
    assert!(update(&mut s, Action::Incidents(vec![row("a", true, 1), row("b", true, 2), row("c", true, 3)])).redraw);
    // Open first, newest first.
    assert_eq!(s.selected_incident().unwrap().id, "c");
    assert!(!update(&mut s, Action::Up).redraw, "nothing above the top: no redraw");
    update(&mut s, Action::Bottom);
    assert_eq!(s.selected_incident().unwrap().id, "a");
    assert!(!update(&mut s, Action::Down).redraw);
    // The same list again changes nothing and draws nothing.
    let same = s.incidents.rows.clone();
    assert!(!update(&mut s, Action::Incidents(same)).redraw);
    update(&mut s, Action::Incidents(vec![row("x", true, 9), row("a", true, 1), row("c", false, 3)]));
    assert_eq!(s.selected_incident().unwrap().id, "a", "the selection stays on its incident");
    update(&mut s, Action::Open);
    assert_eq!(s.pane, Pane::Detail);
    update(&mut s, Action::Back);
    assert_eq!(s.pane, Pane::Incidents);
    update(&mut s, Action::PrevPane);
    assert_eq!(s.pane, Pane::Runbooks);
}

#[test]
fn filter_and_sort_narrow_and_order_the_list() {
    let mut s = State::new(Utc::now());
    update(&mut s, Action::Incidents(vec![row("a", false, 9), row("b", true, 1), row("c", true, 3)]));
    let ids = |s: &State| s.incidents.visible.iter().map(|&i| s.incidents.rows[i].id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&s), ["c", "b", "a"], "open first, then newest");
    update(&mut s, Action::Sort);
    assert_eq!(ids(&s), ["a", "c", "b"], "newest");
    update(&mut s, Action::StartSearch);
    assert_eq!(s.focus, Focus::Filter);
    typed(&mut s, "svc-b");
    assert_eq!(ids(&s), ["b"]);
    update(&mut s, Action::Submit);
    update(&mut s, Action::Back);
    assert_eq!(ids(&s).len(), 3, "Esc clears the filter");
}

#[test]
fn a_query_is_searched_remembered_and_recalled() {
    let mut s = State::new(Utc::now());
    update(&mut s, Action::Goto(Pane::Search));
    update(&mut s, Action::StartSearch);
    typed(&mut s, "level:>=error q");
    // While typing, q is a letter, not quit.
    assert!(!s.quit);
    let u = update(&mut s, Action::Submit);
    assert_eq!(u.tasks, vec![Task::Search { seq: 1, query: "level:>=error q".into(), fallback: None }]);
    assert!(s.search.busy);
    // A stale result (an older search) is ignored.
    assert!(!update(&mut s, Action::SearchDone { seq: 0, results: SearchResults::default() }).redraw);
    let hit = HitRow {
        timestamp: Utc::now(),
        service: "a".into(),
        severity: Severity::Error,
        body: "x".into(),
        trace_id: Some("abc".into()),
    };
    update(
        &mut s,
        Action::SearchDone { seq: 1, results: SearchResults { hits: vec![hit], total: 1, ..SearchResults::default() } },
    );
    assert!(!s.search.busy);
    // Enter on a hit with a trace searches the trace.
    let u = update(&mut s, Action::Open);
    assert_eq!(u.tasks, vec![Task::Search { seq: 2, query: "trace_id:abc".into(), fallback: None }]);
    // History: Up recalls the last query.
    update(&mut s, Action::StartSearch);
    update(&mut s, Action::ClearInput);
    update(&mut s, Action::HistoryPrev);
    assert_eq!(s.search.input, "level:>=error q");
    // Follow re-runs the query on each tick.
    update(&mut s, Action::Back);
    update(&mut s, Action::SearchDone { seq: 2, results: SearchResults::default() });
    let u = update(&mut s, Action::Follow);
    assert!(s.search.follow);
    assert_eq!(u.tasks.len(), 1);
    update(&mut s, Action::SearchDone { seq: 3, results: SearchResults::default() });
    let u = update(&mut s, Action::Tick(Utc::now()));
    assert!(matches!(u.tasks.as_slice(), [Task::Search { seq: 4, .. }]), "{u:?}");
}

#[test]
fn the_chat_asks_cites_opens_and_cancels() {
    let mut s = State::new(Utc::now());
    update(&mut s, Action::Incidents(vec![row("a", true, 1)]));
    update(&mut s, Action::StartAsk);
    typed(&mut s, "why is checkout slow");
    let u = update(&mut s, Action::Submit);
    assert!(matches!(u.tasks.as_slice(), [Task::Chat(crate::copilot::chat::Effect::Analyze { .. })]), "{u:?}");
    assert_eq!(s.chat.chat.scope.as_deref(), Some("a"), "asked about the selected incident");
    // Esc while it is being answered cancels it.
    let u = update(&mut s, Action::Back);
    assert!(matches!(u.tasks.as_slice(), [Task::Chat(crate::copilot::chat::Effect::Cancel { id: 1 })]), "{u:?}");
    assert_eq!(s.chat.chat.turns()[0].status, Status::Cancelled);
    // A late answer for the cancelled question changes nothing.
    let ev = crate::copilot::offline::Evidence {
        id: "E1".into(),
        kind: "log",
        timestamp: Utc::now(),
        service: Some("checkout".into()),
        text: "pool exhausted waiting for connection trace_id=4bf92f35".into(),
    };
    let answer = crate::copilot::offline::Answer {
        question: "q".into(),
        interpretation: crate::copilot::interpret::Interpretation {
            services: vec![],
            regions: vec![],
            symptom: None,
            window: crate::copilot::interpret::Window { start: Utc::now(), end: Utc::now() },
            notes: vec![],
            anchor: None,
        },
        root_cause: None,
        candidates: vec![],
        evidence: vec![ev],
        answer: "the pool ran out [E1]".into(),
        runbooks: vec![],
        incident: None,
    };
    update(&mut s, Action::Chat(ChatEvent::Offline { id: 1, answer: Box::new(answer.clone()) }));
    assert_eq!(s.chat.chat.turns()[0].status, Status::Cancelled);
    // Asked again, answered offline: n picks the citation, Enter opens it in the logs.
    update(&mut s, Action::StartAsk);
    typed(&mut s, "why is checkout slow");
    update(&mut s, Action::Submit);
    update(&mut s, Action::Chat(ChatEvent::Offline { id: 2, answer: Box::new(answer) }));
    assert_eq!(s.chat.cited_ids(), ["E1"]);
    let u = update(&mut s, Action::Open);
    assert!(u.tasks.is_empty(), "no citation picked yet");
    update(&mut s, Action::NextMatch);
    let u = update(&mut s, Action::Open);
    assert_eq!(s.pane, Pane::Search);
    match u.tasks.as_slice() {
        [Task::Search { query, fallback: Some((around, _)), .. }] => {
            assert_eq!(query, "trace_id:4bf92f35");
            assert_eq!(around, "service:checkout level:>=warn");
        }
        other => panic!("{other:?}"),
    }
    // Esc goes back to the answer.
    update(&mut s, Action::Back);
    assert_eq!(s.pane, Pane::Chat);
}

#[test]
fn a_runbook_step_runs_only_after_yes() {
    let mut s = State::new(Utc::now());
    let mut r = row("a", true, 1);
    r.detail = Arc::new(Detail {
        runbooks: vec![rows::RunbookItem {
            id: "rollback-deploy".into(),
            title: "Roll back".into(),
            score: 1.0,
            reason: "r".into(),
            steps: vec![
                rows::StepLine {
                    title: "look".into(),
                    kind: "check",
                    read_only: true,
                    exact: Ok("$ kubectl get deploy".into()),
                },
                rows::StepLine {
                    title: "undo".into(),
                    kind: "command",
                    read_only: false,
                    exact: Ok("$ kubectl rollout undo".into()),
                },
            ],
        }],
        ..Detail::default()
    });
    update(&mut s, Action::Incidents(vec![r]));
    update(&mut s, Action::Goto(Pane::Runbooks));
    update(&mut s, Action::Down);
    assert_eq!(s.runbooks.step, 1);
    // Enter asks; anything but yes runs nothing.
    assert!(update(&mut s, Action::Open).tasks.is_empty());
    assert_eq!(s.focus, Focus::Confirm);
    typed(&mut s, "y");
    assert!(update(&mut s, Action::Submit).tasks.is_empty());
    assert!(s.notice.as_deref().unwrap().contains("not run"));
    // Esc cancels too.
    update(&mut s, Action::Open);
    update(&mut s, Action::Back);
    assert_eq!(s.focus, Focus::None);
    assert!(s.runbooks.confirm.is_none());
    // yes runs exactly that step.
    update(&mut s, Action::Open);
    typed(&mut s, "yes");
    let u = update(&mut s, Action::Submit);
    assert_eq!(u.tasks, vec![Task::RunStep { incident: Some("a".into()), runbook: "rollback-deploy".into(), step: 1 }]);
}

#[test]
fn the_palette_runs_commands_and_names_the_ones_it_knows() {
    let mut s = State::new(Utc::now());
    update(&mut s, Action::Palette);
    typed(&mut s, "search level:error");
    let u = update(&mut s, Action::Submit);
    assert_eq!(s.pane, Pane::Search);
    assert!(matches!(u.tasks.as_slice(), [Task::Search { .. }]));
    update(&mut s, Action::Palette);
    typed(&mut s, "theme light");
    assert_eq!(update(&mut s, Action::Submit).tasks, vec![Task::Theme("light".into())]);
    update(&mut s, Action::Palette);
    typed(&mut s, "frobnicate");
    update(&mut s, Action::Submit);
    assert!(s.notice.as_deref().unwrap().contains("unknown command 'frobnicate'"));
    update(&mut s, Action::Palette);
    typed(&mut s, "quit");
    update(&mut s, Action::Submit);
    assert!(s.quit);
}

#[test]
fn control_characters_never_enter_a_field_and_ticks_redraw_per_minute() {
    let mut s = State::new(Utc.with_ymd_and_hms(2026, 11, 20, 15, 0, 0).unwrap());
    update(&mut s, Action::StartAsk);
    update(&mut s, Action::Char('\u{1b}'));
    update(&mut s, Action::Char('a'));
    assert_eq!(s.chat.input, "a");
    assert!(!update(&mut s, Action::Tick(Utc.with_ymd_and_hms(2026, 11, 20, 15, 0, 30).unwrap())).redraw);
    assert!(update(&mut s, Action::Tick(Utc.with_ymd_and_hms(2026, 11, 20, 15, 1, 0).unwrap())).redraw);
}

#[test]
fn sorting_by_severity_reads_every_alert_word_the_same_way() {
    let mut s = State::new(Utc::now());
    let mut rows = vec![row("w", true, 4), row("p", true, 1), row("e", true, 2), row("i", true, 3)];
    for (r, label) in rows.iter_mut().zip(["warning", "page", "error", "info"]) {
        r.severity = Severity::of_alert(label);
    }
    update(&mut s, Action::Incidents(rows));
    for _ in 0..2 {
        update(&mut s, Action::Sort);
    }
    assert_eq!(s.incidents.sort, Sort::Severity);
    let ids: Vec<&str> = s.incidents.visible.iter().map(|&i| s.incidents.rows[i].id.as_str()).collect();
    assert_eq!(ids, ["p", "e", "w", "i"], "page is critical, then error, warning, info");
    // The filter matches the word shown, whatever word the alert used.
    update(&mut s, Action::StartSearch);
    typed(&mut s, "critical");
    assert_eq!(s.selected_incident().map(|r| r.id.as_str()), Some("p"));
    assert_eq!(s.incidents.visible.len(), 1);
}

/// The status bar reads the rows the collector stores, whatever state they hold, and a row it
/// cannot read is shown as unknown rather than as healthy.
#[test]
fn stored_health_rows_become_source_states() {
    use crate::sources::feed::Health;
    let at = Utc.with_ymd_and_hms(2026, 11, 20, 15, 0, 0).unwrap();
    let stored = |h: &Health| serde_json::to_string(h).unwrap();
    let cases = [
        (Health::Starting, SourceState::Starting),
        (Health::Ok { since: at }, SourceState::Ok),
        (Health::Degraded { since: at, error: "timeout".into() }, SourceState::Degraded),
        (Health::Down { since: at, error: "refused".into() }, SourceState::Down),
    ];
    for (health, state) in cases {
        assert_eq!(SourceState::of_stored(&stored(&health)), state, "{health:?}");
    }
    assert_eq!(SourceState::of_stored("{\"state\":\"sleeping\"}"), SourceState::Unknown);
    assert_eq!(SourceState::of_stored("not json"), SourceState::Unknown);
    assert_eq!(SourceState::Degraded.to_string(), "degraded");
}

fn progress(commit: u64, done: u64) -> crate::engine::open::OpenProgress {
    crate::engine::open::OpenProgress {
        name: "app.log".into(),
        bytes_done: done,
        bytes_total: 1000,
        records: done / 10,
        commit,
        indexing: done < 1000,
    }
}

#[test]
fn with_files_opened_a_commit_runs_the_search_again_and_f_follows_the_files() {
    let mut s = State::new(Utc::now());
    assert_eq!(s.panes(), Pane::ALL, "no tail tab without files");
    assert!(!update(&mut s, Action::Goto(Pane::Tail)).redraw);
    s.logs = panes::logs::LogsPane::opened("app.log".into(), vec!["a".into()], false);
    s.pane = Pane::Tail;
    assert_eq!(s.panes()[0], Pane::Tail);
    update(&mut s, Action::PrevPane);
    assert_eq!(s.pane, Pane::Runbooks, "the tail is one of the panes Tab goes through");
    // F follows the files, wherever it is pressed, and says so to the loop.
    update(&mut s, Action::Goto(Pane::Search));
    let u = update(&mut s, Action::Follow);
    assert_eq!(u.tasks, vec![Task::FollowFiles(true)]);
    assert!(s.logs.following && !s.search.follow);
    // A search typed before the first commit.
    update(&mut s, Action::StartSearch);
    typed(&mut s, "payment");
    let u = update(&mut s, Action::Submit);
    assert!(matches!(u.tasks.as_slice(), [Task::Search { seq: 1, .. }]), "{u:?}");
    update(&mut s, Action::SearchDone { seq: 1, results: SearchResults::default() });
    let tick = |s: &mut State| update(s, Action::Tick(s.now)).tasks;
    assert!(tick(&mut s).is_empty(), "nothing new, nothing searched");
    // A commit lands: the next ticks search again (the index's reader sees it a moment later).
    update(&mut s, Action::Indexing(progress(7, 300)));
    assert!(matches!(tick(&mut s).as_slice(), [Task::Search { seq: 2, query, .. }] if query == "payment"));
    assert!(tick(&mut s).is_empty(), "not while the search runs");
    update(&mut s, Action::SearchDone { seq: 2, results: SearchResults::default() });
    assert_eq!(tick(&mut s).len(), 1);
    update(&mut s, Action::SearchDone { seq: 3, results: SearchResults::default() });
    assert!(tick(&mut s).is_empty(), "twice per commit, then quiet");
    // Progress without a commit (bytes read, nothing searchable yet) does not search again.
    update(&mut s, Action::Indexing(progress(7, 400)));
    assert!(tick(&mut s).is_empty());
    assert_eq!(s.logs.status().unwrap(), "indexing app.log: 400 B of 1.0 kB (40%), 40 records  following");
}
