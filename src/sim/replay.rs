//! `firewatch demo`: a simulated incident replayed into a data dir in accelerated time.
//! The history before the incident goes in at once (the analysis needs baselines); from a
//! few minutes before the onset the telemetry arrives at `speed` times real time, through
//! the same ingest path as a file or stdin (OTLP/JSON lines and Alertmanager webhooks), so
//! alerts fire, incidents form and the suspected cause appears while the user watches.

use std::io::Cursor;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::{generate, FaultKind, Scenario, ScenarioSpec};
use crate::ingest::{Ingestor, Options};
use crate::sources::timestamp::TsContext;
use crate::store::state::StateDb;
use crate::store::templates::MinerFile;
use crate::store::writer::{WriterConfig, WriterHandle};
use crate::store::Store;

/// The demo's incident: a bad deploy on a 10-service shop, with the usual noise (a flapping
/// alert, an unrelated earlier incident, chronic errors, a harmless deploy).
pub fn demo_spec() -> ScenarioSpec {
    ScenarioSpec { duration_secs: 2 * 3600, ..ScenarioSpec::new(7, FaultKind::BadDeploy) }
}

/// How the replay is going, for the status bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// The replay's clock: the newest data time stored.
    pub now: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Loading the history before the incident (not yet streaming).
    pub loading: bool,
    pub records: u64,
    pub error: Option<String>,
}

pub struct Replay {
    pub scenario: Scenario,
    /// Times real time, once streaming.
    pub speed: f64,
    /// Streaming starts this long before the onset.
    pub lead: chrono::Duration,
}

impl Replay {
    pub fn new(spec: &ScenarioSpec, speed: f64) -> Self {
        Replay { scenario: generate(spec), speed: speed.max(1.0), lead: chrono::Duration::minutes(3) }
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.scenario.spec.start
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.scenario.spec.start + chrono::Duration::seconds(self.scenario.spec.duration_secs)
    }

    /// Where streaming begins.
    pub fn live_from(&self) -> DateTime<Utc> {
        (self.scenario.truth.onset - self.lead).max(self.start())
    }

    /// Replays into `data_dir` until the scenario ends or `stop` is set; `progress` is told
    /// after every commit. Runs on the calling thread: it owns the index writer.
    pub fn run(
        &self,
        data_dir: &Path,
        writer: WriterConfig,
        stop: &Arc<AtomicBool>,
        mut progress: impl FnMut(Progress),
    ) -> anyhow::Result<()> {
        let store = Store::open(data_dir)?;
        let writer = WriterHandle::start(&store, writer)?;
        let mut state = StateDb::open(data_dir)?;
        let miner_file = MinerFile::new(data_dir);
        let end = self.end();
        let mut records = 0u64;
        let mut ingestor = Ingestor::new(
            &writer,
            &mut state,
            store.fields,
            store.manifest()?,
            Options { ts: TsContext::utc(end), service: None, max_line_bytes: 1 << 20, complete_lines_only: false },
        );
        ingestor.miner = miner_file.load()?;
        let ingest = |ing: &mut Ingestor<'_>, from: DateTime<Utc>, to: DateTime<Utc>| -> anyhow::Result<u64> {
            let mut n = 0;
            for (name, bytes) in super::otlp::encode_window(&self.scenario, from, to)? {
                let report = ing.ingest_reader(name, Cursor::new(bytes))?;
                n += report.records();
            }
            // The miner goes to disk before the records naming its ids are committed (see ingest).
            miner_file.save(&ing.miner)?;
            writer.commit()?;
            Ok(n)
        };
        // The history, in slices of ten minutes so the list fills in while it loads.
        let live_from = self.live_from();
        let mut at = self.start();
        while at < live_from && !stop.load(Ordering::Relaxed) {
            let to = (at + chrono::Duration::minutes(10)).min(live_from);
            records += ingest(&mut ingestor, at, to)?;
            at = to;
            progress(Progress { now: at, end, loading: at < live_from, records, error: None });
        }
        // Then at `speed` times real time, a commit about every 250 ms.
        let started = Instant::now();
        while at < end && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(250));
            let elapsed =
                chrono::Duration::milliseconds((started.elapsed().as_secs_f64() * 1000.0 * self.speed) as i64);
            let to = (live_from + elapsed).min(end);
            records += ingest(&mut ingestor, at, to)?;
            at = to;
            progress(Progress { now: at, end, loading: false, records, error: None });
        }
        let (_, _, counts) = ingestor.into_parts();
        state.add_template_counts(&counts)?;
        writer.finish()?;
        Ok(())
    }
}
