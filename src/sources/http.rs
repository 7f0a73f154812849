//! What every pull source shares: the HTTP client (auth, TLS, timeouts), secret files and
//! `${VAR}` expansion in config values.
//!
//! Credentials become default headers marked sensitive, so they never show in `Debug` output
//! or logs. Secret files must be private to their owner, the way ssh treats keys.

use std::error::Error as StdError;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, RETRY_AFTER};

/// Used when a source sets no `timeout`: long enough for a slow query, short enough that a
/// hung backend shows as degraded instead of freezing the source.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is readable by group or others: run chmod 600 {path}")]
    NotPrivate { path: PathBuf },
    #[error("{path} is empty")]
    EmptySecret { path: PathBuf },
    #[error("environment variable {name} is not set")]
    EnvUnset { name: String },
    #[error("unterminated ${{ in '{text}'")]
    EnvSyntax { text: String },
    #[error("{0}")]
    Config(String),
    #[error("ca_file {path}: {message}")]
    Ca { path: PathBuf, message: String },
    #[error("cannot build the http client: {0}")]
    Build(String),
    #[error("{url}: {message}")]
    Request { url: String, message: String },
}

/// Connection settings of one pull source, typed: the config reads its sections into these. Secrets can come
/// inline (after `${VAR}` expansion) or from a private file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HttpConfig {
    /// Base URL, e.g. `http://127.0.0.1:9093`; a path prefix (`--web.route-prefix`) is kept.
    pub url: String,
    pub bearer_token: Option<String>,
    pub bearer_token_file: Option<PathBuf>,
    pub basic_user: Option<String>,
    pub basic_password: Option<String>,
    pub basic_password_file: Option<PathBuf>,
    /// PEM bundle of extra CAs to trust (besides the built-in web roots).
    pub ca_file: Option<PathBuf>,
    pub insecure_skip_verify: bool,
    /// Whole-request timeout; default [`DEFAULT_TIMEOUT`].
    pub timeout: Option<Duration>,
}

impl HttpConfig {
    pub fn new(url: impl Into<String>) -> Self {
        HttpConfig { url: url.into(), ..HttpConfig::default() }
    }

    /// The `Authorization` header value this config asks for, if any.
    pub fn authorization(&self) -> Result<Option<String>, HttpError> {
        let bearer = one_of(&self.bearer_token, &self.bearer_token_file, "bearer_token")?;
        let password = one_of(&self.basic_password, &self.basic_password_file, "basic_password")?;
        match (bearer, &self.basic_user, password) {
            (Some(_), Some(_), _) => {
                Err(HttpError::Config("set either bearer_token(_file) or basic_user, not both".into()))
            }
            (Some(token), None, None) => Ok(Some(format!("Bearer {token}"))),
            (Some(_), None, Some(_)) => {
                Err(HttpError::Config("basic_password is set without basic_user, alongside a bearer token".into()))
            }
            (None, Some(user), password) => {
                let creds = format!("{user}:{}", password.unwrap_or_default());
                Ok(Some(format!("Basic {}", base64(creds.as_bytes()))))
            }
            (None, None, Some(_)) => Err(HttpError::Config("basic_password is set without basic_user".into())),
            (None, None, None) => Ok(None),
        }
    }

    /// `base` + `path`, with exactly one slash between them.
    pub fn endpoint(&self, path: &str) -> String {
        join_url(&self.url, path)
    }
}

fn one_of(inline: &Option<String>, file: &Option<PathBuf>, what: &str) -> Result<Option<String>, HttpError> {
    match (inline, file) {
        (Some(_), Some(_)) => Err(HttpError::Config(format!("set either {what} or {what}_file, not both"))),
        (Some(v), None) => Ok(Some(v.clone())),
        (None, Some(path)) => read_secret_file(path).map(Some),
        (None, None) => Ok(None),
    }
}

/// `base` + `path` with exactly one slash between them; `base` may carry a route prefix.
pub fn join_url(base: &str, path: &str) -> String {
    format!("{}/{}", base.trim_end_matches('/'), path.trim_start_matches('/'))
}

/// A client for one source: auth headers (sensitive), extra CAs, rustls, timeouts.
pub fn build_client(cfg: &HttpConfig) -> Result<reqwest::Client, HttpError> {
    if cfg.url.trim().is_empty() {
        return Err(HttpError::Config("url is empty".into()));
    }
    if !(cfg.url.starts_with("http://") || cfg.url.starts_with("https://")) {
        return Err(HttpError::Config(format!("url '{}' must start with http:// or https://", cfg.url)));
    }
    let mut headers = HeaderMap::new();
    if let Some(auth) = cfg.authorization()? {
        let mut value = HeaderValue::from_str(&auth)
            .map_err(|_| HttpError::Config("credentials contain characters not allowed in a header".into()))?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    let timeout = cfg.timeout.unwrap_or(DEFAULT_TIMEOUT);
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .default_headers(headers)
        .user_agent(concat!("firewatch/", env!("CARGO_PKG_VERSION")))
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        // A poll every few seconds reuses its connection; a dead peer is noticed by the next poll.
        .pool_idle_timeout(Duration::from_secs(90));
    if let Some(path) = &cfg.ca_file {
        let pem = std::fs::read(path).map_err(|source| HttpError::Read { path: path.clone(), source })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| HttpError::Ca { path: path.clone(), message: error_chain(&e) })?;
        if certs.is_empty() {
            return Err(HttpError::Ca { path: path.clone(), message: "no PEM certificate found".into() });
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    if cfg.insecure_skip_verify {
        tracing::warn!(url = %cfg.url, "insecure_skip_verify: TLS certificates are not checked");
        builder = builder.danger_accept_invalid_certs(true);
    }
    builder.build().map_err(|e| HttpError::Build(error_chain(&e)))
}

/// An error and its causes joined with `: `; reqwest's own message omits the cause
/// ("connection refused"), which is the part a user needs.
pub fn error_chain(e: &(dyn StdError + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let msg = s.to_string();
        if !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        cur = s.source();
    }
    out
}

/// A failed request as [`HttpError::Request`], with the cause chain and without reqwest's
/// repetition of the URL.
pub fn request_error(url: &str, e: &reqwest::Error) -> HttpError {
    let mut message = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else if e.is_decode() {
        "bad response body".to_string()
    } else {
        String::new()
    };
    let mut cur = e.source();
    while let Some(s) = cur {
        let msg = s.to_string();
        if !message.contains(&msg) {
            if !message.is_empty() {
                message.push_str(": ");
            }
            message.push_str(&msg);
        }
        cur = s.source();
    }
    if message.is_empty() {
        message = e.to_string();
    }
    HttpError::Request { url: url.to_string(), message }
}

/// Sends a request and returns the status and body. Network failures become
/// [`HttpError::Request`]; HTTP error statuses are left to the caller, whose API may explain
/// them in the body.
pub async fn send(url: &str, req: reqwest::RequestBuilder) -> Result<(reqwest::StatusCode, Vec<u8>), HttpError> {
    send_reply(url, req).await.map(|r| (r.status, r.body))
}

/// A response body cut to a size fit for an error message.
pub fn snippet(body: &[u8]) -> String {
    const MAX: usize = 300;
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.len() <= MAX {
        return text.to_string();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// Refuses a file that group or others can read: it holds secrets.
pub fn check_private(path: &Path) -> Result<(), HttpError> {
    let meta = std::fs::metadata(path).map_err(|source| HttpError::Read { path: path.to_path_buf(), source })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o044 != 0 {
            return Err(HttpError::NotPrivate { path: path.to_path_buf() });
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    Ok(())
}

/// A secret from a private file, without its trailing newline.
pub fn read_secret_file(path: &Path) -> Result<String, HttpError> {
    check_private(path)?;
    let text = std::fs::read_to_string(path).map_err(|source| HttpError::Read { path: path.to_path_buf(), source })?;
    let secret = text.trim_end_matches(['\n', '\r']).to_string();
    if secret.is_empty() {
        return Err(HttpError::EmptySecret { path: path.to_path_buf() });
    }
    Ok(secret)
}

/// Replaces `${VAR}` with the environment variable's value; `$$` is a literal `$`, and a `$`
/// before anything else stays as it is.
pub fn expand_env(text: &str) -> Result<String, HttpError> {
    expand_with(text, |name| std::env::var(name).ok())
}

/// [`expand_env`] over any lookup (tests use a map, not the process environment).
pub fn expand_with(text: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, HttpError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = body.find('}').ok_or_else(|| HttpError::EnvSyntax { text: text.to_string() })?;
            let name = &body[..end];
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(HttpError::Config(format!("'${{{name}}}' is not a valid environment variable reference")));
            }
            out.push_str(&lookup(name).ok_or_else(|| HttpError::EnvUnset { name: name.to_string() })?);
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// A reply's `Retry-After` (RFC 9110: seconds, or an HTTP date), as a wait from `now`. A date in the past is no
/// wait at all; a malformed value is ignored, as if absent.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// A reply whose status is left to the caller, with the wait the server asked for.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: reqwest::StatusCode,
    pub body: Vec<u8>,
    pub retry_after: Option<Duration>,
}

/// [`send`], keeping the server's `Retry-After`.
pub async fn send_reply(url: &str, req: reqwest::RequestBuilder) -> Result<Reply, HttpError> {
    let resp = req.send().await.map_err(|e| request_error(url, &e))?;
    let status = resp.status();
    let retry_after = retry_after(resp.headers(), Utc::now());
    let body = resp.bytes().await.map_err(|e| request_error(url, &e))?;
    Ok(Reply { status, body: body.to_vec(), retry_after })
}

/// Standard base64 with padding, for the basic-auth header (not worth a dependency).
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::io::Write;

    fn secret_file(mode: u32, text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(f.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        }
        f
    }

    #[test]
    fn base64_matches_rfc4648() {
        for (i, o) in
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE=")]
        {
            assert_eq!(base64(i.as_bytes()), o);
        }
        assert_eq!(base64(b"Aladdin:open sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    }

    #[test]
    fn env_expansion() {
        let env: HashMap<&str, &str> = [("TOKEN", "s3cr3t"), ("EMPTY", "")].into();
        let look = |k: &str| env.get(k).map(|v| v.to_string());
        assert_eq!(expand_with("Bearer ${TOKEN}!", look).unwrap(), "Bearer s3cr3t!");
        assert_eq!(expand_with("$${TOKEN} costs $5 ${EMPTY}", look).unwrap(), "${TOKEN} costs $5 ");
        assert_eq!(expand_with("trailing $", look).unwrap(), "trailing $");
        let err = expand_with("x ${NOPE} y", look).unwrap_err();
        assert_eq!(err.to_string(), "environment variable NOPE is not set");
        assert!(expand_with("x ${TOKEN", look).unwrap_err().to_string().starts_with("unterminated"));
        assert!(expand_with("${A B}", look).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn secret_files_must_be_private() {
        let f = secret_file(0o600, "tok3n\n");
        assert_eq!(read_secret_file(f.path()).unwrap(), "tok3n");
        let open = secret_file(0o644, "tok3n\n");
        let msg = read_secret_file(open.path()).unwrap_err().to_string();
        assert!(msg.contains(&format!("chmod 600 {}", open.path().display())), "{msg}");
        assert!(check_private(open.path()).is_err());
        assert!(check_private(f.path()).is_ok());
        assert!(matches!(read_secret_file(secret_file(0o600, "\n").path()), Err(HttpError::EmptySecret { .. })));
        assert!(matches!(read_secret_file(Path::new("/nonexistent/x")), Err(HttpError::Read { .. })));
    }

    #[test]
    fn authorization_headers() {
        let mut c = HttpConfig::new("http://127.0.0.1:9093");
        assert_eq!(c.authorization().unwrap(), None);
        c.bearer_token = Some("abc".into());
        assert_eq!(c.authorization().unwrap().as_deref(), Some("Bearer abc"));
        c.basic_user = Some("u".into());
        assert!(c.authorization().is_err());
        c.bearer_token = None;
        c.basic_password = Some("p".into());
        assert_eq!(c.authorization().unwrap().as_deref(), Some("Basic dTpw"));
        c.basic_password_file = Some("/x".into());
        assert!(c.authorization().unwrap_err().to_string().contains("not both"));
    }

    #[test]
    fn client_building() {
        let mut c = HttpConfig::new("http://127.0.0.1:9093/am/");
        assert_eq!(c.endpoint("/api/v2/alerts"), "http://127.0.0.1:9093/am/api/v2/alerts");
        c.bearer_token = Some("abc".into());
        assert!(build_client(&c).is_ok());
        c.bearer_token = Some("bad\ntoken".into());
        assert!(build_client(&c).is_err());
        assert!(build_client(&HttpConfig::new("127.0.0.1:9093")).is_err());
        let mut with_ca = HttpConfig::new("https://x");
        let ca = secret_file(0o644, "not a pem");
        with_ca.ca_file = Some(ca.path().to_path_buf());
        assert!(matches!(build_client(&with_ca), Err(HttpError::Ca { .. })));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z").unwrap().with_timezone(&Utc);
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(RETRY_AFTER, HeaderValue::from_str(v).unwrap());
            retry_after(&h, now)
        };
        assert_eq!(with("120"), Some(Duration::from_secs(120)));
        assert_eq!(with("Mon, 23 Nov 2026 12:00:30 GMT"), Some(Duration::from_secs(30)));
        assert_eq!(with("Mon, 23 Nov 2026 11:00:00 GMT"), Some(Duration::ZERO));
        assert_eq!(with("soon"), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }
}
