//! The command line: the same engine headless, for scripts, chat-ops and tests.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "firewatch",
    version,
    about = "A terminal incident copilot: alerts, logs, traces and metrics, indexed locally"
)]
pub struct Cli {
    /// Where the index and state live [default: the platform data dir]
    #[arg(long, global = true, env = "FIREWATCH_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Configuration file; it overrides the built-in defaults key by key
    #[arg(long, global = true, env = "FIREWATCH_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The TUI's theme: dark, light, high-contrast, or a theme file [default: [ui] theme]
    #[arg(long, global = true, value_name = "THEME")]
    pub theme: Option<String>,

    /// Without a command: the terminal UI on the configured sources and the data dir
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Store logs, traces, metrics and alerts from files (or - for stdin)
    Ingest(IngestArgs),
    /// Run every configured source into the data dir until SIGINT/SIGTERM (or once, with --once)
    Collect(CollectArgs),
    /// Check the config, and each source's connectivity and auth
    Doctor(DoctorArgs),
    /// Search stored logs and spans, newest first
    Search(SearchArgs),
    /// Ask a question in plain words; the answer cites the evidence it rests on
    Ask(AskArgs),
    /// Alerts grouped into incidents, each with its suspected root cause
    Incidents(IncidentsArgs),
    /// Log templates of a file (per line, or with counts, most frequent first), or of the stored logs
    Patterns(PatternsArgs),
    /// A simulated incident replayed live into a scratch data dir, in the terminal UI
    Demo(DemoArgs),
    /// The runbook library: list, suggest for an incident, run a step (with confirmation)
    #[command(subcommand)]
    Runbooks(RunbooksCommand),
    /// The audit log: LLM requests, runbook steps run or declined
    Audit(AuditArgs),
}

#[derive(Debug, clap::Subcommand)]
pub enum RunbooksCommand {
    /// Every runbook in the library
    List {
        /// An array of {id, title, score, reason}
        #[arg(long)]
        json: bool,
    },
    /// The runbooks that fit an incident, best first, with why
    Suggest {
        /// The incident (default: the newest open one)
        #[arg(long, value_name = "ID")]
        incident: Option<String>,
        /// An array of {id, title, score, reason, params, problems}
        #[arg(long)]
        json: bool,
        /// Analyse as of this time (RFC 3339) instead of now
        #[arg(long, value_name = "T")]
        now: Option<String>,
    },
    /// Run a runbook's steps; each step that changes something asks first
    Run(RunbookRunArgs),
}

#[derive(Debug, Args)]
pub struct RunbookRunArgs {
    /// The runbook's id (see runbooks list)
    pub id: String,
    /// The incident whose facts fill the parameters (default: the newest open one)
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    /// A parameter value, NAME=VALUE; repeatable
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Show exactly what each step would do, with every parameter filled; run nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Only this step (1-based)
    #[arg(long, value_name = "N")]
    pub step: Option<usize>,
    /// Confirm the one step given with --step (never more than one)
    #[arg(long)]
    pub yes: bool,
    /// Analyse as of this time (RFC 3339) instead of now
    #[arg(long, value_name = "T")]
    pub now: Option<String>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Print the bundled incident's alerts and a few searches instead (also when stdout is not a terminal)
    #[arg(long)]
    pub headless: bool,
    /// Replay speed, times real time, once the incident nears
    #[arg(long, default_value_t = 30.0, value_name = "X")]
    pub speed: f64,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only this kind: llm_request, llm_answer, runbook_step, runbook_declined
    #[arg(long)]
    pub kind: Option<String>,
    /// One object a line: {seq, ts, kind, actor, detail}
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Poll each pull source once, read the files, store it all, and exit
    #[arg(long)]
    pub once: bool,

    /// With --once: give up on sources that have not answered after this many seconds
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub timeout: u64,

    /// Print the per-source report as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// One JSON object per source: {name, kind, ok, verdict, detail}
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AskArgs {
    /// Answer with the deterministic engine only, even when an [llm] section is configured
    #[arg(long)]
    pub offline: bool,

    /// Resolve relative times ("at 3pm", "in the last hour") against this time (RFC 3339) instead of now
    #[arg(long, value_name = "T")]
    pub now: Option<String>,

    /// One object: {question, interpretation, root_cause, candidates, evidence, answer, runbooks}
    #[arg(long)]
    pub json: bool,

    /// The question, e.g. why did checkout slow down in us-east at 3pm
    #[arg(value_name = "QUESTION", num_args = 1.., required = true)]
    pub question: Vec<String>,
}

#[derive(Debug, Args)]
pub struct IncidentsArgs {
    /// An array of {id, title, status, started_at, services, regions, alerts, root_cause, ...}
    #[arg(long)]
    pub json: bool,

    /// Judge firing and resolved as of this time (RFC 3339) [default: now]
    #[arg(long, value_name = "T")]
    pub now: Option<String>,

    /// Only alerts that started at or after this time [default: the day before the newest alert]
    #[arg(long, value_name = "T")]
    pub since: Option<String>,

    /// Print this incident as a Markdown postmortem (timeline, evidence, questions, actions)
    #[arg(long, value_name = "ID")]
    pub export: Option<String>,
}

#[derive(Debug, Args)]
pub struct PatternsArgs {
    /// For each input line, in order, its template (variables written <*>)
    #[arg(long)]
    pub per_line: bool,

    /// One JSON object per template: {id, template, count}
    #[arg(long, conflicts_with = "per_line")]
    pub json: bool,

    /// A file of log lines, or - for standard input [default: the templates of the stored logs, with counts]
    #[arg(value_name = "FILE")]
    pub path: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Files or directories (read recursively); - reads standard input
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Service name for records that carry none [default: the file's name]
    #[arg(long)]
    pub service: Option<String>,

    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Only records at or after this time (RFC 3339, or a duration before now: 15m, 2h)
    #[arg(long, value_name = "T")]
    pub since: Option<String>,

    /// Only records at or before this time
    #[arg(long, value_name = "T")]
    pub until: Option<String>,

    /// Newest N matches
    #[arg(long, short = 'n', default_value_t = 100, value_name = "N")]
    pub limit: usize,

    /// One JSON object per line: id, timestamp, service, severity, body, trace_id, attributes
    #[arg(long)]
    pub json: bool,

    /// Print only the exact number of matches
    #[arg(long, conflicts_with = "json")]
    pub count: bool,

    /// Run the query on this configured loki or elasticsearch source instead of the local index
    #[arg(long, value_name = "SOURCE")]
    pub remote: Option<String>,

    /// Colour severities and highlight matches
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Words, "phrases", AND/OR/NOT, field:value (service, level, region, host, trace_id, attribute.name)
    #[arg(value_name = "QUERY", num_args = 0..)]
    pub query: Vec<String>,
}
