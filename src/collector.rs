//! The collector: every configured source, running into one data dir.
//!
//! Source tasks run on a small tokio runtime and only send [`SourceEvent`]s over a bounded channel (back-pressure:
//! a slow store slows the sources, it never grows a queue). One thread, the sink, owns the store: it writes each
//! batch (logs and spans upserted by their stable ids, metrics and alerts idempotent in SQLite), commits in groups,
//! and only then saves the batches' cursors and acknowledges push clients. A crash between the commit and the
//! cursor replays a batch, which overwrites itself: nothing is lost or stored twice. File sources are tailed by the
//! sink itself on a timer, through the ingest path and its manifest of what each file already gave.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Utc;
use tokio::sync::{mpsc, oneshot, watch};

pub mod metrics;

use crate::analysis::templates::TemplateMiner;
use crate::config::{Config, SourceConfig, SourceKind};
use crate::ingest::{Ingestor, Options as IngestOptions};
use crate::model::Signal;
use crate::sources::feed::{Health, SourceEvent};
use crate::sources::http::{self, HttpConfig};
use crate::sources::timestamp::TsContext;
use crate::sources::{alertmanager_api, alertmanager_webhook, elastic, loki, otlp_http, prometheus};
use crate::store::docs::{log_doc, span_doc};
use crate::store::manifest::Manifest;
use crate::store::state::StateDb;
use crate::store::templates::MinerFile;
use crate::store::writer::{WriteOp, WriterConfig, WriterHandle};
use crate::store::Store;
use metrics::{Metrics, RecordKind};

#[derive(Debug, Clone)]
pub struct Options {
    /// Poll every pull source once (files: read what is there), store it, and return.
    pub once: bool,
    /// Bound on `once`: sources that have not answered by then are reported and left.
    pub once_timeout: Duration,
    pub writer: WriterConfig,
    pub commit_interval: Duration,
}

/// What a run did, per source.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Report {
    pub records: BTreeMap<String, u64>,
    pub health: BTreeMap<String, Health>,
    pub commits: u64,
}

/// One source as configured, resolved to what its task needs.
pub struct Planned {
    pub name: String,
    pub kind: SourceKind,
    pub cfg: SourceConfig,
}

/// Resolves the configured sources to names.
pub fn plan(config: &Config) -> Vec<Planned> {
    (0..config.source.len())
        .map(|i| Planned { name: config.source_name(i), kind: config.source[i].kind, cfg: config.source[i].clone() })
        .collect()
}

/// A source's duration key, or the kind's default where the file leaves it out (a bad value never got this far:
/// the config refuses it when it loads).
fn duration(v: Option<crate::config::Duration>, default: Duration) -> Duration {
    v.map_or(default, Into::into)
}

/// The HTTP settings of a source.
pub fn http_config(cfg: &SourceConfig) -> HttpConfig {
    HttpConfig {
        url: cfg.url.clone().unwrap_or_default(),
        bearer_token: cfg.bearer_token.clone(),
        bearer_token_file: cfg.bearer_token_file.clone(),
        basic_user: cfg.basic_user.clone(),
        basic_password: cfg.basic_password.clone(),
        basic_password_file: cfg.basic_password_file.clone(),
        ca_file: cfg.ca_file.clone(),
        insecure_skip_verify: cfg.insecure_skip_verify,
        timeout: cfg.timeout.map(Into::into),
    }
}

pub fn loki_config(cfg: &SourceConfig) -> Result<loki::LokiConfig, http::HttpError> {
    let h = http_config(cfg);
    let mut headers = Vec::new();
    if let Some(a) = h.authorization()? {
        headers.push(("Authorization".to_string(), a));
    }
    let d = loki::LokiConfig::default();
    Ok(loki::LokiConfig {
        url: h.url,
        query: cfg.query.clone().unwrap_or(d.query),
        poll_interval: duration(cfg.interval, d.poll_interval),
        lookback: duration(cfg.lookback, d.lookback),
        tenant: cfg.tenant.clone(),
        headers,
        ..d
    })
}

pub fn elastic_config(cfg: &SourceConfig) -> elastic::ElasticConfig {
    let d = elastic::ElasticConfig::default();
    let mut fields = d.fields.clone();
    for (k, v) in &cfg.fields {
        let slot = match k.as_str() {
            "timestamp" => &mut fields.timestamp,
            "message" => &mut fields.message,
            "level" => &mut fields.level,
            "service" => &mut fields.service,
            "host" => &mut fields.host,
            "region" => &mut fields.region,
            "trace_id" => &mut fields.trace_id,
            "span_id" => &mut fields.span_id,
            _ => continue,
        };
        *slot = v.clone();
    }
    elastic::ElasticConfig {
        url: cfg.url.clone().unwrap_or_default(),
        index: cfg.index.clone().unwrap_or(d.index.clone()),
        fields,
        tiebreak: cfg.tiebreak.clone().unwrap_or(d.tiebreak.clone()),
        poll_interval: duration(cfg.interval, d.poll_interval),
        lookback: duration(cfg.lookback, d.lookback),
        ..d
    }
}

/// Starts the task of one pull source. Errors are about its configuration (an unreadable secret, a bad CA).
fn spawn_source(
    rt: &tokio::runtime::Runtime,
    p: &Planned,
    cursor: Option<String>,
    tx: mpsc::Sender<SourceEvent>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    // Every source stops the same way: its loop watches this, whatever it is doing.
    let stop = stopped(shutdown);
    let name = p.name.clone();
    let cfg = p.cfg.clone();
    let client = http::build_client(&http_config(&cfg))?;
    Ok(match p.kind {
        SourceKind::Alertmanager => {
            let am = alertmanager_api::AlertmanagerClient::new(client, cfg.url.clone().unwrap_or_default());
            let opts = alertmanager_api::SourceOptions::new(duration(cfg.interval, Duration::from_secs(15)));
            rt.spawn(alertmanager_api::run_until(am, name, opts, cursor, tx, stop))
        }
        SourceKind::Prometheus => {
            let prom = prometheus::PrometheusClient::new(client, cfg.url.clone().unwrap_or_default());
            let queries = cfg
                .queries
                .iter()
                .map(|q| prometheus::RangeQuery { name: q.name.clone(), expr: q.expr.clone(), step: q.step.into() })
                .collect();
            let mut opts = prometheus::PromSourceOptions::new(duration(cfg.interval, Duration::from_secs(15)), queries);
            opts.alerts = cfg.alerts.unwrap_or(true);
            rt.spawn(prometheus::run_until(prom, name, opts, cursor, tx, stop))
        }
        SourceKind::Loki => {
            let lc = loki_config(&cfg)?;
            let tail = cfg.tail;
            rt.spawn(async move {
                let result = if tail {
                    loki::tail(lc, name.clone(), cursor, tx, stop).await
                } else {
                    loki::poll(client, lc, name.clone(), cursor, tx, stop).await
                };
                if let Err(e) = result {
                    tracing::warn!(source = %name, error = %e, "loki source stopped");
                }
            })
        }
        SourceKind::Elasticsearch => {
            let ec = elastic_config(&cfg);
            rt.spawn(async move {
                if let Err(e) = elastic::poll(client, ec, name.clone(), cursor, tx, stop).await {
                    tracing::warn!(source = %name, error = %e, "elasticsearch source stopped");
                }
            })
        }
        SourceKind::File => anyhow::bail!("file sources are read by the sink"),
    })
}

/// A tailed file glob and what was last seen of each matching file.
struct FileSource {
    name: String,
    pattern: String,
    service: Option<String>,
    interval: Duration,
    next: Instant,
    seen: HashMap<PathBuf, (u64, Option<std::time::SystemTime>)>,
}

/// The files a file source's path or glob names now (globs anywhere in the path, `**` included).
pub fn expand_glob(pattern: &str) -> Vec<PathBuf> {
    crate::ingest::glob::source_files(pattern)
}

struct Sink {
    store: Store,
    writer: WriterHandle,
    state: StateDb,
    manifest: Manifest,
    miner: TemplateMiner,
    miner_file: MinerFile,
    counts: HashMap<(u32, i64), u64>,
    acks: Vec<oneshot::Sender<Result<(), String>>>,
    cursors: HashMap<String, String>,
    dirty: bool,
    last_commit: Instant,
    commit_interval: Duration,
    kinds: HashMap<String, &'static str>,
    report: Report,
    ts: TsContext,
    max_line_bytes: usize,
    metrics: Arc<Metrics>,
}

impl Sink {
    fn apply(&mut self, ev: SourceEvent) -> anyhow::Result<()> {
        match ev {
            SourceEvent::Batch(b) => {
                let mut docs = Vec::new();
                let (mut metrics, mut alerts) = (Vec::new(), Vec::new());
                let n = b.signals.len() as u64;
                let mut by_kind: BTreeMap<RecordKind, u64> = BTreeMap::new();
                for s in b.signals {
                    *by_kind.entry(RecordKind::of(&s)).or_default() += 1;
                    match s {
                        Signal::Log(r) => {
                            let t = self.miner.add(&r.body);
                            *self.counts.entry((t, r.timestamp.timestamp().div_euclid(3600))).or_default() += 1;
                            docs.push((r.id.to_string(), log_doc(&self.store.fields, &r, Some(t))));
                        }
                        Signal::Span(s) => docs.push((s.id.to_string(), span_doc(&self.store.fields, &s))),
                        Signal::Metric(m) => metrics.push(m),
                        Signal::Alert(a) => alerts.push(a),
                    }
                }
                let stored = (|| -> anyhow::Result<()> {
                    if !metrics.is_empty() {
                        self.state.insert_metrics(&metrics)?;
                    }
                    if !alerts.is_empty() {
                        self.state.upsert_alerts(&alerts)?;
                    }
                    if !docs.is_empty() {
                        self.writer.send(WriteOp::Upsert(docs))?;
                        self.dirty = true;
                    }
                    Ok(())
                })();
                if let Err(e) = stored {
                    if let Some(ack) = b.ack {
                        #[allow(
                            clippy::let_underscore_must_use,
                            reason = "the source that waits for this ack may have stopped; the error is returned below"
                        )]
                        let _ = ack.send(Err(e.to_string()));
                    }
                    return Err(e);
                }
                *self.report.records.entry(b.source.clone()).or_default() += n;
                self.metrics.batch();
                for (kind, n) in by_kind {
                    self.metrics.stored(kind, n);
                }
                if let Some(c) = b.cursor {
                    self.cursors.insert(b.source, c);
                    self.dirty = true;
                }
                if let Some(ack) = b.ack {
                    self.acks.push(ack);
                    self.dirty = true;
                }
            }
            SourceEvent::Health { source, health } => {
                let kind = self.kinds.get(&source).copied().unwrap_or("source");
                let json = serde_json::to_string(&health).unwrap_or_default();
                self.state.set_health(&source, kind, &json)?;
                self.metrics.health(&source, kind, &health);
                match &health {
                    Health::Degraded { error, .. } | Health::Down { error, .. } => {
                        tracing::warn!(source = %source, error = %error, "source unhealthy")
                    }
                    _ => tracing::info!(source = %source, ?health, "source health"),
                }
                self.report.health.insert(source, health);
            }
            SourceEvent::Polled { .. } => {}
        }
        Ok(())
    }

    /// Makes everything applied so far durable, then saves cursors and answers push clients.
    fn commit(&mut self) -> anyhow::Result<()> {
        // The miner first: ids in the committed records then always name templates that exist.
        let started = Instant::now();
        self.miner_file.save(&self.miner)?;
        let result = self.writer.commit();
        let acks = std::mem::take(&mut self.acks);
        match result {
            Ok(_) => {
                self.state.add_template_counts(&std::mem::take(&mut self.counts))?;
                self.state.save_cursors(&std::mem::take(&mut self.cursors))?;
                for a in acks {
                    #[allow(
                        clippy::let_underscore_must_use,
                        reason = "a source that stopped no longer waits for its ack"
                    )]
                    let _ = a.send(Ok(()));
                }
                self.dirty = false;
                self.last_commit = Instant::now();
                self.report.commits += 1;
                self.metrics.committed(started.elapsed());
                Ok(())
            }
            Err(e) => {
                for a in acks {
                    #[allow(
                        clippy::let_underscore_must_use,
                        reason = "a source that stopped no longer waits for its ack; the error is returned below"
                    )]
                    let _ = a.send(Err(e.to_string()));
                }
                Err(e.into())
            }
        }
    }

    /// Reads what is new in each of the source's files. The manifest remembers how far each file was read (and
    /// by its first line, which file it is), so a rotated or truncated file starts over and a grown one goes on.
    fn tail_files(&mut self, f: &mut FileSource, force: bool) -> anyhow::Result<()> {
        let mut changed = Vec::new();
        for path in expand_glob(&f.pattern) {
            let Ok(meta) = std::fs::metadata(&path) else { continue };
            if !meta.is_file() {
                continue;
            }
            let now = (meta.len(), meta.modified().ok());
            if force || f.seen.get(&path) != Some(&now) {
                f.seen.insert(path.clone(), now);
                changed.push(path);
            }
        }
        if changed.is_empty() {
            return Ok(());
        }
        let opts = IngestOptions {
            ts: TsContext { now: Utc::now(), ..self.ts },
            service: f.service.clone(),
            max_line_bytes: self.max_line_bytes,
            complete_lines_only: true,
        };
        let manifest = std::mem::take(&mut self.manifest);
        let mut ing = Ingestor::new(&self.writer, &mut self.state, self.store.fields, manifest, opts);
        ing.miner = std::mem::replace(&mut self.miner, TemplateMiner::new(Default::default()));
        let mut records = 0;
        let mut failure = None;
        for path in &changed {
            match ing.ingest_path(path) {
                Ok(r) => {
                    records += r.records();
                    if let Some(e) = r.error {
                        failure = Some(format!("{}: {e}", path.display()));
                    }
                }
                Err(e) => failure = Some(format!("{}: {e}", path.display())),
            }
        }
        let (manifest, miner, counts) = ing.into_parts();
        self.manifest = manifest;
        self.miner = miner;
        for (k, v) in counts {
            *self.counts.entry(k).or_default() += v;
        }
        if records > 0 {
            self.dirty = true;
            *self.report.records.entry(f.name.clone()).or_default() += records;
            self.metrics.stored(RecordKind::Log, records);
        }
        let health = match failure {
            Some(error) => Health::Degraded { since: Utc::now(), error },
            None => Health::Ok { since: Utc::now() },
        };
        let changed_state =
            self.report.health.get(&f.name).map(std::mem::discriminant) != Some(std::mem::discriminant(&health));
        if changed_state {
            self.apply(SourceEvent::Health { source: f.name.clone(), health })?;
        }
        Ok(())
    }
}

/// Runs the collector until `stop` is set (SIGINT/SIGTERM in `collect`), or once through with `once`.
pub fn run(data_dir: &Path, config: &Config, opts: &Options, stop: Arc<AtomicBool>) -> anyhow::Result<Report> {
    let plans = plan(config);
    let mut sink = Sink::open(data_dir, config, opts, &plans)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("firewatch-source")
        .enable_all()
        .build()
        .context("cannot start the source runtime")?;
    let (tx, mut rx) = mpsc::channel::<SourceEvent>(64);
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let mut running = start_sources(&rt, &plans, &mut sink, &tx, &shutdown_rx)?;
    if !opts.once {
        start_listeners(&rt, config, &mut sink, &tx, &shutdown_rx, &mut running.tasks)?;
        let flag = stop.clone();
        rt.spawn(async move {
            wait_for_signal().await;
            flag.store(true, Ordering::Relaxed);
        });
    }
    drop(tx);
    pump(&rt, &mut sink, &mut rx, &mut running, opts, &stop)?;
    // Stop the sources, store what they already sent, and commit once more.
    #[allow(
        clippy::let_underscore_must_use,
        reason = "no source left to listen means all of them have stopped already"
    )]
    let _ = shutdown_tx.send(true);
    for t in &running.tasks {
        t.abort();
    }
    rt.block_on(async {
        for t in running.tasks {
            #[allow(
                clippy::let_underscore_must_use,
                reason = "the tasks were aborted just above: a cancelled task is the expected outcome"
            )]
            let _ = t.await;
        }
    });
    while let Ok(ev) = rx.try_recv() {
        sink.apply(ev)?;
    }
    for name in running.pending_once.iter().filter(|_| opts.once) {
        let health = Health::Down { since: Utc::now(), error: format!("no answer within {:?}", opts.once_timeout) };
        sink.apply(SourceEvent::Health { source: name.clone(), health })?;
    }
    sink.commit()?;
    sink.metrics.stopped();
    let report = sink.report.clone();
    sink.writer.finish()?;
    rt.shutdown_timeout(Duration::from_secs(2));
    Ok(report)
}

/// What runs: the source tasks, the file sources the sink tails, and the sources `once` still waits for.
struct Running {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    files: Vec<FileSource>,
    pending_once: Vec<String>,
}

impl Sink {
    fn open(data_dir: &Path, config: &Config, opts: &Options, plans: &[Planned]) -> anyhow::Result<Sink> {
        let store = Store::open(data_dir)?;
        let writer = WriterHandle::start(&store, opts.writer.clone())?;
        let state = StateDb::open(data_dir)?;
        let manifest = store.manifest()?;
        let miner_file = MinerFile::new(data_dir);
        let miner = miner_file.load()?;
        Ok(Sink {
            store,
            writer,
            state,
            manifest,
            miner,
            miner_file,
            counts: HashMap::new(),
            acks: Vec::new(),
            cursors: HashMap::new(),
            dirty: false,
            last_commit: Instant::now(),
            commit_interval: opts.commit_interval,
            kinds: plans.iter().map(|p| (p.name.clone(), p.kind.as_str())).collect(),
            report: Report::default(),
            ts: TsContext { now: Utc::now(), zone: config.assume_zone() },
            max_line_bytes: config.ingest.max_line_bytes,
            metrics: Arc::new(Metrics::default()),
        })
    }
}

/// Starts every pull source from its saved cursor; file sources are left to the sink. A source that cannot start
/// (an unreadable secret, a bad CA) is reported down, and the others run.
fn start_sources(
    rt: &tokio::runtime::Runtime,
    plans: &[Planned],
    sink: &mut Sink,
    tx: &mpsc::Sender<SourceEvent>,
    shutdown: &watch::Receiver<bool>,
) -> anyhow::Result<Running> {
    let mut running = Running { tasks: Vec::new(), files: Vec::new(), pending_once: Vec::new() };
    for p in plans {
        sink.apply(SourceEvent::Health { source: p.name.clone(), health: Health::Starting })?;
        if p.kind == SourceKind::File {
            running.files.push(FileSource {
                name: p.name.clone(),
                pattern: p.cfg.path.clone().unwrap_or_default(),
                service: p.cfg.service.clone(),
                interval: duration(p.cfg.interval, Duration::from_secs(1)),
                next: Instant::now(),
                seen: HashMap::new(),
            });
            continue;
        }
        let cursor = sink.state.cursor(&p.name)?;
        match spawn_source(rt, p, cursor, tx.clone(), shutdown.clone()) {
            Ok(t) => {
                running.tasks.push(t);
                running.pending_once.push(p.name.clone());
            }
            Err(e) => {
                let health = Health::Down { since: Utc::now(), error: format!("{e:#}") };
                sink.apply(SourceEvent::Health { source: p.name.clone(), health })?;
            }
        }
    }
    Ok(running)
}

/// Stores what the sources send and tails the files, committing in groups, until `stop`, until `once` is done,
/// or until nothing is left to run.
fn pump(
    rt: &tokio::runtime::Runtime,
    sink: &mut Sink,
    rx: &mut mpsc::Receiver<SourceEvent>,
    running: &mut Running,
    opts: &Options,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut files_done = false;
    loop {
        sink.metrics.beat();
        sink.metrics.queue_depth(rx.len());
        let now = Instant::now();
        let next_file = running.files.iter().map(|f| f.next).min().unwrap_or(now + Duration::from_millis(250));
        let wait = next_file.saturating_duration_since(now).min(Duration::from_millis(250));
        let ev = rt.block_on(async { tokio::time::timeout(wait, rx.recv()).await });
        let mut closed = false;
        match ev {
            Ok(Some(ev)) => {
                // Group commit: take what else is already queued before committing once for all of it.
                let queued = std::iter::from_fn(|| rx.try_recv().ok()).take(256);
                for ev in std::iter::once(ev).chain(queued.collect::<Vec<_>>()) {
                    if let SourceEvent::Polled { source } = &ev {
                        running.pending_once.retain(|s| s != source);
                    }
                    sink.apply(ev)?;
                }
            }
            Ok(None) => {
                // No task sends any more (only file sources, or every source failed to start): keep tailing.
                closed = true;
                std::thread::sleep(wait);
            }
            Err(_) => {}
        }
        let now = Instant::now();
        for f in running.files.iter_mut() {
            if f.next <= now {
                sink.tail_files(f, false)?;
                f.next = now + f.interval;
            }
        }
        files_done = files_done || opts.once;
        if !sink.acks.is_empty() || (sink.dirty && sink.last_commit.elapsed() >= sink.commit_interval) {
            sink.commit()?;
        }
        let once_done =
            opts.once && files_done && (running.pending_once.is_empty() || started.elapsed() >= opts.once_timeout);
        let nothing_left = closed && running.files.is_empty() && !opts.once;
        if once_done || nothing_left || stop.load(Ordering::Relaxed) {
            return Ok(());
        }
    }
}

/// A future that completes once `collect` stops.
async fn stopped(mut rx: watch::Receiver<bool>) {
    #[allow(clippy::let_underscore_must_use, reason = "a dropped sender also means stop")]
    let _ = rx.wait_for(|s| *s).await;
}

/// Binds and starts the push receivers (OTLP, the Alertmanager webhook) and `/metrics`.
fn start_listeners(
    rt: &tokio::runtime::Runtime,
    config: &Config,
    sink: &mut Sink,
    tx: &mpsc::Sender<SourceEvent>,
    shutdown: &watch::Receiver<bool>,
    tasks: &mut Vec<tokio::task::JoinHandle<()>>,
) -> anyhow::Result<()> {
    let bind = |addr: std::net::SocketAddr, what: &str| {
        rt.block_on(tokio::net::TcpListener::bind(addr)).with_context(|| format!("cannot listen on {addr} for {what}"))
    };
    if let Some(o) = &config.otlp {
        let addr: std::net::SocketAddr = o.listen.parse().context("otlp.listen")?;
        let listener = bind(addr, "OTLP")?;
        let cfg = otlp_http::OtlpConfig {
            listen: addr,
            max_body_bytes: usize::try_from(o.max_body.bytes()).unwrap_or(usize::MAX),
            header_timeout: o.header_timeout.into(),
            body_timeout: o.body_timeout.into(),
            max_connections: o.max_connections,
            on_status: Some(sink.metrics.status_hook("otlp")),
            ..Default::default()
        };
        sink.kinds.insert("otlp".into(), "otlp");
        let (tx, stop) = (tx.clone(), stopped(shutdown.clone()));
        tasks.push(rt.spawn(async move {
            if let Err(e) = otlp_http::serve(listener, cfg, "otlp", tx, stop).await {
                tracing::error!(error = %e, "otlp receiver stopped");
            }
        }));
        tracing::info!(%addr, "otlp receiver listening");
    }
    if let Some(w) = &config.alertmanager_webhook {
        let addr: std::net::SocketAddr = w.listen.parse().context("alertmanager_webhook.listen")?;
        let listener = bind(addr, "the Alertmanager webhook")?;
        let defaults = alertmanager_webhook::WebhookConfig::default();
        let cfg = alertmanager_webhook::WebhookConfig {
            listen: addr,
            path: w.path.clone().unwrap_or_else(|| alertmanager_webhook::DEFAULT_PATH.into()),
            on_status: Some(sink.metrics.status_hook("alertmanager_webhook")),
            header_timeout: w.header_timeout.map_or(defaults.header_timeout, Into::into),
            body_timeout: w.body_timeout.map_or(defaults.body_timeout, Into::into),
            max_connections: w.max_connections.unwrap_or(defaults.max_connections),
            max_body_bytes: w
                .max_body
                .map_or(defaults.max_body_bytes, |b| usize::try_from(b.bytes()).unwrap_or(usize::MAX)),
            ..defaults
        };
        let name = "alertmanager_webhook";
        sink.kinds.insert(name.into(), name);
        let (tx, stop) = (tx.clone(), stopped(shutdown.clone()));
        tasks.push(rt.spawn(alertmanager_webhook::serve(listener, cfg, name, tx, stop)));
        tracing::info!(%addr, "alertmanager webhook listening");
    }
    if let Some(l) = config.collect.as_ref().and_then(|c| c.metrics_listen.as_ref()) {
        let addr: std::net::SocketAddr = l.parse().context("collect.metrics_listen")?;
        let listener = bind(addr, "/metrics")?;
        let limits = crate::sources::accept::ConnLimits {
            header_timeout: Duration::from_secs(10),
            max_connections: 64,
            drain: Duration::from_secs(5),
            on_status: None,
        };
        let stop = stopped(shutdown.clone());
        tasks.push(rt.spawn(metrics::serve(listener, sink.metrics.clone(), limits, stop)));
        tracing::info!(%addr, "metrics endpoint listening");
    }
    Ok(())
}

/// SIGINT or SIGTERM.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                #[allow(
                    clippy::let_underscore_must_use,
                    reason = "no Ctrl-C handler means no signal to wait for: stopping then is as good as any"
                )]
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        #[allow(
            clippy::let_underscore_must_use,
            reason = "no Ctrl-C handler means no signal to wait for: stopping then is as good as any"
        )]
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_list_matching_files_in_order() {
        let dir = tempfile::tempdir().unwrap();
        for n in ["b.log", "a.log", "c.txt"] {
            std::fs::write(dir.path().join(n), "x\n").unwrap();
        }
        let got = expand_glob(&format!("{}/*.log", dir.path().display()));
        let names: Vec<_> = got.iter().map(|p| p.file_name().unwrap().to_str().unwrap().to_string()).collect();
        assert_eq!(names, vec!["a.log", "b.log"]);
        // Wildcards in directories: a Kubernetes node's pod logs.
        for pod in ["shop_web-7d9c8b6f5-x2x9q_u1", "db_postgres-0_u2"] {
            let d = dir.path().join("pods").join(pod).join("main");
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("0.log"), "x\n").unwrap();
        }
        let got = expand_glob(&format!("{}/pods/*/*/*.log", dir.path().display()));
        let pods: Vec<_> = got.iter().map(|p| p.strip_prefix(dir.path()).unwrap().to_path_buf()).collect();
        assert_eq!(
            pods,
            [Path::new("pods/db_postgres-0_u2/main/0.log"), Path::new("pods/shop_web-7d9c8b6f5-x2x9q_u1/main/0.log")]
        );
        assert_eq!(expand_glob(&format!("{}/**/0.log", dir.path().display())).len(), 2);
    }
}
