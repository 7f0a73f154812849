//! The service call graph, learned from spans.
//!
//! An edge caller -> callee comes from a client span that names its peer (`peer.service`, else the host part of
//! `server.address`), or from a server span whose parent span belongs to another service. Datastores and third-party
//! APIs are usually seen only through their callers' client spans, so the peer attributes matter as much as the
//! parent links. Each edge keeps per-minute call, error and latency totals so the ranking can ask "did calls into X
//! start failing, and when".

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::anomaly::Point;
use crate::model::{Span, SpanKind};

/// Per-minute totals of one edge (or one service's inbound calls).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Minutes {
    /// minute (unix seconds / 60) -> (calls, errors, summed duration in µs)
    pub by_minute: BTreeMap<i64, (u64, u64, u64)>,
}

impl Minutes {
    fn add(&mut self, minute: i64, error: bool, duration_us: u64) {
        let e = self.by_minute.entry(minute).or_default();
        e.0 += 1;
        e.1 += u64::from(error);
        e.2 += duration_us;
    }

    /// Like [`Minutes::series`], but a minute with fewer than `min_calls` calls is pooled with the next ones until
    /// they add up: with a handful of sampled calls a minute, one failure is not a 33% error ratio.
    pub fn pooled_series(&self, min_calls: u64) -> (Vec<Point>, Vec<Point>) {
        let (mut errors, mut latency) = (Vec::new(), Vec::new());
        let (mut calls, mut errs, mut dur) = (0u64, 0u64, 0u64);
        for (&m, &(c, e, d)) in &self.by_minute {
            (calls, errs, dur) = (calls + c, errs + e, dur + d);
            if calls >= min_calls.max(1) {
                errors.push((m * 60, errs as f64 / calls as f64));
                latency.push((m * 60, dur as f64 / calls as f64 / 1000.0));
                (calls, errs, dur) = (0, 0, 0);
            }
        }
        (errors, latency)
    }

    /// Error ratio and mean latency (ms) per minute, for minutes with calls, in time order.
    pub fn series(&self) -> (Vec<Point>, Vec<Point>) {
        let mut errors = Vec::with_capacity(self.by_minute.len());
        let mut latency = Vec::with_capacity(self.by_minute.len());
        for (&m, &(calls, errs, dur)) in &self.by_minute {
            if calls > 0 {
                errors.push((m * 60, errs as f64 / calls as f64));
                latency.push((m * 60, dur as f64 / calls as f64 / 1000.0));
            }
        }
        (errors, latency)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EdgeStats {
    pub calls: u64,
    pub errors: u64,
    /// Mean duration of the calls, in milliseconds.
    pub mean_ms: f64,
    #[serde(skip)]
    pub minutes: Minutes,
}

#[derive(Debug, Clone, Default)]
pub struct Topology {
    /// (caller, callee) -> stats, both lowercased service names.
    pub edges: BTreeMap<(String, String), EdgeStats>,
    /// Every service seen, callers and callees.
    pub services: BTreeSet<String>,
    /// (callee, the caller's region) -> inbound calls: a fault confined to one region shows only there.
    pub regional: BTreeMap<(String, String), Minutes>,
}

/// The peer a client span calls: `peer.service`, else `server.address` without port and domain.
fn peer_of(span: &Span) -> Option<String> {
    let attr = |k: &str| span.attributes.get(k).and_then(|v| v.as_str()).filter(|s| !s.is_empty());
    if let Some(p) = attr("peer.service") {
        return Some(p.to_ascii_lowercase());
    }
    let addr = attr("server.address").or_else(|| attr("net.peer.name"))?;
    // An IP address names no service.
    if addr.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    let host = addr.split(':').next().unwrap_or(addr);
    let first = host.split('.').next().unwrap_or(host);
    (!first.is_empty()).then(|| first.to_ascii_lowercase())
}

impl Topology {
    pub fn from_spans(spans: &[Span]) -> Self {
        let mut topo = Topology::default();
        let mut owner: HashMap<&str, (&str, bool)> = HashMap::with_capacity(spans.len());
        for s in spans {
            if let Some(svc) = s.resource.service.as_deref() {
                owner.insert(s.span_id.as_str(), (svc, s.kind == SpanKind::Client && peer_of(s).is_some()));
                topo.services.insert(svc.to_ascii_lowercase());
            }
        }
        let mut edge_add = |caller: &str, callee: String, s: &Span| {
            if caller == callee {
                return;
            }
            topo.services.insert(callee.clone());
            let (minute, dur) = (s.start.timestamp().div_euclid(60), s.duration_us());
            if let Some(region) = s.resource.region.as_deref() {
                topo.regional.entry((callee.clone(), region.to_string())).or_default().add(minute, s.error, dur);
            }
            let e = topo.edges.entry((caller.to_string(), callee)).or_default();
            e.calls += 1;
            e.errors += u64::from(s.error);
            e.mean_ms += dur as f64 / 1000.0;
            e.minutes.add(minute, s.error, dur);
        };
        for s in spans {
            let Some(svc) = s.resource.service.as_deref() else { continue };
            let svc = svc.to_ascii_lowercase();
            match s.kind {
                SpanKind::Client | SpanKind::Producer => {
                    if let Some(peer) = peer_of(s) {
                        edge_add(&svc, peer, s);
                    }
                }
                SpanKind::Server | SpanKind::Consumer => {
                    // Only when the caller's client span did not already name us, or the call would count twice.
                    let parent = s.parent_span_id.as_deref().and_then(|p| owner.get(p));
                    if let Some((caller, named)) = parent {
                        if !named && !caller.eq_ignore_ascii_case(&svc) {
                            edge_add(&caller.to_ascii_lowercase(), svc.clone(), s);
                        }
                    }
                }
                _ => {}
            }
        }
        for e in topo.edges.values_mut() {
            if e.calls > 0 {
                e.mean_ms /= e.calls as f64;
            }
        }
        topo
    }

    /// Adds edges known from elsewhere (configuration, a simulator), without stats.
    pub fn add_edge(&mut self, caller: &str, callee: &str) {
        let (a, b) = (caller.to_ascii_lowercase(), callee.to_ascii_lowercase());
        self.services.insert(a.clone());
        self.services.insert(b.clone());
        self.edges.entry((a, b)).or_default();
    }

    pub fn callees<'a>(&'a self, svc: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.edges.keys().filter(move |(a, _)| a == svc).map(|(_, b)| b.as_str())
    }

    pub fn callers<'a>(&'a self, svc: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.edges.keys().filter(move |(_, b)| b == svc).map(|(a, _)| a.as_str())
    }

    /// Services `svc` calls, directly or through others.
    pub fn descendants(&self, svc: &str) -> BTreeSet<String> {
        self.closure(svc, true)
    }

    /// Services that call `svc`, directly or through others.
    pub fn ancestors(&self, svc: &str) -> BTreeSet<String> {
        self.closure(svc, false)
    }

    fn closure(&self, svc: &str, down: bool) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut todo = vec![svc.to_string()];
        while let Some(n) = todo.pop() {
            let next: Vec<String> = if down {
                self.callees(&n).map(str::to_string).collect()
            } else {
                self.callers(&n).map(str::to_string).collect()
            };
            for m in next {
                if m != svc && out.insert(m.clone()) {
                    todo.push(m);
                }
            }
        }
        out
    }

    /// Whether one of the two calls the other, directly or not: a failure can travel between them.
    pub fn related(&self, a: &str, b: &str) -> bool {
        a == b || self.descendants(a).contains(b) || self.descendants(b).contains(a)
    }

    /// Inbound calls of `svc`, summed over its callers, per minute.
    pub fn inbound(&self, svc: &str) -> Minutes {
        let mut m = Minutes::default();
        for ((_, callee), e) in &self.edges {
            if callee == svc {
                for (&k, &(c, er, d)) in &e.minutes.by_minute {
                    let x = m.by_minute.entry(k).or_default();
                    x.0 += c;
                    x.1 += er;
                    x.2 += d;
                }
            }
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{TimeZone, Utc};
    use serde_json::{Map, Value};

    use super::*;
    use crate::model::{RecordId, Resource};

    fn span(svc: &str, id: &str, parent: Option<&str>, kind: SpanKind, peer: Option<&str>, error: bool) -> Span {
        let mut r = Resource::default();
        r.set("service.name", svc);
        let mut attributes = Map::new();
        if let Some(p) = peer {
            attributes.insert("server.address".into(), Value::String(p.into()));
        }
        let start = Utc.with_ymd_and_hms(2026, 11, 20, 15, 0, 0).unwrap();
        Span {
            id: RecordId(id.len() as u128),
            trace_id: "t".into(),
            span_id: id.into(),
            parent_span_id: parent.map(str::to_string),
            name: "op".into(),
            kind,
            start,
            end: start + chrono::Duration::milliseconds(20),
            error,
            status_message: None,
            resource: Arc::new(r),
            attributes,
        }
    }

    #[test]
    fn edges_from_parents_and_peer_addresses_without_double_counting() {
        let spans = vec![
            span("frontend", "a", None, SpanKind::Server, None, false),
            // A client span naming its peer, and the peer's server span under it: one call, not two.
            span("frontend", "b", Some("a"), SpanKind::Client, Some("checkout.internal:8080"), false),
            span("checkout", "c", Some("b"), SpanKind::Server, None, true),
            // An uninstrumented database, seen only from its caller.
            span("checkout", "d", Some("c"), SpanKind::Client, Some("postgres-orders.svc.cluster.local"), true),
            // A client span without a peer: the server span's parent link gives the edge.
            span("checkout", "e", Some("c"), SpanKind::Client, None, false),
            span("payments", "f", Some("e"), SpanKind::Server, None, false),
            // An IP names no service.
            span("payments", "g", Some("f"), SpanKind::Client, Some("10.0.0.7"), false),
        ];
        let t = Topology::from_spans(&spans);
        let keys: Vec<(&str, &str)> = t.edges.keys().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(keys, vec![("checkout", "payments"), ("checkout", "postgres-orders"), ("frontend", "checkout")]);
        assert_eq!(t.edges[&("frontend".into(), "checkout".into())].calls, 1);
        assert_eq!(t.edges[&("checkout".into(), "postgres-orders".into())].errors, 1);
        assert!(t.related("frontend", "postgres-orders"));
        assert!(!t.related("payments", "postgres-orders"));
        assert_eq!(t.ancestors("payments").into_iter().collect::<Vec<_>>(), vec!["checkout", "frontend"]);
    }
}
