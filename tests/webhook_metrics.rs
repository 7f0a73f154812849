//! `collect`'s Alertmanager webhook receiver and `/metrics` endpoint against the real
//! Alertmanager and Prometheus, and the systemd unit in `contrib/`.
//!
//! Each test starts its own Alertmanager or Prometheus (Debian's `prometheus-alertmanager`,
//! `amtool` and `prometheus`, which scripts/live-servers.sh installs) on free ports of
//! 127.0.0.1, with data in a temp dir. Without the binaries the tests skip with a note,
//! except under CI, where a missing binary is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap
#![allow(
    clippy::let_underscore_must_use,
    reason = "fake servers and child processes: a peer that hung up, or a parse that only must not panic"
)]

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Fw;
use serde_json::Value;

/// A child process killed when the test ends, however it ends.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether `bins` are all on PATH; under CI a missing one fails the test.
fn installed(bins: &[&str]) -> bool {
    let missing: Vec<&str> = bins
        .iter()
        .copied()
        .filter(|b| {
            !Command::new("sh").arg("-c").arg(format!("command -v {b}")).output().is_ok_and(|o| o.status.success())
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{missing:?} not installed under CI: install them with scripts/live-servers.sh start");
    }
    eprintln!("note: {missing:?} not installed; skipping (scripts/live-servers.sh start installs them)");
    false
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn spawn(cmd: &mut Command, log: &Path) -> Proc {
    let out = std::fs::File::create(log).unwrap();
    let err = out.try_clone().unwrap();
    Proc(cmd.stdin(Stdio::null()).stdout(out).stderr(err).spawn().unwrap())
}

fn spawn_collect(fw: &Fw, config: &str) -> Proc {
    let path = fw.dir.path().join("firewatch.toml");
    std::fs::write(&path, config).unwrap();
    let mut c = fw.command();
    c.arg("--config").arg(&path).arg("collect");
    spawn(&mut c, &fw.dir.path().join("collect.log"))
}

/// GET `url`: the status and body, or `None` while nothing listens.
fn get(url: &str) -> Option<(u16, String)> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let resp = reqwest::Client::new().get(url).timeout(Duration::from_secs(5)).send().await.ok()?;
        let status = resp.status().as_u16();
        Some((status, resp.text().await.ok()?))
    })
}

/// Polls `f` until it returns true, or fails after `secs` with `why()` (a log, say).
fn eventually(secs: u64, what: &str, why: impl Fn() -> String, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out after {secs}s waiting for {what}\n{}", why());
}

fn log_of(path: &Path) -> impl Fn() -> String + '_ {
    move || format!("--- {} ---\n{}", path.display(), std::fs::read_to_string(path).unwrap_or_default())
}

#[test]
fn the_real_alertmanager_posts_to_the_webhook_receiver() {
    if !installed(&["prometheus-alertmanager", "amtool"]) {
        return;
    }
    let fw = Fw::new();
    let (hook_port, am_port, metrics_port) = (free_port(), free_port(), free_port());
    let collect_log = fw.dir.path().join("collect.log");
    let _collect = spawn_collect(
        &fw,
        &format!(
            "[alertmanager_webhook]\nlisten = \"127.0.0.1:{hook_port}\"\n\n[collect]\nmetrics_listen = \"127.0.0.1:{metrics_port}\"\n"
        ),
    );
    let am_dir = tempfile::tempdir().unwrap();
    // Short group timers, so the notification goes out within a second or two.
    let am_config = format!(
        "route:\n  receiver: firewatch\n  group_by: [alertname]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n\
         receivers:\n  - name: firewatch\n    webhook_configs:\n      - url: http://127.0.0.1:{hook_port}/alerts\n        send_resolved: true\n"
    );
    std::fs::write(am_dir.path().join("alertmanager.yml"), am_config).unwrap();
    let am_url = format!("http://127.0.0.1:{am_port}");
    let am_log = am_dir.path().join("alertmanager.log");
    let _am = spawn(
        Command::new("prometheus-alertmanager")
            .arg(format!("--config.file={}", am_dir.path().join("alertmanager.yml").display()))
            .arg(format!("--storage.path={}", am_dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{am_port}"))
            .arg(format!("--web.external-url={am_url}/"))
            .arg("--cluster.listen-address="),
        &am_log,
    );
    eventually(30, "Alertmanager ready", log_of(&am_log), || {
        get(&format!("{am_url}/-/ready")).is_some_and(|(s, _)| s == 200)
    });
    eventually(30, "the webhook receiver listening", log_of(&collect_log), || {
        std::net::TcpStream::connect(("127.0.0.1", hook_port)).is_ok()
    });

    let run = format!("hook{}", std::process::id());
    let posted = Instant::now();
    let out = Command::new("amtool")
        .arg(format!("--alertmanager.url={am_url}"))
        .args(["alert", "add", "alertname=WebhookDiskFull", "service=db", "region=eu-west-1"])
        .arg(format!("run={run}"))
        .arg("--annotation=summary=disk full on db-1")
        .output()
        .unwrap();
    assert!(out.status.success(), "amtool: {}", String::from_utf8_lossy(&out.stderr));

    let mine = || -> Vec<Value> {
        let v: Value = serde_json::from_str(&fw.ok(&["incidents", "--json"])).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .flat_map(|i| i["alerts"].as_array().cloned().unwrap_or_default())
            .filter(|a| a["labels"]["run"] == run.as_str())
            .collect()
    };
    let why = || format!("{}\n{}", log_of(&am_log)(), log_of(&collect_log)());
    eventually(30, "the alert pushed by Alertmanager in `incidents --json`", why, || mine().len() == 1);
    eprintln!("alert added to Alertmanager -> in `incidents --json` via the webhook: {:?}", posted.elapsed());
    let alert = &mine()[0];
    assert_eq!(alert["status"], "firing");
    assert_eq!(alert["labels"]["alertname"], "WebhookDiskFull");
    // The fingerprint Alertmanager gave it, so the webhook and the API poller store one alert.
    let filter = encode(&format!("run=\"{run}\""));
    let (_, body) = get(&format!("{am_url}/api/v2/alerts?filter={filter}")).unwrap();
    let api: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(alert["fingerprint"], api[0]["fingerprint"], "{api}");

    // The receiver's answers and health show in the collector's own metrics.
    let (_, text) = get(&format!("http://127.0.0.1:{metrics_port}/metrics")).unwrap();
    let sample = |prefix: &str| -> f64 {
        let line = text.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no {prefix} in\n{text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert!(sample("firewatch_receiver_requests_total{receiver=\"alertmanager_webhook\",code=\"200\"}") >= 1.0);
    assert!(sample("firewatch_records_stored_total{kind=\"alert\"}") >= 1.0);
    assert_eq!(sample("firewatch_source_up{source=\"alertmanager_webhook\",kind=\"alertmanager_webhook\"}"), 1.0);
}

#[test]
fn the_real_prometheus_scrapes_metrics() {
    if !installed(&["prometheus"]) {
        return;
    }
    let fw = Fw::new();
    let (metrics_port, prom_port) = (free_port(), free_port());
    let app_log = fw.write("app.log", b"2026-11-23T10:00:00Z ERROR checkout payment declined\n");
    let collect_log = fw.dir.path().join("collect.log");
    let _collect = spawn_collect(
        &fw,
        &format!(
            "[collect]\nmetrics_listen = \"127.0.0.1:{metrics_port}\"\n\n[[source]]\nkind = \"file\"\nname = \"app\"\npath = \"{}\"\n",
            app_log.display()
        ),
    );
    let metrics_url = format!("http://127.0.0.1:{metrics_port}");
    eventually(30, "/healthz answering 200", log_of(&collect_log), || {
        get(&format!("{metrics_url}/healthz")).is_some_and(|(s, _)| s == 200)
    });
    let (status, text) = get(&format!("{metrics_url}/metrics")).unwrap();
    assert_eq!(status, 200);
    assert!(text.contains("# TYPE firewatch_commit_duration_seconds histogram"), "{text}");

    let prom_dir = tempfile::tempdir().unwrap();
    let prom_config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
         scrape_configs:\n  - job_name: firewatch\n    scrape_interval: 1s\n    static_configs:\n      - targets: ['127.0.0.1:{metrics_port}']\n"
    );
    std::fs::write(prom_dir.path().join("prometheus.yml"), prom_config).unwrap();
    let prom_url = format!("http://127.0.0.1:{prom_port}");
    let prom_log = prom_dir.path().join("prometheus.log");
    let _prom = spawn(
        Command::new("prometheus")
            .arg(format!("--config.file={}", prom_dir.path().join("prometheus.yml").display()))
            .arg(format!("--storage.tsdb.path={}", prom_dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{prom_port}")),
        &prom_log,
    );
    // The value of an instant query's single sample, if there is one.
    let value = |query: &str| -> Option<f64> {
        let (_, body) = get(&format!("{prom_url}/api/v1/query?query={}", encode(query)))?;
        let v: Value = serde_json::from_str(&body).ok()?;
        v["data"]["result"].as_array()?.first()?["value"][1].as_str()?.parse().ok()
    };
    let why = || format!("{}\n{}", log_of(&prom_log)(), log_of(&collect_log)());
    eventually(60, "up{job=\"firewatch\"} == 1 in Prometheus", why, || value("up{job=\"firewatch\"}") == Some(1.0));
    eventually(30, "the file's record counted in Prometheus", why, || {
        value("firewatch_records_stored_total{job=\"firewatch\",kind=\"log\"}") == Some(1.0)
    });
    eventually(30, "the file source healthy in Prometheus", why, || {
        value("firewatch_source_up{job=\"firewatch\",source=\"app\",kind=\"file\"}") == Some(1.0)
    });
    assert!(value("firewatch_commits_total{job=\"firewatch\"}").is_some_and(|n| n >= 1.0));
}

/// Percent-encodes a PromQL query for a URL.
fn encode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn the_systemd_unit_passes_systemd_analyze_verify() {
    let unit = Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/firewatch-collect.service");
    let text = std::fs::read_to_string(&unit).unwrap();
    for key in
        ["ProtectSystem=strict", "NoNewPrivileges=yes", "ReadWritePaths=/var/lib/firewatch", "Restart=on-failure"]
    {
        assert!(text.lines().any(|l| l == key), "{} lacks {key}", unit.display());
    }
    if !Command::new("sh").args(["-c", "command -v systemd-analyze"]).output().is_ok_and(|o| o.status.success()) {
        eprintln!("note: systemd-analyze not installed; skipping the verify of {}", unit.display());
        return;
    }
    // verify checks that ExecStart's binary exists: point it at the one just built.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("firewatch-collect.service");
    std::fs::write(&copy, text.replace("/usr/local/bin/firewatch", env!("CARGO_BIN_EXE_firewatch"))).unwrap();
    let out = Command::new("systemd-analyze").arg("verify").arg(&copy).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Unknown or misspelled keys are only warnings to verify: any line about the unit fails.
    let about_unit: Vec<&str> = stderr.lines().filter(|l| l.contains("firewatch-collect")).collect();
    assert!(out.status.success() && about_unit.is_empty(), "systemd-analyze verify:\n{stderr}");
}

/// The webhook's limits come from `[alertmanager_webhook]`: a silent connection is closed after the configured
/// header timeout (not the 10 s default), and a notification over the configured `max_body` is answered 413.
#[test]
fn the_webhook_receiver_takes_its_limits_from_the_config() {
    use std::io::{Read, Write};
    let fw = Fw::new();
    let port = free_port();
    let _collect = spawn_collect(
        &fw,
        &format!(
            "[alertmanager_webhook]\nlisten = \"127.0.0.1:{port}\"\nheader_timeout = \"1s\"\nmax_body = \"1KB\"\n"
        ),
    );
    let log = fw.dir.path().join("collect.log");
    eventually(60, "the webhook to listen", log_of(&log), || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());

    let mut silent = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    silent.set_read_timeout(Some(Duration::from_secs(8))).unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 64];
    let closed = matches!(silent.read(&mut buf), Ok(0) | Err(_));
    let waited = started.elapsed();
    assert!(closed && waited < Duration::from_secs(5), "closed: {closed} after {waited:?}");

    let body = format!("{{\"alerts\": [], \"pad\": \"{}\"}}", "x".repeat(4096));
    let mut post = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    post.set_read_timeout(Some(Duration::from_secs(8))).unwrap();
    write!(
        post,
        "POST /alerts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    let _ = post.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}
