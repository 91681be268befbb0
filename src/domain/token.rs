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

/// How early the portal acts on a token's clocks: `ANAF_PORTAL_REFRESH_AHEAD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshPolicy {
    pub ahead: TimeDelta,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        RefreshPolicy {
            ahead: TimeDelta::days(14),
        }
    }
}

/// What is known of a pair's refresh token when it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshTokenClock {
    /// No refresh token: the access token's expiry is the date by which a person must act.
    Missing,
    /// A refresh brings a refresh token with a new lifetime, as far as is known. Its expiry
    /// (from its JWT) is `None` when the token is opaque.
    Renewable {
        issued_at: Option<NaiveDateTime>,
        expires_at: Option<NaiveDateTime>,
    },
    /// The last refresh did not move the refresh token's expiry (ANAF does not restart its
    /// lifetime): only a reconnect moves that date.
    Fixed { expires_at: NaiveDateTime },
}

/// When only a person can keep a token alive: from `from` on, pages say "reconnect before `by`".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconnectWindow {
    pub from: NaiveDateTime,
    pub by: NaiveDateTime,
}

/// What the portal plans for a pair as it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshPlan {
    pub due_at: NaiveDateTime,
    pub reconnect: Option<ReconnectWindow>,
}

impl RefreshPolicy {
    /// When a clock running from `issued_at` to `expires_at` needs acting on: a fifth of its
    /// lifetime before the end, at most `ahead` before. ANAF's 90-day tokens are due 14 days early;
    /// a 1-hour token 12 minutes early, so it is neither refreshed on every read nor shown as
    /// expiring for its whole life.
    pub fn due_before(&self, issued_at: NaiveDateTime, expires_at: NaiveDateTime) -> NaiveDateTime {
        let lifetime = (expires_at - issued_at).max(TimeDelta::zero());
        expires_at - (lifetime / 5).min(self.ahead)
    }

    /// The plan for a pair whose access token lives from `issued_at` to `access_expires_at`. Both
    /// clocks count: a renewable refresh token that ends first makes the pair due before its
    /// refresh token's own end; one a refresh cannot extend opens a reconnect window instead.
    pub fn plan(
        &self,
        issued_at: NaiveDateTime,
        access_expires_at: NaiveDateTime,
        refresh: RefreshTokenClock,
    ) -> RefreshPlan {
        let access_due = self.due_before(issued_at, access_expires_at);
        match refresh {
            RefreshTokenClock::Missing => RefreshPlan {
                due_at: access_due,
                reconnect: Some(ReconnectWindow {
                    from: access_due,
                    by: access_expires_at,
                }),
            },
            RefreshTokenClock::Renewable {
                issued_at: refresh_issued,
                expires_at: Some(refresh_expires),
            } => RefreshPlan {
                due_at: access_due
                    .min(self.due_before(refresh_issued.unwrap_or(issued_at), refresh_expires)),
                reconnect: None,
            },
            RefreshTokenClock::Renewable {
                expires_at: None, ..
            } => RefreshPlan {
                due_at: access_due,
                reconnect: None,
            },
            RefreshTokenClock::Fixed { expires_at } => RefreshPlan {
                due_at: access_due,
                reconnect: Some(ReconnectWindow {
                    from: expires_at - self.ahead,
                    by: expires_at,
                }),
            },
        }
    }
}

/// When a pair a refresh just obtained at `obtained_at` falls due again: as planned, but not
/// before half of its remaining life has passed. When ANAF answers a refresh with a token that
/// expires within the ahead window anyway, refreshing again at once would gain nothing and repeat
/// for ever.
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
    /// Set when only a reconnect can keep the token alive past a date.
    pub reconnect: Option<ReconnectWindow>,
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

    /// The date by which someone must reconnect, once that is within the window: no refresh can
    /// move it.
    pub fn reconnect_by(&self, now: NaiveDateTime) -> Option<NaiveDateTime> {
        self.reconnect
            .filter(|w| self.state == TokenState::Active && w.from <= now && now < w.by)
            .map(|w| w.by)
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
    /// No refresh can keep the token alive past `by` (no refresh token, or ANAF does not extend
    /// the refresh token's expiry): someone must reconnect before then. Refreshes go on until.
    ReconnectBefore { by: NaiveDateTime },
    /// Nothing will be tried: ANAF refused the refresh token, it expired, or none is stored.
    Stopped,
}

impl RefreshState {
    /// The token's refresh state at `now`.
    pub fn of(facts: &TokenFacts, schedule: &RefreshSchedule, now: NaiveDateTime) -> RefreshState {
        if let Some(by) = facts.reconnect_by(now) {
            return RefreshState::ReconnectBefore { by };
        }
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
            RefreshState::ReconnectBefore { .. } => "reconnect_before",
            RefreshState::Stopped => "stopped",
        }
    }
}

/// Why only a person can help a token now, most urgent first (the order of the digest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Attention {
    ReconnectNeeded,
    NoRights,
    RefreshFailing { since: NaiveDateTime },
    Expired,
    ReconnectBefore { by: NaiveDateTime },
}

impl Attention {
    /// What a token needs from a person at `now`, if anything.
    pub fn of(
        facts: &TokenFacts,
        schedule: &RefreshSchedule,
        now: NaiveDateTime,
    ) -> Option<Attention> {
        match (facts.status(now), RefreshState::of(facts, schedule, now)) {
            (TokenStatus::ReconnectNeeded, _) => Some(Attention::ReconnectNeeded),
            (TokenStatus::NoRights, _) => Some(Attention::NoRights),
            (TokenStatus::Expired, _) => Some(Attention::Expired),
            (_, RefreshState::Failing { since, .. }) => Some(Attention::RefreshFailing { since }),
            (_, RefreshState::ReconnectBefore { by }) => Some(Attention::ReconnectBefore { by }),
            _ => None,
        }
    }

    /// The catalog key part (`attention-<slug>`).
    pub fn slug(&self) -> &'static str {
        match self {
            Attention::ReconnectNeeded => "reconnect_needed",
            Attention::NoRights => "no_rights",
            Attention::RefreshFailing { .. } => "refresh_failing",
            Attention::Expired => "expired",
            Attention::ReconnectBefore { .. } => "reconnect_before",
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

    /// The token serves its company: connected, or due for a refresh that can still renew it.
    pub fn works(self) -> bool {
        matches!(
            self,
            TokenStatus::Connected { .. } | TokenStatus::ExpiringSoon { .. }
        )
    }

    pub fn badge_class(self) -> &'static str {
        match self {
            TokenStatus::Connected { .. } => "badge badge-ok",
            TokenStatus::ExpiringSoon { .. } => "badge badge-warn",
            // Without SPV rights e-Factura is blocked, as with a dead token.
            TokenStatus::Expired | TokenStatus::ReconnectNeeded | TokenStatus::NoRights => {
                "badge badge-bad"
            }
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

    fn days(n: i64) -> NaiveDateTime {
        at(n * 24)
    }

    #[test]
    fn due_is_a_fifth_of_the_lifetime_at_most_the_ahead_window() {
        let policy = RefreshPolicy::default();
        assert_eq!(policy.due_before(at(0), days(90)), days(76));
        assert_eq!(
            policy.due_before(at(0), at(1)),
            at(1) - TimeDelta::minutes(12)
        );
        let narrower = RefreshPolicy {
            ahead: TimeDelta::days(10),
        };
        assert_eq!(narrower.due_before(at(0), days(90)), days(80));
    }

    #[test]
    fn both_clocks_count() {
        let policy = RefreshPolicy::default();
        // ANAF's usual pair: the access clock decides.
        let usual = policy.plan(
            at(0),
            days(90),
            RefreshTokenClock::Renewable {
                issued_at: Some(at(0)),
                expires_at: Some(days(365)),
            },
        );
        assert_eq!(
            usual,
            RefreshPlan {
                due_at: days(76),
                reconnect: None
            }
        );
        // A refresh token that ends first makes the pair due before it ends.
        let short = policy.plan(
            at(0),
            days(90),
            RefreshTokenClock::Renewable {
                issued_at: Some(at(0)),
                expires_at: Some(days(30)),
            },
        );
        assert_eq!(short.due_at, days(24));
        // One a refresh cannot extend: refreshes follow the access clock, and a person is asked
        // to reconnect from 14 days before its end.
        let fixed = policy.plan(
            at(0),
            days(90),
            RefreshTokenClock::Fixed {
                expires_at: days(100),
            },
        );
        assert_eq!(fixed.due_at, days(76));
        assert_eq!(
            fixed.reconnect,
            Some(ReconnectWindow {
                from: days(86),
                by: days(100)
            })
        );
        // No refresh token: the access token's own end.
        let missing = policy.plan(at(0), days(90), RefreshTokenClock::Missing);
        assert_eq!(
            missing.reconnect,
            Some(ReconnectWindow {
                from: days(76),
                by: days(90)
            })
        );
    }

    #[test]
    fn reconnect_before_shows_inside_the_window_only() {
        let facts = TokenFacts {
            state: TokenState::Active,
            rights: Rights::Granted,
            access_expires_at: days(90),
            refresh_due_at: days(76),
            has_refresh_token: true,
            refresh_expires_at: Some(days(100)),
            reconnect: Some(ReconnectWindow {
                from: days(86),
                by: days(100),
            }),
        };
        let schedule = RefreshSchedule {
            refreshing_until: None,
            next_attempt_at: None,
            failing_since: None,
            failing: false,
        };
        assert_eq!(
            RefreshState::of(&facts, &schedule, days(85)),
            RefreshState::Scheduled { due: days(76) }
        );
        assert_eq!(
            RefreshState::of(&facts, &schedule, days(87)),
            RefreshState::ReconnectBefore { by: days(100) }
        );
        assert_eq!(
            RefreshState::of(&facts, &schedule, days(101)),
            RefreshState::Stopped
        );
        let refused = TokenFacts {
            state: TokenState::ReconnectNeeded,
            ..facts
        };
        assert_eq!(
            RefreshState::of(&refused, &schedule, days(87)),
            RefreshState::Stopped
        );
    }

    #[test]
    fn a_short_token_is_expiring_only_near_its_end_and_never_expired_while_refreshable() {
        let facts = TokenFacts {
            state: TokenState::Active,
            rights: Rights::Granted,
            access_expires_at: at(1),
            refresh_due_at: RefreshPolicy::default().due_before(at(0), at(1)),
            has_refresh_token: true,
            refresh_expires_at: Some(at(24)),
            reconnect: None,
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
