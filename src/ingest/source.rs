//! Opening one input file: regular files only, compressed ones decoded as logrotate leaves
//! them (by magic bytes, whatever the name), binary ones recognised before any record is made.

use std::fs::{File, FileType};
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Bytes of decoded content that binary detection and the first-line key look at.
pub const HEAD_BYTES: usize = 8192;
/// More than this share (in percent) of the head in NULs, control bytes or invalid UTF-8 makes a file binary.
/// Text logs with a stray NUL or a few invalid bytes stay far below it; compiled or compressed data is far above.
const BINARY_PERCENT: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Xz,
    Zstd,
}

impl Compression {
    pub fn sniff(magic: &[u8]) -> Option<Self> {
        if magic.starts_with(&[0x1f, 0x8b]) {
            Some(Compression::Gzip)
        } else if magic.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Some(Compression::Xz)
        } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Compression::Zstd)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Xz => "xz",
            Compression::Zstd => "zstd",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("not a regular file ({0})")]
    NotRegular(&'static str),
    #[error("is a directory")]
    Directory,
    #[error("cannot open: {0}")]
    Open(io::Error),
    #[error("cannot stat: {0}")]
    Stat(io::Error),
    #[error("cannot read: {0}")]
    Read(io::Error),
}

/// An open regular file, and how its content is encoded.
pub struct Source {
    file: File,
    pub compression: Option<Compression>,
    pub meta: std::fs::Metadata,
    /// How far into the file (not its decoded content) the last reader got: the progress of a compressed file.
    pub position: Arc<AtomicU64>,
}

/// The file under a reader, counting where it is. It holds its own handle on the file (a duplicate of the
/// source's), so a reader can outlive the borrow it was made from and be read on after a prefix check.
struct Counted {
    file: File,
    position: Arc<AtomicU64>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.position.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Decoded content of a compressed file, stopped once it grows past what real logs ever reach from that many
/// compressed bytes. Logs compress 5-50x, very repetitive ones a few hundred; past [`MAX_DECODE_RATIO`] the input
/// is a decompression bomb, and reading on would fill the disk with the index of it.
struct Capped<R> {
    inner: R,
    decoded: u64,
    limit: u64,
}

/// Largest decoded/compressed ratio read (gzip's own maximum is about 1032:1; xz and zstd go far beyond).
pub const MAX_DECODE_RATIO: u64 = 1024;
/// Whatever the ratio, this much decoded content is always read.
pub const MIN_DECODE_LIMIT: u64 = 1 << 30;

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.decoded >= self.limit {
            return Err(io::Error::other(format!(
                "decoded to more than {} MiB, over {MAX_DECODE_RATIO} times its compressed size: not read further \
                 (a decompression bomb?)",
                self.limit >> 20
            )));
        }
        let room = usize::try_from(self.limit - self.decoded).unwrap_or(usize::MAX).min(buf.len());
        let n = self.inner.read(&mut buf[..room])?;
        self.decoded += n as u64;
        Ok(n)
    }
}

/// What kind of thing a non-regular file is, for the report.
pub fn kind_name(t: FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "directory"
    } else if t.is_fifo() {
        "FIFO"
    } else if t.is_socket() {
        "socket"
    } else if t.is_char_device() {
        "character device"
    } else if t.is_block_device() {
        "block device"
    } else if t.is_symlink() {
        "symlink"
    } else {
        "special file"
    }
}

/// Opens `path` if it is a regular file. A FIFO or a device is refused before it is opened: opening a FIFO
/// blocks until a writer appears, and reading a device may never end.
pub fn open(path: &Path) -> Result<Source, OpenError> {
    let meta = std::fs::metadata(path).map_err(OpenError::Open)?;
    check_regular(&meta)?;
    // O_NONBLOCK: should the path be swapped for a FIFO after the check above, open must not hang on it.
    let mut file = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
            .map_err(OpenError::Open)?
    };
    let meta = file.metadata().map_err(OpenError::Stat)?;
    check_regular(&meta)?;
    let mut magic = [0u8; 6];
    let n = read_full(&mut file, &mut magic).map_err(OpenError::Read)?;
    file.seek(SeekFrom::Start(0)).map_err(OpenError::Read)?;
    Ok(Source { file, compression: Compression::sniff(&magic[..n]), meta, position: Arc::default() })
}

fn check_regular(meta: &std::fs::Metadata) -> Result<(), OpenError> {
    if meta.is_dir() {
        Err(OpenError::Directory)
    } else if !meta.is_file() {
        Err(OpenError::NotRegular(kind_name(meta.file_type())))
    } else {
        Ok(())
    }
}

impl Source {
    /// The decoded content from its first byte.
    pub fn reader(&mut self) -> io::Result<Box<dyn Read + Send>> {
        self.file.seek(SeekFrom::Start(0))?;
        self.position.store(0, Ordering::Relaxed);
        let file = Counted { file: self.file.try_clone()?, position: Arc::clone(&self.position) };
        let limit = self.meta.len().saturating_mul(MAX_DECODE_RATIO).max(MIN_DECODE_LIMIT);
        let capped =
            |inner: Box<dyn Read + Send>| -> Box<dyn Read + Send> { Box::new(Capped { inner, decoded: 0, limit }) };
        Ok(match self.compression {
            None => Box::new(file),
            Some(Compression::Gzip) => capped(Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)))),
            Some(Compression::Xz) => capped(Box::new(xz2::read::XzDecoder::new_multi_decoder(BufReader::new(file)))),
            Some(Compression::Zstd) => capped(Box::new(zstd::stream::read::Decoder::new(file)?)),
        })
    }

    /// The decoded content from byte `offset` of it on. A compressed file is decoded from its start (its
    /// content cannot be seeked into), so skipping costs time but never memory.
    pub fn reader_at(&mut self, offset: u64) -> io::Result<Box<dyn Read + Send>> {
        if self.compression.is_none() {
            self.file.seek(SeekFrom::Start(offset))?;
            self.position.store(offset, Ordering::Relaxed);
            return Ok(Box::new(Counted { file: self.file.try_clone()?, position: Arc::clone(&self.position) }));
        }
        let mut r = self.reader()?;
        let skipped = io::copy(&mut r.by_ref().take(offset), &mut io::sink())?;
        if skipped < offset {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "content shorter than what was stored"));
        }
        Ok(r)
    }

    /// The plain file, for what only makes sense uncompressed (the complete-lines end of a live file).
    pub fn plain_file(&mut self) -> Option<&mut File> {
        self.compression.is_none().then_some(&mut self.file)
    }

    /// Size of the content when it is known without decoding it.
    pub fn plain_len(&self) -> Option<u64> {
        self.compression.is_none().then_some(self.meta.len())
    }

    /// The first [`HEAD_BYTES`] of decoded content.
    pub fn head(&mut self) -> io::Result<Vec<u8>> {
        let mut head = vec![0u8; HEAD_BYTES];
        let n = read_full(&mut self.reader()?, &mut head)?;
        head.truncate(n);
        Ok(head)
    }
}

/// Why `head` (a file's first bytes) looks like binary data rather than text, if it does.
pub fn binary_reason(head: &[u8]) -> Option<String> {
    if head.is_empty() {
        return None;
    }
    let mut odd = 0usize;
    let mut nul = 0usize;
    for chunk in head.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\0' {
                nul += 1;
            }
            if c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c' | '\x1b') {
                odd += 1;
            }
        }
        // A character cut at the end of the head is not a sign of anything.
        let at_end =
            chunk.invalid().len() < 4 && std::ptr::eq(chunk.invalid().as_ptr_range().end, head.as_ptr_range().end);
        if !at_end {
            odd += chunk.invalid().len();
        }
    }
    (odd * 100 > head.len() * BINARY_PERCENT).then(|| {
        format!(
            "binary data ({}% of the first {} bytes are NUL, control or invalid UTF-8 bytes{})",
            odd * 100 / head.len(),
            head.len(),
            if nul > 0 { format!(", {nul} NUL") } else { String::new() }
        )
    })
}

pub fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_stops_at_the_limit_with_an_error_that_says_why() {
        let mut r = Capped { inner: io::Cursor::new(vec![b'a'; 5000]), decoded: 0, limit: 3000 };
        let mut out = Vec::new();
        let err = r.read_to_end(&mut out).expect_err("past the limit");
        assert_eq!(out.len(), 3000, "everything up to the limit is delivered");
        assert!(err.to_string().contains("decompression bomb"), "{err}");
        let mut small = Capped { inner: io::Cursor::new(vec![b'a'; 100]), decoded: 0, limit: 3000 };
        assert_eq!(small.read_to_end(&mut Vec::new()).expect("under the limit"), 100);
    }

    #[test]
    fn a_reader_outlives_the_source_borrow_and_counts_progress() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.log.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, &b"line\n".repeat(1000)).expect("gzip");
        std::fs::write(&path, gz.finish().expect("gzip")).expect("write");
        let mut src = open(&path).expect("open");
        let mut r = src.reader().expect("reader");
        let mut first = vec![0u8; 2500];
        read_full(&mut r, &mut first).expect("read");
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).expect("read on");
        assert_eq!(first.len() + rest.len(), 5000);
        assert_eq!(src.position.load(Ordering::Relaxed), src.meta.len(), "the whole compressed file was read");
    }

    #[test]
    fn text_with_a_few_bad_bytes_is_text_and_random_bytes_are_binary() {
        let mut log = b"2026-11-20T15:00:00Z INFO fine\n".repeat(20);
        log.extend_from_slice(b"bad \xff\xfe and nul \x00 here\n");
        assert_eq!(binary_reason(&log), None);
        // A multi-byte character cut by the head's end.
        assert_eq!(binary_reason("caf\u{e9} \u{20ac}".as_bytes().split_last().map(|(_, h)| h).unwrap_or(&[])), None);
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let random: Vec<u8> = (0..3072)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        assert!(binary_reason(&random).is_some_and(|r| r.starts_with("binary data")));
        assert!(binary_reason(&[0u8; 64]).is_some_and(|r| r.contains("64 NUL")));
    }

    #[test]
    fn compression_is_known_by_its_magic() {
        assert_eq!(Compression::sniff(&[0x1f, 0x8b, 8, 0]), Some(Compression::Gzip));
        assert_eq!(Compression::sniff(b"\xfd7zXZ\x00"), Some(Compression::Xz));
        assert_eq!(Compression::sniff(&[0x28, 0xb5, 0x2f, 0xfd, 0]), Some(Compression::Zstd));
        assert_eq!(Compression::sniff(b"2026-"), None);
        assert_eq!(Compression::sniff(b""), None);
    }
}
