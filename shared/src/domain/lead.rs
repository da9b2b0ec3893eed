//! The lead: one prospective customer at one dealer, with every record of
//! their deal. The words for where they stand are in `funnel`.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::collision::{Absorbed, Collision};
use super::followup::{Consent, LostDecision, LostRequest, Task};
use super::quote::{Approval, QuoteVersion};
use super::record::{Field, Fields, Personal, holds_records};
use super::showroom::{TestDrive, Visit};
use super::{Date, DealerId, Grade, LeadId, Phone, Source, Stage, UserId};

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

holds_records! {
    /// A lead as the app and the server work with it. Its stored form is an
    /// Automerge document; `crate::doc` converts between the two. Its record
    /// kinds are the `records` list: one line each.
    #[derive(Clone, Debug, PartialEq, Eq)]
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
        pub created_by: UserId,
        pub created_at: i64,
        pub updated_by: UserId,
        pub updated_at: i64,
    }
    records {
        /// Visits to the showroom linked to this lead, by id.
        visits: Visit,
        /// Test drives, booked or done, by id.
        drives: TestDrive,
        /// Quote versions (报价单), by id; a quote is the versions sharing its id.
        quotes: QuoteVersion,
        /// Managers' decisions on quote versions, by id.
        approvals: Approval,
        /// Follow-up tasks (跟进), by id.
        tasks: Task,
        /// Requests to mark the lead lost (战败申请), by id.
        lost_requests: LostRequest,
        /// Managers' decisions on them, by id.
        lost_decisions: LostDecision,
        /// The customer's consents and withdrawals per purpose, by id.
        consents: Consent,
        /// Other leads with the same mobile number (撞单), by id: the
        /// server's.
        collisions: Collision,
        /// What this lead kept of leads it absorbed in a merge, by their
        /// id: the server's.
        absorbed: Absorbed,
    }
}

impl Lead {
    /// A lead of `dealer` created by `by` at `at`: a walk-in with no
    /// details yet, new and not graded, owned by its creator, with no
    /// records.
    pub fn new(id: LeadId, dealer: DealerId, by: UserId, at: i64) -> Lead {
        Lead {
            id,
            dealer,
            customer: Customer::default(),
            source: Source::WalkIn,
            models: Vec::new(),
            grade: Grade::N,
            stage: Stage::New,
            owner: Some(by),
            next_follow_up: None,
            notes: Vec::new(),
            created_by: by,
            created_at: at,
            updated_by: by,
            updated_at: at,
            visits: Vec::new(),
            drives: Vec::new(),
            quotes: Vec::new(),
            approvals: Vec::new(),
            tasks: Vec::new(),
            lost_requests: Vec::new(),
            lost_decisions: Vec::new(),
            consents: Vec::new(),
            collisions: Vec::new(),
            absorbed: Vec::new(),
        }
    }
}

impl Fields for Customer {
    const FIELDS: &'static [Field] = &[
        Field::personal("name", Personal::Name),
        Field::personal("mobile", Personal::Contact),
        Field::personal("wechat", Personal::Contact),
        Field::personal("city", Personal::Place),
    ];
}

impl Fields for Note {
    const FIELDS: &'static [Field] = &[
        Field::dealer("author"),
        Field::dealer("at"),
        Field::personal("text", Personal::FreeText),
    ];
}

/// The lead's own keys in its document (`doc::lead`).
impl Fields for Lead {
    const FIELDS: &'static [Field] = &[
        Field::dealer("schema"),
        Field::dealer("type"),
        Field::milestone("id"),
        Field::milestone("dealer"),
        Field::nested("customer", Customer::FIELDS),
        Field::milestone("source"),
        Field::milestone("models"),
        Field::dealer("grade"),
        Field::milestone("stage"),
        Field::dealer("owner"),
        Field::dealer("next_follow_up"),
        Field::nested("notes", Note::FIELDS),
        Field::dealer("created_by"),
        Field::milestone("created_at"),
        Field::dealer("updated_by"),
        Field::dealer("updated_at"),
    ];
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

/// What follows from a lead's records: when it was first reached and when
/// it is next due (used by every screen and, through the lead summary, by
/// the server).
impl Lead {
    /// When someone first reached the customer (Unix ms): a task completed
    /// with a contact outcome, a visit to the showroom, or a test drive that
    /// went out. The one definition of "reached": Today's "Not reached yet",
    /// the first-contact target and response times all read it.
    pub fn first_reached(&self) -> Option<i64> {
        let lead = self;
        let by_task = super::followup::first_contact(&lead.tasks);
        let by_visit = lead
            .visits
            .iter()
            .filter(|v| v.counts())
            .map(|v| v.arrived_at)
            .min();
        let by_drive = lead
            .drives
            .iter()
            .filter_map(|d| d.out.as_ref().map(|o| o.at))
            .min();
        [by_task, by_visit, by_drive].into_iter().flatten().min()
    }

    /// When the lead is next to be followed up (Unix ms): its earliest open
    /// task; with none, the start of its follow-up date (`day_start` gives a
    /// date's first millisecond in the dealer's time zone). `None`: nothing is
    /// planned, or the lead is closed. The one definition every screen reads
    /// (Today's lists, the lead list, the lead's page).
    pub fn next_due(&self, day_start: impl Fn(Date) -> i64) -> Option<i64> {
        super::followup::next_due(
            self.stage,
            self.tasks.iter().filter(|t| t.is_open()).map(|t| t.due),
            self.next_follow_up,
            day_start,
        )
    }
}

impl Lead {
    /// What changed in this lead since `before`: the lead with only its
    /// records that are new or differ from `before`'s and its notes
    /// `before` lacks (its own fields as they are). What an edit of a lead
    /// a merge absorbed carries into the survivor; the server's own kinds
    /// (collisions, what was absorbed) are not carried.
    pub fn news_since(&self, before: &Lead) -> Lead {
        use super::record::{EachKind, EachKindMut, Holds, Record};
        struct Changed(Vec<String>);
        impl EachKind for Changed {
            type Error = ();
            fn kind<R: Record>(&mut self, before: &[R], after: &[R]) -> Result<(), ()> {
                for r in after {
                    if !before.contains(r) {
                        self.0.push(format!("{}:{}", R::KIND, r.record_key()));
                    }
                }
                Ok(())
            }
        }
        struct Keep<'a>(&'a [String]);
        impl EachKindMut for Keep<'_> {
            type Error = ();
            fn kind<R: Record>(&mut self, records: &mut Vec<R>) -> Result<(), ()> {
                records.retain(|r| self.0.contains(&format!("{}:{}", R::KIND, r.record_key())));
                Ok(())
            }
        }
        let mut changed = Changed(Vec::new());
        let _ = Lead::each_kind(Some(before), self, &mut changed);
        let mut news = self.clone();
        let _ = news.each_kind_mut(&mut Keep(&changed.0));
        news.notes.retain(|n| !before.notes.contains(n));
        news.collisions.clear();
        news.absorbed.clear();
        news
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
    use crate::domain::UnknownValue;

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
