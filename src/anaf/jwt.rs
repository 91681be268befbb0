//! Reading ANAF's JWTs: the claims the portal keeps (expiry, issue time, certificate serial and
//! issuer), and the signature when the server's RSA public key is known (always in sandbox mode,
//! where the simulator's key is used; in production when `ANAF_JWT_PUBLIC_KEY` is set). ANAF signs
//! RS512; every RSA algorithm (RS256/384/512, PS256/384/512) is accepted, so a standard OAuth
//! server's tokens verify too. Opaque (non-JWT) tokens are told apart with `JwtProblem::NotAJwt`.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    pub expires_at: DateTime<Utc>,
    pub issued_at: Option<DateTime<Utc>>,
    pub certificate_serial: Option<String>,
    pub certificate_issuer: Option<String>,
    /// The certificate holder's name (`sub`).
    pub certificate_holder: Option<String>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize,
)]
pub enum JwtProblem {
    #[error("the token is not a JWT (three base64url parts separated by dots)")]
    NotAJwt,
    #[error("the token's claims cannot be decoded")]
    Undecodable,
    #[error("the token has no valid expiry (exp) claim")]
    NoExpiry,
    #[error("the token's signature does not verify against ANAF's public key")]
    BadSignature,
}

#[derive(Deserialize)]
struct RawClaims {
    exp: Option<i64>,
    iat: Option<i64>,
    serial: Option<String>,
    issuer: Option<String>,
    sub: Option<String>,
}

/// Decodes claims, verifying the signature when a key is configured.
pub struct JwtReader {
    key: Option<DecodingKey>,
}

impl JwtReader {
    pub fn new(public_key_pem: Option<&str>) -> anyhow::Result<JwtReader> {
        let key = public_key_pem
            .map(|pem| DecodingKey::from_rsa_pem(pem.as_bytes()))
            .transpose()
            .map_err(|e| {
                anyhow::anyhow!("ANAF_JWT_PUBLIC_KEY: not an RSA public key in PEM ({e})")
            })?;
        Ok(JwtReader { key })
    }

    pub fn verifies_signatures(&self) -> bool {
        self.key.is_some()
    }

    /// The claims; expiry is reported, not enforced (the caller decides what an old token means).
    pub fn read(&self, token: &str) -> Result<TokenClaims, JwtProblem> {
        let token = token.trim();
        let well_formed = token.split('.').count() == 3
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'='));
        if !well_formed {
            return Err(JwtProblem::NotAJwt);
        }
        let raw: RawClaims = match &self.key {
            Some(key) => {
                let mut validation = Validation::new(Algorithm::RS512);
                validation.algorithms = vec![
                    Algorithm::RS256,
                    Algorithm::RS384,
                    Algorithm::RS512,
                    Algorithm::PS256,
                    Algorithm::PS384,
                    Algorithm::PS512,
                ];
                validation.validate_exp = false;
                validation.validate_nbf = false;
                validation.validate_aud = false;
                validation.required_spec_claims.clear();
                jsonwebtoken::decode::<RawClaims>(token, key, &validation)
                    .map_err(|e| match e.kind() {
                        jsonwebtoken::errors::ErrorKind::InvalidSignature
                        | jsonwebtoken::errors::ErrorKind::InvalidAlgorithm
                        | jsonwebtoken::errors::ErrorKind::InvalidAlgorithmName => {
                            JwtProblem::BadSignature
                        }
                        _ => JwtProblem::Undecodable,
                    })?
                    .claims
            }
            None => {
                jsonwebtoken::dangerous::insecure_decode::<RawClaims>(token)
                    .map_err(|_| JwtProblem::Undecodable)?
                    .claims
            }
        };
        let expires_at = raw
            .exp
            .and_then(|exp| DateTime::from_timestamp(exp, 0))
            .ok_or(JwtProblem::NoExpiry)?;
        Ok(TokenClaims {
            expires_at,
            issued_at: raw.iat.and_then(|iat| DateTime::from_timestamp(iat, 0)),
            certificate_serial: raw.serial.filter(|s| !s.is_empty()),
            certificate_issuer: raw.issuer.filter(|s| !s.is_empty()),
            certificate_holder: raw.sub.filter(|s| !s.trim().is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn unsigned(claims: &str) -> String {
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS512","kid":"anaf_2023_2024"}"#),
            URL_SAFE_NO_PAD.encode(claims)
        )
    }

    #[test]
    fn reads_anaf_claims_without_a_key() {
        let reader = JwtReader::new(None).unwrap();
        let claims = reader
            .read(&unsigned(
                r#"{"exp":1705509635,"iat":1697733635,"serial":"34:00:00:25:69","issuer":"Anaf"}"#,
            ))
            .unwrap();
        assert_eq!(claims.expires_at.timestamp(), 1_705_509_635);
        assert_eq!(claims.certificate_serial.as_deref(), Some("34:00:00:25:69"));
        assert_eq!(claims.certificate_issuer.as_deref(), Some("Anaf"));
    }

    #[test]
    fn says_what_is_wrong() {
        let reader = JwtReader::new(None).unwrap();
        assert_eq!(reader.read("not a token"), Err(JwtProblem::NotAJwt));
        assert_eq!(reader.read("a.b"), Err(JwtProblem::NotAJwt));
        assert_eq!(reader.read("abc.def.ghi"), Err(JwtProblem::Undecodable));
        assert_eq!(
            reader.read(&unsigned(r#"{"iat":1}"#)),
            Err(JwtProblem::NoExpiry)
        );
    }
}
