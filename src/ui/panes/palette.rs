//! The command palette (`:`): a line read into a [`Command`]; the root carries it out.

use crate::ui::Pane;

/// What a palette line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Quit,
    Goto(Pane),
    /// Search the logs for this query.
    Search(String),
    Ask(String),
    Filter(String),
    Theme(String),
    Export,
    Follow,
    Help,
    /// A line that names no command, as typed.
    Unknown(String),
}

impl Command {
    pub fn parse(line: &str) -> Command {
        let line = line.trim();
        let (cmd, arg) = line.split_once(' ').map_or((line, ""), |(c, a)| (c, a.trim()));
        match cmd {
            "q" | "quit" => Command::Quit,
            "incidents" => Command::Goto(Pane::Incidents),
            "detail" => Command::Goto(Pane::Detail),
            "logs" | "search" if arg.is_empty() => Command::Goto(Pane::Search),
            "search" | "logs" => Command::Search(arg.to_string()),
            "chat" => Command::Goto(Pane::Chat),
            "runbooks" => Command::Goto(Pane::Runbooks),
            "ask" if !arg.is_empty() => Command::Ask(arg.to_string()),
            "filter" => Command::Filter(arg.to_string()),
            "theme" if !arg.is_empty() => Command::Theme(arg.to_string()),
            "export" => Command::Export,
            "follow" => Command::Follow,
            "help" => Command::Help,
            _ => Command::Unknown(line.to_string()),
        }
    }
}

/// What the palette says of a line it does not know.
pub fn unknown(line: &str) -> String {
    format!(
        "unknown command '{line}': try incidents, detail, logs [QUERY], chat, runbooks, ask QUESTION, filter TEXT, theme NAME, export, follow, help, quit"
    )
}
