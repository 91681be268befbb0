use std::fmt;
use std::str::FromStr;

/// A person's role on the whole platform (company roles are separate).
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
pub enum Role {
    /// Manages users and sees the audit log.
    Admin,
    /// Reads token status across all companies, never a secret, never changes anything.
    Support,
    /// Manages the companies they belong to.
    User,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Support => "support",
            Role::User => "user",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "support" => Ok(Role::Support),
            "user" => Ok(Role::User),
            other => Err(format!("'{other}' is not a role (admin, support or user)")),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person's role within one company.
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
pub enum MemberRole {
    /// Connects, refreshes, deletes and reveals tokens; manages members.
    Admin,
    /// Sees status and expiry only.
    Viewer,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Admin => "admin",
            MemberRole::Viewer => "viewer",
        }
    }
}

impl FromStr for MemberRole {
    type Err = String;
    fn from_str(s: &str) -> Result<MemberRole, String> {
        match s.trim() {
            "admin" => Ok(MemberRole::Admin),
            "viewer" => Ok(MemberRole::Viewer),
            other => Err(format!("'{other}' is not a company role (admin or viewer)")),
        }
    }
}
