//! GTIN (GS1 Global Trade Item Number): 8, 12, 13 or 14 digits whose last digit is a
//! mod-10 check digit (weights 3,1,3,1… from the rightmost data digit). Shorter forms
//! are stored as GTIN-14, left-padded with zeros, so one product has one key.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Gtin(String);

/// Why a GTIN is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GtinError {
    #[error("a GTIN has digits only")]
    NotDigits,
    #[error("a GTIN has 8, 12, 13 or 14 digits, this one has {0}")]
    Length(usize),
    #[error("check digit is wrong: {gtin} should end in {expected}, not {found}")]
    CheckDigit {
        gtin: String,
        expected: u32,
        found: u32,
    },
}

impl Gtin {
    pub fn parse(input: &str) -> Result<Gtin, GtinError> {
        let s = input.trim();
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(GtinError::NotDigits);
        }
        if ![8, 12, 13, 14].contains(&s.len()) {
            return Err(GtinError::Length(s.len()));
        }
        let padded = format!("{s:0>14}");
        let digits: Vec<u32> = padded.bytes().map(|b| u32::from(b - b'0')).collect();
        let expected = check_digit(&digits[..13]);
        if digits[13] != expected {
            return Err(GtinError::CheckDigit {
                gtin: s.to_string(),
                expected,
                found: digits[13],
            });
        }
        Ok(Gtin(padded))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The GS1 mod-10 check digit of the data digits (all but the last).
pub fn check_digit(data: &[u32]) -> u32 {
    let sum: u32 = data
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
        .sum();
    (10 - sum % 10) % 10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_gtins_in_every_length() {
        assert_eq!(
            Gtin::parse("09501101020917").unwrap().as_str(),
            "09501101020917"
        );
        assert_eq!(
            Gtin::parse("4150000021126").unwrap().as_str(),
            "04150000021126"
        );
        assert_eq!(Gtin::parse("96385074").unwrap().as_str(), "00000096385074");
        assert_eq!(
            Gtin::parse("036000291452").unwrap().as_str(),
            "00036000291452"
        );
    }

    #[test]
    fn rejects_bad_check_digit_length_and_letters() {
        assert!(Gtin::parse("09501101020918")
            .unwrap_err()
            .to_string()
            .contains("should end in 7"));
        assert!(Gtin::parse("123").is_err());
        assert!(Gtin::parse("0950110102091A").is_err());
        assert!(Gtin::parse("").is_err());
    }
}
