//! Alertmanager alerts: the objects of `GET /api/v2/alerts` and webhook payloads.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::timestamp;
use crate::model::{alertmanager_fingerprint, Alert, AlertStatus};

/// A webhook notification (`{"version":"4","alerts":[...],...}`).
pub fn is_webhook(v: &Value) -> bool {
    v.get("alerts").is_some_and(Value::is_array) && (v.get("receiver").is_some() || v.get("groupKey").is_some())
}

/// One alert object (API v2 or webhook element).
pub fn is_alert(v: &Value) -> bool {
    v.get("labels").is_some_and(Value::is_object) && (v.get("startsAt").is_some() || v.get("fingerprint").is_some())
}

fn string_map(v: Option<&Value>, what: &str) -> Result<BTreeMap<String, String>, String> {
    match v {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Err(format!("{what}.{k} is {other}, expected a string")),
            })
            .collect(),
        Some(other) => Err(format!("{what} is {other}, expected an object")),
    }
}

fn time(v: Option<&Value>, what: &str) -> Result<Option<DateTime<Utc>>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let t = DateTime::parse_from_rfc3339(s).map_err(|e| format!("{what} '{s}': {e}"))?.with_timezone(&Utc);
            // Go's zero time means "not set".
            Ok((t.timestamp() > 0).then_some(t))
        }
        Some(other) => Err(format!("{what} is {other}, expected an RFC 3339 string")),
    }
}

/// An alert's start (or update) must lie in the plausible window: these times decide which
/// incidents exist and which are shown, so an alert dated in year 9999 is refused (and
/// counted as bad) rather than stored.
fn in_window(t: Option<DateTime<Utc>>, what: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, String> {
    match t.and_then(|t| timestamp::implausible_reason(t, now)) {
        Some(why) => Err(format!("{what} {why}")),
        None => Ok(t),
    }
}

/// The latest `endsAt` kept. Alertmanager sets `endsAt` ahead of now (the resolve timeout),
/// and clients put it years ahead, so only a time the store cannot hold (nanoseconds since
/// 1970 in an i64, up to 2262) is dropped; the alert then has no known end, which is what
/// such a value means.
fn representable_end(t: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    t.filter(|t| t.timestamp_nanos_opt().is_some())
}

/// Parses one alert. `now` decides whether an alert whose `endsAt` has passed is resolved.
pub fn parse_alert(v: &Value, now: DateTime<Utc>) -> Result<Alert, String> {
    let labels = string_map(v.get("labels"), "labels")?;
    if labels.is_empty() {
        return Err("alert has no labels".into());
    }
    let annotations = string_map(v.get("annotations"), "annotations")?;
    let starts_at = in_window(time(v.get("startsAt"), "startsAt")?, "startsAt", now)?.ok_or("alert has no startsAt")?;
    let ends_at = representable_end(time(v.get("endsAt"), "endsAt")?);
    let updated_at = in_window(time(v.get("updatedAt"), "updatedAt")?, "updatedAt", now)?;
    // Webhook: "status": "firing" | "resolved". API v2: "status": {"state": "active" | "suppressed" | "unprocessed"}.
    let status = match v.get("status") {
        Some(Value::String(s)) if s == "resolved" => AlertStatus::Resolved,
        Some(Value::Object(st)) if st.get("state").and_then(Value::as_str) == Some("suppressed") => {
            AlertStatus::Suppressed
        }
        _ if ends_at.is_some_and(|e| e <= now) => AlertStatus::Resolved,
        _ => AlertStatus::Firing,
    };
    let fingerprint = v
        .get("fingerprint")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map_or_else(|| alertmanager_fingerprint(&labels), str::to_string);
    let mut alert = Alert {
        fingerprint,
        alertname: String::new(),
        status,
        starts_at,
        ends_at,
        updated_at,
        labels,
        annotations,
        generator_url: v.get("generatorURL").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string),
        service: None,
        region: None,
        instance: None,
    };
    alert.lift_labels();
    Ok(alert)
}

/// The alerts in a document: an API v2 array, a webhook payload, or a single alert.
/// `None` when the document is none of these.
pub fn parse_document(v: &Value, now: DateTime<Utc>) -> Option<Vec<Result<Alert, String>>> {
    let items: &[Value] = match v {
        Value::Array(a) if !a.is_empty() && a.iter().all(is_alert) => a,
        Value::Object(_) if is_webhook(v) => v.get("alerts").and_then(Value::as_array)?,
        Value::Object(_) if is_alert(v) => std::slice::from_ref(v),
        _ => return None,
    };
    Some(items.iter().map(|a| parse_alert(a, now)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_v2_and_webhook() {
        let now = Utc::now();
        let api = serde_json::json!([{
            "annotations": {"summary": "p99 over 2s"},
            "endsAt": "2099-01-01T00:00:00Z",
            "fingerprint": "5b3c3a1c8a2d5f10",
            "receivers": [{"name": "oncall"}],
            "startsAt": "2026-11-20T15:02:00Z",
            "status": {"inhibitedBy": [], "silencedBy": ["x"], "state": "suppressed"},
            "updatedAt": "2026-11-20T15:02:30Z",
            "labels": {"alertname": "HighLatency", "service": "Checkout", "region": "us-east-1", "instance": "10.0.0.5:9100"}
        }]);
        let alerts = parse_document(&api, now).unwrap();
        let a = alerts[0].as_ref().unwrap();
        assert_eq!(a.fingerprint, "5b3c3a1c8a2d5f10");
        assert_eq!(a.status, AlertStatus::Suppressed);
        assert_eq!(
            (a.alertname.as_str(), a.service.as_deref(), a.region.as_deref()),
            ("HighLatency", Some("checkout"), Some("us-east-1"))
        );

        let hook = serde_json::json!({
            "version": "4", "groupKey": "{}:{}", "status": "resolved", "receiver": "fw",
            "alerts": [
                {"status": "resolved", "labels": {"alertname": "DiskFull", "job": "node"}, "annotations": {},
                 "startsAt": "2026-11-20T15:00:00Z", "endsAt": "2026-11-20T15:10:00Z", "generatorURL": "http://prom/graph"},
                {"status": "firing", "labels": {"alertname": "X"}, "startsAt": 12}
            ]
        });
        let alerts = parse_document(&hook, now).unwrap();
        let a = alerts[0].as_ref().unwrap();
        assert_eq!(a.status, AlertStatus::Resolved);
        assert_eq!(a.service.as_deref(), Some("node"));
        assert_eq!(a.fingerprint.len(), 16);
        assert!(alerts[1].as_ref().unwrap_err().contains("startsAt"));
        assert!(parse_document(&serde_json::json!({"msg": "hello"}), now).is_none());
    }

    #[test]
    fn an_alert_dated_outside_the_window_is_refused() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z").unwrap().with_timezone(&Utc);
        let alert = |starts: &str, ends: &str| serde_json::json!({"labels": {"alertname": "X"}, "startsAt": starts, "endsAt": ends});
        for starts in ["9999-01-01T00:00:00Z", "2026-11-25T00:00:00Z"] {
            let e = parse_alert(&alert(starts, "0001-01-01T00:00:00Z"), now).unwrap_err();
            assert!(e.starts_with("startsAt ") && e.contains(&starts[..4]), "{e}");
        }
        assert!(parse_alert(&alert("2026-13-45T00:00:00Z", "0001-01-01T00:00:00Z"), now).is_err());
        assert!(parse_alert(&alert("1969-07-20T20:17:00Z", "0001-01-01T00:00:00Z"), now).is_err());
        // Year 1 is Go's zero time: no startsAt at all.
        assert!(parse_alert(&alert("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"), now)
            .unwrap_err()
            .contains("no startsAt"));
        // An end far ahead means "no end known", not a stored year 2262.
        let a = parse_alert(&alert("2026-11-23T11:00:00Z", "9999-01-01T00:00:00Z"), now).unwrap();
        assert_eq!((a.ends_at, a.status), (None, AlertStatus::Firing));
        let a = parse_alert(&alert("2026-11-23T11:00:00Z", "2099-01-01T00:00:00Z"), now).unwrap();
        assert_eq!(a.ends_at.map(|e| e.timestamp()), Some(4_070_908_800));
    }
}
