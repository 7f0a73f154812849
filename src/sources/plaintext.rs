//! Plain-text log lines: timestamp, level, for syslog the host and program, and logfmt pairs.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::timestamp::{self, Found, TsContext};
use super::{jsonlog, logfmt};
use crate::model::Severity;

#[derive(Debug, Clone, PartialEq)]
pub struct TextLine {
    pub time: Option<DateTime<Utc>>,
    pub severity: Severity,
    pub service: Option<String>,
    pub host: Option<String>,
    /// Byte range of the timestamp in the line (`None` when `body` replaces the line).
    pub time_span: Option<(usize, usize)>,
    /// logfmt `key=value` pairs, without those that gave the time, level or body.
    pub attributes: Map<String, Value>,
    /// The record's body when it is not the line: a logfmt record's `msg`.
    pub body: Option<String>,
}

/// Per-file state: which timestamp shape matched last, tried first on the next line.
#[derive(Debug, Default)]
pub struct TextParser {
    hint: Option<usize>,
}

const SYSLOG: usize = 2;
const LOGCAT: usize = 7;

fn level_word(tok: &str, logcat: bool) -> Option<Severity> {
    let t = tok.trim_matches(|c: char| matches!(c, '[' | ']' | ':' | ',' | '<' | '>' | '(' | ')'));
    if t.is_empty() {
        return None;
    }
    if let Some((k, v)) = t.split_once('=') {
        if matches!(k.to_ascii_lowercase().as_str(), "level" | "lvl" | "severity" | "loglevel") {
            return Severity::parse(v.trim_matches('"'));
        }
        return None;
    }
    if t.len() == 1 {
        return if logcat { Severity::parse(t) } else { None };
    }
    // Upper-case level words, Title-case ones (Windows CBS), or lower-case ones in
    // brackets (Apache `[error]`): plain lower-case words are prose, not levels.
    let upper = t.chars().all(|c| c.is_ascii_uppercase());
    let title =
        t.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && t[1..].chars().all(|c| c.is_ascii_lowercase());
    let bracketed = tok.starts_with('[') && tok.ends_with(']');
    if upper || title || bracketed {
        let s = Severity::parse(t)?;
        // `I` and `E` are too short to be levels outside logcat; `Ok`/`Alert` as prose are not levels either.
        if matches!(t.to_ascii_lowercase().as_str(), "ok" | "alert" | "fail" | "failed" | "config" | "fine") && !upper {
            return None;
        }
        return Some(s);
    }
    None
}

impl TextParser {
    pub fn parse(&mut self, ctx: &TsContext, line: &str) -> TextLine {
        let found: Option<Found> = timestamp::find(ctx, line, &mut self.hint);
        let rest = found.map_or(line, |f| line.get(f.end..).unwrap_or(""));
        let logcat = self.hint == Some(LOGCAT);
        let severity =
            rest.split_ascii_whitespace().take(8).find_map(|t| level_word(t, logcat)).unwrap_or(Severity::Unspecified);
        let (mut service, mut host) = (None, None);
        let syslogish = self.hint == Some(SYSLOG) || line.starts_with('<');
        if found.is_some() && syslogish {
            let mut it = rest.split_ascii_whitespace();
            if let (Some(h), Some(prog)) = (it.next(), it.next()) {
                if prog.ends_with(':') || prog.contains('[') {
                    let name: String =
                        prog.chars().take_while(|c| !matches!(c, '[' | '(' | ':')).collect::<String>().to_lowercase();
                    if !name.is_empty() {
                        host = Some(h.to_lowercase());
                        service = Some(name);
                    }
                }
            }
        }
        let mut t = TextLine {
            time: found.map(|f| f.time),
            severity,
            service,
            host,
            time_span: found.map(|f| (f.start, f.end)),
            attributes: Map::new(),
            body: None,
        };
        // Pairs after the time header, or anywhere in a line without one.
        if memchr::memchr(b'=', rest.as_bytes()).is_some() {
            let record = found.is_none_or(|f| f.start == 0);
            pairs_into(ctx, logfmt::parse(rest), record, &mut t);
        }
        t
    }
}

const LOGFMT_TIME: &[&str] = &["ts", "time", "timestamp", "t"];
const LOGFMT_LEVEL: &[&str] = &["level", "lvl", "severity", "loglevel"];
const LOGFMT_MESSAGE: &[&str] = &["msg", "message"];

/// Adds logfmt pairs to `t`. When the pairs are all there is after the header (`record`, `whole`), the line is
/// a logfmt record: its `ts`, `level` and `msg` are the record's time (if the header gave none), severity and
/// body. In prose, pairs only become attributes.
fn pairs_into(ctx: &TsContext, p: logfmt::Pairs<'_>, record: bool, t: &mut TextLine) {
    let record = record && p.whole && p.pairs.len() >= 2;
    for (key, value) in p.pairs {
        if record {
            let is = |names: &[&str]| names.iter().any(|n| key.eq_ignore_ascii_case(n));
            if is(LOGFMT_TIME) && t.time.is_none() {
                if let Some(time) = jsonlog::parse_time(&Value::String(value.to_string()), ctx) {
                    t.time = Some(time);
                    continue;
                }
            } else if is(LOGFMT_LEVEL) {
                if let Some(s) = Severity::parse(&value) {
                    t.severity = s;
                    continue;
                }
            } else if is(LOGFMT_MESSAGE) && t.body.is_none() {
                t.body = Some(value.into_owned());
                t.time_span = None;
                continue;
            }
        }
        // A repeated key keeps its first value, as the first is what a reader of the line sees first.
        t.attributes.entry(key.to_string()).or_insert_with(|| Value::String(value.into_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn p(line: &str) -> TextLine {
        let ctx = TsContext::utc(Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap());
        TextParser::default().parse(&ctx, line)
    }

    #[test]
    fn levels_hosts_and_programs() {
        assert_eq!(p("081109 203615 148 INFO dfs.DataNode: x").severity, Severity::Info);
        assert_eq!(p("2015-07-29 17:41:44,747 - WARN  [Quorum] - x").severity, Severity::Warn);
        assert_eq!(p("[Sun Dec 04 04:47:44 2005] [error] mod_jk child").severity, Severity::Error);
        assert_eq!(p("2016-09-28 04:30:30, Info CBS x").severity, Severity::Info);
        assert_eq!(p("03-17 16:13:38.811  1702  2395 E WindowManager: x").severity, Severity::Error);
        assert_eq!(p("ts=now level=warn msg=slow").severity, Severity::Warn);
        assert_eq!(p("2026-11-20T10:00:00Z the operation failed with error").severity, Severity::Unspecified);
        let s = p("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster");
        assert_eq!((s.host.as_deref(), s.service.as_deref()), (Some("labsz"), Some("sshd")));
        let s = p("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure");
        assert_eq!(s.service.as_deref(), Some("sshd"));
    }

    #[test]
    fn logfmt_records_and_pairs_in_prose() {
        let attr = |t: &TextLine, k: &str| t.attributes.get(k).and_then(Value::as_str).map(str::to_string);
        let t = p(r#"ts=2026-11-20T10:00:00.5Z level=error msg="payment declined" order.id=ord-42 dur=3ms"#);
        assert_eq!(t.time.map(|t| t.to_rfc3339()), Some("2026-11-20T10:00:00.500+00:00".into()));
        assert_eq!((t.severity, t.body.as_deref(), t.time_span), (Severity::Error, Some("payment declined"), None));
        assert_eq!((attr(&t, "order.id"), attr(&t, "dur")), (Some("ord-42".into()), Some("3ms".into())));
        assert_eq!(t.attributes.len(), 2, "{:?}", t.attributes);
        // A header time stays the time; the pairs after it are still a record.
        let t = p("2026-11-20T10:00:00Z level=info msg=started ts=2020-01-01T00:00:00Z port=8080");
        assert_eq!(t.time.map(|t| t.to_rfc3339()), Some("2026-11-20T10:00:00+00:00".into()));
        assert_eq!(
            (t.body.as_deref(), attr(&t, "ts"), attr(&t, "port")),
            (Some("started"), Some("2020-01-01T00:00:00Z".into()), Some("8080".into()))
        );
        // Prose keeps its body; its pairs are attributes.
        let t = p("2026-11-20T10:00:00Z ERROR login failed for user=bob from=10.0.0.7 msg=denied");
        assert_eq!(
            (t.severity, t.body.as_deref(), attr(&t, "user"), attr(&t, "msg")),
            (Severity::Error, None, Some("bob".into()), Some("denied".into()))
        );
        assert!(t.time_span.is_some());
        // A level that is not one, and a time that is not one, stay attributes.
        let t = p("level=loud ts=soon msg=x");
        assert_eq!(
            (t.severity, t.time, attr(&t, "level"), attr(&t, "ts")),
            (Severity::Unspecified, None, Some("loud".into()), Some("soon".into()))
        );
        assert!(p("2026-11-20T10:00:00Z INFO nothing to see").attributes.is_empty());
    }
}
