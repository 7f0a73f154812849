//! What a command is waiting for, on a terminal: `collect --once` and `doctor` wait on
//! backends that may take their whole timeout to answer. One line on stderr, redrawn in
//! place with the elapsed time, cleared when the wait ends; nothing when stderr is not a
//! terminal or with -q, so pipes and scripts see only the output.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::collector::Planned;
use crate::config::SourceKind;
use crate::sanitize::{self, terminal_safe, Style};

/// Whether a waiting line is on the screen now: a log line written to stderr clears it
/// first ([`stderr_for_log`]), and the next redraw puts it back below.
static LINE_DRAWN: AtomicBool = AtomicBool::new(false);

/// Standard error for a diagnostic: a waiting line on it is cleared first, so the two
/// never share a line.
pub fn stderr_for_log() -> sanitize::Terminal<std::io::StderrLock<'static>> {
    let mut err = sanitize::stderr();
    if LINE_DRAWN.swap(false, Ordering::Relaxed) {
        #[allow(
            clippy::let_underscore_must_use,
            reason = "clearing a progress line is cosmetic; the diagnostic that follows still goes out"
        )]
        let _ = err.style(Style::ClearLine);
    }
    err
}

/// How long a wait must last before it is shown: a quick answer draws nothing.
const SHOW_AFTER: Duration = Duration::from_millis(300);
const REDRAW: Duration = Duration::from_millis(200);

/// A source as the waiting line names it: "alertmanager at http://127.0.0.1:9093".
pub fn label(p: &Planned) -> String {
    match p.kind {
        SourceKind::File => format!("{} ({})", p.name, p.cfg.path.as_deref().unwrap_or("?")),
        _ => format!("{} at {}", p.name, p.cfg.url.as_deref().unwrap_or("?")),
    }
}

/// The waiting line; it stops (and clears itself) when dropped.
pub struct Waiting {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Whether progress may be drawn on stderr.
pub fn shown(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

impl Waiting {
    /// Draws "waiting for X (+N more) 2.4s" while `pending` names anything; `pending` is
    /// asked again at each redraw.
    #[allow(
        clippy::let_underscore_must_use,
        reason = "the waiting line is cosmetic: a stderr that cannot be written only loses it"
    )]
    pub fn start(show: bool, pending: impl Fn() -> Vec<String> + Send + 'static) -> Waiting {
        let stop = Arc::new(AtomicBool::new(false));
        if !show {
            return Waiting { stop, thread: None };
        }
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let mut drawn = false;
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(REDRAW);
                if flag.load(Ordering::Relaxed) || started.elapsed() < SHOW_AFTER {
                    continue;
                }
                let line = waiting_line(&pending(), started.elapsed(), width());
                let mut err = sanitize::stderr();
                let _ = err.style(Style::ClearLine);
                let _ = write!(err, "{line}");
                let _ = err.flush();
                LINE_DRAWN.store(true, Ordering::Relaxed);
                drawn = true;
            }
            if drawn {
                let mut err = sanitize::stderr();
                let _ = err.style(Style::ClearLine);
                let _ = err.flush();
                LINE_DRAWN.store(false, Ordering::Relaxed);
            }
        });
        Waiting { stop, thread: Some(thread) }
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            #[allow(
                clippy::let_underscore_must_use,
                reason = "the waiting thread only draws; a panic there has nothing to hand back"
            )]
            let _ = t.join();
        }
    }
}

fn width() -> usize {
    // A pseudo-terminal may report no size: then the usual 80.
    match ratatui::crossterm::terminal::size() {
        Ok((w, _)) if w > 0 => usize::from(w).max(20),
        _ => 80,
    }
}

/// One line that fits `width` columns, so redrawing it in place never wraps.
pub fn waiting_line(pending: &[String], elapsed: Duration, width: usize) -> String {
    let secs = format!(" {:.1}s", elapsed.as_secs_f64());
    let what = match pending {
        [] => "finishing".to_string(),
        [one] => format!("waiting for {}", terminal_safe(one)),
        [one, rest @ ..] => format!("waiting for {} (+{} more)", terminal_safe(one), rest.len()),
    };
    let room = width.saturating_sub(secs.len() + 1);
    let mut shown: String = what.chars().take(room).collect();
    if shown.chars().count() < what.chars().count() {
        shown.pop();
        shown.push('…');
    }
    format!("{shown}{secs}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_the_first_pending_source_and_fits_the_terminal() {
        let pending = vec!["alertmanager at http://127.0.0.1:9093".to_string(), "loki at http://l:3100".to_string()];
        let line = waiting_line(&pending, Duration::from_millis(2400), 80);
        assert_eq!(line, "waiting for alertmanager at http://127.0.0.1:9093 (+1 more) 2.4s");
        let narrow = waiting_line(&pending, Duration::from_millis(2400), 30);
        assert!(narrow.chars().count() < 30, "{narrow}");
        assert!(narrow.ends_with("… 2.4s"), "{narrow}");
        assert_eq!(waiting_line(&[], Duration::from_secs(1), 80), "finishing 1.0s");
    }
}
