//! `Stamp`: a TIMESTAMP column decoded without re-reading a format string. On SQLite a timestamp
//! is text, and Diesel parses it by trying chrono format strings in turn; the format string itself
//! is parsed on every try, which was a sixth of the CPU time of `GET /api/v1/anaf/tokens` (50 rows,
//! four timestamps each; see docs/benchmarks.md). Diesel writes `%F %T%.f`: that layout is parsed
//! here with chrono's parser and a fixed item list; anything else falls back to Diesel.

use chrono::NaiveDateTime;
use chrono::format::{Fixed, Item, Numeric, Pad, Parsed};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::pg::Pg;
use diesel::sql_types::Timestamp;
use diesel::sqlite::Sqlite;

use crate::db::MultiBackend;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, FromSqlRow)]
pub struct Stamp(pub NaiveDateTime);

/// `%F %T%.f`, as Diesel writes timestamps to SQLite.
const SQLITE_LAYOUT: &[Item<'static>] = &[
    Item::Numeric(Numeric::Year, Pad::Zero),
    Item::Literal("-"),
    Item::Numeric(Numeric::Month, Pad::Zero),
    Item::Literal("-"),
    Item::Numeric(Numeric::Day, Pad::Zero),
    Item::Literal(" "),
    Item::Numeric(Numeric::Hour, Pad::Zero),
    Item::Literal(":"),
    Item::Numeric(Numeric::Minute, Pad::Zero),
    Item::Literal(":"),
    Item::Numeric(Numeric::Second, Pad::Zero),
    Item::Fixed(Fixed::Nanosecond),
];

fn parse_sqlite(text: &str) -> Option<NaiveDateTime> {
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, text, SQLITE_LAYOUT.iter()).ok()?;
    parsed.to_naive_datetime_with_offset(0).ok()
}

impl FromSql<Timestamp, Sqlite> for Stamp {
    fn from_sql(mut value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        let fast = match value.value_type() {
            Some(diesel::sqlite::SqliteType::Text) => parse_sqlite(value.read_text()),
            _ => None,
        };
        match fast {
            Some(at) => Ok(Stamp(at)),
            None => <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(Stamp),
        }
    }
}

impl FromSql<Timestamp, Pg> for Stamp {
    fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(Stamp)
    }
}

impl FromSql<Timestamp, MultiBackend> for Stamp {
    fn from_sql(value: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Stamp, Timestamp>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_diesel_writes_with_or_without_a_fraction() {
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 123_456_000)
            .expect("valid")
            .naive_utc();
        let written = at.format("%F %T%.f").to_string();
        assert_eq!(parse_sqlite(&written), Some(at));
        let whole = at.format("%F %T").to_string();
        assert_eq!(
            parse_sqlite(&whole),
            Some(at.with_nanosecond(0).expect("valid"))
        );
        assert_eq!(parse_sqlite("2026-11-30T08:00:00"), None, "left to Diesel");
    }

    use chrono::Timelike;
}
