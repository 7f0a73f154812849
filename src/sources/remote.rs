//! What `search --remote` pushes down to a log backend (Loki, Elasticsearch/OpenSearch):
//! the conjunctive part of the search language that every backend can express.

use chrono::{DateTime, Utc};

use crate::model::Severity;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RemoteQuery {
    /// Words that must all appear in the message (case-insensitive).
    pub words: Vec<String>,
    /// Exact phrases that must all appear.
    pub phrases: Vec<String>,
    /// Words or phrases that must not appear.
    pub exclude: Vec<String>,
    pub service: Option<String>,
    /// At least this severity; applied after fetching where the backend cannot filter on it.
    pub min_severity: Option<Severity>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Newest first, at most this many.
    pub limit: usize,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RemoteQueryError {
    #[error("remote search: unterminated quote")]
    Quote,
    #[error(
        "remote search: {0} is not supported by remote backends (use words, \"phrases\", -word, service:, level:)"
    )]
    Unsupported(String),
    #[error("remote search: unknown severity '{0}'")]
    Severity(String),
}

impl RemoteQuery {
    /// Parses the subset of the search language a backend can run: words, "phrases",
    /// `-word`/`-"phrase"`, `service:`, `level:`/`severity:` (as a minimum), all ANDed.
    pub fn parse(text: &str, limit: usize) -> Result<Self, RemoteQueryError> {
        let mut q = RemoteQuery { limit, ..Default::default() };
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i].is_whitespace() {
                i += 1;
                continue;
            }
            let negated = chars[i] == '-' && i + 1 < chars.len() && !chars[i + 1].is_whitespace();
            if negated {
                i += 1;
            }
            let (tok, quoted) = if chars[i] == '"' {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(RemoteQueryError::Quote),
                        Some('"') => break,
                        Some('\\') if i + 1 < chars.len() => {
                            s.push(chars[i + 1]);
                            i += 1;
                        }
                        Some(c) => s.push(*c),
                    }
                    i += 1;
                }
                i += 1;
                (s, true)
            } else {
                let start = i;
                while i < chars.len() && !chars[i].is_whitespace() {
                    i += 1;
                }
                (chars[start..i].iter().collect::<String>(), false)
            };
            if tok.is_empty() {
                continue;
            }
            if !quoted {
                if matches!(tok.as_str(), "AND" | "OR" | "NOT") || tok.contains(['(', ')']) {
                    if tok == "AND" {
                        continue;
                    }
                    return Err(RemoteQueryError::Unsupported(tok));
                }
                if tok.ends_with('*') {
                    return Err(RemoteQueryError::Unsupported(tok));
                }
                if let Some((field, value)) = tok.split_once(':') {
                    match field.to_ascii_lowercase().as_str() {
                        "service" if !negated => {
                            q.service = Some(value.trim_matches('"').to_lowercase());
                            continue;
                        }
                        "level" | "severity" if !negated => {
                            let v = value.trim_start_matches(">=");
                            let s = Severity::parse(v).ok_or_else(|| RemoteQueryError::Severity(v.to_string()))?;
                            q.min_severity = Some(s);
                            continue;
                        }
                        "service" | "level" | "severity" | "region" | "host" | "trace_id" | "trace" | "span_id"
                        | "kind" | "id" => return Err(RemoteQueryError::Unsupported(tok)),
                        // `http://x` and `a:b` in log text are plain words.
                        _ => {}
                    }
                }
            }
            match (negated, quoted) {
                (true, _) => q.exclude.push(tok),
                (false, true) => q.phrases.push(tok),
                (false, false) => q.words.push(tok),
            }
        }
        Ok(q)
    }

    /// Every word and phrase, for client-side checks and highlighting.
    pub fn terms(&self) -> impl Iterator<Item = &str> {
        self.words.iter().chain(&self.phrases).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_pushable_subset() {
        let q =
            RemoteQuery::parse(r#"timeout "connection reset" -healthcheck service:Checkout level:warn"#, 50).unwrap();
        assert_eq!(q.words, ["timeout"]);
        assert_eq!(q.phrases, ["connection reset"]);
        assert_eq!(q.exclude, ["healthcheck"]);
        assert_eq!(q.service.as_deref(), Some("checkout"));
        assert_eq!(q.min_severity, Some(Severity::Warn));
        assert_eq!(q.limit, 50);
        assert!(matches!(RemoteQuery::parse("a OR b", 1), Err(RemoteQueryError::Unsupported(_))));
        assert_eq!(RemoteQuery::parse("\"open", 1), Err(RemoteQueryError::Quote));
        assert_eq!(RemoteQuery::parse("GET http://x/y", 1).unwrap().words, ["GET", "http://x/y"]);
    }
}
