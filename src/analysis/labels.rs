//! Which alert labels carry the service and the region, learned from the data and shown to the user.
//!
//! Alert rules name the service under whatever label their author used: `service`, `app`, `job`, a pod or
//! deployment name, the namespace. The label chosen for an alert is the first of [`SERVICE_LABELS`] whose value
//! names a service the telemetry knows (spans, logs, metrics), so `job="payments-api"` beside
//! `namespace="payments"` maps to the service the traces call `payments-api`. Zones are read as their region.
//! The counts per label are kept so the user can see, and question, what was inferred.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::{region_label, service_label_in, Alert};

/// How the alerts' labels were read.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LabelMapping {
    /// Label -> alerts whose service it gave, and how many of those services the telemetry knows.
    pub service: BTreeMap<String, (usize, usize)>,
    /// Label -> alerts whose region it gave.
    pub region: BTreeMap<String, usize>,
    /// Alerts with no service label at all.
    pub without_service: usize,
}

impl LabelMapping {
    /// One line for people, e.g. `alert labels: service from job (12, 12 known), app (3, 3 known); region from
    /// zone (15, zone letter dropped)`.
    pub fn describe(&self) -> String {
        let service: Vec<String> =
            self.service.iter().map(|(k, (n, known))| format!("{k} ({n}, {known} known)")).collect();
        let region: Vec<String> = self
            .region
            .iter()
            .map(
                |(k, n)| {
                    if k.contains("zone") {
                        format!("{k} ({n}, zone letter dropped)")
                    } else {
                        format!("{k} ({n})")
                    }
                },
            )
            .collect();
        let mut out = format!(
            "alert labels: service from {}",
            if service.is_empty() { "none".to_string() } else { service.join(", ") }
        );
        out.push_str(&format!(
            "; region from {}",
            if region.is_empty() { "none".to_string() } else { region.join(", ") }
        ));
        if self.without_service > 0 {
            out.push_str(&format!("; {} without a service", self.without_service));
        }
        out
    }
}

/// Sets each alert's service and region from the labels that name what the telemetry knows, and says how.
pub fn learn(alerts: &mut [Alert], known: &BTreeSet<String>) -> LabelMapping {
    let mut m = LabelMapping::default();
    for a in alerts.iter_mut() {
        match service_label_in(&a.labels, Some(known)) {
            Some((label, svc)) => {
                let e = m.service.entry(label.to_string()).or_default();
                e.0 += 1;
                e.1 += usize::from(known.contains(&svc));
                a.service = Some(svc);
            }
            None => m.without_service += 1,
        }
        if let Some((label, region)) = region_label(&a.labels) {
            *m.region.entry(label.to_string()).or_default() += 1;
            a.region = Some(region);
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use crate::model::{region_of_zone, workload_name, AlertStatus};

    fn alert(labels: &[(&str, &str)]) -> Alert {
        let labels: BTreeMap<String, String> = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut a = Alert {
            fingerprint: "f".into(),
            alertname: String::new(),
            status: AlertStatus::Firing,
            starts_at: DateTime::from_timestamp(0, 0).unwrap(),
            ends_at: None,
            updated_at: None,
            labels,
            annotations: BTreeMap::new(),
            generator_url: None,
            service: None,
            region: None,
            instance: None,
        };
        a.lift_labels();
        a
    }

    #[test]
    fn kubernetes_style_labels_name_the_service_and_region_the_telemetry_knows() {
        let known: BTreeSet<String> = ["payments-api".to_string(), "ledger".to_string()].into();
        let mut alerts = vec![
            // The namespace holds several services; the job names the one in the traces.
            alert(&[("namespace", "payments"), ("job", "payments/payments-api"), ("zone", "eu-west-1b")]),
            alert(&[("app", "Ledger"), ("topology.kubernetes.io/region", "us-east-1")]),
            alert(&[("pod", "ledger-7d9f8b6c5-x2kqp"), ("namespace", "payments")]),
            alert(&[("namespace", "payments")]),
            alert(&[("alertname", "Watchdog")]),
        ];
        let m = learn(&mut alerts, &known);
        let services: Vec<Option<&str>> = alerts.iter().map(|a| a.service.as_deref()).collect();
        assert_eq!(services, [Some("payments-api"), Some("ledger"), Some("ledger"), Some("payments"), None]);
        assert_eq!(alerts[0].region.as_deref(), Some("eu-west-1"));
        assert_eq!(alerts[1].region.as_deref(), Some("us-east-1"));
        assert_eq!(m.service.get("job"), Some(&(1, 1)));
        assert_eq!(m.service.get("namespace"), Some(&(1, 0)));
        assert_eq!(m.without_service, 1);
        let line = m.describe();
        assert!(line.contains("job (1, 1 known)") && line.contains("zone (1, zone letter dropped)"), "{line}");
    }

    #[test]
    fn with_no_telemetry_the_most_specific_label_wins() {
        let a = alert(&[("namespace", "shop"), ("app", "cart"), ("job", "kubernetes-pods")]);
        assert_eq!(a.service.as_deref(), Some("cart"));
    }

    #[test]
    fn zones_and_pod_names_reduce_to_regions_and_workloads() {
        assert_eq!(region_of_zone("us-east-1a"), "us-east-1");
        assert_eq!(region_of_zone("europe-west1-b"), "europe-west1");
        assert_eq!(region_of_zone("eastus"), "eastus");
        assert_eq!(workload_name("checkout-7d9f8b6c5-x2kqp"), "checkout");
        assert_eq!(workload_name("postgres-0"), "postgres");
        assert_eq!(workload_name("order-service"), "order-service");
    }
}
