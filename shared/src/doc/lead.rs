//! One lead, one Automerge document.
//!
//! Layout (schema 1), all keys in the root map unless said:
//! `schema` (uint), `type` = "lead", `id`, `dealer`, `customer` (map: `name`,
//! `mobile`, `wechat`, `city`), `source`, `models` (list of text), `grade`,
//! `stage`, `owner`, `next_follow_up` (YYYY-MM-DD), `notes` (list of maps:
//! `author`, `at`, `text`), `created_by`, `created_at`, `updated_by`,
//! `updated_at`. Absent optional values are `null`. Times are Unix ms.
//! Records (`doc::records`): `visit:<id>`, `drive:<id>`, `quote:<version
//! id>` (a quote version), `approval:<id>` (a manager's decision),
//! `task:<id>` (a follow-up), `lost_request:<id>`, `lost_decision:<id>`,
//! `consent:<id>`.
//!
//! Edits write only the keys whose value changed, so two devices editing
//! different fields offline both keep their edit, notes are list inserts so
//! notes added concurrently all survive, and keys written by a newer version
//! of Showroom are never touched, so they are preserved.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};

use super::records::{self, Record};
use super::{ActorId, ChangeHash, DocError, Document};
use crate::domain::followup::{Consent, LOST_GRADE, LostDecision, LostRequest, Task};
use crate::domain::quote::{Approval, QuoteStatus, QuoteVersion};
use crate::domain::showroom::TestDrive;
use crate::domain::{Customer, Lead, LeadId, Note, Stage, UserId};

/// The layout version this build writes. A document with a higher number was
/// written by a newer version; it is read as far as known and its unknown
/// keys are preserved.
pub const SCHEMA_VERSION: u64 = 1;

/// An open lead document.
#[derive(Debug)]
pub struct LeadDoc(pub(crate) Document);

impl std::ops::Deref for LeadDoc {
    type Target = Document;
    fn deref(&self) -> &Document {
        &self.0
    }
}

impl std::ops::DerefMut for LeadDoc {
    fn deref_mut(&mut self) -> &mut Document {
        &mut self.0
    }
}

impl From<Document> for LeadDoc {
    fn from(doc: Document) -> LeadDoc {
        LeadDoc(doc)
    }
}

impl From<LeadDoc> for Document {
    fn from(doc: LeadDoc) -> Document {
        doc.0
    }
}

impl LeadDoc {
    /// A new document holding `lead`, as one change by `actor`.
    /// Opens a saved document (the output of [`Document::save`]).
    pub fn load(bytes: &[u8], actor: ActorId) -> Result<LeadDoc, DocError> {
        Document::load(bytes, actor).map(LeadDoc)
    }

    /// An empty document to apply changes to (a lead first seen through sync).
    pub fn empty(actor: ActorId) -> LeadDoc {
        LeadDoc(Document::empty(actor))
    }

    pub fn create(actor: ActorId, lead: &Lead) -> Result<LeadDoc, DocError> {
        let mut doc = AutoCommit::new().with_actor(actor);
        doc.put(ROOT, "schema", SCHEMA_VERSION)?;
        doc.put(ROOT, "type", "lead")?;
        doc.put(ROOT, "id", lead.id.to_string())?;
        doc.put(ROOT, "dealer", lead.dealer.to_string())?;
        let customer = doc.put_object(ROOT, "customer", ObjType::Map)?;
        write_customer(
            &mut doc,
            &customer,
            &Customer::default(),
            &lead.customer,
            true,
        )?;
        doc.put_object(ROOT, "models", ObjType::List)?;
        doc.put_object(ROOT, "notes", ObjType::List)?;
        let mut this = LeadDoc(Document { am: doc });
        this.write_fields(lead, true)?;
        let notes = this.list("notes")?;
        for note in &lead.notes {
            insert_note(&mut this.0.am, &notes, note)?;
        }
        records::write_changed(&mut this.0.am, None, lead)?;
        this.0
            .am
            .put(ROOT, "created_by", lead.created_by.to_string())?;
        this.0.am.put(ROOT, "created_at", lead.created_at)?;
        this.0.commit("create lead", lead.created_at);
        Ok(this)
    }

    /// The lead as the document holds it now. Each map is read in one pass
    /// (`Fields`): a `get` per key searches the map again, about six times
    /// slower for a lead's ~16 root keys, and the server reads every lead it
    /// ingests.
    pub fn read(&self) -> Result<Lead, DocError> {
        read(&self.0)
    }

    /// The lead's id and dealer without reading the rest: what the server
    /// checks on every change it accepts.
    pub fn identity(&self) -> Result<(LeadId, crate::domain::DealerId), DocError> {
        identity(&self.0)
    }
    /// Writes the fields of `after` that differ from the document, as one
    /// change by `editor` at `now`. Returns `None` when nothing differed.
    pub fn update(
        &mut self,
        after: &Lead,
        editor: UserId,
        now: i64,
    ) -> Result<Option<ChangeHash>, DocError> {
        let before = self.read()?;
        let customer = match self.0.am.get(ROOT, "customer")? {
            Some((Value::Object(ObjType::Map), id)) => id,
            _ => return Err(DocError::Missing("customer")),
        };
        write_customer(
            &mut self.0.am,
            &customer,
            &before.customer,
            &after.customer,
            false,
        )?;
        self.write_models(&before.models, &after.models)?;
        self.write_fields_diff(&before, after)?;
        records::write_changed(&mut self.0.am, Some(&before), after)?;
        if self.0.am.pending_ops() == 0 {
            return Ok(None);
        }
        self.0.am.put(ROOT, "updated_by", editor.to_string())?;
        self.0.am.put(ROOT, "updated_at", now)?;
        Ok(self.0.commit("edit lead", now))
    }

    /// Records a test drive's progress (out, returned) as one change; the
    /// lead's stage moves to test drive when it was earlier in the funnel.
    pub fn drive_happened(
        &mut self,
        drive: &TestDrive,
        editor: UserId,
        now: i64,
    ) -> Result<Option<ChangeHash>, DocError> {
        records::put(&mut self.0.am, drive)?;
        self.advance_stage(Stage::TestDrive)?;
        self.finish(editor, now, "test drive")
    }

    /// Adds or edits a quote version, as one change by `editor`. Presenting
    /// it moves the lead's stage to quoted, accepting it to ordered, when
    /// the lead was earlier in the funnel.
    pub fn put_quote(
        &mut self,
        version: &QuoteVersion,
        editor: UserId,
        now: i64,
    ) -> Result<Option<ChangeHash>, DocError> {
        records::put(&mut self.0.am, version)?;
        match version.status {
            QuoteStatus::Presented => self.advance_stage(Stage::Quoted)?,
            QuoteStatus::Accepted => self.advance_stage(Stage::Ordered)?,
            _ => {}
        }
        self.finish(editor, now, "quote")
    }

    /// Records a manager's decision on a quote version, as one change.
    pub fn put_approval(
        &mut self,
        approval: &Approval,
        now: i64,
    ) -> Result<Option<ChangeHash>, DocError> {
        records::put(&mut self.0.am, approval)?;
        self.finish(approval.decided_by, now, "approval")
    }

    /// Completes a task and schedules the next step, as one change: what a
    /// salesperson does in one screen after a call.
    pub fn complete_task(
        &mut self,
        done: &Task,
        next: Option<&Task>,
        editor: UserId,
        now: i64,
    ) -> Result<Option<ChangeHash>, DocError> {
        records::put(&mut self.0.am, done)?;
        if let Some(next) = next {
            records::put(&mut self.0.am, next)?;
        }
        if done
            .completion
            .as_ref()
            .is_some_and(|c| c.outcome.is_contact())
        {
            self.advance_stage(Stage::Contacted)?;
        }
        self.finish(editor, now, "follow-up")
    }

    /// Records a request to mark the lead lost, as one change.
    pub fn request_lost(
        &mut self,
        request: &LostRequest,
        now: i64,
    ) -> Result<Option<ChangeHash>, DocError> {
        records::put(&mut self.0.am, request)?;
        self.finish(request.requested_by, now, "lost request")
    }

    /// A manager's decision on a lost request, as one change. Approved: the
    /// lead is lost (stage lost, grade F) and its open tasks are closed.
    /// Rejected: `follow_up`, the new task the manager sets, goes with it.
    pub fn decide_lost(
        &mut self,
        decision: &LostDecision,
        follow_up: Option<&Task>,
        now: i64,
    ) -> Result<Option<ChangeHash>, DocError> {
        records::put(&mut self.0.am, decision)?;
        if decision.approved {
            put_text(&mut self.0.am, &ROOT, "stage", Some(Stage::Lost.as_str()))?;
            put_text(&mut self.0.am, &ROOT, "grade", Some(LOST_GRADE.as_str()))?;
            put_text(&mut self.0.am, &ROOT, "next_follow_up", None)?;
            for mut task in records::read_all::<Task>(&self.0.am)? {
                if task.is_open() {
                    task.cancelled = true;
                    records::put(&mut self.0.am, &task)?;
                }
            }
        }
        if let Some(task) = follow_up {
            records::put(&mut self.0.am, task)?;
        }
        self.finish(decision.decided_by, now, "lost decision")
    }

    /// Reopens a lost lead (a be-back): the approved request no longer holds
    /// it, its history stays; the stage goes back to `stage`.
    pub fn reopen(
        &mut self,
        request: &LostRequest,
        stage: Stage,
        grade: crate::domain::Grade,
        editor: UserId,
        now: i64,
    ) -> Result<Option<ChangeHash>, DocError> {
        records::put(&mut self.0.am, request)?;
        put_text(&mut self.0.am, &ROOT, "stage", Some(stage.as_str()))?;
        put_text(&mut self.0.am, &ROOT, "grade", Some(grade.as_str()))?;
        self.finish(editor, now, "reopen")
    }

    /// Records a consent or its withdrawal, as one change.
    pub fn put_consent(&mut self, consent: &Consent) -> Result<Option<ChangeHash>, DocError> {
        records::put(&mut self.0.am, consent)?;
        self.finish(consent.recorded_by, consent.at, "consent")
    }

    /// Moves the stage to `to` when the lead is earlier in the funnel (a
    /// lost or delivered lead stays where it is).
    fn advance_stage(&mut self, to: Stage) -> Result<(), DocError> {
        let root = Fields::of(&self.0.am, &ROOT);
        let stage: Option<Stage> = parse_opt(&root, "stage")?;
        if stage.is_some_and(|s| s < to) {
            put_text(&mut self.0.am, &ROOT, "stage", Some(to.as_str()))?;
        }
        Ok(())
    }

    /// Ends an edit: who and when, and the commit, unless nothing changed.
    fn finish(
        &mut self,
        editor: UserId,
        now: i64,
        what: &str,
    ) -> Result<Option<ChangeHash>, DocError> {
        if self.0.am.pending_ops() == 0 {
            return Ok(None);
        }
        self.0.am.put(ROOT, "updated_by", editor.to_string())?;
        self.0.am.put(ROOT, "updated_at", now)?;
        Ok(self.0.commit(what, now))
    }

    /// Adds or edits one record of any kind (a visit, a test drive's
    /// booking, a task …), as one change by `editor`; `None` when the
    /// document already holds it as it is. Records whose writing moves the
    /// lead on (a drive that went out, a presented quote, a completed task)
    /// have their own methods below.
    pub fn put_record<R: Record>(
        &mut self,
        record: &R,
        editor: UserId,
        now: i64,
    ) -> Result<Option<ChangeHash>, DocError> {
        records::put(&mut self.0.am, record)?;
        self.finish(editor, now, R::WHAT)
    }

    /// The record of kind `R` under `key` (its id), if the lead holds it.
    pub fn record<R: Record>(&self, key: &str) -> Result<Option<R>, DocError> {
        records::get(&self.0.am, key)
    }

    /// Adds a note at the end, as one change.
    pub fn add_note(&mut self, note: &Note) -> Result<Option<ChangeHash>, DocError> {
        let notes = self.list("notes")?;
        insert_note(&mut self.0.am, &notes, note)?;
        self.0.am.put(ROOT, "updated_by", note.author.to_string())?;
        self.0.am.put(ROOT, "updated_at", note.at)?;
        Ok(self.0.commit("add note", note.at))
    }

    /// What the server writes in its own name (`sync::DocState::write_lead`):
    /// a record of any kind as it is, without an editor or an edit time.
    pub fn server_put<R: Record>(&mut self, record: &R) -> Result<(), DocError> {
        records::put(&mut self.0.am, record)
    }

    /// The server sets the lead's owner (a manager's assignment of both
    /// leads of a collision, a merge's owner).
    pub fn server_set_owner(&mut self, owner: Option<UserId>) -> Result<(), DocError> {
        put_text(
            &mut self.0.am,
            &ROOT,
            "owner",
            owner.map(|o| o.to_string()).as_deref(),
        )
    }

    /// The server's merge of `other` into this lead: every record of
    /// `other` this lead does not hold as it is, its notes this lead lacks
    /// (each in its author's name), its models, and the customer's WeChat
    /// and city where this lead has none. Nothing of this lead is removed
    /// or overwritten but records `other` holds under the same key (what a
    /// later edit of an absorbed lead carries in).
    pub fn server_merge_in(&mut self, other: &Lead) -> Result<(), DocError> {
        let before = self.read()?;
        records::write_changed(&mut self.0.am, Some(&before), other)?;
        let notes = self.list("notes")?;
        for note in &other.notes {
            if !before.notes.contains(note) {
                insert_note(&mut self.0.am, &notes, note)?;
            }
        }
        let mut models = before.models.clone();
        for m in &other.models {
            if !models.contains(m) {
                models.push(m.clone());
            }
        }
        self.write_models(&before.models, &models)?;
        let mut customer = before.customer.clone();
        if customer.wechat.is_none() {
            customer.wechat.clone_from(&other.customer.wechat);
        }
        if customer.city.is_none() {
            customer.city.clone_from(&other.customer.city);
        }
        if customer.mobile.is_none() {
            customer.mobile.clone_from(&other.customer.mobile);
        }
        let obj = match self.0.am.get(ROOT, "customer")? {
            Some((Value::Object(ObjType::Map), id)) => id,
            _ => return Err(DocError::Missing("customer")),
        };
        write_customer(&mut self.0.am, &obj, &before.customer, &customer, false)
    }

    fn list(&self, key: &'static str) -> Result<ObjId, DocError> {
        match self.0.am.get(ROOT, key)? {
            Some((Value::Object(ObjType::List), id)) => Ok(id),
            _ => Err(DocError::Missing(key)),
        }
    }

    /// Removes models no longer listed and appends new ones, so models added
    /// on two devices concurrently are both kept.
    fn write_models(&mut self, before: &[String], after: &[String]) -> Result<(), DocError> {
        let list = self.list("models")?;
        let mut i = self.0.am.length(&list);
        while i > 0 {
            i -= 1;
            if let Some((Value::Scalar(v), _)) = self.0.am.get(&list, i)?
                && let ScalarValue::Str(s) = v.as_ref()
                && !after.iter().any(|m| m == s.as_str())
            {
                self.0.am.delete(&list, i)?;
            }
        }
        for model in after {
            if !before.contains(model) {
                let end = self.0.am.length(&list);
                self.0.am.insert(&list, end, model.as_str())?;
            }
        }
        Ok(())
    }

    fn write_fields(&mut self, lead: &Lead, all: bool) -> Result<(), DocError> {
        let d = &mut self.0.am;
        put_text(d, &ROOT, "source", Some(lead.source.as_str()))?;
        put_text(d, &ROOT, "grade", Some(lead.grade.as_str()))?;
        put_text(d, &ROOT, "stage", Some(lead.stage.as_str()))?;
        put_text(
            d,
            &ROOT,
            "owner",
            lead.owner.map(|o| o.to_string()).as_deref(),
        )?;
        put_text(
            d,
            &ROOT,
            "next_follow_up",
            lead.next_follow_up.map(|n| n.to_string()).as_deref(),
        )?;
        if all {
            let list = self.list("models")?;
            for (i, model) in lead.models.iter().enumerate() {
                self.0.am.insert(&list, i, model.as_str())?;
            }
            self.0
                .am
                .put(ROOT, "updated_by", lead.updated_by.to_string())?;
            self.0.am.put(ROOT, "updated_at", lead.updated_at)?;
        }
        Ok(())
    }

    fn write_fields_diff(&mut self, before: &Lead, after: &Lead) -> Result<(), DocError> {
        let d = &mut self.0.am;
        if before.source != after.source {
            put_text(d, &ROOT, "source", Some(after.source.as_str()))?;
        }
        if before.grade != after.grade {
            put_text(d, &ROOT, "grade", Some(after.grade.as_str()))?;
        }
        if before.stage != after.stage {
            put_text(d, &ROOT, "stage", Some(after.stage.as_str()))?;
        }
        if before.owner != after.owner {
            put_text(
                d,
                &ROOT,
                "owner",
                after.owner.map(|o| o.to_string()).as_deref(),
            )?;
        }
        if before.next_follow_up != after.next_follow_up {
            put_text(
                d,
                &ROOT,
                "next_follow_up",
                after.next_follow_up.map(|n| n.to_string()).as_deref(),
            )?;
        }
        Ok(())
    }
}

/// Every value the lead's `owner` key holds: one, or several while
/// concurrent changes set it differently (Automerge shows one of them, the
/// same on every replica, but by its own order, not by who claimed first).
/// The server settles such a conflict (`rules::settle_owner`).
pub fn owner_values(doc: &Document) -> Vec<Option<UserId>> {
    let Ok(values) = doc.am.get_all(ROOT, "owner") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (value, _) in values {
        let owner = match value {
            Value::Scalar(v) => match v.as_ref() {
                ScalarValue::Str(s) => s.parse::<UserId>().ok(),
                _ => None,
            },
            Value::Object(_) => None,
        };
        if !out.contains(&owner) {
            out.push(owner);
        }
    }
    out
}

/// Writes the lead's owner as one change by `actor` at `now`, over every
/// value it held (a conflict ends with it). Only the owner: who edited the
/// lead last stays as it was. Returns the change's bytes.
pub fn settle_owner(
    doc: &mut Document,
    owner: Option<UserId>,
    actor: ActorId,
    now: i64,
) -> Result<Option<Vec<u8>>, DocError> {
    let kept = doc.am.get_actor().clone();
    doc.am.set_actor(actor);
    let written = put_text(
        &mut doc.am,
        &ROOT,
        "owner",
        owner.map(|o| o.to_string()).as_deref(),
    );
    let hash = written.map(|()| doc.commit("settle owner", now));
    doc.am.set_actor(kept);
    let bytes = hash?
        .and_then(|h| doc.am.get_change_by_hash(&h))
        .map(|c| c.raw_bytes().to_vec());
    Ok(bytes)
}

/// Reads a lead document.
pub(crate) fn read(doc: &Document) -> Result<Lead, DocError> {
    let d = &doc.am;

    let root = Fields::of(d, &ROOT);
    match get_str(&root, "type")? {
        Some(t) if t == "lead" => {}
        Some(t) => return Err(DocError::WrongType(t)),
        None => return Err(DocError::Missing("type")),
    }
    let customer = match root.get("customer") {
        Some((Value::Object(ObjType::Map), Some(id))) => {
            let c = Fields::of(d, id);
            Customer {
                name: get_str(&c, "name")?.unwrap_or_default(),
                mobile: parse_opt(&c, "mobile")?,
                wechat: get_str(&c, "wechat")?,
                city: get_str(&c, "city")?,
            }
        }
        _ => return Err(DocError::Missing("customer")),
    };
    let mut models: Vec<String> = Vec::new();
    if let Some((Value::Object(ObjType::List), Some(list))) = root.get("models") {
        for model in d.values(list) {
            if let (Value::Scalar(v), _) = model
                && let ScalarValue::Str(s) = v.as_ref()
            {
                let s = s.to_string();
                if !models.contains(&s) {
                    models.push(s);
                }
            }
        }
    }
    let mut notes = Vec::new();
    if let Some((Value::Object(ObjType::List), Some(list))) = root.get("notes") {
        for (value, note) in d.values(list) {
            if let Value::Object(ObjType::Map) = value {
                let n = Fields::of(d, &note);
                notes.push(Note {
                    author: parse_req(&n, "author")?,
                    at: get_int(&n, "at")?.unwrap_or(0),
                    text: get_str(&n, "text")?.unwrap_or_default(),
                });
            }
        }
    }
    // Read in the order of the layout, so a damaged document names its
    // first bad key.
    let id = parse_req(&root, "id")?;
    let dealer = parse_req(&root, "dealer")?;
    let source = parse_req(&root, "source")?;
    let grade = parse_req(&root, "grade")?;
    let stage = parse_req(&root, "stage")?;
    let owner = parse_opt(&root, "owner")?;
    let next_follow_up = parse_opt(&root, "next_follow_up")?;
    let created_by = parse_req(&root, "created_by")?;
    let created_at = get_int(&root, "created_at")?.unwrap_or(0);
    let mut lead = Lead {
        customer,
        source,
        models,
        grade,
        stage,
        owner,
        next_follow_up,
        notes,
        created_by,
        created_at,
        ..Lead::new(
            id,
            dealer,
            parse_req(&root, "updated_by")?,
            get_int(&root, "updated_at")?.unwrap_or(0),
        )
    };
    records::read_into(d, &mut lead)?;
    Ok(lead)
}

pub(crate) fn identity(doc: &Document) -> Result<(LeadId, crate::domain::DealerId), DocError> {
    let root = Fields::of(&doc.am, &ROOT);
    Ok((parse_req(&root, "id")?, parse_req(&root, "dealer")?))
}

fn write_customer(
    doc: &mut AutoCommit,
    obj: &ObjId,
    before: &Customer,
    after: &Customer,
    all: bool,
) -> Result<(), DocError> {
    if all || before.name != after.name {
        put_text(doc, obj, "name", Some(after.name.as_str()))?;
    }
    if all || before.mobile != after.mobile {
        put_text(
            doc,
            obj,
            "mobile",
            after.mobile.as_ref().map(|m| m.as_str()),
        )?;
    }
    if all || before.wechat != after.wechat {
        put_text(doc, obj, "wechat", after.wechat.as_deref())?;
    }
    if all || before.city != after.city {
        put_text(doc, obj, "city", after.city.as_deref())?;
    }
    Ok(())
}

fn insert_note(doc: &mut AutoCommit, notes: &ObjId, note: &Note) -> Result<(), DocError> {
    let end = doc.length(notes);
    let obj = doc.insert_object(notes, end, ObjType::Map)?;
    doc.put(&obj, "author", note.author.to_string())?;
    doc.put(&obj, "at", note.at)?;
    doc.put(&obj, "text", note.text.as_str())?;
    Ok(())
}

fn put_text(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &'static str,
    value: Option<&str>,
) -> Result<(), DocError> {
    match value {
        Some(v) => doc.put(obj, key, v)?,
        None => doc.put(obj, key, ScalarValue::Null)?,
    }
    Ok(())
}

/// A map's entries, read in one pass: key, value, and the object's id for
/// values that are objects.
struct Fields(Vec<(String, Value<'static>, Option<ObjId>)>);

impl Fields {
    fn of(doc: &AutoCommit, obj: &ObjId) -> Fields {
        Fields(
            doc.map_range(obj, ..)
                .map(|item| {
                    let id =
                        matches!(item.value, automerge::ValueRef::Object(_)).then(|| item.id());
                    (item.key.into_owned(), item.value.into_value(), id)
                })
                .collect(),
        )
    }

    fn get(&self, key: &str) -> Option<(&Value<'static>, Option<&ObjId>)> {
        self.0
            .iter()
            .find(|(k, ..)| k == key)
            .map(|(_, v, id)| (v, id.as_ref()))
    }
}

fn get_str(fields: &Fields, key: &'static str) -> Result<Option<String>, DocError> {
    match fields.get(key) {
        Some((Value::Scalar(v), _)) => match v.as_ref() {
            ScalarValue::Str(s) => Ok(Some(s.to_string())),
            ScalarValue::Null => Ok(None),
            other => Err(DocError::Invalid {
                field: key,
                value: other.to_string(),
            }),
        },
        Some((Value::Object(_), _)) => Err(DocError::Invalid {
            field: key,
            value: "an object".into(),
        }),
        None => Ok(None),
    }
}

fn get_int(fields: &Fields, key: &'static str) -> Result<Option<i64>, DocError> {
    match fields.get(key) {
        Some((Value::Scalar(v), _)) => match v.as_ref() {
            ScalarValue::Int(n) | ScalarValue::Timestamp(n) => Ok(Some(*n)),
            ScalarValue::Uint(n) => Ok(i64::try_from(*n).ok()),
            ScalarValue::Null => Ok(None),
            other => Err(DocError::Invalid {
                field: key,
                value: other.to_string(),
            }),
        },
        _ => Ok(None),
    }
}

fn parse_opt<T: std::str::FromStr>(
    fields: &Fields,
    key: &'static str,
) -> Result<Option<T>, DocError> {
    match get_str(fields, key)? {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| DocError::Invalid {
            field: key,
            value: s,
        }),
    }
}

fn parse_req<T: std::str::FromStr>(fields: &Fields, key: &'static str) -> Result<T, DocError> {
    parse_opt(fields, key)?.ok_or(DocError::Missing(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{actor_from_bytes, parse_change};
    use crate::domain::catalogue::CarId;
    use crate::domain::showroom::{
        DriveId, DriveStatus, Signature, Strokes, Visit, VisitId, VisitKind, VisitOutcome,
        VisitSteps,
    };
    use crate::domain::{DealerId, Grade, Phone, Source, Stage};
    use uuid::Uuid;

    fn actor(n: u8) -> ActorId {
        actor_from_bytes([n; 16])
    }

    fn user(n: u128) -> UserId {
        UserId::from_uuid(Uuid::from_u128(n))
    }

    pub(crate) fn sample() -> Lead {
        Lead {
            id: LeadId::from_uuid(Uuid::from_u128(7)),
            dealer: DealerId::from_uuid(Uuid::from_u128(1)),
            customer: Customer {
                name: "王先生".into(),
                mobile: "13812345678".parse::<Phone>().ok(),
                wechat: None,
                city: Some("杭州".into()),
            },
            source: Source::WalkIn,
            models: vec!["Model Y".into()],
            grade: Grade::A,
            stage: Stage::New,
            owner: Some(user(10)),
            next_follow_up: "2026-11-30".parse().ok(),
            notes: vec![],
            created_by: user(10),
            created_at: 1_000,
            updated_by: user(10),
            updated_at: 1_000,
            ..Lead::new(
                LeadId::from_uuid(Uuid::from_u128(7)),
                DealerId::from_uuid(Uuid::from_u128(1)),
                user(10),
                1_000,
            )
        }
    }

    fn fork(doc: &mut LeadDoc, n: u8) -> LeadDoc {
        LeadDoc::load(&doc.save(), actor(n)).unwrap_or_else(|e| panic!("{e}"))
    }

    fn merge(a: &mut LeadDoc, b: &mut LeadDoc) {
        let from_b = b.changes_since(&[]);
        let from_a = a.changes_since(&[]);
        a.apply(from_b).unwrap_or_else(|e| panic!("{e}"));
        b.apply(from_a).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn a_lead_round_trips_through_its_document() {
        let lead = sample();
        let mut doc = LeadDoc::create(actor(1), &lead).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(doc.read().ok(), Some(lead.clone()));
        let reopened = LeadDoc::load(&doc.save(), actor(2)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(reopened.read().ok(), Some(lead));
        assert_eq!(reopened.schema_version(), SCHEMA_VERSION);
        assert_eq!(doc.changes_since(&[]).len(), 1, "creation is one change");
    }

    #[test]
    fn editing_different_fields_on_two_devices_keeps_both() {
        let mut a = LeadDoc::create(actor(1), &sample()).unwrap_or_else(|e| panic!("{e}"));
        let mut b = fork(&mut a, 2);
        let mut on_a = sample();
        on_a.grade = Grade::H;
        on_a.customer.wechat = Some("wang_wx".into());
        let mut on_b = sample();
        on_b.stage = Stage::Visited;
        on_b.customer.city = Some("上海".into());
        assert!(a.update(&on_a, user(10), 2_000).ok().flatten().is_some());
        assert!(b.update(&on_b, user(11), 2_001).ok().flatten().is_some());
        merge(&mut a, &mut b);
        let (ra, rb) = (a.read().ok(), b.read().ok());
        assert_eq!(ra, rb);
        let merged = ra.unwrap_or_else(sample);
        assert_eq!(merged.grade, Grade::H);
        assert_eq!(merged.stage, Stage::Visited);
        assert_eq!(merged.customer.wechat.as_deref(), Some("wang_wx"));
        assert_eq!(merged.customer.city.as_deref(), Some("上海"));
        assert_eq!(a.heads(), b.heads());
    }

    #[test]
    fn notes_and_models_added_concurrently_all_survive() {
        let mut a = LeadDoc::create(actor(1), &sample()).unwrap_or_else(|e| panic!("{e}"));
        let mut b = fork(&mut a, 2);
        let note = |who, text: &str| Note {
            author: user(who),
            at: 5_000,
            text: text.into(),
        };
        let _ = a.add_note(&note(10, "来店看了 Model Y"));
        let _ = b.add_note(&note(11, "电话回访, 周六试驾"));
        let mut on_a = sample();
        on_a.models.push("Model 3".into());
        let mut on_b = sample();
        on_b.models.push("Model S".into());
        let _ = a.update(&on_a, user(10), 6_000);
        let _ = b.update(&on_b, user(11), 6_000);
        merge(&mut a, &mut b);
        let lead = a.read().unwrap_or_else(|e| panic!("{e}"));
        let mut texts: Vec<&str> = lead.notes.iter().map(|n| n.text.as_str()).collect();
        texts.sort();
        assert_eq!(texts, ["来店看了 Model Y", "电话回访, 周六试驾"]);
        let mut models = lead.models.clone();
        models.sort();
        assert_eq!(models, ["Model 3", "Model S", "Model Y"]);
        assert_eq!(b.read().ok(), Some(lead));
    }

    #[test]
    fn an_edit_that_changes_nothing_makes_no_change() {
        let mut doc = LeadDoc::create(actor(1), &sample()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(doc.update(&sample(), user(10), 9_000).ok(), Some(None));
        assert_eq!(doc.changes_since(&[]).len(), 1);
    }

    #[test]
    fn keys_from_a_newer_version_are_preserved_by_edits() {
        let mut doc = LeadDoc::create(actor(1), &sample()).unwrap_or_else(|e| panic!("{e}"));
        // A newer Showroom adds a budget and bumps the schema.
        doc.0
            .am
            .put(ROOT, "budget_fen", 25_000_000_i64)
            .unwrap_or_else(|e| panic!("{e}"));
        doc.0
            .am
            .put(ROOT, "schema", 2_u64)
            .unwrap_or_else(|e| panic!("{e}"));
        doc.0.am.commit();
        let mut edited = sample();
        edited.grade = Grade::B;
        let _ = doc.update(&edited, user(10), 3_000);
        assert_eq!(doc.read().map(|l| l.grade).ok(), Some(Grade::B));
        assert_eq!(
            get_int(&Fields::of(&doc.0.am, &ROOT), "budget_fen")
                .ok()
                .flatten(),
            Some(25_000_000)
        );
        assert_eq!(doc.schema_version(), 2);
    }

    #[test]
    fn damaged_documents_and_changes_are_errors_not_panics() {
        assert!(LeadDoc::load(b"not automerge", actor(1)).is_err());
        assert!(parse_change(&[0x85, 0x6f, 0x4a, 0x83, 1, 2, 3]).is_err());
        assert!(parse_change(&[]).is_err());
        let mut empty = LeadDoc::empty(actor(1));
        assert!(matches!(empty.read(), Err(DocError::Missing("type"))));
        assert!(empty.apply_bytes([&b"garbage"[..]]).is_err());
    }

    #[test]
    fn changes_with_missing_dependencies_wait_for_them() {
        let mut a = LeadDoc::create(actor(1), &sample()).unwrap_or_else(|e| panic!("{e}"));
        let mut edited = sample();
        edited.stage = Stage::Contacted;
        let _ = a.update(&edited, user(10), 2_000);
        let changes = a.changes_since(&[]);
        let mut b = LeadDoc::empty(actor(2));
        b.apply(vec![changes[1].clone()])
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            b.read().is_err(),
            "nothing readable before the creation arrives"
        );
        assert!(!b.missing_deps().is_empty());
        b.apply(vec![changes[0].clone()])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(b.read().map(|l| l.stage).ok(), Some(Stage::Contacted));
    }

    fn visit(n: u128, by: u128) -> Visit {
        Visit {
            id: VisitId::from_uuid(Uuid::from_u128(n)),
            arrived_at: 10_000,
            left_at: None,
            salesperson: user(by),
            party_size: 2,
            kind: VisitKind::Repeat,
            outcome: VisitOutcome::Lead,
            lead: Some(sample().id),
            steps: VisitSteps::default(),
            created_by: user(by),
        }
    }

    fn drive(n: u128, by: u128) -> TestDrive {
        TestDrive {
            id: DriveId::from_uuid(Uuid::from_u128(n)),
            car: CarId::from_uuid(Uuid::from_u128(50)),
            start: 20_000,
            end: 21_800_000,
            status: DriveStatus::Booked,
            licence: None,
            signature: None,
            out: None,
            back: None,
            created_by: user(by),
            created_at: 15_000,
        }
    }

    fn created() -> LeadDoc {
        LeadDoc::create(actor(1), &sample()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_lead_with_visits_and_drives_round_trips() {
        let mut lead = sample();
        lead.visits = vec![visit(1, 10)];
        let mut signed = drive(2, 10);
        signed.signature = Some(Signature {
            strokes: Strokes::encode(&[vec![(1, 2), (300, 200)]]),
            typed_name: String::new(),
            agreement_version: 1,
            language: "zh".into(),
            signed_at: 19_000,
            captured_by: user(10),
        });
        lead.drives = vec![signed];
        let mut doc = LeadDoc::create(actor(1), &lead).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(doc.read().ok(), Some(lead.clone()));
        let reopened = LeadDoc::load(&doc.save(), actor(2)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(reopened.read().ok(), Some(lead));
    }

    #[test]
    fn test_drives_added_offline_on_two_devices_are_both_kept() {
        let mut a = created();
        let mut b = fork(&mut a, 2);
        let (on_a, on_b) = (drive(1, 10), drive(2, 11));
        assert!(
            a.put_record(&on_a, user(10), 2_000)
                .ok()
                .flatten()
                .is_some()
        );
        assert!(
            b.put_record(&on_b, user(11), 2_001)
                .ok()
                .flatten()
                .is_some()
        );
        merge(&mut a, &mut b);
        let lead = a.read().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lead.drives, vec![on_a, on_b]);
        assert_eq!(b.read().ok(), Some(lead));
        assert_eq!(a.heads(), b.heads());
    }

    #[test]
    fn edits_to_different_fields_of_one_visit_are_both_kept() {
        let mut a = created();
        let v = visit(1, 10);
        assert!(a.put_record(&v, user(10), 2_000).ok().flatten().is_some());
        let mut b = fork(&mut a, 2);
        // A records that the visitor left; B, offline, ticks the quote and
        // the party size, through an edit of the whole lead.
        let mut left = v.clone();
        left.left_at = Some(3_000);
        assert!(
            a.put_record(&left, user(10), 3_000)
                .ok()
                .flatten()
                .is_some()
        );
        let mut lead_b = b.read().unwrap_or_else(|e| panic!("{e}"));
        lead_b.visits[0].steps.quote = true;
        lead_b.visits[0].party_size = 4;
        assert!(b.update(&lead_b, user(11), 3_001).ok().flatten().is_some());
        merge(&mut a, &mut b);
        let merged = a.read().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(b.read().ok().as_ref(), Some(&merged));
        let mut both = v;
        both.left_at = Some(3_000);
        both.steps.quote = true;
        both.party_size = 4;
        assert_eq!(merged.visits, vec![both]);
    }

    #[test]
    fn an_edit_of_a_record_writes_only_what_changed() {
        let mut doc = created();
        let v = visit(1, 10);
        assert!(doc.put_record(&v, user(10), 2_000).ok().flatten().is_some());
        assert_eq!(doc.put_record(&v, user(10), 2_500).ok(), Some(None));
        let heads = doc.heads();
        let mut left = v;
        left.left_at = Some(3_000);
        assert!(
            doc.put_record(&left, user(11), 3_000)
                .ok()
                .flatten()
                .is_some()
        );
        let change = doc.changes_since(&heads);
        assert_eq!(change.len(), 1);
        // `left_at`, and the lead's `updated_by` and `updated_at` (another
        // user edits it now).
        assert_eq!(change[0].len(), 3, "ops in the edit");
    }

    #[test]
    fn a_record_field_unknown_to_this_build_survives_its_edits() {
        let mut doc = created();
        let v = visit(1, 10);
        assert!(doc.put_record(&v, user(10), 2_000).ok().flatten().is_some());
        // A newer Showroom writes a field this build does not know, in the
        // visit and in its steps.
        let am = &mut doc.0.am;
        let Ok(Some((Value::Object(ObjType::Map), obj))) = am.get(ROOT, format!("visit:{}", v.id))
        else {
            panic!("the visit is a map in the root")
        };
        let Ok(Some((Value::Object(ObjType::Map), steps))) = am.get(&obj, "steps") else {
            panic!("the steps are a map")
        };
        am.put(&obj, "mood", "curious")
            .unwrap_or_else(|e| panic!("{e}"));
        am.put(&steps, "brochure", true)
            .unwrap_or_else(|e| panic!("{e}"));
        am.commit();
        assert_eq!(doc.read().ok().map(|l| l.visits), Some(vec![v.clone()]));
        // This build edits the visit, by record and through the lead.
        let mut edited = v;
        edited.left_at = Some(3_000);
        edited.steps.greeted = true;
        assert!(
            doc.put_record(&edited, user(10), 3_000)
                .ok()
                .flatten()
                .is_some()
        );
        let mut lead = doc.read().unwrap_or_else(|e| panic!("{e}"));
        lead.visits[0].party_size = 5;
        edited.party_size = 5;
        assert!(doc.update(&lead, user(10), 4_000).ok().flatten().is_some());
        let reopened = LeadDoc::load(&doc.save(), actor(3)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(reopened.read().ok().map(|l| l.visits), Some(vec![edited]));
        let am = &reopened.0.am;
        let Ok(Some((_, obj))) = am.get(
            ROOT,
            format!("visit:{}", VisitId::from_uuid(Uuid::from_u128(1))),
        ) else {
            panic!("the visit")
        };
        let text = |obj: &ObjId, key: &str| match am.get(obj, key) {
            Ok(Some((Value::Scalar(v), _))) => Some(v.to_string()),
            _ => None,
        };
        assert_eq!(text(&obj, "mood").as_deref(), Some("\"curious\""));
        let Ok(Some((_, steps))) = am.get(&obj, "steps") else {
            panic!("the steps")
        };
        assert_eq!(text(&steps, "brochure").as_deref(), Some("true"));
    }
}

#[cfg(test)]
mod quote_tests {
    use super::*;
    use crate::doc::actor_from_bytes;
    use crate::domain::Money;
    use crate::domain::quote::tests::worked_example;
    use crate::domain::quote::{Finance, QuoteRules};

    #[test]
    fn a_quote_version_round_trips_through_the_lead() {
        let mut lead = super::tests::sample();
        let mut v = worked_example();
        v.finance = Some(Finance {
            down: Money::ZERO,
            down_bp: Some(3_000),
            months: 36,
            apr_bp: 350,
        });
        v.recompute(&QuoteRules::default());
        let mut doc =
            LeadDoc::create(actor_from_bytes([1; 16]), &lead).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            doc.put_quote(&v, lead.created_by, 2_000)
                .ok()
                .flatten()
                .is_some()
        );
        let back =
            LeadDoc::load(&doc.save(), actor_from_bytes([2; 16])).unwrap_or_else(|e| panic!("{e}"));
        lead = back.read().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lead.quotes, vec![v.clone()]);
        // Edited as the builder does: no finance, then 15 % down, then 30 %.
        let mut doc = back;
        let mut w = v.clone();
        for finance in [None, Some(1_500), Some(3_000)] {
            w.finance = finance.map(|bp| Finance {
                down: Money::ZERO,
                down_bp: Some(bp),
                months: 36,
                apr_bp: 350,
            });
            w.recompute(&QuoteRules::default());
            let _ = doc.put_quote(&w, lead.created_by, 3_000);
            assert_eq!(doc.read().map(|l| l.quotes).ok(), Some(vec![w.clone()]));
        }
    }
}
