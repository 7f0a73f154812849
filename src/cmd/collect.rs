//! `firewatch collect [--once] [--json]`: the headless collector.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use super::waiting::{self, Waiting};
use super::Engine;
use crate::cli::CollectArgs;
use crate::collector;
use crate::sanitize::{self, terminal_safe};
use crate::sources::feed::Health;

/// The configured sources that have not reported since the round began, as the collector
/// records them in the state db (read-only, WAL: it never blocks the collector).
fn unanswered(ctx: &Engine) -> impl Fn() -> Vec<String> + Send + 'static {
    let started = chrono::Utc::now();
    let plans: Vec<(String, String)> =
        collector::plan(&ctx.config).iter().map(|p| (p.name.clone(), waiting::label(p))).collect();
    let data_dir = ctx.data_dir.clone();
    move || {
        let answered: Vec<String> = crate::engine::reported_health(&data_dir)
            .into_iter()
            .filter(|h| h.updated_at >= started && !h.health.contains("\"starting\""))
            .map(|h| h.source)
            .collect();
        plans.iter().filter(|(name, _)| !answered.contains(name)).map(|(_, label)| label.clone()).collect()
    }
}

pub fn run(ctx: &Engine, args: &CollectArgs) -> anyhow::Result<ExitCode> {
    if ctx.config.source.is_empty() && ctx.config.otlp.is_none() && ctx.config.alertmanager_webhook.is_none() {
        anyhow::bail!(
            "no sources configured: add [[source]] sections (alertmanager, prometheus, loki, elasticsearch, file), \
             an [otlp] receiver or an [alertmanager_webhook] to the config file (see README, Sources)"
        );
    }
    if !args.once {
        writeln!(
            sanitize::stderr(),
            "firewatch: collecting {} source(s){} into {}; Ctrl-C stops",
            ctx.config.source.len(),
            ctx.config.otlp.as_ref().map(|o| format!(" and OTLP on {}", terminal_safe(&o.listen))).unwrap_or_default(),
            terminal_safe(&ctx.data_dir.to_string_lossy())
        )?;
    }
    // With --once, a terminal shows which sources have not answered yet.
    let waiting = Waiting::start(args.once && waiting::shown(ctx.quiet), unanswered(ctx));
    let report = ctx.collect(args.once, Duration::from_secs(args.timeout));
    drop(waiting);
    let report = report?;
    let mut out = sanitize::stdout();
    if args.json {
        sanitize::json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        for (name, health) in &report.health {
            let n = report.records.get(name).copied().unwrap_or(0);
            let state = match health {
                Health::Starting => "starting".to_string(),
                Health::Ok { .. } => "ok".to_string(),
                Health::Degraded { error, .. } => format!("degraded: {}", terminal_safe(error)),
                Health::Down { error, .. } => format!("down: {}", terminal_safe(error)),
            };
            writeln!(out, "{}: {n} records, {state}", terminal_safe(name))?;
        }
    }
    // After one round, a source that could not be read (down, or still retrying) failed.
    let failed = report.health.values().any(|h| matches!(h, Health::Down { .. } | Health::Degraded { .. }));
    Ok(if args.once && failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
