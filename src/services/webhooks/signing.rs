//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>): a secret `whsec_` +
//! base64 of 32 random bytes; each request signs `{webhook-id}.{webhook-timestamp}.{body}` with
//! HMAC-SHA256 under the decoded bytes, sent as `webhook-signature: v1,<base64>`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use sha2::Sha256;

const PREFIX: &str = "whsec_";
const SECRET_BYTES: usize = 32;

/// An endpoint's signing secret. Not `Debug` nor `Display`: it is shown once, at creation.
pub struct SigningSecret {
    text: SecretString,
    key: SecretSlice<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a signing secret is `whsec_` followed by base64")]
pub struct MalformedSecret;

impl SigningSecret {
    /// A new secret from the operating system's random source.
    pub fn generate() -> SigningSecret {
        let mut key = vec![0u8; SECRET_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut key);
        SigningSecret {
            text: SecretString::from(format!("{PREFIX}{}", STANDARD.encode(&key))),
            key: SecretSlice::from(key),
        }
    }

    /// A secret as stored (or as another implementation writes it).
    pub fn parse(text: SecretString) -> Result<SigningSecret, MalformedSecret> {
        let encoded = text
            .expose_secret()
            .strip_prefix(PREFIX)
            .ok_or(MalformedSecret)?;
        let key = STANDARD.decode(encoded).map_err(|_| MalformedSecret)?;
        if key.is_empty() {
            return Err(MalformedSecret);
        }
        Ok(SigningSecret {
            text,
            key: SecretSlice::from(key),
        })
    }

    /// The `whsec_…` text: to seal it, or to show it the one time after creation.
    pub fn expose(&self) -> &str {
        self.text.expose_secret()
    }

    pub fn as_secret(&self) -> &SecretString {
        &self.text
    }

    /// The `webhook-signature` header value for one request.
    pub fn sign(&self, message_id: &str, timestamp: i64, body: &[u8]) -> String {
        // HMAC takes keys of any length: this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.key.expose_secret())
            .expect("HMAC accepts any key length");
        mac.update(message_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_reference_vector_of_the_specification() {
        // The test vector every Standard Webhooks library checks.
        let secret = SigningSecret::parse(SecretString::from(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned(),
        ))
        .expect("valid");
        assert_eq!(
            secret.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn generated_secrets_are_whsec_and_32_bytes_and_parse_back() {
        let secret = SigningSecret::generate();
        let text = secret.expose().to_owned();
        assert!(text.starts_with("whsec_"));
        let decoded = STANDARD.decode(&text["whsec_".len()..]).expect("base64");
        assert_eq!(decoded.len(), 32);
        let again = SigningSecret::parse(SecretString::from(text)).expect("parses");
        assert_eq!(again.sign("a", 1, b"x"), secret.sign("a", 1, b"x"));
        assert_ne!(SigningSecret::generate().expose(), secret.expose());
    }

    #[test]
    fn refuses_what_is_not_a_secret() {
        for bad in ["", "whsec_", "whsec_@@@", "sk_abc"] {
            assert!(SigningSecret::parse(SecretString::from(bad.to_owned())).is_err());
        }
    }
}
