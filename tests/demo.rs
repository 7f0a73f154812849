//! `firewatch demo`, the README's first command, works with no config and no network.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

mod common;

use common::Fw;

#[test]
fn demo_ingests_the_bundled_incident_and_finds_its_cause() {
    let fw = Fw::new();
    let out = fw.ok(&["demo"]);
    assert!(out.contains("2 records (2 alerts) as alertmanager"), "{out}");
    assert!(out.contains("0 bad"), "{out}");
    assert!(out.contains("firing PaymentsErrorRate [payments]"), "{out}");
    // The payments errors are found, and the deploy that preceded them.
    assert!(out.contains("ERROR payments could not acquire connection from pool payments-db"), "{out}");
    assert!(out.contains("deploy payments v2.8.0 finished: db pool max_size changed 200 -> 50"), "{out}");
    // It used the data dir it was given, not the user's default store.
    assert!(fw.data_dir().join("index/meta.json").exists());
}
