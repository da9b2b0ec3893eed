//! Newtype ids, so a dealer id can never be passed where a user id is meant.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub ::uuid::Uuid);

        impl $name {
            /// Wraps an id made elsewhere (the caller owns randomness: shared does no IO).
            pub const fn from_uuid(id: ::uuid::Uuid) -> Self {
                Self(id)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        $crate::domain::text_enum::automerge_as_text!($name);

        impl ::std::str::FromStr for $name {
            type Err = ::uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                ::uuid::Uuid::parse_str(s).map(Self)
            }
        }
    };
}
pub(crate) use id_type;

id_type!(
    /// A dealer: the tenant. Every record belongs to exactly one.
    DealerId
);
id_type!(
    /// A user account inside one dealer.
    UserId
);
impl UserId {
    /// The server writing in its own name (an owner conflict settled, a
    /// collision recorded, a merge): no session is ever this user, so no
    /// device can write what only the server writes.
    pub const SERVER: UserId = UserId::from_uuid(Uuid::nil());
}

id_type!(
    /// A lead, and the Automerge document that holds it.
    LeadId
);
id_type!(
    /// A signed-in device: one session of one user, named by the user.
    DeviceId
);
id_type!(
    /// A day's showroom register (展厅客流登记) kept by one device: the
    /// walk-ins logged there before they are linked to a lead, and the
    /// visitors who left no details.
    RegisterId
);

/// What a document holds. The kind is part of the document's id: the same
/// UUID under another kind is another document. Adding a kind is a sync
/// protocol change (an older app cannot decode the new kind's id and is told
/// to reload).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocKind {
    /// One lead with its notes, visits and test drives (`LeadId`).
    Lead,
    /// The dealer's catalogue and settings: one per dealer, its id the
    /// dealer's own (`DealerId`).
    Dealer,
    /// One device's showroom register of one day (`RegisterId`).
    Register,
}

impl DocKind {
    pub const ALL: [DocKind; 3] = [DocKind::Lead, DocKind::Dealer, DocKind::Register];

    /// The byte on the wire.
    pub const fn code(self) -> u8 {
        match self {
            DocKind::Lead => 1,
            DocKind::Dealer => 2,
            DocKind::Register => 3,
        }
    }

    pub const fn from_code(b: u8) -> Option<DocKind> {
        match b {
            1 => Some(DocKind::Lead),
            2 => Some(DocKind::Dealer),
            3 => Some(DocKind::Register),
            _ => None,
        }
    }

    /// The prefix of the document id's text (`lead:…`).
    pub const fn as_str(self) -> &'static str {
        match self {
            DocKind::Lead => "lead",
            DocKind::Dealer => "dealer",
            DocKind::Register => "register",
        }
    }
}

/// A document: its kind and its UUID. Stored and logged as text
/// (`lead:6f1c…`), sent as one kind byte and 16 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocId {
    pub kind: DocKind,
    pub id: Uuid,
}

impl DocId {
    pub const fn new(kind: DocKind, id: Uuid) -> DocId {
        DocId { kind, id }
    }

    pub const fn lead(id: LeadId) -> DocId {
        DocId::new(DocKind::Lead, id.0)
    }

    pub const fn dealer(id: DealerId) -> DocId {
        DocId::new(DocKind::Dealer, id.0)
    }

    pub const fn register(id: RegisterId) -> DocId {
        DocId::new(DocKind::Register, id.0)
    }

    /// The lead, when this is a lead's document.
    pub fn as_lead(self) -> Option<LeadId> {
        (self.kind == DocKind::Lead).then_some(LeadId(self.id))
    }
}

impl From<LeadId> for DocId {
    fn from(id: LeadId) -> DocId {
        DocId::lead(id)
    }
}

impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.id.hyphenated())
    }
}

/// A document id's text was not `<kind>:<uuid>`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a document id: {0:?}")]
pub struct BadDocId(pub String);

impl FromStr for DocId {
    type Err = BadDocId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadDocId(s.chars().take(60).collect());
        let (kind, id) = s.split_once(':').ok_or_else(bad)?;
        let kind = DocKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind)
            .ok_or_else(bad)?;
        Ok(DocId::new(kind, Uuid::parse_str(id).map_err(|_| bad())?))
    }
}

impl Serialize for DocId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DocId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text_and_json() {
        let id = UserId::from_uuid(Uuid::from_u128(0x1234));
        let text = id.to_string();
        assert_eq!(text, "00000000-0000-0000-0000-000000001234");
        assert_eq!(text.parse::<UserId>().ok(), Some(id));
        let json = serde_json::to_string(&id).unwrap_or_default();
        assert_eq!(json, format!("\"{text}\""));
    }

    #[test]
    fn document_ids_carry_their_kind() {
        let uuid = Uuid::from_u128(0xabc);
        for kind in DocKind::ALL {
            let id = DocId::new(kind, uuid);
            assert_eq!(id.to_string().parse::<DocId>(), Ok(id));
            assert_eq!(DocKind::from_code(kind.code()), Some(kind));
        }
        let lead = DocId::lead(LeadId(uuid));
        assert_eq!(
            lead.to_string(),
            "lead:00000000-0000-0000-0000-000000000abc"
        );
        assert_ne!(lead, DocId::dealer(DealerId(uuid)));
        assert_eq!(lead.as_lead(), Some(LeadId(uuid)));
        assert_eq!(DocId::dealer(DealerId(uuid)).as_lead(), None);
        for bad in [
            "",
            "lead",
            "lead:",
            "quote:00000000-0000-0000-0000-000000000abc",
            "00000000-0000-0000-0000-000000000abc",
        ] {
            assert!(bad.parse::<DocId>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn malformed_ids_are_rejected() {
        for bad in [
            "",
            "42",
            "not-a-uuid",
            "00000000-0000-0000-0000-00000000123g",
        ] {
            assert!(bad.parse::<DealerId>().is_err(), "{bad:?} parsed");
        }
    }
}
