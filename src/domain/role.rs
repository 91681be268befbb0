//! Who may do what: on the whole platform (`Role`) and within one company (`MemberRole`).

use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;

/// A person's role on the whole platform (company roles are separate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Role {
    /// Manages users and sees the audit log.
    Admin,
    /// Reads token status across all companies, never a secret, never changes anything.
    Support,
    /// Manages the companies they belong to.
    User,
}

named_variants!(Role { Admin => "admin", Support => "support", User => "user" });

/// A person's role within one company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum MemberRole {
    /// Connects, refreshes, deletes and reveals tokens; manages members.
    Admin,
    /// Sees status and expiry only.
    Viewer,
}

named_variants!(MemberRole { Admin => "admin", Viewer => "viewer" });

impl MemberRole {
    /// The catalog message naming the role to people.
    pub fn message_key(self) -> &'static str {
        match self {
            MemberRole::Admin => "members-role_admin",
            MemberRole::Viewer => "members-role_viewer",
        }
    }
}
