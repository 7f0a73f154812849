//! Accuracy of template mining against labelled logs (the Loghub methodology).
//!
//! - Grouping accuracy (GA): a line is correct when the lines of its predicted cluster
//!   are exactly the lines of its ground-truth event.
//! - Parsing accuracy (PA): a line is correct when its cluster's final template equals
//!   its ground-truth template, both with whitespace runs collapsed ("strict"); the
//!   "loose" variant also collapses adjacent `<*>` into one.

use std::collections::HashMap;

use super::templates::{MinerConfig, TemplateMiner};

#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    pub lines: usize,
    pub clusters: usize,
    pub ga: f64,
    pub pa: f64,
    pub pa_loose: f64,
}

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn loose(s: &str) -> String {
    let n = norm(s);
    let mut out = String::new();
    let mut rest = n.as_str();
    while let Some(p) = rest.find("<*>") {
        out.push_str(&rest[..p]);
        out.push_str("<*>");
        rest = &rest[p + 3..];
        while let Some(r) = rest.trim_start_matches(' ').strip_prefix("<*>") {
            rest = r;
        }
    }
    out.push_str(rest);
    out
}

/// Scores a template per line (`predicted[i]`, in cluster terms `cluster[i]`) against
/// the labels.
pub fn score(cluster: &[u32], predicted: &[String], event_ids: &[String], templates: &[String]) -> Scores {
    let n = cluster.len().min(predicted.len()).min(event_ids.len()).min(templates.len());
    let mut gt_size: HashMap<&str, usize> = HashMap::new();
    for e in &event_ids[..n] {
        *gt_size.entry(e).or_default() += 1;
    }
    let mut pred: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, &id) in cluster[..n].iter().enumerate() {
        pred.entry(id).or_default().push(i);
    }
    let mut ga_ok = 0;
    for lines in pred.values() {
        let e = &event_ids[lines[0]];
        if lines.iter().all(|&i| &event_ids[i] == e) && gt_size.get(e.as_str()) == Some(&lines.len()) {
            ga_ok += lines.len();
        }
    }
    let pa_ok = (0..n).filter(|&i| norm(&predicted[i]) == norm(&templates[i])).count();
    let loose_ok = (0..n).filter(|&i| loose(&predicted[i]) == loose(&templates[i])).count();
    let d = n.max(1) as f64;
    Scores { lines: n, clusters: pred.len(), ga: ga_ok as f64 / d, pa: pa_ok as f64 / d, pa_loose: loose_ok as f64 / d }
}

/// Mines `contents` with a fresh miner and scores it.
pub fn evaluate(contents: &[String], event_ids: &[String], templates: &[String]) -> Scores {
    let mut miner = TemplateMiner::new(MinerConfig::default());
    let ids: Vec<u32> = contents.iter().map(|c| miner.add(c)).collect();
    let predicted: Vec<String> = ids.iter().map(|&id| miner.template(id)).collect();
    score(&ids, &predicted, event_ids, templates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn grouping_needs_the_exact_set_and_parsing_the_exact_template() {
        // Events A = {0, 1}, B = {2}. Predicted: {0, 1, 2} in one cluster: GA 0.
        let ev = s(&["A", "A", "B"]);
        let tpl = s(&["open <*>", "open <*>", "close"]);
        let r = score(&[0, 0, 0], &s(&["open <*>", "open <*>", "open <*>"]), &ev, &tpl);
        assert_eq!(r.ga, 0.0);
        assert!((r.pa - 2.0 / 3.0).abs() < 1e-9);
        // Exact clusters, one template wrong by a collapsed variable.
        let r = score(
            &[0, 0, 1],
            &s(&["open <*>  <*>", "open <*> <*>", "close"]),
            &ev,
            &s(&["open <*>", "open <*>", "close"]),
        );
        assert_eq!(r.ga, 1.0);
        assert!((r.pa - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(r.pa_loose, 1.0);
    }
}
