use super::*;
use crate::model::MetricKind;

fn quick(seed: u64, fault: FaultKind) -> ScenarioSpec {
    ScenarioSpec { duration_secs: 3600, services: 8, ..ScenarioSpec::new(seed, fault) }
}

#[test]
fn fault_kinds_round_trip_their_names() {
    for k in FaultKind::ALL {
        assert_eq!(FaultKind::parse(k.as_str()), Some(k));
    }
    assert_eq!(FaultKind::parse("nope"), None);
}

#[test]
fn topology_is_a_dag_with_every_service_reachable() {
    for seed in 0..20 {
        let s = generate(&quick(seed, FaultKind::ALL[seed as usize % 8]));
        let names: Vec<&str> = s.services.iter().map(|x| x.name.as_str()).collect();
        let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
        for (a, b) in &s.edges {
            assert!(pos(a) < pos(b), "edge {a} -> {b} goes backwards");
        }
        for svc in &s.services[1..] {
            assert!(s.edges.iter().any(|(_, b)| *b == svc.name), "{} has no caller", svc.name);
            assert!((1..=2).contains(&svc.regions.len()), "{:?}", svc.regions);
        }
        assert!(s.service(&s.truth.root_service).is_some());
    }
}

#[test]
fn seeds_vary_topology_and_timing() {
    let a = generate(&quick(1, FaultKind::BadDeploy));
    let b = generate(&quick(2, FaultKind::BadDeploy));
    assert!(a.edges != b.edges || a.truth.onset != b.truth.onset || a.truth.root_service != b.truth.root_service);
}

#[test]
fn bad_deploy_changes_version_shortly_before_onset() {
    let s = generate(&quick(7, FaultKind::BadDeploy));
    let root = &s.truth.root_service;
    let deploy = s
        .logs
        .iter()
        .find(|l| l.resource.service.as_deref() == Some(root) && l.attributes.get("event.name").is_some())
        .expect("a deploy log on the root");
    let lead = s.truth.onset - deploy.timestamp;
    assert!(lead > Duration::zero() && lead <= Duration::minutes(6), "deploy {lead} before onset");
    let before = deploy.attributes["deploy.version.previous"].as_str().unwrap();
    assert_ne!(deploy.resource.version.as_deref(), Some(before));
}

#[test]
fn memory_leak_and_disk_full_reach_the_limit() {
    let s = generate(&quick(3, FaultKind::MemoryLeak));
    let max = s
        .metrics
        .iter()
        .filter(|m| m.name == "process.memory.utilization" && m.labels["service"] == s.truth.root_service)
        .map(|m| m.value)
        .fold(0.0, f64::max);
    assert!(max > 0.95, "{max}");
    let s = generate(&quick(3, FaultKind::DiskFull));
    let onset = s.truth.onset;
    assert!(s.metrics.iter().any(|m| m.name == "system.filesystem.utilization"
        && m.labels["service"] == s.truth.root_service
        && m.timestamp > onset
        && m.value >= 0.999));
}

#[test]
fn pool_exhaustion_pins_the_pool_at_its_maximum() {
    let s = generate(&quick(5, FaultKind::PoolExhaustion));
    let onset = s.truth.onset;
    assert!(s.metrics.iter().any(|m| m.name == "db.client.connections.usage"
        && m.labels["service"] == s.truth.root_service
        && m.timestamp > onset
        && m.value >= 50.0));
}

fn varied(seed: u64, fault: FaultKind, variety: Variety) -> Scenario {
    generate(&ScenarioSpec { variety, ..quick(seed, fault) })
}

#[test]
fn prometheus_style_exports_cumulative_counters_and_bytes() {
    let s = varied(5, FaultKind::MemoryLeak, Variety { metrics: MetricStyle::Prometheus, ..Variety::default() });
    let names: std::collections::BTreeSet<&str> = s.metrics.iter().map(|m| m.name.as_str()).collect();
    for n in [
        "http_server_requests_seconds_count",
        "http_server_requests_seconds_bucket",
        "container_memory_working_set_bytes",
    ] {
        assert!(names.contains(n), "{n} missing from {names:?}");
    }
    assert!(!names.contains("http.server.request.duration") && !names.contains("process.memory.utilization"));
    // Counters only grow, per series.
    let mut last: std::collections::HashMap<Vec<(String, String)>, f64> = std::collections::HashMap::new();
    for m in s.metrics.iter().filter(|m| m.name == "http_server_requests_seconds_count") {
        assert_eq!(m.kind, MetricKind::Sum);
        let key: Vec<(String, String)> = m.labels.clone().into_iter().filter(|(k, _)| k != "host").collect();
        let prev = last.insert(key, m.value).unwrap_or(0.0);
        assert!(m.value >= prev, "{m:?} after {prev}");
    }
}

#[test]
fn legacy_http_convention_reports_milliseconds() {
    let s = varied(6, FaultKind::BadDeploy, Variety { http: HttpConvention::Legacy, ..Variety::default() });
    let legacy: Vec<&MetricPoint> = s.metrics.iter().filter(|m| m.name == "http.server.duration").collect();
    assert!(!legacy.is_empty());
    assert!(legacy.iter().all(|m| m.unit == "ms"));
    let mean = legacy.iter().map(|m| m.value).sum::<f64>() / legacy.len() as f64;
    assert!(mean > 1.0, "{mean} looks like seconds");
}

#[test]
fn kubernetes_alert_labels_name_pods_jobs_and_apps_not_services() {
    let v = Variety { alert_labels: AlertLabels::Kubernetes, region_label: RegionLabel::Zone, ..Variety::default() };
    let s = varied(7, FaultKind::MemoryLeak, v);
    assert!(!s.alerts.is_empty());
    for a in &s.alerts {
        assert!(!a.labels.contains_key("service") && !a.labels.contains_key("region"), "{:?}", a.labels);
        assert!(a.labels.contains_key("namespace") && a.labels.contains_key("zone"), "{:?}", a.labels);
        let named = ["job", "app", "pod"].iter().filter(|k| a.labels.contains_key(**k)).count();
        assert_eq!(named, 1, "{:?}", a.labels);
    }
    let pod = s.alerts.iter().find_map(|a| a.labels.get("pod")).expect("a pod-labelled alert");
    let parts: Vec<&str> = pod.rsplitn(3, '-').collect();
    assert_eq!((parts[0].len(), parts[1].len()), (5, 10), "{pod}");
    assert!(s.service(parts[2]).is_some(), "{pod}");
}

#[test]
fn silent_cache_outage_stops_its_metrics_and_callers_name_it() {
    let s = varied(8, FaultKind::CacheOutage, Variety { silent_root: true, ..Variety::default() });
    let t = &s.truth;
    let down = t.incidents[0].mitigated.unwrap_or(s.spec.start + chrono::Duration::seconds(s.spec.duration_secs));
    let own = |from, to| {
        s.metrics
            .iter()
            .filter(|m| m.labels.get("service") == Some(&t.root_service) && m.timestamp > from && m.timestamp < to)
            .count()
    };
    assert!(own(s.spec.start, t.onset) > 0);
    assert_eq!(own(t.onset + chrono::Duration::minutes(1), down), 0);
    let named = format!("connection refused to {}:", t.root_service);
    assert!(s.logs.iter().any(|l| l.body.contains(&named) && l.resource.service.as_ref() != Some(&t.root_service)));
    assert!(!s
        .logs
        .iter()
        .any(|l| l.resource.service.as_ref() == Some(&t.root_service) && l.timestamp >= t.onset && l.timestamp < down));
}

#[test]
fn an_uninstrumented_service_is_seen_only_through_its_callers_spans() {
    let s = varied(9, FaultKind::SlowDatabase, Variety { uninstrumented: true, ..Variety::default() });
    let plain = generate(&quick(9, FaultKind::SlowDatabase));
    let traced = |s: &Scenario| -> std::collections::BTreeSet<String> {
        s.spans.iter().filter_map(|sp| sp.resource.service.clone()).collect()
    };
    let missing: Vec<String> = traced(&plain).difference(&traced(&s)).cloned().collect();
    assert_eq!(missing.len(), 1, "{missing:?}");
    let peer = |sp: &crate::model::Span| sp.attributes.get("peer.service").and_then(|v| v.as_str()).map(str::to_string);
    assert!(s.spans.iter().any(|sp| peer(sp).as_ref() == Some(&missing[0])), "{} not seen by callers", missing[0]);
}

#[test]
fn drawn_varieties_differ_by_seed_and_leave_the_incident_where_it_was() {
    let drawn: std::collections::BTreeSet<String> = (1..=24).map(|s| Variety::draw(s).describe()).collect();
    assert!(drawn.len() >= 12, "{drawn:?}");
    let a = generate(&quick(3, FaultKind::BadDeploy));
    let b = varied(3, FaultKind::BadDeploy, Variety::draw(3));
    assert_eq!((&a.services, &a.edges, &a.truth.onset), (&b.services, &b.edges, &b.truth.onset));
}

#[test]
fn kubernetes_events_follow_each_oom_kill() {
    let spec = ScenarioSpec {
        variety: Variety { kube_events: true, ..Variety::default() },
        ..ScenarioSpec::new(10, FaultKind::MemoryLeak)
    };
    let s = generate(&spec);
    let root = &s.truth.root_service;
    let of_root = |needle: &str| -> Vec<DateTime<Utc>> {
        s.logs
            .iter()
            .filter(|l| l.resource.service.as_ref() == Some(root) && l.body.contains(needle))
            .map(|l| l.timestamp)
            .collect()
    };
    let kills = of_root("OOMKilled");
    assert!(!kills.is_empty());
    assert_eq!(of_root("OOMKilling").len(), kills.len());
    let backoffs = of_root("Back-off restarting failed container");
    for k in kills.iter().skip(1) {
        assert!(backoffs.iter().any(|b| *b > *k && *b - *k < Duration::minutes(1)), "no BackOff after the kill at {k}");
    }
    let restarts = s.metrics.iter().filter(|m| m.name == "kube_pod_container_status_restarts_total");
    let most = restarts.filter(|m| m.labels.get("service") == Some(root)).map(|m| m.value).fold(0.0, f64::max);
    assert_eq!(most as usize, kills.len());
}
