use std::fmt;

/// A normalised (trimmed, lower-case) email address: compared case-insensitively by construction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, &'static str> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err("email-missing");
        }
        if email.len() > 254 {
            return Err("email-too_long");
        }
        let Some((local, domain)) = email.rsplit_once('@') else {
            return Err("email-invalid");
        };
        let well_formed = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && !local.contains('@');
        if !well_formed {
            return Err("email-invalid");
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn normalises_case_and_space() {
        assert_eq!(
            Email::parse("  Ana@Firma.RO ").unwrap().as_str(),
            "ana@firma.ro"
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "ana",
            "ana@",
            "@firma.ro",
            "ana@firma",
            "a na@firma.ro",
            "a@b@c.ro",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
