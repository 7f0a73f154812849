//! usage: firewatch-sim OUT_DIR [--seed N] [--fault KIND] [--services N] [--minutes N] [--no-noise]
//!
//! Writes a simulated incident (see `firewatch::sim`) as OTLP/JSON and Alertmanager
//! files under OUT_DIR/telemetry, the ground truth to OUT_DIR/truth.json, and prints a
//! summary of the ground truth.

use std::path::PathBuf;
use std::process::ExitCode;

use firewatch::sim::{self, FaultKind, ScenarioSpec};

const USAGE: &str = "usage: firewatch-sim OUT_DIR [--seed N] [--fault KIND] [--services N] [--minutes N] [--no-noise]";

fn parse(args: &[String]) -> Result<(PathBuf, ScenarioSpec), String> {
    let mut out = None;
    let mut spec = ScenarioSpec::new(1, FaultKind::SlowDatabase);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--seed" => spec.seed = value("--seed")?.parse().map_err(|e| format!("bad --seed: {e}"))?,
            "--fault" => {
                let v = value("--fault")?;
                let kinds: Vec<&str> = FaultKind::ALL.iter().map(|k| k.as_str()).collect();
                spec.fault =
                    FaultKind::parse(&v).ok_or_else(|| format!("unknown fault '{v}' (one of {})", kinds.join(", ")))?;
            }
            "--services" => spec.services = value("--services")?.parse().map_err(|e| format!("bad --services: {e}"))?,
            "--minutes" => {
                let m: i64 = value("--minutes")?.parse().map_err(|e| format!("bad --minutes: {e}"))?;
                spec.duration_secs = m * 60;
            }
            "--no-noise" => spec.noise = false,
            "-h" | "--help" => return Err(USAGE.into()),
            other if other.starts_with('-') => return Err(format!("unknown option {other}\n{USAGE}")),
            other => out = Some(PathBuf::from(other)),
        }
    }
    Ok((out.ok_or(USAGE)?, spec))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, spec) = match parse(&args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let started = std::time::Instant::now();
    let s = sim::generate(&spec);
    let elapsed = started.elapsed();
    if let Err(e) = sim::write_files(&s, &dir) {
        eprintln!("firewatch-sim: cannot write {}: {e}", dir.display());
        return ExitCode::from(1);
    }
    let t = &s.truth;
    println!("fault:    {}", t.fault);
    println!("root:     {}{}", t.root_service, t.root_region.as_ref().map(|r| format!(" in {r}")).unwrap_or_default());
    println!("onset:    {}", t.onset.to_rfc3339());
    println!("metric:   {}", t.root_metric);
    for (i, inc) in t.incidents.iter().enumerate() {
        println!(
            "incident {}: {} on {}{} at {}, {} alerts",
            i + 1,
            inc.fault,
            inc.root_service,
            inc.root_region.as_ref().map(|r| format!(" in {r}")).unwrap_or_default(),
            inc.onset.to_rfc3339(),
            inc.alert_fingerprints.len()
        );
    }
    println!(
        "records:  {} logs, {} spans, {} metric points, {} alerts ({} services, generated in {:.0?})",
        s.logs.len(),
        s.spans.len(),
        s.metrics.len(),
        s.alerts.len(),
        s.services.len(),
        elapsed
    );
    println!("ingest:   firewatch ingest {}", dir.join("telemetry").display());
    ExitCode::SUCCESS
}
