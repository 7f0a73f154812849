//! usage: firewatch-sim OUT_DIR [--seed N] [--fault KIND] [--services N] [--minutes N] [--no-noise] [--variety]
//!        firewatch-sim eval [--scenarios N] [--seed N] [--explain] [--variety]
//!        firewatch-sim ask-eval [--scenarios N] [--seed N] [--explain] [--variety]
//!        firewatch-sim digest [--scenarios N] [--seed N] [--variety]
//!
//! Writes a simulated incident (see `firewatch::sim`) as OTLP/JSON and Alertmanager
//! files under OUT_DIR/telemetry, the ground truth to OUT_DIR/truth.json, and prints a
//! summary of the ground truth. `eval` runs the analysis on N generated scenarios
//! (default 24, cycling through the fault kinds) and prints its scores against the
//! ground truth; it exits 1 when a target of issue 4 is missed. `ask-eval` asks the
//! offline copilot questions about each scenario's incident and a quiet window, and
//! scores its answers (AC@1, AC@3, "no cause" when quiet, evidence near the onset). Both
//! print AC@1 by fault kind and the calibration (Brier score, reliability table) of the
//! confidence given with a named cause; `--variety` draws each scenario's telemetry style
//! from its seed (see `firewatch::sim::Variety`). `digest` prints a hash of each generated
//! scenario, to show a refactor of the simulator changed nothing.

use std::path::PathBuf;
use std::process::ExitCode;

use firewatch::analysis::calibration::calibration;
use firewatch::sim::{self, FaultKind, ScenarioSpec, Variety};

const USAGE: &str = "usage: firewatch-sim OUT_DIR [--seed N] [--fault KIND] [--services N] [--minutes N] [--no-noise] [--variety]\n       firewatch-sim eval [--scenarios N] [--seed N] [--explain] [--variety]\n       firewatch-sim ask-eval [--scenarios N] [--seed N] [--explain] [--variety]\n       firewatch-sim digest [--scenarios N] [--seed N] [--variety]";

/// `--scenarios N --seed N --explain --variety`, shared by the evaluations.
struct EvalArgs {
    n: usize,
    seed: u64,
    explain: bool,
    /// Each scenario with a `Variety` drawn from its seed.
    variety: bool,
}

impl EvalArgs {
    fn suite(&self) -> Vec<ScenarioSpec> {
        if self.variety {
            sim::eval::varied_suite(self.n, self.seed)
        } else {
            sim::eval::suite(self.n, self.seed)
        }
    }
}

fn eval_args(args: &[String]) -> Option<EvalArgs> {
    let (mut n, mut seed, mut explain, mut variety) = (24usize, 1u64, false, false);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--explain" {
            explain = true;
            continue;
        }
        if a == "--variety" {
            variety = true;
            continue;
        }
        let v = it.next().and_then(|v| v.parse::<u64>().ok());
        match (a.as_str(), v) {
            ("--scenarios", Some(v)) => n = v as usize,
            ("--seed", Some(v)) => seed = v,
            _ => return None,
        }
    }
    Some(EvalArgs { n, seed, explain, variety })
}

/// AC@1 by fault kind.
fn print_by_kind(what: &str, rows: &[(FaultKind, bool)]) {
    println!("{what} by fault kind:");
    for (k, right, n) in sim::eval::by_kind(rows) {
        println!("  {:<20} {right:>3}/{n:<3} {:.3}", k.as_str(), right as f64 / n.max(1) as f64);
    }
}

/// The Brier score and reliability table of `(confidence, right)` pairs.
fn print_calibration(what: &str, pairs: &[(f64, bool)]) {
    let c = calibration(pairs, sim::ask_eval::CALIBRATION_BINS);
    println!("{what}: {} answers naming a cause  Brier {:.3}  ECE {:.3}", c.count, c.brier, c.ece);
    println!("  {:<11} {:>5} {:>10} {:>9}", "confidence", "n", "mean conf", "right");
    for b in &c.bins {
        println!("  {:.1}..{:.1}    {:>5} {:>10.3} {:>9.3}", b.from, b.to, b.count, b.confidence, b.accuracy);
    }
}

fn ask_eval(args: &[String]) -> ExitCode {
    let Some(ea) = eval_args(args) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let explain = ea.explain;
    println!("{:>4} {:<20} {:>4} {:<22} {:<22} {:>3} {:>6}", "seed", "fault", "svcs", "truth", "named", "ev", "ms");
    let mut all = Vec::new();
    let mut kinds = Vec::new();
    for spec in ea.suite() {
        if ea.variety {
            println!("     variety: {}", spec.variety.describe());
        }
        let s = sim::generate(&spec);
        for q in sim::ask_eval::evaluate(&s) {
            let mark = if q.correct() {
                ""
            } else if q.in_top(3) {
                " (top 3)"
            } else {
                " MISS"
            };
            println!(
                "{:>4} {:<20} {:>4} {:<22} {:<22} {:>3} {:>6.0}{mark}",
                spec.seed,
                spec.fault.as_str(),
                spec.services,
                q.truth.as_deref().unwrap_or("(quiet)"),
                q.named.as_deref().unwrap_or("(no cause)"),
                if q.evidence_near_onset { "yes" } else { "no" },
                q.elapsed.as_secs_f64() * 1000.0
            );
            if explain || ea.variety {
                println!("     {}  ranked: {}", q.question, q.ranked.join(", "));
            }
            kinds.push((spec.fault, q.correct()));
            all.push(q);
        }
    }
    let sum = sim::ask_eval::summarize(&all);
    println!(
        "questions {}  AC@1 {:.3}  AC@3 {:.3}  quiet windows {}/{} no cause  evidence from the root near onset {:.3}  median {:.0?}",
        sum.questions, sum.ac1, sum.ac3, sum.quiet_correct, sum.quiet, sum.evidence_near_onset, sum.median
    );
    print_by_kind("questions answered right", &kinds);
    let pairs: Vec<(f64, bool)> =
        all.iter().filter(|q| q.named.is_some()).map(|q| (q.confidence, q.correct())).collect();
    print_calibration("confidence", &pairs);
    let ok = sum.ac1 >= 0.80 && sum.ac3 >= 0.95 && sum.quiet_correct == sum.quiet && sum.evidence_near_onset >= 0.95;
    println!(
        "targets (AC@1 >= 0.80, AC@3 >= 0.95, every quiet window no cause, evidence near onset): {}",
        if ok { "met" } else { "MISSED" }
    );
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn eval(args: &[String]) -> ExitCode {
    let Some(ea) = eval_args(args) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let explain = ea.explain;
    println!(
        "{:>4} {:<20} {:>4} {:>6} {:>5} {:>4} {:>6} {:>5} {:>5} {:>7}",
        "seed", "fault", "svcs", "alerts", "incs", "true", "compr", "f1", "rank", "ms"
    );
    let mut scores = Vec::new();
    for spec in ea.suite() {
        let s = sim::generate(&spec);
        let sc = sim::eval::evaluate(&s);
        let rank = match sc.main_rank {
            Some(r) if sc.main_named => r.to_string(),
            Some(r) => format!("{r}?"),
            None => "-".to_string(),
        };
        println!(
            "{:>4} {:<20} {:>4} {:>6} {:>5} {:>4} {:>6.3} {:>5.3} {:>5} {:>7.1}",
            sc.seed,
            sc.fault.as_str(),
            sc.services,
            sc.alerts,
            sc.incidents,
            sc.truth_incidents,
            sc.compression(),
            sc.f1(),
            rank,
            sc.elapsed.as_secs_f64() * 1000.0
        );
        if explain {
            sc.explain.iter().for_each(|l| println!("{l}"));
        }
        scores.push(sc);
    }
    let sum = sim::eval::summarize(&scores);
    let slowest = scores.iter().map(|s| s.elapsed).max().unwrap_or_default();
    println!(
        "scenarios {}  compression {:.3}  pairwise-f1 {:.3}  AC@1 {:.3}  AC@3 {:.3}  (all incidents: AC@1 {:.3} AC@3 {:.3})  slowest analysis {:.0?}",
        sum.scenarios, sum.compression, sum.f1, sum.ac1, sum.ac3, sum.ac1_all, sum.ac3_all, slowest
    );
    let kinds: Vec<(FaultKind, bool)> = scores.iter().map(|s| (s.fault, s.main_rank == Some(1))).collect();
    print_by_kind("main incident AC@1", &kinds);
    let pairs: Vec<(f64, bool)> = scores.iter().filter_map(|s| s.main_cause).collect();
    print_calibration("main incident confidence", &pairs);
    let ok = sum.compression >= 0.85 && sum.f1 >= 0.90 && sum.ac1 >= 0.80 && sum.ac3 >= 0.95;
    println!(
        "targets (compression >= 0.85, f1 >= 0.90, AC@1 >= 0.80, AC@3 >= 0.95): {}",
        if ok { "met" } else { "MISSED" }
    );
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// One line per scenario of the suite (and the demo's): a hash of everything generated,
/// so a refactor of the simulator can show that it changed nothing.
fn digest(args: &[String]) -> ExitCode {
    use std::hash::{Hash, Hasher};
    let Some(ea) = eval_args(args) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let mut specs = ea.suite();
    specs.push(sim::replay::demo_spec());
    for spec in specs {
        let s = sim::generate(&spec);
        let mut h = std::collections::hash_map::DefaultHasher::new();
        format!("{:?}|{:?}|{:?}|{:?}|{:?}|{:?}", s.services, s.edges, s.logs, s.spans, s.metrics, s.alerts)
            .hash(&mut h);
        format!("{:?}|{:?}", s.truth, s.resources).hash(&mut h);
        println!("{:>4} {:<20} {:016x}", spec.seed, spec.fault.as_str(), h.finish());
    }
    ExitCode::SUCCESS
}

fn parse(args: &[String]) -> Result<(PathBuf, ScenarioSpec), String> {
    let mut out = None;
    let mut spec = ScenarioSpec::new(1, FaultKind::SlowDatabase);
    let mut variety = false;
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
            "--variety" => variety = true,
            "-h" | "--help" => return Err(USAGE.into()),
            other if other.starts_with('-') => return Err(format!("unknown option {other}\n{USAGE}")),
            other => out = Some(PathBuf::from(other)),
        }
    }
    if variety {
        spec.variety = Variety::draw(spec.seed);
    }
    Ok((out.ok_or(USAGE)?, spec))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("eval") => return eval(&args[1..]),
        Some("ask-eval") => return ask_eval(&args[1..]),
        Some("digest") => return digest(&args[1..]),
        _ => {}
    }
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
    println!("variety:  {}", s.spec.variety.describe());
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
