//! What a terminal shows while `ingest` works: bytes read of the total, records per second and the time left,
//! on one line of stderr that is cleared when the work is done.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::sanitize::terminal_safe;

/// Lines read between two updates: a position update is cheap, but not free on a line of 40 bytes.
pub(super) const EVERY_LINES: u64 = 512;
/// Characters of the current input's name shown.
const NAME_CHARS: usize = 40;

pub struct Progress {
    bar: ProgressBar,
    /// Records of the finished inputs and the current one, for the rate.
    records: Arc<AtomicU64>,
    /// Bytes and records of the inputs already finished.
    done: u64,
    records_done: u64,
    /// Size of the current input, which its position never passes.
    size: u64,
}

impl Progress {
    /// A line on stderr for inputs of `total` bytes on disk (`None`: unknown, such as standard input).
    pub fn new(total: Option<u64>) -> Progress {
        Self::with_target(total, ProgressDrawTarget::stderr())
    }

    fn with_target(total: Option<u64>, target: ProgressDrawTarget) -> Progress {
        let records = Arc::new(AtomicU64::new(0));
        let (count, rate) = (records.clone(), records.clone());
        let template = match total {
            Some(_) => "{spinner} {bytes}/{total_bytes} [{bar:24}] {binary_bytes_per_sec}, {records} records ({rps}/s), ETA {eta} {msg}",
            None => "{spinner} {bytes} {binary_bytes_per_sec}, {records} records ({rps}/s) {msg}",
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key("records", move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
                #[allow(
                    clippy::let_underscore_must_use,
                    reason = "indicatif's key writer is a String buffer: the write cannot fail"
                )]
                let _ = write!(w, "{}", count.load(Ordering::Relaxed));
            })
            .with_key("rps", move |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                let secs = s.elapsed().as_secs_f64().max(1e-3);
                #[allow(
                    clippy::let_underscore_must_use,
                    reason = "indicatif's key writer is a String buffer: the write cannot fail"
                )]
                let _ = write!(w, "{:.0}", rate.load(Ordering::Relaxed) as f64 / secs);
            })
            .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(total, target).with_style(style);
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress { bar, records, done: 0, records_done: 0, size: 0 }
    }

    /// The next input, of `size` bytes on disk (0 when unknown).
    pub fn start_input(&mut self, name: &str, size: u64) {
        self.size = size;
        // The end of a long path, which is where files differ.
        let name = terminal_safe(name);
        let cut = name.char_indices().rev().nth(NAME_CHARS - 1).map_or(0, |(i, _)| i);
        let shown = if cut > 0 { format!("…{}", &name[cut..]) } else { name.into_owned() };
        self.bar.set_message(shown);
        self.bar.set_position(self.done);
    }

    /// `position`: bytes of the current input read so far; `records`: its records so far.
    pub fn at(&self, position: u64, records: u64) {
        let position = if self.size > 0 { position.min(self.size) } else { position };
        self.bar.set_position(self.done + position);
        self.records.store(self.records_done + records, Ordering::Relaxed);
    }

    /// The current input is done: `read` bytes of it (its size, or what a stream gave), `records` records.
    pub fn end_input(&mut self, read: u64, records: u64) {
        self.done += if self.size > 0 { self.size } else { read };
        self.records_done += records;
        self.records.store(self.records_done, Ordering::Relaxed);
        self.bar.set_position(self.done);
    }

    /// What is being done now, in place of the input's name.
    pub fn note(&self, what: &str) {
        self.bar.set_message(what.to_string());
    }

    /// Clears the line, before the summary is printed.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // An error return must not leave a half-drawn line behind.
        if !self.bar.is_finished() {
            self.bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_add_up_across_inputs_and_never_pass_a_file_size() {
        let mut p = Progress::with_target(Some(300), ProgressDrawTarget::hidden());
        p.start_input("a.log", 100);
        p.at(40, 4);
        assert_eq!(p.bar.position(), 40);
        // A compressed file's decoded bytes would pass its size.
        p.at(500, 50);
        assert_eq!(p.bar.position(), 100);
        p.end_input(500, 50);
        p.start_input("b.log", 200);
        p.at(10, 1);
        assert_eq!((p.bar.position(), p.records.load(Ordering::Relaxed)), (110, 51));
        p.end_input(200, 2);
        assert_eq!((p.bar.position(), p.records.load(Ordering::Relaxed)), (300, 52));
        p.start_input("-", 0);
        p.at(70, 7);
        assert_eq!(p.bar.position(), 370);
    }
}
