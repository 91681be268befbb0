//! Saving a token pair that an integration obtained itself (`POST /api/v1/anaf/tokens`): what the
//! token says, what ANAF says of it, and which of the caller's companies it is for.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use crate::anaf::client::{AnafError, RightsVerdict, TokenResponse};
use crate::anaf::jwt::JwtProblem;
use crate::db::models::companies::{self, Company};
use crate::db::models::tokens::{self, TokenMeta};
use crate::domain::{Actor, AuditAction, AuditEvent, Cif, CifProblem, MemberRole, UserId};
use crate::secrets::sha256_hex;
use crate::services::tokens::{StorePairError, TokenService};

/// At most this many companies are probed for SPV rights when `cif` is omitted.
pub const MAX_RIGHTS_PROBES: usize = 50;
/// Rights probes run this many at a time.
const PROBE_CONCURRENCY: usize = 8;

/// A pair to save, as the integration sent it.
pub struct ImportRequest {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    /// The company's CIF as written; `None`: the one company the token has rights for.
    pub cif: Option<String>,
}

/// Why a pair was not saved. The messages are for the integration's developer.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("`token` is empty")]
    Empty,
    #[error("invalid token: {0}")]
    InvalidToken(JwtProblem),
    #[error("invalid token: it expired at {}", .0.format("%Y-%m-%dT%H:%M:%SZ"))]
    Expired(DateTime<Utc>),
    #[error("this token is already stored")]
    AlreadyStored,
    #[error("cif: {0}")]
    InvalidCif(CifProblem),
    #[error("cif: {0} is not one of your companies; add it in the portal first")]
    NotYourCompany(Cif),
    #[error("you are only a viewer of this company")]
    ViewerOnly,
    #[error("ANAF rejected the token (its OAuth test service refused it)")]
    RejectedByAnaf,
    #[error("{0}; nothing was changed, try again later")]
    Anaf(AnafError),
    #[error("you administer no company: add the company in the portal, then send its `cif`")]
    NoCompanies,
    #[error(
        "you administer more than {MAX_RIGHTS_PROBES} companies: send `cif` to say which one the \
         token is for"
    )]
    TooManyCompanies,
    #[error("ANAF says the token has SPV rights for none of your companies (checked: {})", cif_list(.0))]
    NoRightsAnywhere(Vec<Cif>),
    #[error("ANAF could not confirm SPV rights for {}; try again later or send `cif`", .0.join(", "))]
    RightsUnconfirmed(Vec<String>),
    #[error("the token has SPV rights for several of your companies ({}): send `cif` to choose one", cif_list(.0))]
    SeveralCompanies(Vec<Cif>),
    #[error(transparent)]
    Storage(#[from] anyhow::Error),
}

fn cif_list(cifs: &[Cif]) -> String {
    cifs.iter().map(Cif::as_str).collect::<Vec<_>>().join(", ")
}

impl TokenService {
    /// Checks the pair (shape, claims, signature when ANAF's key is known, expiry, not stored yet,
    /// accepted by ANAF's test service), finds its company, stores it and records its rights.
    /// Audited.
    pub async fn import(
        &self,
        actor: &Actor,
        user_id: UserId,
        request: ImportRequest,
    ) -> Result<(TokenMeta, Company), ImportError> {
        let access = &request.access_token;
        if access.expose_secret().is_empty() {
            return Err(ImportError::Empty);
        }
        let claims = self
            .jwt()
            .read(access.expose_secret())
            .map_err(ImportError::InvalidToken)?;
        if claims.expires_at <= Utc::now() {
            return Err(ImportError::Expired(claims.expires_at));
        }
        let fingerprint = sha256_hex(access.expose_secret());
        if self
            .db()
            .run(move |conn| Ok(tokens::fingerprint_exists(conn, &fingerprint)?))
            .await?
        {
            return Err(ImportError::AlreadyStored);
        }
        let given = match request
            .cif
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            Some(raw) => Some(self.company_for_given_cif(user_id, raw).await?),
            None => None,
        };
        // ANAF's word: does it accept the token at all?
        match self.anaf().hello(access).await {
            Ok(true) => {}
            Ok(false) => return Err(ImportError::RejectedByAnaf),
            Err(error) => return Err(ImportError::Anaf(error)),
        }
        let (company, rights_known) = match given {
            Some(company) => (company, false),
            None => (self.company_by_rights(user_id, access).await?, true),
        };

        let pair = TokenResponse {
            access_token: request.access_token.clone(),
            refresh_token: request.refresh_token.clone(),
            stated_expiry: None,
        };
        let meta = self
            .store(company.id, &pair, "api", Some(user_id))
            .await
            .map_err(|e| match e {
                StorePairError::Duplicate => ImportError::AlreadyStored,
                StorePairError::Expired => ImportError::Expired(claims.expires_at),
                StorePairError::Jwt(problem) => ImportError::InvalidToken(problem),
                StorePairError::Storage(e) => ImportError::Storage(e),
            })?;
        if rights_known {
            self.record_rights(meta.id, &company.cif, &RightsVerdict::Granted)
                .await?;
        } else {
            self.check_rights(meta.id, access, &company.cif).await?;
        }
        let mut event = AuditEvent::success(AuditAction::TokenSavedViaApi)
            .company(company.id)
            .token(meta.id);
        if request.refresh_token.is_none() {
            event = event.detail("no refresh token");
        }
        self.audit().record(actor, event).await;
        let company_id = company.id;
        let meta = self
            .db()
            .run(move |conn| Ok(tokens::find_meta_for_company(conn, company_id)?))
            .await?
            .unwrap_or(meta);
        Ok((meta, company))
    }

    /// The company named by the request's `cif`, which the caller must administer.
    async fn company_for_given_cif(
        &self,
        user_id: UserId,
        raw: &str,
    ) -> Result<Company, ImportError> {
        let cif = Cif::parse(raw).map_err(ImportError::InvalidCif)?;
        let lookup = cif.clone();
        let found = self
            .db()
            .run(move |conn| Ok(companies::find_by_cif_for_member(conn, &lookup, user_id)?))
            .await?;
        match found {
            Some((company, MemberRole::Admin)) => Ok(company),
            Some((_, MemberRole::Viewer)) => Err(ImportError::ViewerOnly),
            None => Err(ImportError::NotYourCompany(cif)),
        }
    }

    /// Asks ANAF which of the caller's companies the token has SPV rights for; exactly one must.
    async fn company_by_rights(
        &self,
        user_id: UserId,
        access: &SecretString,
    ) -> Result<Company, ImportError> {
        let limit = i64::try_from(MAX_RIGHTS_PROBES + 1).unwrap_or(i64::MAX);
        let candidates = self
            .db()
            .run(move |conn| Ok(companies::administered_by(conn, user_id, limit)?))
            .await?;
        if candidates.is_empty() {
            return Err(ImportError::NoCompanies);
        }
        if candidates.len() > MAX_RIGHTS_PROBES {
            return Err(ImportError::TooManyCompanies);
        }
        let mut verdicts = Vec::with_capacity(candidates.len());
        for chunk in candidates.chunks(PROBE_CONCURRENCY) {
            let probes = chunk.iter().map(|company| async move {
                let verdict = self.anaf().probe_rights(access, &company.cif).await;
                (company.clone(), verdict)
            });
            verdicts.extend(futures_util::future::join_all(probes).await);
        }
        let mut granted: Vec<Company> = verdicts
            .iter()
            .filter(|(_, v)| *v == RightsVerdict::Granted)
            .map(|(c, _)| c.clone())
            .collect();
        match granted.len() {
            1 => Ok(granted.remove(0)),
            0 => {
                let unknown: Vec<String> = verdicts
                    .iter()
                    .filter_map(|(c, v)| match v {
                        RightsVerdict::Unknown(why) => Some(format!("{} ({why})", c.cif)),
                        _ => None,
                    })
                    .collect();
                if unknown.is_empty() {
                    Err(ImportError::NoRightsAnywhere(
                        verdicts.into_iter().map(|(c, _)| c.cif).collect(),
                    ))
                } else {
                    Err(ImportError::RightsUnconfirmed(unknown))
                }
            }
            _ => Err(ImportError::SeveralCompanies(
                granted.into_iter().map(|c| c.cif).collect(),
            )),
        }
    }
}
