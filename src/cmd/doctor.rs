//! `firewatch doctor`: is the config valid, and can each source be reached and authenticated? One verdict per
//! source, from the same client code the collector uses.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use super::waiting::{self, Waiting};
use super::{default_config_path, default_data_dir};
use crate::cli::DoctorArgs;
use crate::collector::{self, Planned};
use crate::config::{Config, SourceKind};
use crate::sanitize::{self, terminal_safe};
use crate::sources::http::{self, snippet};

#[derive(Debug, Serialize)]
pub struct Check {
    pub name: String,
    pub kind: String,
    pub ok: bool,
    /// ok, unreachable, auth failed, misconfigured, error
    pub verdict: String,
    pub detail: String,
}

fn check(name: &str, kind: &str, verdict: &str, detail: impl Into<String>) -> Check {
    Check { name: name.into(), kind: kind.into(), ok: verdict == "ok", verdict: verdict.into(), detail: detail.into() }
}

/// The endpoint that proves both reachability and auth, and how to describe its answer.
fn probe(p: &Planned) -> (String, fn(&Value) -> String) {
    match p.kind {
        SourceKind::Alertmanager => ("api/v2/status".into(), |v| {
            let version = v.pointer("/versionInfo/version").and_then(Value::as_str).unwrap_or("?");
            let cluster = v.pointer("/cluster/status").and_then(Value::as_str).unwrap_or("?");
            format!("alertmanager {version}, cluster {cluster}")
        }),
        SourceKind::Prometheus => ("api/v1/status/buildinfo".into(), |v| {
            format!("prometheus {}", v.pointer("/data/version").and_then(Value::as_str).unwrap_or("?"))
        }),
        SourceKind::Loki => ("loki/api/v1/labels".into(), |v| {
            let n = v.get("data").and_then(Value::as_array).map_or(0, Vec::len);
            format!("loki answers, {n} labels")
        }),
        SourceKind::Elasticsearch => {
            let index = p.cfg.index.clone().unwrap_or_else(|| "logs-*".into());
            (format!("{index}/_count"), |v| {
                format!("{} documents in the index pattern", v.get("count").and_then(Value::as_u64).unwrap_or(0))
            })
        }
        SourceKind::File => (String::new(), |_| String::new()),
    }
}

async fn check_http(p: &Planned) -> Check {
    let kind = p.kind.as_str();
    let client = match http::build_client(&collector::http_config(&p.cfg)) {
        Ok(c) => c,
        Err(e) => return check(&p.name, kind, "misconfigured", e.to_string()),
    };
    let (path, describe) = probe(p);
    let url = http::join_url(p.cfg.url.as_deref().unwrap_or(""), &path);
    let mut req = client.get(&url).timeout(Duration::from_secs(10));
    if let Some(t) = &p.cfg.tenant {
        req = req.header("X-Scope-OrgID", t);
    }
    probe_verdict(&p.name, kind, &url, req, |v, ms| check(&p.name, kind, "ok", format!("{} ({ms} ms)", describe(v))))
        .await
}

/// Sends a probe and judges it: no answer is `unreachable`, 401/403 `auth failed`, any other
/// non-200 `error`; a 200 is judged by `ok` from its JSON body and the time it took.
async fn probe_verdict(
    name: &str,
    kind: &str,
    url: &str,
    req: reqwest::RequestBuilder,
    ok: impl FnOnce(&Value, u128) -> Check,
) -> Check {
    let started = Instant::now();
    match http::send(url, req).await {
        Err(e) => check(name, kind, "unreachable", e.to_string()),
        Ok((status, body)) => match status.as_u16() {
            200 => ok(&serde_json::from_slice(&body).unwrap_or(Value::Null), started.elapsed().as_millis()),
            401 | 403 => check(name, kind, "auth failed", format!("{url}: http {status}: {}", snippet(&body))),
            _ => check(name, kind, "error", format!("{url}: http {status}: {}", snippet(&body))),
        },
    }
}

fn check_file(p: &Planned) -> Check {
    let pattern = p.cfg.path.clone().unwrap_or_default();
    let dir = crate::ingest::glob::watched_dir(&pattern);
    let matched: Vec<PathBuf> = collector::expand_glob(&pattern).into_iter().filter(|f| f.is_file()).collect();
    if matched.is_empty() {
        return if dir.is_dir() {
            check(&p.name, "file", "ok", format!("no file matches {pattern} yet; new ones will be picked up"))
        } else {
            check(&p.name, "file", "misconfigured", format!("directory {} does not exist", dir.display()))
        };
    }
    let unreadable: Vec<String> =
        matched.iter().filter(|f| std::fs::File::open(f).is_err()).map(|f| f.display().to_string()).collect();
    if unreadable.is_empty() {
        check(&p.name, "file", "ok", format!("{} file(s) match {pattern}", matched.len()))
    } else {
        check(&p.name, "file", "error", format!("cannot read {}", unreadable.join(", ")))
    }
}

/// The `[llm]` endpoint: the key and prompts load, `GET /models` answers, and serves the model.
async fn check_llm(section: &crate::config::LlmSection) -> Check {
    use crate::copilot::llm::LlmSettings;
    let bad = |d: String| check("llm", "llm", "misconfigured", d);
    let settings = match LlmSettings::from_config(section) {
        Ok(s) => s,
        Err(e) => return bad(e.to_string()),
    };
    let dir = section.prompts_dir.clone().or_else(|| super::config_dir().map(|d| d.join("prompts")));
    if let Err(e) = crate::copilot::prompts::Prompts::load(dir.as_deref()) {
        return bad(e.to_string());
    }
    let client = match reqwest::Client::builder().connect_timeout(settings.connect_timeout).build() {
        Ok(c) => c,
        Err(e) => return bad(e.to_string()),
    };
    let url = format!("{}/models", settings.base_url);
    let mut req = client.get(&url).timeout(Duration::from_secs(10));
    if let Some(k) = &settings.api_key {
        req = req.bearer_auth(k);
    }
    probe_verdict("llm", "llm", &url, req, |v, ms| {
        let served: Vec<&str> = v
            .get("data")
            .and_then(Value::as_array)
            .map(|d| d.iter().filter_map(|m| m.get("id").and_then(Value::as_str)).collect())
            .unwrap_or_default();
        if served.is_empty() || served.contains(&settings.model.as_str()) {
            check("llm", "llm", "ok", format!("{} serves {} ({ms} ms)", settings.base_url, settings.model))
        } else {
            let detail = format!(
                "{} does not serve model '{}'; it serves {}",
                settings.base_url,
                settings.model,
                served.join(", ")
            );
            check("llm", "llm", "misconfigured", detail)
        }
    })
    .await
}

pub fn run(
    data_dir: Option<PathBuf>,
    config_path: Option<&Path>,
    args: &DoctorArgs,
    quiet: bool,
) -> anyhow::Result<ExitCode> {
    let default = default_config_path();
    let path = config_path.or(default.as_deref());
    let mut checks = Vec::new();
    match Config::load(path) {
        Ok(config) => {
            let shown = path.map_or("built-in defaults".to_string(), |p| p.display().to_string());
            checks.push(check("config", "config", "ok", format!("{shown}: {} source(s)", config.source.len())));
            checks.extend(check_sources(&config, quiet)?);
            // Every address `collect` will listen on: a bad one is found here, not when the collector starts.
            if let Some(o) = &config.otlp {
                checks.push(check_listen("otlp", "otlp", &o.listen));
            }
            if let Some(w) = &config.alertmanager_webhook {
                checks.push(check_listen("alertmanager-webhook", "webhook", &w.listen));
            }
            if let Some(m) = config.collect.as_ref().and_then(|c| c.metrics_listen.as_deref()) {
                checks.push(check_listen("metrics", "metrics", m));
            }
        }
        Err(e) => checks.push(check("config", "config", "misconfigured", e.to_string())),
    }
    // What a running collector last reported, if any.
    let data_dir = data_dir.unwrap_or_else(default_data_dir);
    let reported = crate::engine::reported_health(&data_dir);
    let mut out = sanitize::stdout();
    if args.json {
        // One document: the checks are all known before anything is printed.
        sanitize::json::to_writer_pretty(&mut out, &checks)?;
        writeln!(out)?;
    } else {
        print_checks(&mut out, &checks, &reported, &data_dir)?;
    }
    Ok(if checks.iter().all(|c| c.ok) { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Every configured source, and the `[llm]` endpoint: the remote ones probed all at once
/// (one slow backend must not hold up the verdict on the others), in the config's order.
fn check_sources(config: &Config, quiet: bool) -> anyhow::Result<Vec<Check>> {
    let plans = collector::plan(config);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    // What is still unanswered, for the waiting line on a terminal.
    let pending: Arc<Mutex<Vec<String>>> =
        Arc::new(Mutex::new(plans.iter().filter(|p| p.kind != SourceKind::File).map(waiting::label).collect()));
    let shown = Arc::clone(&pending);
    let waiting = Waiting::start(waiting::shown(quiet), move || shown.lock().map(|p| p.clone()).unwrap_or_default());
    let http_checks = rt.block_on(async {
        let futs = plans.iter().filter(|p| p.kind != SourceKind::File).map(|p| {
            let pending = Arc::clone(&pending);
            async move {
                let c = check_http(p).await;
                if let Ok(mut left) = pending.lock() {
                    left.retain(|l| *l != waiting::label(p));
                }
                c
            }
        });
        futures_util::future::join_all(futs).await
    });
    let mut by_name: std::collections::HashMap<String, Check> =
        http_checks.into_iter().map(|c| (c.name.clone(), c)).collect();
    let mut checks = Vec::new();
    for p in &plans {
        let c = if p.kind == SourceKind::File {
            check_file(p)
        } else {
            by_name.remove(&p.name).unwrap_or_else(|| check(&p.name, p.kind.as_str(), "error", "not checked"))
        };
        checks.push(c);
    }
    if let Some(l) = &config.llm {
        if let Ok(mut left) = pending.lock() {
            *left = vec![format!("the LLM at {}", l.base_url)];
        }
        checks.push(rt.block_on(check_llm(l)));
    }
    drop(waiting);
    Ok(checks)
}

/// The OTLP receiver's address: free, or taken (by a running collector, most likely).
/// Whether `collect` could listen on `listen`. In use counts as fine: it is most likely the running collector.
fn check_listen(name: &str, kind: &str, listen: &str) -> Check {
    match std::net::TcpListener::bind(listen) {
        Ok(_) => check(name, kind, "ok", format!("{listen} is free to listen on")),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            check(name, kind, "ok", format!("{listen} is in use (a running collector, or another program)"))
        }
        Err(e) => check(name, kind, "misconfigured", format!("cannot listen on {listen}: {e}")),
    }
}

/// The verdicts, one line each, then what the collector last reported.
fn print_checks(
    out: &mut impl Write,
    checks: &[Check],
    reported: &[crate::engine::HealthRow],
    data_dir: &Path,
) -> std::io::Result<()> {
    for c in checks {
        let mark = if c.ok { "ok  " } else { "FAIL" };
        writeln!(
            out,
            "{mark} {:<16} {:<14} {}: {}",
            terminal_safe(&c.name),
            terminal_safe(&c.kind),
            c.verdict,
            terminal_safe(&c.detail)
        )?;
    }
    if !reported.is_empty() {
        writeln!(out, "\nlast reported by the collector in {}:", terminal_safe(&data_dir.to_string_lossy()))?;
        for r in reported {
            let at = r.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            writeln!(
                out,
                "  {:<16} {:<14} {} at {at}",
                terminal_safe(&r.source),
                terminal_safe(&r.kind),
                terminal_safe(&r.health)
            )?;
        }
    }
    Ok(())
}
