//! Command handlers: resolve the data dir and config, then call into the stages.

pub mod ask;
pub mod audit;
pub mod collect;
pub mod demo;
pub mod doctor;
pub mod incidents;
pub mod ingest;
pub mod patterns;
pub mod postmortem;
pub mod runbooks;
pub mod search;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use directories::ProjectDirs;

use crate::cli::{Cli, Command};
use crate::config::Config;

/// What every command needs: where the data lives and the effective configuration.
pub struct Ctx {
    pub data_dir: PathBuf,
    pub config: Config,
    /// Keeps the log file writer flushing until the command ends.
    _log_guard: Option<tracing_appender::non_blocking::WorkerGuard>,
}

fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("dev", "firewatch", "firewatch")
}

pub fn default_data_dir() -> PathBuf {
    project_dirs().map_or_else(|| PathBuf::from(".firewatch"), |d| d.data_dir().to_path_buf())
}

/// Where the user's config, prompts and runbooks live.
pub fn config_dir() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().to_path_buf())
}

pub fn default_config_path() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().join("config.toml")).filter(|p| p.exists())
}

impl Ctx {
    pub fn new(data_dir: PathBuf, config_path: Option<&Path>) -> anyhow::Result<Self> {
        let default = default_config_path();
        let config = Config::load(config_path.or(default.as_deref()))?;
        std::fs::create_dir_all(&data_dir).with_context(|| format!("cannot create data dir {}", data_dir.display()))?;
        let guard = init_logging(&data_dir, &config.log.level);
        Ok(Ctx { data_dir, config, _log_guard: guard })
    }
}

/// Diagnostics go to a file in the data dir: the terminal belongs to the output (and
/// later the TUI). A log file that cannot be opened only costs diagnostics.
fn init_logging(data_dir: &Path, level: &str) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::EnvFilter;
    let file = std::fs::OpenOptions::new().create(true).append(true).open(data_dir.join("firewatch.log")).ok()?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = EnvFilter::try_from_env("FIREWATCH_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    tracing_subscriber::fmt().with_env_filter(filter).with_ansi(false).with_writer(writer).try_init().ok()?;
    Some(guard)
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let data_dir = cli.data_dir.clone();
    let Some(command) = cli.command else {
        let ctx = Ctx::new(data_dir.unwrap_or_else(default_data_dir), cli.config.as_deref())?;
        return crate::ui::app::run(ctx, crate::ui::app::Mode::Live, cli.theme.as_deref());
    };
    match command {
        Command::Ingest(args) => {
            let ctx = Ctx::new(data_dir.unwrap_or_else(default_data_dir), cli.config.as_deref())?;
            ingest::run(&ctx, &args)
        }
        Command::Ask(args) => {
            let ctx = Ctx::new(data_dir.unwrap_or_else(default_data_dir), cli.config.as_deref())?;
            ask::run(&ctx, &args)
        }
        Command::Collect(args) => {
            let ctx = Ctx::new(data_dir.unwrap_or_else(default_data_dir), cli.config.as_deref())?;
            collect::run(&ctx, &args)
        }
        Command::Doctor(args) => doctor::run(data_dir, cli.config.as_deref(), &args),
        Command::Search(args) => {
            let ctx = Ctx::new(data_dir.unwrap_or_else(default_data_dir), cli.config.as_deref())?;
            search::run(&ctx, &args)
        }
        Command::Incidents(args) => {
            let ctx = Ctx::new(data_dir.unwrap_or_else(default_data_dir), cli.config.as_deref())?;
            incidents::run(&ctx, &args)
        }
        Command::Patterns(args) => match &args.path {
            Some(path) => patterns::run(path, &args),
            None => {
                let ctx = Ctx::new(data_dir.unwrap_or_else(default_data_dir), cli.config.as_deref())?;
                patterns::run_stored(&ctx, &args)
            }
        },
        Command::Demo(args) => demo::run(data_dir, cli.config.as_deref(), &args, cli.theme.as_deref()),
        Command::Runbooks(cmd) => {
            let ctx = Ctx::new(data_dir.unwrap_or_else(default_data_dir), cli.config.as_deref())?;
            runbooks::run(&ctx, &cmd)
        }
        Command::Audit(args) => {
            let ctx = Ctx::new(data_dir.unwrap_or_else(default_data_dir), cli.config.as_deref())?;
            audit::run(&ctx, &args)
        }
    }
}
