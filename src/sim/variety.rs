//! Ways real telemetry differs from shop to shop, none of which the default scenario shows:
//! HTTP semantic conventions, metric kinds and naming styles, alert label styles, missing
//! instrumentation and faults whose root says nothing itself. Opt-in: `Variety::default()`
//! is the simulator's own style (the demo's), and `Variety::draw` picks one per seed for the
//! eval suites, from its own stream so the scenario's topology and timing do not move.

use crate::loadgen::Rng;

/// Which HTTP server duration metric the services export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpConvention {
    /// `http.server.request.duration`, in seconds (semantic conventions 1.23+).
    #[default]
    Stable,
    /// `http.server.duration`, in milliseconds (before 1.23).
    Legacy,
}

/// How request metrics are exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MetricStyle {
    /// Explicit-bucket histograms and an error-ratio gauge (the simulator's own style).
    #[default]
    OtelHistogram,
    /// Exponential histograms per status code.
    ExponentialHistogram,
    /// Summaries (with quantiles) per status code.
    Summary,
    /// Delta request and error counters, and a histogram of durations.
    DeltaSums,
    /// Gauges computed upstream: `….p99`, `….error_rate`, `…_rate`.
    PreAggregated,
    /// Prometheus/Micrometer: cumulative `_count`, `_sum`, `_bucket` and `_total`, sizes in `_bytes`.
    Prometheus,
}

/// How alert rules name the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AlertLabels {
    /// `service`.
    #[default]
    Service,
    /// `job`, `app` or `pod` (with ReplicaSet hash suffixes) and `namespace`, by rule.
    Kubernetes,
}

/// Where alert rules put the region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RegionLabel {
    #[default]
    Region,
    /// `topology.kubernetes.io/region`.
    Topology,
    /// `zone`, an availability zone of the region (`us-east-1b`).
    Zone,
    Absent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Variety {
    pub http: HttpConvention,
    pub metrics: MetricStyle,
    pub alert_labels: AlertLabels,
    pub region_label: RegionLabel,
    /// One mid-tier service that is not a fault's root exports no spans.
    pub uninstrumented: bool,
    /// The root of the main fault says nothing itself where it could not in real life: a
    /// dead cache's metrics stop, no certificate-expiry metric or alert, no self-diagnosis
    /// in logs; what is left is what its callers see.
    pub silent_root: bool,
    /// Kubernetes events (OOMKilled, BackOff) in logs and a restart counter.
    pub kube_events: bool,
    /// Request histograms and summaries report running totals since the instance started (the OTel SDKs'
    /// default, cumulative temporality) rather than each minute's own. Delta-sum styles stay delta.
    pub cumulative: bool,
}

impl Variety {
    /// Every dimension drawn from `seed`.
    pub fn draw(seed: u64) -> Self {
        let mut rng = Rng(seed ^ 0x7a21_e7c0_de5e_ed01);
        let mut pick = |n: u64| rng.below(n);
        let http = if pick(2) == 0 { HttpConvention::Stable } else { HttpConvention::Legacy };
        let metrics = [
            MetricStyle::OtelHistogram,
            MetricStyle::ExponentialHistogram,
            MetricStyle::Summary,
            MetricStyle::DeltaSums,
            MetricStyle::PreAggregated,
            MetricStyle::Prometheus,
        ][pick(6) as usize];
        let alert_labels = if pick(2) == 0 { AlertLabels::Service } else { AlertLabels::Kubernetes };
        let region_label =
            [RegionLabel::Region, RegionLabel::Topology, RegionLabel::Zone, RegionLabel::Absent][pick(4) as usize];
        Variety {
            http,
            metrics,
            alert_labels,
            region_label,
            uninstrumented: pick(2) == 0,
            silent_root: pick(3) != 0,
            kube_events: alert_labels == AlertLabels::Kubernetes || pick(2) == 0,
            // Drawn last so that the dimensions above stay what they were for each seed.
            cumulative: pick(2) == 0,
        }
    }

    /// Whether the request histograms or summaries of this variety are cumulative.
    pub fn cumulative_histograms(&self) -> bool {
        // The simulator's own style (explicit buckets, stable convention) stays delta, as the demo shows it.
        let own = self.metrics == MetricStyle::OtelHistogram && self.http == HttpConvention::Stable;
        self.cumulative
            && !own
            && matches!(
                self.metrics,
                MetricStyle::OtelHistogram | MetricStyle::ExponentialHistogram | MetricStyle::Summary
            )
    }

    /// A short description for the eval tables.
    pub fn describe(&self) -> String {
        if *self == Variety::default() {
            return "default".into();
        }
        let mut parts = vec![format!("{:?}", self.metrics), format!("{:?}", self.http)];
        parts.push(format!("{:?}/{:?}", self.alert_labels, self.region_label));
        for (on, what) in [
            (self.uninstrumented, "no-spans"),
            (self.silent_root, "silent"),
            (self.kube_events, "k8s"),
            (self.cumulative_histograms(), "cumulative"),
        ] {
            if on {
                parts.push(what.into());
            }
        }
        parts.join(",")
    }
}

/// A Kubernetes pod name for instance `inst` of `svc`: ReplicaSet hash and pod suffix, stable
/// per scenario.
pub(super) fn pod_name(svc: &str, seed: u64, inst: usize) -> String {
    let mut rng = Rng(seed ^ (inst as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x90d5);
    const ALNUM: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut suffix = String::new();
    for _ in 0..5 {
        suffix.push(ALNUM[rng.below(ALNUM.len() as u64) as usize] as char);
    }
    format!("{svc}-{:010x}-{suffix}", rng.next_u64() >> 24)
}
