//! Compaction: a bulk ingest leaves one segment per flush of the writer's arena (about 70 k
//! records each, 65 for a 1 GB file). Searching in one process hardly notices, but every
//! process that opens the index maps six files per segment: 17 ms of a whole-process
//! `firewatch search` on 56 segments, 4.7 ms on 9 (measured, README). Compaction merges runs of
//! small segments that are consecutive in time into segments of about `target_docs`, so that
//! newest-first search still stops after the newest few.
//!
//! It is not part of every ingest: merging 1 GB of index takes about 25 s of one core, which
//! would halve the ingest's throughput. `ingest --compact` asks for it, and files opened in the
//! terminal UI are compacted in the background once they are indexed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde::Serialize;
use tantivy::index::SegmentId;
use tantivy::merge_policy::NoMergePolicy;
use tantivy::{IndexWriter, TantivyDocument, TantivyError};

use super::{Result, Store, StoreError};

/// Segments in a merged run, at most: the docs of `target_docs` are reached first on real data.
const MAX_RUN: usize = 16;
/// Fewer small segments than this are left as they are: an everyday ingest never waits for a merge.
pub const MIN_SMALL: usize = 12;
/// Size a merged run aims at: 9 segments for a 1 GB file of 4.5 M lines.
pub const TARGET_DOCS: u64 = 500_000;

/// What one compaction did.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Compaction {
    pub segments_before: usize,
    pub segments_after: usize,
    pub seconds: f64,
}

/// A segment's place in time and size.
struct Seg {
    id: SegmentId,
    docs: u64,
    oldest: i64,
    newest: i64,
}

fn segments(store: &Store) -> Result<Vec<Seg>> {
    let reader = store.snapshot()?;
    let searcher = reader.searcher();
    let mut out = Vec::new();
    for seg in searcher.segment_readers() {
        let col = seg.fast_fields().date("timestamp")?;
        out.push(Seg {
            id: seg.segment_id(),
            docs: u64::from(seg.num_docs()),
            oldest: col.min_value().into_timestamp_nanos(),
            newest: col.max_value().into_timestamp_nanos(),
        });
    }
    out.sort_unstable_by_key(|s| (s.oldest, s.newest));
    Ok(out)
}

/// Runs of consecutive (in time) small segments to merge, each of two or more.
fn runs(segs: &[Seg], target_docs: u64) -> Vec<Vec<SegmentId>> {
    let mut runs = Vec::new();
    let mut run: Vec<SegmentId> = Vec::new();
    let mut docs = 0u64;
    let mut close = |run: &mut Vec<SegmentId>, docs: &mut u64| {
        if run.len() >= 2 {
            runs.push(std::mem::take(run));
        }
        run.clear();
        *docs = 0;
    };
    for s in segs {
        if s.docs >= target_docs {
            // A big segment ends a run: merging across it would mix its stretch of time into the run's.
            close(&mut run, &mut docs);
            continue;
        }
        run.push(s.id);
        docs += s.docs;
        if docs >= target_docs || run.len() >= MAX_RUN {
            close(&mut run, &mut docs);
        }
    }
    close(&mut run, &mut docs);
    runs
}

/// Merges runs of small segments when there are at least `min_small` of them; `None` when there was nothing
/// to do. Runs one merge at a time on one thread (the other core stays with the UI); `stop` is checked
/// between merges, and what was merged so far stays merged. The commit payload (the file manifest) is kept.
pub fn compact(store: &Store, min_small: usize, target_docs: u64, stop: &AtomicBool) -> Result<Option<Compaction>> {
    let started = Instant::now();
    let segs = segments(store)?;
    let small = segs.iter().filter(|s| s.docs < target_docs).count();
    if small < min_small.max(2) {
        return Ok(None);
    }
    let before = segs.len();
    let mut writer: IndexWriter<TantivyDocument> =
        store.index.writer_with_num_threads(1, 32 << 20).map_err(|e| match e {
            TantivyError::LockFailure(..) => StoreError::Locked { dir: store.dir.clone() },
            other => StoreError::Index(other),
        })?;
    writer.set_merge_policy(Box::new(NoMergePolicy));
    for run in runs(&segs, target_docs) {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        writer.merge(&run).wait()?;
    }
    writer.wait_merging_threads()?;
    let after = segments(store)?.len();
    Ok(Some(Compaction { segments_before: before, segments_after: after, seconds: started.elapsed().as_secs_f64() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(n: u128, docs: u64, oldest: i64) -> Seg {
        Seg { id: SegmentId::from_uuid_string(&format!("{n:032x}")).unwrap(), docs, oldest, newest: oldest + 10 }
    }

    #[test]
    fn runs_are_consecutive_in_time_and_stop_at_big_segments_and_the_target() {
        let segs =
            vec![seg(1, 100, 0), seg(2, 100, 10), seg(3, 1000, 20), seg(4, 100, 30), seg(5, 100, 40), seg(6, 100, 50)];
        let ids = |r: &[SegmentId]| r.iter().map(|i| i.uuid_string()).collect::<Vec<_>>();
        let got: Vec<_> = runs(&segs, 250).iter().map(|r| ids(r)).collect();
        // 1+2 (below the target, ended by the big 3), then 4+5+6 reaching 300 >= 250.
        assert_eq!(got, vec![ids(&[segs[0].id, segs[1].id]), ids(&[segs[3].id, segs[4].id, segs[5].id])]);
        // A lone small segment between big ones is not "merged" with itself.
        assert!(runs(&[seg(1, 1000, 0), seg(2, 1, 10), seg(3, 1000, 20)], 250).is_empty());
    }
}
