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

impl From<DealerDoc> for Document {
    fn from(doc: DealerDoc) -> Document {
        doc.0
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
        records::write_changed(am, None, dealer)?;
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
        let mut dealer = Dealer {
            id: identity(doc).ok(),
            settings,
            ..Dealer::default()
        };
        records::read_into(am, &mut dealer)?;
        Ok(dealer)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::actor_from_bytes;
    use crate::domain::Money;
    use crate::domain::catalogue::{
        CarId, Colour, ColourId, DemoCar, Item, ItemId, ItemKind, LostReason, Model, ModelId,
        Powertrain, Transmission, Trim, TrimId,
    };
    use uuid::Uuid;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn dealer_id() -> DealerId {
        DealerId::from_uuid(id(1))
    }

    fn trim(n: u128, name: &str, yuan: i64) -> Trim {
        Trim {
            id: TrimId::from_uuid(id(n)),
            model: ModelId::from_uuid(id(10)),
            name: name.into(),
            list_price: Money::yuan(yuan),
            powertrain: Powertrain::PlugInHybrid,
            gearbox: Transmission::Automatic,
            seats: 5,
            displacement_cc: 1_498,
            archived: false,
            cost: None,
            max_discount: None,
        }
    }

    /// A small catalogue, its entries in key order (as they read back).
    fn catalogue() -> Dealer {
        Dealer {
            id: Some(dealer_id()),
            settings: Settings::default(),
            models: vec![Model {
                id: ModelId::from_uuid(id(10)),
                name: "宋 PLUS DM-i".into(),
                archived: false,
            }],
            trims: vec![
                trim(20, "110km 旗舰型", 169_800),
                trim(21, "150km 尊贵型", 189_800),
            ],
            colours: vec![Colour {
                id: ColourId::from_uuid(id(30)),
                name: "时光灰".into(),
                price: Money::yuan(3_000),
                archived: false,
            }],
            items: vec![Item {
                id: ItemId::from_uuid(id(40)),
                kind: ItemKind::Fee,
                name: "上牌服务费".into(),
                price: Money(50_000),
                archived: false,
            }],
            cars: vec![DemoCar {
                id: CarId::from_uuid(id(50)),
                stock_number: "D-01".into(),
                vin: "1M8GDM9AXKP042788"
                    .parse()
                    .unwrap_or_else(|e| panic!("{e}")),
                plate: "浙A·D1234".into(),
                trim: TrimId::from_uuid(id(20)),
                odometer_km: 1_200,
                archived: false,
            }],
            lost_reasons: vec![
                LostReason {
                    code: "competitor".into(),
                    label_zh: "选择竞品".into(),
                    label_en: "Bought a competitor".into(),
                    archived: false,
                },
                LostReason {
                    code: "price".into(),
                    label_zh: "价格".into(),
                    label_en: "Price".into(),
                    archived: false,
                },
            ],
        }
    }

    fn created() -> DealerDoc {
        DealerDoc::create(actor_from_bytes([1; 16]), dealer_id(), &catalogue(), 1_000)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn fork(doc: &mut DealerDoc, n: u8) -> DealerDoc {
        DealerDoc::load(&doc.save(), actor_from_bytes([n; 16])).unwrap_or_else(|e| panic!("{e}"))
    }

    fn merge(a: &mut DealerDoc, b: &mut DealerDoc) {
        let (from_a, from_b) = (a.changes_since(&[]), b.changes_since(&[]));
        a.apply(from_b).unwrap_or_else(|e| panic!("{e}"));
        b.apply(from_a).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn a_catalogue_round_trips_through_its_document() {
        let mut doc = created();
        assert_eq!(doc.read().ok(), Some(catalogue()));
        assert_eq!(doc.identity().ok(), Some(dealer_id()));
        assert_eq!(doc.changes_since(&[]).len(), 1, "creation is one change");
        let reopened = DealerDoc::load(&doc.save(), actor_from_bytes([2; 16]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(reopened.read().ok(), Some(catalogue()));
        assert_eq!(reopened.schema_version(), super::super::SCHEMA_VERSION);
        // Through the generic handle too, as sync reads it.
        let mut generic = Document::load(&doc.save(), actor_from_bytes([3; 16]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            generic
                .read_as(crate::domain::DocId::dealer(dealer_id()), dealer_id())
                .ok(),
            Some(Some(super::super::Content::Dealer(Box::new(catalogue()))))
        );
        let other = DealerId::from_uuid(id(2));
        assert!(matches!(
            generic.read_as(crate::domain::DocId::dealer(other), other),
            Err(DocError::Foreign)
        ));
    }

    #[test]
    fn an_entry_added_or_unchanged_reads_back() {
        let mut doc = created();
        assert_eq!(
            doc.put(&trim(20, "110km 旗舰型", 169_800), 2_000).ok(),
            Some(None)
        );
        let added = trim(22, "200km 旗舰型", 209_800);
        assert!(doc.put(&added, 2_000).ok().flatten().is_some());
        let read = doc.read().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read.trims.len(), 3);
        assert_eq!(read.trim(added.id), Some(&added));
        assert_eq!(
            doc.set_settings(&Settings::default(), 2_000).ok(),
            Some(None)
        );
    }

    #[test]
    fn two_managers_editing_different_trims_offline_keep_both_edits() {
        let mut a = created();
        let mut b = fork(&mut a, 2);
        let mut cheaper = trim(20, "110km 旗舰型", 159_800);
        assert!(a.put(&cheaper, 2_000).ok().flatten().is_some());
        let mut renamed = trim(21, "150km 尊荣型", 189_800);
        assert!(b.put(&renamed, 2_001).ok().flatten().is_some());
        // And different fields of one trim: a's archive, b's seats.
        cheaper.archived = true;
        assert!(a.put(&cheaper, 2_002).ok().flatten().is_some());
        let mut seven = trim(20, "110km 旗舰型", 169_800);
        seven.seats = 7;
        assert!(b.put(&seven, 2_003).ok().flatten().is_some());
        merge(&mut a, &mut b);
        let merged = a.read().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(b.read().ok().as_ref(), Some(&merged));
        cheaper.seats = 7;
        renamed.archived = false;
        assert_eq!(merged.trims, vec![cheaper, renamed]);
        assert_eq!(merged.models, catalogue().models, "the rest is untouched");
    }

    #[test]
    fn settings_edits_merge_per_field() {
        let mut a = created();
        let mut b = fork(&mut a, 2);
        let mut on_a = Settings::default();
        on_a.cadence.h = 2;
        on_a.time_zone = "Asia/Urumqi".into();
        let mut on_b = Settings::default();
        on_b.cadence.c = 21;
        on_b.agreement.version = 2;
        on_b.agreement.en = "Version 2.".into();
        assert!(a.set_settings(&on_a, 2_000).ok().flatten().is_some());
        assert!(b.set_settings(&on_b, 2_001).ok().flatten().is_some());
        merge(&mut a, &mut b);
        let merged = a.read().unwrap_or_else(|e| panic!("{e}")).settings;
        assert_eq!(b.read().ok().map(|d| d.settings).as_ref(), Some(&merged));
        let mut both = Settings::default();
        both.cadence.h = 2;
        both.cadence.c = 21;
        both.time_zone = "Asia/Urumqi".into();
        both.agreement.version = 2;
        both.agreement.en = "Version 2.".into();
        assert_eq!(merged, both);
    }

    #[test]
    fn a_document_of_another_kind_is_not_a_dealer() {
        let mut empty = DealerDoc::empty(actor_from_bytes([1; 16]));
        assert!(matches!(empty.read(), Err(DocError::Missing("type"))));
        let register = crate::domain::showroom::Register {
            id: crate::domain::RegisterId::from_uuid(id(60)),
            dealer: dealer_id(),
            date: crate::domain::Date::from_ymd(2026, 12, 1).unwrap_or_else(|e| panic!("{e}")),
            ups: Vec::new(),
            visits: vec![],
        };
        let mut other = super::super::RegisterDoc::create(actor_from_bytes([2; 16]), &register, 1)
            .unwrap_or_else(|e| panic!("{e}"));
        empty
            .apply(other.changes_since(&[]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(empty.read(), Err(DocError::WrongType(_))));
    }
}
