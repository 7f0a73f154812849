//! Runbooks: Markdown files with a TOML front matter (between `+++` lines) that say when
//! they apply and list typed steps. The library is the embedded examples, then the user's
//! (`runbooks/` in the config dir and `[runbooks] paths`); a user runbook with the id of an
//! embedded one replaces it.
//!
//! - `params`: typed parameters, filled from an incident and validated.
//! - `suggest`: which runbooks match an incident, ranked, with the reason.
//! - `exec`: dry runs, and running one confirmed step with a timeout.
//! - `code`: where in a command a parameter would become code (`sh -c {x}`, `env {x}`), refused at load.

mod code;
pub mod exec;
pub mod params;
pub mod suggest;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use params::{Param, ParamType};

/// The runbooks shipped in the binary.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("restart-crashloop.md", include_str!("../../runbooks/restart-crashloop.md")),
    ("rollback-deploy.md", include_str!("../../runbooks/rollback-deploy.md")),
    ("scale-out.md", include_str!("../../runbooks/scale-out.md")),
    ("flush-cache.md", include_str!("../../runbooks/flush-cache.md")),
    ("rotate-certificate.md", include_str!("../../runbooks/rotate-certificate.md")),
    ("free-disk-space.md", include_str!("../../runbooks/free-disk-space.md")),
    ("drain-host.md", include_str!("../../runbooks/drain-host.md")),
    ("failover-region.md", include_str!("../../runbooks/failover-region.md")),
    ("db-connection-pool.md", include_str!("../../runbooks/db-connection-pool.md")),
    ("kafka-consumer-lag.md", include_str!("../../runbooks/kafka-consumer-lag.md")),
    ("silence-flapping-alert.md", include_str!("../../runbooks/silence-flapping-alert.md")),
    ("slow-database-queries.md", include_str!("../../runbooks/slow-database-queries.md")),
];

#[derive(Debug, thiserror::Error)]
pub enum RunbookError {
    #[error("cannot read runbook {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("runbook {path}: {message}")]
    Invalid { path: String, message: String },
}

/// When a runbook is suggested.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Applies {
    pub alertnames: Vec<String>,
    pub symptoms: Vec<String>,
    pub keywords: Vec<String>,
    pub services: Vec<String>,
    pub tiers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MatcherSpec {
    pub name: String,
    pub value: String,
    #[serde(default)]
    pub regex: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Step {
    /// A command that only reads; its output is shown.
    Check {
        title: String,
        command: Vec<String>,
        #[serde(default)]
        read_only: bool,
        timeout: Option<String>,
    },
    /// A command that changes something.
    Command {
        title: String,
        command: Vec<String>,
        timeout: Option<String>,
        /// Run through `sh -c` (the runbook says so); parameters are then single-quoted.
        #[serde(default)]
        shell: bool,
    },
    /// An Alertmanager silence.
    Silence { title: String, matchers: Vec<MatcherSpec>, duration: String, comment: String },
    /// A request to an endpoint named in the config (`[[endpoint]]`).
    Http { title: String, endpoint: String, method: String, path: String, body: Option<String> },
    /// A dashboard or document to open; nothing runs.
    Link { title: String, url: String },
}

impl Step {
    pub fn title(&self) -> &str {
        match self {
            Step::Check { title, .. }
            | Step::Command { title, .. }
            | Step::Silence { title, .. }
            | Step::Http { title, .. }
            | Step::Link { title, .. } => title,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Step::Check { .. } => "check",
            Step::Command { .. } => "command",
            Step::Silence { .. } => "silence",
            Step::Http { .. } => "http",
            Step::Link { .. } => "link",
        }
    }

    /// Whether the step only reads (and may run without confirmation when the user allowed that).
    pub fn read_only(&self) -> bool {
        matches!(self, Step::Check { read_only: true, .. } | Step::Link { .. })
    }

    /// Every text of the step that may hold `{param}` placeholders.
    fn templates(&self) -> Vec<&str> {
        match self {
            Step::Check { command, .. } | Step::Command { command, .. } => command.iter().map(String::as_str).collect(),
            Step::Silence { matchers, comment, .. } => {
                let mut v: Vec<&str> = matchers.iter().map(|m| m.value.as_str()).collect();
                v.push(comment);
                v
            }
            Step::Http { path, body, .. } => {
                let mut v = vec![path.as_str()];
                v.extend(body.as_deref());
                v
            }
            Step::Link { url, .. } => vec![url.as_str()],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Runbook {
    pub id: String,
    pub title: String,
    pub summary: String,
    #[serde(default)]
    pub applies: Applies,
    #[serde(default)]
    pub params: Vec<Param>,
    pub steps: Vec<Step>,
    /// The Markdown after the front matter.
    #[serde(skip_deserializing)]
    pub body: String,
    /// `built-in` or the file it came from.
    #[serde(skip_deserializing)]
    pub origin: String,
}

/// The `{name}` placeholders of a template, in order.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_name(&after[..close]) => {
                out.push(&after[..close]);
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Runbook {
    /// Parses one file: `+++`, TOML, `+++`, Markdown.
    pub fn parse(text: &str, origin: &str) -> Result<Runbook, RunbookError> {
        let invalid = |message: String| RunbookError::Invalid { path: origin.to_string(), message };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let rest = text
            .strip_prefix("+++\n")
            .or_else(|| text.strip_prefix("+++\r\n"))
            .ok_or_else(|| invalid("does not start with a +++ front matter line".into()))?;
        let end = rest.find("\n+++").ok_or_else(|| invalid("the front matter has no closing +++ line".into()))?;
        let front = &rest[..end];
        let body = rest[end + 4..].trim_start_matches(['\r', '\n']).to_string();
        let mut rb: Runbook = toml::from_str(front).map_err(|e| invalid(e.message().to_string()))?;
        rb.body = body;
        rb.origin = origin.to_string();
        rb.validate().map_err(invalid)?;
        Ok(rb)
    }

    fn validate(&self) -> Result<(), String> {
        if !(1..=64).contains(&self.id.len())
            || !self.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(format!("id '{}' must be lowercase letters, digits and dashes", self.id));
        }
        if self.steps.is_empty() {
            return Err("has no steps".into());
        }
        let mut names = BTreeSet::new();
        for p in &self.params {
            if !is_name(&p.name) || !names.insert(p.name.as_str()) {
                return Err(format!("parameter '{}' is not a unique lowercase name", p.name));
            }
            p.check_declaration()?;
        }
        for s in &self.applies.symptoms {
            if !["latency", "errors", "saturation", "availability", "restarts"].contains(&s.as_str()) {
                return Err(format!("unknown symptom '{s}'"));
            }
        }
        for (i, step) in self.steps.iter().enumerate() {
            let n = i + 1;
            for t in step.templates() {
                for name in placeholders(t) {
                    if !names.contains(name) {
                        return Err(format!("step {n} uses {{{name}}}, which is not a declared parameter"));
                    }
                }
            }
            match step {
                Step::Check { command, timeout, .. } | Step::Command { command, timeout, .. } => {
                    if command.is_empty() || command[0].trim().is_empty() {
                        return Err(format!("step {n} has an empty command"));
                    }
                    if !placeholders(&command[0]).is_empty() {
                        return Err(format!("step {n}: the program itself cannot be a parameter"));
                    }
                    // Without a shell a value is one argument, unless the program reads that argument as code.
                    if !matches!(step, Step::Command { shell: true, .. }) {
                        let code_ok = |arg: &str| {
                            placeholders(arg).iter().all(|name| {
                                self.param(name).is_some_and(|p| matches!(p.kind, ParamType::Enum | ParamType::Integer))
                            })
                        };
                        let argv: Vec<&str> = command.iter().map(String::as_str).collect();
                        code::check(&argv, &code_ok).map_err(|e| format!("step {n}: {e}"))?;
                    }
                    if let Some(t) = timeout {
                        crate::config::parse_duration(t).map_err(|e| format!("step {n}: timeout: {e}"))?;
                    }
                }
                Step::Silence { matchers, duration, .. } => {
                    if matchers.is_empty() {
                        return Err(format!("step {n}: a silence needs matchers"));
                    }
                    crate::config::parse_duration(duration).map_err(|e| format!("step {n}: duration: {e}"))?;
                }
                Step::Http { method, .. } => {
                    if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.to_ascii_uppercase().as_str()) {
                        return Err(format!("step {n}: method '{method}'"));
                    }
                }
                Step::Link { url, .. } => {
                    if !(url.starts_with("https://") || url.starts_with("http://")) {
                        return Err(format!("step {n}: '{url}' is not an http(s) URL"));
                    }
                }
            }
        }
        Ok(())
    }

    /// The parameters the given steps (0-based) use.
    pub fn params_of(&self, steps: &[usize]) -> Vec<Param> {
        let used: BTreeSet<&str> = steps
            .iter()
            .filter_map(|i| self.steps.get(*i))
            .flat_map(|s| s.templates())
            .flat_map(placeholders)
            .collect();
        self.params.iter().filter(|p| used.contains(p.name.as_str())).cloned().collect()
    }

    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// Parameters some step needs.
    pub fn needs_type(&self, t: ParamType) -> bool {
        self.params.iter().any(|p| p.kind == t)
    }
}

/// The runbooks available: embedded, then each user file (which replaces an embedded
/// runbook with its id). Later paths win.
#[derive(Debug, Clone, Default)]
pub struct Library {
    pub runbooks: Vec<Runbook>,
    /// User files that could not be read or are not valid runbooks, each with why: skipped, so one broken file
    /// does not take the whole library down. Commands show these as warnings.
    pub skipped: Vec<String>,
}

impl Library {
    pub fn embedded() -> Result<Library, RunbookError> {
        Self::load(&[])
    }

    /// `dirs` are folders of `*.md` runbooks (or single files); a missing folder is skipped. A user file or folder
    /// that cannot be read, or is not a valid runbook, is skipped and listed in [`Library::skipped`]; only a
    /// broken embedded runbook (a bug) is an error.
    pub fn load(dirs: &[PathBuf]) -> Result<Library, RunbookError> {
        let mut lib = Library::default();
        for (name, text) in EMBEDDED {
            lib.put(Runbook::parse(text, &format!("built-in runbooks/{name}"))?);
        }
        for dir in dirs {
            let mut files: Vec<PathBuf> = if dir.is_dir() {
                match std::fs::read_dir(dir) {
                    Ok(entries) => entries
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.extension().is_some_and(|x| x == "md"))
                        .collect(),
                    Err(source) => {
                        lib.skip(RunbookError::Read { path: dir.clone(), source });
                        continue;
                    }
                }
            } else if dir.is_file() {
                vec![dir.clone()]
            } else {
                continue;
            };
            files.sort();
            for f in files {
                let parsed = std::fs::read_to_string(&f)
                    .map_err(|source| RunbookError::Read { path: f.clone(), source })
                    .and_then(|text| Runbook::parse(&text, &f.display().to_string()));
                match parsed {
                    Ok(rb) => lib.put(rb),
                    Err(e) => lib.skip(e),
                }
            }
        }
        Ok(lib)
    }

    fn skip(&mut self, e: RunbookError) {
        tracing::warn!("{e}: skipped");
        self.skipped.push(format!("{e}: skipped"));
    }

    fn put(&mut self, rb: Runbook) {
        match self.runbooks.iter_mut().find(|r| r.id == rb.id) {
            Some(slot) => *slot = rb,
            None => self.runbooks.push(rb),
        }
    }

    pub fn get(&self, id: &str) -> Option<&Runbook> {
        self.runbooks.iter().find(|r| r.id == id)
    }
}

/// The folders runbooks are loaded from: `runbooks/` in the config dir, then `[runbooks] paths`.
pub fn user_dirs(config_dir: Option<&Path>, paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = config_dir.map(|d| d.join("runbooks")).into_iter().collect();
    out.extend(paths.iter().cloned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_runbook_parses_and_starts_by_reading() {
        let lib = Library::embedded().unwrap();
        assert!(lib.runbooks.len() >= 10, "{}", lib.runbooks.len());
        for rb in &lib.runbooks {
            assert!(rb.steps[0].read_only(), "{} starts with a step that changes something", rb.id);
            assert!(!rb.body.trim().is_empty(), "{} has no explanation", rb.id);
            let a = &rb.applies;
            let kinds = [&a.alertnames, &a.symptoms, &a.keywords].iter().filter(|v| !v.is_empty()).count();
            assert!(kinds >= 2, "{}: say when it applies", rb.id);
            for s in &rb.steps {
                if let Step::Check { command, .. } | Step::Command { command, .. } = s {
                    let joined = command.join(" ");
                    for bad in ["&&", "|", ";", "`", "$("] {
                        if !matches!(s, Step::Command { shell: true, .. }) {
                            assert!(
                                !command.iter().any(|a| a == bad || a.starts_with(bad)),
                                "{}: {bad} in {joined}",
                                rb.id
                            );
                        }
                    }
                }
            }
        }
        let ids: BTreeSet<&str> = lib.runbooks.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids.len(), lib.runbooks.len());
    }

    #[test]
    fn undeclared_placeholders_and_parameterized_programs_are_refused() {
        let head = "+++\nid = \"x\"\ntitle = \"t\"\nsummary = \"s\"\n";
        let e = Runbook::parse(
            &format!("{head}[[steps]]\nkind = \"check\"\ntitle = \"a\"\ncommand = [\"ls\", \"{{dir}}\"]\n+++\nbody"),
            "t",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("{dir}, which is not a declared parameter"), "{e}");
        let e = Runbook::parse(
            &format!("{head}[[params]]\nname = \"p\"\ntype = \"string\"\n[[steps]]\nkind = \"command\"\ntitle = \"a\"\ncommand = [\"{{p}}\"]\n+++\n"),
            "t",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("the program itself cannot be a parameter"), "{e}");
        let e = Runbook::parse("no front matter", "t").unwrap_err().to_string();
        assert!(e.contains("+++"), "{e}");
    }

    #[test]
    fn a_user_runbook_replaces_the_built_in_one() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("scale-out.md"),
            "+++\nid = \"scale-out\"\ntitle = \"Ours\"\nsummary = \"s\"\n[applies]\nsymptoms = [\"latency\"]\nkeywords = [\"cpu\"]\n[[steps]]\nkind = \"link\"\ntitle = \"dash\"\nurl = \"https://grafana.example.internal/d/x\"\n+++\nOur way.\n",
        )
        .unwrap();
        let lib = Library::load(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(lib.get("scale-out").unwrap().title, "Ours");
        assert_eq!(lib.runbooks.len(), Library::embedded().unwrap().runbooks.len());
    }
}
