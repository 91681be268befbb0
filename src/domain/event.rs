//! What happened to a token that people (and their software) must hear about, and how each
//! person wants to hear it by email.

use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;

/// The kinds of events, as webhooks and the API name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum EventKind {
    Connected,
    Refreshed,
    /// Some days before the date by which a person must act (`act_by`).
    Expiring,
    RefreshFailing,
    ReconnectNeeded,
    RightsLost,
    Deleted,
    /// The token stopped serving the company because people who could not use it before would
    /// have gained it through the company (the token rule; see docs/security.md).
    Detached,
    /// One person's webhook endpoint failed for days and was disabled (not sent to webhooks).
    WebhookDisabled,
}

named_variants!(EventKind {
    Connected => "token.connected",
    Refreshed => "token.refreshed",
    Expiring => "token.expiring",
    RefreshFailing => "token.refresh_failing",
    ReconnectNeeded => "token.reconnect_needed",
    RightsLost => "token.rights_lost",
    Deleted => "token.deleted",
    Detached => "token.detached",
    WebhookDisabled => "webhook.disabled",
});

impl EventKind {
    /// The events a webhook endpoint can subscribe to.
    pub const FOR_WEBHOOKS: [EventKind; 7] = [
        EventKind::Connected,
        EventKind::Refreshed,
        EventKind::Expiring,
        EventKind::RefreshFailing,
        EventKind::ReconnectNeeded,
        EventKind::RightsLost,
        EventKind::Deleted,
    ];

    /// Only a person can help: worth an email (routine events stay in the bell and webhooks).
    pub fn needs_a_person(self) -> bool {
        matches!(
            self,
            EventKind::Expiring
                | EventKind::RefreshFailing
                | EventKind::ReconnectNeeded
                | EventKind::RightsLost
                | EventKind::Detached
                | EventKind::WebhookDisabled
        )
    }

    /// The catalog key part of this kind (`event-<slug>-title`, …).
    pub fn slug(self) -> &'static str {
        match self {
            EventKind::Connected => "connected",
            EventKind::Refreshed => "refreshed",
            EventKind::Expiring => "expiring",
            EventKind::RefreshFailing => "refresh_failing",
            EventKind::ReconnectNeeded => "reconnect_needed",
            EventKind::RightsLost => "rights_lost",
            EventKind::Deleted => "deleted",
            EventKind::Detached => "detached",
            EventKind::WebhookDisabled => "webhook_disabled",
        }
    }
}

/// Days before the date by which a person must act at which `token.expiring` is said.
pub const EXPIRING_THRESHOLDS: [i64; 4] = [14, 7, 3, 1];

/// The threshold a token with `days_left` whole days before its date has crossed: the smallest
/// one not below it (a token first seen 2 days before is told "3 days", once).
pub fn expiring_threshold(days_left: i64) -> Option<i64> {
    EXPIRING_THRESHOLDS
        .iter()
        .rev()
        .copied()
        .find(|&threshold| days_left < threshold)
}

/// How a person wants email about their companies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, AsExpression, FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum EmailPreference {
    /// One email per token per change, at most one per token a day.
    #[default]
    Immediate,
    /// One email a day listing every company that needs attention, when something changed.
    Digest,
    Off,
}

named_variants!(EmailPreference { Immediate => "immediate", Digest => "digest", Off => "off" });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_threshold_not_below_the_days_left_is_crossed() {
        assert_eq!(expiring_threshold(20), None);
        assert_eq!(expiring_threshold(14), None);
        assert_eq!(expiring_threshold(13), Some(14));
        assert_eq!(expiring_threshold(7), Some(14));
        assert_eq!(expiring_threshold(6), Some(7));
        assert_eq!(expiring_threshold(2), Some(3));
        assert_eq!(expiring_threshold(0), Some(1));
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in EventKind::FOR_WEBHOOKS {
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(kind));
        }
    }
}
