//! The diagnostics file, opened when the first line is logged.
//!
//! Most commands log nothing. Opening the day's file, pruning old ones and starting the
//! writer's thread took 0.7 ms of a 4.7 ms whole-process search, and a second thread makes
//! every `munmap` interrupt the other core to flush its TLB. So all of that waits for a line.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tracing_appender::non_blocking::{NonBlocking, NonBlockingBuilder, WorkerGuard};
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::fmt::writer::OptionalWriter;

/// Daily diagnostic log files kept in the log dir.
const LOG_FILES_KEPT: usize = 7;
/// Lines the writer's queue holds before it drops new ones: logging never blocks a command.
/// (tracing-appender's default, 128 k, is a 4 MB array written in full before the first line.)
const QUEUE_LINES: usize = 4096;

/// The log file in `dir`, shared by the subscriber (which writes) and the engine (which
/// flushes it at the end, through [`LogFlush`]).
pub struct LazyLogFile {
    dir: PathBuf,
    writer: OnceLock<Option<NonBlocking>>,
    guard: Mutex<Option<WorkerGuard>>,
}

impl LazyLogFile {
    pub fn new(dir: PathBuf) -> Arc<LazyLogFile> {
        Arc::new(LazyLogFile { dir, writer: OnceLock::new(), guard: Mutex::new(None) })
    }

    /// Where one event is written: the file's queue, started on first use, or nowhere when
    /// the file cannot be opened (that only costs diagnostics).
    pub fn writer(&self) -> OptionalWriter<NonBlocking> {
        match self.writer.get_or_init(|| self.start()) {
            Some(w) => OptionalWriter::some(w.clone()),
            None => OptionalWriter::none(),
        }
    }

    fn start(&self) -> Option<NonBlocking> {
        std::fs::create_dir_all(&self.dir).ok()?;
        let file = Builder::new()
            .rotation(Rotation::DAILY)
            .filename_prefix("firewatch")
            .filename_suffix("log")
            .max_log_files(LOG_FILES_KEPT)
            .build(&self.dir)
            .ok()?;
        let (writer, guard) = NonBlockingBuilder::default().buffered_lines_limit(QUEUE_LINES).finish(file);
        *self.guard.lock().unwrap_or_else(PoisonError::into_inner) = Some(guard);
        Some(writer)
    }

    /// Whether a line has been logged (the file opened or tried).
    #[cfg(test)]
    fn started(&self) -> bool {
        self.writer.get().is_some()
    }
}

/// Flushes the log file's queue when dropped. The subscriber is global and never dropped,
/// so the engine holds this for it.
pub struct LogFlush(pub Arc<LazyLogFile>);

impl Drop for LogFlush {
    fn drop(&mut self) {
        // Dropping the guard waits for the writer's thread to write what is queued.
        let guard = self.0.guard.lock().unwrap_or_else(PoisonError::into_inner).take();
        drop(guard);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    #[test]
    fn the_file_is_opened_by_the_first_line_and_flushed_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        let log = LazyLogFile::new(logs.clone());
        let flush = LogFlush(Arc::clone(&log));
        assert!(!logs.exists(), "nothing logged, nothing created");
        assert!(!log.started());
        log.writer().write_all(b"first line\n").unwrap();
        log.writer().write_all(b"second line\n").unwrap();
        drop(flush);
        let files: Vec<_> = std::fs::read_dir(&logs).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(std::fs::read_to_string(&files[0]).unwrap(), "first line\nsecond line\n");
    }

    #[test]
    fn a_log_dir_that_cannot_be_made_costs_only_the_lines() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let log = LazyLogFile::new(blocker.join("logs"));
        log.writer().write_all(b"lost\n").unwrap();
        assert!(log.started());
    }
}
