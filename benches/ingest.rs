//! Ingest throughput: generated mixed-service logs, parsed and indexed into a fresh store.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

use std::hint::black_box;
use std::io::BufWriter;

use chrono::Utc;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use firewatch::ingest::{Ingestor, Options};
use firewatch::sources::plaintext::TextParser;
use firewatch::sources::timestamp::TsContext;
use firewatch::store::state::StateDb;
use firewatch::store::writer::{WriterConfig, WriterHandle};
use firewatch::store::Store;

const BYTES: u64 = 20_000_000;

fn bench_ingest(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mixed.log");
    {
        let mut w = BufWriter::new(std::fs::File::create(&path).expect("create"));
        firewatch::loadgen::generate(&mut w, BYTES, 7).expect("generate");
    }
    let size = std::fs::metadata(&path).expect("stat").len();
    let mut g = c.benchmark_group("ingest");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(size));
    g.bench_function("mixed_20MB_file_to_index", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("tempdir"),
            |data| {
                let store = Store::open(data.path()).expect("store");
                let writer = WriterHandle::start(&store, WriterConfig::default()).expect("writer");
                let mut state = StateDb::open(data.path()).expect("state");
                let opts = Options {
                    ts: TsContext::utc(Utc::now()),
                    service: None,
                    max_line_bytes: 1 << 20,
                    complete_lines_only: false,
                };
                let report = {
                    let mut ing =
                        Ingestor::new(&writer, &mut state, store.fields, store.manifest().expect("manifest"), opts);
                    ing.ingest_path(&path).expect("ingest")
                };
                writer.finish().expect("finish");
                black_box(report.records())
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();

    let text = std::fs::read_to_string(&path).expect("read");
    let plain: Vec<&str> = text.lines().filter(|l| !l.starts_with('{')).take(100_000).collect();
    let bytes: usize = plain.iter().map(|l| l.len()).sum();
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("text_header_100k_lines", |b| {
        let ctx = TsContext::utc(Utc::now());
        b.iter(|| {
            let mut p = TextParser::default();
            for l in &plain {
                black_box(p.parse(&ctx, l));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench_ingest);
criterion_main!(benches);
