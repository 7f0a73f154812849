//! The Alertmanager and Prometheus pull sources against the real servers.
//!
//! Start them with `eval "$(scripts/live-servers.sh start)"` (or wrap the test command in
//! `scripts/live-servers.sh run -- ...`). Without `FIREWATCH_ALERTMANAGER_URL` these tests
//! skip with a note, except under CI, where a missing server is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use firewatch::model::{Alert, AlertStatus, MetricPoint, Signal};
use firewatch::sources::alertmanager_api::{
    self, AlertmanagerClient, Matcher, NewSilence, PostableAlert, SourceOptions,
};
use firewatch::sources::feed::{Health, SourceEvent};
use firewatch::sources::http::{build_client, HttpConfig};
use firewatch::sources::prometheus::{self, PromSourceOptions, PrometheusClient, RangeQuery, RuleAlertState};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The tests share one Alertmanager, and one of them restarts it: run them one at a time.
static SERVERS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Live {
    am: String,
    prom: String,
    script: String,
}

fn live() -> Option<Live> {
    match std::env::var("FIREWATCH_ALERTMANAGER_URL") {
        Ok(am) => Some(Live {
            am,
            prom: std::env::var("FIREWATCH_PROMETHEUS_URL").unwrap_or_else(|_| "http://127.0.0.1:19090".into()),
            script: std::env::var("FIREWATCH_LIVE_SCRIPT").unwrap_or_else(|_| "scripts/live-servers.sh".into()),
        }),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("FIREWATCH_ALERTMANAGER_URL is not set under CI: start the servers with scripts/live-servers.sh")
        }
        Err(_) => {
            eprintln!(
                "note: FIREWATCH_ALERTMANAGER_URL is not set; skipping (eval \"$(scripts/live-servers.sh start)\")"
            );
            None
        }
    }
}

/// Labels unique to one test run, so runs against the same servers do not see each other.
fn run_id() -> String {
    format!("{}-{}", std::process::id(), Utc::now().timestamp_nanos_opt().unwrap_or_default())
}

fn am_client(url: &str) -> AlertmanagerClient {
    let mut cfg = HttpConfig::new(url);
    cfg.timeout = Some(Duration::from_secs(5));
    AlertmanagerClient::new(build_client(&cfg).unwrap(), url)
}

fn prom_client(url: &str) -> PrometheusClient {
    PrometheusClient::new(build_client(&HttpConfig::new(url)).unwrap(), url)
}

fn amtool(live: &Live, args: &[&str]) -> String {
    let out = Command::new("amtool").arg(format!("--alertmanager.url={}", live.am)).args(args).output().unwrap();
    assert!(out.status.success(), "amtool {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn harness(live: &Live, what: &str) {
    let out = Command::new("bash").arg(&live.script).arg(what).output().unwrap();
    assert!(out.status.success(), "{} {what}: {}", live.script, String::from_utf8_lossy(&out.stderr));
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// What a source sent so far.
#[derive(Default)]
struct Seen {
    alerts: Vec<(Instant, Alert)>,
    points: Vec<MetricPoint>,
    health: Vec<Health>,
    cursor: Option<String>,
    batches: usize,
}

impl Seen {
    fn alerts_named(&self, name: &str) -> Vec<&Alert> {
        self.alerts.iter().map(|(_, a)| a).filter(|a| a.alertname == name).collect()
    }

    /// This run's alerts of that name (earlier runs' alerts may still be active).
    fn ours(&self, name: &str, run: &str) -> Vec<&Alert> {
        self.alerts_named(name)
            .into_iter()
            .filter(|a| a.labels.get("fw_run").map(String::as_str) == Some(run))
            .collect()
    }

    /// The state a store upserting by (fingerprint, starts_at) ends with.
    fn upserted(&self) -> BTreeMap<(String, DateTime<Utc>), AlertStatus> {
        self.alerts.iter().map(|(_, a)| ((a.fingerprint.clone(), a.starts_at), a.status)).collect()
    }

    /// Receives until `done` holds or `bound` passes; false on timeout.
    async fn until(
        &mut self,
        rx: &mut mpsc::Receiver<SourceEvent>,
        bound: Duration,
        done: impl Fn(&Seen) -> bool,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + bound;
        while !done(self) {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(SourceEvent::Batch(b))) => {
                    self.batches += 1;
                    if b.cursor.is_some() {
                        self.cursor = b.cursor;
                    }
                    for s in b.signals {
                        match s {
                            Signal::Alert(a) => self.alerts.push((Instant::now(), a)),
                            Signal::Metric(m) => self.points.push(m),
                            _ => {}
                        }
                    }
                }
                Ok(Some(SourceEvent::Health { health, .. })) => self.health.push(health),
                Ok(Some(SourceEvent::Polled { .. })) => {}
                Ok(None) | Err(_) => return false,
            }
        }
        true
    }
}

fn am_source(url: &str, opts: SourceOptions, cursor: Option<String>) -> (JoinHandle<()>, mpsc::Receiver<SourceEvent>) {
    let (tx, rx) = mpsc::channel(64);
    let task = tokio::spawn(alertmanager_api::run_with(am_client(url), "am".into(), opts, cursor, tx));
    (task, rx)
}

fn fast() -> SourceOptions {
    let mut o = SourceOptions::new(Duration::from_millis(500));
    o.down_after_failures = 4;
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amtool_and_api_alerts_arrive_with_fingerprints_and_resolve() {
    let Some(live) = live() else { return };
    let _one = SERVERS.lock().await;
    let id = run_id();
    let (task, mut rx) = am_source(&live.am, fast(), None);
    let mut seen = Seen::default();
    assert!(seen.until(&mut rx, Duration::from_secs(10), |s| matches!(s.health.last(), Some(Health::Ok { .. }))).await);

    let t_amtool = Instant::now();
    amtool(
        &live,
        &[
            "alert",
            "add",
            "FwAmtool",
            "service=Billing",
            "region=eu-west-1",
            &format!("fw_run={id}"),
            "--annotation=summary=from amtool",
        ],
    );
    let client = am_client(&live.am);
    let starts = Utc::now() - chrono::Duration::seconds(30);
    let api_alert = PostableAlert {
        labels: labels(&[("alertname", "FwApi"), ("service", "checkout"), ("fw_run", &id)]),
        annotations: labels(&[("summary", "from the api")]),
        starts_at: Some(starts),
        ..PostableAlert::default()
    };
    let t_api = Instant::now();
    client.post_alerts(std::slice::from_ref(&api_alert)).await.unwrap();
    assert!(
        seen.until(&mut rx, Duration::from_secs(10), |s| !s.ours("FwAmtool", &id).is_empty()
            && !s.ours("FwApi", &id).is_empty())
            .await,
        "both alerts within 10s"
    );
    let amtool_latency = seen.alerts.iter().find(|(_, a)| a.alertname == "FwAmtool").map(|(t, _)| *t - t_amtool);
    let api_latency = seen.alerts.iter().find(|(_, a)| a.alertname == "FwApi").map(|(t, _)| *t - t_api);
    eprintln!("measured: amtool alert add -> emitted {amtool_latency:?}; POST /api/v2/alerts -> emitted {api_latency:?} (poll 500ms)");

    // Alertmanager's own fingerprints, as amtool reports them.
    let listed: serde_json::Value =
        serde_json::from_str(&amtool(&live, &["-o", "json", "alert", "query", &format!("fw_run={id}")])).unwrap();
    let am_fps: BTreeMap<String, String> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (a["labels"]["alertname"].as_str().unwrap().to_string(), a["fingerprint"].as_str().unwrap().to_string())
        })
        .collect();
    let ours = seen.ours("FwAmtool", &id)[0].clone();
    assert_eq!(ours.fingerprint, am_fps["FwAmtool"]);
    assert_eq!(
        (ours.status, ours.service.as_deref(), ours.region.as_deref()),
        (AlertStatus::Firing, Some("billing"), Some("eu-west-1"))
    );
    assert_eq!(ours.annotations["summary"], "from amtool");
    let api = seen.ours("FwApi", &id)[0].clone();
    assert_eq!(api.fingerprint, am_fps["FwApi"]);
    assert_eq!(api.starts_at.timestamp_millis(), starts.timestamp_millis());
    // The routing tree's view: both alerts in the blackhole receiver's group.
    let groups = client.alert_groups().await.unwrap();
    let grouped: BTreeSet<&str> = groups
        .iter()
        .filter(|g| g.receiver == "blackhole")
        .flat_map(|g| &g.alerts)
        .filter(|a| a.labels.get("fw_run") == Some(&id))
        .map(|a| a.alertname.as_str())
        .collect();
    assert_eq!(grouped, BTreeSet::from(["FwAmtool", "FwApi"]));

    // Resolve it the way a sender does: the same alert with endsAt in the past.
    let t_resolve = Utc::now();
    let resolved = PostableAlert { ends_at: Some(Utc::now() - chrono::Duration::seconds(1)), ..api_alert };
    client.post_alerts(&[resolved]).await.unwrap();
    assert!(
        seen.until(&mut rx, Duration::from_secs(10), |s| s
            .ours("FwApi", &id)
            .iter()
            .any(|a| a.status == AlertStatus::Resolved))
            .await,
        "the resolution comes through"
    );
    let r = seen.ours("FwApi", &id).into_iter().find(|a| a.status == AlertStatus::Resolved).unwrap().clone();
    assert_eq!((r.fingerprint.as_str(), r.starts_at), (api.fingerprint.as_str(), api.starts_at));
    let ends = r.ends_at.unwrap();
    assert!(
        ends >= t_resolve - chrono::Duration::seconds(2) && ends <= Utc::now(),
        "ends_at {ends} is when it was noticed"
    );
    // The amtool alert is still firing: it was not swept along.
    let statuses: Vec<_> = seen.ours("FwAmtool", &id).iter().map(|a| a.status).collect();
    assert_eq!(statuses, [AlertStatus::Firing], "the amtool alert is untouched");
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_rule_alert_reaches_alertmanager_and_both_sources() {
    let Some(live) = live() else { return };
    let _one = SERVERS.lock().await;
    let t0 = Instant::now();
    let (am_task, mut am_rx) = am_source(&live.am, fast(), None);
    let (tx, mut prom_rx) = mpsc::channel(64);
    let mut opts = PromSourceOptions::new(Duration::from_millis(500), vec![]);
    opts.down_after_failures = 4;
    let prom_task = tokio::spawn(prometheus::run(prom_client(&live.prom), "prom".into(), opts, None, tx));

    let fired = |s: &Seen| ["FirewatchLiveAlways", "FirewatchLiveFor"].iter().all(|n| !s.alerts_named(n).is_empty());
    let mut via_am = Seen::default();
    assert!(
        via_am.until(&mut am_rx, Duration::from_secs(30), fired).await,
        "rule alerts reach Alertmanager within 30s"
    );
    eprintln!("measured: rule alerts seen through Alertmanager {:?} after the source started", t0.elapsed());
    let mut via_prom = Seen::default();
    assert!(via_prom.until(&mut prom_rx, Duration::from_secs(30), fired).await, "and through Prometheus");

    for name in ["FirewatchLiveAlways", "FirewatchLiveFor"] {
        let a = via_am.alerts_named(name)[0];
        let p = via_prom.alerts_named(name)[0];
        assert_eq!((a.status, p.status), (AlertStatus::Firing, AlertStatus::Firing));
        // One firing, one row: the same identity whichever source reported it.
        assert_eq!((&p.fingerprint, p.starts_at), (&a.fingerprint, a.starts_at), "{name}");
        assert_eq!(p.generator_url, a.generator_url, "{name}");
        assert_eq!((a.service.as_deref(), a.region.as_deref()), (p.service.as_deref(), p.region.as_deref()));
    }
    // Pending alerts are visible in the client, never emitted as signals.
    let pending = prom_client(&live.prom).alerts().await.unwrap();
    let states: Vec<_> = pending.iter().map(|a| (a.alert.alertname.as_str(), a.state)).collect();
    assert!(states.contains(&("FirewatchLivePending", RuleAlertState::Pending)), "the 1h rule is pending: {states:?}");
    let rules = prom_client(&live.prom).rules().await.unwrap();
    let rule = rules.iter().flat_map(|g| &g.rules).find(|r| r.name == "FirewatchLivePending").unwrap();
    assert_eq!((rule.state.as_str(), rule.duration), ("pending", Duration::from_secs(3600)));
    assert!(via_prom.alerts_named("FirewatchLivePending").is_empty());
    assert!(via_am.alerts_named("FirewatchLivePending").is_empty());
    am_task.abort();
    prom_task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_through_the_client_shows_in_amtool_and_expires() {
    let Some(live) = live() else { return };
    let _one = SERVERS.lock().await;
    let id = run_id();
    let client = am_client(&live.am);
    client
        .post_alerts(&[PostableAlert {
            labels: labels(&[("alertname", "FwSilenced"), ("service", "cart"), ("fw_run", &id)]),
            ..PostableAlert::default()
        }])
        .await
        .unwrap();
    let (task, mut rx) = am_source(&live.am, fast(), None);
    let mut seen = Seen::default();
    assert!(seen.until(&mut rx, Duration::from_secs(10), |s| !s.ours("FwSilenced", &id).is_empty()).await);
    assert_eq!(seen.ours("FwSilenced", &id)[0].status, AlertStatus::Firing);

    let silence = NewSilence {
        matchers: vec![Matcher::equal("fw_run", &id), Matcher::parse("alertname=~\"FwSil.*\"").unwrap()],
        starts_at: Utc::now(),
        ends_at: Utc::now() + chrono::Duration::hours(1),
        created_by: "firewatch-test".into(),
        comment: format!("live test {id}"),
    };
    let sid = client.create_silence(&silence).await.unwrap();
    let query = amtool(&live, &["silence", "query", &format!("fw_run={id}")]);
    assert!(query.contains(&sid), "amtool silence query lists {sid}:\n{query}");
    assert!(client.silences().await.unwrap().iter().any(|s| s.id == sid && s.status.state == "active"));
    // The silenced alert turns suppressed in the source.
    assert!(
        seen.until(&mut rx, Duration::from_secs(10), |s| s.ours("FwSilenced", &id).last().map(|a| a.status)
            == Some(AlertStatus::Suppressed))
            .await,
        "suppressed after the silence"
    );

    client.expire_silence(&sid).await.unwrap();
    let query = amtool(&live, &["silence", "query", &format!("fw_run={id}")]);
    assert!(!query.contains(&sid), "expired silence still listed:\n{query}");
    assert!(amtool(&live, &["silence", "query", "--expired", &format!("fw_run={id}")]).contains(&sid));
    assert!(
        seen.until(&mut rx, Duration::from_secs(10), |s| s.ours("FwSilenced", &id).last().map(|a| a.status)
            == Some(AlertStatus::Firing))
            .await,
        "firing again after the silence expired"
    );
    assert!(client.expire_silence("not a silence").await.is_err());
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alertmanager_restart_degrades_recovers_and_loses_nothing() {
    let Some(live) = live() else { return };
    let _one = SERVERS.lock().await;
    let id = run_id();
    let client = am_client(&live.am);
    let starts = Utc::now() - chrono::Duration::minutes(5);
    let ours: Vec<PostableAlert> = ["FwKeepA", "FwKeepB"]
        .iter()
        .map(|n| PostableAlert {
            labels: labels(&[("alertname", n), ("service", "inventory"), ("fw_run", &id)]),
            starts_at: Some(starts),
            ..PostableAlert::default()
        })
        .collect();
    client.post_alerts(&ours).await.unwrap();
    let (task, mut rx) = am_source(&live.am, fast(), None);
    let mut seen = Seen::default();
    let named = |s: &Seen, n: &str| if n.starts_with("Fw") { s.ours(n, &id).len() } else { s.alerts_named(n).len() };
    let ready = |s: &Seen| ["FwKeepA", "FwKeepB", "FirewatchLiveAlways"].iter().all(|n| named(s, n) > 0);
    assert!(seen.until(&mut rx, Duration::from_secs(30), ready).await, "alerts before the restart");

    // Silences live in Alertmanager's --storage.path and must survive the restart.
    let silence = NewSilence {
        matchers: vec![Matcher::equal("fw_run", format!("{id}-nothing"))],
        starts_at: Utc::now(),
        ends_at: Utc::now() + chrono::Duration::hours(1),
        created_by: "firewatch-test".into(),
        comment: "survives a restart".into(),
    };
    let sid = client.create_silence(&silence).await.unwrap();
    harness(&live, "stop-alertmanager");
    let t_down = Instant::now();
    assert!(
        seen.until(&mut rx, Duration::from_secs(20), |s| s.health.iter().any(|h| matches!(h, Health::Down { .. })))
            .await,
        "down while alertmanager is stopped: {:?}",
        seen.health
    );
    eprintln!("measured: stopped -> Down after {:?}", t_down.elapsed());
    let degraded = seen.health.iter().position(|h| matches!(h, Health::Degraded { .. }));
    let down = seen.health.iter().position(|h| matches!(h, Health::Down { .. }));
    assert!(degraded < down && degraded.is_some(), "degraded, then down: {:?}", seen.health);
    if let Some(Health::Down { error, .. }) = &seen.health[down.unwrap_or_default()..].first() {
        assert!(error.contains("127.0.0.1"), "the error names the backend: {error}");
    }

    harness(&live, "start-alertmanager");
    let kept = client.silences().await.unwrap();
    assert!(kept.iter().any(|s| s.id == sid && s.status.state == "active"), "silence {sid} kept across the restart");
    let t_up = Instant::now();
    // A sender re-sends its alerts to the fresh Alertmanager (Prometheus does so by itself).
    client.post_alerts(&ours).await.unwrap();
    let health_before = seen.health.len();
    assert!(
        seen.until(&mut rx, Duration::from_secs(20), |s| s.health[health_before..]
            .iter()
            .any(|h| matches!(h, Health::Ok { .. })))
            .await,
        "ok again after the restart"
    );
    eprintln!("measured: restarted -> Ok after {:?}", t_up.elapsed());
    // Give the source a few polls over the re-sent set, then check what a store would hold.
    let polls = seen.batches;
    let _ = seen.until(&mut rx, Duration::from_secs(4), |s| s.batches > polls + 5).await;
    let state = seen.upserted();
    for name in ["FwKeepA", "FwKeepB", "FirewatchLiveAlways"] {
        let fp = &seen
            .alerts_named(name)
            .iter()
            .find(|a| name.starts_with("Firewatch") || a.labels.get("fw_run") == Some(&id))
            .unwrap()
            .fingerprint;
        let firings: Vec<_> = state.iter().filter(|((f, _), _)| f == fp).collect();
        assert_eq!(firings.len(), 1, "{name}: one firing, not a second one after the restart: {firings:?}");
        assert_eq!(*firings[0].1, AlertStatus::Firing, "{name}: not resolved by the restart");
        assert_eq!(named(&seen, name), 1, "{name} emitted exactly once: {:?}", seen.alerts_named(name));
    }

    // The source itself restarts from its cursor: nothing is re-emitted, new alerts are.
    task.abort();
    let cursor = seen.cursor.clone();
    assert!(cursor.is_some());
    let (task, mut rx) = am_source(&live.am, fast(), cursor);
    let late = PostableAlert {
        labels: labels(&[("alertname", "FwLate"), ("service", "inventory"), ("fw_run", &id)]),
        ..PostableAlert::default()
    };
    client.post_alerts(&[late]).await.unwrap();
    let mut again = Seen::default();
    assert!(again.until(&mut rx, Duration::from_secs(10), |s| !s.ours("FwLate", &id).is_empty()).await);
    let polls = again.batches;
    let _ = again.until(&mut rx, Duration::from_secs(2), |s| s.batches > polls + 2).await;
    // Alerts of earlier runs may time out meanwhile (resolved); nothing is re-sent as firing.
    let firing: BTreeSet<&str> = again
        .alerts
        .iter()
        .filter(|(_, a)| a.status != AlertStatus::Resolved)
        .map(|(_, a)| a.alertname.as_str())
        .collect();
    assert_eq!(firing, BTreeSet::from(["FwLate"]), "only the new alert after resuming from the cursor");
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_range_points_and_cursor_resume_without_overlap() {
    let Some(live) = live() else { return };
    let _one = SERVERS.lock().await;
    let client = prom_client(&live.prom);
    let err =
        client.query_range("up{", Utc::now() - chrono::Duration::seconds(10), Utc::now(), Duration::from_secs(1)).await;
    let msg = err.unwrap_err().to_string();
    assert!(msg.contains("bad_data") && msg.contains("parse error"), "{msg}");

    let query =
        RangeQuery { name: "prom_up".into(), expr: "up{job=\"prometheus\"}".into(), step: Duration::from_secs(1) };
    let mut opts = PromSourceOptions::new(Duration::from_millis(500), vec![query]);
    opts.alerts = false;
    opts.backfill = Duration::from_secs(20);
    opts.settle = Duration::from_secs(1);
    let start = |cursor: Option<String>| {
        let (tx, rx) = mpsc::channel(64);
        (tokio::spawn(prometheus::run(prom_client(&live.prom), "prom".into(), opts.clone(), cursor, tx)), rx)
    };
    let (task, mut rx) = start(None);
    let mut first = Seen::default();
    assert!(first.until(&mut rx, Duration::from_secs(30), |s| s.points.len() >= 5).await, "points for up");
    task.abort();
    let p = &first.points[0];
    assert_eq!((p.name.as_str(), p.value), ("prom_up", 1.0));
    assert_eq!(p.labels.get("service").map(String::as_str), Some("prometheus"));
    assert_eq!(p.labels.get("region").map(String::as_str), Some("local-1"));
    assert!(p.labels.get("host").is_some_and(|h| h.starts_with("127.0.0.1:")));
    let cursor = first.cursor.clone().unwrap();
    let last_end: serde_json::Value = serde_json::from_str(&cursor).unwrap();
    let last_end = last_end["queries"]["prom_up"].as_i64().unwrap();
    let seen_first: BTreeSet<i64> = first.points.iter().map(|p| p.timestamp.timestamp_millis()).collect();
    assert_eq!(*seen_first.last().unwrap(), last_end);

    tokio::time::sleep(Duration::from_secs(2)).await;
    let (task, mut rx) = start(Some(cursor));
    let mut second = Seen::default();
    assert!(
        second.until(&mut rx, Duration::from_secs(15), |s| s.points.len() >= 3).await,
        "more points after resuming"
    );
    task.abort();
    let seen_second: BTreeSet<i64> = second.points.iter().map(|p| p.timestamp.timestamp_millis()).collect();
    assert!(seen_first.is_disjoint(&seen_second), "no overlap");
    assert_eq!(*seen_second.first().unwrap(), last_end + 1000, "no gap: resumes one step after the cursor");
    let all: Vec<i64> = seen_first.union(&seen_second).copied().collect();
    assert!(all.windows(2).all(|w| w[1] - w[0] == 1000), "one point a step, no holes");
}

#[tokio::test]
async fn unreachable_backend_is_degraded_then_down_without_blocking() {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    let mut opts = SourceOptions::new(Duration::from_millis(200));
    opts.down_after_failures = 3;
    let (task, mut rx) = am_source("http://127.0.0.1:9", opts, None);
    let mut seen = Seen::default();
    assert!(
        seen.until(&mut rx, Duration::from_secs(15), |s| s.health.iter().any(|h| matches!(h, Health::Down { .. })))
            .await,
        "{:?}",
        seen.health
    );
    assert!(matches!(seen.health[0], Health::Degraded { .. }));
    if let Health::Down { error, .. } = &seen.health[1] {
        assert!(error.contains("127.0.0.1:9") && error.contains("onnect"), "{error}");
        eprintln!("as the user sees it: {error}");
    }
    assert!(seen.alerts.is_empty());
    // Dropping the receiver ends the task by itself.
    drop(rx);
    tokio::time::timeout(Duration::from_secs(5), task).await.unwrap().unwrap();
}

#[tokio::test]
async fn tls_with_own_ca_and_basic_auth_from_a_secret_file() {
    let Some(_live) = live() else { return };
    let _one = SERVERS.lock().await;
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set: start scripts/live-servers.sh"));
    let url = var("FIREWATCH_ALERTMANAGER_TLS_URL");
    let mut cfg = HttpConfig::new(&url);
    cfg.ca_file = Some(var("FIREWATCH_LIVE_CA").into());
    cfg.basic_user = Some(var("FIREWATCH_LIVE_BASIC_USER"));
    cfg.basic_password_file = Some(var("FIREWATCH_LIVE_BASIC_PASSWORD_FILE").into());
    let http = build_client(&cfg).unwrap();
    let secret = std::fs::read_to_string(cfg.basic_password_file.as_ref().unwrap()).unwrap();
    assert!(!format!("{http:?}").contains(secret.trim()), "credentials stay out of debug output");
    let status = AlertmanagerClient::new(http, &url).status().await.unwrap();
    assert_eq!(status.version, "0.25.0");

    let mut wrong = cfg.clone();
    wrong.basic_password_file = None;
    wrong.basic_password = Some("not-the-password".into());
    let err = AlertmanagerClient::new(build_client(&wrong).unwrap(), &url).status().await.unwrap_err().to_string();
    assert!(err.contains("http 401"), "{err}");
    eprintln!("as the user sees it: {err}");

    let mut no_ca = cfg.clone();
    no_ca.ca_file = None;
    let err = AlertmanagerClient::new(build_client(&no_ca).unwrap(), &url).status().await.unwrap_err().to_string();
    assert!(err.to_lowercase().contains("certificate"), "an unknown CA is refused: {err}");
    eprintln!("as the user sees it: {err}");
    no_ca.insecure_skip_verify = true;
    assert!(AlertmanagerClient::new(build_client(&no_ca).unwrap(), &url).status().await.is_ok());
}
