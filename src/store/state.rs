//! Metrics, alerts and small state in SQLite (WAL): idempotent by primary key, and
//! readable from other processes while a collector writes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use super::{Result, StoreError};
use crate::model::{Alert, MetricKind, MetricPoint};

pub mod audit;

pub use audit::{AuditEvent, AuditKind};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    unit TEXT NOT NULL,
    labels TEXT NOT NULL,
    service TEXT,
    region TEXT,
    host TEXT
);
CREATE INDEX IF NOT EXISTS series_by_name ON series(name, service);
CREATE TABLE IF NOT EXISTS points (
    series INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    value REAL NOT NULL,
    count INTEGER,
    sum REAL,
    PRIMARY KEY (series, ts)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alerts (
    fingerprint TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    alertname TEXT NOT NULL,
    status TEXT NOT NULL,
    ends_at INTEGER,
    updated_at INTEGER,
    service TEXT,
    region TEXT,
    instance TEXT,
    alert TEXT NOT NULL,
    PRIMARY KEY (fingerprint, starts_at)
);
CREATE INDEX IF NOT EXISTS alerts_by_time ON alerts(starts_at);
CREATE TABLE IF NOT EXISTS cursors (
    source TEXT PRIMARY KEY,
    cursor TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS source_health (
    source TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    health TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ts INTEGER NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS template_counts (
    template INTEGER NOT NULL,
    hour INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (template, hour)
) WITHOUT ROWID;
";

/// A source's last reported health (`health` is `sources::feed::Health` as JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct HealthRow {
    pub source: String,
    pub kind: String,
    pub health: String,
    pub updated_at: DateTime<Utc>,
}

/// One line of the append-only audit log: an LLM request as sent, a runbook step run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AuditRow {
    pub seq: i64,
    pub ts: DateTime<Utc>,
    pub kind: String,
    /// Who: the OS user, as `user@host`.
    pub actor: String,
    pub detail: serde_json::Value,
}

/// `user@host` for the audit log.
pub fn actor() -> String {
    let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .or_else(|_| std::env::var("HOSTNAME"))
        .unwrap_or_else(|_| "localhost".into());
    format!("{user}@{host}")
}

pub struct StateDb {
    path: PathBuf,
    conn: Connection,
}

fn nanos(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(i64::MAX)
}

impl StateDb {
    pub fn open(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join(super::STATE_DB);
        let err = |source| StoreError::State { path: path.clone(), source };
        let conn = Connection::open(&path).map_err(err)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(StateDb { path, conn })
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::State { path: self.path.clone(), source }
    }

    /// Inserts points; a point already stored (same series and time) is left as is.
    /// Returns how many were new.
    pub fn insert_metrics(&mut self, points: &[MetricPoint]) -> Result<usize> {
        let path = self.path.clone();
        let err = move |source| StoreError::State { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(&err)?;
        let mut added = 0;
        {
            let mut series = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO series (id, name, kind, unit, labels, service, region, host)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(&err)?;
            let mut point = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO points (series, ts, value, count, sum) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(&err)?;
            for p in points {
                let labels = serde_json::to_string(&p.labels).unwrap_or_default();
                let id = xxhash_rust::xxh3::xxh3_64(format!("{}\u{0}{labels}", p.name).as_bytes()) as i64;
                series
                    .execute(params![
                        id,
                        p.name,
                        p.kind.as_str(),
                        p.unit,
                        labels,
                        p.labels.get("service"),
                        p.labels.get("region"),
                        p.labels.get("host")
                    ])
                    .map_err(&err)?;
                added += point
                    .execute(params![id, nanos(p.timestamp), p.value, p.count.map(|c| c as i64), p.sum])
                    .map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)?;
        Ok(added)
    }

    /// Records alerts by (fingerprint, start): a later update of the same firing
    /// replaces the earlier one; a new firing of the same alert is a new row.
    pub fn upsert_alerts(&mut self, alerts: &[Alert]) -> Result<usize> {
        let path = self.path.clone();
        let err = move |source| StoreError::State { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(&err)?;
        let mut changed = 0;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO alerts (fingerprint, starts_at, alertname, status, ends_at, updated_at, service, region, instance, alert)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                     ON CONFLICT (fingerprint, starts_at) DO UPDATE SET
                        status = excluded.status, ends_at = excluded.ends_at, updated_at = excluded.updated_at,
                        alert = excluded.alert
                     WHERE excluded.alert != alerts.alert
                       AND (alerts.updated_at IS NULL OR excluded.updated_at IS NULL OR excluded.updated_at >= alerts.updated_at)",
                )
                .map_err(&err)?;
            for a in alerts {
                let json = serde_json::to_string(a).unwrap_or_default();
                changed += stmt
                    .execute(params![
                        a.fingerprint,
                        nanos(a.starts_at),
                        a.alertname,
                        a.status.as_str(),
                        a.ends_at.map(nanos),
                        a.updated_at.map(nanos),
                        a.service,
                        a.region,
                        a.instance,
                        json
                    ])
                    .map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)?;
        Ok(changed)
    }

    pub fn alerts(&self) -> Result<Vec<Alert>> {
        let mut stmt =
            self.conn.prepare("SELECT alert FROM alerts ORDER BY starts_at, fingerprint").map_err(self.err())?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(self.err())?;
        let mut out = Vec::new();
        for row in rows {
            if let Ok(a) = serde_json::from_str::<Alert>(&row.map_err(self.err())?) {
                out.push(a);
            }
        }
        Ok(out)
    }

    /// Appends to the audit log: the one place a row is written. Returns the row's sequence
    /// number. Rows are never changed or deleted, retention included.
    pub fn append_audit(&self, actor: &str, event: &AuditEvent) -> Result<i64> {
        let detail = event.detail().map_err(|e| (self.err())(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
        self.conn
            .execute(
                "INSERT INTO audit (ts, kind, actor, detail) VALUES (?1, ?2, ?3, ?4)",
                params![nanos(Utc::now()), event.kind().as_str(), actor, detail.to_string()],
            )
            .map_err(self.err())?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The audit log, oldest first; `kind` filters when given (a kind this version does not
    /// write finds nothing). [`AuditRow::event`] reads a row typed.
    pub fn audit(&self, kind: Option<&str>) -> Result<Vec<AuditRow>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, ts, kind, actor, detail FROM audit WHERE ?1 IS NULL OR kind = ?1 ORDER BY seq")
            .map_err(self.err())?;
        let rows = stmt
            .query_map(params![kind], |r| {
                let detail: String = r.get(4)?;
                Ok(AuditRow {
                    seq: r.get(0)?,
                    ts: DateTime::from_timestamp_nanos(r.get(1)?),
                    kind: r.get(2)?,
                    actor: r.get(3)?,
                    detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
                })
            })
            .map_err(self.err())?;
        rows.collect::<std::result::Result<_, _>>().map_err(self.err())
    }

    /// Where a source resumes: saved by the collector only after what the source sent before it is committed.
    pub fn cursor(&self, source: &str) -> Result<Option<String>> {
        let mut stmt = self.conn.prepare_cached("SELECT cursor FROM cursors WHERE source = ?1").map_err(self.err())?;
        let mut rows = stmt.query_map([source], |r| r.get::<_, String>(0)).map_err(self.err())?;
        rows.next().transpose().map_err(self.err())
    }

    pub fn save_cursors(&mut self, cursors: &HashMap<String, String>) -> Result<()> {
        let path = self.path.clone();
        let err = move |source| StoreError::State { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(&err)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO cursors (source, cursor, updated_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
                )
                .map_err(&err)?;
            let now = nanos(Utc::now());
            for (s, c) in cursors {
                stmt.execute(params![s, c, now]).map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)
    }

    /// A source's health as JSON (see `sources::feed::Health`), for the TUI and `doctor` of other processes.
    pub fn set_health(&mut self, source: &str, kind: &str, health_json: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO source_health (source, kind, health, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (source) DO UPDATE SET kind = excluded.kind, health = excluded.health,
                    updated_at = excluded.updated_at",
                params![source, kind, health_json, nanos(Utc::now())],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// Every source a collector reported on.
    pub fn health(&self) -> Result<Vec<HealthRow>> {
        let mut stmt = self
            .conn
            .prepare("SELECT source, kind, health, updated_at FROM source_health ORDER BY source")
            .map_err(self.err())?;
        let rows = stmt
            .query_map([], |r| {
                Ok(HealthRow {
                    source: r.get(0)?,
                    kind: r.get(1)?,
                    health: r.get(2)?,
                    updated_at: DateTime::<Utc>::from_timestamp_nanos(r.get::<_, i64>(3)?),
                })
            })
            .map_err(self.err())?;
        rows.collect::<std::result::Result<Vec<_>, _>>().map_err(self.err())
    }

    /// Adds log records per (template id, hour since the epoch).
    pub fn add_template_counts(&mut self, counts: &HashMap<(u32, i64), u64>) -> Result<()> {
        let path = self.path.clone();
        let err = move |source| StoreError::State { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(&err)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO template_counts (template, hour, count) VALUES (?1, ?2, ?3)
                     ON CONFLICT (template, hour) DO UPDATE SET count = count + excluded.count",
                )
                .map_err(&err)?;
            for ((t, h), n) in counts {
                stmt.execute(params![t, h, *n as i64]).map_err(&err)?;
            }
        }
        tx.commit().map_err(&err)
    }

    /// Per template: (id, records, first hour, last hour), most records first.
    pub fn template_totals(&self) -> Result<Vec<(u32, u64, i64, i64)>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT template, sum(count), min(hour), max(hour) FROM template_counts
                 GROUP BY template ORDER BY sum(count) DESC, template",
            )
            .map_err(self.err())?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, i64>(1)?.max(0) as u64, r.get(2)?, r.get(3)?)))
            .map_err(self.err())?;
        rows.collect::<std::result::Result<Vec<_>, _>>().map_err(self.err())
    }

    /// Metric points with a time in `[from, to]`, in time order.
    pub fn metrics_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<MetricPoint>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT s.name, s.kind, s.unit, s.labels, p.ts, p.value, p.count, p.sum
                 FROM points p JOIN series s ON s.id = p.series
                 WHERE p.ts BETWEEN ?1 AND ?2 ORDER BY p.ts",
            )
            .map_err(self.err())?;
        let rows = stmt
            .query_map(params![nanos(from), nanos(to)], |r| {
                let kind = match r.get::<_, String>(1)?.as_str() {
                    "sum" => MetricKind::Sum,
                    "histogram" => MetricKind::Histogram,
                    "summary" => MetricKind::Summary,
                    _ => MetricKind::Gauge,
                };
                Ok(MetricPoint {
                    name: r.get(0)?,
                    kind,
                    unit: r.get(2)?,
                    labels: serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or_default(),
                    timestamp: DateTime::<Utc>::from_timestamp_nanos(r.get(4)?),
                    value: r.get(5)?,
                    count: r.get::<_, Option<i64>>(6)?.map(|c| c.max(0) as u64),
                    sum: r.get(7)?,
                })
            })
            .map_err(self.err())?;
        rows.collect::<std::result::Result<Vec<_>, _>>().map_err(self.err())
    }

    /// Deletes points and resolved alerts older than `cutoff`; returns rows removed.
    pub fn delete_older_than(&mut self, cutoff: DateTime<Utc>) -> Result<usize> {
        let c = nanos(cutoff);
        let a = self.conn.execute("DELETE FROM points WHERE ts < ?1", [c]).map_err(self.err())?;
        let b = self
            .conn
            .execute("DELETE FROM alerts WHERE status = 'resolved' AND coalesce(ends_at, starts_at) < ?1", [c])
            .map_err(self.err())?;
        self.conn
            .execute("DELETE FROM series WHERE id NOT IN (SELECT DISTINCT series FROM points)", [])
            .map_err(self.err())?;
        Ok(a + b)
    }
}
