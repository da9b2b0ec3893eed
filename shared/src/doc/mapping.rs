//! How Showroom's value types sit in Automerge: money as integer fen, a
//! signature's strokes as bytes. Ids, closed enums, dates, phone numbers and
//! VINs map themselves as their canonical text, declared with the type
//! (`automerge_as_text!`, which `id_type!` and `text_enum!` use), so a new
//! one needs no line here. With these, a record type's derive of
//! `Hydrate`/`Reconcile` is its whole mapping.

use std::borrow::Cow;

use automerge::ScalarValue;
use autosurgeon::reconcile::NoKey;
use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};

use crate::domain::Money;
use crate::domain::showroom::Strokes;

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
