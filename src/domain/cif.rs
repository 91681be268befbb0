//! The Romanian fiscal code.

use std::fmt;
use std::str::FromStr;

use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use serde::Serialize;

/// A Romanian fiscal code (CIF/CUI) with a valid check digit, stored as digits only.
///
/// Accepts what people type: an optional `RO` prefix (any case), spaces. The check digit: the other
/// digits, left-padded to 9, are weighted by 753217532; (sum × 10) mod 11, with 10 counting as 0,
/// must equal the last digit.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, AsExpression, FromSqlRow, Serialize,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct Cif(String);

/// Why a CIF was refused; each maps to one catalog message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CifProblem {
    #[error("the CIF is empty")]
    Missing,
    #[error("a CIF is digits only, optionally after an RO prefix")]
    NotDigits,
    #[error("a CIF has 2 to 10 digits")]
    Length,
    #[error("the CIF's check digit is wrong")]
    CheckDigit,
}

impl CifProblem {
    pub fn message_key(self) -> &'static str {
        match self {
            CifProblem::Missing => "cif-missing",
            CifProblem::NotDigits => "cif-not_digits",
            CifProblem::Length => "cif-length",
            CifProblem::CheckDigit => "cif-check_digit",
        }
    }
}

const WEIGHTS: [u32; 9] = [7, 5, 3, 2, 1, 7, 5, 3, 2];

impl Cif {
    pub fn parse(raw: &str) -> Result<Cif, CifProblem> {
        let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        let digits = match compact.get(..2) {
            Some(prefix) if prefix.eq_ignore_ascii_case("ro") => &compact[2..],
            _ => compact.as_str(),
        };
        if digits.is_empty() {
            return Err(CifProblem::Missing);
        }
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(CifProblem::NotDigits);
        }
        if !(2..=10).contains(&digits.len()) {
            return Err(CifProblem::Length);
        }
        let values: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        let (body, check) = values.split_at(values.len() - 1);
        let padding = WEIGHTS.len() - body.len();
        let sum: u32 = body
            .iter()
            .zip(&WEIGHTS[padding..])
            .map(|(digit, weight)| digit * weight)
            .sum();
        let expected = (sum * 10) % 11 % 10;
        if expected != check[0] {
            return Err(CifProblem::CheckDigit);
        }
        Ok(Cif(digits.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Cif {
    type Err = CifProblem;
    fn from_str(raw: &str) -> Result<Cif, CifProblem> {
        Cif::parse(raw)
    }
}

impl fmt::Display for Cif {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_codes_in_every_written_form() {
        for valid in ["18547290", "14399840", "1590082", "22732040", "11123319"] {
            assert_eq!(Cif::parse(valid).unwrap().as_str(), valid);
        }
        assert_eq!(Cif::parse("RO 18547290").unwrap().as_str(), "18547290");
        assert_eq!(Cif::parse("ro18547290").unwrap().as_str(), "18547290");
        assert_eq!(Cif::parse(" 185 472 90 ").unwrap().as_str(), "18547290");
    }

    #[test]
    fn says_what_is_wrong() {
        assert_eq!(Cif::parse("12345678"), Err(CifProblem::CheckDigit));
        assert_eq!(Cif::parse(""), Err(CifProblem::Missing));
        assert_eq!(Cif::parse("RO"), Err(CifProblem::Missing));
        assert_eq!(Cif::parse("RO12A45"), Err(CifProblem::NotDigits));
        assert_eq!(Cif::parse("1"), Err(CifProblem::Length));
        assert_eq!(Cif::parse("12345678901"), Err(CifProblem::Length));
    }
}
