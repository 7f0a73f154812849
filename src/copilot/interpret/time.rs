//! The time window of a question: full timestamps, durations (exact and rough), clock ranges, "since" a clock
//! time, a clock time, a period of the day, a calendar day; the last hour when none is given. Each step writes
//! the window it made to the notes.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset};
use chrono::{TimeZone, Timelike, Utc};

use super::durations::{parse_relative, rough_reach, spoken, strip_ish, unit, Said};
use super::vocabulary::{month, CLOCK_HEDGES, WEEKDAYS};
use super::{low, TimeError, Tok, Window, AROUND_MINUTES, MAX_RELATIVE_DAYS};

pub(super) struct Ctx<Tz: TimeZone> {
    tz: Tz,
    now: DateTime<Utc>,
    pub(super) notes: Vec<String>,
    /// The moment the window was made around, if it was.
    pub(super) anchor: Option<DateTime<Utc>>,
}

fn localize<T: TimeZone>(tz: &T, naive: NaiveDateTime) -> Result<DateTime<Utc>, TimeError> {
    // From the offsets in force half a day either side, not `from_local_datetime`: chrono's
    // `Local` reports a repeated hour as a single instant (the second pass).
    let mut found: Vec<DateTime<Utc>> = Vec::new();
    for hours in [-12, 12] {
        let probe = naive.checked_add_signed(Duration::hours(hours)).ok_or(TimeError::OutOfRange(naive))?;
        let off = tz.offset_from_utc_datetime(&probe).fix();
        let Some(t) = naive.checked_sub_signed(Duration::seconds(off.local_minus_utc().into())) else { continue };
        let t = DateTime::<Utc>::from_naive_utc_and_offset(t, Utc);
        if tz.offset_from_utc_datetime(&t.naive_utc()).fix() == off && !found.contains(&t) {
            found.push(t);
        }
    }
    // a repeated hour (DST end): the first pass is the likelier one
    found.into_iter().min().ok_or(TimeError::Nonexistent(naive))
}

fn add(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(t)
}

fn sub(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_sub_signed(d).unwrap_or(t)
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

fn end_of_day() -> NaiveTime {
    NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN)
}

fn day_before(d: NaiveDate) -> NaiveDate {
    d.pred_opt().unwrap_or(d)
}

fn day_after(d: NaiveDate) -> NaiveDate {
    d.succ_opt().unwrap_or(d)
}

/// The same clock time twelve hours on: 3:00 -> 15:00.
fn pm(t: NaiveTime) -> NaiveTime {
    t.overflowing_add_signed(Duration::hours(12)).0
}

impl<Tz: TimeZone> Ctx<Tz> {
    pub(super) fn new(now: DateTime<Tz>, notes: Vec<String>) -> Self {
        Ctx { tz: now.timezone(), now: now.with_timezone(&Utc), notes, anchor: None }
    }

    fn today(&self, zone: Option<FixedOffset>) -> NaiveDate {
        match zone {
            Some(z) => self.now.with_timezone(&z).date_naive(),
            None => self.now.with_timezone(&self.tz).date_naive(),
        }
    }

    fn local_hour(&self) -> u32 {
        self.now.with_timezone(&self.tz).hour()
    }

    fn try_at(&self, naive: NaiveDateTime, zone: Option<FixedOffset>) -> Result<DateTime<Utc>, TimeError> {
        match zone {
            Some(z) => localize(&z, naive),
            None => localize(&self.tz, naive),
        }
    }

    fn at(&mut self, date: NaiveDate, time: NaiveTime, zone: Option<FixedOffset>) -> DateTime<Utc> {
        let naive = date.and_time(time);
        match self.try_at(naive, zone) {
            Ok(t) => t,
            Err(e) => {
                // a skipped hour (DST start): the clock meant the hour after
                let note = format!("{e}: using an hour later");
                if !self.notes.contains(&note) {
                    self.notes.push(note);
                }
                let later = naive.checked_add_signed(Duration::hours(1)).ok_or(TimeError::OutOfRange(naive));
                later
                    .and_then(|l| self.try_at(l, zone))
                    .unwrap_or_else(|_| DateTime::from_naive_utc_and_offset(naive, Utc))
            }
        }
    }

    fn fmt(&self, t: DateTime<Utc>) -> String {
        let l = t.with_timezone(&self.tz);
        format!("{} {}", l.naive_local().format("%Y-%m-%d %H:%M"), l.offset().fix())
    }

    /// Caps the end at now and writes the resulting window to the notes.
    fn window(&mut self, what: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> Window {
        let end = end.max(start);
        let (start, end, capped) = if start > self.now {
            self.notes.push(format!("{what} is in the future"));
            (start, end, false)
        } else if end > self.now {
            (start, self.now, true)
        } else {
            (start, end, false)
        };
        let cap = if capped { " (capped at now)" } else { "" };
        self.notes.push(format!("{what}: {} to {}{cap}", self.fmt(start), self.fmt(end)));
        Window { start, end }
    }

    /// The window around a moment; `reach` may start it earlier than half an hour before.
    fn around(&mut self, what: &str, t: DateTime<Utc>, reach: Option<DateTime<Utc>>) -> Window {
        let d = Duration::minutes(AROUND_MINUTES);
        let start = reach.map_or(sub(t, d), |r| r.min(sub(t, d)));
        self.anchor = Some(t);
        self.window(&format!("around {what}"), start, add(t, d))
    }

    /// The date of a clock time: the day named, else today, or yesterday when today's is still to come.
    fn pick_date(&mut self, day: Option<&DayRef>, time: NaiveTime, zone: Option<FixedOffset>, what: &str) -> NaiveDate {
        if let Some(d) = day {
            return d.date;
        }
        let today = self.today(zone);
        if self.at(today, time, zone) > self.now {
            self.notes.push(format!("{what} has not come yet today: read as yesterday"));
            day_before(today)
        } else {
            today
        }
    }

    /// A bare hour ("at 3", "since around 3") asked in the afternoon, when that hour's afternoon has passed:
    /// the 15:00 that just passed, not 03:00.
    fn afternoon(&mut self, c: &Clock, day: Option<&DayRef>, what: &str) -> Option<DateTime<Utc>> {
        let today = self.today(c.zone);
        if !c.bare
            || !(1..12).contains(&c.time.hour())
            || day.is_some()
            || self.at(today, pm(c.time), c.zone) > self.now
        {
            return None;
        }
        self.notes.push(format!("{what} read as {}", pm(c.time).format("%H:%M")));
        Some(self.at(today, pm(c.time), c.zone))
    }
}

/// A time of day: "15:00", "15:05:30", "3pm", "3:30 pm", "noon", "9ish"; a bare hour only when `bare` or
/// "-ish" ("since 9ish"), and never before a unit ("about 10 minutes"). The time, the tokens used, and whether
/// it was "-ish".
fn parse_clock(toks: &[Tok], i: usize, bare: bool) -> Option<(NaiveTime, usize, bool)> {
    let (w, ish) = strip_ish(low(toks, i));
    let bare = bare || ish;
    match w {
        "noon" | "midday" => return Some((hm(12, 0), 1, ish)),
        "midnight" => return Some((hm(0, 0), 1, ish)),
        _ => {}
    }
    let (body, mut ampm, mut used) = if let Some(b) = w.strip_suffix("am").or_else(|| w.strip_suffix("a.m")) {
        (b, Some(false), 1)
    } else if let Some(b) = w.strip_suffix("pm").or_else(|| w.strip_suffix("p.m")) {
        (b, Some(true), 1)
    } else {
        (w, None, 1)
    };
    let nums: Vec<&str> = body.split(':').collect();
    if nums.is_empty() || nums.len() > 3 || nums.iter().any(|n| n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    if nums[0].len() > 2 || nums[1..].iter().any(|n| n.len() != 2) {
        return None;
    }
    if ampm.is_none() {
        match low(toks, i + 1) {
            "am" | "a.m" => (ampm, used) = (Some(false), 2),
            "pm" | "p.m" => (ampm, used) = (Some(true), 2),
            _ => {}
        }
    }
    // a bare number before a unit is a count: "about 10 minutes", "10ish minutes"
    if ampm.is_none() && nums.len() == 1 && (!bare || unit(strip_ish(low(toks, i + 1)).0).is_some()) {
        return None;
    }
    let n = |k: usize| nums.get(k).and_then(|s| s.parse::<u32>().ok()).unwrap_or(0);
    let (mut h, m, s) = (n(0), n(1), n(2));
    if let Some(pm) = ampm {
        if !(1..=12).contains(&h) {
            return None;
        }
        h = match (pm, h) {
            (false, 12) => 0,
            (true, 12) => 12,
            (true, h) => h + 12,
            (false, h) => h,
        };
    }
    NaiveTime::from_hms_opt(h, m, s).map(|t| (t, used, ish))
}

fn parse_zone(w: &str) -> Option<FixedOffset> {
    match w {
        "utc" | "gmt" | "z" => return FixedOffset::east_opt(0),
        _ => {}
    }
    let sign = match w.chars().next() {
        Some('+') => 1,
        Some('-') => -1,
        _ => return None,
    };
    let digits: String = w[1..].chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !matches!(digits.len(), 1 | 2 | 4) {
        return None;
    }
    let (h, m) = if digits.len() == 4 { (&digits[..2], &digits[2..]) } else { (digits.as_str(), "0") };
    let secs = h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60;
    FixedOffset::east_opt(sign * secs)
}

#[derive(Clone)]
struct Clock {
    idx: usize,
    end: usize,
    time: NaiveTime,
    zone: Option<FixedOffset>,
    text: String,
    /// "at 3": no minutes and no am/pm
    bare: bool,
    /// "9ish"
    ish: bool,
}

fn clocks(toks: &[Tok], skip: &[bool]) -> Vec<Clock> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let prev = if i > 0 { low(toks, i - 1) } else { "" };
        // the end of a range may be bare too: "between 9 and 11"
        let range_end =
            matches!(prev, "and" | "to" | "until" | "till") && out.last().is_some_and(|c: &Clock| c.end + 1 == i);
        let bare =
            range_end || CLOCK_HEDGES.contains(&prev) || matches!(prev, "at" | "since" | "after" | "between" | "from");
        match parse_clock(toks, i, bare).filter(|_| !skip[i]) {
            Some((time, used, ish)) => {
                let zone = parse_zone(low(toks, i + used));
                let end = i + used + usize::from(zone.is_some());
                let text = toks[i..end].iter().map(|t| t.raw.as_str()).collect::<Vec<_>>().join(" ");
                let digits = strip_ish(&toks[i].low).0.bytes().all(|b| b.is_ascii_digit());
                out.push(Clock { idx: i, end, time, zone, text, bare: used == 1 && digits, ish });
                i = end;
            }
            None => i += 1,
        }
    }
    out
}

/// A calendar day named in the question, and the tokens it used.
struct DayRef {
    date: NaiveDate,
    text: String,
    explicit: bool,
    used: Vec<usize>,
}

/// "2026-11-20", "yesterday", "today", "monday", "last monday".
fn named_day(toks: &[Tok], i: usize, today: NaiveDate) -> Option<DayRef> {
    let tok = &toks[i];
    let w = tok.low.as_str();
    let day = |date| Some(DayRef { date, text: tok.raw.clone(), explicit: true, used: vec![i] });
    if let Ok(date) = NaiveDate::parse_from_str(w, "%Y-%m-%d") {
        return day(date);
    }
    match w {
        "yesterday" => return day(day_before(today)),
        "today" => return day(today),
        _ => {}
    }
    let (_, wd) = WEEKDAYS.iter().find(|(d, _)| *d == w)?;
    // the latest such day, today included unless it says "last monday"
    let strict = i > 0 && low(toks, i - 1) == "last";
    let mut d = if strict { day_before(today) } else { today };
    for _ in 0..7 {
        if d.weekday() == *wd {
            break;
        }
        d = day_before(d);
    }
    day(d)
}

/// "Nov 20", "20 november", "nov 20 2025": the date, or why it is none, in the notes.
fn month_day<Tz: TimeZone>(toks: &[Tok], i: usize, today: NaiveDate, ctx: &mut Ctx<Tz>) -> Option<DayRef> {
    let day_num = |s: &str| -> Option<u32> {
        let s = s.trim_end_matches(',');
        let s = ["st", "nd", "rd", "th"].iter().find_map(|x| s.strip_suffix(x)).unwrap_or(s);
        (s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
    };
    let w = low(toks, i);
    let (m, d, last) = match (month(w), day_num(low(toks, i + 1))) {
        (Some(m), Some(d)) => (m, d, i + 1),
        _ => match (day_num(w), month(low(toks, i + 1))) {
            (Some(d), Some(m)) => (m, d, i + 1),
            _ => return None,
        },
    };
    let year_tok = low(toks, last + 1);
    let year = (year_tok.len() == 4).then(|| year_tok.parse::<i32>().ok()).flatten();
    let mut used = vec![i, last];
    let text = format!("{} {}", toks[i].raw, toks[last].raw);
    let date = match year {
        Some(y) => {
            used.push(last + 1);
            NaiveDate::from_ymd_opt(y, m, d)
        }
        None => NaiveDate::from_ymd_opt(today.year(), m, d).and_then(|date| {
            if date > today {
                // no year: the latest such date not in the future
                ctx.notes.push(format!("'{text}' is later this year: read as last year"));
                NaiveDate::from_ymd_opt(today.year() - 1, m, d)
            } else {
                Some(date)
            }
        }),
    };
    if date.is_none() {
        ctx.notes.push(format!("'{text}' is not a date"));
    }
    date.map(|date| DayRef { date, text, explicit: true, used })
}

fn parse_day<Tz: TimeZone>(toks: &[Tok], ctx: &mut Ctx<Tz>) -> Option<DayRef> {
    let today = ctx.today(None);
    (0..toks.len()).find_map(|i| named_day(toks, i, today).or_else(|| month_day(toks, i, today, ctx)))
}

#[derive(Clone, Copy)]
enum Period {
    Morning,
    Afternoon,
    Evening,
    Night,
    Tonight,
}

fn parse_period(toks: &[Tok]) -> Option<(Period, String, bool)> {
    for i in 0..toks.len() {
        let w = low(toks, i);
        let p = match w {
            "morning" => Period::Morning,
            "afternoon" => Period::Afternoon,
            "evening" => Period::Evening,
            "tonight" => Period::Tonight,
            "night" | "overnight" => Period::Night,
            _ => continue,
        };
        let last = i > 0 && low(toks, i - 1) == "last";
        return Some((p, if last { format!("last {w}") } else { w.to_string() }, last));
    }
    None
}

/// What the question said about time besides timestamps and durations: a day, clock times, a "since".
struct Mentions {
    day: Option<DayRef>,
    clocks: Vec<Clock>,
    skip: Vec<bool>,
    /// where "since" (or "after") is
    since: Option<usize>,
}

impl Mentions {
    fn read<Tz: TimeZone>(toks: &[Tok], ctx: &mut Ctx<Tz>) -> Self {
        let day = parse_day(toks, ctx);
        let mut skip = vec![false; toks.len()];
        for &i in day.iter().flat_map(|d| d.used.iter()) {
            skip[i] = true;
        }
        let clocks = clocks(toks, &skip);
        let since = toks.iter().position(|t| matches!(t.low.as_str(), "since" | "after"));
        Mentions { day, clocks, skip, since }
    }

    /// " Nov 20" after a clock time in the notes, when a day was named.
    fn on(&self) -> String {
        self.day.as_ref().map(|d| format!(" {}", d.text)).unwrap_or_default()
    }
}

pub(super) fn resolve_window<Tz: TimeZone>(toks: &[Tok], ctx: &mut Ctx<Tz>) -> Window {
    if let Some(w) = from_timestamps(toks, ctx).or_else(|| from_relative(toks, ctx)) {
        return w;
    }
    let said = Mentions::read(toks, ctx);
    from_range(toks, &said, ctx)
        .or_else(|| from_since_clock(toks, &said, ctx))
        .or_else(|| from_clock(&said, ctx))
        .or_else(|| from_period(toks, &said, ctx))
        .or_else(|| from_day(&said, ctx))
        .unwrap_or_else(|| ctx.window("no time given: the last hour", sub(ctx.now, Duration::hours(1)), ctx.now))
}

/// Full timestamps: "2026-11-20T03:10:00Z", "2026-11-20T03:10" (local). Two make a range, one a moment.
fn from_timestamps<Tz: TimeZone>(toks: &[Tok], ctx: &mut Ctx<Tz>) -> Option<Window> {
    let stamps: Vec<(DateTime<Utc>, &str)> = toks
        .iter()
        .filter_map(|t| {
            if !t.low.contains('t') || !t.low.starts_with(|c: char| c.is_ascii_digit()) {
                return None;
            }
            if let Ok(d) = DateTime::parse_from_rfc3339(&t.low.to_uppercase()) {
                return Some((d.with_timezone(&Utc), t.raw.as_str()));
            }
            let naive = NaiveDateTime::parse_from_str(&t.low, "%Y-%m-%dt%H:%M:%S")
                .or_else(|_| NaiveDateTime::parse_from_str(&t.low, "%Y-%m-%dt%H:%M"))
                .ok()?;
            ctx.try_at(naive, None).ok().map(|d| (d, t.raw.as_str()))
        })
        .collect();
    match stamps.as_slice() {
        [(a, ta), (b, tb), ..] => {
            let (s, e) = if a <= b { (*a, *b) } else { (*b, *a) };
            Some(ctx.window(&format!("'{ta}' to '{tb}'"), s, e))
        }
        [(t, text)] => Some(ctx.around(&format!("'{text}'"), *t, None)),
        [] => None,
    }
}

/// "last 30 minutes", "for about 10 minutes", "2 hours ago". A rough one reaches back further (`rough_reach`),
/// and says so in the notes.
fn from_relative<Tz: TimeZone>(toks: &[Tok], ctx: &mut Ctx<Tz>) -> Option<Window> {
    let r = parse_relative(toks)?;
    let max = Duration::days(MAX_RELATIVE_DAYS);
    let capped = |ctx: &mut Ctx<Tz>, d: Duration| {
        if d > max {
            ctx.notes.push(format!("'{}' is longer than {MAX_RELATIVE_DAYS} days: capped", r.text));
            max
        } else {
            d
        }
    };
    let len = capped(ctx, r.len);
    let reach = if r.rough { capped(ctx, rough_reach(len)).max(len) } else { len };
    let what = format!("'{}'", r.text);
    if r.rough {
        // an "ago" window already reaches half an hour before its moment
        let around = len + Duration::minutes(AROUND_MINUTES);
        let back = if r.said == Said::Ago { reach.max(around) } else { reach };
        ctx.notes.push(format!("{what} read as rough: looking back {}", spoken(back)));
    }
    let start = sub(ctx.now, reach);
    Some(match r.said {
        Said::Last | Said::Ongoing => ctx.window(&what, start, ctx.now),
        Said::Ago => ctx.around(&what, sub(ctx.now, len), r.rough.then_some(start)),
    })
}

/// Ranges: "between 14:00 and 15:30", "from 2pm to 3pm", "14:00-15:30".
fn from_range<Tz: TimeZone>(toks: &[Tok], said: &Mentions, ctx: &mut Ctx<Tz>) -> Option<Window> {
    let single_range = toks.iter().enumerate().find_map(|(i, t)| {
        let (a, b) = t.low.split_once('-')?;
        let ta = Tok { raw: a.to_string(), low: a.to_string() };
        let tb = Tok { raw: b.to_string(), low: b.to_string() };
        let (ca, _, _) = parse_clock(std::slice::from_ref(&ta), 0, false)?;
        let (cb, _, _) = parse_clock(std::slice::from_ref(&tb), 0, false)?;
        (!said.skip[i]).then(|| (ca, cb, None, t.raw.clone()))
    });
    let pair = said.clocks.windows(2).find_map(|w| {
        let gap = w[1].idx.checked_sub(w[0].end)?;
        let conn = low(toks, w[0].end);
        (gap == 1 && matches!(conn, "and" | "to" | "until" | "till" | "through"))
            .then(|| (w[0].clone(), w[1].clone(), conn))
    });
    let pair = pair.map(|(mut x, mut y, conn)| {
        let today = ctx.today(y.zone.or(x.zone));
        // "between 2 and 4" asked at 16:10: the afternoon that just passed
        if x.bare
            && y.bare
            && said.day.is_none()
            && (1..12).contains(&x.time.hour())
            && (1..12).contains(&y.time.hour())
            && ctx.at(today, pm(y.time), y.zone.or(x.zone)) <= ctx.now
        {
            (x.time, y.time) = (pm(x.time), pm(y.time));
            ctx.notes.push(format!("'{} {conn} {}' read as the afternoon", x.text, y.text));
        }
        (x.time, y.time, y.zone.or(x.zone), format!("{} {conn} {}", x.text, y.text))
    });
    let (a, b, zone, text) = pair.or(single_range)?;
    let what = format!("'{text}{}'", said.on());
    let date = ctx.pick_date(said.day.as_ref(), a, zone, &what);
    let start = ctx.at(date, a, zone);
    // "between 23:00 and 01:00" runs past midnight
    let end_date = if b <= a { day_after(date) } else { date };
    let end = ctx.at(end_date, b, zone);
    Some(ctx.window(&what, start, end))
}

/// "since 14:20", "since around 3", "since 9ish". A hedged clock time is rough: the window starts half an hour
/// earlier, the same slack "around 15:05" gets either side.
fn from_since_clock<Tz: TimeZone>(toks: &[Tok], said: &Mentions, ctx: &mut Ctx<Tz>) -> Option<Window> {
    let s = said.since?;
    let hedge = Some(low(toks, s + 1)).filter(|w| CLOCK_HEDGES.contains(w));
    let c = said.clocks.iter().find(|c| c.idx == s + 1 || (hedge.is_some() && c.idx == s + 2))?;
    let rough = c.ish || c.idx == s + 2;
    let hedge = hedge.filter(|_| c.idx == s + 2).map(|h| format!("{h} ")).unwrap_or_default();
    let what = format!("'since {hedge}{}{}'", c.text, said.on());
    let t = match ctx.afternoon(c, said.day.as_ref(), &what) {
        Some(t) => t,
        None => {
            let date = ctx.pick_date(said.day.as_ref(), c.time, c.zone, &what);
            ctx.at(date, c.time, c.zone)
        }
    };
    if !rough {
        return Some(ctx.window(&what, t, ctx.now));
    }
    let slack = Duration::minutes(AROUND_MINUTES);
    ctx.notes.push(format!("{what} read as rough: starting {} earlier", spoken(slack)));
    Some(ctx.window(&what, sub(t, slack), ctx.now))
}

/// "at 3pm", "around 15:05", "at 3": the window around that moment.
fn from_clock<Tz: TimeZone>(said: &Mentions, ctx: &mut Ctx<Tz>) -> Option<Window> {
    let c = said.clocks.first()?;
    let what = format!("'{}{}'", c.text, said.on());
    // "at 3" asked in the afternoon means the 3pm that just passed
    let t = match ctx.afternoon(c, said.day.as_ref(), &what) {
        Some(t) => t,
        None => {
            let date = ctx.pick_date(said.day.as_ref(), c.time, c.zone, &what);
            ctx.at(date, c.time, c.zone)
        }
    };
    Some(ctx.around(&what, t, None))
}

/// "this morning", "yesterday evening", "last night", "tonight", "since this morning".
fn from_period<Tz: TimeZone>(toks: &[Tok], said: &Mentions, ctx: &mut Ctx<Tz>) -> Option<Window> {
    let (p, text, last) = parse_period(toks)?;
    let today = ctx.today(None);
    let yesterday = day_before(today);
    let (date, p) = match (p, &said.day) {
        (Period::Tonight, _) if ctx.local_hour() >= 18 => (today, Period::Night),
        (Period::Tonight, _) => (yesterday, Period::Night),
        (_, _) if last => (yesterday, p),
        (_, Some(d)) => (d.date, p),
        (_, None) => (today, p),
    };
    let (a, b_date, b) = match p {
        Period::Morning => (hm(6, 0), date, hm(12, 0)),
        Period::Afternoon => (hm(12, 0), date, hm(18, 0)),
        Period::Evening => (hm(18, 0), date, end_of_day()),
        Period::Night | Period::Tonight => (hm(18, 0), day_after(date), hm(6, 0)),
    };
    let mut start = ctx.at(date, a, None);
    let mut end = ctx.at(b_date, b, None);
    let explicit = said.day.as_ref().is_some_and(|d| d.explicit);
    if start > ctx.now && !explicit && !last {
        // "this evening" asked at 16:00: the latest evening that has begun
        ctx.notes.push(format!("'{text}' has not begun yet: read as the day before"));
        start = ctx.at(day_before(date), a, None);
        end = ctx.at(day_before(b_date), b, None);
    }
    if said.since.is_some() {
        end = ctx.now;
    }
    let what = format!("'{}{text}'", said.day.as_ref().map(|d| format!("{} ", d.text)).unwrap_or_default());
    Some(ctx.window(&what, start, end))
}

/// "yesterday", "Nov 20", "since monday": the whole day, or from its start until now.
fn from_day<Tz: TimeZone>(said: &Mentions, ctx: &mut Ctx<Tz>) -> Option<Window> {
    let d = said.day.as_ref()?;
    let start = ctx.at(d.date, NaiveTime::MIN, None);
    let (end, what) = match said.since {
        Some(_) => (ctx.now, format!("'since {}'", d.text)),
        None => (ctx.at(d.date, end_of_day(), None), format!("'{}'", d.text)),
    };
    Some(ctx.window(&what, start, end))
}
