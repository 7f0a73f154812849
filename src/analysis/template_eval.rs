//! Accuracy of template mining against labelled logs (the Loghub methodology).
//!
//! - Grouping accuracy (GA): a line is correct when the lines of its predicted cluster
//!   are exactly the lines of its ground-truth event.
//! - Parsing accuracy (PA): a line is correct when its cluster's final template equals
//!   its ground-truth template, both with whitespace runs collapsed ("strict"); the
//!   "loose" variant also collapses adjacent `<*>` into one.
//!
//! Leave-one-system-out ([`loso`]): every setting in [`grid`] is scored on every system; for each
//! system, the setting with the best average GA over the *other* systems (ties: best PA, then the
//! earlier setting) is the one it is scored with. So no figure for a system was tuned on it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::templates::{MinerConfig, TemplateMiner};
use crate::loghub::Sample;

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

/// Mines `contents` with a fresh miner (default settings) and scores it.
pub fn evaluate(contents: &[String], event_ids: &[String], templates: &[String]) -> Scores {
    evaluate_with(&MinerConfig::default(), contents, event_ids, templates)
}

/// Mines `contents` with a fresh miner and scores it. Lines are grouped by the event their id names
/// once every line is in (events merged later keep the ids they gave out).
pub fn evaluate_with(cfg: &MinerConfig, contents: &[String], event_ids: &[String], templates: &[String]) -> Scores {
    let mut miner = TemplateMiner::new(cfg.clone());
    let ids: Vec<u32> = contents.iter().map(|c| miner.add(c)).collect();
    let ids: Vec<u32> = ids.iter().map(|&id| miner.canonical(id)).collect();
    let predicted: Vec<String> = ids.iter().map(|&id| miner.template(id)).collect();
    score(&ids, &predicted, event_ids, templates)
}

/// The settings leave-one-system-out chooses among: the similarity a new kind of line needs to join
/// a family, and how many distinct values make a position a variable, per token class.
pub fn grid() -> Vec<MinerConfig> {
    let mut out = Vec::new();
    for similarity_threshold in [0.5, 0.6, 0.7, 0.8] {
        for merge_words in [3, 4, 5, 6] {
            for merge_caps in [3, 4, 6, usize::MAX] {
                for merge_ids in [2, 3, 4] {
                    for family_values in [true, false] {
                        out.push(MinerConfig {
                            similarity_threshold,
                            merge_words,
                            merge_caps,
                            merge_ids,
                            family_values,
                            ..MinerConfig::default()
                        });
                    }
                }
            }
        }
    }
    out
}

/// A setting in a few words, for tables.
pub fn describe(c: &MinerConfig) -> String {
    let k = |n: usize| if n == usize::MAX { "-".to_string() } else { n.to_string() };
    format!(
        "sim {:.1} words {} caps {} ids {} family {}",
        c.similarity_threshold,
        k(c.merge_words),
        k(c.merge_caps),
        k(c.merge_ids),
        if c.family_values { "y" } else { "n" }
    )
}

/// One held-out system: the setting chosen on the others and its scores there.
#[derive(Debug, Clone)]
pub struct LosoRow {
    pub system: String,
    pub chosen: MinerConfig,
    pub scores: Scores,
}

/// Scores of every setting of `grid` on every sample: `[setting][sample]`. Uses `threads` threads.
pub fn score_grid(grid: &[MinerConfig], samples: &[Sample], threads: usize) -> Vec<Vec<Scores>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut out: Vec<Option<Vec<Scores>>> = vec![None; grid.len()];
    let results = std::sync::Mutex::new(&mut out);
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(cfg) = grid.get(i) else { break };
                let row: Vec<Scores> =
                    samples.iter().map(|x| evaluate_with(cfg, &x.contents, &x.event_ids, &x.templates)).collect();
                if let Ok(mut r) = results.lock() {
                    r[i] = Some(row);
                }
            });
        }
    });
    out.into_iter().map(Option::unwrap_or_default).collect()
}

/// Leave-one-system-out over `samples` with the settings of `grid` (scores from [`score_grid`]).
pub fn loso(grid: &[MinerConfig], samples: &[Sample], scores: &[Vec<Scores>]) -> Vec<LosoRow> {
    let mut rows = Vec::new();
    for (held, sample) in samples.iter().enumerate() {
        let mut best: Option<(usize, f64, f64)> = None;
        for (c, row) in scores.iter().enumerate() {
            let others = row.iter().enumerate().filter(|&(j, _)| j != held).map(|(_, s)| s);
            let (mut ga, mut pa, mut n) = (0.0, 0.0, 0.0);
            for s in others {
                ga += s.ga;
                pa += s.pa;
                n += 1.0;
            }
            let (ga, pa) = (ga / n, pa / n);
            let better = match best {
                None => true,
                Some((_, bg, bp)) => ga > bg + 1e-12 || ((ga - bg).abs() <= 1e-12 && pa > bp + 1e-12),
            };
            if better {
                best = Some((c, ga, pa));
            }
        }
        if let Some((c, _, _)) = best {
            if let Some(s) = scores.get(c).and_then(|r| r.get(held)) {
                rows.push(LosoRow { system: sample.name.clone(), chosen: grid[c].clone(), scores: s.clone() });
            }
        }
    }
    rows
}

/// The labelled samples in `dir`: every `<System>_2k.log_structured.csv` in it or in a folder of it
/// (the layouts of `tests/fixtures/loghub` and of a Loghub checkout), in name order.
pub fn find_samples(dir: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let mut found = Vec::new();
    let visit = |d: &Path, deeper: bool, found: &mut Vec<(String, PathBuf)>| -> Result<Vec<PathBuf>, String> {
        let mut subdirs = Vec::new();
        let rd = std::fs::read_dir(d).map_err(|e| format!("cannot read {}: {e}", d.display()))?;
        for entry in rd.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(system) = name.strip_suffix("_2k.log_structured.csv") {
                found.push((system.to_string(), d.to_path_buf()));
            } else if deeper && path.is_dir() {
                subdirs.push(path);
            }
        }
        Ok(subdirs)
    };
    for sub in visit(dir, true, &mut found)? {
        visit(&sub, false, &mut found)?;
    }
    found.sort();
    found.dedup_by(|a, b| a.0 == b.0);
    Ok(found)
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
