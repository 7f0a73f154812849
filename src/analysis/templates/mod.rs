//! Online log-template mining: one pass, lines in order, an id per line that never changes.
//!
//! **Masking** (`masking.rs`). A line is split on ASCII whitespace (a quoted value such as
//! `tag="View Lock",` stays one token) and the parts of each token that are variables by their form
//! become `<*>`: numbers (`0.5` as `<*>.<*>`, `5ms` as `<*>ms`), hex, ids made of a one-word prefix and
//! numbers (`blk_<*>`), UUIDs, IPv4/IPv6/MAC addresses, `host:port`, host and domain names, URLs, file
//! paths and file names holding a number. Words, dotted names and `key=` parts stay literal: whether
//! they vary is learned. The commonest shapes have fast paths, and the masking of a token seen twice is
//! remembered (`memo.rs`); both write exactly what the general matchers write.
//!
//! **Token classes** (`classes.rs`). A run of tokens that are only variables and punctuation, with the
//! unit words that follow a number (`1190 bytes (1.16 KB)`, `<1 sec`, `5.2 KB,`), empty values (`()`)
//! and the month and day names next to numbers (`Fri Jun 17 07:07:00 2005`), is one value slot,
//! whatever its length: optional parts and lists of any length make no other event. In a partly
//! variable token, runs of variables are one value too (`t=5`, `t=5.25`; `a##b`, `a##b##c`). Constant
//! tokens are plain words, upper-case words, names with digits or dots, or state words.
//!
//! **Grouping** (`miner.rs`, `search.rs`). A line's *skeleton* is its constant tokens with a marker per slot. Lines
//! with the same skeleton are one event (a hash lookup: the fast path). A new skeleton joins the most
//! similar *family* of its length (found through a shallow prefix tree on the leading words, as in
//! Drain; one position off is always close enough), and within the family the event whose constants
//! it shares. Constants never generalize on one line's say-so: a position becomes a variable once the
//! family has shown enough distinct values there (`MinerConfig::merge_*`, by token class), and the
//! events that differed only there become one. State words and flags (`true`, `on`, `Active`,
//! `failed`, `Started`), HTTP methods and punctuation never do. Merged events keep every id they gave
//! out: an id names its event for good ([`TemplateMiner::canonical`]), though the event may grow.
//!
//! **Templates** (`generalise.rs`). An event's template keeps, per position, the most specific pattern
//! covering its lines (`name=<*>,`, `(<*>)`, `storage<*>`, `com.apple.<*>:`; a slot whose lines differ
//! in length is one `<*>`).
//!
//! The miner is saved whole (`store::templates`) in a versioned form; the version 1 (Drain-style)
//! miner is still read, its cluster ids carried over.

mod classes;
mod generalise;
mod masking;
mod memo;
mod miner;

use serde::{Deserialize, Serialize};

pub use miner::TemplateMiner;

/// Identifier of an event (a template); stable for the lifetime of the miner.
pub type TemplateId = u32;

const VAR: &str = "<*>";

/// Tuning knobs of [`TemplateMiner`]. The defaults were chosen by leave-one-system-out over the 12
/// Loghub samples (see `firewatch-templates-eval --loso`) and are meant to be used as-is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MinerConfig {
    /// Minimum similarity for a new skeleton to join a family found through the prefix tree.
    pub similarity_threshold: f64,
    /// Threshold when the prefix tree has no match and all families of the same length are searched;
    /// stricter, because the leading tokens (usually constants) already disagree.
    pub fallback_threshold: f64,
    /// Distinct plain words (`root`, `guest`) a position must show before it is a variable.
    pub merge_words: usize,
    /// Distinct upper-case words (`GET`, `SYSTEM`) a position must show before it is a variable.
    pub merge_caps: usize,
    /// Distinct names with digits or dots (`storage12`, `com.tencent.mm`) before it is a variable.
    pub merge_ids: usize,
    /// Count a position's distinct values over the whole family, not only among events that agree
    /// everywhere else.
    pub family_values: bool,
    /// Words ending in `-ed`/`-ing` (`Started`, `scanning`) are state words, never variables.
    pub verbs_are_states: bool,
    /// Number of leading tokens used as prefix-tree keys.
    pub depth: usize,
    /// Maximum distinct children of a tree node; further tokens share the wildcard child.
    pub max_children: usize,
    /// Maximum families compared per lookup; bounds the cost on hostile input.
    pub max_scan: usize,
    /// Maximum tokens per line; the remainder of a longer line becomes one variable token.
    pub max_tokens: usize,
    /// Tokens longer than this many bytes are treated as variables outright.
    pub max_token_len: usize,
    /// Upper bound on events; past it, new kinds of lines join the closest existing event.
    pub max_clusters: usize,
    /// Render runs of adjacent variables (`<*> <*>:<*>:<*>`) as a single `<*>`-joined value.
    pub collapse_variables: bool,
}

impl Default for MinerConfig {
    fn default() -> Self {
        MinerConfig {
            similarity_threshold: 0.7,
            fallback_threshold: 0.7,
            merge_words: 4,
            merge_caps: 6,
            merge_ids: 2,
            verbs_are_states: true,
            family_values: true,
            depth: 2,
            max_children: 100,
            max_scan: 512,
            max_tokens: 256,
            max_token_len: 512,
            max_clusters: 200_000,
            collapse_variables: true,
        }
    }
}
