//! The masking of repeated tokens, remembered.
//!
//! A log's paths, bracketed regions and `key=` words come from small vocabularies (`/api/users/me`,
//! `[us-east-1]`), and the general matchers spent about 1,700 instructions on each, half the masking of a
//! line (callgrind, 5 MB of generated logs). Masking is a function of the token alone, so a remembered
//! result is the result (`the_memo_masks_as_mask_token_does`). Unique tokens (request ids) must not push the
//! vocabulary out: a token is remembered only when its hash was seen before, and both tables are direct-mapped,
//! so a line costs the same bounded work whatever its tokens are.

use xxhash_rust::xxh3::xxh3_64;

use super::masking::{mask_fast, mask_general};

/// Remembered tokens (a power of two).
const SLOTS: usize = 1 << 10;
/// Hashes of tokens seen once (a power of two).
const SEEN: usize = 1 << 12;
/// Longer tokens are masked each time: they are rarely repeated.
const MAX_TOKEN: usize = 64;

#[derive(Debug)]
struct Entry {
    hash: u64,
    token: Box<str>,
    masked: Box<str>,
}

#[derive(Debug)]
pub(super) struct MaskMemo {
    slots: Vec<Option<Entry>>,
    seen: Vec<u64>,
    #[cfg(test)]
    pub hits: u64,
}

impl Default for MaskMemo {
    fn default() -> Self {
        MaskMemo {
            slots: std::iter::repeat_with(|| None).take(SLOTS).collect(),
            seen: vec![0; SEEN],
            #[cfg(test)]
            hits: 0,
        }
    }
}

impl MaskMemo {
    /// [`super::masking::mask_token`] with paths allowed, remembered for a token seen twice.
    pub(super) fn mask(&mut self, tok: &str, out: &mut String) {
        if mask_fast(tok, out) {
            return;
        }
        if tok.len() > MAX_TOKEN {
            mask_general(tok, out, true);
            return;
        }
        let hash = xxh3_64(tok.as_bytes());
        let slot = hash as usize & (SLOTS - 1);
        if let Some(e) = &self.slots[slot] {
            if e.hash == hash && *e.token == *tok {
                out.push_str(&e.masked);
                #[cfg(test)]
                {
                    self.hits += 1;
                }
                return;
            }
        }
        let start = out.len();
        mask_general(tok, out, true);
        let seen = &mut self.seen[(hash >> 32) as usize & (SEEN - 1)];
        if *seen == hash {
            let masked = out.get(start..).unwrap_or_default();
            self.slots[slot] = Some(Entry { hash, token: tok.into(), masked: masked.into() });
        } else {
            *seen = hash;
        }
    }
}
