//! Searching the index from a long-lived front end: the index is opened once (a large one
//! takes seconds on a cold page cache) and its reader follows the commits.

use chrono::{DateTime, Utc};

use super::Engine;
use crate::collector;
use crate::config::SourceKind;
use crate::model::{LogRecord, RecordKind};
use crate::sanitize::{safe_join, terminal_safe};
use crate::sources::remote::RemoteQuery;
use crate::sources::{elastic, http, loki};
pub use crate::store::docs::Hit;
use crate::store::search::{count, search};
pub use crate::store::search::{SearchRequest, SearchResult};
use crate::store::Store;

/// The index, open for searching.
pub struct SearchIndex {
    store: Store,
    reader: tantivy::IndexReader,
}

/// What a search found, with how it spreads over a span of time.
#[derive(Debug, Clone)]
pub struct Found {
    /// The newest `limit` hits.
    pub hits: Vec<Hit>,
    /// All the hits in the window.
    pub total: u64,
    /// Lowercased words and phrases of the query, for highlighting.
    pub highlights: Vec<String>,
    /// Hits per bucket over `span`, oldest first.
    pub histogram: Vec<u64>,
    pub span: (DateTime<Utc>, DateTime<Utc>),
}

impl Engine {
    pub fn open_index(&self) -> anyhow::Result<SearchIndex> {
        let store = self.store()?;
        let reader = store.reader().map_err(|e| anyhow::anyhow!("cannot read the index: {e}"))?;
        Ok(SearchIndex { store, reader })
    }

    /// The index as it is now, for a command that searches once (no thread follows the commits).
    fn snapshot(&self) -> anyhow::Result<SearchIndex> {
        let store = self.store()?;
        let reader = store.snapshot().map_err(|e| anyhow::anyhow!("cannot read the index: {e}"))?;
        Ok(SearchIndex { store, reader })
    }

    /// One search of the index, for a command that asks once: the newest `req.limit` hits.
    pub fn search(&self, req: &SearchRequest) -> anyhow::Result<SearchResult> {
        self.snapshot()?.find(req)
    }

    /// How many records match `req`, whatever its limit.
    pub fn count(&self, req: &SearchRequest) -> anyhow::Result<u64> {
        self.snapshot()?.count(req)
    }
}

impl SearchIndex {
    /// The newest `req.limit` hits of `req`.
    pub fn find(&self, req: &SearchRequest) -> anyhow::Result<SearchResult> {
        Ok(search(&self.store.fields, &self.reader.searcher(), req)?)
    }

    /// How many records match `req`.
    pub fn count(&self, req: &SearchRequest) -> anyhow::Result<u64> {
        Ok(count(&self.store.fields, &self.reader.searcher(), req)?)
    }

    /// `query` in `window` (all time when none), and its histogram of `buckets` over `span`.
    pub fn search(
        &self,
        query: &str,
        window: Option<(DateTime<Utc>, DateTime<Utc>)>,
        limit: usize,
        span: (DateTime<Utc>, DateTime<Utc>),
        buckets: usize,
    ) -> anyhow::Result<Found> {
        let searcher = self.reader.searcher();
        let f = &self.store.fields;
        let req =
            SearchRequest { query: query.to_string(), since: window.map(|w| w.0), until: window.map(|w| w.1), limit };
        let result = search(f, &searcher, &req)?;
        let total = count(f, &searcher, &req)?;
        let (from, to) = span;
        let step = (to - from) / buckets.max(1) as i32;
        let mut histogram = Vec::with_capacity(buckets);
        for b in 0..buckets as i32 {
            let since = from + step * b;
            let r = SearchRequest { query: query.to_string(), since: Some(since), until: Some(since + step), limit: 1 };
            histogram.push(count(f, &searcher, &r)?);
        }
        Ok(Found { hits: result.hits, total, highlights: result.highlights, histogram, span })
    }
}

/// What a remote backend returned for a query.
#[derive(Debug, Clone)]
pub struct RemoteHits {
    pub hits: Vec<Hit>,
    /// The query's words and phrases, for highlighting.
    pub highlights: Vec<String>,
}

impl Engine {
    /// `query` run on the configured Loki or Elasticsearch source `name` (LogQL or the query
    /// DSL); nothing is copied locally. The newest `limit` records, shaped like local hits.
    pub fn search_remote(
        &self,
        name: &str,
        query: &str,
        limit: usize,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> anyhow::Result<RemoteHits> {
        let plans = collector::plan(&self.config);
        let Some(p) = plans.iter().find(|p| p.name == name) else {
            let known: Vec<&str> = plans
                .iter()
                .filter(|p| matches!(p.kind, SourceKind::Loki | SourceKind::Elasticsearch))
                .map(|p| p.name.as_str())
                .collect();
            anyhow::bail!(
                "no source named '{}' in the config (remote-searchable sources: {})",
                terminal_safe(name),
                if known.is_empty() { "none".to_string() } else { safe_join(&known, ", ") }
            );
        };
        let mut q = RemoteQuery::parse(query, limit)?;
        q.since = since;
        q.until = until;
        let client = http::build_client(&collector::http_config(&p.cfg))?;
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let records = match p.kind {
            SourceKind::Loki => rt.block_on(loki::search(&client, &collector::loki_config(&p.cfg)?, &q))?,
            SourceKind::Elasticsearch => {
                rt.block_on(elastic::search(&client, &collector::elastic_config(&p.cfg), &q))?
            }
            other => anyhow::bail!(
                "source '{}' is {}: only loki and elasticsearch sources can be searched remotely",
                terminal_safe(name),
                other.as_str()
            ),
        };
        let mut highlights: Vec<String> = q.words.clone();
        highlights.extend(q.phrases.iter().cloned());
        Ok(RemoteHits { hits: records.iter().map(hit_of).collect(), highlights })
    }
}

/// A record from a remote backend, shaped like a local hit.
fn hit_of(r: &LogRecord) -> Hit {
    let mut attributes = r.resource.attributes.clone();
    attributes.extend(r.attributes.iter().map(|(k, v)| (k.clone(), v.clone())));
    Hit {
        id: r.id,
        timestamp: r.timestamp,
        kind: RecordKind::Log,
        service: r.resource.service.clone(),
        severity: r.severity,
        region: r.resource.region.clone(),
        host: r.resource.host.clone(),
        body: r.body.clone(),
        trace_id: r.trace_id.clone(),
        span_id: r.span_id.clone(),
        duration_us: 0,
        template_id: None,
        attributes,
    }
}
