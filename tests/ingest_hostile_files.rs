//! Files as a real host has them: rotated and compressed, binary, corrupt, special, looping, still being
//! written, rewritten. None of them stops an ingest, hangs it, or costs a good record.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap
#![allow(
    clippy::let_underscore_must_use,
    reason = "fake servers and child processes: a peer that hung up, or a parse that only must not panic"
)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::Fw;
use serde_json::Value;

/// Runs firewatch, failing the test instead of hanging when it does not end within a minute.
fn run_bounded(mut cmd: Command) -> Output {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn firewatch");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("firewatch did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

fn pseudo_random(n: usize, mut x: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn lines(tag: &str, n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| format!("2026-11-20T15:{:02}:{:02}Z INFO {tag} line {tag}-{i:04}\n", i / 60, i % 60))
        .collect::<String>()
        .into_bytes()
}

fn xz(data: &[u8]) -> Vec<u8> {
    let mut e = xz2::write::XzEncoder::new(Vec::new(), 6);
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zst(data: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(data, 3).unwrap()
}

fn report_of<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("{name} not in {report:#}"))
}

#[test]
fn hostile_inputs_are_skipped_and_every_good_record_is_kept() {
    let fw = Fw::new();
    let mut good = lines("good", 300);
    // Lossy-converted bytes around a dotted run panicked the tokenizer (and so the whole command) before.
    good.extend_from_slice(b"2026-11-20T16:00:00Z WARN odd a.b\xffc.d\xe2\x82\xacv1.2 bytes good-0300\n");
    let good = fw.write("good.log", &good);
    let mut bad_xz = xz(&lines("lost", 2000));
    bad_xz.truncate(bad_xz.len() / 2);
    let bad_xz = fw.write("bad.xz", &bad_xz);
    let random = fw.write("random.bin", &pseudo_random(3072, 0x9e37_79b9_7f4a_7c15));
    let loopdir = fw.dir.path().join("loopdir");
    std::fs::create_dir(&loopdir).unwrap();
    std::os::unix::fs::symlink(".", loopdir.join("self")).unwrap();
    std::os::unix::fs::symlink("..", loopdir.join("parent")).unwrap();
    std::os::unix::fs::symlink("me", loopdir.join("me")).unwrap();
    assert!(Command::new("mkfifo").arg(loopdir.join("fifo")).status().unwrap().success());
    std::fs::write(loopdir.join("inner.log"), lines("inner", 5)).unwrap();

    let mut cmd = fw.command();
    cmd.args(["ingest", "--json"]).args([&good, &bad_xz, &random, &loopdir]);
    let out = run_bounded(cmd);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();

    assert_eq!(report_of(&report, "good.log")["logs"], 301);
    for id in ["good-0000", "good-0150", "good-0299", "good-0300", "inner-0004"] {
        assert_eq!(fw.count(id), 1, "{id}");
    }
    assert_eq!(fw.count("service:good"), 301);
    assert_eq!(fw.count("c.d"), 1, "the line that broke the tokenizer is searchable");

    let skipped = |name: &str| report_of(&report, name)["skipped"].as_str().unwrap_or_default().to_string();
    assert!(skipped("random.bin").starts_with("binary data"), "{report:#}");
    assert!(skipped("loopdir/fifo").contains("FIFO"), "{report:#}");
    assert!(skipped("loopdir/self").contains("loop"), "{report:#}");
    assert!(skipped("loopdir/parent").contains("outside"), "{report:#}");
    assert!(skipped("loopdir/me").contains("cannot read"), "{report:#}");
    let xz_error = report_of(&report, "bad.xz")["error"].as_str().unwrap_or_default().to_string();
    assert!(xz_error.contains("xz data is corrupt or truncated"), "{report:#}");
    assert_eq!(report["skipped"], 5);
    // What a truncated xz gave before its end is kept, complete lines only.
    let lost = fw.count("service:bad");
    assert_eq!(lost, report_of(&report, "bad.xz")["logs"].as_u64().unwrap());
    assert!(lost < 2000);

    // The plain report names each skipped input and the reason.
    let mut cmd = fw.command();
    cmd.args(["ingest"]).args([&random, &loopdir]);
    let out = run_bounded(cmd);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for want in ["random.bin: skipped: binary data", "fifo: skipped: not a regular file (FIFO)", "inputs skipped"] {
        assert!(text.contains(want), "{want} in {text}");
    }
}

#[test]
fn rotated_and_compressed_files_store_each_line_once_and_reingest_adds_nothing() {
    let fw = Fw::new();
    let dir = fw.dir.path().join("rot");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("app.log"), lines("zero", 50)).unwrap();
    std::fs::write(dir.join("app.log.1"), lines("one", 60)).unwrap();
    std::fs::write(dir.join("app.log.2.gz"), gz(&lines("two", 70))).unwrap();
    std::fs::write(dir.join("app.log.3.xz"), xz(&lines("three", 80))).unwrap();
    let mut four = lines("four", 90);
    // The line limit applies to decoded content too: a 3 MB line is stored as head and tail.
    four.extend_from_slice(b"2026-11-20T17:00:00Z ERROR ");
    four.extend(std::iter::repeat_n(b'x', 3 << 20));
    four.extend_from_slice(b" four-long\n");
    std::fs::write(dir.join("app.log.4.zst"), zst(&four)).unwrap();
    // Known by its magic bytes, not its name.
    std::fs::write(dir.join("app.log.5"), gz(&lines("five", 40))).unwrap();

    let report = fw.ingest_json(&[&dir]);
    assert_eq!(report["records"], 50 + 60 + 70 + 80 + 91 + 40, "{report:#}");
    assert_eq!(report_of(&report, "app.log.2.gz")["compression"], "gzip");
    assert_eq!(report_of(&report, "app.log.3.xz")["compression"], "xz");
    assert_eq!(report_of(&report, "app.log.4.zst")["compression"], "zstd");
    assert_eq!(report_of(&report, "app.log.5")["compression"], "gzip");
    for (tag, n) in [("zero", 50), ("one", 60), ("two", 70), ("three", 80), ("four", 90), ("five", 40)] {
        for i in [0, n / 2, n - 1] {
            let id = format!("{tag}-{i:04}");
            assert_eq!(fw.count(&id), 1, "{id}");
        }
    }
    // Rotations are one service, whatever logrotate appended to the name.
    assert_eq!(fw.count("service:app"), 50 + 60 + 70 + 80 + 91 + 40);
    let long = fw.search_json(&["four-long"]);
    assert_eq!(long.len(), 1);
    let body = long[0]["body"].as_str().unwrap();
    assert!(body.len() <= 1 << 20 && body.contains("[truncated]"), "{}", body.len());

    let again = fw.ingest_json(&[&dir]);
    assert_eq!(again["records"], 0, "{again:#}");
    assert!(again["files"].as_array().unwrap().iter().all(|f| f["skipped_bytes"].as_u64() > Some(0)), "{again:#}");
    assert_eq!(fw.count("two-0035"), 1);
    assert_eq!(fw.count("four-0089"), 1);

    // logrotate moves on: app.log.1 becomes app.log.2.gz. Its content was stored, so nothing is added.
    let moved = fw.write("app.log.2.gz", &gz(&lines("one", 60)));
    let third = fw.ingest_json(&[&moved]);
    assert_eq!(third["records"], 0, "{third:#}");
    assert_eq!(fw.count("one-0030"), 1);
}

#[test]
fn a_line_still_being_written_is_stored_once_whole() {
    let fw = Fw::new();
    let path = fw.write("live.log", b"2026-11-20T15:00:00Z INFO first done-0001\n2026-11-20T15:00:01Z ERROR half-writ");
    let first = fw.ingest_json(&[&path]);
    assert_eq!(first["records"], 2);
    // The writer finishes the line and goes on.
    let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(b"ten line tail-0002\n2026-11-20T15:00:02Z INFO next-0003\n").unwrap();
    drop(f);
    let second = fw.ingest_json(&[&path]);
    assert_eq!(second["records"], 2, "the finished line replaces its head, and the next one: {second:#}");

    let hits = fw.search_json(&["service:live"]);
    let mut bodies: Vec<&str> = hits.iter().map(|h| h["body"].as_str().unwrap()).collect();
    bodies.sort();
    assert_eq!(
        bodies,
        [
            "2026-11-20T15:00:00Z INFO first done-0001",
            "2026-11-20T15:00:01Z ERROR half-written line tail-0002",
            "2026-11-20T15:00:02Z INFO next-0003"
        ]
    );
    assert_eq!(fw.count("half-writ"), 0, "no record of the cut line is left");

    // A file that is one unterminated line: while it changes, its first line (its key) may be incomplete, so it
    // waits; once it is still, it is stored as it is.
    let only = fw.write("only.log", b"2026-11-20T15:00:00Z INFO lonely-0001 no newline");
    let r = fw.ingest_json(&[&only]);
    assert_eq!(r["records"], 0);
    assert!(r["files"][0]["skipped"].as_str().unwrap().contains("still being written"), "{r:#}");
    let still = std::time::SystemTime::now() - Duration::from_secs(60);
    std::fs::File::options().append(true).open(&only).unwrap().set_modified(still).unwrap();
    assert_eq!(fw.ingest_json(&[&only])["records"], 1);
    assert_eq!(fw.count("lonely-0001"), 1);
    fw.ingest_json(&[&only]);
    assert_eq!(fw.count("lonely-0001"), 1, "read again, it replaces itself");
}

#[test]
fn a_rewritten_file_keeps_ids_unique_and_its_new_content_searchable() {
    let fw = Fw::new();
    let path = fw.write("rw.log", b"== service rw started ==\n2026-11-20T15:00:00Z INFO old alpha-0001\n2026-11-20T15:00:01Z INFO old beta-0002\n");
    fw.ingest_json(&[&path]);
    // Rewritten in place (same first line, other content after it), as a truncate-and-restart does.
    std::fs::write(&path, b"== service rw started ==\n2026-11-20T16:00:00Z WARN new gamma-0003\n2026-11-20T16:00:01Z INFO new delta-0004\n2026-11-20T16:00:02Z INFO new epsilon-0005\n").unwrap();
    fw.ingest_json(&[&path]);

    let hits = fw.search_json(&["-n", "1000", "service:rw"]);
    let mut ids: Vec<&str> = hits.iter().map(|h| h["id"].as_str().unwrap()).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "two documents share an id: {hits:#?}");
    for id in ["gamma-0003", "delta-0004", "epsilon-0005"] {
        assert_eq!(fw.count(id), 1, "{id}");
    }
    // What the file held before stays stored under its own ids: both versions were real log content.
    assert_eq!(fw.count("alpha-0001 OR beta-0002"), 2);
    assert_eq!(fw.count("\"service rw started\""), 2);
    // And the new version is now known: a third ingest adds nothing.
    assert_eq!(fw.ingest_json(&[&path])["records"], 0);
}

#[test]
fn a_command_of_only_skipped_inputs_succeeds_and_says_why() {
    let fw = Fw::new();
    let random = fw.write("blob.bin", &pseudo_random(3072, 7));
    let zeros = fw.write("sparse.img", &[0u8; 4096]);
    let out = fw.run(&["ingest", random.to_str().unwrap(), zeros.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("blob.bin: skipped: binary data"), "{text}");
    assert!(text.contains("sparse.img: skipped: binary data") && text.contains("4096 NUL"), "{text}");
    assert!(Path::new(&fw.data_dir()).exists());
}

#[test]
fn a_fifo_named_on_the_command_line_is_read_as_a_stream() {
    let fw = Fw::new();
    let fifo = fw.dir.path().join("pipe");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let writer = {
        let fifo = fifo.clone();
        // Opening a FIFO for writing waits for its reader: firewatch, below.
        std::thread::spawn(move || std::fs::write(fifo, lines("piped", 25)).unwrap())
    };
    let mut cmd = fw.command();
    cmd.args(["ingest", "--json"]).arg(&fifo);
    let out = run_bounded(cmd);
    writer.join().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["records"], 25, "{report:#}");
    assert_eq!(fw.count("piped-0024"), 1);
}
