//! The data dir's log template miner: every stored log record carries the id of its template, so the miner is
//! kept between runs (ids stay stable, templates keep generalizing) in `templates.json`, written atomically.

use std::path::{Path, PathBuf};

use super::{Result, StoreError};
use crate::analysis::templates::{MinerConfig, TemplateMiner};

pub struct MinerFile {
    path: PathBuf,
}

impl MinerFile {
    pub fn new(data_dir: &Path) -> Self {
        MinerFile { path: data_dir.join("templates.json") }
    }

    /// The saved miner, or a fresh one when there is none yet.
    pub fn load(&self) -> Result<TemplateMiner> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| StoreError::Templates { path: self.path.clone(), reason: e.to_string() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(TemplateMiner::new(MinerConfig::default())),
            Err(e) => Err(StoreError::Templates { path: self.path.clone(), reason: e.to_string() }),
        }
    }

    /// Writes to a temporary file and renames it over the old one: a crash leaves the old or the new miner, never
    /// half of one.
    pub fn save(&self, miner: &TemplateMiner) -> Result<()> {
        let err = |e: &dyn std::fmt::Display| StoreError::Templates { path: self.path.clone(), reason: e.to_string() };
        let tmp = self.path.with_extension("json.tmp");
        let bytes = serde_json::to_vec(miner).map_err(|e| err(&e))?;
        std::fs::write(&tmp, bytes).map_err(|e| err(&e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| err(&e))
    }
}
