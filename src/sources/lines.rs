//! A line reader for untrusted files: bounded memory for any line length, byte offsets
//! and a running hash of everything consumed (the manifest's prefix hash).

use std::io::{self, BufRead};

use xxhash_rust::xxh3::Xxh3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineInfo {
    /// 1-based line number.
    pub no: u64,
    /// Byte offset of the line's first byte.
    pub start: u64,
    /// Length of the whole line without its terminator, even when truncated.
    pub len: u64,
    pub truncated: bool,
    /// Whether a `\n` ended the line: the last line of a file that is still being written may not be complete.
    pub terminated: bool,
    /// Hash of everything before the line: a resume point at `start` that the manifest can verify.
    pub prefix_hash: u64,
}

/// A truncated line keeps its last bytes too: ids and durations often end a line.
const TAIL: usize = 4096;
const MARK: &[u8] = " \u{2026}[truncated] ".as_bytes();

pub struct LineReader<R> {
    inner: R,
    tail: Vec<u8>,
    offset: u64,
    line_no: u64,
    max: usize,
    hasher: Xxh3,
}

impl<R: BufRead> LineReader<R> {
    /// `offset`, `line_no` and `hasher` describe what was consumed before `inner`'s position.
    pub fn new(inner: R, offset: u64, line_no: u64, hasher: Xxh3, max: usize) -> Self {
        LineReader { inner, tail: Vec::new(), offset, line_no, max: max.max(2 * TAIL), hasher }
    }

    pub fn offset(&self) -> u64 {
        self.offset
    }

    pub fn prefix_hash(&self) -> u64 {
        self.hasher.digest()
    }

    /// Reads the next line into `buf` (without `\n` or `\r\n`). A line longer than
    /// `max` keeps its head and its last 4 KiB around a `…[truncated]` mark. `None` at
    /// end of input.
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<LineInfo>> {
        buf.clear();
        self.tail.clear();
        let head_max = self.max - TAIL - MARK.len();
        let start = self.offset;
        let prefix_hash = self.hasher.digest();
        let mut len = 0u64;
        let mut saw_any = false;
        let mut terminated = false;
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                break;
            }
            saw_any = true;
            let (take, done) = match memchr::memchr(b'\n', avail) {
                Some(i) => (i + 1, true),
                None => (avail.len(), false),
            };
            let content = if done { &avail[..take - 1] } else { &avail[..take] };
            let room = head_max.saturating_sub(buf.len());
            let (head, over) = content.split_at(content.len().min(room));
            buf.extend_from_slice(head);
            if !over.is_empty() {
                self.tail.extend_from_slice(over);
                if self.tail.len() > 2 * TAIL {
                    self.tail.drain(..self.tail.len() - TAIL);
                }
            }
            len += content.len() as u64;
            self.hasher.update(&avail[..take]);
            self.inner.consume(take);
            self.offset += take as u64;
            if done {
                terminated = true;
                break;
            }
        }
        if !saw_any {
            return Ok(None);
        }
        let truncated = !self.tail.is_empty();
        let strip_cr = |v: &mut Vec<u8>, len: &mut u64| {
            if v.last() == Some(&b'\r') {
                v.pop();
                *len -= 1;
            }
        };
        if truncated {
            strip_cr(&mut self.tail, &mut len);
            // Cut at character boundaries, so truncation alone never makes invalid UTF-8.
            if let Err(e) = std::str::from_utf8(buf) {
                if e.error_len().is_none() {
                    buf.truncate(e.valid_up_to());
                }
            }
            let mut from = self.tail.len() - self.tail.len().min(TAIL);
            while self.tail.get(from).is_some_and(|b| b & 0xc0 == 0x80) {
                from += 1;
            }
            buf.extend_from_slice(MARK);
            buf.extend_from_slice(&self.tail[from..]);
        } else {
            strip_cr(buf, &mut len);
        }
        self.line_no += 1;
        Ok(Some(LineInfo { no: self.line_no, start, len, truncated, terminated, prefix_hash }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_bounded_and_offsets_exact() {
        let mut data = b"first\r\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', 100_000));
        data.extend_from_slice(b"\nlast");
        data.truncate(data.len() - 5);
        data.extend_from_slice(b"END-ID\nlast");
        let mut r = LineReader::new(io::BufReader::with_capacity(4096, &data[..]), 0, 0, Xxh3::new(), 10_000);
        let mut buf = Vec::new();
        let a = r.next_line(&mut buf).unwrap().unwrap();
        assert_eq!((buf.as_slice(), a.start, a.no, a.truncated), (&b"first"[..], 0, 1, false));
        let b = r.next_line(&mut buf).unwrap().unwrap();
        assert_eq!((buf.len(), b.len, b.start, b.truncated), (10_000, 100_006, 7, true));
        assert!(buf.ends_with(b"xxEND-ID"));
        assert!(buf.windows(MARK.len()).any(|w| w == MARK));
        let c = r.next_line(&mut buf).unwrap().unwrap();
        assert_eq!((buf.as_slice(), c.no, c.terminated), (&b"last"[..], 3, false));
        assert!(a.terminated && b.terminated);
        assert!(r.next_line(&mut buf).unwrap().is_none());
        assert_eq!(r.offset(), data.len() as u64);
        assert_eq!(r.prefix_hash(), xxhash_rust::xxh3::xxh3_64(&data));
    }
}
