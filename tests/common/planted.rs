//! Fake secrets and personal data of every kind the redactor covers, for the tests that
//! plant them. Families follow gitleaks' and noseyparker's rule sets plus personal data.
//!
//! Values are generated (right prefix, length, alphabet and checksum) rather than written
//! out, so no real-looking credential sits in the source for a push-protection scanner.
#![allow(dead_code)]

/// One planted value: `text` as it appears in a log line or a question, and `secret`,
/// the part of it that must never leave the host.
pub struct Planted {
    pub kind: &'static str,
    pub text: String,
    pub secret: String,
}

const UPPER32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const LOWER_ALNUM: &str = "abcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &str = "0123456789abcdef";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const BECH32: &str = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";
const UPPER_DIGITS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Deterministic pseudo-random text over `alphabet` (xorshift), always holding a digit
/// and, where the alphabet has them, a lower-case letter.
pub fn gen(seed: u64, len: usize, alphabet: &str) -> String {
    let a: Vec<char> = alphabet.chars().collect();
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut out: Vec<char> = (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            a[(s % a.len() as u64) as usize]
        })
        .collect();
    if len >= 4 {
        if let Some(d) = a.iter().find(|c| c.is_ascii_digit()) {
            out[1] = *d;
        }
        if let Some(l) = a.iter().find(|c| c.is_ascii_lowercase()) {
            out[2] = *l;
        }
    }
    out.into_iter().collect()
}

fn luhn_complete(prefix: &str) -> String {
    let mut sum = 0;
    for (n, c) in prefix.chars().rev().enumerate() {
        let mut v = c.to_digit(10).unwrap();
        if n % 2 == 0 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    format!("{prefix}{}", (10 - sum % 10) % 10)
}

fn iban(country: &str, bban: &str) -> String {
    let mut r: u64 = 0;
    for c in format!("{bban}{country}00").chars() {
        let v = c.to_digit(36).unwrap() as u64;
        r = if v < 10 { (r * 10 + v) % 97 } else { (r * 100 + v) % 97 };
    }
    format!("{country}{:02}{bban}", 98 - r)
}

fn p(kind: &'static str, text: String, secret: &str) -> Planted {
    Planted { kind, text, secret: secret.to_string() }
}

/// `text` is the secret itself, behind a short context.
fn bare(kind: &'static str, context: &str, secret: String) -> Planted {
    Planted { kind, text: format!("{context} {secret}"), secret }
}

fn pem(label: &str, seed: u64) -> (String, String) {
    let body = gen(seed, 64, B64);
    (format!("-----BEGIN {label}-----\\n{body}\\n{}\\n-----END {label}-----", gen(seed + 1, 40, B64)), body)
}

/// Every planted kind.
pub fn planted() -> Vec<Planted> {
    let mut v = Vec::new();
    cloud_and_infrastructure(&mut v);
    vendors(&mut v);
    keys_passwords_and_personal_data(&mut v);
    v
}

fn cloud_and_infrastructure(v: &mut Vec<Planted>) {
    // --- cloud
    v.push(bare("aws-access-key-akia", "aws key", format!("AK{}{}", "IA", gen(1, 16, UPPER32))));
    v.push(bare("aws-access-key-asia", "sts key", format!("AS{}{}", "IA", gen(2, 16, UPPER32))));
    v.push(bare("aws-access-key-abia", "bearer key", format!("AB{}{}", "IA", gen(3, 16, UPPER32))));
    v.push(bare("aws-access-key-acca", "cca key", format!("AC{}{}", "CA", gen(4, 16, UPPER32))));
    let s = gen(5, 40, B64);
    v.push(p("aws-secret-access-key", format!("aws_secret_access_key={s}"), &s));
    let s = gen(6, 120, B64);
    v.push(p("aws-session-token", format!("AWS_SESSION_TOKEN={s}"), &s));
    v.push(bare("aws-bedrock-api-key", "bedrock", format!("AB{}{}", "SK", gen(7, 120, ALNUM))));
    v.push(bare("gcp-api-key", "maps key", format!("AI{}{}", "za", gen(8, 35, B64URL))));
    v.push(bare("google-oauth-client-secret", "oauth", format!("GOC{}{}", "SPX-", gen(9, 28, B64URL))));
    v.push(bare("google-oauth-access-token", "google", format!("ya{}{}", "29.", gen(10, 60, B64URL))));
    v.push(bare("google-oauth-refresh-token", "refresh", format!("1//0{}", gen(11, 60, B64URL))));
    let (key, body) = pem("PRIVATE KEY", 12);
    v.push(p("gcp-service-account-key", format!("\"private_key\": \"{key}\""), &body));
    v.push(bare("azure-ad-client-secret", "azure app", format!("aB3{}{}", "8Q~", gen(13, 34, ALNUM))));
    let s = format!("{}==", gen(14, 86, B64));
    v.push(p(
        "azure-storage-connection-string",
        format!("DefaultEndpointsProtocol=https;AccountName=shop;AccountKey={s};EndpointSuffix=core.windows.net"),
        &s,
    ));
    let s = gen(15, 43, ALNUM);
    v.push(p("azure-sas-token", format!("https://shop.blob.core.windows.net/c?sv=2022-11-02&sig={s}"), &s));
    v.push(bare("alibaba-access-key-id", "aliyun", format!("LT{}{}", "AI", gen(16, 20, ALNUM))));
    v.push(bare("tencent-secret-id", "qcloud", format!("AK{}{}", "ID", gen(17, 32, ALNUM))));
    v.push(bare("yandex-api-key", "yc", format!("AQ{}{}", "VN", gen(18, 36, B64URL))));
    v.push(bare("digitalocean-token", "doctl", format!("dop{}{}", "_v1_", gen(19, 64, HEX))));
    v.push(bare("heroku-api-key-v2", "heroku", format!("HR{}{}", "KU-AA", gen(20, 58, B64URL))));
    v.push(bare("flyio-token", "fly", format!("fo{}{}", "1_", gen(21, 43, B64URL))));
    v.push(bare("openshift-token", "oc login", format!("sha{}{}", "256~", gen(22, 43, B64URL))));
    v.push(bare("netlify-token", "netlify", format!("nf{}{}", "p_", gen(23, 36, ALNUM))));
    v.push(bare("planetscale-token", "pscale", format!("psc{}{}", "ale_tkn_", gen(24, 43, ALNUM))));
    v.push(bare("databricks-token", "databricks", format!("da{}{}", "pi", gen(25, 32, HEX))));
    // --- infrastructure
    v.push(bare("vault-token", "vault", format!("hv{}{}", "s.", gen(26, 90, B64URL))));
    v.push(bare(
        "terraform-cloud-token",
        "tfc",
        format!("{}.atlas{}.{}", gen(27, 14, LOWER_ALNUM), "v1", gen(28, 67, ALNUM)),
    ));
    v.push(bare("pulumi-token", "pulumi", format!("pu{}{}", "l-", gen(29, 40, HEX))));
    v.push(bare("doppler-token", "doppler", format!("dp.{}{}", "pt.", gen(30, 43, ALNUM))));
    v.push(bare("tailscale-key", "tailscale", format!("tskey{}{}", "-auth-", gen(31, 40, ALNUM))));
    v.push(bare("1password-service-token", "op", format!("ops_{}{}", "eyJ", gen(32, 140, B64))));
    v.push(bare("age-secret-key", "sops", format!("AGE-SECRET-{}{}", "KEY-1", gen(33, 58, BECH32))));
    v.push(bare("docker-hub-token", "docker login", format!("dckr{}{}", "_pat_", gen(34, 27, B64URL))));
    // --- source hosting
    v.push(bare("github-pat", "git", format!("gh{}{}", "p_", gen(35, 36, ALNUM))));
    v.push(bare("github-oauth", "gh oauth", format!("gh{}{}", "o_", gen(36, 36, ALNUM))));
    v.push(bare("github-app-token", "gh app", format!("gh{}{}", "s_", gen(37, 36, ALNUM))));
    v.push(bare("github-fine-grained-pat", "gh fine", format!("github{}{}", "_pat_", gen(38, 82, ALNUM))));
    v.push(bare("gitlab-pat", "gitlab", format!("gl{}{}", "pat-", gen(39, 20, B64URL))));
    v.push(bare("gitlab-runner-token", "runner", format!("gl{}{}", "rt-", gen(40, 20, B64URL))));
    v.push(bare("gitlab-deploy-token", "deploy", format!("gl{}{}", "dt-", gen(41, 20, B64URL))));
    v.push(bare("atlassian-api-token", "jira", format!("ATA{}{}", "TT3", gen(42, 180, B64URL))));
    v.push(bare("sonarqube-token", "sonar", format!("sq{}{}", "u_", gen(43, 40, HEX))));
    v.push(bare("postman-api-key", "postman", format!("PM{}{}-{}", "AK-", gen(44, 24, HEX), gen(45, 34, HEX))));
    v.push(bare("linear-api-key", "linear", format!("lin{}{}", "_api_", gen(46, 40, ALNUM))));
    v.push(bare("notion-token", "notion", format!("nt{}{}{}", "n_", "12345678901", gen(47, 35, ALNUM))));
    v.push(bare("airtable-pat", "airtable", format!("pat{}.{}", gen(48, 14, ALNUM), gen(49, 64, HEX))));
}

fn vendors(v: &mut Vec<Planted>) {
    // --- registries
    v.push(bare("npm-token", "npm", format!("np{}{}", "m_", gen(50, 36, ALNUM))));
    v.push(bare("pypi-token", "twine", format!("pypi-{}{}", "AgEIcHlwaS5vcmc", gen(51, 70, B64URL))));
    v.push(bare("rubygems-token", "gem", format!("rubygems{}{}", "_", gen(52, 48, HEX))));
    v.push(bare("nuget-api-key", "nuget", format!("oy{}{}", "2", gen(53, 43, LOWER_ALNUM))));
    // --- AI
    v.push(bare("openai-api-key", "openai", format!("sk-{}{}", "proj-", gen(54, 48, B64URL))));
    v.push(bare("anthropic-api-key", "claude", format!("sk-{}{}", "ant-api03-", gen(55, 93, B64URL))));
    v.push(bare("huggingface-token", "hf", format!("h{}{}", "f_", gen(56, 34, ALNUM))));
    v.push(bare("groq-api-key", "groq", format!("gs{}{}", "k_", gen(57, 52, ALNUM))));
    // --- chat and mail
    v.push(bare(
        "slack-bot-token",
        "slack",
        format!("xo{}-{}-{}-{}", "xb", "1234567890", "0987654321", gen(58, 24, ALNUM)),
    ));
    v.push(bare(
        "slack-user-token",
        "slack",
        format!("xo{}-{}-{}-{}", "xp", "1234567890", "0987654321", gen(59, 32, HEX)),
    ));
    v.push(bare("slack-refresh-token", "slack", format!("xo{}{}-1-{}", "xe", "", gen(60, 140, ALNUM))));
    v.push(bare("slack-app-token", "slack", format!("xa{}{}-A0123-{}", "pp", "-1", gen(61, 64, HEX))));
    let s = format!("T{}/B{}/{}", gen(62, 8, UPPER_DIGITS), gen(63, 10, UPPER_DIGITS), gen(64, 24, ALNUM));
    v.push(p("slack-webhook-url", format!("https://hooks.slack.{}/services/{s}", "com"), &s));
    let s = format!("1234567890123456789/{}", gen(65, 68, B64URL));
    v.push(p("discord-webhook-url", format!("https://discord.{}/api/webhooks/{s}", "com"), &s));
    let s = format!("{}/{}", gen(66, 32, HEX), "0f8fad5b-d9cb-469f-a165-70867728950e");
    v.push(p(
        "teams-webhook-url",
        format!("https://acme.webhook.office.com/webhookb2/a@b/Incoming{}/{s}", "Webhook"),
        &s,
    ));
    v.push(bare("telegram-bot-token", "telegram", format!("1234567890:A{}{}", "A", gen(67, 33, B64URL))));
    v.push(bare("twilio-api-key", "twilio", format!("S{}{}", "K", gen(68, 32, HEX))));
    v.push(bare("sendgrid-api-key", "sendgrid", format!("S{}{}.{}", "G.", gen(69, 22, B64URL), gen(70, 43, B64URL))));
    v.push(bare("mailgun-api-key", "mailgun", format!("ke{}{}", "y-", gen(71, 32, HEX))));
    v.push(bare("mailchimp-api-key", "mailchimp", format!("{}-us{}", gen(72, 32, HEX), "6")));
    v.push(bare("sendinblue-api-key", "brevo", format!("xkey{}{}-{}", "sib-", gen(73, 64, HEX), gen(74, 16, ALNUM))));
    // --- observability
    v.push(bare("grafana-cloud-token", "grafana", format!("gl{}{}", "c_", gen(75, 80, ALNUM))));
    v.push(bare(
        "grafana-service-account",
        "grafana",
        format!("gl{}{}_{}", "sa_", gen(76, 32, ALNUM), gen(77, 8, HEX)),
    ));
    v.push(bare("new-relic-user-key", "newrelic", format!("NR{}{}", "AK-", gen(78, 27, UPPER_DIGITS))));
    let s = gen(79, 32, HEX);
    v.push(p("sentry-dsn", format!("SENTRY_DSN=https://{s}@o123456.ingest.sentry.io/4504"), &s));
    v.push(bare("sentry-user-token", "sentry", format!("sntr{}{}", "yu_", gen(80, 64, HEX))));
    let s = gen(81, 32, HEX);
    v.push(p("datadog-api-key", format!("DD_API_KEY={s}"), &s));
    let s = gen(82, 32, HEX);
    v.push(p("pagerduty-routing-key", format!("{{\"routing_key\":\"{s}\",\"event_action\":\"trigger\"}}"), &s));
    v.push(bare(
        "dynatrace-token",
        "dynatrace",
        format!("dt0c{}{}.{}", "01.", gen(83, 24, UPPER_DIGITS), gen(84, 64, UPPER_DIGITS)),
    ));
    // --- payments
    v.push(bare("stripe-live-key", "stripe", format!("sk{}{}", "_live_", gen(85, 24, ALNUM))));
    v.push(bare("stripe-test-key", "stripe", format!("sk{}{}", "_test_", gen(86, 24, ALNUM))));
    v.push(bare("stripe-restricted-key", "stripe", format!("rk{}{}", "_live_", gen(87, 24, ALNUM))));
    v.push(bare("stripe-webhook-secret", "stripe", format!("wh{}{}", "sec_", gen(88, 32, ALNUM))));
    v.push(bare("shopify-token", "shopify", format!("shp{}{}", "at_", gen(89, 32, HEX))));
    v.push(bare("square-token", "square", format!("sq0{}{}", "atp-", gen(90, 22, B64URL))));
    v.push(bare("facebook-access-token", "fb", format!("EA{}{}", "AC", gen(91, 120, ALNUM))));
    v.push(bare("twitter-bearer-token", "twitter", format!("{}{}", "A".repeat(22), gen(92, 80, ALNUM))));
    v.push(bare(
        "plaid-access-token",
        "plaid",
        format!("access-{}{}", "sandbox-", "4a1f2c3d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"),
    ));
    v.push(bare(
        "mapbox-secret-token",
        "mapbox",
        format!("sk.{}{}.{}", "eyJ", gen(93, 60, B64URL), gen(94, 22, B64URL)),
    ));
}

fn keys_passwords_and_personal_data(v: &mut Vec<Planted>) {
    // --- keys, tokens and hashes
    let jwt = format!("ey{}.{}.{}", "JhbGciOiJIUzI1NiJ9", gen(95, 40, B64URL), gen(96, 43, B64URL));
    v.push(p("jwt", format!("jwt rejected: {jwt}"), &jwt));
    let (key, body) = pem("RSA PRIVATE KEY", 97);
    v.push(p("rsa-private-key", key, &body));
    let (key, body) = pem("OPENSSH PRIVATE KEY", 98);
    v.push(p("openssh-private-key", key, &body));
    let (key, body) = pem("PGP PRIVATE KEY BLOCK", 99);
    v.push(p("pgp-private-key", key, &body));
    let s = format!("LS0tLS1CRUdJTi{}", gen(100, 200, B64));
    v.push(p("base64-pem-in-yaml", format!("tls.key: {s}"), &s));
    let s = format!("$2y$10${}", gen(101, 53, ALNUM));
    v.push(p("bcrypt-hash", format!("admin:{s}"), &s));
    let s = format!("$6${}${}", gen(102, 16, ALNUM), gen(103, 86, ALNUM));
    v.push(p("sha512crypt-hash", format!("root:{s}:19000:0:99999:7:::"), &s));
    let s = gen(104, 44, B64);
    v.push(p("wireguard-private-key", format!("PrivateKey = {s}"), &s));
    // --- passwords and connection strings
    v.push(p("postgres-url", "postgres://orders:Pg5ecretPw@db.prod:5432/orders".into(), "Pg5ecretPw"));
    v.push(p("mongodb-url", "mongodb+srv://app:Mg0ngoPw9@cluster0.mongodb.net/test".into(), "Mg0ngoPw9"));
    v.push(p("redis-url", "redis://:R3disPass77@cache:6379/0".into(), "R3disPass77"));
    v.push(p("basic-auth-url", "https://deploy:Hunt3rDeploy@artifacts.example.com/pkg".into(), "Hunt3rDeploy"));
    v.push(p("ado-connection-string", "Server=sql01;User Id=app;Password=Ad0N3t!pw;Encrypt=true".into(), "Ad0N3t!pw"));
    v.push(p("password-key-value", "login failed password=Kv9passWord user=bob".into(), "Kv9passWord"));
    v.push(p("password-json", "{\"db_password\":\"correct horse battery\"}".into(), "correct horse battery"));
    v.push(p("password-in-prose", "user bob logged in with password Hunter2prose".into(), "Hunter2prose"));
    v.push(p("netrc", "machine api.example.com login deploy password N3trcS3cret".into(), "N3trcS3cret"));
    v.push(p("curl-user-flag", "curl -u admin:Cur1Pass0 https://api".into(), "Cur1Pass0"));
    v.push(p("sshpass", "sshpass -p Ssh9Pass0 ssh db1".into(), "Ssh9Pass0"));
    v.push(p("mysql-password-flag", "mysql -h db -u app -pMy5qlPass0 orders".into(), "My5qlPass0"));
    let s = gen(105, 32, ALNUM);
    v.push(p("bearer-header", format!("Authorization: Bearer {s}"), &s));
    let s = gen(106, 24, B64);
    v.push(p("basic-header", format!("Authorization: Basic {s}"), &s));
    let s = gen(107, 32, HEX);
    v.push(p("api-key-header", format!("X-Api-Key: {s}"), &s));
    // --- personal data
    let card = luhn_complete(&format!("4{}", "11122223333444"));
    v.push(p("card-visa", format!("charge card {card} declined"), &card));
    let card = luhn_complete("555555555555444");
    let spaced = format!("{} {} {} {}", &card[0..4], &card[4..8], &card[8..12], &card[12..16]);
    v.push(p("card-spaced", format!("card {spaced} exp 12/29"), &spaced));
    let card = luhn_complete("37828224631000");
    let dashed = format!("{}-{}-{}", &card[0..4], &card[4..10], &card[10..15]);
    v.push(p("card-amex-dashed", format!("amex {dashed} ok"), &dashed));
    let de = iban("DE", "370400440532013000");
    v.push(p("iban-plain", format!("refund to {de} failed"), &de));
    let gb = iban("GB", "WEST12345698765432");
    let gb_spaced = gb.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join(" ");
    v.push(p("iban-spaced", format!("iban {gb_spaced} paid"), &gb_spaced));
    v.push(p("us-ssn", "customer ssn 219-09-9999 on file".into(), "219-09-9999"));
    v.push(p("phone-e164", "sms to +14155550123 failed".into(), "+14155550123"));
    v.push(p("phone-intl-spaced", "call +44 20 7946 0958 now".into(), "+44 20 7946 0958"));
    v.push(p("phone-us-national", "callback (415) 555-0199 requested".into(), "(415) 555-0199"));
    v.push(p("phone-after-key", "phone: 020 7946 0958".into(), "020 7946 0958"));
    v.push(p("email", "request from alice.smith@example.com failed".into(), "alice.smith@example.com"));
    v.push(p("ipv4", "from 10.42.7.19 denied".into(), "10.42.7.19"));
    // Last: a `Cookie:` header is redacted to the end of its line, neighbours included.
    let s = gen(108, 32, HEX);
    v.push(p("cookie-header", format!("Cookie: sessionid={s}; theme=dark"), &s));
}

/// Lines that look a little like the above and must come out unchanged.
pub const NEAR_MISSES: &[&str] = &[
    "card 4111111111111112 declined (fails Luhn)",
    "iban GB82WEST12345698765433 typo (fails mod 97)",
    "ssn 000-12-3456 and 666-12-3456 and 900-12-3456 are not issued",
    "2024-05-01T12:30:45.123Z WARN payments latency p99=850ms",
    "request 550e8400-e29b-41d4-a716-446655440000 took 1.532s",
    "deployed checkout-svc version 1.2.3 (build 10.4.12.1) to prod",
    "listening on :8080, upstream port 50010, pid 24200",
    "epoch 1445144423722 and 1700000000 and nanos 1700000000123456789",
    "blk_-6952295868487656571 replicated to 3 nodes",
    "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7",
    "timeout after 30s, retry in 1500ms, +05:30 offset",
    "user reset their password after 3 attempts",
    "login with password authentication failed",
    "the bearer of bad news: basic information",
    "sort_key=user#42 cache_key=orders:v2",
    "skip sk-learn-tutorial and task-runner",
    "Session: 30546173_4261722401 initialized by client WindowsUpdateAgent.",
    "Fan speeds ( 3552 3534 3375 4530 3515 3479 )",
    "docker run -u 1000:1000 app",
    "key: orders-v2",
];
