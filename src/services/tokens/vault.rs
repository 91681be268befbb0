//! Encryption of token values at rest: AES-256-GCM, a random 96-bit nonce per value, the id of the
//! sealing key stored beside each ciphertext (so the master key can rotate), and associated data
//! naming the row and field, so a ciphertext copied onto another row or field does not decrypt.
//!
//! A token's values are bound to the token's own id (`anaf_tokens.id`) and the field. They were
//! once bound to the company the token was first connected for, so that two tokens of one company
//! opened each other's values (a swap in the database made reveal serve the other certificate's
//! token); `open_legacy` reads that binding for the one-time upgrade (`keys::bind_to_tokens`)
//! and nothing else.

use crate::domain::{CompanyId, TokenId};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

use crate::secrets::MasterKey;

const NONCE_BYTES: usize = 12;

/// Which secret of a token row a ciphertext holds.
#[derive(Debug, Clone, Copy)]
pub enum TokenField {
    Access,
    Refresh,
}

impl TokenField {
    fn label(self) -> &'static str {
        match self {
            TokenField::Access => "access",
            TokenField::Refresh => "refresh",
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum VaultError {
    #[error("no configured key has id {0}")]
    UnknownKey(String),
    #[error("ciphertext is malformed or was tampered with")]
    Corrupt,
}

/// Names the key that sealed a ciphertext: 12 hex digits derived from the key (HKDF, a purpose
/// of its own), so the id follows the key wherever it sits in the configuration and says nothing
/// about the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    pub fn of(master: &MasterKey) -> KeyId {
        KeyId(hex::encode(
            master
                .derive("anaf-token-vault-key-id-v1", 6)
                .expose_secret(),
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What rows sealed before key ids existed store instead of an id: `position:N`, the N-th key
/// (from 1, previous keys oldest first, then the current one) of the configuration that wrote
/// them.
pub fn legacy_position(stored: &str) -> Option<usize> {
    stored.strip_prefix("position:")?.parse().ok()
}

/// The configured keys; new values are always sealed with the current one.
pub struct TokenVault {
    /// Oldest first; the last one is the current key.
    keys: Vec<(KeyId, Aes256Gcm)>,
}

impl TokenVault {
    /// `master_keys`: the previous keys, oldest first, then the current one (at least one).
    pub fn new(master_keys: &[&MasterKey]) -> TokenVault {
        assert!(!master_keys.is_empty(), "a vault needs a key");
        let keys = master_keys
            .iter()
            .map(|master| {
                let bytes = master.derive("anaf-token-vault-v1", 32);
                let key: [u8; 32] = bytes
                    .expose_secret()
                    .as_slice()
                    .try_into()
                    .expect("derived keys are 32 bytes");
                (
                    KeyId::of(master),
                    Aes256Gcm::new(&Key::<Aes256Gcm>::from(key)),
                )
            })
            .collect();
        TokenVault { keys }
    }

    /// The key that seals.
    pub fn current_key(&self) -> &KeyId {
        &self.keys[self.keys.len() - 1].0
    }

    /// Every configured key id, oldest first.
    pub fn key_ids(&self) -> impl Iterator<Item = &KeyId> {
        self.keys.iter().map(|(id, _)| id)
    }

    /// The id of the key at `position` (from 1) of this configuration's list.
    pub fn key_at(&self, position: usize) -> Option<&KeyId> {
        position
            .checked_sub(1)
            .and_then(|i| self.keys.get(i))
            .map(|(id, _)| id)
    }

    fn cipher(&self, key_id: &str) -> Result<&Aes256Gcm, VaultError> {
        self.keys
            .iter()
            .find(|(id, _)| id.as_str() == key_id)
            .map(|(_, cipher)| cipher)
            .ok_or_else(|| VaultError::UnknownKey(key_id.to_owned()))
    }

    /// What a token's value is bound to: the token row's id (never reused: ids only grow) and
    /// the field.
    fn associated_data(token_id: TokenId, field: TokenField) -> Vec<u8> {
        format!("anaf_tokens/token/{token_id}/{}", field.label()).into_bytes()
    }

    /// The binding before token ids: the company the token was first connected for.
    fn legacy_associated_data(company_id: CompanyId, field: TokenField) -> Vec<u8> {
        format!("anaf_tokens/company/{company_id}/{}", field.label()).into_bytes()
    }

    /// Seals `plaintext` for `field` of token `token_id`, with the current key.
    pub fn seal(
        &self,
        token_id: TokenId,
        field: TokenField,
        plaintext: &SecretString,
    ) -> Result<String, VaultError> {
        self.seal_bound(&Self::associated_data(token_id, field), plaintext)
    }

    /// Opens what the key `key_id` sealed for `field` of token `token_id`.
    pub fn open(
        &self,
        key_id: &str,
        token_id: TokenId,
        field: TokenField,
        sealed: &str,
    ) -> Result<SecretString, VaultError> {
        self.open_bound(key_id, &Self::associated_data(token_id, field), sealed)
    }

    /// Opens a value sealed under the old (company, field) binding. Only for the one-time upgrade
    /// to token ids and for recovery-spool entries written before it: a token row's values are
    /// always opened with `open`.
    pub fn open_legacy(
        &self,
        key_id: &str,
        company_id: CompanyId,
        field: TokenField,
        sealed: &str,
    ) -> Result<SecretString, VaultError> {
        self.open_bound(
            key_id,
            &Self::legacy_associated_data(company_id, field),
            sealed,
        )
    }

    /// Seals `plaintext` bound to `associated_data` (what names the row and field holding it, so
    /// that the ciphertext opens nowhere else), with the current key.
    pub fn seal_bound(
        &self,
        associated_data: &[u8],
        plaintext: &SecretString,
    ) -> Result<String, VaultError> {
        let cipher = &self.keys[self.keys.len() - 1].1;
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ciphertext = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext.expose_secret().as_bytes(),
                    aad: associated_data,
                },
            )
            .map_err(|_| VaultError::Corrupt)?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        Ok(STANDARD.encode(sealed))
    }

    /// Opens what the key `key_id` sealed bound to `associated_data`.
    pub fn open_bound(
        &self,
        key_id: &str,
        associated_data: &[u8],
        sealed: &str,
    ) -> Result<SecretString, VaultError> {
        let cipher = self.cipher(key_id)?;
        let bytes = STANDARD.decode(sealed).map_err(|_| VaultError::Corrupt)?;
        if bytes.len() <= NONCE_BYTES {
            return Err(VaultError::Corrupt);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| VaultError::Corrupt)?;
        let plaintext = cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: associated_data,
                },
            )
            .map_err(|_| VaultError::Corrupt)?;
        String::from_utf8(plaintext)
            .map(SecretString::from)
            .map_err(|_| VaultError::Corrupt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(hex_byte: &str) -> MasterKey {
        MasterKey::parse(&hex_byte.repeat(32)).unwrap()
    }

    #[test]
    fn round_trips_and_uses_a_fresh_nonce_each_time() {
        let vault = TokenVault::new(&[&key("ab")]);
        let secret = SecretString::from("eyJhbGciOiJSUzUxMiJ9.payload.sig".to_owned());
        let a = vault.seal(TokenId(7), TokenField::Access, &secret).unwrap();
        let b = vault.seal(TokenId(7), TokenField::Access, &secret).unwrap();
        assert_ne!(a, b);
        assert!(!a.contains("eyJ"));
        let id = vault.current_key().as_str();
        let opened = vault.open(id, TokenId(7), TokenField::Access, &a).unwrap();
        assert_eq!(opened.expose_secret(), secret.expose_secret());
    }

    #[test]
    fn a_ciphertext_moved_to_another_row_or_field_does_not_open() {
        let vault = TokenVault::new(&[&key("ab")]);
        let id = vault.current_key().as_str().to_owned();
        let sealed = vault
            .seal(
                TokenId(7),
                TokenField::Access,
                &SecretString::from("t".to_owned()),
            )
            .unwrap();
        assert!(
            vault
                .open(&id, TokenId(8), TokenField::Access, &sealed)
                .is_err()
        );
        assert!(
            vault
                .open(&id, TokenId(7), TokenField::Refresh, &sealed)
                .is_err()
        );
        assert!(matches!(
            vault.open("000000000000", TokenId(7), TokenField::Access, &sealed),
            Err(VaultError::UnknownKey(_))
        ));
    }

    #[test]
    fn a_legacy_value_opens_only_through_open_legacy() {
        let vault = TokenVault::new(&[&key("ab")]);
        let id = vault.current_key().as_str().to_owned();
        let legacy = vault
            .seal_bound(
                &TokenVault::legacy_associated_data(CompanyId(7), TokenField::Access),
                &SecretString::from("t".to_owned()),
            )
            .unwrap();
        assert!(
            vault
                .open(&id, TokenId(7), TokenField::Access, &legacy)
                .is_err()
        );
        let opened = vault
            .open_legacy(&id, CompanyId(7), TokenField::Access, &legacy)
            .unwrap();
        assert_eq!(opened.expose_secret(), "t");
        // A token-bound value never opens as a legacy one of the same number.
        let bound = vault
            .seal(
                TokenId(7),
                TokenField::Access,
                &SecretString::from("t".to_owned()),
            )
            .unwrap();
        assert!(
            vault
                .open_legacy(&id, CompanyId(7), TokenField::Access, &bound)
                .is_err()
        );
    }

    #[test]
    fn a_key_keeps_its_id_wherever_it_sits_in_the_list() {
        let (old, older, new) = (key("ab"), key("cd"), key("ef"));
        let sealed_by_old = TokenVault::new(&[&old])
            .seal(
                TokenId(1),
                TokenField::Refresh,
                &SecretString::from("r".to_owned()),
            )
            .unwrap();
        let old_id = KeyId::of(&old);
        assert_eq!(old_id.as_str().len(), 12);
        assert_ne!(old_id, KeyId::of(&new));
        // Rotated twice, then the oldest key removed: the old key's id still opens its values.
        let rotated = TokenVault::new(&[&older, &old, &new]);
        assert_eq!(rotated.current_key(), &KeyId::of(&new));
        let trimmed = TokenVault::new(&[&old, &new]);
        for vault in [rotated, trimmed] {
            let opened = vault.open(
                old_id.as_str(),
                TokenId(1),
                TokenField::Refresh,
                &sealed_by_old,
            );
            assert_eq!(opened.unwrap().expose_secret(), "r");
        }
    }

    #[test]
    fn legacy_positions_name_the_key_of_the_list_that_wrote_them() {
        let (a, b) = (key("ab"), key("cd"));
        let vault = TokenVault::new(&[&a, &b]);
        assert_eq!(legacy_position("position:2"), Some(2));
        assert_eq!(legacy_position("0123456789ab"), None);
        assert_eq!(vault.key_at(1), Some(&KeyId::of(&a)));
        assert_eq!(vault.key_at(2), Some(&KeyId::of(&b)));
        assert_eq!(vault.key_at(0), None);
        assert_eq!(vault.key_at(3), None);
    }
}
