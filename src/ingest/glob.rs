//! Globs anywhere in a path (`/var/log/pods/*/*/*.log`, `/var/log/**/*.log`): for `ingest` arguments the shell
//! left unexpanded (quoted, or matching more than a command line holds) and for the collector's file sources.
//! The walk starts at the longest literal directory and goes no deeper than the pattern can match.

use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};

use super::walk::{self, Input};

#[derive(Debug, thiserror::Error)]
pub enum GlobError {
    #[error("'{pattern}' is not a valid glob: {source}")]
    Invalid { pattern: String, source: globset::Error },
}

/// Whether `s` holds glob syntax (`*`, `?`, `[...]`, `{a,b}`).
pub fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '[', '{'])
}

/// Whether `s` is a glob a file source should expand: glob syntax that also compiles. Like a shell, a path
/// whose `[` or `{` opens nothing (`app[1.log`) is taken literally rather than refused.
pub fn is_source_glob(s: &str) -> bool {
    is_glob(s) && PathGlob::new(s).is_ok()
}

#[derive(Debug, Clone)]
pub struct PathGlob {
    /// The directory the walk starts from: the components before the first one with glob syntax.
    base: PathBuf,
    /// Whether the pattern was relative with glob syntax in its first component (the walk starts at `.`, and
    /// paths are given without `./`).
    bare: bool,
    /// Matches paths relative to `base`.
    matcher: GlobMatcher,
    /// How deep below `base` a match can be; `None` with `**`.
    depth: Option<usize>,
}

impl PathGlob {
    pub fn new(pattern: &str) -> Result<PathGlob, GlobError> {
        let path = Path::new(pattern);
        let mut base = PathBuf::new();
        let mut rest = Vec::new();
        for c in path.components() {
            let text = c.as_os_str().to_string_lossy();
            if rest.is_empty() && !is_glob(&text) {
                base.push(c);
            } else if !matches!(c, Component::CurDir) {
                rest.push(text.into_owned());
            }
        }
        // A pattern without glob syntax names one path: the glob of its last component.
        if rest.is_empty() {
            if let Some(last) = base.file_name().map(|n| n.to_string_lossy().into_owned()) {
                base.pop();
                rest.push(last);
            }
        }
        let rel = rest.join("/");
        let matcher = GlobBuilder::new(&rel)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|source| GlobError::Invalid { pattern: pattern.to_string(), source })?
            .compile_matcher();
        let depth = (!rest.iter().any(|c| c.contains("**"))).then_some(rest.len());
        let bare = base.as_os_str().is_empty();
        if bare {
            base.push(".");
        }
        Ok(PathGlob { base, bare, matcher, depth })
    }

    /// The directory matches are looked for in.
    pub fn base(&self) -> &Path {
        &self.base
    }

    fn matches(&self, path: &Path) -> bool {
        path.strip_prefix(&self.base).is_ok_and(|rel| self.matcher.is_match(rel))
    }

    /// What the glob names, in path order: matching files, and matching paths that are not read with why.
    pub fn inputs(&self) -> Vec<Input> {
        let mut all = Vec::new();
        walk::walk(&self.base, self.depth, &mut all);
        all.into_iter()
            .filter_map(|i| match i {
                Input::File(p) if self.matches(&p) => Some(Input::File(self.shown(p))),
                Input::Skip { path, reason } if self.matches(&path) => {
                    Some(Input::Skip { path: self.shown(path), reason })
                }
                _ => None,
            })
            .collect()
    }

    /// The regular files the glob matches now.
    pub fn files(&self) -> Vec<PathBuf> {
        self.inputs()
            .into_iter()
            .filter_map(|i| match i {
                Input::File(p) => Some(p),
                _ => None,
            })
            .collect()
    }

    fn shown(&self, p: PathBuf) -> PathBuf {
        match p.strip_prefix(".") {
            Ok(rel) if self.bare => rel.to_path_buf(),
            _ => p,
        }
    }
}

/// The directory a file source's `path` lives in: where its glob starts, or the file's directory.
pub fn watched_dir(pattern: &str) -> PathBuf {
    match PathGlob::new(pattern) {
        Ok(g) if is_source_glob(pattern) => g.base().to_path_buf(),
        _ => Path::new(pattern).parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf(),
    }
}

/// The files a file source's `path` names now: the path itself when it is no glob (it may not exist yet), else
/// the matching regular files in path order.
pub fn source_files(pattern: &str) -> Vec<PathBuf> {
    match PathGlob::new(pattern) {
        Ok(g) if is_glob(pattern) => g.files(),
        _ => vec![PathBuf::from(pattern)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "var/log/pods/shop_web-7d9c8b6f5-x2x9q_u1/web/0.log",
            "var/log/pods/shop_web-7d9c8b6f5-x2x9q_u1/web/0.log.20260102-030405.gz",
            "var/log/pods/kube-system_dns-5d78c9869d-4vq7z_u2/dns/1.log",
            "var/log/pods/kube-system_dns-5d78c9869d-4vq7z_u2/dns/deep/2.log",
            "var/log/app.log",
            "var/log/app.txt",
        ] {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x\n").unwrap();
        }
        dir
    }

    fn rel(dir: &Path, got: Vec<PathBuf>) -> Vec<String> {
        got.iter().map(|p| p.strip_prefix(dir).unwrap().display().to_string()).collect()
    }

    #[test]
    fn wildcards_in_directories_and_double_stars() {
        let dir = tree();
        let d = dir.path().display();
        let pods = PathGlob::new(&format!("{d}/var/log/pods/*/*/*.log")).unwrap();
        assert_eq!(pods.base(), dir.path().join("var/log/pods"));
        assert_eq!(pods.depth, Some(3));
        assert_eq!(
            rel(dir.path(), pods.files()),
            [
                "var/log/pods/kube-system_dns-5d78c9869d-4vq7z_u2/dns/1.log",
                "var/log/pods/shop_web-7d9c8b6f5-x2x9q_u1/web/0.log"
            ]
        );
        let all = PathGlob::new(&format!("{d}/var/**/*.log")).unwrap();
        assert_eq!(all.files().len(), 4);
        let rotations = PathGlob::new(&format!("{d}/var/log/pods/shop_*/web/0.log*")).unwrap();
        assert_eq!(rotations.files().len(), 2);
        let braces = PathGlob::new(&format!("{d}/var/log/app.{{log,txt}}")).unwrap();
        assert_eq!(rel(dir.path(), braces.files()), ["var/log/app.log", "var/log/app.txt"]);
        assert!(PathGlob::new(&format!("{d}/nowhere/*/x.log")).unwrap().files().is_empty());
        assert!(matches!(PathGlob::new("/var/log/[z-a].log"), Err(GlobError::Invalid { .. })));
    }

    #[test]
    fn relative_patterns_and_file_sources() {
        let dir = tree();
        let d = dir.path().display();
        assert_eq!(source_files("/var/log/app.log"), [PathBuf::from("/var/log/app.log")]);
        assert_eq!(source_files(&format!("{d}/var/log/*/*/*/*.log")).len(), 2);
        assert_eq!(watched_dir(&format!("{d}/var/log/pods/*/*/*.log")), dir.path().join("var/log/pods"));
        assert_eq!(watched_dir("/var/log/app.log"), Path::new("/var/log"));
        let g = PathGlob::new("*/*.log").unwrap();
        assert_eq!((g.base(), g.bare), (Path::new("."), true));
        assert_eq!(g.shown(PathBuf::from("./a/b.log")), Path::new("a/b.log"));
        assert_eq!(PathGlob::new("./logs/*.log").unwrap().base(), Path::new("./logs"));
    }
}
