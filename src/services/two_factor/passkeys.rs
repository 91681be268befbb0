//! Passkeys (WebAuthn, through webauthn-rs): registered on the security page, then used as the
//! second factor after the password, or alone to sign in (a passkey verifies its user itself:
//! PIN or biometrics on the device). The ceremony's state between the challenge and the
//! browser's answer is kept in the person's session, server-side. Attempts are counted by the
//! login limiter like codes.
//!
//! WebAuthn binds credentials to a domain name (the relying party id, here the host of the
//! portal's public URL): a portal reached by an IP address has no passkeys.

use std::sync::Arc;

use url::Url;
use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, DiscoverableKey, Passkey,
    PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, Uuid,
};
use webauthn_rs::{Webauthn, WebauthnBuilder};
use webauthn_rs_proto::ResidentKeyRequirement;

use crate::db::models::now;
use crate::db::models::passkeys::{self, NewPasskey, PasskeyRow};
use crate::db::models::two_factor;
use crate::domain::{Actor, AuditAction, AuditEvent, PasskeyId, UserId};
use crate::services::accounts::User;
use crate::services::accounts::login_limiter::Subjects;
use crate::services::two_factor::{TwoFactorService, hashes_of, new_recovery_codes};

/// The longest name a person may give a passkey.
pub const NAME_MAX_CHARS: usize = 60;

/// The relying party of the portal at `base_url`, or `None` when its host is not a domain name.
pub fn relying_party(base_url: &Url) -> Option<Arc<Webauthn>> {
    let host = base_url.domain()?;
    let built = WebauthnBuilder::new(host, base_url)
        .map(|builder| builder.rp_name("ANAF Portal"))
        .and_then(|builder| builder.build());
    match built {
        Ok(webauthn) => Some(Arc::new(webauthn)),
        Err(error) => {
            tracing::warn!(%error, "passkeys are off: the public URL is no WebAuthn origin");
            None
        }
    }
}

/// A registration waiting for the browser's answer: what the session keeps.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct PendingRegistration {
    pub name: String,
    user_handle: Uuid,
    state: PasskeyRegistration,
}

/// Why a passkey was not added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAdded {
    /// The browser's answer did not verify against the challenge.
    Invalid,
    /// This credential is registered already (to this account or another).
    Duplicate,
}

/// What a sign-in with a passkey came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasskeyChecked {
    Accepted(UserId),
    /// Not a passkey of this account (or of any), or its signature did not verify.
    Refused,
    Locked {
        wait: std::time::Duration,
    },
}

fn credential_key(id: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id)
}

fn parse(row: &PasskeyRow) -> anyhow::Result<Passkey> {
    serde_json::from_str(&row.passkey)
        .map_err(|e| anyhow::anyhow!("stored passkey {} does not parse: {e}", row.id))
}

impl TwoFactorService {
    /// Whether passkeys work on this portal (its public URL has a domain name).
    pub fn passkeys_available(&self) -> bool {
        self.webauthn.is_some()
    }

    fn webauthn(&self) -> anyhow::Result<&Webauthn> {
        self.webauthn
            .as_deref()
            .ok_or_else(|| anyhow::anyhow!("passkeys need the portal on a domain name"))
    }

    pub async fn passkeys(&self, user: UserId) -> anyhow::Result<Vec<PasskeyRow>> {
        self.db
            .run(move |conn| Ok(passkeys::of_user(conn, user)?))
            .await
    }

    /// The challenge for a new passkey of `user`, and what the session keeps until the answer.
    /// Asks for a discoverable credential, so the passkey also signs in without a password.
    pub async fn start_passkey_registration(
        &self,
        user: &User,
        name: &str,
    ) -> anyhow::Result<(CreationChallengeResponse, PendingRegistration)> {
        let webauthn = self.webauthn()?;
        let existing = self.passkeys(user.id).await?;
        let user_handle = match existing.first() {
            Some(row) => Uuid::parse_str(&row.user_handle)?,
            None => Uuid::new_v4(),
        };
        let exclude = existing
            .iter()
            .map(parse)
            .map(|key| key.map(|k| k.cred_id().clone()))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let (mut challenge, state) = webauthn.start_passkey_registration(
            user_handle,
            &user.email,
            &user.email,
            Some(exclude),
        )?;
        if let Some(selection) = challenge.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
        }
        Ok((
            challenge,
            PendingRegistration {
                name: name.to_owned(),
                user_handle,
                state,
            },
        ))
    }

    /// Verifies the browser's answer and stores the passkey; audited and mailed. A person
    /// without recovery codes gets them with their first passkey (returned, to show once): a
    /// lost device must not lock the account for good.
    pub async fn finish_passkey_registration(
        &self,
        actor: &Actor,
        user: &User,
        pending: PendingRegistration,
        answer: &RegisterPublicKeyCredential,
    ) -> anyhow::Result<Result<Vec<String>, NotAdded>> {
        let webauthn = self.webauthn()?;
        let passkey = match webauthn.finish_passkey_registration(answer, &pending.state) {
            Ok(passkey) => passkey,
            Err(error) => {
                tracing::info!(%error, "a passkey registration did not verify");
                return Ok(Err(NotAdded::Invalid));
            }
        };
        let (user_id, name) = (user.id, pending.name.clone());
        let (handle, credential) = (
            pending.user_handle.to_string(),
            credential_key(passkey.cred_id()),
        );
        let stored = serde_json::to_string(&passkey)?;
        let codes = new_recovery_codes();
        let hashes = hashes_of(&codes);
        let added = self
            .db
            .run(move |conn| {
                crate::db::write_transaction(conn, |conn| {
                    let inserted = passkeys::insert(
                        conn,
                        NewPasskey {
                            user_id,
                            user_handle: &handle,
                            credential_id: &credential,
                            name: &name,
                            passkey: &stored,
                        },
                    )?;
                    if !inserted {
                        return Ok(None);
                    }
                    let first_codes = two_factor::recovery_codes_left(conn, user_id)? == 0;
                    if first_codes {
                        two_factor::replace_recovery_codes(conn, user_id, &hashes)?;
                    }
                    Ok(Some(first_codes))
                })
            })
            .await?;
        let Some(first_codes) = added else {
            return Ok(Err(NotAdded::Duplicate));
        };
        self.audit
            .record(
                actor,
                AuditEvent::success(AuditAction::PasskeyAdded).detail(pending.name),
            )
            .await;
        self.mail(user, "twofactor-mail_passkey_added").await;
        Ok(Ok(if first_codes { codes } else { Vec::new() }))
    }

    /// Removes the person's passkey `id`; false when they have none by that id.
    pub async fn remove_passkey(
        &self,
        actor: &Actor,
        user: &User,
        id: PasskeyId,
    ) -> anyhow::Result<bool> {
        let user_id = user.id;
        let removed = self
            .db
            .run(move |conn| Ok(passkeys::delete(conn, user_id, id)?))
            .await?;
        let Some(name) = removed else {
            return Ok(false);
        };
        self.audit
            .record(
                actor,
                AuditEvent::success(AuditAction::PasskeyRemoved).detail(name),
            )
            .await;
        self.mail(user, "twofactor-mail_passkey_removed").await;
        Ok(true)
    }

    /// The challenge for the second step of `user`'s sign-in, when they have passkeys.
    pub async fn start_passkey_factor(
        &self,
        user: UserId,
    ) -> anyhow::Result<Option<(RequestChallengeResponse, PasskeyAuthentication)>> {
        let Some(webauthn) = self.webauthn.as_deref() else {
            return Ok(None);
        };
        let keys = self
            .passkeys(user)
            .await?
            .iter()
            .map(parse)
            .collect::<anyhow::Result<Vec<_>>>()?;
        if keys.is_empty() {
            return Ok(None);
        }
        Ok(Some(webauthn.start_passkey_authentication(&keys)?))
    }

    /// Checks the browser's answer to `start_passkey_factor` for `user`.
    pub async fn finish_passkey_factor(
        &self,
        actor: &Actor,
        user: UserId,
        state: PasskeyAuthentication,
        answer: &PublicKeyCredential,
        ip: &str,
    ) -> anyhow::Result<PasskeyChecked> {
        let verified = self
            .webauthn()?
            .finish_passkey_authentication(answer, &state);
        self.settle(actor, user, answer, verified, ip).await
    }

    /// The challenge for a sign-in with a passkey alone (the authenticator says whose it is).
    pub fn start_passkey_sign_in(
        &self,
    ) -> anyhow::Result<(RequestChallengeResponse, DiscoverableAuthentication)> {
        Ok(self.webauthn()?.start_discoverable_authentication()?)
    }

    /// Checks the browser's answer to `start_passkey_sign_in`: the account it signs in.
    pub async fn finish_passkey_sign_in(
        &self,
        actor: &Actor,
        state: DiscoverableAuthentication,
        answer: &PublicKeyCredential,
        ip: &str,
    ) -> anyhow::Result<PasskeyChecked> {
        let webauthn = self.webauthn()?;
        let credential = credential_key(answer.get_credential_id());
        let row = self
            .db
            .run(move |conn| Ok(passkeys::by_credential(conn, &credential)?))
            .await?;
        let Some(row) = row else {
            tracing::info!("a passkey sign-in with a credential nobody has");
            return Ok(PasskeyChecked::Refused);
        };
        let key = parse(&row)?;
        let verified = webauthn.finish_discoverable_authentication(
            answer,
            state,
            &[DiscoverableKey::from(&key)],
        );
        self.settle(actor, row.user_id, answer, verified, ip).await
    }

    /// Counts the attempt, and on success stores the credential's new counter.
    async fn settle(
        &self,
        actor: &Actor,
        user: UserId,
        answer: &PublicKeyCredential,
        verified: Result<
            webauthn_rs::prelude::AuthenticationResult,
            webauthn_rs::prelude::WebauthnError,
        >,
        ip: &str,
    ) -> anyhow::Result<PasskeyChecked> {
        let subjects = Subjects::second_factor(ip, user);
        let credential = credential_key(answer.get_credential_id());
        let limiter = self.limiter.clone();
        let checked = self
            .db
            .run(move |conn| {
                if let Some(wait) = limiter.locked_for(conn, &subjects)? {
                    return Ok(PasskeyChecked::Locked { wait });
                }
                let row =
                    passkeys::by_credential(conn, &credential)?.filter(|row| row.user_id == user);
                let (Ok(result), Some(row)) = (verified, row) else {
                    limiter.record_failure(conn, &subjects)?;
                    return Ok(PasskeyChecked::Refused);
                };
                let mut key = parse(&row)?;
                key.update_credential(&result);
                passkeys::record_use(conn, row.id, &serde_json::to_string(&key)?, now())?;
                limiter.record_success(conn, &subjects)?;
                Ok(PasskeyChecked::Accepted(user))
            })
            .await?;
        if !matches!(checked, PasskeyChecked::Accepted(_)) {
            tracing::info!(user_id = %user, "a passkey was refused");
            self.audit
                .record(
                    actor,
                    AuditEvent::failure(AuditAction::SecondFactorRefused).detail("passkey refused"),
                )
                .await;
        }
        Ok(checked)
    }
}
