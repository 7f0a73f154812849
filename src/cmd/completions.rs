//! `firewatch completions SHELL` and `firewatch man`: generated from the same clap
//! definition as the parser, so they never drift from the flags.

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::sanitize;

/// The completion script for `shell`, on stdout.
pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<ExitCode> {
    let mut out = sanitize::stdout_buffered();
    clap_complete::generate(shell, &mut Cli::command(), "firewatch", &mut out);
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The man page, roff, on stdout: the top command with its long help (examples, exit
/// statuses), then a section per subcommand with its options.
pub fn man() -> anyhow::Result<ExitCode> {
    let cmd = Cli::command();
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        write_subcommand(&mut page, cmd.get_name(), sub)?;
    }
    let mut out = sanitize::stdout_buffered();
    out.write_all(&page)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// One subcommand as a `.SH` section; its synopsis, description, options and examples
/// are `.SS` subsections of it.
fn write_subcommand(page: &mut Vec<u8>, parent: &str, sub: &clap::Command) -> anyhow::Result<()> {
    let name = format!("{parent} {}", sub.get_name());
    writeln!(page, ".SH \"{}\"", name.to_uppercase())?;
    let man = clap_mangen::Man::new(sub.clone().bin_name(name.clone()).display_name(name.clone()));
    let mut body = Vec::new();
    man.render_synopsis_section(&mut body)?;
    man.render_description_section(&mut body)?;
    if sub.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut body)?;
    }
    if sub.get_after_help().is_some() || sub.get_after_long_help().is_some() {
        man.render_extra_section(&mut body)?;
    }
    let body = String::from_utf8_lossy(&body).replace(".SH EXTRA", ".SH EXAMPLES");
    for line in body.lines() {
        match line.strip_prefix(".SH ") {
            Some(heading) => writeln!(page, ".SS {heading}")?,
            None => writeln!(page, "{line}")?,
        }
    }
    for nested in sub.get_subcommands() {
        write_subcommand(page, &name, nested)?;
    }
    Ok(())
}
