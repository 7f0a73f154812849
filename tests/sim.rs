//! The incident simulator: determinism, faults a user would notice, and a round trip
//! through `firewatch ingest`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

mod common;

use chrono::Duration;
use common::Fw;
use firewatch::model::Severity;
use firewatch::sim::{generate, write_files, FaultKind, Scenario, ScenarioSpec};

fn spec(seed: u64, fault: FaultKind) -> ScenarioSpec {
    ScenarioSpec { services: 8, duration_secs: 5400, ..ScenarioSpec::new(seed, fault) }
}

fn files(s: &Scenario) -> Vec<(String, Vec<u8>)> {
    let dir = tempfile::tempdir().unwrap();
    let paths = write_files(s, dir.path()).unwrap();
    paths
        .iter()
        .map(|p| (p.strip_prefix(dir.path()).unwrap().display().to_string(), std::fs::read(p).unwrap()))
        .collect()
}

#[test]
fn same_spec_same_bytes_other_seed_other_scenario() {
    let a = files(&generate(&spec(11, FaultKind::CacheOutage)));
    let b = files(&generate(&spec(11, FaultKind::CacheOutage)));
    assert_eq!(a, b);
    let c = files(&generate(&spec(12, FaultKind::CacheOutage)));
    assert_ne!(a, c);
}

/// Mean of a metric at the root over [from, to).
fn root_mean(s: &Scenario, from: Duration, to: Duration) -> f64 {
    let t = &s.truth;
    let vals: Vec<f64> = s
        .metrics
        .iter()
        .filter(|m| m.name == t.root_metric && m.labels.get("service") == Some(&t.root_service))
        .filter(|m| t.root_region.is_none() || m.labels.get("region") == t.root_region.as_ref())
        .filter(|m| m.timestamp >= t.onset + from && m.timestamp < t.onset + to)
        .map(|m| m.value)
        .collect();
    assert!(!vals.is_empty(), "no {} at {}", t.root_metric, t.root_service);
    vals.iter().sum::<f64>() / vals.len() as f64
}

#[test]
fn every_fault_leaves_alerts_errors_and_a_metric_shift_around_its_root() {
    for (i, fault) in FaultKind::ALL.into_iter().enumerate() {
        for seed in [i as u64, 100 + i as u64] {
            let s = generate(&spec(seed, fault));
            let t = &s.truth;
            let ctx = format!("{fault} seed {seed} root {}", t.root_service);
            assert!(s.service(&t.root_service).is_some(), "{ctx}");
            assert_eq!(t.incidents[0].root_service, t.root_service);

            // Alerts: some, all on the root or services that (transitively) call it, after onset.
            let mut near = s.ancestors(&t.root_service);
            near.push(t.root_service.clone());
            let fps = &t.incidents[0].alert_fingerprints;
            assert!(!fps.is_empty(), "{ctx}: no alerts");
            for a in s.alerts.iter().filter(|a| fps.contains(&a.fingerprint)) {
                assert!(near.contains(a.service.as_ref().unwrap()), "{ctx}: alert on {:?}", a.service);
                assert!(a.starts_at > t.onset, "{ctx}: alert before onset");
            }
            assert!(
                s.alerts.iter().any(|a| fps.contains(&a.fingerprint) && a.service.as_ref() == Some(&t.root_service)),
                "{ctx}: no alert on the root"
            );

            // A caller of the root logs or traces errors naming it after onset.
            let callers: Vec<&String> = s.edges.iter().filter(|(_, b)| *b == t.root_service).map(|(a, _)| a).collect();
            let window = |ts| ts >= t.onset && ts < t.onset + Duration::minutes(30);
            let logged = s.logs.iter().any(|l| {
                l.severity >= Severity::Error
                    && window(l.timestamp)
                    && callers.iter().any(|c| l.resource.service.as_ref() == Some(*c))
                    && l.body.contains(t.root_service.as_str())
            });
            let traced = s.spans.iter().any(|x| {
                x.error
                    && window(x.start)
                    && callers.iter().any(|c| x.resource.service.as_ref() == Some(*c))
                    && x.attributes.get("peer.service").and_then(|v| v.as_str()) == Some(t.root_service.as_str())
            });
            assert!(logged && traced, "{ctx}: callers {callers:?} logged {logged} traced {traced}");

            let before = root_mean(&s, Duration::minutes(-30), Duration::zero());
            let after = root_mean(&s, Duration::minutes(2), Duration::minutes(30));
            let shift = (after - before).abs() / before.abs().max(after.abs()).max(1e-9);
            assert!(shift > 0.3, "{ctx}: {} {before} -> {after}", t.root_metric);
        }
    }
}

#[test]
fn regional_network_stays_in_its_region() {
    for seed in 0..4 {
        let s = generate(&ScenarioSpec { noise: false, ..spec(seed, FaultKind::RegionalNetwork) });
        let region = s.truth.root_region.clone().expect("a region");
        for l in s.logs.iter().filter(|l| l.timestamp >= s.truth.onset && l.severity >= Severity::Error) {
            // Background errors are rare and can land anywhere; the fault's must not.
            if l.body.contains("context canceled") || l.body.contains("connection reset") {
                continue;
            }
            assert_eq!(l.resource.region.as_ref(), Some(&region), "seed {seed}: {}", l.body);
        }
        for a in &s.alerts {
            assert_eq!(a.region.as_ref(), Some(&region));
        }
    }
}

#[test]
fn the_second_incident_is_elsewhere_and_has_its_own_truth() {
    for seed in 0..6 {
        let s = generate(&spec(seed, FaultKind::ALL[seed as usize % 8]));
        let t = &s.truth;
        assert_eq!(t.incidents.len(), 2, "seed {seed}");
        let second = &t.incidents[1];
        assert_ne!(second.root_service, t.root_service);
        let region = second.root_region.as_ref().expect("the second incident is regional");
        assert_ne!(Some(region), t.root_region.as_ref());
        assert!(s.service(&second.root_service).unwrap().regions.contains(region));
        assert!(!second.alert_fingerprints.is_empty());
        assert!(second.alert_fingerprints.iter().all(|f| !t.incidents[0].alert_fingerprints.contains(f)));
        assert!(!t.flapping_fingerprints.is_empty());
        let flaps = s.alerts.iter().filter(|a| t.flapping_fingerprints.contains(&a.fingerprint)).count();
        assert!(flaps >= 3, "seed {seed}: {flaps} flapping episodes");
        let chronic = t.chronic_error_service.as_ref().unwrap();
        let chronic_errors = s
            .logs
            .iter()
            .filter(|l| l.resource.service.as_ref() == Some(chronic) && l.body.contains("feature flags"))
            .count();
        assert!(chronic_errors > 30, "{chronic_errors}");
        let (svc, at) = t.unrelated_deploy.clone().unwrap();
        assert!(at < t.onset - Duration::minutes(20) && svc != t.root_service);
    }
}

#[test]
fn written_files_ingest_cleanly_with_matching_counts() {
    let s = generate(&ScenarioSpec { services: 6, duration_secs: 1800, ..ScenarioSpec::new(5, FaultKind::BadDeploy) });
    assert!(!s.logs.is_empty() && !s.spans.is_empty() && !s.metrics.is_empty() && !s.alerts.is_empty());
    let fw = Fw::new();
    let out = fw.dir.path().join("scenario");
    write_files(&s, &out).unwrap();
    let truth: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("truth.json")).unwrap()).unwrap();
    let root = truth["root_service"].as_str().unwrap();
    assert!(s.services.iter().any(|x| x.name == root));

    let report = fw.ingest_json(&[&out.join("telemetry")]);
    assert_eq!(report["bad"], 0, "{report}");
    let sum = |k: &str| report["files"].as_array().unwrap().iter().map(|f| f[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(sum("logs"), s.logs.len() as u64, "{report}");
    assert_eq!(sum("spans"), s.spans.len() as u64);
    // A histogram point also arrives as its buckets (`<name>_bucket` with `le`), read back as quantiles.
    assert!(sum("metrics") >= s.metrics.len() as u64, "{report}");
    assert_eq!(sum("alerts"), s.alerts.len() as u64);
}
