//! One regression test per user report of issue 12, each on the simulator's version of it:
//! telemetry in a style firewatch was not tuned on (`sim::Variety`), ingested through the
//! real binary, and the question the user asked through `firewatch ask --offline --json`
//! (or `incidents --json` for alert grouping). Each asserts what the user would see: the
//! suspected cause, or "no cause".

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use common::Fw;
use firewatch::sim::{
    generate, write_files, AlertLabels, FaultKind, HttpConvention, MetricStyle, RegionLabel, Scenario, ScenarioSpec,
    Tier, Variety,
};
use serde_json::Value;

/// A scenario ingested into a fresh data dir.
struct Case {
    s: Scenario,
    fw: Fw,
}

impl Case {
    fn new(seed: u64, fault: FaultKind, variety: Variety) -> Self {
        let s = generate(&ScenarioSpec { services: 10, variety, ..ScenarioSpec::new(seed, fault) });
        let fw = Fw::new();
        let dir = tempfile::tempdir().unwrap();
        write_files(&s, dir.path()).unwrap();
        fw.ok(&["ingest", dir.path().join("telemetry").to_str().unwrap()]);
        Case { s, fw }
    }

    fn end(&self) -> DateTime<Utc> {
        self.s.spec.start + Duration::seconds(self.s.spec.duration_secs)
    }

    fn onset(&self) -> DateTime<Utc> {
        self.s.truth.incidents[0].onset
    }

    fn root(&self) -> &str {
        &self.s.truth.incidents[0].root_service
    }

    /// `HH:MM` this long after the main onset.
    fn at(&self, minutes: i64) -> String {
        (self.onset() + Duration::minutes(minutes)).format("%H:%M").to_string()
    }

    /// The answer to `question` asked at `now`.
    fn ask(&self, now: DateTime<Utc>, question: &str) -> Value {
        let mut c = self.fw.command();
        let now = now.to_rfc3339_opts(SecondsFormat::Secs, true);
        c.env("TZ", "UTC").args(["ask", "--offline", "--json", "--now", &now]).arg(question);
        let out = c.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// A caller of the root that has an alert of the main incident (what a user asks about).
    fn symptom(&self) -> String {
        let truth = &self.s.truth.incidents[0];
        let callers = self.s.ancestors(&truth.root_service);
        self.s
            .alerts
            .iter()
            .filter(|a| truth.alert_fingerprints.contains(&a.fingerprint))
            .filter_map(|a| a.service.clone())
            .find(|svc| callers.contains(svc))
            .unwrap_or_else(|| self.entry().to_string())
    }

    fn entry(&self) -> &str {
        self.s.services.iter().find(|x| x.tier == Tier::Entry).map(|x| x.name.as_str()).unwrap()
    }

    fn context(&self) -> String {
        let t = &self.s.truth;
        format!(
            "{} seed {} root {}{} onset {} chronic {:?} deploy {:?} variety {}",
            t.fault,
            self.s.spec.seed,
            t.root_service,
            t.root_region.as_ref().map(|r| format!(" in {r}")).unwrap_or_default(),
            t.onset.format("%H:%M"),
            t.chronic_error_service,
            t.unrelated_deploy,
            self.s.spec.variety.describe()
        )
    }
}

/// The suspected cause named, if any.
fn cause(v: &Value) -> Option<&str> {
    v["root_cause"]["service"].as_str()
}

/// Asserts the answer names `want`, with what was said when it does not.
fn assert_names(case: &Case, question: &str, v: &Value, want: &str) {
    assert_eq!(
        cause(v),
        Some(want),
        "{}\nQ: {question}\nA: {}\ncandidates: {}",
        case.context(),
        v["answer"],
        v["candidates"]
    );
}

fn assert_no_cause(case: &Case, question: &str, v: &Value) {
    assert_eq!(cause(v), None, "{}\nQ: {question}\nA: {}", case.context(), v["answer"]);
}

#[test]
fn cache_outage_whose_metrics_stop_names_the_cache() {
    let v = Variety { silent_root: true, metrics: MetricStyle::Prometheus, ..Variety::default() };
    let case = Case::new(31, FaultKind::CacheOutage, v);
    let q = format!("why did {} have errors at {}", case.symptom(), case.at(6));
    assert_names(&case, &q, &case.ask(case.end(), &q), case.root());
}

#[test]
fn memory_leak_with_oom_kills_names_the_leaking_service_not_its_caller() {
    let v = Variety { kube_events: true, metrics: MetricStyle::Prometheus, silent_root: true, ..Variety::default() };
    let case = Case::new(32, FaultKind::MemoryLeak, v);
    // The first OOM kill comes a leak cycle after the onset; callers see 503s around it.
    let q = format!("why is {} returning 503s at {}", case.symptom(), case.at(16));
    assert_names(&case, &q, &case.ask(case.end(), &q), case.root());
}

#[test]
fn expired_certificate_names_the_callee_whose_traffic_vanished() {
    let v = Variety {
        silent_root: true,
        metrics: MetricStyle::PreAggregated,
        http: HttpConvention::Legacy,
        ..Variety::default()
    };
    let case = Case::new(33, FaultKind::ExpiredCertificate, v);
    let q = format!("why did {} have errors at {}", case.symptom(), case.at(6));
    assert_names(&case, &q, &case.ask(case.end(), &q), case.root());
}

#[test]
fn packet_loss_in_one_region_names_the_service_there() {
    let v = Variety { silent_root: true, metrics: MetricStyle::ExponentialHistogram, ..Variety::default() };
    let case = Case::new(34, FaultKind::RegionalNetwork, v);
    let region = case.s.truth.root_region.clone().expect("a regional fault has a region");
    let q = format!("why is {} slow in {region} around {}", case.entry(), case.at(5));
    assert_names(&case, &q, &case.ask(case.end(), &q), case.root());
}

#[test]
fn is_the_edge_slow_names_the_bad_deploy_behind_it() {
    let v = Variety { metrics: MetricStyle::PreAggregated, ..Variety::default() };
    let case = Case::new(35, FaultKind::BadDeploy, v);
    let q = format!("is {} slow? p99 is way up in the last 30 minutes", case.entry());
    assert_names(&case, &q, &case.ask(case.onset() + Duration::minutes(20), &q), case.root());
}

#[test]
fn quiet_window_gets_no_cause() {
    let v = Variety { metrics: MetricStyle::DeltaSums, uninstrumented: true, ..Variety::default() };
    let case = Case::new(36, FaultKind::PoolExhaustion, v);
    let first = case.s.truth.incidents.iter().map(|i| i.onset).min().unwrap();
    let (from, to) = (case.s.spec.start + Duration::minutes(5), first - Duration::minutes(8));
    assert!(to - from >= Duration::minutes(10), "{}: no quiet window", case.context());
    let q = format!("why was {} slow between {} and {}", case.symptom(), from.format("%H:%M"), to.format("%H:%M"));
    assert_no_cause(&case, &q, &case.ask(case.end(), &q));
}

#[test]
fn quiet_region_gets_no_cause() {
    let v = Variety { silent_root: true, ..Variety::default() };
    let case = Case::new(37, FaultKind::RegionalNetwork, v);
    let region = case.s.truth.root_region.clone().expect("a regional fault has a region");
    let entry = case.s.service(case.entry()).unwrap();
    let other = entry.regions.iter().find(|r| **r != region).expect("the edge runs in two regions or more");
    let q = format!("why is {} slow in {other} around {}", case.entry(), case.at(6));
    assert_no_cause(&case, &q, &case.ask(case.end(), &q));
}

#[test]
fn service_with_steady_errors_all_day_is_not_blamed() {
    let v = Variety { metrics: MetricStyle::Summary, silent_root: true, ..Variety::default() };
    let case = Case::new(38, FaultKind::PoolExhaustion, v);
    let chronic = case.s.truth.chronic_error_service.clone().expect("a steady-error service");
    let q = format!("what broke at {}", case.at(8));
    let a = case.ask(case.end(), &q);
    assert_ne!(cause(&a), Some(chronic.as_str()), "{}\nA: {}", case.context(), a["answer"]);
    assert_names(&case, &q, &a, case.root());
}

#[test]
fn unrelated_deploy_before_the_onset_is_not_blamed() {
    let v = Variety { metrics: MetricStyle::Prometheus, ..Variety::default() };
    let case = Case::new(39, FaultKind::SlowDatabase, v);
    let (deployed, _) = case.s.truth.unrelated_deploy.clone().expect("an unrelated deploy");
    let q = format!("why did {} have errors at {}", case.symptom(), case.at(6));
    let a = case.ask(case.end(), &q);
    assert_ne!(cause(&a), Some(deployed.as_str()), "{}\nA: {}", case.context(), a["answer"]);
    assert_names(&case, &q, &a, case.root());
}

#[test]
fn rough_time_phrase_reaches_back_to_the_onset() {
    let v = Variety { http: HttpConvention::Legacy, ..Variety::default() };
    let case = Case::new(40, FaultKind::BadDeploy, v);
    // People underestimate: "about 10 minutes" when it began 25 minutes ago.
    let q = format!("{} has been failing for about 10 minutes", case.symptom());
    let a = case.ask(case.onset() + Duration::minutes(25), &q);
    let start = a["interpretation"]["window"]["start"].as_str().unwrap_or_default().to_string();
    let start: DateTime<Utc> = start.parse().unwrap_or_else(|e| panic!("{e}: {}", a["interpretation"]));
    assert!(
        start <= case.onset(),
        "{}: window starts {start}, after the onset; named {:?}\nA: {}",
        case.context(),
        cause(&a),
        a["answer"]
    );
    assert_names(&case, &q, &a, case.root());
}

#[test]
fn kubernetes_style_alert_labels_group_and_map_to_the_right_service() {
    let v = Variety {
        alert_labels: AlertLabels::Kubernetes,
        region_label: RegionLabel::Topology,
        kube_events: true,
        ..Variety::default()
    };
    let case = Case::new(41, FaultKind::SlowDatabase, v);
    assert!(case.s.alerts.iter().all(|a| !a.labels.contains_key("service")), "{}", case.context());
    let now = case.end().to_rfc3339_opts(SecondsFormat::Secs, true);
    let out = case.fw.ok(&["incidents", "--json", "--now", &now]);
    let incidents: Vec<Value> = serde_json::from_str(&out).unwrap();
    let of =
        |fp: &str| incidents.iter().find(|i| i["alerts"].as_array().unwrap().iter().any(|a| a["fingerprint"] == fp));
    let main = &case.s.truth.incidents[0];
    let home = of(&main.alert_fingerprints[0]).unwrap_or_else(|| panic!("{}: main alert missing", case.context()));
    let together = main.alert_fingerprints.iter().filter(|fp| of(fp) == Some(home)).count();
    assert!(
        together * 10 >= main.alert_fingerprints.len() * 8,
        "{}: only {together} of {} main alerts together",
        case.context(),
        main.alert_fingerprints.len()
    );
    if let Some(second) = case.s.truth.incidents.get(1) {
        let other = of(&second.alert_fingerprints[0]);
        assert_ne!(other.map(|o| &o["id"]), Some(&home["id"]), "{}: unrelated incident merged", case.context());
    }
    assert_eq!(home["root_cause"]["service"], main.root_service.as_str(), "{}: {}", case.context(), home["root_cause"]);
    // The mapping was inferred, so it is shown: which label gave the services and which the regions.
    let text = case.fw.ok(&["incidents", "--now", &now]);
    let line =
        text.lines().find(|l| l.starts_with("alert labels:")).unwrap_or_else(|| panic!("no mapping shown: {text}"));
    assert!(
        !line.contains("service from none") && line.contains("region from topology.kubernetes.io/region"),
        "{line}"
    );
}
