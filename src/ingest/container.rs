//! Container runtime lines (CRI, Docker json-file) into records: the runtime's wrapper is taken off, split
//! lines are joined, and what the container wrote is read like any other line (JSON, logfmt, text).

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{FileReport, Ingestor, Input, Pending, CRI, DOCKER};
use crate::model::{LogRecord, Signal};
use crate::sources::container::{Envelope, Stream, STREAM_ATTRIBUTE};
use crate::sources::lines::LineInfo;

/// The first parts of a line the runtime split, waiting for its last part.
pub(super) struct Partial {
    pub start: u64,
    pub start_hash: u64,
    time: Option<DateTime<Utc>>,
    stream: Stream,
    text: String,
    /// The parts outgrew the line limit; the rest was dropped.
    cut: bool,
}

impl Ingestor<'_> {
    /// One runtime line. `docker`: it came from Docker's json-file driver, else from a CRI runtime.
    pub(super) fn container_line(
        &mut self,
        input: &mut Input,
        report: &mut FileReport,
        env: Envelope<'_>,
        info: LineInfo,
        docker: bool,
    ) {
        input.formats[if docker { DOCKER } else { CRI }] += 1;
        if input.partial.as_ref().is_some_and(|p| p.stream != env.stream) {
            // The other stream's line cannot be the rest of this one.
            self.flush_partial(input, report);
        }
        let max = self.opts.max_line_bytes;
        let part = input.partial.get_or_insert_with(|| Partial {
            start: info.start,
            start_hash: info.prefix_hash,
            time: env.time,
            stream: env.stream,
            text: String::new(),
            cut: false,
        });
        if part.text.len() + env.message.len() <= max {
            part.text.push_str(&env.message);
        } else if !part.cut {
            part.cut = true;
            report.bad(info.no, format!("container line of more than {max} bytes, the rest was dropped"), true);
        }
        if env.partial {
            return;
        }
        let Some(part) = input.partial.take() else { return };
        self.container_message(input, report, part, env.attrs);
    }

    /// What is left of a split line at the end of the input: it is stored as it is.
    pub(super) fn flush_partial(&mut self, input: &mut Input, report: &mut FileReport) {
        if let Some(part) = input.partial.take() {
            self.emit_pending(input, report);
            self.container_message(input, report, part, serde_json::Map::new());
        }
    }

    /// The container's own line, read as JSON or text; the runtime's time dates it (it is exact and in UTC,
    /// where the line's own time may lack a zone), and its stream is an attribute.
    fn container_message(
        &mut self,
        input: &mut Input,
        report: &mut FileReport,
        part: Partial,
        attrs: serde_json::Map<String, Value>,
    ) {
        let message = part.text;
        let trimmed = message.trim_start();
        if trimmed.is_empty() {
            // A blank line, as in a plain file.
            return;
        }
        let json = match trimmed.starts_with('{') {
            true => serde_json::from_str::<serde_json::Map<String, Value>>(trimmed).ok(),
            false => None,
        };
        let stamp = |r: &mut LogRecord, input: &mut Input| {
            if let Some(t) = part.time {
                r.timestamp = t;
                r.attributes.remove("firewatch.time");
                input.last_time = Some(t);
            }
            for (k, v) in &attrs {
                r.attributes.entry(k.clone()).or_insert_with(|| v.clone());
            }
            r.attributes.insert(STREAM_ATTRIBUTE.into(), Value::String(part.stream.as_str().into()));
        };
        if let Some(obj) = json {
            self.emit_pending(input, report);
            let mut r = self.json_record(input, obj, part.start, 0);
            stamp(&mut r, input);
            self.push_signal(input, report, part.start, Signal::Log(r));
            return;
        }
        let (mut record, has_time) = self.text_record(input, &message, part.start);
        // A stack trace's lines each come in a line of their own: joined to their record as in a plain file.
        let is_continuation = !has_time && message.starts_with([' ', '\t']) && input.pending.is_some();
        if is_continuation {
            if let Some(p) = input.pending.as_mut() {
                if p.record.body.len() + message.len() < self.opts.max_line_bytes {
                    p.record.body.push('\n');
                    p.record.body.push_str(&message);
                }
            }
            return;
        }
        self.emit_pending(input, report);
        stamp(&mut record, input);
        input.pending = Some(Pending { start: part.start, start_hash: part.start_hash, record });
    }
}
