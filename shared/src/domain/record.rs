//! The registry of what Showroom's documents hold. Each document's content
//! type (`Lead`, `Dealer`, `Register`) names its record kinds once, in the
//! `records { .. }` part of its `holds_records!` declaration; everything that
//! goes over every kind follows from that list through [`Holds`]: the
//! documents' create, read and update loops (`crate::doc`), the rules that
//! check each record's authors (`crate::rules`), and the field tags below.
//!
//! Every field a document holds carries two tags ([`Fields`]): whether it is
//! a customer's **personal data** ([`Personal`]), and what may ever **leave
//! the dealer** ([`Sharing`]). Erasure, export and the manufacturer's hub act
//! on them; `shared/tests/field_tags.rs` lists every field of every kind in a
//! real document and fails when one has no tag.
//!
//! Why a declarative macro and traits rather than a derive: the list of kinds
//! is the one thing a new kind must add, and a `macro_rules!` over the
//! holder's struct keeps it one line next to the fields it becomes, with no
//! procedural-macro crate to build; a record type is a plain struct whose
//! `Record` and `Fields` impls sit beside it, and a kind without an author
//! rule or without tags does not compile (neither trait item has a default).

use autosurgeon::{Hydrate, Reconcile};

use super::UserId;

/// Whether a field holds a customer's personal data, and what kind: erasure
/// clears these, an export marks them, nothing sends them out of the dealer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Personal {
    /// Not about the customer as a person.
    No,
    /// The customer's name (also a name typed as a signature).
    Name,
    /// A way to reach them: mobile number, WeChat id.
    Contact,
    /// Where they live.
    Place,
    /// Their driving licence: number, class, expiry.
    Licence,
    /// The strokes of their signature.
    Signature,
    /// Free text someone typed about the deal: it may say anything about
    /// the customer.
    FreeText,
}

/// What may ever leave the dealer. Nothing acts on it yet; the
/// manufacturer's hub sends only what its sharing contract allows of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sharing {
    /// Never leaves the dealer.
    Dealer,
    /// A milestone of a lead the dealer may agree to share with the
    /// manufacturer (the stage reached, when a visit, test drive, quote or
    /// order happened, a lost decision and its reason code).
    Milestone,
    /// The manufacturer's own: the catalogue's models, trims and colours as
    /// it publishes them.
    Manufacturer,
}

/// How a field is tagged: a value, or a map (or list of maps) of fields.
#[derive(Clone, Copy, Debug)]
pub enum Tag {
    Leaf {
        personal: Personal,
        sharing: Sharing,
    },
    Nested(&'static [Field]),
}

/// One field of a document's map, by its key.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub name: &'static str,
    pub tag: Tag,
}

impl Field {
    /// Not personal; never leaves the dealer.
    pub const fn dealer(name: &'static str) -> Field {
        Field::leaf(name, Personal::No, Sharing::Dealer)
    }

    /// Not personal; a milestone the dealer may share.
    pub const fn milestone(name: &'static str) -> Field {
        Field::leaf(name, Personal::No, Sharing::Milestone)
    }

    /// The manufacturer's own.
    pub const fn manufacturer(name: &'static str) -> Field {
        Field::leaf(name, Personal::No, Sharing::Manufacturer)
    }

    /// A customer's personal data: never leaves the dealer.
    pub const fn personal(name: &'static str, what: Personal) -> Field {
        Field::leaf(name, what, Sharing::Dealer)
    }

    /// A map (or a list of maps) with its own fields.
    pub const fn nested(name: &'static str, fields: &'static [Field]) -> Field {
        Field {
            name,
            tag: Tag::Nested(fields),
        }
    }

    const fn leaf(name: &'static str, personal: Personal, sharing: Sharing) -> Field {
        Field {
            name,
            tag: Tag::Leaf { personal, sharing },
        }
    }
}

/// A type whose fields are tagged. Every map a document holds is one.
pub trait Fields {
    const FIELDS: &'static [Field];
}

/// The tag of the field at `path` (keys joined by `.`; a list's elements
/// add no key), or `None` when no field there is tagged.
pub fn tag_at(fields: &'static [Field], path: &str) -> Option<Tag> {
    let mut fields = fields;
    let mut tag = None;
    for key in path.split('.') {
        let field = fields.iter().find(|f| f.name == key)?;
        tag = Some(field.tag);
        fields = match field.tag {
            Tag::Nested(inner) => inner,
            Tag::Leaf { .. } => &[],
        };
    }
    tag
}

/// Every tagged value under `fields` with its path, depth first.
pub fn leaves(fields: &'static [Field]) -> Vec<(String, Personal, Sharing)> {
    fn walk(prefix: &str, fields: &'static [Field], out: &mut Vec<(String, Personal, Sharing)>) {
        for f in fields {
            let path = if prefix.is_empty() {
                f.name.to_owned()
            } else {
                format!("{prefix}.{}", f.name)
            };
            match f.tag {
                Tag::Leaf { personal, sharing } => out.push((path, personal, sharing)),
                Tag::Nested(inner) => walk(&path, inner, out),
            }
        }
    }
    let mut out = Vec::new();
    walk("", fields, &mut out);
    out
}

/// A type kept as records of a document: entries with their own stable id,
/// each a map in the document's root under `<KIND>:<key>` (`doc::records`).
pub trait Record: Hydrate + Reconcile + Clone + PartialEq + Fields {
    /// The key prefix: `visit` for `visit:<id>`.
    const KIND: &'static str;
    /// What a person calls one, in a refusal ("A test drive …").
    const WHAT: &'static str;
    /// The record's id as it appears in its key.
    fn record_key(&self) -> String;
    /// The record's author fields that hold a name, each with the name:
    /// what the rules check against the session that writes it, field by
    /// field (`crate::rules`). Catalogue entries have none; the rules say
    /// who may change them at all.
    fn authors(&self) -> Vec<(&'static str, UserId)>;
}

/// Something done to each record kind of a holder in turn, given the
/// records before a change (empty when there was no before) and after it.
pub trait EachKind {
    type Error;
    fn kind<R: Record>(&mut self, before: &[R], after: &[R]) -> Result<(), Self::Error>;
}

/// Something done to each record kind of a holder in turn, in place.
pub trait EachKindMut {
    type Error;
    fn kind<R: Record>(&mut self, records: &mut Vec<R>) -> Result<(), Self::Error>;
}

/// A document's content: its own fields, and its records of each kind.
/// Implemented by `holds_records!`.
pub trait Holds: Fields + Sized {
    /// The `KIND` of every record kind it holds, in declaration order.
    const KINDS: &'static [&'static str];
    /// Calls `v` for each record kind with the records of `before` and of
    /// `after`.
    fn each_kind<V: EachKind>(
        before: Option<&Self>,
        after: &Self,
        v: &mut V,
    ) -> Result<(), V::Error>;
    /// Calls `v` for each record kind with this holder's records.
    fn each_kind_mut<V: EachKindMut>(&mut self, v: &mut V) -> Result<(), V::Error>;
    /// The tags of the record kind called `kind`.
    fn kind_fields(kind: &str) -> Option<&'static [Field]>;
}

/// Declares a document's content type: its own fields as written, then its
/// record kinds, one line each (`visits: Visit,` becomes `pub visits:
/// Vec<Visit>` and an entry of every loop over kinds).
macro_rules! holds_records {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident : $fty:ty, )*
        }
        records {
            $( $(#[$rmeta:meta])* $rfield:ident : $rty:ty, )+
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $fty, )*
            $( $(#[$rmeta])* pub $rfield: Vec<$rty>, )+
        }

        impl $crate::domain::record::Holds for $name {
            const KINDS: &'static [&'static str] =
                &[$(<$rty as $crate::domain::record::Record>::KIND),+];

            fn each_kind<V: $crate::domain::record::EachKind>(
                before: Option<&Self>,
                after: &Self,
                v: &mut V,
            ) -> Result<(), V::Error> {
                $(
                    v.kind::<$rty>(
                        before.map(|b| b.$rfield.as_slice()).unwrap_or_default(),
                        after.$rfield.as_slice(),
                    )?;
                )+
                Ok(())
            }

            fn each_kind_mut<V: $crate::domain::record::EachKindMut>(
                &mut self,
                v: &mut V,
            ) -> Result<(), V::Error> {
                $( v.kind::<$rty>(&mut self.$rfield)?; )+
                Ok(())
            }

            fn kind_fields(kind: &str) -> Option<&'static [$crate::domain::record::Field]> {
                $(
                    if kind == <$rty as $crate::domain::record::Record>::KIND {
                        return Some(<$rty as $crate::domain::record::Fields>::FIELDS);
                    }
                )+
                None
            }
        }
    };
}
pub(crate) use holds_records;

/// Implements `Record` for a record type: its kind, what a person calls it,
/// its key, and its author fields (`authors: none` for a catalogue entry).
macro_rules! record {
    ($ty:ty, $kind:literal, $what:literal, |$r:ident| $key:expr, authors: none) => {
        record!($ty, $kind, $what, |$r| $key, authors: |_r| Vec::new());
    };
    ($ty:ty, $kind:literal, $what:literal, |$r:ident| $key:expr, authors: |$a:ident| $authors:expr) => {
        impl $crate::domain::record::Record for $ty {
            const KIND: &'static str = $kind;
            const WHAT: &'static str = $what;
            fn record_key(&self) -> String {
                let $r = self;
                $key
            }
            fn authors(&self) -> Vec<(&'static str, $crate::domain::UserId)> {
                let $a = self;
                $authors
            }
        }
    };
}
pub(crate) use record;
