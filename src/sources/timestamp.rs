//! Finds the timestamp in the header of a plain-text log line.
//!
//! Handles what real systems write (the Loghub samples among them): ISO 8601 with
//! `T` or space, comma or dot fractions and offsets; syslog `Mmm dd HH:MM:SS` with an
//! optional `<PRI>`; RFC 5424; Apache `[Www Mmm dd HH:MM:SS YYYY]`; common log format
//! `[dd/Mmm/yyyy:HH:MM:SS +zzzz]`; `yyMMdd HHmmss` (HDFS); `yy/MM/dd HH:mm:ss`
//! (Spark); `MM-dd HH:mm:ss.SSS` (Android logcat); `YYYY-MM-DD-HH.MM.SS.ffffff` (BGL);
//! and epoch seconds or milliseconds among the first fields (BGL, HPC).

use chrono::{DateTime, Datelike, FixedOffset, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// How to read timestamps that carry no year or no offset.
#[derive(Debug, Clone, Copy)]
pub struct TsContext {
    pub now: DateTime<Utc>,
    /// `None`: the local timezone (TZ); otherwise a fixed offset such as UTC.
    pub offset: Option<FixedOffset>,
}

impl TsContext {
    pub fn utc(now: DateTime<Utc>) -> Self {
        TsContext { now, offset: FixedOffset::east_opt(0) }
    }

    fn resolve(&self, naive: NaiveDateTime, offset: Option<FixedOffset>) -> Option<DateTime<Utc>> {
        match offset.or(self.offset) {
            Some(off) => off.from_local_datetime(&naive).single().map(|d| d.with_timezone(&Utc)),
            None => Local.from_local_datetime(&naive).earliest().map(|d| d.with_timezone(&Utc)),
        }
    }

    /// For formats without a year: this year, or last year if that would be in the future.
    fn year_for(&self, month: u32, day: u32) -> i32 {
        let y = self.now.year();
        match NaiveDate::from_ymd_opt(y, month, day) {
            Some(d) if d > self.now.date_naive() + chrono::Days::new(1) => y - 1,
            _ => y,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Found {
    pub time: DateTime<Utc>,
    pub start: usize,
    pub end: usize,
}

struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cur<'a> {
    fn new(b: &'a [u8], i: usize) -> Self {
        Cur { b, i }
    }
    fn digits(&mut self, n: usize) -> Option<u32> {
        let s = self.b.get(self.i..self.i + n)?;
        let mut v = 0u32;
        for &c in s {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        self.i += n;
        Some(v)
    }
    fn lit(&mut self, c: u8) -> Option<()> {
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn one_of(&mut self, set: &[u8]) -> Option<u8> {
        let c = self.peek().filter(|c| set.contains(c))?;
        self.i += 1;
        Some(c)
    }
    /// Fraction digits after a separator, as nanoseconds.
    fn fraction(&mut self) -> u32 {
        let start = self.i;
        let mut nanos = 0u64;
        let mut n = 0;
        while let Some(c) = self.peek().filter(u8::is_ascii_digit) {
            if n < 9 {
                nanos = nanos * 10 + u64::from(c - b'0');
                n += 1;
            }
            self.i += 1;
        }
        if self.i == start {
            return 0;
        }
        (nanos * 10u64.pow(9 - n)) as u32
    }
    fn month_name(&mut self) -> Option<u32> {
        const M: [&[u8]; 12] =
            [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];
        let s = self.b.get(self.i..self.i + 3)?;
        let m = M.iter().position(|m| m.eq_ignore_ascii_case(s))? as u32 + 1;
        self.i += 3;
        Some(m)
    }
    fn hms(&mut self) -> Option<(u32, u32, u32)> {
        let h = self.digits(2)?;
        self.lit(b':')?;
        let m = self.digits(2)?;
        self.lit(b':')?;
        let s = self.digits(2)?;
        Some((h, m, s))
    }
    fn offset(&mut self) -> Option<FixedOffset> {
        match self.peek()? {
            b'Z' | b'z' => {
                self.i += 1;
                FixedOffset::east_opt(0)
            }
            b'+' | b'-' => {
                let save = self.i;
                let sign = if self.peek() == Some(b'-') { -1 } else { 1 };
                self.i += 1;
                let parsed = (|| {
                    let h = self.digits(2)?;
                    let _ = self.lit(b':');
                    let m = self.digits(2)?;
                    FixedOffset::east_opt(sign * (h as i32 * 3600 + m as i32 * 60))
                })();
                if parsed.is_none() {
                    self.i = save;
                }
                parsed
            }
            _ => None,
        }
    }
}

fn naive(y: i32, mo: u32, d: u32, (h, mi, s): (u32, u32, u32), nanos: u32) -> Option<NaiveDateTime> {
    NaiveDate::from_ymd_opt(y, mo, d)?.and_hms_nano_opt(h, mi, s.min(59), nanos)
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.,frac][offset]`, also with `/` as date separator.
fn iso(ctx: &TsContext, b: &[u8], i: usize) -> Option<(DateTime<Utc>, usize)> {
    let mut c = Cur::new(b, i);
    let y = c.digits(4)? as i32;
    let sep = c.one_of(b"-/")?;
    let mo = c.digits(2)?;
    c.lit(sep)?;
    let d = c.digits(2)?;
    c.one_of(b"T ")?;
    let t = c.hms()?;
    let mut nanos = 0;
    if matches!(c.peek(), Some(b'.' | b',')) && b.get(c.i + 1).is_some_and(u8::is_ascii_digit) {
        c.i += 1;
        nanos = c.fraction();
    }
    let save = c.i;
    let _ = c.lit(b' ');
    let off = c.offset();
    if off.is_none() {
        c.i = save;
    }
    Some((ctx.resolve(naive(y, mo, d, t, nanos)?, off)?, c.i))
}

/// BGL: `2005-06-03-15.42.50.675872`.
fn bgl(ctx: &TsContext, b: &[u8], i: usize) -> Option<(DateTime<Utc>, usize)> {
    let mut c = Cur::new(b, i);
    let y = c.digits(4)? as i32;
    c.lit(b'-')?;
    let mo = c.digits(2)?;
    c.lit(b'-')?;
    let d = c.digits(2)?;
    c.lit(b'-')?;
    let h = c.digits(2)?;
    c.lit(b'.')?;
    let mi = c.digits(2)?;
    c.lit(b'.')?;
    let s = c.digits(2)?;
    let nanos = if c.lit(b'.').is_some() { c.fraction() } else { 0 };
    Some((ctx.resolve(naive(y, mo, d, (h, mi, s), nanos)?, None)?, c.i))
}

/// syslog: `Mmm dd HH:MM:SS` (day space-padded), optional fraction.
fn syslog(ctx: &TsContext, b: &[u8], i: usize) -> Option<(DateTime<Utc>, usize)> {
    let mut c = Cur::new(b, i);
    let mo = c.month_name()?;
    c.lit(b' ')?;
    let _ = c.lit(b' ');
    let d = c.digits(2).or_else(|| c.digits(1))?;
    c.lit(b' ')?;
    let t = c.hms()?;
    let nanos = if c.peek() == Some(b'.') && b.get(c.i + 1).is_some_and(u8::is_ascii_digit) {
        c.i += 1;
        c.fraction()
    } else {
        0
    };
    let y = ctx.year_for(mo, d);
    Some((ctx.resolve(naive(y, mo, d, t, nanos)?, None)?, c.i))
}

/// Apache error log: `[Sun Dec 04 04:47:44 2005]`.
fn apache(ctx: &TsContext, b: &[u8], i: usize) -> Option<(DateTime<Utc>, usize)> {
    let mut c = Cur::new(b, i);
    c.lit(b'[')?;
    c.i += 3; // weekday
    c.lit(b' ')?;
    let mo = c.month_name()?;
    c.lit(b' ')?;
    let d = c.digits(2)?;
    c.lit(b' ')?;
    let t = c.hms()?;
    let nanos = if c.lit(b'.').is_some() { c.fraction() } else { 0 };
    c.lit(b' ')?;
    let y = c.digits(4)? as i32;
    c.lit(b']')?;
    Some((ctx.resolve(naive(y, mo, d, t, nanos)?, None)?, c.i))
}

/// Common log format: `[10/Oct/2000:13:55:36 -0700]`.
fn clf(ctx: &TsContext, b: &[u8], i: usize) -> Option<(DateTime<Utc>, usize)> {
    let mut c = Cur::new(b, i);
    c.lit(b'[')?;
    let d = c.digits(2)?;
    c.lit(b'/')?;
    let mo = c.month_name()?;
    c.lit(b'/')?;
    let y = c.digits(4)? as i32;
    c.lit(b':')?;
    let t = c.hms()?;
    c.lit(b' ')?;
    let off = c.offset()?;
    c.lit(b']')?;
    Some((ctx.resolve(naive(y, mo, d, t, 0)?, Some(off))?, c.i))
}

/// HDFS: `081109 203615`.
fn yymmdd_hhmmss(ctx: &TsContext, b: &[u8], i: usize) -> Option<(DateTime<Utc>, usize)> {
    let mut c = Cur::new(b, i);
    let y = c.digits(2)? as i32 + 2000;
    let mo = c.digits(2)?;
    let d = c.digits(2)?;
    c.lit(b' ')?;
    let h = c.digits(2)?;
    let mi = c.digits(2)?;
    let s = c.digits(2)?;
    if c.peek().is_some_and(|x| x.is_ascii_digit()) {
        return None;
    }
    Some((ctx.resolve(naive(y, mo, d, (h, mi, s), 0)?, None)?, c.i))
}

/// Spark: `17/06/09 20:10:40`.
fn yy_slash(ctx: &TsContext, b: &[u8], i: usize) -> Option<(DateTime<Utc>, usize)> {
    let mut c = Cur::new(b, i);
    let y = c.digits(2)? as i32 + 2000;
    c.lit(b'/')?;
    let mo = c.digits(2)?;
    c.lit(b'/')?;
    let d = c.digits(2)?;
    c.lit(b' ')?;
    let t = c.hms()?;
    let nanos = if c.one_of(b".,").is_some() { c.fraction() } else { 0 };
    Some((ctx.resolve(naive(y, mo, d, t, nanos)?, None)?, c.i))
}

/// Android logcat: `03-17 16:13:38.811`.
fn logcat(ctx: &TsContext, b: &[u8], i: usize) -> Option<(DateTime<Utc>, usize)> {
    let mut c = Cur::new(b, i);
    let mo = c.digits(2)?;
    c.lit(b'-')?;
    let d = c.digits(2)?;
    c.lit(b' ')?;
    let t = c.hms()?;
    c.lit(b'.')?;
    let nanos = c.fraction();
    let y = ctx.year_for(mo, d);
    Some((ctx.resolve(naive(y, mo, d, t, nanos)?, None)?, c.i))
}

/// Epoch seconds (10 digits, optional fraction) or milliseconds (13 digits) between
/// 2000 and 2100, as a whole field.
fn epoch(b: &[u8], i: usize) -> Option<(DateTime<Utc>, usize)> {
    let mut end = i;
    while end < b.len() && b[end].is_ascii_digit() {
        end += 1;
    }
    let n = end - i;
    let digits = std::str::from_utf8(&b[i..end]).ok()?;
    let (secs, mut nanos, mut stop) = match n {
        10 => (digits.parse::<i64>().ok()?, 0u32, end),
        13 => {
            let ms = digits.parse::<i64>().ok()?;
            (ms / 1000, (ms % 1000) as u32 * 1_000_000, end)
        }
        _ => return None,
    };
    if n == 10 && b.get(end) == Some(&b'.') {
        let mut c = Cur::new(b, end + 1);
        nanos = c.fraction();
        stop = c.i;
    }
    if b.get(stop).is_some_and(|c| !c.is_ascii_whitespace()) {
        return None;
    }
    if !(946_684_800..4_102_444_800).contains(&secs) {
        return None;
    }
    Some((DateTime::from_timestamp(secs, nanos)?, stop))
}

type Matcher = fn(&TsContext, &[u8], usize) -> Option<(DateTime<Utc>, usize)>;

const AT_START: [Matcher; 8] = [iso, bgl, syslog, apache, clf, yymmdd_hhmmss, yy_slash, logcat];

/// Finds the line's timestamp. `hint` is the index into the matchers that worked for
/// the previous line of the same file, tried first.
pub fn find(ctx: &TsContext, line: &str, hint: &mut Option<usize>) -> Option<Found> {
    let b = line.as_bytes();
    let b = &b[..b.len().min(256)];
    // Skip `<PRI>` and an RFC 5424 version.
    let mut start = 0;
    if b.first() == Some(&b'<') {
        if let Some(close) = b.iter().take(6).position(|&c| c == b'>') {
            start = close + 1;
            if b.get(start).is_some_and(u8::is_ascii_digit) && b.get(start + 1) == Some(&b' ') {
                start += 2;
            }
        }
    }
    let token_starts = || {
        let mut v = vec![start];
        let mut i = start;
        while i < b.len() && v.len() < 8 {
            if b[i] == b' ' && i + 1 < b.len() && b[i + 1] != b' ' {
                v.push(i + 1);
            }
            i += 1;
        }
        v
    };
    let at = |m: usize, i: usize| -> Option<Found> {
        let (time, end) = if m == AT_START.len() { epoch(b, i)? } else { AT_START[m](ctx, b, i)? };
        Some(Found { time, start: i, end })
    };
    if let Some(h) = *hint {
        for &i in &token_starts() {
            if let Some(f) = at(h, i) {
                return Some(f);
            }
        }
    }
    for m in 0..AT_START.len() {
        if let Some(f) = at(m, start) {
            *hint = Some(m);
            return Some(f);
        }
    }
    // Later fields: ISO, BGL, CLF and epoch are distinctive enough to trust anywhere
    // among the first few fields.
    for &i in &token_starts() {
        for m in [0usize, 1, 4, AT_START.len()] {
            if let Some(f) = at(m, i) {
                *hint = Some(m);
                return Some(f);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> TsContext {
        TsContext::utc(Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap())
    }

    fn ts(line: &str) -> Option<String> {
        find(&ctx(), line, &mut None).map(|f| f.time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    }

    #[test]
    fn loghub_headers() {
        assert_eq!(
            ts("081109 203615 148 INFO dfs.DataNode$PacketResponder: x").as_deref(),
            Some("2008-11-09T20:36:15Z")
        );
        assert_eq!(ts("17/06/09 20:10:40 INFO executor.Coarse: x").as_deref(), Some("2017-06-09T20:10:40Z"));
        assert_eq!(ts("2015-07-29 17:41:44,747 - INFO  [QuorumPeer]").as_deref(), Some("2015-07-29T17:41:44.747Z"));
        assert_eq!(ts("2016-09-28 04:30:30, Info CBS x").as_deref(), Some("2016-09-28T04:30:30Z"));
        assert_eq!(
            ts("[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok").as_deref(),
            Some("2005-12-04T04:47:44Z")
        );
        assert_eq!(ts("Dec 10 06:55:46 LabSZ sshd[24200]: x").as_deref(), Some("2025-12-10T06:55:46Z"));
        assert_eq!(ts("Jul  1 09:00:55 calvisitor kernel[0]: x").as_deref(), Some("2026-07-01T09:00:55Z"));
        assert_eq!(
            ts("03-17 16:13:38.811  1702  2395 D WindowManager: x").as_deref(),
            Some("2026-03-17T16:13:38.811Z")
        );
        assert_eq!(
            ts("- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02 RAS KERNEL INFO x")
                .as_deref(),
            Some("2005-06-03T22:42:50Z")
        );
        assert_eq!(
            ts("134681 node-246 unix.hw state_change.unavailable 1077804742 1 Component State Change").as_deref(),
            Some("2004-02-26T14:12:22Z")
        );
    }

    #[test]
    fn offsets_and_other_shapes() {
        assert_eq!(ts("2026-11-20T15:03:12.5+01:00 x").as_deref(), Some("2026-11-20T14:03:12.500Z"));
        assert_eq!(ts("2026-11-20T15:03:12Z x").as_deref(), Some("2026-11-20T15:03:12Z"));
        assert_eq!(
            ts("127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200").as_deref(),
            Some("2000-10-10T20:55:36Z")
        );
        assert_eq!(
            ts("<34>1 2003-10-11T22:14:15.003Z mymachine su - ID47 - x").as_deref(),
            Some("2003-10-11T22:14:15.003Z")
        );
        assert_eq!(ts("1700000000.250 event").as_deref(), Some("2023-11-14T22:13:20.250Z"));
        assert_eq!(ts("no timestamp here 12345"), None);
        assert_eq!(ts("2026-13-45 99:99:99 nonsense"), None);
    }
}
