//! Where in a step's argv a parameter would become code rather than data.
//!
//! A step runs without a shell, so a value is one argument and shell syntax in it is inert. That guarantee is lost
//! when the program itself reads an argument as code or as a command to run. Placeholders are refused there:
//!
//! - **The program**: `argv[0]`, and the program a wrapper or a remote runner starts.
//! - **Shells** (`sh`, `bash`, `dash`, `zsh`, `ksh`, `mksh`, `ash`, `yash`, `fish`, `csh`, `tcsh`, `busybox sh`):
//!   the script they run, that is the argument after `-c` (or after any option cluster holding `c`, like `-ec`),
//!   or without `-c` the first operand (a script file), and a `--rcfile`/`--init-file`. Operands after the script
//!   are positional data (`$1`...); with `-s` the script comes from stdin and every operand is data.
//! - **Interpreters**: the argument of their code options and, without one, the script operand: `python*` (`-c`,
//!   `-m`), `perl` (`-e`, `-E`, `-M`, `-m`), `ruby` (`-e`, `-r`), `node`/`nodejs`/`bun` (`-e`, `-p`, `--eval`,
//!   `--print`, `-r`, `--require`, `--import`), `deno` (`eval`, `run`), `php` (`-r`, `-B`, `-R`, `-E`, `-F`), `lua`
//!   and `luajit` (`-e`, `-l`), `Rscript` (`-e`), `osascript` (`-e`), `tclsh`/`wish`, `pwsh`/`powershell` (every
//!   argument), `awk` and its kin (the program text, or `-f FILE`; `-v var=value` is data), `sed` (the script:
//!   GNU sed's `e` command runs a shell), `gdb` (`-ex`).
//! - **Wrappers** that run their operands as a command, with options that decide where that command starts:
//!   `env`, `sudo`, `doas`, `su`, `runuser`, `nice`, `nohup`, `timeout`, `stdbuf`, `setsid`, `time`, `ionice`,
//!   `chrt`, `taskset`, `numactl`, `prlimit`, `flock`, `chroot`, `unshare`, `nsenter`, `setpriv`, `strace`,
//!   `ltrace`, `valgrind`, `xargs`, `parallel`, `watch` (which hands its operands to `sh -c`), `script`, `expect`,
//!   `systemd-run`, `fakeroot`, `firejail`, `torsocks`, `proxychains*`, `exec`, `command`, `builtin`, `eval`,
//!   `source`, `.`: every argument, since telling the wrapped program and its code arguments apart would mean
//!   parsing each wrapper's options exactly.
//! - **Remote runners**: `ssh` (and `autossh`, `rsh`) joins everything after the destination into a command line
//!   for the remote shell, so those arguments are code; the destination itself may be a parameter. For `kubectl`
//!   and `oc` (`exec`, `debug`, `run`, `create job`), what follows `--` is a command checked by these same rules;
//!   for `docker`/`podman`/`nerdctl`/`crictl` `exec`/`run`/`create`, every argument after the subcommand (whose
//!   options decide where the command starts). `find`'s `-exec`/`-execdir`/`-ok`/`-okdir` commands are checked by
//!   these rules too. Database clients are interpreters of SQL, which reaches a shell through psql's `\!` and
//!   the like: `psql -c`/`-f`, `mysql`/`mariadb -e`, `cqlsh -e`, `clickhouse-client -q`, `mongosh --eval`.
//!
//! Two parameter types may still go there: `enum` (the runbook's author wrote every value) and `integer` (digits).
//! A `command` step with `shell = true` is exempt: its author asked for a shell script, and each value is
//! single-quoted into it.

use std::path::Path;

/// How a program treats its arguments.
enum Kind {
    /// Runs the argument of one of `code_flags` as code. With `script`, its first operand is a program text or
    /// script file when no code flag came before it, and what follows is the script's data; without, operands are
    /// data (a database client's database name) and code flags may come anywhere. `value_flags` take a value that
    /// is data.
    Interpreter {
        code_flags: &'static [&'static str],
        value_flags: &'static [&'static str],
        script: bool,
    },
    Shell,
    Wrapper,
    Ssh,
    Kubectl,
    Container,
    Find,
    Other,
}

/// The program's name as `kind` expects it: its file name, without a version suffix (`python3.12` -> `python`).
fn base_name(program: &str) -> String {
    let file = Path::new(program).file_name().and_then(|f| f.to_str()).unwrap_or(program);
    let lower = file.to_ascii_lowercase();
    let lower = lower.strip_suffix(".exe").unwrap_or(&lower);
    lower.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.').to_string()
}

fn kind(name: &str) -> Kind {
    const NONE: &[&str] = &[];
    match name {
        "sh" | "bash" | "dash" | "zsh" | "ksh" | "mksh" | "ash" | "yash" | "fish" | "csh" | "tcsh" | "rbash" => {
            Kind::Shell
        }
        "python" | "pypy" => {
            Kind::Interpreter { code_flags: &["-c", "-m"], value_flags: &["-W", "-X", "-Q"], script: true }
        }
        "perl" => Kind::Interpreter { code_flags: &["-e", "-E", "-M", "-m"], value_flags: &["-I", "-x"], script: true },
        "ruby" | "jruby" => {
            Kind::Interpreter { code_flags: &["-e", "-r"], value_flags: &["-I", "-C", "-E"], script: true }
        }
        "node" | "nodejs" | "bun" => Kind::Interpreter {
            code_flags: &["-e", "-p", "--eval", "--print", "-r", "--require", "--import", "--loader"],
            value_flags: NONE,
            script: true,
        },
        "deno" => Kind::Interpreter { code_flags: &["eval", "run"], value_flags: NONE, script: true },
        "php" => Kind::Interpreter {
            code_flags: &["-r", "-B", "-R", "-E", "-F", "-f"],
            value_flags: &["-c", "-d"],
            script: true,
        },
        "lua" | "luajit" => Kind::Interpreter { code_flags: &["-e", "-l"], value_flags: NONE, script: true },
        "rscript" | "osascript" => Kind::Interpreter { code_flags: &["-e"], value_flags: NONE, script: true },
        "tclsh" | "wish" | "expect" => Kind::Interpreter { code_flags: &["-c"], value_flags: NONE, script: true },
        "awk" | "gawk" | "mawk" | "nawk" => Kind::Interpreter {
            code_flags: &["-f", "--file", "-e", "--source"],
            value_flags: &["-v", "-F"],
            script: true,
        },
        "sed" => Kind::Interpreter {
            code_flags: &["-e", "--expression", "-f", "--file"],
            value_flags: &["-l", "--line-length"],
            script: true,
        },
        "gdb" => Kind::Interpreter { code_flags: &["-ex", "-x", "-iex", "-ix"], value_flags: NONE, script: true },
        // Database clients: SQL is code, and psql's `\!`, sqlite's `.shell` and the like run a shell.
        "psql" => {
            Kind::Interpreter { code_flags: &["-c", "--command", "-f", "--file"], value_flags: NONE, script: false }
        }
        "mysql" | "mariadb" => {
            Kind::Interpreter { code_flags: &["-e", "--execute", "--init-command"], value_flags: NONE, script: false }
        }
        "cqlsh" => {
            Kind::Interpreter { code_flags: &["-e", "--execute", "-f", "--file"], value_flags: NONE, script: false }
        }
        "clickhouse-client" => Kind::Interpreter { code_flags: &["-q", "--query"], value_flags: NONE, script: false },
        "mongosh" | "mongo" => Kind::Interpreter { code_flags: &["--eval"], value_flags: NONE, script: false },
        "pwsh" | "powershell" | "cmd" => Kind::Wrapper,
        "env" | "sudo" | "doas" | "su" | "runuser" | "nice" | "nohup" | "timeout" | "stdbuf" | "setsid" | "time"
        | "ionice" | "chrt" | "taskset" | "numactl" | "prlimit" | "flock" | "chroot" | "unshare" | "nsenter"
        | "setpriv" | "strace" | "ltrace" | "valgrind" | "xargs" | "parallel" | "watch" | "script" | "systemd-run"
        | "fakeroot" | "firejail" | "torsocks" | "proxychains" | "exec" | "command" | "builtin" | "eval" | "source"
        | "." | "busybox" | "sg" | "cgexec" | "unbuffer" | "caffeinate" | "catchsegv" | "proxychains4" => Kind::Wrapper,
        "ssh" | "autossh" | "rsh" => Kind::Ssh,
        "kubectl" | "oc" => Kind::Kubectl,
        "docker" | "podman" | "nerdctl" | "crictl" => Kind::Container,
        "find" => Kind::Find,
        _ => Kind::Other,
    }
}

/// ssh's options that take a value (OpenSSH 9).
const SSH_VALUE_FLAGS: &[u8] = b"BbcDEeFIiJLlmOoPpQRSWw";

/// Checks `argv` (a step's command, or a command inside one). `code_ok(arg)` says whether an argument's
/// placeholders may stand where code goes. Returns why a placeholder would become code.
pub(super) fn check(argv: &[&str], code_ok: &dyn Fn(&str) -> bool) -> Result<(), String> {
    let Some((&program, args)) = argv.split_first() else { return Ok(()) };
    if !super::placeholders(program).is_empty() {
        return Err(format!("'{program}' would make a parameter the program that runs"));
    }
    let name = base_name(program);
    let refuse = |arg: &str, what: &str| -> Result<(), String> {
        if code_ok(arg) {
            Ok(())
        } else {
            Err(format!("'{arg}' would put a parameter into {what} of {name}; use an enum parameter, or a command step with shell = true"))
        }
    };
    match kind(&name) {
        Kind::Other => Ok(()),
        Kind::Wrapper => args.iter().try_for_each(|a| refuse(a, "the command run by")),
        Kind::Shell => shell(args, &refuse),
        Kind::Interpreter { code_flags, value_flags, script } => {
            interpreter(args, code_flags, value_flags, script, &refuse)
        }
        Kind::Ssh => ssh(args, &refuse),
        Kind::Kubectl => {
            // `exec`, `debug`, `run`, `create job`... all put the container's command after `--`, wherever the
            // subcommand and its options are.
            match args.iter().position(|a| *a == "--") {
                Some(dash) => check(&args[dash + 1..], code_ok),
                None => Ok(()),
            }
        }
        Kind::Container => {
            let Some(pos) = args.iter().position(|a| matches!(*a, "exec" | "run" | "create")) else { return Ok(()) };
            args[pos + 1..].iter().try_for_each(|a| refuse(a, "the container command run by"))
        }
        Kind::Find => find(args, code_ok),
    }
}

/// Says why a placeholder in the argument would become code (`what` names where), or nothing when it may.
type Refuse<'a> = dyn Fn(&str, &str) -> Result<(), String> + 'a;

fn is_operand(a: &str) -> bool {
    !(a.starts_with('-') || a.starts_with('+')) || a == "-"
}

/// `bash -o pipefail -ec 'script' name args`: the first operand is the script (with -c) or the script
/// file (without); `-s` reads the script from stdin, making every operand data.
fn shell(args: &[&str], refuse: &Refuse<'_>) -> Result<(), String> {
    // `bash -o pipefail -ec 'script' name args`: the first operand is the script (with -c) or the script
    // file (without); `-s` reads the script from stdin, making every operand data.
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if *a == "--" {
            i += 1;
            break;
        }
        if is_operand(a) {
            break;
        }
        if a.len() > 1 && !a.starts_with("--") && a[1..].contains('s') {
            return Ok(());
        }
        if matches!(*a, "--rcfile" | "--init-file") {
            // Read and run before anything else: code too.
            if let Some(file) = args.get(i + 1) {
                refuse(file, "the startup file")?;
            }
            i += 1;
        } else if matches!(*a, "-o" | "+o" | "-O" | "+O") {
            i += 1;
        }
        i += 1;
    }
    match args.get(i) {
        Some(script) => refuse(script, "the script"),
        None => Ok(()),
    }
}

/// `python -c CODE`, `perl -ne CODE`, `psql --command=SQL`, or a script file as the first operand.
fn interpreter(
    args: &[&str],
    code_flags: &[&str],
    value_flags: &[&str],
    script: bool,
    refuse: &Refuse<'_>,
) -> Result<(), String> {
    let mut i = 0;
    let mut first_operand = None;
    let mut saw_code_flag = false;
    while let Some(a) = args.get(i) {
        if *a == "--" {
            first_operand.get_or_insert(i + 1);
            break;
        }
        if let Some(flag) = code_flags.iter().find(|f| a == *f || (a.starts_with(**f) && f.len() == 2)) {
            saw_code_flag = true;
            if a == flag {
                // `-c CODE`
                if let Some(code) = args.get(i + 1) {
                    refuse(code, "the code")?;
                }
                i += 2;
            } else {
                // `-eCODE`, `-MModule`
                refuse(a, "the code")?;
                i += 1;
            }
            continue;
        }
        if let Some((long, _)) = a.split_once('=').filter(|(l, _)| l.starts_with("--")) {
            // `--eval=CODE`, `--command=SQL`
            if code_flags.contains(&long) {
                saw_code_flag = true;
                refuse(a, "the code")?;
            }
            i += 1;
            continue;
        }
        // A cluster that ends in a code flag: `perl -ne CODE`, `python -Bc CODE`.
        if a.len() > 2 && a.starts_with('-') && !a.starts_with("--") {
            // The last character, not byte: an argument may end in a multi-byte character.
            let last = a.char_indices().next_back().map_or("", |(i, _)| &a[i..]);
            if code_flags.iter().any(|f| f.len() == 2 && &f[1..] == last) {
                saw_code_flag = true;
                if let Some(code) = args.get(i + 1) {
                    refuse(code, "the code")?;
                }
                i += 2;
                continue;
            }
        }
        if is_operand(a) {
            first_operand.get_or_insert(i);
            if script {
                // What follows the script is its data.
                break;
            }
        } else if value_flags.contains(a) {
            i += 1;
        }
        i += 1;
    }
    // Without a code flag, the first operand is the program text or script file.
    match first_operand.and_then(|i| args.get(i)) {
        Some(first) if script && !saw_code_flag => refuse(first, "the program text or script"),
        _ => Ok(()),
    }
}

/// `ssh [options] destination [command...]`: everything after the destination is a remote command line.
fn ssh(args: &[&str], refuse: &Refuse<'_>) -> Result<(), String> {
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if *a == "--" {
            i += 1;
            break;
        }
        if !a.starts_with('-') || a.len() < 2 {
            break;
        }
        // `-o Opt=v`, `-p 22`, `-oOpt=v`: the value is attached or the next argument.
        let last = a.as_bytes()[a.len() - 1];
        if a.len() == 2 && SSH_VALUE_FLAGS.contains(&last) {
            i += 1;
        } else if a.len() > 2 && SSH_VALUE_FLAGS.contains(&a.as_bytes()[1]) {
            // value attached
        } else if SSH_VALUE_FLAGS.contains(&last) {
            // a cluster ending in a value flag, `-vp 22`
            i += 1;
        }
        i += 1;
    }
    // args[i] is the destination (a parameter may name the host); the rest is a remote command line.
    args.iter().skip(i + 1).try_for_each(|a| refuse(a, "the remote command run by"))
}

/// `find ... -exec CMD ;`: each command `find` runs is checked like a step's.
fn find(args: &[&str], code_ok: &dyn Fn(&str) -> bool) -> Result<(), String> {
    let mut i = 0;
    while i < args.len() {
        if matches!(args[i], "-exec" | "-execdir" | "-ok" | "-okdir") {
            let start = i + 1;
            let end = (start..args.len()).find(|&j| matches!(args[j], ";" | "+")).unwrap_or(args.len());
            check(&args[start..end], code_ok)?;
            i = end;
        }
        i += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(argv: &[&str]) -> bool {
        check(argv, &|a: &str| super::super::placeholders(a).is_empty()).is_err()
    }

    #[test]
    fn code_positions_are_found() {
        for argv in [
            &["sh", "-c", "{x}"][..],
            &["/bin/bash", "-lc", "echo {x}"],
            &["bash", "-o", "pipefail", "-ec", "{x}"],
            &["bash", "{x}"],
            &["zsh", "-c", "{x}"],
            &["python3", "-c", "{x}"],
            &["python3.12", "-m", "{x}"],
            &["python", "{x}"],
            &["perl", "-e", "{x}"],
            &["perl", "-ne", "{x}"],
            &["perl", "-M{x}", "-e", "1"],
            &["ruby", "-e", "{x}"],
            &["node", "--eval", "{x}"],
            &["node", "-e", "{x}"],
            &["awk", "{x}"],
            &["awk", "-F", ":", "{x}", "/etc/passwd"],
            &["sed", "-e", "{x}", "f"],
            &["env", "{x}"],
            &["env", "A=1", "{x}"],
            &["sudo", "-u", "root", "{x}"],
            &["xargs", "{x}"],
            &["timeout", "5", "sh", "-c", "{x}"],
            &["watch", "ls", "{x}"],
            &["eval", "{x}"],
            &["ssh", "-o", "BatchMode=yes", "host", "{x}"],
            &["ssh", "-p", "22", "{host}", "ls", "{x}"],
            &["kubectl", "exec", "{pod}", "--", "sh", "-c", "{x}"],
            &["kubectl", "exec", "pod", "--", "{x}"],
            &["kubectl", "-n", "prod", "exec", "pod", "--", "sh", "-c", "{x}"],
            &["bash", "--rcfile", "{x}", "-i"],
            &["docker", "exec", "c", "{x}"],
            &["find", ".", "-exec", "sh", "-c", "{x}", ";"],
            &["find", ".", "-exec", "{x}", ";"],
            &["psql", "-h", "h", "-d", "d", "-c", "select {x}"],
            &["psql", "-d", "{db}", "--command=select {x}"],
            &["mysql", "-e", "{x}"],
            &["{x}"],
        ] {
            assert!(refused(argv), "{argv:?} accepted");
        }
        for argv in [
            &["sh", "-c", "echo \"$1\"", "sh", "{x}"][..],
            &["sh", "script.sh", "{x}"],
            &["bash", "-s", "{x}"],
            &["python3", "tool.py", "{x}"],
            &["python3", "-c", "import sys; print(sys.argv[1])", "{x}"],
            &["perl", "-e", "print @ARGV", "{x}"],
            &["awk", "-v", "n={x}", "{print n}"],
            &["sed", "-e", "s/a/b/", "{x}"],
            &["ssh", "-o", "BatchMode=yes", "{host}", "df", "-h"],
            &["kubectl", "get", "pods", "-n", "{x}"],
            &["kubectl", "exec", "{pod}", "-n", "{ns}", "--", "redis-cli", "INFO"],
            &["psql", "-h", "{host}", "-d", "{db}", "-c", "select 1"],
            &["psql", "-h", "{host}", "-c", "select pg_cancel_backend(1)"],
            &["find", "{dir}", "-name", "*.gz", "-delete"],
        ] {
            assert!(!refused(argv), "{argv:?} refused");
        }
    }
}
