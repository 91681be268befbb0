//! What is known of a stored token, and the one status it shows, derived from that and the clock.

use chrono::NaiveDateTime;

/// Whether the token pair can still be used or only a new Connect ANAF helps.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum TokenState {
    Active,
    ReconnectNeeded,
}

/// The last word of ANAF's rights probe (`listaMesajeFactura`) for the company's CIF.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Rights {
    Unknown,
    Granted,
    Denied,
}

named_variants!(TokenState { Active => "active", ReconnectNeeded => "reconnect_needed" });
named_variants!(Rights { Unknown => "unknown", Granted => "granted", Denied => "denied" });

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
    /// The status of a stored token from the three things it depends on.
    pub fn of(
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
