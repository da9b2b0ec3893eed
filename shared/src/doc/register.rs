//! A showroom register (展厅客流登记): one device's walk-ins of one day.
//!
//! Layout (schema 1), in the root map: `schema`, `type` = "register", `id`,
//! `dealer`, `date` (YYYY-MM-DD in the dealer's time zone), and one record
//! per visit (`visit:<id>`, `domain::showroom::Visit`). A visit stays here
//! while it is open and when the visitor left no details; once linked to a
//! lead its entry says which lead (`outcome` = lead), and the visit itself
//! continues in the lead's document.
//!
//! Each device keeps its own register per day (its id is random), so no
//! two devices ever create the same document.

use automerge::transaction::Transactable;
use automerge::{ROOT, ReadDoc};

use super::records;
use super::{ActorId, ChangeHash, DocError, Document};
use crate::domain::showroom::{Register, Visit};
use crate::domain::{DealerId, RegisterId, UserId};

#[derive(Debug)]
pub struct RegisterDoc(Document);

impl std::ops::Deref for RegisterDoc {
    type Target = Document;
    fn deref(&self) -> &Document {
        &self.0
    }
}

impl std::ops::DerefMut for RegisterDoc {
    fn deref_mut(&mut self) -> &mut Document {
        &mut self.0
    }
}

impl From<Document> for RegisterDoc {
    fn from(doc: Document) -> RegisterDoc {
        RegisterDoc(doc)
    }
}

impl RegisterDoc {
    /// A new register holding `register`, as one change.
    pub fn create(actor: ActorId, register: &Register, now: i64) -> Result<RegisterDoc, DocError> {
        let mut doc = Document::empty(actor);
        let am = &mut doc.am;
        am.put(ROOT, "schema", super::SCHEMA_VERSION)?;
        am.put(ROOT, "type", "register")?;
        am.put(ROOT, "id", register.id.to_string())?;
        am.put(ROOT, "dealer", register.dealer.to_string())?;
        am.put(ROOT, "date", register.date.to_string())?;
        for v in &register.visits {
            records::put(am, v)?;
        }
        doc.commit("create register", now);
        Ok(RegisterDoc(doc))
    }

    pub fn load(bytes: &[u8], actor: ActorId) -> Result<RegisterDoc, DocError> {
        Document::load(bytes, actor).map(RegisterDoc)
    }

    pub fn empty(actor: ActorId) -> RegisterDoc {
        RegisterDoc(Document::empty(actor))
    }

    pub fn read(&self) -> Result<Register, DocError> {
        read(&self.0)
    }

    /// The register's id and dealer.
    pub fn identity(&self) -> Result<(RegisterId, DealerId), DocError> {
        let r = self.read()?;
        Ok((r.id, r.dealer))
    }

    /// Adds or edits one visit, as one change (`None` when nothing differed).
    pub fn put_visit(
        &mut self,
        visit: &Visit,
        _editor: UserId,
        now: i64,
    ) -> Result<Option<ChangeHash>, DocError> {
        records::put(&mut self.0.am, visit)?;
        Ok(self.0.commit("visit", now))
    }
}

pub(crate) fn read(doc: &Document) -> Result<Register, DocError> {
    {
        let am = &doc.am;
        let text = |key: &'static str| -> Result<String, DocError> {
            match am.get(ROOT, key)? {
                Some((automerge::Value::Scalar(v), _)) => {
                    v.as_str().map(str::to_owned).ok_or(DocError::Missing(key))
                }
                _ => Err(DocError::Missing(key)),
            }
        };
        let ty = text("type")?;
        if ty != "register" {
            return Err(DocError::WrongType(ty));
        }
        let parse = |key: &'static str, v: String| DocError::Invalid {
            field: key,
            value: v,
        };
        let id = text("id")?;
        let dealer = text("dealer")?;
        let date = text("date")?;
        Ok(Register {
            id: id.parse().map_err(|_| parse("id", id.clone()))?,
            dealer: dealer
                .parse()
                .map_err(|_| parse("dealer", dealer.clone()))?,
            date: date.parse().map_err(|_| parse("date", date.clone()))?,
            visits: records::read_all(am)?,
        })
    }
}
