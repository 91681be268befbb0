//! Second factors: what a typed code is (an authenticator's six digits or a recovery code), the
//! RFC 6238 arithmetic over a secret, recovery codes' shape, and who must use two-factor.
//!
//! One kind of factor today (`Factor::Totp`); the sign-in step and re-authentication ask "which
//! factors does this account have" so a passkey can join as a second kind.

use base32::Alphabet;

/// A kind of second factor an account can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factor {
    /// An authenticator app (RFC 6238, SHA-1, 6 digits, 30 s).
    Totp,
    /// A passkey (WebAuthn).
    Passkey,
}

/// Seconds per time step.
pub const STEP_SECONDS: u64 = 30;
/// Steps accepted on either side of now (clock drift of the phone).
pub const SKEW_STEPS: u64 = 1;
/// Random bytes in a TOTP secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;
/// How many recovery codes a set has.
pub const RECOVERY_CODES: usize = 10;
/// Random bytes in a recovery code (80 bits: 16 base32 characters).
const RECOVERY_BYTES: usize = 10;

/// What a person typed into a code field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypedCode {
    /// Six digits: an authenticator's code.
    Totp(String),
    /// Anything else of the right shape: a recovery code, normalised (no dashes or spaces,
    /// lower case).
    Recovery(String),
}

impl TypedCode {
    /// `None` when it can be neither (empty, too long, other characters).
    pub fn parse(raw: &str) -> Option<TypedCode> {
        let cleaned: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_ascii_lowercase();
        if cleaned.len() == 6 && cleaned.bytes().all(|b| b.is_ascii_digit()) {
            return Some(TypedCode::Totp(cleaned));
        }
        let base32 = |b: u8| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b);
        (cleaned.len() == 16 && cleaned.bytes().all(base32)).then_some(TypedCode::Recovery(cleaned))
    }
}

/// A new TOTP secret, as the base32 text an authenticator is given.
pub fn new_secret(random: &[u8; SECRET_BYTES]) -> String {
    base32::encode(Alphabet::Rfc4648 { padding: false }, random)
}

/// The secret's bytes, from its base32 text.
pub fn secret_bytes(base32_text: &str) -> Option<Vec<u8>> {
    base32::decode(Alphabet::Rfc4648 { padding: false }, base32_text)
}

/// The base32 secret in groups of four, easier to type from the screen.
pub fn grouped(base32_text: &str) -> String {
    base32_text
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The time step `unix_seconds` falls in.
pub fn step_at(unix_seconds: u64) -> u64 {
    unix_seconds / STEP_SECONDS
}

/// The step whose code `code` is, among those within the skew of `now_step`; `None` when it is
/// none of them. Compared in constant time.
pub fn matching_step(secret: &[u8], code: &str, now_step: u64) -> Option<u64> {
    let totp = totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        6,
        0,
        STEP_SECONDS,
        secret.to_vec(),
    );
    let first = now_step.saturating_sub(SKEW_STEPS);
    (first..=now_step + SKEW_STEPS).find(|step| {
        let expected = totp.generate(step * STEP_SECONDS);
        bool::from(subtle::ConstantTimeEq::ct_eq(
            expected.as_bytes(),
            code.as_bytes(),
        ))
    })
}

/// The address an authenticator app reads from the QR code (Key Uri Format).
pub fn otpauth_uri(issuer: &str, account: &str, base32_text: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    // `form_urlencoded` writes spaces as `+`, which authenticators show literally in the label.
    let label = enc(&format!("{issuer}:{account}")).replace('+', "%20");
    format!(
        "otpauth://totp/{label}?secret={base32_text}&issuer={}&algorithm=SHA1&digits=6&period={STEP_SECONDS}",
        enc(issuer).replace('+', "%20")
    )
}

/// A new recovery code from its random bytes: 16 base32 characters, shown as four groups.
pub fn recovery_code(random: &[u8]) -> String {
    let text = base32::encode(Alphabet::Rfc4648 { padding: false }, random).to_ascii_lowercase();
    grouped(&text[..16.min(text.len())]).replace(' ', "-")
}

/// Random bytes each recovery code needs.
pub const fn recovery_code_bytes() -> usize {
    RECOVERY_BYTES
}

/// Who must use two-factor before doing anything else.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TwoFactorPolicy {
    pub platform_admins: bool,
    pub support_staff: bool,
    pub company_admins: bool,
}

impl TwoFactorPolicy {
    /// Whether a person with platform role `role` (and admin of some company or not) must.
    pub fn requires(&self, role: crate::domain::Role, company_admin: bool) -> bool {
        use crate::domain::Role;
        match role {
            Role::Admin => self.platform_admins || (self.company_admins && company_admin),
            Role::Support => self.support_staff || (self.company_admins && company_admin),
            Role::User => self.company_admins && company_admin,
        }
    }

    /// Whether anyone at all must (then membership is worth looking up).
    pub fn any(&self) -> bool {
        self.platform_admins || self.support_staff || self.company_admins
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_told_apart() {
        assert_eq!(
            TypedCode::parse(" 123 456 "),
            Some(TypedCode::Totp("123456".into()))
        );
        assert_eq!(
            TypedCode::parse("ABCD-efgh-2345-6723"),
            Some(TypedCode::Recovery("abcdefgh23456723".into()))
        );
        assert_eq!(TypedCode::parse("12345"), None);
        assert_eq!(TypedCode::parse("abcd-efgh-2345-6789"), None);
        assert_eq!(TypedCode::parse(""), None);
    }

    #[test]
    fn rfc_6238_vector_matches_within_the_skew_only() {
        // RFC 6238 appendix B, SHA-1: T = 59 s gives 94287082 (8 digits); 6 digits: 287082.
        let secret = b"12345678901234567890";
        assert_eq!(matching_step(secret, "287082", step_at(59)), Some(1));
        assert_eq!(matching_step(secret, "287082", step_at(59) + 1), Some(1));
        assert_eq!(matching_step(secret, "287082", step_at(59) + 3), None);
    }

    #[test]
    fn recovery_codes_parse_back() {
        let code = recovery_code(&[7u8; RECOVERY_BYTES]);
        assert_eq!(code.len(), 19);
        assert!(matches!(
            TypedCode::parse(&code),
            Some(TypedCode::Recovery(_))
        ));
    }

    #[test]
    fn policy_by_role() {
        use crate::domain::Role;
        let policy = TwoFactorPolicy {
            company_admins: true,
            ..TwoFactorPolicy::default()
        };
        assert!(policy.requires(Role::User, true));
        assert!(!policy.requires(Role::User, false));
        assert!(!policy.requires(Role::Admin, false));
        assert!(!TwoFactorPolicy::default().any());
    }
}
