//! Who may see which document of a dealer: the one rule the server applies
//! to the live fan-out, to the pull after a cursor, and to every pushed
//! change; the device shows by the same rule what it holds.
//!
//! A salesperson's devices hold the leads they own, the open pool's leads
//! (no owner), the dealer's document (catalogue and settings) and their own
//! registers; a manager's and an admin's devices hold everything of the
//! dealer. The rule reads only what the server keeps about a document
//! without opening it ([`Access`]: its kind and its owner), so the server
//! evaluates it from a row, and an owner's change in a lead becomes a move
//! in the dealer's log (see `ARCHITECTURE.md`, "Visibility").

use crate::domain::{DocKind, Role, UserId};

/// Whom a device works for, as far as visibility goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reader {
    /// A manager or an admin: every document of the dealer.
    Dealer,
    /// A salesperson: their own documents and the pool.
    Seller(UserId),
}

impl Reader {
    pub fn of(role: Role, user: UserId) -> Reader {
        match role {
            Role::Salesperson => Reader::Seller(user),
            Role::Manager | Role::Admin => Reader::Dealer,
        }
    }

    /// Whether this reader sees every document whatever its owner.
    pub fn sees_everything(self) -> bool {
        self == Reader::Dealer
    }
}

/// What decides who sees a document: its kind and its owner (a lead's
/// salesperson, `None` for the open pool; a register's salesperson; none
/// for the dealer's document).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Access {
    pub kind: DocKind,
    pub owner: Option<UserId>,
}

impl Access {
    pub const fn new(kind: DocKind, owner: Option<UserId>) -> Access {
        Access { kind, owner }
    }
}

/// Whether `reader` may see (receive, hold, change) a document.
pub fn may_see(reader: Reader, access: Access) -> bool {
    // A lead a merge absorbed is fenced: the server's, nobody's to hold.
    if access.owner == Some(UserId::SERVER) {
        return false;
    }
    let Reader::Seller(me) = reader else {
        return true;
    };
    match access.kind {
        DocKind::Dealer => true,
        // An unowned lead is in the pool: every salesperson may take it.
        DocKind::Lead => access.owner.is_none_or(|owner| owner == me),
        // A register without a known owner is nobody's: managers only.
        DocKind::Register => access.owner == Some(me),
    }
}

/// What a move of a document does for one reader: whether the reader's
/// devices must receive the document whole, remove it, or nothing changes
/// for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shift {
    /// It was not visible and is now: send its whole history.
    Gained,
    /// It was visible and is not any more: the devices remove it.
    Lost,
    /// Visible before and after, or neither.
    Same,
}

/// How visibility changes for `reader` between `before` (`None`: the
/// document did not exist) and `after`.
pub fn shift(reader: Reader, before: Option<Access>, after: Option<Access>) -> Shift {
    let was = before.is_some_and(|a| may_see(reader, a));
    let is = after.is_some_and(|a| may_see(reader, a));
    match (was, is) {
        (false, true) => Shift::Gained,
        (true, false) => Shift::Lost,
        _ => Shift::Same,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn user(n: u128) -> UserId {
        UserId::from_uuid(Uuid::from_u128(n))
    }

    #[test]
    fn a_salesperson_sees_own_leads_the_pool_and_the_dealer_document_only() {
        let me = Reader::of(Role::Salesperson, user(1));
        assert!(may_see(me, Access::new(DocKind::Lead, Some(user(1)))));
        assert!(may_see(me, Access::new(DocKind::Lead, None)));
        assert!(!may_see(me, Access::new(DocKind::Lead, Some(user(2)))));
        assert!(may_see(me, Access::new(DocKind::Dealer, None)));
        assert!(may_see(me, Access::new(DocKind::Register, Some(user(1)))));
        assert!(!may_see(me, Access::new(DocKind::Register, Some(user(2)))));
        assert!(!may_see(me, Access::new(DocKind::Register, None)));
    }

    #[test]
    fn managers_and_admins_see_everything() {
        for role in [Role::Manager, Role::Admin] {
            let reader = Reader::of(role, user(9));
            for kind in DocKind::ALL {
                for owner in [None, Some(user(1)), Some(user(9))] {
                    assert!(may_see(reader, Access::new(kind, owner)));
                }
            }
        }
    }

    #[test]
    fn a_move_is_a_gain_for_the_new_owner_and_a_loss_for_the_old() {
        let from = Some(Access::new(DocKind::Lead, Some(user(1))));
        let to = Some(Access::new(DocKind::Lead, Some(user(2))));
        let pool = Some(Access::new(DocKind::Lead, None));
        let (one, two, three) = (
            Reader::Seller(user(1)),
            Reader::Seller(user(2)),
            Reader::Seller(user(3)),
        );
        assert_eq!(shift(one, from, to), Shift::Lost);
        assert_eq!(shift(two, from, to), Shift::Gained);
        assert_eq!(shift(three, from, to), Shift::Same);
        assert_eq!(shift(Reader::Dealer, from, to), Shift::Same);
        // To the pool: everyone gains it but its old owner, who keeps it.
        assert_eq!(shift(one, from, pool), Shift::Same);
        assert_eq!(shift(three, from, pool), Shift::Gained);
        // A new lead is gained by whoever may see it.
        assert_eq!(shift(one, None, from), Shift::Gained);
        assert_eq!(shift(two, None, from), Shift::Same);
    }
}
