//! Parsed values: once a value of these types exists, it is valid. Those stored in the database
//! map to a TEXT column through their `as_str` and `FromStr` (`crate::db::text_column`).

/// `as_str`, `FromStr` and `Display` for an enum from its variants' stored names (the names
/// the database holds and the API shows).
macro_rules! named_variants {
    ($ty:ident { $($variant:ident => $name:literal),* $(,)? }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),* }
            }
        }
        impl std::str::FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<$ty, String> {
                match s {
                    $($name => Ok($ty::$variant),)*
                    other => Err(format!("unknown {} '{other}'", stringify!($ty))),
                }
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

mod audit;
pub mod backoff;
mod cif;
mod efactura;
mod email;
mod event;
pub mod ids;
mod key_scope;
mod password;
mod registry;
mod role;
mod token;
pub mod two_factor;

pub use audit::{Actor, AuditAction, AuditEvent, Outcome};
pub use cif::{Cif, CifProblem};
pub use efactura::{EfacturaEnvironment, romanian_day};
pub use email::Email;
pub use event::{EXPIRING_THRESHOLDS, EmailPreference, EventKind, expiring_threshold};
pub use ids::{
    ApiKeyId, CompanyId, DeliveryId, EndpointId, EventId, InvitationId, LinkId, MailId,
    NotificationId, PasskeyId, RefreshJobId, SandboxMailId, TokenId, UserId,
};
pub use key_scope::{KeyCompanies, KeyScope, Permission, Permissions};
pub use password::{Password, PasswordProblem};
pub use registry::RegistryAnswer;
pub use role::{MemberRole, Role};
pub use token::{
    Attention, ReconnectWindow, RefreshPlan, RefreshPolicy, RefreshSchedule, RefreshState,
    RefreshTokenClock, Rights, TokenFacts, TokenState, TokenStatus, refresh_due_after_refresh,
};
