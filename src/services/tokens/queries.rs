//! What the pages and the API read about tokens, each one service call: the rows, not their
//! presentation.

use std::collections::HashSet;

use crate::db::models::tokens::{self, ServedRow};
use crate::domain::{Cif, CompanyId, MemberRole, TokenId, UserId};
use crate::services::tokens::TokenService;

// The rows these calls answer with, for the layers above to name.
pub use crate::db::models::companies::Company;
pub use crate::db::models::tokens::{ListedToken, TokenMeta};

/// The tokens serving a member's companies, one row per company served, and the first company
/// (id, CIF, name) of each token whose first company is not among the rows.
pub struct MemberTokens {
    pub rows: Vec<ServedRow>,
    pub homes: Vec<(TokenId, Cif, Option<String>)>,
}

/// A token looked up for a member: theirs (with the company and their role there), another's,
/// or none at all.
pub enum TokenLookup {
    Member(Box<TokenMeta>, Company, MemberRole),
    NotMember,
    Missing,
}

impl TokenService {
    /// The tokens serving `user`'s companies (or only `token`), by token, oldest first, with the
    /// first company of each. Two queries.
    pub async fn member_tokens(
        &self,
        user: UserId,
        token: Option<TokenId>,
    ) -> anyhow::Result<MemberTokens> {
        self.db()
            .run(move |conn| {
                let rows = tokens::list_for_member(conn, user.get(), token.map(TokenId::get))?;
                // A token's first company is usually one of the rows; only the others are read.
                let listed: HashSet<i64> = rows.iter().map(|(_, company, ..)| *company).collect();
                let mut missing: Vec<i64> = rows
                    .iter()
                    .filter(|(token, ..)| !listed.contains(&token.company_id))
                    .map(|(token, ..)| token.id)
                    .collect();
                missing.dedup();
                let homes = match missing.is_empty() {
                    true => Vec::new(),
                    false => tokens::home_companies(conn, &missing)?,
                };
                Ok(MemberTokens {
                    rows,
                    homes: homes
                        .into_iter()
                        .map(|(id, cif, name)| (TokenId(id), cif, name))
                        .collect(),
                })
            })
            .await
    }

    /// Token `token` as `user` may see it. Membership is checked first: a token deleted in
    /// between is then missing, not another's.
    pub async fn lookup_for_member(
        &self,
        token: TokenId,
        user: UserId,
    ) -> anyhow::Result<TokenLookup> {
        self.db()
            .run(move |conn| {
                Ok(
                    match tokens::find_for_member(conn, token.get(), user.get(), None)? {
                        Some((token, company, role)) => {
                            TokenLookup::Member(Box::new(token), company, role)
                        }
                        None if tokens::exists(conn, token.get())? => TokenLookup::NotMember,
                        None => TokenLookup::Missing,
                    },
                )
            })
            .await
    }

    /// The companies `token` serves whose company admin `user` is.
    pub async fn served_companies_administered_by(
        &self,
        token: TokenId,
        user: UserId,
    ) -> anyhow::Result<Vec<CompanyId>> {
        let ids = self
            .db()
            .run(move |conn| {
                Ok(tokens::served_companies_administered_by(
                    conn,
                    token.get(),
                    user.get(),
                )?)
            })
            .await?;
        Ok(ids.into_iter().map(CompanyId).collect())
    }
}
