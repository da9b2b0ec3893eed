//! Newtype ids, so a dealer id can never be passed where a user id is meant.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// Wraps an id made elsewhere (the caller owns randomness: shared does no IO).
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// A dealer: the tenant. Every record belongs to exactly one.
    DealerId
);
id_type!(
    /// A user account inside one dealer.
    UserId
);
id_type!(
    /// A lead, and the Automerge document that holds it.
    LeadId
);
id_type!(
    /// A signed-in device: one session of one user, named by the user.
    DeviceId
);

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
