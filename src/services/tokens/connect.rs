//! Connect ANAF: exchanging an authorization code for a pair and storing it for one company or
//! for the companies of an authorization link.

use std::collections::HashMap;

use super::*;
use crate::anaf::client::{AnafError, RightsVerdict};
use crate::db::models::companies::Company;
use crate::db::models::tokens::TokenMeta;
use crate::domain::{Actor, AuditAction, AuditEvent, Cif, CompanyId, UserId};

/// One company a connection was asked for: the certificate's SPV rights on its CIF, and whether
/// the new token now serves it.
#[derive(Debug, Clone)]
pub struct Coverage {
    pub company: Company,
    pub verdict: RightsVerdict,
    pub served: bool,
}

/// What a connection for several companies did: the token it stored (none when the certificate
/// has rights for none of them), and each company's verdict, in the order asked.
#[derive(Debug, Clone)]
pub struct Connection {
    pub token: Option<TokenMeta>,
    pub companies: Vec<Coverage>,
}

pub(super) fn coverage(
    companies: &[Company],
    verdicts: &HashMap<Cif, RightsVerdict>,
    served: &[CompanyId],
) -> Vec<Coverage> {
    companies
        .iter()
        .map(|company| Coverage {
            company: company.clone(),
            verdict: verdicts
                .get(&company.cif)
                .cloned()
                .unwrap_or_else(|| RightsVerdict::Unknown("not checked".to_owned())),
            served: served.contains(&company.id),
        })
        .collect()
}

/// Why a Connect ANAF callback did not end with a stored token.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Anaf(AnafError),
    #[error(transparent)]
    Store(#[from] StorePairError),
}

impl TokenService {
    /// Completes a Connect ANAF: exchanges the code, stores the pair for `company` and probes its
    /// SPV rights on the company's CIF. Audited either way.
    pub async fn connect(
        &self,
        actor: &Actor,
        company: &Company,
        code: &str,
        code_verifier: Option<&str>,
    ) -> Result<(TokenMeta, RightsVerdict), ConnectError> {
        let result = self
            .exchange_and_store(actor, company, code, code_verifier)
            .await;
        let event = match &result {
            Ok((meta, verdict)) => AuditEvent::success(AuditAction::ConnectSucceeded)
                .token(meta.id)
                .detail(match verdict {
                    RightsVerdict::Granted => "SPV rights confirmed".to_owned(),
                    RightsVerdict::Denied(text) => format!("no SPV rights: {text}"),
                    RightsVerdict::Unknown(text) => format!("rights unknown: {text}"),
                }),
            Err(error) => AuditEvent::failure(AuditAction::ConnectFailed).detail(error.to_string()),
        };
        self.audit.record(actor, event.company(company.id)).await;
        result
    }

    /// Completes a connection asked for several companies at once (an authorization link):
    /// exchanges the code once, probes the certificate's SPV rights on each company's CIF (one
    /// probe per CIF), and stores the pair for the companies it has rights for. A pair with
    /// rights for none of them is not kept (ANAF is asked to revoke it). Audited either way.
    pub async fn connect_companies(
        &self,
        actor: &Actor,
        companies: &[Company],
        code: &str,
        code_verifier: Option<&str>,
    ) -> Result<Connection, ConnectError> {
        let result = self
            .exchange_for_companies(companies, code, code_verifier, actor.user_id)
            .await;
        let mut event = match &result {
            Ok(connection) => {
                let covered: Vec<&str> = connection
                    .companies
                    .iter()
                    .filter(|c| c.verdict == RightsVerdict::Granted)
                    .map(|c| c.company.cif.as_str())
                    .collect();
                AuditEvent::success(AuditAction::ConnectSucceeded).detail(format!(
                    "SPV rights for {} of {} companies: {}",
                    covered.len(),
                    connection.companies.len(),
                    covered.join(", ")
                ))
            }
            Err(error) => AuditEvent::failure(AuditAction::ConnectFailed).detail(error.to_string()),
        };
        // In the history of the company the token was stored for, else of the first asked for.
        let stored = result.as_ref().ok().and_then(|c| c.token.as_ref());
        if let Some(token) = stored {
            event = event.token(token.id);
        }
        if let Some(company_id) = stored
            .map(|t| t.company_id)
            .or(companies.first().map(|c| c.id))
        {
            event = event.company(company_id);
        }
        self.audit.record(actor, event).await;
        result
    }

    pub(super) async fn exchange_for_companies(
        &self,
        companies: &[Company],
        code: &str,
        code_verifier: Option<&str>,
        created_by: Option<UserId>,
    ) -> Result<Connection, ConnectError> {
        let pair = self
            .anaf
            .exchange_code(code, code_verifier)
            .await
            .map_err(ConnectError::Anaf)?;
        let mut verdicts: HashMap<Cif, RightsVerdict> = HashMap::new();
        for company in companies {
            if !verdicts.contains_key(&company.cif) {
                let verdict = self
                    .probe_cif(&pair.access_token, &company.cif)
                    .await
                    .map_err(StorePairError::Storage)?;
                verdicts.insert(company.cif.clone(), verdict);
            }
        }
        let covered = |c: &&Company| verdicts.get(&c.cif) == Some(&RightsVerdict::Granted);
        let Some(home) = companies.iter().find(covered) else {
            self.revoke_in_background(&pair);
            return Ok(Connection {
                token: None,
                companies: coverage(companies, &verdicts, &[]),
            });
        };
        let meta = match self.store(home.id, &pair, "oauth", created_by).await {
            Ok(meta) => meta,
            Err(error) => {
                if matches!(error, StorePairError::Jwt(_) | StorePairError::Expired) {
                    self.revoke_in_background(&pair);
                }
                return Err(error.into());
            }
        };
        self.record_rights(meta.id, &home.cif, &RightsVerdict::Granted)
            .await
            .map_err(StorePairError::Storage)?;
        let mut served = vec![home.id];
        for company in companies.iter().filter(covered) {
            if company.id != home.id {
                self.attach(meta.id, company, created_by)
                    .await
                    .map_err(StorePairError::Storage)?;
                served.push(company.id);
            }
        }
        self.extend_in_background(meta.id, pair.access_token.clone(), served.clone());
        Ok(Connection {
            companies: coverage(companies, &verdicts, &served),
            token: Some(meta),
        })
    }

    pub(super) async fn exchange_and_store(
        &self,
        actor: &Actor,
        company: &Company,
        code: &str,
        code_verifier: Option<&str>,
    ) -> Result<(TokenMeta, RightsVerdict), ConnectError> {
        let pair = self
            .anaf
            .exchange_code(code, code_verifier)
            .await
            .map_err(ConnectError::Anaf)?;
        let meta = match self.store(company.id, &pair, "oauth", actor.user_id).await {
            Ok(meta) => meta,
            Err(error) => {
                // A pair the portal refuses is of no use to anyone: ask ANAF to revoke it.
                if matches!(error, StorePairError::Jwt(_) | StorePairError::Expired) {
                    self.revoke_in_background(&pair);
                }
                return Err(error.into());
            }
        };
        let verdict = self
            .check_rights(meta.id, &pair.access_token, &company.cif)
            .await
            .map_err(StorePairError::Storage)?;
        self.extend_in_background(meta.id, pair.access_token.clone(), vec![company.id]);
        Ok((meta, verdict))
    }
}
