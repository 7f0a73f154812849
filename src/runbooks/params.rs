//! Typed runbook parameters. A value comes from the incident (its suspected cause, its
//! alerts' labels), from a declared default, or from the user; whichever it is, it is
//! checked against the parameter's type before it reaches a command. Telemetry is
//! untrusted: an alert label or a log line cannot smuggle `; rm -rf /` or `--force` into
//! an argument.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    Service,
    Region,
    Host,
    Pod,
    Namespace,
    /// A database (or schema, table, user) name: letters, digits, `_`, `-` and `$`, not a URL or a connection
    /// string, which would let the value pick the server, the user or the TLS settings.
    Database,
    String,
    Integer,
    Duration,
    Enum,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ParamType,
    /// Where the value comes from by default: `root_cause.service`, `root_cause.region`,
    /// `alert.instance`, `alert.pod`, `alert.namespace`, `alert.host`.
    pub from: Option<String>,
    #[serde(default)]
    pub allowed: Vec<String>,
    pub default: Option<String>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    #[serde(default)]
    pub description: String,
}

const SOURCES: [&str; 6] =
    ["root_cause.service", "root_cause.region", "alert.instance", "alert.pod", "alert.namespace", "alert.host"];

/// What an incident offers to fill parameters with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub root_service: Option<String>,
    pub root_region: Option<String>,
    /// Labels of the incident's alerts, root service's first.
    pub alert_labels: Vec<BTreeMap<String, String>>,
    /// Names seen in the data: a service or region value must be one of them when known.
    pub known_services: Vec<String>,
    pub known_regions: Vec<String>,
}

fn dns_label(v: &str, max: usize) -> bool {
    (1..=max).contains(&v.len())
        && v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !v.starts_with(['-', '.'])
        && !v.ends_with(['-', '.'])
}

impl Param {
    pub(super) fn check_declaration(&self) -> Result<(), String> {
        if self.kind == ParamType::Enum && self.allowed.is_empty() {
            return Err(format!("parameter '{}' is an enum without allowed values", self.name));
        }
        if let Some(f) = &self.from {
            if !SOURCES.contains(&f.as_str()) {
                return Err(format!("parameter '{}': from '{f}' is not one of {}", self.name, SOURCES.join(", ")));
            }
        }
        if let Some(d) = &self.default {
            self.validate(d, &Facts::default()).map_err(|e| format!("parameter '{}': default: {e}", self.name))?;
        }
        Ok(())
    }

    /// The value as it will be used, or why it is refused.
    pub fn validate(&self, value: &str, facts: &Facts) -> Result<String, String> {
        let v = value.trim();
        let bad = |why: &str| Err(format!("{} '{}' {why}", self.name, crate::sanitize::terminal_safe(value)));
        if v.is_empty() {
            return bad("is empty");
        }
        // A leading dash would be read as an option by the program; an integer may be negative only where its
        // declared minimum says so.
        if v.starts_with('-') && !(self.kind == ParamType::Integer && self.min.is_some_and(|m| m < 0)) {
            return bad("starts with a dash");
        }
        // Every type below but enum (whose values the author wrote) starts with a letter, a digit or `_`: a leading
        // `+`, `@`, `/`, `.`, `:` or `=` is how programs spell options (`+x`), files (`@file`) and paths.
        let starts_plain = v.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
        match self.kind {
            ParamType::Service => {
                if !starts_plain
                    || (!dns_label(v, 63) && !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
                {
                    return bad("is not a service name");
                }
                if !facts.known_services.is_empty() && !facts.known_services.iter().any(|s| s == v) {
                    return bad("is not a service seen in the data");
                }
            }
            ParamType::Region => {
                if !dns_label(v, 32) {
                    return bad("is not a region name");
                }
                if !facts.known_regions.is_empty() && !facts.known_regions.iter().any(|s| s == v) {
                    return bad("is not a region seen in the data");
                }
            }
            ParamType::Host => {
                // A name, an address or `host:port`; `::1` and other IPv6 addresses are the one leading `:`.
                let ok = (1..=253).contains(&v.len())
                    && (starts_plain || v.parse::<std::net::Ipv6Addr>().is_ok())
                    && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b':' || b == b'_');
                if !ok {
                    return bad("is not a host name or address");
                }
            }
            ParamType::Pod => {
                if !dns_label(v, 253) {
                    return bad("is not a pod name");
                }
            }
            ParamType::Namespace => {
                if !dns_label(v, 63) || v.contains('.') {
                    return bad("is not a namespace");
                }
            }
            ParamType::Database => {
                let ok = v.len() <= 63
                    && starts_plain
                    && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'$');
                if !ok {
                    return bad("is not a database name (letters, digits, _, - and $; no URL or connection string)");
                }
            }
            ParamType::String => {
                let ok = v.len() <= 128
                    && starts_plain
                    && !v.contains("://")
                    && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:/@=+-,".contains(&b) || b == b'_');
                if !ok {
                    return bad(
                        "is not a plain word: letters, digits and _.:/@=+-, starting with a letter, digit or _, \
                         and no URL",
                    );
                }
            }
            ParamType::Integer => {
                let n: i64 = v.parse().map_err(|_| format!("{} '{v}' is not an integer", self.name))?;
                if self.min.is_some_and(|m| n < m) || self.max.is_some_and(|m| n > m) {
                    return Err(format!(
                        "{} {n} is outside {}..{}",
                        self.name,
                        self.min.map_or("".into(), |m| m.to_string()),
                        self.max.map_or("".into(), |m| m.to_string())
                    ));
                }
                return Ok(n.to_string());
            }
            ParamType::Duration => {
                crate::config::parse_duration(v).map_err(|e| format!("{} '{v}': {e}", self.name))?;
            }
            ParamType::Enum => {
                if !self.allowed.iter().any(|a| a == v) {
                    return Err(format!(
                        "{} '{}' is not one of {}",
                        self.name,
                        crate::sanitize::terminal_safe(v),
                        self.allowed.join(", ")
                    ));
                }
            }
        }
        Ok(v.to_string())
    }

    /// The value the incident suggests, if any.
    fn suggested(&self, facts: &Facts) -> Option<String> {
        let label = |k: &str| facts.alert_labels.iter().find_map(|l| l.get(k).cloned());
        match self.from.as_deref() {
            Some("root_cause.service") => facts.root_service.clone(),
            Some("root_cause.region") => facts.root_region.clone(),
            Some("alert.instance") => label("instance"),
            Some("alert.pod") => label("pod"),
            Some("alert.namespace") => label("namespace"),
            Some("alert.host") => label("host").or_else(|| label("instance").map(|i| strip_port(&i))),
            _ => None,
        }
        .or_else(|| self.default.clone())
    }
}

fn strip_port(instance: &str) -> String {
    match instance.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h.to_string(),
        _ => instance.to_string(),
    }
}

/// Every parameter's value, or every reason some are missing or refused.
pub fn fill(
    params: &[Param],
    facts: &Facts,
    given: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, Vec<String>> {
    let mut values = BTreeMap::new();
    let mut problems = Vec::new();
    for k in given.keys() {
        if !params.iter().any(|p| &p.name == k) {
            problems.push(format!("{k} is not a parameter of this runbook"));
        }
    }
    for p in params {
        let (value, origin) = match given.get(&p.name) {
            Some(v) => (Some(v.clone()), "given"),
            None => (p.suggested(facts), "from the incident"),
        };
        match value {
            None => problems
                .push(format!("{} is needed ({}): give it with --param {}=VALUE", p.name, p.description, p.name)),
            Some(v) => match p.validate(&v, facts) {
                Ok(v) => {
                    values.insert(p.name.clone(), v);
                }
                Err(e) => problems.push(format!("{e} ({origin}): refused")),
            },
        }
    }
    if problems.is_empty() {
        Ok(values)
    } else {
        Err(problems)
    }
}

/// `template` with each `{name}` replaced. With `shell`, values are single-quoted for `sh`.
pub fn render(template: &str, values: &BTreeMap<String, String>, shell: bool) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').and_then(|c| values.get(&after[..c]).map(|v| (c, v))) {
            Some((close, v)) => {
                if shell {
                    out.push('\'');
                    out.push_str(&v.replace('\'', "'\\''"));
                    out.push('\'');
                } else {
                    out.push_str(v);
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(kind: ParamType) -> Param {
        Param {
            name: "x".into(),
            kind,
            from: None,
            allowed: vec![],
            default: None,
            min: None,
            max: None,
            description: String::new(),
        }
    }

    #[test]
    fn metacharacters_and_options_are_refused() {
        let facts = Facts::default();
        for (kind, value) in [
            (ParamType::Service, "checkout; rm -rf /"),
            (ParamType::Service, "$(reboot)"),
            (ParamType::Namespace, "prod && curl evil"),
            (ParamType::Host, "db1 | nc -e sh"),
            (ParamType::String, "a b"),
            (ParamType::String, "`id`"),
            (ParamType::Pod, "--all"),
            (ParamType::String, "--force"),
            (ParamType::Region, "us-east-1\nrm"),
            (ParamType::Database, "postgresql://evil.example/db"),
            (ParamType::Database, "host=evil.example dbname=x"),
            (ParamType::Database, "db/other"),
            (ParamType::Database, "-h"),
            (ParamType::Database, "my db"),
            (ParamType::String, "https://evil.example/x"),
            (ParamType::String, "@/etc/passwd"),
            (ParamType::String, "/etc/shadow"),
            (ParamType::String, "+x"),
            (ParamType::Service, "_x.y"),
            (ParamType::Host, ".hidden"),
            (ParamType::Host, ":22"),
            (ParamType::Integer, "-5"),
        ] {
            assert!(p(kind).validate(value, &facts).is_err(), "{kind:?} {value:?}");
        }
        assert_eq!(p(ParamType::Service).validate("checkout", &facts).unwrap(), "checkout");
        assert_eq!(p(ParamType::Host).validate("10.0.3.7:9100", &facts).unwrap(), "10.0.3.7:9100");
        assert_eq!(p(ParamType::Host).validate("::1", &facts).unwrap(), "::1");
        assert_eq!(p(ParamType::Database).validate("orders_2024", &facts).unwrap(), "orders_2024");
        assert_eq!(p(ParamType::String).validate("a,b", &facts).unwrap(), "a,b");
        assert_eq!(p(ParamType::String).validate("OPS-1234", &facts).unwrap(), "OPS-1234");
        let mut below_zero = p(ParamType::Integer);
        below_zero.min = Some(-10);
        assert_eq!(below_zero.validate("-5", &facts).unwrap(), "-5");
    }

    #[test]
    fn known_names_integers_and_enums_are_enforced() {
        let facts = Facts { known_services: vec!["checkout".into()], ..Facts::default() };
        assert!(p(ParamType::Service).validate("payments", &facts).unwrap_err().contains("not a service seen"));
        let mut n = p(ParamType::Integer);
        n.min = Some(2);
        n.max = Some(50);
        assert!(n.validate("100", &facts).is_err());
        assert_eq!(n.validate("8", &facts).unwrap(), "8");
        let mut e = p(ParamType::Enum);
        e.allowed = vec!["us-east-1".into(), "eu-west-1".into()];
        assert!(e.validate("ap-south-1", &facts).is_err());
    }

    #[test]
    fn shell_rendering_quotes_values() {
        let values = BTreeMap::from([("svc".to_string(), "it's".to_string())]);
        assert_eq!(render("restart {svc} now", &values, true), "restart 'it'\\''s' now");
        assert_eq!(render("deployment/{svc}", &values, false), "deployment/it's");
        assert_eq!(render("{json} {svc}", &values, false), "{json} it's");
    }

    #[test]
    fn fill_reports_every_problem() {
        let mut svc = p(ParamType::Service);
        svc.name = "service".into();
        svc.from = Some("root_cause.service".into());
        let mut ns = p(ParamType::Namespace);
        ns.name = "namespace".into();
        let facts = Facts { root_service: Some("checkout; reboot".into()), ..Facts::default() };
        let errs = fill(&[svc, ns], &facts, &BTreeMap::from([("bogus".into(), "1".into())])).unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs.iter().any(|e| e.contains("from the incident") && e.contains("refused")));
        assert!(errs.iter().any(|e| e.contains("--param namespace=")));
    }
}
