//! `firewatch incidents [--json] [--now T] [--since T]`: alerts grouped into incidents, each with its suspected cause.

use std::io::Write;
use std::process::ExitCode;

use chrono::Duration;

use super::Engine;
use crate::cli::IncidentsArgs;
use crate::sanitize::{self, safe_join, terminal_safe};
use crate::timearg;

pub fn run(ctx: &Engine, args: &IncidentsArgs) -> anyhow::Result<ExitCode> {
    let now = super::now_arg(&args.now)?;
    let since = args
        .since
        .as_deref()
        .map(|s| timearg::parse(s, now))
        .transpose()
        .map_err(|e| anyhow::anyhow!("--since: {e}"))?;
    let analysis = ctx.analyze(now, since)?;
    let mut out = sanitize::stdout_buffered();
    if let Some(id) = &args.export {
        if !analysis.incidents.iter().any(|i| &i.id == id) {
            anyhow::bail!("no incident {} (see firewatch incidents)", terminal_safe(id));
        }
        out.write_all(ctx.postmortem(&analysis, id, now)?.as_bytes())?;
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
        // Which labels named the services and regions was inferred: say so, so a wrong guess can be seen.
        writeln!(out, "\n{}", terminal_safe(&analysis.labels.describe()))?;
        // And how many of the deviations found survived the correction for how many series were tested.
        writeln!(out, "{}", analysis.signals.gate().summary())?;
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
