use std::io::Cursor;

use super::*;

fn ctx() -> TsContext {
    use chrono::TimeZone as _;
    TsContext::utc(Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap())
}

fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

fn numbered(n: usize) -> String {
    (1..=n).map(|i| format!("line {i}\n")).collect()
}

#[test]
fn the_same_files_get_the_same_cache_dir_and_other_or_rewritten_files_another() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("cache");
    let a = write(tmp.path(), "a.log", b"first of a\nsecond\n");
    let b = write(tmp.path(), "b.log", b"first of b\n");
    let dir = cache_dir(&root, std::slice::from_ref(&a)).unwrap();
    assert!(dir.starts_with(&root));
    // The same file, named another way, or grown: the same dir (only the new bytes are read).
    let other_spelling = tmp.path().join(".").join("a.log");
    assert_eq!(cache_dir(&root, &[other_spelling]).unwrap(), dir);
    std::fs::OpenOptions::new().append(true).open(&a).unwrap().write_all(b"third\n").unwrap();
    assert_eq!(cache_dir(&root, std::slice::from_ref(&a)).unwrap(), dir, "a file that grew keeps its dir");
    // Order of the command line does not matter; another set of files is another dir.
    let both = cache_dir(&root, &[a.clone(), b.clone()]).unwrap();
    assert_eq!(cache_dir(&root, &[b.clone(), a.clone()]).unwrap(), both);
    assert_ne!(both, dir);
    assert_ne!(cache_dir(&root, &[b]).unwrap(), dir, "another file");
    // The same path rewritten with another first line (same inode): another dir.
    std::fs::write(&a, b"a new first line\n").unwrap();
    assert_ne!(cache_dir(&root, &[a]).unwrap(), dir, "a rewritten file");
}

#[test]
fn the_manifest_key_is_the_first_line_as_ingest_hashes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let a = write(tmp.path(), "a.log", b"same start\nthen a\n");
    let b = write(tmp.path(), "b.log", b"same start\nthen b, longer\n");
    let c = write(tmp.path(), "c.log", b"another start\n");
    let key = first_line_key(&a).unwrap().unwrap();
    assert_eq!(key, format!("{:016x}", xxhash_rust::xxh3::xxh3_64(b"same start\n")));
    assert_eq!(first_line_key(&b).unwrap().unwrap(), key);
    assert_ne!(first_line_key(&c).unwrap().unwrap(), key);
    assert_eq!(first_line_key(&write(tmp.path(), "empty.log", b"")).unwrap(), None);
    assert_eq!(first_line_key(&write(tmp.path(), "x.gz", &[0x1f, 0x8b, 8, 0])).unwrap(), None);
}

#[test]
fn the_tail_is_the_last_lines_read_backwards_in_blocks() {
    let text = numbered(1000);
    let len = text.len() as u64;
    // Blocks of 64 bytes: many reads, each line split across them somewhere.
    let got = tail_of(&mut Cursor::new(text.as_bytes()), len, 3, 64, 1 << 20).unwrap();
    assert_eq!(got, ["line 998", "line 999", "line 1000"]);
    // More lines asked than the file has: all of them.
    let small = "one\ntwo\n";
    let got = tail_of(&mut Cursor::new(small.as_bytes()), small.len() as u64, 10, 64, 1 << 20).unwrap();
    assert_eq!(got, ["one", "two"], "a file smaller than the block");
}

#[test]
fn a_last_line_without_newline_is_shown_and_crlf_is_dropped() {
    let text = b"alpha\r\nbeta\r\ngamma still being writ";
    let got = tail_of(&mut Cursor::new(&text[..]), text.len() as u64, 2, 4, 1 << 20).unwrap();
    assert_eq!(got, ["beta", "gamma still being writ"]);
}

#[test]
fn an_empty_file_has_no_tail_and_a_very_long_last_line_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(tail_lines(&write(tmp.path(), "empty.log", b""), 10).unwrap().is_empty());
    // A last line of 300 kB, longer than a block: read back whole, clipped for the screen.
    let long = "x".repeat(300_000);
    let p = write(tmp.path(), "long.log", format!("before\n{long}\n").as_bytes());
    let got = tail_lines(&p, 2).unwrap();
    assert_eq!(got.len(), 2, "{:?}", got.iter().map(String::len).collect::<Vec<_>>());
    assert_eq!(got[0], "before");
    assert_eq!(got[1].chars().count(), LINE_CHARS);
    assert!(got[1].chars().all(|c| c == 'x'));
    // A line longer than what a tail reads back: its end, marked as cut.
    let text = format!("head\n{}", "y".repeat(5000));
    let got = tail_of(&mut Cursor::new(text.as_bytes()), text.len() as u64, 3, 512, 1024).unwrap();
    assert_eq!(got.len(), 1);
    assert!(got[0].starts_with('…') && got[0].ends_with('y'), "{}", &got[0][..10]);
}

#[test]
fn several_files_show_their_names_newest_written_last() {
    let tmp = tempfile::tempdir().unwrap();
    let a = write(tmp.path(), "a.log", b"a1\na2\n");
    std::thread::sleep(Duration::from_millis(20));
    let b = write(tmp.path(), "b.log", b"b1\nb2\n");
    assert_eq!(tail(&[b.clone(), a.clone()], 3, &ctx()), ["a.log: a2", "b.log: b1", "b.log: b2"]);
    assert_eq!(display_name(&[a.clone(), b]), "2 files");
    assert_eq!(display_name(&[a]), "a.log");
}

#[test]
fn several_files_are_merged_by_their_lines_times() {
    let tmp = tempfile::tempdir().unwrap();
    let api = write(
        tmp.path(),
        "api.log",
        b"2026-11-23T10:00:01Z INFO a1\n2026-11-23T10:00:04Z ERROR a2\n  at handler.rs:12\n2026-11-23T10:00:06Z INFO a3\n",
    );
    let db = write(tmp.path(), "db.log", b"2026-11-23 10:00:02 WARN d1\n2026-11-23 10:00:05 ERROR d2\n");
    let web = write(tmp.path(), "web.log", b"{\"time\":\"2026-11-23T10:00:03Z\",\"msg\":\"w1\"}\n");
    let want = [
        "api.log: 2026-11-23T10:00:01Z INFO a1",
        "db.log: 2026-11-23 10:00:02 WARN d1",
        "web.log: {\"time\":\"2026-11-23T10:00:03Z\",\"msg\":\"w1\"}",
        "api.log: 2026-11-23T10:00:04Z ERROR a2",
        "api.log:   at handler.rs:12",
        "db.log: 2026-11-23 10:00:05 ERROR d2",
        "api.log: 2026-11-23T10:00:06Z INFO a3",
    ];
    assert_eq!(tail(&[api.clone(), db.clone(), web.clone()], 10, &ctx()), want);
    assert_eq!(tail(&[web, db, api], 2, &ctx()), want[5..]);
}

#[test]
fn missing_and_unreadable_paths_are_errors_before_anything_starts() {
    let tmp = tempfile::tempdir().unwrap();
    let e = resolve(&[tmp.path().join("nope.log")]).unwrap_err();
    assert!(e.to_string().contains("nope.log: no such file"), "{e}");
    let e = resolve(&[tmp.path().join("*.nothing")]).unwrap_err();
    assert!(e.to_string().contains("no file matches"), "{e}");
    let empty = tmp.path().join("empty-dir");
    std::fs::create_dir(&empty).unwrap();
    assert!(matches!(resolve(&[empty]), Err(OpenError::Nothing(_))));
    let a = write(tmp.path(), "a.log", b"x\n");
    assert_eq!(resolve(&[tmp.path().join("*.log")]).unwrap(), [a]);
}

#[test]
fn progress_says_how_much_a_search_covers() {
    let mut p = OpenProgress {
        name: "app.log".into(),
        bytes_done: 380_000_000,
        bytes_total: 1_000_000_000,
        records: 1_200_000,
        commit: 3,
        indexing: true,
    };
    assert_eq!(p.percent(), 38);
    assert_eq!(p.coverage_text(), "searching 38% of app.log (1.2 M of ~3.2 M records) - indexing");
    assert_eq!(p.status_text(), "indexing app.log: 380.0 MB of 1.0 GB (38%), 1.2 M records");
    // Just short of the end is not all of it.
    p.bytes_done = p.bytes_total - 1;
    assert_eq!(p.percent(), 99);
    p.bytes_done = p.bytes_total;
    p.indexing = false;
    p.records = 3_160_000;
    assert_eq!(p.coverage_text(), "searching all of app.log (3.2 M records)");
    assert_eq!(p.status_text(), "app.log: 1.0 GB indexed, 3.2 M records");
    let none = OpenProgress { name: "x.log".into(), bytes_total: 5000, indexing: true, ..Default::default() };
    assert_eq!(none.coverage_text(), "searching 0% of x.log (0 records) - indexing");
    assert_eq!((bytes(950), count(12_345)), ("950 B".to_string(), "12.3 k".to_string()));
}
