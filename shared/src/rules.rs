//! Who may write what: each document kind's write rules over the document
//! before and after a change, checked by the server for every change it
//! ingests (`sync::ingest`) with the author of the session that sent it.
//! The device checks the same rules before it writes, so a refusal means a
//! forged or stale change, not a normal edit.

use crate::doc::Content;
use crate::domain::quote::{Approval, ApprovalPolicy, QuoteVersion};
use crate::domain::record::{EachKind, Holds, Record};
use crate::domain::{DocKind, Role, UserId};

/// The user of the session a change came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Author {
    pub user: UserId,
    pub role: Role,
}

/// What a dealer's settings add to the rules: its discount limits (quotes)
/// and the follow-up attempts a lost request needs. The server keeps each
/// dealer's, read from its document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    pub approvals: ApprovalPolicy,
    pub min_attempts_before_lost: u32,
    /// The pool's, rotation's and collisions' rules the server acts on.
    pub pool: crate::domain::catalogue::PoolRules,
    /// The first-contact targets (a pool lead nobody claimed in time).
    pub follow_up: crate::domain::catalogue::FollowUpRules,
}

/// The policy of a dealer's catalogue and settings.
pub fn policy(dealer: &crate::domain::catalogue::Dealer) -> Policy {
    Policy {
        approvals: dealer.approval_policy(),
        min_attempts_before_lost: dealer.settings.follow_up.min_attempts_before_lost,
        pool: dealer.settings.pool.clone(),
        follow_up: dealer.settings.follow_up.clone(),
    }
}

/// A broken rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Breach {
    /// Only these roles may change this kind of document.
    Role { what: &'static str },
    /// A record names another user as its author.
    NotAuthor { what: &'static str },
    /// A presented quote version's terms changed, or its status went back.
    Frozen,
    /// A quote version over its discount limit was presented without a
    /// manager's approval of its exact terms.
    NotApproved,
    /// Something recorded (a consent or its withdrawal) was changed.
    Recorded { what: &'static str },
    /// The lead was put in the lost stage without a manager's approval of
    /// an open lost request.
    LostNotApproved,
    /// A lost request before the follow-up attempts the dealer requires.
    TooFewAttempts { needed: u32 },
    /// The dealer's profile (printed on records) is not what it may hold:
    /// a logo that is not a small PNG, JPEG or WebP, or a text too long.
    BadProfile { why: String },
    /// A lead's owner changed in a way only a manager may change it: a
    /// salesperson may take a lead from the pool for themselves or give
    /// their own back to the pool, and create leads for themselves or the
    /// pool; nothing else.
    Owner,
    /// The dealer's time zone was set to a name that is not an IANA
    /// time-zone name (`domain::time_zone`): every device would fall back
    /// to China time.
    UnknownTimeZone { name: String },
}

impl Breach {
    /// The refusal code the server answers with (and the device shows).
    pub fn code(&self) -> crate::sync::SyncErrorCode {
        use crate::sync::SyncErrorCode;
        match self {
            Breach::Role { .. } | Breach::Owner => SyncErrorCode::Forbidden,
            Breach::NotAuthor { .. } => SyncErrorCode::NotAuthor,
            Breach::Frozen | Breach::Recorded { .. } => SyncErrorCode::Frozen,
            Breach::NotApproved => SyncErrorCode::NotApproved,
            Breach::LostNotApproved => SyncErrorCode::NotDecided,
            Breach::TooFewAttempts { .. }
            | Breach::BadProfile { .. }
            | Breach::UnknownTimeZone { .. } => SyncErrorCode::Invalid,
        }
    }
}

impl std::fmt::Display for Breach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Breach::Role { what } => write!(f, "Only a manager or an admin may change the {what}."),
            Breach::Owner => f.write_str(
                "Only a manager or an admin may give a lead to someone else; a salesperson may take one from the pool or give their own back to it.",
            ),
            Breach::NotAuthor { what } => {
                write!(
                    f,
                    "A {what} in the change names another user as its author."
                )
            }
            Breach::Frozen => f.write_str(
                "A quote shown to the customer cannot change; edit it as a new version.",
            ),
            Breach::NotApproved => f.write_str(
                "This quote's discount needs a manager's approval of these exact terms before it is shown.",
            ),
            Breach::Recorded { what } => write!(f, "A {what} already recorded cannot change."),
            Breach::LostNotApproved => {
                f.write_str("A lead is lost only when a manager approves a lost request.")
            }
            Breach::BadProfile { why } => write!(f, "The dealer profile is refused: {why}."),
            Breach::UnknownTimeZone { name } => {
                // A forged name can be long: the message names its start.
                let shown: String = name.chars().take(64).collect();
                write!(
                    f,
                    "The time zone {shown:?} is not an IANA time-zone name such as Asia/Shanghai."
                )
            }
            Breach::TooFewAttempts { needed } => {
                write!(f, "A lost request needs {needed} follow-up attempts first.")
            }
        }
    }
}

/// Whether the role may change the dealer's catalogue and settings.
pub fn may_edit_catalogue(role: Role) -> bool {
    matches!(role, Role::Manager | Role::Admin)
}

/// The rule that needs no content: whether the author may change a document
/// of this kind at all (the dealer's: only a manager or an admin). `ingest`
/// checks it before a change is applied, so it also holds for a document
/// that does not read (one written under a newer schema, which `check`
/// cannot see into).
pub fn may_change(kind: DocKind, author: &Author) -> Result<(), Breach> {
    match kind {
        DocKind::Dealer if !may_edit_catalogue(author.role) => Err(Breach::Role {
            what: "catalogue and settings",
        }),
        DocKind::Dealer | DocKind::Lead | DocKind::Register => Ok(()),
    }
}

/// Whether `after` needs the document before the change to be judged: only
/// when it carries records authored by someone other than `author` (they
/// must have been there before). A cheap test, so that the server reads the
/// earlier document only then.
pub fn needs_before(after: &Content, author: &Author) -> bool {
    let me = author.user;
    match after {
        Content::Lead(l) => {
            // Quotes (frozen once presented), consents (never changed) and
            // the lost stage are judged against the document before.
            !l.quotes.is_empty()
                || !l.consents.is_empty()
                || l.stage == crate::domain::Stage::Lost
                || l.created_by != me
                || l.updated_by != me
                || l.notes.iter().any(|n| n.author != me)
                || by_others(l.as_ref(), me)
        }
        Content::Register(r) => by_others(r.as_ref(), me),
        // An unknown time zone may be one the document already held.
        Content::Dealer(d) => {
            by_others(d.as_ref(), me) || !crate::domain::time_zone::is_known(&d.settings.time_zone)
        }
    }
}

/// What every device prints must be safe to print: a logo `data:` URL of a
/// raster image within its size, texts within their length.
fn check_profile(p: &crate::domain::catalogue::DealerProfile) -> Result<(), Breach> {
    use crate::domain::catalogue::DealerProfile;
    if !p.logo.is_empty() {
        DealerProfile::check_logo(&p.logo)
            .map_err(|e| Breach::BadProfile { why: e.to_string() })?;
    }
    for (what, text) in [
        ("name", &p.name),
        ("address", &p.address),
        ("phone", &p.phone),
    ] {
        if text.chars().count() > DealerProfile::TEXT_CHARS {
            return Err(Breach::BadProfile {
                why: format!(
                    "the {what} is longer than {} characters",
                    DealerProfile::TEXT_CHARS
                ),
            });
        }
    }
    Ok(())
}

/// The dealer's time zone is an IANA name (`domain::time_zone`), or the one
/// the document held before: a name stored before the server checked them
/// stays until someone changes it, rather than refusing every other edit
/// of the catalogue (the settings screen asks for a correction).
fn check_time_zone(
    before: Option<&crate::domain::catalogue::Dealer>,
    after: &crate::domain::catalogue::Dealer,
) -> Result<(), Breach> {
    let zone = &after.settings.time_zone;
    if crate::domain::time_zone::is_known(zone)
        || before.is_some_and(|b| b.settings.time_zone == *zone)
    {
        Ok(())
    } else {
        Err(Breach::UnknownTimeZone { name: zone.clone() })
    }
}

/// Whether a record of any kind names another user than `me` in an author
/// field.
fn by_others<H: Holds>(holder: &H, me: UserId) -> bool {
    struct ByOthers(UserId);
    impl EachKind for ByOthers {
        type Error = ();
        fn kind<R: Record>(&mut self, _: &[R], after: &[R]) -> Result<(), ()> {
            match after
                .iter()
                .flat_map(Record::authors)
                .any(|(_, u)| u != self.0)
            {
                true => Err(()),
                false => Ok(()),
            }
        }
    }
    H::each_kind(None, holder, &mut ByOthers(me)).is_err()
}

/// The rules. `before` is the document before the change (`None` when it
/// is new), needed only when [`needs_before`] says so.
pub fn check(
    before: Option<&Content>,
    after: &Content,
    author: &Author,
    policy: &Policy,
) -> Result<(), Breach> {
    match after {
        Content::Dealer(d) => {
            may_change(DocKind::Dealer, author)?;
            check_profile(&d.settings.profile)?;
            let before = before.and_then(Content::as_dealer);
            check_time_zone(before, d)?;
            authors_kept(before, d.as_ref(), author)?;
        }
        Content::Lead(l) => {
            let before = before.and_then(Content::as_lead);
            // Who created the lead never changes; who edited it last is the
            // session's user, or stays as it was (a concurrent edit of
            // another user that wins the merge).
            match before {
                None if l.created_by != author.user => {
                    return Err(Breach::NotAuthor { what: "lead" });
                }
                Some(b) if b.created_by != l.created_by => {
                    return Err(Breach::NotAuthor { what: "lead" });
                }
                Some(b) if b.updated_by != l.updated_by && l.updated_by != author.user => {
                    return Err(Breach::NotAuthor { what: "lead" });
                }
                _ => {}
            }
            owner_move(before.map(|b| b.owner), l.owner, author)?;
            // Notes have no id: one is new when the document before had no
            // note equal to it.
            let old_notes = before.map(|b| b.notes.as_slice()).unwrap_or_default();
            if l.notes
                .iter()
                .any(|n| n.author != author.user && !old_notes.contains(n))
            {
                return Err(Breach::NotAuthor { what: "note" });
            }
            // A decision is a manager's: whoever adds or changes one.
            let old_approvals = before.map(|b| b.approvals.as_slice()).unwrap_or_default();
            if !may_decide(author.role) && l.approvals.iter().any(|a| !old_approvals.contains(a)) {
                return Err(Breach::Role {
                    what: "approvals of quotes",
                });
            }
            let old_decisions = before
                .map(|b| b.lost_decisions.as_slice())
                .unwrap_or_default();
            if !may_decide(author.role)
                && l.lost_decisions.iter().any(|d| !old_decisions.contains(d))
            {
                return Err(Breach::Role {
                    what: "decisions on lost requests",
                });
            }
            // Every record of every kind in its authors' names.
            authors_kept(before, l.as_ref(), author)?;
            let old_quotes = before.map(|b| b.quotes.as_slice()).unwrap_or_default();
            quotes(old_quotes, &l.quotes, &l.approvals, &policy.approvals)?;
            follow_up(before, l, policy)?;
        }
        Content::Register(r) => {
            let before = match before {
                Some(Content::Register(b)) => Some(b.as_ref()),
                _ => None,
            };
            authors_kept(before, r.as_ref(), author)?;
        }
    }
    Ok(())
}

/// Who may set a lead's owner from `before` (`None`: the lead is new) to
/// `after`: a manager or an admin anything; a salesperson only themselves
/// or the pool (`None`), and only from themselves or the pool — taking a
/// pool lead, giving one back, creating one.
pub fn owner_move(
    before: Option<Option<UserId>>,
    after: Option<UserId>,
    author: &Author,
) -> Result<(), Breach> {
    if may_decide(author.role) || before == Some(after) {
        return Ok(());
    }
    let mine_or_pool = |o: Option<UserId>| o.is_none_or(|u| u == author.user);
    let was = before.is_none_or(mine_or_pool);
    if was && mine_or_pool(after) {
        Ok(())
    } else {
        Err(Breach::Owner)
    }
}

/// Who owns a lead whose owner is in conflict after `author`'s changes
/// (`values`: every owner concurrent changes set; `stored`: the owner the
/// server held before them). A manager's or an admin's assignment stands
/// (the value that is not the stored one); against a salesperson's claim
/// the stored owner stands: the first claim to reach the server wins.
pub fn settle_owner(
    stored: Option<UserId>,
    values: &[Option<UserId>],
    author: &Author,
) -> Option<UserId> {
    if may_decide(author.role)
        && let Some(assigned) = values.iter().find(|v| **v != stored)
    {
        return *assigned;
    }
    stored
}

/// Follow-up records (their authors and who decides are checked before):
/// a lost request needs the dealer's attempts first; a recorded consent
/// never changes (a withdrawal is a new record); the lead enters the lost
/// stage only with an approved decision on an open request.
fn follow_up(
    before: Option<&crate::domain::Lead>,
    l: &crate::domain::Lead,
    policy: &Policy,
) -> Result<(), Breach> {
    let old_requests = before
        .map(|b| b.lost_requests.as_slice())
        .unwrap_or_default();
    let needed = policy.min_attempts_before_lost;
    if l.lost_requests
        .iter()
        .any(|r| !old_requests.iter().any(|o| o.id == r.id))
        && crate::domain::followup::attempts(&l.tasks) < needed as usize
    {
        return Err(Breach::TooFewAttempts { needed });
    }
    let old_consents = before.map(|b| b.consents.as_slice()).unwrap_or_default();
    if old_consents
        .iter()
        .any(|c| l.consents.iter().any(|n| n.id == c.id && n != c))
    {
        return Err(Breach::Recorded { what: "consent" });
    }
    let was_lost = before.is_some_and(|b| b.stage == crate::domain::Stage::Lost);
    if l.stage == crate::domain::Stage::Lost
        && !was_lost
        && !crate::domain::followup::lost_is_approved(&l.lost_requests, &l.lost_decisions)
    {
        return Err(Breach::LostNotApproved);
    }
    Ok(())
}

/// Whether the role decides on discounts and lost requests.
pub fn may_decide(role: Role) -> bool {
    matches!(role, Role::Manager | Role::Admin)
}

/// A presented version keeps its terms and only moves on (to accepted or
/// declined); a version becoming presented in this change needs, when its
/// discount is over the limit, a manager's approval of its exact terms in
/// the document.
fn quotes(
    before: &[QuoteVersion],
    after: &[QuoteVersion],
    approvals: &[Approval],
    policy: &ApprovalPolicy,
) -> Result<(), Breach> {
    for v in after {
        let old = before.iter().find(|b| b.id == v.id);
        if let Some(old) = old
            && old.status.is_frozen()
            && (!old.status.may_become(v.status) || old.digest() != v.digest())
        {
            return Err(Breach::Frozen);
        }
        let presented_now = v.status.is_frozen() && !old.is_some_and(|o| o.status.is_frozen());
        // What the customer was shown is what is kept: a presentation names
        // the digest of its terms, and a frozen version's terms match it.
        if v.status.is_frozen()
            && (presented_now || v.presented_digest.is_some())
            && v.presented_digest.as_deref() != Some(v.digest().as_str())
        {
            return Err(Breach::Frozen);
        }
        if presented_now
            && policy.needs_approval(v)
            && !v.decision(approvals).is_some_and(|a| a.approved)
        {
            return Err(Breach::NotApproved);
        }
    }
    Ok(())
}

/// Every author field of every record, of every kind the holder declares,
/// names the session's user, or the name the same field of the same record
/// held before the change; a record the server wrote (its author is
/// `UserId::SERVER`) is not changed at all. Field by field: a user named by one field of a
/// record (the drive's creator) may not be written into another (the
/// return's `recorded_by`) by someone else. A new record kind is checked by
/// being declared: there is no list here to forget it in.
fn authors_kept<H: Holds>(before: Option<&H>, after: &H, author: &Author) -> Result<(), Breach> {
    struct Kept<'a>(&'a Author);
    impl EachKind for Kept<'_> {
        type Error = Breach;
        fn kind<R: Record>(&mut self, before: &[R], after: &[R]) -> Result<(), Breach> {
            for record in after {
                let key = record.record_key();
                let was = before.iter().find(|b| b.record_key() == key);
                // What only the server writes (a collision, a merge) no
                // session changes, whatever it keeps.
                if was != Some(record) && record.authors().iter().any(|(_, u)| *u == UserId::SERVER)
                {
                    return Err(Breach::NotAuthor { what: R::WHAT });
                }
                let old: Vec<(&'static str, UserId)> = was.map(Record::authors).unwrap_or_default();
                if record
                    .authors()
                    .iter()
                    .any(|field| field.1 != self.0.user && !old.contains(field))
                {
                    return Err(Breach::NotAuthor { what: R::WHAT });
                }
            }
            Ok(())
        }
    }
    H::each_kind(before, after, &mut Kept(author))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_cannot_write_what_only_the_server_writes() {
        use crate::domain::collision::{Collision, CollisionId, Outcome, Resolution};
        use crate::domain::{DealerId, Lead, LeadId, UserId};
        let id = |n| uuid::Uuid::from_u128(n);
        let seller = UserId::from_uuid(id(1));
        let before = Lead::new(
            LeadId::from_uuid(id(2)),
            DealerId::from_uuid(id(3)),
            seller,
            1,
        );
        let collision = Collision {
            id: CollisionId::from_uuid(id(4)),
            other: LeadId::from_uuid(id(5)),
            other_owner: None,
            other_since: 1,
            found_at: 2,
            outcome: None,
        };
        let mut forged = before.clone();
        forged.collisions.push(collision.clone());
        let judge = |before: &Lead, after: &Lead, role| {
            check(
                Some(&Content::Lead(Box::new(before.clone()))),
                &Content::Lead(Box::new(after.clone())),
                &Author { user: seller, role },
                &Policy::default(),
            )
        };
        // Neither a salesperson nor a manager adds a collision…
        for role in [Role::Salesperson, Role::Manager] {
            assert!(matches!(
                judge(&before, &forged, role),
                Err(Breach::NotAuthor { .. })
            ));
        }
        // …or decides one in the document (a decision goes through the server).
        let mut decided = forged.clone();
        decided.collisions[0].outcome = Some(Outcome {
            how: Resolution::KeptBoth,
            survivor: None,
            owner: None,
            by: seller,
            at: 3,
        });
        assert!(matches!(
            judge(&forged, &decided, Role::Manager),
            Err(Breach::NotAuthor { .. })
        ));
        // What the server wrote stays when a device edits the lead.
        let mut edited = forged.clone();
        edited.grade = crate::domain::Grade::A;
        assert_eq!(judge(&forged, &edited, Role::Salesperson), Ok(()));
    }

    #[test]
    fn the_dealer_profile_holds_only_a_small_raster_logo() {
        use crate::domain::catalogue::{Dealer, DealerProfile};
        let manager = Author {
            user: crate::domain::UserId::from_uuid(uuid::Uuid::from_u128(1)),
            role: Role::Manager,
        };
        let with = |profile: DealerProfile| {
            let mut d = Dealer::default();
            d.settings.profile = profile;
            check(
                None,
                &Content::Dealer(Box::new(d)),
                &manager,
                &Policy::default(),
            )
        };
        let png = format!("data:image/png;base64,{}", "iVBORw0KGgo=");
        assert_eq!(
            with(DealerProfile {
                logo: png,
                ..DealerProfile::default()
            }),
            Ok(())
        );
        let svg = "data:image/svg+xml;base64,PHN2Zz4=".to_owned();
        assert!(matches!(
            with(DealerProfile {
                logo: svg,
                ..DealerProfile::default()
            }),
            Err(Breach::BadProfile { .. })
        ));
        let big = format!("data:image/jpeg;base64,{}", "A".repeat(200 * 1024));
        assert!(matches!(
            with(DealerProfile {
                logo: big,
                ..DealerProfile::default()
            }),
            Err(Breach::BadProfile { .. })
        ));
        let long = DealerProfile {
            address: "路".repeat(201),
            ..DealerProfile::default()
        };
        assert!(matches!(with(long), Err(Breach::BadProfile { .. })));
    }

    #[test]
    fn the_dealers_time_zone_is_an_iana_name() {
        use crate::domain::catalogue::Dealer;
        let manager = Author {
            user: crate::domain::UserId::from_uuid(uuid::Uuid::from_u128(1)),
            role: Role::Manager,
        };
        let dealer = |zone: &str| {
            let mut d = Dealer::default();
            d.settings.time_zone = zone.to_owned();
            Content::Dealer(Box::new(d))
        };
        let judge = |before: Option<&Content>, zone: &str| {
            check(before, &dealer(zone), &manager, &Policy::default())
        };
        for good in ["Asia/Shanghai", "Asia/Urumqi", "UTC", "America/New_York"] {
            assert_eq!(judge(None, good), Ok(()), "{good}");
        }
        for typo in [
            "Asia/Shangai",
            "Asia/Shang hai",
            "Shanghai",
            "asia/shanghai",
            "",
        ] {
            let refused = judge(Some(&dealer("Asia/Shanghai")), typo);
            assert_eq!(
                refused,
                Err(Breach::UnknownTimeZone {
                    name: typo.to_owned()
                }),
                "{typo:?}"
            );
            assert_eq!(
                refused.map_err(|b| b.code()),
                Err(crate::sync::SyncErrorCode::Invalid)
            );
            assert!(judge(None, typo).is_err(), "{typo:?} in a new document");
        }
        // The server reads the document before such a change…
        assert!(needs_before(&dealer("Asia/Shangai"), &manager));
        assert!(!needs_before(&dealer("Asia/Shanghai"), &manager));
        // …so a name stored before names were checked does not block the
        // rest of the catalogue; correcting it is accepted.
        let stored = dealer("Asia/Shangai");
        assert_eq!(judge(Some(&stored), "Asia/Shangai"), Ok(()));
        assert_eq!(judge(Some(&stored), "Asia/Shanghai"), Ok(()));
        assert!(judge(Some(&stored), "Asia/Shangha").is_err());
        // The message names the zone, shortened when it is long.
        let long = Breach::UnknownTimeZone {
            name: "x".repeat(10_000),
        }
        .to_string();
        assert!(long.len() < 200, "{long}");
        assert!(
            Breach::UnknownTimeZone {
                name: "Asia/Shangai".into()
            }
            .to_string()
            .contains("\"Asia/Shangai\"")
        );
    }

    use crate::domain::quote::tests::worked_example;
    use crate::domain::quote::{LineKind, QuoteStatus};
    use crate::domain::{Customer, DealerId, Grade, Lead, LeadId, Money, Source, Stage};
    use proptest::prelude::*;
    use uuid::Uuid;

    fn lead_with(v: QuoteVersion) -> Content {
        let by = v.created_by;
        Content::Lead(Box::new(Lead {
            id: LeadId::from_uuid(Uuid::from_u128(1)),
            dealer: DealerId::from_uuid(Uuid::from_u128(2)),
            customer: Customer::default(),
            source: Source::WalkIn,
            models: vec![],
            grade: Grade::A,
            stage: Stage::Quoted,
            owner: Some(by),
            next_follow_up: None,
            notes: vec![],
            quotes: vec![v],
            created_by: by,
            created_at: 0,
            updated_by: by,
            updated_at: 0,
            ..Lead::new(
                LeadId::from_uuid(Uuid::from_u128(1)),
                DealerId::from_uuid(Uuid::from_u128(2)),
                by,
                0,
            )
        }))
    }

    proptest! {
        /// Whatever edit a device makes to a presented version's terms, the
        /// rules refuse it; moving it on to accepted or declined with the
        /// same terms passes.
        #[test]
        fn a_frozen_version_never_changes(
            field in 0u8..7,
            amount in 1i64..1_000_000_000,
            to in prop::sample::select(QuoteStatus::ALL.to_vec()),
        ) {
            let mut presented = worked_example();
            presented.present(0);
            let author = Author { user: presented.created_by, role: Role::Salesperson };
            let before = lead_with(presented.clone());
            let mut edited = presented.clone();
            match field {
                0 => edited.discount = Money(edited.discount.0 + amount),
                1 => edited.vehicle.list_price = Money(amount),
                2 => edited.lines[0].amount = Money(edited.lines[0].amount.0 + amount),
                3 => edited.lines.push(crate::domain::quote::Line { kind: LineKind::Accessory, item: None, name: "x".into(), amount: Money(amount) }),
                4 => edited.deposit = Money(amount),
                5 => edited.finance = None,
                _ => edited.taxes.purchase_due = Money(edited.taxes.purchase_due.0 + amount),
            }
            edited.status = to;
            let policy = Policy::default();
            prop_assert_eq!(check(Some(&before), &lead_with(edited), &author, &policy), Err(Breach::Frozen));
            let mut moved = presented.clone();
            moved.status = to;
            let ok = matches!(to, QuoteStatus::Presented | QuoteStatus::Accepted | QuoteStatus::Declined);
            prop_assert_eq!(check(Some(&before), &lead_with(moved), &author, &policy).is_ok(), ok);
        }
    }

    fn lead_of(f: impl FnOnce(&mut crate::domain::Lead)) -> Content {
        let mut c = lead_with(worked_example());
        if let Content::Lead(l) = &mut c {
            l.quotes.clear();
            l.stage = Stage::Visited;
            f(l);
        }
        c
    }

    proptest! {
        /// Whoever writes a decision on a lost request, in whatever state:
        /// it lands only from a manager's or an admin's session in their own
        /// name; the lead enters the lost stage only with an approved open
        /// request; a recorded consent never changes.
        #[test]
        fn only_a_manager_decides_and_a_lead_is_lost_only_when_approved(
            role in prop::sample::select(vec![Role::Salesperson, Role::Manager, Role::Admin]),
            approved in any::<bool>(),
            own_name in any::<bool>(),
            lose in any::<bool>(),
            reopened in any::<bool>(),
        ) {
            use crate::domain::followup::*;
            let seller = crate::domain::UserId::from_uuid(Uuid::from_u128(10));
            let me = crate::domain::UserId::from_uuid(Uuid::from_u128(20));
            let author = Author { user: me, role };
            let request = LostRequest {
                id: LostRequestId::from_uuid(Uuid::from_u128(1)),
                reason: "price".into(),
                competitor: String::new(),
                note: String::new(),
                requested_by: seller,
                requested_at: 1,
                reopened_at: reopened.then_some(3),
            };
            let before = lead_of(|l| l.lost_requests = vec![request.clone()]);
            let decision = LostDecision {
                id: LostDecisionId::from_uuid(Uuid::from_u128(2)),
                request: request.id,
                approved,
                comment: String::new(),
                decided_by: if own_name { me } else { seller },
                decided_at: 2,
            };
            let after = lead_of(|l| {
                l.lost_requests = vec![request.clone()];
                l.lost_decisions = vec![decision.clone()];
                if lose {
                    l.stage = Stage::Lost;
                }
            });
            let verdict = check(Some(&before), &after, &author, &Policy::default());
            let expected = if !may_decide(role) {
                Err(Breach::Role { what: "decisions on lost requests" })
            } else if !own_name {
                Err(Breach::NotAuthor { what: "lost decision" })
            } else if lose && (reopened || !approved) {
                Err(Breach::LostNotApproved)
            } else {
                Ok(())
            };
            prop_assert_eq!(verdict, expected);
            // Nobody makes a lead lost without a decision.
            let lost = lead_of(|l| {
                l.lost_requests = vec![request.clone()];
                l.stage = Stage::Lost;
            });
            prop_assert_eq!(
                check(Some(&before), &lost, &author, &Policy::default()),
                Err(Breach::LostNotApproved)
            );
        }
    }

    #[test]
    fn a_lost_request_waits_for_the_dealers_follow_up_attempts() {
        use crate::domain::followup::*;
        let me = crate::domain::UserId::from_uuid(Uuid::from_u128(10));
        let author = Author {
            user: me,
            role: Role::Salesperson,
        };
        let request = LostRequest {
            id: LostRequestId::from_uuid(Uuid::from_u128(1)),
            reason: "unreachable".into(),
            competitor: String::new(),
            note: String::new(),
            requested_by: me,
            requested_at: 9,
            reopened_at: None,
        };
        let attempt = |n: u128| Task {
            id: TaskId::from_uuid(Uuid::from_u128(100 + n)),
            kind: TaskKind::Call,
            due: 1,
            assignee: me,
            note: String::new(),
            car: None,
            completion: Some(Completion {
                outcome: Outcome::NoAnswer,
                said: String::new(),
                at: 2,
                by: me,
            }),
            cancelled: false,
            created_by: me,
            created_at: 1,
        };
        let three = Policy {
            min_attempts_before_lost: 3,
            ..Policy::default()
        };
        let before = lead_of(|l| l.tasks = vec![attempt(1), attempt(2)]);
        let after = lead_of(|l| {
            l.tasks = vec![attempt(1), attempt(2)];
            l.lost_requests = vec![request.clone()];
        });
        assert_eq!(
            check(Some(&before), &after, &author, &three),
            Err(Breach::TooFewAttempts { needed: 3 })
        );
        assert_eq!(
            check(Some(&before), &after, &author, &Policy::default()),
            Ok(()),
            "none by default"
        );
        let after = lead_of(|l| {
            l.tasks = vec![attempt(1), attempt(2), attempt(3)];
            l.lost_requests = vec![request.clone()];
        });
        assert_eq!(check(Some(&before), &after, &author, &three), Ok(()));
    }

    #[test]
    fn a_recorded_consent_never_changes() {
        use crate::domain::followup::*;
        let me = crate::domain::UserId::from_uuid(Uuid::from_u128(10));
        let author = Author {
            user: me,
            role: Role::Salesperson,
        };
        let withdrawn = record_consent(
            &[],
            ConsentId::from_uuid(Uuid::from_u128(1)),
            Purpose::Marketing,
            false,
            ConsentMethod::Verbal,
            1,
            me,
            5,
        );
        let before = lead_of(|l| l.consents = vec![withdrawn.clone()]);
        let mut granted = withdrawn.clone();
        granted.given = true;
        let after = lead_of(|l| l.consents = vec![granted]);
        let policy = Policy::default();
        assert_eq!(
            check(Some(&before), &after, &author, &policy),
            Err(Breach::Recorded { what: "consent" })
        );
        // A new grant that saw the withdrawal is how consent comes back.
        let again = record_consent(
            std::slice::from_ref(&withdrawn),
            ConsentId::from_uuid(Uuid::from_u128(2)),
            Purpose::Marketing,
            true,
            ConsentMethod::Signed,
            1,
            me,
            6,
        );
        let after = lead_of(|l| l.consents = vec![withdrawn.clone(), again.clone()]);
        assert_eq!(check(Some(&before), &after, &author, &policy), Ok(()));
    }

    #[test]
    fn approvals_are_a_managers_and_present_only_what_they_approved() {
        let mut v = worked_example();
        v.discount = Money::yuan(10_000);
        v.status = QuoteStatus::Requested;
        let sales = Author {
            user: v.created_by,
            role: Role::Salesperson,
        };
        let manager = Author {
            user: crate::domain::UserId::from_uuid(Uuid::from_u128(99)),
            role: Role::Manager,
        };
        let policy = Policy::default();
        let before = lead_with(v.clone());
        let decision = |by: &Author| Approval {
            id: crate::domain::quote::ApprovalId::from_uuid(Uuid::from_u128(5)),
            version: v.id,
            digest: v.digest(),
            approved: true,
            comment: String::new(),
            decided_by: by.user,
            decided_at: 1,
        };
        let with = |a: Approval, status| {
            let mut c = lead_with(v.clone());
            if let Content::Lead(l) = &mut c {
                l.approvals = vec![a];
                if status == QuoteStatus::Presented {
                    l.quotes[0].present(2);
                } else {
                    l.quotes[0].status = status;
                }
            }
            c
        };
        assert_eq!(
            check(
                Some(&before),
                &with(decision(&sales), QuoteStatus::Requested),
                &sales,
                &policy
            ),
            Err(Breach::Role {
                what: "approvals of quotes"
            })
        );
        assert_eq!(
            check(
                Some(&before),
                &with(decision(&sales), QuoteStatus::Requested),
                &manager,
                &policy
            ),
            Err(Breach::NotAuthor { what: "approval" }),
            "a manager writes their own name"
        );
        let approved = with(decision(&manager), QuoteStatus::Requested);
        assert_eq!(check(Some(&before), &approved, &manager, &policy), Ok(()));
        let mut presented = lead_with(v.clone());
        if let Content::Lead(l) = &mut presented {
            l.quotes[0].present(2);
        }
        assert_eq!(
            check(Some(&before), &presented, &sales, &policy),
            Err(Breach::NotApproved)
        );
        assert_eq!(
            check(
                Some(&approved),
                &with(decision(&manager), QuoteStatus::Presented),
                &sales,
                &policy
            ),
            Ok(())
        );
        assert!(
            needs_before(&presented, &sales),
            "quotes are judged against the document before"
        );
    }
}
