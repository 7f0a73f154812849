//! Which bytes of which file are already in the index.
//!
//! A file is known by the hash of its first line; an entry says that its first
//! `offset` bytes, whose hash is `prefix_hash`, are ingested. The manifest travels as
//! the payload of each Tantivy commit, so it can never disagree with the documents.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// At most this many distinct files may share one first line before the oldest entry
/// is forgotten (forgetting only costs a re-ingest of that file).
const MAX_ENTRIES_PER_KEY: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub offset: u64,
    pub prefix_hash: u64,
    /// Which of the files that share a first line this is: part of its records' ids, so that a file rewritten
    /// with the same first line (or another file that starts like it) never reuses the ids of the first one.
    /// 0 for the first such file, which keeps the ids of stores written before generations existed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub gen: u32,
}

fn is_zero(g: &u32) -> bool {
    *g == 0
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    /// First-line hash (hex) to the ingested prefixes of files that start with it.
    pub files: BTreeMap<String, Vec<Entry>>,
}

/// Progress of one file, sent to the writer with the documents it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub key: String,
    pub replaces: Option<Entry>,
    pub entry: Entry,
}

impl Manifest {
    pub fn from_payload(payload: &str) -> Self {
        // A payload we cannot read only means files are ingested again with new ids.
        serde_json::from_str(payload).unwrap_or_default()
    }

    pub fn to_payload(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn entries(&self, key: &str) -> &[Entry] {
        self.files.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The generation for a file with first line `key` that matches none of the entries: one past the highest.
    pub fn next_gen(&self, key: &str) -> u32 {
        self.entries(key).iter().map(|e| e.gen.saturating_add(1)).max().unwrap_or(0)
    }

    pub fn apply(&mut self, p: &Progress) {
        self.version = 1;
        let list = self.files.entry(p.key.clone()).or_default();
        if let Some(old) = p.replaces {
            list.retain(|e| *e != old);
        }
        if !list.contains(&p.entry) {
            list.push(p.entry);
        }
        if list.len() > MAX_ENTRIES_PER_KEY {
            list.remove(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_replaces_its_previous_entry() {
        let mut m = Manifest::default();
        let a = Entry { offset: 10, prefix_hash: 1, gen: 0 };
        let b = Entry { offset: 20, prefix_hash: 2, gen: 0 };
        m.apply(&Progress { key: "k".into(), replaces: None, entry: a });
        m.apply(&Progress { key: "k".into(), replaces: Some(a), entry: b });
        assert_eq!(m.entries("k"), &[b]);
        let back = Manifest::from_payload(&m.to_payload());
        assert_eq!(back, m);
        assert_eq!(Manifest::from_payload("garbage"), Manifest::default());
    }

    #[test]
    fn generations_tell_files_with_one_first_line_apart() {
        let mut m = Manifest::default();
        assert_eq!(m.next_gen("k"), 0);
        m.apply(&Progress { key: "k".into(), replaces: None, entry: Entry { offset: 10, prefix_hash: 1, gen: 0 } });
        assert_eq!(m.next_gen("k"), 1);
        m.apply(&Progress { key: "k".into(), replaces: None, entry: Entry { offset: 5, prefix_hash: 3, gen: 1 } });
        assert_eq!(m.next_gen("k"), 2);
        // Payloads written before generations existed read as generation 0, and generation 0 writes as before.
        let old = Manifest::from_payload(r#"{"version":1,"files":{"k":[{"offset":10,"prefix_hash":1}]}}"#);
        assert_eq!(old.entries("k")[0].gen, 0);
        assert!(!old.to_payload().contains("gen"));
        assert!(m.to_payload().contains(r#""gen":1"#));
    }
}
