//! Logs as they sit on hosts: a Kubernetes node's pod logs (CRI lines, found by a `**` glob), Docker's
//! json-file logs, logfmt, and progress only where someone watches it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

mod common;

use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use common::Fw;
use serde_json::Value;

fn at(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn write(path: &Path, text: &str) -> PathBuf {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

fn attr<'a>(hit: &'a Value, key: &str) -> Option<&'a str> {
    hit["attributes"][key].as_str()
}

fn one(fw: &Fw, query: &str) -> Value {
    let mut hits = fw.search_json(&[query]);
    assert_eq!(hits.len(), 1, "{query}: {hits:#?}");
    hits.remove(0)
}

/// A node's `/var/log/pods` under `root`: a Deployment's pod writing text, split JSON and logfmt, a StatefulSet
/// pod, and the layout's own example name. Returns the first line's time.
fn pods(root: &Path) -> DateTime<Utc> {
    let t0 = Utc::now() - chrono::Duration::hours(1);
    let t = |s: i64| at(t0 + chrono::Duration::milliseconds(s * 1000 + 1));
    let pods = root.join("var/log/pods");
    write(
        &pods.join("shop_checkout-7d9c8b6f5-x2x9q_0b1c2d3e-1111/app/0.log"),
        &[
            format!("{} stdout F server listening on port 8080\n", t(0)),
            format!("{} stdout F \n", t(0)),
            // The runtime split a long JSON line: P, then F.
            format!("{} stdout P {{\"level\":\"error\",\"msg\":\"payment \n", t(1)),
            format!("{} stdout F declined\",\"order_id\":\"ord-42\"}}\n", t(1)),
            format!("{} stderr F level=warn msg=\"slow query\" db.table=orders dur=3.2s\n", t(2)),
            format!("{} stderr F java.lang.IllegalStateException: pool exhausted\n", t(3)),
            format!("{} stderr F \tat com.shop.Pool.get(Pool.java:42)\n", t(3)),
        ]
        .concat(),
    );
    write(
        &pods.join("db_postgres-0_9f8e7d6c-2222/postgres/0.log"),
        &format!("{} stdout F checkpoint complete\n", t(4)),
    );
    write(&pods.join("ns_pod-abc12-xyz_uid/container/0.log"), &format!("{} stdout F hello from the example\n", t(5)));
    // Not matched by `**/*.log`: a rotation and another kind of file.
    write(&pods.join("db_postgres-0_9f8e7d6c-2222/postgres/0.log.20260101-000000"), "rotated\n");
    write(&root.join("var/log/notes.txt"), "not a log\n");
    t0
}

#[test]
fn a_kubernetes_node_is_read_by_a_double_star_glob_with_pods_from_the_path() {
    let fw = Fw::new();
    let t0 = pods(fw.dir.path());
    // One argument, as a shell leaves a quoted glob.
    let pattern = format!("{}/var/log/**/*.log", fw.dir.path().display());
    let report = fw.ingest_json(&[Path::new(&pattern)]);
    let files: Vec<&str> = report["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(files.len(), 3, "{report:#}");
    assert!(files.iter().all(|f| f.ends_with("/0.log")), "{files:?}");
    assert_eq!(report["files"][2]["format"], "cri", "{report:#}");
    assert_eq!(report["records"], 6, "{report:#}");

    let checkout = fw.search_json(&["service:checkout"]);
    let mut bodies: Vec<&str> = checkout.iter().map(|h| h["body"].as_str().unwrap()).collect();
    bodies.sort();
    assert_eq!(
        bodies,
        [
            "java.lang.IllegalStateException: pool exhausted\n\tat com.shop.Pool.get(Pool.java:42)",
            "payment declined",
            "server listening on port 8080",
            "slow query"
        ]
    );
    for h in &checkout {
        assert_eq!(attr(h, "k8s.pod.name"), Some("checkout-7d9c8b6f5-x2x9q"), "{h:#}");
        assert_eq!(attr(h, "k8s.namespace.name"), Some("shop"), "{h:#}");
        assert_eq!(attr(h, "k8s.container.name"), Some("app"), "{h:#}");
    }
    // The runtime's time dates each record, to the nanosecond.
    let first = one(&fw, "listening");
    assert_eq!(
        first["timestamp"].as_str().map(|s| s.parse::<DateTime<Utc>>().unwrap()),
        Some(t0 + chrono::Duration::nanoseconds(1_000_000))
    );
    assert_eq!(attr(&first, "log.iostream"), Some("stdout"));
    // JSON inside a CRI line (split in two) is a JSON record.
    let json = one(&fw, "order_id:\"ord-42\"");
    assert_eq!((json["body"].as_str(), json["severity"].as_str()), (Some("payment declined"), Some("error")));
    // logfmt inside a CRI line gives severity, body and attributes.
    let kv = one(&fw, "db.table:orders");
    assert_eq!(
        (kv["severity"].as_str(), attr(&kv, "dur"), attr(&kv, "log.iostream")),
        (Some("warn"), Some("3.2s"), Some("stderr"))
    );
    // A StatefulSet pod is its set; a pod name without generated suffixes is the service as it is.
    let pg = one(&fw, "service:postgres");
    assert_eq!((pg["body"].as_str(), attr(&pg, "k8s.namespace.name")), (Some("checkpoint complete"), Some("db")));
    let example = one(&fw, "k8s.namespace.name:ns");
    assert_eq!(
        (example["service"].as_str(), attr(&example, "k8s.pod.name")),
        (Some("pod-abc12-xyz"), Some("pod-abc12-xyz"))
    );
    for h in fw.search_json(&["kind:log"]) {
        let body = h["body"].as_str().unwrap();
        assert!(![" stdout ", " stderr ", "Z std"].iter().any(|p| body.contains(p)), "a CRI prefix stayed: {body}");
    }
}

#[test]
fn docker_json_file_logs_lose_their_wrapper() {
    let fw = Fw::new();
    let t0 = Utc::now() - chrono::Duration::minutes(30);
    let t = |s: i64| at(t0 + chrono::Duration::seconds(s));
    let id = "4f2a".repeat(16);
    let line = |log: &str, stream: &str, s: i64| {
        serde_json::json!({"log": log, "stream": stream, "time": t(s)}).to_string() + "\n"
    };
    let path = write(
        &fw.dir.path().join(format!("docker/containers/{id}/{id}-json.log")),
        &[
            line("GET /health 200\n", "stdout", 0),
            line("{\"level\":\"info\",\"msg\":\"user login\",\"user\":\"bob\"}\n", "stdout", 1),
            // Docker splits lines over 16 KiB: only the last part ends with a newline.
            line("first half, ", "stderr", 2),
            line("second half\n", "stderr", 2),
            line("ts=2026-01-01T00:00:00Z level=error msg=\"disk full\" mount=/data\n", "stderr", 3),
        ]
        .concat(),
    );
    let report = fw.ingest_json(&[&path]);
    assert_eq!((report["records"].as_u64(), report["files"][0]["format"].as_str()), (Some(4), Some("docker-json")));
    let all = fw.search_json(&["kind:log"]);
    let mut bodies: Vec<&str> = all.iter().map(|h| h["body"].as_str().unwrap()).collect();
    bodies.sort();
    assert_eq!(bodies, ["GET /health 200", "disk full", "first half, second half", "user login"], "{all:#?}");
    let login = one(&fw, "user:\"bob\"");
    assert_eq!((login["severity"].as_str(), attr(&login, "log.iostream")), (Some("info"), Some("stdout")));
    let split = one(&fw, "\"second half\"");
    assert_eq!(attr(&split, "log.iostream"), Some("stderr"));
    // The runtime's time, not the one the line claims.
    let disk = one(&fw, "mount:\"/data\"");
    let time = disk["timestamp"].as_str().map(|s| s.parse::<DateTime<Utc>>().unwrap());
    assert_eq!(time, Some(t0 + chrono::Duration::seconds(3)));
}

#[test]
fn logfmt_pairs_are_searchable_attributes() {
    let fw = Fw::new();
    let now = Utc::now() - chrono::Duration::minutes(5);
    let path = write(
        &fw.dir.path().join("billing.log"),
        &format!(
            "ts={} level=error msg=\"card declined\" customer=c-981 amount=12.50 http.route=/api/pay\n\
             {} INFO login ok user=alice from=10.0.0.7\n",
            at(now),
            at(now + chrono::Duration::seconds(1)),
        ),
    );
    fw.ingest_json(&[&path]);
    let declined = one(&fw, "customer:\"c-981\"");
    assert_eq!((declined["body"].as_str(), declined["severity"].as_str()), (Some("card declined"), Some("error")));
    assert_eq!((attr(&declined, "amount"), attr(&declined, "http.route")), (Some("12.50"), Some("/api/pay")));
    assert_eq!(declined["timestamp"].as_str().map(|s| s.parse::<DateTime<Utc>>().unwrap()), Some(now));
    assert_eq!(one(&fw, "http.route:/api/pay")["id"], declined["id"]);
    // Unquoted, a key without a dot is an attribute too; the same text is still a word of the body elsewhere.
    assert_eq!(one(&fw, "customer:c-981")["id"], declined["id"]);
    assert_eq!(fw.count("customer:c-982"), 0);
    // In prose the pairs are attributes and the line stays the body.
    let login = one(&fw, "user:\"alice\"");
    assert!(login["body"].as_str().is_some_and(|b| b.ends_with("INFO login ok user=alice from=10.0.0.7")), "{login:#}");
    assert_eq!(attr(&login, "from"), Some("10.0.0.7"));
    assert_eq!(fw.count("customer:\"c-982\""), 0);
}

#[test]
fn a_glob_that_matches_nothing_fails_like_a_missing_file() {
    let fw = Fw::new();
    let pattern = format!("{}/var/log/pods/*/*/*.log", fw.dir.path().display());
    let out = fw.run(&["ingest", &pattern]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no file matches"), "{out:?}");
}

#[test]
fn a_collector_file_source_with_a_directory_wildcard_reads_every_pod() {
    let fw = Fw::new();
    pods(fw.dir.path());
    let config = fw.dir.path().join("firewatch.toml");
    let glob = format!("{}/var/log/pods/*/*/*.log", fw.dir.path().display());
    std::fs::write(&config, format!("[[source]]\nkind = \"file\"\npath = \"{glob}\"\n")).unwrap();
    let out = fw.command().arg("--config").arg(&config).args(["collect", "--once"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(fw.count("service:checkout"), 4);
    assert_eq!(fw.count("service:postgres"), 1);
    assert_eq!(fw.count("rotated"), 0);
}

#[test]
fn progress_is_drawn_on_a_terminal_and_not_into_a_pipe() {
    let fw = Fw::new();
    let lines: String = (0..20_000).map(|i| format!("2026-11-20T10:00:00Z INFO request {i} served\n")).collect();
    let path = write(&fw.dir.path().join("big.log"), &lines);
    let out = fw.run(&["ingest", path.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    // A terminal: `script` gives the command one. Stdout (the summary) goes elsewhere; what shows is stderr.
    let Ok(script) = which("script") else {
        eprintln!("no `script` to make a terminal with: the terminal half is not checked");
        return;
    };
    let on_terminal = |flags: &str, data: &str| {
        let cmd = format!(
            "{} {flags} --data-dir {} ingest {} 2>&1 >/dev/null",
            env!("CARGO_BIN_EXE_firewatch"),
            fw.dir.path().join(data).display(),
            path.display()
        );
        let out = std::process::Command::new(&script).args(["-qec", &cmd, "/dev/null"]).env("TZ", "UTC").output();
        String::from_utf8_lossy(&out.unwrap().stdout).into_owned()
    };
    let shown = on_terminal("", "tty-data");
    assert!(shown.contains("records (") && shown.contains("big.log"), "nothing drawn on the terminal: {shown:?}");
    let quiet = on_terminal("-q", "quiet-data");
    assert!(!quiet.contains("records ("), "-q drew progress: {quiet:?}");
}

fn which(name: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .and_then(|p| std::env::split_paths(&p).map(|d| d.join(name)).find(|p| p.is_file()))
        .ok_or(())
}

#[test]
fn a_split_line_whose_end_comes_later_is_stored_once_whole() {
    let fw = Fw::new();
    let t = at(Utc::now() - chrono::Duration::minutes(10));
    let path = fw.dir.path().join("var/log/pods/shop_cart-5d78c9869d-4vq7z_u/cart/0.log");
    write(&path, &format!("{t} stdout F cart ready\n{t} stdout P order ord-77 was \n"));
    fw.ingest_json(&[&path]);
    // Until its end is written, the part there is is stored as it is.
    assert_eq!(one(&fw, "ord-77")["body"], "order ord-77 was ");
    let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    std::io::Write::write_all(&mut f, format!("{t} stdout F charged twice\n").as_bytes()).unwrap();
    let again = fw.ingest_json(&[&path]);
    assert_eq!(again["records"], 1, "{again:#}");
    assert_eq!(one(&fw, "ord-77")["body"], "order ord-77 was charged twice");
    assert_eq!(fw.count("service:cart"), 2);
}
