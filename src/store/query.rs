//! The search language: words, "phrases", AND / OR / NOT (and `-word`), parentheses,
//! `field:value` for service, severity (or level), region, host, trace_id, span_id,
//! kind and id, `level:>=warn`, `word*` prefixes, and `dotted.attribute:value` (or `key:value`) for any
//! record or resource attribute. Words next to each other must all match.

use std::ops::Bound;

use tantivy::query::{
    AllQuery, BooleanQuery, EmptyQuery, EmptyScorer, EnableScoring, Explanation, Occur, PhrasePrefixQuery, PhraseQuery,
    Query, RangeQuery, RegexQuery, Scorer, TermQuery, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, SeekDangerResult, SegmentReader, Term};

use super::schema::Fields;
use super::tokenizer::{self, chunks, compound_text, words};
use crate::model::{RecordId, Severity};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum QueryError {
    #[error("query: unbalanced parenthesis")]
    Parens,
    #[error("query: unterminated quote")]
    Quote,
    #[error("query: {0} needs something after it")]
    Dangling(String),
    #[error("query: unknown severity '{0}' (use trace, debug, info, warn, error or fatal)")]
    Severity(String),
    #[error("query: bad pattern '{0}'")]
    Pattern(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Term { field: Option<String>, text: String, phrase: bool },
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    All,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    And,
    Or,
    Not,
    Word { field: Option<String>, text: String, phrase: bool },
}

const KNOWN_FIELDS: &[&str] =
    &["service", "severity", "level", "region", "host", "trace_id", "trace", "span_id", "kind", "id", "body"];

fn field_prefix(word: &str) -> Option<(String, &str)> {
    let (name, rest) = word.split_once(':')?;
    let lname = name.to_ascii_lowercase();
    let is_ident = !name.is_empty()
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if is_ident && (KNOWN_FIELDS.contains(&lname.as_str()) || name.contains('.')) {
        Some((lname, rest))
    } else {
        None
    }
}

/// `key:value` with an identifier key that is neither a known field nor dotted (those are fields for sure).
fn loose_attribute(word: &str) -> Option<(String, &str)> {
    let (name, value) = word.split_once(':')?;
    let is_ident = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
    (is_ident && !value.is_empty()).then(|| (name.to_ascii_lowercase(), value))
}

fn lex(input: &str) -> Result<Vec<Tok>, QueryError> {
    let mut out = Vec::new();
    let chars: Vec<char> = input.chars().collect();
    let mut i = 0;
    let read_quoted = |i: &mut usize| -> Result<String, QueryError> {
        let mut s = String::new();
        *i += 1;
        while *i < chars.len() {
            match chars[*i] {
                '\\' if *i + 1 < chars.len() => {
                    s.push(chars[*i + 1]);
                    *i += 2;
                }
                '"' => {
                    *i += 1;
                    return Ok(s);
                }
                c => {
                    s.push(c);
                    *i += 1;
                }
            }
        }
        Err(QueryError::Quote)
    };
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push(Tok::Open);
            i += 1;
        } else if c == ')' {
            out.push(Tok::Close);
            i += 1;
        } else if c == '"' {
            let text = read_quoted(&mut i)?;
            out.push(Tok::Word { field: None, text, phrase: true });
        } else if (c == '-' || c == '!') && i + 1 < chars.len() && !chars[i + 1].is_whitespace() {
            out.push(Tok::Not);
            i += 1;
        } else if c == '+' && i + 1 < chars.len() && !chars[i + 1].is_whitespace() {
            i += 1;
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '(' && chars[i] != ')' {
                if chars[i] == ':' && i + 1 < chars.len() && chars[i + 1] == '"' {
                    break;
                }
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if i < chars.len() && chars[i] == ':' {
                // field:"quoted value"
                i += 1;
                let name = word.to_ascii_lowercase();
                let text = read_quoted(&mut i)?;
                out.push(Tok::Word { field: Some(name), text, phrase: true });
                continue;
            }
            match word.as_str() {
                "AND" | "&&" => out.push(Tok::And),
                "OR" | "||" => out.push(Tok::Or),
                "NOT" => out.push(Tok::Not),
                _ => match field_prefix(&word) {
                    Some((field, rest)) if !rest.is_empty() => {
                        out.push(Tok::Word { field: Some(field), text: rest.to_string(), phrase: false })
                    }
                    _ => out.push(Tok::Word { field: None, text: word, phrase: false }),
                },
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn or(&mut self) -> Result<Node, QueryError> {
        let mut alts = vec![self.and()?];
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            if self.peek().is_none() {
                return Err(QueryError::Dangling("OR".into()));
            }
            alts.push(self.and()?);
        }
        Ok(if alts.len() == 1 { alts.remove(0) } else { Node::Or(alts) })
    }

    fn and(&mut self) -> Result<Node, QueryError> {
        let mut parts = Vec::new();
        loop {
            match self.peek() {
                None | Some(Tok::Close) | Some(Tok::Or) => break,
                Some(Tok::And) => {
                    self.pos += 1;
                    if matches!(self.peek(), None | Some(Tok::Close) | Some(Tok::Or)) {
                        return Err(QueryError::Dangling("AND".into()));
                    }
                }
                _ => parts.push(self.unary()?),
            }
        }
        Ok(match parts.len() {
            0 => Node::All,
            1 => parts.remove(0),
            _ => Node::And(parts),
        })
    }

    fn unary(&mut self) -> Result<Node, QueryError> {
        match self.peek().cloned() {
            Some(Tok::Not) => {
                self.pos += 1;
                if matches!(self.peek(), None | Some(Tok::Close) | Some(Tok::Or) | Some(Tok::And)) {
                    return Err(QueryError::Dangling("NOT".into()));
                }
                Ok(Node::Not(Box::new(self.unary()?)))
            }
            Some(Tok::Open) => {
                self.pos += 1;
                let inner = self.or()?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(QueryError::Parens);
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(Tok::Word { field, text, phrase }) => {
                self.pos += 1;
                Ok(Node::Term { field, text, phrase })
            }
            Some(Tok::Close) => Err(QueryError::Parens),
            Some(Tok::And) | Some(Tok::Or) | None => Ok(Node::All),
        }
    }
}

pub fn parse(input: &str) -> Result<Node, QueryError> {
    let trimmed = input.trim();
    if trimmed.is_empty() || trimmed == "*" {
        return Ok(Node::All);
    }
    let mut p = Parser { toks: lex(trimmed)?, pos: 0 };
    let node = p.or()?;
    if p.pos != p.toks.len() {
        return Err(QueryError::Parens);
    }
    Ok(node)
}

/// Body words and phrases the query looks for, lowercased, for highlighting.
pub fn highlight_terms(node: &Node) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(n: &Node, out: &mut Vec<String>) {
        match n {
            Node::Term { field, text, .. } if field.as_deref().is_none_or(|f| f == "body") => {
                let t = text.trim_end_matches('*').to_lowercase();
                if !t.is_empty() {
                    out.push(t);
                }
            }
            Node::And(v) | Node::Or(v) => v.iter().for_each(|c| walk(c, out)),
            _ => {}
        }
    }
    walk(node, &mut out);
    out
}

/// Turns the tree into a Tantivy query.
pub fn build(node: &Node, f: &Fields) -> Result<Box<dyn Query>, QueryError> {
    Ok(match node {
        Node::All => Box::new(AllQuery),
        Node::Term { field, text, phrase } => term_query(field.as_deref(), text, *phrase, f)?,
        Node::And(parts) => {
            let mut clauses = Vec::new();
            let mut positive = false;
            for p in parts {
                match p {
                    Node::Not(inner) => clauses.push((Occur::MustNot, excluded(build(inner, f)?))),
                    other => {
                        positive = true;
                        clauses.push((Occur::Must, build(other, f)?))
                    }
                }
            }
            if !positive {
                clauses.push((Occur::Must, Box::new(AllQuery)));
            }
            Box::new(BooleanQuery::new(clauses))
        }
        Node::Or(alts) => {
            let clauses = alts.iter().map(|a| Ok((Occur::Should, build(a, f)?))).collect::<Result<_, _>>()?;
            Box::new(BooleanQuery::new(clauses))
        }
        Node::Not(inner) => Box::new(BooleanQuery::new(vec![
            (Occur::Must, Box::new(AllQuery)),
            (Occur::MustNot, excluded(build(inner, f)?)),
        ])),
    })
}

/// The query of a `NOT` clause. Tantivy 0.27 asks an excluded clause whether it holds a document (`seek_danger`)
/// that may lie before the one the clause is positioned on, which its phrase scorer debug-asserts never happens
/// (quickwit-oss/tantivy#2811): `NOT "disk full"` panicked in debug builds. The answer is known without asking the
/// clause: nothing between the last question and its current document, as `DocSet::seek_danger`'s default says.
fn excluded(q: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(Excluded(q))
}

#[derive(Debug)]
struct Excluded(Box<dyn Query>);

impl Clone for Excluded {
    fn clone(&self) -> Self {
        Excluded(self.0.box_clone())
    }
}

impl Query for Excluded {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(ExcludedWeight(self.0.weight(scoring)?)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor);
    }
}

struct ExcludedWeight(Box<dyn Weight>);

impl Weight for ExcludedWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(ExcludedScorer(self.0.scorer(reader, boost)?)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }
}

struct ExcludedScorer(Box<dyn Scorer>);

impl DocSet for ExcludedScorer {
    fn advance(&mut self) -> DocId {
        self.0.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        let doc = self.0.doc();
        if target <= doc {
            return doc;
        }
        self.0.seek(target)
    }

    fn seek_danger(&mut self, target: DocId) -> SeekDangerResult {
        // A scorer never stands past a match it has not reported, so nothing lies in target..doc.
        let doc = self.0.doc();
        if target < doc {
            return SeekDangerResult::SeekLowerBound(doc);
        }
        self.0.seek_danger(target)
    }

    fn doc(&self) -> DocId {
        self.0.doc()
    }

    fn size_hint(&self) -> u32 {
        self.0.size_hint()
    }

    fn cost(&self) -> u64 {
        self.0.cost()
    }
}

impl Scorer for ExcludedScorer {
    fn score(&mut self) -> Score {
        self.0.score()
    }
}

fn raw_term(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
}

fn prefix_query(field: Field, prefix: &str) -> Result<Box<dyn Query>, QueryError> {
    let pattern = format!("{}.*", regex_escape(prefix));
    RegexQuery::from_pattern(&pattern, field)
        .map(|q| Box::new(q) as Box<dyn Query>)
        .map_err(|_| QueryError::Pattern(prefix.into()))
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn term_query(field: Option<&str>, text: &str, phrase: bool, f: &Fields) -> Result<Box<dyn Query>, QueryError> {
    let lower = text.to_lowercase();
    let raw = |fld: Field| -> Result<Box<dyn Query>, QueryError> {
        match lower.strip_suffix('*') {
            Some(p) if !phrase => prefix_query(fld, p),
            _ => Ok(raw_term(fld, &lower)),
        }
    };
    match field {
        // A bare word is looked for in the body and in the record's attribute values and ids.
        None => {
            let mut alts = vec![(Occur::Should, text_query(f.text, None, text, phrase)?)];
            // `customer:c-981`: an attribute without a dot in its name reads the same as a word with a colon in
            // it (`db:5432`, `ERROR:x`), so it is looked for both ways.
            if let Some((key, value)) = loose_attribute(text).filter(|_| !phrase) {
                alts.push((Occur::Should, text_query(f.text, Some(&key), value, false)?));
            }
            // A bare trace or span id finds the records that carry it.
            if !phrase && (16..=32).contains(&text.len()) && text.chars().all(|c| c.is_ascii_hexdigit()) {
                alts.push((Occur::Should, raw_term(f.trace_id, &lower)));
                alts.push((Occur::Should, raw_term(f.span_id, &lower)));
            }
            Ok(Box::new(BooleanQuery::new(alts)))
        }
        Some("body") => text_query(f.text, None, text, phrase),
        Some("service") | Some("service.name") => raw(f.service),
        Some("region") | Some("cloud.region") => raw(f.region),
        Some("host") | Some("host.name") => raw(f.host),
        Some("kind") => raw(f.kind),
        Some("id") => Ok(id_query(f, &lower, phrase)),
        Some("trace_id") | Some("trace") => raw(f.trace_id),
        Some("span_id") => raw(f.span_id),
        Some("severity") | Some("level") => severity_query(f, &lower),
        // Record and resource attributes: the `@key` token followed by the value.
        Some(attr) => text_query(f.text, Some(attr), text, phrase),
    }
}

/// The record with this id, from the id columns.
pub fn id_is(f: &Fields, id: RecordId) -> Box<dyn Query> {
    id_range(f, id.0, id.0)
}

/// Records whose id lies in `low..=high`, for ranges that one high half holds or that cover whole high halves.
fn id_range(f: &Fields, low: u128, high: u128) -> Box<dyn Query> {
    let half = |field: Field, a: u64, b: u64| -> Box<dyn Query> {
        Box::new(RangeQuery::new(
            Bound::Included(Term::from_field_u64(field, a)),
            Bound::Included(Term::from_field_u64(field, b)),
        ))
    };
    let hi_lo = |v: u128| ((v >> 64) as u64, v as u64);
    let ((hi_a, lo_a), (hi_b, lo_b)) = (hi_lo(low), hi_lo(high));
    let mut clauses = vec![(Occur::Must, half(f.id_hi, hi_a, hi_b))];
    if (lo_a, lo_b) != (0, u64::MAX) {
        clauses.push((Occur::Must, half(f.id_lo, lo_a, lo_b)));
    }
    Box::new(BooleanQuery::new(clauses))
}

/// `id:` against the id columns: 32 hex digits, or a prefix of them and `*`, as the ids are written; anything else
/// is no id.
fn id_query(f: &Fields, text: &str, phrase: bool) -> Box<dyn Query> {
    let hex = |s: &str| s.len() <= 32 && s.bytes().all(|b| b.is_ascii_hexdigit());
    let value = |s: &str| if s.is_empty() { Some(0) } else { u128::from_str_radix(s, 16).ok() };
    match text.strip_suffix('*').filter(|p| !phrase && hex(p)) {
        Some(prefix) => {
            // The digits after the prefix take every value: a range of the ids that start with it.
            let free = 4 * (32 - prefix.len()) as u32;
            let low = value(prefix).unwrap_or(0).checked_shl(free).unwrap_or(0);
            let rest = if free == 0 { 0 } else { u128::MAX >> (128 - free) };
            id_range(f, low, low | rest)
        }
        None => match value(text).filter(|_| text.len() == 32 && hex(text)) {
            Some(v) => id_is(f, RecordId(v)),
            None => Box::new(EmptyQuery),
        },
    }
}

fn severity_query(f: &Fields, value: &str) -> Result<Box<dyn Query>, QueryError> {
    let (op, word) = if let Some(w) = value.strip_prefix(">=") {
        (">=", w)
    } else if let Some(w) = value.strip_suffix('+') {
        (">=", w)
    } else if let Some(w) = value.strip_prefix('>') {
        (">", w)
    } else {
        ("=", value)
    };
    let sev = Severity::parse(word).ok_or_else(|| QueryError::Severity(word.to_string()))?;
    Ok(match op {
        "=" => raw_term(f.severity, sev.as_str()),
        ">=" => Box::new(RangeQuery::new(
            Bound::Included(Term::from_field_u64(f.severity_number, sev.number())),
            Bound::Unbounded,
        )),
        _ => Box::new(RangeQuery::new(
            Bound::Included(Term::from_field_u64(f.severity_number, sev.number() + 4)),
            Bound::Unbounded,
        )),
    })
}

fn mk_term(field: Field, token: &str) -> Term {
    Term::from_field_text(field, token)
}

/// A word, identifier or phrase against the body (or an attribute path).
fn text_query(field: Field, path: Option<&str>, text: &str, phrase: bool) -> Result<Box<dyn Query>, QueryError> {
    // Prefix search on a single word.
    if !phrase {
        if let Some(p) = text.strip_suffix('*') {
            if p.chars().all(char::is_alphanumeric) && !p.is_empty() {
                let p = p.to_lowercase();
                return match path {
                    None => prefix_query(field, &p),
                    Some(key) => Ok(Box::new(PhrasePrefixQuery::new_with_offset(vec![
                        (0, mk_term(field, &tokenizer::key_token(key))),
                        (1, mk_term(field, &p)),
                    ]))),
                };
            }
        }
    }
    // `exact`: every word at its position, which finds what a word-bounded grep finds.
    // `fast`: the same with each multi-word chunk replaced by its whole-identifier token:
    // one short posting list instead of a phrase over common digits. The two are OR-ed: the fast one for speed, the exact one so that an id
    // glued to more text (`[/10.0.0.1:3888:Listener]`) is still found.
    let mut exact: Vec<(usize, Term)> = Vec::new();
    let mut fast: Vec<(usize, Term)> = Vec::new();
    let mut substituted = false;
    let mut position = 0usize;
    if let Some(key) = path {
        let k = mk_term(field, &tokenizer::key_token(key));
        exact.push((0, k.clone()));
        fast.push((0, k));
        position = 1;
    }
    // A whole dotted run (an address) is always indexed as one token: nothing else needed.
    if !phrase && tokenizer::is_dotted(text) && text.split('.').nth(1).is_some() {
        fast.push((position, mk_term(field, &compound_text(text))));
        return Ok(match fast.len() {
            1 => Box::new(TermQuery::new(fast.remove(0).1, IndexRecordOption::Basic)),
            _ => Box::new(PhraseQuery::new_with_offset(fast)),
        });
    }
    // A word that is an id: its term is looked up first, and a segment without it is skipped at once.
    let mut rare: Option<Term> = None;
    for chunk in chunks(text) {
        let ws: Vec<(usize, usize)> = words(text, chunk).collect();
        if ws.is_empty() {
            continue;
        }
        let mut chunk_words = Vec::new();
        for (i, (a, b)) in ws.iter().enumerate() {
            if b - a <= tokenizer::MAX_WORD {
                let term = mk_term(field, &compound_text(&text[*a..*b]));
                if rare.is_none() && tokenizer::is_rare_word(&text[*a..*b]) {
                    rare = Some(term.clone());
                }
                chunk_words.push((position + i, term));
            }
        }
        let compound = compound_text(&text[chunk.from..chunk.to]);
        // The index has no whole token for a chunk with an id in it (see `tokenizer::needs_compound`).
        let whole =
            (ws.len() > 1 && compound.len() <= tokenizer::MAX_COMPOUND && tokenizer::needs_compound(text, chunk))
                .then(|| mk_term(field, &compound));
        match whole {
            Some(t) => {
                fast.push((position, t));
                substituted = true;
            }
            None => fast.extend(chunk_words.iter().cloned()),
        }
        exact.extend(chunk_words);
        position += ws.len();
    }
    let to_query = |mut terms: Vec<(usize, Term)>| -> Box<dyn Query> {
        match terms.len() {
            0 => Box::new(EmptyQuery),
            1 => Box::new(TermQuery::new(terms.remove(0).1, IndexRecordOption::Basic)),
            _ => Box::new(PhraseQuery::new_with_offset(terms)),
        }
    };
    let q = if substituted {
        Box::new(BooleanQuery::new(vec![(Occur::Should, to_query(fast)), (Occur::Should, to_query(exact))]))
    } else {
        to_query(exact)
    };
    Ok(match rare {
        Some(term) => Box::new(Needs { term, inner: q }),
        None => q,
    })
}

/// `inner`, in the segments whose dictionary holds `term` (a word every match of `inner` has): a search for
/// an id reads one term per segment instead of every word of its phrase.
#[derive(Debug)]
struct Needs {
    term: Term,
    inner: Box<dyn Query>,
}

impl Clone for Needs {
    fn clone(&self) -> Self {
        Needs { term: self.term.clone(), inner: self.inner.box_clone() }
    }
}

impl Query for Needs {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(NeedsWeight { term: self.term.clone(), inner: self.inner.weight(scoring)? }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

struct NeedsWeight {
    term: Term,
    inner: Box<dyn Weight>,
}

impl Weight for NeedsWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        if reader.inverted_index(self.term.field())?.get_term_info(&self.term)?.is_none() {
            return Ok(Box::new(EmptyScorer));
        }
        self.inner.scorer(reader, boost)
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.inner.explain(reader, doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(field: Option<&str>, text: &str, phrase: bool) -> Node {
        Node::Term { field: field.map(str::to_string), text: text.into(), phrase }
    }

    #[test]
    fn parses_operators_fields_and_phrases() {
        assert_eq!(parse("").unwrap(), Node::All);
        assert_eq!(
            parse("error service:checkout").unwrap(),
            Node::And(vec![t(None, "error", false), t(Some("service"), "checkout", false)])
        );
        assert_eq!(
            parse("timeout OR refused").unwrap(),
            Node::Or(vec![t(None, "timeout", false), t(None, "refused", false)])
        );
        assert_eq!(
            parse("\"connection refused\" -level:debug").unwrap(),
            Node::And(vec![t(None, "connection refused", true), Node::Not(Box::new(t(Some("level"), "debug", false)))])
        );
        assert_eq!(
            parse("(a OR b) AND NOT c").unwrap(),
            Node::And(vec![
                Node::Or(vec![t(None, "a", false), t(None, "b", false)]),
                Node::Not(Box::new(t(None, "c", false)))
            ])
        );
        assert_eq!(parse("http.route:\"/api/v1\"").unwrap(), t(Some("http.route"), "/api/v1", true));
        // An address with a port or a URL is a word, not a field.
        assert_eq!(parse("10.0.0.1:8080").unwrap(), t(None, "10.0.0.1:8080", false));
        assert_eq!(parse("https://x.io/a").unwrap(), t(None, "https://x.io/a", false));
    }

    #[test]
    fn reports_bad_queries() {
        assert_eq!(parse("(a OR b"), Err(QueryError::Parens));
        assert_eq!(parse("a)"), Err(QueryError::Parens));
        assert_eq!(parse("\"open"), Err(QueryError::Quote));
        assert_eq!(parse("a OR"), Err(QueryError::Dangling("OR".into())));
    }
}
