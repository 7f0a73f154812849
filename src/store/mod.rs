//! The store stage: Tantivy owns logs and spans; SQLite (WAL) owns metrics, alerts
//! and small state, because a collector writes it while TUIs and `ask` read it from
//! other processes.

pub mod compact;
pub mod docs;
pub mod manifest;
pub mod query;
pub mod retention;
pub mod scan;
pub mod schema;
pub mod search;
pub mod state;
pub mod templates;
pub mod tokenizer;
pub mod upgrade;
pub mod writer;

use std::path::{Path, PathBuf};

use tantivy::directory::MmapDirectory;
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyError};

pub use schema::Fields;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "data dir {dir} is being written by another firewatch process (ingest or collect); \
         wait for it to finish or pass another --data-dir"
    )]
    Locked { dir: PathBuf },
    #[error(
        "data dir {dir} is being upgraded to index format {} by another firewatch process (about 2 s per \
         100 k records); try again when it finishes",
        schema::SCHEMA_VERSION
    )]
    Upgrading { dir: PathBuf },
    #[error(
        "the index in {dir} cannot be read ({reason}); it may be corrupt: move the directory aside \
         and ingest again, or pass another --data-dir"
    )]
    Corrupt { dir: PathBuf, reason: String },
    #[error(
        "the index in {dir} was written by another version of firewatch; move it aside and ingest \
         again, or pass another --data-dir"
    )]
    Incompatible { dir: PathBuf },
    #[error("cannot create data dir {dir}: {source}")]
    Create { dir: PathBuf, source: std::io::Error },
    #[error("state db {path}: {source}")]
    State { path: PathBuf, source: rusqlite::Error },
    #[error("index: {0}")]
    Index(#[from] TantivyError),
    #[error("{0}")]
    Query(#[from] query::QueryError),
    #[error("log templates {path}: {reason}")]
    Templates { path: PathBuf, reason: String },
    #[error("the index writer stopped: {0}")]
    WriterGone(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The data dir: `index/` (Tantivy) and `state.db` (SQLite).
pub struct Store {
    pub dir: PathBuf,
    pub index: Index,
    pub fields: Fields,
}

/// The index's folder in a data dir; Tantivy rewrites its `meta.json` on every commit.
pub const INDEX_DIR: &str = "index";
const INDEX_META: &str = "meta.json";
/// The state database in a data dir; SQLite keeps its write-ahead log beside it (`state.db-wal`).
pub const STATE_DB: &str = "state.db";

/// A number that changes whenever something in `data_dir` was written: the index's commits, and the state
/// database (alerts, metrics, health) with its write-ahead log. Never 0, so 0 can mean "not seen yet".
pub fn generation(data_dir: &Path) -> u64 {
    let index_meta = Path::new(INDEX_DIR).join(INDEX_META);
    let wal = format!("{STATE_DB}-wal");
    let mut h = 0u64;
    for f in [index_meta.as_path(), Path::new(STATE_DB), Path::new(&wal)] {
        if let Ok(m) = std::fs::metadata(data_dir.join(f)) {
            let t = m.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).unwrap_or_default();
            h = h.rotate_left(17) ^ (t.as_nanos() as u64) ^ m.len();
        }
    }
    h.max(1)
}

impl Store {
    /// Opens the index under `data_dir`, creating it when missing; an index of format 1 is upgraded first.
    pub fn open(data_dir: &Path) -> Result<Self> {
        upgrade::recover(data_dir)?;
        let (index, fields) = match Self::open_index(data_dir)? {
            Some(current) => current,
            None => {
                if let Some(u) = upgrade::upgrade(data_dir)? {
                    tracing::warn!(
                        "upgraded the index in {} to format {}: {} records in {:.1} s",
                        data_dir.display(),
                        schema::SCHEMA_VERSION,
                        u.records,
                        u.seconds
                    );
                }
                Self::open_index(data_dir)?.ok_or_else(|| StoreError::Incompatible { dir: data_dir.join(INDEX_DIR) })?
            }
        };
        index.tokenizers().register(tokenizer::NAME, tokenizer::FwTokenizer::default());
        Ok(Store { dir: data_dir.to_path_buf(), index, fields })
    }

    /// The index in the current format (created when missing), or `None` for one of format 1.
    fn open_index(data_dir: &Path) -> Result<Option<(Index, Fields)>> {
        let dir = data_dir.join(INDEX_DIR);
        std::fs::create_dir_all(&dir).map_err(|source| StoreError::Create { dir: dir.clone(), source })?;
        let (schema, fields) = schema::build();
        let corrupt = |e: &dyn std::fmt::Display| StoreError::Corrupt { dir: dir.clone(), reason: e.to_string() };
        let mmap = MmapDirectory::open(&dir).map_err(|e| corrupt(&e))?;
        if !dir.join(INDEX_META).exists() {
            let index = Index::create(mmap, schema, tantivy::IndexSettings::default()).map_err(|e| corrupt(&e))?;
            return Ok(Some((index, fields)));
        }
        let index = Index::open(mmap).map_err(|e| corrupt(&e))?;
        if index.schema() == schema {
            Ok(Some((index, fields)))
        } else if upgrade::is_format1(&index.schema()) {
            Ok(None)
        } else {
            Err(StoreError::Incompatible { dir })
        }
    }

    pub fn index_dir(&self) -> PathBuf {
        self.dir.join(INDEX_DIR)
    }

    /// A reader that sees new commits (from this process or another) shortly after they land.
    pub fn reader(&self) -> Result<IndexReader> {
        self.reader_with(ReloadPolicy::OnCommitWithDelay)
    }

    /// A reader of the index as it is now, for a command that searches once: no thread
    /// watches for later commits.
    pub fn snapshot(&self) -> Result<IndexReader> {
        self.reader_with(ReloadPolicy::Manual)
    }

    fn reader_with(&self, policy: ReloadPolicy) -> Result<IndexReader> {
        self.index
            .reader_builder()
            .reload_policy(policy)
            .try_into()
            .map_err(|e: TantivyError| StoreError::Corrupt { dir: self.index_dir(), reason: e.to_string() })
    }

    /// What has been ingested from which file, as of the last commit.
    pub fn manifest(&self) -> Result<manifest::Manifest> {
        let metas = self
            .index
            .load_metas()
            .map_err(|e| StoreError::Corrupt { dir: self.index_dir(), reason: e.to_string() })?;
        Ok(metas.payload.as_deref().map(manifest::Manifest::from_payload).unwrap_or_default())
    }

    /// Bytes the index occupies on disk.
    pub fn index_size(&self) -> u64 {
        dir_size(&self.index_dir())
    }
}

pub fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok()).filter_map(|e| e.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum()
        })
        .unwrap_or(0)
}
