//! `firewatch PATH...` and `firewatch open PATH...`: the files in the terminal UI. What cannot be
//! opened is said here, before the UI takes the terminal.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

use super::Diagnostics;
use crate::cli::Verbosity;
use crate::engine::open::{self, OpenError, Opened};
use crate::ui::app::Mode;

pub fn run(
    paths: &[PathBuf],
    data_dir: Option<PathBuf>,
    config: Option<&Path>,
    verbosity: Verbosity,
    theme: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let (opened, dir, scratch) = if paths.iter().any(|p| p.as_os_str() == "-") {
        spooled(paths, data_dir)?
    } else {
        let files = open::resolve(paths).map_err(|e| hint(e, paths))?;
        match data_dir {
            // The user's data dir keeps its retention policy.
            Some(d) => (Opened { files, spool: None, retention: true }, d, false),
            None => {
                let dir = open::cache_dir(&open::cache_root(), &files).context("cannot name a cache dir")?;
                (Opened { files, spool: None, retention: false }, dir, false)
            }
        }
    };
    let engine = super::open(dir.clone(), config, Diagnostics::FileOnly(verbosity))?;
    // The index is created here, once: the UI's reader and the background ingest both open
    // it at once, and two creating a new one race (one would find it already there).
    engine.store()?;
    let code = crate::ui::app::run(engine, Mode::Open(opened), theme);
    if scratch {
        // Standard input cannot be read again: its index is of no use once the UI is gone.
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot remove the spool dir");
        }
    }
    code
}

/// `-`: standard input spooled into a file that the UI follows. Without `--data-dir` the
/// spool and its index are scratch, removed at exit.
fn spooled(paths: &[PathBuf], data_dir: Option<PathBuf>) -> anyhow::Result<(Opened, PathBuf, bool)> {
    if paths.len() > 1 {
        anyhow::bail!("- (standard input) is opened on its own, without other paths");
    }
    if std::io::stdin().is_terminal() {
        anyhow::bail!(
            "- reads standard input, which is this terminal: pipe something in (kubectl logs -f x | firewatch -)"
        );
    }
    let scratch = data_dir.is_none();
    let dir = data_dir.unwrap_or_else(|| open::cache_root().join(format!("stdin-{}", std::process::id())));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let spool = dir.join(format!("stdin-{}.log", chrono::Utc::now().format("%Y%m%dT%H%M%S")));
    // There before the UI reads its tail; the spooling thread appends to it.
    std::fs::File::create(&spool).with_context(|| format!("cannot create {}", spool.display()))?;
    Ok((Opened { files: vec![spool.clone()], spool: Some(spool), retention: !scratch }, dir, scratch))
}

/// A bare word that is no file may have been meant as a command.
fn hint(e: OpenError, paths: &[PathBuf]) -> anyhow::Error {
    let word = |p: &PathBuf| p.to_str().is_some_and(|s| !s.contains(['/', '.', '*'])) && !p.exists();
    let Some(p) = paths.iter().find(|p| word(p)).filter(|_| matches!(e, OpenError::Missing { .. })) else {
        return e.into();
    };
    let name = p.to_string_lossy();
    let is_command = <crate::cli::Cli as clap::CommandFactory>::command().find_subcommand(name.as_ref()).is_some();
    let why = if is_command {
        format!("{name} is a command: it goes first, before any path (firewatch {name} ...)")
    } else {
        format!("{name} is neither a file nor a command (firewatch --help lists the commands)")
    };
    anyhow::Error::new(e).context(why)
}
