//! Configuration: defaults embedded in the binary, overridden key by key by the user's file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::sources::http::HttpConfig;
use crate::sources::timestamp::Zone;

pub mod units;

pub use units::{parse_duration, parse_size, ByteSize, Duration};

pub const DEFAULT_TOML: &str = include_str!("default_config.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config {path}: {key}: {message}")]
    Value { path: PathBuf, key: String, message: String },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub store: StoreConfig,
    pub retention: RetentionConfig,
    pub ingest: IngestConfig,
    pub log: LogConfig,
    /// Live sources `collect` (and the TUI) run; none by default.
    #[serde(default)]
    pub source: Vec<SourceConfig>,
    /// The OTLP/HTTP receiver; off unless configured.
    #[serde(default)]
    pub otlp: Option<OtlpSection>,
    /// The Alertmanager webhook receiver; off unless configured.
    #[serde(default)]
    pub alertmanager_webhook: Option<WebhookSection>,
    /// `collect`'s own endpoints (`/metrics`, `/healthz`); off unless configured.
    #[serde(default)]
    pub collect: Option<CollectSection>,
    /// An OpenAI-compatible LLM for `ask` and the chat; without it the copilot answers offline.
    #[serde(default)]
    pub llm: Option<LlmSection>,
    /// What is redacted, besides credentials, before anything is sent to the LLM.
    pub redact: RedactConfig,
    pub runbooks: RunbooksConfig,
    pub ui: UiConfig,
    /// Endpoints that runbooks' `http` steps may call, by name.
    #[serde(default)]
    pub endpoint: Vec<EndpointConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunbooksConfig {
    /// More folders (or files) of runbooks, after `runbooks/` in the config dir.
    pub paths: Vec<PathBuf>,
    /// Steps marked `read_only` run without asking. Off unless you turn it on; steps that
    /// change something always ask.
    pub auto_run_read_only: bool,
}

/// `[[endpoint]]`: a named HTTP endpoint for runbook steps, with the sources' auth options.
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "EndpointSection")]
pub struct EndpointConfig {
    pub name: String,
    pub http: HttpConfig,
}

/// `[[endpoint]]` as written; its connection keys are a source's.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EndpointSection {
    name: String,
    url: String,
    bearer_token: Option<String>,
    bearer_token_file: Option<PathBuf>,
    basic_user: Option<String>,
    basic_password: Option<String>,
    basic_password_file: Option<PathBuf>,
    ca_file: Option<PathBuf>,
    #[serde(default)]
    insecure_skip_verify: bool,
    /// Whole-request timeout [default: 30s]
    timeout: Option<Duration>,
}

impl From<EndpointSection> for EndpointConfig {
    fn from(e: EndpointSection) -> Self {
        EndpointConfig {
            name: e.name,
            http: HttpConfig {
                url: e.url,
                bearer_token: e.bearer_token,
                bearer_token_file: e.bearer_token_file,
                basic_user: e.basic_user,
                basic_password: e.basic_password,
                basic_password_file: e.basic_password_file,
                ca_file: e.ca_file,
                insecure_skip_verify: e.insecure_skip_verify,
                timeout: e.timeout.map(Duration::get),
            },
        }
    }
}

/// `[llm]`: any OpenAI-compatible chat completions endpoint (OpenAI, vLLM, Ollama, llama.cpp).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmSection {
    /// Up to the API version, like `https://api.openai.com/v1` or `http://127.0.0.1:8080/v1`.
    pub base_url: String,
    pub model: String,
    /// Inline key; prefer `api_key_file` or `OPENAI_API_KEY`.
    pub api_key: Option<String>,
    pub api_key_file: Option<PathBuf>,
    /// Connecting, and each whole request, may take this long.
    #[serde(default = "llm_connect_timeout")]
    pub connect_timeout: Duration,
    #[serde(default = "llm_timeout")]
    pub timeout: Duration,
    /// Longest silence while streaming, the first token included (prompt processing).
    #[serde(default = "llm_idle_timeout")]
    pub idle_timeout: Duration,
    /// Retries of a request that failed before anything streamed (refused, 429, 5xx).
    #[serde(default = "llm_retries")]
    pub retries: u32,
    /// Model calls per question, tool rounds included.
    #[serde(default = "llm_max_steps")]
    pub max_steps: u32,
    /// Tokens per question, prompts and completions of every step together.
    #[serde(default = "llm_token_budget")]
    pub token_budget: u32,
    /// The model's context window, which the evidence is packed to fit.
    #[serde(default = "llm_context_tokens")]
    pub context_tokens: u32,
    /// Longest answer per step.
    #[serde(default = "llm_max_tokens")]
    pub max_tokens: u32,
    #[serde(default)]
    pub temperature: f32,
    /// Offer the model the evidence tools (search_logs, get_trace, query_metric, list_incidents).
    #[serde(default = "yes")]
    pub tools: bool,
    /// A folder whose `system.md`, `answer.md`, `tools.toml` override the built-in prompts,
    /// file by file [default: prompts/ in the config dir].
    pub prompts_dir: Option<PathBuf>,
}

fn llm_connect_timeout() -> Duration {
    Duration::from_secs(5)
}
fn llm_timeout() -> Duration {
    Duration::from_secs(300)
}
fn llm_idle_timeout() -> Duration {
    Duration::from_secs(90)
}
fn llm_retries() -> u32 {
    2
}
fn llm_max_steps() -> u32 {
    4
}
fn llm_token_budget() -> u32 {
    32_000
}
fn llm_context_tokens() -> u32 {
    8192
}
fn llm_max_tokens() -> u32 {
    600
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Alertmanager,
    Prometheus,
    Loki,
    #[serde(alias = "opensearch")]
    Elasticsearch,
    File,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Alertmanager => "alertmanager",
            SourceKind::Prometheus => "prometheus",
            SourceKind::Loki => "loki",
            SourceKind::Elasticsearch => "elasticsearch",
            SourceKind::File => "file",
        }
    }
}

/// One `[[source]]`: the connection settings every HTTP source shares, then each kind's own keys.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub kind: SourceKind,
    /// Names the source in status, cursors and `doctor` [default: its kind, numbered when repeated]
    pub name: Option<String>,
    pub url: Option<String>,
    /// Poll interval [default: 15s; 5s for loki and elasticsearch; 1s for files]
    pub interval: Option<Duration>,
    pub bearer_token: Option<String>,
    pub bearer_token_file: Option<PathBuf>,
    pub basic_user: Option<String>,
    pub basic_password: Option<String>,
    pub basic_password_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub insecure_skip_verify: bool,
    /// Whole-request timeout [default: 30s]
    pub timeout: Option<Duration>,
    /// prometheus: range queries stored as metric series named `name`.
    #[serde(default)]
    pub queries: Vec<QueryConfig>,
    /// prometheus: also poll the rules' firing alerts [default: true]
    pub alerts: Option<bool>,
    /// loki: the LogQL stream selector to follow.
    pub query: Option<String>,
    /// loki: follow over the WebSocket tail endpoint instead of polling.
    #[serde(default)]
    pub tail: bool,
    /// loki: `X-Scope-OrgID`.
    pub tenant: Option<String>,
    /// elasticsearch: index pattern [default: logs-*]
    pub index: Option<String>,
    /// elasticsearch: field mapping overrides (timestamp, message, level, service, host, region, trace_id, span_id).
    #[serde(default)]
    pub fields: std::collections::BTreeMap<String, String>,
    /// elasticsearch: a unique sort field after the timestamp [default: _doc]
    pub tiebreak: Option<String>,
    /// loki, elasticsearch: how far back a first start reads [default: 1h]
    pub lookback: Option<Duration>,
    /// file: a path or glob, wildcards anywhere (`/var/log/app/*.log`, `/var/log/pods/*/*/*.log`, `**`).
    pub path: Option<String>,
    /// file: service name for records that carry none [default: the file's name]
    pub service: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryConfig {
    pub name: String,
    pub expr: String,
    #[serde(default = "default_step")]
    pub step: Duration,
}

fn default_step() -> Duration {
    Duration::from_secs(30)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtlpSection {
    /// `host:port` for OTLP/HTTP (`/v1/logs`, `/v1/traces`, `/v1/metrics`).
    pub listen: String,
    #[serde(default = "default_max_body")]
    pub max_body: ByteSize,
    /// Longest wait for a request head (and on an idle keep-alive connection); then it closes.
    #[serde(default = "default_otlp_header_timeout")]
    pub header_timeout: Duration,
    /// Longest wait for a whole request body once its head arrived; then 408.
    #[serde(default = "default_otlp_body_timeout")]
    pub body_timeout: Duration,
    /// Connections served at once; further ones wait in the accept backlog.
    #[serde(default = "default_otlp_max_connections")]
    pub max_connections: usize,
}

/// `[alertmanager_webhook]`: where Alertmanager's `webhook_configs` post notifications. The limits
/// default to the OTLP receiver's (10s for a request head, 30s for a body, 512 connections, 4MB).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSection {
    /// `host:port` to listen on.
    pub listen: String,
    /// The path served (`/alerts` by default); the `url` in Alertmanager's config ends with it.
    pub path: Option<String>,
    /// Longest wait for a request head (and on an idle keep-alive connection); then it closes.
    pub header_timeout: Option<Duration>,
    /// Longest wait for a whole request body once its head arrived; then 408.
    pub body_timeout: Option<Duration>,
    /// Connections served at once; further ones wait in the accept backlog.
    pub max_connections: Option<usize>,
    /// Largest notification accepted; larger ones are answered 413.
    pub max_body: Option<ByteSize>,
}

/// `[collect]`: the collector's own endpoints.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectSection {
    /// `host:port` serving `/metrics` (Prometheus text format) and `/healthz`.
    pub metrics_listen: Option<String>,
}

fn default_max_body() -> ByteSize {
    ByteSize::from_bytes(16_000_000)
}

fn default_otlp_header_timeout() -> Duration {
    Duration::from_secs(10)
}

fn default_otlp_body_timeout() -> Duration {
    Duration::from_secs(30)
}

fn default_otlp_max_connections() -> usize {
    512
}

/// The index writer's memory floor (it refuses less) and its ceiling per thread (Tantivy's).
const MIN_WRITER_MEMORY_MB: usize = 32;
const MAX_WRITER_MEMORY_MB_PER_THREAD: usize = 4000;
/// A line under 1 KiB cuts ordinary log lines; one over 1 GiB is one allocation per reader.
const MIN_LINE_BYTES: usize = 1024;
const MAX_LINE_BYTES: usize = 1 << 30;
/// Re-analysing more than ten times a second only burns CPU; less than once an hour is not live.
const MIN_REFRESH_MS: u64 = 100;
const MAX_REFRESH_MS: u64 = 3_600_000;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    pub writer_memory_mb: usize,
    pub writer_threads: usize,
    pub merge_max_docs: usize,
    pub commit_interval: Duration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    /// `0` keeps records forever.
    pub max_age: Duration,
    /// `0` sets no bound.
    pub max_size: ByteSize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    pub max_line_bytes: usize,
    pub assume_timezone: String,
    /// `assume_timezone`, parsed when the config is loaded.
    #[serde(skip)]
    pub zone: Zone,
}

/// The terminal UI.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiConfig {
    /// A theme shipped in themes/ (dark, light, high-contrast) or a file path.
    pub theme: String,
    /// Most frames drawn per second; nothing is drawn while nothing changed.
    pub max_fps: u32,
    /// How often incidents are re-analysed from the data dir, in milliseconds.
    pub refresh_ms: u64,
    /// Scroll and click with the mouse (off: the terminal keeps its own selection).
    pub mouse: bool,
    /// Key overrides: action name -> keys, like `quit = ["q", "ctrl-c"]` (see `?` in the UI).
    pub keys: std::collections::BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub level: String,
}

fn merge(base: &mut toml::Value, over: toml::Value) {
    match (base, over) {
        (toml::Value::Table(b), toml::Value::Table(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

impl Config {
    /// The embedded defaults, with `user` (TOML text from `path`) over them.
    pub fn from_layers(user: Option<(&Path, &str)>) -> Result<Self, ConfigError> {
        Self::from_layers_with(user, &|name| std::env::var(name).ok()).map(|(cfg, _)| cfg)
    }

    /// [`Config::from_layers`] with `${VAR}` looked up in `env`; also returns the secret fields the user's file
    /// sets to a literal value (see [`is_secret_key`]), by their dotted path.
    fn from_layers_with(
        user: Option<(&Path, &str)>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(Self, Vec<String>), ConfigError> {
        let builtin = Path::new("<built-in defaults>");
        let mut value: toml::Value = toml::from_str(DEFAULT_TOML)
            .map_err(|e| ConfigError::Parse { path: builtin.into(), message: e.to_string() })?;
        let origin = user.map_or(builtin, |(p, _)| p);
        let mut literal_secrets = Vec::new();
        if let Some((path, text)) = user {
            let mut over: toml::Value =
                toml::from_str(text).map_err(|e| ConfigError::Parse { path: path.into(), message: e.to_string() })?;
            // `${VAR}` inside string values only, after parsing: a value from the environment stays one string,
            // whatever quotes or newlines it holds, so it cannot add keys or tables.
            expand_strings(&mut over, "", None, env, &mut literal_secrets)
                .map_err(|(key, message)| ConfigError::Value { path: path.into(), key, message })?;
            merge(&mut value, over);
        }
        let mut cfg: Config = value.try_into().map_err(|e: toml::de::Error| value_error(origin, &e))?;
        cfg.validate(origin)?;
        cfg.ingest.zone = parse_timezone(&cfg.ingest.assume_timezone).map_err(|message| ConfigError::Value {
            path: origin.into(),
            key: "ingest.assume_timezone".into(),
            message,
        })?;
        Ok((cfg, literal_secrets))
    }

    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read { path: p.into(), source })?;
                let (cfg, literal_secrets) = Self::from_layers_with(Some((p, &text)), &|n| std::env::var(n).ok())?;
                // A file holding a secret inline must be private, like an ssh key.
                if !literal_secrets.is_empty() {
                    check_secret_file(p, &literal_secrets)?;
                }
                Ok(cfg)
            }
            None => Self::from_layers(None),
        }
    }

    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let bad = |key: &str, message: String| ConfigError::Value { path: path.into(), key: key.into(), message };
        if self.store.commit_interval.is_zero() {
            return Err(bad("store.commit_interval", "must be positive".into()));
        }
        self.validate_plain_numbers(path)?;
        let mut names = std::collections::BTreeSet::new();
        for (i, s) in self.source.iter().enumerate() {
            let key = |k: &str| format!("source[{i}] ({}).{k}", s.kind.as_str());
            let name = self.source_name(i);
            if !names.insert(name.clone()) {
                return Err(bad(&key("name"), format!("'{name}' names two sources")));
            }
            match s.kind {
                SourceKind::File if s.path.is_none() => {
                    return Err(bad(&key("path"), "a file source needs a path".into()))
                }
                // A path with glob syntax that compiles is a glob; any other is taken literally, as a shell does.
                SourceKind::File => {}
                _ if s.url.is_none() => return Err(bad(&key("url"), "is required".into())),
                _ => {}
            }
            // A zero poll interval or timeout would spin or fail every request; a zero lookback is fine.
            for (k, v) in [("interval", s.interval), ("timeout", s.timeout)] {
                if v.is_some_and(Duration::is_zero) {
                    return Err(bad(&key(k), "must be positive".into()));
                }
            }
            if let Some(q) = s.queries.iter().find(|q| q.step.is_zero()) {
                return Err(bad(&key("queries.step"), format!("query '{}': must be positive", q.name)));
            }
            if !s.queries.is_empty() && s.kind != SourceKind::Prometheus {
                return Err(bad(&key("queries"), "only prometheus sources run queries".into()));
            }
        }
        if let Some(l) = &self.llm {
            for (k, v) in
                [("connect_timeout", l.connect_timeout), ("timeout", l.timeout), ("idle_timeout", l.idle_timeout)]
            {
                if v.is_zero() {
                    return Err(bad(&format!("llm.{k}"), "must be positive".into()));
                }
            }
            if !(l.base_url.starts_with("http://") || l.base_url.starts_with("https://")) {
                return Err(bad("llm.base_url", format!("'{}' is not an http(s) URL", l.base_url)));
            }
            if l.max_steps == 0 || l.context_tokens < 1024 || l.max_tokens == 0 {
                return Err(bad(
                    "llm",
                    "max_steps and max_tokens must be positive, context_tokens at least 1024".into(),
                ));
            }
            if l.max_tokens >= l.context_tokens / 2 {
                return Err(bad(
                    "llm.max_tokens",
                    "must be under half of context_tokens, to leave room for evidence".into(),
                ));
            }
        }
        if let Some(o) = &self.otlp {
            o.listen.parse::<std::net::SocketAddr>().map_err(|e| bad("otlp.listen", format!("'{}': {e}", o.listen)))?;
            if o.max_body.bytes() == 0 {
                return Err(bad("otlp.max_body", "must be positive".into()));
            }
            for (key, v) in [("otlp.header_timeout", o.header_timeout), ("otlp.body_timeout", o.body_timeout)] {
                if v.is_zero() {
                    return Err(bad(key, "must be positive".into()));
                }
            }
            if o.max_connections == 0 {
                return Err(bad("otlp.max_connections", "must be positive".into()));
            }
        }
        self.validate_collect_endpoints(path)?;
        Ok(())
    }

    /// The keys whose name carries their unit take a plain number: zero, or a value no machine
    /// could honour (often a unit mistaken, like bytes given to a `_mb` key), stops the load.
    fn validate_plain_numbers(&self, path: &Path) -> Result<(), ConfigError> {
        let bad = |key: &str, message: String| ConfigError::Value { path: path.into(), key: key.into(), message };
        // Tantivy splits the budget over the writer's threads and takes under 4 GiB per thread.
        let threads = self.store.writer_threads.max(1);
        let memory_mb = self.store.writer_memory_mb;
        if !(MIN_WRITER_MEMORY_MB..=MAX_WRITER_MEMORY_MB_PER_THREAD.saturating_mul(threads)).contains(&memory_mb) {
            return Err(bad(
                "store.writer_memory_mb",
                format!(
                    "{memory_mb}: must be between {MIN_WRITER_MEMORY_MB} and {} (MiB, {MAX_WRITER_MEMORY_MB_PER_THREAD} per writer thread)",
                    MAX_WRITER_MEMORY_MB_PER_THREAD.saturating_mul(threads)
                ),
            ));
        }
        let line = self.ingest.max_line_bytes;
        if !(MIN_LINE_BYTES..=MAX_LINE_BYTES).contains(&line) {
            return Err(bad(
                "ingest.max_line_bytes",
                format!("{line}: must be between {MIN_LINE_BYTES} and {MAX_LINE_BYTES} (bytes; a line is held whole)"),
            ));
        }
        let refresh = self.ui.refresh_ms;
        if !(MIN_REFRESH_MS..=MAX_REFRESH_MS).contains(&refresh) {
            return Err(bad(
                "ui.refresh_ms",
                format!("{refresh}: must be between {MIN_REFRESH_MS} and {MAX_REFRESH_MS} (milliseconds)"),
            ));
        }
        Ok(())
    }

    fn validate_collect_endpoints(&self, path: &Path) -> Result<(), ConfigError> {
        let bad = |key: &str, message: String| ConfigError::Value { path: path.into(), key: key.into(), message };
        if let Some(w) = &self.alertmanager_webhook {
            w.listen.parse::<std::net::SocketAddr>().map_err(|e| bad("alertmanager_webhook.listen", e.to_string()))?;
            for (key, zero) in [
                ("header_timeout", w.header_timeout.is_some_and(|d| d.is_zero())),
                ("body_timeout", w.body_timeout.is_some_and(|d| d.is_zero())),
                ("max_connections", w.max_connections == Some(0)),
                ("max_body", w.max_body.is_some_and(|b| b.bytes() == 0)),
            ] {
                if zero {
                    return Err(bad(&format!("alertmanager_webhook.{key}"), "must be more than 0".into()));
                }
            }
            if w.path.as_ref().is_some_and(|p| !p.starts_with('/')) {
                return Err(bad("alertmanager_webhook.path", "must start with /".into()));
            }
        }
        if let Some(l) = self.collect.as_ref().and_then(|c| c.metrics_listen.as_ref()) {
            l.parse::<std::net::SocketAddr>().map_err(|e| bad("collect.metrics_listen", format!("'{l}': {e}")))?;
        }
        Ok(())
    }

    /// The name of source `i`: its own, else its kind, numbered from the second of a kind.
    pub fn source_name(&self, i: usize) -> String {
        let s = &self.source[i];
        if let Some(n) = &s.name {
            return n.clone();
        }
        let nth = self.source[..i].iter().filter(|o| o.kind == s.kind && o.name.is_none()).count();
        if nth == 0 {
            s.kind.as_str().to_string()
        } else {
            format!("{}-{}", s.kind.as_str(), nth + 1)
        }
    }

    pub fn commit_interval(&self) -> std::time::Duration {
        self.store.commit_interval.get()
    }

    /// `None` when records are kept forever.
    pub fn max_age(&self) -> Option<chrono::Duration> {
        // Durations are capped at 100 years when read, which chrono holds.
        Some(self.retention.max_age).filter(|d| !d.is_zero()).and_then(|d| chrono::Duration::from_std(d.get()).ok())
    }

    /// `None` when the index may grow without bound.
    pub fn max_size(&self) -> Option<u64> {
        Some(self.retention.max_size.bytes()).filter(|s| *s > 0)
    }

    /// The timezone of times written without an offset.
    pub fn assume_zone(&self) -> Zone {
        self.ingest.zone
    }
}

/// Whether a key names a secret, wherever it appears: `bearer_token`, `basic_password`, `api_key`, `secret`,
/// `*_token`, `*_password`, `*_secret`, `*_key`, a `credentials` or `authorization` value... The `*_file`
/// variants name a file, not a secret.
fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    if k.ends_with("_file") || k.ends_with("_path") {
        return false;
    }
    k == "key"
        || k.ends_with("_key")
        || k.ends_with("-key")
        || k.ends_with("apikey")
        || ["password", "passwd", "passphrase", "secret", "token", "credential", "authorization", "cookie"]
            .iter()
            .any(|w| k.contains(w))
}

/// A value that is not only a `${VAR}` reference (or empty) is a literal.
fn is_literal(raw: &str) -> bool {
    let t = raw.trim();
    !(t.is_empty() || (t.starts_with("${") && t.ends_with('}') && t.matches("${").count() == 1))
}

/// Expands `${VAR}` in every string of `v`, and lists the secret fields set to a literal. `key` is the nearest
/// key above (an array's elements are checked under their array's key). Errors name the field.
fn expand_strings(
    v: &mut toml::Value,
    path: &str,
    key: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    literal_secrets: &mut Vec<String>,
) -> Result<(), (String, String)> {
    match v {
        toml::Value::String(s) => {
            if key.is_some_and(is_secret_key) && is_literal(s) {
                literal_secrets.push(path.to_string());
            }
            // The value is not echoed in errors: it may be a secret.
            *s = crate::sources::http::expand_with(s, env).map_err(|e| {
                let message = match e {
                    crate::sources::http::HttpError::EnvSyntax { .. } => "unterminated ${ in the value".to_string(),
                    other => other.to_string(),
                };
                (path.to_string(), message)
            })?;
        }
        toml::Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                expand_strings(item, &format!("{path}[{i}]"), key, env, literal_secrets)?;
            }
        }
        toml::Value::Table(t) => {
            for (k, item) in t.iter_mut() {
                let sub = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                expand_strings(item, &sub, Some(k), env, literal_secrets)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Refuses a config file that holds literal secrets and that others than its owner can read.
fn check_secret_file(path: &Path, literal_secrets: &[String]) -> Result<(), ConfigError> {
    crate::sources::http::check_private(path).map_err(|e| ConfigError::Value {
        path: path.into(),
        key: literal_secrets.join(", "),
        message: format!(
            "a secret written in the file needs the file private: {e}; or set it from the environment \
             (\"${{VAR}}\") or from a private file (the key's *_file form)"
        ),
    })
}

/// A value the TOML parser refused while deserializing, under the key it names (`retention.max_age`), or the
/// whole file's error where it names none.
fn value_error(path: &Path, e: &toml::de::Error) -> ConfigError {
    // toml writes the key path on its own last line, "in `a.b`", when it has no source text to point into.
    let text = e.to_string();
    let key = text.lines().last().and_then(|l| l.strip_prefix("in `")).and_then(|l| l.strip_suffix('`'));
    match key {
        Some(key) => ConfigError::Value { path: path.into(), key: key.to_string(), message: e.message().to_string() },
        None => ConfigError::Parse { path: path.into(), message: e.message().to_string() },
    }
}

/// `UTC`, `local`, `+HH:MM` / `-HH:MM`, or an IANA name such as `Europe/Berlin`.
pub fn parse_timezone(s: &str) -> Result<Zone, String> {
    Zone::parse(s)
}

/// The `[redact]` section: what besides credentials gets redacted (credentials always are).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RedactConfig {
    /// IPv4 and IPv6 addresses (loopback and unspecified are left alone).
    pub ips: bool,
    /// Fully qualified host names with a known TLD or a cluster-internal suffix.
    pub hostnames: bool,
    /// Email addresses.
    pub emails: bool,
}

impl Default for RedactConfig {
    // Addresses and host names are usually the evidence itself, so they are opt-in.
    fn default() -> Self {
        RedactConfig { ips: false, hostnames: false, emails: true }
    }
}

#[cfg(test)]
mod tests;
