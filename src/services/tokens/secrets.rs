//! Opening a stored pair's sealed values, and revealing an access token to a company admin.

use secrecy::SecretString;

use super::*;
use crate::db::models::tokens::{self, TokenMeta, TokenSecrets};
use crate::domain::{Actor, AuditAction, AuditEvent, CompanyId, TokenId};
use crate::services::tokens::vault::TokenField;

impl TokenService {
    pub(super) fn open(
        &self,
        secrets: &TokenSecrets,
        field: TokenField,
    ) -> Result<Option<SecretString>, TokenError> {
        let sealed = match field {
            TokenField::Access => Some(&secrets.access_token_ciphertext),
            TokenField::Refresh => secrets.refresh_token_ciphertext.as_ref(),
        };
        sealed
            .map(|s| self.vault.open(&secrets.key_id, secrets.id, field, s))
            .transpose()
            .map_err(|source| TokenError::Unreadable {
                token_id: secrets.id,
                source,
            })
    }

    pub(super) async fn secrets(&self, token_id: TokenId) -> Result<TokenSecrets, TokenError> {
        self.db
            .run(move |conn| Ok(tokens::load_secrets(conn, token_id)?))
            .await?
            .ok_or(TokenError::NotFound)
    }

    /// The decrypted access token, for a company admin who asked to see it; audited.
    pub async fn reveal_access_token(
        &self,
        actor: &Actor,
        token_id: TokenId,
    ) -> Result<SecretString, TokenError> {
        let (secrets, token) = self.opened_access_token(token_id).await?;
        self.audit
            .record(
                actor,
                AuditEvent::success(AuditAction::TokenRevealed)
                    .company(secrets.company_id)
                    .token(token_id),
            )
            .await;
        Ok(token)
    }

    /// The token's sealed values and its opened access token.
    async fn opened_access_token(
        &self,
        token_id: TokenId,
    ) -> Result<(TokenSecrets, SecretString), TokenError> {
        let secrets = self.secrets(token_id).await?;
        let token = self
            .open(&secrets, TokenField::Access)?
            .ok_or(TokenError::NotFound)?;
        Ok((secrets, token))
    }

    /// The decrypted access token, for the e-Factura gateway's call to ANAF: it goes into the
    /// Authorization header of that call and nowhere else (the gateway's calls are counted in
    /// the metrics, not audited one by one).
    pub async fn access_token_for_call(
        &self,
        token_id: TokenId,
    ) -> Result<SecretString, TokenError> {
        Ok(self.opened_access_token(token_id).await?.1)
    }

    /// The token serving `company` with its opened access token, read in one trip: the
    /// gateway's every call needs both.
    pub async fn serving_token_for_call(
        &self,
        company: CompanyId,
    ) -> Result<Option<(TokenMeta, SecretString)>, TokenError> {
        let found = self
            .db
            .run(move |conn| {
                let Some(meta) = tokens::find_meta_for_company(conn, company)? else {
                    return Ok(None);
                };
                let secrets = tokens::load_secrets(conn, meta.id)?;
                Ok(secrets.map(|secrets| (meta, secrets)))
            })
            .await?;
        let Some((meta, secrets)) = found else {
            return Ok(None);
        };
        let token = self
            .open(&secrets, TokenField::Access)?
            .ok_or(TokenError::NotFound)?;
        Ok(Some((meta, token)))
    }
}
