//! Encryption of token values at rest: AES-256-GCM, a random 96-bit nonce per value, the key version
//! stored beside each ciphertext (so the master key can rotate), and associated data naming the row
//! and field, so a ciphertext copied onto another row or field does not decrypt.

use std::collections::BTreeMap;

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
    #[error("no key with version {0}")]
    UnknownKeyVersion(i32),
    #[error("ciphertext is malformed or was tampered with")]
    Corrupt,
}

/// The keys by version; new values are always sealed with the newest.
pub struct TokenVault {
    keys: BTreeMap<i32, Aes256Gcm>,
}

impl TokenVault {
    /// Key version 1 is derived from the master key. A rotation adds the new master key as the
    /// next version and keeps the previous ones to open what they sealed.
    pub fn new(master_keys: &[&MasterKey]) -> TokenVault {
        let keys = master_keys
            .iter()
            .enumerate()
            .map(|(i, master)| {
                let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
                let bytes = master.derive("anaf-token-vault-v1", 32);
                let key: [u8; 32] = bytes
                    .expose_secret()
                    .as_slice()
                    .try_into()
                    .expect("derived keys are 32 bytes");
                let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(key));
                (version, cipher)
            })
            .collect();
        TokenVault { keys }
    }

    pub fn current_version(&self) -> i32 {
        self.keys.keys().next_back().copied().unwrap_or(1)
    }

    fn associated_data(company_id: i64, field: TokenField) -> Vec<u8> {
        format!("anaf_tokens/company/{company_id}/{}", field.label()).into_bytes()
    }

    /// Seals `plaintext` for `field` of `company_id`'s token row, with the current key.
    pub fn seal(
        &self,
        company_id: i64,
        field: TokenField,
        plaintext: &SecretString,
    ) -> Result<String, VaultError> {
        let version = self.current_version();
        let cipher = self
            .keys
            .get(&version)
            .ok_or(VaultError::UnknownKeyVersion(version))?;
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = Self::associated_data(company_id, field);
        let ciphertext = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext.expose_secret().as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Corrupt)?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        Ok(STANDARD.encode(sealed))
    }

    pub fn open(
        &self,
        key_version: i32,
        company_id: i64,
        field: TokenField,
        sealed: &str,
    ) -> Result<SecretString, VaultError> {
        let cipher = self
            .keys
            .get(&key_version)
            .ok_or(VaultError::UnknownKeyVersion(key_version))?;
        let bytes = STANDARD.decode(sealed).map_err(|_| VaultError::Corrupt)?;
        if bytes.len() <= NONCE_BYTES {
            return Err(VaultError::Corrupt);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| VaultError::Corrupt)?;
        let aad = Self::associated_data(company_id, field);
        let plaintext = cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
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

    fn vault() -> TokenVault {
        let key = MasterKey::parse(&"ab".repeat(32)).unwrap();
        TokenVault::new(&[&key])
    }

    #[test]
    fn round_trips_and_uses_a_fresh_nonce_each_time() {
        let vault = vault();
        let secret = SecretString::from("eyJhbGciOiJSUzUxMiJ9.payload.sig".to_owned());
        let a = vault.seal(7, TokenField::Access, &secret).unwrap();
        let b = vault.seal(7, TokenField::Access, &secret).unwrap();
        assert_ne!(a, b);
        assert!(!a.contains("eyJ"));
        let opened = vault.open(1, 7, TokenField::Access, &a).unwrap();
        assert_eq!(opened.expose_secret(), secret.expose_secret());
    }

    #[test]
    fn a_ciphertext_moved_to_another_row_or_field_does_not_open() {
        let vault = vault();
        let sealed = vault
            .seal(7, TokenField::Access, &SecretString::from("t".to_owned()))
            .unwrap();
        assert!(vault.open(1, 8, TokenField::Access, &sealed).is_err());
        assert!(vault.open(1, 7, TokenField::Refresh, &sealed).is_err());
        assert!(matches!(
            vault.open(2, 7, TokenField::Access, &sealed),
            Err(VaultError::UnknownKeyVersion(2))
        ));
    }

    #[test]
    fn older_key_versions_still_open_after_rotation() {
        let old = MasterKey::parse(&"ab".repeat(32)).unwrap();
        let new = MasterKey::parse(&"cd".repeat(32)).unwrap();
        let sealed = TokenVault::new(&[&old])
            .seal(1, TokenField::Refresh, &SecretString::from("r".to_owned()))
            .unwrap();
        let rotated = TokenVault::new(&[&old, &new]);
        assert_eq!(rotated.current_version(), 2);
        assert!(rotated.open(1, 1, TokenField::Refresh, &sealed).is_ok());
    }
}
