//! The series a metric citation names, as a chart: its service's metric (in its region,
//! when the evidence names one) around the cited time, one mean per minute, as the
//! analysis saw it. The evidence is a sentence, so the series is found by the names it
//! contains; the stored names are the vocabulary.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::analysis::rca;
use crate::copilot::offline::Evidence;
use crate::model::MetricPoint;

/// How much of the series is shown around the cited time: as much after as before, so
/// the cited time is the middle of the axis, where its label is.
pub const BEFORE: Duration = Duration::minutes(30);
pub const AFTER: Duration = Duration::minutes(30);

#[derive(Debug, Clone, PartialEq)]
pub struct MetricChart {
    pub name: String,
    pub service: String,
    pub region: Option<String>,
    pub unit: String,
    /// (minute, mean of the series' points in it), oldest first.
    pub points: Vec<(DateTime<Utc>, f64)>,
    /// The cited time.
    pub at: DateTime<Utc>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// The chart of the series `ev` names among `points`, or why there is none.
pub fn metric_chart(ev: &Evidence, points: &[MetricPoint]) -> Result<MetricChart, String> {
    let service = ev
        .service
        .clone()
        .or_else(|| ev.text.split_once(':').map(|(s, _)| s.trim().to_string()))
        .ok_or_else(|| format!("{} names no service", ev.id))?
        .to_ascii_lowercase();
    // The series as the analysis that wrote the evidence built them.
    let series = rca::minute_means(points);
    let of_service: Vec<_> = series
        .iter()
        .filter(|((svc, _, _), _)| *svc == service)
        .map(|((_, region, name), s)| (region.as_str(), name.as_str(), s))
        .collect();
    // The longest name the text contains as a whole word: `request.duration` is not
    // `request.duration.p99`.
    let name = of_service
        .iter()
        .map(|(_, n, _)| *n)
        .filter(|n| contains_word(&ev.text, n))
        .max_by_key(|n| n.len())
        .ok_or_else(|| format!("no stored metric of {service} is named in {}", ev.id))?
        .to_string();
    let region = of_service
        .iter()
        .filter(|(r, n, _)| *n == name && !r.is_empty())
        .map(|(r, _, _)| r.to_string())
        .find(|r| ev.text.contains(&format!(" in {r}")));
    // Without a named region, the regions' minute means are averaged.
    let mut minutes: BTreeMap<i64, (f64, u32)> = BTreeMap::new();
    for (_, _, s) in of_service.iter().filter(|(r, n, _)| *n == name && region.as_deref().is_none_or(|x| x == *r)) {
        for &(t, v) in s.iter().filter(|(_, v)| v.is_finite()) {
            let m = minutes.entry(t).or_default();
            m.0 += v;
            m.1 += 1;
        }
    }
    let points_shown = minutes
        .into_iter()
        .filter_map(|(t, (sum, n))| Some((DateTime::from_timestamp(t, 0)?, sum / f64::from(n))))
        .collect::<Vec<_>>();
    if points_shown.is_empty() {
        return Err(format!("{name} of {service} has no points around {}", ev.timestamp.format("%H:%M")));
    }
    // A `.requests` series is a count derived from a histogram: it has no unit of its own.
    let unit = points.iter().find(|p| p.name == name).map(|p| p.unit.clone()).unwrap_or_default();
    Ok(MetricChart {
        name,
        service,
        region,
        unit,
        points: points_shown,
        at: ev.timestamp,
        from: ev.timestamp - BEFORE,
        to: ev.timestamp + AFTER,
    })
}

fn contains_word(text: &str, word: &str) -> bool {
    let part = |c: char| c.is_alphanumeric() || matches!(c, '.' | '_' | '-');
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back().is_none_or(|c| !part(c));
        let rest = &text[i + word.len()..];
        // A sentence's full stop after the name is not part of it.
        let after = rest.chars().next().is_none_or(|c| !part(c))
            || (rest.starts_with('.') && rest[1..].chars().next().is_none_or(|c| !part(c)));
        before && after
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MetricKind;

    fn point(name: &str, service: &str, region: &str, host: &str, min: i64, value: f64) -> MetricPoint {
        let labels = [("service", service), ("region", region), ("host", host)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        MetricPoint {
            name: name.into(),
            unit: "1".into(),
            kind: MetricKind::Gauge,
            timestamp: DateTime::from_timestamp(1_800_000_000 + min * 60 + 7, 0).unwrap(),
            value,
            count: None,
            sum: None,
            labels,
        }
    }

    fn evidence(text: &str) -> Evidence {
        Evidence {
            id: "E1".into(),
            kind: "metric",
            timestamp: DateTime::from_timestamp(1_800_000_000 + 30 * 60, 0).unwrap(),
            service: Some("search".into()),
            text: text.into(),
        }
    }

    #[test]
    fn the_named_series_in_the_named_region_is_charted_as_minute_means() {
        let mut pts = Vec::new();
        for m in 0..40 {
            let bad = if m >= 30 { 0.4 } else { 0.0 };
            pts.push(point("request.error.ratio", "search", "us-west-2", "a", m, bad));
            pts.push(point("request.error.ratio", "search", "us-west-2", "b", m, bad + 0.2));
            // Same metric elsewhere, a longer name that contains it, another service: none is charted.
            pts.push(point("request.error.ratio", "search", "eu-west-1", "c", m, 9.0));
            pts.push(point("request.error.ratio.max", "search", "us-west-2", "a", m, 7.0));
            pts.push(point("request.error.ratio", "frontend", "us-west-2", "d", m, 5.0));
        }
        let c = metric_chart(&evidence("search: request.error.ratio in us-west-2 went from 0% to 40% at 15:07."), &pts)
            .unwrap();
        assert_eq!(
            (c.name.as_str(), c.service.as_str(), c.region.as_deref()),
            ("request.error.ratio", "search", Some("us-west-2"))
        );
        assert_eq!(c.points.len(), 40);
        assert!((c.points[0].1 - 0.1).abs() < 1e-9, "the mean of the two hosts: {:?}", c.points[0]);
        assert!((c.points[35].1 - 0.5).abs() < 1e-9, "{:?}", c.points[35]);
        assert_eq!(c.points[0].0.timestamp() % 60, 0, "points sit on their minute");
        assert_eq!(c.to - c.from, BEFORE + AFTER);
    }

    #[test]
    fn without_a_region_every_region_counts_and_an_unknown_name_is_told() {
        let pts = vec![point("latency", "search", "a", "h", 1, 1.0), point("latency", "search", "b", "h", 1, 3.0)];
        let c = metric_chart(&evidence("search: latency went from 1 to 3"), &pts).unwrap();
        assert_eq!(c.region, None);
        assert_eq!(c.points.len(), 1);
        assert!((c.points[0].1 - 2.0).abs() < 1e-9);
        let e = metric_chart(&evidence("search: error logs went from 1/min to 50/min"), &pts).unwrap_err();
        assert_eq!(e, "no stored metric of search is named in E1");
    }
}
