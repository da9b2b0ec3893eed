//! Money: integer fen (分, 1/100 yuan), never floating point.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// An amount in minor units (fen for CNY). Arithmetic saturates instead of
/// wrapping: a total over ¥92 quadrillion is not a real quote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Money(pub i64);

#[derive(Debug, Error, PartialEq, Eq)]
#[error("an amount is written like 218299.56 or 218,299 (at most two decimals)")]
pub struct MoneyError;

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn fen(self) -> i64 {
        self.0
    }

    pub const fn yuan(yuan: i64) -> Money {
        Money(yuan.saturating_mul(100))
    }

    pub const fn saturating_add(self, other: Money) -> Money {
        Money(self.0.saturating_add(other.0))
    }

    pub const fn saturating_sub(self, other: Money) -> Money {
        Money(self.0.saturating_sub(other.0))
    }

    /// `bp` basis points (1/10,000) of the amount, rounded half away from
    /// zero to the fen: the one rounding rule of `quote_math`.
    pub fn share_bp(self, bp: u32) -> Money {
        let n = i128::from(self.0) * i128::from(bp);
        let q = (n.abs() * 2 + 10_000) / 20_000;
        let q = if n < 0 { -q } else { q };
        Money(i64::try_from(q).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX }))
    }

    /// The sum of `amounts`, saturating.
    pub fn sum<I: IntoIterator<Item = Money>>(amounts: I) -> Money {
        amounts.into_iter().fold(Money::ZERO, Money::saturating_add)
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    /// What a person types: `218299.56`, `218,299`, `¥ 218,299.5`, `-500`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t: String = s
            .trim()
            .trim_start_matches(['¥', '￥'])
            .chars()
            .filter(|c| !matches!(c, ',' | ' ' | '\u{a0}'))
            .collect();
        let (neg, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.as_str()),
        };
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        if whole.is_empty() && frac.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 2
            || whole.len() > 15
        {
            return Err(MoneyError);
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| MoneyError)?
        };
        let frac: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().map_err(|_| MoneyError)? * 10,
            _ => frac.parse().map_err(|_| MoneyError)?,
        };
        let fen = whole * 100 + frac;
        Ok(Money(if neg { -fen } else { fen }))
    }
}

impl fmt::Display for Money {
    /// `218,299.56`: grouped by thousands, two decimals, no currency sign
    /// (the page adds the sign its locale uses).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let neg = self.0 < 0;
        let abs = self.0.unsigned_abs();
        let whole = (abs / 100).to_string();
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(
            f,
            "{}{grouped}.{:02}",
            if neg { "-" } else { "" },
            abs % 100
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_and_print_exactly() {
        for (text, fen) in [
            ("218299.56", 21_829_956),
            ("218,299.56", 21_829_956),
            ("¥ 218,299.5", 21_829_950),
            ("500", 50_000),
            ("-500", -50_000),
            (".5", 50),
            ("0.07", 7),
        ] {
            assert_eq!(text.parse::<Money>(), Ok(Money(fen)), "{text}");
        }
        assert_eq!(Money(21_829_956).to_string(), "218,299.56");
        assert_eq!(Money(-50_000).to_string(), "-500.00");
        assert_eq!(Money(7).to_string(), "0.07");
        for bad in ["", "1.234", "abc", "1e5", "--5", ".", "12.3.4"] {
            assert!(bad.parse::<Money>().is_err(), "{bad:?}");
        }
    }
}
