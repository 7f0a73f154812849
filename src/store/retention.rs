//! Retention by age and by size.
//!
//! Age: every record older than `max_age` is deleted. Size: when the index is larger
//! than `max_bytes`, the oldest records are deleted down to 90% of it, the cut-off time
//! taken from a sample of timestamps. Space comes back when Tantivy merges segments.

use std::ops::Bound;

use chrono::{DateTime, Utc};
use tantivy::query::RangeQuery;
use tantivy::{Searcher, Term};

use super::state::StateDb;
use super::writer::{WriteOp, WriterHandle};
use super::{Result, Store};

#[derive(Debug, Clone, Copy, Default)]
pub struct Policy {
    pub max_age: Option<chrono::Duration>,
    pub max_bytes: Option<u64>,
}

#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Records older than this were deleted.
    pub cutoff: Option<DateTime<Utc>>,
    pub state_rows_deleted: usize,
}

/// The time before which `fraction` of the records lie, from a sample of the index.
pub fn time_quantile(searcher: &Searcher, fraction: f64) -> Result<Option<DateTime<Utc>>> {
    let total: u64 = searcher.segment_readers().iter().map(|s| u64::from(s.max_doc())).sum();
    if total == 0 {
        return Ok(None);
    }
    let stride = (total / 200_000).max(1) as u32;
    let mut sample = Vec::new();
    for seg in searcher.segment_readers() {
        let col = seg.fast_fields().date("timestamp")?;
        let mut doc = 0;
        while doc < seg.max_doc() {
            if seg.alive_bitset().is_none_or(|a| a.is_alive(doc)) {
                if let Some(t) = col.first(doc) {
                    sample.push(t.into_timestamp_nanos());
                }
            }
            doc += stride;
        }
    }
    if sample.is_empty() {
        return Ok(None);
    }
    sample.sort_unstable();
    let idx = ((sample.len() as f64 * fraction.clamp(0.0, 1.0)) as usize).min(sample.len() - 1);
    Ok(Some(DateTime::<Utc>::from_timestamp_nanos(sample[idx])))
}

pub fn apply(
    store: &Store,
    writer: &WriterHandle,
    state: &mut StateDb,
    policy: Policy,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let mut cutoff = policy.max_age.map(|age| now - age);
    if let Some(max) = policy.max_bytes {
        let size = store.index_size();
        if size > max {
            let keep = (max as f64 * 0.9) / size as f64;
            let reader = store.reader()?;
            reader.reload()?;
            if let Some(t) = time_quantile(&reader.searcher(), 1.0 - keep)? {
                cutoff = Some(cutoff.map_or(t, |c| c.max(t)));
            }
        }
    }
    let Some(cut) = cutoff else {
        return Ok(Outcome::default());
    };
    let nanos = tantivy::DateTime::from_timestamp_nanos(cut.timestamp_nanos_opt().unwrap_or(i64::MIN));
    let q = RangeQuery::new(Bound::Unbounded, Bound::Excluded(Term::from_field_date(store.fields.timestamp, nanos)));
    writer.send(WriteOp::DeleteQuery(Box::new(q)))?;
    writer.commit()?;
    let state_rows_deleted = if policy.max_age.is_some() { state.delete_older_than(cut)? } else { 0 };
    Ok(Outcome { cutoff: Some(cut), state_rows_deleted })
}
