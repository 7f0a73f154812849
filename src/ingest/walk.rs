//! Which inputs the paths on an `ingest` command line name: directories are walked in name order,
//! symlinks followed only while they stay inside the directory and never around a loop; globs the shell left
//! unexpanded are matched the same way (see [`super::glob`]).

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::glob;
use super::source::kind_name;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A regular file (or a path that is not there: opening it reports why).
    File(PathBuf),
    /// Standard input, `-`.
    Stdin,
    /// A FIFO or device named on the command line: read as a stream, as the user asked.
    Stream(PathBuf),
    /// Found in a directory but not read, and why.
    Skip { path: PathBuf, reason: String },
    /// Named but not there: a glob that matches nothing, or is not a valid one.
    Missing { path: PathBuf, reason: String },
}

/// The inputs `paths` name, in command-line order; each directory's files in name order.
pub fn expand(paths: &[PathBuf]) -> Vec<Input> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(Input::Stdin);
            continue;
        }
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => walk(p, None, &mut out),
            Ok(m) if !m.is_file() => out.push(Input::Stream(p.clone())),
            // A path that exists is what it says, even with `*` in its name.
            Err(_) if p.to_str().is_some_and(glob::is_glob) => expand_glob(p, &mut out),
            _ => out.push(Input::File(p.clone())),
        }
    }
    out
}

fn expand_glob(pattern: &Path, out: &mut Vec<Input>) {
    let text = pattern.to_string_lossy();
    match glob::PathGlob::new(&text) {
        Ok(g) => {
            let found = g.inputs();
            if found.is_empty() {
                let reason = match std::fs::read_dir(g.base()) {
                    Ok(_) => format!("no file matches (looked in {})", g.base().display()),
                    Err(e) => format!("no file matches: cannot read {}: {e}", g.base().display()),
                };
                out.push(Input::Missing { path: pattern.to_path_buf(), reason });
            }
            out.extend(found);
        }
        Err(e) => out.push(Input::Missing { path: pattern.to_path_buf(), reason: e.to_string() }),
    }
}

/// The files under `root` (at most `max_depth` levels down), and what was passed over with why.
pub(super) fn walk(root: &Path, max_depth: Option<usize>, out: &mut Vec<Input>) {
    let inside = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    // follow_links: rotated logs are often symlinked (`current -> app-2026-11-20.log`). walkdir refuses to go
    // back into an ancestor, and a link that leads out of the directory is not followed at all, so the walk is
    // bounded by the tree that was asked for.
    let mut it = WalkDir::new(root)
        .follow_links(true)
        .max_depth(max_depth.unwrap_or(usize::MAX))
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = it.next() {
        let e = match entry {
            Ok(e) => e,
            Err(err) => {
                let path = err.path().unwrap_or(root).to_path_buf();
                let reason = match (err.loop_ancestor(), err.io_error()) {
                    (Some(a), _) => format!("symlink loop back to {}, not followed", a.display()),
                    (None, Some(io)) if io.kind() == std::io::ErrorKind::NotFound && path.is_symlink() => {
                        "broken symlink, its target does not exist".to_string()
                    }
                    (None, Some(io)) if err.depth() > 0 || path != root => format!("cannot read: {io}"),
                    (None, Some(io)) => format!("cannot read directory: {io}"),
                    (None, None) => err.to_string(),
                };
                out.push(Input::Skip { path, reason });
                continue;
            }
        };
        let t = e.file_type();
        if t.is_dir() {
            if e.path_is_symlink() && e.depth() > 0 {
                match std::fs::canonicalize(e.path()) {
                    Ok(target) if target.starts_with(&inside) => {}
                    Ok(target) => {
                        it.skip_current_dir();
                        let reason = format!("symlink to {}, outside the directory, not followed", target.display());
                        out.push(Input::Skip { path: e.into_path(), reason });
                    }
                    Err(err) => {
                        it.skip_current_dir();
                        out.push(Input::Skip { path: e.into_path(), reason: format!("cannot resolve: {err}") });
                    }
                }
            }
            continue;
        }
        if t.is_file() {
            out.push(Input::File(e.into_path()));
        } else {
            let reason = format!("not a regular file ({})", kind_name(t));
            out.push(Input::Skip { path: e.into_path(), reason });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loops_and_special_files_end_the_walk_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("logs");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("b.log"), "b\n").unwrap();
        std::fs::write(root.join("sub/a.log"), "a\n").unwrap();
        std::fs::write(dir.path().join("outside.log"), "o\n").unwrap();
        std::os::unix::fs::symlink(".", root.join("self")).unwrap();
        std::os::unix::fs::symlink("..", root.join("sub/parent")).unwrap();
        std::os::unix::fs::symlink("..", root.join("up")).unwrap();
        std::os::unix::fs::symlink("me", root.join("me")).unwrap();
        std::os::unix::fs::symlink("b.log", root.join("c.log")).unwrap();
        std::os::unix::fs::symlink("gone.log", root.join("d.log")).unwrap();
        assert!(std::process::Command::new("mkfifo").arg(root.join("fifo")).status().unwrap().success());

        let got = expand(std::slice::from_ref(&root));
        let files: Vec<PathBuf> = got
            .iter()
            .filter_map(|i| match i {
                Input::File(p) => Some(p.strip_prefix(&root).unwrap().to_path_buf()),
                _ => None,
            })
            .collect();
        assert_eq!(files, ["b.log", "c.log", "sub/a.log"].map(PathBuf::from));
        let skip = |name: &str| {
            got.iter().find_map(|i| match i {
                Input::Skip { path, reason } if path == &root.join(name) => Some(reason.clone()),
                _ => None,
            })
        };
        assert!(skip("fifo").is_some_and(|r| r.contains("FIFO")), "{got:?}");
        assert!(skip("self").is_some_and(|r| r.contains("loop")), "{got:?}");
        assert!(skip("sub/parent").is_some_and(|r| r.contains("loop")), "{got:?}");
        assert!(skip("up").is_some_and(|r| r.contains("outside")), "{got:?}");
        assert!(skip("me").is_some_and(|r| r.contains("cannot read")), "{got:?}");
        assert!(skip("d.log").is_some_and(|r| r.contains("broken symlink")), "{got:?}");
        assert_eq!(got.len(), 9, "{got:?}");
    }
}
