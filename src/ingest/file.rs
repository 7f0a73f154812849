//! One file into the store: opened, decoded, checked for binary data, resumed where an earlier ingest
//! stopped, and read line by line (or as one JSON document).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use xxhash_rust::xxh3::Xxh3;

use super::source::{self, binary_reason, read_full, OpenError, Source};
use super::{first_line_key, panic_message, FileReport, IngestError, Ingestor, MAX_DOCUMENT_BYTES};
use crate::sources::container::K8sPath;
use crate::sources::lines::LineReader;
use crate::store::manifest::Entry;

/// A file changed this recently may still be being written.
const LIVE_WINDOW: std::time::Duration = std::time::Duration::from_secs(2);

/// Where an earlier ingest of the same content stopped: (offset, lines before it, hash state, its entry).
type Resume = (u64, u64, Xxh3, Option<Entry>);

impl Ingestor<'_> {
    /// Reads one file. Whatever goes wrong with it (it cannot be read, it is binary, a bug panics while its
    /// records are made) is in its report; only a store that cannot be written is an error.
    pub fn ingest_path(&mut self, path: &Path) -> Result<FileReport, IngestError> {
        let mut report = FileReport { path: path.display().to_string(), ..Default::default() };
        let run = catch_unwind(AssertUnwindSafe(|| self.ingest_file(path, &mut report)));
        match run {
            Ok(r) => r.map(|()| report),
            Err(panic) => {
                // What was flushed is stored with its progress; the rest of this file is read again next time.
                report.error = Some(format!("internal error, file not fully read: {}", panic_message(&*panic)));
                Ok(report)
            }
        }
    }

    fn ingest_file(&mut self, path: &Path, report: &mut FileReport) -> Result<(), IngestError> {
        let Some((mut src, head)) = readable(path, report) else { return Ok(()) };
        let compression = src.compression;
        let decode_error = |e: io::Error| decode_error(compression, &e);
        let (key, key_bytes) = first_line_key(&head);
        // Skip the prefix an earlier ingest already stored, if this content still starts with it.
        let len = src.plain_len();
        // A compressed file is decoded once: when the check stops right at the stored prefix's end, its reader
        // goes on from there instead of decoding the prefix again.
        let mut positioned = None;
        let resume = src.reader().and_then(|mut r| {
            let (resume, at_end) = self.verified_prefix(&mut r, &key, len)?;
            if at_end && compression.is_some() && resume.0 > 0 {
                positioned = Some(r);
            }
            Ok(resume)
        });
        let (skip, line_no, hasher, replaces) = match resume {
            Ok(v) => v,
            Err(e) => {
                report.error = Some(decode_error(e));
                return Ok(());
            }
        };
        report.skipped_bytes = skip;
        let mtime = src.meta.modified().ok().map(DateTime::<Utc>::from).unwrap_or(self.opts.ts.now);
        let k8s = K8sPath::from_path(path).map(Arc::new);
        let stem = Self::file_service(path, k8s.as_deref());
        let mut input = self.input(key, key_bytes, stem, mtime, false, replaces);
        input.k8s = k8s;
        // A plain file's place is the reader's offset; a compressed one's is how much of the file was decoded.
        input.position = compression.map(|_| src.position.clone());
        if replaces.is_none() {
            // None of the stored prefixes of files with this first line is this file's: it was rewritten, or is
            // another file that starts the same way. Its records get ids of their own.
            input.gen = self.manifest.next_gen(&input.key);
        }
        if replaces.is_some() {
            // The record at the resume point may have been stored as a last line without its newline.
            input.upsert_until = skip + 1;
        }
        if skip == 0 && self.try_whole_document(&mut src, &head, &mut input, report)? {
            return Ok(());
        }
        let file_len = src.meta.len();
        let limit = match (self.opts.complete_lines_only, src.plain_file()) {
            (true, Some(file)) => match complete_end(file, file_len) {
                Ok(end) => end.saturating_sub(skip),
                Err(e) => {
                    report.error = Some(format!("cannot read: {e}"));
                    return Ok(());
                }
            },
            _ => u64::MAX,
        };
        // A compressed file is a rotated one: complete, whatever its last line ends with.
        let live = compression.is_none();
        let body = match positioned.map_or_else(|| src.reader_at(skip), Ok) {
            Ok(r) => BufReader::with_capacity(1 << 20, r.take(limit)),
            Err(e) => {
                report.error = Some(decode_error(e));
                return Ok(());
            }
        };
        let reader = LineReader::new(body, skip, line_no, hasher, self.opts.max_line_bytes);
        self.lines(reader, &mut input, report, live)?;
        if let (Some(c), Some(e)) = (compression, report.error.as_mut()) {
            *e = format!("{} data is corrupt or truncated, lines before it were kept: {e}", c.name());
        }
        self.finish(&input, report);
        Ok(())
    }

    /// A file whose content is one JSON document (an Alertmanager array, a pretty-printed webhook) is read whole.
    /// Returns false, having read nothing into `input`, when it is not one.
    fn try_whole_document(
        &mut self,
        src: &mut Source,
        head: &[u8],
        input: &mut super::Input,
        report: &mut FileReport,
    ) -> Result<bool, IngestError> {
        let first = head.iter().copied().find(|b| !b.is_ascii_whitespace() && *b != 0xef && *b != 0xbb && *b != 0xbf);
        let candidate = src.plain_len().is_none_or(|len| len <= MAX_DOCUMENT_BYTES)
            && match first {
                Some(b'[') => true,
                Some(b'{') => src.reader().is_ok_and(|r| !first_line_is_json(r, self.opts.max_line_bytes)),
                _ => false,
            };
        if !candidate {
            return Ok(false);
        }
        let mut whole = Vec::new();
        let read = src.reader().and_then(|r| r.take(MAX_DOCUMENT_BYTES + 1).read_to_end(&mut whole));
        if read.is_err() || whole.len() as u64 > MAX_DOCUMENT_BYTES {
            // Read line by line instead, which reports any error with the line it happened at.
            return Ok(false);
        }
        if !self.try_document(&whole, input, report)? {
            return Ok(false);
        }
        report.bytes = whole.len() as u64;
        let mut h = Xxh3::new();
        h.update(&whole);
        let entry = Entry { offset: whole.len() as u64, prefix_hash: h.digest(), gen: input.gen };
        self.flush(input, Some(entry))?;
        self.finish(input, report);
        Ok(true)
    }

    /// Longest manifest prefix this content still starts with, and whether `r` stopped right at its end.
    /// `len`, when known, rules out longer entries without reading.
    fn verified_prefix(&self, mut r: impl Read, key: &str, len: Option<u64>) -> io::Result<(Resume, bool)> {
        let mut candidates: Vec<Entry> =
            self.manifest.entries(key).iter().copied().filter(|e| len.is_none_or(|l| e.offset <= l)).collect();
        candidates.sort_by_key(|e| e.offset);
        let mut best = (0, 0, Xxh3::new(), None);
        if candidates.is_empty() {
            return Ok((best, false));
        }
        let mut hasher = Xxh3::new();
        let mut lines = 0u64;
        let mut pos = 0u64;
        let mut buf = vec![0u8; 1 << 20];
        for c in candidates {
            while pos < c.offset {
                let want = usize::try_from(c.offset - pos).unwrap_or(usize::MAX).min(buf.len());
                let n = read_full(&mut r, &mut buf[..want])?;
                if n == 0 {
                    return Ok((best, false));
                }
                hasher.update(&buf[..n]);
                lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
                pos += n as u64;
            }
            if hasher.digest() == c.prefix_hash {
                best = (c.offset, lines, hasher.clone(), Some(c));
            }
        }
        let at_end = pos == best.0;
        Ok((best, at_end))
    }
}

/// The file opened with its first bytes, or `None` with `report` saying why it is not read
/// (not a regular file, unreadable, empty, binary, or its only line still being written).
fn readable(path: &Path, report: &mut FileReport) -> Option<(Source, Vec<u8>)> {
    let mut src = match source::open(path) {
        Ok(s) => s,
        Err(OpenError::NotRegular(kind)) => {
            report.skipped = Some(format!("not a regular file ({kind})"));
            return None;
        }
        Err(e) => {
            report.error = Some(e.to_string());
            return None;
        }
    };
    let compression = src.compression;
    report.compression = compression.map(|c| c.name());
    let head = match src.head() {
        Ok(h) => h,
        Err(e) => {
            report.error = Some(decode_error(compression, &e));
            return None;
        }
    };
    if head.is_empty() {
        report.format = "empty".into();
        return None;
    }
    if let Some(why) = binary_reason(&head) {
        report.skipped = Some(why);
        return None;
    }
    if compression.is_none() && first_line_in_progress(&head, &src.meta) {
        report.skipped = Some("its only line is still being written; it is read once it ends".into());
        return None;
    }
    Some((src, head))
}

/// What a read error means: for compressed data, most often corruption or truncation.
fn decode_error(compression: Option<source::Compression>, e: &io::Error) -> String {
    match compression {
        Some(c) => format!("{} data is corrupt or truncated: {e}", c.name()),
        None => format!("cannot read: {e}"),
    }
}

/// A file whose whole content is one unterminated line, changed in the last seconds: its first line, which
/// names the file in the manifest and in every id, may not be complete yet. (A later unterminated line is
/// stored and replaced once complete; a first line cannot be, as its key would change.)
fn first_line_in_progress(head: &[u8], meta: &std::fs::Metadata) -> bool {
    let recent = meta
        .modified()
        .ok()
        .and_then(|m| std::time::SystemTime::now().duration_since(m).ok())
        .is_none_or(|age| age < LIVE_WINDOW);
    // A complete JSON document (a webhook saved by `curl > file`) is finished whatever its last byte.
    let complete_json = || serde_json::from_slice::<serde::de::IgnoredAny>(head).is_ok();
    head.len() < source::HEAD_BYTES && memchr::memchr(b'\n', head).is_none() && recent && !complete_json()
}

/// Whether the content's first line is a complete JSON value (JSON lines rather than one
/// pretty-printed document).
fn first_line_is_json(r: impl Read, max: usize) -> bool {
    let mut line = Vec::new();
    let mut r = BufReader::new(r.take(max as u64));
    if r.read_until(b'\n', &mut line).is_err() {
        return false;
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(&line).is_ok()
}

/// Offset just past the file's last newline (its length when it ends with one, or when no newline is in the
/// last 64 KiB: such a line is taken as it is rather than held back forever).
fn complete_end(file: &mut File, len: u64) -> io::Result<u64> {
    let window = len.min(64 << 10);
    let mut tail = vec![0u8; window as usize];
    file.seek(SeekFrom::Start(len - window))?;
    let n = read_full(file, &mut tail)?;
    tail.truncate(n);
    Ok(match memchr::memrchr(b'\n', &tail) {
        Some(i) => len - window + i as u64 + 1,
        None => len,
    })
}
