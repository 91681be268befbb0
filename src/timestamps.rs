//! How timestamps are written: RFC 3339 for the API, to the minute for pages. Written digit by
//! digit: chrono's `format` parses its pattern on every call and `format!` pads through the
//! generic formatter, and a token list writes a hundred dates (it showed in both profiles).

use chrono::{Datelike, NaiveDateTime, Timelike};

/// `2026-03-16T10:30:00Z`.
pub fn rfc3339_utc(at: NaiveDateTime) -> String {
    if !(0..=9999).contains(&at.year()) {
        return at.and_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    }
    let mut out = String::with_capacity(20);
    push_date(&mut out, at);
    out.push('T');
    push_two_digits(&mut out, at.hour());
    out.push(':');
    push_two_digits(&mut out, at.minute());
    out.push(':');
    push_two_digits(&mut out, at.second());
    out.push('Z');
    out
}

/// `2026-03-16 10:30 UTC`.
pub fn minutes_utc(at: NaiveDateTime) -> String {
    if !(0..=9999).contains(&at.year()) {
        return at.format("%Y-%m-%d %H:%M UTC").to_string();
    }
    let mut out = String::with_capacity(20);
    push_date(&mut out, at);
    out.push(' ');
    push_two_digits(&mut out, at.hour());
    out.push(':');
    push_two_digits(&mut out, at.minute());
    out.push_str(" UTC");
    out
}

/// `YYYY-MM-DD` for a year in 0..=9999.
fn push_date(out: &mut String, at: NaiveDateTime) {
    let year = at.year().unsigned_abs();
    push_two_digits(out, year / 100);
    push_two_digits(out, year % 100);
    out.push('-');
    push_two_digits(out, at.month());
    out.push('-');
    push_two_digits(out, at.day());
}

fn push_two_digits(out: &mut String, n: u32) {
    out.push(char::from(b'0' + (n / 10 % 10) as u8));
    out.push(char::from(b'0' + (n % 10) as u8));
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
