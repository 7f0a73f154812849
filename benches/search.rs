//! Search latency on an index of generated logs: a rare id, an IP, the newest 100 of a
//! broad term, and an exact count.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

use std::hint::black_box;
use std::io::BufWriter;

use chrono::Utc;
use criterion::{criterion_group, criterion_main, Criterion};
use firewatch::ingest::{Ingestor, Options};
use firewatch::sources::timestamp::TsContext;
use firewatch::store::search::{self, SearchRequest};
use firewatch::store::state::StateDb;
use firewatch::store::writer::{WriterConfig, WriterHandle};
use firewatch::store::Store;

fn bench_search(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mixed.log");
    let generated = {
        let mut w = BufWriter::new(std::fs::File::create(&path).expect("create"));
        firewatch::loadgen::generate(&mut w, 100_000_000, 11).expect("generate")
    };
    let data = dir.path().join("data");
    let store = Store::open(&data).expect("store");
    {
        let writer = WriterHandle::start(&store, WriterConfig::default()).expect("writer");
        let mut state = StateDb::open(&data).expect("state");
        let opts = Options {
            ts: TsContext::utc(Utc::now()),
            service: None,
            max_line_bytes: 1 << 20,
            complete_lines_only: false,
        };
        let mut ing = Ingestor::new(&writer, &mut state, store.fields, store.manifest().expect("manifest"), opts);
        ing.ingest_path(&path).expect("ingest");
        drop(ing);
        writer.finish().expect("finish");
    }
    let reader = store.reader().expect("reader");
    reader.reload().expect("reload");
    let searcher = reader.searcher();
    let needle = generated.needles.first().cloned().unwrap_or_else(|| "needle".into());
    let mut g = c.benchmark_group("search_100MB");
    for (name, query, count) in [
        ("rare_id_newest_100", needle.as_str(), false),
        ("ip_newest_100", "10.2.33.7", false),
        ("broad_term_newest_100", "slow", false),
        ("broad_term_exact_count", "slow", true),
        ("level_error_exact_count", "level:error", true),
    ] {
        let req = SearchRequest { query: query.to_string(), since: None, until: None, limit: 100 };
        g.bench_function(name, |b| {
            b.iter(|| {
                if count {
                    black_box(search::count(&store.fields, &searcher, &req).expect("count"));
                } else {
                    black_box(search::search(&store.fields, &searcher, &req).expect("search").hits.len());
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_search);
criterion_main!(benches);
