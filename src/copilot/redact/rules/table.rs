//! The rule table. Families follow gitleaks (config/gitleaks.toml) and noseyparker
//! (crates/noseyparker/data/default/rules); patterns are our own and err on the side of
//! matching: a false positive costs a placeholder, a false negative leaks a secret.
//! Keep docs/redaction.md in step with this table.

use super::Rule;
use crate::copilot::redact::Kind;

fn hex(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

fn digit(c: u8) -> bool {
    c.is_ascii_digit()
}

fn lower_alnum(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// Azure AD client secrets: `[\w~.]{3}\dQ~[\w~.-]{31,34}`.
fn azure(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'~' | b'.')
}

fn has_digit(s: &str) -> bool {
    s.bytes().any(|c| c.is_ascii_digit())
}

/// A run of `A`s in base64 is padding, not a bearer token: demand variety after it.
fn varied(s: &str) -> bool {
    s.bytes().any(|c| c.is_ascii_lowercase()) && has_digit(s)
}

/// `docker run -u 1000:1000` is a uid and gid, not a user and password.
fn not_all_digits(s: &str) -> bool {
    !s.bytes().all(|c| c.is_ascii_digit())
}

/// Words that follow "with password" in prose rather than a password.
#[rustfmt::skip]
const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "for", "from", "of", "to", "in", "on", "is", "was", "be", "been", "not", "no",
    "auth", "authentication", "login", "reset", "change", "changed", "policy", "expired", "expiry", "length",
    "field", "prompt", "required", "hash", "hashing", "protected", "based", "only", "set", "mismatch", "incorrect",
    "invalid", "wrong", "failed", "failure", "attempt", "attempts", "rotation", "manager", "file", "none", "null",
    "empty", "provided", "supplied", "specified", "given", "stored", "saved", "updated", "user", "enabled",
    "disabled", "true", "false", "yes", "again", "too", "must", "should", "will", "has", "have", "that", "this",
    "which", "when", "after", "before", "by", "with", "as", "at", "if", "it", "but", "please",
];

/// "with password authentication" names a method; "with password hunter2" leaks one.
fn not_a_word(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let word = lower.trim_end_matches(['.', ':', '!', '?']);
    !word.is_empty() && !STOP_WORDS.contains(&word)
}

/// Phone numbers after a phone key: 7 to 15 digits, as E.164 allows.
fn phone_digits(s: &str) -> bool {
    (7..=15).contains(&s.bytes().filter(u8::is_ascii_digit).count())
}

pub const RULE_COUNT: usize = RULES.len();

#[rustfmt::skip]
pub(super) const RULES: &[Rule] = &[
    // --- cloud providers
    Rule::token("aws-access-key-id", &["AKIA", "ASIA", "ABIA", "ACCA", "A3T"], r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}").kind(Kind::AwsKey).word_end(),
    Rule::token("aws-bedrock-api-key", &["ABSK"], r"ABSK[A-Za-z0-9+/]{109,269}={0,2}").kind(Kind::AwsKey),
    Rule::token("gcp-api-key", &["AIza"], r"AIza[A-Za-z0-9_-]{35}").word_end(),
    Rule::token("google-oauth-client-secret", &["GOCSPX-"], r"GOCSPX-[A-Za-z0-9_-]{28}"),
    Rule::token("google-oauth-access-token", &["ya29."], r"ya29\.[A-Za-z0-9_-]{20,}"),
    Rule::token("google-oauth-refresh-token", &["1//0"], r"1//0[A-Za-z0-9_-]{40,}"),
    Rule::token("azure-ad-client-secret", &["Q~"], r"[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}").back(4, azure).word_end(),
    Rule::token("alibaba-access-key-id", &["LTAI"], r"LTAI[A-Za-z0-9]{20}").word_end(),
    Rule::token("tencent-secret-id", &["AKID"], r"AKID[A-Za-z0-9]{32}").word_end(),
    Rule::token("yandex-api-key", &["AQVN"], r"AQVN[A-Za-z0-9_-]{35,38}").word_end(),
    Rule::token("digitalocean-token", &["dop_v1_", "doo_v1_", "dor_v1_"], r"do[opr]_v1_[A-Za-z0-9]{40,}"),
    Rule::token("heroku-api-key-v2", &["HRKU-"], r"HRKU-[A-Za-z0-9_-]{58,}"),
    Rule::token("flyio-token", &["fo1_", "fm1a_", "fm1r_", "fm2_"], r"fo1_[A-Za-z0-9_-]{43}|fm[12][ar]?_[A-Za-z0-9+/=_-]{100,}"),
    Rule::token("cloudflare-origin-ca-key", &["v1.0-"], r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}"),
    Rule::token("openshift-user-token", &["sha256~"], r"sha256~[A-Za-z0-9_-]{43}"),
    Rule::token("netlify-token", &["nfp_"], r"nfp_[A-Za-z0-9]{36}"),
    Rule::token("render-api-key", &["rnd_"], r"rnd_[A-Za-z0-9]{32}").word_end(),
    Rule::token("supabase-token", &["sbp_"], r"sbp_[a-f0-9]{40}"),
    Rule::token("planetscale-token", &["pscale_"], r"pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.=-]{32,64}"),
    Rule::token("databricks-token", &["dapi"], r"dapi[a-f0-9]{32}(?:-\d)?").word_end(),
    Rule::token("scalingo-token", &["tk-us-"], r"tk-us-[A-Za-z0-9_-]{48}"),
    // --- infrastructure and secrets managers
    Rule::token("vault-token", &["hvs.", "hvb.", "hvr."], r"hv[sbr]\.[A-Za-z0-9_-]{24,}"),
    Rule::token("terraform-cloud-token", &[".atlasv1."], r"[a-z0-9]{14}\.atlasv1\.[A-Za-z0-9=_-]{60,70}").back(14, lower_alnum),
    Rule::token("pulumi-token", &["pul-"], r"pul-[a-f0-9]{40}"),
    Rule::token("doppler-token", &["dp.pt.", "dp.st.", "dp.ct.", "dp.sa.", "dp.scim.", "dp.audit."], r"dp\.(?:pt|st|ct|sa|scim|audit)\.[A-Za-z0-9]{40,44}"),
    Rule::token("tailscale-key", &["tskey-"], r"tskey-(?:auth|api|client|scim|webhook)-[A-Za-z0-9_-]{16,}"),
    Rule::token("1password-token", &["ops_eyJ", "A3-"], r"ops_eyJ[A-Za-z0-9+/=_-]{100,}|A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}"),
    Rule::token("age-secret-key", &["AGE-SECRET-KEY-1"], r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}").kind(Kind::PrivateKey),
    Rule::token("docker-hub-token", &["dckr_pat_", "dckr_oat_"], r"dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,}"),
    // --- source hosting and CI
    Rule::token("github-token", &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"], r"gh[pousr]_[A-Za-z0-9]{20,255}"),
    Rule::token("github-fine-grained-pat", &["github_pat_"], r"github_pat_[A-Za-z0-9_]{20,255}"),
    Rule::token("gitlab-token", &["glpat-", "glptt-", "glrt-", "glrtr-", "gldt-", "glft-", "glimt-", "glagent-", "gloas-", "glcbt-", "glffct-", "glsoat-"], r"gl(?:pat|ptt|rtr|rt|dt|ft|imt|agent|oas|cbt|ffct|soat)-[A-Za-z0-9_.-]{20,300}"),
    Rule::token("gitlab-runner-registration-token", &["GR1348941"], r"GR1348941[A-Za-z0-9_-]{20,}"),
    Rule::token("atlassian-api-token", &["ATATT3", "ATCTT3"], r"AT[AC]TT3[A-Za-z0-9_=-]{50,300}"),
    Rule::token("artifactory-token", &["AKCp", "cmVmdGtu"], r"AKCp[A-Za-z0-9]{69}|cmVmdGtu[A-Za-z0-9]{56}"),
    Rule::token("sonarqube-token", &["squ_", "sqp_", "sqa_"], r"sq[pua]_[a-f0-9]{40}"),
    Rule::token("sourcegraph-token", &["sgp_"], r"sgp_(?:[a-f0-9]{16}_)?[a-f0-9]{40}"),
    Rule::token("buildkite-token", &["bkua_"], r"bkua_[a-f0-9]{40}"),
    Rule::token("circleci-token", &["CCIPAT_"], r"CCIPAT_[A-Za-z0-9_]{20,}"),
    Rule::token("postman-api-key", &["PMAK-"], r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}"),
    Rule::token("prefect-api-key", &["pnu_"], r"pnu_[A-Za-z0-9]{36}"),
    Rule::token("readme-api-key", &["rdme_"], r"rdme_[a-z0-9]{70}"),
    Rule::token("contentful-token", &["CFPAT-"], r"CFPAT-[A-Za-z0-9_-]{43}"),
    Rule::token("frameio-token", &["fio-u-"], r"fio-u-[A-Za-z0-9_=-]{64}"),
    Rule::token("infracost-api-key", &["ico-"], r"ico-[A-Za-z0-9]{32}").word_end(),
    Rule::token("linear-api-key", &["lin_api_"], r"lin_api_[A-Za-z0-9]{40}"),
    Rule::token("notion-token", &["ntn_", "secret_"], r"ntn_[0-9]{11}[A-Za-z0-9]{32,35}|secret_[A-Za-z0-9]{43}").word_end(),
    Rule::token("airtable-pat", &["pat"], r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}"),
    Rule::token("typeform-token", &["tfp_"], r"tfp_[A-Za-z0-9_.=-]{59}"),
    Rule::token("settlemint-token", &["sm_pat_", "sm_aat_", "sm_sat_"], r"sm_(?:pat|aat|sat)_[A-Za-z0-9]{16}"),
    // --- package registries
    Rule::token("npm-token", &["npm_"], r"npm_[A-Za-z0-9]{36,}"),
    Rule::token("pypi-token", &["pypi-"], r"pypi-[A-Za-z0-9_-]{50,}"),
    Rule::token("rubygems-token", &["rubygems_"], r"rubygems_[a-f0-9]{48}"),
    Rule::token("nuget-api-key", &["oy2"], r"oy2[a-z0-9]{43}").word_end(),
    Rule::token("clojars-token", &["CLOJARS_"], r"CLOJARS_[a-z0-9]{60}"),
    Rule::token("crates-io-token", &["cio"], r"cio[A-Za-z0-9]{32}").word_end(),
    // --- AI providers
    Rule::token("openai-api-key", &["sk-"], r"sk-(?:proj|svcacct|admin|None|ant)-[A-Za-z0-9_-]{20,400}|sk-[A-Za-z0-9]{32,200}"),
    Rule::token("groq-api-key", &["gsk_"], r"gsk_[A-Za-z0-9]{48,60}"),
    Rule::token("xai-api-key", &["xai-"], r"xai-[A-Za-z0-9]{60,100}"),
    Rule::token("perplexity-api-key", &["pplx-"], r"pplx-[A-Za-z0-9]{40,60}"),
    Rule::token("replicate-token", &["r8_"], r"r8_[A-Za-z0-9]{37}").word_end(),
    Rule::token("huggingface-token", &["hf_", "api_org_"], r"(?:hf_|api_org_)[A-Za-z0-9]{30,40}"),
    Rule::token("langsmith-api-key", &["lsv2_"], r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}"),
    Rule::token("pinecone-api-key", &["pcsk_"], r"pcsk_[A-Za-z0-9_]{40,}"),
    // --- chat, mail, messaging
    Rule::token("slack-token", &["xox"], r"xox(?:[abeoprs]|e\.xox[bp])-[A-Za-z0-9-]{8,250}"),
    Rule::token("slack-app-token", &["xapp-"], r"xapp-[A-Za-z0-9-]{8,250}"),
    Rule::token("slack-webhook-url", &["hooks.slack.com/"], r"hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9/_+-]{20,200})").kind(Kind::Secret),
    Rule::token("discord-webhook-url", &["discord.com/api/webhooks/", "discordapp.com/api/webhooks/"], r"discord(?:app)?\.com/api/webhooks/(\d{5,30}/[A-Za-z0-9_-]{60,100})").kind(Kind::Secret),
    Rule::token("teams-webhook-url", &["/IncomingWebhook/"], r"/IncomingWebhook/([A-Za-z0-9]{32}/[A-Za-z0-9-]{36})").kind(Kind::Secret),
    Rule::token("zapier-webhook-url", &["hooks.zapier.com/hooks/catch/"], r"hooks\.zapier\.com/hooks/catch/(\d+/[A-Za-z0-9]+)").kind(Kind::Secret),
    Rule::token("telegram-bot-token", &[":AA"], r"\d{8,10}:AA[A-Za-z0-9_-]{33}").back(10, digit).word_end(),
    Rule::token("twilio-api-key", &["SK"], r"SK[0-9a-fA-F]{32}").word_end(),
    Rule::token("sendgrid-api-key", &["SG."], r"SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}"),
    Rule::token("mailgun-api-key", &["key-"], r"key-[0-9a-f]{32}").word_end(),
    Rule::token("mailchimp-api-key", &["-us"], r"[0-9a-f]{32}-us\d{1,2}").back(32, hex).word_end(),
    Rule::token("sendinblue-api-key", &["xkeysib-"], r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}"),
    // --- observability and paging
    Rule::token("grafana-token", &["glc_", "glsa_", "eyJrIjoi"], r"glc_[A-Za-z0-9+/]{32,400}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|eyJrIjoi[A-Za-z0-9+/=]{40,}"),
    Rule::token("new-relic-key", &["NRAK-", "NRAA-", "NRIQ-", "NRJS-", "NRII-"], r"NR(?:AK|AA|IQ)-[A-Z0-9]{27}|NRJS-[a-f0-9]{19}|NRII-[A-Za-z0-9_-]{32}"),
    Rule::token("new-relic-license-key", &["NRAL"], r"[a-f0-9]{36}NRAL").back(36, hex).word_end(),
    Rule::token("sentry-token", &["sntrys_", "sntryu_"], r"sntrys_eyJ[A-Za-z0-9+/=_-]{60,}|sntryu_[a-f0-9]{64}"),
    Rule::token("dynatrace-token", &["dt0c01."], r"dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}"),
    Rule::token("pagerduty-integration-url", &["events.pagerduty.com/integration/"], r"events\.pagerduty\.com/integration/([a-f0-9]{32})").kind(Kind::Secret),
    // --- payments and commerce
    Rule::token("stripe-key", &["sk_", "rk_"], r"[sr]k_(?:live|test|prod)_[A-Za-z0-9]{10,247}"),
    Rule::token("stripe-webhook-secret", &["whsec_"], r"whsec_[A-Za-z0-9+/=]{24,}"),
    Rule::token("shopify-token", &["shpat_", "shpca_", "shppa_", "shpss_"], r"shp(?:at|ca|pa|ss)_[A-Za-z0-9]{32,}"),
    Rule::token("square-token", &["sq0atp-", "sq0csp-"], r"sq0(?:atp|csp)-[A-Za-z0-9_-]{22,60}"),
    Rule::token("facebook-access-token", &["EAA"], r"EAA[A-Za-z0-9]{80,}"),
    Rule::token("twitter-bearer-token", &["AAAAAAAAAAAAAAAAAAAAA"], r"A{21,}[A-Za-z0-9%]{30,}").check(varied),
    Rule::token("plaid-access-token", &["access-sandbox-", "access-development-", "access-production-"], r"access-(?:sandbox|development|production)-[a-f0-9-]{36}"),
    Rule::token("braintree-access-token", &["access_token$"], r"access_token\$(?:production|sandbox)\$[a-z0-9]{16}\$[a-f0-9]{32}"),
    Rule::token("flutterwave-secret-key", &["FLWSECK"], r"FLWSECK(?:_TEST)?-[a-fA-F0-9]{32}-X"),
    Rule::token("easypost-api-key", &["EZAK", "EZTK"], r"EZ[AT]K[A-Za-z0-9]{54}"),
    Rule::token("duffel-token", &["duffel_"], r"duffel_(?:test|live)_[A-Za-z0-9_=-]{43}"),
    Rule::token("shippo-token", &["shippo_"], r"shippo_(?:live|test)_[a-f0-9]{40}"),
    Rule::token("adafruit-io-key", &["aio_"], r"aio_[A-Za-z0-9]{28}").word_end(),
    Rule::token("mapbox-secret-token", &["sk.eyJ"], r"sk\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    // --- keys, hashes and blobs
    Rule::token("base64-pem", &["LS0tLS1CRUdJTi"], r"LS0tLS1CRUdJTi[A-Za-z0-9+/=]{10,}").kind(Kind::PrivateKey).max(32 * 1024),
    Rule::token("putty-private-key", &["Private-Lines:"], r"Private-Lines: *\d+\r?\n(?:[A-Za-z0-9+/=]{1,200}\r?\n?){1,200}").kind(Kind::PrivateKey).max(32 * 1024),
    Rule::token("password-hash", &["$2a$", "$2b$", "$2y$", "$1$", "$5$", "$6$", "$apr1$", "$y$", "$argon2"], r"\$(?:2[aby]\$\d\d\$[./A-Za-z0-9]{53}|(?:1|5|6|apr1)\$[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{22,86}|y\$[./A-Za-z0-9]+\$[./A-Za-z0-9]+\$[./A-Za-z0-9]{43}|argon2(?:id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]{16,})").kind(Kind::Secret),
    // --- passwords in prose and on command lines
    Rule::token("password-in-prose", &["with password", "with the password", "using password", "use password", "new password", "temporary password", "default password", "with passphrase", "password is", "passphrase is", "password of", "identified by"],
        r#"(?i)(?:(?:with|using|use|new|temporary|default)\s+(?:the\s+)?pass(?:word|phrase)\s*(?:is\s+|of\s+|:\s*|=\s*)?|pass(?:word|phrase)\s+(?:is|of)\s+|identified\s+by\s+)(?:"([^"\n]{1,128})"|'([^'\n]{1,128})'|([^\s"'`,;()]{3,128}))"#)
        .kind(Kind::Password).any_case().check(not_a_word),
    Rule::token("netrc-password", &["machine "], r"(?i)machine\s+\S+\s+login\s+\S+\s+password\s+(\S+)").kind(Kind::Password).any_case(),
    Rule::token("sshpass-password", &["sshpass"], r#"sshpass\s+-p\s*['"]?([^\s'"]+)"#).kind(Kind::Password),
    Rule::token("mysql-password-flag", &["mysql"], r#"mysql(?:dump|admin)?\s[^\n|;&]{0,120}?\s-p([^\s'"-][^\s'"]*)"#).kind(Kind::Password),
    Rule::token("basic-auth-flag", &["-u ", "--user ", "--user="], r#"(?:-u|--user)[ =]['"]?[^\s:'"@]{1,64}:([^\s'"@]{1,128})"#).kind(Kind::Password).check(not_all_digits),
    // --- personal data behind a key
    Rule::token("phone-after-key", &["phone", "tel", "mobile", "msisdn", "cell", "fax"],
        r#"(?i)(?:phone|tel(?:ephone)?|mobile|msisdn|cell|fax)(?:[_ -]?(?:number|no|num|nr))?["']?\s*[:=]\s*["']?(\+?[\d(][\d ().-]{5,22}\d)"#)
        .kind(Kind::Phone).any_case().check(phone_digits),
];
