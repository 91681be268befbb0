//! Which companies a token serves: attaching it (offers confirmed with ANAF), offering it to
//! fellow admins' companies after a connection, and detaching it.

use std::collections::HashMap;
use std::time::Duration;

use secrecy::SecretString;

use super::*;
use crate::anaf::client::{Priority, RightsVerdict};
use crate::db::models::companies::Company;
use crate::db::models::now;
use crate::db::models::tokens::{self, Detached};
use crate::db::queries;
use crate::db::queries::tokens::AdministeredOffer;
use crate::domain::{Actor, AuditAction, AuditEvent, Cif, CompanyId, Rights, TokenId, UserId};
use crate::services::tokens::vault::TokenField;

/// After a connection, at most this many other CIFs are probed for the new token's rights.
pub(super) const EXTENSION_PROBES: usize = 50;

/// Companies one press of "attach the offers" handles at most (each costs a call to ANAF).
pub const BULK_ATTACH: usize = 50;

/// What attaching the offers to a person's unserved companies came to, in companies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkAttach {
    pub attached: usize,
    /// Refused: people who cannot use the token today would gain it.
    pub need_consent: usize,
    /// ANAF did not confirm the rights (the offer was withdrawn) or did not answer.
    pub not_confirmed: usize,
    /// Past `BULK_ATTACH`: for the next press.
    pub left: usize,
}

impl BulkAttach {
    pub(super) fn tried(&self) -> usize {
        self.attached + self.need_consent + self.not_confirmed
    }
}

/// What asking to attach an offered token came to.
#[derive(Debug, Clone)]
pub enum AttachOutcome {
    /// The rule held and ANAF was asked again: attached when granted, the offer withdrawn when not.
    Checked(RightsVerdict),
    /// Refused: these admins of the company (emails) cannot use the token today and would.
    WouldWiden(Vec<String>),
}

/// What detaching a token from a company did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detachment {
    /// The token goes on serving its other companies.
    StillServesOthers,
    /// That was its last company: deleted, and ANAF asked to revoke both its values; what ANAF
    /// answered, or `None` when it had not answered within the caller's wait (the revocation
    /// goes on in the background).
    Deleted(Option<Revocation>),
}

impl TokenService {
    /// Makes token `token_id` serve `company` (ANAF confirmed its certificate's rights there) and
    /// records the verdict. The token that served the company before is revoked when no company
    /// uses it any more.
    pub(super) async fn attach(
        &self,
        token_id: TokenId,
        company: &Company,
        by: Option<UserId>,
    ) -> Result<(), anyhow::Error> {
        let company_id = company.id;
        let replaced = self.secrets_of_company(company_id).await;
        let orphaned = self
            .db
            .run(move |conn| {
                Ok(tokens::attach(
                    conn,
                    token_id,
                    company_id,
                    Rights::Granted,
                    by,
                )?)
            })
            .await?;
        if let Some(old) = replaced.filter(|old| Some(old.id) == orphaned) {
            self.revoke_sealed_in_background(&old);
        }
        self.record_rights(token_id, &company.cif, &RightsVerdict::Granted)
            .await
    }

    /// A person attaches a token offered to one of their companies (its certificate was seen to
    /// have rights there). Allowed only when it gives the token to nobody new: every admin of the
    /// company can use it already through a company it serves. Otherwise only the certificate
    /// holder's new consent (a Connect ANAF for this company) can. The verdict is confirmed
    /// with ANAF first. Audited.
    pub async fn attach_offered(
        &self,
        actor: &Actor,
        token_id: TokenId,
        company: &Company,
    ) -> Result<AttachOutcome, TokenError> {
        let company_id = company.id;
        let newcomers = self
            .db
            .run(move |conn| {
                Ok(tokens::newcomers(conn, company_id, &[token_id])?
                    .remove(&token_id)
                    .unwrap_or_default())
            })
            .await?;
        if !newcomers.is_empty() {
            self.audit
                .record(
                    actor,
                    AuditEvent::failure(AuditAction::TokenAttached)
                        .company(company_id)
                        .token(token_id)
                        .detail(format!(
                            "refused: would give the token to {} who cannot use it today",
                            newcomers.join(", ")
                        )),
                )
                .await;
            return Ok(AttachOutcome::WouldWiden(newcomers));
        }
        let secrets = self.secrets(token_id).await?;
        let access = self
            .open(&secrets, TokenField::Access)?
            .ok_or(TokenError::NotFound)?;
        let verdict = self.probe_cif(&access, &company.cif).await?;
        if verdict == RightsVerdict::Granted {
            self.attach(token_id, company, actor.user_id).await?;
        } else {
            // The offer no longer holds.
            self.db
                .run(move |conn| Ok(tokens::withdraw_offer(conn, token_id, company_id)?))
                .await?;
        }
        let event = match &verdict {
            RightsVerdict::Granted => AuditEvent::success(AuditAction::TokenAttached),
            RightsVerdict::Denied(text) | RightsVerdict::Unknown(text) => {
                AuditEvent::failure(AuditAction::TokenAttached).detail(text.clone())
            }
        };
        self.audit
            .record(actor, event.company(company_id).token(token_id))
            .await;
        Ok(AttachOutcome::Checked(verdict))
    }

    /// Attaches, for a person, an offered token to each of the companies they administer that no
    /// working token serves (at most `BULK_ATTACH` companies a press, one offer each), under the
    /// same rule and checks as `attach_offered`. What came of it.
    pub async fn attach_offers_to_unserved(
        &self,
        actor: &Actor,
        user_id: UserId,
    ) -> Result<BulkAttach, TokenError> {
        let offers = self
            .db
            .run(move |conn| {
                Ok(queries::tokens::offers_to_administered(
                    conn, user_id, 1_000,
                )?)
            })
            .await?;
        let at = now();
        let mut summary = BulkAttach::default();
        let mut seen = std::collections::HashSet::new();
        for AdministeredOffer {
            company,
            token_id,
            serving,
        } in offers
        {
            let works = serving.is_some_and(|token| token.facts.status(at).works());
            if works || !seen.insert(company.id) {
                continue;
            }
            if summary.tried() >= BULK_ATTACH {
                summary.left += 1;
                continue;
            }
            match self.attach_offered(actor, token_id, &company).await? {
                AttachOutcome::Checked(RightsVerdict::Granted) => summary.attached += 1,
                AttachOutcome::Checked(_) => summary.not_confirmed += 1,
                AttachOutcome::WouldWiden(_) => summary.need_consent += 1,
            }
        }
        Ok(summary)
    }

    /// After a connection: asks ANAF whether the certificate also has SPV rights for the other
    /// companies of the company admins of `served` (one probe per CIF, at most
    /// `EXTENSION_PROBES`, at the background's priority under the ANAF budget), and offers the
    /// token where it has. It never attaches: the holder consented to the companies the
    /// connection was started for, and a person decides on each offer.
    pub(super) fn extend_in_background(
        &self,
        token_id: TokenId,
        access: SecretString,
        served: Vec<CompanyId>,
    ) {
        let service = self.clone();
        self.runtime.spawn(async move {
            let extended = Priority::Background
                .scope(service.extend(token_id, &access, served))
                .await;
            if let Err(error) = extended {
                tracing::error!(token_id = token_id.get(), error = %error, "the rights of a new token for other companies could not be checked");
            }
        });
    }

    pub(super) async fn extend(
        &self,
        token_id: TokenId,
        access: &SecretString,
        served: Vec<CompanyId>,
    ) -> Result<(), anyhow::Error> {
        let candidates = self
            .db
            .run(move |conn| {
                Ok(queries::companies::of_fellow_admins(
                    conn,
                    &served.iter().map(|&id| id.into()).collect::<Vec<_>>(),
                )?)
            })
            .await?;
        let mut verdicts: HashMap<Cif, RightsVerdict> = HashMap::new();
        for (company, current) in candidates {
            if !verdicts.contains_key(&company.cif) {
                if verdicts.len() >= EXTENSION_PROBES {
                    break;
                }
                let verdict = self.probe_cif(access, &company.cif).await?;
                verdicts.insert(company.cif.clone(), verdict);
            }
            let served_already = current.as_ref().is_some_and(|token| token.id == token_id);
            if verdicts.get(&company.cif) == Some(&RightsVerdict::Granted) && !served_already {
                let company_id = company.id;
                self.db
                    .run(move |conn| Ok(tokens::offer(conn, token_id, company_id)?))
                    .await?;
            }
        }
        Ok(())
    }

    /// Stops the token serving `company_id`. With its last company the token is deleted (which
    /// never depends on ANAF), then both its values are revoked at ANAF, best effort: the caller
    /// waits at most `wait` for ANAF's answers (zero: not at all), and the revocation goes on in
    /// the background after that. Audited once, with ANAF's answers when they came in time.
    pub async fn detach(
        &self,
        actor: &Actor,
        token_id: TokenId,
        company_id: CompanyId,
        wait: Duration,
    ) -> Result<Detachment, TokenError> {
        let secrets = self.secrets(token_id).await?;
        // The row goes first: of several deletes racing for one token only the one that removed
        // it revokes at ANAF and writes the audit line; the others answer "not found".
        let detached = self
            .db
            .run(move |conn| Ok(tokens::detach(conn, token_id, company_id)?))
            .await?;
        let event = AuditEvent::success(AuditAction::TokenDeleted)
            .company(company_id)
            .token(token_id);
        let outcome = match detached {
            Detached::NotServed => return Err(TokenError::NotFound),
            Detached::StillServesOthers => {
                self.audit
                    .record(
                        actor,
                        event.detail("detached; it still serves other companies"),
                    )
                    .await;
                return Ok(Detachment::StillServesOthers);
            }
            Detached::Deleted => {
                // A value that does not open (altered in the database) cannot be revoked; the
                // other one still is.
                let access = self.open(&secrets, TokenField::Access).ok().flatten();
                let refresh = self.open(&secrets, TokenField::Refresh).ok().flatten();
                let answers = self.spawn_revocation(Some(token_id), access, refresh);
                tokio::time::timeout(wait, answers)
                    .await
                    .ok()
                    .and_then(Result::ok)
            }
        };
        self.audit
            .record(
                actor,
                event.detail(
                    outcome
                        .as_ref()
                        .map_or(REVOCATION_PENDING, Revocation::audit_detail),
                ),
            )
            .await;
        Ok(Detachment::Deleted(outcome))
    }
}
