//! What the pages and the API ask of tokens in one service call each: the reads (the rows, not
//! their presentation), and the bookkeeping of a Connect ANAF started from a company's page
//! (the transaction that ties ANAF's answer to the session that asked, and its audit lines).

use std::collections::HashSet;

use chrono::TimeDelta;

use crate::db::models::oauth_transactions::{self, NewTransaction};
use crate::db::models::{companies, now, refresh_jobs, tokens};
use crate::db::queries;
use crate::domain::{Actor, AuditAction, AuditEvent, CompanyId, RefreshJobId, TokenId, UserId};
use crate::services::tokens::TokenService;

// The rows these calls answer with, for the layers above to name.
pub use crate::db::models::companies::Company;
pub use crate::db::models::oauth_transactions::Transaction;
pub use crate::db::models::refresh_jobs::RefreshJob;
pub use crate::db::models::tokens::TokenMeta;
pub use crate::db::queries::tokens::{AdministeredOffer, HomeCompany, MemberToken, Offer};

/// The tokens serving a member's companies, one row per company served, and the first company
/// of each token whose first company is not among the rows.
pub struct MemberTokens {
    pub rows: Vec<MemberToken>,
    pub homes: Vec<HomeCompany>,
}

/// A token looked up for a member: theirs (with the company and their role there), another's,
/// or none at all.
pub enum TokenLookup {
    Member(Box<MemberToken>),
    NotMember,
    Missing,
}

impl TokenService {
    /// The tokens offered to `user`'s companies.
    pub async fn offers_for_member(&self, user: UserId) -> anyhow::Result<Vec<Offer>> {
        self.db()
            .run(move |conn| Ok(queries::tokens::offers_for_member(conn, user)?))
            .await
    }

    /// The companies the token serves, by CIF.
    pub async fn served_companies(&self, token: TokenId) -> anyhow::Result<Vec<Company>> {
        self.db()
            .run(move |conn| Ok(tokens::served_companies(conn, token)?))
            .await
    }

    /// The token as it serves one of `user`'s companies (`company` when given, else the one where
    /// `user` has the most say), that company and `user`'s role there; none when it serves none
    /// of them.
    pub async fn token_for_member(
        &self,
        token: TokenId,
        user: UserId,
        company: Option<CompanyId>,
    ) -> anyhow::Result<Option<MemberToken>> {
        self.db()
            .run(move |conn| {
                Ok(queries::tokens::find_for_member(
                    conn, token, user, company,
                )?)
            })
            .await
    }

    /// The tokens serving `user`'s companies (or only `token`), by token, oldest first, with the
    /// first company of each. Two queries.
    pub async fn member_tokens(
        &self,
        user: UserId,
        token: Option<TokenId>,
    ) -> anyhow::Result<MemberTokens> {
        self.db()
            .run(move |conn| {
                let rows = queries::tokens::list_for_member(conn, user, token)?;
                // A token's first company is usually one of the rows; only the others are read.
                let listed: HashSet<CompanyId> = rows.iter().map(|row| row.company.id).collect();
                let mut missing: Vec<TokenId> = rows
                    .iter()
                    .filter(|row| !listed.contains(&row.token.company_id))
                    .map(|row| row.token.id)
                    .collect();
                missing.dedup();
                let homes = match missing.is_empty() {
                    true => Vec::new(),
                    false => queries::tokens::home_companies(conn, &missing)?,
                };
                Ok(MemberTokens { rows, homes })
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
                    match queries::tokens::find_for_member(conn, token, user, None)? {
                        Some(found) => TokenLookup::Member(Box::new(found)),
                        None if queries::tokens::exists(conn, token)? => TokenLookup::NotMember,
                        None => TokenLookup::Missing,
                    },
                )
            })
            .await
    }

    /// `user`'s refresh job `job`, with the companies whose refresh failed and their token's
    /// last error.
    pub async fn refresh_job_for_user(
        &self,
        job: RefreshJobId,
        user: UserId,
    ) -> anyhow::Result<Option<(RefreshJob, Vec<(Company, Option<String>)>)>> {
        self.db()
            .run(move |conn| {
                let Some(found) = refresh_jobs::find_for_user(conn, job, user)? else {
                    return Ok(None);
                };
                Ok(Some((found, refresh_jobs::failures(conn, job)?)))
            })
            .await
    }

    /// The companies `token` serves whose company admin `user` is.
    pub async fn served_companies_administered_by(
        &self,
        token: TokenId,
        user: UserId,
    ) -> anyhow::Result<Vec<CompanyId>> {
        self.db()
            .run(move |conn| {
                Ok(queries::tokens::served_companies_administered_by(
                    conn, token, user,
                )?)
            })
            .await
    }
}

/// How long a started Connect ANAF may take to come back.
const TRANSACTION_LIFETIME_MINUTES: i64 = 10;

/// A Connect ANAF about to start: the state's hash, the session it is bound to, the PKCE
/// verifier's seed (when PKCE is on).
pub struct ConnectStart {
    pub user: UserId,
    pub company: CompanyId,
    pub state_hash: String,
    pub session_binding: String,
    pub pkce_seed: Option<String>,
}

/// Why ANAF's answer matches no transaction this session may complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimRefusal {
    Unknown,
    Reused,
    Foreign,
    Expired,
}

impl TokenService {
    /// Stores the transaction of a Connect ANAF about to start (forgetting those that ended over
    /// a day ago) and audits the start.
    pub async fn begin_connect(&self, actor: &Actor, start: ConnectStart) -> anyhow::Result<()> {
        let company = start.company;
        self.db()
            .run(move |conn| {
                let at = now();
                oauth_transactions::insert(
                    conn,
                    &NewTransaction {
                        state_hash: &start.state_hash,
                        session_binding: &start.session_binding,
                        user_id: start.user,
                        company_id: start.company.get(),
                        pkce_verifier: start.pkce_seed.as_deref(),
                        created_at: at,
                        expires_at: at + TimeDelta::minutes(TRANSACTION_LIFETIME_MINUTES),
                    },
                )?;
                oauth_transactions::delete_older_than(conn, at - TimeDelta::days(1))?;
                Ok(())
            })
            .await?;
        self.audit_connect(
            actor,
            AuditEvent::success(AuditAction::ConnectStarted).company(company),
        )
        .await;
        Ok(())
    }

    /// Finds and consumes the transaction whose state hashes to `state_hash`, checking that it
    /// belongs to `user` and to this session (`session_binding`). No request reaches ANAF unless
    /// this succeeds.
    pub async fn claim_connect(
        &self,
        user: UserId,
        state_hash: String,
        session_binding: String,
    ) -> anyhow::Result<Result<Transaction, ClaimRefusal>> {
        self.db()
            .run(move |conn| {
                let at = now();
                let Some(tx) = oauth_transactions::find(conn, &state_hash)? else {
                    return Ok(Err(ClaimRefusal::Unknown));
                };
                if tx.consumed_at.is_some() {
                    return Ok(Err(ClaimRefusal::Reused));
                }
                if tx.user_id != user || tx.session_binding != session_binding {
                    return Ok(Err(ClaimRefusal::Foreign));
                }
                if tx.expires_at <= at {
                    return Ok(Err(ClaimRefusal::Expired));
                }
                if !oauth_transactions::consume(conn, &state_hash, at)? {
                    return Ok(Err(ClaimRefusal::Reused));
                }
                Ok(Ok(tx))
            })
            .await
    }

    /// Company `company` when `user` is a member of it.
    pub async fn company_of_member(
        &self,
        company: CompanyId,
        user: UserId,
    ) -> anyhow::Result<Option<Company>> {
        let found = self
            .db()
            .run(move |conn| Ok(companies::find_for_member(conn, company, user)?))
            .await?;
        Ok(found.map(|(company, _)| company))
    }

    /// Audits a Connect ANAF for `company` that ANAF's answer ended (`reason`, in plain words).
    pub async fn connect_refused(&self, actor: &Actor, company: CompanyId, reason: String) {
        self.audit_connect(
            actor,
            AuditEvent::failure(AuditAction::ConnectFailed)
                .company(company)
                .detail(reason),
        )
        .await;
    }

    async fn audit_connect(&self, actor: &Actor, event: AuditEvent) {
        self.audit().record(actor, event).await;
    }
}
