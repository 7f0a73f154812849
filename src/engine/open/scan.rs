//! The part of the opened files that is not indexed yet, scanned for a literal word, as grep
//! would: while a large file is indexed, a search for an id finds it wherever it is in the
//! file, not only in what the commits cover. memchr's `memmem` runs at memory speed (about
//! 0.3 s for 1 GB in the page cache), far below what indexing the rest would take.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use memchr::memmem::Finder;
use serde_json::{Map, Value};

use crate::ingest::Ingestor;
use crate::model::Severity;
use crate::sources::container::{self, K8sPath};
use crate::sources::jsonlog;
use crate::sources::plaintext::TextParser;
use crate::sources::timestamp::{self, TsContext};

/// Bytes read at a time.
const CHUNK: usize = 8 << 20;
/// A line longer than this is cut into pieces of it (a match in it is still found).
const MAX_LINE: usize = 1 << 20;
/// Matching lines whose times are kept for the histogram, between this many and twice as many. A
/// broad word has millions: reading every one's time made its scan five times slower (1.9 M JSON
/// lines in 1 GB: 0.5 s to 2.7 s). 60 buckets get about 50 each.
const TIME_SAMPLES: usize = 2 << 10;

/// A line of the unindexed part holding the word, read as ingest will read it ([`read_line`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ScannedLine {
    pub path: PathBuf,
    /// Where the line starts in the file.
    pub offset: u64,
    /// The line as it is in the file.
    pub text: String,
    /// The line's own timestamp, when it has one.
    pub time: Option<DateTime<Utc>>,
    /// The service it names, else the file's (as ingest gives it).
    pub service: String,
    pub severity: Severity,
    /// What its indexed record's body will be: a JSON line's message, else the line.
    pub body: String,
    pub trace_id: Option<String>,
}

/// Reads a line of `path` with the parsers ingest uses (a container runtime's envelope, a JSON log line, a
/// text line), so that its hit shows the time, service, severity and body it will have once indexed. An OTLP
/// line, which holds many records, is read as one JSON line (its records are told apart once indexed).
pub fn read_line(path: &Path, offset: u64, text: String, ctx: &TsContext) -> ScannedLine {
    let mut obj = json_object(&text);
    let envelope = match obj.as_mut() {
        Some(o) => container::docker(o, ctx),
        None => container::cri(&text, ctx),
    };
    let read = match envelope {
        // The runtime's time dates the line, as in ingest: it is exact and in UTC.
        Some(env) => {
            let inner = read_message(&env.message, ctx);
            LineRecord { time: env.time.or(inner.time), ..inner }
        }
        None => match obj {
            Some(o) => read_json(o, ctx),
            None => read_text(&text, ctx),
        },
    };
    ScannedLine {
        path: path.to_path_buf(),
        offset,
        time: read.time,
        service: read.service.unwrap_or_else(|| Ingestor::file_service(path, K8sPath::from_path(path).as_ref())),
        severity: read.severity,
        body: read.body,
        trace_id: read.trace_id,
        text,
    }
}

/// What a line says about its record.
struct LineRecord {
    time: Option<DateTime<Utc>>,
    service: Option<String>,
    severity: Severity,
    body: String,
    trace_id: Option<String>,
}

/// What a container wrote, read as a JSON log line or a text line.
fn read_message(message: &str, ctx: &TsContext) -> LineRecord {
    match json_object(message) {
        Some(o) => read_json(o, ctx),
        None => read_text(message, ctx),
    }
}

fn read_json(obj: Map<String, Value>, ctx: &TsContext) -> LineRecord {
    let j = jsonlog::parse(obj, ctx);
    LineRecord {
        time: j.time,
        service: j.service,
        severity: j.severity.unwrap_or(Severity::Unspecified),
        body: j.body.unwrap_or_default(),
        trace_id: j.trace_id,
    }
}

fn read_text(line: &str, ctx: &TsContext) -> LineRecord {
    let t = TextParser::default().parse(ctx, line);
    LineRecord {
        time: t.time,
        service: t.service,
        severity: t.severity,
        body: t.body.unwrap_or_else(|| line.to_string()),
        trace_id: None,
    }
}

/// The line as a JSON object, when it is one (ingest reads it as a JSON log line then).
fn json_object(line: &str) -> Option<Map<String, Value>> {
    let line = line.trim();
    if !line.starts_with('{') {
        return None;
    }
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(obj)) => Some(obj),
        _ => None,
    }
}

/// A line's own time, read as ingest reads it: a JSON line's time field, else a timestamp in its first fields.
pub(super) fn line_time(line: &str, ctx: &TsContext, hint: &mut Option<usize>) -> Option<DateTime<Utc>> {
    match json_object(line) {
        Some(obj) => jsonlog::parse(obj, ctx).time,
        None => timestamp::find(ctx, line, hint).map(|f| f.time),
    }
}

/// What a scan found: the newest lines (the last in each file), newest first, and how many in all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scan {
    pub lines: Vec<ScannedLine>,
    pub total: u64,
    /// Bytes scanned: the part of the files the index does not cover yet.
    pub bytes: u64,
    /// When the matching lines were written, for the histogram.
    pub times: TimeSample,
}

/// The own timestamps of the matching lines: every one while they are few, then every `stride`-th,
/// each standing for `stride` lines (a systematic sample, so a broad word's histogram keeps its
/// shape at a bounded cost; a rare id's is exact). A line read without a time (a continuation
/// line) still takes its place in the sample, so reading is bounded whatever the lines are.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSample {
    times: Vec<Option<DateTime<Utc>>>,
    stride: u64,
    seen: u64,
    cap: usize,
}

impl Default for TimeSample {
    fn default() -> Self {
        TimeSample::with_cap(TIME_SAMPLES)
    }
}

impl TimeSample {
    fn with_cap(cap: usize) -> TimeSample {
        TimeSample { times: Vec::new(), stride: 1, seen: 0, cap: cap.max(1) }
    }

    /// Whether the next matching line is in the sample (then its time is read and [`Self::push`]ed).
    fn wants_next(&mut self) -> bool {
        self.seen += 1;
        (self.seen - 1).is_multiple_of(self.stride)
    }

    fn push(&mut self, time: Option<DateTime<Utc>>) {
        self.times.push(time);
        if self.times.len() >= 2 * self.cap {
            // Every other one, each now standing for twice as many lines.
            let mut keep = false;
            self.times.retain(|_| {
                keep = !keep;
                keep
            });
            self.stride *= 2;
        }
    }

    /// The newest time seen.
    pub fn newest(&self) -> Option<DateTime<Utc>> {
        self.times.iter().flatten().max().copied()
    }

    /// Adds the lines to `histogram`, whose buckets split `span` evenly.
    pub fn count_into(&self, span: (DateTime<Utc>, DateTime<Utc>), histogram: &mut [u64]) {
        let (from, to) = span;
        let width = (to - from).num_milliseconds();
        if width <= 0 || histogram.is_empty() {
            return;
        }
        let buckets = histogram.len() as i64;
        for t in self.times.iter().flatten().filter(|t| **t >= from && **t < to) {
            let b = (*t - from).num_milliseconds() * buckets / width;
            if let Some(n) = usize::try_from(b).ok().and_then(|b| histogram.get_mut(b)) {
                *n += self.stride;
            }
        }
    }
}

/// The matching lines of one file as they are found.
struct Matches<'a> {
    /// The last `limit` lines, with their offsets.
    kept: VecDeque<(u64, Vec<u8>)>,
    limit: usize,
    total: u64,
    times: &'a mut TimeSample,
    ctx: &'a TsContext,
    /// Which timestamp shape matched last in this file, tried first.
    hint: Option<usize>,
}

impl Matches<'_> {
    fn push(&mut self, offset: u64, line: &[u8]) {
        self.total += 1;
        if self.times.wants_next() {
            let time = line_time(&String::from_utf8_lossy(line), self.ctx, &mut self.hint);
            self.times.push(time);
        }
        if self.limit > 0 {
            self.kept.push_back((offset, line.to_vec()));
            if self.kept.len() > self.limit {
                self.kept.pop_front();
            }
        }
    }
}

/// Scans each file from its offset to its end for `word` (as typed, bytes for bytes), keeping the `limit` last
/// lines that hold it, counting them all and the times of those that have one.
pub fn scan(parts: &[(PathBuf, u64)], word: &str, limit: usize, ctx: &TsContext) -> io::Result<Scan> {
    let mut out = Scan::default();
    if word.is_empty() {
        return Ok(out);
    }
    let finder = Finder::new(word.as_bytes());
    for (path, from) in parts {
        let mut found = Matches {
            kept: VecDeque::with_capacity(limit + 1),
            limit,
            total: 0,
            times: &mut out.times,
            ctx,
            hint: None,
        };
        let bytes = scan_file(path, *from, &finder, &mut found, CHUNK)?;
        out.total += found.total;
        out.bytes += bytes;
        out.lines.extend(
            found
                .kept
                .into_iter()
                .rev()
                .map(|(offset, raw)| read_line(path, offset, String::from_utf8_lossy(&raw).into_owned(), ctx)),
        );
    }
    // Newest first across files: by the lines' own times, those without one last.
    out.lines.sort_by_key(|l| std::cmp::Reverse(l.time));
    out.lines.truncate(limit);
    Ok(out)
}

/// Lines of `path` from `from` holding the word go to `found`; returns the bytes read.
fn scan_file(path: &Path, from: u64, finder: &Finder<'_>, found: &mut Matches<'_>, chunk: usize) -> io::Result<u64> {
    let mut f = File::open(path)?;
    let size = f.metadata()?.len();
    if from >= size {
        return Ok(0);
    }
    f.seek(SeekFrom::Start(from))?;
    let mut buf: Vec<u8> = Vec::with_capacity(chunk * 2);
    let mut base = from;
    loop {
        let had = buf.len();
        buf.resize(had + chunk, 0);
        let n = f.read(&mut buf[had..])?;
        buf.truncate(had + n);
        let at_end = n == 0;
        // Whole lines only, but a line that never ends is taken in pieces.
        let cut = match memchr::memrchr(b'\n', &buf) {
            _ if at_end => buf.len(),
            Some(i) => i + 1,
            None if buf.len() >= MAX_LINE => buf.len(),
            None => continue,
        };
        matching_lines(&buf[..cut], base, finder, found);
        buf.drain(..cut);
        base += cut as u64;
        if at_end {
            return Ok(base - from);
        }
    }
}

/// The lines of `text` (whole lines, starting at file offset `base`) that hold the word, each once.
fn matching_lines(text: &[u8], base: u64, finder: &Finder<'_>, found: &mut Matches<'_>) {
    let mut next_line = 0usize;
    let mut at = 0usize;
    while let Some(rel) = finder.find(&text[at..]) {
        let m = at + rel;
        let start = memchr::memrchr(b'\n', &text[..m]).map_or(0, |i| i + 1).max(next_line);
        let end = memchr::memchr(b'\n', &text[m..]).map_or(text.len(), |i| m + i);
        found.push(base + start as u64, &text[start..end]);
        next_line = end + 1;
        at = next_line.min(text.len());
        if at >= text.len() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ctx() -> TsContext {
        TsContext::utc(Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap())
    }

    fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn finds_the_word_only_past_the_offset_newest_first_and_counts_every_line_once() {
        let dir = tempfile::tempdir().unwrap();
        let text: String = (0..50)
            .map(|i| {
                let word = if i % 10 == 3 { " req-7f3a req-7f3a" } else { "" };
                format!("2026-11-23T11:{i:02}:00Z INFO line {i}{word}\n")
            })
            .collect();
        let p = file(&dir, "app.log", &text);
        let all = scan(&[(p.clone(), 0)], "req-7f3a", 2, &ctx()).unwrap();
        // Lines 3, 13, 23, 33, 43: five lines (twice on each line, counted once), the two newest kept.
        assert_eq!(all.total, 5);
        assert_eq!(all.bytes, text.len() as u64);
        let shown: Vec<_> = all.lines.iter().map(|l| l.text.split(' ').nth(3).unwrap().to_string()).collect();
        assert_eq!(shown, ["43", "33"]);
        assert_eq!(all.lines[0].time, Some(Utc.with_ymd_and_hms(2026, 11, 23, 11, 43, 0).unwrap()));
        assert_eq!(&text[all.lines[0].offset as usize..][..20], "2026-11-23T11:43:00Z");
        // From the start of line 30 on (what the index does not cover yet): lines 33 and 43.
        let from = text.find("2026-11-23T11:30").unwrap() as u64;
        let rest = scan(&[(p, from)], "req-7f3a", 10, &ctx()).unwrap();
        assert_eq!(rest.total, 2);
        assert_eq!(rest.bytes, text.len() as u64 - from);
    }

    #[test]
    fn a_hit_reads_as_its_indexed_record_will() {
        let dir = tempfile::tempdir().unwrap();
        let text = concat!(
            r#"{"ts":"2026-11-23T11:00:00Z","level":"error","service":"payments","msg":"charge failed req-9q","trace_id":"ab12"}"#,
            "\n",
            "2026-11-23T11:01:00Z WARN retrying req-9q\n",
        );
        let p = file(&dir, "checkout.log.1", text);
        let found = scan(&[(p, 0)], "req-9q", 5, &ctx()).unwrap();
        let seen: Vec<_> = found
            .lines
            .iter()
            .map(|l| (l.service.as_str(), l.severity, l.body.as_str(), l.trace_id.as_deref()))
            .collect();
        assert_eq!(
            seen,
            [
                ("checkout", Severity::Warn, "2026-11-23T11:01:00Z WARN retrying req-9q", None),
                ("payments", Severity::Error, "charge failed req-9q", Some("ab12")),
            ]
        );
        assert_eq!(found.lines[1].time, Some(Utc.with_ymd_and_hms(2026, 11, 23, 11, 0, 0).unwrap()));
    }

    #[test]
    fn a_container_line_reads_as_what_the_container_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let name = "var/log/pods/shop_checkout-7d9c8b6f5-x2x9q_0a1b2c3d/app/0.log";
        std::fs::create_dir_all(dir.path().join(name).parent().unwrap()).unwrap();
        // A CRI line holding text, one holding JSON that names its service, and a Docker json-file line; the
        // runtime's time (to the nanosecond) dates each, not the time the container wrote.
        let text = concat!(
            "2026-11-23T11:00:00.123456789Z stderr F 2026-11-23 10:59:59 ERROR charge failed req-9q\n",
            r#"2026-11-23T11:01:00.5Z stdout F {"level":"warn","service":"payments","msg":"retry req-9q","trace_id":"ab12"}"#,
            "\n",
            r#"{"log":"INFO req-9q done\n","stream":"stdout","time":"2026-11-23T11:02:00Z"}"#,
            "\n",
        );
        let p = file(&dir, name, text);
        let found = scan(&[(p, 0)], "req-9q", 5, &ctx()).unwrap();
        let seen: Vec<_> = found
            .lines
            .iter()
            .map(|l| (l.time, l.service.as_str(), l.severity, l.body.as_str(), l.trace_id.as_deref()))
            .collect();
        let t = |m, ns| Some(Utc.with_ymd_and_hms(2026, 11, 23, 11, m, 0).unwrap() + chrono::Duration::nanoseconds(ns));
        assert_eq!(
            seen,
            [
                (t(2, 0), "checkout", Severity::Info, "INFO req-9q done", None),
                (t(1, 500_000_000), "payments", Severity::Warn, "retry req-9q", Some("ab12")),
                (
                    t(0, 123_456_789),
                    "checkout",
                    Severity::Error,
                    "2026-11-23 10:59:59 ERROR charge failed req-9q",
                    None
                ),
            ]
        );
    }

    #[test]
    fn every_match_with_a_time_counts_in_the_histogram_not_only_the_lines_kept() {
        let dir = tempfile::tempdir().unwrap();
        // A third of them JSON lines, whose time is a field.
        let line = |i: usize| match i % 3 {
            0 => format!("{{\"time\":\"2026-11-23T10:{i:02}:30Z\",\"msg\":\"timeout req-1\"}}\n"),
            _ => format!("2026-11-23T10:{i:02}:30Z ERROR timeout req-1\n"),
        };
        let text: String = (0..30).map(line).collect();
        let p = file(&dir, "app.log", &format!("{text}  at retry.rs:4 req-1\n"));
        let found = scan(&[(p, 0)], "req-1", 2, &ctx()).unwrap();
        let timed = found.times.times.iter().flatten().count();
        assert_eq!((found.total, found.lines.len(), timed), (31, 2, 30));
        assert_eq!(found.times.newest(), Some(Utc.with_ymd_and_hms(2026, 11, 23, 10, 29, 30).unwrap()));
        // Three 10-minute buckets over 10:00-10:30, and one over 10:20-10:40 holding 10:20:30-10:29:30.
        let t = |m| Utc.with_ymd_and_hms(2026, 11, 23, 10, m, 0).unwrap();
        let mut histogram = vec![0; 3];
        found.times.count_into((t(0), t(30)), &mut histogram);
        assert_eq!(histogram, [10, 10, 10]);
        let mut one = vec![0; 1];
        found.times.count_into((t(20), t(40)), &mut one);
        assert_eq!(one, [10]);
    }

    #[test]
    fn many_matches_are_sampled_evenly_and_each_sample_stands_for_its_stride() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
        let mut sample = TimeSample::with_cap(8);
        // 1000 lines a second apart: the first 500 s hold half of them.
        for i in 0..1000 {
            if sample.wants_next() {
                sample.push(Some(t0 + chrono::Duration::seconds(i)));
            }
        }
        assert!(sample.times.len() < 16 && sample.stride > 1, "{} kept, stride {}", sample.times.len(), sample.stride);
        let mut halves = vec![0; 2];
        sample.count_into((t0, t0 + chrono::Duration::seconds(1000)), &mut halves);
        let all: u64 = halves.iter().sum();
        // Each sample stands for `stride` lines, the last ones too: off by less than one stride.
        assert!(all.abs_diff(1000) < sample.stride, "{halves:?}, stride {}", sample.stride);
        assert!(halves[0].abs_diff(halves[1]) <= sample.stride, "{halves:?}");
    }

    #[test]
    fn lines_across_chunk_edges_and_a_last_line_without_newline_are_found_whole() {
        let dir = tempfile::tempdir().unwrap();
        let text = "aaaa needle bbbb\ncccc\ndddd needle\nno\nlast needle";
        let p = file(&dir, "x.log", text);
        let finder = Finder::new(b"needle");
        let ctx = ctx();
        for chunk in [1, 3, 7, 64] {
            let mut times = TimeSample::default();
            let mut found =
                Matches { kept: VecDeque::new(), limit: 10, total: 0, times: &mut times, ctx: &ctx, hint: None };
            let bytes = scan_file(&p, 0, &finder, &mut found, chunk).unwrap();
            let lines: Vec<_> = found.kept.iter().map(|(_, l)| String::from_utf8_lossy(l).into_owned()).collect();
            assert_eq!((found.total, bytes), (3, text.len() as u64), "chunk {chunk}");
            assert_eq!(lines, ["aaaa needle bbbb", "dddd needle", "last needle"], "chunk {chunk}");
        }
        assert_eq!(scan(&[(p.clone(), text.len() as u64)], "needle", 5, &ctx).unwrap(), Scan::default());
        assert_eq!(scan(&[(p, 0)], "absent", 5, &ctx).unwrap().total, 0);
    }
}
