//! `firewatch collect [--once] [--json]`: the headless collector.

use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use super::ingest::writer_config;
use super::Ctx;
use crate::cli::CollectArgs;
use crate::collector::{self, Options};
use crate::sanitize::terminal_safe;
use crate::sources::feed::Health;

pub fn run(ctx: &Ctx, args: &CollectArgs) -> anyhow::Result<ExitCode> {
    if ctx.config.source.is_empty() && ctx.config.otlp.is_none() {
        anyhow::bail!(
            "no sources configured: add [[source]] sections (alertmanager, prometheus, loki, elasticsearch, file) \
             or an [otlp] receiver to the config file (see README, Sources)"
        );
    }
    let opts = Options {
        once: args.once,
        once_timeout: Duration::from_secs(args.timeout),
        writer: writer_config(ctx),
        commit_interval: ctx.config.commit_interval().min(Duration::from_secs(1)),
    };
    if !args.once {
        eprintln!(
            "firewatch: collecting {} source(s){} into {}; Ctrl-C stops",
            ctx.config.source.len(),
            ctx.config.otlp.as_ref().map(|o| format!(" and OTLP on {}", o.listen)).unwrap_or_default(),
            ctx.data_dir.display()
        );
    }
    let report = collector::run(&ctx.data_dir, &ctx.config, &opts, Arc::new(AtomicBool::new(false)))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
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
            writeln!(out, "{name}: {n} records, {state}")?;
        }
    }
    // After one round, a source that could not be read (down, or still retrying) failed.
    let failed = report.health.values().any(|h| matches!(h, Health::Down { .. } | Health::Degraded { .. }));
    Ok(if args.once && failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
