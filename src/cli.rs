//! The command line: the same engine headless, for scripts, chat-ops and tests.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};

pub use crate::sanitize::color::ColorChoice;

/// The exit statuses every command keeps to (also in the README).
pub const EXIT_CODES: &str = "\
Exit status:
  0    success
  1    failure: an error, or what the command checks failed (doctor: a check not ok;
       collect --once: a source down or degraded; ingest: no input could be opened;
       runbooks run: a step failed or was not confirmed)
  2    bad usage: the command line (unknown flag, missing value), or runbooks run
       parameters that cannot be filled
  130  interrupted (Ctrl-C while ask streams an answer)

With --json, an error is one JSON object on stderr:
  {\"error\": {\"code\": 1, \"kind\": \"config\", \"message\": \"...\"}}";

const TOP_AFTER_LONG_HELP: &str = "\
Examples:
  firewatch app.log                                read a file in the terminal UI, as in less or lnav
  firewatch /var/log/app/ 'pods/*.log'             directories and globs too; kubectl logs x | firewatch -
  firewatch demo                                   a replayed incident in the terminal UI
  firewatch ingest /var/log/app/ alerts.json       store files (directories, globs, - for stdin)
  firewatch search 'level:error service:payments'  newest matches first
  firewatch                                        the terminal UI on the configured sources
  firewatch completions bash > ~/.local/share/bash-completion/completions/firewatch

Output: --json prints one JSON document (object or array); search, audit and patterns
print JSON Lines (one object a line), as they stream.

Verbosity: diagnostics go to a log file in the state dir ($XDG_STATE_HOME/firewatch,
rotated daily, 7 kept); warnings also go to stderr when it is a terminal. -v shows
info (-vv debug, -vvv trace) on stderr; -q shows no warnings and no progress.
FIREWATCH_LOG (or else RUST_LOG) sets the filter, e.g. FIREWATCH_LOG=firewatch=debug.

Colour: NO_COLOR (non-empty) and CLICOLOR=0 and TERM=dumb turn it off, CLICOLOR_FORCE=1
turns it on; otherwise colour when the output is a terminal; --color wins.
";

// Each command's --help ends with examples.
const OPEN_EXAMPLES: &str = "Examples:
  firewatch open app.log                      the same as: firewatch app.log
  firewatch open ./search                     a file named like a command (or: firewatch ./search)
  kubectl logs -f deploy/api | firewatch -    standard input, spooled and followed
  firewatch --data-dir ./idx app.log          index into ./idx and keep it

Opening the same files again is instant: what was indexed is kept in the cache dir
(~/.cache/firewatch/open/), and only what was appended since is read.";

const INGEST_EXAMPLES: &str = "Examples:
  firewatch ingest /var/log/app/*.log otel-export.jsonl alerts.json
  firewatch ingest '/var/log/pods/**/*.log'
  kubectl logs deploy/api | firewatch ingest --service api -
  firewatch ingest --json app.log | jq .records";

const COLLECT_EXAMPLES: &str = "Examples:
  firewatch collect                              until SIGINT/SIGTERM
  firewatch collect --once --timeout 30 --json   one round, a report, exit 1 if a source failed";

const DOCTOR_EXAMPLES: &str = "Examples:
  firewatch doctor
  firewatch --config prod.toml doctor --json | jq '.[] | select(.ok | not)'";

const SEARCH_EXAMPLES: &str = "Examples:
  firewatch search 'level:error service:payments \"connection refused\"'
  firewatch search --since 2h --limit 20 --json trace_id:4bf92f3577b34da6a3ce929d0e0e4736
  firewatch search --count '10.20.3.7 OR req-7f3a9c'
  firewatch search --remote loki --since 15m timeout";

const ASK_EXAMPLES: &str = "Examples:
  firewatch ask why did checkout slow down in us-east at 3pm
  firewatch ask --offline --json what changed before the payments alert";

const INCIDENTS_EXAMPLES: &str = "Examples:
  firewatch incidents
  firewatch incidents --json | jq '.[0].root_cause'
  firewatch incidents --export inc-1 > postmortem.md";

const PATTERNS_EXAMPLES: &str = "Examples:
  firewatch patterns app.log                 templates with counts, most frequent first
  firewatch patterns --per-line app.log      each line's template
  firewatch patterns --json                  the stored logs' templates, one object a line";

const RUNBOOKS_EXAMPLES: &str = "Examples:
  firewatch runbooks list
  firewatch runbooks suggest --incident inc-1
  firewatch runbooks run rollback-deploy --dry-run
  firewatch runbooks run rollback-deploy --step 2 --yes --param service=search";

const AUDIT_EXAMPLES: &str = "Examples:
  firewatch audit
  firewatch audit --kind runbook_step --json | jq .detail.exact";

const SUGGEST_EXAMPLES: &str = "Examples:
  firewatch runbooks suggest
  firewatch runbooks suggest --incident inc-1 --json";

const DEMO_EXAMPLES: &str = "Examples:
  firewatch demo
  firewatch demo --speed 60
  firewatch demo --headless";

const LIST_EXAMPLES: &str = "Examples:
  firewatch runbooks list
  firewatch runbooks list --json | jq '.[].id'";

#[derive(Debug, Parser)]
#[command(
    name = "firewatch",
    version,
    about = "A terminal incident copilot: alerts, logs, traces and metrics, indexed locally",
    after_help = "Examples: firewatch app.log; firewatch demo; firewatch ingest app.log; firewatch search 'level:error'\n\
                  More examples, the output conventions and the exit statuses: firewatch --help",
    after_long_help = top_long_help()
)]
pub struct Cli {
    /// More diagnostics on stderr: -v info, -vv debug, -vvv trace
    #[arg(short, long, global = true, action = ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,

    /// No warnings and no progress on stderr: only the output, and errors
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Where the index and state live [default: the platform data dir]
    #[arg(long, global = true, env = "FIREWATCH_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Configuration file; it overrides the built-in defaults key by key
    #[arg(long, global = true, env = "FIREWATCH_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The TUI's theme: dark, light, high-contrast, or a theme file [default: [ui] theme]
    #[arg(long, global = true, value_name = "THEME")]
    pub theme: Option<String>,

    /// Files, directories or globs to read in the terminal UI (- for standard input): sugar for
    /// `firewatch open PATH...`. A command's name is the command: open a file named like one
    /// as ./NAME or with `open`
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Without a command or paths: the terminal UI on the configured sources and the data dir
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The top command's long help: examples, conventions, then the exit statuses.
fn top_long_help() -> String {
    format!("{TOP_AFTER_LONG_HELP}\n{EXIT_CODES}")
}

/// How much a command says on stderr beside its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// `-q`: errors only; no warnings, no progress.
    Quiet,
    Normal,
    /// `-v` counted: 1 info, 2 debug, 3 or more trace.
    Verbose(u8),
}

impl Cli {
    pub fn verbosity(&self) -> Verbosity {
        match (self.quiet, self.verbose) {
            (true, _) => Verbosity::Quiet,
            (false, 0) => Verbosity::Normal,
            (false, n) => Verbosity::Verbose(n),
        }
    }

    /// Whether the command asked for JSON: then an error is reported as JSON too.
    pub fn wants_json(&self) -> bool {
        match &self.command {
            Some(Command::Ingest(a)) => a.json,
            Some(Command::Collect(a)) => a.json,
            Some(Command::Doctor(a)) => a.json,
            Some(Command::Search(a)) => a.json,
            Some(Command::Ask(a)) => a.json,
            Some(Command::Incidents(a)) => a.json,
            Some(Command::Patterns(a)) => a.json,
            Some(Command::Audit(a)) => a.json,
            Some(Command::Runbooks(RunbooksCommand::List { json } | RunbooksCommand::Suggest { json, .. })) => *json,
            Some(Command::Runbooks(RunbooksCommand::Run(a))) => a.json,
            Some(Command::Demo(_) | Command::Open(_) | Command::Completions(_) | Command::Man) | None => false,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read files in the terminal UI: their newest lines at once, indexed for search behind them
    #[command(after_help = OPEN_EXAMPLES)]
    Open(OpenArgs),
    /// Store logs, traces, metrics and alerts from files (or - for stdin)
    #[command(after_help = INGEST_EXAMPLES)]
    Ingest(IngestArgs),
    /// Run every configured source into the data dir until SIGINT/SIGTERM (or once, with --once)
    #[command(after_help = COLLECT_EXAMPLES)]
    Collect(CollectArgs),
    /// Check the config, and each source's connectivity and auth
    #[command(after_help = DOCTOR_EXAMPLES)]
    Doctor(DoctorArgs),
    /// Search stored logs and spans, newest first
    #[command(after_help = SEARCH_EXAMPLES)]
    Search(SearchArgs),
    /// Ask a question in plain words; the answer cites the evidence it rests on
    #[command(after_help = ASK_EXAMPLES)]
    Ask(AskArgs),
    /// Alerts grouped into incidents, each with its suspected root cause
    #[command(after_help = INCIDENTS_EXAMPLES)]
    Incidents(IncidentsArgs),
    /// Log templates of a file (per line, or with counts, most frequent first), or of the stored logs
    #[command(after_help = PATTERNS_EXAMPLES)]
    Patterns(PatternsArgs),
    /// A simulated incident replayed live into a scratch data dir, in the terminal UI
    #[command(after_help = DEMO_EXAMPLES)]
    Demo(DemoArgs),
    /// The runbook library: list, suggest for an incident, run a step (with confirmation)
    #[command(subcommand)]
    #[command(after_help = RUNBOOKS_EXAMPLES)]
    Runbooks(RunbooksCommand),
    /// The audit log: LLM requests, runbook steps run or declined
    #[command(after_help = AUDIT_EXAMPLES)]
    Audit(AuditArgs),
    /// A completion script for a shell, on stdout
    #[command(after_help = "Examples:\n  \
        firewatch completions bash > ~/.local/share/bash-completion/completions/firewatch\n  \
        firewatch completions zsh > \"${fpath[1]}/_firewatch\"\n  \
        firewatch completions fish > ~/.config/fish/completions/firewatch.fish\n  \
        source <(firewatch completions bash)            (this shell only)")]
    Completions(CompletionsArgs),
    /// The man page (roff), on stdout
    #[command(after_help = "Examples:\n  firewatch man | man -l -\n  \
        firewatch man > ~/.local/share/man/man1/firewatch.1")]
    Man,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Subcommand)]
pub enum RunbooksCommand {
    /// Every runbook in the library
    #[command(after_help = LIST_EXAMPLES)]
    List {
        /// An array of {id, title, score, reason}
        #[arg(long)]
        json: bool,
    },
    /// The runbooks that fit an incident, best first, with why
    #[command(after_help = SUGGEST_EXAMPLES)]
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
    #[command(after_help = "Examples:\n  \
        firewatch runbooks run rollback-deploy --dry-run\n  \
        firewatch runbooks run rollback-deploy --incident inc-1\n  \
        firewatch runbooks run rollback-deploy --step 2 --yes --param service=search --json")]
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
    /// One object: {runbook, title, incident, parameters, dry_run, ok, steps: [{step, title, status, ...}]}
    #[arg(long)]
    pub json: bool,
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

    /// One object: {records, health, commits} per source
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// One array: [{name, kind, ok, verdict, detail}], a check each
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
pub struct OpenArgs {
    /// Files, directories (read recursively) or globs; - reads standard input
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Files or directories (read recursively); - reads standard input
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Service name for records that carry none [default: the file's name]
    #[arg(long)]
    pub service: Option<String>,

    /// One object: {files: [...], records, bad, skipped, seconds, ...}
    #[arg(long)]
    pub json: bool,

    /// Then merge the many small segments a large ingest leaves (about 25 s per GB, one core): every later
    /// `firewatch search` process opens the index faster (17 ms to 5 ms on 1 GB)
    #[arg(long)]
    pub compact: bool,
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

    /// Colour severities and highlight matches (auto: see Colour in firewatch --help)
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Words, "phrases", AND/OR/NOT, field:value (service, level, region, host, trace_id, attribute.name)
    #[arg(value_name = "QUERY", num_args = 0..)]
    pub query: Vec<String>,
}
