//! Requests walking the call graph (server and client spans, request logs) and the
//! background logs every service writes.

use serde_json::{Map, Value};

use super::faults::{propagation, Noise};
use super::{chance, f01, range, FaultKind, Gen, Tier, CALL_TIMEOUT_S};
use crate::model::{LogRecord, Severity, Span, SpanKind};

impl Gen<'_> {
    pub(super) fn log(
        &mut self,
        inst: usize,
        ns: i64,
        severity: Severity,
        body: String,
        ids: Option<(&str, &str)>,
        attributes: Map<String, Value>,
    ) {
        let id = self.id();
        let resource = self.insts[inst].resource_at(ns.div_euclid(1_000_000_000)).clone();
        self.logs.push(LogRecord {
            id,
            timestamp: self.time_ns(ns),
            severity,
            body,
            time_span: None,
            resource,
            trace_id: ids.map(|(t, _)| t.to_string()),
            span_id: ids.map(|(_, s)| s.to_string()),
            attributes,
        });
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn span(
        &mut self,
        inst: usize,
        ids: (&str, &str, Option<&str>),
        name: String,
        kind: SpanKind,
        start: i64,
        end: i64,
        error: Option<String>,
        attributes: Map<String, Value>,
    ) {
        if self.uninstrumented == Some(self.insts[inst].svc) {
            return;
        }
        let id = self.id();
        let resource = self.insts[inst].resource_at(start.div_euclid(1_000_000_000)).clone();
        self.spans.push(Span {
            id,
            trace_id: ids.0.to_string(),
            span_id: ids.1.to_string(),
            parent_span_id: ids.2.map(str::to_string),
            name,
            kind,
            start: self.time_ns(start),
            end: self.time_ns(end),
            error: error.is_some(),
            status_message: error,
            resource,
            attributes,
        });
    }

    pub(super) fn traffic(&mut self) {
        let per_minute = 2 * self.services.len() as u64;
        let entries = self.inst_of[0].clone();
        for m in 0..self.minutes {
            // A gentle daily swell so request rates are not flat.
            let swell = 1.0 + 0.15 * ((m as f64) / 97.0).sin();
            let count = (per_minute as f64 * swell) as u64;
            for _ in 0..count {
                let inst = entries[self.rng.below(entries.len() as u64) as usize];
                let ns =
                    (m as i64 * 60 + self.rng.below(60) as i64) * 1_000_000_000 + self.rng.below(1_000_000_000) as i64;
                let trace = self.hex(16);
                let route = ENTRY_ROUTES[self.rng.below(ENTRY_ROUTES.len() as u64) as usize];
                self.serve(inst, m, &trace, None, ns, route);
            }
        }
    }

    /// One server span on `inst` and everything below it; returns its end and failure.
    pub(super) fn serve(
        &mut self,
        inst: usize,
        m: usize,
        trace: &str,
        parent: Option<&str>,
        start: i64,
        route: &str,
    ) -> (i64, Option<String>) {
        let svc = self.insts[inst].svc;
        let st = self.state[inst][m];
        let span_id = self.hex(8);
        let jitter = 0.6 + 0.8 * f01(&mut self.rng);
        let own = (st.own_lat * jitter * 1e9) as i64;
        let mut t = start + own / 2;
        let mut failure: Option<String> = None;
        let region = self.insts[inst].region.clone();
        for (callee, p) in self.calls[svc].clone() {
            if !chance(&mut self.rng, p) {
                continue;
            }
            let (call_end, failed) = self.call(inst, m, (trace, &span_id), &region, callee, t);
            if let Some(e) = failed {
                failure.get_or_insert(e);
            }
            t = call_end;
        }
        let end = t + own / 2 + 100_000;
        if failure.is_none() && chance(&mut self.rng, st.own_err) {
            let msg = self.own_error(inst, st.cause, route);
            self.log(inst, end, Severity::Error, msg.clone(), Some((trace, &span_id)), Map::new());
            failure = Some(msg);
        } else if failure.is_none() && chance(&mut self.rng, 0.0015) {
            let msg = format!("request {route} failed: context canceled");
            self.log(inst, end, Severity::Error, msg.clone(), Some((trace, &span_id)), Map::new());
            failure = Some(msg);
        }
        let code = match &failure {
            None => 200,
            Some(f) if f.contains("timed out") => 504,
            Some(f) if f.contains("pool") || f.contains("503") || f.contains("refused") => 503,
            Some(_) => 500,
        };
        let mut attrs = Map::new();
        attrs.insert("http.route".into(), Value::String(route.to_string()));
        attrs.insert("http.request.method".into(), if route.contains("checkout") { "POST" } else { "GET" }.into());
        attrs.insert("http.response.status_code".into(), Value::from(code));
        let name = format!("{} {route}", if route.contains("checkout") { "POST" } else { "GET" });
        self.span(inst, (trace, &span_id, parent), name.clone(), SpanKind::Server, start, end, failure.clone(), attrs);
        if failure.is_none() && chance(&mut self.rng, 0.3) {
            let ms = (end - start) / 1_000_000;
            let body = format!("{name} {code} {ms}ms");
            self.log(inst, end, Severity::Info, body, Some((trace, &span_id)), Map::new());
        }
        (end, failure)
    }

    /// One client call from `inst` to `callee` starting after `t`, and the callee's side of
    /// it; returns its end and the failure that the caller passes on.
    fn call(
        &mut self,
        inst: usize,
        m: usize,
        (trace, span_id): (&str, &str),
        region: &str,
        callee: usize,
        t: i64,
    ) -> (i64, Option<String>) {
        let mut failed = None;
        let ci = self.route(region, callee);
        let cspan = self.hex(8);
        let call_start = t + 200_000;
        let cname = self.services[callee].name.clone();
        let sec = call_start / 1_000_000_000;
        let (mut call_end, mut err) = match self.tier(callee) {
            Tier::Entry | Tier::Service if self.cert_expired(ci, sec) => {
                let expiry = self.time(self.insts[ci].cert_expiry).to_rfc3339();
                let now = self.time(sec).to_rfc3339();
                let msg = format!(
                    "tls handshake with {cname}.internal:443 failed: x509: certificate has expired or is not yet valid: current time {now} is after {expiry}"
                );
                (call_start + 3_000_000, Some(msg))
            }
            Tier::Entry | Tier::Service => {
                let sub = format!("/internal/{}", cname);
                let (end, e) = self.serve(ci, m, trace, Some(&cspan), call_start + 400_000, &sub);
                (end + 400_000, e.map(|e| upstream_message(&cname, &e)))
            }
            _ => {
                let cs = self.state[ci][m];
                let lat = cs.lat * (0.5 + f01(&mut self.rng));
                let e = chance(&mut self.rng, cs.err).then(|| self.leaf_error(ci, cs.cause));
                (call_start + (lat * 1e9) as i64, e)
            }
        };
        if call_end - call_start > (CALL_TIMEOUT_S * 1e9) as i64 {
            call_end = call_start + (CALL_TIMEOUT_S * 1e9) as i64;
            err = Some(format!("upstream {cname} timed out after {}ms", (CALL_TIMEOUT_S * 1000.0) as i64));
        }
        let mut attrs = Map::new();
        attrs.insert("peer.service".into(), Value::String(cname.clone()));
        let port = self.services[callee].port;
        attrs.insert("server.address".into(), Value::String(format!("{cname}.internal")));
        attrs.insert("server.port".into(), Value::from(port));
        let span_name = client_span_name(self.tier(callee), &cname);
        if self.tier(callee) == Tier::Database {
            attrs.insert("db.system".into(), "postgresql".into());
        }
        self.span(
            inst,
            (trace, &cspan, Some(span_id)),
            span_name,
            SpanKind::Client,
            call_start,
            call_end,
            err.clone(),
            attrs,
        );
        if let Some(e) = err {
            let mut la = Map::new();
            la.insert("peer.service".into(), Value::String(cname.clone()));
            let prop = propagation(self.tier(callee), &cname);
            if chance(&mut self.rng, prop) {
                self.log(inst, call_end, Severity::Error, e.clone(), Some((trace, span_id)), la);
                failed = Some(e);
            } else {
                let body = format!("degraded response without {cname}: {e}");
                self.log(inst, call_end, Severity::Warn, body, Some((trace, span_id)), la);
            }
        }
        (call_end, failed)
    }

    pub(super) fn leaf_error(&self, inst: usize, cause: Option<usize>) -> String {
        let svc = self.insts[inst].svc;
        let name = self.name(svc);
        let port = self.services[svc].port;
        match cause.map(|c| self.faults[c].kind) {
            Some(FaultKind::SlowDatabase) => {
                format!("query on {name} failed: canceling statement due to statement timeout")
            }
            Some(FaultKind::CacheOutage) => format!("cache get failed: connection refused to {name}:{port}"),
            Some(FaultKind::DiskFull) if self.tier(svc) == Tier::Queue => {
                format!("produce to {name} failed: KafkaStorageException: Disk error when trying to access log file on the disk")
            }
            Some(FaultKind::DiskFull) => {
                format!("insert on {name} failed: could not extend file \"base/16384/24576\": No space left on device")
            }
            _ => format!("{name}:{port} connection reset by peer"),
        }
    }

    pub(super) fn own_error(&mut self, inst: usize, cause: Option<usize>, route: &str) -> String {
        let svc = self.insts[inst].svc;
        match cause.map(|c| self.faults[c].kind) {
            Some(FaultKind::BadDeploy) => format!(
                "unhandled exception in {route}: TypeError: Cannot read properties of undefined (reading 'currency')"
            ),
            Some(FaultKind::MemoryLeak) => "java.lang.OutOfMemoryError: Java heap space".into(),
            Some(FaultKind::PoolExhaustion) => {
                let waiting = range(&mut self.rng, 12, 80);
                format!(
                    "could not acquire connection from pool {}-pool within 5000ms (active=50, idle=0, waiting={waiting})",
                    self.name(svc)
                )
            }
            Some(FaultKind::RegionalNetwork) => {
                let peer = self.rng.below(250) + 1;
                let from = &self.insts[inst].ip;
                format!("dial tcp 10.{}.0.{peer}:8080: i/o timeout (from {from})", 10 + self.rng.below(4))
            }
            _ => format!("request {route} failed: internal error"),
        }
    }

    pub(super) fn background_logs(&mut self, noise: &Noise) {
        for inst in 0..self.insts.len() {
            let svc = self.insts[inst].svc;
            let tier = self.tier(svc);
            if tier == Tier::External {
                continue;
            }
            for m in 0..self.minutes {
                // A dead cache writes nothing.
                if self.scrape_stopped(inst, m as i64 * 60 + 30) {
                    continue;
                }
                let base = m as i64 * 60_000_000_000;
                let at = |g: &mut Self| base + (g.rng.below(60_000) as i64) * 1_000_000;
                match tier {
                    Tier::Database => {
                        if m % 5 == 0 {
                            let ns = at(self);
                            let body = format!(
                                "checkpoint complete: wrote {} buffers ({:.1}%); 0 WAL file(s) added, 0 removed, 1 recycled",
                                self.rng.below(4000),
                                f01(&mut self.rng) * 10.0
                            );
                            self.log(inst, ns, Severity::Info, body, None, Map::new());
                        }
                    }
                    Tier::Cache => {
                        if m % 10 == 0 {
                            let ns = at(self);
                            let body = "Background saving terminated with success".to_string();
                            self.log(inst, ns, Severity::Info, body, None, Map::new());
                        }
                    }
                    Tier::Queue => {
                        let ns = at(self);
                        let body = format!(
                            "[GroupCoordinator 1]: Member consumer-{} in group orders-consumers has committed offsets, lag={}",
                            self.rng.below(8),
                            self.rng.below(200)
                        );
                        self.log(inst, ns, Severity::Info, body, None, Map::new());
                    }
                    _ => {
                        for _ in 0..2 {
                            let ns = at(self);
                            self.log(inst, ns, Severity::Debug, "GET /healthz 200 0ms".into(), None, Map::new());
                        }
                        let ns = at(self);
                        let body = format!(
                            "cache refresh finished: {} entries in {}ms",
                            self.rng.below(5000),
                            self.rng.below(400)
                        );
                        self.log(inst, ns, Severity::Info, body, None, Map::new());
                    }
                }
                if Some(svc) == noise.chronic && chance(&mut self.rng, 0.8) {
                    let ns = at(self);
                    let body = "failed to refresh feature flags from flagd:8013: rpc error: code = PermissionDenied desc = 403 Forbidden".to_string();
                    self.log(inst, ns, Severity::Error, body, None, Map::new());
                }
            }
        }
    }
}

const ENTRY_ROUTES: &[&str] = &["/api/checkout", "/api/cart", "/api/products", "/api/search", "/api/users/me", "/"];

fn upstream_message(callee: &str, inner: &str) -> String {
    if inner.contains("timed out") || inner.contains("i/o timeout") {
        format!("upstream {callee} timed out: {inner}")
    } else if inner.contains("pool") || inner.contains("OutOfMemoryError") {
        format!("upstream {callee} returned 503 Service Unavailable: {inner}")
    } else {
        format!("upstream {callee} returned 500 Internal Server Error: {inner}")
    }
}

fn client_span_name(tier: Tier, callee: &str) -> String {
    match tier {
        Tier::Database => "SELECT orders".into(),
        Tier::Cache => "GET".into(),
        Tier::Queue => "orders publish".into(),
        Tier::External => "POST /v1/charges".into(),
        _ => format!("GET /internal/{callee}"),
    }
}
