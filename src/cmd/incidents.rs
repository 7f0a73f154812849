//! `firewatch incidents [--json] [--now T] [--since T]`: alerts grouped into incidents, each with its suspected cause.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, Duration, Utc};

use super::Ctx;
use crate::analysis::incidents::{analyze, Analysis, AnalysisConfig, Telemetry};
use crate::cli::IncidentsArgs;
use crate::sanitize::{self, safe_join, terminal_safe};
use crate::store::state::StateDb;
use crate::store::{scan, Store};
use crate::timearg;

/// Loads what the analysis needs from the data dir and runs it. Alerts that started after `since` are grouped;
/// logs, spans and metrics from two hours before the first of them give the baselines.
pub fn load_and_analyze(ctx: &Ctx, now: DateTime<Utc>, since: Option<DateTime<Utc>>) -> anyhow::Result<Analysis> {
    let state = StateDb::open(&ctx.data_dir).context("cannot open the state database")?;
    let mut alerts = state.alerts().context("cannot read alerts")?;
    // An alert dated after the plausible window (stored before ingest checked dates, or from a clock years off)
    // can neither be an incident now nor anchor the window below: one alert dated 9999 would hide every real one.
    let latest = crate::sources::timestamp::latest(now);
    alerts.retain(|a| a.starts_at <= latest);
    // By default, the day before the newest alert: a postmortem of old data works the same as a live view.
    let newest = alerts.iter().map(|a| a.starts_at).max();
    let since = since.or_else(|| newest.map(|n| n - Duration::hours(24)));
    if let Some(s) = since {
        alerts.retain(|a| a.starts_at >= s);
    }
    let Some(first) = alerts.iter().map(|a| a.starts_at).min() else {
        return Ok(Analysis::default());
    };
    let last = alerts.iter().map(|a| a.ends_at.unwrap_or(a.starts_at).max(a.starts_at)).max().unwrap_or(first);
    let (from, to) = (first - Duration::hours(2), last.min(now.max(first)) + Duration::hours(1));
    let store = Store::open(&ctx.data_dir).context("cannot open the index")?;
    let searcher = store.reader().context("cannot read the index")?.searcher();
    let (logs, spans) = scan::records(&store.fields, &searcher, from, to).context("cannot read logs and spans")?;
    let metrics = state.metrics_between(from, to).context("cannot read metrics")?;
    tracing::info!(alerts = alerts.len(), logs = logs.len(), spans = spans.len(), metrics = metrics.len(), "analysing");
    let t = Telemetry { logs: &logs, spans: &spans, metrics: &metrics, alerts: &alerts };
    Ok(analyze(&t, now, &AnalysisConfig::default()))
}

pub fn run(ctx: &Ctx, args: &IncidentsArgs) -> anyhow::Result<ExitCode> {
    let wall = Utc::now();
    let now = match &args.now {
        Some(n) => timearg::parse(n, wall).map_err(|e| anyhow::anyhow!("--now: {e}"))?,
        None => wall,
    };
    let since = args
        .since
        .as_deref()
        .map(|s| timearg::parse(s, now))
        .transpose()
        .map_err(|e| anyhow::anyhow!("--since: {e}"))?;
    let analysis = load_and_analyze(ctx, now, since)?;
    let mut out = sanitize::stdout_buffered();
    if let Some(id) = &args.export {
        let inc = analysis
            .incidents
            .iter()
            .find(|i| &i.id == id)
            .ok_or_else(|| anyhow::anyhow!("no incident {} (see firewatch incidents)", terminal_safe(id)))?;
        let audit = StateDb::open(&ctx.data_dir).and_then(|s| s.audit(None)).context("cannot read the audit log")?;
        out.write_all(super::postmortem::render(inc, &analysis, &audit, now).as_bytes())?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.json {
        sanitize::json::to_writer_pretty(&mut out, &analysis.incidents)?;
        writeln!(out)?;
    } else if analysis.incidents.is_empty() {
        writeln!(out, "no incidents: no alerts stored in {}", terminal_safe(&ctx.data_dir.to_string_lossy()))?;
    } else {
        for inc in &analysis.incidents {
            let age = now - inc.started_at;
            writeln!(
                out,
                "{}  {:<8} {}  {} ago  {}",
                terminal_safe(&inc.id),
                inc.status,
                inc.started_at.format("%Y-%m-%d %H:%M"),
                human(age),
                terminal_safe(&inc.title)
            )?;
            writeln!(
                out,
                "    services: {}  regions: {}  alerts: {}",
                safe_join(&inc.services, ", "),
                safe_join(&inc.regions, ", "),
                inc.alerts.len()
            )?;
            match &inc.root_cause {
                Some(rc) => writeln!(
                    out,
                    "    suspected cause ({:.0}%): {}",
                    rc.confidence * 100.0,
                    terminal_safe(&rc.summary)
                )?,
                None => writeln!(out, "    no cause found")?,
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn human(d: Duration) -> String {
    let m = d.num_minutes().max(0);
    match m {
        0..=59 => format!("{m}m"),
        60..=2879 => format!("{}h{:02}m", m / 60, m % 60),
        _ => format!("{}d", m / 1440),
    }
}
