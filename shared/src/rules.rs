//! Who may write what: each document kind's write rules over the document
//! before and after a change, checked by the server for every change it
//! ingests (`sync::ingest`) with the author of the session that sent it.
//! The device checks the same rules before it writes, so a refusal means a
//! forged or stale change, not a normal edit.

use crate::doc::{Content, records::Record};
use crate::domain::{Role, UserId};

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

/// Whether `after` needs the document before the change to be judged: only
/// when it carries records authored by someone other than `author` (they
/// must have been there before). A cheap test, so that the server reads the
/// earlier document only then.
pub fn needs_before(after: &Content, author: &Author) -> bool {
    let me = author.user;
    match after {
        Content::Lead(l) => {
            l.created_by != me
                || l.notes.iter().any(|n| n.author != me)
                || l.visits.iter().flat_map(Record::authors).any(|u| u != me)
                || l.drives.iter().flat_map(Record::authors).any(|u| u != me)
        }
        Content::Register(r) => r.visits.iter().flat_map(Record::authors).any(|u| u != me),
        Content::Dealer(_) => false,
    }
}

/// The rules. `before` is the document before the change (`None` when it
/// is new), needed only when [`needs_before`] says so.
pub fn check(before: Option<&Content>, after: &Content, author: &Author) -> Result<(), Breach> {
    match after {
        Content::Dealer(_) => {
            if !may_edit_catalogue(author.role) {
                return Err(Breach::Role {
                    what: "catalogue and settings",
                });
            }
        }
        Content::Lead(l) => {
            let before = before.and_then(Content::as_lead);
            if before.is_none() && l.created_by != author.user {
                return Err(Breach::NotAuthor { what: "lead" });
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

/// Every author a record names is the session's user, or was named by the
/// same record before the change.
fn records_by<R: Record>(
    before: &[R],
    after: &[R],
    author: &Author,
    what: &'static str,
) -> Result<(), Breach> {
    for record in after {
        let key = record.record_key();
        let old: Vec<UserId> = before
            .iter()
            .find(|b| b.record_key() == key)
            .map(Record::authors)
            .unwrap_or_default();
        if record
            .authors()
            .iter()
            .any(|u| *u != author.user && !old.contains(u))
        {
            return Err(Breach::NotAuthor { what });
        }
    }
    Ok(())
}
