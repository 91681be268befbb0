//! Signing key and token issuing: RS512 JWTs with ANAF's claims, or opaque tokens.

use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::json;

use super::TestCertificate;
use super::TokenPair;
use super::state::{RolesClaim, State, TokenKind, TokenRecord, token_key};

/// The `kid` header of every JWT the simulator signs.
pub(crate) const KEY_ID: &str = "anaf_sim_2026";
pub(crate) const ISSUER: &str = "https://logincert.anaf.ro";
pub(crate) const ROLE: &str = "HELLO, EFACTURA, ETRANSPORT, SRV_EFACTURA";
pub(crate) const SCOPE: &str = "clientappid info issuer role serial";
/// `nbf` is this many seconds before `iat` (seen in ANAF's example: 300).
const NBF_SKEW_SECONDS: i64 = 300;

pub(crate) struct KeyMaterial {
    encoding: EncodingKey,
    pub public_pem: String,
}

static GENERATED: OnceLock<Arc<KeyMaterial>> = OnceLock::new();

impl KeyMaterial {
    /// A 2048-bit key generated once per process and shared by every simulator in it.
    pub fn generated() -> anyhow::Result<Arc<KeyMaterial>> {
        if let Some(keys) = GENERATED.get() {
            return Ok(keys.clone());
        }
        let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)?;
        let keys = Arc::new(KeyMaterial::from_private(&private)?);
        // Another thread may have won the race; either key is fine, keep the stored one.
        Ok(GENERATED.get_or_init(|| keys).clone())
    }

    /// Loads a PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`) PEM.
    pub fn from_pem(pem: &str) -> anyhow::Result<KeyMaterial> {
        let private = RsaPrivateKey::from_pkcs8_pem(pem)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
            .map_err(|e| {
                anyhow::anyhow!(
                    "signing key is neither a PKCS#8 nor a PKCS#1 RSA private key PEM ({e})"
                )
            })?;
        KeyMaterial::from_private(&private)
    }

    fn from_private(private: &RsaPrivateKey) -> anyhow::Result<KeyMaterial> {
        let der = private.to_pkcs1_der()?;
        let public_pem = RsaPublicKey::from(private).to_public_key_pem(LineEnding::LF)?;
        Ok(KeyMaterial {
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            public_pem,
        })
    }
}

/// URL-safe random string of `bytes` random bytes.
pub(crate) fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// Issues (and records) a new access + refresh pair for `cert` and `client_id`.
pub(crate) fn issue_pair(
    st: &mut State,
    keys: &KeyMaterial,
    cert: &TestCertificate,
    client_id: &str,
    jwt: bool,
    refresh_expires_at: Option<DateTime<Utc>>,
) -> anyhow::Result<TokenPair> {
    let now = st.now();
    let grant_id = st.next_grant_id;
    st.next_grant_id += 1;
    let access_exp = now + Duration::days(st.variants.access_token_lifetime_days);
    // What the answer's `expires_in` says, and when the simulator stops accepting the token.
    let access_end = st
        .variants
        .access_token_expires_in_seconds
        .map_or(access_exp, |seconds| now + Duration::seconds(seconds));
    let refresh_exp = refresh_expires_at
        .unwrap_or_else(|| now + Duration::days(st.variants.refresh_token_lifetime_days));
    let roles = st.variants.roles_claim;

    let (access_token, refresh_token) = if jwt {
        (
            sign(
                keys,
                cert,
                client_id,
                now.timestamp(),
                access_exp.timestamp(),
                "Bearer",
                roles,
            )?,
            sign(
                keys,
                cert,
                client_id,
                now.timestamp(),
                refresh_exp.timestamp(),
                "Refresh",
                roles,
            )?,
        )
    } else {
        (random_token(32), random_token(32))
    };

    for (token, kind, expires_at) in [
        (&access_token, TokenKind::Access, access_end),
        (&refresh_token, TokenKind::Refresh, refresh_exp),
    ] {
        st.tokens.insert(
            token_key(token),
            TokenRecord {
                kind,
                jwt,
                client_id: client_id.to_string(),
                certificate_serial: cert.serial.clone(),
                expires_at,
                revoked: false,
                grant_id,
            },
        );
    }

    Ok(TokenPair {
        access_token,
        refresh_token,
        token_type: "Bearer".to_string(),
        expires_in: (access_end - now).num_seconds(),
    })
}

fn sign(
    keys: &KeyMaterial,
    cert: &TestCertificate,
    client_id: &str,
    iat: i64,
    exp: i64,
    token_type: &str,
    roles: RolesClaim,
) -> anyhow::Result<String> {
    let mut header = Header::new(Algorithm::RS512);
    header.kid = Some(KEY_ID.to_string());
    // ANAF's header is exactly {"alg":"RS512","kid":...}, without "typ".
    header.typ = None;
    let mut claims = json!({
        "token_type": token_type,
        "scope": SCOPE,
        "scope_data": [
            {"id": "clientappid", "value": client_id},
            {"id": "info", "value": ""},
            {"id": "issuer", "value": cert.issuer},
            {"id": "role", "value": ROLE},
            {"id": "serial", "value": cert.serial},
        ],
        "iss": ISSUER,
        "clientappid": client_id,
        "efactura": "EFACTURA, SRV_EFACTURA",
        // sic: ANAF's example token spells this claim `etrasport`.
        "etrasport": "ETRANSPORT",
        "hello": "HELLO",
        "issuer": cert.issuer,
        "role": ROLE,
        "serial": cert.serial,
        "sub": cert.holder,
        "jti": random_hex(16),
        "iat": iat,
        "nbf": iat - NBF_SKEW_SECONDS,
        "exp": exp,
    });
    if let Some(map) = claims.as_object_mut() {
        if roles == RolesClaim::Roles {
            map.remove("role");
        }
        if roles != RolesClaim::Role {
            map.insert("roles".into(), ROLE.replace(", ", "@").into());
        }
    }
    Ok(jsonwebtoken::encode(&header, &claims, &keys.encoding)?)
}
