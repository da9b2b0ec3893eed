//! Follow-up (跟进): a lead's tasks and their outcomes, lost requests (战败
//! 申请) a manager decides, and the customer's consent per purpose (PIPL).
//! Each is a record of the lead's document (`doc::records`), declared once.
//!
//! - A task's completion is one field (a map written once): the same task
//!   completed on two devices offline stays one completion.
//! - A manager's decision on a lost request is its own record, like a quote
//!   approval: the salesperson's request and the manager's decision never
//!   write the same keys, and only a manager's session writes decisions
//!   (`crate::rules`). The lead enters the lost stage only with an approved
//!   decision on an open request.
//! - Consent is a history of events, each naming the events it saw
//!   (`supersedes`). The current state of a purpose is given by the events
//!   nobody superseded; when two such events disagree (a grant and a
//!   withdrawal recorded concurrently), the withdrawal wins. A merge never
//!   undoes a withdrawal.

use autosurgeon::{Hydrate, Reconcile};

use super::catalogue::CarId;
use super::id::id_type;
use super::record::{Field, Fields, Personal, record};
use super::text_enum::text_enum;
use super::{Grade, UserId};

id_type!(
    /// A follow-up task.
    TaskId
);
id_type!(
    /// A request to mark a lead lost.
    LostRequestId
);
id_type!(
    /// A manager's decision on a lost request.
    LostDecisionId
);
id_type!(
    /// One recorded consent or withdrawal.
    ConsentId
);

text_enum!(
    /// What a follow-up task is.
    TaskKind, "task kind", {
        Call = "call",
        WeChat = "wechat",
        Sms = "sms",
        /// A visit appointment (到店邀约).
        Visit = "visit",
        /// A test-drive appointment: carries the demo car.
        TestDrive = "test_drive",
        Delivery = "delivery",
        Other = "other",
    }
);

impl TaskKind {
    /// An appointment has a time that matters to the minute.
    pub const fn is_appointment(self) -> bool {
        matches!(
            self,
            TaskKind::Visit | TaskKind::TestDrive | TaskKind::Delivery
        )
    }
}

text_enum!(
    /// What came of a follow-up.
    Outcome, "task outcome", {
        /// Reached the customer.
        Reached = "reached",
        NoAnswer = "no_answer",
        WrongNumber = "wrong_number",
        /// An appointment was made (the next task is it).
        Appointment = "appointment",
        NotInterested = "not_interested",
        /// Sent (a WeChat or SMS message).
        Sent = "sent",
        Done = "done",
    }
);

impl Outcome {
    /// Whether it counts as a follow-up attempt (for the minimum before a
    /// lost request, and the first contact): everything but a wrong number.
    pub const fn is_attempt(self) -> bool {
        !matches!(self, Outcome::WrongNumber)
    }

    /// Whether a person was reached (the first human contact).
    pub const fn is_contact(self) -> bool {
        matches!(
            self,
            Outcome::Reached | Outcome::Appointment | Outcome::NotInterested | Outcome::Done
        )
    }
}

/// How a task ended.
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct Completion {
    pub outcome: Outcome,
    /// What was said.
    pub said: String,
    pub at: i64,
    pub by: UserId,
}

/// A follow-up task of a lead.
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct Task {
    pub id: TaskId,
    pub kind: TaskKind,
    /// When it is due, Unix ms (an appointment's time).
    pub due: i64,
    pub assignee: UserId,
    pub note: String,
    /// The demo car of a test-drive appointment.
    pub car: Option<CarId>,
    pub completion: Option<Completion>,
    /// Closed without an outcome (the lead was lost, or it was a mistake).
    pub cancelled: bool,
    pub created_by: UserId,
    pub created_at: i64,
}

impl Task {
    /// Still to do.
    pub fn is_open(&self) -> bool {
        self.completion.is_none() && !self.cancelled
    }

    /// Overdue at `now`: open and past its time.
    pub fn is_overdue(&self, now: i64) -> bool {
        self.is_open() && self.due < now
    }
}

/// A salesperson's request to mark the lead lost (战败申请).
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct LostRequest {
    pub id: LostRequestId,
    /// A code of the dealer's lost reasons (`LostReason::code`).
    pub reason: String,
    /// For "bought a competitor": which brand and model.
    pub competitor: String,
    pub note: String,
    pub requested_by: UserId,
    pub requested_at: i64,
    /// When the lead was reopened after this request was approved (a
    /// be-back): the request no longer holds the lead in the lost stage.
    pub reopened_at: Option<i64>,
}

/// A manager's decision on a lost request.
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct LostDecision {
    pub id: LostDecisionId,
    pub request: LostRequestId,
    pub approved: bool,
    pub comment: String,
    pub decided_by: UserId,
    pub decided_at: i64,
}

/// Where a lost request stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LostState {
    /// Waiting for a manager.
    Pending,
    Approved(LostDecision),
    Rejected(LostDecision),
    /// Approved, then the lead came back.
    Reopened,
}

/// The decision on `request` (the latest, should two managers have decided).
pub fn decision_on<'a>(
    request: &LostRequest,
    decisions: &'a [LostDecision],
) -> Option<&'a LostDecision> {
    decisions
        .iter()
        .filter(|d| d.request == request.id)
        .max_by_key(|d| (d.decided_at, d.id))
}

impl LostRequest {
    pub fn state(&self, decisions: &[LostDecision]) -> LostState {
        match decision_on(self, decisions) {
            None => LostState::Pending,
            Some(_) if self.reopened_at.is_some() => LostState::Reopened,
            Some(d) if d.approved => LostState::Approved(d.clone()),
            Some(d) => LostState::Rejected(d.clone()),
        }
    }
}

/// Whether the lead may be in the lost stage: a lost request still open
/// (not reopened) that a manager approved.
pub fn lost_is_approved(requests: &[LostRequest], decisions: &[LostDecision]) -> bool {
    requests
        .iter()
        .any(|r| matches!(r.state(decisions), LostState::Approved(_)))
}

/// The grade a lost lead takes.
pub const LOST_GRADE: Grade = Grade::F;

pub use super::consent::Purpose;

text_enum!(
    /// How a consent was recorded.
    ConsentMethod, "consent method", {
        Verbal = "verbal",
        /// Signed on the tablet.
        Signed = "signed",
    }
);

/// One consent given or withdrawn (or refused) for one purpose.
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct Consent {
    pub id: ConsentId,
    pub purpose: Purpose,
    /// Given (true) or refused / withdrawn (false).
    pub given: bool,
    pub method: ConsentMethod,
    /// The version of the wording shown.
    pub wording_version: u32,
    pub at: i64,
    pub recorded_by: UserId,
    /// The events of this purpose the device knew when it recorded this one.
    pub supersedes: Vec<ConsentId>,
    /// The customer's signature, when signed on the tablet.
    #[autosurgeon(missing = "Default::default")]
    pub signature: Option<super::showroom::Strokes>,
}

/// The current consent for `purpose`: `None` when never asked. Events that
/// no other event supersedes are current; of those, a withdrawal wins.
pub fn consent_state(consents: &[Consent], purpose: Purpose) -> Option<&Consent> {
    let of: Vec<&Consent> = consents.iter().filter(|c| c.purpose == purpose).collect();
    let current: Vec<&Consent> = of
        .iter()
        .copied()
        .filter(|c| !of.iter().any(|o| o.supersedes.contains(&c.id)))
        .collect();
    current
        .iter()
        .copied()
        .filter(|c| !c.given)
        .max_by_key(|c| (c.at, c.id))
        .or_else(|| current.iter().copied().max_by_key(|c| (c.at, c.id)))
}

/// Whether the purpose is consented to now: marketing and sharing with the
/// manufacturer are off unless given.
pub fn consents_to(consents: &[Consent], purpose: Purpose) -> bool {
    consent_state(consents, purpose).is_some_and(|c| c.given)
}

/// A new consent event for `purpose` that supersedes every event of it the
/// device knows.
#[allow(clippy::too_many_arguments)]
pub fn record_consent(
    consents: &[Consent],
    id: ConsentId,
    purpose: Purpose,
    given: bool,
    method: ConsentMethod,
    wording_version: u32,
    by: UserId,
    at: i64,
) -> Consent {
    Consent {
        id,
        purpose,
        given,
        method,
        wording_version,
        at,
        recorded_by: by,
        supersedes: consents
            .iter()
            .filter(|c| c.purpose == purpose)
            .map(|c| c.id)
            .collect(),
        signature: None,
    }
}

/// Follow-up attempts made on a lead (completed tasks that count).
pub fn attempts(tasks: &[Task]) -> usize {
    tasks
        .iter()
        .filter(|t| {
            t.completion
                .as_ref()
                .is_some_and(|c| c.outcome.is_attempt())
        })
        .count()
}

/// The first human contact, Unix ms (response time = this − created).
pub fn first_contact(tasks: &[Task]) -> Option<i64> {
    tasks
        .iter()
        .filter_map(|t| t.completion.as_ref())
        .filter(|c| c.outcome.is_contact())
        .map(|c| c.at)
        .min()
}

/// When a lead is next to be followed up (Unix ms): its earliest open task;
/// with none, the start of its follow-up date (`day_start` gives a date's
/// first millisecond in the dealer's time zone). `None`: nothing is planned,
/// or the lead is closed. The one rule `Lead::next_due` and the summary
/// both read.
pub fn next_due(
    stage: super::Stage,
    open_tasks_due: impl Iterator<Item = i64>,
    follow_up_on: Option<super::Date>,
    day_start: impl Fn(super::Date) -> i64,
) -> Option<i64> {
    if !stage.is_open() {
        return None;
    }
    open_tasks_due.min().or_else(|| follow_up_on.map(day_start))
}

// What each record holds: its kind, its authors, its fields' tags
// (`super::record`).

record!(Task, "task", "task", |t| t.id.to_string(), authors: |t| {
    let mut a = vec![("created_by", t.created_by)];
    a.extend(t.completion.as_ref().map(|c| ("completion.by", c.by)));
    a
});
record!(LostRequest, "lost_request", "lost request", |r| r.id.to_string(), authors: |r| vec![("requested_by", r.requested_by)]);
record!(LostDecision, "lost_decision", "lost decision", |d| d.id.to_string(), authors: |d| vec![("decided_by", d.decided_by)]);
record!(Consent, "consent", "consent", |c| c.id.to_string(), authors: |c| vec![("recorded_by", c.recorded_by)]);

impl Fields for Completion {
    const FIELDS: &'static [Field] = &[
        Field::milestone("outcome"),
        Field::personal("said", Personal::FreeText),
        Field::milestone("at"),
        Field::dealer("by"),
    ];
}

impl Fields for Task {
    const FIELDS: &'static [Field] = &[
        Field::dealer("id"),
        Field::dealer("kind"),
        Field::dealer("due"),
        Field::dealer("assignee"),
        Field::personal("note", Personal::FreeText),
        Field::dealer("car"),
        Field::nested("completion", Completion::FIELDS),
        Field::dealer("cancelled"),
        Field::dealer("created_by"),
        Field::dealer("created_at"),
    ];
}

impl Fields for LostRequest {
    const FIELDS: &'static [Field] = &[
        Field::dealer("id"),
        Field::milestone("reason"),
        Field::dealer("competitor"),
        Field::personal("note", Personal::FreeText),
        Field::dealer("requested_by"),
        Field::dealer("requested_at"),
        Field::dealer("reopened_at"),
    ];
}

impl Fields for LostDecision {
    const FIELDS: &'static [Field] = &[
        Field::dealer("id"),
        Field::dealer("request"),
        Field::milestone("approved"),
        Field::personal("comment", Personal::FreeText),
        Field::dealer("decided_by"),
        Field::milestone("decided_at"),
    ];
}

impl Fields for Consent {
    const FIELDS: &'static [Field] = &[
        Field::dealer("id"),
        Field::dealer("purpose"),
        Field::dealer("given"),
        Field::dealer("method"),
        Field::dealer("wording_version"),
        Field::dealer("at"),
        Field::dealer("recorded_by"),
        Field::dealer("supersedes"),
        Field::personal("signature", Personal::Signature),
    ];
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn user(n: u128) -> UserId {
        UserId::from_uuid(Uuid::from_u128(n))
    }

    fn consent(n: u128, given: bool, at: i64, supersedes: &[u128]) -> Consent {
        Consent {
            id: ConsentId::from_uuid(Uuid::from_u128(n)),
            purpose: Purpose::Marketing,
            given,
            method: ConsentMethod::Verbal,
            wording_version: 1,
            at,
            recorded_by: user(1),
            supersedes: supersedes
                .iter()
                .map(|s| ConsentId::from_uuid(Uuid::from_u128(*s)))
                .collect(),
            signature: None,
        }
    }

    fn task(n: u128, due: i64, completion: Option<Completion>) -> Task {
        Task {
            id: TaskId::from_uuid(Uuid::from_u128(n)),
            kind: TaskKind::Call,
            due,
            assignee: user(1),
            note: String::new(),
            car: None,
            completion,
            cancelled: false,
            created_by: user(1),
            created_at: 0,
        }
    }

    fn done(outcome: Outcome, at: i64) -> Option<Completion> {
        Some(Completion {
            outcome,
            said: String::new(),
            at,
            by: user(1),
        })
    }

    fn bare_lead() -> crate::domain::Lead {
        crate::domain::Lead {
            id: crate::domain::LeadId::from_uuid(Uuid::from_u128(1)),
            dealer: crate::domain::DealerId::from_uuid(Uuid::from_u128(2)),
            customer: crate::domain::Customer::default(),
            source: crate::domain::Source::WalkIn,
            models: Vec::new(),
            grade: Grade::C,
            stage: crate::domain::Stage::New,
            owner: Some(user(1)),
            next_follow_up: None,
            notes: Vec::new(),
            created_by: user(1),
            created_at: 0,
            updated_by: user(1),
            updated_at: 0,
            ..crate::domain::Lead::new(
                crate::domain::LeadId::from_uuid(Uuid::from_u128(1)),
                crate::domain::DealerId::from_uuid(Uuid::from_u128(2)),
                user(1),
                0,
            )
        }
    }

    /// Midnight of a date, for the tests: days since 2026-01-01.
    fn day_start(d: crate::domain::Date) -> i64 {
        let base: crate::domain::Date = "2026-01-01".parse().expect("a date");
        i64::from(base.days_until(d)) * 86_400_000
    }

    #[test]
    fn the_next_follow_up_is_the_earliest_open_task_else_the_lead_date() {
        let mut lead = bare_lead();
        lead.stage = crate::domain::Stage::Contacted;
        lead.next_follow_up = Some("2026-01-11".parse().expect("a date"));
        assert_eq!(lead.next_due(day_start), Some(10 * 86_400_000));
        // An overdue open task is the next follow-up, though the date is later.
        lead.tasks = vec![
            task(1, 5 * 86_400_000, None),
            task(2, 3 * 86_400_000, None),
            task(3, 86_400_000, done(Outcome::NoAnswer, 1)),
        ];
        assert_eq!(lead.next_due(day_start), Some(3 * 86_400_000));
        lead.tasks[1].cancelled = true;
        assert_eq!(lead.next_due(day_start), Some(5 * 86_400_000));
        // A closed lead has none.
        lead.stage = crate::domain::Stage::Lost;
        assert_eq!(lead.next_due(day_start), None);
    }

    #[test]
    fn a_visit_a_drive_or_a_contact_reaches_the_customer() {
        let mut lead = bare_lead();
        assert_eq!(lead.first_reached(), None);
        lead.tasks = vec![task(1, 0, done(Outcome::NoAnswer, 50))];
        assert_eq!(lead.first_reached(), None, "no answer is not a contact");
        lead.tasks.push(task(2, 0, done(Outcome::Reached, 70)));
        assert_eq!(lead.first_reached(), Some(70));
        let drive = crate::domain::showroom::TestDrive {
            out: Some(crate::domain::showroom::DriveOut {
                at: 40,
                odometer_km: 1,
                fuel_pct: 50,
                route: String::new(),
                companion: None,
                recorded_by: user(1),
            }),
            ..crate::domain::showroom::TestDrive::booked(
                crate::domain::showroom::DriveId::from_uuid(Uuid::from_u128(9)),
                crate::domain::catalogue::CarId::from_uuid(Uuid::from_u128(8)),
                0,
                1,
                user(1),
                0,
            )
        };
        lead.drives = vec![drive];
        assert_eq!(
            lead.first_reached(),
            Some(40),
            "a drive that went out is a contact"
        );
    }

    #[test]
    fn a_withdrawal_wins_over_a_concurrent_grant_and_a_later_grant_wins_over_it() {
        assert!(!consents_to(&[], Purpose::Marketing), "off unless given");
        let given = consent(1, true, 10, &[]);
        assert!(consents_to(
            std::slice::from_ref(&given),
            Purpose::Marketing
        ));
        // Two devices, both knowing the grant: one withdraws, one grants
        // again (later in time): the withdrawal wins.
        let withdrawn = consent(2, false, 20, &[1]);
        let regranted = consent(3, true, 30, &[1]);
        let all = [given.clone(), withdrawn.clone(), regranted.clone()];
        assert!(!consents_to(&all, Purpose::Marketing));
        assert_eq!(
            consent_state(&all, Purpose::Marketing).map(|c| c.id),
            Some(withdrawn.id)
        );
        // A grant recorded after seeing the withdrawal holds.
        let after = consent(4, true, 40, &[1, 2, 3]);
        let all = [given, withdrawn, regranted, after.clone()];
        assert!(consents_to(&all, Purpose::Marketing));
        assert!(
            !consents_to(&all, Purpose::OemSharing),
            "purposes are separate"
        );
    }

    #[test]
    fn a_lost_request_holds_the_lost_stage_only_when_approved_and_not_reopened() {
        let mut r = LostRequest {
            id: LostRequestId::from_uuid(Uuid::from_u128(1)),
            reason: "price".into(),
            competitor: String::new(),
            note: String::new(),
            requested_by: user(1),
            requested_at: 1,
            reopened_at: None,
        };
        let request = r.id;
        let d = |approved, at| LostDecision {
            id: LostDecisionId::from_uuid(Uuid::from_u128(at as u128)),
            request,
            approved,
            comment: String::new(),
            decided_by: user(9),
            decided_at: at,
        };
        assert_eq!(r.state(&[]), LostState::Pending);
        assert!(!lost_is_approved(std::slice::from_ref(&r), &[]));
        assert!(matches!(r.state(&[d(false, 2)]), LostState::Rejected(_)));
        assert!(lost_is_approved(std::slice::from_ref(&r), &[d(true, 3)]));
        r.reopened_at = Some(4);
        assert_eq!(r.state(&[d(true, 3)]), LostState::Reopened);
        assert!(!lost_is_approved(&[r], &[d(true, 3)]));
    }
}
