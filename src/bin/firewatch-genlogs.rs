//! usage: firewatch-genlogs BYTES [SEED] > out.log
//!
//! Writes deterministic mixed-service logs (see `firewatch::loadgen`); prints the line
//! count and the planted needles to stderr.

use std::io::BufWriter;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let bytes: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100_000_000);
    let seed: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(42);
    let out = std::io::stdout();
    let mut w = BufWriter::with_capacity(1 << 20, out.lock());
    let g = firewatch::loadgen::generate(&mut w, bytes, seed)?;
    eprintln!("lines={} bytes={}", g.lines, g.bytes);
    for n in g.needles {
        eprintln!("needle={n}");
    }
    Ok(())
}
