//! Who may write what: each document kind's write rules over the document
//! before and after a change, checked by the server for every change it
//! ingests (`sync::ingest`) with the author of the session that sent it.
//! The device checks the same rules before it writes, so a refusal means a
//! forged or stale change, not a normal edit.

use crate::doc::{Content, records::Record};
use crate::domain::{DocKind, Role, UserId};

/// The user of the session a change came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Author {
    pub user: UserId,
    pub role: Role,
}

/// A broken rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Breach {
    /// Only these roles may change this kind of document.
    Role { what: &'static str },
    /// A record names another user as its author.
    NotAuthor { what: &'static str },
}

impl std::fmt::Display for Breach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Breach::Role { what } => write!(f, "Only a manager or an admin may change the {what}."),
            Breach::NotAuthor { what } => {
                write!(
                    f,
                    "A {what} in the change names another user as its author."
                )
            }
        }
    }
}

/// Whether the role may change the dealer's catalogue and settings.
pub fn may_edit_catalogue(role: Role) -> bool {
    matches!(role, Role::Manager | Role::Admin)
}

/// The rule that needs no content: whether the author may change a document
/// of this kind at all (the dealer's: only a manager or an admin). `ingest`
/// checks it before a change is applied, so it also holds for a document
/// that does not read (one written under a newer schema, which `check`
/// cannot see into).
pub fn may_change(kind: DocKind, author: &Author) -> Result<(), Breach> {
    match kind {
        DocKind::Dealer if !may_edit_catalogue(author.role) => Err(Breach::Role {
            what: "catalogue and settings",
        }),
        DocKind::Dealer | DocKind::Lead | DocKind::Register => Ok(()),
    }
}

/// Whether `after` needs the document before the change to be judged: only
/// when it carries records authored by someone other than `author` (they
/// must have been there before). A cheap test, so that the server reads the
/// earlier document only then.
pub fn needs_before(after: &Content, author: &Author) -> bool {
    let me = author.user;
    match after {
        Content::Lead(l) => {
            l.created_by != me
                || l.updated_by != me
                || l.notes.iter().any(|n| n.author != me)
                || l.visits
                    .iter()
                    .flat_map(Record::authors)
                    .any(|(_, u)| u != me)
                || l.drives
                    .iter()
                    .flat_map(Record::authors)
                    .any(|(_, u)| u != me)
        }
        Content::Register(r) => r
            .visits
            .iter()
            .flat_map(Record::authors)
            .any(|(_, u)| u != me),
        Content::Dealer(_) => false,
    }
}

/// The rules. `before` is the document before the change (`None` when it
/// is new), needed only when [`needs_before`] says so.
pub fn check(before: Option<&Content>, after: &Content, author: &Author) -> Result<(), Breach> {
    match after {
        Content::Dealer(_) => may_change(DocKind::Dealer, author)?,
        Content::Lead(l) => {
            let before = before.and_then(Content::as_lead);
            // Who created the lead never changes; who edited it last is the
            // session's user, or stays as it was (a concurrent edit of
            // another user that wins the merge).
            match before {
                None if l.created_by != author.user => {
                    return Err(Breach::NotAuthor { what: "lead" });
                }
                Some(b) if b.created_by != l.created_by => {
                    return Err(Breach::NotAuthor { what: "lead" });
                }
                Some(b) if b.updated_by != l.updated_by && l.updated_by != author.user => {
                    return Err(Breach::NotAuthor { what: "lead" });
                }
                _ => {}
            }
            // Notes have no id: one is new when the document before had no
            // note equal to it.
            let old_notes = before.map(|b| b.notes.as_slice()).unwrap_or_default();
            if l.notes
                .iter()
                .any(|n| n.author != author.user && !old_notes.contains(n))
            {
                return Err(Breach::NotAuthor { what: "note" });
            }
            records_by(
                before.map(|b| b.visits.as_slice()).unwrap_or_default(),
                &l.visits,
                author,
                "visit",
            )?;
            records_by(
                before.map(|b| b.drives.as_slice()).unwrap_or_default(),
                &l.drives,
                author,
                "test drive",
            )?;
        }
        Content::Register(r) => {
            let before = match before {
                Some(Content::Register(b)) => b.visits.as_slice(),
                _ => &[],
            };
            records_by(before, &r.visits, author, "visit")?;
        }
    }
    Ok(())
}

/// Every author field of a record names the session's user, or the name the
/// same field of the same record held before the change. Field by field: a
/// user named by one field of a record (the drive's creator) may not be
/// written into another (the return's `recorded_by`) by someone else.
fn records_by<R: Record>(
    before: &[R],
    after: &[R],
    author: &Author,
    what: &'static str,
) -> Result<(), Breach> {
    for record in after {
        let key = record.record_key();
        let old: Vec<(&'static str, UserId)> = before
            .iter()
            .find(|b| b.record_key() == key)
            .map(Record::authors)
            .unwrap_or_default();
        if record
            .authors()
            .iter()
            .any(|field| field.1 != author.user && !old.contains(field))
        {
            return Err(Breach::NotAuthor { what });
        }
    }
    Ok(())
}
