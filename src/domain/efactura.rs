//! e-Factura's two environments (`test` and `prod`, as ANAF's paths name them) and the day its
//! daily limits count in (Romanian time).

use chrono::{NaiveDateTime, TimeZone};

/// Which e-Factura environment a call goes to (the rights probe's, or the one a gateway call
/// names in its path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EfacturaEnvironment {
    Test,
    Prod,
}

impl EfacturaEnvironment {
    pub fn path(self) -> &'static str {
        match self {
            EfacturaEnvironment::Test => "test",
            EfacturaEnvironment::Prod => "prod",
        }
    }
}

/// The Romanian day `at` (UTC) falls in: its start and the next day's start, in UTC. ANAF's daily
/// limits renew at midnight in Bucharest.
pub fn romanian_day(at: NaiveDateTime) -> (NaiveDateTime, NaiveDateTime) {
    let zone = chrono_tz::Europe::Bucharest;
    let day = at.and_utc().with_timezone(&zone).date_naive();
    let start_of = |date: chrono::NaiveDate| {
        zone.from_local_datetime(&date.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map_or(date.and_time(chrono::NaiveTime::MIN), |t| t.naive_utc())
    };
    let next = day.succ_opt().unwrap_or(day);
    (start_of(day), start_of(next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_romanian_day_starts_at_local_midnight() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 30)
            .and_then(|d| d.and_hms_opt(23, 30, 0))
            .expect("valid");
        let (start, next) = romanian_day(at);
        assert_eq!(start.to_string(), "2026-11-30 22:00:00");
        assert_eq!(next.to_string(), "2026-12-01 22:00:00");
    }
}
