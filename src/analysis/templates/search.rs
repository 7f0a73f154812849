//! Finding the family of a new kind of line: a shallow prefix tree on the leading words (as in
//! Drain), then similarity against the families found there, or against all families of the same
//! length when the tree has nothing.

use super::{Family, Node, TemplateMiner, NONE};
use crate::analysis::templates::classes::{keyable, plain};

impl TemplateMiner {
    pub(super) fn key_sym(&self, p: usize) -> Option<u32> {
        let u = self.s.units.get(p)?;
        (!u.slot && u.sym != NONE && self.syms.meta(u.sym).keyable).then_some(u.sym)
    }

    /// Walks the prefix tree without modifying it.
    pub(super) fn find_leaf(&self) -> Option<u32> {
        let n = self.s.units.len() as u32;
        let mut node = *self.roots.get(&n)?;
        for p in 0..self.s.units.len().min(self.cfg.depth) {
            let nd = self.nodes.get(node as usize)?;
            let child = self.key_sym(p).and_then(|k| nd.children.get(&k).copied());
            node = child.or(nd.wild)?;
        }
        Some(node)
    }

    /// Walks the prefix tree for the current line, creating nodes as needed; returns the leaf.
    pub(super) fn insert_path(&mut self) -> u32 {
        let n = self.s.units.len() as u32;
        let mut node = match self.roots.get(&n) {
            Some(&r) => r,
            None => {
                let r = self.new_node();
                self.roots.insert(n, r);
                r
            }
        };
        for p in 0..self.s.units.len().min(self.cfg.depth) {
            let u = self.s.units[p];
            let key = if !u.slot && keyable(self.key_text(p)) {
                let sym = if u.sym == NONE {
                    let text = if u.kstart == usize::MAX {
                        self.s.buf.get(u.start..u.end)
                    } else {
                        self.s.kbuf.get(u.kstart..u.kend)
                    };
                    self.syms.intern(text.unwrap_or(""))
                } else {
                    u.sym
                };
                self.s.units[p].sym = sym;
                Some(sym)
            } else {
                None
            };
            let existing = key.and_then(|k| self.nodes[node as usize].children.get(&k).copied());
            node = match (existing, key) {
                (Some(c), _) => c,
                (None, Some(k)) if self.nodes[node as usize].children.len() < self.cfg.max_children => {
                    let c = self.new_node();
                    self.nodes[node as usize].children.insert(k, c);
                    c
                }
                _ => match self.nodes[node as usize].wild {
                    Some(w) => w,
                    None => {
                        let w = self.new_node();
                        self.nodes[node as usize].wild = Some(w);
                        w
                    }
                },
            };
        }
        node
    }

    fn new_node(&mut self) -> u32 {
        self.nodes.push(Node::default());
        (self.nodes.len() - 1) as u32
    }

    /// The most similar family at or above `threshold`; ties keep the older one. With `strict_prefix`
    /// (fallback search), families that disagree on a plain word among the leading tokens are skipped:
    /// those are the constants the prefix tree relies on, so disagreement there means another event.
    pub(super) fn best_among(&self, cands: &[u32], threshold: f64, strict_prefix: bool) -> Option<u32> {
        let n = self.s.units.len();
        let mut best: Option<(u32, f64)> = None;
        for &f in cands.iter().take(self.cfg.max_scan) {
            let Some(fam) = self.families.get(f as usize) else { continue };
            if fam.n as usize != n || (strict_prefix && self.prefix_word_conflict(fam)) {
                continue;
            }
            let floor = best.map_or(threshold, |(_, b)| b.max(threshold));
            // One position off is always close enough (from three positions on): that is how a
            // sibling with another value there is found, whatever the length.
            let one_off = n >= 3 && self.mismatches(fam) <= 1;
            let floor = if one_off { 0.0 } else { floor };
            let Some(same) = self.score(fam, floor * n as f64) else { continue };
            let sim = if n == 0 { 1.0 } else { same / n as f64 };
            if (sim >= threshold || one_off) && best.is_none_or(|(_, b)| sim > b) {
                best = Some((f, sim));
                if same >= n as f64 {
                    break;
                }
            }
        }
        best.map(|(f, _)| f)
    }

    fn prefix_word_conflict(&self, fam: &Family) -> bool {
        (0..self.s.units.len().min(self.cfg.depth)).any(|p| {
            let u = self.s.units[p];
            !u.slot && !fam.var[p] && !fam.values[p].contains(&u.sym) && plain(self.unit_text(p))
        })
    }

    /// Positions whose value the family has not seen and that are not variables of it.
    fn mismatches(&self, fam: &Family) -> usize {
        let mut n = 0;
        for (p, u) in self.s.units.iter().enumerate() {
            let seen = u.sym != NONE && fam.values[p].contains(&u.sym);
            if !fam.var[p] && !seen {
                n += 1;
                if n > 1 {
                    break;
                }
            }
        }
        n
    }

    /// Similarity numerator: 1 per position whose value the family has seen or that is a variable of
    /// the family. `None` when it cannot reach `floor`.
    fn score(&self, fam: &Family, floor: f64) -> Option<f64> {
        let n = self.s.units.len() as f64;
        let mut lost = 0.0;
        for (p, u) in self.s.units.iter().enumerate() {
            // A variable of the family is weak evidence, as a bare `<*>` is in Drain.
            let w = if u.sym != NONE && fam.values[p].contains(&u.sym) {
                1.0
            } else if fam.var[p] {
                0.5
            } else {
                0.0
            };
            if w < 1.0 {
                lost += 1.0 - w;
                if n - lost < floor {
                    return None;
                }
            }
        }
        Some(n - lost)
    }
}
