//! A search as the search task runs it: the index, and for opened files the part of them not
//! indexed yet, into one list of hits, one count and one histogram.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

use super::{Shared, BUCKETS, HITS};
use crate::engine::open::scan::Scan;
use crate::ui::{HitRow, SearchResults};

/// A search with its count and a histogram of the hits over the two hours before `now` (or before the newest hit,
/// when that is older).
pub(super) fn run_search(
    shared: &Shared,
    query: &str,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    now: DateTime<Utc>,
) -> anyhow::Result<SearchResults> {
    let t0 = Instant::now();
    let two_hours = Duration::hours(2);
    let index = shared.index()?;
    let mut found = index.search(query, window, HITS, (now - two_hours, now), BUCKETS)?;
    // While opened files are indexed, the part not indexed yet is scanned too (all time only). After the index
    // search, so that a commit landing meanwhile can make a record missing from this run, never listed twice.
    let scan = if window.is_none() { scan_unindexed(shared, query)? } else { None };
    // A file from last week: the histogram covers the two hours up to its newest hit, not an empty stretch before now.
    let newest = found.hits.first().map(|h| h.timestamp).max(scan.as_ref().and_then(|s| s.times.newest()));
    if let Some(newest) = newest.filter(|t| *t < now - two_hours) {
        let end = newest + Duration::seconds(1);
        let over = index.search(query, window, 1, (end - two_hours, end), BUCKETS)?;
        (found.histogram, found.span) = (over.histogram, over.span);
    }
    let hits = found
        .hits
        .into_iter()
        .map(|h| HitRow {
            timestamp: h.timestamp,
            service: h.service.unwrap_or_else(|| "-".into()),
            severity: h.severity,
            body: h.body,
            trace_id: h.trace_id.filter(|t| !t.is_empty()),
        })
        .collect();
    let mut results = SearchResults {
        hits,
        total: found.total,
        terms: found.highlights,
        histogram: found.histogram,
        span: Some(found.span),
        millis: 0,
        fallback: None,
        scanned: None,
    };
    if let Some(scan) = scan {
        add_scanned(scan, found.span, &mut results);
    }
    results.millis = t0.elapsed().as_millis() as u64;
    Ok(results)
}

/// A plain word or phrase looked for, as typed, in the part of the opened files not indexed yet
/// (`Engine::scan_unindexed`), so that an id deep in a large file is found at once. `None` when no
/// files are opened, they are all indexed, or the query is not a plain word or phrase.
fn scan_unindexed(shared: &Shared, query: &str) -> anyhow::Result<Option<Scan>> {
    let Some(files) = shared.opened.get() else { return Ok(None) };
    let Ok(crate::store::query::Node::Term { field: None, text, .. }) = crate::store::query::parse(query) else {
        return Ok(None);
    };
    shared.engine.scan_unindexed(files, &text, HITS)
}

/// The scan's hits join the index's, newest first; its matches count in the total and the histogram.
fn add_scanned(scan: Scan, span: (DateTime<Utc>, DateTime<Utc>), results: &mut SearchResults) {
    results.total += scan.total;
    results.scanned = Some((scan.total, scan.bytes));
    scan.times.count_into(span, &mut results.histogram);
    results.hits.extend(scan.lines.into_iter().map(|l| HitRow {
        timestamp: l.time.unwrap_or_default(),
        service: l.service,
        severity: l.severity,
        body: l.body,
        trace_id: l.trace_id,
    }));
    results.hits.sort_by_key(|h| std::cmp::Reverse(h.timestamp));
    results.hits.truncate(HITS);
}
