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

use super::records::{self, Record};
use super::{ActorId, ChangeHash, DocError, Document};
use crate::domain::showroom::Register;
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

impl From<RegisterDoc> for Document {
    fn from(doc: RegisterDoc) -> Document {
        doc.0
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
        records::write_changed(am, None, register)?;
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

    /// Adds or edits one record (a visit), as one change (`None` when
    /// nothing differed). A register keeps no editor: each visit names its
    /// own.
    pub fn put_record<R: Record>(
        &mut self,
        record: &R,
        _editor: UserId,
        now: i64,
    ) -> Result<Option<ChangeHash>, DocError> {
        records::put(&mut self.0.am, record)?;
        Ok(self.0.commit(R::WHAT, now))
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
        let mut register = Register {
            id: id.parse().map_err(|_| parse("id", id.clone()))?,
            dealer: dealer
                .parse()
                .map_err(|_| parse("dealer", dealer.clone()))?,
            date: date.parse().map_err(|_| parse("date", date.clone()))?,
            ups: Vec::new(),
            visits: Vec::new(),
        };
        records::read_into(am, &mut register)?;
        Ok(register)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::actor_from_bytes;
    use crate::domain::showroom::{Visit, VisitId, VisitKind, VisitOutcome, VisitSteps};
    use uuid::Uuid;

    fn visit(n: u128, outcome: VisitOutcome) -> Visit {
        Visit {
            id: VisitId::from_uuid(Uuid::from_u128(n)),
            arrived_at: 1_000 + n as i64,
            left_at: None,
            salesperson: UserId::from_uuid(Uuid::from_u128(5)),
            party_size: 3,
            kind: VisitKind::First,
            outcome,
            lead: None,
            steps: VisitSteps {
                greeted: true,
                ..VisitSteps::default()
            },
            created_by: UserId::from_uuid(Uuid::from_u128(5)),
        }
    }

    fn register() -> Register {
        Register {
            id: RegisterId::from_uuid(Uuid::from_u128(60)),
            dealer: DealerId::from_uuid(Uuid::from_u128(1)),
            date: "2026-12-01".parse().unwrap_or_else(|e| panic!("{e:?}")),
            ups: Vec::new(),
            visits: vec![
                visit(1, VisitOutcome::Open),
                visit(2, VisitOutcome::Anonymous),
            ],
        }
    }

    #[test]
    fn a_register_round_trips_through_its_document() {
        let mut doc = RegisterDoc::create(actor_from_bytes([1; 16]), &register(), 1_000)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(doc.read().ok(), Some(register()));
        assert_eq!(
            doc.identity().ok(),
            Some((register().id, register().dealer))
        );
        assert_eq!(doc.changes_since(&[]).len(), 1, "creation is one change");
        let mut reopened = RegisterDoc::load(&doc.save(), actor_from_bytes([2; 16]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(reopened.read().ok(), Some(register()));
        // A walk-in linked to a lead later, and one more logged.
        let mut linked = visit(1, VisitOutcome::Lead);
        linked.lead = Some(crate::domain::LeadId::from_uuid(Uuid::from_u128(7)));
        linked.left_at = Some(5_000);
        let user = UserId::from_uuid(Uuid::from_u128(5));
        assert!(
            reopened
                .put_record(&linked, user, 5_000)
                .ok()
                .flatten()
                .is_some()
        );
        assert!(
            reopened
                .put_record(&visit(3, VisitOutcome::Open), user, 6_000)
                .ok()
                .flatten()
                .is_some()
        );
        assert_eq!(reopened.put_record(&linked, user, 7_000).ok(), Some(None));
        let mut expected = register();
        expected.visits[0] = linked;
        expected.visits.push(visit(3, VisitOutcome::Open));
        let again = RegisterDoc::load(&reopened.save(), actor_from_bytes([3; 16]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.read().ok(), Some(expected));
        let mut generic = Document::load(&reopened.save(), actor_from_bytes([4; 16]))
            .unwrap_or_else(|e| panic!("{e}"));
        let id = crate::domain::DocId::register(register().id);
        assert!(matches!(
            generic.read_as(id, register().dealer),
            Ok(Some(crate::doc::Content::Register(_)))
        ));
        assert!(matches!(
            generic.read_as(id, DealerId::from_uuid(Uuid::from_u128(2))),
            Err(DocError::Foreign)
        ));
    }
}
