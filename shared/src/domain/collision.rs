//! Lead collisions (撞单): two leads of one dealer whose mobile numbers are
//! the same once normalised (E.164). Both leads hold the collision as a
//! record the server writes — the other lead, whose it is and since when,
//! never its contents — and how a manager resolved it. A merge leaves in
//! the survivor what it absorbed of the other lead's own fields (an
//! [`Absorbed`] record): the records and notes of the absorbed lead are
//! copied in whole, each in its author's name.
//!
//! Both kinds are the server's own: their author is [`UserId::SERVER`], a
//! user no session ever is, so a device that adds or changes one is
//! refused (`rules::authors_kept`) — a salesperson cannot forge a
//! collision or its outcome.

use autosurgeon::{Hydrate, Reconcile};

use super::id::id_type;
use super::record::{Field, Fields, Personal, record};
use super::text_enum::text_enum;
use super::{LeadId, Source, UserId};

id_type!(
    /// One collision: the same id in both leads' records.
    CollisionId
);

text_enum!(
    /// How a manager (or the dealer's rule) resolved a collision.
    Resolution, "resolution", {
        /// One lead absorbed the other.
        Merged = "merged",
        /// Two people sharing a phone: both leads stay, the pair is silent.
        KeptBoth = "kept_both",
        /// Both leads went to one salesperson; both stay.
        Assigned = "assigned",
    }
);

/// What was decided about a collision.
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct Outcome {
    pub how: Resolution,
    /// The lead that absorbed the other (a merge).
    pub survivor: Option<LeadId>,
    /// Who holds the lead(s) now (a merge or an assignment).
    pub owner: Option<UserId>,
    /// The manager who decided; [`UserId::SERVER`] when the dealer's rule
    /// ("first captured wins") did.
    pub by: UserId,
    pub at: i64,
}

/// A collision as one of its two leads holds it.
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct Collision {
    pub id: CollisionId,
    /// The other lead with the same mobile number.
    pub other: LeadId,
    /// Whose the other lead was when the collision was found (`None`: the
    /// pool).
    pub other_owner: Option<UserId>,
    /// When the other lead was captured.
    pub other_since: i64,
    /// When the server found the collision.
    pub found_at: i64,
    pub outcome: Option<Outcome>,
}

impl Collision {
    /// Still waiting for a manager.
    pub fn is_open(&self) -> bool {
        self.outcome.is_none()
    }

    /// The lead absorbed this one: it points to the survivor.
    pub fn absorbed_into(&self, me: LeadId) -> Option<LeadId> {
        let o = self.outcome.as_ref()?;
        (o.how == Resolution::Merged)
            .then_some(o.survivor)
            .flatten()
            .filter(|s| *s != me)
    }
}

/// What a survivor keeps of a lead it absorbed beyond its records and
/// notes (copied in whole): the other lead's own fields, so nothing of
/// either is lost (the customer's name as the other salesperson wrote it,
/// their WeChat, whose lead it was and since when).
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct Absorbed {
    /// The absorbed lead: a link to it opens the survivor.
    pub lead: LeadId,
    pub name: String,
    pub wechat: Option<String>,
    pub city: Option<String>,
    pub source: Source,
    pub models: Vec<String>,
    pub owner: Option<UserId>,
    pub created_by: UserId,
    pub created_at: i64,
    pub merged_by: UserId,
    pub merged_at: i64,
}

record!(Collision, "collision", "collision", |c| c.id.to_string(), authors: |_c| vec![("server", UserId::SERVER)]);
record!(Absorbed, "absorbed", "merged lead", |a| a.lead.to_string(), authors: |_a| vec![("server", UserId::SERVER)]);

impl Fields for Outcome {
    const FIELDS: &'static [Field] = &[
        Field::dealer("how"),
        Field::dealer("survivor"),
        Field::dealer("owner"),
        Field::dealer("by"),
        Field::dealer("at"),
    ];
}

impl Fields for Collision {
    const FIELDS: &'static [Field] = &[
        Field::dealer("id"),
        Field::dealer("other"),
        Field::dealer("other_owner"),
        Field::dealer("other_since"),
        Field::dealer("found_at"),
        Field::nested("outcome", Outcome::FIELDS),
    ];
}

impl Fields for Absorbed {
    const FIELDS: &'static [Field] = &[
        Field::dealer("lead"),
        Field::personal("name", Personal::Name),
        Field::personal("wechat", Personal::Contact),
        Field::personal("city", Personal::Place),
        Field::dealer("source"),
        Field::dealer("models"),
        Field::dealer("owner"),
        Field::dealer("created_by"),
        Field::dealer("created_at"),
        Field::dealer("merged_by"),
        Field::dealer("merged_at"),
    ];
}
