//! Unit tests of the redactor as a whole: known values, near misses, stability, speed.

use super::*;

fn all() -> RedactConfig {
    RedactConfig { ips: true, hostnames: true, emails: true }
}

fn red(text: &str) -> String {
    Redactor::new(RedactConfig::default()).redact(text)
}

/// (input, secrets that must disappear, expected output or "" to skip the exact check)
const POSITIVES: &[(&str, &[&str], &str)] = &[
    (
        "aws: using key AKIAIOSFODNN7EXAMPLE for s3",
        &["AKIAIOSFODNN7EXAMPLE"],
        "aws: using key [AWS_KEY_1] for s3",
    ),
    ("sts creds ASIAY34FZKBOKMUTVV7A expired", &["ASIAY34FZKBOKMUTVV7A"], "sts creds [AWS_KEY_1] expired"),
    (
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        &["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
        "aws_secret_access_key = [AWS_KEY_1]",
    ),
    (
        "git clone failed with token 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",
        &["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"],
        "git clone failed with token [TOKEN_1]",
    ),
    (
        "GITHUB_TOKEN=github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123",
        &["github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123"],
        "GITHUB_TOKEN=[TOKEN_1]",
    ),
    (
        "slack notify error token=xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp channel=#ops",
        &["xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp"],
        "slack notify error token=[TOKEN_1] channel=#ops",
    ),
    (
        "stripe charge failed key sk_live_51HqLyjWDarjtT1zdp7dc",
        &["sk_live_51HqLyjWDarjtT1zdp7dc"],
        "stripe charge failed key [TOKEN_1]",
    ),
    (
        "maps: https://maps.googleapis.com/maps/api?key=AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI",
        &["AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI"],
        "maps: https://maps.googleapis.com/maps/api?key=[TOKEN_1]",
    ),
    (
        "GET /api/v1/orders Authorization: Bearer abcDEF123456ghiJKL789 status=401",
        &["abcDEF123456ghiJKL789"],
        "GET /api/v1/orders Authorization: Bearer [TOKEN_1] status=401",
    ),
    (
        "proxy sent Authorization: Basic dXNlcjpodW50ZXIy to upstream",
        &["dXNlcjpodW50ZXIy"],
        "proxy sent Authorization: Basic [TOKEN_1] to upstream",
    ),
    (
        "curl -H 'Bearer 9f8e7d6c5b4a39281706' https://api",
        &["9f8e7d6c5b4a39281706"],
        "curl -H 'Bearer [TOKEN_1]' https://api",
    ),
    (
        "jwt rejected: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U sig mismatch",
        &["eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"],
        "jwt rejected: [JWT_1] sig mismatch",
    ),
    (
        "connecting to postgres://orders:s3cr3tP4ss@db.prod:5432/orders?sslmode=require",
        &["s3cr3tP4ss"],
        "connecting to postgres://orders:[CONNSTR_1]@db.prod:5432/orders?sslmode=require",
    ),
    (
        "mongo uri mongodb+srv://app:Zx9%40pw@cluster0.mongodb.net/test",
        &["Zx9%40pw"],
        "mongo uri mongodb+srv://app:[CONNSTR_1]@cluster0.mongodb.net/test",
    ),
    ("cache redis://:r3d1sPass@cache:6379/0 down", &["r3d1sPass"], "cache redis://:[CONNSTR_1]@cache:6379/0 down"),
    (
        "fetch https://deploy:hunter2@artifacts.example.com/pkg failed",
        &["hunter2"],
        "fetch https://deploy:[PASSWORD_1]@artifacts.example.com/pkg failed",
    ),
    (
        "Server=sql01;Database=orders;User Id=app;Password=P@ssw0rd!;Encrypt=true",
        &["P@ssw0rd!"],
        "Server=sql01;Database=orders;User Id=app;Password=[CONNSTR_1];Encrypt=true",
    ),
    ("login failed password=hunter22 user=bob", &["hunter22"], "login failed password=[PASSWORD_1] user=bob"),
    (
        r#"{"user":"bob","db_password":"correct horse battery","level":"error"}"#,
        &["correct horse battery"],
        r#"{"user":"bob","db_password":"[PASSWORD_1]","level":"error"}"#,
    ),
    ("X-Api-Key: 5f4dcc3b5aa765d61d83 rejected", &["5f4dcc3b5aa765d61d83"], "X-Api-Key: [SECRET_1] rejected"),
    ("config client_secret: 'abc123xyz' loaded", &["abc123xyz"], "config client_secret: '[SECRET_1]' loaded"),
    ("set-cookie: session=7a6b5c4d3e; Path=/; HttpOnly", &["7a6b5c4d3e"], "set-cookie: [SECRET_1]"),
    ("apiKey=Qw3rTy9 refresh", &["Qw3rTy9"], "apiKey=[SECRET_1] refresh"),
    ("MYSQL_PWD=t0ps3cret", &["t0ps3cret"], "MYSQL_PWD=[PASSWORD_1]"),
    ("auth_token: abc.def.ghi", &["abc.def.ghi"], "auth_token: [TOKEN_1]"),
    ("request from alice.smith@example.com failed", &["alice.smith@example.com"], "request from [EMAIL_1] failed"),
    (
        "key loaded -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7\nabc+/=\n-----END RSA PRIVATE KEY----- ok",
        &["MIIEpAIBAAKCAQEA7", "abc+/="],
        "key loaded [PRIVATE_KEY_1] ok",
    ),
    (
        r#"{"key":"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n"}"#,
        &["MIIEvQIBADANBg"],
        r#"{"key":"[PRIVATE_KEY_1]\n"}"#,
    ),
    ("truncated -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBk", &["MHcCAQEEIBk"], "truncated [PRIVATE_KEY_1]"),
    ("export AWS_SESSION_TOKEN=FwoGZXIvYXdzEJr", &["FwoGZXIvYXdzEJr"], "export AWS_SESSION_TOKEN=[AWS_KEY_1]"),
    (
        "exec: psql --password s3cret --host db -U app",
        &["s3cret"],
        "exec: psql --password [PASSWORD_1] --host db -U app",
    ),
    (
        r#"{"headers": {"Authorization" : "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl"}}"#,
        &["eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl"],
        r#"{"headers": {"Authorization" : "Bearer [JWT_1]"}}"#,
    ),
    (
        "callback /oauth?code=x&access_token=ya29.a0AfH6SMB&state=1",
        &["ya29.a0AfH6SMB"],
        "callback /oauth?code=x&access_token=[TOKEN_1]&state=1",
    ),
    ("invalid password: letmein", &["letmein"], "invalid password: [PASSWORD_1]"),
    (
        "push failed with glpat-xYz12AbC34dEf56GhI78j",
        &["glpat-xYz12AbC34dEf56GhI78j"],
        "push failed with [TOKEN_1]",
    ),
    (
        "openai 401 for sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12",
        &["sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12"],
        "openai 401 for [TOKEN_1]",
    ),
    (
        "legacy key sk-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e",
        &["sk-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e"],
        "legacy key [TOKEN_1]",
    ),
    (
        "npm publish with npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
        &["npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"],
        "npm publish with [TOKEN_1]",
    ),
    (
        "mail api 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",
        &["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"],
        "mail api [TOKEN_1]",
    ),
    (
        "DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq==;EndpointSuffix=core.windows.net",
        &["Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq=="],
        "DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=[SECRET_1];EndpointSuffix=core.windows.net",
    ),
];

/// Lines that must come out unchanged with the default config.
const NEGATIVES: &[&str] = &[
    "password policy updated for tenant acme",
    "user reset their password after 3 attempts",
    "deployed checkout-svc version 1.2.3 to prod",
    "upgrade to 10.4.12.1 rejected: not a release",
    "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7 status=500",
    "request 550e8400-e29b-41d4-a716-446655440000 took 1.532s",
    "2024-05-01T12:30:45.123Z WARN payments latency p99=850ms",
    "token_count=512 max_tokens=1024",
    "session_timeout=30m auth_method=oidc",
    "the bearer of bad news: basic information about auth",
    "password: ******** (masked)",
    "token=[REDACTED]",
    "PWD=/home/app",
    "oauth_provider=google author=alice",
    "GET https://api.example.com/v1/items?page=2 200",
    "panic at src/main.rs:42: called std::io::Error",
    "invalid token: expired signature",
    "auth: denied for user bob, session: missing",
    "retry --token-file /etc/token --verbose",
    "Authentication: failed for tenant acme",
    "loaded icon@2x.png and logo@3x.webp",
];

#[test]
fn positives_are_redacted() {
    for (input, secrets, expected) in POSITIVES {
        let out = red(input);
        for s in *secrets {
            assert!(!out.contains(s), "secret {s:?} survived in {out:?}");
        }
        if !expected.is_empty() {
            assert_eq!(&out, expected, "input {input:?}");
        }
    }
}

#[test]
fn negatives_are_left_alone() {
    for input in NEGATIVES {
        assert_eq!(&red(input), input);
    }
}

#[test]
fn optional_ips_and_hosts() {
    let mut r = Redactor::new(all());
    let out = r.redact("conn from 10.2.3.4:5432 to payments.prod.svc.cluster.local and [2001:db8::1]:443 ok");
    assert_eq!(out, "conn from [IP_1]:5432 to [HOST_1] and [[IP_2]]:443 ok");
    let out = r.redact("fe80::1ff:fe23:4567:890a via api.internal; mac 00:1a:2b:3c:4d:5e at 12:30:45");
    assert_eq!(out, "[IP_3] via [HOST_2]; mac 00:1a:2b:3c:4d:5e at 12:30:45");
    // Versions, loopback, timestamps, service names, file names and code paths stay.
    for s in [
        "checkout-svc v1.2.3 started on 0.0.0.0:8080 and 127.0.0.1",
        "oid 1.3.6.1.4.1 and build 2.10.0.1.5",
        "load config.json from main.rs, setup.py and README.md",
        "std::io::Error and Vec::new in core::fmt",
        "trace 4bf92f3577b34da6a3ce929d0e0e4736 at 2024-05-01T12:30:45Z",
        "com.example.OrderService threw java.lang.NullPointerException",
    ] {
        assert_eq!(r.redact(s), s);
    }
    assert_eq!(r.redact("mail bob@corp.example.com"), "mail [EMAIL_1]");
    assert_eq!(r.redact("https://u:pw1@db.example.com/x"), "https://u:[PASSWORD_1]@[HOST_3]/x");
    assert_eq!(r.redact("::ffff:192.168.1.10 dropped"), "[IP_4] dropped");
}

#[test]
fn emails_can_be_turned_off() {
    let mut r = Redactor::new(RedactConfig { emails: false, ..RedactConfig::default() });
    assert_eq!(r.redact("from a@b.com"), "from a@b.com");
}

#[test]
fn idempotent() {
    for config in [RedactConfig::default(), all()] {
        let mut r = Redactor::new(config);
        for (input, _, _) in POSITIVES {
            let once = r.redact(input);
            assert_eq!(r.redact(&once), once, "shared redactor");
            assert_eq!(Redactor::new(config).redact(&once), once, "fresh redactor");
        }
    }
}

#[test]
fn stable_placeholders() {
    let mut r = Redactor::default();
    let a = r.redact("password=alpha1 password=beta22");
    assert_eq!(a, "password=[PASSWORD_1] password=[PASSWORD_2]");
    let b = r.redact("retry password=beta22 then password=alpha1");
    assert_eq!(b, "retry password=[PASSWORD_2] then password=[PASSWORD_1]");
    // The same value in another context keeps its name.
    assert_eq!(r.redact("postgres://u:alpha1@h/db"), "postgres://u:[PASSWORD_1]@h/db");
    let m: Vec<_> = r.mapping().collect();
    assert_eq!(m, vec![("[PASSWORD_1]", "password"), ("[PASSWORD_2]", "password")]);
    assert!(r.mapping().all(|(p, k)| !p.contains("alpha") && !k.contains("alpha")));
}

#[test]
fn restore_round_trip() {
    let mut r = Redactor::new(all());
    for (input, _, _) in POSITIVES {
        let red = r.redact(input);
        assert_eq!(r.restore(&red), *input);
    }
    // Placeholders it never issued, and brackets in general, are untouched.
    assert_eq!(r.restore("[TOKEN_99] [E1] [ a [x_1]"), "[TOKEN_99] [E1] [ a [x_1]");
}

/// Tiny xorshift so the fuzz test needs no dependency and is reproducible.
fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn random_input_never_panics() {
    let alphabet: Vec<char> = "aA0:/@.=-_ \"'[]{};,\nBEGINAKIAeyJ://xoxb-Bearer password token é→😀".chars().collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..300 {
        let len = (rng(&mut seed) % 300) as usize;
        let s: String = (0..len).map(|_| alphabet[(rng(&mut seed) % alphabet.len() as u64) as usize]).collect();
        let mut r = Redactor::new(all());
        let out = r.redact(&s);
        assert_eq!(r.restore(&out), s);
    }
}

#[test]
fn megabyte_lines_are_linear() {
    let pieces = [
        "a",
        "@",
        ":",
        "=",
        "://",
        ".",
        "1.",
        "eyJ",
        "AKIA",
        "ghp_",
        "-----BEGIN ",
        "Bearer ",
        "password=",
        "x:",
        "::",
        "f",
        ";Password=",
        "com",
        "pwd=/",
        "-----BEGIN PRIVATE KEY-----",
        "token=\"",
        "Cookie: ",
        "--password ",
        "--",
    ];
    let limit = std::time::Duration::from_secs(if cfg!(debug_assertions) { 20 } else { 4 });
    for p in pieces {
        let s = p.repeat(1_000_000 / p.len());
        let t = std::time::Instant::now();
        let out = Redactor::new(all()).redact(&s);
        assert!(!out.is_empty());
        assert!(t.elapsed() < limit, "{p:?} took {:?}", t.elapsed());
    }
    let mut seed = 7;
    let alphabet = b"a0:/@.=-_ \"[]AKIeyJ";
    let s: String =
        (0..1_000_000).map(|_| alphabet[(rng(&mut seed) % alphabet.len() as u64) as usize] as char).collect();
    let t = std::time::Instant::now();
    Redactor::new(all()).redact(&s);
    assert!(t.elapsed() < limit);
}

#[test]
fn every_rule_compiles() {
    let errors = rule_errors();
    assert!(errors.is_empty(), "{errors:?}");
    const { assert!(RULE_COUNT >= 100) };
    // Ids are unique: docs/redaction.md names rules by id.
    let mut ids: Vec<&str> = rules::rule_ids().into_iter().map(|(id, _)| id).collect();
    ids.sort_unstable();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n);
}

#[test]
fn the_coverage_table_names_every_rule() {
    let doc = include_str!("../../../docs/redaction.md");
    for (id, _) in rules::rule_ids() {
        assert!(doc.contains(&format!("`{id}`")), "docs/redaction.md does not list {id}");
    }
}

#[test]
fn weak_keys_take_only_generated_values() {
    // `key`, `tls.key`, `dsn`, `session`: only a random-looking value is a secret.
    assert_eq!(red("key: orders-v2 session: 30546173_4261722401"), "key: orders-v2 session: 30546173_4261722401");
    assert_eq!(red("key=Zq8vR2mN5xK7pL3wT9yB"), "key=[SECRET_1]");
    assert_eq!(red("sessionid:0x34ed93485090001"), "sessionid:0x34ed93485090001");
    assert_eq!(red("sort_key=a8f3c9d2e1b4f6a7c8d9"), "sort_key=a8f3c9d2e1b4f6a7c8d9");
    // A qualifier makes any value a secret.
    assert_eq!(red("routing_key=abc123"), "routing_key=[SECRET_1]");
    assert_eq!(red("NEW_RELIC_LICENSE_KEY: 0a1b2c3d4e"), "NEW_RELIC_LICENSE_KEY: [SECRET_1]");
}

#[test]
fn operators_and_nested_json() {
    assert_eq!(red(r#"password => "s3cret!""#), r#"password => "[PASSWORD_1]""#);
    assert_eq!(red("password := s3cret!"), "password := [PASSWORD_1]");
    assert_eq!(red(r#"{"log":"{\"password\":\"s3cret!\"}"}"#), r#"{"log":"{\"password\":\"[PASSWORD_1]\"}"}"#);
}

#[test]
fn prose_passwords_and_their_near_misses() {
    assert_eq!(red("login with password hunter2"), "login with password [PASSWORD_1]");
    assert_eq!(red("CREATE USER bob WITH PASSWORD 'x9 y'"), "CREATE USER bob WITH PASSWORD '[PASSWORD_1]'");
    assert_eq!(red("the new password is Tr0ub4dor&3."), "the new password is [PASSWORD_1].");
    for s in [
        "login with password authentication failed",
        "user logged in with password after 3 attempts",
        "password is required",
        "machine learning login",
    ] {
        assert_eq!(red(s), s);
    }
}

#[test]
fn printed_objects_and_code_paths_after_token_keys_stay() {
    for s in [
        "wtoken = AppWindowToken{9f4ef63 token=Token{a64f992}",
        "token=android.os.BinderProxy@2bd79ce",
        "at com.android.server.wm.Session.relayout:215",
        "(auth:SIMPLE)",
        "AuthFail:sts:5_rsn:0",
    ] {
        assert_eq!(red(s), s);
    }
}

#[test]
fn repeated_literals_stay_linear() {
    let limit = std::time::Duration::from_secs(if cfg!(debug_assertions) { 20 } else { 4 });
    for (id, literals) in rules::rule_ids() {
        for lit in literals {
            let s = lit.repeat(300_000 / lit.len().max(1));
            let t = std::time::Instant::now();
            Redactor::new(all()).redact(&s);
            assert!(t.elapsed() < limit, "{id} {lit:?} took {:?}", t.elapsed());
        }
    }
    for p in ["4111 ", "+1 ", "GB82 ", "(415) ", "123-45-", "0x", "key=", "tel: "] {
        let s = p.repeat(1_000_000 / p.len());
        let t = std::time::Instant::now();
        Redactor::new(all()).redact(&s);
        assert!(t.elapsed() < limit, "{p:?} took {:?}", t.elapsed());
    }
}
