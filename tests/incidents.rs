//! `firewatch incidents --json` on simulated incidents ingested through the real binary: the contract's shape,
//! alerts grouped the way the ground truth says, and the true root cause named.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

mod common;

use chrono::{Duration, SecondsFormat};
use common::Fw;
use firewatch::sim::{generate, write_files, FaultKind, ScenarioSpec};
use serde_json::Value;

fn incidents_for(seed: u64, fault: FaultKind) -> (firewatch::sim::Scenario, Vec<Value>) {
    let s = generate(&ScenarioSpec { services: 9, ..ScenarioSpec::new(seed, fault) });
    let fw = Fw::new();
    let dir = tempfile::tempdir().unwrap();
    write_files(&s, dir.path()).unwrap();
    fw.ok(&["ingest", dir.path().join("telemetry").to_str().unwrap()]);
    let now = (s.spec.start + Duration::seconds(s.spec.duration_secs)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let out = fw.ok(&["incidents", "--json", "--now", &now]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    (s, v.as_array().unwrap().clone())
}

fn incident_of<'a>(incidents: &'a [Value], fingerprint: &str) -> Option<&'a Value> {
    incidents.iter().find(|i| i["alerts"].as_array().unwrap().iter().any(|a| a["fingerprint"] == fingerprint))
}

#[test]
fn incidents_follow_the_contract_and_name_the_root_cause() {
    for (seed, fault) in [(3, FaultKind::SlowDatabase), (5, FaultKind::BadDeploy), (6, FaultKind::CacheOutage)] {
        let (s, incidents) = incidents_for(seed, fault);
        let ctx = format!("{fault} seed {seed}");
        assert!(!incidents.is_empty(), "{ctx}");
        for inc in &incidents {
            for key in ["id", "title", "status", "started_at", "services", "regions", "alerts", "root_cause"] {
                assert!(inc.get(key).is_some(), "{ctx}: incident without {key}: {inc}");
            }
            assert!(
                inc["started_at"].as_str().unwrap().ends_with('Z'),
                "{ctx}: not RFC 3339 UTC: {}",
                inc["started_at"]
            );
            for a in inc["alerts"].as_array().unwrap() {
                for key in ["fingerprint", "alertname", "labels", "starts_at"] {
                    assert!(a.get(key).is_some(), "{ctx}: alert without {key}: {a}");
                }
                assert_eq!(a["fingerprint"].as_str().unwrap().len(), 16, "{ctx}");
            }
        }
        // The main incident: its alerts together, and its root named.
        let main = &s.truth.incidents[0];
        let home =
            incident_of(&incidents, &main.alert_fingerprints[0]).unwrap_or_else(|| panic!("{ctx}: main alert missing"));
        let together = main.alert_fingerprints.iter().filter(|fp| incident_of(&incidents, fp) == Some(home)).count();
        assert!(
            together * 10 >= main.alert_fingerprints.len() * 8,
            "{ctx}: only {together} of {} main alerts together",
            main.alert_fingerprints.len()
        );
        assert_eq!(home["root_cause"]["service"], main.root_service.as_str(), "{ctx}: {}", home["root_cause"]);
        assert!(home["root_cause"]["summary"].as_str().unwrap().len() > 20, "{ctx}");
        // The unrelated second incident stays apart.
        if let Some(second) = s.truth.incidents.get(1) {
            let other = incident_of(&incidents, &second.alert_fingerprints[0]).unwrap();
            assert_ne!(other["id"], home["id"], "{ctx}: unrelated incident merged into the main one");
        }
        // Flapping noise is not part of the main incident.
        for fp in &s.truth.flapping_fingerprints {
            assert_ne!(
                incident_of(&incidents, fp).map(|i| &i["id"]),
                Some(&home["id"]),
                "{ctx}: flapping alert merged"
            );
        }
    }
}

#[test]
fn no_alerts_means_no_incidents() {
    let fw = Fw::new();
    let out = fw.ok(&["incidents", "--json"]);
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), Value::Array(vec![]));
    assert!(fw.ok(&["incidents"]).contains("no incidents"));
}

/// An alert dated in year 9999 already in the store (from before ingest checked dates, or written by another
/// tool) used to anchor the default window on itself: every real incident vanished from `incidents`.
#[test]
fn an_alert_dated_9999_does_not_hide_real_incidents() {
    let s = generate(&ScenarioSpec { services: 9, ..ScenarioSpec::new(3, FaultKind::SlowDatabase) });
    let fw = Fw::new();
    let dir = tempfile::tempdir().unwrap();
    write_files(&s, dir.path()).unwrap();
    fw.ok(&["ingest", dir.path().join("telemetry").to_str().unwrap()]);
    let bogus = firewatch::model::Alert {
        fingerprint: "ffffffffffffffff".into(),
        alertname: "FromTheFuture".into(),
        status: firewatch::model::AlertStatus::Firing,
        starts_at: "9999-01-01T00:00:00Z".parse().unwrap(),
        ends_at: None,
        updated_at: None,
        labels: [("alertname".to_string(), "FromTheFuture".to_string())].into(),
        annotations: Default::default(),
        generator_url: None,
        service: Some("checkout".into()),
        region: None,
        instance: None,
    };
    firewatch::store::state::StateDb::open(&fw.data_dir()).unwrap().upsert_alerts(&[bogus]).unwrap();
    let main = &s.truth.incidents[0];
    let now = (s.spec.start + Duration::seconds(s.spec.duration_secs)).to_rfc3339_opts(SecondsFormat::Secs, true);
    // With --now at the end of the scenario, and with the wall clock (how a user types it).
    for args in [vec!["incidents", "--json", "--now", &now], vec!["incidents", "--json"]] {
        let out = fw.ok(&args);
        let incidents: Vec<Value> = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        assert!(
            incident_of(&incidents, &main.alert_fingerprints[0]).is_some(),
            "{args:?}: real incident hidden: {out}"
        );
        assert!(incident_of(&incidents, "ffffffffffffffff").is_none(), "{args:?}: the 9999 alert is an incident");
    }
    let text = fw.ok(&["incidents", "--now", &now]);
    assert!(!text.contains("no incidents") && !text.contains("FromTheFuture"), "{text}");
}
