//! The showroom floor across documents, pure: who is in the showroom now
//! (open visits of every register and lead), and each demo car's bookings
//! and drives (test drives of every lead). Rows are kept in the `records`
//! store as JSON, one per visit and per test drive, written with the
//! document they come from; [`FloorIndex`] holds them in memory.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use showroom_shared::domain::catalogue::CarId;
use showroom_shared::domain::showroom::{
    DriveId, DriveStatus, Register, TestDrive, Visit, VisitId, VisitKind, VisitOutcome,
};
use showroom_shared::domain::{DocId, Lead, LeadId, UserId};

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
}

/// One test drive of one lead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriveRow {
    pub id: DriveId,
    pub lead: LeadId,
    pub customer: String,
    pub car: CarId,
    pub start: i64,
    pub end: i64,
    pub status: DriveStatus,
    pub out_at: Option<i64>,
    pub salesperson: UserId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t")]
pub enum FloorRow {
    Visit(VisitRow),
    Drive(DriveRow),
}

impl FloorRow {
    /// The `records` store's key.
    pub fn key(&self) -> String {
        match self {
            FloorRow::Visit(v) => format!("visit:{}", v.id),
            FloorRow::Drive(d) => format!("drive:{}", d.id),
        }
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
    }
}

fn drive_row(d: &TestDrive, lead: &Lead) -> DriveRow {
    DriveRow {
        id: d.id,
        lead: lead.id,
        customer: lead.customer.name.clone(),
        car: d.car,
        start: d.start,
        end: d.end,
        status: d.status,
        out_at: d.out.as_ref().map(|o| o.at),
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
                    let keep_lead =
                        self.visits.get(&v.id).is_some_and(|old| {
                            old.doc.kind == showroom_shared::domain::DocKind::Lead
                        }) && v.doc.kind != showroom_shared::domain::DocKind::Lead;
                    if !keep_lead {
                        self.visits.insert(v.id, v);
                    }
                }
                FloorRow::Drive(d) => {
                    self.drives.insert(d.id, d);
                }
            }
        }
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
                v.left_at.is_none() && v.outcome != VisitOutcome::Anonymous && v.arrived_at >= since
            })
            .cloned()
            .collect();
        here.sort_by_key(|v| (v.arrived_at, v.id));
        here
    }

    /// Visits of one day (from `since` to `until`): (all, left no details).
    pub fn counts(&self, since: i64, until: i64) -> (usize, usize) {
        let day = self
            .visits
            .values()
            .filter(|v| v.arrived_at >= since && v.arrived_at < until);
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

    pub fn drives(&self) -> impl Iterator<Item = &DriveRow> {
        self.drives.values()
    }
}
