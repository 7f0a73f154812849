//! The runbooks that fit the selected incident, best first, with why, and each step with
//! exactly what it runs (parameters filled from the incident). Enter on a step asks for
//! `yes` before anything runs; the outcome of each step run is listed below.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::Effect;
use crate::ui::rows::IncidentRow;
use crate::ui::theme::Theme;
use crate::ui::view::{block, clip, safe};
use crate::ui::{Action, Focus, State, Task};

/// One step of one runbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRef {
    pub runbook: String,
    /// From 0.
    pub step: usize,
}

/// The step waiting for `yes`, with exactly what it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub step: StepRef,
    pub exact: String,
}

/// What a step run said, and whether it went well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepOutcome {
    pub step: StepRef,
    pub text: String,
    pub ok: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunbooksPane {
    /// The cursor: a runbook of the selected incident, and a step of it.
    pub runbook: usize,
    pub step: usize,
    pub confirm: Option<Confirm>,
    /// The confirmation being typed.
    pub typed: String,
    /// Results of steps run, newest last.
    pub log: Vec<StepOutcome>,
    pub running: Option<StepRef>,
}

impl RunbooksPane {
    /// Another incident: its runbooks are read from the top.
    pub fn to_top(&mut self) {
        (self.runbook, self.step) = (0, 0);
    }

    /// Esc in the confirmation: nothing runs.
    pub fn cancel(&mut self) -> Vec<Effect> {
        self.typed.clear();
        match self.confirm.take() {
            Some(c) => vec![Effect::Notice(format!("{} step {} not run", c.step.runbook, c.step.step + 1))],
            None => Vec::new(),
        }
    }

    /// Enter in the confirmation: the step runs only when `yes` was typed.
    pub fn submit(&mut self, incident: Option<String>) -> Vec<Effect> {
        let typed = std::mem::take(&mut self.typed);
        let Some(Confirm { step, .. }) = self.confirm.take() else { return vec![Effect::Redraw] };
        if typed.trim() != "yes" {
            let why = format!("{} step {} not run: type yes to run it", step.runbook, step.step + 1);
            return vec![Effect::Notice(why), Effect::Redraw];
        }
        self.running = Some(step.clone());
        let task = Task::RunStep { incident, runbook: step.runbook, step: step.step };
        vec![Effect::Task(task), Effect::Redraw]
    }

    /// j/k walk the steps and run on into the next runbook.
    fn walk(&mut self, a: &Action, r: &IncidentRow) -> Vec<Effect> {
        let books = &r.detail.runbooks;
        let items = books.len();
        let steps = books.get(self.runbook).map_or(0, |rb| rb.steps.len());
        let (rb, st) = (self.runbook, self.step);
        match a {
            Action::Down if st + 1 < steps => self.step += 1,
            Action::Down if rb + 1 < items => (self.runbook, self.step) = (rb + 1, 0),
            Action::Up if st > 0 => self.step -= 1,
            Action::Up if rb > 0 => {
                let prev = books.get(rb - 1).map_or(0, |b| b.steps.len());
                (self.runbook, self.step) = (rb - 1, prev.saturating_sub(1));
            }
            Action::Top => (self.runbook, self.step) = (0, 0),
            Action::PageDown if rb + 1 < items => (self.runbook, self.step) = (rb + 1, 0),
            Action::PageUp => (self.runbook, self.step) = (rb.saturating_sub(1), 0),
            Action::Bottom if items > 0 => (self.runbook, self.step) = (items - 1, 0),
            _ => {}
        }
        super::redraw_if((rb, st) != (self.runbook, self.step))
    }

    /// Enter on a step asks for `yes`; a step whose parameters cannot be filled says why.
    fn ask(&mut self, r: &IncidentRow) -> Vec<Effect> {
        let Some(rb) = r.detail.runbooks.get(self.runbook) else { return Vec::new() };
        let Some(step) = rb.steps.get(self.step) else { return Vec::new() };
        match &step.exact {
            Ok(exact) => {
                let step = StepRef { runbook: rb.id.clone(), step: self.step };
                self.confirm = Some(Confirm { step, exact: exact.clone() });
                self.typed.clear();
                vec![Effect::Focus(Focus::Confirm), Effect::Redraw]
            }
            Err(why) => vec![Effect::Notice(format!("cannot run this step: {why}")), Effect::Redraw],
        }
    }

    /// `incident`: the selected one, whose runbooks these are. `None`: not this pane's action.
    pub fn update(&mut self, a: Action, incident: Option<&IncidentRow>) -> Option<Vec<Effect>> {
        match a {
            Action::StepDone { runbook, step, text, ok } => {
                self.running = None;
                self.log.push(StepOutcome { step: StepRef { runbook, step }, text, ok });
                Some(vec![Effect::Redraw])
            }
            Action::Up | Action::Down | Action::Top | Action::Bottom | Action::PageUp | Action::PageDown => {
                Some(incident.map_or_else(Vec::new, |r| self.walk(&a, r)))
            }
            Action::Open => Some(incident.map_or_else(Vec::new, |r| self.ask(r))),
            _ => None,
        }
    }
}

pub fn draw(f: &mut Frame, s: &State, t: &Theme, area: Rect) {
    let Some(r) = s.incidents.selected_row() else {
        f.render_widget(
            Paragraph::new("No incident selected.").style(t.muted).block(block(t, " Runbooks ".into())),
            area,
        );
        return;
    };
    let outer = block(t, format!(" Runbooks for {} | Enter on a step: run it (asks for yes) ", r.id));
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let log_h = if s.runbooks.log.is_empty() { 0 } else { (s.runbooks.log.len() as u16 + 1).min(6) };
    let [list, log] = Layout::vertical([Constraint::Min(3), Constraint::Length(log_h)]).areas(inner);
    let w = list.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    let mut selected_line = 0usize;
    if r.detail.runbooks.is_empty() {
        lines.push(Line::from(Span::styled("No runbook in the library fits this incident.", t.muted)));
    }
    for (i, rb) in r.detail.runbooks.iter().enumerate() {
        lines.push(Line::from(vec![
            Span::styled(format!("{:.2} ", rb.score), t.muted),
            Span::styled(format!("{} ", rb.id), t.accent),
            Span::styled(safe(&rb.title), t.text),
        ]));
        lines.push(Line::from(Span::styled(format!("     {}", safe(&clip(&rb.reason, w.saturating_sub(6)))), t.muted)));
        for (j, st) in rb.steps.iter().enumerate() {
            let here = i == s.runbooks.runbook && j == s.runbooks.step;
            if here {
                selected_line = lines.len();
            }
            let running = s.runbooks.running.as_ref().is_some_and(|x| x.runbook == rb.id && x.step == j);
            let ask = if st.read_only { "read-only" } else { "changes things" };
            let head = Line::from(vec![
                Span::styled(format!("  {}. ", j + 1), t.muted),
                Span::styled(format!("[{} {ask}] ", st.kind), if st.read_only { t.ok } else { t.warning }),
                Span::styled(safe(&st.title), t.text),
                Span::styled(if running { "  running…" } else { "" }, t.accent),
            ]);
            lines.push(if here { head.style(t.selection) } else { head });
            let exact = match &st.exact {
                Ok(x) => Span::styled(format!("       {}", safe(&clip(x, w.saturating_sub(10)))), t.evidence),
                Err(why) => {
                    Span::styled(format!("       cannot fill: {}", safe(&clip(why, w.saturating_sub(20)))), t.warning)
                }
            };
            lines.push(Line::from(exact));
        }
        lines.push(Line::raw(""));
    }
    let scroll = selected_line.saturating_sub(list.height as usize / 2) as u16;
    f.render_widget(Paragraph::new(lines).scroll((scroll, 0)), list);
    if log_h > 0 {
        let mut out = vec![Line::from(Span::styled("Steps run (all in the audit log):", t.muted))];
        for o in s.runbooks.log.iter().rev().take(log_h as usize - 1) {
            out.push(Line::from(vec![
                Span::styled(format!("{} step {}: ", o.step.runbook, o.step.step + 1), t.text),
                Span::styled(safe(&clip(&o.text, w.saturating_sub(30))), if o.ok { t.ok } else { t.critical }),
            ]));
        }
        f.render_widget(Paragraph::new(out), log);
    }
}

/// The confirmation: exactly what will run, and the `yes` being typed.
pub fn draw_confirm(f: &mut Frame, s: &State, t: &Theme, body: Rect) {
    let Some(Confirm { step: StepRef { runbook: rb, step }, exact }) = &s.runbooks.confirm else { return };
    let w = 72.min(body.width);
    let h = 8.min(body.height);
    let area = Rect { x: body.x + (body.width - w) / 2, y: body.y + (body.height - h) / 2, width: w, height: h };
    let lines = vec![
        Line::from(Span::styled(format!("{rb}, step {}:", step + 1), t.text)),
        Line::from(Span::styled(safe(exact), t.evidence)),
        Line::raw(""),
        Line::from(vec![
            Span::styled("type yes and Enter to run it: ", t.warning),
            Span::styled(safe(&s.runbooks.typed), t.text),
        ]),
    ];
    f.render_widget(Clear, area);
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block(t, " Run this step? ".into())), area);
}
