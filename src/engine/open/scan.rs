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

use serde_json::Value;

use crate::ingest::Ingestor;
use crate::model::Severity;
use crate::sources::jsonlog;
use crate::sources::plaintext::TextParser;
use crate::sources::timestamp::TsContext;

/// Bytes read at a time.
const CHUNK: usize = 8 << 20;
/// A line longer than this is cut into pieces of it (a match in it is still found).
const MAX_LINE: usize = 1 << 20;

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

/// Reads a line of `path` with the parsers ingest uses for a JSON log line or a text line, so that
/// its hit shows the service, severity and body it will have once indexed. Container envelopes and
/// OTLP lines are shown as text.
pub fn read_line(path: &Path, offset: u64, text: String, ctx: &TsContext) -> ScannedLine {
    let file_service = || Ingestor::stem(path);
    let json =
        text.trim_start().starts_with('{').then(|| serde_json::from_str::<Value>(text.trim())).and_then(Result::ok);
    if let Some(Value::Object(obj)) = json {
        let j = jsonlog::parse(obj, ctx);
        return ScannedLine {
            path: path.to_path_buf(),
            offset,
            time: j.time,
            service: j.service.unwrap_or_else(file_service),
            severity: j.severity.unwrap_or(Severity::Unspecified),
            body: j.body.unwrap_or_default(),
            trace_id: j.trace_id,
            text,
        };
    }
    let t = TextParser::default().parse(ctx, &text);
    ScannedLine {
        path: path.to_path_buf(),
        offset,
        time: t.time,
        service: t.service.unwrap_or_else(file_service),
        severity: t.severity,
        body: t.body.unwrap_or_else(|| text.clone()),
        trace_id: None,
        text,
    }
}

/// What a scan found: the newest lines (the last in each file), newest first, and how many in all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scan {
    pub lines: Vec<ScannedLine>,
    pub total: u64,
    /// Bytes scanned: the part of the files the index does not cover yet.
    pub bytes: u64,
}

/// Scans each file from its offset to its end for `word` (as typed, bytes for bytes), keeping the `limit` last
/// lines that hold it and counting them all.
pub fn scan(parts: &[(PathBuf, u64)], word: &str, limit: usize, ctx: &TsContext) -> io::Result<Scan> {
    let mut out = Scan::default();
    if word.is_empty() {
        return Ok(out);
    }
    let finder = Finder::new(word.as_bytes());
    for (path, from) in parts {
        let mut kept = VecDeque::with_capacity(limit + 1);
        let (total, bytes) = scan_file(path, *from, &finder, limit, &mut kept, CHUNK)?;
        out.total += total;
        out.bytes += bytes;
        out.lines.extend(
            kept.into_iter()
                .rev()
                .map(|(offset, raw)| read_line(path, offset, String::from_utf8_lossy(&raw).into_owned(), ctx)),
        );
    }
    // Newest first across files: by the lines' own times, those without one last.
    out.lines.sort_by_key(|l| std::cmp::Reverse(l.time));
    out.lines.truncate(limit);
    Ok(out)
}

/// Lines of `path` from `from` holding the word: their count and the bytes read; the last `limit` go to `kept`.
fn scan_file(
    path: &Path,
    from: u64,
    finder: &Finder<'_>,
    limit: usize,
    kept: &mut VecDeque<(u64, Vec<u8>)>,
    chunk: usize,
) -> io::Result<(u64, u64)> {
    let mut f = File::open(path)?;
    let size = f.metadata()?.len();
    if from >= size {
        return Ok((0, 0));
    }
    f.seek(SeekFrom::Start(from))?;
    let mut buf: Vec<u8> = Vec::with_capacity(chunk * 2);
    let mut base = from;
    let mut total = 0u64;
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
        total += matching_lines(&buf[..cut], base, finder, limit, kept);
        buf.drain(..cut);
        base += cut as u64;
        if at_end {
            return Ok((total, base - from));
        }
    }
}

/// The lines of `text` (whole lines, starting at file offset `base`) that hold the word, each once.
fn matching_lines(
    text: &[u8],
    base: u64,
    finder: &Finder<'_>,
    limit: usize,
    kept: &mut VecDeque<(u64, Vec<u8>)>,
) -> u64 {
    let mut count = 0;
    let mut next_line = 0usize;
    let mut at = 0usize;
    while let Some(rel) = finder.find(&text[at..]) {
        let m = at + rel;
        let start = memchr::memrchr(b'\n', &text[..m]).map_or(0, |i| i + 1).max(next_line);
        let end = memchr::memchr(b'\n', &text[m..]).map_or(text.len(), |i| m + i);
        count += 1;
        if limit > 0 {
            kept.push_back((base + start as u64, text[start..end].to_vec()));
            if kept.len() > limit {
                kept.pop_front();
            }
        }
        next_line = end + 1;
        at = next_line.min(text.len());
        if at >= text.len() {
            break;
        }
    }
    count
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
    fn lines_across_chunk_edges_and_a_last_line_without_newline_are_found_whole() {
        let dir = tempfile::tempdir().unwrap();
        let text = "aaaa needle bbbb\ncccc\ndddd needle\nno\nlast needle";
        let p = file(&dir, "x.log", text);
        let finder = Finder::new(b"needle");
        for chunk in [1, 3, 7, 64] {
            let mut kept = VecDeque::new();
            let (total, bytes) = scan_file(&p, 0, &finder, 10, &mut kept, chunk).unwrap();
            let lines: Vec<_> = kept.iter().map(|(_, l)| String::from_utf8_lossy(l).into_owned()).collect();
            assert_eq!((total, bytes), (3, text.len() as u64), "chunk {chunk}");
            assert_eq!(lines, ["aaaa needle bbbb", "dddd needle", "last needle"], "chunk {chunk}");
        }
        assert_eq!(scan(&[(p.clone(), text.len() as u64)], "needle", 5, &ctx()).unwrap(), Scan::default());
        assert_eq!(scan(&[(p, 0)], "absent", 5, &ctx()).unwrap().total, 0);
    }
}
