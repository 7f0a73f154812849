//! `firewatch ingest`: files and stdin into the store, format detected per file and
//! per line, bad records counted and reported, everything good kept.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use tantivy::TantivyDocument;
use xxhash_rust::xxh3::Xxh3;

use crate::analysis::templates::{MinerConfig, TemplateMiner};
use crate::model::{Alert, LogRecord, MetricPoint, RecordId, Resource, Severity, Signal};
use crate::sources::lines::{LineInfo, LineReader};
use crate::sources::plaintext::TextParser;
use crate::sources::timestamp::TsContext;
use crate::sources::{alertmanager, jsonlog, otlp_json};
use crate::store::docs::{log_doc, span_doc};
use crate::store::manifest::{Entry, Manifest, Progress};
use crate::store::state::StateDb;
use crate::store::writer::{WriteOp, WriterHandle};
use crate::store::{Fields, StoreError};

/// Whole-document JSON (an Alertmanager array, a pretty-printed webhook) is read into
/// memory; larger files are read line by line.
const MAX_DOCUMENT_BYTES: u64 = 256 << 20;
/// At most this many bad records are listed per file; all are counted.
const MAX_LISTED_BAD: usize = 20;
const BATCH_DOCS: usize = 2048;

#[derive(Debug, Clone)]
pub struct Options {
    pub ts: TsContext,
    /// Service for records that do not name one; else the file's stem.
    pub service: Option<String>,
    pub max_line_bytes: usize,
    /// Stop at the last newline: a live file's last line may still be being written (the collector's tailing).
    pub complete_lines_only: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BadRecord {
    pub line: u64,
    pub reason: String,
    /// Whether the record was still stored (as text, truncated or with replacement characters).
    pub kept: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct FileReport {
    pub path: String,
    pub format: String,
    pub logs: u64,
    pub spans: u64,
    pub metrics: u64,
    pub alerts: u64,
    pub bad: u64,
    pub bad_records: Vec<BadRecord>,
    /// Bytes already in the store from an earlier ingest, skipped.
    pub skipped_bytes: u64,
    pub bytes: u64,
    /// Why the file could not be read at all.
    pub error: Option<String>,
}

impl FileReport {
    fn bad(&mut self, line: u64, reason: impl Into<String>, kept: bool) {
        self.bad += 1;
        if self.bad_records.len() < MAX_LISTED_BAD {
            self.bad_records.push(BadRecord { line, reason: reason.into(), kept });
        }
    }

    pub fn records(&self) -> u64 {
        self.logs + self.spans + self.metrics + self.alerts
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// (service, region, host) of records that carry no OpenTelemetry resource.
type ResourceKey = (Option<String>, Option<String>, Option<String>);

/// A text or JSON record waiting for possible continuation lines.
struct Pending {
    start: u64,
    /// Hash of the file before `start`, so progress can stop just before this record.
    start_hash: u64,
    record: LogRecord,
}

pub struct Ingestor<'a> {
    writer: &'a WriterHandle,
    state: &'a mut StateDb,
    fields: Fields,
    manifest: Manifest,
    opts: Options,
    resources: HashMap<ResourceKey, Arc<Resource>>,
    /// Gives every log record its template id; the caller loads and saves it with the data dir.
    pub miner: TemplateMiner,
    /// Records per (template, hour), for `StateDb::add_template_counts`.
    pub template_counts: HashMap<(u32, i64), u64>,
}

/// State of one input while it is read.
struct Input {
    key: String,
    key_bytes: [u8; 8],
    default_service: String,
    fallback_time: DateTime<Utc>,
    upsert: bool,
    replaces: Option<Entry>,
    docs: Vec<TantivyDocument>,
    upserts: Vec<(String, TantivyDocument)>,
    metrics: Vec<MetricPoint>,
    alerts: Vec<Alert>,
    text: TextParser,
    last_time: Option<DateTime<Utc>>,
    pending: Option<Pending>,
    formats: [u64; 4],
}

const FORMATS: [&str; 4] = ["text", "json-lines", "otlp-json", "alertmanager"];

fn first_line_key(head: &[u8]) -> (String, [u8; 8]) {
    let end = memchr::memchr(b'\n', head).map_or(head.len(), |i| i + 1);
    let h = xxhash_rust::xxh3::xxh3_64(&head[..end.min(1024)]);
    (format!("{h:016x}"), h.to_le_bytes())
}

impl<'a> Ingestor<'a> {
    pub fn new(
        writer: &'a WriterHandle,
        state: &'a mut StateDb,
        fields: Fields,
        manifest: Manifest,
        opts: Options,
    ) -> Self {
        Ingestor {
            writer,
            state,
            fields,
            manifest,
            opts,
            resources: HashMap::new(),
            miner: TemplateMiner::new(MinerConfig::default()),
            template_counts: HashMap::new(),
        }
    }

    fn stem(path: &Path) -> String {
        path.file_stem().and_then(|s| s.to_str()).unwrap_or("stdin").to_lowercase()
    }

    /// What the ingestor holds once done: the manifest with this run's progress, the miner and template counts.
    pub fn into_parts(self) -> (Manifest, TemplateMiner, HashMap<(u32, i64), u64>) {
        (self.manifest, self.miner, self.template_counts)
    }

    pub fn ingest_path(&mut self, path: &Path) -> Result<FileReport, IngestError> {
        let mut report = FileReport { path: path.display().to_string(), ..Default::default() };
        let mut file = match File::open(path) {
            Ok(f) => f,
            Err(e) => {
                report.error = Some(format!("cannot open: {e}"));
                return Ok(report);
            }
        };
        let meta = match file.metadata() {
            Ok(m) if m.is_dir() => {
                report.error = Some("is a directory".into());
                return Ok(report);
            }
            Ok(m) => m,
            Err(e) => {
                report.error = Some(format!("cannot stat: {e}"));
                return Ok(report);
            }
        };
        let mut head = vec![0u8; 1024];
        match read_full(&mut file, &mut head) {
            Ok(n) => head.truncate(n),
            Err(e) => {
                report.error = Some(format!("cannot read: {e}"));
                return Ok(report);
            }
        }
        if head.is_empty() {
            report.format = "empty".into();
            return Ok(report);
        }
        let (key, key_bytes) = first_line_key(&head);
        // Skip the prefix an earlier ingest already stored, if this file still starts with it.
        let (skip, line_no, hasher, replaces) = match self.verified_prefix(&mut file, &key, meta.len()) {
            Ok(v) => v,
            Err(e) => {
                report.error = Some(format!("cannot read: {e}"));
                return Ok(report);
            }
        };
        report.skipped_bytes = skip;
        let mtime = meta.modified().ok().map(DateTime::<Utc>::from).unwrap_or(self.opts.ts.now);
        let mut input = self.input(key, key_bytes, Self::stem(path), mtime, false, replaces);
        let first = head.iter().copied().find(|b| !b.is_ascii_whitespace() && *b != 0xef && *b != 0xbb && *b != 0xbf);
        let document = skip == 0
            && meta.len() <= MAX_DOCUMENT_BYTES
            && match first {
                Some(b'[') => true,
                Some(b'{') => !first_line_is_json(&mut file, self.opts.max_line_bytes),
                _ => false,
            };
        if document {
            let mut whole = Vec::with_capacity(meta.len() as usize);
            let read = file.seek(SeekFrom::Start(0)).and_then(|_| file.read_to_end(&mut whole));
            if let Err(e) = read {
                report.error = Some(format!("cannot read: {e}"));
                return Ok(report);
            }
            if self.try_document(&whole, &mut input, &mut report)? {
                report.bytes = whole.len() as u64;
                let mut h = Xxh3::new();
                h.update(&whole);
                let entry = Entry { offset: whole.len() as u64, prefix_hash: h.digest() };
                self.flush(&mut input, Some(entry))?;
                return Ok(self.finish(input, report));
            }
        }
        let end = if self.opts.complete_lines_only {
            match complete_end(&mut file, meta.len()) {
                Ok(e) => e,
                Err(e) => {
                    report.error = Some(format!("cannot read: {e}"));
                    return Ok(report);
                }
            }
        } else {
            meta.len()
        };
        if let Err(e) = file.seek(SeekFrom::Start(skip)) {
            report.error = Some(format!("cannot seek: {e}"));
            return Ok(report);
        }
        let body = BufReader::with_capacity(1 << 20, file.take(end.saturating_sub(skip)));
        let reader = LineReader::new(body, skip, line_no, hasher, self.opts.max_line_bytes);
        self.lines(reader, &mut input, &mut report)?;
        Ok(self.finish(input, report))
    }

    /// Standard input cannot be skipped into, so its records replace any earlier copy by id.
    pub fn ingest_reader(&mut self, name: &str, reader: impl Read) -> Result<FileReport, IngestError> {
        let mut report = FileReport { path: name.to_string(), ..Default::default() };
        let mut buf = BufReader::with_capacity(1 << 20, reader);
        let head = match buf.fill_buf() {
            Ok(h) => h.to_vec(),
            Err(e) => {
                report.error = Some(format!("cannot read: {e}"));
                return Ok(report);
            }
        };
        if head.is_empty() {
            report.format = "empty".into();
            return Ok(report);
        }
        let (key, key_bytes) = first_line_key(&head);
        let service = self.opts.service.clone().unwrap_or_else(|| "stdin".into());
        let mut input = self.input(key, key_bytes, service, self.opts.ts.now, true, None);
        let reader = LineReader::new(buf, 0, 0, Xxh3::new(), self.opts.max_line_bytes);
        self.lines(reader, &mut input, &mut report)?;
        Ok(self.finish(input, report))
    }

    fn input(
        &self,
        key: String,
        key_bytes: [u8; 8],
        stem: String,
        fallback_time: DateTime<Utc>,
        upsert: bool,
        replaces: Option<Entry>,
    ) -> Input {
        Input {
            key,
            key_bytes,
            default_service: self.opts.service.clone().unwrap_or(stem),
            fallback_time,
            upsert,
            replaces,
            docs: Vec::new(),
            upserts: Vec::new(),
            metrics: Vec::new(),
            alerts: Vec::new(),
            text: TextParser::default(),
            last_time: None,
            pending: None,
            formats: [0; 4],
        }
    }

    fn finish(&mut self, input: Input, mut report: FileReport) -> FileReport {
        let best = input.formats.iter().enumerate().max_by_key(|(_, n)| **n).filter(|(_, n)| **n > 0);
        report.format = best.map_or("empty", |(i, _)| FORMATS[i]).to_string();
        if input.formats.iter().filter(|n| **n > 0).count() > 1 {
            report.format.push_str(" (mixed)");
        }
        report
    }

    /// Longest manifest prefix this file still starts with: (offset, lines, hasher, entry).
    fn verified_prefix(&self, file: &mut File, key: &str, len: u64) -> io::Result<(u64, u64, Xxh3, Option<Entry>)> {
        let mut candidates: Vec<Entry> =
            self.manifest.entries(key).iter().copied().filter(|e| e.offset <= len).collect();
        candidates.sort_by_key(|e| e.offset);
        let mut best = (0, 0, Xxh3::new(), None);
        if candidates.is_empty() {
            return Ok(best);
        }
        file.seek(SeekFrom::Start(0))?;
        let mut hasher = Xxh3::new();
        let mut lines = 0u64;
        let mut pos = 0u64;
        let mut buf = vec![0u8; 1 << 20];
        for c in candidates {
            while pos < c.offset {
                let want = ((c.offset - pos) as usize).min(buf.len());
                let n = read_full(file, &mut buf[..want])?;
                if n == 0 {
                    return Ok(best);
                }
                hasher.update(&buf[..n]);
                lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
                pos += n as u64;
            }
            if hasher.digest() == c.prefix_hash {
                best = (c.offset, lines, hasher.clone(), Some(c));
            }
        }
        Ok(best)
    }

    /// The shared resource of records with these names; built once per distinct triple.
    fn resource(&mut self, service: Option<String>, region: Option<String>, host: Option<String>) -> Arc<Resource> {
        self.resources
            .entry((service, region, host))
            .or_insert_with_key(|(service, region, host)| {
                let mut r = Resource::default();
                for (key, value) in [("service.name", service), ("cloud.region", region), ("host.name", host)] {
                    if let Some(v) = value {
                        r.set(key, v);
                    }
                }
                Arc::new(r)
            })
            .clone()
    }

    fn id(input: &Input, offset: u64, idx: u32) -> RecordId {
        RecordId::of(&[&input.key_bytes, &offset.to_le_bytes(), &idx.to_le_bytes()])
    }

    fn push_doc(input: &mut Input, id: RecordId, doc: TantivyDocument) {
        if input.upsert {
            input.upserts.push((id.to_string(), doc));
        } else {
            input.docs.push(doc);
        }
    }

    fn push_signal(&mut self, input: &mut Input, report: &mut FileReport, signal: Signal) {
        let f = &self.fields;
        match signal {
            Signal::Log(r) => {
                report.logs += 1;
                let template = self.miner.add(&r.body);
                *self.template_counts.entry((template, r.timestamp.timestamp().div_euclid(3600))).or_default() += 1;
                Self::push_doc(input, r.id, log_doc(f, &r, Some(template)));
            }
            Signal::Span(s) => {
                report.spans += 1;
                Self::push_doc(input, s.id, span_doc(f, &s));
            }
            Signal::Metric(m) => {
                report.metrics += 1;
                input.metrics.push(m);
            }
            Signal::Alert(a) => {
                report.alerts += 1;
                input.alerts.push(a);
            }
        }
    }

    /// Stores what is buffered, then records `progress` with the documents.
    fn flush(&mut self, input: &mut Input, progress: Option<Entry>) -> Result<(), IngestError> {
        if !input.metrics.is_empty() {
            self.state.insert_metrics(&input.metrics)?;
            input.metrics.clear();
        }
        if !input.alerts.is_empty() {
            self.state.upsert_alerts(&input.alerts)?;
            input.alerts.clear();
        }
        if !input.upserts.is_empty() {
            self.writer.send(WriteOp::Upsert(std::mem::take(&mut input.upserts)))?;
        }
        let progress = progress.filter(|_| !input.upsert).map(|entry| {
            let p = Progress { key: input.key.clone(), replaces: input.replaces, entry };
            input.replaces = Some(entry);
            self.manifest.apply(&p);
            p
        });
        if !input.docs.is_empty() || progress.is_some() {
            self.writer.send(WriteOp::Add(std::mem::take(&mut input.docs), progress))?;
        }
        Ok(())
    }

    /// A file whose content is one JSON document. Returns false when it is not one.
    fn try_document(&mut self, bytes: &[u8], input: &mut Input, report: &mut FileReport) -> Result<bool, IngestError> {
        let text = String::from_utf8_lossy(bytes);
        let Ok(doc) = serde_json::from_str::<Value>(&text) else {
            return Ok(false);
        };
        let now = self.opts.ts.now;
        if let Some(alerts) = alertmanager::parse_document(&doc, now) {
            for (i, a) in alerts.into_iter().enumerate() {
                match a {
                    Ok(a) => self.push_signal(input, report, Signal::Alert(a)),
                    Err(e) => report.bad(0, format!("alert {i}: {e}"), false),
                }
            }
            input.formats[3] += 1;
            return Ok(true);
        }
        match doc {
            Value::Array(items) => {
                for (i, item) in items.into_iter().enumerate() {
                    match item {
                        Value::Object(m) => {
                            let r = self.json_record(input, m, 0, i as u32);
                            self.push_signal(input, report, Signal::Log(r));
                            input.formats[1] += 1;
                        }
                        other => report.bad(0, format!("element {i} is {}, not an object", kind_of(&other)), false),
                    }
                }
                Ok(true)
            }
            Value::Object(m) if otlp_json::is_otlp(&m) => {
                self.otlp(input, report, &Value::Object(m), 0, 1);
                Ok(true)
            }
            Value::Object(m) => {
                let r = self.json_record(input, m, 0, 0);
                self.push_signal(input, report, Signal::Log(r));
                input.formats[1] += 1;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn otlp(&mut self, input: &mut Input, report: &mut FileReport, v: &Value, offset: u64, line: u64) {
        let mut idx = 0u32;
        let key_bytes = input.key_bytes;
        let mut next = || {
            idx += 1;
            RecordId::of(&[&key_bytes, &offset.to_le_bytes(), &idx.to_le_bytes()])
        };
        let mut conv = otlp_json::Converter { now: self.opts.ts.now, next_id: &mut next };
        let decoded = otlp_json::decode_request(v, &mut conv);
        for e in decoded.errors {
            report.bad(line, e, false);
        }
        for s in decoded.signals {
            self.push_signal(input, report, s);
        }
        input.formats[2] += 1;
    }

    fn json_record(&mut self, input: &mut Input, obj: Map<String, Value>, offset: u64, idx: u32) -> LogRecord {
        let j = jsonlog::parse(obj, &self.opts.ts);
        let time = j.time.or(input.last_time).unwrap_or(input.fallback_time);
        input.last_time = Some(time);
        let service = j.service.or_else(|| Some(input.default_service.clone()));
        let resource = self.resource(service, j.region, j.host);
        let mut attributes = j.attributes;
        if j.time.is_none() {
            attributes.insert("firewatch.time".into(), Value::String("inferred".into()));
        }
        LogRecord {
            id: Self::id(input, offset, idx),
            timestamp: time,
            severity: j.severity.unwrap_or(Severity::Unspecified),
            body: j.body.unwrap_or_default(),
            time_span: None,
            resource,
            trace_id: j.trace_id,
            span_id: j.span_id,
            attributes,
        }
    }

    fn text_record(&mut self, input: &mut Input, line: &str, offset: u64) -> (LogRecord, bool) {
        let t = input.text.parse(&self.opts.ts, line);
        let time = t.time.or(input.last_time).unwrap_or(input.fallback_time);
        input.last_time = Some(time);
        let service = t.service.or_else(|| Some(input.default_service.clone()));
        let resource = self.resource(service, None, t.host);
        let mut attributes = Map::new();
        if t.time.is_none() {
            attributes.insert("firewatch.time".into(), Value::String("inferred".into()));
        }
        let record = LogRecord {
            id: Self::id(input, offset, 0),
            timestamp: time,
            severity: t.severity,
            body: line.to_string(),
            time_span: t.time_span,
            resource,
            trace_id: None,
            span_id: None,
            attributes,
        };
        (record, t.time.is_some())
    }

    fn emit_pending(&mut self, input: &mut Input, report: &mut FileReport) {
        if let Some(p) = input.pending.take() {
            self.push_signal(input, report, Signal::Log(p.record));
        }
    }

    fn lines<R: BufRead>(
        &mut self,
        mut reader: LineReader<R>,
        input: &mut Input,
        report: &mut FileReport,
    ) -> Result<(), IngestError> {
        let mut buf = Vec::with_capacity(4096);
        let start_offset = reader.offset();
        loop {
            let info: LineInfo = match reader.next_line(&mut buf) {
                Ok(Some(i)) => i,
                Ok(None) => break,
                Err(e) => {
                    report.error = Some(format!("read error after {} bytes: {e}", reader.offset()));
                    break;
                }
            };
            self.line(input, report, &buf, info);
            if input.docs.len() + input.upserts.len() >= BATCH_DOCS || input.metrics.len() >= BATCH_DOCS {
                // Progress stops before a record that may still get continuation lines: after a crash, the
                // next run starts at that record, and every record before it was committed with the progress.
                let entry = match &input.pending {
                    Some(p) => Entry { offset: p.start, prefix_hash: p.start_hash },
                    None => Entry { offset: reader.offset(), prefix_hash: reader.prefix_hash() },
                };
                self.flush(input, Some(entry))?;
            }
        }
        self.emit_pending(input, report);
        report.bytes = reader.offset() - start_offset;
        let entry = Entry { offset: reader.offset(), prefix_hash: reader.prefix_hash() };
        self.flush(input, Some(entry))
    }

    fn line(&mut self, input: &mut Input, report: &mut FileReport, bytes: &[u8], info: LineInfo) {
        let (text, lossy) = match std::str::from_utf8(bytes) {
            Ok(s) => (std::borrow::Cow::Borrowed(s), false),
            Err(_) => (String::from_utf8_lossy(bytes), true),
        };
        let trimmed = text.trim_start();
        if trimmed.is_empty() {
            return;
        }
        if info.truncated {
            report.bad(info.no, format!("line of {} bytes truncated to {}", info.len, bytes.len()), true);
        }
        if lossy {
            report.bad(info.no, "invalid UTF-8, stored with replacement characters", true);
        }
        if text.contains('\0') {
            report.bad(info.no, "contains NUL bytes, stored (shown escaped)", true);
        }
        if trimmed.starts_with('{') && !info.truncated {
            match serde_json::from_str::<Value>(trimmed) {
                Ok(Value::Object(m)) => {
                    self.emit_pending(input, report);
                    self.json_object(input, report, m, info);
                    return;
                }
                Ok(_) => {}
                Err(e) => {
                    if trimmed.starts_with("{\"resource") {
                        report.bad(info.no, format!("invalid OTLP/JSON: {e}"), false);
                        return;
                    }
                    report.bad(info.no, format!("invalid JSON ({e}), stored as text"), true);
                }
            }
        } else if trimmed.starts_with("{\"resource") {
            report.bad(info.no, "OTLP/JSON line longer than the line limit, not stored", false);
            return;
        }
        // Plain text, with continuation lines (stack traces) joined to their record.
        let (record, has_time) = self.text_record(input, &text, info.start);
        let is_continuation = !has_time && text.starts_with([' ', '\t']) && input.pending.is_some();
        if is_continuation {
            if let Some(p) = input.pending.as_mut() {
                if p.record.body.len() + text.len() < self.opts.max_line_bytes {
                    p.record.body.push('\n');
                    p.record.body.push_str(&text);
                }
            }
            return;
        }
        self.emit_pending(input, report);
        input.formats[0] += 1;
        input.pending = Some(Pending { start: info.start, start_hash: info.prefix_hash, record });
    }

    fn json_object(&mut self, input: &mut Input, report: &mut FileReport, m: Map<String, Value>, info: LineInfo) {
        let now = self.opts.ts.now;
        if otlp_json::is_otlp(&m) {
            self.otlp(input, report, &Value::Object(m), info.start, info.no);
            return;
        }
        let v = Value::Object(m);
        if let Some(alerts) = alertmanager::parse_document(&v, now) {
            for a in alerts {
                match a {
                    Ok(a) => self.push_signal(input, report, Signal::Alert(a)),
                    Err(e) => report.bad(info.no, e, false),
                }
            }
            input.formats[3] += 1;
            return;
        }
        let Value::Object(m) = v else { return };
        let r = self.json_record(input, m, info.start, 0);
        self.push_signal(input, report, Signal::Log(r));
        input.formats[1] += 1;
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Whether the file's first line is a complete JSON value (JSON lines rather than one
/// pretty-printed document).
fn first_line_is_json(file: &mut File, max: usize) -> bool {
    if file.seek(SeekFrom::Start(0)).is_err() {
        return false;
    }
    let mut line = Vec::new();
    let mut r = BufReader::new(file.by_ref().take(max as u64));
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

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
