//! Finds the timestamp in the header of a plain-text log line.
//!
//! Handles what real systems write (the Loghub samples among them): ISO 8601 with
//! `T` or space, comma or dot fractions and offsets; syslog `Mmm dd HH:MM:SS` with an
//! optional `<PRI>`; RFC 5424; Apache `[Www Mmm dd HH:MM:SS YYYY]`; common log format
//! `[dd/Mmm/yyyy:HH:MM:SS +zzzz]`; `yyMMdd HHmmss` (HDFS); `yy/MM/dd HH:mm:ss`
//! (Spark); `MM-dd HH:mm:ss.SSS` (Android logcat); `YYYY-MM-DD-HH.MM.SS.ffffff` (BGL);
//! and epoch seconds or milliseconds among the first fields (BGL, HPC).
//!
//! Every source checks a parsed time against one window, [`TsContext::plausible`]:
//! - not after the receive time plus [`FUTURE_SLACK`] (one day): clock skew and a misdeclared
//!   timezone (offsets span -12h..+14h) stay inside it, a year 9999 or a swapped day and month
//!   do not;
//! - not before [`EARLIEST`] (the Unix epoch) for calendar dates: nothing that writes logs
//!   predates it, and what does (`0001-01-01`, a negative epoch) is a zero or default value;
//! - not before [`EARLIEST_EPOCH`] (2000-01-01) for bare numbers: a small number in a time
//!   field is a counter, a duration or a zero far more often than a time in the 1970s, and
//!   only from 2000 on does the magnitude tell seconds, milliseconds, microseconds and
//!   nanoseconds apart without doubt.

use chrono::{DateTime, Datelike, FixedOffset, Local, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};

/// How to read timestamps that carry no year or no offset.
#[derive(Debug, Clone, Copy)]
pub struct TsContext {
    pub now: DateTime<Utc>,
    /// The timezone of times written without an offset.
    pub zone: Zone,
}

/// A timezone for times written without an offset (`ingest.assume_timezone`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// The machine's timezone (`TZ`).
    Local,
    Fixed(FixedOffset),
    /// An IANA zone (`Europe/Berlin`): its offset is the one in force at each timestamp, so daylight saving
    /// time is right on both sides of a change.
    Named(chrono_tz::Tz),
}

impl Zone {
    pub fn utc() -> Zone {
        Zone::Fixed(Utc.fix())
    }

    /// `UTC`, `local`, an offset (`+02:00`, `-0530`) or an IANA name (`Europe/Berlin`).
    pub fn parse(s: &str) -> Result<Zone, String> {
        let t = s.trim();
        match t.to_ascii_lowercase().as_str() {
            "utc" | "z" | "gmt" => return Ok(Zone::utc()),
            "local" => return Ok(Zone::Local),
            _ => {}
        }
        let sign = match t.chars().next() {
            Some('+') => 1,
            Some('-') => -1,
            _ => {
                return t.parse::<chrono_tz::Tz>().map(Zone::Named).map_err(|_| {
                    format!("'{s}' is not UTC, local, an offset like +02:00 or an IANA name like Europe/Berlin")
                })
            }
        };
        let rest = &t[1..];
        let (h, m) = match rest.split_once(':') {
            Some(hm) => hm,
            None if rest.len() == 4 && rest.is_char_boundary(2) => rest.split_at(2),
            None => (rest, "0"),
        };
        let h: i32 = h.parse().map_err(|_| format!("'{s}': bad hours"))?;
        let m: i32 = m.parse().map_err(|_| format!("'{s}': bad minutes"))?;
        if !(0..60).contains(&m) {
            return Err(format!("'{s}': bad minutes"));
        }
        // Real offsets lie within ±14 h; checking first also keeps `h * 3600` from overflowing.
        if !(0..=14).contains(&h) {
            return Err(format!("'{s}' is out of range"));
        }
        FixedOffset::east_opt(sign * (h * 3600 + m * 60))
            .map(Zone::Fixed)
            .ok_or_else(|| format!("'{s}' is out of range"))
    }

    /// The instant a wall-clock time in this zone names. A time repeated when clocks go back is taken at its
    /// first occurrence; one skipped when they go forward is read with the offset before the change (02:30 on
    /// a spring-forward night is 03:30 summer time), as it was most likely written by a clock not yet moved.
    pub fn resolve(self, naive: NaiveDateTime) -> Option<DateTime<Utc>> {
        match self {
            Zone::Fixed(off) => off.from_local_datetime(&naive).single().map(|d| d.with_timezone(&Utc)),
            Zone::Local => resolve_in(&Local, naive),
            Zone::Named(tz) => resolve_in(&tz, naive),
        }
    }
}

impl Default for Zone {
    fn default() -> Self {
        Zone::utc()
    }
}

impl From<Option<FixedOffset>> for Zone {
    /// `None` is the local timezone.
    fn from(offset: Option<FixedOffset>) -> Self {
        offset.map_or(Zone::Local, Zone::Fixed)
    }
}

fn resolve_in<Z: TimeZone>(tz: &Z, naive: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(d) | LocalResult::Ambiguous(d, _) => Some(d.with_timezone(&Utc)),
        LocalResult::None => {
            // Gaps last hours at most: the offset a day earlier is the one before the change.
            let before = tz.offset_from_utc_datetime(&naive.checked_sub_signed(chrono::TimeDelta::days(1))?).fix();
            before.from_local_datetime(&naive).single().map(|d| d.with_timezone(&Utc))
        }
    }
}

/// The earliest calendar time taken: 1970-01-01T00:00:00Z.
pub const EARLIEST: DateTime<Utc> = DateTime::UNIX_EPOCH;
/// The earliest time a bare epoch number may give: 2000-01-01T00:00:00Z.
pub const EARLIEST_EPOCH_SECS: i64 = 946_684_800;
/// How far after the receive time an event may be dated.
pub const FUTURE_SLACK: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// The latest time an event received at `now` may carry.
pub fn latest(now: DateTime<Utc>) -> DateTime<Utc> {
    now.checked_add_signed(FUTURE_SLACK).unwrap_or(now)
}

/// Whether `t` lies in the window of calendar times taken from an event received at `now`.
pub fn plausible(t: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    t >= EARLIEST && t <= latest(now)
}

/// Why `t` is refused, if it is: for reports and notes.
pub fn implausible_reason(t: DateTime<Utc>, now: DateTime<Utc>) -> Option<String> {
    if t < EARLIEST {
        Some(format!("{} is before 1970", t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)))
    } else if t > latest(now) {
        Some(format!(
            "{} is more than a day after the time it was received",
            t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        ))
    } else {
        None
    }
}

/// A bare epoch number as a time: its unit read from its magnitude (seconds below 1e11,
/// milliseconds below 1e14, microseconds below 1e17, else nanoseconds), and refused unless
/// the result lies between 2000-01-01 and a day after `now`. NaN, infinities and negative
/// numbers are refused.
pub fn epoch_number(n: f64, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if !n.is_finite() || n <= 0.0 {
        return None;
    }
    let nanos = if n < 1e11 {
        n * 1e9
    } else if n < 1e14 {
        n * 1e6
    } else if n < 1e17 {
        n * 1e3
    } else {
        n
    };
    // i64 nanoseconds end in 2262: anything beyond is out of the window anyway.
    if nanos >= 9.2e18 {
        return None;
    }
    let t = DateTime::<Utc>::from_timestamp_nanos(nanos as i64);
    (t.timestamp() >= EARLIEST_EPOCH_SECS && t <= latest(now)).then_some(t)
}

impl TsContext {
    pub fn utc(now: DateTime<Utc>) -> Self {
        TsContext { now, zone: Zone::utc() }
    }

    /// See [`plausible`].
    pub fn plausible(&self, t: DateTime<Utc>) -> bool {
        plausible(t, self.now)
    }

    fn resolve(&self, naive: NaiveDateTime, offset: Option<FixedOffset>) -> Option<DateTime<Utc>> {
        match offset {
            Some(off) => Zone::Fixed(off).resolve(naive),
            None => self.zone.resolve(naive),
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

/// Epoch seconds (10 digits, optional fraction) or milliseconds (13 digits) from 2000 to a
/// day after `now`, as a whole field.
fn epoch(ctx: &TsContext, b: &[u8], i: usize) -> Option<(DateTime<Utc>, usize)> {
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
    let t = DateTime::from_timestamp(secs, nanos)?;
    if secs < EARLIEST_EPOCH_SECS || t > latest(ctx.now) {
        return None;
    }
    Some((t, stop))
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
        let (time, end) = if m == AT_START.len() { epoch(ctx, b, i)? } else { AT_START[m](ctx, b, i)? };
        // An out-of-window time is no time: the record is dated like a line without one.
        ctx.plausible(time).then_some(Found { time, start: i, end })
    };
    if let Some(h) = *hint {
        // Where the last line had its time, nearly always its start: tried before the fields are found (finding
        // them was two thirds of this function's time).
        if let Some(f) = at(h, start) {
            return Some(f);
        }
        for &i in token_starts().iter().skip(1) {
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

    #[test]
    fn times_outside_the_window_are_not_taken() {
        // ctx(): received 2026-11-23T12:00Z, so the window ends 2026-11-24T12:00Z.
        for line in [
            "9999-01-01 00:00:00 ERROR far future",
            "0001-01-01T00:00:00Z ERROR year one",
            "1969-12-31T23:59:59Z before the epoch",
            "2026-13-45 00:00:00 ERROR month 13",
            "2026-11-24T12:00:01Z a day and a second ahead",
            "[01/Jan/9999:00:00:00 +0000] \"GET / HTTP/1.0\" 200",
            "9999999999 epoch seconds in 2286",
            "0000009999 epoch seconds in 1970",
            "1999999999999 epoch milliseconds in 2033",
        ] {
            assert_eq!(ts(line), None, "{line}");
        }
        assert_eq!(ts("2026-11-24T11:59:59Z a day of skew").as_deref(), Some("2026-11-24T11:59:59Z"));
        assert_eq!(ts("1970-01-01T00:00:00Z epoch").as_deref(), Some("1970-01-01T00:00:00Z"));
        // A rejected header does not stop a real time later in the first fields.
        assert_eq!(ts("9999-01-01T00:00:00Z 2026-11-20T10:00:00Z x").as_deref(), Some("2026-11-20T10:00:00Z"));
    }

    /// Europe/Berlin in 2026: summer time from 29 March 02:00 (+01:00 to +02:00) to 25 October 03:00.
    #[test]
    fn an_iana_zone_gives_each_time_the_offset_in_force_then() {
        let zone = Zone::parse("Europe/Berlin").unwrap();
        let berlin = TsContext { zone, ..ctx() };
        let at = |line: &str| {
            find(&berlin, line, &mut None).map(|f| f.time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        };
        for (line, want) in [
            ("2026-01-15 12:00:00 INFO winter", "2026-01-15T11:00:00Z"),
            ("2026-07-01 12:00:00 INFO summer", "2026-07-01T10:00:00Z"),
            ("2026-03-29 01:59:59 INFO before the change", "2026-03-29T00:59:59Z"),
            ("2026-03-29 03:00:00 INFO after the change", "2026-03-29T01:00:00Z"),
            // Skipped by the clocks: read with the winter offset.
            ("2026-03-29 02:30:00 INFO in the gap", "2026-03-29T01:30:00Z"),
            ("2026-10-25 01:30:00 INFO summer still", "2026-10-24T23:30:00Z"),
            // 02:30 happens twice: its first occurrence, in summer time.
            ("2026-10-25 02:30:00 INFO repeated hour", "2026-10-25T00:30:00Z"),
            ("2026-10-25 03:30:00 INFO winter again", "2026-10-25T02:30:00Z"),
            // Formats without a year or offset take the zone too; an explicit offset wins.
            ("Jul  1 12:00:00 web sshd[1]: x", "2026-07-01T10:00:00Z"),
            ("2026-07-01T12:00:00+00:00 explicit", "2026-07-01T12:00:00Z"),
        ] {
            assert_eq!(at(line).as_deref(), Some(want), "{line}");
        }
        // A fixed offset is the same all year: not what a zone with summer time does.
        let fixed = TsContext { zone: Zone::parse("+01:00").unwrap(), ..ctx() };
        let summer = find(&fixed, "2026-07-01 12:00:00 x", &mut None).map(|f| f.time.to_rfc3339());
        assert_eq!(summer.as_deref(), Some("2026-07-01T11:00:00+00:00"));
        let ny = TsContext { zone: Zone::parse("America/New_York").unwrap(), ..ctx() };
        let t = find(&ny, "2026-03-08 03:30:00 x", &mut None).map(|f| f.time.to_rfc3339());
        assert_eq!(t.as_deref(), Some("2026-03-08T07:30:00+00:00"));
    }

    #[test]
    fn zone_names() {
        assert_eq!(Zone::parse("UTC"), Ok(Zone::utc()));
        assert_eq!(Zone::parse("local"), Ok(Zone::Local));
        assert_eq!(Zone::parse("+0530"), Ok(Zone::Fixed(FixedOffset::east_opt(5 * 3600 + 1800).unwrap())));
        assert_eq!(Zone::parse("-05:30"), Ok(Zone::Fixed(FixedOffset::west_opt(5 * 3600 + 1800).unwrap())));
        assert_eq!(Zone::parse(" Asia/Kolkata "), Ok(Zone::Named(chrono_tz::Tz::Asia__Kolkata)));
        for bad in ["Mars/Olympus", "+99:99", "+01:75", "Berlin", ""] {
            assert!(Zone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn epoch_numbers_fit_a_unit_or_are_refused() {
        let now = ctx().now;
        for n in [9999.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -5.0, 0.0, 5e11, 1e300, 4_102_444_800.0] {
            assert_eq!(epoch_number(n, now), None, "{n}");
        }
        for n in [1.763_650_992e9, 1.763_650_992e12, 1.763_650_992e15, 1.763_650_992e18] {
            assert_eq!(epoch_number(n, now).map(|t| t.timestamp()), Some(1_763_650_992), "{n}");
        }
    }
}
