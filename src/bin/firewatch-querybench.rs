//! Measures search latency inside one process, as the TUI will see it: the index is
//! opened once, each query runs `REPEATS` times after a warm-up, and the median and p99
//! are printed as one JSON object per query.
//!
//! usage: firewatch-querybench DATA_DIR REPEATS (newest:N|count) QUERY...

use std::time::Instant;

use firewatch::store::search::{self, SearchRequest};
use firewatch::store::Store;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        anyhow::bail!("usage: firewatch-querybench DATA_DIR REPEATS (newest:N|count) QUERY...");
    }
    let store = Store::open(std::path::Path::new(&args[1]))?;
    let repeats: usize = args[2].parse()?;
    let mode = args[3].as_str();
    let reader = store.reader()?;
    let searcher = reader.searcher();
    for q in &args[4..] {
        let limit = mode.strip_prefix("newest:").map_or(Ok(100), str::parse)?;
        let req = SearchRequest { query: q.clone(), since: None, until: None, limit };
        let mut times = Vec::with_capacity(repeats);
        let mut result = 0u64;
        for i in 0..repeats + 3 {
            let t = Instant::now();
            result = if mode == "count" {
                search::count(&store.fields, &searcher, &req)?
            } else {
                search::search(&store.fields, &searcher, &req)?.hits.len() as u64
            };
            if i >= 3 {
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
        times.sort_by(f64::total_cmp);
        let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
        println!(
            "{}",
            serde_json::json!({"query": q, "mode": mode, "result": result, "median_ms": pct(0.5), "p99_ms": pct(0.99)})
        );
    }
    Ok(())
}
