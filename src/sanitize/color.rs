//! The one decision on colour, for every command and the TUI, after the conventions users
//! already set for other tools:
//! - `--color always|never` where a command has it wins;
//! - `NO_COLOR` set to a non-empty value disables (no-color.org: "when present and not an
//!   empty string"), even over `CLICOLOR_FORCE`;
//! - `CLICOLOR_FORCE` set to anything but empty or `0` forces colour;
//! - `CLICOLOR=0` and `TERM=dumb` disable;
//! - otherwise colour exactly when the stream is a terminal.

use std::ffi::OsString;
use std::io::IsTerminal;

/// `--color`: what the user asked for on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// The environment and whether the output is a terminal decide
    #[default]
    Auto,
    Always,
    Never,
}

/// The stream the colour would be written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
    /// The TUI draws only on a terminal: only the environment can turn its colour off.
    Tui,
}

impl Stream {
    fn is_terminal(self) -> bool {
        match self {
            Stream::Stdout => std::io::stdout().is_terminal(),
            Stream::Stderr => std::io::stderr().is_terminal(),
            Stream::Tui => true,
        }
    }
}

/// Whether to write colour to `stream`, from `choice` and the process environment.
pub fn enabled(choice: ColorChoice, stream: Stream) -> bool {
    decide(choice, stream.is_terminal(), |name| std::env::var_os(name))
}

/// The rule itself, with the environment passed in (so tests need not change the process's).
pub fn decide(choice: ColorChoice, is_terminal: bool, env: impl Fn(&str) -> Option<OsString>) -> bool {
    let set = |name: &str| env(name).filter(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => return true,
        ColorChoice::Never => return false,
        ColorChoice::Auto => {}
    }
    if set("NO_COLOR").is_some() {
        return false;
    }
    if set("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
        return true;
    }
    if env("CLICOLOR").is_some_and(|v| v == "0") || env("TERM").is_some_and(|v| v == "dumb") {
        return false;
    }
    is_terminal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| OsString::from(v))
    }

    #[test]
    fn an_empty_no_color_is_unset_and_a_non_empty_one_disables() {
        assert!(decide(ColorChoice::Auto, true, with(&[("NO_COLOR", "")])));
        assert!(decide(ColorChoice::Auto, false, with(&[("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")])));
        assert!(!decide(ColorChoice::Auto, true, with(&[("NO_COLOR", "1")])));
        assert!(!decide(ColorChoice::Auto, true, with(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")])));
    }

    #[test]
    fn clicolor_term_and_the_terminal_decide_auto() {
        assert!(decide(ColorChoice::Auto, true, with(&[])));
        assert!(!decide(ColorChoice::Auto, false, with(&[])));
        assert!(decide(ColorChoice::Auto, false, with(&[("CLICOLOR_FORCE", "1")])));
        assert!(!decide(ColorChoice::Auto, false, with(&[("CLICOLOR_FORCE", "0")])));
        assert!(!decide(ColorChoice::Auto, true, with(&[("CLICOLOR", "0")])));
        assert!(decide(ColorChoice::Auto, true, with(&[("CLICOLOR", "1")])));
        assert!(!decide(ColorChoice::Auto, true, with(&[("TERM", "dumb")])));
        assert!(decide(ColorChoice::Auto, false, with(&[("TERM", "dumb"), ("CLICOLOR_FORCE", "1")])));
    }

    #[test]
    fn an_explicit_choice_wins_over_the_environment() {
        assert!(decide(ColorChoice::Always, false, with(&[("NO_COLOR", "1"), ("TERM", "dumb")])));
        assert!(!decide(ColorChoice::Never, true, with(&[("CLICOLOR_FORCE", "1")])));
    }
}
