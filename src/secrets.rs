//! The master key and the purpose-bound keys derived from it.
//!
//! One operator-supplied secret (`ANAF_PORTAL_SECRET_KEY`) feeds HKDF-SHA256; each use (session
//! cookies, token encryption) gets its own derived key, so no key is ever used for two purposes.

use std::fs;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hkdf::Hkdf;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::Sha256;

const MIN_KEY_BYTES: usize = 32;
const GENERATED_KEY_FILE: &str = "secret.key";

pub struct MasterKey(SecretBox<Vec<u8>>);

impl MasterKey {
    /// Accepts base64 (standard or URL-safe) or hex of at least 32 bytes.
    pub fn parse(raw: &str) -> Result<MasterKey, String> {
        let text = raw.trim();
        let bytes = hex::decode(text)
            .ok()
            .or_else(|| STANDARD.decode(text).ok())
            .or_else(|| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok())
            .ok_or_else(|| "is neither base64 nor hex".to_owned())?;
        if bytes.len() < MIN_KEY_BYTES {
            return Err(format!(
                "decodes to {} bytes; at least {MIN_KEY_BYTES} are needed (openssl rand -base64 32)",
                bytes.len()
            ));
        }
        Ok(MasterKey(SecretBox::new(Box::new(bytes))))
    }

    /// Reads the key generated on an earlier run, or creates one readable only by this user.
    pub fn load_or_generate(data_dir: &Path) -> anyhow::Result<MasterKey> {
        let path = data_dir.join(GENERATED_KEY_FILE);
        if let Ok(existing) = fs::read_to_string(&path) {
            return MasterKey::parse(&existing)
                .map_err(|e| anyhow::anyhow!("{}: the stored key {e}", path.display()));
        }
        fs::create_dir_all(data_dir)?;
        let mut bytes = vec![0u8; MIN_KEY_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let encoded = STANDARD.encode(&bytes);
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&path)?;
        file.write_all(encoded.as_bytes())?;
        tracing::info!(path = %path.display(), "generated a sandbox secret key");
        Ok(MasterKey(SecretBox::new(Box::new(bytes))))
    }

    pub fn from_config(secret: Option<&SecretString>, data_dir: &Path) -> anyhow::Result<Self> {
        match secret {
            Some(secret) => MasterKey::parse(secret.expose_secret())
                .map_err(|e| anyhow::anyhow!("ANAF_PORTAL_SECRET_KEY: {e}")),
            None => MasterKey::load_or_generate(data_dir),
        }
    }

    /// A key for one purpose; `purpose` must be unique per use.
    pub fn derive(&self, purpose: &str, length: usize) -> SecretBox<Vec<u8>> {
        let hkdf = Hkdf::<Sha256>::new(Some(b"anaf-portal"), self.0.expose_secret());
        let mut out = vec![0u8; length];
        // HKDF-SHA256 can expand up to 8160 bytes; our lengths are constants far below that.
        hkdf.expand(purpose.as_bytes(), &mut out)
            .expect("HKDF output length is a small constant");
        SecretBox::new(Box::new(out))
    }
}

/// Random bytes, URL-safe base64 encoded: for session ids, CSRF tokens, OAuth state, API keys.
pub fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buffer);
    URL_SAFE_NO_PAD.encode(buffer)
}

/// A PKCE pair for an OAuth transaction whose `state` is `state`: the seed to keep in the
/// transaction row and the S256 challenge to send to ANAF. See `pkce_verifier`.
pub fn pkce_seed_and_challenge(state: &str) -> (String, String) {
    use sha2::Digest;
    let seed = random_token(32);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(pkce_verifier(state, &seed).as_bytes()));
    (seed, challenge)
}

/// The PKCE verifier of a transaction: HMAC-SHA256 keyed by its `state` (only the browser holds
/// it; the database keeps its hash) over the random seed kept in the transaction row, so a copy
/// of the database alone cannot complete a stolen code's exchange. 43 URL-safe characters, as
/// RFC 7636 asks.
pub fn pkce_verifier(state: &str, seed: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(state.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(b"anaf-portal-pkce-v1:");
    mac.update(seed.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Hex SHA-256, for storing lookup keys (session ids, API keys) without storing the secret.
pub fn sha256_hex(value: impl AsRef<[u8]>) -> String {
    use sha2::Digest;
    hex::encode(Sha256::digest(value.as_ref()))
}

/// Compares secrets without leaking where they differ through timing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}
