//! How Showroom's value types sit in Automerge: ids, codes, dates, phone
//! numbers and VINs as their canonical text, money as integer fen, a
//! signature's strokes as bytes. With these, a record type's derive of
//! `Hydrate`/`Reconcile` is its whole mapping.

use std::borrow::Cow;

use automerge::ScalarValue;
use autosurgeon::reconcile::NoKey;
use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};

use crate::domain::catalogue::{
    CarId, ColourId, ItemId, ItemKind, ModelId, Powertrain, Transmission, TrimId, Vin,
};
use crate::domain::followup::{
    ConsentId, ConsentMethod, LostDecisionId, LostRequestId, Outcome, Purpose, TaskId, TaskKind,
};
use crate::domain::quote::{
    ApprovalId, LimitBy, LineKind, OldCar, QuoteId, QuoteStatus, VersionId,
};
use crate::domain::showroom::{
    DriveId, DriveStatus, LicenceClass, Strokes, VisitId, VisitKind, VisitOutcome,
};
use crate::domain::{
    Date, DealerId, Grade, LeadId, Money, Phone, RegisterId, Source, Stage, UserId,
};

macro_rules! as_text {
    ($($ty:ty),+ $(,)?) => {$(
        impl Reconcile for $ty {
            type Key<'a> = NoKey;
            fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
                reconciler.str(self.to_string())
            }
        }

        impl Hydrate for $ty {
            fn hydrate_string(s: &str) -> Result<Self, HydrateError> {
                s.parse().map_err(|_| {
                    HydrateError::unexpected(stringify!($ty), s.chars().take(60).collect())
                })
            }
        }
    )+};
}

as_text!(
    DealerId,
    UserId,
    LeadId,
    RegisterId,
    VisitId,
    DriveId,
    ModelId,
    TrimId,
    ColourId,
    ItemId,
    CarId,
    Grade,
    Stage,
    Source,
    VisitKind,
    VisitOutcome,
    DriveStatus,
    LicenceClass,
    Powertrain,
    Transmission,
    ItemKind,
    Date,
    Phone,
    Vin,
    QuoteId,
    VersionId,
    ApprovalId,
    QuoteStatus,
    LineKind,
    LimitBy,
    OldCar,
    TaskId,
    LostRequestId,
    LostDecisionId,
    ConsentId,
    TaskKind,
    Outcome,
    Purpose,
    ConsentMethod,
);

impl Reconcile for Money {
    type Key<'a> = NoKey;
    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.i64(self.0)
    }
}

impl Hydrate for Money {
    fn hydrate_int(i: i64) -> Result<Self, HydrateError> {
        Ok(Money(i))
    }
    fn hydrate_uint(u: u64) -> Result<Self, HydrateError> {
        i64::try_from(u)
            .map(Money)
            .map_err(|_| HydrateError::unexpected("an amount in fen", u.to_string()))
    }
}

impl Reconcile for Strokes {
    type Key<'a> = NoKey;
    fn reconcile<R: Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.bytes(&self.0)
    }
}

impl Hydrate for Strokes {
    fn hydrate_bytes(bytes: &[u8]) -> Result<Self, HydrateError> {
        Ok(Strokes(bytes.to_vec()))
    }
    fn hydrate_scalar(s: Cow<'_, ScalarValue>) -> Result<Self, HydrateError> {
        match s.as_ref() {
            ScalarValue::Bytes(b) => Ok(Strokes(b.clone())),
            other => Err(HydrateError::unexpected(
                "signature bytes",
                other.to_string(),
            )),
        }
    }
}
