//! Container log files as a node keeps them: the CRI format of containerd and CRI-O
//! (`2026-01-02T03:04:05.123456789Z stdout F message`), Docker's json-file driver
//! (`{"log":"message\n","stream":"stdout","time":"..."}`), and what Kubernetes' log paths say about
//! the pod, namespace and container.

use std::borrow::Cow;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::timestamp::TsContext;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "stdout" => Some(Stream::Stdout),
            "stderr" => Some(Stream::Stderr),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// The attribute a record's stream is kept in (OpenTelemetry's name for it).
pub const STREAM_ATTRIBUTE: &str = "log.iostream";

/// One line of a container runtime's log file, unwrapped.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope<'a> {
    /// When the runtime wrote the line; `None` if outside the plausible window.
    pub time: Option<DateTime<Utc>>,
    pub stream: Stream,
    /// The message goes on in the next line (CRI's `P`; a Docker line without its `\n`): runtimes split lines
    /// longer than their buffer (16 KiB in Docker and containerd).
    pub partial: bool,
    /// What the container wrote, without the runtime's wrapper.
    pub message: Cow<'a, str>,
    /// Docker's `attrs` (labels and env chosen with `--log-opt`).
    pub attrs: Map<String, Value>,
}

fn runtime_time(s: &str, ctx: &TsContext) -> Option<Result<DateTime<Utc>, ()>> {
    let t = DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc);
    Some(if ctx.plausible(t) { Ok(t) } else { Err(()) })
}

/// A CRI line: `TIME STREAM TAGS MESSAGE`, TIME in RFC 3339 with nanoseconds, TAGS `F` (full) or `P` (partial)
/// joined by `:`.
pub fn cri<'a>(line: &'a str, ctx: &TsContext) -> Option<Envelope<'a>> {
    let b = line.as_bytes();
    // Cheap test first: every line of every text file comes through here.
    if b.len() < 29 || !b[0].is_ascii_digit() || b[4] != b'-' || b[10] != b'T' {
        return None;
    }
    let (time, rest) = line.split_once(' ')?;
    let (stream, rest) = rest.split_once(' ')?;
    let stream = Stream::parse(stream)?;
    let (tags, message) = rest.split_once(' ').unwrap_or((rest, ""));
    if tags.is_empty() || !tags.split(':').all(|t| matches!(t, "F" | "P")) {
        return None;
    }
    let time = runtime_time(time, ctx)?.ok();
    let partial = tags.split(':').any(|t| t == "P");
    Some(Envelope { time, stream, partial, message: Cow::Borrowed(message), attrs: Map::new() })
}

/// A Docker json-file line: an object of exactly `log`, `stream`, `time` (and `attrs`). Taken out of `obj`
/// when it is one; `obj` is left alone when it is not.
pub fn docker(obj: &mut Map<String, Value>, ctx: &TsContext) -> Option<Envelope<'static>> {
    let shape = obj.len() <= 4
        && obj.keys().all(|k| matches!(k.as_str(), "log" | "stream" | "time" | "attrs"))
        && matches!(obj.get("log"), Some(Value::String(_)))
        && obj.get("stream").and_then(Value::as_str).and_then(Stream::parse).is_some()
        && obj.get("time").and_then(Value::as_str).is_some_and(|t| DateTime::parse_from_rfc3339(t).is_ok());
    if !shape {
        return None;
    }
    let stream = obj.get("stream").and_then(Value::as_str).and_then(Stream::parse)?;
    let time = obj.get("time").and_then(Value::as_str).and_then(|t| runtime_time(t, ctx)).and_then(Result::ok);
    let Some(Value::String(mut log)) = obj.remove("log") else { return None };
    let partial = !log.ends_with('\n');
    if !partial {
        log.pop();
        if log.ends_with('\r') {
            log.pop();
        }
    }
    let attrs = match obj.remove("attrs") {
        Some(Value::Object(a)) => a,
        _ => Map::new(),
    };
    Some(Envelope { time, stream, partial, message: Cow::Owned(log), attrs })
}

/// Where a container's log file sits on a Kubernetes node.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct K8sPath {
    pub namespace: String,
    pub pod: String,
    pub container: String,
}

impl K8sPath {
    /// `/var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart>.log` (and its rotations, `0.log.<date>`,
    /// `0.log.<date>.gz`), or the kubelet's symlinks `/var/log/containers/<pod>_<namespace>_<container>-<id>.log`.
    pub fn from_path(path: &Path) -> Option<K8sPath> {
        let mut parts = path.iter().rev().map(|c| c.to_str());
        let file = parts.next()??;
        let parent = parts.next()??;
        if parent == "containers" {
            let (pod, namespace, rest) = split3(file.strip_suffix(".log")?)?;
            let (container, id) = rest.rsplit_once('-')?;
            let hex = id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit());
            return hex.then(|| K8sPath::new(namespace, pod, container)).flatten();
        }
        let pod_dir = parts.next()??;
        if parts.next()?? != "pods" {
            return None;
        }
        let (restart, _) = file.split_once(".log")?;
        if restart.is_empty() || !restart.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (namespace, pod, _uid) = split3(pod_dir)?;
        K8sPath::new(namespace, pod, parent)
    }

    fn new(namespace: &str, pod: &str, container: &str) -> Option<K8sPath> {
        let label = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        (label(namespace) && label(pod) && label(container)).then(|| K8sPath {
            namespace: namespace.to_string(),
            pod: pod.to_string(),
            container: container.to_string(),
        })
    }

    /// The service: the workload the pod belongs to, its name without what its controller appended. A
    /// Deployment's pod `checkout-7d9c8b6f5-x2x9q` is `checkout`, a StatefulSet's `postgres-0` is `postgres`,
    /// a DaemonSet's `fluent-bit-k8xzq` is `fluent-bit`. The workload rather than the container, because
    /// container names are often generic (`app`, `main`, `server`) and sidecars share their pod's service, as
    /// in OpenTelemetry's resource conventions. Only suffixes Kubernetes generates are cut (its random
    /// strings are drawn from consonants and digits, so a word like `redis` is never taken for one).
    pub fn service(&self) -> String {
        crate::model::workload_name(&self.pod).to_string()
    }

    /// Resource attributes, by their OpenTelemetry names.
    pub fn attributes(&self) -> [(&'static str, &str); 3] {
        [("k8s.namespace.name", &self.namespace), ("k8s.pod.name", &self.pod), ("k8s.container.name", &self.container)]
    }
}

fn split3(s: &str) -> Option<(&str, &str, &str)> {
    let (a, rest) = s.split_once('_')?;
    let (b, c) = rest.split_once('_')?;
    Some((a, b, c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ctx() -> TsContext {
        TsContext::utc(Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap())
    }

    #[test]
    fn cri_lines() {
        let e = cri("2026-01-02T03:04:05.123456789Z stdout F hello world", &ctx()).unwrap();
        assert_eq!((e.stream, e.partial, e.message.as_ref()), (Stream::Stdout, false, "hello world"));
        assert_eq!(e.time.unwrap().timestamp_nanos_opt(), Some(1_767_323_045_123_456_789));
        let e = cri("2026-01-02T04:04:05.1+01:00 stderr P {\"a\":", &ctx()).unwrap();
        assert_eq!((e.stream, e.partial, e.message.as_ref()), (Stream::Stderr, true, "{\"a\":"));
        assert_eq!(e.time.unwrap().to_rfc3339(), "2026-01-02T03:04:05.100+00:00");
        assert_eq!(cri("2026-01-02T03:04:05.123456789Z stdout F", &ctx()).unwrap().message, "");
        // Far in the future: still CRI, but without a time.
        assert_eq!(cri("2099-01-02T03:04:05.123456789Z stdout F x", &ctx()).unwrap().time, None);
        for not in [
            "2026-01-02T03:04:05.123456789Z INFO F started",
            "2026-01-02T03:04:05.123456789Z stdout X started",
            "2026-01-02T03:04:05Z stdout is where it went",
            "2026-01-02 03:04:05.123456789 stdout F x",
            "short",
        ] {
            assert_eq!(cri(not, &ctx()), None, "{not}");
        }
    }

    #[test]
    fn docker_lines() {
        let mut m: Map<String, Value> =
            serde_json::from_str(r#"{"log":"GET /\r\n","stream":"stderr","time":"2026-01-02T03:04:05.5Z"}"#).unwrap();
        let e = docker(&mut m, &ctx()).unwrap();
        assert_eq!((e.stream, e.partial, e.message.as_ref()), (Stream::Stderr, false, "GET /"));
        let mut m: Map<String, Value> = serde_json::from_str(
            r#"{"log":"part","stream":"stdout","time":"2026-01-02T03:04:05Z","attrs":{"tag":"web"}}"#,
        )
        .unwrap();
        let e = docker(&mut m, &ctx()).unwrap();
        assert!(e.partial && e.attrs.get("tag").is_some());
        for not in [
            r#"{"log":"x\n","stream":"stdout","time":"2026-01-02T03:04:05Z","level":"info"}"#,
            r#"{"log":"x\n","stream":"stdlog","time":"2026-01-02T03:04:05Z"}"#,
            r#"{"log":"x\n","stream":"stdout","time":"yesterday"}"#,
            r#"{"log":{"level":"info"},"stream":"stdout","time":"2026-01-02T03:04:05Z"}"#,
        ] {
            let mut m: Map<String, Value> = serde_json::from_str(not).unwrap();
            let before = m.clone();
            assert_eq!(docker(&mut m, &ctx()), None, "{not}");
            assert_eq!(m, before);
        }
    }

    #[test]
    fn kubernetes_paths() {
        let k = K8sPath::from_path(Path::new("/var/log/pods/shop_checkout-7d9c8b6f5-x2x9q_0b1c/app/0.log")).unwrap();
        assert_eq!(
            (k.namespace.as_str(), k.pod.as_str(), k.container.as_str()),
            ("shop", "checkout-7d9c8b6f5-x2x9q", "app")
        );
        assert_eq!(k.service(), "checkout");
        let rotated =
            Path::new("/var/log/pods/kube-system_coredns-5d78c9869d-4vq7z_u/coredns/3.log.20260102-030405.gz");
        assert_eq!(K8sPath::from_path(rotated).map(|k| k.service()).as_deref(), Some("coredns"));
        let id = "9f".repeat(32);
        let link = format!("/var/log/containers/postgres-0_db_postgres-{id}.log");
        let k = K8sPath::from_path(Path::new(&link)).unwrap();
        assert_eq!((k.namespace.as_str(), k.container.as_str(), k.service().as_str()), ("db", "postgres", "postgres"));
        for (pod, service) in [
            ("fluent-bit-k8xzq", "fluent-bit"),
            ("backup-29471234-bz7vw", "backup"),
            ("my-redis", "my-redis"),
            ("api-v2", "api-v2"),
            ("pod-abc12-xyz", "pod-abc12-xyz"),
            ("web-12", "web"),
            ("standalone", "standalone"),
        ] {
            assert_eq!(crate::model::workload_name(pod), service, "{pod}");
        }
        for not in [
            "/var/log/app/0.log",
            "/var/log/pods/ns_pod_uid/c/app.log",
            "/var/log/pods/nopod/c/0.log",
            "/var/log/containers/web.log",
            "/var/log/containers/web_ns_c-123.log",
        ] {
            assert_eq!(K8sPath::from_path(Path::new(not)), None, "{not}");
        }
    }
}
