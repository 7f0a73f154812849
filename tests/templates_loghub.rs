//! Template mining on all 12 Loghub samples (tests/fixtures/loghub, see its LICENSE),
//! scored against their ground-truth events and templates, through the library and
//! through `firewatch patterns --per-line` exactly as a user runs it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

mod common;

use common::{fixtures, Fw};
use firewatch::analysis::template_eval::{evaluate, grid, loso, score, score_grid};
use firewatch::loghub::{load, Sample, SYSTEMS};

fn samples() -> Vec<Sample> {
    let dir = fixtures().join("loghub");
    SYSTEMS.iter().map(|name| load(&dir, name).unwrap()).collect()
}

/// The default settings on all 12 (they were chosen on these same samples: see the next test for
/// figures that were not). Thresholds sit just under what the miner reaches, so a regression fails.
#[test]
fn grouping_and_parsing_accuracy_with_the_defaults() {
    let (mut ga, mut pa) = (0.0, 0.0);
    for s in samples() {
        assert_eq!(s.contents.len(), 2000, "{}", s.name);
        let r = evaluate(&s.contents, &s.event_ids, &s.templates);
        println!("{:<10} GA {:.3} PA {:.3} ({} clusters)", s.name, r.ga, r.pa, r.clusters);
        assert!(r.ga >= 0.94, "{}: GA {:.3} below 0.94", s.name, r.ga);
        ga += r.ga;
        pa += r.pa;
    }
    let (ga, pa) = (ga / 12.0, pa / 12.0);
    println!("average GA {ga:.3} PA {pa:.3}");
    // Reached: GA 0.985, PA 0.888. Drain's published averages on these samples: GA 0.85, PA 0.32.
    assert!(ga >= 0.98, "average GA {ga:.3}");
    assert!(pa >= 0.88, "average PA {pa:.3}");
}

/// Leave-one-system-out: each system scored with the setting chosen on the other 11 (over a slice
/// of the grid `firewatch-templates-eval --loso` searches, to keep the test quick).
#[test]
fn leave_one_system_out() {
    let all = samples();
    let g: Vec<_> = grid().into_iter().filter(|c| c.merge_caps == 6 && c.merge_ids == 2 && c.family_values).collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
    let rows = loso(&g, &all, &score_grid(&g, &all, threads));
    assert_eq!(rows.len(), 12);
    let ga = rows.iter().map(|r| r.scores.ga).sum::<f64>() / 12.0;
    let pa = rows.iter().map(|r| r.scores.pa).sum::<f64>() / 12.0;
    for r in &rows {
        println!("{:<10} GA {:.3} PA {:.3}", r.system, r.scores.ga, r.scores.pa);
        assert!(r.scores.ga >= 0.85, "{}: GA {:.3}", r.system, r.scores.ga);
    }
    println!("leave-one-system-out average GA {ga:.3} PA {pa:.3}");
    // The issue asks for GA 0.90 and PA 0.70 on average and no system under GA 0.75.
    assert!(ga >= 0.96, "average GA {ga:.3}");
    assert!(pa >= 0.86, "average PA {pa:.3}");
}

#[test]
fn patterns_per_line_prints_one_template_per_input_line() {
    let fw = Fw::new();
    for name in ["HDFS", "Linux"] {
        let s = load(&fixtures().join("loghub"), name).unwrap();
        let mut content = s.contents.join("\n");
        content.push('\n');
        let path = fw.write(&format!("{name}-content.txt"), content.as_bytes());
        let out = fw.ok(&["patterns", "--per-line", path.to_str().unwrap()]);
        let lines: Vec<String> = out.lines().map(str::to_string).collect();
        assert_eq!(lines.len(), 2000);
        // Group lines by the printed template, as an evaluator would: the same figures as the library's.
        let mut ids = std::collections::HashMap::new();
        let cluster: Vec<u32> = lines
            .iter()
            .map(|l| {
                let n = ids.len() as u32;
                *ids.entry(l.clone()).or_insert(n)
            })
            .collect();
        let r = score(&cluster, &lines, &s.event_ids, &s.templates);
        let lib = evaluate(&s.contents, &s.event_ids, &s.templates);
        assert!((r.ga - lib.ga).abs() < 1e-9 && (r.pa - lib.pa).abs() < 1e-9, "{name}: {r:?} vs {lib:?}");
        assert!(r.ga >= 0.95 && r.pa >= 0.65, "{name}: {r:?}");
        if name == "HDFS" {
            assert!(lines.iter().any(|l| l.contains("blk_<*>")));
            let counted = fw.ok(&["patterns", path.to_str().unwrap()]);
            let first: Vec<&str> = counted.lines().take(2).collect();
            let n0: u64 = first[0].split_whitespace().next().unwrap().parse().unwrap();
            let n1: u64 = first[1].split_whitespace().next().unwrap().parse().unwrap();
            assert!(n0 >= n1, "most frequent first: {first:?}");
            let total: u64 =
                counted.lines().map(|l| l.split_whitespace().next().unwrap().parse::<u64>().unwrap()).sum();
            assert_eq!(total, 2000);
        }
    }
}
