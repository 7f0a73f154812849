//! The audit log as the use-cases write it: one handle per action, whose every write is
//! checked. A row that cannot be written stops what it records (an LLM request is not sent,
//! an answer is not given) instead of leaving the log short.

use std::sync::Mutex;

use anyhow::Context as _;

use super::Engine;
use crate::store::state::{actor, AuditEvent, AuditRow, StateDb};

/// The audit log of one data dir, and who is acting (`user@host`).
pub struct AuditLog {
    db: Mutex<StateDb>,
    pub actor: String,
}

impl AuditLog {
    pub fn open(engine: &Engine) -> anyhow::Result<AuditLog> {
        let db = StateDb::open(&engine.data_dir).context("cannot open the state database for the audit log")?;
        Ok(AuditLog { db: Mutex::new(db), actor: actor() })
    }

    /// Appends `event`; returns the row's sequence number.
    pub fn record(&self, event: &AuditEvent) -> anyhow::Result<i64> {
        let db = self.db.lock().map_err(|_| anyhow::anyhow!("the audit log lock is poisoned"))?;
        db.append_audit(&self.actor, event).with_context(|| format!("cannot write the audit log ({})", event.kind()))
    }
}

/// One row read back: the event typed where this version knows its kind and shape.
#[derive(Debug, Clone)]
pub struct Entry {
    pub row: AuditRow,
    pub event: Result<AuditEvent, String>,
}

impl Engine {
    /// The audit log, oldest first; only `kind` when given.
    pub fn audit(&self, kind: Option<&str>) -> anyhow::Result<Vec<Entry>> {
        let rows = self.state()?.audit(kind).context("cannot read the audit log")?;
        Ok(rows.into_iter().map(|row| Entry { event: row.event(), row }).collect())
    }
}
