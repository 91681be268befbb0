//! Row ids as types: a `CompanyId` cannot be passed where a `TokenId` is wanted, so swapping two
//! arguments no longer compiles. Each is a BIGINT column (`crate::db::id_column`), shown and
//! parsed as its number.

use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::BigInt;
use serde::{Deserialize, Serialize};

macro_rules! row_ids {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            AsExpression, FromSqlRow,
        )]
        #[diesel(sql_type = BigInt)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The number stored in the database.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> $name {
                $name(id)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<$name, Self::Err> {
                s.parse().map($name)
            }
        }
    )*};
}

row_ids!(
    /// A person's account (`users.id`).
    UserId,
    /// A company record (`companies.id`).
    CompanyId,
    /// A stored ANAF token pair (`anaf_tokens.id`).
    TokenId,
    /// A webhook endpoint (`webhook_endpoints.id`).
    EndpointId,
    /// A webhook delivery (`webhook_deliveries.id`).
    DeliveryId,
    /// An event (`events.id`).
    EventId,
    /// An authorization link (`authorization_links.id`).
    LinkId,
    /// An API key (`api_keys.id`).
    ApiKeyId,
    /// A "refresh all that are due" job (`refresh_jobs.id`).
    RefreshJobId,
    /// A company invitation (`member_invitations.id`).
    InvitationId,
    /// A notification in the bell (`notifications.id`).
    NotificationId,
    /// A mail waiting in the outbox (`mail_outbox.id`).
    MailId,
    /// A mail kept for the sandbox mailbox page (`sandbox_mails.id`).
    SandboxMailId,
    /// A person's passkey (`passkeys.id`).
    PasskeyId,
);

/// Calls `$then!` with every id type above, so the database's column impls
/// (`crate::db::id_column`) cover each one without repeating the list.
macro_rules! with_row_ids {
    ($then:ident) => {
        $then!(
            UserId,
            CompanyId,
            TokenId,
            EndpointId,
            DeliveryId,
            EventId,
            LinkId,
            ApiKeyId,
            RefreshJobId,
            InvitationId,
            NotificationId,
            MailId,
            SandboxMailId,
            PasskeyId,
        );
    };
}
pub(crate) use with_row_ids;
