//! The use-cases, between the stages and the two front ends. An [`Engine`] owns where the
//! data lives and the configuration, opens the index and the state database, and answers
//! in types: analyse a window ([`Engine::analyze`]), prepare and ask a question
//! ([`ask`]), suggest and run a runbook step ([`runbooks`]), export a postmortem
//! ([`postmortem`]), search ([`search`]) and say when the data changed ([`Engine::generation`]).
//! `cmd` parses arguments and prints what the engine returns; `ui` runs the same calls as
//! effects. Neither opens the store itself, and the engine knows neither of them.

pub mod ask;
pub mod audit;
pub mod ingest;
pub mod logfile;
pub mod open;
pub mod patterns;
pub mod postmortem;
pub mod runbooks;
pub mod search;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use directories::ProjectDirs;

use crate::analysis::incidents::{analyze, Analysis, AnalysisConfig, Telemetry};
use crate::cli::Verbosity;
use crate::config::Config;
use crate::model::MetricPoint;
use crate::sources::timestamp::TsContext;
pub use crate::store::state::HealthRow;
use crate::store::state::StateDb;
use crate::store::writer::WriterConfig;
use crate::store::{scan, Store};
use logfile::LogFlush;

/// What every use-case needs: where the data lives, the effective configuration, and how
/// much the front end says on stderr.
pub struct Engine {
    pub data_dir: PathBuf,
    pub config: Config,
    /// `-q`: no warnings and no progress on stderr (errors still go there).
    pub quiet: bool,
    pub verbosity: Verbosity,
    /// Keeps the log file writer flushing until the command ends.
    log_flush: Option<LogFlush>,
}

fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("dev", "firewatch", "firewatch")
}

pub fn default_data_dir() -> PathBuf {
    project_dirs().map_or_else(|| PathBuf::from(".firewatch"), |d| d.data_dir().to_path_buf())
}

/// Where the user's config, prompts and runbooks live.
pub fn config_dir() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().to_path_buf())
}

pub fn default_config_path() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().join("config.toml")).filter(|p| p.exists())
}

/// Where the log files go: `$XDG_STATE_HOME/firewatch` (`~/.local/state/firewatch`), or
/// the data dir where the platform has no state dir.
pub fn log_dir(data_dir: &Path) -> PathBuf {
    project_dirs().and_then(|d| d.state_dir().map(Path::to_path_buf)).unwrap_or_else(|| data_dir.to_path_buf())
}

/// What the collector last reported for each source in `data_dir`, without an engine (the
/// config may be the thing that is broken): nothing when no state database exists yet or it
/// cannot be read, since this is only ever a hint beside a verdict.
pub fn reported_health(data_dir: &Path) -> Vec<HealthRow> {
    if !data_dir.join(crate::store::STATE_DB).exists() {
        return Vec::new();
    }
    match StateDb::open(data_dir).and_then(|s| s.health()) {
        Ok(rows) => rows,
        Err(e) => {
            tracing::debug!(error = %e, "cannot read the sources' health");
            Vec::new()
        }
    }
}

/// Everything a front end shows about the data dir at a glance: the incidents, the
/// runbooks that may fit them, the names in the data, and the sources' health.
pub struct Overview {
    pub analysis: Analysis,
    pub library: crate::runbooks::Library,
    pub known: (Vec<String>, Vec<String>),
    pub health: Vec<HealthRow>,
}

impl Engine {
    /// An engine over `data_dir` (created if missing) with `config`; no logging set up.
    pub fn new(data_dir: PathBuf, config: Config, verbosity: Verbosity) -> anyhow::Result<Engine> {
        std::fs::create_dir_all(&data_dir).with_context(|| format!("cannot create data dir {}", data_dir.display()))?;
        Ok(Engine { data_dir, config, quiet: verbosity == Verbosity::Quiet, verbosity, log_flush: None })
    }

    /// Flushes the log file when the engine ends.
    pub fn with_log_flush(mut self, flush: Option<LogFlush>) -> Engine {
        self.log_flush = flush;
        self
    }

    pub fn state(&self) -> anyhow::Result<StateDb> {
        StateDb::open(&self.data_dir).context("cannot open the state database")
    }

    pub fn store(&self) -> anyhow::Result<Store> {
        Store::open(&self.data_dir).context("cannot open the index")
    }

    /// How timestamps are read now: naive ones in the configured zone.
    pub fn ts_now(&self) -> TsContext {
        TsContext { now: Utc::now(), zone: self.config.assume_zone() }
    }

    /// How the index writer runs for this config (ingest, the collector, the demo replay).
    pub fn writer_config(&self) -> WriterConfig {
        WriterConfig {
            memory_bytes: self.config.store.writer_memory_mb << 20,
            threads: self.config.store.writer_threads,
            commit_interval: self.config.commit_interval(),
            max_docs_before_merge: self.config.store.merge_max_docs,
            ..WriterConfig::default()
        }
    }

    /// Loads what the analysis needs from the data dir and runs it. Alerts that started after `since` are grouped;
    /// logs, spans and metrics from two hours before the first of them give the baselines.
    pub fn analyze(&self, now: DateTime<Utc>, since: Option<DateTime<Utc>>) -> anyhow::Result<Analysis> {
        let state = self.state()?;
        let mut alerts = state.alerts().context("cannot read alerts")?;
        // An alert dated after the plausible window (stored before ingest checked dates, or from a clock years off)
        // can neither be an incident now nor anchor the window below: one alert dated 9999 would hide every real one.
        let latest = crate::sources::timestamp::latest(now);
        alerts.retain(|a| a.starts_at <= latest);
        // By default, the day before the newest alert: a postmortem of old data works the same as a live view.
        let newest = alerts.iter().map(|a| a.starts_at).max();
        let since = since.or_else(|| newest.map(|n| n - chrono::Duration::hours(24)));
        if let Some(s) = since {
            alerts.retain(|a| a.starts_at >= s);
        }
        let Some(first) = alerts.iter().map(|a| a.starts_at).min() else {
            return Ok(Analysis::default());
        };
        let last = alerts.iter().map(|a| a.ends_at.unwrap_or(a.starts_at).max(a.starts_at)).max().unwrap_or(first);
        let (from, to) = (first - chrono::Duration::hours(2), last.min(now.max(first)) + chrono::Duration::hours(1));
        let store = self.store()?;
        let searcher = store.reader().context("cannot read the index")?.searcher();
        let (logs, spans) = scan::records(&store.fields, &searcher, from, to).context("cannot read logs and spans")?;
        let metrics = state.metrics_between(from, to).context("cannot read metrics")?;
        tracing::info!(
            alerts = alerts.len(),
            logs = logs.len(),
            spans = spans.len(),
            metrics = metrics.len(),
            "analysing"
        );
        let t = Telemetry { logs: &logs, spans: &spans, metrics: &metrics, alerts: &alerts };
        Ok(analyze(&t, now, &AnalysisConfig::default()))
    }

    /// The analysis at `now` with what the incidents view shows beside it.
    pub fn overview(&self, now: DateTime<Utc>) -> anyhow::Result<Overview> {
        let analysis = self.analyze(now, None)?;
        let library = self.library()?;
        let known = self.known_names()?;
        let health = self.health()?;
        Ok(Overview { analysis, library, known, health })
    }

    /// What each source last reported (the collector's health rows).
    pub fn health(&self) -> anyhow::Result<Vec<HealthRow>> {
        self.state()?.health().context("cannot read the sources' health")
    }

    /// The stored alerts, as received.
    pub fn alerts(&self) -> anyhow::Result<Vec<crate::model::Alert>> {
        self.state()?.alerts().context("cannot read alerts")
    }

    /// Metric points with a time in `[from, to]`, in time order.
    pub fn metrics_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> anyhow::Result<Vec<MetricPoint>> {
        self.state()?.metrics_between(from, to).context("cannot read metrics")
    }

    /// A number that changes whenever something in the data dir was written (see [`crate::store::generation`]).
    pub fn generation(&self) -> u64 {
        crate::store::generation(&self.data_dir)
    }

    /// The configured sources collected into the data dir: one round with `once` (each source
    /// given `once_timeout` to answer), else until the process is told to stop. Commits come at
    /// least every second, so what a command collected is searchable at once.
    pub fn collect(&self, once: bool, once_timeout: Duration) -> anyhow::Result<crate::collector::Report> {
        let opts = crate::collector::Options {
            once,
            once_timeout,
            writer: self.writer_config(),
            commit_interval: self.config.commit_interval().min(Duration::from_secs(1)),
        };
        crate::collector::run(&self.data_dir, &self.config, &opts, Arc::new(AtomicBool::new(false)))
    }

    /// The configured sources, collected into the data dir until `stop`.
    pub fn collect_live(&self, stop: Arc<AtomicBool>) -> anyhow::Result<()> {
        let opts = crate::collector::Options {
            once: false,
            once_timeout: Duration::from_secs(60),
            writer: self.writer_config(),
            commit_interval: self.config.commit_interval(),
        };
        crate::collector::run(&self.data_dir, &self.config, &opts, stop).map(|_| ())
    }

    /// The demo's simulated incident, replayed into the data dir at `speed` times real time.
    pub fn replay_demo(
        &self,
        speed: f64,
        stop: &Arc<AtomicBool>,
        progress: impl FnMut(crate::sim::replay::Progress),
    ) -> anyhow::Result<()> {
        let replay = crate::sim::replay::Replay::new(&crate::sim::replay::demo_spec(), speed);
        replay.run(&self.data_dir, self.writer_config(), stop, progress)
    }

    /// Where the demo's data time starts.
    pub fn demo_start() -> DateTime<Utc> {
        crate::sim::replay::demo_spec().start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generation_moves_when_the_state_database_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::new(dir.path().to_path_buf(), Config::load(None).unwrap(), Verbosity::Normal).unwrap();
        let db = engine.state().unwrap();
        let before = engine.generation();
        assert_eq!(engine.generation(), before, "nothing written, nothing changed");
        db.append_audit(
            "test@host",
            &crate::store::state::AuditEvent::LlmRequest(crate::store::state::audit::LlmRequest {
                endpoint: "e".into(),
                model: "m".into(),
                body: serde_json::json!({}),
            }),
        )
        .unwrap();
        assert_ne!(engine.generation(), before);
    }
}
