use std::collections::HashSet;
use std::sync::OnceLock;

use secrecy::{ExposeSecret, SecretString};

const MIN_CHARS: usize = 8;
const MAX_CHARS: usize = 128;

static COMMON_PASSWORDS: OnceLock<HashSet<String>> = OnceLock::new();

fn common_passwords() -> &'static HashSet<String> {
    COMMON_PASSWORDS.get_or_init(|| {
        include_str!("common-passwords.txt")
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
            .map(str::to_lowercase)
            .collect()
    })
}

/// Why a new password was refused; each maps to one catalog message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    TooCommon,
}

impl PasswordProblem {
    pub fn message_key(self) -> &'static str {
        match self {
            PasswordProblem::TooShort => "password-too_short",
            PasswordProblem::TooLong => "password-too_long",
            PasswordProblem::TooCommon => "password-too_common",
        }
    }
}

/// A password acceptable for a new account: 8 to 128 characters, not among the most common ones.
/// No composition rules (NIST SP 800-63B).
pub struct Password(SecretString);

impl Password {
    pub fn parse(raw: SecretString) -> Result<Password, PasswordProblem> {
        let chars = raw.expose_secret().chars().count();
        if chars < MIN_CHARS {
            return Err(PasswordProblem::TooShort);
        }
        if chars > MAX_CHARS {
            return Err(PasswordProblem::TooLong);
        }
        if common_passwords().contains(&raw.expose_secret().to_lowercase()) {
            return Err(PasswordProblem::TooCommon);
        }
        Ok(Password(raw))
    }

    pub fn secret(&self) -> &SecretString {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Password, PasswordProblem> {
        Password::parse(SecretString::from(s.to_owned()))
    }

    #[test]
    fn length_bounds_count_characters() {
        assert_eq!(parse("ș7ă!").err(), Some(PasswordProblem::TooShort));
        assert!(parse("ștefan-cel-mare-1457").is_ok());
        assert_eq!(
            parse(&"x".repeat(129)).err(),
            Some(PasswordProblem::TooLong)
        );
        assert!(parse(&"ăx".repeat(64)).is_ok());
    }

    #[test]
    fn common_passwords_are_refused_case_insensitively() {
        assert!(common_passwords().len() >= 1000);
        assert_eq!(parse("Password1").err(), Some(PasswordProblem::TooCommon));
        assert_eq!(parse("parola123").err(), Some(PasswordProblem::TooCommon));
        assert_eq!(parse("12345678").err(), Some(PasswordProblem::TooCommon));
    }
}
