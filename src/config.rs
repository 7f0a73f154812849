//! Configuration: defaults embedded in the binary, overridden key by key by the user's file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::FixedOffset;
use serde::Deserialize;

pub const DEFAULT_TOML: &str = include_str!("default_config.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config {path}: {key}: {message}")]
    Value { path: PathBuf, key: String, message: String },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub store: StoreConfig,
    pub retention: RetentionConfig,
    pub ingest: IngestConfig,
    pub log: LogConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    pub writer_memory_mb: usize,
    pub writer_threads: usize,
    pub merge_max_docs: usize,
    pub commit_interval: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    pub max_age: String,
    pub max_size: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    pub max_line_bytes: usize,
    pub assume_timezone: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub level: String,
}

fn merge(base: &mut toml::Value, over: toml::Value) {
    match (base, over) {
        (toml::Value::Table(b), toml::Value::Table(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

impl Config {
    /// The embedded defaults, with `user` (TOML text from `path`) over them.
    pub fn from_layers(user: Option<(&Path, &str)>) -> Result<Self, ConfigError> {
        let builtin = Path::new("<built-in defaults>");
        let mut value: toml::Value = toml::from_str(DEFAULT_TOML)
            .map_err(|e| ConfigError::Parse { path: builtin.into(), message: e.to_string() })?;
        let origin = user.map_or(builtin, |(p, _)| p);
        if let Some((path, text)) = user {
            let over: toml::Value =
                toml::from_str(text).map_err(|e| ConfigError::Parse { path: path.into(), message: e.to_string() })?;
            merge(&mut value, over);
        }
        let cfg: Config = value.try_into().map_err(|e: toml::de::Error| ConfigError::Parse {
            path: origin.into(),
            message: e.message().to_string(),
        })?;
        cfg.validate(origin)?;
        Ok(cfg)
    }

    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read { path: p.into(), source })?;
                Self::from_layers(Some((p, &text)))
            }
            None => Self::from_layers(None),
        }
    }

    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let bad = |key: &str, message: String| ConfigError::Value { path: path.into(), key: key.into(), message };
        parse_duration(&self.store.commit_interval).map_err(|m| bad("store.commit_interval", m))?;
        parse_duration(&self.retention.max_age).map_err(|m| bad("retention.max_age", m))?;
        parse_size(&self.retention.max_size).map_err(|m| bad("retention.max_size", m))?;
        parse_timezone(&self.ingest.assume_timezone).map_err(|m| bad("ingest.assume_timezone", m))?;
        if self.ingest.max_line_bytes < 1024 {
            return Err(bad("ingest.max_line_bytes", "must be at least 1024".into()));
        }
        Ok(())
    }

    pub fn commit_interval(&self) -> Duration {
        parse_duration(&self.store.commit_interval).unwrap_or(Duration::from_secs(5))
    }

    /// `None` when records are kept forever.
    pub fn max_age(&self) -> Option<chrono::Duration> {
        parse_duration(&self.retention.max_age)
            .ok()
            .filter(|d| !d.is_zero())
            .and_then(|d| chrono::Duration::from_std(d).ok())
    }

    pub fn max_size(&self) -> Option<u64> {
        parse_size(&self.retention.max_size).ok().filter(|s| *s > 0)
    }

    /// `None` means the local timezone.
    pub fn assume_offset(&self) -> Option<FixedOffset> {
        parse_timezone(&self.ingest.assume_timezone).ok().flatten()
    }
}

/// `90s`, `5m`, `1h30m`, `14d`, `2w`; a bare `0` is zero.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
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
        let n: u64 = num.parse().map_err(|_| format!("'{s}' is not a duration (like 30s, 5m, 2h, 14d)"))?;
        num.clear();
        let secs_or_ms = match unit.as_str() {
            "ms" => n,
            "s" => n * 1000,
            "m" => n * 60_000,
            "h" => n * 3_600_000,
            "d" => n * 86_400_000,
            "w" => n * 604_800_000,
            _ => return Err(format!("'{s}': unknown unit '{unit}' (use ms, s, m, h, d, w)")),
        };
        total += secs_or_ms;
        any = true;
    }
    if !num.is_empty() || !any {
        return Err(format!("'{s}' is not a duration (like 30s, 5m, 2h, 14d)"));
    }
    Ok(Duration::from_millis(total))
}

/// `512MB`, `20GB`, `1.5GiB`, `0`.
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
        other => return Err(format!("'{s}': unknown unit '{other}'")),
    };
    Ok((n * mult) as u64)
}

/// `UTC`, `local`, or `+HH:MM` / `-HH:MM`. `Ok(None)` is local time.
pub fn parse_timezone(s: &str) -> Result<Option<FixedOffset>, String> {
    let t = s.trim();
    match t.to_ascii_lowercase().as_str() {
        "utc" | "z" | "gmt" => return Ok(FixedOffset::east_opt(0)),
        "local" => return Ok(None),
        _ => {}
    }
    let sign = match t.chars().next() {
        Some('+') => 1,
        Some('-') => -1,
        _ => return Err(format!("'{s}' is not UTC, local or an offset like +02:00")),
    };
    let (h, m) = t[1..].split_once(':').unwrap_or((&t[1..], "0"));
    let h: i32 = h.parse().map_err(|_| format!("'{s}': bad hours"))?;
    let m: i32 = m.parse().map_err(|_| format!("'{s}': bad minutes"))?;
    FixedOffset::east_opt(sign * (h * 3600 + m * 60)).map(Some).ok_or_else(|| format!("'{s}' is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_user_overrides_only_what_it_sets() {
        let d = Config::from_layers(None).unwrap();
        assert_eq!(d.ingest.max_line_bytes, 1_048_576);
        let user = "[retention]\nmax_age = \"7d\"\n";
        let c = Config::from_layers(Some((Path::new("u.toml"), user))).unwrap();
        assert_eq!(c.max_age(), Some(chrono::Duration::days(7)));
        assert_eq!(c.retention.max_size, d.retention.max_size);
        assert_eq!(c.store.writer_threads, d.store.writer_threads);
    }

    #[test]
    fn mistakes_name_the_file_and_key() {
        let e = Config::from_layers(Some((Path::new("u.toml"), "[retention]\nmax_age = \"7 days\"\n"))).unwrap_err();
        assert!(e.to_string().starts_with("config u.toml: retention.max_age:"), "{e}");
        let e = Config::from_layers(Some((Path::new("u.toml"), "[ingest]\nmax_line = 5\n"))).unwrap_err();
        assert!(e.to_string().contains("max_line"), "{e}");
        let e = Config::from_layers(Some((Path::new("u.toml"), "[store\n"))).unwrap_err();
        assert!(e.to_string().starts_with("config u.toml:"), "{e}");
    }

    #[test]
    fn units() {
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("5").is_err());
        assert_eq!(parse_size("1.5GiB").unwrap(), 1_610_612_736);
        assert_eq!(parse_timezone("-05:30").unwrap(), FixedOffset::west_opt(5 * 3600 + 1800));
    }
}
