//! Template-mining accuracy (GA, PA) per Loghub system and averaged, and throughput.
//!
//! usage: firewatch-templates-eval [DIR]   (default tests/fixtures/loghub)

use std::path::PathBuf;
use std::time::Instant;

use firewatch::analysis::template_eval::evaluate;
use firewatch::analysis::templates::{MinerConfig, TemplateMiner};
use firewatch::loghub::{load, SYSTEMS};

fn main() -> Result<(), String> {
    let dir = std::env::args().nth(1).map_or_else(|| PathBuf::from("tests/fixtures/loghub"), PathBuf::from);
    println!("{:<10} {:>6} {:>8} {:>7} {:>11} {:>10}", "system", "lines", "clusters", "GA", "PA(strict)", "PA(loose)");
    let (mut ga, mut pa, mut pl) = (0.0, 0.0, 0.0);
    let mut all = Vec::new();
    for name in SYSTEMS {
        let s = load(&dir, name)?;
        let r = evaluate(&s.contents, &s.event_ids, &s.templates);
        println!("{name:<10} {:>6} {:>8} {:>7.3} {:>11.3} {:>10.3}", r.lines, r.clusters, r.ga, r.pa, r.pa_loose);
        ga += r.ga;
        pa += r.pa;
        pl += r.pa_loose;
        all.push(s);
    }
    let n = SYSTEMS.len() as f64;
    println!("{:<10} {:>6} {:>8} {:>7.3} {:>11.3} {:>10.3}", "average", "", "", ga / n, pa / n, pl / n);
    // Throughput on one core: every sample 20 times, a fresh miner per system.
    let repeat = 20;
    let started = Instant::now();
    let mut lines = 0usize;
    for s in &all {
        let mut m = TemplateMiner::new(MinerConfig::default());
        for _ in 0..repeat {
            for c in &s.contents {
                std::hint::black_box(m.add(c));
                lines += 1;
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!("throughput: {:.0} lines/s ({lines} lines in {secs:.3}s, one thread)", lines as f64 / secs);
    Ok(())
}
