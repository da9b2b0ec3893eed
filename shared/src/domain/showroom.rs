//! The showroom floor: visits (展厅客流登记) and test drives (试乘试驾).
//!
//! Each type here is declared once: the derives are its Automerge mapping
//! (autosurgeon), and `doc::Record` says under which key a document keeps
//! it. New fields must be `Option`/defaulted with
//! `#[autosurgeon(missing = "Default::default")]`, so documents written
//! before them still read (ARCHITECTURE.md, "Schema versions").

use autosurgeon::{Hydrate, Reconcile};
use thiserror::Error;

use super::catalogue::{CarId, Transmission, Trim};
use super::id::id_type;
use super::record::{Field, Fields, Personal, holds_records, record};
use super::text_enum::text_enum;
use super::{Date, DealerId, LeadId, RegisterId, UserId};

id_type!(
    /// One visit to the showroom.
    VisitId
);
id_type!(
    /// One test drive (booked, out or done).
    DriveId
);

text_enum!(
    /// Why the visitor came (RULES.md, "Showroom traffic").
    VisitKind, "visit type", {
        /// First visit: the record is created now.
        First = "first",
        /// First visit of a prospect already known (invited by the call centre).
        KnownFirst = "known_first",
        /// A repeat visit (be-back).
        Repeat = "repeat",
        /// Came for an appointment.
        Appointment = "appointment",
        /// Service, delivery, a question: not a sales visit.
        NonSales = "non_sales",
    }
);

text_enum!(
    /// What became of a walk-in.
    VisitOutcome, "visit outcome", {
        /// Logged, not linked yet.
        Open = "open",
        /// Linked to a lead (an existing one or one captured now).
        Lead = "lead",
        /// Left without details: counted, it is the capture rate's denominator.
        Anonymous = "anonymous",
    }
);

/// What was done during the visit. A map of flags: two devices ticking
/// different steps both keep theirs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hydrate, Reconcile)]
pub struct VisitSteps {
    pub greeted: bool,
    pub needs_analysis: bool,
    pub test_drive: bool,
    pub quote: bool,
    pub negotiation: bool,
    /// Not a step: nobody came (a stray "Walk-in" tap), so the visit counts
    /// nowhere ([`Visit::counts`]). Kept among these flags, not as a new
    /// outcome: an older app reads a visit whose outcome it knows (such a
    /// visit is closed as `anonymous`, what it showed before) and ignores,
    /// and keeps, a key it does not know. Missing in older documents: false.
    #[autosurgeon(missing = "Default::default")]
    pub logged_by_mistake: bool,
}

/// One visit. A linked visit lives in its lead's document; an open or
/// anonymous one in the showroom register of the day.
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct Visit {
    pub id: VisitId,
    /// Unix ms.
    pub arrived_at: i64,
    pub left_at: Option<i64>,
    /// Who looks after the visitor.
    pub salesperson: UserId,
    pub party_size: u32,
    pub kind: VisitKind,
    pub outcome: VisitOutcome,
    pub lead: Option<LeadId>,
    pub steps: VisitSteps,
    /// Who logged it: the session's own user (the server checks).
    pub created_by: UserId,
}

impl Visit {
    /// A walk-in logged at `at` by `user` (one tap): greeted, open, first
    /// visit, one person, linked to no lead yet.
    pub fn walk_in(id: VisitId, at: i64, user: UserId) -> Visit {
        Visit {
            id,
            arrived_at: at,
            left_at: None,
            salesperson: user,
            party_size: 1,
            kind: VisitKind::First,
            outcome: VisitOutcome::Open,
            lead: None,
            steps: VisitSteps {
                greeted: true,
                ..VisitSteps::default()
            },
            created_by: user,
        }
    }
    /// Whether the visit counts in the day's visits and the capture rate:
    /// every visit does but one logged by mistake.
    pub fn counts(&self) -> bool {
        !self.steps.logged_by_mistake
    }

    /// Closes a stray "Walk-in" tap at `now`: not counted, not in the
    /// showroom (an older app sees it as left without details).
    pub fn log_as_mistake(&mut self, now: i64) {
        self.steps.logged_by_mistake = true;
        self.outcome = VisitOutcome::Anonymous;
        self.left_at.get_or_insert(now);
    }

    /// Undoes [`Visit::log_as_mistake`]: an open visit again, here.
    pub fn restore_from_mistake(&mut self) {
        self.steps.logged_by_mistake = false;
        self.outcome = VisitOutcome::Open;
        self.left_at = None;
    }
}

holds_records! {
    /// One device's showroom register of one day (`doc::RegisterDoc`).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Register {
        pub id: RegisterId,
        pub dealer: DealerId,
        pub date: Date,
    }
    records {
        /// Walk-ins of the day, by id.
        visits: Visit,
        /// The device's salesperson on the floor today, in the walk-in
        /// rotation (`domain::rotation`), by salesperson.
        ups: Up,
    }
}

/// A salesperson on the floor today, in the walk-in rotation ("up"
/// system): written by their own device into its register of the day.
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct Up {
    pub salesperson: UserId,
    /// When they said they were on the floor.
    pub since: i64,
    /// Their leads past the first-contact target when they last said so:
    /// more than none, and the rotation passes them by.
    pub overdue: u32,
}

text_enum!(
    /// A test drive's state.
    DriveStatus, "test drive status", {
        Booked = "booked",
        Out = "out",
        Returned = "returned",
        Cancelled = "cancelled",
    }
);

text_enum!(
    /// Chinese driving licence classes (准驾车型).
    LicenceClass, "licence class", {
        A1 = "A1", A2 = "A2", A3 = "A3", B1 = "B1", B2 = "B2",
        C1 = "C1", C2 = "C2", C3 = "C3", C4 = "C4", C5 = "C5", C6 = "C6",
        D = "D", E = "E", F = "F", M = "M", N = "N", P = "P",
    }
);

impl LicenceClass {
    /// Whether the class covers a small passenger car (小型汽车, up to 9
    /// seats) with this gearbox (Road Traffic Safety Law art. 19 and the
    /// Ministry of Public Security's class table): A1, A2, A3, B1, B2 and C1
    /// cover any; C2 (and C5, for disabled drivers) automatic only.
    pub fn covers(self, seats: u32, transmission: Transmission) -> bool {
        use LicenceClass::*;
        if seats > 9 {
            // A bus: A1 (large) or B1 (medium, up to 19 seats).
            return matches!(self, A1) || (matches!(self, B1) && seats <= 19);
        }
        match self {
            A1 | A2 | A3 | B1 | B2 | C1 => true,
            C2 | C5 => transmission == Transmission::Automatic,
            _ => false,
        }
    }
}

/// The driver's licence as seen before the car leaves. The dealer records
/// it; it never keeps the licence itself (only the police may).
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct Licence {
    pub number: String,
    pub class: LicenceClass,
    pub expires: Date,
}

/// Why a licence does not allow this drive.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum LicenceProblem {
    #[error("the licence has expired")]
    Expired,
    #[error("the licence class does not cover this car")]
    WrongClass,
    #[error("the licence number is missing or malformed")]
    BadNumber,
}

impl Licence {
    /// Whether this licence lets its holder drive `trim` on `today`.
    pub fn check(&self, today: Date, trim: &Trim) -> Result<(), LicenceProblem> {
        self.problems(today, trim)
            .into_iter()
            .next()
            .map_or(Ok(()), Err)
    }

    /// Everything that keeps this licence from allowing the drive (number,
    /// expiry, class: [`Licence::check`] names the first); empty when it
    /// allows it.
    pub fn problems(&self, today: Date, trim: &Trim) -> Vec<LicenceProblem> {
        let mut out = Vec::new();
        let n = self.number.trim();
        if n.len() < 6 || n.len() > 24 || !n.chars().all(|c| c.is_ascii_alphanumeric()) {
            out.push(LicenceProblem::BadNumber);
        }
        if self.expires < today {
            out.push(LicenceProblem::Expired);
        }
        if !self.class.covers(trim.seats, trim.transmission()) {
            out.push(LicenceProblem::WrongClass);
        }
        out
    }
}

/// A finger-drawn signature: strokes of points, delta-encoded as zigzag
/// varints on a 1000×400 grid (a typical signature is 1–3 KB).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Strokes(pub Vec<u8>);

/// The largest signature a document takes; a hand-drawn one is far below.
pub const MAX_SIGNATURE_BYTES: usize = 16 * 1024;
/// The grid signatures are stored on.
pub const SIGNATURE_GRID: (u16, u16) = (1000, 400);

impl Strokes {
    /// Encodes strokes of grid points (clamped to the grid). Points closer
    /// than one grid step to the previous one are dropped.
    pub fn encode(strokes: &[Vec<(u16, u16)>]) -> Strokes {
        let mut out = Vec::new();
        let put = |n: i64, out: &mut Vec<u8>| {
            let mut z = ((n << 1) ^ (n >> 63)) as u64;
            loop {
                let b = (z & 0x7f) as u8;
                z >>= 7;
                if z == 0 {
                    out.push(b);
                    break;
                }
                out.push(b | 0x80);
            }
        };
        let (gw, gh) = SIGNATURE_GRID;
        let mut last = (0i64, 0i64);
        for stroke in strokes.iter().filter(|s| !s.is_empty()) {
            let mut points: Vec<(i64, i64)> = Vec::with_capacity(stroke.len());
            for &(x, y) in stroke {
                let p = (i64::from(x.min(gw)), i64::from(y.min(gh)));
                if points.last() != Some(&p) {
                    points.push(p);
                }
            }
            put(points.len() as i64, &mut out);
            for p in points {
                put(p.0 - last.0, &mut out);
                put(p.1 - last.1, &mut out);
                last = p;
            }
        }
        Strokes(out)
    }

    /// The strokes back, or `None` when the bytes are not a signature.
    pub fn decode(&self) -> Option<Vec<Vec<(u16, u16)>>> {
        fn get(bytes: &[u8], pos: &mut usize) -> Option<i64> {
            let mut z: u64 = 0;
            for shift in (0..64).step_by(7) {
                let b = *bytes.get(*pos)?;
                *pos += 1;
                z |= u64::from(b & 0x7f) << shift;
                if b & 0x80 == 0 {
                    return Some(((z >> 1) as i64) ^ -((z & 1) as i64));
                }
            }
            None
        }
        let bytes = &self.0;
        let mut pos = 0usize;
        let (gw, gh) = SIGNATURE_GRID;
        let mut strokes = Vec::new();
        let mut last = (0i64, 0i64);
        while pos < bytes.len() {
            let n = usize::try_from(get(bytes, &mut pos)?).ok()?;
            if n > bytes.len() {
                return None;
            }
            let mut stroke = Vec::with_capacity(n);
            for _ in 0..n {
                last = (
                    last.0 + get(bytes, &mut pos)?,
                    last.1 + get(bytes, &mut pos)?,
                );
                let x = u16::try_from(last.0).ok().filter(|x| *x <= gw)?;
                let y = u16::try_from(last.1).ok().filter(|y| *y <= gh)?;
                stroke.push((x, y));
            }
            strokes.push(stroke);
        }
        Some(strokes)
    }

    /// The strokes as an SVG path (`M x y L x y …`) on the grid.
    pub fn svg_path(&self) -> String {
        let mut d = String::new();
        for stroke in self.decode().unwrap_or_default() {
            for (i, (x, y)) in stroke.iter().enumerate() {
                d.push_str(if i == 0 { "M" } else { "L" });
                d.push_str(&format!("{x} {y}"));
            }
            if stroke.len() == 1 {
                d.push_str("l0.1 0");
            }
        }
        d
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The customer's signature under the test-drive agreement.
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct Signature {
    /// Drawn with a finger; empty when the name was typed instead.
    pub strokes: Strokes,
    /// The customer's name typed in place of a drawing (only where the
    /// dealer accepts it, `Agreement::typed_name`); empty when drawn.
    #[autosurgeon(missing = "Default::default")]
    pub typed_name: String,
    /// The agreement's version and language that were shown.
    pub agreement_version: u32,
    pub language: String,
    pub signed_at: i64,
    /// Who held the tablet: the session's own user.
    pub captured_by: UserId,
}

impl Signature {
    /// A longest typed name kept (a name, not a text).
    pub const TYPED_NAME_CHARS: usize = 100;

    /// Whether this stands as the customer's signature: drawn, or a name
    /// typed where the dealer accepts typed names.
    pub fn is_given(&self, accepts_typed: bool) -> bool {
        if !self.strokes.is_empty() {
            return true;
        }
        let typed = self.typed_name.trim();
        accepts_typed && !typed.is_empty() && typed.chars().count() <= Self::TYPED_NAME_CHARS
    }
}

/// The car leaving with the customer.
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct DriveOut {
    pub at: i64,
    pub odometer_km: u32,
    /// Fuel (or battery) in percent.
    pub fuel_pct: u32,
    pub route: String,
    /// The staff member riding along.
    pub companion: Option<UserId>,
    pub recorded_by: UserId,
}

/// The car coming back.
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct DriveBack {
    pub at: i64,
    pub odometer_km: u32,
    pub fuel_pct: u32,
    pub damage: String,
    /// The customer's rating, 1–5.
    pub rating: Option<u32>,
    pub comment: String,
    pub recorded_by: UserId,
}

/// Why a drive's step is refused.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum DriveProblem {
    #[error("{0}")]
    Licence(LicenceProblem),
    #[error("the agreement has not been signed")]
    NotSigned,
    #[error("the odometer in is below the odometer out")]
    OdometerBackwards,
    #[error("fuel is a percentage, 0 to 100")]
    BadFuel,
    #[error("the rating is 1 to 5")]
    BadRating,
    #[error("the end is not after the start")]
    BadTimes,
    #[error("the signature is too large")]
    SignatureTooLarge,
}

/// How far above a demo car's last reading a new odometer reading may be
/// before the app asks whether it is right. A test drive is tens of
/// kilometres and a demo car seldom does more than a few hundred between two
/// drives the device knows of (a loan over a weekend, a move between
/// branches, drives on another tablet not yet synced); 2,000 km more is an
/// extra or a slipped digit, not driving.
pub const ODOMETER_LEAP_KM: u32 = 2_000;

/// Why an odometer reading is doubtful, given the car's last reading: it is
/// not refused (the last reading may be the wrong one), but saved only once
/// the person says it is right.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OdometerDoubt {
    /// Below the last reading: an odometer does not go back.
    Below { last: u32 },
    /// More than [`ODOMETER_LEAP_KM`] above the last reading.
    FarAbove { last: u32 },
}

impl OdometerDoubt {
    /// The reading it was compared with.
    pub fn last(self) -> u32 {
        match self {
            OdometerDoubt::Below { last } | OdometerDoubt::FarAbove { last } => last,
        }
    }
}

/// Whether `reading` needs a confirmation, given the car's `last` reading
/// (the highest the device knows: of the drives of that car, out or back,
/// and the catalogue's). A car with no reading yet takes any.
pub fn odometer_doubt(reading: u32, last: Option<u32>) -> Option<OdometerDoubt> {
    let last = last?;
    if reading < last {
        Some(OdometerDoubt::Below { last })
    } else if reading - last > ODOMETER_LEAP_KM {
        Some(OdometerDoubt::FarAbove { last })
    } else {
        None
    }
}

/// One test drive of one demo car.
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct TestDrive {
    pub id: DriveId,
    pub car: CarId,
    /// The booked slot, Unix ms.
    pub start: i64,
    pub end: i64,
    pub status: DriveStatus,
    pub licence: Option<Licence>,
    pub signature: Option<Signature>,
    pub out: Option<DriveOut>,
    pub back: Option<DriveBack>,
    pub created_by: UserId,
    pub created_at: i64,
}

impl TestDrive {
    /// A booking of `car` for `start..end`, made by `by` at `now`.
    pub fn booked(
        id: DriveId,
        car: CarId,
        start: i64,
        end: i64,
        by: UserId,
        now: i64,
    ) -> TestDrive {
        TestDrive {
            id,
            car,
            start,
            end,
            status: DriveStatus::Booked,
            licence: None,
            signature: None,
            out: None,
            back: None,
            created_by: by,
            created_at: now,
        }
    }
}

impl TestDrive {
    /// The checks before the car leaves: a licence that covers the car on
    /// `today`, a signature, sane readings. `accepts_typed`: the dealer
    /// takes a typed name as a signature (`Agreement::typed_name`).
    pub fn check_out(
        &self,
        today: Date,
        trim: &Trim,
        accepts_typed: bool,
    ) -> Result<(), DriveProblem> {
        self.out_problems(today, trim, accepts_typed)
            .into_iter()
            .next()
            .map_or(Ok(()), Err)
    }

    /// Every problem [`TestDrive::check_out`] finds, not only the first, in
    /// the order of the form (licence, signature, fuel): a person corrects
    /// them all at once.
    pub fn out_problems(&self, today: Date, trim: &Trim, accepts_typed: bool) -> Vec<DriveProblem> {
        let mut out: Vec<DriveProblem> = match &self.licence {
            Some(licence) => licence
                .problems(today, trim)
                .into_iter()
                .map(DriveProblem::Licence)
                .collect(),
            None => vec![DriveProblem::Licence(LicenceProblem::BadNumber)],
        };
        match &self.signature {
            Some(s) if s.strokes.0.len() > MAX_SIGNATURE_BYTES => {
                out.push(DriveProblem::SignatureTooLarge)
            }
            Some(s) if s.is_given(accepts_typed) => {}
            _ => out.push(DriveProblem::NotSigned),
        }
        if self.out.as_ref().is_some_and(|o| o.fuel_pct > 100) {
            out.push(DriveProblem::BadFuel);
        }
        out
    }

    /// The checks on return.
    pub fn check_back(&self) -> Result<(), DriveProblem> {
        self.back_problems().into_iter().next().map_or(Ok(()), Err)
    }

    /// Every problem [`TestDrive::check_back`] finds, in the order of the
    /// form (odometer, fuel, rating, then the times).
    pub fn back_problems(&self) -> Vec<DriveProblem> {
        let (Some(out), Some(back)) = (&self.out, &self.back) else {
            return Vec::new();
        };
        let mut problems = Vec::new();
        if back.odometer_km < out.odometer_km {
            problems.push(DriveProblem::OdometerBackwards);
        }
        if back.fuel_pct > 100 {
            problems.push(DriveProblem::BadFuel);
        }
        if back.rating.is_some_and(|r| !(1..=5).contains(&r)) {
            problems.push(DriveProblem::BadRating);
        }
        if back.at < out.at {
            problems.push(DriveProblem::BadTimes);
        }
        problems
    }

    /// The odometer readings this drive recorded (out, back).
    pub fn readings(&self) -> impl Iterator<Item = u32> + '_ {
        self.out
            .iter()
            .map(|o| o.odometer_km)
            .chain(self.back.iter().map(|b| b.odometer_km))
    }

    /// Every author field of this drive that holds a name, with the name.
    pub fn authors(&self) -> impl Iterator<Item = (&'static str, UserId)> + '_ {
        std::iter::once(("created_by", self.created_by))
            .chain(
                self.signature
                    .as_ref()
                    .map(|s| ("signature.captured_by", s.captured_by)),
            )
            .chain(
                self.out
                    .as_ref()
                    .map(|o| ("out.recorded_by", o.recorded_by)),
            )
            .chain(
                self.back
                    .as_ref()
                    .map(|b| ("back.recorded_by", b.recorded_by)),
            )
    }
}

// What each record holds: its kind, its authors, its fields' tags
// (`super::record`).

record!(Visit, "visit", "visit", |v| v.id.to_string(), authors: |v| vec![("created_by", v.created_by)]);
record!(Up, "up", "place in the rotation", |u| u.salesperson.to_string(), authors: |u| vec![("salesperson", u.salesperson)]);

impl Fields for Up {
    const FIELDS: &'static [Field] = &[
        Field::dealer("salesperson"),
        Field::dealer("since"),
        Field::dealer("overdue"),
    ];
}
record!(TestDrive, "drive", "test drive", |d| d.id.to_string(), authors: |d| d.authors().collect());

impl Fields for Register {
    const FIELDS: &'static [Field] = &[
        Field::dealer("schema"),
        Field::dealer("type"),
        Field::dealer("id"),
        Field::dealer("dealer"),
        Field::dealer("date"),
    ];
}

impl Fields for VisitSteps {
    const FIELDS: &'static [Field] = &[
        Field::dealer("greeted"),
        Field::dealer("needs_analysis"),
        Field::dealer("test_drive"),
        Field::dealer("quote"),
        Field::dealer("negotiation"),
        Field::dealer("logged_by_mistake"),
    ];
}

impl Fields for Visit {
    const FIELDS: &'static [Field] = &[
        Field::milestone("id"),
        Field::milestone("arrived_at"),
        Field::dealer("left_at"),
        Field::dealer("salesperson"),
        Field::dealer("party_size"),
        Field::milestone("kind"),
        Field::dealer("outcome"),
        Field::dealer("lead"),
        Field::nested("steps", VisitSteps::FIELDS),
        Field::dealer("created_by"),
    ];
}

impl Fields for Licence {
    const FIELDS: &'static [Field] = &[
        Field::personal("number", Personal::Licence),
        Field::personal("class", Personal::Licence),
        Field::personal("expires", Personal::Licence),
    ];
}

impl Fields for Signature {
    const FIELDS: &'static [Field] = &[
        Field::personal("strokes", Personal::Signature),
        Field::personal("typed_name", Personal::Name),
        Field::dealer("agreement_version"),
        Field::dealer("language"),
        Field::dealer("signed_at"),
        Field::dealer("captured_by"),
    ];
}

impl Fields for DriveOut {
    const FIELDS: &'static [Field] = &[
        Field::milestone("at"),
        Field::dealer("odometer_km"),
        Field::dealer("fuel_pct"),
        Field::dealer("route"),
        Field::dealer("companion"),
        Field::dealer("recorded_by"),
    ];
}

impl Fields for DriveBack {
    const FIELDS: &'static [Field] = &[
        Field::milestone("at"),
        Field::dealer("odometer_km"),
        Field::dealer("fuel_pct"),
        Field::personal("damage", Personal::FreeText),
        Field::dealer("rating"),
        Field::personal("comment", Personal::FreeText),
        Field::dealer("recorded_by"),
    ];
}

impl Fields for TestDrive {
    const FIELDS: &'static [Field] = &[
        Field::milestone("id"),
        Field::dealer("car"),
        Field::dealer("start"),
        Field::dealer("end"),
        Field::milestone("status"),
        Field::nested("licence", Licence::FIELDS),
        Field::nested("signature", Signature::FIELDS),
        Field::nested("out", DriveOut::FIELDS),
        Field::nested("back", DriveBack::FIELDS),
        Field::dealer("created_by"),
        Field::dealer("created_at"),
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strokes_round_trip_compactly() {
        // A plausible signature: 4 strokes of 120 points each.
        let strokes: Vec<Vec<(u16, u16)>> = (0..4u16)
            .map(|s| {
                (0..120u16)
                    .map(|i| (100 + s * 200 + i, 200 + ((i * 7 + s * 13) % 60)))
                    .collect()
            })
            .collect();
        let enc = Strokes::encode(&strokes);
        assert!(enc.0.len() < 1500, "{} bytes", enc.0.len());
        assert_eq!(enc.decode(), Some(strokes));
        assert!(enc.svg_path().starts_with("M100 200L101 207"));
    }

    #[test]
    fn damaged_strokes_do_not_decode() {
        assert_eq!(Strokes(vec![0x80]).decode(), None);
        assert_eq!(Strokes(vec![200, 1]).decode(), None);
        // Two points at x = 1000 and 1001: the second is off the grid.
        assert_eq!(Strokes(vec![4, 0xd0, 0x0f, 0, 2, 0]).decode(), None);
    }

    #[test]
    fn licence_classes_cover_what_the_law_says() {
        use LicenceClass::*;
        assert!(C1.covers(5, Transmission::Manual));
        assert!(C2.covers(5, Transmission::Automatic));
        assert!(!C2.covers(5, Transmission::Manual));
        assert!(!D.covers(5, Transmission::Automatic));
        assert!(!C1.covers(14, Transmission::Manual));
        assert!(B1.covers(14, Transmission::Manual));
    }

    #[test]
    fn a_reading_below_the_last_or_far_above_it_asks() {
        // Issue 19: the car came back at 5,428 km; 1,250 km out is a typo.
        assert_eq!(
            odometer_doubt(1_250, Some(5_428)),
            Some(OdometerDoubt::Below { last: 5_428 })
        );
        assert_eq!(
            odometer_doubt(5_427, Some(5_428)).map(OdometerDoubt::last),
            Some(5_428)
        );
        assert_eq!(odometer_doubt(5_428, Some(5_428)), None, "unchanged");
        assert_eq!(odometer_doubt(5_428 + ODOMETER_LEAP_KM, Some(5_428)), None);
        assert_eq!(
            odometer_doubt(54_280, Some(5_428)),
            Some(OdometerDoubt::FarAbove { last: 5_428 }),
            "an extra digit"
        );
        assert_eq!(odometer_doubt(12, None), None, "a car with no reading yet");
    }

    fn trim(seats: u32) -> Trim {
        use super::super::catalogue::{ModelId, Powertrain, TrimId};
        use crate::domain::Money;
        Trim {
            id: TrimId::from_uuid(uuid::Uuid::from_u128(1)),
            model: ModelId::from_uuid(uuid::Uuid::from_u128(2)),
            name: "Ridge".into(),
            list_price: Money(15_000_000),
            powertrain: Powertrain::Petrol,
            gearbox: Transmission::Manual,
            seats,
            displacement_cc: 1_498,
            archived: false,
            cost: None,
            max_discount: None,
        }
    }

    fn drive() -> TestDrive {
        let user = UserId::from_uuid(uuid::Uuid::from_u128(9));
        let mut d = TestDrive::booked(
            DriveId::from_uuid(uuid::Uuid::from_u128(3)),
            CarId::from_uuid(uuid::Uuid::from_u128(4)),
            1_000,
            2_000,
            user,
            500,
        );
        d.out = Some(DriveOut {
            at: 1_000,
            odometer_km: 5_428,
            fuel_pct: 80,
            route: String::new(),
            companion: None,
            recorded_by: user,
        });
        d
    }

    #[test]
    fn every_problem_before_the_car_leaves_is_found_at_once() {
        let today: Date = "2025-06-01".parse().unwrap();
        let mut d = drive();
        d.licence = Some(Licence {
            number: "12".into(),
            class: LicenceClass::C2,
            expires: "2025-05-31".parse().unwrap(),
        });
        d.out.as_mut().unwrap().fuel_pct = 101;
        assert_eq!(
            d.out_problems(today, &trim(5), false),
            [
                DriveProblem::Licence(LicenceProblem::BadNumber),
                DriveProblem::Licence(LicenceProblem::Expired),
                DriveProblem::Licence(LicenceProblem::WrongClass),
                DriveProblem::NotSigned,
                DriveProblem::BadFuel,
            ]
        );
        assert_eq!(
            d.check_out(today, &trim(5), false),
            Err(DriveProblem::Licence(LicenceProblem::BadNumber)),
            "the first"
        );
        d.licence = Some(Licence {
            number: "440301199001011234".into(),
            class: LicenceClass::C1,
            expires: "2030-01-01".parse().unwrap(),
        });
        d.signature = Some(Signature {
            strokes: Strokes::encode(&[vec![(1, 1), (5, 5)]]),
            typed_name: String::new(),
            agreement_version: 1,
            language: "en".into(),
            signed_at: 900,
            captured_by: d.created_by,
        });
        d.out.as_mut().unwrap().fuel_pct = 100;
        assert!(d.out_problems(today, &trim(5), false).is_empty());
        assert_eq!(d.check_out(today, &trim(5), false), Ok(()));
    }

    #[test]
    fn a_typed_name_signs_only_where_the_dealer_accepts_it() {
        let today: Date = "2025-06-01".parse().unwrap();
        let mut d = drive();
        d.licence = Some(Licence {
            number: "440301199001011234".into(),
            class: LicenceClass::C1,
            expires: "2030-01-01".parse().unwrap(),
        });
        let typed = |name: &str| Signature {
            strokes: Strokes::default(),
            typed_name: name.into(),
            agreement_version: 1,
            language: "zh-CN".into(),
            signed_at: 900,
            captured_by: d.created_by,
        };
        d.signature = Some(typed("王芳"));
        assert_eq!(
            d.out_problems(today, &trim(5), false),
            [DriveProblem::NotSigned],
            "not accepted"
        );
        assert!(d.out_problems(today, &trim(5), true).is_empty(), "accepted");
        d.signature = Some(typed("   "));
        assert_eq!(
            d.out_problems(today, &trim(5), true),
            [DriveProblem::NotSigned],
            "blank is no name"
        );
        d.signature = Some(typed(&"王".repeat(Signature::TYPED_NAME_CHARS + 1)));
        assert_eq!(
            d.out_problems(today, &trim(5), true),
            [DriveProblem::NotSigned],
            "a text, not a name"
        );
    }

    #[test]
    fn a_return_below_the_reading_out_is_an_error_with_the_others() {
        let mut d = drive();
        d.back = Some(DriveBack {
            at: 900,
            odometer_km: 5_400,
            fuel_pct: 101,
            damage: String::new(),
            rating: Some(6),
            comment: String::new(),
            recorded_by: d.created_by,
        });
        assert_eq!(
            d.back_problems(),
            [
                DriveProblem::OdometerBackwards,
                DriveProblem::BadFuel,
                DriveProblem::BadRating,
                DriveProblem::BadTimes,
            ]
        );
        assert_eq!(d.check_back(), Err(DriveProblem::OdometerBackwards));
        let back = d.back.as_mut().unwrap();
        *back = DriveBack {
            at: 3_000,
            odometer_km: 5_452,
            fuel_pct: 70,
            rating: Some(5),
            ..back.clone()
        };
        assert_eq!(d.check_back(), Ok(()));
        assert_eq!(d.readings().collect::<Vec<_>>(), [5_428, 5_452]);
    }

    fn visit() -> Visit {
        Visit::walk_in(
            VisitId::from_uuid(uuid::Uuid::from_u128(1)),
            10_000,
            UserId::from_uuid(uuid::Uuid::from_u128(9)),
        )
    }

    #[test]
    fn a_visit_logged_by_mistake_is_not_counted() {
        let mut v = visit();
        assert!(v.counts());
        v.log_as_mistake(20_000);
        assert!(!v.counts());
        assert_eq!(
            (v.outcome, v.left_at),
            (VisitOutcome::Anonymous, Some(20_000)),
            "closed as an older app understands it"
        );
        v.restore_from_mistake();
        assert!(v.counts());
        assert_eq!((v.outcome, v.left_at), (VisitOutcome::Open, None));
    }

    #[test]
    fn the_mistake_flag_reads_in_older_documents_and_older_apps() {
        use automerge::{AutoCommit, ObjType, ROOT, transaction::Transactable};
        // A visit written before the flag existed: not a mistake.
        let mut doc = AutoCommit::new();
        let steps = doc.put_object(ROOT, "steps", ObjType::Map).unwrap();
        doc.put(&steps, "greeted", true).unwrap();
        for key in ["needs_analysis", "test_drive", "quote", "negotiation"] {
            doc.put(&steps, key, false).unwrap();
        }
        #[derive(Debug, PartialEq, Hydrate)]
        struct Holder {
            steps: VisitSteps,
        }
        let read: Holder = autosurgeon::hydrate(&doc).unwrap();
        assert!(read.steps.greeted && !read.steps.logged_by_mistake);

        // An older app's steps (without the flag) read a visit that has it.
        let mut v = visit();
        v.log_as_mistake(20_000);
        let mut doc = AutoCommit::new();
        autosurgeon::reconcile(&mut doc, &v).unwrap();
        #[derive(Debug, Hydrate)]
        #[allow(dead_code)]
        struct OldSteps {
            greeted: bool,
            needs_analysis: bool,
            test_drive: bool,
            quote: bool,
            negotiation: bool,
        }
        #[derive(Debug, Hydrate)]
        #[allow(dead_code)]
        struct OldVisit {
            outcome: VisitOutcome,
            steps: OldSteps,
        }
        let old: OldVisit = autosurgeon::hydrate(&doc).unwrap();
        assert_eq!(old.outcome, VisitOutcome::Anonymous);
        assert!(old.steps.greeted);
    }
}
