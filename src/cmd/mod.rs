//! Command handlers: parse what the command line asked, call the [`Engine`] and print what
//! it returns. Starting the terminal UI (`crate::ui::app::run`) is the one call into `ui`.

pub mod ask;
pub mod audit;
pub mod collect;
pub mod completions;
pub mod demo;
pub mod doctor;
pub mod incidents;
pub mod ingest;
pub mod open;
pub mod patterns;
pub mod runbooks;
pub mod search;
pub mod waiting;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use crate::cli::{Cli, Command, Verbosity};
use crate::config::Config;
use crate::engine::logfile::{LazyLogFile, LogFlush};
pub use crate::engine::{config_dir, default_config_path, default_data_dir, log_dir, Engine};

/// Where diagnostics go besides the log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Diagnostics {
    /// A command: warnings (or, with -v, what -v asks for) on stderr.
    Stderr(Verbosity),
    /// The TUI owns the terminal: the log file only (-v still raises its level).
    FileOnly(Verbosity),
}

impl Diagnostics {
    fn verbosity(self) -> Verbosity {
        match self {
            Diagnostics::Stderr(v) | Diagnostics::FileOnly(v) => v,
        }
    }
}

/// The engine over `data_dir` with the config at `config_path` (else the user's, else the
/// defaults), logging as `diagnostics` says.
pub fn open(data_dir: PathBuf, config_path: Option<&Path>, diagnostics: Diagnostics) -> anyhow::Result<Engine> {
    let default = default_config_path();
    let config = Config::load(config_path.or(default.as_deref()))?;
    let verbosity = diagnostics.verbosity();
    let engine = Engine::new(data_dir, config, verbosity)?;
    let flush = init_logging(&log_dir(&engine.data_dir), &engine.config.log.level, diagnostics);
    Ok(engine.with_log_flush(flush))
}

/// The filter: `FIREWATCH_LOG` wins, then `RUST_LOG`, then the config's `[log] level`
/// raised by `-v`.
fn log_filter(level: &str, verbosity: Verbosity) -> tracing_subscriber::EnvFilter {
    use tracing_subscriber::EnvFilter;
    for var in ["FIREWATCH_LOG", "RUST_LOG"] {
        if let Ok(f) = EnvFilter::try_from_env(var) {
            return f;
        }
    }
    let raised = match verbosity {
        Verbosity::Verbose(1) => format!("{level},firewatch=info"),
        Verbosity::Verbose(2) => format!("{level},firewatch=debug"),
        Verbosity::Verbose(_) => "trace".to_string(),
        Verbosity::Quiet | Verbosity::Normal => level.to_string(),
    };
    EnvFilter::try_new(&raised).unwrap_or_else(|_| EnvFilter::new("info"))
}

/// Diagnostics go to a daily file in the state dir (7 kept), so the terminal belongs to
/// the output; warnings also go to stderr when it is a terminal, and with -v whatever -v
/// asked for. A log file that cannot be opened only costs diagnostics.
fn init_logging(dir: &Path, level: &str, diagnostics: Diagnostics) -> Option<LogFlush> {
    use std::io::IsTerminal;
    use tracing_subscriber::filter::LevelFilter;
    use tracing_subscriber::prelude::*;

    let stderr_level = match diagnostics {
        Diagnostics::FileOnly(_) | Diagnostics::Stderr(Verbosity::Quiet) => None,
        Diagnostics::Stderr(Verbosity::Verbose(_)) => Some(LevelFilter::TRACE),
        Diagnostics::Stderr(Verbosity::Normal) => std::io::stderr().is_terminal().then_some(LevelFilter::WARN),
    };
    let verbosity = diagnostics.verbosity();
    // Through the escaping writer: a log message quotes telemetry.
    let to_stderr = stderr_level.map(|l| {
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_target(false)
            .without_time()
            .with_writer(waiting::stderr_for_log)
            .with_filter(l)
    });
    let file = LazyLogFile::new(dir.to_path_buf());
    let writes = Arc::clone(&file);
    let to_file = tracing_subscriber::fmt::layer().with_ansi(false).with_writer(move || writes.writer());
    tracing_subscriber::registry().with(log_filter(level, verbosity)).with(to_file).with(to_stderr).try_init().ok()?;
    Some(LogFlush(file))
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let verbosity = cli.verbosity();
    let diagnostics = Diagnostics::Stderr(verbosity);
    let data_dir = cli.data_dir.clone();
    let open = |d: Diagnostics| -> anyhow::Result<Engine> {
        open(data_dir.clone().unwrap_or_else(default_data_dir), cli.config.as_deref(), d)
    };
    let Some(command) = cli.command else {
        if !cli.paths.is_empty() {
            return open::run(&cli.paths, data_dir, cli.config.as_deref(), verbosity, cli.theme.as_deref());
        }
        return crate::ui::app::run(
            open(Diagnostics::FileOnly(verbosity))?,
            crate::ui::app::Mode::Live,
            cli.theme.as_deref(),
        );
    };
    match command {
        Command::Open(args) => open::run(&args.paths, data_dir, cli.config.as_deref(), verbosity, cli.theme.as_deref()),
        Command::Ingest(args) => ingest::run(&open(diagnostics)?, &args),
        Command::Ask(args) => ask::run(&open(diagnostics)?, &args),
        Command::Collect(args) => collect::run(&open(diagnostics)?, &args),
        Command::Doctor(args) => doctor::run(data_dir, cli.config.as_deref(), &args, cli.quiet),
        Command::Search(args) => search::run(&open(diagnostics)?, &args),
        Command::Incidents(args) => incidents::run(&open(diagnostics)?, &args),
        Command::Patterns(args) => match &args.path {
            Some(path) => patterns::run(path, &args),
            None => patterns::run_stored(&open(diagnostics)?, &args),
        },
        Command::Demo(args) => demo::run(data_dir, cli.config.as_deref(), &args, cli.theme.as_deref()),
        Command::Runbooks(cmd) => runbooks::run(&open(diagnostics)?, &cmd),
        Command::Audit(args) => audit::run(&open(diagnostics)?, &args),
        Command::Completions(args) => completions::completions(args.shell),
        Command::Man => completions::man(),
    }
}

/// What kind of failure an error is, for `{"error": {"kind": ...}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The command line.
    Usage,
    /// The config file, or a secret it names.
    Config,
    /// A file or directory could not be read or written.
    Io,
    /// Anything else the command could not do.
    Failed,
}

impl ErrorKind {
    pub fn of(e: &anyhow::Error) -> ErrorKind {
        if e.chain().any(|c| c.is::<crate::config::ConfigError>()) {
            ErrorKind::Config
        } else if e.chain().any(|c| c.is::<std::io::Error>()) {
            ErrorKind::Io
        } else {
            ErrorKind::Failed
        }
    }
}

/// An error under `--json`: one object on stderr, `{"error": {"code", "kind", "message"}}`.
pub fn write_json_error(code: u8, kind: ErrorKind, message: &str) {
    use std::io::Write;
    let doc = serde_json::json!({"error": {"code": code, "kind": kind, "message": message}});
    let mut err = crate::sanitize::stderr();
    if crate::sanitize::json::to_writer(&mut err, &doc).is_ok() {
        #[allow(
            clippy::let_underscore_must_use,
            reason = "the error is being reported already; a closed stderr leaves nowhere to say more"
        )]
        let _ = writeln!(err);
    }
}

/// `--now T` (RFC 3339 or a time relative to the wall clock), or the wall clock.
fn now_arg(now: &Option<String>) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    let wall = chrono::Utc::now();
    match now {
        Some(n) => crate::timearg::parse(n, wall).map_err(|e| anyhow::anyhow!("--now: {e}")),
        None => Ok(wall),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_kind_comes_from_the_cause_not_the_wording() {
        let read = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        let config = crate::config::ConfigError::Read { path: "/etc/fw.toml".into(), source: read };
        let e = anyhow::Error::new(config).context("loading");
        assert_eq!(ErrorKind::of(&e), ErrorKind::Config, "a config error that wraps an io error is config");
        let io = anyhow::Error::new(std::io::Error::other("disk")).context("cannot write the index");
        assert_eq!(ErrorKind::of(&io), ErrorKind::Io);
        assert_eq!(ErrorKind::of(&anyhow::anyhow!("no incident inc-1")), ErrorKind::Failed);
    }
}
