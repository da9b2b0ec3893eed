//! Records: the entries of a document that have their own stable id (a
//! lead's visits and test drives, the dealer's trims and demo cars, a
//! register's walk-ins). Each is a map in the document's root under
//! `<kind>:<id>`, so two devices adding records offline both keep theirs
//! (different keys), edits to different records merge field by field, and no
//! container has to exist first (two devices creating the same container
//! concurrently would hide one's entries). A record type declares itself
//! here once (`crate::domain::record`); its fields' mapping is its
//! `Hydrate`/`Reconcile` derive.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, Value};

use super::DocError;
pub use crate::domain::record::{EachKind, EachKindMut, Holds, Record};

/// Every record of type `R` in the document, in key order. A record that
/// does not read (written by a newer version with a value this build does
/// not know, or damaged) is an error: the server refuses such a change, and
/// a device shows what it could read.
pub(crate) fn read_all<R: Record>(doc: &AutoCommit) -> Result<Vec<R>, DocError> {
    let start = format!("{}:", R::KIND);
    let end = format!("{};", R::KIND);
    let mut out = Vec::new();
    for item in doc.map_range(ROOT, start..end) {
        if let automerge::ValueRef::Object(ObjType::Map) = item.value {
            let id = item.id();
            out.push(R::hydrate_map(doc, &id).map_err(|e| DocError::Invalid {
                field: R::KIND,
                value: e.to_string(),
            })?);
        }
    }
    Ok(out)
}

/// Writes `record` (only what differs from what the document holds).
pub(crate) fn put<R: Record>(doc: &mut AutoCommit, record: &R) -> Result<(), DocError> {
    let key = format!("{}:{}", R::KIND, record.record_key());
    autosurgeon::reconcile_prop(doc, ROOT, key.as_str(), record)
        .map_err(|e| DocError::Automerge(e.to_string()))
}

/// The record in the document under `<KIND>:<key>`, if there is one.
pub(crate) fn get<R: Record>(doc: &AutoCommit, key: &str) -> Result<Option<R>, DocError> {
    let prop = format!("{}:{key}", R::KIND);
    match doc.get(ROOT, prop.as_str())? {
        Some((Value::Object(ObjType::Map), id)) => {
            R::hydrate_map(doc, &id)
                .map(Some)
                .map_err(|e| DocError::Invalid {
                    field: R::KIND,
                    value: e.to_string(),
                })
        }
        _ => Ok(None),
    }
}

/// Writes the records of every kind of `after` that are new or differ from
/// `before` (all of them when there is no before). Records are never
/// removed: a visit or a drive is cancelled, not deleted.
pub(crate) fn write_changed<H: Holds>(
    doc: &mut AutoCommit,
    before: Option<&H>,
    after: &H,
) -> Result<(), DocError> {
    struct Write<'a>(&'a mut AutoCommit);
    impl EachKind for Write<'_> {
        type Error = DocError;
        fn kind<R: Record>(&mut self, before: &[R], after: &[R]) -> Result<(), DocError> {
            for record in after {
                if !before.iter().any(|b| b == record) {
                    put(self.0, record)?;
                }
            }
            Ok(())
        }
    }
    H::each_kind(before, after, &mut Write(doc))
}

/// Reads the records of every kind of `holder` from the document.
pub(crate) fn read_into<H: Holds>(doc: &AutoCommit, holder: &mut H) -> Result<(), DocError> {
    struct Read<'a>(&'a AutoCommit);
    impl EachKindMut for Read<'_> {
        type Error = DocError;
        fn kind<R: Record>(&mut self, records: &mut Vec<R>) -> Result<(), DocError> {
            *records = read_all(self.0)?;
            Ok(())
        }
    }
    holder.each_kind_mut(&mut Read(doc))
}

/// Every value's path in the document, by what holds it: the root's own
/// keys under `""`, each record's under its kind (`visit`). A path joins
/// map keys with `.`; a list's elements add no key (`notes.text`). An empty
/// map or list, and a null, end a path where they are. What the field tags
/// (`crate::domain::record::Fields`) are checked against.
pub fn field_paths(doc: &super::Document) -> BTreeMap<String, BTreeSet<String>> {
    fn walk(am: &AutoCommit, obj: &ObjId, prefix: &str, out: &mut BTreeSet<String>) {
        let join = |key: &str| {
            if prefix.is_empty() {
                key.to_owned()
            } else {
                format!("{prefix}.{key}")
            }
        };
        match am.object_type(obj) {
            Ok(ObjType::Map | ObjType::Table) => {
                let keys: Vec<String> = am.keys(obj).collect();
                if keys.is_empty() {
                    out.insert(prefix.to_owned());
                }
                for key in keys {
                    match am.get(obj, key.as_str()) {
                        Ok(Some((Value::Object(_), child))) => walk(am, &child, &join(&key), out),
                        _ => {
                            out.insert(join(&key));
                        }
                    }
                }
            }
            Ok(ObjType::List | ObjType::Text) => {
                let mut any = false;
                for (value, child) in am.values(obj) {
                    any = true;
                    match value {
                        Value::Object(_) => walk(am, &child, prefix, out),
                        Value::Scalar(_) => {
                            out.insert(prefix.to_owned());
                        }
                    }
                }
                if !any {
                    out.insert(prefix.to_owned());
                }
            }
            Err(_) => {}
        }
    }
    let am = &doc.am;
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for key in am.keys(ROOT) {
        let (owner, inner) = match key.split_once(':') {
            Some((kind, _)) => (kind.to_owned(), String::new()),
            None => (String::new(), key.clone()),
        };
        let paths = out.entry(owner).or_default();
        match am.get(ROOT, key.as_str()) {
            Ok(Some((Value::Object(_), child))) => walk(am, &child, &inner, paths),
            _ => {
                paths.insert(inner);
            }
        }
    }
    out
}
