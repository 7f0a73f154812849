//! Newest-first search that stops early.
//!
//! Segments are visited from the newest (by their largest timestamp) to the oldest; as
//! soon as the `limit` newest hits so far are all newer than everything a segment can
//! hold, the remaining segments are skipped without decoding their postings.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::ops::Bound;

use chrono::{DateTime, Utc};
use tantivy::collector::Count;
use tantivy::query::{BooleanQuery, EnableScoring, Occur, Query, RangeQuery};
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};

use super::docs::{hit_from_doc, Hit};
use super::query::{self, Node};
use super::schema::Fields;
use super::Result;

#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub query: String,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub limit: usize,
}

#[derive(Debug, Clone)]
pub struct SearchResult {
    pub hits: Vec<Hit>,
    /// Lowercased words and phrases of the query, for highlighting.
    pub highlights: Vec<String>,
    /// Segments whose postings were read, out of all segments.
    pub segments_searched: usize,
    pub segments_total: usize,
}

fn tdate(t: DateTime<Utc>) -> tantivy::DateTime {
    tantivy::DateTime::from_timestamp_nanos(t.timestamp_nanos_opt().unwrap_or(i64::MAX))
}

fn compile(f: &Fields, req: &SearchRequest) -> Result<(Box<dyn Query>, Node)> {
    let node = query::parse(&req.query)?;
    let mut q = query::build(&node, f)?;
    if req.since.is_some() || req.until.is_some() {
        let lo = req.since.map_or(Bound::Unbounded, |t| Bound::Included(Term::from_field_date(f.timestamp, tdate(t))));
        let hi = req.until.map_or(Bound::Unbounded, |t| Bound::Included(Term::from_field_date(f.timestamp, tdate(t))));
        q = Box::new(BooleanQuery::new(vec![(Occur::Must, q), (Occur::Must, Box::new(RangeQuery::new(lo, hi)))]));
    }
    Ok((q, node))
}

pub fn search(f: &Fields, searcher: &Searcher, req: &SearchRequest) -> Result<SearchResult> {
    let (q, node) = compile(f, req)?;
    let weight = q.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let limit = req.limit.max(1);

    let mut segments = Vec::new();
    for (ord, seg) in searcher.segment_readers().iter().enumerate() {
        if seg.num_docs() == 0 {
            continue;
        }
        let col = seg.fast_fields().date("timestamp")?;
        segments.push((col.max_value().into_timestamp_nanos(), ord as u32, col));
    }
    segments.sort_unstable_by_key(|s| std::cmp::Reverse((s.0, s.1)));

    // Min-heap of the newest hits: the root is the oldest kept.
    let mut heap: BinaryHeap<Reverse<(i64, DocAddress)>> = BinaryHeap::with_capacity(limit + 1);
    let mut searched = 0;
    for (seg_max, ord, col) in &segments {
        let (seg_max, ord) = (*seg_max, *ord);
        if heap.len() >= limit && heap.peek().is_some_and(|Reverse((oldest, _))| seg_max < *oldest) {
            break;
        }
        searched += 1;
        let seg = searcher.segment_reader(ord);
        let alive = seg.alive_bitset();
        weight.for_each_no_score(seg, &mut |docs| {
            for &doc in docs {
                if alive.is_some_and(|a| !a.is_alive(doc)) {
                    continue;
                }
                let ts = col.first(doc).map_or(i64::MIN, |d| d.into_timestamp_nanos());
                if heap.len() < limit {
                    heap.push(Reverse((ts, DocAddress::new(ord, doc))));
                } else if heap.peek().is_some_and(|Reverse((oldest, _))| ts > *oldest) {
                    heap.pop();
                    heap.push(Reverse((ts, DocAddress::new(ord, doc))));
                }
            }
        })?;
    }
    let mut newest: Vec<(i64, DocAddress)> = heap.into_iter().map(|Reverse(x)| x).collect();
    newest.sort_unstable_by(|a, b| b.cmp(a));
    let mut hits = Vec::with_capacity(newest.len());
    for (_, addr) in newest {
        let doc: TantivyDocument = searcher.doc(addr)?;
        hits.push(hit_from_doc(f, &doc));
    }
    Ok(SearchResult {
        hits,
        highlights: query::highlight_terms(&node),
        segments_searched: searched,
        segments_total: segments.len(),
    })
}

/// Exact number of matching records.
pub fn count(f: &Fields, searcher: &Searcher, req: &SearchRequest) -> Result<u64> {
    let (q, _) = compile(f, req)?;
    Ok(searcher.search(&q, &Count)? as u64)
}
