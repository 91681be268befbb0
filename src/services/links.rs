//! Authorization links: a company admin creates a single-use link for some of the companies they
//! administer and sends it to the person who holds the qualified certificate; that person
//! connects ANAF through it without a portal account. The link's secret is shown once; only its
//! SHA-256 is stored. A link is consumed by its first connection that stored a token; a
//! certificate with rights for none of its companies leaves it usable. Every create, first open,
//! completion and revocation is audited.

use std::collections::HashSet;

use chrono::TimeDelta;
use secrecy::SecretString;

use crate::anaf::client::RightsVerdict;
use crate::db::Db;
use crate::db::models::companies::{self, Company};
use crate::db::models::links::{self, LinkCreator, LinkTransaction, NewLinkTransaction};
use crate::db::models::now;
use crate::domain::{Actor, AuditAction, AuditEvent, CompanyId, Email, LinkId, UserId};
use crate::secrets::{pkce_seed_and_challenge, pkce_verifier, random_token, sha256_hex};
use crate::services::audit::AuditLog;
use crate::services::tokens::{ConnectError, Connection, TokenService};

// The rows these calls answer with, for the layers above to name.
pub use crate::db::models::links::{CompanyOutcome, Link, LinkCompany, LinkState};

/// At most this many links per person wait for their holder at once.
pub const MAX_ACTIVE_LINKS: i64 = 20;
/// A link lives between these many days (7 unless the creator says).
pub const MIN_DAYS: i64 = 1;
pub const MAX_DAYS: i64 = 30;
pub const DEFAULT_DAYS: i64 = 7;
pub const MAX_NOTE_CHARS: usize = 500;
/// How long a started Connect ANAF may take to come back (as for a company's own).
const TRANSACTION_LIFETIME_MINUTES: i64 = 10;
/// How long one callback holds the link while it asks ANAF (a crashed one frees it by then).
const BUSY_MINUTES: i64 = 5;
/// The companies one may choose from (an accountant's whole list, at most this many).
pub const ADMINISTERED_LIMIT: i64 = 5_000;

/// What a company admin asks for.
#[derive(Debug, Clone)]
pub struct LinkRequest {
    pub company_ids: Vec<CompanyId>,
    pub days: i64,
    pub note: Option<String>,
    pub sent_to: Option<Email>,
}

/// A link just created: the only time its secret exists outside the holder's hands.
pub struct CreatedLink {
    pub id: LinkId,
    pub secret: SecretString,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateLinkError {
    /// A chosen company is not one the creator administers (or does not exist).
    #[error("a chosen company is not administered by the creator")]
    NotAdministered,
    #[error("at most {MAX_ACTIVE_LINKS} links may wait at once")]
    TooManyActive,
    #[error(transparent)]
    Storage(#[from] anyhow::Error),
}

/// A link, its creator's email and its companies with their last outcome.
#[derive(Debug, Clone)]
pub struct LinkDetail {
    pub link: Link,
    pub creator_email: String,
    /// The creator's account is disabled.
    pub creator_disabled: bool,
    pub companies: Vec<LinkCompany>,
}

impl LinkDetail {
    fn new(link: Link, creator: LinkCreator, companies: Vec<LinkCompany>) -> LinkDetail {
        LinkDetail {
            link,
            creator_email: creator.email,
            creator_disabled: creator.disabled_at.is_some(),
            companies,
        }
    }

    /// Why the link can no longer be used, if it cannot.
    fn gone(&self, at: chrono::NaiveDateTime) -> Option<GoneState> {
        GoneState::of_link(&self.link, self.creator_disabled, at)
    }
}

/// What the holder's address leads to.
#[derive(Debug, Clone)]
pub enum HolderView {
    /// The link waits for its holder.
    Usable(LinkDetail),
    /// It was used, revoked, has expired or its creator was disabled; the state says which.
    Gone {
        state: GoneState,
        creator_email: String,
    },
}

/// Why a callback for a link was not taken on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ClaimRefusal {
    StateUnknown,
    StateExpired,
    StateReused,
    /// Started in another browser than the one the callback came back to.
    StateForeign,
    /// The link was consumed, revoked, has expired or its creator was disabled meanwhile.
    LinkGone {
        state: GoneState,
        creator_email: String,
    },
    /// Another connection through the link is being completed right now.
    LinkBusy,
}

/// Why a link can no longer be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum GoneState {
    Completed,
    Expired,
    Revoked,
    /// Its creator's account is disabled. A link acts on its creator's authority (it stores a
    /// token for the creator's companies), which a disabled account no longer has.
    CreatorDisabled,
}

impl GoneState {
    /// A disabled creator outranks the link's own state: whatever else the link says, asking
    /// its creator for a new one is no use.
    pub fn of_link(
        link: &Link,
        creator_disabled: bool,
        at: chrono::NaiveDateTime,
    ) -> Option<GoneState> {
        if creator_disabled {
            return Some(GoneState::CreatorDisabled);
        }
        GoneState::of(link.state(at))
    }

    pub fn of(state: LinkState) -> Option<GoneState> {
        match state {
            LinkState::Completed => Some(GoneState::Completed),
            LinkState::Expired => Some(GoneState::Expired),
            LinkState::Revoked => Some(GoneState::Revoked),
            LinkState::Created | LinkState::Opened => None,
        }
    }
}

/// A callback's transaction, taken: the link is held for this callback until it completes.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub transaction: LinkTransaction,
    /// The PKCE verifier, derived from the callback's state and the transaction's seed.
    pub code_verifier: Option<String>,
    pub link_id: LinkId,
    /// The link's companies the creator still administers.
    pub companies: Vec<Company>,
}

#[derive(Clone)]
pub struct LinkService {
    db: Db,
    audit: AuditLog,
    tokens: TokenService,
}

impl LinkService {
    pub fn new(db: Db, audit: AuditLog, tokens: TokenService) -> LinkService {
        LinkService { db, audit, tokens }
    }

    /// The companies `user_id` administers: those a link may be created for.
    pub async fn administered_by(&self, user_id: UserId) -> anyhow::Result<Vec<Company>> {
        self.db
            .run(move |conn| {
                Ok(companies::administered_by(
                    conn,
                    user_id,
                    ADMINISTERED_LIMIT,
                )?)
            })
            .await
    }

    /// Creates a link; `request` was validated by the caller, except who administers what and
    /// how many links wait already, checked here. Audited on each company.
    pub async fn create(
        &self,
        actor: &Actor,
        creator: UserId,
        request: LinkRequest,
    ) -> Result<CreatedLink, CreateLinkError> {
        let administered: HashSet<CompanyId> = self
            .administered_by(creator)
            .await?
            .iter()
            .map(|c| c.id)
            .collect();
        let mut company_ids = request.company_ids.clone();
        company_ids.sort_unstable();
        company_ids.dedup();
        if company_ids.is_empty() || company_ids.iter().any(|id| !administered.contains(id)) {
            return Err(CreateLinkError::NotAdministered);
        }
        let secret = random_token(32);
        let secret_hash = sha256_hex(&secret);
        let note = request.note.clone();
        let sent_to = request.sent_to.as_ref().map(|e| e.as_str().to_owned());
        let days = request.days.clamp(MIN_DAYS, MAX_DAYS);
        let ids = company_ids.clone();
        let created = self
            .db
            .run(move |conn| {
                crate::db::write_transaction(conn, |conn| {
                    let at = now();
                    if links::count_active(conn, creator, at)? >= MAX_ACTIVE_LINKS {
                        return Ok(None);
                    }
                    let id = links::create(
                        conn,
                        &secret_hash,
                        creator,
                        &ids,
                        note.as_deref(),
                        sent_to.as_deref(),
                        at,
                        at + TimeDelta::days(days),
                    )?;
                    Ok::<_, diesel::result::Error>(Some(id))
                })
                .map_err(anyhow::Error::from)
            })
            .await?;
        let Some(id) = created else {
            return Err(CreateLinkError::TooManyActive);
        };
        for company_id in company_ids {
            self.audit
                .record(
                    actor,
                    AuditEvent::success(AuditAction::LinkCreated)
                        .company(company_id)
                        .detail(format!("authorization link {id}, valid {days} days")),
                )
                .await;
        }
        Ok(CreatedLink {
            id,
            secret: SecretString::from(secret),
        })
    }

    /// One page of the creator's links (newest first) with their companies, and how many
    /// there are.
    pub async fn list(
        &self,
        creator: UserId,
        limit: i64,
        offset: i64,
    ) -> anyhow::Result<(Vec<(Link, Vec<LinkCompany>)>, i64)> {
        self.db
            .run(move |conn| {
                let (page, total) = links::list_for_creator(conn, creator, limit, offset)?;
                let mut rows = Vec::with_capacity(page.len());
                for link in page {
                    let companies = links::companies_of(conn, link.id)?;
                    rows.push((link, companies));
                }
                Ok((rows, total))
            })
            .await
    }

    /// The link, when `user_id` created it.
    pub async fn detail_for_creator(
        &self,
        user_id: UserId,
        id: LinkId,
    ) -> anyhow::Result<Option<LinkDetail>> {
        self.db
            .run(move |conn| {
                let Some((link, creator)) = links::find(conn, id)? else {
                    return Ok(None);
                };
                if link.created_by != user_id {
                    return Ok(None);
                }
                let companies = links::companies_of(conn, id)?;
                Ok(Some(LinkDetail::new(link, creator, companies)))
            })
            .await
    }

    /// Revokes the creator's pending link; whether it was theirs and pending. Audited.
    pub async fn revoke(&self, actor: &Actor, creator: UserId, id: LinkId) -> anyhow::Result<bool> {
        let revoked = self
            .db
            .run(move |conn| Ok(links::revoke(conn, id, creator, now())?))
            .await?;
        if revoked {
            self.audit
                .record(
                    actor,
                    AuditEvent::success(AuditAction::LinkRevoked)
                        .detail(format!("authorization link {id}")),
                )
                .await;
        }
        Ok(revoked)
    }

    /// What the holder's address shows; `None` for a secret no link has. The first view of a
    /// usable link marks it opened (audited).
    pub async fn open(&self, actor: &Actor, secret: &str) -> anyhow::Result<Option<HolderView>> {
        let Some(detail) = self.find_by_secret(secret).await? else {
            return Ok(None);
        };
        if let Some(state) = detail.gone(now()) {
            return Ok(Some(HolderView::Gone {
                state,
                creator_email: detail.creator_email,
            }));
        }
        let id = detail.link.id;
        let first = self
            .db
            .run(move |conn| Ok(links::mark_opened(conn, id, now())?))
            .await?;
        if first {
            self.audit
                .record(
                    actor,
                    AuditEvent::success(AuditAction::LinkOpened)
                        .detail(format!("authorization link {id}")),
                )
                .await;
        }
        Ok(Some(HolderView::Usable(detail)))
    }

    async fn find_by_secret(&self, secret: &str) -> anyhow::Result<Option<LinkDetail>> {
        // A secret is 43 characters; anything much longer is not one, and is not hashed.
        if secret.is_empty() || secret.len() > 128 {
            return Ok(None);
        }
        let secret_hash = sha256_hex(secret);
        self.db
            .run(move |conn| {
                let Some((link, creator)) = links::find_by_secret(conn, &secret_hash)? else {
                    return Ok(None);
                };
                let companies = links::companies_of(conn, link.id)?;
                Ok(Some(LinkDetail::new(link, creator, companies)))
            })
            .await
    }

    /// Starts Connect ANAF for the link, bound to the holder's browser (`browser_binding`, the
    /// hash of its cookie): the authorize URL to send the browser to, or what the link has
    /// become. `None` for an unknown secret.
    pub async fn start(
        &self,
        secret: &str,
        browser_binding: String,
        pkce: bool,
    ) -> anyhow::Result<Option<Result<url::Url, HolderView>>> {
        let Some(detail) = self.find_by_secret(secret).await? else {
            return Ok(None);
        };
        if let Some(state) = detail.gone(now()) {
            return Ok(Some(Err(HolderView::Gone {
                state,
                creator_email: detail.creator_email,
            })));
        }
        // 256 random bits; only its hash is stored.
        let oauth_state = random_token(32);
        // The row keeps only the verifier's seed (see `secrets::pkce_verifier`).
        let (seed, challenge) = match pkce {
            true => {
                let (seed, challenge) = pkce_seed_and_challenge(&oauth_state);
                (Some(seed), Some(challenge))
            }
            false => (None, None),
        };
        let state_hash = sha256_hex(&oauth_state);
        let link_id = detail.link.id;
        self.db
            .run(move |conn| {
                let at = now();
                links::insert_transaction(
                    conn,
                    &NewLinkTransaction {
                        state_hash: &state_hash,
                        link_id,
                        browser_binding: &browser_binding,
                        pkce_verifier: seed.as_deref(),
                        created_at: at,
                        expires_at: at + TimeDelta::minutes(TRANSACTION_LIFETIME_MINUTES),
                    },
                )?;
                links::delete_transactions_older_than(conn, at - TimeDelta::days(1))?;
                Ok(())
            })
            .await?;
        Ok(Some(Ok(self
            .tokens
            .anaf()
            .authorize_url(&oauth_state, challenge.as_deref()))))
    }

    /// Whether `oauth_state` belongs to a Connect ANAF started from a link (the callback serves
    /// both flows).
    pub async fn owns_state(&self, oauth_state: &str) -> anyhow::Result<bool> {
        if oauth_state.is_empty() || oauth_state.len() > 512 {
            return Ok(false);
        }
        let state_hash = sha256_hex(oauth_state);
        self.db
            .run(move |conn| Ok(links::find_transaction(conn, &state_hash)?.is_some()))
            .await
    }

    /// Finds and consumes the transaction named by `oauth_state`, checks it came back to the
    /// browser that started it and that the link can still be used, and holds the link for this
    /// callback; all in one database transaction, so that of two callbacks only one reaches ANAF.
    pub async fn claim(
        &self,
        oauth_state: &str,
        browser_binding: Option<String>,
    ) -> anyhow::Result<Result<Claimed, ClaimRefusal>> {
        let state_hash = sha256_hex(oauth_state);
        let claimed = self
            .db
            .run(move |conn| {
                Ok(crate::db::write_transaction(conn, |conn| {
                    let at = now();
                    let Some(tx) = links::find_transaction(conn, &state_hash)? else {
                        return Ok(Err(ClaimRefusal::StateUnknown));
                    };
                    if tx.consumed_at.is_some() {
                        return Ok(Err(ClaimRefusal::StateReused));
                    }
                    if browser_binding.as_deref() != Some(tx.browser_binding.as_str()) {
                        return Ok(Err(ClaimRefusal::StateForeign));
                    }
                    if tx.expires_at <= at {
                        return Ok(Err(ClaimRefusal::StateExpired));
                    }
                    let Some((link, creator)) = links::find(conn, tx.link_id)? else {
                        return Ok(Err(ClaimRefusal::StateUnknown));
                    };
                    // Checked here, in the transaction that holds the link, so that a creator
                    // disabled after the holder left for ANAF stops the code being exchanged.
                    let disabled = creator.disabled_at.is_some();
                    if let Some(state) = GoneState::of_link(&link, disabled, at) {
                        return Ok(Err(ClaimRefusal::LinkGone {
                            state,
                            creator_email: creator.email,
                        }));
                    }
                    if !links::take(conn, link.id, at, at + TimeDelta::minutes(BUSY_MINUTES))? {
                        return Ok(Err(ClaimRefusal::LinkBusy));
                    }
                    if !links::consume_transaction(conn, &tx.state_hash, at)? {
                        return Ok(Err(ClaimRefusal::StateReused));
                    }
                    let administered: HashSet<CompanyId> =
                        companies::administered_by(conn, link.created_by, ADMINISTERED_LIMIT)?
                            .iter()
                            .map(|c| c.id)
                            .collect();
                    let companies = links::companies_of(conn, link.id)?
                        .into_iter()
                        .map(|c| c.company)
                        .filter(|c| administered.contains(&c.id))
                        .collect();
                    Ok::<_, diesel::result::Error>(Ok(Claimed {
                        code_verifier: None,
                        transaction: tx,
                        link_id: link.id,
                        companies,
                    }))
                })?)
            })
            .await?;
        Ok(claimed.map(|mut claimed| {
            claimed.code_verifier = claimed
                .transaction
                .pkce_verifier
                .as_deref()
                .map(|seed| pkce_verifier(oauth_state, seed));
            claimed
        }))
    }

    /// Frees a link held by a callback that ends before asking ANAF.
    pub async fn release(&self, link_id: LinkId) -> anyhow::Result<()> {
        self.db
            .run(move |conn| Ok(links::release(conn, link_id).map(|_| ())?))
            .await
    }

    /// Ends a claimed callback whose answer carried no usable code (`reason`, in plain words):
    /// the link can be used again, and the failure is audited.
    pub async fn refused(
        &self,
        actor: &Actor,
        claimed: &Claimed,
        reason: &str,
    ) -> anyhow::Result<()> {
        self.release(claimed.link_id).await?;
        self.audit
            .record(
                actor,
                AuditEvent::failure(AuditAction::LinkCompleted)
                    .detail(format!("authorization link {}: {reason}", claimed.link_id)),
            )
            .await;
        Ok(())
    }

    /// Completes a claimed callback: exchanges the code once for all the link's companies,
    /// records each company's outcome, and consumes the link when a token was stored. Audited.
    pub async fn complete(
        &self,
        actor: &Actor,
        claimed: &Claimed,
        code: &str,
    ) -> anyhow::Result<Result<Connection, ConnectError>> {
        let link_id = claimed.link_id;
        let connected = self
            .tokens
            .connect_companies(
                actor,
                &claimed.companies,
                code,
                claimed.code_verifier.as_deref(),
            )
            .await;
        let connection = match connected {
            Ok(connection) => connection,
            Err(error) => {
                self.release(link_id).await?;
                return Ok(Err(error));
            }
        };
        let stored = connection.token.is_some();
        let outcomes: Vec<(CompanyId, CompanyOutcome, Option<String>)> = connection
            .companies
            .iter()
            .map(|c| match &c.verdict {
                RightsVerdict::Granted => (c.company.id, CompanyOutcome::Covered, None),
                RightsVerdict::Denied(said) => {
                    (c.company.id, CompanyOutcome::NoRights, Some(said.clone()))
                }
                RightsVerdict::Unknown(said) => {
                    (c.company.id, CompanyOutcome::Unknown, Some(said.clone()))
                }
            })
            .collect();
        let covered: Vec<String> = connection
            .companies
            .iter()
            .filter(|c| c.verdict == RightsVerdict::Granted)
            .map(|c| c.company.cif.to_string())
            .collect();
        self.db
            .run(move |conn| {
                Ok(links::record_outcome(
                    conn,
                    link_id,
                    &outcomes,
                    stored,
                    now(),
                )?)
            })
            .await?;
        let event = match stored {
            true => AuditEvent::success(AuditAction::LinkCompleted).detail(format!(
                "authorization link {link_id}: SPV rights for {} of {} companies ({})",
                covered.len(),
                connection.companies.len(),
                covered.join(", ")
            )),
            false => AuditEvent::failure(AuditAction::LinkCompleted).detail(format!(
                "authorization link {link_id}: the certificate has SPV rights for none of its \
                 companies; the link stays usable"
            )),
        };
        let event = match connection.token.as_ref() {
            Some(token) => event.token(token.id).company(token.company_id),
            None => event,
        };
        self.audit.record(actor, event).await;
        Ok(Ok(connection))
    }
}
