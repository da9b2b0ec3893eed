//! The showroom floor across documents, pure: who is in the showroom now
//! (open visits of every register and lead), and each demo car's bookings
//! and drives (test drives of every lead). One row per visit and per test
//! drive: a device derives them from the documents it holds (with the
//! customer's name) and keeps them in its `records` store; the server
//! derives them from every document it stores, keeps them without the
//! customer (`floor_rows`) and sends a salesperson the rows of the
//! documents they may not see ([`FloorRow::anonymous`]), so the whole
//! showroom's floor reaches every device without a colleague's customer.
//! [`FloorIndex`] holds them in memory.

use std::collections::HashMap;

use super::catalogue::CarId;
use super::showroom::{
    DriveId, DriveStatus, Register, TestDrive, Visit, VisitId, VisitKind, VisitOutcome,
};
use super::{DocId, DocKind, Lead, LeadId, UserId};
use serde::{Deserialize, Serialize};

/// One visit, wherever it lives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitRow {
    pub id: VisitId,
    /// The document holding it (a register, or the lead once linked).
    pub doc: DocId,
    pub arrived_at: i64,
    pub left_at: Option<i64>,
    pub salesperson: UserId,
    pub party_size: u32,
    pub kind: VisitKind,
    pub outcome: VisitOutcome,
    pub lead: Option<LeadId>,
    /// The lead's customer, for a linked visit.
    pub customer: Option<String>,
    /// A stray "Walk-in" tap: counted nowhere (`Visit::counts`).
    #[serde(default)]
    pub mistaken: bool,
}

/// One test drive of one lead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriveRow {
    pub id: DriveId,
    pub lead: LeadId,
    /// The lead's customer; `None` in a row of a lead the reader may not
    /// see (shown as the salesperson's customer).
    pub customer: Option<String>,
    pub car: CarId,
    pub start: i64,
    pub end: i64,
    pub status: DriveStatus,
    pub out_at: Option<i64>,
    /// The odometer when the car left (rows written before it: none).
    #[serde(default)]
    pub out_km: Option<u32>,
    /// The odometer when the car came back.
    #[serde(default)]
    pub back_km: Option<u32>,
    pub salesperson: UserId,
}

/// A salesperson on the floor, in the walk-in rotation (a register's `Up`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpRow {
    /// The register that says so (one device's day).
    pub doc: DocId,
    pub salesperson: UserId,
    pub since: i64,
    pub overdue: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t")]
pub enum FloorRow {
    Visit(VisitRow),
    Drive(DriveRow),
    Up(UpRow),
}

/// How far back the floor looks: a row whose visit or drive ended longer
/// ago than this is no longer sent to a device that does not hold its
/// document (a new tablet receives the floor of the last weeks and ahead,
/// not the dealer's whole past). Long enough for a demo car's last
/// odometer reading ([`FloorIndex::last_odometer`]).
pub const FLOOR_HORIZON_MS: i64 = 30 * 24 * 3_600_000;

impl FloorRow {
    /// The `records` store's key.
    pub fn key(&self) -> String {
        match self {
            FloorRow::Visit(v) => format!("visit:{}", v.id),
            FloorRow::Drive(d) => format!("drive:{}", d.id),
            FloorRow::Up(u) => format!("up:{}:{}", u.doc.id, u.salesperson),
        }
    }

    /// The document the row comes from.
    pub fn doc(&self) -> DocId {
        match self {
            FloorRow::Visit(v) => v.doc,
            FloorRow::Drive(d) => DocId::lead(d.lead),
            FloorRow::Up(u) => u.doc,
        }
    }

    /// When the row stops mattering to the floor: a visit's departure (or
    /// arrival, while open), a drive's booked end or its start when it went
    /// out, whichever is later. Compared with [`FLOOR_HORIZON_MS`].
    pub fn until(&self) -> i64 {
        match self {
            FloorRow::Visit(v) => v.left_at.unwrap_or(v.arrived_at).max(v.arrived_at),
            FloorRow::Drive(d) => d.end.max(d.out_at.unwrap_or(d.end)),
            FloorRow::Up(u) => u.since,
        }
    }

    /// The row without the customer's name: what a reader who may not see
    /// the document is sent (the rest is the floor's: times, car, state,
    /// the salesperson).
    pub fn anonymous(self) -> FloorRow {
        match self {
            FloorRow::Visit(v) => FloorRow::Visit(VisitRow {
                customer: None,
                ..v
            }),
            FloorRow::Drive(d) => FloorRow::Drive(DriveRow {
                customer: None,
                ..d
            }),
            up @ FloorRow::Up(_) => up,
        }
    }

    /// The row as JSON (what the `records` store, the server's `floor_rows`
    /// and the sync message carry). A row holds ids, numbers, closed enums
    /// and a name: it always serializes.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Option<FloorRow> {
        serde_json::from_str(text).ok()
    }
}

fn visit_row(v: &Visit, doc: DocId, customer: Option<&str>) -> VisitRow {
    VisitRow {
        id: v.id,
        doc,
        arrived_at: v.arrived_at,
        left_at: v.left_at,
        salesperson: v.salesperson,
        party_size: v.party_size,
        kind: v.kind,
        outcome: v.outcome,
        lead: v.lead,
        customer: customer.map(str::to_owned),
        mistaken: !v.counts(),
    }
}

fn drive_row(d: &TestDrive, lead: &Lead) -> DriveRow {
    DriveRow {
        id: d.id,
        lead: lead.id,
        customer: Some(lead.customer.name.clone()),
        car: d.car,
        start: d.start,
        end: d.end,
        status: d.status,
        out_at: d.out.as_ref().map(|o| o.at),
        out_km: d.out.as_ref().map(|o| o.odometer_km),
        back_km: d.back.as_ref().map(|b| b.odometer_km),
        salesperson: d.created_by,
    }
}

/// The rows of a lead's visits and test drives.
pub fn rows_of_lead(lead: &Lead) -> Vec<FloorRow> {
    let doc = DocId::lead(lead.id);
    let name = Some(lead.customer.name.as_str());
    lead.visits
        .iter()
        .map(|v| {
            let mut row = visit_row(v, doc, name);
            row.lead = Some(lead.id);
            FloorRow::Visit(row)
        })
        .chain(
            lead.drives
                .iter()
                .map(|d| FloorRow::Drive(drive_row(d, lead))),
        )
        .collect()
}

/// The rows of a register's visits not linked to a lead (a linked one's row
/// comes from the lead, which holds it from then on).
pub fn rows_of_register(register: &Register) -> Vec<FloorRow> {
    let doc = DocId::register(register.id);
    register
        .visits
        .iter()
        .filter(|v| v.outcome != VisitOutcome::Lead)
        .map(|v| FloorRow::Visit(visit_row(v, doc, None)))
        .chain(register.ups.iter().map(|u| {
            FloorRow::Up(UpRow {
                doc,
                salesperson: u.salesperson,
                since: u.since,
                overdue: u.overdue,
            })
        }))
        .collect()
}

/// What a demo car is doing now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CarState {
    Available { next: Option<DriveRow> },
    Out(DriveRow),
}

/// Every visit and test drive on the device, in memory.
#[derive(Clone, Debug, Default)]
pub struct FloorIndex {
    visits: HashMap<VisitId, VisitRow>,
    drives: HashMap<DriveId, DriveRow>,
    ups: HashMap<String, UpRow>,
}

impl FloorIndex {
    pub fn new(rows: impl IntoIterator<Item = FloorRow>) -> FloorIndex {
        let mut index = FloorIndex::default();
        index.upsert(rows);
        index
    }

    /// Takes new rows. A visit's row from its lead wins over the register's
    /// (the register's entry stops changing once linked).
    pub fn upsert(&mut self, rows: impl IntoIterator<Item = FloorRow>) {
        for row in rows {
            match row {
                FloorRow::Visit(v) => {
                    let keep_lead = self
                        .visits
                        .get(&v.id)
                        .is_some_and(|old| old.doc.kind == DocKind::Lead)
                        && v.doc.kind != DocKind::Lead;
                    if !keep_lead {
                        self.visits.insert(v.id, v);
                    }
                }
                FloorRow::Drive(d) => {
                    self.drives.insert(d.id, d);
                }
                up @ FloorRow::Up(_) => {
                    let key = up.key();
                    if let FloorRow::Up(u) = up {
                        self.ups.insert(key, u);
                    }
                }
            }
        }
    }

    /// Who said they are on the floor (the walk-in rotation's `up` rows).
    pub fn ups(&self) -> impl Iterator<Item = &UpRow> {
        self.ups.values()
    }

    /// Every visit on the device.
    pub fn visits(&self) -> impl Iterator<Item = &VisitRow> {
        self.visits.values()
    }

    /// Drops the rows of these leads (they left the device).
    pub fn forget_leads(&mut self, leads: &[LeadId]) {
        self.drives.retain(|_, d| !leads.contains(&d.lead));
        self.visits
            .retain(|_, v| !v.lead.is_some_and(|l| leads.contains(&l)));
    }

    pub fn visit(&self, id: VisitId) -> Option<&VisitRow> {
        self.visits.get(&id)
    }

    /// Visitors in the showroom now (arrived since `since`, not left), the
    /// longest here first.
    pub fn here_now(&self, since: i64) -> Vec<VisitRow> {
        let mut here: Vec<VisitRow> = self
            .visits
            .values()
            .filter(|v| {
                v.left_at.is_none()
                    && v.outcome != VisitOutcome::Anonymous
                    && !v.mistaken
                    && v.arrived_at >= since
            })
            .cloned()
            .collect();
        here.sort_by_key(|v| (v.arrived_at, v.id));
        here
    }

    /// Visits of one day (from `since` to `until`): (all, left no details).
    /// A visit logged by mistake is in neither.
    pub fn counts(&self, since: i64, until: i64) -> (usize, usize) {
        let day = self
            .visits
            .values()
            .filter(|v| !v.mistaken && v.arrived_at >= since && v.arrived_at < until);
        let (mut all, mut anonymous) = (0, 0);
        for v in day {
            all += 1;
            if v.outcome == VisitOutcome::Anonymous {
                anonymous += 1;
            }
        }
        (all, anonymous)
    }

    /// The drives of one car that still hold it (booked or out), by start.
    pub fn bookings(&self, car: CarId) -> Vec<DriveRow> {
        let mut out: Vec<DriveRow> = self
            .drives
            .values()
            .filter(|d| d.car == car && matches!(d.status, DriveStatus::Booked | DriveStatus::Out))
            .cloned()
            .collect();
        out.sort_by_key(|d| (d.start, d.id));
        out
    }

    /// The car now: out on a drive (since when, with whom), or available
    /// with its next booking.
    pub fn car_state(&self, car: CarId, now: i64) -> CarState {
        let bookings = self.bookings(car);
        if let Some(out) = bookings.iter().find(|d| d.status == DriveStatus::Out) {
            return CarState::Out(out.clone());
        }
        CarState::Available {
            next: bookings.into_iter().find(|d| d.end > now),
        }
    }

    /// Other drives that hold the same car at an overlapping time: a clash
    /// (two tablets that booked offline both keep theirs; both see it).
    pub fn clashes(&self, drive: DriveId) -> Vec<DriveRow> {
        let Some(d) = self.drives.get(&drive) else {
            return Vec::new();
        };
        if !matches!(d.status, DriveStatus::Booked | DriveStatus::Out) {
            return Vec::new();
        }
        let mut out: Vec<DriveRow> = self
            .bookings(d.car)
            .into_iter()
            .filter(|o| o.id != d.id && o.start < d.end && d.start < o.end)
            .collect();
        out.sort_by_key(|o| o.start);
        out
    }

    /// Whether `car` is free between `start` and `end` (for a new booking).
    pub fn free(&self, car: CarId, start: i64, end: i64, except: Option<DriveId>) -> bool {
        self.bookings(car)
            .iter()
            .all(|o| Some(o.id) == except || !(o.start < end && start < o.end))
    }

    /// The highest odometer reading, out or back, that a drive of `car`
    /// other than `except` recorded: the car's reading now, which the
    /// catalogue (a manager's) does not follow. What a new reading is
    /// compared with (`showroom::odometer_doubt`).
    pub fn last_odometer(&self, car: CarId, except: Option<DriveId>) -> Option<u32> {
        self.drives
            .values()
            .filter(|d| d.car == car && Some(d.id) != except)
            .flat_map(|d| d.out_km.into_iter().chain(d.back_km))
            .max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn drive(n: u128, car: u128, start: i64, end: i64, status: DriveStatus) -> FloorRow {
        FloorRow::Drive(DriveRow {
            id: DriveId::from_uuid(Uuid::from_u128(n)),
            lead: LeadId::from_uuid(Uuid::from_u128(100 + n)),
            customer: Some(format!("Customer {n}")),
            car: CarId::from_uuid(Uuid::from_u128(car)),
            start,
            end,
            status,
            out_at: (status == DriveStatus::Out).then_some(start),
            out_km: (status != DriveStatus::Booked).then_some(2_000 + n as u32),
            back_km: (status == DriveStatus::Returned).then_some(3_000 + n as u32),
            salesperson: UserId::from_uuid(Uuid::from_u128(9)),
        })
    }

    fn id(n: u128) -> DriveId {
        DriveId::from_uuid(Uuid::from_u128(n))
    }

    #[test]
    fn two_bookings_of_one_car_at_one_time_are_a_clash_both_see() {
        // Two tablets booked car 1 for 10:00–10:45 and 10:30–11:15 offline;
        // after the merge both drives are on the device.
        let index = FloorIndex::new([
            drive(1, 1, 1_000, 2_000, DriveStatus::Booked),
            drive(2, 1, 1_500, 2_500, DriveStatus::Booked),
            drive(3, 1, 2_500, 3_000, DriveStatus::Booked),
            drive(4, 2, 1_000, 2_000, DriveStatus::Booked),
        ]);
        let ids = |v: Vec<DriveRow>| v.into_iter().map(|d| d.id).collect::<Vec<_>>();
        assert_eq!(ids(index.clashes(id(1))), [id(2)]);
        assert_eq!(
            ids(index.clashes(id(2))),
            [id(1)],
            "both bookings see the clash"
        );
        assert!(index.clashes(id(3)).is_empty(), "back to back is no clash");
        assert!(index.clashes(id(4)).is_empty(), "another car is no clash");
        let car = CarId::from_uuid(Uuid::from_u128(1));
        assert!(!index.free(car, 1_900, 2_100, None));
        assert!(index.free(car, 3_000, 4_000, None));
    }

    #[test]
    fn a_car_is_out_until_its_drive_returns() {
        let car = CarId::from_uuid(Uuid::from_u128(1));
        let mut index = FloorIndex::new([
            drive(1, 1, 1_000, 2_000, DriveStatus::Out),
            drive(2, 1, 5_000, 6_000, DriveStatus::Booked),
        ]);
        assert!(matches!(index.car_state(car, 1_500), CarState::Out(d) if d.id == id(1)));
        index.upsert([drive(1, 1, 1_000, 2_000, DriveStatus::Returned)]);
        assert!(
            matches!(index.car_state(car, 2_500), CarState::Available { next: Some(d) } if d.id == id(2)),
            "available, with its next booking"
        );
        index.upsert([drive(2, 1, 5_000, 6_000, DriveStatus::Cancelled)]);
        assert_eq!(
            index.car_state(car, 2_500),
            CarState::Available { next: None }
        );
    }

    #[test]
    fn a_walk_in_is_here_until_it_leaves_and_its_lead_copy_wins() {
        let user = UserId::from_uuid(Uuid::from_u128(9));
        let visit = |doc: DocId, left: Option<i64>, outcome| {
            FloorRow::Visit(VisitRow {
                id: VisitId::from_uuid(Uuid::from_u128(1)),
                doc,
                arrived_at: 10_000,
                left_at: left,
                salesperson: user,
                party_size: 2,
                kind: VisitKind::First,
                outcome,
                lead: None,
                customer: None,
                mistaken: false,
            })
        };
        let register = DocId::register(crate::domain::RegisterId::from_uuid(Uuid::from_u128(5)));
        let lead = DocId::lead(LeadId::from_uuid(Uuid::from_u128(6)));
        let mut index = FloorIndex::new([visit(register, None, VisitOutcome::Open)]);
        assert_eq!(index.here_now(0).len(), 1);
        assert!(
            index.here_now(20_000).is_empty(),
            "yesterday's walk-in is not here today"
        );
        index.upsert([visit(lead, None, VisitOutcome::Lead)]);
        // The register's entry, written after the link, does not take it back.
        index.upsert([visit(register, None, VisitOutcome::Lead)]);
        assert_eq!(index.here_now(0)[0].doc, lead);
        index.upsert([visit(lead, Some(20_000), VisitOutcome::Lead)]);
        assert!(index.here_now(0).is_empty(), "left");
        assert_eq!(index.counts(0, 30_000), (1, 0));
    }

    #[test]
    fn a_visit_logged_by_mistake_is_counted_nowhere() {
        let user = UserId::from_uuid(Uuid::from_u128(9));
        let register = DocId::register(crate::domain::RegisterId::from_uuid(Uuid::from_u128(5)));
        let mut v = Visit::walk_in(VisitId::from_uuid(Uuid::from_u128(1)), 10_000, user);
        let mut index = FloorIndex::new([FloorRow::Visit(visit_row(&v, register, None))]);
        assert_eq!(index.counts(0, 30_000), (1, 0));
        assert_eq!(index.here_now(0).len(), 1);
        v.log_as_mistake(12_000);
        index.upsert([FloorRow::Visit(visit_row(&v, register, None))]);
        assert_eq!(
            index.counts(0, 30_000),
            (0, 0),
            "not a visit, not anonymous"
        );
        assert!(index.here_now(0).is_empty());
    }

    #[test]
    fn a_car_s_last_reading_is_its_highest_out_or_back() {
        let car = CarId::from_uuid(Uuid::from_u128(1));
        let index = FloorIndex::new([
            drive(1, 1, 1_000, 2_000, DriveStatus::Returned),
            drive(2, 1, 3_000, 4_000, DriveStatus::Out),
            drive(3, 2, 3_000, 4_000, DriveStatus::Returned),
        ]);
        // Drive 1: out 2,001, back 3,001; drive 2: out 2,002.
        assert_eq!(index.last_odometer(car, None), Some(3_001));
        assert_eq!(index.last_odometer(car, Some(id(1))), Some(2_002));
        let none = CarId::from_uuid(Uuid::from_u128(7));
        assert_eq!(index.last_odometer(none, None), None);
    }
}
