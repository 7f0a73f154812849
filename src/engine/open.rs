//! `firewatch FILE...`: files opened to be read in the terminal UI, as in lnav or less. The
//! newest lines come straight from the end of the files (no index needed), the files are
//! indexed in the background into a data dir of their own (a cache dir keyed by the files'
//! identities, so opening them again only reads what is new), and, while followed, what is
//! appended is shown and indexed as it comes. Standard input (`-`) is spooled to a file first.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use xxhash_rust::xxh3::Xxh3;

use super::ingest::{IngestOptions, IngestProgress, ProgressSink};
use super::Engine;
use crate::ingest::walk::{self, Input};
use crate::sources::timestamp::TsContext;

/// Lines the logs pane holds: a few screens.
pub const TAIL_LINES: usize = 500;
/// Bytes read at a time, backwards from the end.
const TAIL_BLOCK: u64 = 64 << 10;
/// The most read back for a tail: a line longer than this is shown by its end.
const TAIL_MAX_BYTES: u64 = 4 << 20;
/// Characters of one line kept for the screen.
const LINE_CHARS: usize = 4096;
/// Files whose tails are shown when many are open: the most recently written.
const TAIL_FILES: usize = 20;
/// How often followed files are checked for growth.
const FOLLOW_EVERY: Duration = Duration::from_millis(250);
/// Bytes of a file that name it in the manifest (as `ingest` keys it): its first line, at most this long.
const KEY_BYTES: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{path}: {reason}")]
    Missing { path: String, reason: String },
    #[error("cannot read {path}: {source}")]
    Unreadable { path: String, source: io::Error },
    #[error("{path}: not a regular file; pipe it in instead: firewatch - < {path}")]
    NotRegular { path: String },
    #[error("nothing to open: {0}")]
    Nothing(String),
}

/// The files `paths` name (files, directories, globs), each one checked readable, so that
/// what cannot be opened is said before the UI starts.
pub fn resolve(paths: &[PathBuf]) -> Result<Vec<PathBuf>, OpenError> {
    let mut files = Vec::new();
    let mut passed = Vec::new();
    for input in walk::expand(paths) {
        match input {
            Input::File(p) => {
                let shown = p.display().to_string();
                File::open(&p).map_err(|source| match source.kind() {
                    io::ErrorKind::NotFound => OpenError::Missing { path: shown, reason: "no such file".into() },
                    _ => OpenError::Unreadable { path: shown, source },
                })?;
                files.push(p);
            }
            Input::Missing { path, reason } => {
                return Err(OpenError::Missing { path: path.display().to_string(), reason })
            }
            Input::Stream(p) => return Err(OpenError::NotRegular { path: p.display().to_string() }),
            Input::Skip { path, reason } => passed.push(format!("{} ({reason})", path.display())),
            Input::Stdin => {}
        }
    }
    if files.is_empty() {
        let why = if passed.is_empty() { "no files".to_string() } else { format!("skipped {}", passed.join(", ")) };
        return Err(OpenError::Nothing(why));
    }
    Ok(files)
}

/// How the files are named on screen: the one file's name, or how many.
pub fn display_name(files: &[PathBuf]) -> String {
    match files {
        [one] => one.file_name().map_or_else(|| one.display().to_string(), |n| n.to_string_lossy().into_owned()),
        many => format!("{} files", many.len()),
    }
}

/// The manifest's key of a plain file (the hash of its first line, as `ingest` computes it);
/// `None` for an empty or compressed file.
pub(crate) fn first_line_key(path: &Path) -> io::Result<Option<String>> {
    let mut head = Vec::with_capacity(KEY_BYTES);
    File::open(path)?.take(KEY_BYTES as u64).read_to_end(&mut head)?;
    const MAGIC: [&[u8]; 3] = [&[0x1f, 0x8b], &[0xfd, b'7', b'z', b'X', b'Z', 0], &[0x28, 0xb5, 0x2f, 0xfd]];
    if head.is_empty() || MAGIC.iter().any(|m| head.starts_with(m)) {
        return Ok(None);
    }
    let end = memchr::memchr(b'\n', &head).map_or(head.len(), |i| i + 1);
    Ok(Some(format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&head[..end]))))
}

/// Where files opened without `--data-dir` are indexed: one dir per set of files.
pub fn cache_root() -> PathBuf {
    super::project_dirs()
        .map_or_else(|| std::env::temp_dir().join("firewatch"), |d| d.cache_dir().to_path_buf())
        .join("open")
}

/// The cache dir of `files` under `root`: the same files (same path, device, inode and first
/// line) give the same dir, so a second open reads only what was appended since.
pub fn cache_dir(root: &Path, files: &[PathBuf]) -> io::Result<PathBuf> {
    let mut ids = Vec::with_capacity(files.len());
    for f in files {
        let canonical = f.canonicalize()?;
        let meta = std::fs::metadata(&canonical)?;
        let key = first_line_key(&canonical)?.unwrap_or_default();
        ids.push((canonical, meta.dev(), meta.ino(), key));
    }
    ids.sort();
    ids.dedup();
    let mut h = Xxh3::new();
    for (path, dev, ino, key) in &ids {
        h.update(path.as_os_str().as_encoded_bytes());
        h.update(&[0]);
        h.update(&dev.to_le_bytes());
        h.update(&ino.to_le_bytes());
        h.update(key.as_bytes());
    }
    Ok(root.join(format!("{:032x}", h.digest128())))
}

/// The last `n` lines of the file at `path`, read backwards from its end.
pub fn tail_lines(path: &Path, n: usize) -> io::Result<Vec<String>> {
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    tail_of(&mut f, len, n, TAIL_BLOCK, TAIL_MAX_BYTES)
}

/// The last `n` lines of the first `len` bytes of `r`, reading `block` bytes at a time and at
/// most `max` bytes: a line that does not fit is shown by its end, after an ellipsis.
fn tail_of(r: &mut (impl Read + Seek), len: u64, n: usize, block: u64, max: u64) -> io::Result<Vec<String>> {
    if n == 0 || len == 0 {
        return Ok(Vec::new());
    }
    let mut buf: Vec<u8> = Vec::new();
    let mut start = len;
    // Newlines that start a line inside `buf` (a newline that ends the file starts none).
    let mut breaks = 0usize;
    while breaks < n && start > 0 && len - start < max {
        let step = block.min(start).min(max - (len - start));
        start -= step;
        r.seek(SeekFrom::Start(start))?;
        let mut chunk = vec![0u8; step as usize];
        r.read_exact(&mut chunk)?;
        let ends_file = start + step == len;
        let counted = if ends_file && chunk.ends_with(b"\n") { &chunk[..chunk.len() - 1] } else { &chunk[..] };
        breaks += memchr::memchr_iter(b'\n', counted).count();
        chunk.extend_from_slice(&buf);
        buf = chunk;
    }
    let body = buf.strip_suffix(b"\n").unwrap_or(&buf);
    let mut pieces: Vec<&[u8]> = body.split(|b| *b == b'\n').collect();
    // Read from inside the file: the first piece may be the end of a longer line.
    let cut = start > 0 && pieces.len() > 1;
    if cut {
        pieces.remove(0);
    }
    let first = pieces.len().saturating_sub(n);
    let partial = start > 0 && !cut;
    Ok(pieces[first..]
        .iter()
        .map(|p| {
            let text = String::from_utf8_lossy(p.strip_suffix(b"\r").unwrap_or(p));
            let mut line: String = text.chars().take(LINE_CHARS).collect();
            if partial {
                line.insert(0, '…');
            }
            line
        })
        .collect())
}

/// The newest `n` lines of `files`: one file's last lines, or, for several, the last lines of
/// the most recently written ones merged by their timestamps (read as ingest reads them, a JSON
/// line's from its time field), as lnav merges files (a line without one keeps its place after
/// the line before it in its file), each line prefixed with its file's name.
pub fn tail(files: &[PathBuf], n: usize, ctx: &TsContext) -> Vec<String> {
    if let [one] = files {
        return tail_lines(one, n).unwrap_or_else(|e| vec![format!("cannot read {}: {e}", one.display())]);
    }
    let mtime = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let mut recent: Vec<&PathBuf> = files.iter().collect();
    recent.sort_by_key(|p| mtime(p));
    let skip = recent.len().saturating_sub(TAIL_FILES);
    // (time, file, line): equal times keep the files' order, then each file's own.
    let mut lines: Vec<(Option<DateTime<Utc>>, usize, String)> = Vec::new();
    for (i, f) in recent[skip..].iter().enumerate() {
        let name = display_name(std::slice::from_ref(*f));
        match tail_lines(f, n) {
            Ok(ls) => {
                let (mut hint, mut last) = (None, None);
                for l in ls {
                    last = scan::line_time(&l, ctx, &mut hint).or(last);
                    lines.push((last, i, format!("{name}: {l}")));
                }
            }
            Err(e) => lines.push((None, i, format!("{name}: cannot read: {e}"))),
        }
    }
    // A stable sort: lines of one file at one time stay in the file's order.
    lines.sort_by_key(|(t, i, _)| (*t, *i));
    let extra = lines.len().saturating_sub(n);
    lines.drain(..extra);
    lines.into_iter().map(|(_, _, l)| l).collect()
}

impl Engine {
    /// [`tail`], reading naive timestamps in the configured zone.
    pub fn tail(&self, files: &[PathBuf], n: usize) -> Vec<String> {
        tail(files, n, &self.ts_now())
    }
}

/// How far the background indexing of opened files is, for the status bar and the search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenProgress {
    /// The file's name, or "3 files".
    pub name: String,
    pub bytes_done: u64,
    pub bytes_total: u64,
    /// Records searchable (in the index as of its last commit).
    pub records: u64,
    /// Moves on every commit: searches are run again when it does.
    pub commit: u64,
    /// An ingest is running.
    pub indexing: bool,
}

impl OpenProgress {
    pub fn of(name: &str, p: IngestProgress) -> OpenProgress {
        OpenProgress {
            name: name.to_string(),
            bytes_done: p.bytes_done.min(p.bytes_total),
            bytes_total: p.bytes_total,
            records: p.records,
            commit: p.commit,
            indexing: !p.finished,
        }
    }

    /// Percent of the bytes searchable, 100 only when all are.
    pub fn percent(&self) -> u64 {
        match (self.bytes_done, self.bytes_total) {
            (_, 0) => 100,
            (d, t) if d >= t => 100,
            (d, t) => (u128::from(d) * 100 / u128::from(t)).min(99) as u64,
        }
    }

    /// The status bar: "indexing app.log: 412.0 MB of 1.0 GB (41%), 3.2 M records".
    pub fn status_text(&self) -> String {
        if self.indexing {
            format!(
                "indexing {}: {} of {} ({}%), {} records",
                self.name,
                bytes(self.bytes_done),
                bytes(self.bytes_total),
                self.percent(),
                count(self.records)
            )
        } else {
            format!("{}: {} indexed, {} records", self.name, bytes(self.bytes_done), count(self.records))
        }
    }

    /// What a search covers: "searching 38% of app.log (1.2 M of ~3.2 M records) - indexing".
    pub fn coverage_text(&self) -> String {
        let pct = self.percent();
        if pct >= 100 {
            let tail = if self.indexing { " - indexing what is new" } else { "" };
            return format!("searching all of {} ({} records){tail}", self.name, count(self.records));
        }
        // The records to come, estimated from the bytes: lines of a file are alike in length.
        let estimate = match self.bytes_done {
            0 => String::new(),
            d => {
                let total = u128::from(self.records) * u128::from(self.bytes_total) / u128::from(d);
                format!(" of ~{}", count(u64::try_from(total).unwrap_or(u64::MAX)))
            }
        };
        let state = if self.indexing { " - indexing" } else { " - not all of it could be indexed" };
        format!("searching {pct}% of {} ({}{estimate} records){state}", self.name, count(self.records))
    }
}

/// Bytes for people: 950 B, 12.3 kB, 412.0 MB, 1.0 GB.
pub fn bytes(n: u64) -> String {
    const UNITS: [(f64, &str); 3] = [(1e9, "GB"), (1e6, "MB"), (1e3, "kB")];
    let x = n as f64;
    UNITS.iter().find(|(s, _)| x >= *s).map_or_else(|| format!("{n} B"), |(s, u)| format!("{:.1} {u}", x / s))
}

/// A count for people: 950, 12.3 k, 1.2 M.
pub fn count(n: u64) -> String {
    match n {
        0..=999 => n.to_string(),
        1_000..=999_999 => format!("{:.1} k", n as f64 / 1e3),
        _ => format!("{:.1} M", n as f64 / 1e6),
    }
}

/// What the background work tells the front end.
#[derive(Debug, Clone, PartialEq)]
pub enum OpenEvent {
    Progress(OpenProgress),
    /// The newest lines of the files, after they grew.
    Tail(Vec<String>),
    /// Something went wrong with a file, or with indexing; the rest goes on.
    Failed(String),
}

/// The files opened, as the command line named them.
#[derive(Debug, Clone)]
pub struct Opened {
    pub files: Vec<PathBuf>,
    /// Standard input is copied into this file (one of `files`) as it comes.
    pub spool: Option<PathBuf>,
    /// Apply the retention policy: a data dir of the user's keeps its policy, a cache dir does not.
    pub retention: bool,
}

impl Opened {
    /// How the input is named on screen.
    pub fn name(&self) -> String {
        if self.spool.is_some() {
            "stdin".into()
        } else {
            display_name(&self.files)
        }
    }
}

/// What the front end steers: stop everything, follow the files or not.
#[derive(Debug, Clone, Default)]
pub struct OpenControl {
    pub stop: Arc<AtomicBool>,
    pub follow: Arc<AtomicBool>,
}

/// Where the background work reports; false when nobody listens any more.
pub type EventSink = Arc<dyn Fn(OpenEvent) -> bool + Send + Sync>;

/// Copies standard input into `path` on a thread of its own, each read written at once so the
/// file grows as the pipe does. The flag is set once standard input ends.
pub fn spool_stdin(path: &Path) -> io::Result<Arc<AtomicBool>> {
    let mut out = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    let ended = Arc::new(AtomicBool::new(false));
    let flag = ended.clone();
    std::thread::Builder::new().name("firewatch-stdin-spool".into()).spawn(move || {
        let mut input = io::stdin().lock();
        let mut buf = vec![0u8; 64 << 10];
        loop {
            match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if let Err(e) = out.write_all(&buf[..n]) {
                        tracing::error!(error = %e, "cannot spool standard input");
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read standard input");
                    break;
                }
            }
        }
        flag.store(true, Ordering::Relaxed);
    })?;
    Ok(ended)
}

fn sizes(files: &[PathBuf]) -> Vec<u64> {
    files.iter().map(|f| std::fs::metadata(f).map_or(0, |m| m.len())).collect()
}

impl Engine {
    /// Indexes `opened` in the background of a front end: once now, then again whenever a
    /// followed file grows (standard input is always followed), sending the new tail first.
    /// Returns when `ctl.stop` is set or nobody listens; an ingest that fails is reported and
    /// tried again when the files next change.
    pub fn watch_files(&self, opened: &Opened, ctl: &OpenControl, sink: EventSink) -> anyhow::Result<()> {
        let spooling = match &opened.spool {
            Some(p) => Some(spool_stdin(p)?),
            None => None,
        };
        let mut seen = sizes(&opened.files);
        self.index_once(opened, ctl, &sink);
        // The reader waits for nothing here: searches run on the segments as they are while they merge.
        if let Err(e) = self.compact(&ctl.stop) {
            sink(OpenEvent::Failed(format!("{e:#}")));
        }
        while !ctl.stop.load(Ordering::Relaxed) {
            std::thread::sleep(FOLLOW_EVERY);
            if !ctl.follow.load(Ordering::Relaxed) && spooling.is_none() {
                continue;
            }
            let now = sizes(&opened.files);
            if now == seen {
                continue;
            }
            seen = now;
            if !sink(OpenEvent::Tail(self.tail(&opened.files, TAIL_LINES))) {
                break;
            }
            self.index_once(opened, ctl, &sink);
        }
        Ok(())
    }

    /// One ingest of the opened files; only what is new since the last one is read.
    fn index_once(&self, opened: &Opened, ctl: &OpenControl, sink: &EventSink) {
        let name = opened.name();
        let to = sink.clone();
        let progress = move |p: IngestProgress| {
            to(OpenEvent::Progress(OpenProgress::of(&name, p)));
        };
        let opts = IngestOptions {
            service: None,
            progress: false,
            sink: Some(ProgressSink(Arc::new(progress))),
            stop: Some(ctl.stop.clone()),
            retention: opened.retention,
            // Compacted once, after the first ingest (see `watch_files`), not on every follow step.
            compact: false,
        };
        match self.ingest(&opened.files, &opts) {
            Ok(report) => {
                for f in report.files.iter().filter(|f| f.error.is_some()) {
                    sink(OpenEvent::Failed(format!("{}: {}", f.path, f.error.as_deref().unwrap_or_default())));
                }
            }
            Err(e) => {
                sink(OpenEvent::Failed(format!("cannot index: {e:#}")));
            }
        }
    }
}

impl Engine {
    /// The part of `files` the index does not cover yet, scanned for `word` as typed ([`scan::scan`]): the
    /// `limit` newest lines holding it and their count. `None` once the index covers everything.
    pub fn scan_unindexed(&self, files: &[PathBuf], word: &str, limit: usize) -> anyhow::Result<Option<scan::Scan>> {
        let store = self.store()?;
        let parts = super::ingest::uncovered(&store.manifest()?, files);
        if parts.is_empty() {
            return Ok(None);
        }
        Ok(Some(scan::scan(&parts, word, limit, &self.ts_now())?))
    }
}

pub mod scan;

#[cfg(test)]
mod tests;
