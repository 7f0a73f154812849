//! Personal data in numbers: payment card numbers (Luhn), IBANs (ISO 13616 length and
//! mod-97 check), US social security numbers (valid area, group and serial) and phone
//! numbers (E.164, and US national layouts).
//!
//! Logs are full of numbers, so every format is strict: a layout, a checksum or a range
//! check, and boundaries on both sides. Timestamps, ids, versions, durations and ports
//! fail at least one of them. Phone numbers in other national layouts are only taken
//! after a phone key (see the `phone-after-key` rule).

use super::scanner::is_alnum;
use super::{Kind, Span};

/// A byte before a number that makes it part of something else: `blk_-123…`, `v1.2`,
/// `/orders/4111…`, `+…` (handled by the phone scanner itself), `0x…`.
fn blocks_left(c: u8) -> bool {
    is_alnum(c) || matches!(c, b'_' | b'.' | b'-' | b'/' | b'\\' | b'$' | b'@' | b'%' | b'#')
}

/// The number ends at `end`: not glued to a word, a decimal part or a longer id.
fn ends_clean(b: &[u8], end: usize) -> bool {
    match b.get(end) {
        None => true,
        Some(&c) if is_alnum(c) || c == b'_' => false,
        Some(b'.' | b',' | b'-' | b'/' | b':') => !b.get(end + 1).is_some_and(u8::is_ascii_digit),
        _ => true,
    }
}

/// Digit groups separated by one separator from `seps`, the same one throughout.
#[derive(Default)]
struct Groups {
    lens: [usize; 8],
    ends: [usize; 8],
    n: usize,
    sep: u8,
}

fn groups(b: &[u8], start: usize, seps: &[u8]) -> Groups {
    let mut g = Groups::default();
    let mut i = start;
    while g.n < 8 {
        let d = i;
        // Bounded: no card, SSN or phone group is longer than 19 digits.
        while i < b.len() && i - d < 20 && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == d {
            break;
        }
        g.lens[g.n] = i - d;
        g.ends[g.n] = i;
        g.n += 1;
        let Some(&s) = b.get(i) else { break };
        let next_digit = b.get(i + 1).is_some_and(u8::is_ascii_digit);
        if !seps.contains(&s) || !next_digit || (g.sep != 0 && g.sep != s) {
            break;
        }
        g.sep = s;
        i += 1;
    }
    g
}

fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (n, &d) in digits.iter().rev().enumerate() {
        let mut v = u32::from(d - b'0');
        if n % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum.is_multiple_of(10)
}

/// Layouts cards are written in: one run, 4-4-4-4(-1..3), Amex 4-6-5, Diners 4-6-4.
fn card_layout(lens: &[usize]) -> bool {
    match lens {
        [n] => (13..=19).contains(n),
        [4, 6, 5] | [4, 6, 4] => true,
        [4, 4, 4, last] | [4, 4, 4, 4, last] => (1..=4).contains(last),
        _ => false,
    }
}

/// A row of four-digit readings continues to the left of `start` (`3552 3534 3375 …`).
fn row_before(b: &[u8], start: usize) -> bool {
    let prev_group = start >= 5 && b[start - 1] == b' ' && b[start - 5..start - 1].iter().all(u8::is_ascii_digit);
    prev_group && (start == 5 || b[start - 6] == b' ')
}

fn card(b: &[u8], start: usize) -> Option<usize> {
    // Nor is it read from the middle of a row: `3552 3534 3375 4530 3515 3479`.
    if row_before(b, start) {
        return None;
    }
    card_at(b, start)
}

fn card_at(b: &[u8], start: usize) -> Option<usize> {
    let g = groups(b, start, b" -");
    for k in (1..=g.n).rev() {
        let lens = &g.lens[..k];
        let end = g.ends[k - 1];
        // `4111-1111-1111-1111-22` is one longer id, and `3552 3534 3375 4530 3515` a row
        // of readings: a card is not followed by another group.
        let continues = k < g.n;
        if !card_layout(lens) || continues || (k == g.n && !ends_clean(b, end)) {
            continue;
        }
        let digits: Vec<u8> = b[start..end].iter().copied().filter(u8::is_ascii_digit).collect();
        // Issuer ranges start with 2 to 6; epoch milliseconds and most ids start with 1.
        if (13..=19).contains(&digits.len()) && (b'2'..=b'6').contains(&digits[0]) && luhn(&digits) {
            return Some(end);
        }
    }
    None
}

fn ssn(b: &[u8], start: usize) -> Option<usize> {
    let g = groups(b, start, b"-");
    if g.n != 3 || g.lens[..3] != [3, 2, 4] || !ends_clean(b, g.ends[2]) {
        return None;
    }
    let s = &b[start..g.ends[2]];
    let area = &s[0..3];
    let ok = area != b"000" && area != b"666" && area[0] != b'9' && &s[4..6] != b"00" && &s[7..11] != b"0000";
    ok.then_some(g.ends[2])
}

/// `+` and 8 to 15 digits, grouped by spaces, dashes, dots or one pair of parentheses.
/// Where more digits follow (`+1 415 555 0100 4111 1111 …`), it ends before a card or an
/// SSN that starts at a group, else at the last group that keeps it within 15 digits.
fn phone_e164(b: &[u8], start: usize) -> Option<usize> {
    if b.get(start + 1).is_none_or(|c| !(b'1'..=b'9').contains(c)) {
        return None;
    }
    let (mut i, mut digits) = (start + 1, 0);
    let mut open = false;
    let mut after_sep = false;
    // Group ends that could end the number: (end, digits so far, where the next group starts).
    let mut ends: Vec<(usize, usize, usize)> = Vec::new();
    while i < b.len() && i - start < 40 {
        match b[i] {
            b'0'..=b'9' => {
                digits += 1;
                after_sep = false;
                if !b.get(i + 1).is_some_and(u8::is_ascii_digit) && !open {
                    ends.push((i + 1, digits, i + 2));
                }
            }
            b' ' | b'-' | b'.' if !after_sep && b.get(i + 1).is_some_and(|&n| n.is_ascii_digit() || n == b'(') => {
                after_sep = true;
            }
            b'(' if !open && b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                open = true;
                after_sep = true;
            }
            b')' if open => {
                open = false;
                after_sep = false;
                ends.push((i + 1, digits, i + 2));
            }
            _ => break,
        }
        i += 1;
    }
    let fits: Vec<&(usize, usize, usize)> = ends.iter().filter(|e| (8..=15).contains(&e.1)).collect();
    let last = **fits.last()?;
    if last.0 == ends.last()?.0 {
        return ends_clean(b, last.0).then_some(last.0);
    }
    let before_number = fits.iter().rev().find(|e| card_at(b, e.2).is_some() || ssn(b, e.2).is_some());
    Some(before_number.map_or(last.0, |e| e.0))
}

/// US national layouts: `(415) 555-0123`, `415-555-0123`, `415.555.0123`, `1-415-555-0123`.
fn phone_us(b: &[u8], start: usize) -> Option<usize> {
    let plausible = |a: &[u8], x: &[u8]| (b'2'..=b'9').contains(&a[0]) && (b'2'..=b'9').contains(&x[0]);
    if b[start] == b'(' {
        let area = b.get(start + 1..start + 4)?;
        if !area.iter().all(u8::is_ascii_digit) || b.get(start + 4) != Some(&b')') {
            return None;
        }
        let mut i = start + 5;
        if b.get(i) == Some(&b' ') {
            i += 1;
        }
        let g = groups(b, i, b"-. ");
        let ok = g.n == 2 && g.lens[..2] == [3, 4] && plausible(area, &b[i..]) && ends_clean(b, g.ends[1]);
        return ok.then_some(g.ends[1]);
    }
    let g = groups(b, start, b"-.");
    let lens = &g.lens[..g.n];
    let first = match lens {
        [3, 3, 4] => start,
        [1, 3, 3, 4] if b[start] == b'1' => start + 2,
        _ => return None,
    };
    (plausible(&b[first..], &b[first + 4..]) && ends_clean(b, g.ends[g.n - 1])).then_some(g.ends[g.n - 1])
}

/// Cards, SSNs and phone numbers: one left-to-right pass over the numbers in `b`.
pub(super) fn scan_numbers(b: &[u8], spans: &mut Vec<Span>) {
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let opener = (c == b'+' || c == b'(') && b.get(i + 1).is_some_and(u8::is_ascii_digit);
        if !(c.is_ascii_digit() || opener) || (i > 0 && blocks_left(b[i - 1])) {
            i += 1;
            continue;
        }
        let found = match c {
            b'+' => phone_e164(b, i).map(|e| (e, Kind::Phone)),
            b'(' => phone_us(b, i).map(|e| (e, Kind::Phone)),
            _ => card(b, i)
                .map(|e| (e, Kind::Card))
                .or_else(|| ssn(b, i).map(|e| (e, Kind::Ssn)))
                .or_else(|| phone_us(b, i).map(|e| (e, Kind::Phone))),
        };
        match found {
            Some((end, kind)) => {
                spans.push(Span { start: i, end, kind });
                i = end;
            }
            // Skip the rest of this digit run: a number never starts inside another.
            None => i = (i + 1..b.len()).find(|&j| !b[j].is_ascii_digit()).unwrap_or(b.len()),
        }
    }
}

/// IBAN lengths by country (ISO 13616 registry).
const IBAN_LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BR", 29),
    (b"BY", 28),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"EG", 29),
    (b"ES", 24),
    (b"FI", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GI", 23),
    (b"GL", 18),
    (b"GR", 27),
    (b"GT", 28),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IQ", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"JO", 30),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LC", 32),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"LY", 25),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MK", 19),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NL", 18),
    (b"NO", 15),
    (b"PK", 24),
    (b"PL", 28),
    (b"PS", 29),
    (b"PT", 25),
    (b"QA", 29),
    (b"RO", 24),
    (b"RS", 22),
    (b"SA", 24),
    (b"SC", 31),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"ST", 25),
    (b"SV", 28),
    (b"TL", 23),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"XK", 20),
];

fn iban_mod97(chars: &[u8]) -> bool {
    let rearranged = chars[4..].iter().chain(&chars[..4]);
    let mut r: u32 = 0;
    for &c in rearranged {
        r = if c.is_ascii_digit() {
            (r * 10 + u32::from(c - b'0')) % 97
        } else {
            (r * 100 + u32::from(c - b'A') + 10) % 97
        };
    }
    r == 1
}

/// The end of a valid IBAN at `start`, written in one run or in groups of four.
fn iban(b: &[u8], start: usize) -> Option<usize> {
    let cc = b.get(start..start + 2)?;
    let len = IBAN_LENGTHS.iter().find(|(c, _)| c.as_slice() == cc)?.1;
    let mut chars = [0u8; 34];
    let (mut n, mut i) = (0, start);
    while n < len {
        let c = *b.get(i)?;
        if c.is_ascii_uppercase() || c.is_ascii_digit() {
            chars[n] = c;
            n += 1;
        } else if c == b' ' && n.is_multiple_of(4) && b.get(i + 1).is_some_and(u8::is_ascii_alphanumeric) {
            // A group separator.
        } else {
            return None;
        }
        i += 1;
    }
    (ends_clean(b, i) && iban_mod97(&chars[..len])).then_some(i)
}

/// IBANs: two capital letters and two check digits at a word start, then the checksum.
pub(super) fn scan_ibans(b: &[u8], spans: &mut Vec<Span>) {
    let mut i = 0;
    while i + 15 <= b.len() {
        let head = &b[i..i + 4];
        let candidate = head[0].is_ascii_uppercase()
            && head[1].is_ascii_uppercase()
            && head[2].is_ascii_digit()
            && head[3].is_ascii_digit()
            && (i == 0 || !(is_alnum(b[i - 1]) || b[i - 1] == b'_'));
        if let Some(end) = candidate.then(|| iban(b, i)).flatten() {
            spans.push(Span { start: i, end, kind: Kind::Iban });
            i = end;
        } else {
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(String, Kind)> {
        let mut spans = Vec::new();
        scan_numbers(s.as_bytes(), &mut spans);
        scan_ibans(s.as_bytes(), &mut spans);
        spans.iter().map(|sp| (s[sp.start..sp.end].to_string(), sp.kind)).collect()
    }

    #[test]
    fn checksums() {
        assert!(luhn(b"4111111111111111"));
        assert!(!luhn(b"4111111111111112"));
        assert!(luhn(b"378282246310005"));
        assert!(iban_mod97(b"GB82WEST12345698765432"));
        assert!(!iban_mod97(b"GB82WEST12345698765433"));
        assert!(iban_mod97(b"DE89370400440532013000"));
    }

    #[test]
    fn numbers_found() {
        for (text, want, kind) in [
            ("card 4111111111111111 declined", "4111111111111111", Kind::Card),
            ("card 4111 1111 1111 1111, exp 12/29", "4111 1111 1111 1111", Kind::Card),
            ("amex 3782-822463-10005.", "3782-822463-10005", Kind::Card),
            ("mc=5555555555554444", "5555555555554444", Kind::Card),
            ("ssn 123-45-6789 on file", "123-45-6789", Kind::Ssn),
            ("call +1 415 555 0123 now", "+1 415 555 0123", Kind::Phone),
            ("tel:+442079460958", "+442079460958", Kind::Phone),
            ("+49 (0)30 1234567", "+49 (0)30 1234567", Kind::Phone),
            ("call (415) 555-0123", "(415) 555-0123", Kind::Phone),
            ("call 415-555-0123", "415-555-0123", Kind::Phone),
            ("call 1-415-555-0123", "1-415-555-0123", Kind::Phone),
            ("iban GB82 WEST 1234 5698 7654 32 paid", "GB82 WEST 1234 5698 7654 32", Kind::Iban),
            ("to DE89370400440532013000", "DE89370400440532013000", Kind::Iban),
        ] {
            assert_eq!(kinds(text), vec![(want.to_string(), kind)], "{text}");
        }
    }

    #[test]
    fn near_misses_stay() {
        for text in [
            "card 4111111111111112 declined",
            "id 1445144423722 epoch ms 1700000000000",
            "blk_-6952295868487656571 and blk_38865049064139660",
            "iban GB82WEST12345698765433 typo",
            "ssn 000-12-3456 666-12-3456 900-12-3456 123-00-4567 123-45-0000",
            "2015-10-18 18:01:47,978 took 1500ms on port 50010",
            "version 10.4.12.1 uuid 550e8400-e29b-41d4-a716-446655440000",
            "+0100 +05:30 UTC offset, +1000ms later",
            "call 123-555-0123 (area 1xx)",
            "10.251.73.220:50010 and 192.168.1.1",
            "trace 4bf92f3577b34da6a3ce929d0e0e4736",
            "4111-1111-1111-1111-22 is an order ref",
            "Fan speeds ( 3552 3534 3375 4530 3515 3479 )",
            "AB12 is not an iban, nor is ZZ12345678901234",
        ] {
            assert_eq!(kinds(text), vec![], "{text}");
        }
    }
}
