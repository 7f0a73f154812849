//! Times on the command line: RFC 3339, or a duration meaning "that long before now".

use chrono::{DateTime, Utc};

use crate::config::parse_duration;

pub fn parse(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(d.with_timezone(&Utc));
    }
    // RFC 3339 allows a space for the T.
    if let Ok(d) = DateTime::parse_from_rfc3339(&t.replacen(' ', "T", 1)) {
        return Ok(d.with_timezone(&Utc));
    }
    if let Ok(d) = parse_duration(t.trim_start_matches('-')) {
        let d = chrono::Duration::from_std(d).map_err(|e| e.to_string())?;
        // `now - d` panics when the result is before chrono's earliest date (a duration of a million years).
        return now
            .checked_sub_signed(d)
            .ok_or_else(|| format!("'{s}' reaches before the earliest representable time"));
    }
    Err(format!("'{s}' is not a time: use RFC 3339 (2026-11-20T15:00:00Z) or a duration before now (15m, 2h, 7d)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn absolute_and_relative() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        assert_eq!(
            parse("2026-11-20T15:00:00+01:00", now).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).unwrap()
        );
        assert_eq!(parse("2h", now).unwrap(), Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap());
        assert_eq!(parse("now", now).unwrap(), now);
        assert!(parse("yesterday", now).unwrap_err().contains("RFC 3339"));
    }
}
