//! What is known of a stored token, and the one status it shows, derived from that and the clock.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;

/// Whether the token pair can still be used or only a new Connect ANAF helps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum TokenState {
    Active,
    ReconnectNeeded,
}

/// The last word of ANAF's rights probe (`listaMesajeFactura`) for the company's CIF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Rights {
    Unknown,
    Granted,
    Denied,
}

named_variants!(TokenState { Active => "active", ReconnectNeeded => "reconnect_needed" });
named_variants!(Rights { Unknown => "unknown", Granted => "granted", Denied => "denied" });

/// A token falls due for a refresh at most this many days before its access token expires.
pub const REFRESH_AHEAD_DAYS: i64 = 14;

/// When a token whose access token lives from `issued_at` to `expires_at` falls due for a
/// refresh: a fifth of its lifetime before expiry, at most `REFRESH_AHEAD_DAYS` before. ANAF's
/// 90-day tokens are due 14 days early; a 1-hour token 12 minutes early, so it is neither refreshed
/// on every read nor shown as expiring for its whole life.
pub fn refresh_due_at(issued_at: NaiveDateTime, expires_at: NaiveDateTime) -> NaiveDateTime {
    let lifetime = (expires_at - issued_at).max(TimeDelta::zero());
    expires_at - (lifetime / 5).min(TimeDelta::days(REFRESH_AHEAD_DAYS))
}

/// When a pair a refresh just obtained at `obtained_at` falls due again: as `refresh_due_at` says,
/// but not before half of its remaining life has passed. When ANAF answers a refresh with a token
/// that expires within the ahead window anyway, refreshing again at once would gain nothing and
/// repeat for ever.
pub fn refresh_due_after_refresh(
    due: NaiveDateTime,
    obtained_at: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> NaiveDateTime {
    let remaining = (expires_at - obtained_at).max(TimeDelta::zero());
    due.max(obtained_at + remaining / 2)
}

/// What a stored token's status depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenFacts {
    pub state: TokenState,
    pub rights: Rights,
    pub access_expires_at: NaiveDateTime,
    pub refresh_due_at: NaiveDateTime,
    pub has_refresh_token: bool,
    /// `None`: no refresh token, or its expiry is not known (an opaque refresh token).
    pub refresh_expires_at: Option<NaiveDateTime>,
}

impl TokenFacts {
    /// The access token works now (the API's `isValid`).
    pub fn is_valid(&self, now: NaiveDateTime) -> bool {
        self.state == TokenState::Active && self.access_expires_at > now
    }

    /// A refresh can still renew the pair (the API's `refreshable`): a refresh token is stored,
    /// ANAF has not refused it, and it has not expired as far as is known.
    pub fn refreshable(&self, now: NaiveDateTime) -> bool {
        self.state == TokenState::Active
            && self.has_refresh_token
            && self.refresh_expires_at.is_none_or(|at| at > now)
    }

    /// The one status the token shows at `now`.
    pub fn status(&self, now: NaiveDateTime) -> TokenStatus {
        if self.state == TokenState::ReconnectNeeded {
            return TokenStatus::ReconnectNeeded;
        }
        let usable = self.access_expires_at > now || self.refreshable(now);
        if !usable {
            return TokenStatus::Expired;
        }
        if self.rights == Rights::Denied {
            return TokenStatus::NoRights;
        }
        let days_left = (self.access_expires_at - now).num_days().max(0);
        if self.refresh_due_at <= now {
            TokenStatus::ExpiringSoon { days_left }
        } else {
            TokenStatus::Connected { days_left }
        }
    }
}

/// Where a token stands with the refresh engine, besides its `TokenFacts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshSchedule {
    /// A refresh holds the lease until then.
    pub refreshing_until: Option<NaiveDateTime>,
    /// After a passing failure: the next try.
    pub next_attempt_at: Option<NaiveDateTime>,
    /// The first failure of the current run.
    pub failing_since: Option<NaiveDateTime>,
    /// Failing for longer than `ANAF_PORTAL_REFRESH_FAILING_AFTER`.
    pub failing: bool,
}

/// What the portal is doing to keep a token alive, shown beside its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshState {
    /// Refreshed by itself once due, at `due`.
    Scheduled { due: NaiveDateTime },
    /// A refresh is in flight.
    Refreshing,
    /// The last try failed for a passing reason (timeout, 5xx, 429…); tried again at `next`.
    Retrying {
        since: NaiveDateTime,
        next: NaiveDateTime,
    },
    /// Failing since `since`, for longer than the threshold: still tried, twice a day.
    Failing {
        since: NaiveDateTime,
        next: NaiveDateTime,
    },
    /// Nothing will be tried: ANAF refused the refresh token, it expired, or none is stored.
    Stopped,
}

impl RefreshState {
    /// The token's refresh state at `now`.
    pub fn of(facts: &TokenFacts, schedule: &RefreshSchedule, now: NaiveDateTime) -> RefreshState {
        if !facts.refreshable(now) {
            return RefreshState::Stopped;
        }
        if schedule.refreshing_until.is_some_and(|until| until >= now) {
            return RefreshState::Refreshing;
        }
        match (schedule.failing_since, schedule.next_attempt_at) {
            (Some(since), Some(next)) if schedule.failing => RefreshState::Failing { since, next },
            (Some(since), Some(next)) => RefreshState::Retrying { since, next },
            _ => RefreshState::Scheduled {
                due: facts.refresh_due_at,
            },
        }
    }

    /// The name pages (`data-refresh`) and the API use.
    pub fn code(&self) -> &'static str {
        match self {
            RefreshState::Scheduled { .. } => "scheduled",
            RefreshState::Refreshing => "refreshing",
            RefreshState::Retrying { .. } => "retrying",
            RefreshState::Failing { .. } => "failing",
            RefreshState::Stopped => "stopped",
        }
    }
}

/// The status a company's token shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    NotConnected,
    Connected {
        days_left: i64,
    },
    /// Due for a refresh (the access token may even have expired, as long as its refresh token
    /// can renew it).
    ExpiringSoon {
        days_left: i64,
    },
    /// Expired, and nothing stored can renew it: only a new Connect ANAF helps.
    Expired,
    ReconnectNeeded,
    NoRights,
}

impl TokenStatus {
    /// A stable machine name, for filters and the API.
    pub fn code(self) -> &'static str {
        match self {
            TokenStatus::NotConnected => "not_connected",
            TokenStatus::Connected { .. } => "connected",
            TokenStatus::ExpiringSoon { .. } => "expiring_soon",
            TokenStatus::Expired => "expired",
            TokenStatus::ReconnectNeeded => "reconnect_needed",
            TokenStatus::NoRights => "no_rights",
        }
    }

    pub fn badge_class(self) -> &'static str {
        match self {
            TokenStatus::Connected { .. } => "badge badge-ok",
            TokenStatus::ExpiringSoon { .. } | TokenStatus::NoRights => "badge badge-warn",
            TokenStatus::Expired | TokenStatus::ReconnectNeeded => "badge badge-bad",
            TokenStatus::NotConnected => "badge badge-none",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hours: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .expect("valid")
            .naive_utc()
            + TimeDelta::hours(hours)
    }

    #[test]
    fn due_is_a_fifth_of_the_lifetime_at_most_fourteen_days() {
        assert_eq!(refresh_due_at(at(0), at(90 * 24)), at(76 * 24));
        assert_eq!(refresh_due_at(at(0), at(1)), at(1) - TimeDelta::minutes(12));
    }

    #[test]
    fn a_short_token_is_expiring_only_near_its_end_and_never_expired_while_refreshable() {
        let facts = TokenFacts {
            state: TokenState::Active,
            rights: Rights::Granted,
            access_expires_at: at(1),
            refresh_due_at: refresh_due_at(at(0), at(1)),
            has_refresh_token: true,
            refresh_expires_at: Some(at(24)),
        };
        assert!(matches!(facts.status(at(0)), TokenStatus::Connected { .. }));
        let late = at(1) - TimeDelta::minutes(5);
        assert!(matches!(
            facts.status(late),
            TokenStatus::ExpiringSoon { .. }
        ));
        assert!(facts.is_valid(late));
        // Past the access token's expiry: not valid, but not expired either while refreshable.
        assert!(!facts.is_valid(at(2)));
        assert!(facts.refreshable(at(2)));
        assert!(matches!(
            facts.status(at(2)),
            TokenStatus::ExpiringSoon { .. }
        ));
        assert_eq!(facts.status(at(25)), TokenStatus::Expired);
        let without_refresh = TokenFacts {
            has_refresh_token: false,
            ..facts
        };
        assert_eq!(without_refresh.status(at(2)), TokenStatus::Expired);
    }
}
