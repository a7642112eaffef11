//! Iranian mobile numbers: the one place where every written form becomes `+989XXXXXXXXX`.
//!
//! Accepted: `09…`, `9…`, `989…`, `+98…`, `0098…`, with Persian (U+06F0–06F9) or
//! Arabic-Indic (U+0660–0669) digits, and spaces, dashes, dots, parentheses or
//! bidi/zero-width marks between them. Anything else is an error that says why.

use crate::text::ascii_digit;
use std::fmt;

/// A normalised Iranian mobile number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("phone number is empty")]
    Empty,
    #[error("phone number contains {0:?}, which is not a digit")]
    BadCharacter(char),
    #[error("{0} is not an Iranian number (it must start with 09, +98 or 0098)")]
    NotIranian(String),
    #[error("{0} is not an Iranian mobile number (expected 09 and 9 more digits)")]
    NotMobile(String),
}

impl Phone {
    pub fn parse(input: &str) -> Result<Phone, PhoneError> {
        let mut digits = String::with_capacity(16);
        let mut plus = false;
        for c in input.trim().chars() {
            if let Some(d) = ascii_digit(c) {
                digits.push(d);
                continue;
            }
            match c {
                '+' if digits.is_empty() && !plus => plus = true,
                ' '
                | '-'
                | '.'
                | '('
                | ')'
                | '\u{00A0}'
                | '\u{200C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}' => {}
                other => return Err(PhoneError::BadCharacter(other)),
            }
        }
        if digits.is_empty() {
            return Err(PhoneError::Empty);
        }
        let national = if plus {
            digits
                .strip_prefix("98")
                .ok_or_else(|| PhoneError::NotIranian(input.trim().to_string()))?
        } else if let Some(rest) = digits.strip_prefix("0098") {
            rest
        } else if digits.len() == 12 && digits.starts_with("98") {
            &digits[2..]
        } else if digits.len() == 11 && digits.starts_with('0') {
            &digits[1..]
        } else if digits.starts_with("00") {
            return Err(PhoneError::NotIranian(input.trim().to_string()));
        } else {
            &digits
        };
        if national.len() == 10 && national.starts_with('9') {
            Ok(Phone(format!("+98{national}")))
        } else {
            Err(PhoneError::NotMobile(input.trim().to_string()))
        }
    }

    /// `+989XXXXXXXXX`, the stored form.
    pub fn e164(&self) -> &str {
        &self.0
    }

    /// `09XXXXXXXXX`, the form Iranian SMS gateways expect.
    pub fn national(&self) -> String {
        format!("0{}", &self.0[3..])
    }
}

impl Phone {
    /// Just the digits of `input`, Persian and Arabic-Indic ones as ASCII: for searches
    /// on part of a number.
    pub fn digits_only(input: &str) -> String {
        input.chars().filter_map(ascii_digit).collect()
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Phone {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Phone::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_written_form_is_one_number() {
        for input in [
            "09121234567",
            "9121234567",
            "989121234567",
            "+989121234567",
            "00989121234567",
            "+98 912 123 4567",
            "0912-123-4567",
            "(0912) 123.4567",
            "۰۹۱۲۱۲۳۴۵۶۷",
            "٠٩١٢١٢٣٤٥٦٧",
            "+۹۸۹۱۲۱۲۳۴۵۶۷",
            "\u{200E}0912\u{200C}1234567 ",
        ] {
            assert_eq!(
                Phone::parse(input).map(|p| p.e164().to_string()),
                Ok("+989121234567".to_string()),
                "{input}"
            );
        }
        assert_eq!(
            Phone::parse("09121234567").unwrap().national(),
            "09121234567"
        );
    }

    #[test]
    fn rejects_what_is_not_an_iranian_mobile() {
        assert_eq!(Phone::parse("  "), Err(PhoneError::Empty));
        assert!(matches!(
            Phone::parse("0912abc4567"),
            Err(PhoneError::BadCharacter('a'))
        ));
        assert!(matches!(
            Phone::parse("+14155550100"),
            Err(PhoneError::NotIranian(_))
        ));
        assert!(matches!(
            Phone::parse("00447700900000"),
            Err(PhoneError::NotIranian(_))
        ));
        // Tehran landline, too short, too long, not starting with 9.
        for bad in [
            "02188776655",
            "0912123456",
            "091212345678",
            "08121234567",
            "+98",
        ] {
            assert!(
                matches!(Phone::parse(bad), Err(PhoneError::NotMobile(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            Phone::parse("09+121234567"),
            Err(PhoneError::BadCharacter('+'))
        ));
    }

    proptest! {
        #[test]
        fn never_panics_and_output_is_canonical(s in "\\PC{0,24}") {
            if let Ok(p) = Phone::parse(&s) {
                prop_assert_eq!(p.e164().len(), 13);
                prop_assert!(p.e164().starts_with("+989"));
                prop_assert_eq!(Phone::parse(p.e164()), Ok(p.clone()));
                prop_assert_eq!(Phone::parse(&p.national()), Ok(p));
            }
        }
    }
}
