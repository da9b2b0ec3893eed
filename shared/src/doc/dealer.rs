//! The dealer's document: catalogue and settings (`domain::catalogue`).
//!
//! Layout (schema 1), in the root map: `schema`, `type` = "dealer", `id`
//! (the dealer's id), `settings` (map: `time_zone`, `currency`, `cadence`
//! map `h`/`a`/`b`/`c`, `agreement` map `version`/`zh`/`en`), and one record
//! per entry (`doc::records`): `model:<id>`, `trim:<id>`, `colour:<id>`,
//! `item:<id>`, `car:<id>`, `lost_reason:<code>`. The server creates the
//! document with its `settings` map when the dealer is created, so no device
//! ever creates a container here.

use automerge::{ROOT, ReadDoc};

use super::records::{self, Record};
use super::{ActorId, ChangeHash, DocError, Document};
use crate::domain::DealerId;
use crate::domain::catalogue::{Dealer, Settings};

#[derive(Debug)]
pub struct DealerDoc(Document);

impl std::ops::Deref for DealerDoc {
    type Target = Document;
    fn deref(&self) -> &Document {
        &self.0
    }
}

impl std::ops::DerefMut for DealerDoc {
    fn deref_mut(&mut self) -> &mut Document {
        &mut self.0
    }
}

impl From<Document> for DealerDoc {
    fn from(doc: Document) -> DealerDoc {
        DealerDoc(doc)
    }
}

impl DealerDoc {
    /// The dealer's document with `dealer`'s settings and entries, as one
    /// change (the server's, when it creates the dealer).
    pub fn create(
        actor: ActorId,
        id: DealerId,
        dealer: &Dealer,
        now: i64,
    ) -> Result<DealerDoc, DocError> {
        let mut doc = Document::empty(actor);
        let am = &mut doc.am;
        automerge::transaction::Transactable::put(am, ROOT, "schema", super::SCHEMA_VERSION)?;
        automerge::transaction::Transactable::put(am, ROOT, "type", "dealer")?;
        automerge::transaction::Transactable::put(am, ROOT, "id", id.to_string())?;
        autosurgeon::reconcile_prop(am, ROOT, "settings", &dealer.settings).map_err(reconcile)?;
        for m in &dealer.models {
            records::put(am, m)?;
        }
        for t in &dealer.trims {
            records::put(am, t)?;
        }
        for c in &dealer.colours {
            records::put(am, c)?;
        }
        for i in &dealer.items {
            records::put(am, i)?;
        }
        for c in &dealer.cars {
            records::put(am, c)?;
        }
        for r in &dealer.lost_reasons {
            records::put(am, r)?;
        }
        doc.commit("create dealer", now);
        Ok(DealerDoc(doc))
    }

    pub fn load(bytes: &[u8], actor: ActorId) -> Result<DealerDoc, DocError> {
        Document::load(bytes, actor).map(DealerDoc)
    }

    pub fn empty(actor: ActorId) -> DealerDoc {
        DealerDoc(Document::empty(actor))
    }

    /// The catalogue and settings as the document holds them now.
    pub fn read(&self) -> Result<Dealer, DocError> {
        read(&self.0)
    }

    /// The dealer this document belongs to.
    pub fn identity(&self) -> Result<DealerId, DocError> {
        identity(&self.0)
    }

    /// Adds or edits one catalogue entry (a model, trim, colour, item, demo
    /// car or lost reason), as one change; `None` when nothing differed.
    pub fn put<R: Record>(&mut self, entry: &R, now: i64) -> Result<Option<ChangeHash>, DocError> {
        records::put(&mut self.0.am, entry)?;
        Ok(self.0.commit(&format!("edit {}", R::KIND), now))
    }

    /// Writes the settings that differ, as one change.
    pub fn set_settings(
        &mut self,
        settings: &Settings,
        now: i64,
    ) -> Result<Option<ChangeHash>, DocError> {
        autosurgeon::reconcile_prop(&mut self.0.am, ROOT, "settings", settings)
            .map_err(reconcile)?;
        Ok(self.0.commit("edit settings", now))
    }
}

pub(crate) fn read(doc: &Document) -> Result<Dealer, DocError> {
    {
        let am = &doc.am;
        match am.get(ROOT, "type")? {
            Some((automerge::Value::Scalar(v), _)) if v.as_str() == Some("dealer") => {}
            Some((automerge::Value::Scalar(v), _)) => {
                return Err(DocError::WrongType(v.to_string()));
            }
            _ => return Err(DocError::Missing("type")),
        }
        let settings: Settings =
            autosurgeon::hydrate_prop(am, ROOT, "settings").map_err(|e| DocError::Invalid {
                field: "settings",
                value: e.to_string(),
            })?;
        Ok(Dealer {
            id: identity(doc).ok(),
            settings,
            models: records::read_all(am)?,
            trims: records::read_all(am)?,
            colours: records::read_all(am)?,
            items: records::read_all(am)?,
            cars: records::read_all(am)?,
            lost_reasons: records::read_all(am)?,
        })
    }
}

pub(crate) fn identity(doc: &Document) -> Result<DealerId, DocError> {
    match doc.am.get(ROOT, "id")? {
        Some((automerge::Value::Scalar(v), _)) => {
            v.as_str()
                .and_then(|s| s.parse().ok())
                .ok_or(DocError::Invalid {
                    field: "id",
                    value: v.to_string(),
                })
        }
        _ => Err(DocError::Missing("id")),
    }
}

fn reconcile(e: autosurgeon::ReconcileError) -> DocError {
    DocError::Automerge(e.to_string())
}
