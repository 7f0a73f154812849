use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use firewatch::cli::Cli;
use firewatch::cmd::{write_json_error, ErrorKind};
use firewatch::sanitize::{self, terminal_safe};

// Indexing allocates and frees millions of small strings across threads: mimalloc is
// faster there than glibc's malloc and does not bloat resident memory with per-thread arenas.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    no_transparent_huge_pages();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let json = cli.wants_json();
    match firewatch::cmd::run(cli) {
        Ok(code) => code,
        // A reader that stopped reading (`| head`) is not an error, as for cat or grep.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // The chain quotes paths and values (file names, labels, config values): escaped,
            // and on one line.
            let msg = format!("{e:#}");
            if json {
                write_json_error(1, ErrorKind::of(&e), &msg);
            } else {
                #[allow(
                    clippy::let_underscore_must_use,
                    reason = "the exit code reports the failure; a closed stderr leaves nowhere to say more"
                )]
                let _ = writeln!(sanitize::stderr(), "firewatch: {}", terminal_safe(&msg));
            }
            ExitCode::from(1)
        }
    }
}

/// Gives mimalloc ordinary 4 KB pages. With transparent huge pages its first touch of each
/// 2 MB of heap zeroes all of it: five times in a whole-process search, a fifth of that
/// search's time, while ingest ran no faster with them (`/usr/bin/time` on 200 MB: 7.0-7.5 s
/// either way) and held 20 MB more. This is what `MIMALLOC_ALLOW_THP=0` does, set here
/// because mimalloc reads its options before `main`. Processes started from here inherit it.
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Clap's own report of a bad command line, help and version. An error quotes the argument
/// it refused, which can be a hostile file name: then it is written plain (no colours), through
/// the escaping writer. Anything else is clap's as it is.
fn usage_error(e: clap::Error) -> ExitCode {
    let code = u8::try_from(e.exit_code()).unwrap_or(2);
    // A usage error of a command run with --json is JSON too; help and version are not errors.
    if e.use_stderr() && std::env::args_os().any(|a| a == "--json") {
        write_json_error(code, ErrorKind::Usage, e.render().to_string().trim_end());
        return ExitCode::from(code);
    }
    let plain = e.render().to_string();
    if !e.use_stderr() || sanitize::stream_safe(&plain) {
        e.exit()
    }
    #[allow(
        clippy::let_underscore_must_use,
        reason = "the exit code reports the failure; a closed stderr leaves nowhere to say more"
    )]
    let _ = write!(sanitize::stderr(), "{plain}");
    ExitCode::from(code)
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
            .or_else(|| c.downcast_ref::<serde_json::Error>().and_then(serde_json::Error::io_error_kind))
            == Some(std::io::ErrorKind::BrokenPipe)
    })
}
