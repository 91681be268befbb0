//! What an API key may do: a set of permissions and the companies it may act for. A key never
//! does more than its owner may: a viewer's key only reads (`KeyScope::allows`).

use std::collections::BTreeSet;

use crate::domain::{CompanyId, MemberRole};

/// One thing a key may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    /// e-Factura through the gateway: lists, downloads, status, validation, PDF.
    EfacturaRead,
    /// e-Factura uploads through the gateway.
    EfacturaWrite,
    /// Reading the tokens' status (`GET /api/v1/anaf/tokens…`).
    TokensRead,
    /// Importing, refreshing and deleting tokens.
    TokensWrite,
    /// Reading a decrypted access token (`…/access-token`).
    TokensSecret,
}

named_variants!(Permission {
    EfacturaRead => "efactura:read",
    EfacturaWrite => "efactura:write",
    TokensRead => "tokens:read",
    TokensWrite => "tokens:write",
    TokensSecret => "tokens:secret",
});

impl Permission {
    pub const ALL: [Permission; 5] = [
        Permission::EfacturaRead,
        Permission::EfacturaWrite,
        Permission::TokensRead,
        Permission::TokensWrite,
        Permission::TokensSecret,
    ];

    /// Whether a company viewer's key may use it: only the reading ones.
    pub fn is_read(self) -> bool {
        matches!(self, Permission::EfacturaRead | Permission::TokensRead)
    }
}

/// A key's permissions, stored as their names separated by spaces (as an OAuth `scope`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permissions(BTreeSet<Permission>);

impl Permissions {
    pub fn new(permissions: impl IntoIterator<Item = Permission>) -> Permissions {
        Permissions(permissions.into_iter().collect())
    }

    pub fn contains(&self, permission: Permission) -> bool {
        self.0.contains(&permission)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        self.0.iter().copied()
    }

    /// The stored form: `efactura:read tokens:read`.
    pub fn to_stored(&self) -> String {
        self.iter()
            .map(Permission::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Parses the stored or submitted form; an unknown name is an error naming it.
    pub fn parse(text: &str) -> Result<Permissions, String> {
        text.split_whitespace()
            .map(str::parse::<Permission>)
            .collect::<Result<BTreeSet<_>, _>>()
            .map(Permissions)
    }
}

/// Which companies a key may act for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCompanies {
    /// Every company its owner is a member of, now and later.
    All,
    /// Only these (still only while its owner is a member).
    Only(BTreeSet<CompanyId>),
}

/// What a key may do, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyScope {
    pub permissions: Permissions,
    pub companies: KeyCompanies,
}

impl KeyScope {
    /// Whether the key may use `permission` for `company`, where its owner's role is `role`.
    pub fn allows(&self, permission: Permission, company: CompanyId, role: MemberRole) -> bool {
        self.permissions.contains(permission)
            && self.covers(company)
            && (permission.is_read() || role == MemberRole::Admin)
    }

    /// Whether the key may act for `company` at all.
    pub fn covers(&self, company: CompanyId) -> bool {
        match &self.companies {
            KeyCompanies::All => true,
            KeyCompanies::Only(ids) => ids.contains(&company),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_round_trip_and_refuse_unknown_names() {
        let parsed = Permissions::parse("tokens:read  efactura:read").expect("valid");
        assert_eq!(parsed.to_stored(), "efactura:read tokens:read");
        assert_eq!(
            Permissions::parse("tokens:read efactura:admin"),
            Err("unknown Permission 'efactura:admin'".to_owned())
        );
    }

    #[test]
    fn a_viewer_key_only_reads_and_only_for_its_companies() {
        let scope = KeyScope {
            permissions: Permissions::new(Permission::ALL),
            companies: KeyCompanies::Only([CompanyId(1)].into()),
        };
        assert!(scope.allows(Permission::EfacturaRead, CompanyId(1), MemberRole::Viewer));
        assert!(!scope.allows(Permission::EfacturaWrite, CompanyId(1), MemberRole::Viewer));
        assert!(scope.allows(Permission::EfacturaWrite, CompanyId(1), MemberRole::Admin));
        assert!(!scope.allows(Permission::EfacturaRead, CompanyId(2), MemberRole::Admin));
    }
}
