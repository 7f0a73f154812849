//! The miner: skeletons, families, events, and the decision that a position is a variable.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

use super::classes::{class, date_word, empty_value, has_var, key_form, keyable, tok_info, unit_word, Class, TokInfo};
use super::generalise::{generalize, glob_match, render_collapsed};
use super::masking::{numbered_file, quoted_span, scan_token};
use super::memo::MaskMemo;
use super::{MinerConfig, TemplateId, VAR};

/// A symbol id that is not interned (a token no template holds yet).
const NONE: u32 = u32::MAX;
/// In a family key: a position that is a variable of the family.
const WILD: u32 = u32::MAX - 1;
/// `<*>` is interned first; as a value it stands for a slot.
const VAR_SYM: u32 = 0;
/// Distinct values remembered per family position (for similarity) and per sibling group.
const VALUES_CAP: usize = 32;
/// Skeletons remembered for the fast path before the cache starts over.
const EXACT_CAP: usize = 1 << 18;
/// Version of the saved form; 1 was the Drain-style miner (one template per cluster), still read.
const VERSION: u32 = 2;

/// Hasher for the integer-keyed maps. Keys are ids chosen by the miner or already mixed, not raw
/// input, so a multiplicative hash is safe; strings and skeletons keep std's keyed SipHash.
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

/// SplitMix64 finaliser: spreads a (position, symbol) pair over 64 bits.
fn mix(p: usize, v: u32) -> u64 {
    let mut z = ((p as u64) << 32 | u64::from(v)).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Per-symbol facts, computed once when a token is interned.
#[derive(Debug, Clone, Copy)]
struct SymMeta {
    /// Contains `<*>`.
    var: bool,
    keyable: bool,
    class: Class,
}

fn sym_meta(s: &str, verbs: bool) -> SymMeta {
    let var = has_var(s.as_bytes());
    SymMeta { var, keyable: keyable(s), class: class(s, verbs) }
}

/// Interned token texts. Only texts that a template, a family or the tree holds are interned, so
/// memory grows with the number of events, not with the number of distinct values seen.
#[derive(Debug, Default)]
struct Interner {
    map: HashMap<Box<str>, u32>,
    text: Vec<Box<str>>,
    meta: Vec<SymMeta>,
    verbs: bool,
}

impl Interner {
    fn new(verbs: bool, texts: Vec<Box<str>>) -> Self {
        let mut i = Interner { verbs, ..Interner::default() };
        i.intern(VAR);
        for t in texts {
            i.intern(&t);
        }
        i
    }

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
        self.meta.push(sym_meta(s, self.verbs));
        id
    }

    fn text(&self, id: u32) -> &str {
        self.text.get(id as usize).map_or(VAR, |s| &**s)
    }

    fn meta(&self, id: u32) -> SymMeta {
        self.meta.get(id as usize).copied().unwrap_or(SymMeta { var: true, keyable: false, class: Class::Id })
    }
}

/// An event: what `add` returns the id of. Merged events point at the one they joined.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Event {
    /// Itself, or the event it was merged into (always an older one).
    parent: u32,
    family: u32,
    count: u64,
    /// Per position: the constant's symbol, or `VAR_SYM` for a value slot (the event's key).
    vals: Vec<u32>,
    /// Per position: the template text covering every line so far.
    toks: Vec<u32>,
}

/// Lines of one length that are alike: the scope in which a position is judged a variable.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Family {
    n: u32,
    /// Positions found to be variables.
    var: Vec<bool>,
    /// Distinct values seen per position (up to `VALUES_CAP`), for similarity.
    values: Vec<Vec<u32>>,
    /// Its events that were not merged away, oldest first.
    events: Vec<u32>,
    /// Event per key (the values at the non-variable positions); rebuilt on load.
    #[serde(skip)]
    keys: HashMap<Vec<u32>, u32>,
    /// Sibling groups: events agreeing everywhere but at one position, keyed by a hash of that
    /// position and the rest; the distinct values they hold there. Rebuilt on load.
    #[serde(skip)]
    groups: IntMap<u64, Vec<u32>>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Node {
    children: IntMap<u32, u32>,
    wild: Option<u32>,
    #[serde(default)]
    families: Vec<u32>,
}

/// One token of the line being added: its masked text is `buf[start..end]`.
#[derive(Debug, Clone, Copy)]
struct Tok {
    start: usize,
    end: usize,
    info: TokInfo,
}

/// One position of the line: a constant token, or a slot (a run of value tokens).
#[derive(Debug, Clone, Copy)]
struct Unit {
    /// The text shown, `buf[start..end]`.
    start: usize,
    end: usize,
    /// The text that decides the event (see `classes::key_form`), `kbuf[kstart..kend]`; `usize::MAX`
    /// when that is the text shown.
    kstart: usize,
    kend: usize,
    slot: bool,
    /// Interned text of a constant (`NONE` if none yet), `VAR_SYM` for a slot.
    sym: u32,
}

/// Scratch buffers reused across calls to avoid per-line allocation.
#[derive(Debug, Default)]
struct Scratch {
    buf: String,
    kbuf: String,
    toks: Vec<Tok>,
    units: Vec<Unit>,
    skel: Vec<u8>,
    memo: MaskMemo,
}

/// Online template miner; see the module docs for the algorithm. It serializes whole (in a versioned
/// form that also reads the version 1 miner), so a data dir keeps its template ids between runs.
#[derive(Debug)]
pub struct TemplateMiner {
    cfg: MinerConfig,
    syms: Interner,
    events: Vec<Event>,
    families: Vec<Family>,
    nodes: Vec<Node>,
    /// Tree root per length (positions).
    roots: IntMap<u32, u32>,
    /// All families per length, for the fallback search.
    by_len: IntMap<u32, Vec<u32>>,
    /// Catch-all event per length, used once `max_clusters` is reached.
    overflow: IntMap<u32, u32>,
    /// Skeleton → event: the fast path. A cache, not saved.
    exact: HashMap<Box<[u8]>, u32>,
    s: Scratch,
}

impl TemplateMiner {
    pub fn new(cfg: MinerConfig) -> Self {
        let mut cfg = cfg;
        // Guard against degenerate settings instead of failing later.
        cfg.max_tokens = cfg.max_tokens.clamp(1, 1 << 16);
        cfg.max_scan = cfg.max_scan.max(1);
        cfg.max_clusters = cfg.max_clusters.clamp(1, (u32::MAX >> 2) as usize);
        for k in [&mut cfg.merge_words, &mut cfg.merge_caps, &mut cfg.merge_ids] {
            *k = (*k).max(2);
        }
        TemplateMiner {
            syms: Interner::new(cfg.verbs_are_states, Vec::new()),
            cfg,
            events: Vec::new(),
            families: Vec::new(),
            nodes: Vec::new(),
            roots: IntMap::default(),
            by_len: IntMap::default(),
            overflow: IntMap::default(),
            exact: HashMap::new(),
            s: Scratch::default(),
        }
    }

    /// Adds one log message (one line, no trailing newline); returns the id of its event. Ids are
    /// stable: the id names that event for good, though its template may generalize and other events
    /// may be merged into it (see [`TemplateMiner::canonical`]).
    pub fn add(&mut self, line: &str) -> TemplateId {
        self.tokenize(line);
        self.build_units();
        if let Some(&e) = self.exact.get(&self.s.skel[..]) {
            let root = self.find(e);
            if root != e {
                // Merged since: remember the event itself, so the next such line goes there at once.
                if let Some(x) = self.exact.get_mut(&self.s.skel[..]) {
                    *x = root;
                }
            }
            self.join(root);
            return root;
        }
        self.lookup_syms();
        let e = self.place();
        self.join(e);
        if self.exact.len() >= EXACT_CAP {
            self.exact.clear();
        }
        self.exact.insert(self.s.skel.as_slice().into(), e);
        e
    }

    /// The event's current template, tokens joined by single spaces, variables written `<*>`.
    pub fn template(&self, id: TemplateId) -> String {
        let Some(e) = self.events.get(self.find(id) as usize) else {
            return String::new();
        };
        let texts: Vec<&str> = e.toks.iter().flat_map(|&s| self.syms.text(s).split(' ')).collect();
        if self.cfg.collapse_variables {
            render_collapsed(&texts)
        } else {
            texts.join(" ")
        }
    }

    /// Number of lines of the event (with those of the events merged into it).
    pub fn count(&self, id: TemplateId) -> u64 {
        self.events.get(self.find(id) as usize).map_or(0, |e| e.count)
    }

    /// The id that `id`'s event now goes by: itself, or the older event it was merged into. Two lines
    /// are of the same event exactly when their ids have the same canonical id.
    pub fn canonical(&self, id: TemplateId) -> TemplateId {
        self.find(id)
    }

    /// Every id that names the same event as `id` (itself included), oldest first: what a caller that
    /// counted lines per id, or stored ids, adds up to follow the event.
    pub fn aliases(&self, id: TemplateId) -> Vec<TemplateId> {
        if id as usize >= self.events.len() {
            return Vec::new();
        }
        let c = self.find(id);
        (0..self.events.len() as u32).filter(|&i| self.find(i) == c).collect()
    }

    /// Number of ids given out; ids are `0..len()`.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// All events (canonical ids only), as (id, template, count).
    pub fn templates(&self) -> Vec<(TemplateId, String, u64)> {
        (0..self.events.len() as u32)
            .filter(|&id| self.events[id as usize].parent == id)
            .map(|id| (id, self.template(id), self.count(id)))
            .collect()
    }

    /// The event `id` now belongs to. A parent is always an older event (checked on load), so this
    /// ends.
    fn find(&self, id: u32) -> u32 {
        let mut id = id;
        while let Some(e) = self.events.get(id as usize) {
            if e.parent >= id {
                break;
            }
            id = e.parent;
        }
        id
    }

    // -----------------------------------------------------------------------------------------
    // Reading a line

    /// Splits on ASCII whitespace and masks each token into `buf`, tokens separated by one space.
    fn tokenize(&mut self, line: &str) {
        let s = &mut self.s;
        s.buf.clear();
        s.toks.clear();
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
            if !s.buf.is_empty() {
                s.buf.push(' ');
            }
            let start = s.buf.len();
            // Whether the token has a dot (a file name needs one).
            let mut scan_dot = false;
            if s.toks.len() + 1 == max_tokens {
                // The tail of an over-long line is one variable: bounds per-line cost.
                s.buf.push_str(VAR);
                pos = b.len();
            } else {
                let scan = scan_token(b, pos);
                scan_dot = scan.dot || scan.quote;
                let mut end = scan.end;
                let quoted = if scan.quote { quoted_span(b, pos, end) } else { None };
                if let Some(qend) = quoted {
                    end = qend;
                }
                let tok = line.get(pos..end).unwrap_or("");
                if tok.len() > self.cfg.max_token_len {
                    s.buf.push_str(VAR);
                } else if quoted.is_none() && scan.verbatim && !scan.lt {
                    // The common case: a word masking leaves as it is.
                    s.buf.push_str(tok);
                    pos = skip_ws(end);
                    let info = TokInfo { var: false, var_only: tok.len() <= 3 && empty_value(tok.as_bytes()) };
                    s.toks.push(Tok { start, end: s.buf.len(), info });
                    continue;
                } else if quoted.is_none() {
                    s.memo.mask(tok, &mut s.buf);
                } else {
                    // A quoted value is one token; its words are masked one by one.
                    for (k, word) in tok.split_ascii_whitespace().enumerate() {
                        if k > 0 {
                            s.buf.push(' ');
                        }
                        s.memo.mask(word, &mut s.buf);
                    }
                }
                pos = skip_ws(end);
            }
            if scan_dot && s.buf.as_bytes()[start..].contains(&b'<') {
                if let Some((a, e)) = numbered_file(s.buf.get(start..).unwrap_or("")) {
                    s.buf.replace_range(start + a..start + e, VAR);
                }
            }
            let info = tok_info(s.buf.get(start..).unwrap_or(""));
            s.toks.push(Tok { start, end: s.buf.len(), info });
        }
    }

    /// Groups tokens into positions (runs of value tokens become one slot) and writes the skeleton.
    fn build_units(&mut self) {
        let s = &mut self.s;
        s.units.clear();
        s.skel.clear();
        s.kbuf.clear();
        let t = &s.toks;
        let n = t.len();
        let text = |k: usize| s.buf.get(t[k].start..t[k].end).unwrap_or("");
        let date = |k: usize| !t[k].info.var && date_word(text(k));
        // A date word counts as a value when one or two of them lead to a number.
        let starts_date = |k: usize| {
            (k + 1 < n && t[k + 1].info.var_only && date(k))
                || (k + 2 < n && t[k + 2].info.var_only && date(k) && date(k + 1))
        };
        let mut i = 0;
        while i < n {
            if t[i].info.var_only || starts_date(i) {
                let mut j = i + 1;
                while j < n {
                    let prev_var = t[j - 1].info.var_only;
                    let follows = prev_var && !t[j].info.var && (unit_word(text(j)) || date(j));
                    if t[j].info.var_only || follows || starts_date(j) {
                        j += 1;
                    } else {
                        break;
                    }
                }
                s.units.push(Unit {
                    start: t[i].start,
                    end: t[j - 1].end,
                    kstart: 0,
                    kend: 0,
                    slot: true,
                    sym: VAR_SYM,
                });
                s.skel.push(0xff);
                i = j;
            } else {
                let text = s.buf.get(t[i].start..t[i].end).unwrap_or("");
                let (kstart, kend) = if t[i].info.var {
                    let k = s.kbuf.len();
                    key_form(text, &mut s.kbuf);
                    (k, s.kbuf.len())
                } else {
                    (usize::MAX, usize::MAX)
                };
                let key = if kstart == usize::MAX { text } else { s.kbuf.get(kstart..kend).unwrap_or("") };
                s.skel.extend_from_slice(key.as_bytes());
                s.units.push(Unit { start: t[i].start, end: t[i].end, kstart, kend, slot: false, sym: NONE });
                // Not UTF-8, so no token can hold it: the encoding is unambiguous.
                s.skel.push(0xfe);
                i += 1;
            }
        }
    }

    fn unit_text(&self, p: usize) -> &str {
        self.s.units.get(p).and_then(|u| self.s.buf.get(u.start..u.end)).unwrap_or("")
    }

    fn key_text(&self, p: usize) -> &str {
        let Some(u) = self.s.units.get(p) else { return "" };
        let t = if u.kstart == usize::MAX { self.s.buf.get(u.start..u.end) } else { self.s.kbuf.get(u.kstart..u.kend) };
        t.unwrap_or("")
    }

    fn lookup_syms(&mut self) {
        for p in 0..self.s.units.len() {
            if !self.s.units[p].slot {
                let sym = self.syms.get(self.key_text(p));
                self.s.units[p].sym = sym;
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Families and events

    /// Finds or makes the event of a line whose skeleton is new.
    fn place(&mut self) -> u32 {
        let n = self.s.units.len() as u32;
        let leaf = self.find_leaf();
        let mut best =
            leaf.and_then(|l| self.best_among(&self.nodes[l as usize].families, self.cfg.similarity_threshold, false));
        let mut via_fallback = false;
        if best.is_none() {
            best = self.by_len.get(&n).and_then(|c| self.best_among(c, self.cfg.fallback_threshold, true));
            via_fallback = best.is_some();
        }
        let full = self.events.len() >= self.cfg.max_clusters;
        let f = match best {
            Some(f) => {
                if via_fallback {
                    // Register the family under this line's prefix so the next such line finds it directly.
                    let node = self.insert_path();
                    let nd = &mut self.nodes[node as usize];
                    if !nd.families.contains(&f) {
                        nd.families.push(f);
                    }
                }
                f
            }
            None if full => {
                // At capacity: a lossy assignment beats unbounded growth (one catch-all per length).
                if let Some(&e) = self.overflow.get(&n) {
                    return self.find(e);
                }
                let f = self.new_family();
                let e = self.create_event(f);
                self.overflow.insert(n, e);
                return e;
            }
            None => self.new_family(),
        };
        let key = self.line_key(f);
        if !key.contains(&NONE) {
            if let Some(&e) = self.families[f as usize].keys.get(&key) {
                return self.find(e);
            }
        }
        if full {
            if let Some(&e) = self.families[f as usize].events.first() {
                return self.find(e);
            }
        }
        self.create_event(f)
    }

    /// The line's values at the family's non-variable positions.
    fn line_key(&self, f: u32) -> Vec<u32> {
        let fam = &self.families[f as usize];
        self.s.units.iter().zip(&fam.var).map(|(u, &v)| if v { WILD } else { u.sym }).collect()
    }

    fn event_key(&self, f: u32, e: u32) -> Vec<u32> {
        let fam = &self.families[f as usize];
        self.events[e as usize].vals.iter().zip(&fam.var).map(|(&x, &v)| if v { WILD } else { x }).collect()
    }

    fn new_family(&mut self) -> u32 {
        let n = self.s.units.len();
        let id = self.families.len() as u32;
        self.families.push(Family {
            n: n as u32,
            var: vec![false; n],
            values: vec![Vec::new(); n],
            ..Family::default()
        });
        let leaf = self.insert_path();
        self.nodes[leaf as usize].families.push(id);
        self.by_len.entry(n as u32).or_default().push(id);
        id
    }

    fn create_event(&mut self, f: u32) -> u32 {
        let n = self.s.units.len();
        let (mut vals, mut toks) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for p in 0..n {
            let u = self.s.units[p];
            let text = self.s.buf.get(u.start..u.end).unwrap_or("");
            toks.push(self.syms.intern(text));
            let v = if u.slot {
                VAR_SYM
            } else {
                let key = if u.kstart == usize::MAX { text } else { self.s.kbuf.get(u.kstart..u.kend).unwrap_or("") };
                self.syms.intern(key)
            };
            vals.push(v);
            self.s.units[p].sym = v;
        }
        let id = self.events.len() as u32;
        self.events.push(Event { parent: id, family: f, count: 0, vals, toks });
        let key = self.event_key(f, id);
        let fam = &mut self.families[f as usize];
        fam.keys.insert(key.clone(), id);
        fam.events.push(id);
        for (p, &v) in key.iter().enumerate() {
            if v != WILD && fam.values[p].len() < VALUES_CAP && !fam.values[p].contains(&v) {
                fam.values[p].push(v);
            }
        }
        let mut flips = self.add_to_groups(f, id);
        if self.cfg.family_values {
            let fam = &self.families[f as usize];
            for (p, vals) in fam.values.iter().enumerate() {
                if !fam.var[p] && vals.len() >= 2 && vals.len() >= self.needed(vals) && !flips.contains(&p) {
                    flips.push(p);
                }
            }
        }
        if !flips.is_empty() {
            self.flip(f, flips);
        }
        self.find(id)
    }

    /// Distinct values a sibling group must hold before its position is a variable.
    fn needed(&self, values: &[u32]) -> usize {
        // A position that held a number (a slot) is a value position: names suffice there.
        let numeric = values.contains(&VAR_SYM);
        let mut k = self.cfg.merge_ids;
        for &v in values {
            let need = if v == VAR_SYM {
                self.cfg.merge_ids
            } else {
                match self.syms.meta(v).class {
                    Class::Hard => usize::MAX,
                    Class::Caps | Class::Word if numeric => self.cfg.merge_ids,
                    Class::Caps => self.cfg.merge_caps,
                    Class::Word => self.cfg.merge_words,
                    Class::Id => self.cfg.merge_ids,
                }
            };
            k = k.max(need);
        }
        k
    }

    /// Enters event `e` in its family's sibling groups; returns the positions that now have enough
    /// distinct values to be variables.
    fn add_to_groups(&mut self, f: u32, e: u32) -> Vec<usize> {
        let key = self.event_key(f, e);
        let base = key.iter().enumerate().fold(0u64, |h, (p, &v)| h.wrapping_add(mix(p, v)));
        let mut flips = Vec::new();
        for (p, &v) in key.iter().enumerate() {
            if v == WILD {
                continue;
            }
            let gh = base.wrapping_sub(mix(p, v)).wrapping_add(mix(p, WILD)) ^ (p as u64).wrapping_mul(0x9e37_79b9);
            let g = self.families[f as usize].groups.entry(gh).or_default();
            if !g.contains(&v) && g.len() < VALUES_CAP {
                g.push(v);
            }
            if g.len() >= 2 {
                let g = g.clone();
                if g.len() >= self.needed(&g) {
                    flips.push(p);
                }
            }
        }
        flips
    }

    /// Makes positions variables of family `f` and merges the events that now share a key; repeats
    /// while the merged events make further positions variables.
    fn flip(&mut self, f: u32, mut ps: Vec<usize>) {
        while !ps.is_empty() {
            for &p in &ps {
                if let Some(v) = self.families[f as usize].var.get_mut(p) {
                    *v = true;
                }
            }
            let evs = std::mem::take(&mut self.families[f as usize].events);
            self.families[f as usize].keys.clear();
            self.families[f as usize].groups.clear();
            let mut survivors = Vec::with_capacity(evs.len());
            for e in evs {
                let key = self.event_key(f, e);
                match self.families[f as usize].keys.get(&key) {
                    Some(&into) => self.merge(into, e),
                    None => {
                        self.families[f as usize].keys.insert(key, e);
                        survivors.push(e);
                    }
                }
            }
            self.families[f as usize].events = survivors.clone();
            ps.clear();
            for e in survivors {
                ps.extend(self.add_to_groups(f, e));
            }
            ps.sort_unstable();
            ps.dedup();
        }
    }

    /// Merges event `from` into the older `into`, generalizing the template where they differ.
    fn merge(&mut self, into: u32, from: u32) {
        let (a, b) = (into as usize, from as usize);
        self.events[b].parent = into;
        self.events[a].count += self.events[b].count;
        for p in 0..self.events[a].toks.len().min(self.events[b].toks.len()) {
            let (x, y) = (self.events[a].toks[p], self.events[b].toks[p]);
            if x == y {
                continue;
            }
            let slot = self.events[a].vals[p] == VAR_SYM || self.events[b].vals[p] == VAR_SYM;
            let g = generalize_unit(self.syms.text(x), self.syms.text(y), slot);
            self.events[a].toks[p] = self.syms.intern(&g);
        }
    }

    /// Counts the line into event `e`, generalizing the template positions the line disagrees with.
    fn join(&mut self, e: u32) {
        let Some(ev) = self.events.get(e as usize) else { return };
        let mut updates: Vec<(usize, String)> = Vec::new();
        for (p, &t) in ev.toks.iter().enumerate() {
            let text = self.unit_text(p);
            let tpl = self.syms.text(t);
            if tpl == text || (self.syms.meta(t).var && glob_match(tpl, text)) {
                continue;
            }
            let slot = ev.vals.get(p) == Some(&VAR_SYM) || self.s.units.get(p).is_some_and(|u| u.slot);
            updates.push((p, generalize_unit(tpl, text, slot)));
        }
        for (p, g) in updates {
            let s = self.syms.intern(&g);
            if let Some(slot) = self.events[e as usize].toks.get_mut(p) {
                *slot = s;
            }
        }
        self.events[e as usize].count += 1;
    }
}

/// The pattern covering two texts of one position: token by token when both have as many tokens
/// (a slot such as `<*> bytes`); else one `<*>` for a slot, and the shared structure of the two for a
/// constant (a quoted value such as `tag="View Lock",`).
fn generalize_unit(a: &str, b: &str, slot: bool) -> String {
    if a == VAR || b == VAR {
        return VAR.to_string();
    }
    let (na, nb) = (a.split(' ').count(), b.split(' ').count());
    if na != nb {
        let mut out = String::new();
        if slot {
            out.push_str(VAR);
        } else {
            generalize(a, b, &mut out);
        }
        return out;
    }
    let mut out = String::with_capacity(a.len());
    for (k, (x, y)) in a.split(' ').zip(b.split(' ')).enumerate() {
        if k > 0 {
            out.push(' ');
        }
        if x == y || (x != VAR && glob_match(x, y)) {
            out.push_str(x);
        } else {
            generalize(x, y, &mut out);
        }
    }
    out
}

#[path = "saved.rs"]
mod saved;
#[path = "search.rs"]
mod search;

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
