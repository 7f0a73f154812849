//! The config file's units: one grammar for every duration and every size, parsed once, when the file is loaded.
//!
//! Durations: `250ms`, `30s`, `5m`, `1h30m`, `14d`, `2w`. A bare number is refused, except `0`: `"5"` could mean
//! seconds or milliseconds, and guessing wrong polls a backend a thousand times too often. Sizes: `512MB`, `20GB`,
//! `1.5GiB`, or a bare number of bytes, the only unit a bare size can mean.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// The longest duration the config takes: 100 years, in milliseconds. Past that a value is a typo, and past u64
/// it would wrap (release) or panic (debug).
const MAX_DURATION_MS: u64 = 100 * 365 * 86_400_000;

const DURATION_HINT: &str = "like 30s, 5m, 2h, 14d";

/// A duration read from the config, in the grammar of [`parse_duration`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(std::time::Duration);

impl Duration {
    pub const ZERO: Duration = Duration(std::time::Duration::ZERO);

    pub const fn from_secs(secs: u64) -> Self {
        Duration(std::time::Duration::from_secs(secs))
    }

    pub const fn from_millis(ms: u64) -> Self {
        Duration(std::time::Duration::from_millis(ms))
    }

    pub const fn get(self) -> std::time::Duration {
        self.0
    }

    pub const fn is_zero(self) -> bool {
        self.0.is_zero()
    }
}

impl From<Duration> for std::time::Duration {
    fn from(d: Duration) -> Self {
        d.0
    }
}

impl FromStr for Duration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        parse_duration(s).map(Duration)
    }
}

/// Written back in the grammar it is read in, largest units first: `1h30m`, `250ms`, `0`.
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ms = u64::try_from(self.0.as_millis()).unwrap_or(u64::MAX);
        if ms == 0 {
            return f.write_str("0");
        }
        for (unit, per) in [("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)] {
            if ms >= per {
                write!(f, "{}{unit}", ms / per)?;
                ms %= per;
            }
        }
        if ms > 0 {
            write!(f, "{ms}ms")?;
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a duration ({DURATION_HINT})")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Duration, E> {
                s.parse().map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Duration, E> {
                self.visit_str(&n.to_string())
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Duration, E> {
                self.visit_str(&n.to_string())
            }
        }
        d.deserialize_any(V)
    }
}

/// A size in bytes read from the config, in the grammar of [`parse_size`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ByteSize(u64);

impl ByteSize {
    pub const fn from_bytes(n: u64) -> Self {
        ByteSize(n)
    }

    pub const fn bytes(self) -> u64 {
        self.0
    }
}

impl FromStr for ByteSize {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        parse_size(s).map(ByteSize)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ByteSize;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a size (like 512MB, 20GB, or a number of bytes)")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<ByteSize, E> {
                s.parse().map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<ByteSize, E> {
                self.visit_str(&n.to_string())
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<ByteSize, E> {
                Ok(ByteSize(n))
            }
        }
        d.deserialize_any(V)
    }
}

/// `90s`, `5m`, `1h30m`, `250ms`, `14d`, `2w`; `0` is zero; any other bare number is refused.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    if s == "0" {
        return Ok(std::time::Duration::ZERO);
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{s}' needs a unit: {s}s, {s}m, {s}ms... ({DURATION_HINT})"));
    }
    let not_a_duration = || format!("'{s}' is not a duration ({DURATION_HINT})");
    let mut total = 0u64;
    let mut num = String::new();
    let mut any = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        if c == 'm' && chars.peek() == Some(&'s') {
            unit.push('s');
            chars.next();
        }
        let n: u64 = num.parse().map_err(|_| not_a_duration())?;
        num.clear();
        let per_unit: u64 = match unit.as_str() {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 604_800_000,
            _ => return Err(format!("'{s}': unknown unit '{unit}' (use ms, s, m, h, d, w)")),
        };
        total = n
            .checked_mul(per_unit)
            .and_then(|ms| total.checked_add(ms))
            .filter(|ms| *ms <= MAX_DURATION_MS)
            .ok_or_else(|| format!("'{s}' is too long a duration (at most 100 years)"))?;
        any = true;
    }
    if !num.is_empty() || !any {
        return Err(not_a_duration());
    }
    Ok(std::time::Duration::from_millis(total))
}

/// `512MB`, `20GB`, `1.5GiB`, `4096` (bytes), `0`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: f64 = n.parse().map_err(|_| format!("'{s}' is not a size (like 512MB or 20GB)"))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "tb" | "t" => 1e12,
        "kib" => 1024.0,
        "mib" => 1048576.0,
        "gib" => 1073741824.0,
        "tib" => 1099511627776.0,
        other => return Err(format!("'{s}': unknown unit '{other}' (use B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)")),
    };
    let bytes = n * mult;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(format!("'{s}' is too large a size"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct T {
        d: Duration,
        #[serde(default)]
        s: Option<ByteSize>,
    }

    fn load(text: &str) -> Result<T, String> {
        toml::from_str::<T>(text).map_err(|e| e.to_string())
    }

    #[test]
    fn durations_have_one_grammar() {
        assert_eq!(parse_duration("1h30m").unwrap(), std::time::Duration::from_secs(5400));
        assert_eq!(parse_duration("250ms").unwrap(), std::time::Duration::from_millis(250));
        assert_eq!(parse_duration(" 0 ").unwrap(), std::time::Duration::ZERO);
        let e = parse_duration("5").unwrap_err();
        assert!(e.contains("needs a unit") && e.contains("5s"), "{e}");
        assert!(parse_duration("5 days").is_err());
        assert!(parse_duration("5x").unwrap_err().contains("unknown unit 'x'"));
        assert!(parse_duration("101y").is_err());
        assert!(parse_duration("5300w").unwrap_err().contains("100 years"));
        assert!(parse_duration("").is_err());
        // What the config reads is what it writes back.
        for s in ["1h30m", "250ms", "2w3d", "1m1s5ms", "0"] {
            assert_eq!(s.parse::<Duration>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn values_deserialize_with_the_same_grammar_and_name_the_value() {
        assert_eq!(load("d = \"90s\"").unwrap().d, Duration::from_secs(90));
        assert_eq!(load("d = 0").unwrap().d, Duration::ZERO);
        let e = load("d = 15").unwrap_err();
        assert!(e.contains("'15' needs a unit"), "{e}");
        let e = load("d = \"soon\"").unwrap_err();
        assert!(e.contains("'soon' is not a duration"), "{e}");
        assert!(load("d = true").is_err());
        assert_eq!(load("d = \"1s\"\ns = \"1.5GiB\"").unwrap().s, Some(ByteSize::from_bytes(1_610_612_736)));
        assert_eq!(load("d = \"1s\"\ns = 4096").unwrap().s, Some(ByteSize::from_bytes(4096)));
        assert_eq!(load("d = \"1s\"\ns = \"4096\"").unwrap().s, Some(ByteSize::from_bytes(4096)));
        assert!(load("d = \"1s\"\ns = \"12 parsecs\"").unwrap_err().contains("unknown unit"));
        assert!(load("d = \"1s\"\ns = -5").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("20GB").unwrap(), 20_000_000_000);
        assert_eq!(parse_size("512").unwrap(), 512);
        assert_eq!(parse_size("0").unwrap(), 0);
        assert!(parse_size("99999999999999999999999TB").is_err());
        assert!(parse_size("-1GB").is_err());
    }
}
