//! Alert-to-incident correlation.
//!
//! Alerts are taken in start order. An alert joins:
//! 1. the incident that already holds its fingerprint, when it re-fires within `reopen` of that incident going quiet
//!    (a flapping alert is one incident, not twenty);
//! 2. else the best related incident that is still live (firing, or quiet for less than `grace`): one of its own
//!    services; or, when its newest distinct alert started within `spread` of this one, services where one calls
//!    the other in the learned call graph, or (with no call graph for either service) the same region and alert
//!    family within `label_window`;
//! 3. else it opens a new incident.
//!
//! Re-firings of a fingerprint do not refresh an incident's `spread` anchor, so a flapping alert cannot hold its
//! incident open to swallow an unrelated outage an hour later.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};

use super::topology::Topology;
use crate::model::{Alert, AlertStatus};

#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationConfig {
    pub reopen: Duration,
    pub grace: Duration,
    pub spread: Duration,
    pub label_window: Duration,
}

impl Default for CorrelationConfig {
    fn default() -> Self {
        CorrelationConfig {
            reopen: Duration::minutes(30),
            grace: Duration::minutes(5),
            spread: Duration::minutes(15),
            label_window: Duration::minutes(5),
        }
    }
}

/// A group of alerts; `alerts` index the slice given to [`correlate`], in start order.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertGroup {
    pub alerts: Vec<usize>,
    pub fingerprints: BTreeSet<String>,
    pub services: BTreeSet<String>,
    pub regions: BTreeSet<String>,
    pub started_at: DateTime<Utc>,
    /// When the last alert resolved; `None` while any is firing.
    pub quiet_since: Option<DateTime<Utc>>,
    /// Start of the newest alert that was not a re-firing.
    anchor: DateTime<Utc>,
    /// Starts of the alerts that were not re-firings, in order.
    firsts: Vec<DateTime<Utc>>,
}

/// When an alert stopped firing, as of `now`; `None` if it still fires.
pub fn alert_end(a: &Alert, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match a.status {
        AlertStatus::Resolved => Some(a.ends_at.or(a.updated_at).unwrap_or(a.starts_at)),
        // Alertmanager's endsAt on a firing alert is a lease: past it, the alert resolved.
        _ => a.ends_at.filter(|e| *e <= now),
    }
}

/// The family of an alert name: its words without the severity-ish suffix (`HighLatencyCritical` and
/// `HighLatencyWarning` are one family).
fn family(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    ["critical", "warning", "page", "ticket", "info"]
        .iter()
        .find_map(|s| lower.strip_suffix(s).map(str::to_string))
        .unwrap_or(lower)
}

fn service_of(a: &Alert) -> Option<String> {
    a.service.as_deref().or_else(|| a.labels.get("service").map(String::as_str)).map(str::to_ascii_lowercase)
}

fn region_of(a: &Alert) -> Option<String> {
    a.region.as_deref().or_else(|| a.labels.get("region").map(String::as_str)).map(str::to_ascii_lowercase)
}

impl AlertGroup {
    /// A group with no alerts, for ranking the causes of a symptom someone asked about.
    pub fn asked(
        services: impl IntoIterator<Item = String>,
        regions: impl IntoIterator<Item = String>,
        at: DateTime<Utc>,
    ) -> Self {
        AlertGroup {
            alerts: Vec::new(),
            fingerprints: BTreeSet::new(),
            services: services.into_iter().collect(),
            regions: regions.into_iter().collect(),
            started_at: at,
            quiet_since: None,
            anchor: at,
            firsts: Vec::new(),
        }
    }

    /// When the incident surged: the first start in the `window` that holds the most of its distinct alerts (the
    /// earliest such window on ties). An incident can take in a lone alert that fired a while before the rest,
    /// such as one of a service with errors all day; the cause is sought around the surge, not around that one.
    /// The start itself for an asked group or a lone alert.
    pub fn surge(&self, window: Duration) -> DateTime<Utc> {
        let mut best = (0, self.started_at);
        for (i, &t) in self.firsts.iter().enumerate() {
            let n = self.firsts[i..].iter().take_while(|&&u| u - t <= window).count();
            if n > best.0 {
                best = (n, t);
            }
        }
        best.1
    }

    fn live_at(&self, t: DateTime<Utc>, grace: Duration) -> bool {
        self.quiet_since.is_none_or(|q| t <= q + grace)
    }

    /// How strongly `a` belongs here: 0 not at all, higher is closer.
    fn affinity(&self, a: &Alert, alerts: &[Alert], topo: &Topology, cfg: &CorrelationConfig) -> u32 {
        let svc = service_of(a);
        let region = region_of(a);
        let same_region = region.as_ref().is_some_and(|r| self.regions.contains(r));
        let region_bonus = u32::from(same_region);
        if let Some(s) = &svc {
            if self.services.contains(s) {
                return 4 + region_bonus;
            }
            let known = topo.services.contains(s);
            if known && self.services.iter().any(|o| topo.related(s, o)) {
                return 2 + region_bonus;
            }
            if known && self.services.iter().all(|o| topo.services.contains(o)) {
                // Both sides are in the call graph and nothing connects them.
                return 0;
            }
        }
        // Labels only: an alert storm in one region within a few minutes.
        let recent = self.alerts.iter().any(|&i| (a.starts_at - alerts[i].starts_at).abs() <= cfg.label_window);
        let fam = family(&a.alertname);
        let same_family = self.alerts.iter().any(|&i| family(&alerts[i].alertname) == fam);
        u32::from(same_region && recent && same_family)
    }

    fn add(&mut self, i: usize, a: &Alert, now: DateTime<Utc>, refire: bool) {
        self.alerts.push(i);
        self.fingerprints.insert(a.fingerprint.clone());
        self.services.extend(service_of(a));
        self.regions.extend(region_of(a));
        if !refire {
            self.anchor = self.anchor.max(a.starts_at);
            self.firsts.push(a.starts_at);
        }
        self.quiet_since = match (self.quiet_since, alert_end(a, now)) {
            (Some(q), Some(e)) => Some(q.max(e)),
            _ => None,
        };
    }
}

/// Groups alerts into incidents; see the module docs for the rules.
pub fn correlate(alerts: &[Alert], topo: &Topology, now: DateTime<Utc>, cfg: &CorrelationConfig) -> Vec<AlertGroup> {
    let mut order: Vec<usize> = (0..alerts.len()).collect();
    order.sort_by(|&x, &y| {
        alerts[x].starts_at.cmp(&alerts[y].starts_at).then(alerts[x].fingerprint.cmp(&alerts[y].fingerprint))
    });
    // The same episode twice (re-ingested, or seen by two sources) counts once.
    order.dedup_by(|x, y| {
        alerts[*x].fingerprint == alerts[*y].fingerprint && alerts[*x].starts_at == alerts[*y].starts_at
    });
    let mut groups: Vec<AlertGroup> = Vec::new();
    for i in order {
        let a = &alerts[i];
        let reopened = groups.iter().rposition(|g| {
            g.fingerprints.contains(&a.fingerprint) && g.quiet_since.is_none_or(|q| a.starts_at <= q + cfg.reopen)
        });
        if let Some(g) = reopened {
            groups[g].add(i, a, now, true);
            continue;
        }
        let best = groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.live_at(a.starts_at, cfg.grace))
            .map(|(k, g)| {
                // A live incident of several alerts keeps taking alerts of its own services (a lone re-firing
                // alert does not); relations need the spread.
                let score = g.affinity(a, alerts, topo, cfg);
                let fresh = a.starts_at - g.anchor <= cfg.spread;
                let own = score >= 4 && g.fingerprints.len() > 1;
                (if fresh || own { score } else { 0 }, k)
            })
            .filter(|(score, _)| *score > 0)
            .max();
        match best {
            Some((_, g)) => groups[g].add(i, a, now, false),
            None => {
                let mut g = AlertGroup {
                    alerts: Vec::new(),
                    fingerprints: BTreeSet::new(),
                    services: BTreeSet::new(),
                    regions: BTreeSet::new(),
                    started_at: a.starts_at,
                    quiet_since: Some(a.starts_at),
                    anchor: a.starts_at,
                    firsts: Vec::new(),
                };
                g.add(i, a, now, false);
                g.quiet_since = alert_end(a, now);
                groups.push(g);
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::TimeZone;

    use super::*;
    use crate::model::alertmanager_fingerprint;

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap() + Duration::minutes(min)
    }

    fn alert(name: &str, svc: &str, region: &str, start: i64, end: Option<i64>) -> Alert {
        let labels: BTreeMap<String, String> = [("alertname", name), ("service", svc), ("region", region)]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Alert {
            fingerprint: alertmanager_fingerprint(&labels),
            alertname: name.into(),
            status: if end.is_some() { AlertStatus::Resolved } else { AlertStatus::Firing },
            starts_at: t(start),
            ends_at: end.map(t),
            updated_at: None,
            labels,
            annotations: BTreeMap::new(),
            generator_url: None,
            service: Some(svc.into()),
            region: Some(region.into()),
            instance: None,
        }
    }

    fn topo() -> Topology {
        let mut t = Topology::default();
        for (a, b) in [("frontend", "checkout"), ("checkout", "postgres"), ("frontend", "search"), ("search", "redis")]
        {
            t.add_edge(a, b);
        }
        t
    }

    fn groups_of(alerts: &[Alert]) -> Vec<Vec<&str>> {
        correlate(alerts, &topo(), t(600), &CorrelationConfig::default())
            .iter()
            .map(|g| g.alerts.iter().map(|&i| alerts[i].alertname.as_str()).collect())
            .collect()
    }

    #[test]
    fn a_cascade_along_the_call_graph_is_one_incident() {
        let alerts = vec![
            alert("PostgresQueryLatencyHigh", "postgres", "us-east-1", 60, None),
            alert("HighLatency", "checkout", "us-east-1", 63, None),
            alert("SLOErrorBudgetBurn", "frontend", "us-east-1", 66, None),
        ];
        assert_eq!(groups_of(&alerts), vec![vec!["PostgresQueryLatencyHigh", "HighLatency", "SLOErrorBudgetBurn"]]);
    }

    #[test]
    fn the_cause_is_sought_where_the_alerts_surge_not_at_a_lone_early_one() {
        // An alert of a service that errs all day fires 14 minutes before the outage; the outage's alerts on a
        // service that calls it join the same incident, which must be searched around 14:74, not 14:60.
        let alerts = vec![
            alert("HighErrorRate", "search", "us-east-1", 60, None),
            alert("HighLatency", "frontend", "us-east-1", 74, None),
            alert("SLOErrorBudgetBurn", "frontend", "us-east-1", 75, None),
            alert("SyntheticCheckFailed", "frontend", "us-east-1", 77, None),
        ];
        let groups = correlate(&alerts, &topo(), t(600), &CorrelationConfig::default());
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].started_at, t(60));
        assert_eq!(groups[0].surge(Duration::minutes(10)), t(74));
        // A lone alert, and an even spread, surge at the start.
        assert_eq!(groups_of(&alerts[..1]).len(), 1);
        let spread = correlate(&alerts[..2], &topo(), t(600), &CorrelationConfig::default());
        assert_eq!(spread[0].surge(Duration::minutes(10)), t(60));
    }

    #[test]
    fn unrelated_services_and_far_times_stay_apart() {
        let alerts = vec![
            alert("PostgresQueryLatencyHigh", "postgres", "us-east-1", 60, None),
            // Redis is not connected to postgres by any call path.
            alert("RedisDown", "redis", "us-east-1", 62, None),
            // Checkout calls postgres, but two hours later the postgres incident resolved long ago.
            alert("HighErrorRate", "checkout", "eu-west-1", 300, None),
        ];
        let mut first = alerts.clone();
        first[0] = alert("PostgresQueryLatencyHigh", "postgres", "us-east-1", 60, Some(90));
        assert_eq!(groups_of(&first).len(), 3);
    }

    #[test]
    fn flapping_alert_is_one_incident_and_does_not_swallow_later_ones() {
        let mut alerts = Vec::new();
        for k in 0..6 {
            alerts.push(alert("KafkaConsumerLagHigh", "checkout", "us-east-1", 10 + k * 15, Some(14 + k * 15)));
        }
        // Fires while a flap is firing, on a related service, long after the flap's first episode.
        alerts.push(alert("PostgresQueryLatencyHigh", "postgres", "us-east-1", 86, None));
        let g = groups_of(&alerts);
        assert_eq!(g.len(), 2, "{g:?}");
        assert_eq!(g[0].len(), 6);
        assert_eq!(g[1], vec!["PostgresQueryLatencyHigh"]);
    }

    #[test]
    fn a_live_incident_takes_late_alerts_of_its_own_services() {
        let alerts = vec![
            alert("ContainerMemoryNearLimit", "checkout", "us-east-1", 60, None),
            alert("PodOOMKilled", "checkout", "us-east-1", 64, None),
            // Half an hour later the leak has become a crash loop: still the same incident.
            alert("KubePodCrashLooping", "checkout", "us-east-1", 95, None),
            // A related service, twenty minutes after anything new happened there, is news, not part of it.
            alert("HighLatency", "postgres", "us-east-1", 116, None),
        ];
        assert_eq!(groups_of(&alerts).iter().map(Vec::len).collect::<Vec<_>>(), vec![3, 1]);
    }

    #[test]
    fn the_same_episode_twice_counts_once_and_resolution_closes() {
        let a = alert("RedisDown", "redis", "us-east-1", 60, Some(70));
        let groups = correlate(&[a.clone(), a], &topo(), t(600), &CorrelationConfig::default());
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].alerts.len(), 1);
        assert_eq!(groups[0].quiet_since, Some(t(70)));
    }

    #[test]
    fn without_a_call_graph_labels_group_an_alert_storm() {
        let alerts = vec![
            alert("HighLatencyWarning", "api", "us-east-1", 60, None),
            alert("HighLatencyCritical", "web", "us-east-1", 62, None),
            alert("HighLatencyCritical", "billing", "eu-west-1", 62, None),
        ];
        let groups = correlate(&alerts, &Topology::default(), t(600), &CorrelationConfig::default());
        assert_eq!(groups.iter().map(|g| g.alerts.len()).collect::<Vec<_>>(), vec![2, 1]);
    }
}
