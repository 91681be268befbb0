//! How timestamps are written: RFC 3339 for the API, to the minute for pages. Written digit by
//! digit: chrono's `format` parses its pattern on every call and `format!` pads through the
//! generic formatter, and a token list writes a hundred dates (it showed in both profiles).

use std::fmt;
use std::fmt::Write as _;

use chrono::{Datelike, NaiveDateTime, Timelike};

/// `2026-03-16T10:30:00Z`.
pub fn rfc3339_utc(at: NaiveDateTime) -> String {
    if !(0..=9999).contains(&at.year()) {
        return at.and_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    }
    let mut out = String::with_capacity(20);
    // Writing into a String cannot fail.
    let _ = (|| {
        push_date(&mut out, at)?;
        out.write_char('T')?;
        push_two_digits(&mut out, at.hour())?;
        out.write_char(':')?;
        push_two_digits(&mut out, at.minute())?;
        out.write_char(':')?;
        push_two_digits(&mut out, at.second())?;
        out.write_char('Z')
    })();
    out
}

/// `2026-03-16 10:30 UTC`.
pub fn minutes_utc(at: NaiveDateTime) -> String {
    let mut out = String::with_capacity(20);
    let _ = write_minutes_utc(&mut out, at);
    out
}

/// `2026-03-16 10:30 UTC`, written into `out` (pages write it straight into their HTML).
pub fn write_minutes_utc(out: &mut impl fmt::Write, at: NaiveDateTime) -> fmt::Result {
    if !(0..=9999).contains(&at.year()) {
        return write!(out, "{}", at.format("%Y-%m-%d %H:%M UTC"));
    }
    push_date(out, at)?;
    out.write_char(' ')?;
    push_two_digits(out, at.hour())?;
    out.write_char(':')?;
    push_two_digits(out, at.minute())?;
    out.write_str(" UTC")
}

/// `YYYY-MM-DD` for a year in 0..=9999.
fn push_date(out: &mut impl fmt::Write, at: NaiveDateTime) -> fmt::Result {
    let year = at.year().unsigned_abs();
    push_two_digits(out, year / 100)?;
    push_two_digits(out, year % 100)?;
    out.write_char('-')?;
    push_two_digits(out, at.month())?;
    out.write_char('-')?;
    push_two_digits(out, at.day())
}

fn push_two_digits(out: &mut impl fmt::Write, n: u32) -> fmt::Result {
    out.write_char(char::from(b'0' + (n / 10 % 10) as u8))?;
    out.write_char(char::from(b'0' + (n % 10) as u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_match_chrono() {
        for text in [
            "2026-03-16 10:30:05",
            "0999-01-02 03:04:59",
            "9999-12-31 23:59:59",
        ] {
            let at = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap();
            assert_eq!(rfc3339_utc(at), at.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            assert_eq!(minutes_utc(at), at.format("%Y-%m-%d %H:%M UTC").to_string());
        }
    }
}
