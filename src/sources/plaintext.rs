//! Plain-text log lines: timestamp, level, and for syslog the host and program.

use chrono::{DateTime, Utc};

use super::timestamp::{self, Found, TsContext};
use crate::model::Severity;

#[derive(Debug, Clone, PartialEq)]
pub struct TextLine {
    pub time: Option<DateTime<Utc>>,
    pub severity: Severity,
    pub service: Option<String>,
    pub host: Option<String>,
    /// Byte range of the timestamp in the line.
    pub time_span: Option<(usize, usize)>,
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
        TextLine { time: found.map(|f| f.time), severity, service, host, time_span: found.map(|f| (f.start, f.end)) }
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
}
