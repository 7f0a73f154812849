//! Alertmanager alerts from `GET /api/v2/alerts` and from webhook payloads.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

mod common;

use common::Fw;
use firewatch::model::AlertStatus;
use firewatch::store::state::StateDb;

const API_V2: &str = r#"[
  {"annotations":{"summary":"checkout p99 above 2s"},"endsAt":"2099-11-20T15:20:00.000Z","fingerprint":"1b1f4a8c3b2e0d11",
   "receivers":[{"name":"oncall"}],"startsAt":"2026-11-20T15:02:00.000Z",
   "status":{"inhibitedBy":[],"silencedBy":[],"state":"active"},"updatedAt":"2026-11-20T15:02:30.000Z",
   "generatorURL":"http://prometheus:9090/graph?g0.expr=x","labels":{"alertname":"CheckoutLatencyHigh","service":"checkout","region":"us-east-1","severity":"page"}},
  {"annotations":{},"endsAt":"2099-11-20T15:20:00.000Z","fingerprint":"77aa00bb11cc22dd","receivers":[{"name":"oncall"}],
   "startsAt":"2026-11-20T15:01:00.000Z","status":{"inhibitedBy":[],"silencedBy":["9b3e"],"state":"suppressed"},
   "updatedAt":"2026-11-20T15:01:30.000Z","labels":{"alertname":"PaymentsErrorRate","job":"payments","instance":"10.0.3.4:9100"}}
]"#;

#[test]
fn api_array_then_webhook_resolution_updates_in_place() {
    let fw = Fw::new();
    let api = fw.write("alerts.json", API_V2.as_bytes());
    let report = fw.ingest_json(&[&api]);
    assert_eq!(report["files"][0]["format"], "alertmanager");
    assert_eq!(report["files"][0]["alerts"], 2);

    let resolved = r#"{"version":"4","groupKey":"{}:{alertname=\"CheckoutLatencyHigh\"}","status":"resolved","receiver":"firewatch",
      "alerts":[{"status":"resolved","labels":{"alertname":"CheckoutLatencyHigh","service":"checkout","region":"us-east-1","severity":"page"},
      "annotations":{"summary":"checkout p99 above 2s"},"startsAt":"2026-11-20T15:02:00.000Z","endsAt":"2026-11-20T15:20:00.000Z",
      "fingerprint":"1b1f4a8c3b2e0d11"}]}"#;
    // One webhook per line, as a receiver that appends payloads to a file writes them.
    let hooks = fw.write("hooks.jsonl", format!("{}\n", resolved.replace('\n', " ")).as_bytes());
    let report = fw.ingest_json(&[&hooks]);
    assert_eq!(report["files"][0]["alerts"], 1, "{report}");

    let state = StateDb::open(&fw.data_dir()).unwrap();
    let alerts = state.alerts().unwrap();
    assert_eq!(alerts.len(), 2, "resolution updates the same alert, it does not add one");
    let payments = alerts.iter().find(|a| a.alertname == "PaymentsErrorRate").unwrap();
    assert_eq!(payments.fingerprint, "77aa00bb11cc22dd");
    assert_eq!(payments.status, AlertStatus::Suppressed);
    assert_eq!(payments.service.as_deref(), Some("payments"), "job maps onto service");
    assert_eq!(payments.instance.as_deref(), Some("10.0.3.4:9100"));
    let checkout = alerts.iter().find(|a| a.alertname == "CheckoutLatencyHigh").unwrap();
    assert_eq!(checkout.status, AlertStatus::Resolved);
    assert_eq!(checkout.region.as_deref(), Some("us-east-1"));
    assert_eq!(checkout.ends_at.unwrap().to_rfc3339(), "2026-11-20T15:20:00+00:00");
}

/// Alerts dated outside the plausible window (year 9999, a day and more ahead of now, a month 13) are refused and
/// counted as bad, the good alerts of the same file are stored, and `incidents` shows the real one.
#[test]
fn alerts_dated_outside_the_window_are_bad_and_do_not_hide_incidents() {
    let fw = Fw::new();
    let now = chrono::Utc::now();
    let recent = (now - chrono::Duration::minutes(30)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let ahead = (now + chrono::Duration::days(3)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let alert = |name: &str, starts: &str| {
        format!(
            r#"{{"labels":{{"alertname":"{name}","service":"checkout"}},"annotations":{{}},"startsAt":"{starts}",
                "endsAt":"0001-01-01T00:00:00Z","status":{{"state":"active"}}}}"#
        )
    };
    let doc = format!(
        "[{}]",
        [
            alert("RealOne", &recent),
            alert("Year9999", "9999-01-01T00:00:00Z"),
            alert("ThreeDaysAhead", &ahead),
            alert("Month13", "2026-13-45T00:00:00Z"),
        ]
        .join(",")
    );
    let path = fw.write("alerts.json", doc.as_bytes());
    let report = fw.ingest_json(&[&path]);
    assert_eq!(report["files"][0]["alerts"], 1, "{report}");
    assert_eq!(report["files"][0]["bad"], 3, "{report}");
    let reasons = report["files"][0]["bad_records"].to_string();
    assert!(reasons.contains("9999") && reasons.contains("more than a day after"), "{reasons}");

    let state = StateDb::open(&fw.data_dir()).unwrap();
    let names: Vec<String> = state.alerts().unwrap().into_iter().map(|a| a.alertname).collect();
    assert_eq!(names, ["RealOne"]);
    let out = fw.ok(&["incidents", "--json"]);
    assert!(out.contains("RealOne"), "{out}");
}
