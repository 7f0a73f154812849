//! Template-mining accuracy (GA, PA) per Loghub system and averaged, leave-one-system-out, and
//! throughput.
//!
//! usage: firewatch-templates-eval [DIR] [--loso] [--threads N]
//!
//! DIR (default tests/fixtures/loghub) holds `<System>_2k.log_structured.csv` files, directly or one
//! folder down (a Loghub checkout); every system found is scored. `--loso` also chooses the settings
//! for each system on the others (see `template_eval::loso`) and prints what that scores.

use std::path::PathBuf;
use std::time::Instant;

use firewatch::analysis::template_eval::{describe, evaluate, find_samples, grid, loso, score_grid, Scores};
use firewatch::analysis::templates::{MinerConfig, TemplateMiner};
use firewatch::loghub::{load, Sample};

// The allocator the `firewatch` binary uses, so the throughput is what `patterns` and ingest see.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn row(name: &str, r: &Scores, extra: &str) {
    println!("{name:<12} {:>6} {:>8} {:>7.3} {:>11.3} {:>10.3}  {extra}", r.lines, r.clusters, r.ga, r.pa, r.pa_loose);
}

fn header(extra: &str) {
    println!(
        "{:<12} {:>6} {:>8} {:>7} {:>11} {:>10}  {extra}",
        "system", "lines", "clusters", "GA", "PA(strict)", "PA(loose)"
    );
}

fn average(rows: &[Scores]) -> (f64, f64, f64, f64, String) {
    let n = rows.len().max(1) as f64;
    let ga = rows.iter().map(|r| r.ga).sum::<f64>() / n;
    let pa = rows.iter().map(|r| r.pa).sum::<f64>() / n;
    let pl = rows.iter().map(|r| r.pa_loose).sum::<f64>() / n;
    let low = rows.iter().map(|r| r.ga).fold(f64::INFINITY, f64::min);
    (ga, pa, pl, low, format!("average {ga:.3} GA, {pa:.3} PA, lowest GA {low:.3}"))
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut dir = PathBuf::from("tests/fixtures/loghub");
    let (mut do_loso, mut threads) = (false, std::thread::available_parallelism().map_or(1, |n| n.get()));
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--loso" => do_loso = true,
            "--threads" => threads = it.next().and_then(|n| n.parse().ok()).ok_or("--threads needs a number")?,
            "-h" | "--help" => {
                println!("usage: firewatch-templates-eval [DIR] [--loso] [--threads N]");
                return Ok(());
            }
            _ if a.starts_with('-') => return Err(format!("unknown option {a}")),
            _ => dir = PathBuf::from(a),
        }
    }
    let found = find_samples(&dir)?;
    if found.is_empty() {
        return Err(format!("no <System>_2k.log_structured.csv in {}", dir.display()));
    }
    let samples = found.iter().map(|(name, d)| load(d, name)).collect::<Result<Vec<_>, _>>()?;

    println!("default settings ({})", describe(&MinerConfig::default()));
    header("");
    let plain: Vec<Scores> = samples.iter().map(|s| evaluate(&s.contents, &s.event_ids, &s.templates)).collect();
    for (s, r) in samples.iter().zip(&plain) {
        row(&s.name, r, "");
    }
    let (ga, pa, pl, _, _) = average(&plain);
    println!("{:<12} {:>6} {:>8} {ga:>7.3} {pa:>11.3} {pl:>10.3}", "average", "", "");

    if do_loso {
        print_loso(&samples, threads);
    }
    print_throughput(&samples);
    Ok(())
}

/// Leave-one-system-out: each system scored with the grid's setting that is best on the others.
fn print_loso(samples: &[Sample], threads: usize) {
    let g = grid();
    println!("\nleave-one-system-out: each system scored with the setting of {} that is best on the others", g.len());
    let started = Instant::now();
    let scores = score_grid(&g, samples, threads);
    let rows = loso(&g, samples, &scores);
    header("setting chosen on the other systems");
    for r in &rows {
        row(&r.system, &r.scores, &describe(&r.chosen));
    }
    let s: Vec<Scores> = rows.iter().map(|r| r.scores.clone()).collect();
    let (ga, pa, pl, _, line) = average(&s);
    println!("{:<12} {:>6} {:>8} {ga:>7.3} {pa:>11.3} {pl:>10.3}", "average", "", "");
    println!("{line} ({} settings x {} systems in {:.1}s)", g.len(), samples.len(), started.elapsed().as_secs_f64());
    // The setting best on all of them, for reference: what the defaults should be.
    let best = (0..g.len()).max_by(|&a, &b| {
        let m = |c: usize| {
            let n = samples.len() as f64;
            (scores[c].iter().map(|x| x.ga).sum::<f64>() / n, scores[c].iter().map(|x| x.pa).sum::<f64>() / n)
        };
        let (x, y) = (m(a), m(b));
        x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1)).then(b.cmp(&a))
    });
    if let Some(b) = best {
        let (_, _, _, _, line) = average(&scores[b]);
        println!("best on all {} systems: {} ({line})", samples.len(), describe(&g[b]));
    }
}

/// Throughput on one core, default settings, the samples concatenated: "cold", a fresh miner that
/// learns every template from nothing, and "warm", a miner that has seen the lines once. Each is
/// timed over 15 runs; the median and the best run are printed (the best is what the code does
/// when nothing else competes for the core).
fn print_throughput(samples: &[Sample]) {
    let lines: Vec<&str> = samples.iter().flat_map(|s| s.contents.iter().map(String::as_str)).collect();
    let runs = 15;
    let mut warm_miner = TemplateMiner::new(MinerConfig::default());
    for l in &lines {
        warm_miner.add(l);
    }
    let (mut cold, mut warm) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        let mut m = TemplateMiner::new(MinerConfig::default());
        for l in &lines {
            std::hint::black_box(m.add(l));
        }
        cold.push(lines.len() as f64 / t.elapsed().as_secs_f64());
        let t = Instant::now();
        for l in &lines {
            std::hint::black_box(warm_miner.add(l));
        }
        warm.push(lines.len() as f64 / t.elapsed().as_secs_f64());
    }
    let summary = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        format!("median {:.2} M lines/s, best {:.2} M", v[v.len() / 2] / 1e6, v[v.len() - 1] / 1e6)
    };
    println!(
        "\nthroughput, one thread, the {} lines concatenated, {runs} runs: cold (a new miner) {}; warm {}",
        lines.len(),
        summary(&mut cold),
        summary(&mut warm)
    );
}
