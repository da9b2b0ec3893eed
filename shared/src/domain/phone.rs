//! Mobile numbers, normalised to E.164 (`+8613812345678`) with +86 as the
//! default country, so the same customer typed two ways is the same number.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A phone number in E.164 form.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

#[derive(Debug, Error, PartialEq, Eq)]
pub enum PhoneError {
    #[error("the phone number is empty")]
    Empty,
    #[error("the phone number may hold only digits, spaces, '-', '(', ')' and a leading '+'")]
    BadCharacter,
    #[error("a mainland China mobile number has 11 digits starting with 1")]
    BadChinaMobile,
    #[error("the phone number is too short or too long")]
    BadLength,
}

impl Phone {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Phone {
    type Err = PhoneError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        let (international, rest) = match trimmed
            .strip_prefix('+')
            .or_else(|| trimmed.strip_prefix('＋'))
        {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                // Full-width digits, as a Chinese IME may type them.
                '０'..='９' => digits.push(char::from(b'0' + (c as u32 - '０' as u32) as u8)),
                ' ' | '-' | '(' | ')' | '.' | '\u{3000}' => {}
                _ => return Err(PhoneError::BadCharacter),
            }
        }
        let e164_digits = if international {
            digits
        } else if let Some(rest) = digits.strip_prefix("00") {
            rest.to_owned()
        } else if digits.len() == 13 && digits.starts_with("86") {
            digits
        } else if let Some(national) = digits.strip_prefix('0') {
            // A mainland landline with its trunk prefix: 010-12345678.
            format!("86{national}")
        } else {
            format!("86{digits}")
        };
        if let Some(national) = e164_digits.strip_prefix("86") {
            // Mobiles start with 1; the only area code that does is Beijing's 10.
            let mobile_like = national.starts_with('1') && !national.starts_with("10");
            if mobile_like
                && (national.len() != 11
                    || !matches!(national.as_bytes().get(1), Some(b'3'..=b'9')))
            {
                return Err(PhoneError::BadChinaMobile);
            }
            if !mobile_like && !(9..=11).contains(&national.len()) {
                return Err(PhoneError::BadLength);
            }
        }
        if !(8..=15).contains(&e164_digits.len()) || e164_digits.starts_with('0') {
            return Err(PhoneError::BadLength);
        }
        Ok(Phone(format!("+{e164_digits}")))
    }
}

impl TryFrom<String> for Phone {
    type Error = PhoneError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// Stored in Automerge as its text.
super::text_enum::automerge_as_text!(Phone);

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Result<&str, PhoneError>) {
        assert_eq!(
            input.parse::<Phone>().as_ref().map(Phone::as_str),
            expect.as_ref().map(|s| *s),
            "{input:?}"
        );
    }

    #[test]
    fn chinese_mobiles_in_every_usual_spelling_become_one_number() {
        for spelling in [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+86 138 1234 5678",
            "+8613812345678",
            "8613812345678",
            "008613812345678",
            "１３８１２３４５６７８",
        ] {
            check(spelling, Ok("+8613812345678"));
        }
    }

    #[test]
    fn landlines_and_other_countries() {
        check("010-12345678", Ok("+861012345678"));
        check("+1 (415) 555-0100", Ok("+14155550100"));
        check("+852 9123 4567", Ok("+85291234567"));
    }

    #[test]
    fn bad_numbers_are_refused_with_a_reason() {
        check("", Err(PhoneError::Empty));
        check("138123", Err(PhoneError::BadChinaMobile));
        check("12812345678", Err(PhoneError::BadChinaMobile));
        check("138123456789", Err(PhoneError::BadChinaMobile));
        check("call me", Err(PhoneError::BadCharacter));
        check("+1234", Err(PhoneError::BadLength));
        check("+1234567890123456", Err(PhoneError::BadLength));
    }
}
