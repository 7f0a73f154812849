//! Template mining throughput on the Loghub samples (one core).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use firewatch::analysis::templates::{MinerConfig, TemplateMiner};
use firewatch::loghub::{load, SYSTEMS};

// The allocator the `firewatch` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bench_templates(c: &mut Criterion) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/loghub");
    let samples: Vec<Vec<String>> =
        SYSTEMS.iter().map(|s| load(&dir, s).map(|x| x.contents).unwrap_or_default()).collect();
    let lines: usize = samples.iter().map(Vec::len).sum();
    let mut g = c.benchmark_group("templates");
    g.throughput(Throughput::Elements(lines as u64));
    g.bench_function("loghub_24k_lines_fresh_miner_per_system", |b| {
        b.iter(|| {
            for s in &samples {
                let mut m = TemplateMiner::new(MinerConfig::default());
                for l in s {
                    black_box(m.add(l));
                }
            }
        })
    });
    g.bench_function("loghub_24k_lines_one_miner", |b| {
        b.iter(|| {
            let mut m = TemplateMiner::new(MinerConfig::default());
            for s in &samples {
                for l in s {
                    black_box(m.add(l));
                }
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench_templates);
criterion_main!(benches);
