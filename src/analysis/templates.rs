//! Online log-template mining (Drain-style, one pass, lines in order).
//!
//! Each line is split on ASCII whitespace (a double-quoted phrase such as `tag="View Lock",` stays one
//! token) and every token is masked: the parts that are variables by their form become `<*>`:
//! numbers (`-24`, `0.5` as `<*>.<*>`, `5ms` as `<*>ms`), hex (`0x1f`, `d1c8e63`, `ffffffff`), ids made
//! of a one-word prefix and numbers (`blk_<*>`, `attempt_<*>`), UUIDs, IPv4 (with port: `<*>:<*>`),
//! IPv6 and MAC addresses, `host:port`, `host/ip`, host names with digits, URLs (`hdfs://<*>`) and
//! file paths (`<*>`, or `/<*>/blk_<*>` when the last component holds an id). Words, dotted names and
//! `key=` parts stay literal: whether they vary is learned from the data.
//!
//! A line joins the most similar cluster with the same token count. Candidates come from a shallow
//! prefix tree keyed on the leading tokens (as in Drain); when that finds nothing, all clusters of the
//! same length are searched with a stricter threshold, so lines whose first token is an unmasked
//! variable still find their cluster. Flags (`true`/`false`), upper-case enum words (`UNASSIGNED`)
//! and punctuation-only tokens never generalize, since they usually tell events apart. When a line
//! joins, each differing position is generalized keeping the structure both sides share
//! (`name=<*>,`, `(<*>)`, `storage<*>`, `com.apple.<*>:`). Cluster ids are indices and never change.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

/// Identifier of a cluster; stable for the lifetime of the miner.
pub type TemplateId = u32;

const VAR: &str = "<*>";
const NONE: u32 = u32::MAX;
/// `<*>` is interned first.
const VAR_SYM: u32 = 0;

/// Tuning knobs of [`TemplateMiner`]. The defaults were chosen on a mix of system logs and are meant
/// to be used as-is for any source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MinerConfig {
    /// Minimum fraction of equal (or variable-matching) tokens for a line to join a cluster found
    /// through the prefix tree.
    pub similarity_threshold: f64,
    /// Threshold used when the prefix tree has no match and all same-length clusters are searched;
    /// stricter, because the leading tokens (usually constants) already disagree.
    pub fallback_threshold: f64,
    /// Number of leading tokens used as prefix-tree keys.
    pub depth: usize,
    /// Maximum distinct children of a tree node; further tokens share the wildcard child.
    pub max_children: usize,
    /// Maximum clusters compared per lookup step; bounds the cost on hostile input.
    pub max_scan: usize,
    /// Maximum tokens per line; the remainder of a longer line becomes one variable token.
    pub max_tokens: usize,
    /// Tokens longer than this many bytes are treated as variables outright.
    pub max_token_len: usize,
    /// Upper bound on clusters; past it, unmatched lines join the closest same-length cluster.
    pub max_clusters: usize,
    /// Weight of a bare `<*>` template position absorbing a concrete token, in the similarity.
    pub bare_var_weight: f64,
    /// Render runs of adjacent variables (`<*> <*>`, `<*><*>`) as a single `<*>`.
    pub collapse_variables: bool,
}

impl Default for MinerConfig {
    fn default() -> Self {
        MinerConfig {
            similarity_threshold: 0.8,
            fallback_threshold: 0.85,
            depth: 2,
            max_children: 100,
            max_scan: 512,
            max_tokens: 256,
            max_token_len: 512,
            max_clusters: 200_000,
            bare_var_weight: 0.5,
            collapse_variables: true,
        }
    }
}

/// Hasher for the integer-keyed maps (symbol ids, token counts). Keys are small integers chosen by
/// the miner, not by the input, so a multiplicative hash is safe; strings keep std's keyed SipHash.
#[derive(Default, Clone, Copy)]
struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

type IntMap<K, V> = HashMap<K, V, BuildHasherDefault<IntHasher>>;

/// Per-symbol facts, computed once when a template token is interned.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct SymMeta {
    /// Contains `<*>`.
    var: bool,
    /// Never generalized: flags (`true`/`false`), upper-case enum-like words (`UNASSIGNED`) and
    /// punctuation-only layout tokens (`****`). Distinct values there usually mean distinct events.
    hard: bool,
    /// Usable as a prefix-tree key (no digits, no variable, not a dotted name).
    keyable: bool,
    /// Letters only, optionally closed by one punctuation mark.
    plain: bool,
    /// Dotted or slashed name (`android.intent.action.TIME_TICK`).
    named: bool,
    /// Digits survived masking (`storage12`, `u0a13`).
    numbered: bool,
}

/// Interned template tokens. Only tokens that end up in a template are interned, so memory grows
/// with the number of clusters, not with the number of distinct values seen.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Interner {
    map: HashMap<Box<str>, u32>,
    text: Vec<Box<str>>,
    meta: Vec<SymMeta>,
}

impl Interner {
    fn get(&self, s: &str) -> u32 {
        self.map.get(s).copied().unwrap_or(NONE)
    }

    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.map.get(s) {
            return id;
        }
        let id = self.text.len() as u32;
        self.map.insert(s.into(), id);
        self.text.push(s.into());
        self.meta.push(sym_meta(s));
        id
    }

    fn text(&self, id: u32) -> &str {
        self.text.get(id as usize).map(|s| &**s).unwrap_or(VAR)
    }

    fn meta(&self, id: u32) -> SymMeta {
        self.meta.get(id as usize).copied().unwrap_or(sym_meta(VAR))
    }
}

/// Classifies a token in one pass (it runs for every token of every line not already interned).
fn sym_meta(s: &str) -> SymMeta {
    let b = s.as_bytes();
    let var = b.contains(&b'<') && s.contains(VAR);
    // The caps/plain tests ignore one closing punctuation mark.
    let core = match b.last() {
        Some(b':' | b',' | b'.' | b';') => &b[..b.len() - 1],
        _ => b,
    };
    let (mut digit, mut alpha, mut all_punct, mut bool_word) = (false, false, true, false);
    let (mut first_np, mut last_np, mut first_sep) = (None, 0, None);
    let mut word_start = 0;
    for (i, &c) in b.iter().enumerate() {
        digit |= c.is_ascii_digit();
        alpha |= c.is_ascii_alphabetic();
        if c.is_ascii_punctuation() {
            if (c == b'.' || c == b'/') && first_np.is_some() && first_sep.is_none() {
                first_sep = Some(i);
            }
        } else {
            all_punct = false;
            first_np.get_or_insert(i);
            last_np = i;
        }
        if !c.is_ascii_alphanumeric() {
            bool_word |= is_bool(&b[word_start..i]);
            word_start = i + 1;
        }
    }
    bool_word |= is_bool(b.get(word_start..).unwrap_or(&[]));
    let caps = core.len() >= 2
        && core.iter().all(|&c| c.is_ascii_uppercase() || c == b'_')
        && core.iter().filter(|c| c.is_ascii_uppercase()).count() >= 2;
    let plain = !core.is_empty() && core.iter().all(u8::is_ascii_alphabetic);
    let named = alpha && first_sep.is_some_and(|p| p < last_np);
    let punct_only = !b.is_empty() && all_punct && !var;
    SymMeta {
        var,
        hard: punct_only || caps || bool_word,
        keyable: !var && !digit && !named,
        plain,
        named,
        numbered: digit && !var,
    }
}

fn is_bool(w: &[u8]) -> bool {
    w.eq_ignore_ascii_case(b"true") || w.eq_ignore_ascii_case(b"false")
}

/// One token of the line being added: its masked text is `buf[start..end]`.
#[derive(Debug, Clone, Copy)]
struct Tok {
    start: usize,
    end: usize,
    /// Interned id of the masked text, or `NONE` if no template uses that text yet.
    sym: u32,
    meta: SymMeta,
}

#[derive(Debug, Serialize, Deserialize)]
struct Cluster {
    tokens: Vec<u32>,
    count: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Node {
    children: IntMap<u32, u32>,
    wild: Option<u32>,
    clusters: Vec<u32>,
}

/// Online template miner; see the module docs for the algorithm. It serializes whole, so a data dir keeps its
/// template ids from one run to the next.
#[derive(Debug, Serialize, Deserialize)]
pub struct TemplateMiner {
    cfg: MinerConfig,
    syms: Interner,
    clusters: Vec<Cluster>,
    nodes: Vec<Node>,
    /// Tree root per token count.
    roots: IntMap<usize, u32>,
    /// All clusters per token count, for the fallback search.
    by_len: IntMap<usize, Vec<u32>>,
    /// Catch-all cluster per token count, used once `max_clusters` is reached.
    overflow: IntMap<usize, u32>,
    // Scratch buffers reused across calls to avoid per-line allocation.
    #[serde(skip)]
    buf: String,
    #[serde(skip)]
    toks: Vec<Tok>,
}

impl TemplateMiner {
    pub fn new(cfg: MinerConfig) -> Self {
        let mut cfg = cfg;
        // Guard against degenerate settings instead of failing later.
        cfg.max_tokens = cfg.max_tokens.max(1);
        cfg.max_scan = cfg.max_scan.max(1);
        // Ids are u32; the catch-all clusters may add up to `max_tokens + 1` beyond the cap.
        cfg.max_tokens = cfg.max_tokens.min(1 << 16);
        cfg.max_clusters = cfg.max_clusters.clamp(1, (u32::MAX >> 1) as usize);
        let mut syms = Interner::default();
        syms.intern(VAR);
        TemplateMiner {
            cfg,
            syms,
            clusters: Vec::new(),
            nodes: Vec::new(),
            roots: IntMap::default(),
            by_len: IntMap::default(),
            overflow: IntMap::default(),
            buf: String::new(),
            toks: Vec::new(),
        }
    }

    /// Adds one log message (one line, no trailing newline); returns the id of the cluster it joined.
    /// Ids are stable: a line's id never changes afterwards, though its cluster's template may generalize.
    pub fn add(&mut self, line: &str) -> TemplateId {
        self.tokenize(line);
        let n = self.toks.len();

        let leaf = self.find_leaf();
        let mut best = match leaf {
            Some(node) => self.best_in(node, self.cfg.similarity_threshold),
            None => None,
        };
        let mut via_fallback = false;
        if best.is_none() {
            best = self.best_of_len(n, self.cfg.fallback_threshold);
            via_fallback = best.is_some();
        }
        if best.is_none() && self.clusters.len() >= self.cfg.max_clusters {
            // At capacity: a lossy assignment beats unbounded growth. Take the closest same-length
            // cluster, else this length's catch-all cluster (at most one per token count).
            best = self.best_of_len(n, f64::NEG_INFINITY).or_else(|| self.overflow.get(&n).copied());
            if best.is_none() {
                let id = self.create_cluster();
                self.overflow.insert(n, id);
                return id;
            }
        }

        match best {
            Some(id) => {
                self.merge_into(id);
                if via_fallback {
                    // Register the cluster under this line's prefix so the next such line is found directly.
                    let node = self.insert_path();
                    if let Some(nd) = self.nodes.get_mut(node as usize) {
                        if !nd.clusters.contains(&id) {
                            nd.clusters.push(id);
                        }
                    }
                }
                id
            }
            None => self.create_cluster(),
        }
    }

    /// The cluster's current template, tokens joined by single spaces, variables written `<*>`.
    pub fn template(&self, id: TemplateId) -> String {
        let Some(c) = self.clusters.get(id as usize) else {
            return String::new();
        };
        let texts: Vec<&str> = c.tokens.iter().map(|&s| self.syms.text(s)).collect();
        if self.cfg.collapse_variables {
            render_collapsed(&texts)
        } else {
            texts.join(" ")
        }
    }

    /// Number of lines that joined the cluster.
    pub fn count(&self, id: TemplateId) -> u64 {
        self.clusters.get(id as usize).map_or(0, |c| c.count)
    }

    /// Number of clusters; ids are `0..len()`.
    pub fn len(&self) -> usize {
        self.clusters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
    }

    /// All clusters, as (id, template, count).
    pub fn templates(&self) -> Vec<(TemplateId, String, u64)> {
        (0..self.clusters.len() as u32).map(|id| (id, self.template(id), self.count(id))).collect()
    }

    /// Splits on ASCII whitespace and masks each token into `self.buf`.
    fn tokenize(&mut self, line: &str) {
        self.buf.clear();
        self.toks.clear();
        let max_tokens = self.cfg.max_tokens;
        let b = line.as_bytes();
        // Byte scanning: whitespace is ASCII, so every split point is a char boundary.
        let skip_ws = |mut p: usize| {
            while p < b.len() && b[p].is_ascii_whitespace() {
                p += 1;
            }
            p
        };
        let mut pos = skip_ws(0);
        while pos < b.len() {
            let start = self.buf.len();
            if self.toks.len() + 1 == max_tokens {
                // The tail of an over-long line is one variable: bounds per-line cost.
                self.buf.push_str(VAR);
                pos = b.len();
            } else {
                let mut end = pos;
                while end < b.len() && !b[end].is_ascii_whitespace() {
                    end += 1;
                }
                let quoted = quoted_span(b, pos, end);
                if let Some(qend) = quoted {
                    end = qend;
                }
                let tok = line.get(pos..end).unwrap_or("");
                if tok.len() > self.cfg.max_token_len {
                    self.buf.push_str(VAR);
                } else if quoted.is_none() {
                    mask_token(tok, &mut self.buf, true);
                } else {
                    // A quoted phrase is one token; its words are masked one by one.
                    for (k, word) in tok.split_ascii_whitespace().enumerate() {
                        if k > 0 {
                            self.buf.push(' ');
                        }
                        mask_token(word, &mut self.buf, true);
                    }
                }
                pos = skip_ws(end);
            }
            let text = self.buf.get(start..).unwrap_or("");
            let sym = self.syms.get(text);
            let meta = if sym == NONE { sym_meta(text) } else { self.syms.meta(sym) };
            self.toks.push(Tok { start, end: self.buf.len(), sym, meta });
        }
    }

    fn tok_text(&self, t: &Tok) -> &str {
        self.buf.get(t.start..t.end).unwrap_or("")
    }

    /// Walks the prefix tree without modifying it.
    fn find_leaf(&self) -> Option<u32> {
        let mut node = *self.roots.get(&self.toks.len())?;
        for t in self.toks.iter().take(self.cfg.depth) {
            let nd = self.nodes.get(node as usize)?;
            let child = if t.meta.keyable && t.sym != NONE { nd.children.get(&t.sym).copied() } else { None };
            node = child.or(nd.wild)?;
        }
        Some(node)
    }

    /// Walks the prefix tree for the current line, creating nodes as needed; returns the leaf.
    fn insert_path(&mut self) -> u32 {
        let n = self.toks.len();
        let root = match self.roots.get(&n) {
            Some(&r) => r,
            None => {
                let r = self.new_node();
                self.roots.insert(n, r);
                r
            }
        };
        let mut node = root;
        for i in 0..self.toks.len().min(self.cfg.depth) {
            let t = self.toks[i];
            let key = if t.meta.keyable {
                let text = self.buf.get(t.start..t.end).unwrap_or("");
                Some(if t.sym == NONE { self.syms.intern(text) } else { t.sym })
            } else {
                None
            };
            if t.sym == NONE {
                if let Some(k) = key {
                    self.toks[i].sym = k;
                }
            }
            let existing = key.and_then(|k| self.nodes.get(node as usize).and_then(|nd| nd.children.get(&k).copied()));
            node = match existing {
                Some(c) => c,
                None => {
                    let room =
                        self.nodes.get(node as usize).is_some_and(|nd| nd.children.len() < self.cfg.max_children);
                    match key {
                        Some(k) if room => {
                            let c = self.new_node();
                            if let Some(nd) = self.nodes.get_mut(node as usize) {
                                nd.children.insert(k, c);
                            }
                            c
                        }
                        _ => match self.nodes.get(node as usize).and_then(|nd| nd.wild) {
                            Some(w) => w,
                            None => {
                                let w = self.new_node();
                                if let Some(nd) = self.nodes.get_mut(node as usize) {
                                    nd.wild = Some(w);
                                }
                                w
                            }
                        },
                    }
                }
            };
        }
        node
    }

    fn new_node(&mut self) -> u32 {
        self.nodes.push(Node::default());
        (self.nodes.len() - 1) as u32
    }

    fn best_in(&self, node: u32, threshold: f64) -> Option<u32> {
        let nd = self.nodes.get(node as usize)?;
        self.best_among(&nd.clusters, threshold, false)
    }

    fn best_of_len(&self, n: usize, threshold: f64) -> Option<u32> {
        self.best_among(self.by_len.get(&n)?, threshold, true)
    }

    /// The most similar candidate at or above `threshold`; ties keep the older cluster. With `strict_prefix`
    /// (fallback search), candidates that disagree on a plain word among the leading tokens are skipped:
    /// those are the constants the prefix tree relies on, so disagreement there means another event.
    fn best_among(&self, cands: &[u32], threshold: f64, strict_prefix: bool) -> Option<u32> {
        let n = self.toks.len();
        let mut best: Option<(u32, f64)> = None;
        for &id in cands.iter().take(self.cfg.max_scan) {
            let Some(c) = self.clusters.get(id as usize) else { continue };
            if strict_prefix && self.prefix_word_conflict(c) {
                continue;
            }
            // Only a better score than the best so far matters; lets `score` stop early.
            let floor = best.map_or(threshold, |(_, b)| b.max(threshold));
            let Some(same) = self.score(c, floor * n as f64) else { continue };
            let sim = if n == 0 { 1.0 } else { same / n as f64 };
            if sim >= threshold && best.is_none_or(|(_, b)| sim > b) {
                best = Some((id, sim));
                if same >= n as f64 {
                    break;
                }
            }
        }
        best.map(|(id, _)| id)
    }

    fn prefix_word_conflict(&self, c: &Cluster) -> bool {
        self.toks
            .iter()
            .zip(&c.tokens)
            .take(self.cfg.depth)
            .any(|(t, &ts)| t.sym != ts && !self.syms.meta(ts).var && t.meta.plain)
    }

    /// Similarity numerator: 1 per equal position, 1 per position whose variable pattern matches the
    /// line, but only a half for a bare `<*>` absorbing a concrete token (as in Drain, a fully variable
    /// position is weak evidence). `None` when a flag differs or the score cannot reach `floor`.
    fn score(&self, c: &Cluster, floor: f64) -> Option<f64> {
        if c.tokens.len() != self.toks.len() {
            return None;
        }
        let n = self.toks.len() as f64;
        let (mut same, mut lost) = (0.0, 0.0);
        for (t, &ts) in self.toks.iter().zip(&c.tokens) {
            if t.sym == ts {
                same += 1.0;
                continue;
            }
            let m = self.syms.meta(ts);
            let w = if m.var && glob_match(self.syms.text(ts), self.tok_text(t)) {
                if ts == VAR_SYM && !t.meta.var {
                    self.cfg.bare_var_weight
                } else {
                    1.0
                }
            } else if m.hard || t.meta.hard {
                return None;
            } else if (m.named && t.meta.named) || (m.numbered && t.meta.numbered) {
                // Two different dotted names (`android.intent.action.X`) or numbered names
                // (`storage12`, `storage7`) are likely two values: partial evidence.
                self.cfg.bare_var_weight
            } else {
                0.0
            };
            same += w;
            lost += 1.0 - w;
            if n - lost < floor {
                return None;
            }
        }
        Some(same)
    }

    /// Counts the line into cluster `id`, generalizing template positions the line disagrees with.
    fn merge_into(&mut self, id: u32) {
        let mut updates: Vec<(usize, String)> = Vec::new();
        if let Some(c) = self.clusters.get(id as usize) {
            for (i, (t, &ts)) in self.toks.iter().zip(&c.tokens).enumerate() {
                if t.sym == ts {
                    continue;
                }
                let tpl = self.syms.text(ts);
                let text = self.tok_text(t);
                if self.syms.meta(ts).var && glob_match(tpl, text) {
                    continue;
                }
                let mut g = String::new();
                generalize(tpl, text, &mut g);
                updates.push((i, g));
            }
        }
        for (i, g) in updates {
            let s = self.syms.intern(&g);
            if let Some(slot) = self.clusters.get_mut(id as usize).and_then(|c| c.tokens.get_mut(i)) {
                *slot = s;
            }
        }
        if let Some(c) = self.clusters.get_mut(id as usize) {
            c.count += 1;
        }
    }

    fn create_cluster(&mut self) -> u32 {
        let mut tokens = Vec::with_capacity(self.toks.len());
        for i in 0..self.toks.len() {
            let t = self.toks[i];
            let sym = if t.sym == NONE { self.syms.intern(self.buf.get(t.start..t.end).unwrap_or("")) } else { t.sym };
            tokens.push(sym);
        }
        let id = self.clusters.len() as u32;
        self.clusters.push(Cluster { tokens, count: 1 });
        let leaf = self.insert_path();
        if let Some(nd) = self.nodes.get_mut(leaf as usize) {
            nd.clusters.push(id);
        }
        self.by_len.entry(self.toks.len()).or_default().push(id);
        id
    }
}

// ---------------------------------------------------------------------------------------------
// Masking

/// If the token `b[start..end]` opens a double-quoted phrase that closes in one of the next few words
/// (`tag="View Lock",`), returns the end of the word holding the closing quote. Quoted phrases are
/// single values, so they should not change the token count.
fn quoted_span(b: &[u8], start: usize, end: usize) -> Option<usize> {
    const MAX_WORDS: usize = 8;
    let tok = b.get(start..end)?;
    let q = tok.iter().position(|&c| c == b'"')?;
    if q > 0 && !matches!(tok[q - 1], b'=' | b':' | b'(' | b'[' | b'{') {
        return None;
    }
    if tok.iter().filter(|&&c| c == b'"').count() % 2 == 0 {
        return None;
    }
    let mut pos = end;
    for _ in 0..MAX_WORDS {
        while pos < b.len() && b[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if pos >= b.len() {
            return None;
        }
        let word = pos;
        while pos < b.len() && !b[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if b[word..pos].contains(&b'"') {
            return Some(pos);
        }
    }
    None
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// Appends the byte range `a..b` of `s`; ranges come from ASCII scanning, so they are char boundaries,
/// but a lossy copy keeps this panic-free regardless.
fn push_range(out: &mut String, s: &str, a: usize, b: usize) {
    if let Some(x) = s.get(a..b) {
        out.push_str(x);
    } else if let Some(x) = s.as_bytes().get(a..b) {
        out.push_str(&String::from_utf8_lossy(x));
    }
}

/// Writes `tok` (no whitespace) to `out` with its variable parts replaced by `<*>`.
fn mask_token(tok: &str, out: &mut String, allow_path: bool) {
    let b = tok.as_bytes();
    let n = b.len();
    if is_verbatim(b) {
        out.push_str(tok);
        return;
    }
    // Each matcher that fails reports how far it looked; it is not retried before that point, so
    // masking stays linear in the token length.
    let (mut url_from, mut path_from, mut hex_from, mut host_from) = (0, 0, 0, 0);
    if !tok.contains("://") {
        url_from = n;
    }
    if !allow_path {
        path_from = n;
    }
    let mut i = 0;
    while i < n {
        let c = b[i];
        let boundary = i == 0 || !is_word(b[i - 1]);
        if boundary && c < 0x80 {
            if i >= url_from {
                match match_url(b, i) {
                    Ok((head, end)) => {
                        push_range(out, tok, i, head);
                        out.push_str(VAR);
                        i = end;
                        continue;
                    }
                    Err(k) => url_from = k,
                }
            }
            if i >= path_from {
                match match_path(b, i) {
                    Ok(end) => {
                        emit_path(tok, i, end, out);
                        i = end;
                        continue;
                    }
                    Err(k) => path_from = k,
                }
            }
            if let Some(end) = match_uuid(b, i) {
                // Keep the dashes so the id's shape stays visible: `<*>-<*>-<*>-<*>-<*>`.
                out.push_str("<*>-<*>-<*>-<*>-<*>");
                i = end;
                continue;
            }
            let mut end = None;
            if i >= hex_from {
                match match_hex_colon(b, i) {
                    Ok(e) => end = Some(e),
                    Err(k) => hex_from = k,
                }
            }
            if end.is_none() && i >= host_from {
                match match_host(b, i) {
                    Ok(e) => end = Some(e),
                    Err(k) => host_from = k,
                }
            }
            if let Some(end) = end.or_else(|| match_ipv4(b, i)) {
                out.push_str(VAR);
                i = end;
                continue;
            }
            if c == b'-' && i + 1 < n && b[i + 1].is_ascii_digit() && (i == 0 || !is_alnum(b[i - 1])) {
                // A sign belongs to the number (`=-1`, `(-24`), but not a dash between words or dates.
                i += 1;
                continue;
            }
        }
        if is_word(c) {
            let mut j = i;
            while j < n && is_word(b[j]) {
                j += 1;
            }
            i = mask_word(tok, i, j, out);
            continue;
        }
        out.push(c as char);
        i += 1;
    }
}

/// Cheap pre-check: without digits or path separators no rule can fire, except the all-hex
/// letter words (`ffffffff`) caught by `mask_part`.
fn is_verbatim(b: &[u8]) -> bool {
    let mut hex_run = 0;
    for &c in b {
        if c.is_ascii_digit() || c == b'/' || c == b'\\' {
            return false;
        }
        hex_run = if c.is_ascii_hexdigit() { hex_run + 1 } else { 0 };
        if hex_run >= 8 {
            return false;
        }
    }
    true
}

/// Masks the word run `i..j` (alphanumerics and `_`); returns where scanning resumes.
fn mask_word(tok: &str, i: usize, j: usize, out: &mut String) -> usize {
    let b = tok.as_bytes();
    let n = b.len();
    // Ids such as `blk_123`, `attempt_14_0020_m_00_0`, `rdd_2_0`, `blk_-42`: a named prefix then numbers.
    for k in i..j {
        if b[k] != b'_' || k == i {
            continue;
        }
        let digit_next = k + 1 < j && b[k + 1].is_ascii_digit();
        let signed_next = k + 1 == j && j + 1 < n && b[j] == b'-' && b[j + 1].is_ascii_digit();
        if !(digit_next || signed_next) {
            continue;
        }
        let prefix = &b[i..k];
        let lead = prefix.iter().take_while(|&&x| x == b'_').count();
        let single_word = !prefix[lead..].contains(&b'_');
        // Only a one-word name (`blk`, `attempt`, `__`) makes an id prefix; `FOO_BAR_1_2` is a name
        // with numbered parts and gets its numbers masked one by one below.
        if single_word && (prefix.iter().any(|x| x.is_ascii_alphabetic()) || lead == prefix.len()) {
            push_range(out, tok, i, k + 1);
            out.push_str(VAR);
            let mut e = j;
            if signed_next {
                e = j + 1;
                while e < n && is_word(b[e]) {
                    e += 1;
                }
            }
            return e;
        }
        break;
    }
    let mut p = i;
    while p < j {
        if b[p] == b'_' {
            out.push('_');
            p += 1;
            continue;
        }
        let mut q = p;
        while q < j && b[q] != b'_' {
            q += 1;
        }
        mask_part(tok, p, q, out);
        p = q;
    }
    j
}

/// Masks one alphanumeric part (no `_`) of a word.
fn mask_part(tok: &str, p: usize, q: usize, out: &mut String) {
    let b = tok.as_bytes();
    let part = &b[p..q];
    let Some(&first) = part.first() else { return };
    let all_hex = part.iter().all(|x| x.is_ascii_hexdigit());
    let has_digit = part.iter().any(|x| x.is_ascii_digit());
    if first.is_ascii_digit() {
        let hex_prefixed = part.len() > 2 && (part[1] == b'x' || part[1] == b'X') && first == b'0';
        if (hex_prefixed && part[2..].iter().all(|x| x.is_ascii_hexdigit()))
            || (all_hex && (part.len() >= 6 || part.iter().all(|x| x.is_ascii_digit())))
        {
            out.push_str(VAR);
            return;
        }
        // Number with a unit or suffix (`5ms`, `80x25`): mask the digit runs, keep the letters.
        let mut k = p;
        while k < q {
            if b[k].is_ascii_digit() {
                while k < q && b[k].is_ascii_digit() {
                    k += 1;
                }
                out.push_str(VAR);
            } else {
                let s = k;
                while k < q && !b[k].is_ascii_digit() {
                    k += 1;
                }
                push_range(out, tok, s, k);
            }
        }
        return;
    }
    if first.is_ascii_alphabetic() {
        // Hex blobs that start with a letter (`d1c8e63`, `ffffffff`); short ones such as `ee0` stay.
        if all_hex && ((has_digit && part.len() >= 6) || part.len() >= 8) {
            out.push_str(VAR);
            return;
        }
        // Version numbers `v1.2.3`.
        let is_version = (first == b'v' || first == b'V')
            && part.len() > 1
            && part[1..].iter().all(|x| x.is_ascii_digit())
            && q + 1 < b.len()
            && b[q] == b'.'
            && b[q + 1].is_ascii_digit();
        if is_version {
            push_range(out, tok, p, p + 1);
            out.push_str(VAR);
            return;
        }
    }
    push_range(out, tok, p, q);
}

/// `scheme://rest` → returns (end of `scheme://`, end of the URL). On failure, `Err(k)`: no URL
/// starts before `k` either, which keeps the scan linear.
fn match_url(b: &[u8], i: usize) -> Result<(usize, usize), usize> {
    if !b[i].is_ascii_alphabetic() {
        return Err(i + 1);
    }
    let n = b.len();
    let mut j = i;
    while j < n && (b[j].is_ascii_alphanumeric() || matches!(b[j], b'+' | b'.' | b'-')) {
        j += 1;
    }
    if !b[j..].starts_with(b"://") {
        return Err(j);
    }
    let head = j + 3;
    let mut e = head;
    while e < n && !matches!(b[e], b'"' | b'\'' | b'<' | b'>' | b')' | b']' | b'}') {
        e += 1;
    }
    while e > head && matches!(b[e - 1], b'.' | b',' | b';' | b':') {
        e -= 1;
    }
    if e > head {
        Ok((head, e))
    } else {
        Err(head)
    }
}

/// A file path with at least two components (`/a/b`, `C:\a\b`); returns its end, or `Err(k)` with
/// no path starting before `k`.
fn match_path(b: &[u8], i: usize) -> Result<usize, usize> {
    let n = b.len();
    let c = b[i];
    let drive = c.is_ascii_alphabetic() && i + 2 < n && b[i + 1] == b':' && b[i + 2] == b'\\';
    if !(c == b'/' || c == b'\\' || drive) {
        return Err(i + 1);
    }
    let mut e = if drive { i + 2 } else { i };
    let mut depth = 0usize;
    while e < n {
        match b[e] {
            b'"' | b'\'' | b'<' | b'>' | b'{' | b'}' | b';' => break,
            b'(' | b'[' => depth += 1,
            b')' | b']' => {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            }
            b',' if depth == 0 => break,
            // A colon ends the path when it ends the token or precedes a separator (`/x/y: msg`).
            b':' if e + 1 >= n || !is_word(b[e + 1]) => break,
            _ => {}
        }
        e += 1;
    }
    while e > i + 1 && b[e - 1] == b'.' {
        e -= 1;
    }
    let comps = b[i..e].split(|&x| x == b'/' || x == b'\\').filter(|s| !s.is_empty()).count();
    // A later start inside `i..e` sees a subset of the components, so it cannot match either.
    if comps >= 2 {
        Ok(e)
    } else {
        Err(e.max(i + 1))
    }
}

/// Emits a path: `<*>`, or `/<*>/last` when the last component itself carries an id (`/<*>/blk_<*>`).
fn emit_path(tok: &str, i: usize, e: usize, out: &mut String) {
    let b = tok.as_bytes();
    let last_sep = b[i..e].iter().rposition(|&x| x == b'/' || x == b'\\').map(|p| p + i);
    if let Some(ls) = last_sep {
        if ls + 1 < e {
            let mut last = String::new();
            if let Some(s) = tok.get(ls + 1..e) {
                mask_token(s, &mut last, false);
            }
            if last.contains(VAR) {
                out.push_str(if b[ls] == b'/' { "/<*>/" } else { "<*>\\" });
                out.push_str(&last);
                return;
            }
        }
    }
    out.push_str(VAR);
}

/// End of the run of hex digits at `s`, scanning at most `max` of them.
fn hex_run(b: &[u8], s: usize, max: usize) -> usize {
    let mut j = s;
    while j < b.len() && j - s < max && b[j].is_ascii_hexdigit() {
        j += 1;
    }
    j
}

/// UUID `8-4-4-4-12`; returns its end.
fn match_uuid(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    for (k, want) in [8usize, 4, 4, 4, 12].into_iter().enumerate() {
        let e = hex_run(b, j, want + 1);
        if e - j != want {
            return None;
        }
        j = e;
        if k < 4 {
            if b.get(j) != Some(&b'-') {
                return None;
            }
            j += 1;
        }
    }
    if j < b.len() && is_word(b[j]) {
        return None;
    }
    Some(j)
}

/// MAC addresses and IPv6: six or more colon-separated hex groups, or a `::` form, with a digit.
/// `Err(k)`: nothing starting before `k` matches.
fn match_hex_colon(b: &[u8], i: usize) -> Result<usize, usize> {
    if !b[i].is_ascii_hexdigit() {
        return Err(i + 1);
    }
    let n = b.len();
    let (mut j, mut groups, mut empties, mut last_end, mut digit) = (i, 0, 0, i, false);
    loop {
        let e = hex_run(b, j, 5);
        let len = e - j;
        if len > 4 {
            return Err(e);
        }
        if len == 0 {
            empties += 1;
        } else {
            groups += 1;
            last_end = e;
            digit |= b[j..e].iter().any(|x| x.is_ascii_digit());
        }
        j = e;
        if j < n && b[j] == b':' {
            j += 1;
        } else {
            break;
        }
    }
    let ok = digit && ((groups >= 6 && empties == 0) || (empties >= 1 && groups >= 2));
    if ok && !(last_end < n && is_word(b[last_end])) {
        Ok(last_end)
    } else {
        // Later starts in `i..j` see fewer groups.
        Err(j.max(i + 1))
    }
}

/// Host names: `host:port` (with a dashed or dotted host), `host/1.2.3.4`, and dotted names whose
/// first label has a digit and whose last label looks like a TLD (`24-54-76-216.bflony.adelphia.net`).
/// `Err(k)`: do not try again before `k`.
fn match_host(b: &[u8], i: usize) -> Result<usize, usize> {
    if !b[i].is_ascii_alphanumeric() {
        return Err(i + 1);
    }
    let n = b.len();
    let mut j = i;
    while j < n && (b[j].is_ascii_alphanumeric() || b[j] == b'.' || b[j] == b'-') {
        j += 1;
    }
    // On failure, skip the rest of this run: restarting inside it rarely changes the outcome and
    // would make long dotted tokens quadratic.
    let fail = Err(j.max(i + 1));
    if j < n && is_word(b[j]) {
        return fail;
    }
    let mut e = j;
    while e > i && (b[e - 1] == b'.' || b[e - 1] == b'-') {
        e -= 1;
    }
    let name = &b[i..e];
    let dots = name.iter().filter(|&&x| x == b'.').count();
    let dashes = name.iter().filter(|&&x| x == b'-').count();
    let has_letter = name.iter().any(|x| x.is_ascii_alphabetic());
    if !has_letter {
        return fail;
    }
    if e == j && j < n && b[j] == b':' && (dashes > 0 || dots >= 2) {
        let mut k = j + 1;
        while k < n && b[k].is_ascii_digit() {
            k += 1;
        }
        let port_len = k - j - 1;
        let after_ok =
            k == n || !(is_word(b[k]) || b[k] == b':' || (b[k] == b'.' && k + 1 < n && b[k + 1].is_ascii_digit()));
        if (1..=5).contains(&port_len) && after_ok {
            return Ok(e);
        }
    }
    if e == j && j < n && b[j] == b'/' && match_ipv4(b, j + 1).is_some() {
        return Ok(e);
    }
    if dots >= 2 {
        let first_label = name.split(|&x| x == b'.').next().unwrap_or(&[]);
        let tld = name.rsplit(|&x| x == b'.').next().unwrap_or(&[]);
        if first_label.iter().any(|x| x.is_ascii_digit())
            && (2..=6).contains(&tld.len())
            && tld.iter().all(|x| x.is_ascii_alphabetic())
        {
            return Ok(e);
        }
    }
    fail
}

/// Dotted-quad IPv4 address; returns its end (a port is masked separately as a number).
fn match_ipv4(b: &[u8], i: usize) -> Option<usize> {
    let n = b.len();
    if i > 0 && b[i - 1] == b'.' {
        return None;
    }
    let mut j = i;
    for k in 0..4 {
        let s = j;
        while j < n && b[j].is_ascii_digit() && j - s < 4 {
            j += 1;
        }
        if j == s || j - s > 3 {
            return None;
        }
        if k < 3 {
            if j < n && b[j] == b'.' {
                j += 1;
            } else {
                return None;
            }
        }
    }
    if j < n && (is_word(b[j]) || (b[j] == b'.' && j + 1 < n && b[j + 1].is_ascii_digit())) {
        return None;
    }
    Some(j)
}

// ---------------------------------------------------------------------------------------------
// Template generalization

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Var,
    Word,
    Punct,
}

fn piece(s: &[u8], p: (usize, usize, Kind)) -> &[u8] {
    s.get(p.0..p.1).unwrap_or(&[])
}

fn pieces(s: &str) -> Vec<(usize, usize, Kind)> {
    let b = s.as_bytes();
    let mut v = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(VAR.as_bytes()) {
            v.push((i, i + 3, Kind::Var));
            i += 3;
        } else if is_word(b[i]) {
            let s0 = i;
            while i < b.len() && is_word(b[i]) {
                i += 1;
            }
            v.push((s0, i, Kind::Word));
        } else {
            v.push((i, i + 1, Kind::Punct));
            i += 1;
        }
    }
    v
}

/// Writes the most specific pattern covering both `a` (a template token) and `b` (a line token):
/// shared leading structure, `<*>`, shared trailing structure.
fn generalize(a: &str, b: &str, out: &mut String) {
    if a == VAR || b == VAR {
        out.push_str(VAR);
        return;
    }
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let (pa, pb) = (pieces(a), pieces(b));
    let mut p = 0;
    while p < pa.len() && p < pb.len() && piece(ab, pa[p]) == piece(bb, pb[p]) {
        p += 1;
    }
    let mut prefix_end = if p > 0 { pa[p - 1].1 } else { 0 };
    if p < pa.len() && p < pb.len() && pa[p].2 == Kind::Word && pb[p].2 == Kind::Word {
        // Numbered names (`storage12` vs `storage234`) keep their name.
        let (x, y) = (&ab[pa[p].0..pa[p].1], &bb[pb[p].0..pb[p].1]);
        let mut l = x.iter().zip(y).take_while(|(u, v)| u == v).count();
        while l > 0 && x[l - 1].is_ascii_digit() {
            l -= 1;
        }
        if l > 0 && x[l..].iter().all(u8::is_ascii_digit) && y[l..].iter().all(u8::is_ascii_digit) {
            prefix_end = pa[p].0 + l;
        }
    }
    // For `key=value` keep only the key (and an opening quote or bracket): values that differ are not
    // partly constant.
    if let Some(eq) = ab[..prefix_end].iter().rposition(|&x| x == b'=') {
        prefix_end = eq + 1;
        while prefix_end < ab.len()
            && prefix_end < bb.len()
            && ab[prefix_end] == bb[prefix_end]
            && matches!(ab[prefix_end], b'"' | b'\'' | b'(' | b'[' | b'{' | b'<')
        {
            prefix_end += 1;
        }
    }
    // Common trailing pieces, not overlapping the prefix.
    let max_s = (pa.len() - p).min(pb.len() - p);
    let mut s = 0;
    while s < max_s && piece(ab, pa[pa.len() - 1 - s]) == piece(bb, pb[pb.len() - 1 - s]) {
        s += 1;
    }
    let suffix = &pa[pa.len() - s..];
    let has_var = suffix.iter().any(|x| x.2 == Kind::Var);
    // Without a variable in it, a word-bearing suffix is usually part of the value (`.net)`): keep
    // only its trailing punctuation.
    let mut keep = s;
    if !has_var {
        keep = suffix.iter().rev().take_while(|x| x.2 == Kind::Punct).count();
    } else {
        // Never start the suffix in the middle of a word-led value.
        while keep > 0 && pa[pa.len() - keep].2 == Kind::Word {
            keep -= 1;
        }
    }
    let suffix_start = if keep > 0 { pa[pa.len() - keep].0 } else { a.len() };
    let suffix_start = suffix_start.max(prefix_end);
    let mut g = String::with_capacity(a.len().min(64));
    push_range(&mut g, a, 0, prefix_end);
    g.push_str(VAR);
    push_range(&mut g, a, suffix_start, a.len());
    out.push_str(&collapse_vars(&g));
}

/// Whether `text` matches `pattern`, where each `<*>` in the pattern matches any substring, even an
/// empty one (`()` and `(host)` are the same event).
fn glob_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split(VAR);
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else { return false };
    let Some(mut part) = parts.next() else { return rest.is_empty() };
    // Leftmost matching of the middle parts is optimal for `*`-only patterns; the last part must end `text`.
    for next in parts {
        match rest.find(part) {
            Some(pos) => rest = &rest[pos + part.len()..],
            None => return false,
        }
        part = next;
    }
    rest.ends_with(part)
}

/// Only `<*>` and punctuation, starting and ending with `<*>` (`<*>`, `<*>:<*>:<*>`).
fn is_var_only(s: &str) -> bool {
    s.starts_with(VAR) && s.ends_with(VAR) && s.replace(VAR, "").bytes().all(|b| b.is_ascii_punctuation())
}

/// Joins template tokens with spaces, except that a run of variable-only tokens containing a structured
/// one (`<*> <*> <*>:<*>:<*> <*>`, a generalized timestamp) is one multi-word value and becomes one
/// `<*>`-joined token; runs of plain `<*>` (`Fan speeds ( <*> <*> <*> )`) stay as they are.
fn render_collapsed(texts: &[&str]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < texts.len() {
        let mut j = i;
        while j < texts.len() && is_var_only(texts[j]) {
            j += 1;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        if j > i + 1 && texts[i..j].iter().any(|t| *t != VAR) {
            out.push_str(&collapse_vars(&texts[i..j].concat()));
            i = j;
        } else {
            out.push_str(texts[i]);
            i += 1;
        }
    }
    out
}

/// Replaces each run of variables separated only by spaces (`<*> <*>`, `<*><*>`) with one `<*>`.
fn collapse_vars(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find(VAR) {
        out.push_str(&rest[..pos]);
        out.push_str(VAR);
        rest = &rest[pos + VAR.len()..];
        loop {
            let t = rest.trim_start_matches(' ');
            match t.strip_prefix(VAR) {
                Some(r) => rest = r,
                None => break,
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(tok: &str) -> String {
        let mut out = String::new();
        mask_token(tok, &mut out, true);
        out
    }

    fn miner() -> TemplateMiner {
        TemplateMiner::new(MinerConfig::default())
    }

    #[test]
    fn masks_numbers_but_keeps_words() {
        assert_eq!(mask("42"), "<*>");
        assert_eq!(mask("=-1"), "=<*>");
        assert_eq!(mask("(-24.0,"), "(<*>.<*>,");
        assert_eq!(mask("0.023958297"), "<*>.<*>");
        assert_eq!(mask("2017-07-03"), "<*>-<*>-<*>");
        assert_eq!(mask("07:07:00"), "<*>:<*>:<*>");
        assert_eq!(mask("CPU#0"), "CPU#<*>");
        assert_eq!(mask("x[0]=317.0"), "x[<*>]=<*>.<*>");
        // Durations and sizes keep their unit.
        assert_eq!(mask("5ms"), "<*>ms");
        assert_eq!(mask("2.5s"), "<*>.<*>s");
        // Words with a digit, dotted names and plain words are constants until they vary.
        for keep in ["Failed", "workers2", "ee0", "com.apple.xpc", "tr.intent:Intent", "node-D"] {
            assert_eq!(mask(keep), keep);
        }
        assert_eq!(mask("node-246"), "node-<*>");
        assert_eq!(mask("v1.0.6"), "v<*>.<*>.<*>");
    }

    #[test]
    fn masks_hex_and_ids() {
        assert_eq!(mask("0x1feaa260"), "<*>");
        assert_eq!(mask("mask=ffffffff"), "mask=<*>");
        assert_eq!(mask("ActivityRecord{d1c8e63"), "ActivityRecord{<*>");
        assert_eq!(mask("blk_-6952295868487656571"), "blk_<*>");
        assert_eq!(mask("blk_38865049064139660"), "blk_<*>");
        assert_eq!(mask("attempt_1445144423722_0020_m_000000_0"), "attempt_<*>");
        assert_eq!(mask("'attempt_201706092018_0024_m_000003_1012'"), "'attempt_<*>'");
        assert_eq!(mask("rdd_2_0"), "rdd_<*>");
        // A multi-word name keeps its shape; only the numbers go.
        assert_eq!(mask("[DFSClient_NONMAPREDUCE_1537864556_1]"), "[DFSClient_NONMAPREDUCE_<*>_<*>]");
        assert_eq!(mask("30546173_4261722401"), "<*>_<*>");
        assert_eq!(mask("76FE6715-3D27-4F21-AA35-C88C1EA820E8"), "<*>-<*>-<*>-<*>-<*>");
        assert_eq!(mask("[10D2E324-788C-30CC-A749-55AE67AEC7BC]:"), "[<*>-<*>-<*>-<*>-<*>]:");
    }

    #[test]
    fn masks_addresses_hosts_paths_urls() {
        assert_eq!(mask("10.251.73.220:50010"), "<*>:<*>");
        assert_eq!(mask("/10.251.42.84"), "/<*>");
        assert_eq!(mask("[173.234.31.186]"), "[<*>]");
        assert_eq!(mask("rhost=218.188.2.4"), "rhost=<*>");
        assert_eq!(mask("2607:f140:6000:8:c6b3:1ff:fecd:467f"), "<*>");
        assert_eq!(mask("(FE80:0000:0000:0000:C6B3:01FF:FECD:467F)"), "(<*>)");
        assert_eq!(mask("fe80::1"), "<*>");
        assert_eq!(mask("5c:50:15:36:bc:03"), "<*>");
        assert_eq!(mask("msra-sa-41:9000"), "<*>:<*>");
        assert_eq!(mask("msra-sa-41/10.190.173.170:9000"), "<*>/<*>:<*>");
        assert_eq!(mask("(24-54-76-216.bflony.adelphia.net)"), "(<*>)");
        assert_eq!(mask("/etc/httpd/conf/workers2.properties"), "<*>");
        assert_eq!(mask("/mnt/hadoop/dfs/data/current/subdir5/blk_-178"), "/<*>/blk_<*>");
        assert_eq!(mask("chdir(/p/gb2/glosli/8M_5000K/t800)"), "chdir(<*>)");
        assert_eq!(mask("C:\\Windows\\servicing\\sqm\\*_std.sqm,"), "<*>,");
        assert_eq!(mask("hdfs://10.10.34.11:9000/pjhe/logs/2kSOSP.log:21876+7292"), "hdfs://<*>");
        assert_eq!(mask(":[akka.tcp://sparkExecutorActorSystem@mesos-slave-07:55904]"), ":[akka.tcp://<*>]");
        // Not addresses: times, versions, single path components.
        assert_eq!(mask("/default-rack"), "/default-rack");
        assert_eq!(mask("1.2.3.4.5"), "<*>.<*>.<*>.<*>.<*>");
        assert_eq!(mask("DAVEngineImpl.cpp:1400:Close"), "DAVEngineImpl.cpp:<*>:Close");
    }

    #[test]
    fn generalizes_keeping_structure() {
        let g = |a: &str, b: &str| {
            let mut out = String::new();
            generalize(a, b, &mut out);
            out
        };
        assert_eq!(g("name=com.android.systemui,", "name=com.tencent.mm,"), "name=<*>,");
        assert_eq!(g("tag=\"RILJ_ACK_WL\",", "tag=\"*launch*\","), "tag=\"<*>\",");
        assert_eq!(g("storage234", "storage12"), "storage<*>");
        assert_eq!(g("(host.example.net)", "(<*>)"), "(<*>)");
        assert_eq!(g("com.apple.icloud.fmfd.heartbeat:", "com.apple.xpc.launchd:"), "com.apple.<*>:");
        assert_eq!(g("Package_for_KB3121255~<*>,", "Package_for_KB2999226~<*>,"), "Package_for_KB<*>~<*>,");
        assert_eq!(g("Package_for_KB<*>~<*>,", "Package_2_for_KB2999226~<*>,"), "<*>~<*>,");
        assert_eq!(g("<*>.<*>", "<*>"), "<*>");
        assert_eq!(g("abc", "xyz"), "<*>");
        for (p, t, want) in [
            ("<*>", "", true),
            ("(<*>)", "()", true),
            ("(<*>)", "(a b)", true),
            ("a<*>b<*>c", "aXbYbc", true),
            ("a<*>b<*>c", "abc", true),
            ("a<*>b", "ab", true),
            ("a<*>b", "a", false),
            ("ab", "abc", false),
            ("<*>:<*>", "10", false),
        ] {
            assert_eq!(glob_match(p, t), want, "{p} vs {t}");
        }
    }

    #[test]
    fn same_template_joins_one_cluster() {
        let mut m = miner();
        let a = m.add("Received block blk_3587508140051953248 of size 67108864 from /10.251.42.84");
        let b = m.add("Received block blk_-5140072410813878235 of size 3543 from /10.250.18.114");
        assert_eq!(a, b);
        assert_eq!(m.template(a), "Received block blk_<*> of size <*> from /<*>");
        assert_eq!(m.count(a), 2);

        // Word variables generalize once they differ; the first id stays valid and follows the template.
        let s1 = m.add("session opened for user cyrus by (uid=0)");
        assert_eq!(m.template(s1), "session opened for user cyrus by (uid=<*>)");
        let s2 = m.add("session opened for user news by (uid=0)");
        let s3 = m.add("session opened for user root by (uid=0)");
        assert_eq!((s1, s1), (s2, s3));
        assert_eq!(m.template(s1), "session opened for user <*> by (uid=<*>)");
        assert_eq!(m.count(s1), 3);
    }

    #[test]
    fn variable_first_token_still_joins() {
        let mut m = miner();
        let a = m.add("com.apple.icloud.fmfd.heartbeat: scheduler_evaluate_activity told me to run this job; however, but the start time isn't for 439034 seconds.  Ignoring.");
        let b = m.add("com.apple.xpc.activity.stats: scheduler_evaluate_activity told me to run this job; however, but the start time isn't for 12 seconds.  Ignoring.");
        assert_eq!(a, b);
        assert!(m.template(a).starts_with("com.apple.<*>: scheduler_evaluate_activity"), "{}", m.template(a));
        // But a different leading word is a different event, even if the rest agrees.
        let f = m.add("Failed password for root from 5.36.59.76 port 42393 ssh2");
        let g = m.add("Accepted password for root from 5.36.59.76 port 42393 ssh2");
        assert_ne!(f, g);
    }

    #[test]
    fn different_token_count_or_constants_make_new_clusters() {
        let mut m = miner();
        let a = m.add("Invalid user webmaster from 173.234.31.186");
        let b = m.add("Invalid user webmaster from 173.234.31.186 port 22");
        assert_ne!(a, b);
        assert_eq!(m.template(a), "Invalid user webmaster from <*>");
        // Flags, enum-like words and layout tokens never generalize.
        let t = m.add("updateClipping isOverlap:true, getTopPadding=333.0, Translation=-529.0");
        let f = m.add("updateClipping isOverlap:false, getTopPadding=333.0, Translation=-24.0");
        assert_ne!(t, f);
        let x = m.add("attempt_1445144423722_0020_m_000000_0 TaskAttempt Transitioned from NEW to UNASSIGNED");
        let y = m.add("attempt_1445144423722_0020_m_000001_0 TaskAttempt Transitioned from UNASSIGNED to ASSIGNED");
        assert_ne!(x, y);
        let p = m.add("Fan speeds ( 3552 3534 3375 **** 3515 3479 )");
        let q = m.add("Fan speeds ( 3552 3534 3375 4245 3515 3479 )");
        assert_ne!(p, q);
        assert_eq!(m.template(q), "Fan speeds ( <*> <*> <*> <*> <*> <*> )");
        assert_eq!(m.templates().len(), 8);
        assert_eq!(m.templates().iter().map(|t| t.2).sum::<u64>(), 8);
    }

    #[test]
    fn quoted_phrase_is_one_token() {
        let mut m = miner();
        let a = m.add(r#"acquire lock=233570404, flags=0x1, tag="View Lock", name=com.android.systemui, ws=null, uid=10037, pid=2227"#);
        let b =
            m.add(r#"acquire lock=2, flags=0x1, tag="RILJ_ACK_WL", name=com.android.phone, ws=null, uid=1001, pid=2"#);
        assert_eq!(a, b);
        assert_eq!(m.template(a), r#"acquire lock=<*>, flags=<*>, tag="<*>", name=<*>, ws=null, uid=<*>, pid=<*>"#);
    }

    #[test]
    fn generalized_timestamp_renders_as_one_variable() {
        let lines = [
            "connection from 24.54.76.216 (24-54-76-216.bflony.adelphia.net) at Fri Jun 17 07:07:00 2005",
            "connection from 220.94.205.45 () at Sat Jul 18 02:23:10 2005",
        ];
        for (collapse, want) in [
            (true, "connection from <*> (<*>) at <*>:<*>:<*>"),
            (false, "connection from <*> (<*>) at <*> <*> <*> <*>:<*>:<*> <*>"),
        ] {
            let mut m = TemplateMiner::new(MinerConfig { collapse_variables: collapse, ..MinerConfig::default() });
            let ids: Vec<_> = lines.iter().map(|l| m.add(l)).collect();
            assert_eq!(ids[0], ids[1]);
            assert_eq!(m.template(ids[0]), want);
        }
        // Runs of plain numbers stay apart.
        let mut m = miner();
        let id = m.add("mod_jk child init 1 -2");
        assert_eq!(m.template(id), "mod_jk child init <*> <*>");
    }

    #[test]
    fn odd_input_does_not_panic() {
        let mut m = miner();
        let e1 = m.add("");
        let e2 = m.add("   \t ");
        assert_eq!(e1, e2);
        assert_eq!(m.template(e1), "");

        let p = m.add("!!! ??? ... ---> |");
        assert_eq!(m.template(p), "!!! ??? ... ---> |");

        for s in [
            "é ü 日本語 ①② x=é1",
            "ключ=значение1 ключ=значение2",
            "é_1 _é_2 ü-3 ①:② 日本.語/テスト",
            "\u{0}\u{7f}\u{feff}",
        ] {
            let id = m.add(s);
            assert!(!m.template(id).is_empty());
        }
        let u = m.add("ServerFileSystem domain storageé1 is full");
        let v = m.add("ServerFileSystem domain storageé22 is full");
        assert_eq!(u, v);
        assert_eq!(m.template(u), "ServerFileSystem domain storageé<*> is full");

        for s in [
            "tag=\"never closed",
            "\"",
            "=\"",
            "a \" b",
            "<*> <*><*>",
            "::::::",
            "0x",
            "blk_",
            "blk_-",
            "-",
            "/",
            "//",
            "\\\\?\\",
            "a:/b",
            "1.2.3.",
            "::1",
            "ab:cd:ef:01:23:45:",
        ] {
            let id = m.add(s);
            let _ = m.template(id);
        }

        let huge_token = "x".repeat(1 << 20);
        let id = m.add(&huge_token);
        assert_eq!(m.template(id), "<*>");
        let many = "word ".repeat(100_000);
        let id = m.add(&many);
        let t = m.template(id);
        assert_eq!(t.split(' ').count(), MinerConfig::default().max_tokens);
        assert!(t.ends_with("word <*>"));
        assert_eq!(m.template(u32::MAX), "");
        assert_eq!(m.count(u32::MAX), 0);
    }

    #[test]
    fn short_lines_merge_only_on_value_like_tokens() {
        let mut m = miner();
        let a = m.add("disk sda1 failed");
        let b = m.add("disk sdb12 failed");
        assert_eq!(a, b);
        assert_eq!(m.template(a), "disk <*> failed");
        let up = m.add("Link error");
        let ok = m.add("Link ok");
        assert_ne!(up, ok);
        let x = m.add("received broadcast android.intent.action.TIME_TICK");
        let y = m.add("received broadcast android.intent.action.SCREEN_ON");
        assert_eq!(x, y);
    }

    #[test]
    fn random_input_does_not_panic() {
        // Tiny LCG instead of a dependency; the alphabet is biased towards the characters the
        // masking rules look at.
        let alphabet: Vec<char> = "aZ09_-.:/\\=\"'()[]{}<>*@#,;+x fé日①\t".chars().collect();
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize
        };
        let mut m = TemplateMiner::new(MinerConfig { max_clusters: 500, ..MinerConfig::default() });
        let mut total = 0;
        for _ in 0..5_000 {
            let len = next() % 60;
            let line: String = (0..len).map(|_| alphabet[next() % alphabet.len()]).collect();
            let id = m.add(&line);
            total += 1;
            let _ = m.template(id);
        }
        assert_eq!(m.templates().iter().map(|t| t.2).sum::<u64>(), total);
    }

    #[test]
    fn cluster_count_is_bounded() {
        let cfg = MinerConfig { max_clusters: 3, ..MinerConfig::default() };
        let mut m = TemplateMiner::new(cfg);
        for i in 0..200 {
            let words = ["alpha", "beta", "gamma", "delta", "epsilon"];
            m.add(&format!(
                "{} {} x{} {}",
                words[i % 5],
                words[(i / 5) % 5],
                i,
                if i % 2 == 0 { "true" } else { "false" }
            ));
            m.add(&format!("{} only", words[i % 5]));
        }
        // Three regular clusters plus at most one catch-all per token count seen.
        assert!(m.templates().len() <= 3 + 2, "{:?}", m.templates());
        assert_eq!(m.templates().iter().map(|t| t.2).sum::<u64>(), 400);
    }
}
