//! `firewatch ingest`: files and stdin into the store, format detected per file and
//! per line, bad records counted and reported, everything good kept.

mod container;
mod file;
pub mod glob;
pub mod progress;
pub mod source;
pub mod walk;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use tantivy::TantivyDocument;
use xxhash_rust::xxh3::Xxh3;

use crate::analysis::templates::{MinerConfig, TemplateMiner};
use crate::model::{Alert, LogRecord, MetricPoint, RecordId, Resource, Severity, Signal};
use crate::sources::container::K8sPath;
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
    /// Why the file could not be read at all, or not to its end.
    pub error: Option<String>,
    /// Why the input was deliberately not read (binary data, not a regular file, a symlink loop): reported,
    /// but not a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// The compression the content was decoded from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression: Option<&'static str>,
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

/// (service, region, host, pod) of records that carry no OpenTelemetry resource.
type ResourceKey = (Option<String>, Option<String>, Option<String>, Option<Arc<K8sPath>>);

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
    /// Where a terminal is shown how far the work is; `None` draws nothing.
    pub progress: Option<progress::Progress>,
    /// Once set (the UI that opened the files quits), an input stops at its next batch: what was read is committed
    /// with its progress, so the caller can save the miner and commit, and the rest is read by the next run.
    pub stop: Option<Arc<AtomicBool>>,
}

/// State of one input while it is read.
struct Input {
    key: String,
    key_bytes: [u8; 8],
    default_service: String,
    fallback_time: DateTime<Utc>,
    upsert: bool,
    /// Records that start below this offset replace any stored record with their id: the record at the point an
    /// earlier ingest stopped may have been stored then as a line still being written.
    upsert_until: u64,
    /// The file's generation among files with its first line (`manifest::Entry::gen`), part of every id.
    gen: u32,
    replaces: Option<Entry>,
    docs: Vec<TantivyDocument>,
    upserts: Vec<(String, TantivyDocument)>,
    /// Records below `upsert_until`: each replaces the one an earlier ingest stored with its id.
    replacements: Vec<(RecordId, TantivyDocument)>,
    metrics: Vec<MetricPoint>,
    alerts: Vec<Alert>,
    text: TextParser,
    last_time: Option<DateTime<Utc>>,
    pending: Option<Pending>,
    /// The first parts of a container line the runtime split (CRI `P`), waiting for the rest.
    partial: Option<container::Partial>,
    /// The pod a Kubernetes log path names, for every record's resource.
    k8s: Option<Arc<K8sPath>>,
    /// Where the reader is in the file on disk, for progress (a compressed file's content is longer).
    position: Option<Arc<AtomicU64>>,
    formats: [u64; FORMATS.len()],
}

const FORMATS: [&str; 6] = ["text", "json-lines", "otlp-json", "alertmanager", "cri", "docker-json"];
const CRI: usize = 4;
const DOCKER: usize = 5;

impl Input {
    /// Where progress must stop: before a record that may still get continuation lines or the rest of a split
    /// line. `None` when nothing is held back.
    fn held(&self) -> Option<Entry> {
        let pending = self.pending.as_ref().map(|p| (p.start, p.start_hash));
        let partial = self.partial.as_ref().map(|p| (p.start, p.start_hash));
        let (offset, prefix_hash) = pending.into_iter().chain(partial).min_by_key(|(start, _)| *start)?;
        Some(Entry { offset, prefix_hash, gen: self.gen })
    }
}

/// The message a panic was raised with.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// A record's id: the file (its first line and generation), where its line starts, its index in the line.
fn record_id(key_bytes: &[u8; 8], gen: u32, offset: u64, idx: u32) -> RecordId {
    if gen == 0 {
        RecordId::of(&[key_bytes, &offset.to_le_bytes(), &idx.to_le_bytes()])
    } else {
        RecordId::of(&[key_bytes, &offset.to_le_bytes(), &idx.to_le_bytes(), &gen.to_le_bytes()])
    }
}

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
            progress: None,
            stop: None,
        }
    }

    /// The default service of a file: its name without extension, and without what logrotate adds (`.2`,
    /// `.gz`), so that `app.log`, `app.log.1` and `app.log.2.gz` are one service.
    pub fn stem(path: &Path) -> String {
        let mut name = path.file_name().and_then(|s| s.to_str()).unwrap_or("stdin");
        for ext in [".gz", ".xz", ".zst"] {
            name = name.strip_suffix(ext).unwrap_or(name);
        }
        if let Some((base, n)) = name.rsplit_once('.') {
            if !base.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
                name = base;
            }
        }
        Path::new(name).file_stem().and_then(|s| s.to_str()).unwrap_or(name).to_lowercase()
    }

    /// The service of a file's records that name none: the workload of the pod a Kubernetes log path names (see
    /// `K8sPath::service`), else the file's [`Ingestor::stem`].
    pub fn file_service(path: &Path, k8s: Option<&K8sPath>) -> String {
        k8s.map_or_else(|| Self::stem(path), K8sPath::service)
    }

    /// What the ingestor holds once done: the manifest with this run's progress, the miner and template counts.
    pub fn into_parts(self) -> (Manifest, TemplateMiner, HashMap<(u32, i64), u64>) {
        (self.manifest, self.miner, self.template_counts)
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
        if let Some(why) = source::binary_reason(&head[..head.len().min(source::HEAD_BYTES)]) {
            report.skipped = Some(why);
            return Ok(report);
        }
        let (key, key_bytes) = first_line_key(&head);
        let service = self.opts.service.clone().unwrap_or_else(|| "stdin".into());
        let mut input = self.input(key, key_bytes, service, self.opts.ts.now, true, None);
        let reader = LineReader::new(buf, 0, 0, Xxh3::new(), self.opts.max_line_bytes);
        self.lines(reader, &mut input, &mut report, false)?;
        self.finish(&input, &mut report);
        Ok(report)
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
            upsert_until: 0,
            gen: replaces.map_or(0, |e| e.gen),
            replaces,
            docs: Vec::new(),
            upserts: Vec::new(),
            replacements: Vec::new(),
            metrics: Vec::new(),
            alerts: Vec::new(),
            text: TextParser::default(),
            last_time: None,
            pending: None,
            partial: None,
            k8s: None,
            position: None,
            formats: [0; FORMATS.len()],
        }
    }

    fn finish(&self, input: &Input, report: &mut FileReport) {
        let best = input.formats.iter().enumerate().max_by_key(|(_, n)| **n).filter(|(_, n)| **n > 0);
        report.format = best.map_or("empty", |(i, _)| FORMATS[i]).to_string();
        if input.formats.iter().filter(|n| **n > 0).count() > 1 {
            report.format.push_str(" (mixed)");
        }
    }

    /// The shared resource of records with these names (and pod); built once per distinct key.
    fn resource(
        &mut self,
        service: Option<String>,
        region: Option<String>,
        host: Option<String>,
        k8s: Option<&Arc<K8sPath>>,
    ) -> Arc<Resource> {
        self.resources
            .entry((service, region, host, k8s.cloned()))
            .or_insert_with_key(|(service, region, host, k8s)| {
                let mut r = Resource::default();
                for (key, value) in [("service.name", service), ("cloud.region", region), ("host.name", host)] {
                    if let Some(v) = value {
                        r.set(key, v);
                    }
                }
                for (key, value) in k8s.iter().flat_map(|k| k.attributes()) {
                    r.set(key, value);
                }
                Arc::new(r)
            })
            .clone()
    }

    fn id(input: &Input, offset: u64, idx: u32) -> RecordId {
        record_id(&input.key_bytes, input.gen, offset, idx)
    }

    /// `start`: offset of the record's first line.
    fn push_doc(input: &mut Input, start: u64, id: RecordId, doc: TantivyDocument) {
        if input.upsert {
            input.upserts.push((id.to_string(), doc));
        } else if start < input.upsert_until {
            input.replacements.push((id, doc));
        } else {
            input.docs.push(doc);
        }
    }

    fn push_signal(&mut self, input: &mut Input, report: &mut FileReport, start: u64, signal: Signal) {
        let f = &self.fields;
        match signal {
            Signal::Log(r) => {
                report.logs += 1;
                let template = self.miner.add(&r.body);
                *self.template_counts.entry((template, r.timestamp.timestamp().div_euclid(3600))).or_default() += 1;
                Self::push_doc(input, start, r.id, log_doc(f, &r, Some(template)));
            }
            Signal::Span(s) => {
                report.spans += 1;
                Self::push_doc(input, start, s.id, span_doc(f, &s));
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
        if !input.replacements.is_empty() {
            self.writer.send(WriteOp::Replace(std::mem::take(&mut input.replacements)))?;
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
                    Ok(a) => self.push_signal(input, report, 0, Signal::Alert(a)),
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
                            self.push_signal(input, report, 0, Signal::Log(r));
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
                self.push_signal(input, report, 0, Signal::Log(r));
                input.formats[1] += 1;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn otlp(&mut self, input: &mut Input, report: &mut FileReport, v: &Value, offset: u64, line: u64) {
        let mut idx = 0u32;
        let (key_bytes, gen) = (input.key_bytes, input.gen);
        let mut next = || {
            idx += 1;
            record_id(&key_bytes, gen, offset, idx)
        };
        let mut conv = otlp_json::Converter { now: self.opts.ts.now, next_id: &mut next };
        let decoded = otlp_json::decode_request(v, &mut conv);
        for e in decoded.errors {
            report.bad(line, e, false);
        }
        for s in decoded.signals {
            self.push_signal(input, report, offset, s);
        }
        input.formats[2] += 1;
    }

    fn json_record(&mut self, input: &mut Input, obj: Map<String, Value>, offset: u64, idx: u32) -> LogRecord {
        let j = jsonlog::parse(obj, &self.opts.ts);
        let time = j.time.or(input.last_time).unwrap_or(input.fallback_time);
        input.last_time = Some(time);
        let service = j.service.or_else(|| Some(input.default_service.clone()));
        let resource = self.resource(service, j.region, j.host, input.k8s.as_ref());
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
        let resource = self.resource(service, None, t.host, input.k8s.as_ref());
        let mut attributes = t.attributes;
        if t.time.is_none() {
            attributes.insert("firewatch.time".into(), Value::String("inferred".into()));
        }
        let record = LogRecord {
            id: Self::id(input, offset, 0),
            timestamp: time,
            severity: t.severity,
            body: t.body.unwrap_or_else(|| line.to_string()),
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
            self.push_signal(input, report, p.start, Signal::Log(p.record));
        }
    }

    /// `live`: the file may still be written to, so an unterminated last line may be cut short (see below).
    fn lines<R: BufRead>(
        &mut self,
        mut reader: LineReader<R>,
        input: &mut Input,
        report: &mut FileReport,
        live: bool,
    ) -> Result<(), IngestError> {
        let mut buf = Vec::with_capacity(4096);
        let start_offset = reader.offset();
        // Where the lines read so far end; on a read error, progress stops here, never inside a line.
        let mut end = Entry { offset: reader.offset(), prefix_hash: reader.prefix_hash(), gen: input.gen };
        loop {
            let info: LineInfo = match reader.next_line(&mut buf) {
                Ok(Some(i)) => i,
                Ok(None) => break,
                Err(e) => {
                    report.error = Some(format!("read error after {} bytes: {e}", end.offset));
                    break;
                }
            };
            // A parser bug on one line costs that line, reported, not the rest of the file.
            let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.line(input, report, &buf, info);
            }));
            if let Err(panic) = parsed {
                report.bad(info.no, format!("internal error, not stored: {}", panic_message(&*panic)), false);
            }
            end = Entry { offset: reader.offset(), prefix_hash: reader.prefix_hash(), gen: input.gen };
            if live && !info.terminated {
                // The last line of a live file may still be being written. It is stored, but progress stops at
                // the start of its record: the next ingest reads it again, and what it has become replaces it
                // under the same id (it starts in that ingest's rewrite zone).
                end =
                    input.held().unwrap_or(Entry { offset: info.start, prefix_hash: info.prefix_hash, gen: input.gen });
            }
            if input.docs.len() + input.upserts.len() + input.replacements.len() >= BATCH_DOCS
                || input.metrics.len() >= BATCH_DOCS
            {
                // Progress stops before a record that may still get continuation lines: after a crash, the
                // next run starts at that record, and every record before it was committed with the progress.
                let entry = input.held().unwrap_or(end);
                self.flush(input, Some(entry))?;
                if self.stop.as_ref().is_some_and(|s| s.load(Ordering::Relaxed)) {
                    report.bytes = reader.offset() - start_offset;
                    return Ok(());
                }
            }
            if info.no.is_multiple_of(progress::EVERY_LINES) {
                if let Some(p) = &self.progress {
                    let position = input.position.as_ref().map_or(reader.offset(), |a| a.load(Ordering::Relaxed));
                    p.at(position, report.records());
                }
            }
        }
        if let Some(part) = input.partial.as_ref().filter(|_| live) {
            // A line the runtime split whose last part is not written yet: stored as it is, and read again, all
            // of it, by the next ingest, which replaces it.
            end = Entry { offset: part.start, prefix_hash: part.start_hash, gen: input.gen };
        }
        self.flush_partial(input, report);
        self.emit_pending(input, report);
        report.bytes = reader.offset() - start_offset;
        self.flush(input, Some(end))
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
        if let Some(env) = crate::sources::container::cri(&text, &self.opts.ts) {
            self.container_line(input, report, env, info, false);
            return;
        }
        if trimmed.starts_with('{') && !info.truncated {
            match serde_json::from_str::<Value>(trimmed) {
                Ok(Value::Object(mut m)) => {
                    if let Some(env) = crate::sources::container::docker(&mut m, &self.opts.ts) {
                        self.container_line(input, report, env, info, true);
                        return;
                    }
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
                    Ok(a) => self.push_signal(input, report, info.start, Signal::Alert(a)),
                    Err(e) => report.bad(info.no, e, false),
                }
            }
            input.formats[3] += 1;
            return;
        }
        let Value::Object(m) = v else { return };
        let r = self.json_record(input, m, info.start, 0);
        self.push_signal(input, report, info.start, Signal::Log(r));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_files_keep_their_service() {
        for (path, want) in [
            ("/var/log/app.log", "app"),
            ("/var/log/app.log.1", "app"),
            ("/var/log/app.log.2.gz", "app"),
            ("/var/log/apt/eipp.log.xz", "eipp"),
            ("syslog.3.zst", "syslog"),
            ("Payments.JSONL", "payments"),
            ("v1.2", "v1"),
            ("dump.1", "dump"),
            ("123", "123"),
        ] {
            assert_eq!(Ingestor::stem(Path::new(path)), want, "{path}");
        }
    }
}
