//! Deterministic generator of realistic mixed-service logs, for benchmarks.
//!
//! Plain-text and JSON lines from a dozen services with request ids, trace ids, client
//! IPs, durations and errors, interleaved in time. A few rare needles are planted at
//! known positions and returned, so a benchmark knows what to look for.

use std::io::Write;

pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

const SERVICES: &[&str] = &[
    "frontend",
    "checkout",
    "payments",
    "cart",
    "catalog",
    "search",
    "shipping",
    "users",
    "auth",
    "inventory",
    "recommendations",
    "notifications",
];
const REGIONS: &[&str] = &["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1"];
const ROUTES: &[&str] =
    &["/api/checkout", "/api/cart/items", "/api/products", "/api/search", "/api/users/me", "/api/orders", "/healthz"];
const ERRORS: &[&str] = &[
    "connection refused",
    "context deadline exceeded",
    "upstream request timeout",
    "too many open files",
    "could not acquire connection from pool",
    "certificate has expired",
    "no space left on device",
];

#[derive(Debug, Clone, Default)]
pub struct Generated {
    pub lines: u64,
    pub bytes: u64,
    pub needles: Vec<String>,
}

/// Writes about `bytes` bytes of logs to `w`.
pub fn generate(w: &mut impl Write, bytes: u64, seed: u64) -> std::io::Result<Generated> {
    let mut rng = Rng(seed);
    let start: i64 = 1_763_600_000; // 2025-11-20T00:53:20Z
    let mut written = 0u64;
    let mut line = 0u64;
    let mut needles = Vec::new();
    let needle_every = (bytes / 220 / 5).max(1);
    while written < bytes {
        // ~2,000 lines per second of log time.
        let t_ms = start * 1000 + (line / 2) as i64;
        let secs = t_ms / 1000;
        let ms = t_ms % 1000;
        let svc = SERVICES[rng.below(SERVICES.len() as u64) as usize];
        let region = REGIONS[rng.below(REGIONS.len() as u64) as usize];
        let ip = format!("10.{}.{}.{}", rng.below(4), rng.below(256), 1 + rng.below(254));
        let req = format!("req-{:012x}", rng.next_u64() & 0xffff_ffff_ffff);
        let trace = format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64());
        let route = ROUTES[rng.below(ROUTES.len() as u64) as usize];
        let dur = rng.below(900) + 3;
        let roll = rng.below(1000);
        let (level, msg) = if roll < 8 {
            (
                "ERROR",
                format!(
                    "{} {route} failed after {dur} ms: {}",
                    "request",
                    ERRORS[rng.below(ERRORS.len() as u64) as usize]
                ),
            )
        } else if roll < 40 {
            ("WARN", format!("slow request {route} took {} ms", dur * 10))
        } else if roll < 120 {
            ("DEBUG", format!("cache lookup key=product:{} hit={}", rng.below(100_000), rng.below(2) == 1))
        } else {
            ("INFO", format!("{route} 200 {dur} ms from {ip} user_id={}", rng.below(1_000_000)))
        };
        let mut text = msg;
        if line > 0 && line.is_multiple_of(needle_every) && needles.len() < 5 {
            let n = format!("needle-{:x}-{}", rng.next_u64(), needles.len());
            text.push_str(&format!(" marker={n}"));
            needles.push(n);
        }
        let ts = chrono::DateTime::<chrono::Utc>::from_timestamp(secs, (ms as u32) * 1_000_000).unwrap_or_default();
        let stamp = ts.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let s = if rng.below(2) == 0 {
            format!("{stamp} {level} {svc} [{region}] {text} req={req} trace={trace} client={ip}\n")
        } else {
            format!(
                "{{\"ts\":\"{stamp}\",\"level\":\"{}\",\"service\":\"{svc}\",\"region\":\"{region}\",\"msg\":\"{text}\",\"request_id\":\"{req}\",\"trace_id\":\"{trace}\",\"client_ip\":\"{ip}\"}}\n",
                level.to_lowercase()
            )
        };
        w.write_all(s.as_bytes())?;
        written += s.len() as u64;
        line += 1;
    }
    w.flush()?;
    Ok(Generated { lines: line, bytes: written, needles })
}
