//! The walk-in rotation ("up" system): when a dealer turns it on, each
//! walk-in is offered to the next salesperson in line who is on the floor
//! today. Pure: the line follows from the floor's rows (`domain::floor`) —
//! who said they are on the floor (a register's `Up`) and the day's visits
//! — so every device works it out from what it last synced, offline too.
//! Two tablets that gave the next walk-in to the same person both keep it:
//! both visits count, and the line moves on past that person for both.

use super::UserId;
use super::floor::{FloorIndex, UpRow, VisitRow};
use super::showroom::VisitId;

/// One salesperson's place in the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub salesperson: UserId,
    /// On the floor since.
    pub since: i64,
    /// Walk-ins they took today.
    pub taken: u32,
    /// When they last took one.
    pub last_taken: Option<i64>,
    /// Passed by: leads of theirs wait past the first-contact target (a
    /// common dealer rule: no new customer before the old ones are called).
    pub skipped: bool,
}

/// Who is on the floor between `since` and `until`, next first: fewest
/// walk-ins taken today, then the longest since their last one (none
/// first), then the earliest on the floor; those passed by last.
pub fn line(ups: &[&UpRow], visits: &[&VisitRow], since: i64, until: i64) -> Vec<Place> {
    let mut places: Vec<Place> = Vec::new();
    // One place per salesperson: their first "on the floor" of the day,
    // with what their latest said about overdue leads.
    let mut latest: Vec<(UserId, i64, u32)> = Vec::new();
    for up in ups.iter().filter(|u| u.since >= since && u.since < until) {
        match places.iter_mut().find(|p| p.salesperson == up.salesperson) {
            Some(p) => p.since = p.since.min(up.since),
            None => places.push(Place {
                salesperson: up.salesperson,
                since: up.since,
                taken: 0,
                last_taken: None,
                skipped: false,
            }),
        }
        match latest.iter_mut().find(|(s, ..)| *s == up.salesperson) {
            Some(l) if l.1 < up.since => *l = (up.salesperson, up.since, up.overdue),
            Some(_) => {}
            None => latest.push((up.salesperson, up.since, up.overdue)),
        }
    }
    for p in &mut places {
        p.skipped = latest
            .iter()
            .any(|(s, _, overdue)| *s == p.salesperson && *overdue > 0);
        for v in visits
            .iter()
            .filter(|v| v.salesperson == p.salesperson && !v.mistaken)
            .filter(|v| v.arrived_at >= since && v.arrived_at < until)
        {
            p.taken += 1;
            p.last_taken = p.last_taken.max(Some(v.arrived_at));
        }
    }
    places.sort_by_key(|p| (p.skipped, p.taken, p.last_taken, p.since, p.salesperson));
    places
}

/// The line of one day (from `since` to `until`) from a device's floor,
/// as it stood before the walk-in `except` was logged (`None`: as it
/// stands): whom that walk-in is offered to.
pub fn line_of(floor: &FloorIndex, since: i64, until: i64, except: Option<VisitId>) -> Vec<Place> {
    let ups: Vec<&UpRow> = floor.ups().collect();
    let visits: Vec<&VisitRow> = floor.visits().filter(|v| Some(v.id) != except).collect();
    line(&ups, &visits, since, until)
}

/// The next salesperson in line, when anyone is on the floor and not passed by.
pub fn next_up(line: &[Place]) -> Option<UserId> {
    line.iter().find(|p| !p.skipped).map(|p| p.salesperson)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::showroom::{VisitId, VisitKind, VisitOutcome};
    use crate::domain::{DocId, RegisterId};
    use uuid::Uuid;

    fn user(n: u128) -> UserId {
        UserId::from_uuid(Uuid::from_u128(n))
    }

    fn up(n: u128, since: i64, overdue: u32) -> UpRow {
        UpRow {
            doc: DocId::register(RegisterId::from_uuid(Uuid::from_u128(100 + n))),
            salesperson: user(n),
            since,
            overdue,
        }
    }

    fn walk_in(id: u128, to: u128, at: i64) -> VisitRow {
        VisitRow {
            id: VisitId::from_uuid(Uuid::from_u128(id)),
            doc: DocId::register(RegisterId::from_uuid(Uuid::from_u128(999))),
            arrived_at: at,
            left_at: None,
            salesperson: user(to),
            party_size: 1,
            kind: VisitKind::First,
            outcome: VisitOutcome::Open,
            lead: None,
            customer: None,
            mistaken: false,
        }
    }

    #[test]
    fn walk_ins_go_round_and_two_tablets_giving_one_person_the_next_both_count() {
        let ups = [up(1, 10, 0), up(2, 20, 0), up(3, 30, 0)];
        let ups: Vec<&UpRow> = ups.iter().collect();
        let order = |visits: &[VisitRow]| {
            let v: Vec<&VisitRow> = visits.iter().collect();
            line(&ups, &v, 0, 1_000)
                .into_iter()
                .map(|p| p.salesperson)
                .collect::<Vec<_>>()
        };
        // Nobody has taken one: first on the floor first.
        assert_eq!(order(&[]), vec![user(1), user(2), user(3)]);
        // 1 took one: 2 is next, 1 goes to the back.
        let mut visits = vec![walk_in(1, 1, 100)];
        assert_eq!(order(&visits), vec![user(2), user(3), user(1)]);
        // Two tablets offline both gave the next walk-in to 2: both count,
        // and the line moves on past 2 for everyone.
        visits.push(walk_in(2, 2, 200));
        visits.push(walk_in(3, 2, 201));
        assert_eq!(order(&visits), vec![user(3), user(1), user(2)]);
        // A walk-in logged by mistake counts for nobody.
        let mut mistaken = walk_in(4, 3, 300);
        mistaken.mistaken = true;
        visits.push(mistaken);
        assert_eq!(order(&visits)[0], user(3));
    }

    #[test]
    fn anyone_with_overdue_first_contacts_is_passed_by_and_yesterday_does_not_count() {
        let ups = [up(1, 10, 2), up(2, 20, 0), up(3, -50, 0)];
        let ups: Vec<&UpRow> = ups.iter().collect();
        let places = line(&ups, &[], 0, 1_000);
        assert_eq!(
            places
                .iter()
                .map(|p| (p.salesperson, p.skipped))
                .collect::<Vec<_>>(),
            vec![(user(2), false), (user(1), true)],
            "3 was on the floor yesterday, 1 is passed by"
        );
        assert_eq!(next_up(&places), Some(user(2)));
        // 1 called their leads and said so again: back in line.
        let again = [up(1, 10, 2), up(1, 40, 0), up(2, 20, 0)];
        let again: Vec<&UpRow> = again.iter().collect();
        assert_eq!(next_up(&line(&again, &[], 0, 1_000)), Some(user(1)));
    }
}
