//! The lead's projection: what lists, Today, the server's `lead_summaries`
//! and the figures need of one lead, without its whole document. One
//! definition for the device and the server. The facts are the same in
//! every time zone (`LeadSummary::of`); the two that depend on the dealer's
//! time zone, when the lead is next due and on which day, are added by
//! whoever knows the zone (`LeadSummary::in_zone`: the device, from the
//! browser's `Intl`).

use serde::{Deserialize, Serialize};

use super::catalogue::FollowUpRules;
use super::followup::{TaskId, TaskKind, decision_on, next_due};
use super::quote::QuoteStatus;
use super::{Date, Grade, Lead, LeadId, Source, Stage, UserId};

/// What the list, Today and search need of one lead (the device stores it
/// as JSON text in its `summaries` store; the server writes its columns to
/// `lead_summaries`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LeadSummary {
    pub id: LeadId,
    pub name: String,
    /// E.164, as the document holds it.
    pub mobile: Option<String>,
    pub grade: Grade,
    pub stage: Stage,
    /// The follow-up date set on the lead itself (the day it is planned
    /// for, whatever the zone): what `next_due` falls back to without an
    /// open task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_on: Option<Date>,
    /// The date of the next follow-up (`next_due`'s day in the dealer's
    /// time zone): what the list shows and sorts by. Set by `in_zone`.
    pub next_follow_up: Option<Date>,
    /// When the lead is next to be followed up, Unix ms
    /// (`Lead::next_due`: its earliest open task, else its
    /// follow-up date): the one truth Today, the list and the lead read.
    /// Set by `in_zone`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_due: Option<i64>,
    pub owner: Option<UserId>,
    /// Where the lead came from: a manufacturer's lead has its own
    /// first-contact target. Summaries stored before it read as walk-ins.
    #[serde(default = "walk_in")]
    pub source: Source,
    pub models: Vec<String>,
    pub updated_at: i64,
    /// Quote versions waiting for a manager's decision on their terms (the
    /// approvals inbox opens only these leads).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub approvals_waiting: u32,
    /// Open follow-up tasks (Today lists them without opening the lead).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<TaskBrief>,
    /// A lost request waits for a manager.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lost_waiting: bool,
    /// Nobody has reached the customer yet (an open lead).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub awaiting_first_contact: bool,
    /// When the lead was created (the first-contact target runs from it).
    #[serde(default)]
    pub created_at: i64,
    /// Collisions (another lead with the same mobile number) nobody has
    /// decided yet.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub collisions_open: u32,
    /// Leads a merge absorbed into this one: a link to one opens this.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub absorbed: Vec<LeadId>,
    /// When a manager last approved one of its quotes as it stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<i64>,
}

/// A pool lead's wait (`LeadSummary::pool_wait`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolWait {
    /// Since the lead came in.
    pub waited_ms: i64,
    /// The dealer's first-contact target for its source.
    pub target_ms: i64,
}

impl PoolWait {
    /// Nobody took it within the target.
    pub fn overdue(self) -> bool {
        self.waited_ms > self.target_ms
    }
}

/// An open task as Today shows it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TaskBrief {
    pub id: TaskId,
    pub kind: TaskKind,
    pub due: i64,
    pub assignee: UserId,
}

fn walk_in() -> Source {
    Source::WalkIn
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl LeadSummary {
    /// The lead's facts, the same in every time zone (`next_due` and
    /// `next_follow_up` are left empty: see [`LeadSummary::in_zone`]).
    pub fn of(lead: &Lead) -> LeadSummary {
        LeadSummary {
            id: lead.id,
            name: lead.customer.name.clone(),
            mobile: lead.customer.mobile.as_ref().map(|p| p.as_str().to_owned()),
            grade: lead.grade,
            stage: lead.stage,
            follow_up_on: lead.next_follow_up,
            next_follow_up: None,
            next_due: None,
            owner: lead.owner,
            source: lead.source,
            models: lead.models.clone(),
            updated_at: lead.updated_at,
            approvals_waiting: lead
                .quotes
                .iter()
                .filter(|q| {
                    q.status == QuoteStatus::Requested && q.decision(&lead.approvals).is_none()
                })
                .count() as u32,
            tasks: lead
                .tasks
                .iter()
                .filter(|t| t.is_open())
                .map(|t| TaskBrief {
                    id: t.id,
                    kind: t.kind,
                    due: t.due,
                    assignee: t.assignee,
                })
                .collect(),
            lost_waiting: lead
                .lost_requests
                .iter()
                .any(|r| decision_on(r, &lead.lost_decisions).is_none()),
            awaiting_first_contact: lead.stage.is_open() && lead.first_reached().is_none(),
            created_at: lead.created_at,
            collisions_open: lead.collisions.iter().filter(|c| c.is_open()).count() as u32,
            absorbed: lead.absorbed.iter().map(|a| a.lead).collect(),
            approved_at: lead
                .quotes
                .iter()
                .filter_map(|q| q.decision(&lead.approvals))
                .filter(|a| a.approved)
                .map(|a| a.decided_at)
                .max(),
        }
    }

    /// Adds when the lead is next due and on which day, in the dealer's
    /// time zone: `day_start` gives a date's first millisecond there,
    /// `offset_at` its offset from UTC in minutes at an instant. The rule is
    /// `Lead::next_due`'s, over the open tasks the summary keeps.
    pub fn in_zone(
        mut self,
        day_start: impl Fn(Date) -> i64,
        offset_at: impl Fn(i64) -> i32,
    ) -> LeadSummary {
        self.next_due = next_due(
            self.stage,
            self.tasks.iter().map(|t| t.due),
            self.follow_up_on,
            day_start,
        );
        self.next_follow_up = self
            .next_due
            .map(|at| Date::from_unix_ms(at, offset_at(at)));
        self
    }

    /// How long a lead in the pool has waited for someone to take it,
    /// against the dealer's first-contact target for its source; `None`
    /// for a lead someone holds, a closed one, or one someone has already
    /// reached (given back to the pool after a call).
    pub fn pool_wait(&self, rules: &FollowUpRules, now: i64) -> Option<PoolWait> {
        let waiting = self.owner.is_none() && self.stage.is_open() && self.awaiting_first_contact;
        waiting.then(|| PoolWait {
            waited_ms: (now - self.created_at).max(0),
            target_ms: rules.first_contact_ms(self.source),
        })
    }

    /// Due for a follow-up on `today`: open, with a follow-up date on or before it.
    pub fn is_due(&self, today: Date) -> bool {
        self.stage.is_open() && self.next_follow_up.is_some_and(|d| d <= today)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::followup::{Task, TaskId, TaskKind};
    use crate::domain::{DealerId, LeadId, UserId};
    use uuid::Uuid;

    const DAY: i64 = 86_400_000;

    #[test]
    fn the_summary_is_due_when_the_lead_is() {
        let by = UserId::from_uuid(Uuid::from_u128(1));
        let mut lead = Lead::new(
            LeadId::from_uuid(Uuid::from_u128(2)),
            DealerId::from_uuid(Uuid::from_u128(3)),
            by,
            0,
        );
        lead.next_follow_up = "1970-01-05".parse().ok();
        // China: a day starts at 16:00 UTC the day before.
        let start = |d: Date| {
            let (y, m, day) = d.ymd();
            assert_eq!((y, m), (1970, 1));
            i64::from(day - 1) * DAY - 8 * 3_600_000
        };
        let in_china = |l: &Lead| LeadSummary::of(l).in_zone(start, |_| 480);
        let s = in_china(&lead);
        assert_eq!(s.next_due, lead.next_due(start));
        assert_eq!(s.next_due, Some(4 * DAY - 8 * 3_600_000));
        assert_eq!(s.next_follow_up, lead.next_follow_up);
        // An open task earlier than the date wins, on its own day.
        lead.tasks.push(Task {
            id: TaskId::from_uuid(Uuid::from_u128(4)),
            kind: TaskKind::ALL[0],
            due: 2 * DAY - 3_600_000,
            assignee: by,
            note: String::new(),
            car: None,
            completion: None,
            cancelled: false,
            created_by: by,
            created_at: 0,
        });
        let s = in_china(&lead);
        assert_eq!(s.next_due, lead.next_due(start));
        assert_eq!(s.next_due, Some(2 * DAY - 3_600_000));
        assert_eq!(s.next_follow_up, "1970-01-03".parse().ok());
        // In the pool it waits against the target of its source.
        lead.owner = None;
        let rules = FollowUpRules::default();
        let wait = LeadSummary::of(&lead).pool_wait(&rules, 25 * 3_600_000);
        assert_eq!(
            wait.map(|w| (w.target_ms, w.overdue())),
            Some((24 * 3_600_000, true))
        );
        lead.source = crate::domain::Source::Manufacturer;
        let wait = LeadSummary::of(&lead).pool_wait(&rules, 11 * 3_600_000);
        assert_eq!(
            wait.map(|w| (w.target_ms, w.overdue())),
            Some((12 * 3_600_000, false))
        );
        lead.owner = Some(by);
        assert_eq!(LeadSummary::of(&lead).pool_wait(&rules, 0), None);
        // A closed lead is never due; the facts without a zone are never due.
        lead.stage = Stage::Lost;
        assert_eq!(in_china(&lead).next_due, None);
        assert_eq!(LeadSummary::of(&lead).next_due, None);
    }
}
