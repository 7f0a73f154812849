use std::process::ExitCode;

use clap::Parser;
use firewatch::cli::Cli;

// Indexing allocates and frees millions of small strings across threads: mimalloc is
// faster there than glibc's malloc and does not bloat resident memory with per-thread arenas.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match firewatch::cmd::run(cli) {
        Ok(code) => code,
        Err(e) => {
            let msg = format!("{e:#}");
            eprintln!("firewatch: {}", firewatch::sanitize::terminal_safe(&msg));
            ExitCode::from(1)
        }
    }
}
