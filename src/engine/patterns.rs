//! The log templates mined from everything ingested into the data dir.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::Engine;
use crate::analysis::templates::{MinerConfig, TemplateMiner};
use crate::store::templates::MinerFile;

/// One stored event: its template and how many records it had, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPattern {
    pub id: u32,
    pub template: String,
    pub count: u64,
    /// The start of the first hour a record of it was seen.
    pub first_seen: DateTime<Utc>,
    /// The end of the last hour a record of it was seen.
    pub last_seen: DateTime<Utc>,
}

impl Engine {
    /// The stored templates, most records first.
    pub fn stored_patterns(&self) -> anyhow::Result<Vec<StoredPattern>> {
        let miner = MinerFile::new(&self.data_dir).load()?;
        let totals = self.state()?.template_totals()?;
        let hour = |h: i64| DateTime::from_timestamp(h * 3600, 0).unwrap_or_default();
        Ok(by_event(&miner, totals)
            .into_iter()
            .map(|(id, count, first, last)| StoredPattern {
                id,
                template: miner.template(id),
                count,
                first_seen: hour(first),
                last_seen: hour(last + 1),
            })
            .collect())
    }
}

/// Stored counts per event: the miner may have merged templates after their ids were counted, so rows of one
/// event (its canonical id and the ids it absorbed) are added up, most frequent first.
fn by_event(miner: &TemplateMiner, totals: Vec<(u32, u64, i64, i64)>) -> Vec<(u32, u64, i64, i64)> {
    let mut events: HashMap<u32, (u64, i64, i64)> = HashMap::new();
    for (id, count, first, last) in totals {
        let e = events.entry(miner.canonical(id)).or_insert((0, first, last));
        e.0 += count;
        e.1 = e.1.min(first);
        e.2 = e.2.max(last);
    }
    let mut rows: Vec<_> = events.into_iter().map(|(id, (n, first, last))| (id, n, first, last)).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    rows
}

/// The templates of a stream of lines, mined on the spot (nothing is stored).
pub struct Mined {
    miner: TemplateMiner,
    /// The template id of each line, in order.
    ids: Vec<u32>,
}

/// Mines every line of `reader` (CR/LF endings dropped, invalid UTF-8 replaced).
pub fn mine(mut reader: impl std::io::BufRead) -> std::io::Result<Mined> {
    let mut miner = TemplateMiner::new(MinerConfig::default());
    let mut ids = Vec::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        ids.push(miner.add(&String::from_utf8_lossy(&buf)));
    }
    Ok(Mined { miner, ids })
}

impl Mined {
    /// The final template of each line, in order: a template can still generalize after a
    /// line joined it, so none is known before the last line was read.
    pub fn per_line(&self) -> impl Iterator<Item = Arc<str>> + '_ {
        let mut cache: HashMap<u32, Arc<str>> = HashMap::new();
        self.ids.iter().map(move |&id| cache.entry(id).or_insert_with(|| self.miner.template(id).into()).clone())
    }

    /// Each template with its id and count, most lines first.
    pub fn templates(&self) -> Vec<(u32, String, u64)> {
        let mut all = self.miner.templates();
        all.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        all
    }
}
