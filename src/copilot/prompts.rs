//! The prompts sent to the LLM: built-in defaults from `prompts/`, embedded in the binary,
//! each overridable by a file of the same name in the user's prompts folder.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

pub const SYSTEM: &str = include_str!("../../prompts/system.md");
pub const ANSWER: &str = include_str!("../../prompts/answer.md");
pub const TOOLS: &str = include_str!("../../prompts/tools.toml");

/// The tools firewatch can run; a prompt file can describe them, not add to them.
pub const TOOL_NAMES: [&str; 4] = ["search_logs", "get_trace", "query_metric", "list_incidents"];

/// The placeholders `answer.md` is filled with.
const ANSWER_VARS: [&str; 5] = ["question", "interpretation", "analysis", "evidence", "tools_hint"];

#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error("cannot read prompt {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("prompt {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// A JSON Schema object.
    pub parameters: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Prompts {
    pub system: String,
    pub answer: String,
    pub tools_hint: String,
    pub tools: Vec<ToolSpec>,
    /// Where each prompt came from, for `doctor` and the audit log.
    pub origins: Vec<(String, String)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolsFile {
    #[serde(default)]
    tools_hint: String,
    #[serde(default)]
    tool: Vec<ToolEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolEntry {
    name: String,
    description: String,
    parameters: String,
}

impl Prompts {
    /// The built-in prompts.
    pub fn builtin() -> Result<Self, PromptError> {
        Self::load(None)
    }

    /// The built-in prompts, with each file found in `dir` in place of its default.
    pub fn load(dir: Option<&Path>) -> Result<Self, PromptError> {
        let mut origins = Vec::new();
        let mut read = |name: &str, builtin: &'static str| -> Result<(String, PathBuf), PromptError> {
            if let Some(path) = dir.map(|d| d.join(name)).filter(|p| p.is_file()) {
                let text = std::fs::read_to_string(&path)
                    .map_err(|source| PromptError::Read { path: path.clone(), source })?;
                origins.push((name.to_string(), path.display().to_string()));
                return Ok((text, path));
            }
            origins.push((name.to_string(), "built-in".to_string()));
            Ok((builtin.to_string(), PathBuf::from(format!("<built-in prompts/{name}>"))))
        };
        let (system, system_path) = read("system.md", SYSTEM)?;
        let (answer, answer_path) = read("answer.md", ANSWER)?;
        let (tools_text, tools_path) = read("tools.toml", TOOLS)?;
        let invalid = |path: &Path, message: String| PromptError::Invalid { path: path.to_path_buf(), message };
        if system.trim().is_empty() {
            return Err(invalid(&system_path, "is empty".into()));
        }
        for var in ANSWER_VARS {
            if var != "tools_hint" && !answer.contains(&format!("{{{{{var}}}}}")) {
                return Err(invalid(&answer_path, format!("has no {{{{{var}}}}}")));
            }
        }
        for var in placeholders(&answer) {
            if !ANSWER_VARS.contains(&var.as_str()) {
                return Err(invalid(&answer_path, format!("unknown placeholder {{{{{var}}}}}")));
            }
        }
        let file: ToolsFile = toml::from_str(&tools_text).map_err(|e| invalid(&tools_path, e.message().to_string()))?;
        let mut tools = Vec::new();
        for t in file.tool {
            if !TOOL_NAMES.contains(&t.name.as_str()) {
                return Err(invalid(
                    &tools_path,
                    format!("unknown tool '{}': the tools are {}", t.name, TOOL_NAMES.join(", ")),
                ));
            }
            if tools.iter().any(|x: &ToolSpec| x.name == t.name) {
                return Err(invalid(&tools_path, format!("tool '{}' is described twice", t.name)));
            }
            let parameters: Value = serde_json::from_str(&t.parameters)
                .map_err(|e| invalid(&tools_path, format!("tool '{}': parameters: {e}", t.name)))?;
            if parameters.get("type").and_then(Value::as_str) != Some("object") {
                return Err(invalid(
                    &tools_path,
                    format!("tool '{}': parameters must be a JSON Schema object", t.name),
                ));
            }
            tools.push(ToolSpec { name: t.name, description: t.description.trim().to_string(), parameters });
        }
        Ok(Prompts { system: system.trim().to_string(), answer, tools_hint: file.tools_hint, tools, origins })
    }

    /// `answer.md` with its placeholders filled. Values are inserted once, never rescanned,
    /// so evidence that contains `{{question}}` stays literal.
    pub fn render_answer(&self, vars: &[(&str, &str)]) -> String {
        let mut out = String::with_capacity(self.answer.len() + vars.iter().map(|(_, v)| v.len()).sum::<usize>());
        let mut rest = self.answer.as_str();
        while let Some(at) = rest.find("{{") {
            out.push_str(&rest[..at]);
            let after = &rest[at + 2..];
            match after.find("}}") {
                Some(end) => {
                    let name = after[..end].trim();
                    match vars.iter().find(|(k, _)| *k == name) {
                        Some((_, v)) => out.push_str(v),
                        None => out.push_str(&rest[at..at + 2 + end + 2]),
                    }
                    rest = &after[end + 2..];
                }
                None => {
                    out.push_str(&rest[at..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// The `tools` array of a chat completions request.
    pub fn tools_json(&self) -> Value {
        Value::Array(
            self.tools
                .iter()
                .map(|t| {
                    serde_json::json!({
                        "type": "function",
                        "function": {"name": t.name, "description": t.description, "parameters": t.parameters}
                    })
                })
                .collect(),
        )
    }
}

fn placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("{{") {
        let after = &rest[at + 2..];
        let Some(end) = after.find("}}") else { break };
        out.push(after[..end].trim().to_string());
        rest = &after[end + 2..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_prompt_parses() {
        let p = Prompts::builtin().unwrap();
        assert!(p.system.contains("[E3]"), "the system prompt teaches the citation form");
        let mut names: Vec<_> = p.tools.iter().map(|t| t.name.as_str()).collect();
        names.sort();
        let mut want = TOOL_NAMES.to_vec();
        want.sort();
        assert_eq!(names, want, "every tool is described");
        for t in &p.tools {
            assert!(t.parameters["properties"].is_object(), "{}", t.name);
            assert!(t.description.len() > 20, "{}", t.name);
        }
        assert_eq!(p.tools_json().as_array().unwrap().len(), 4);
    }

    #[test]
    fn render_fills_once_and_leaves_values_alone() {
        let p = Prompts::builtin().unwrap();
        let out = p.render_answer(&[
            ("question", "why {{evidence}}"),
            ("interpretation", "i"),
            ("analysis", "a"),
            ("evidence", "<evidence id=\"E1\">x</evidence>"),
            ("tools_hint", ""),
        ]);
        assert!(out.contains("Question: why {{evidence}}"), "{out}");
        assert_eq!(out.matches("<evidence id=\"E1\">").count(), 1);
        assert!(!out.contains("{{tools_hint}}"));
    }

    #[test]
    fn a_user_file_overrides_only_itself() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("system.md"), "You are terse. Cite like [E1].").unwrap();
        let p = Prompts::load(Some(dir.path())).unwrap();
        assert_eq!(p.system, "You are terse. Cite like [E1].");
        assert_eq!(p.answer, ANSWER);
        assert_eq!(p.tools.len(), 4);
        assert!(p.origins.iter().any(|(n, o)| n == "system.md" && o.ends_with("system.md") && o != "built-in"));
    }

    #[test]
    fn bad_overrides_are_refused_with_the_file_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("tools.toml"),
            "[[tool]]\nname = \"run_shell\"\ndescription = \"x\"\nparameters = '{\"type\":\"object\"}'\n",
        )
        .unwrap();
        let e = Prompts::load(Some(dir.path())).unwrap_err().to_string();
        assert!(e.contains("tools.toml") && e.contains("unknown tool 'run_shell'"), "{e}");
        std::fs::remove_file(dir.path().join("tools.toml")).unwrap();
        std::fs::write(dir.path().join("answer.md"), "{{question}} {{evidence}} {{analysis}}").unwrap();
        let e = Prompts::load(Some(dir.path())).unwrap_err().to_string();
        assert!(e.contains("has no {{interpretation}}"), "{e}");
    }
}
