use std::process::ExitCode;

use clap::Parser;
use firewatch::cli::Cli;

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
