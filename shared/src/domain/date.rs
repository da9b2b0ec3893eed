//! Calendar dates (`2026-11-27`) for follow-ups, without a date library:
//! the civil-calendar arithmetic is a few lines.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A day in the proleptic Gregorian calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Date {
    /// Days since 1970-01-01.
    days: i32,
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error("a date is written YYYY-MM-DD, between 1970 and 9999")]
pub struct DateError;

impl Date {
    pub fn from_ymd(y: i32, m: u32, d: u32) -> Result<Date, DateError> {
        if !(1970..=9999).contains(&y)
            || !(1..=12).contains(&m)
            || d == 0
            || d > days_in_month(y, m)
        {
            return Err(DateError);
        }
        Ok(Date {
            days: days_from_civil(y, m, d),
        })
    }

    /// The UTC day of a Unix-millisecond time shifted by `offset_minutes`
    /// (the dealer's time zone; +480 for China).
    pub fn from_unix_ms(ms: i64, offset_minutes: i32) -> Date {
        let local = ms + i64::from(offset_minutes) * 60_000;
        Date {
            days: local.div_euclid(86_400_000) as i32,
        }
    }

    pub fn add_days(self, n: i32) -> Date {
        Date {
            days: self.days + n,
        }
    }

    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.days)
    }

    /// Days from `self` to `other` (negative when `other` is earlier).
    pub fn days_until(self, other: Date) -> i32 {
        other.days - self.days
    }
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days.
fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i32 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl FromStr for Date {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.trim().splitn(3, '-');
        let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(DateError);
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(DateError);
        }
        let num = |t: &str| t.parse::<u32>().map_err(|_| DateError);
        Date::from_ymd(num(y)? as i32, num(m)?, num(d)?)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl TryFrom<String> for Date {
    type Error = DateError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Date> for String {
    fn from(d: Date) -> String {
        d.to_string()
    }
}

// Stored in Automerge as its text.
super::text_enum::automerge_as_text!(Date);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_validate() {
        for text in ["1970-01-01", "2024-02-29", "2026-11-27", "2099-12-31"] {
            assert_eq!(
                text.parse::<Date>().map(|d| d.to_string()).as_deref(),
                Ok(text)
            );
        }
        for bad in [
            "2025-02-29",
            "2026-13-01",
            "2026-00-10",
            "26-11-27",
            "2026/11/27",
            "",
            "1969-12-31",
        ] {
            assert_eq!(bad.parse::<Date>(), Err(DateError), "{bad}");
        }
    }

    #[test]
    fn arithmetic_crosses_months_years_and_time_zones() {
        let d = "2026-12-30".parse::<Date>().unwrap_or(Date { days: 0 });
        assert_eq!(d.add_days(3).to_string(), "2027-01-02");
        assert_eq!(d.days_until(d.add_days(-30)), -30);
        // 2026-11-26 20:00 UTC is already the 27th in Beijing.
        let ms = 1_795_723_200_000;
        assert_eq!(Date::from_unix_ms(ms, 0).to_string(), "2026-11-26");
        assert_eq!(Date::from_unix_ms(ms, 480).to_string(), "2026-11-27");
    }
}
