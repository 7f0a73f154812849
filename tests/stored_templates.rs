//! Every stored log record gets a template id that survives between runs, and templates keep counts over time:
//! `firewatch patterns` with no FILE lists the data dir's templates.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

mod common;

use common::Fw;
use serde_json::Value;

fn stored(fw: &Fw) -> Vec<Value> {
    fw.ok(&["patterns", "--json"]).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn templates_of_stored_logs_keep_ids_and_counts_across_runs() {
    let fw = Fw::new();
    assert!(fw.ok(&["patterns"]).contains("no log templates yet"));
    let mut first = String::new();
    for i in 0..30 {
        first.push_str(&format!(
            "2026-11-20T15:00:{:02}Z ERROR payment {} declined for order {}\n",
            i,
            1000 + i,
            77 + i
        ));
        first.push_str(&format!("2026-11-20T15:00:{:02}Z INFO cache hit ratio {}%\n", i, 90 + i % 7));
    }
    let a = fw.write("a.log", first.as_bytes());
    fw.ok(&["ingest", a.to_str().unwrap()]);
    let before = stored(&fw);
    assert_eq!(before.len(), 2, "{before:?}");
    assert_eq!(before.iter().map(|t| t["count"].as_u64().unwrap()).sum::<u64>(), 60);
    let declined = before.iter().find(|t| t["template"].as_str().unwrap().contains("declined")).unwrap().clone();
    assert!(declined["template"].as_str().unwrap().contains("<*>"), "{declined}");
    assert_eq!(declined["first_seen"], "2026-11-20T15:00:00Z");

    // Another run, another file: the same kind of line joins the same template id.
    let b = fw.write("b.log", b"2026-11-20T16:10:00Z ERROR payment 5555 declined for order 9\n");
    fw.ok(&["ingest", b.to_str().unwrap()]);
    // Re-ingesting the first file adds nothing: counts are per stored record.
    fw.ok(&["ingest", a.to_str().unwrap()]);
    let after = stored(&fw);
    let again = after.iter().find(|t| t["id"] == declined["id"]).unwrap();
    assert_eq!(again["count"].as_u64(), Some(31), "{after:?}");
    assert_eq!(again["last_seen"], "2026-11-20T17:00:00Z");
    assert_eq!(after.len(), 2);
}
