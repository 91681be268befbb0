use std::fmt;
use std::str::FromStr;

/// A person's role on the whole platform (company roles are separate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
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
