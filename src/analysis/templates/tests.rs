//! Unit tests of masking, generalisation and the miner.

use super::super::generalise::{generalize, glob_match};
use super::super::masking::mask_token;
use super::*;

fn mask(tok: &str) -> String {
    let mut out = String::new();
    mask_token(tok, &mut out, true);
    out
}

fn miner() -> TemplateMiner {
    TemplateMiner::new(MinerConfig::default())
}

/// Adds the lines; returns their canonical ids (after all of them are in).
fn mine(m: &mut TemplateMiner, lines: &[&str]) -> Vec<u32> {
    let ids: Vec<u32> = lines.iter().map(|l| m.add(l)).collect();
    ids.into_iter().map(|id| m.canonical(id)).collect()
}

#[test]
fn masks_numbers_but_keeps_words() {
    assert_eq!(mask("42"), "<*>");
    assert_eq!(mask("42),"), "<*>),");
    assert_eq!(mask("=-1"), "=<*>");
    assert_eq!(mask("(-24.0,"), "(<*>.<*>,");
    assert_eq!(mask("0.023958297"), "<*>.<*>");
    assert_eq!(mask("2017-07-03"), "<*>-<*>-<*>");
    assert_eq!(mask("07:07:00"), "<*>:<*>:<*>");
    assert_eq!(mask("CPU#0"), "CPU#<*>");
    assert_eq!(mask("x[0]=317.0"), "x[<*>]=<*>.<*>");
    // Durations and sizes keep their unit.
    assert_eq!(mask("5ms"), "<*>ms");
    assert_eq!(mask("2.5s"), "<*>.<*>s");
    // Words with a digit, dotted names and plain words are constants until they vary.
    for keep in ["Failed", "workers2", "ee0", "com.apple.xpc", "tr.intent:Intent", "node-D", "mapred.job.id"] {
        assert_eq!(mask(keep), keep);
    }
    assert_eq!(mask("node-246"), "node-<*>");
    assert_eq!(mask("v1.0.6"), "v<*>.<*>.<*>");
}

#[test]
fn masks_hex_and_ids() {
    assert_eq!(mask("0x1feaa260"), "<*>");
    assert_eq!(mask("mask=ffffffff"), "mask=<*>");
    assert_eq!(mask("ActivityRecord{d1c8e63"), "ActivityRecord{<*>");
    assert_eq!(mask("blk_-6952295868487656571"), "blk_<*>");
    assert_eq!(mask("blk_38865049064139660"), "blk_<*>");
    assert_eq!(mask("attempt_1445144423722_0020_m_000000_0"), "attempt_<*>");
    assert_eq!(mask("'attempt_201706092018_0024_m_000003_1012'"), "'attempt_<*>'");
    assert_eq!(mask("rdd_2_0"), "rdd_<*>");
    // A multi-word name keeps its shape; only the numbers go.
    assert_eq!(mask("[DFSClient_NONMAPREDUCE_1537864556_1]"), "[DFSClient_NONMAPREDUCE_<*>_<*>]");
    assert_eq!(mask("30546173_4261722401"), "<*>_<*>");
    assert_eq!(mask("76FE6715-3D27-4F21-AA35-C88C1EA820E8"), "<*>-<*>-<*>-<*>-<*>");
    assert_eq!(mask("[10D2E324-788C-30CC-A749-55AE67AEC7BC]:"), "[<*>-<*>-<*>-<*>-<*>]:");
}

#[test]
fn masks_addresses_hosts_paths_urls() {
    assert_eq!(mask("10.251.73.220:50010"), "<*>:<*>");
    assert_eq!(mask("/10.251.42.84"), "/<*>");
    assert_eq!(mask("[173.234.31.186]"), "[<*>]");
    assert_eq!(mask("rhost=218.188.2.4"), "rhost=<*>");
    assert_eq!(mask("2607:f140:6000:8:c6b3:1ff:fecd:467f"), "<*>");
    assert_eq!(mask("(FE80:0000:0000:0000:C6B3:01FF:FECD:467F)"), "(<*>)");
    assert_eq!(mask("fe80::1"), "<*>");
    assert_eq!(mask("5c:50:15:36:bc:03"), "<*>");
    assert_eq!(mask("msra-sa-41:9000"), "<*>:<*>");
    assert_eq!(mask("msra-sa-41/10.190.173.170:9000"), "<*>/<*>:<*>");
    assert_eq!(mask("(24-54-76-216.bflony.adelphia.net)"), "(<*>)");
    // Domain names, with or without a port, but not reverse-DNS names.
    assert_eq!(mask("ns.marryaldkfaczcz.com"), "<*>");
    assert_eq!(mask("www.example.edu.hk:5070"), "<*>:<*>");
    assert_eq!(mask("qq.com:80"), "<*>:<*>");
    assert_eq!(mask("com.tencent.mm"), "com.tencent.mm");
    assert_eq!(mask("/etc/httpd/conf/workers2.properties"), "<*>");
    assert_eq!(mask("/mnt/hadoop/dfs/data/current/subdir5/blk_-178"), "/<*>/blk_<*>");
    // A last component that is only an id is no name worth keeping.
    assert_eq!(mask("/v2/54fadb41/servers/3edec1e4-9678-4a3a-a21b-a145a4ee5e61"), "<*>");
    assert_eq!(mask("chdir(/p/gb2/glosli/8M_5000K/t800)"), "chdir(<*>)");
    assert_eq!(mask("C:\\Windows\\servicing\\sqm\\*_std.sqm,"), "<*>,");
    assert_eq!(mask("hdfs://10.10.34.11:9000/pjhe/logs/2kSOSP.log:21876+7292"), "hdfs://<*>");
    assert_eq!(mask(":[akka.tcp://sparkExecutorActorSystem@mesos-slave-07:55904]"), ":[akka.tcp://<*>]");
    // Not addresses: times, versions, single path components.
    assert_eq!(mask("/default-rack"), "/default-rack");
    assert_eq!(mask("1.2.3.4.5"), "<*>.<*>.<*>.<*>.<*>");
    assert_eq!(mask("DAVEngineImpl.cpp:1400:Close"), "DAVEngineImpl.cpp:<*>:Close");
}

#[test]
fn generalizes_keeping_structure() {
    let g = |a: &str, b: &str| {
        let mut out = String::new();
        generalize(a, b, &mut out);
        out
    };
    assert_eq!(g("name=com.android.systemui,", "name=com.tencent.mm,"), "name=<*>,");
    assert_eq!(g("tag=\"RILJ_ACK_WL\",", "tag=\"*launch*\","), "tag=\"<*>\",");
    assert_eq!(g("steps=<*>##<*>##<*>", "steps=<*>##<*>"), "steps=<*>");
    assert_eq!(g("storage234", "storage12"), "storage<*>");
    assert_eq!(g("(host.example.net)", "(<*>)"), "(<*>)");
    assert_eq!(g("com.apple.icloud.fmfd.heartbeat:", "com.apple.xpc.launchd:"), "com.apple.<*>:");
    assert_eq!(g("Package_for_KB3121255~<*>,", "Package_for_KB2999226~<*>,"), "Package_for_KB<*>~<*>,");
    assert_eq!(g("Package_for_KB<*>~<*>,", "Package_2_for_KB2999226~<*>,"), "<*>~<*>,");
    assert_eq!(g("<*>.<*>", "<*>"), "<*>");
    assert_eq!(g("abc", "xyz"), "<*>");
    assert_eq!(generalize_unit("<*> bytes", "<*> bytes (<*>.<*> KB)", true), "<*>");
    assert_eq!(generalize_unit("<*>.<*> KB,", "<*>.<*> B,", true), "<*>.<*> <*>,");
    assert_eq!(generalize_unit("tag=\"View Lock\",", "tag=\"RILJ\",", false), "tag=\"<*>\",");
    for (p, t, want) in [
        ("<*>", "", true),
        ("(<*>)", "()", true),
        ("(<*>)", "(a b)", true),
        ("a<*>b<*>c", "aXbYbc", true),
        ("a<*>b<*>c", "abc", true),
        ("a<*>b", "ab", true),
        ("a<*>b", "a", false),
        ("ab", "abc", false),
        ("<*>:<*>", "10", false),
    ] {
        assert_eq!(glob_match(p, t), want, "{p} vs {t}");
    }
}

#[test]
fn same_template_joins_one_event() {
    let mut m = miner();
    let a = m.add("Received block blk_3587508140051953248 of size 67108864 from /10.251.42.84");
    let b = m.add("Received block blk_-5140072410813878235 of size 3543 from /10.250.18.114");
    assert_eq!(a, b);
    assert_eq!(m.template(a), "Received block blk_<*> of size <*> from /<*>");
    assert_eq!(m.count(a), 2);
}

#[test]
fn a_word_position_becomes_a_variable_once_it_shows_enough_values() {
    let mut m = miner();
    let k = MinerConfig::default().merge_words;
    let users = ["cyrus", "news", "test", "root", "alice", "bob"];
    let lines: Vec<String> = users.iter().map(|u| format!("session opened for user {u} by (uid=0)")).collect();
    let first: Vec<u32> = lines.iter().map(|l| m.add(l)).collect();
    // Until then, each word is an event of its own (a constant such as `user=guest` stays one).
    assert_eq!(first[..k - 1].iter().collect::<std::collections::HashSet<_>>().len(), k - 1);
    // Then they are one event; the ids given out earlier name it too, and keep working.
    let canon: Vec<u32> = first.iter().map(|&id| m.canonical(id)).collect();
    assert!(canon.iter().all(|&c| c == canon[0]), "{canon:?}");
    assert_eq!(canon[0], first[0], "the oldest id names the merged event");
    for &id in &first {
        assert_eq!(m.template(id), "session opened for user <*> by (uid=<*>)");
        assert_eq!(m.count(id), users.len() as u64);
    }
    assert_eq!(m.add("session opened for user zed by (uid=0)"), first[0]);
    assert_eq!(m.aliases(first[2]), (0..k as u32).collect::<Vec<_>>());
    assert_eq!(m.templates().len(), 1);
    assert_eq!(m.len(), k, "one id per value until the merge");
}

#[test]
fn state_words_and_request_methods_never_merge() {
    let mut m = miner();
    let mut lines = Vec::new();
    for (i, state) in ["Started", "Paused", "Resumed", "Stopped", "Started", "Paused"].iter().enumerate() {
        lines.push(format!("[instance: 3edec1e4-9678-4a3a-a21b-a145a4ee{i:04}] VM {state} (Lifecycle Event)"));
    }
    for method in ["GET", "POST", "DELETE", "PUT", "GET", "HEAD"] {
        lines.push(format!(
            "10.11.10.1 \"{method} /v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail HTTP/1.1\" status: 200 len: 1893 time: 0.2477829"
        ));
    }
    for state in ["up", "down", "up", "down", "enabled", "disabled", "on", "off"] {
        lines.push(format!("Link {state} on eth0"));
    }
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let ids = mine(&mut m, &refs);
    assert_eq!(ids[0], ids[4]);
    assert_eq!(ids.iter().take(6).collect::<std::collections::HashSet<_>>().len(), 4);
    assert_eq!(ids[6], ids[10]);
    assert_eq!(ids[6..12].iter().collect::<std::collections::HashSet<_>>().len(), 5);
    assert_eq!(m.template(ids[6]), "<*> \"GET <*> HTTP/<*>.<*>\" status: <*> len: <*> time: <*>.<*>");
    assert_eq!(ids[12..].iter().collect::<std::collections::HashSet<_>>().len(), 6);
}

#[test]
fn optional_parts_and_units_are_one_value() {
    let mut m = miner();
    let ids = mine(
        &mut m,
        &[
            "www.google.com:443 close, 0 bytes sent, 0 bytes received, lifetime <1 sec",
            "play.google.com:443 close, 1190 bytes (1.16 KB) sent, 1671 bytes (1.63 KB) received, lifetime 00:02",
            "mail.example.org:443 close, 403 bytes sent, 12053 bytes (11.7 KB) received, lifetime 01:05",
            "proxy.example.edu.hk:5070 open through proxy proxy.example.edu.hk:5070 HTTPS",
            "Block broadcast_9_piece0 stored as bytes in memory (estimated size 5.2 KB, free 5.2 KB)",
            "Block rdd_2_2 stored as bytes in memory (estimated size 850.0 B, free 320.3 KB)",
            "Took 19.84 seconds to spawn the instance on the hypervisor.",
            "Took 3 seconds to spawn the instance on the hypervisor.",
        ],
    );
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[0], ids[2]);
    assert_eq!(m.template(ids[0]), "<*>:<*> close, <*> sent, <*> received, lifetime <*>");
    assert_ne!(ids[0], ids[3]);
    assert_eq!(ids[4], ids[5]);
    assert_eq!(m.template(ids[4]), "Block <*> stored as bytes in memory (estimated size <*>.<*> <*>, free <*>.<*> KB)");
    assert_eq!(ids[6], ids[7]);
    // A unit that does not change stays in the template.
    assert_eq!(m.template(ids[6]), "Took <*> seconds to spawn the instance on the hypervisor.");
}

#[test]
fn lists_of_any_length_are_one_value() {
    let mut m = miner();
    let ids = mine(
        &mut m,
        &[
            "en0: Supported channels 1 2 3 4 5 6 7 8 9 10 11 12 13 36 40 44 48",
            "en0: Supported channels 1 2 3 4 5 6 7 8 9 10 11",
            "setTodayTotalDetailSteps=1514038440000##7007##548365##8661##12361##27173954",
            "setTodayTotalDetailSteps=1514038440000##7007##548365##8661",
            "connection from 24.54.76.216 (24-54-76-216.bflony.adelphia.net) at Fri Jun 17 07:07:00 2005",
            "connection from 220.94.205.45 () at Sat Jul 18 02:23:10 2005",
            "timer fired after t=5 ms",
            "timer fired after t=5.25 ms",
        ],
    );
    assert_eq!(ids[0], ids[1]);
    assert_eq!(m.template(ids[0]), "en0: Supported channels <*>");
    assert_eq!(ids[2], ids[3]);
    assert_eq!(m.template(ids[2]), "setTodayTotalDetailSteps=<*>");
    assert_eq!(ids[4], ids[5]);
    assert_eq!(ids[6], ids[7]);
}

#[test]
fn variable_first_token_still_joins() {
    let mut m = miner();
    let ids = mine(&mut m, &[
        "com.apple.icloud.fmfd.heartbeat: scheduler_evaluate_activity told me to run this job; however, but the start time isn't for 439034 seconds.  Ignoring.",
        "com.apple.xpc.activity.stats: scheduler_evaluate_activity told me to run this job; however, but the start time isn't for 12 seconds.  Ignoring.",
        "Failed password for root from 5.36.59.76 port 42393 ssh2",
        "Accepted password for root from 5.36.59.76 port 42393 ssh2",
    ]);
    assert_eq!(ids[0], ids[1]);
    assert!(m.template(ids[0]).starts_with("com.apple.<*>: scheduler_evaluate_activity"), "{}", m.template(ids[0]));
    // But a different leading word is a different event, even if the rest agrees.
    assert_ne!(ids[2], ids[3]);
}

#[test]
fn different_lengths_flags_and_layout_make_new_events() {
    let mut m = miner();
    let a = m.add("Invalid user webmaster from 173.234.31.186");
    let b = m.add("Invalid user webmaster from 173.234.31.186 port 22");
    assert_ne!(a, b);
    assert_eq!(m.template(a), "Invalid user webmaster from <*>");
    // Flags, enum-like words and layout tokens never generalize.
    let t = m.add("updateClipping isOverlap:true, getTopPadding=333.0, Translation=-529.0");
    let f = m.add("updateClipping isOverlap:false, getTopPadding=333.0, Translation=-24.0");
    assert_ne!(t, f);
    let x = m.add("attempt_1445144423722_0020_m_000000_0 TaskAttempt Transitioned from NEW to UNASSIGNED");
    let y = m.add("attempt_1445144423722_0020_m_000001_0 TaskAttempt Transitioned from UNASSIGNED to ASSIGNED");
    assert_ne!(x, y);
    let p = m.add("Fan speeds ( 3552 3534 3375 **** 3515 3479 )");
    let q = m.add("Fan speeds ( 3552 3534 3375 4245 3515 3479 )");
    assert_ne!(p, q);
    assert_eq!(m.template(q), "Fan speeds ( <*> <*> <*> <*> <*> <*> )");
    assert_eq!(m.templates().len(), 8);
    assert_eq!(m.templates().iter().map(|t| t.2).sum::<u64>(), 8);
}

#[test]
fn quoted_value_is_one_token() {
    let mut m = miner();
    let ids = mine(
        &mut m,
        &[
            r#"acquire lock=233570404, flags=0x1, tag="View Lock", name=com.android.systemui, ws=null, uid=10037, pid=2227"#,
            r#"acquire lock=2, flags=0x1, tag="RILJ_ACK_WL", name=com.android.phone, ws=null, uid=1001, pid=2"#,
        ],
    );
    assert_eq!(ids[0], ids[1]);
    assert_eq!(m.template(ids[0]), r#"acquire lock=<*>, flags=<*>, tag="<*>", name=<*>, ws=null, uid=<*>, pid=<*>"#);
}

#[test]
fn generalized_timestamp_renders_as_one_variable() {
    let lines = [
        "connection from 24.54.76.216 (24-54-76-216.bflony.adelphia.net) at Fri Jun 17 07:07:00 2005",
        "connection from 220.94.205.45 () at Sat Jul 18 02:23:10 2005",
    ];
    for (collapse, want) in [
        (true, "connection from <*> (<*>) at <*>:<*>:<*>"),
        (false, "connection from <*> (<*>) at <*> <*> <*> <*>:<*>:<*> <*>"),
    ] {
        let mut m = TemplateMiner::new(MinerConfig { collapse_variables: collapse, ..MinerConfig::default() });
        let ids = mine(&mut m, &lines);
        assert_eq!(ids[0], ids[1]);
        assert_eq!(m.template(ids[0]), want);
    }
    // Runs of plain numbers stay apart.
    let mut m = miner();
    let id = m.add("mod_jk child init 1 -2");
    assert_eq!(m.template(id), "mod_jk child init <*> <*>");
}

#[test]
fn short_lines_merge_only_on_value_like_tokens() {
    let mut m = miner();
    let a = m.add("disk sda1 failed");
    let b = m.add("disk sdb12 failed");
    assert_eq!(m.canonical(a), m.canonical(b));
    assert_eq!(m.template(a), "disk <*> failed");
    let up = m.add("Link error");
    let ok = m.add("Link ok");
    assert_ne!(up, ok);
    let x = m.add("received broadcast android.intent.action.TIME_TICK");
    let y = m.add("received broadcast android.intent.action.SCREEN_ON");
    assert_eq!(m.canonical(x), m.canonical(y));
}

#[test]
fn saved_form_round_trips_and_keeps_ids() {
    let mut m = miner();
    let users = ["cyrus", "news", "test", "root"];
    let mut lines: Vec<String> = users.iter().map(|u| format!("session opened for user {u} by (uid=0)")).collect();
    lines.push("Received block blk_1 of size 3 from /10.0.0.1".into());
    lines.push("disk sda1 failed".into());
    let ids: Vec<u32> = lines.iter().map(|l| m.add(l)).collect();
    let json = serde_json::to_string(&m).unwrap();
    let mut back: TemplateMiner = serde_json::from_str(&json).unwrap();
    assert_eq!(back.templates(), m.templates());
    for &id in &ids {
        assert_eq!(back.canonical(id), m.canonical(id));
        assert_eq!(back.template(id), m.template(id));
    }
    // It goes on as the original would.
    for l in
        ["session opened for user zed by (uid=0)", "disk sdb7 failed", "Received block blk_9 of size 1 from /10.0.0.2"]
    {
        assert_eq!(back.add(l), m.add(l));
    }
    assert_eq!(serde_json::to_value(&back).unwrap(), serde_json::to_value(&m).unwrap());
    // Damage is an error, not a panic later.
    let bad = json.replacen("\"parent\":0", "\"parent\":99", 1);
    assert!(serde_json::from_str::<TemplateMiner>(&bad).is_err());
    assert!(serde_json::from_str::<TemplateMiner>(&json.replacen("\"version\":2", "\"version\":3", 1)).is_err());
}

/// Written by the version 1 miner (Drain-style, one template per cluster) after five lines.
const V1: &str = r#"{"cfg":{"similarity_threshold":0.8,"fallback_threshold":0.85,"depth":2,"max_children":100,"max_scan":512,"max_tokens":256,"max_token_len":512,"max_clusters":200000,"bare_var_weight":0.5,"collapse_variables":true},"syms":{"map":{"bob":13,"hit":6,"<*>":0,"alice":10,"declined":2,"logged":11,"ratio":7,"in":12,"user":9,"cache":5,"payment":1,"order":4,"<*>%":8,"for":3},"text":["<*>","payment","declined","for","order","cache","hit","ratio","<*>%","user","alice","logged","in","bob"],"meta":[{"var":true,"hard":false,"keyable":false,"plain":false,"named":false,"numbered":false},{"var":false,"hard":false,"keyable":true,"plain":true,"named":false,"numbered":false},{"var":false,"hard":false,"keyable":true,"plain":true,"named":false,"numbered":false},{"var":false,"hard":false,"keyable":true,"plain":true,"named":false,"numbered":false},{"var":false,"hard":false,"keyable":true,"plain":true,"named":false,"numbered":false},{"var":false,"hard":false,"keyable":true,"plain":true,"named":false,"numbered":false},{"var":false,"hard":false,"keyable":true,"plain":true,"named":false,"numbered":false},{"var":false,"hard":false,"keyable":true,"plain":true,"named":false,"numbered":false},{"var":true,"hard":false,"keyable":false,"plain":false,"named":false,"numbered":false},{"var":false,"hard":false,"keyable":true,"plain":true,"named":false,"numbered":false},{"var":false,"hard":false,"keyable":true,"plain":true,"named":false,"numbered":false},{"var":false,"hard":false,"keyable":true,"plain":true,"named":false,"numbered":false},{"var":false,"hard":false,"keyable":true,"plain":true,"named":false,"numbered":false},{"var":false,"hard":false,"keyable":true,"plain":true,"named":false,"numbered":false}]},"clusters":[{"tokens":[1,0,2,3,4,0],"count":2},{"tokens":[5,6,7,8],"count":1},{"tokens":[9,10,11,12],"count":1},{"tokens":[9,13,11,12],"count":1}],"nodes":[{"children":{"1":1},"wild":null,"clusters":[]},{"children":{},"wild":2,"clusters":[]},{"children":{},"wild":null,"clusters":[0]},{"children":{"5":4,"9":6},"wild":null,"clusters":[]},{"children":{"6":5},"wild":null,"clusters":[]},{"children":{},"wild":null,"clusters":[1]},{"children":{"13":8,"10":7},"wild":null,"clusters":[]},{"children":{},"wild":null,"clusters":[2]},{"children":{},"wild":null,"clusters":[3]}],"roots":{"4":3,"6":0},"by_len":{"4":[1,2,3],"6":[0]},"overflow":{}}"#;

#[test]
fn reads_the_version_1_miner_keeping_its_ids() {
    let mut m: TemplateMiner = serde_json::from_str(V1).unwrap();
    assert_eq!(m.len(), 4);
    assert_eq!(m.template(0), "payment <*> declined for order <*>");
    assert_eq!(m.count(0), 2);
    assert_eq!(m.template(1), "cache hit ratio <*>%");
    assert_eq!(m.template(2), "user alice logged in");
    assert_eq!(m.template(3), "user bob logged in");
    assert_eq!(m.templates().iter().map(|t| t.2).sum::<u64>(), 5);
    assert_eq!(m.add("payment 7 declined for order 8"), 0);
    assert_eq!(m.add("cache hit ratio 12%"), 1);
}

#[test]
fn odd_input_does_not_panic() {
    let mut m = miner();
    let e1 = m.add("");
    let e2 = m.add("   \t ");
    assert_eq!(e1, e2);
    assert_eq!(m.template(e1), "");

    let p = m.add("!!! ??? ... ---> |");
    assert_eq!(m.template(p), "!!! ??? ... ---> |");

    for s in [
        "é ü 日本語 ①② x=é1",
        "ключ=значение1 ключ=значение2",
        "é_1 _é_2 ü-3 ①:② 日本.語/テスト",
        "\u{0}\u{7f}\u{feff}",
    ] {
        let id = m.add(s);
        assert!(!m.template(id).is_empty());
    }
    let u = m.add("ServerFileSystem domain storageé1 is full");
    let v = m.add("ServerFileSystem domain storageé22 is full");
    assert_eq!(m.canonical(u), m.canonical(v));
    assert_eq!(m.template(u), "ServerFileSystem domain storageé<*> is full");

    for s in [
        "tag=\"never closed",
        "\"",
        "=\"",
        "a \" b",
        "<*> <*><*>",
        "::::::",
        "0x",
        "blk_",
        "blk_-",
        "-",
        "/",
        "//",
        "\\\\?\\",
        "a:/b",
        "1.2.3.",
        "::1",
        "ab:cd:ef:01:23:45:",
        "()",
        "() ()",
        "<1",
        "KB",
        "Fri",
        "Fri Jun",
        "x.xml",
        "<*>.xml",
        "a=<*>##",
        "<*",
        "\u{b}",
        "a\u{b}b \u{b}\u{c}",
    ] {
        let id = m.add(s);
        let _ = m.template(id);
    }

    let huge_token = "x".repeat(1 << 20);
    let id = m.add(&huge_token);
    assert_eq!(m.template(id), "<*>");
    let many = "word ".repeat(100_000);
    let id = m.add(&many);
    let t = m.template(id);
    assert_eq!(t.split(' ').count(), MinerConfig::default().max_tokens);
    assert!(t.ends_with("word <*>"));
    assert_eq!(m.template(u32::MAX), "");
    assert_eq!(m.count(u32::MAX), 0);
    assert_eq!(m.canonical(u32::MAX), u32::MAX);
}

#[test]
fn random_input_does_not_panic() {
    // Tiny LCG instead of a dependency; the alphabet is biased towards the characters the
    // masking rules look at.
    let alphabet: Vec<char> = "aZ09_-.:/\\=\"'()[]{}<>*@#,;+x fé日①\tKBmsFri".chars().collect();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    let mut m = TemplateMiner::new(MinerConfig { max_clusters: 500, ..MinerConfig::default() });
    let mut total = 0;
    for _ in 0..5_000 {
        let len = next() % 60;
        let line: String = (0..len).map(|_| alphabet[next() % alphabet.len()]).collect();
        let id = m.add(&line);
        total += 1;
        assert!(m.count(id) >= 1);
        let _ = m.template(id);
    }
    assert_eq!(m.templates().iter().map(|t| t.2).sum::<u64>(), total);
    let back: TemplateMiner = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
    assert_eq!(back.templates(), m.templates());
}

#[test]
fn event_count_is_bounded() {
    let cfg = MinerConfig { max_clusters: 3, ..MinerConfig::default() };
    let mut m = TemplateMiner::new(cfg);
    for i in 0..200 {
        let words = ["alpha", "beta", "gamma", "delta", "epsilon"];
        m.add(&format!("{} {} x{} {}", words[i % 5], words[(i / 5) % 5], i, if i % 2 == 0 { "true" } else { "false" }));
        m.add(&format!("{} only", words[i % 5]));
    }
    // Three regular events plus at most one catch-all per length seen.
    assert!(m.len() <= 3 + 2, "{:?}", m.templates());
    assert_eq!(m.templates().iter().map(|t| t.2).sum::<u64>(), 400);
}

/// The timestamp fast path writes what the general matchers write, for every fraction length, with and
/// without the zone, and leaves every near miss to them.
#[test]
fn masks_timestamps_as_the_general_path_does() {
    use super::super::masking::mask_general;
    let general = |tok: &str| {
        let mut out = String::new();
        mask_general(tok, &mut out, true);
        out
    };
    let mut cases = vec![
        "2025-11-20T00:53:20".to_string(),
        "2025-11-20T00:53:20Z".to_string(),
        "2025-11-20T00:53:20.Z".to_string(),
        "2025-11-20T00:53:20.1234567890Z".to_string(),
        "2025-11-20T00:53:20+01:00".to_string(),
        "2025-11-20T00:53:20.5Z,".to_string(),
        "2025-11-20t00:53:20Z".to_string(),
        "2025-11-20T00:53:2".to_string(),
        "12025-11-20T00:53:20Z".to_string(),
    ];
    for digits in 1..=9 {
        cases.push(format!("1999-01-31T23:59:59.{}Z", "7".repeat(digits)));
        cases.push(format!("1999-01-31T23:59:59.{}", "0".repeat(digits)));
    }
    for tok in &cases {
        assert_eq!(mask(tok), general(tok), "{tok}");
    }
    assert_eq!(mask("2025-11-20T00:53:20.000Z"), "<*>-<*>-<*>T<*>:<*>:<*>.<*>Z");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
    /// The plain-value fast path writes what the general matchers write: numbers, IPv4 addresses (any
    /// digits) and hex ids, alone or after keys of letters and `_` (hex-letter keys included), after a word and
    /// a `-` or `:` (hex-letter words included), and their near misses (five groups, a trailing dot, a short hex
    /// run, a key with a digit or a dot, a word with a digit or `_`, other separators).
    #[test]
    fn masks_plain_values_as_the_general_path_does(
        key in proptest::prop_oneof!["[a-zA-Z_]{0,10}", "[a-fA-F_]{0,12}", "[a-z][a-z0-9._-]{0,6}"],
        value in proptest::prop_oneof![
            "[0-9]{1,12}",
            "[0-9]{1,4}(\\.[0-9]{1,4}){2,4}\\.?",
            "[0-9a-fA-F]{1,40}",
            "[0-9a-f]{8}-[0-9a-f]{4}",
        ],
        prefix in proptest::prop_oneof!["", "[a-zA-Z]{1,9}[-:]", "[a-fA-F]{1,9}[-:]", "[g-z_0-9]{1,4}[-:_.]"],
        eq in proptest::bool::ANY,
    ) {
        use super::super::masking::mask_general;
        let tok = if eq { format!("{key}={prefix}{value}") } else { format!("{prefix}{value}") };
        let mut general = String::new();
        mask_general(&tok, &mut general, true);
        proptest::prop_assert_eq!(mask(&tok), general, "{:?}", tok);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(500))]
    /// The memo writes what `mask_token` writes, whatever came before in the line and in the memo: tokens of small
    /// vocabularies (so most are repeated and remembered), unique ids, and any printable text, longer than the
    /// memo keeps too.
    #[test]
    fn the_memo_masks_as_mask_token_does(
        toks in proptest::collection::vec(
            proptest::prop_oneof![
                "/api/[a-c]{1,2}/[a-c0-2]{1,2}",
                "\\[[a-b]{2}-[a-c]{1,2}-[0-3]\\]",
                "[a-c]{1,2}=[a-c]{1,2}-[0-9a-f]{1,12}",
                "[a-c0-2.:/=-]{1,6}",
                "[ -~]{0,90}",
            ],
            1..400,
        ),
    ) {
        let mut memo = super::super::memo::MaskMemo::default();
        for tok in &toks {
            let mut out = String::from("before ");
            memo.mask(tok, &mut out);
            proptest::prop_assert_eq!(out, format!("before {}", mask(tok)), "{:?}", tok);
        }
    }
}

/// A token is remembered once seen twice, then its masking is read back: the memo is in use, not bypassed.
#[test]
fn the_memo_remembers_a_token_seen_twice() {
    let mut memo = super::super::memo::MaskMemo::default();
    let mut outs = Vec::new();
    for _ in 0..4 {
        let mut out = String::new();
        memo.mask("/api/users/42", &mut out);
        outs.push(out);
    }
    assert_eq!(memo.hits, 2);
    assert!(outs.iter().all(|o| *o == mask("/api/users/42")), "{outs:?}");
    // A unique id each time is never remembered.
    for i in 0..100 {
        memo.mask(&format!("req=req-{i:012x}"), &mut String::new());
    }
    assert_eq!(memo.hits, 2);
}
