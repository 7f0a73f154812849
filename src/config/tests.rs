//! The config's loading, layering, units and secrets, as a user's file meets them.

use super::*;
use chrono::FixedOffset;

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
    assert_eq!(parse_duration("1h30m").unwrap(), std::time::Duration::from_secs(5400));
    assert_eq!(parse_duration("250ms").unwrap(), std::time::Duration::from_millis(250));
    assert!(parse_duration("5").is_err());
    assert_eq!(parse_size("1.5GiB").unwrap(), 1_610_612_736);
    assert_eq!(parse_timezone("-05:30").unwrap(), Zone::from(FixedOffset::west_opt(5 * 3600 + 1800)));
    let c = Config::from_layers(Some((Path::new("u.toml"), "[ingest]\nassume_timezone = \"Europe/Berlin\"\n")));
    assert_eq!(c.unwrap().assume_zone(), Zone::Named(chrono_tz::Tz::Europe__Berlin));
    let e = Config::from_layers(Some((Path::new("u.toml"), "[ingest]\nassume_timezone = \"Europe/Berln\"\n")));
    assert!(e.unwrap_err().to_string().starts_with("config u.toml: ingest.assume_timezone:"));
}

fn load(text: &str) -> Result<Config, String> {
    Config::from_layers(Some((Path::new("u.toml"), text))).map_err(|e| e.to_string())
}

/// Every duration in the file has the one grammar, is parsed once at load, and a bad one stops the load with
/// its key and value: none falls back to a default.
#[test]
fn durations_and_sizes_are_typed_at_load() {
    let d = Config::from_layers(None).unwrap();
    assert_eq!(d.commit_interval(), std::time::Duration::from_secs(5));
    assert_eq!((d.max_age(), d.max_size()), (None, Some(20_000_000_000)));
    let src = "[[source]]\nkind = \"loki\"\nurl = \"http://l\"\n";
    let c = load(&format!("{src}interval = \"250ms\"\nlookback = \"2h\"\ntimeout = \"1m\"\n")).unwrap();
    let s = &c.source[0];
    assert_eq!(
        (s.interval, s.lookback, s.timeout),
        (Some(Duration::from_millis(250)), Some(Duration::from_secs(7200)), Some(Duration::from_secs(60)))
    );
    for (text, key, value) in [
        ("[store]\ncommit_interval = \"5\"\n", "store.commit_interval", "'5' needs a unit"),
        ("[store]\ncommit_interval = 5\n", "store.commit_interval", "'5' needs a unit"),
        ("[retention]\nmax_size = \"20 furlongs\"\n", "retention.max_size", "unknown unit 'furlongs'"),
        (&format!("{src}interval = \"15\"\n"), "source.interval", "'15' needs a unit"),
        (&format!("{src}lookback = \"an hour\"\n"), "source.lookback", "'an hour' is not a duration"),
        ("[otlp]\nlisten = \"127.0.0.1:4318\"\nmax_body = \"lots\"\n", "otlp.max_body", "'lots'"),
        ("[llm]\nbase_url = \"http://l\"\nmodel = \"m\"\ntimeout = \"5 min\"\n", "llm.timeout", "'5 min'"),
        (
            "[[endpoint]]\nname = \"ci\"\nurl = \"http://ci\"\ntimeout = \"10\"\n",
            "endpoint.timeout",
            "'10' needs a unit",
        ),
    ] {
        let e = load(text).unwrap_err();
        assert!(e.starts_with(&format!("config u.toml: {key}: ")) && e.contains(value), "{text}: {e}");
    }
    // Zero where zero cannot work is refused, not replaced.
    let e = load(&format!("{src}interval = \"0\"\n")).unwrap_err();
    assert!(e.contains("source[0] (loki).interval: must be positive"), "{e}");
    let e = load("[[source]]\nkind = \"prometheus\"\nurl = \"http://p\"\n[[source.queries]]\nname = \"up\"\nexpr = \"up\"\nstep = \"0\"\n")
        .unwrap_err();
    assert!(e.contains("queries.step") && e.contains("'up'"), "{e}");
    let c = load("[[endpoint]]\nname = \"ci\"\nurl = \"http://ci\"\ntimeout = \"1m30s\"\n").unwrap();
    assert_eq!(c.endpoint[0].http.timeout, Some(std::time::Duration::from_secs(90)));
    assert!(load("[[endpoint]]\nname = \"ci\"\nurl = \"http://ci\"\ntimeot = \"1s\"\n")
        .unwrap_err()
        .contains("timeot"));
}

/// A variable holding quotes and newlines stays inside its string; with text expansion before parsing it
/// added `tenant` (or any key) to the config.
#[test]
fn an_environment_value_cannot_add_keys() {
    std::env::set_var(
        "FW_TEST_CONFIG_INJECT",
        "up\"\ntenant = \"evil\"\n[llm]\nbase_url = \"http://evil\"\nmodel = \"m",
    );
    let user = "[[source]]\nkind = \"loki\"\nurl = \"http://loki:3100\"\nquery = \"${FW_TEST_CONFIG_INJECT}\"\n";
    let c = Config::from_layers(Some((Path::new("u.toml"), user))).unwrap();
    assert_eq!(c.source[0].tenant, None);
    assert!(c.llm.is_none());
    assert_eq!(
        c.source[0].query.as_deref(),
        Some("up\"\ntenant = \"evil\"\n[llm]\nbase_url = \"http://evil\"\nmodel = \"m")
    );
    // Only strings are expanded: a reference in a comment or a key is text, not an error.
    let c =
        Config::from_layers(Some((Path::new("u.toml"), "# ${FW_TEST_CONFIG_UNSET}\n[retention]\nmax_age = \"7d\"\n")))
            .unwrap();
    assert_eq!(c.max_age(), Some(chrono::Duration::days(7)));
    let e = Config::from_layers(Some((Path::new("u.toml"), "[retention]\nmax_age = \"${FW_TEST_CONFIG_UNSET}\"\n")))
        .unwrap_err()
        .to_string();
    assert!(e.contains("u.toml: retention.max_age:") && e.contains("FW_TEST_CONFIG_UNSET"), "{e}");
}

#[cfg(unix)]
#[test]
fn a_literal_secret_anywhere_needs_a_private_file() {
    use std::os::unix::fs::PermissionsExt;
    std::env::set_var("FW_TEST_CONFIG_TOKEN", "s3cr3t");
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("[[endpoint]]\nname = \"ci\"\nurl = \"http://ci\"\nbearer_token = \"abc\"\n", "endpoint[0].bearer_token"),
        (
            "[[endpoint]]\nname = \"a\"\nurl = \"http://a\"\n[[endpoint]]\nname = \"b\"\nurl = \"http://b\"\nbasic_user = \"u\"\nbasic_password = \"pw\"\n",
            "endpoint[1].basic_password",
        ),
        ("[[source]]\nkind = \"loki\"\nurl = \"http://l\"\nbearer_token = \"abc\"\n", "source[0].bearer_token"),
        ("[llm]\nbase_url = \"http://llm\"\nmodel = \"m\"\napi_key = \"sk-abc\"\n", "llm.api_key"),
    ];
    for (i, (text, field)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("c{i}.toml"));
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(e.contains(&path.display().to_string()) && e.contains(field) && e.contains("chmod 600"), "{e}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        Config::load(Some(&path)).unwrap();
    }
    // References are fine in a readable file: from the environment, or from a private file.
    let path = dir.path().join("refs.toml");
    std::fs::write(
        &path,
        "[[endpoint]]\nname = \"ci\"\nurl = \"http://ci\"\nbearer_token = \"${FW_TEST_CONFIG_TOKEN}\"\n\
         [[endpoint]]\nname = \"b\"\nurl = \"http://b\"\nbasic_user = \"u\"\nbasic_password_file = \"/etc/pw\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let c = Config::load(Some(&path)).unwrap();
    assert_eq!(c.endpoint[0].http.bearer_token.as_deref(), Some("s3cr3t"));
}

#[test]
fn secret_key_names() {
    for k in ["bearer_token", "basic_password", "api_key", "secret", "client_secret", "routing_key", "Authorization"] {
        assert!(is_secret_key(k), "{k}");
    }
    for k in ["bearer_token_file", "api_key_file", "basic_user", "url", "keys", "name", "ca_file"] {
        assert!(!is_secret_key(k), "{k}");
    }
}

/// The keys that carry their unit in their name take plain numbers; zero or an absurd value
/// stops the load with the key's name, and the defaults pass.
#[test]
fn plain_numbers_are_bounded_at_load() {
    let d = Config::from_layers(None).unwrap();
    assert_eq!((d.store.writer_memory_mb, d.ui.refresh_ms), (96, 1000));
    for (text, key) in [
        ("[store]\nwriter_memory_mb = 0\n", "store.writer_memory_mb"),
        // Bytes given to a MiB key.
        ("[store]\nwriter_memory_mb = 100663296\n", "store.writer_memory_mb"),
        ("[ingest]\nmax_line_bytes = 0\n", "ingest.max_line_bytes"),
        ("[ingest]\nmax_line_bytes = 4294967296\n", "ingest.max_line_bytes"),
        ("[ui]\nrefresh_ms = 0\n", "ui.refresh_ms"),
        ("[ui]\nrefresh_ms = 86400000\n", "ui.refresh_ms"),
    ] {
        let e = load(text).unwrap_err();
        assert!(e.starts_with(&format!("config u.toml: {key}: ")) && e.contains("must be between"), "{text}: {e}");
    }
    let c =
        load("[store]\nwriter_memory_mb = 512\n[ingest]\nmax_line_bytes = 65536\n[ui]\nrefresh_ms = 250\n").unwrap();
    assert_eq!((c.store.writer_memory_mb, c.ingest.max_line_bytes, c.ui.refresh_ms), (512, 65536, 250));
}

#[test]
fn webhook_limits_are_typed_and_zero_is_refused() {
    let base = "[alertmanager_webhook]\nlisten = \"127.0.0.1:9097\"\n";
    let c = load(&format!("{base}header_timeout = \"2s\"\nmax_body = \"64KB\"\nmax_connections = 8\n")).unwrap();
    let w = c.alertmanager_webhook.unwrap();
    assert_eq!(w.header_timeout.map(std::time::Duration::from), Some(std::time::Duration::from_secs(2)));
    assert_eq!((w.max_body.map(|b| b.bytes()), w.max_connections, w.body_timeout), (Some(64_000), Some(8), None));
    for (extra, key) in [
        ("header_timeout = \"0\"\n", "alertmanager_webhook.header_timeout"),
        ("max_connections = 0\n", "alertmanager_webhook.max_connections"),
    ] {
        let e = load(&format!("{base}{extra}")).unwrap_err();
        assert!(e.contains(key) && e.contains("more than 0"), "{extra}: {e}");
    }
    assert!(load(&format!("{base}body_timeout = \"30\"\n")).unwrap_err().contains("needs a unit"));
}
