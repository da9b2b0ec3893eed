//! The lead: one prospective customer at one dealer, and the words for where
//! they stand (intent grade, stage) and where they came from (source).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{Date, DealerId, LeadId, Phone, UserId};

/// The text was not one of the known values of an enum.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

/// Declares a closed enum stored as stable snake_case text.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident, $kind:literal, { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::domain::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err($crate::domain::UnknownValue { kind: $kind, value: other.to_owned() }),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use text_enum;

text_enum!(
    /// Where the lead came from.
    Source, "source", {
        WalkIn = "walk_in",
        Phone = "phone",
        Website = "website",
        Referral = "referral",
        /// Pushed by the manufacturer (or the dealer group's hub).
        Manufacturer = "manufacturer",
        Campaign = "campaign",
        Other = "other",
    }
);

text_enum!(
    /// Intent grade (意向级别).
    Grade, "grade", {
        /// Buys within 7 days.
        H = "H",
        /// Within 15 days.
        A = "A",
        /// Within 30 days.
        B = "B",
        /// Within 3 months.
        C = "C",
        /// New, not graded yet.
        N = "N",
        /// Ordered.
        O = "O",
        /// Lost (战败).
        F = "F",
    }
);

text_enum!(
    /// Where the lead stands in the sales funnel.
    Stage, "stage", {
        New = "new",
        Contacted = "contacted",
        Visited = "visited",
        TestDrive = "test_drive",
        Quoted = "quoted",
        Ordered = "ordered",
        Delivered = "delivered",
        Lost = "lost",
    }
);

impl Grade {
    /// Days until the next follow-up is due, by the default cadence (dealers
    /// will set their own); `None` when no follow-up is due (ordered, lost).
    pub const fn default_follow_up_days(self) -> Option<i32> {
        match self {
            Grade::H | Grade::N => Some(1),
            Grade::A => Some(3),
            Grade::B => Some(7),
            Grade::C => Some(14),
            Grade::O | Grade::F => None,
        }
    }
}

impl Stage {
    /// Whether the lead is still being worked.
    pub const fn is_open(self) -> bool {
        !matches!(self, Stage::Delivered | Stage::Lost)
    }
}

/// A note on a lead: who wrote what, when. Notes are only ever added.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub author: UserId,
    /// Unix milliseconds.
    pub at: i64,
    pub text: String,
}

/// The customer side of a lead.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub name: String,
    pub mobile: Option<Phone>,
    pub wechat: Option<String>,
    pub city: Option<String>,
}

/// A lead as the app and the server work with it. Its stored form is an
/// Automerge document; `crate::doc` converts between the two.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lead {
    pub id: LeadId,
    pub dealer: DealerId,
    pub customer: Customer,
    pub source: Source,
    /// Models of interest, in the order they were added.
    pub models: Vec<String>,
    pub grade: Grade,
    pub stage: Stage,
    pub owner: Option<UserId>,
    pub next_follow_up: Option<Date>,
    /// Oldest first.
    pub notes: Vec<Note>,
    /// Visits to the showroom linked to this lead, by id.
    #[serde(skip)]
    pub visits: Vec<super::showroom::Visit>,
    /// Test drives, booked or done, by id.
    #[serde(skip)]
    pub drives: Vec<super::showroom::TestDrive>,
    /// Quote versions (报价单), by id; a quote is the versions sharing its id.
    #[serde(skip)]
    pub quotes: Vec<super::quote::QuoteVersion>,
    /// Managers' decisions on quote versions, by id.
    #[serde(skip)]
    pub approvals: Vec<super::quote::Approval>,
    /// Follow-up tasks (跟进), by id.
    #[serde(skip)]
    pub tasks: Vec<super::followup::Task>,
    /// Requests to mark the lead lost (战败申请), by id.
    #[serde(skip)]
    pub lost_requests: Vec<super::followup::LostRequest>,
    /// Managers' decisions on them, by id.
    #[serde(skip)]
    pub lost_decisions: Vec<super::followup::LostDecision>,
    /// The customer's consents and withdrawals per purpose, by id.
    #[serde(skip)]
    pub consents: Vec<super::followup::Consent>,
    pub created_by: UserId,
    pub created_at: i64,
    pub updated_by: UserId,
    pub updated_at: i64,
}

/// Limits that keep one lead small (DESIGN: ~1 KB saved).
pub mod limits {
    pub const NAME: usize = 100;
    pub const SHORT_TEXT: usize = 100;
    pub const MODELS: usize = 20;
    pub const NOTE: usize = 4000;
}

/// Why a lead's fields were refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum LeadError {
    #[error("the customer's name is empty")]
    EmptyName,
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("a lead lists at most {max} models")]
    TooManyModels { max: usize },
    #[error("the note is empty")]
    EmptyNote,
}

impl Lead {
    /// Checks the fields a person typed; the app shows the error inline.
    pub fn validate(&self) -> Result<(), LeadError> {
        let too_long = |field, text: &str, max| {
            if text.chars().count() > max {
                Err(LeadError::TooLong { field, max })
            } else {
                Ok(())
            }
        };
        if self.customer.name.trim().is_empty() {
            return Err(LeadError::EmptyName);
        }
        too_long("name", &self.customer.name, limits::NAME)?;
        too_long(
            "wechat",
            self.customer.wechat.as_deref().unwrap_or(""),
            limits::SHORT_TEXT,
        )?;
        too_long(
            "city",
            self.customer.city.as_deref().unwrap_or(""),
            limits::SHORT_TEXT,
        )?;
        if self.models.len() > limits::MODELS {
            return Err(LeadError::TooManyModels {
                max: limits::MODELS,
            });
        }
        for model in &self.models {
            too_long("model", model, limits::SHORT_TEXT)?;
        }
        Ok(())
    }
}

/// Checks a note's text before it is added.
pub fn validate_note(text: &str) -> Result<(), LeadError> {
    if text.trim().is_empty() {
        return Err(LeadError::EmptyNote);
    }
    if text.chars().count() > limits::NOTE {
        return Err(LeadError::TooLong {
            field: "note",
            max: limits::NOTE,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_as_text() {
        for s in Source::ALL {
            assert_eq!(s.as_str().parse::<Source>(), Ok(*s));
        }
        for g in Grade::ALL {
            assert_eq!(g.as_str().parse::<Grade>(), Ok(*g));
        }
        for s in Stage::ALL {
            assert_eq!(s.as_str().parse::<Stage>(), Ok(*s));
        }
        assert_eq!(
            "reserved".parse::<Stage>(),
            Err(UnknownValue {
                kind: "stage",
                value: "reserved".into()
            })
        );
    }

    #[test]
    fn hotter_grades_are_followed_up_sooner() {
        let days: Vec<Option<i32>> = [Grade::H, Grade::A, Grade::B, Grade::C]
            .iter()
            .map(|g| g.default_follow_up_days())
            .collect();
        assert_eq!(days, [Some(1), Some(3), Some(7), Some(14)]);
        assert_eq!(Grade::O.default_follow_up_days(), None);
        assert!(Stage::Quoted.is_open() && !Stage::Lost.is_open());
    }

    #[test]
    fn notes_must_say_something() {
        assert_eq!(validate_note("  "), Err(LeadError::EmptyNote));
        assert!(validate_note("客户周六再来看车").is_ok());
        assert_eq!(
            validate_note(&"x".repeat(4001)),
            Err(LeadError::TooLong {
                field: "note",
                max: 4000
            })
        );
    }
}
