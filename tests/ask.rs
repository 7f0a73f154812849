//! `firewatch ask` on a simulated incident ingested through the real binary: the interpretation, the suspected
//! cause, the evidence every citation points to, and an honest "no cause found" for a quiet hour.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

mod common;

use chrono::{Duration, SecondsFormat};
use common::Fw;
use firewatch::copilot::cite;
use firewatch::sim::{generate, write_files, FaultKind, ScenarioSpec};
use serde_json::Value;

fn ask(fw: &Fw, now: &str, question: &str) -> Value {
    let mut c = fw.command();
    c.env("TZ", "UTC").args(["ask", "--offline", "--json", "--now", now]).args(question.split(' '));
    let out = c.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn ask_names_the_cause_with_cited_evidence_and_says_when_nothing_explains() {
    let s = generate(&ScenarioSpec { services: 10, ..ScenarioSpec::new(12, FaultKind::CacheOutage) });
    let fw = Fw::new();
    let dir = tempfile::tempdir().unwrap();
    write_files(&s, dir.path()).unwrap();
    fw.ok(&["ingest", dir.path().join("telemetry").to_str().unwrap()]);
    let now = (s.spec.start + Duration::seconds(s.spec.duration_secs)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let truth = &s.truth.incidents[0];
    // A service that felt it: a caller of the root with an alert of its own.
    let symptom = s
        .alerts
        .iter()
        .filter(|a| truth.alert_fingerprints.contains(&a.fingerprint))
        .filter_map(|a| a.service.clone())
        .find(|svc| *svc != truth.root_service)
        .expect("a symptom alert");
    let at = (truth.onset + Duration::minutes(6)).format("%H:%M").to_string();
    let v = ask(&fw, &now, &format!("why did {symptom} have errors at {at}"));

    for key in ["question", "interpretation", "root_cause", "candidates", "evidence", "answer", "runbooks"] {
        assert!(v.get(key).is_some(), "no {key}: {v}");
    }
    assert_eq!(v["interpretation"]["services"], serde_json::json!([symptom]));
    assert_eq!(v["interpretation"]["symptom"], "errors");
    let start = v["interpretation"]["window"]["start"].as_str().unwrap();
    assert!(
        start < truth.onset.to_rfc3339().as_str() || start.starts_with(&truth.onset.format("%Y-%m-%dT%H").to_string()),
        "{start}"
    );
    assert_eq!(v["root_cause"]["service"], truth.root_service.as_str(), "{}", v["answer"]);
    let confidence = v["root_cause"]["confidence"].as_f64().unwrap();
    assert!(confidence > 0.3 && confidence <= 0.95, "{confidence}");
    assert_eq!(v["candidates"][0]["service"], truth.root_service.as_str());
    // Every citation is in the evidence, and the answer cites some.
    let evidence = v["evidence"].as_array().unwrap();
    let ids: Vec<&str> = evidence.iter().map(|e| e["id"].as_str().unwrap()).collect();
    let report = cite::check(v["answer"].as_str().unwrap(), &ids);
    assert!(report.grounded && report.unknown.is_empty(), "{report:?}");
    for e in evidence {
        for key in ["id", "kind", "timestamp", "service", "text"] {
            assert!(e.get(key).is_some(), "evidence without {key}: {e}");
        }
    }
    assert!(evidence.iter().any(|e| e["kind"] == "metric" && e["service"] == truth.root_service.as_str()));
    assert!(v["answer"].as_str().unwrap().contains(&symptom), "the chain to the symptom is missing: {}", v["answer"]);

    // Runbooks from the library that fit the incident, best first, with why.
    let runbooks = v["runbooks"].as_array().unwrap();
    assert_eq!(runbooks[0]["id"], "flush-cache", "{}", v["runbooks"]);
    assert!(runbooks[0]["reason"].as_str().unwrap().contains("RedisDown"));

    // Fifteen minutes into the data nothing had happened yet on that service.
    let quiet = (s.spec.start + Duration::minutes(15)).format("%H:%M").to_string();
    let v = ask(&fw, &now, &format!("why was {symptom} slow at {quiet}"));
    assert!(v["root_cause"].is_null(), "{v}");
    assert!(v["answer"].as_str().unwrap().starts_with("No cause found"), "{}", v["answer"]);
}
