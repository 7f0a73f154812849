//! The saved form of the miner: versioned; version 1 (the Drain-style miner) is still read, its
//! cluster ids carried over as event ids. Caches and indexes are rebuilt on load, not saved.

use serde::{Deserialize, Serialize};

use super::{Event, Family, IntMap, Interner, Node, TemplateMiner, VERSION};
use crate::analysis::templates::{MinerConfig, VAR};

#[derive(Serialize)]
struct SavedRef<'a> {
    version: u32,
    cfg: &'a MinerConfig,
    syms: &'a [Box<str>],
    events: &'a [Event],
    families: &'a [Family],
    nodes: &'a [Node],
    roots: &'a IntMap<u32, u32>,
    by_len: &'a IntMap<u32, Vec<u32>>,
    overflow: &'a IntMap<u32, u32>,
}

impl Serialize for TemplateMiner {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        SavedRef {
            version: VERSION,
            cfg: &self.cfg,
            syms: &self.syms.text,
            events: &self.events,
            families: &self.families,
            nodes: &self.nodes,
            roots: &self.roots,
            by_len: &self.by_len,
            overflow: &self.overflow,
        }
        .serialize(s)
    }
}

/// The saved form as read: version 2 (the current one) or version 1 (no `version`; Drain-style
/// clusters, one template each, of which only the templates and counts are needed to carry their
/// ids over).
#[derive(Deserialize)]
struct Saved {
    #[serde(default)]
    version: u32,
    #[serde(default)]
    cfg: MinerConfig,
    syms: Syms,
    #[serde(default)]
    events: Vec<Event>,
    #[serde(default)]
    families: Vec<Family>,
    #[serde(default)]
    nodes: Vec<Node>,
    #[serde(default)]
    roots: IntMap<u32, u32>,
    #[serde(default)]
    by_len: IntMap<u32, Vec<u32>>,
    #[serde(default)]
    overflow: IntMap<u32, u32>,
    /// Version 1 only.
    #[serde(default)]
    clusters: Vec<SavedV1Cluster>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Syms {
    List(Vec<Box<str>>),
    V1 { text: Vec<Box<str>> },
}

#[derive(Deserialize)]
struct SavedV1Cluster {
    tokens: Vec<u32>,
    count: u64,
}

impl<'de> Deserialize<'de> for TemplateMiner {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Saved::deserialize(d)?;
        match s.version {
            VERSION => TemplateMiner::from_saved(s).map_err(serde::de::Error::custom),
            0 => Ok(TemplateMiner::from_v1(s)),
            v => Err(serde::de::Error::custom(format!("template miner version {v} (this build reads 1 and 2)"))),
        }
    }
}

impl TemplateMiner {
    fn from_saved(s: Saved) -> Result<Self, String> {
        let mut m = TemplateMiner::new(s.cfg);
        let syms = match s.syms {
            Syms::List(t) | Syms::V1 { text: t } => t,
        };
        if syms.first().map(|t| &**t) != Some(VAR) {
            return Err("saved template symbols do not start with <*>".into());
        }
        m.syms = Interner::new(m.cfg.verbs_are_states, syms);
        let (nsyms, nev, nfam, nnodes) =
            (m.syms.text.len() as u32, s.events.len() as u32, s.families.len() as u32, s.nodes.len() as u32);
        // Validate every index so that a damaged file fails here, not with a panic later.
        for (i, e) in s.events.iter().enumerate() {
            let ok = e.parent <= i as u32
                && e.family < nfam
                && e.vals.len() == e.toks.len()
                && e.toks.iter().all(|&t| t < nsyms)
                && e.vals.iter().all(|&t| t < nsyms)
                && s.families[e.family as usize].n as usize == e.toks.len();
            if !ok {
                return Err(format!("saved template event {i} is inconsistent"));
            }
        }
        for (i, f) in s.families.iter().enumerate() {
            let n = f.n as usize;
            let ok = f.var.len() == n
                && f.values.len() == n
                && f.values.iter().flatten().all(|&v| v < nsyms)
                && f.events.iter().all(|&e| e < nev && s.events[e as usize].family == i as u32);
            if !ok {
                return Err(format!("saved template family {i} is inconsistent"));
            }
        }
        let node_ok = |nd: &Node| {
            nd.children.iter().all(|(&k, &c)| k < nsyms && c < nnodes)
                && nd.wild.is_none_or(|w| w < nnodes)
                && nd.families.iter().all(|&f| f < nfam)
        };
        if !s.nodes.iter().all(node_ok)
            || !s.roots.values().all(|&r| r < nnodes)
            || !s.by_len.values().flatten().all(|&f| f < nfam)
            || !s.overflow.values().all(|&e| e < nev)
        {
            return Err("saved template tree is inconsistent".into());
        }
        m.events = s.events;
        m.families = s.families;
        m.nodes = s.nodes;
        m.roots = s.roots;
        m.by_len = s.by_len;
        m.overflow = s.overflow;
        for f in 0..m.families.len() as u32 {
            for e in m.families[f as usize].events.clone() {
                let key = m.event_key(f, e);
                m.families[f as usize].keys.insert(key, e);
                m.add_to_groups(f, e);
            }
        }
        Ok(m)
    }

    /// Carries a version 1 miner over: cluster `i` becomes event `i` (merged into an older one if
    /// its template falls in the same event), with its count, so stored ids keep their meaning.
    fn from_v1(s: Saved) -> Self {
        let mut m = TemplateMiner::new(MinerConfig::default());
        let syms = match s.syms {
            Syms::List(t) | Syms::V1 { text: t } => t,
        };
        for c in s.clusters {
            let text: Vec<&str> = c.tokens.iter().map(|&t| syms.get(t as usize).map_or(VAR, |x| &**x)).collect();
            m.import(&text.join(" "), c.count);
        }
        m
    }

    /// Adds a template as one new id holding `count` lines.
    fn import(&mut self, template: &str, count: u64) {
        self.tokenize(template);
        self.build_units();
        self.lookup_syms();
        let next = self.events.len() as u32;
        let e = self.place();
        if self.events.len() == next as usize {
            // Same event as an older id: this id becomes another name for it.
            let (family, vals, toks) = {
                let ev = &self.events[e as usize];
                (ev.family, ev.vals.clone(), ev.toks.clone())
            };
            self.events.push(Event { parent: e, family, count: 0, vals, toks });
        }
        let root = self.find(next);
        self.events[root as usize].count += count;
    }
}
