//! The one status a company's token shows, derived from its row and the clock.

use chrono::NaiveDateTime;

use crate::db::models::tokens::{Rights, TokenMeta, TokenState};

/// Under this many days to expiry, a token is "expiring soon".
pub const EXPIRING_SOON_DAYS: i64 = 14;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    NotConnected,
    Connected { days_left: i64 },
    ExpiringSoon { days_left: i64 },
    Expired,
    ReconnectNeeded,
    NoRights,
}

impl TokenStatus {
    pub fn of(token: Option<&TokenMeta>, now: NaiveDateTime) -> TokenStatus {
        let Some(token) = token else {
            return TokenStatus::NotConnected;
        };
        TokenStatus::from_parts(token.state(), token.access_expires_at, token.rights(), now)
    }

    /// The status of a stored token from the three columns it depends on.
    pub fn from_parts(
        state: TokenState,
        access_expires_at: NaiveDateTime,
        rights: Rights,
        now: NaiveDateTime,
    ) -> TokenStatus {
        if state == TokenState::ReconnectNeeded {
            return TokenStatus::ReconnectNeeded;
        }
        if access_expires_at <= now {
            return TokenStatus::Expired;
        }
        if rights == Rights::Denied {
            return TokenStatus::NoRights;
        }
        let days_left = (access_expires_at - now).num_days();
        if days_left < EXPIRING_SOON_DAYS {
            TokenStatus::ExpiringSoon { days_left }
        } else {
            TokenStatus::Connected { days_left }
        }
    }

    /// What the API calls `isValid`: usable for e-Factura calls right now.
    pub fn is_valid(self) -> bool {
        matches!(
            self,
            TokenStatus::Connected { .. }
                | TokenStatus::ExpiringSoon { .. }
                | TokenStatus::NoRights
        )
    }

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
