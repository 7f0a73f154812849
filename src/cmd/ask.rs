//! `firewatch ask [--offline] [--now T] [--json] QUESTION`: a question in plain words, answered from the data
//! with citations. Offline (deterministic) for now; the LLM path comes with the `[llm]` config section.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{Duration, Local, Utc};

use super::Ctx;
use crate::analysis::incidents::{analyze, AnalysisConfig, Telemetry};
use crate::cli::AskArgs;
use crate::copilot::cite;
use crate::copilot::interpret::{interpret, Known};
use crate::copilot::offline;
use crate::sanitize::terminal_safe;
use crate::store::state::StateDb;
use crate::store::{scan, Store};
use crate::timearg;

pub fn run(ctx: &Ctx, args: &AskArgs) -> anyhow::Result<ExitCode> {
    let question = args.question.join(" ");
    if question.trim().is_empty() {
        anyhow::bail!("ask needs a question, like: firewatch ask why did checkout slow down at 3pm");
    }
    let now = match &args.now {
        Some(n) => timearg::parse(n, Utc::now()).map_err(|e| anyhow::anyhow!("--now: {e}"))?,
        None => Utc::now(),
    };
    let store = Store::open(&ctx.data_dir).context("cannot open the index")?;
    let searcher = store.reader().context("cannot read the index")?.searcher();
    let state = StateDb::open(&ctx.data_dir).context("cannot open the state database")?;
    let mut alerts = state.alerts().context("cannot read alerts")?;
    // The names the question can refer to: those actually in the data.
    let mut services = scan::field_values(&searcher, store.fields.service)?;
    let mut regions = scan::field_values(&searcher, store.fields.region)?;
    for a in &alerts {
        services.extend(a.service.clone());
        regions.extend(a.region.clone());
    }
    let known = Known { services: services.into_iter().collect(), regions: regions.into_iter().collect() };
    // Relative times resolve in the user's timezone (TZ).
    let interp = interpret(&question, now.with_timezone(&Local), &known);
    let (start, end) = (interp.window.start, interp.window.end);
    let (from, to) = (start - Duration::hours(2), end + Duration::minutes(15));
    alerts.retain(|a| a.starts_at >= start - Duration::hours(6) && a.starts_at <= end);
    let (logs, spans) = scan::records(&store.fields, &searcher, from, to).context("cannot read logs and spans")?;
    let metrics = state.metrics_between(from, to).context("cannot read metrics")?;
    let t = Telemetry { logs: &logs, spans: &spans, metrics: &metrics, alerts: &alerts };
    let analysis = analyze(&t, end.min(now), &AnalysisConfig::default());
    let answer = offline::answer(&question, interp, &analysis);
    // The offline answer cites only what it put in the pack; check anyway, as every answer will be.
    let ids: Vec<&str> = answer.evidence.iter().map(|e| e.id.as_str()).collect();
    let report = cite::check(&answer.answer, &ids);
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &answer)?;
        writeln!(out)?;
    } else {
        let i = &answer.interpretation;
        writeln!(
            out,
            "understood: services [{}], regions [{}], symptom {}, from {} to {}",
            i.services.join(", "),
            i.regions.join(", "),
            i.symptom.map_or("-".to_string(), |s| format!("{s:?}").to_lowercase()),
            i.window.start.to_rfc3339(),
            i.window.end.to_rfc3339()
        )?;
        for n in &i.notes {
            writeln!(out, "  ({})", terminal_safe(n))?;
        }
        writeln!(out, "\n{}\n", terminal_safe(&cite::annotate(&answer.answer, &report)))?;
        for e in &answer.evidence {
            let svc = e.service.as_deref().unwrap_or("-");
            writeln!(
                out,
                "[{}] {} {} {svc}: {}",
                e.id,
                e.kind,
                e.timestamp.format("%H:%M:%S"),
                terminal_safe(&e.text)
            )?;
        }
        if !answer.candidates.is_empty() {
            writeln!(out, "\ncandidates:")?;
            for c in &answer.candidates {
                writeln!(out, "  {:.2} {}: {}", c.score, c.service, terminal_safe(&c.reason))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
