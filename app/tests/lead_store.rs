//! The lead store against real IndexedDB in headless Chromium: saves survive a reload, server pages and acks land exactly, and a damaged record never stops the list.

use showroom_app::local::db::{DOCS, SUMMARIES};
use showroom_app::local::judge::{self, Verdict};
use showroom_app::local::session;
use showroom_app::local::store::StoreError as LeadStoreError;
use showroom_app::local::summary::{LeadQuery, LeadSummary, SummaryIndex};
use showroom_shared::doc::{LeadDoc, actor_from_bytes};
use showroom_shared::domain::quote::{Approval, ApprovalId, VersionId};
use showroom_shared::domain::{
    Customer, DealerId, DocId, Grade, Lead, LeadId, Note, Role, Source, Stage, UserId,
};
use showroom_shared::rules::{Author, Breach, Policy};
use showroom_shared::sync::DocChanges;
use uuid::Uuid;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// A lead's writes (`local::leads`) and the document store they are built
/// on (`local::store`), under the one name these tests use.
mod leads {
    pub use showroom_app::local::leads::*;
    pub use showroom_app::local::store::*;
}

fn user() -> UserId {
    UserId::from_uuid(Uuid::from_u128(7))
}

fn lead(n: u128, name: &str) -> Lead {
    Lead {
        id: LeadId::from_uuid(Uuid::from_u128(n)),
        dealer: DealerId::from_uuid(Uuid::from_u128(2)),
        customer: Customer {
            name: name.into(),
            mobile: Some("13812345678".parse().expect("a phone")),
            wechat: None,
            city: None,
        },
        source: Source::WalkIn,
        models: vec!["Camry".into()],
        grade: Grade::N,
        stage: Stage::New,
        owner: Some(user()),
        next_follow_up: Some("2026-11-28".parse().expect("a date")),
        notes: vec![],
        created_by: user(),
        created_at: 1_795_000_000_000,
        updated_by: user(),
        updated_at: 1_795_000_000_000,
        ..Lead::new(
            LeadId::from_uuid(Uuid::from_u128(n)),
            DealerId::from_uuid(Uuid::from_u128(2)),
            user(),
            1_795_000_000_000,
        )
    }
}

/// A wiped device with `user()`, a salesperson, signed in (every change
/// the store makes is judged by the rules for them: `local::judge`).
async fn fresh_device() {
    session::clear_device()
        .await
        .unwrap_or_else(|e| panic!("wiping the device failed: {e}"));
    signed_in_as(Role::Salesperson);
}

fn signed_in_as(role: Role) {
    judge::set(Some(judge::Judge {
        dealer: DealerId::from_uuid(Uuid::from_u128(2)),
        author: Author { user: user(), role },
        policy: Policy::default(),
    }));
}

fn ok<T, E: std::fmt::Display>(r: Result<T, E>, what: &str) -> T {
    r.unwrap_or_else(|e| panic!("{what} failed: {e}"))
}

#[wasm_bindgen_test]
async fn a_created_lead_reads_back_from_a_fresh_handle() {
    fresh_device().await;
    let l = lead(1, "Wang Fang");
    ok(leads::create(&l).await, "create");
    // Every call opens the database anew: this is what a reload sees.
    let open = ok(leads::load(l.id).await, "load");
    assert_eq!(open.lead, l);
    assert!(!open.read_only);
    let summaries = ok(leads::summaries().await, "summaries");
    assert_eq!(summaries, vec![showroom_app::local::summary::of(&l)]);
    assert_eq!(ok(leads::outbox_count().await, "count"), 1);
}

#[wasm_bindgen_test]
async fn an_edit_and_a_note_are_each_one_saved_change_that_survives_a_reload() {
    fresh_device().await;
    let l = lead(2, "Li Wei");
    ok(leads::create(&l).await, "create");
    let mut edited = l.clone();
    edited.customer.city = Some("Shanghai".into());
    edited.grade = Grade::H;
    assert!(ok(
        leads::edit(&l, &edited, user(), 1_795_000_100_000).await,
        "edit"
    ));
    assert_eq!(
        ok(leads::outbox_count().await, "count"),
        2,
        "one change for the edit"
    );
    assert_eq!(ok(leads::incremental_count(l.id).await, "incremental"), 1);
    let note = Note {
        author: user(),
        at: 1_795_000_200_000,
        text: "周六再来看车".into(),
    };
    ok(leads::add_note(l.id, &note).await, "note");
    assert_eq!(
        ok(leads::outbox_count().await, "count"),
        3,
        "one change for the note"
    );

    let open = ok(leads::load(l.id).await, "load");
    assert_eq!(open.lead.customer.city.as_deref(), Some("Shanghai"));
    assert_eq!(open.lead.grade, Grade::H);
    assert_eq!(open.lead.notes, vec![note]);
    let summary = &ok(leads::summaries().await, "summaries")[0];
    assert_eq!(summary.grade, Grade::H, "the summary moved with the edit");

    // Saving the same values again writes nothing.
    assert!(!ok(
        leads::edit(&open.lead, &open.lead, user(), 1).await,
        "edit"
    ));
    assert_eq!(ok(leads::outbox_count().await, "count"), 3);
}

#[wasm_bindgen_test]
async fn an_edit_keeps_fields_that_changed_meanwhile() {
    fresh_device().await;
    let l = lead(3, "Zhao Min");
    ok(leads::create(&l).await, "create");
    // Another tab changes the stage while this form is open.
    let mut other = l.clone();
    other.stage = Stage::Contacted;
    ok(leads::edit(&l, &other, user(), 2).await, "other edit");
    let mut mine = l.clone();
    mine.customer.wechat = Some("zhaomin88".into());
    ok(leads::edit(&l, &mine, user(), 3).await, "my edit");
    let open = ok(leads::load(l.id).await, "load").lead;
    assert_eq!(open.stage, Stage::Contacted);
    assert_eq!(open.customer.wechat.as_deref(), Some("zhaomin88"));
}

#[wasm_bindgen_test]
async fn many_edits_are_compacted_into_the_snapshot() {
    fresh_device().await;
    let l = lead(4, "Chen Jie");
    ok(leads::create(&l).await, "create");
    let mut current = l.clone();
    for i in 0..30 {
        let mut next = current.clone();
        next.customer.city = Some(format!("City {i}"));
        ok(leads::edit(&current, &next, user(), i).await, "edit");
        current = next;
    }
    let incremental = ok(leads::incremental_count(l.id).await, "incremental");
    assert!(
        incremental <= leads::COMPACT_AFTER,
        "{incremental} incremental changes kept"
    );
    let open = ok(leads::load(l.id).await, "load").lead;
    assert_eq!(open.customer.city.as_deref(), Some("City 29"));
    assert_eq!(
        ok(leads::outbox_count().await, "count"),
        31,
        "compaction leaves the outbox alone"
    );
}

fn remote(lead: &Lead) -> LeadDoc {
    LeadDoc::create(actor_from_bytes([9; 16]), lead).expect("a document")
}

#[wasm_bindgen_test]
async fn a_server_page_is_applied_with_its_cursor() {
    fresh_device().await;
    assert_eq!(ok(leads::cursor().await, "cursor"), 0);
    let l = lead(5, "Sun Li");
    let mut doc = remote(&l);
    let changes: Vec<Vec<u8>> = doc
        .changes_since(&[])
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    let page = vec![DocChanges {
        doc: l.id.into(),
        changes,
    }];
    let changed = ok(leads::apply_page(&page, Some(42)).await, "apply");
    assert_eq!(changed, vec![l.id.into()]);
    assert_eq!(ok(leads::cursor().await, "cursor"), 42);
    assert_eq!(ok(leads::load(l.id).await, "load").lead, l);
    assert_eq!(ok(leads::summaries().await, "summaries").len(), 1);
    assert_eq!(
        ok(leads::outbox_count().await, "count"),
        0,
        "received changes are not sent back"
    );

    // The same page again (a retransmission) changes nothing; a page without
    // a cursor leaves it where it was.
    assert!(ok(leads::apply_page(&page, None).await, "again").is_empty());
    assert_eq!(ok(leads::cursor().await, "cursor"), 42);
}

#[wasm_bindgen_test]
async fn acked_removes_exactly_the_acked_changes() {
    fresh_device().await;
    let l = lead(6, "Zhou Xun");
    ok(leads::create(&l).await, "create");
    let pushed = ok(leads::outbox().await, "outbox");
    assert_eq!(pushed.len(), 1);
    // Saved after the push, so not in it.
    let mut edited = l.clone();
    edited.stage = Stage::Visited;
    ok(leads::edit(&l, &edited, user(), 5).await, "edit");
    ok(leads::acked(&leads::group(&pushed)).await, "ack");
    let left = ok(leads::outbox().await, "outbox");
    assert_eq!(left.len(), 1);
    assert_ne!(left[0].key, pushed[0].key, "the later change stays");
    assert_eq!(left[0].doc, l.id.into());
}

#[wasm_bindgen_test]
async fn changes_with_missing_dependencies_wait_for_them() {
    fresh_device().await;
    let l = lead(7, "Guo Jing");
    let mut doc = remote(&l);
    let first: Vec<Vec<u8>> = doc
        .changes_since(&[])
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    let heads = doc.heads();
    let mut edited = l.clone();
    edited.customer.city = Some("Hangzhou".into());
    doc.update(&edited, user(), 9).expect("an edit");
    let second: Vec<Vec<u8>> = doc
        .changes_since(&heads)
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();

    // The edit arrives before the lead's creation.
    let page = |changes| {
        vec![DocChanges {
            doc: l.id.into(),
            changes,
        }]
    };
    ok(
        leads::apply_page(&page(second), Some(1)).await,
        "apply the edit",
    );
    assert_eq!(
        ok(leads::incremental_count(l.id).await, "incremental"),
        1,
        "kept, not lost"
    );
    assert!(
        matches!(leads::load(l.id).await, Err(LeadStoreError::Damaged(_))),
        "not readable yet"
    );

    ok(
        leads::apply_page(&page(first), Some(2)).await,
        "apply the creation",
    );
    let open = ok(leads::load(l.id).await, "load").lead;
    assert_eq!(open.customer.city.as_deref(), Some("Hangzhou"));
    assert_eq!(ok(leads::summaries().await, "summaries").len(), 1);
}

#[wasm_bindgen_test]
async fn a_corrupt_snapshot_or_summary_does_not_stop_the_list() {
    fresh_device().await;
    let good = lead(8, "Good Lead");
    ok(leads::create(&good).await, "create");
    let bad = LeadId::from_uuid(Uuid::from_u128(9));
    let garbage = js_sys::Uint8Array::from(&[1u8, 2, 3, 4, 5][..]);
    ok(
        leads::write_raw(DOCS, &bad.to_string(), &garbage.into()).await,
        "plant snapshot",
    );
    ok(
        leads::write_raw(SUMMARIES, &bad.to_string(), &JsValue::from_str("{not json")).await,
        "plant summary",
    );
    ok(
        leads::write_raw(DOCS, &good.id.to_string(), &JsValue::from_str("not bytes")).await,
        "break good",
    );

    let summaries = ok(leads::summaries().await, "summaries");
    assert_eq!(summaries.len(), 1, "the damaged summary is skipped");
    assert!(
        leads::load(bad).await.is_err(),
        "a damaged lead is an error, not a crash"
    );
}

#[wasm_bindgen_test]
async fn searching_ten_thousand_leads_by_name_and_partial_mobile() {
    fresh_device().await;
    let all: Vec<LeadSummary> = (0..10_000u128)
        .map(|i| LeadSummary {
            id: LeadId::from_uuid(Uuid::from_u128(100_000 + i)),
            name: format!("Customer {i:05}"),
            mobile: Some(format!("+86139{:08}", i * 7)),
            grade: Grade::ALL[(i % 7) as usize],
            stage: Stage::ALL[(i % 8) as usize],
            follow_up_on: None,
            next_follow_up: None,
            next_due: None,
            owner: None,
            source: showroom_shared::domain::Source::WalkIn,
            models: vec![],
            updated_at: 0,
            approvals_waiting: 0,
            tasks: Vec::new(),
            lost_waiting: false,
            awaiting_first_contact: false,
            created_at: 0,
            collisions_open: 0,
            absorbed: Vec::new(),
            approved_at: None,
        })
        .collect();
    ok(leads::put_summaries(&all).await, "write");

    let started = js_sys::Date::now();
    let index = SummaryIndex::new(ok(leads::summaries().await, "summaries"));
    let loaded = js_sys::Date::now();
    assert_eq!(index.len(), 10_000);

    let query = |text: &str| LeadQuery {
        text: text.into(),
        ..LeadQuery::default()
    };
    let (rows, total) = index.search(&query("customer 01234"), 100);
    assert_eq!(total, 1);
    assert_eq!(rows[0].name, "Customer 01234");
    // 1234 * 7 = 8638 → +8613900008638; typed with spaces, partially.
    let (rows, total) = index.search(&query("139 0000 863"), 100);
    assert!(rows.iter().any(|r| r.name == "Customer 01234"), "{rows:?}");
    assert!(total >= 1);
    let (rows, total) = index.search(&query(""), 100);
    assert_eq!((rows.len(), total), (100, 10_000));
    let h = LeadQuery {
        grades: vec![Grade::H],
        ..LeadQuery::default()
    };
    assert_eq!(index.search(&h, 100).1, 10_000 / 7 + 1);
    let searched = js_sys::Date::now();
    web_sys::console::log_1(
        &format!(
            "10,000 summaries: read and indexed in {:.0} ms, four searches in {:.0} ms",
            loaded - started,
            searched - loaded
        )
        .into(),
    );
}

#[wasm_bindgen_test]
async fn a_save_that_fails_part_way_leaves_nothing_behind() {
    use showroom_app::local::db::{self, OUTBOX, Tx};
    fresh_device().await;
    let database = ok(db::connection().await, "open");
    {
        let tx = ok(Tx::write(&database, &[DOCS, OUTBOX]), "tx");
        ok(tx.put_bytes(DOCS, "half", &[1, 2, 3]), "put");
        ok(tx.put_bytes(OUTBOX, "half:x", &[4]), "put");
        // Dropped without commit, as when a later step of a save fails.
    }
    assert_eq!(ok(leads::outbox_count().await, "count"), 0);
    assert!(matches!(
        leads::load(LeadId::from_uuid(Uuid::from_u128(0))).await,
        Err(LeadStoreError::NotFound)
    ));
    let tx = ok(Tx::read(&database, &[DOCS]), "tx");
    assert!(
        ok(tx.get(DOCS, "half").await, "get").is_none(),
        "the aborted write is gone"
    );
}

/// The leak of issue 7: every IndexedDB request kept its request (and so its
/// result — the whole list of summaries) referenced from wasm forever.
#[wasm_bindgen_test]
async fn reading_the_list_again_and_again_keeps_nothing_alive_and_reuses_one_connection() {
    use showroom_app::local::db;
    fresh_device().await;
    let many: Vec<LeadSummary> = (0..500u128)
        .map(|n| showroom_app::local::summary::of(&lead(1_000 + n, &format!("Lead {n}"))))
        .collect();
    ok(leads::put_summaries(&many).await, "put");
    // Warm up: the connection is open, lazily created things exist.
    ok(leads::summaries().await, "read");
    let opened = db::connections_opened();
    let live = wasm_bindgen::externref_heap_live_count();
    for _ in 0..200 {
        assert_eq!(ok(leads::summaries().await, "read").len(), 500);
        ok(leads::outbox_count().await, "count");
        ok(leads::meta(leads::META_CURSOR).await, "meta");
    }
    let after = wasm_bindgen::externref_heap_live_count();
    assert!(
        after <= live + 16,
        "600 reads left {} JS values referenced from wasm (from {live} to {after})",
        after.saturating_sub(live)
    );
    assert_eq!(db::connections_opened(), opened, "one connection, reused");
}

/// A page of many leads new to the device is stored in one transaction:
/// stopped part-way (the tab closing), none of it is there and the cursor
/// has not moved; applied again, all of it is.
#[wasm_bindgen_test]
async fn a_page_of_new_leads_is_stored_whole_or_not_at_all() {
    use futures::FutureExt;
    fresh_device().await;
    let page: Vec<DocChanges> = (0..400u128)
        .map(|n| {
            let l = lead(5_000 + n, &format!("Page Lead {n}"));
            let mut doc = remote(&l);
            DocChanges {
                doc: l.id.into(),
                changes: doc
                    .changes_since(&[])
                    .iter()
                    .map(|c| c.raw_bytes().to_vec())
                    .collect(),
            }
        })
        .collect();
    // Stop the apply after more and more turns of the event loop, as a
    // reload would at any moment: each time, none or all of it is there.
    let mut interrupted_before_the_end = 0;
    for turns in [0, 1, 3, 8, 20, 50, 120] {
        fresh_device().await;
        {
            let mut apply = Box::pin(leads::apply_page(&page, Some(400)));
            let mut done = false;
            for _ in 0..turns {
                if (&mut apply).now_or_never().is_some() {
                    done = true;
                    break;
                }
                leads::yield_now().await;
            }
            if !done {
                interrupted_before_the_end += 1;
            }
        }
        gloo_timers::future::TimeoutFuture::new(30).await;
        let cursor = ok(leads::cursor().await, "cursor");
        let stored = ok(leads::summaries().await, "summaries").len();
        assert!(
            (cursor, stored) == (0, 0) || (cursor, stored) == (400, 400),
            "stopped after {turns} turns: cursor {cursor} with {stored} of 400 leads stored"
        );
    }
    assert!(
        interrupted_before_the_end >= 3,
        "the apply was interrupted part-way"
    );
    fresh_device().await;

    let changed = ok(leads::apply_page(&page, Some(400)).await, "apply");
    assert_eq!(changed.len(), 400);
    assert_eq!(ok(leads::cursor().await, "cursor"), 400);
    assert_eq!(
        ok(leads::summaries().await, "summaries").len(),
        400,
        "all of it"
    );
    let some = page[123].doc;
    assert_eq!(
        ok(
            leads::load(some.as_lead().unwrap_or_else(|| panic!("a lead"))).await,
            "load"
        )
        .lead
        .customer
        .name,
        "Page Lead 123"
    );
}

#[wasm_bindgen_test]
fn a_full_quota_is_recognised() {
    use showroom_app::local::db::DbError;
    let e = web_sys::DomException::new_with_message_and_name("full", "QuotaExceededError")
        .expect("a DOMException");
    assert_eq!(DbError::from_js(&e.into()), DbError::Quota);
    let other = web_sys::DomException::new_with_message_and_name("x", "AbortError")
        .expect("a DOMException");
    assert!(matches!(DbError::from_js(&other.into()), DbError::Other(_)));
    assert!(LeadStoreError::Db(DbError::Quota).is_quota());
}

#[wasm_bindgen_test]
/// A lead the server never had (its creation was refused with the rest):
/// discarding its unsynced changes takes the whole lead off the device, as
/// the server holds it — and leaves the other leads' changes waiting.
async fn discarding_a_lead_the_server_never_had_removes_it_and_keeps_the_others() {
    fresh_device().await;
    let refused = lead(21, "Refused Lead");
    let other = lead(22, "Other Lead");
    ok(leads::create(&refused).await, "create refused");
    ok(leads::create(&other).await, "create other");
    let mut edited = refused.clone();
    edited.stage = Stage::Visited;
    edited.customer.city = Some("Suzhou".into());
    assert!(ok(
        leads::edit(&refused, &edited, user(), 9).await,
        "edit refused"
    ));
    ok(
        leads::add_note(
            refused.id,
            &Note {
                author: user(),
                at: 10,
                text: "wants a discount".into(),
            },
        )
        .await,
        "note",
    );
    assert_eq!(ok(leads::outbox_count().await, "count"), 4);

    assert_eq!(
        ok(leads::discard_outbox(refused.id.into()).await, "discard"),
        3
    );
    let left = ok(leads::outbox().await, "outbox");
    assert_eq!(left.len(), 1, "only the other lead's change waits");
    assert_eq!(left[0].doc, other.id.into());
    assert_eq!(ok(leads::outbox_count().await, "count"), 1);

    // The lead is gone, also read afresh (a reload), and from the list.
    assert_eq!(
        leads::load(refused.id).await.map(|o| o.lead),
        Err(LeadStoreError::NotFound)
    );
    let summaries = ok(leads::summaries().await, "summaries");
    assert_eq!(
        summaries.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![other.id],
        "only the other lead is listed"
    );
    // The other lead opens and can still be edited.
    let mut later = other.clone();
    later.grade = Grade::H;
    assert!(ok(
        leads::edit(&other, &later, user(), 11).await,
        "other edit"
    ));
    assert_eq!(ok(leads::outbox_count().await, "count"), 2);
    // Nothing left to discard of the refused lead.
    assert_eq!(
        ok(leads::discard_outbox(refused.id.into()).await, "again"),
        0
    );
}

/// A device updated from version 2 of the database: its bare lead keys
/// (`<lead>`, `<lead>:<hash>`) are moved to `lead:…` in the upgrade, so an
/// unsynced outbox survives and the lead still opens.
#[wasm_bindgen_test]
async fn a_version_2_database_keeps_its_leads_and_outbox_on_upgrade() {
    fresh_device().await;
    let l = lead(42, "Upgraded Lead");
    let mut doc = ok(LeadDoc::create(actor_from_bytes([9; 16]), &l), "doc");
    let snapshot = js_sys::Uint8Array::from(doc.save().as_slice());
    let change = doc
        .changes_since(&[])
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("a change"));
    let change_bytes = js_sys::Uint8Array::from(change.raw_bytes());
    let id = l.id.to_string();
    let hash = change.hash().to_string();
    // The layout version 2 wrote, by hand.
    let write_v2 = js_sys::Function::new_with_args(
        "id, hash, snapshot, change",
        r#"return new Promise((resolve, reject) => {
            const r = indexedDB.open('showroom', 2);
            r.onupgradeneeded = () => {
                for (const s of ['session', 'docs', 'doc_changes', 'summaries', 'outbox', 'meta']) r.result.createObjectStore(s);
            };
            r.onerror = () => reject(r.error);
            r.onsuccess = () => {
                const db = r.result;
                const tx = db.transaction(['docs', 'outbox'], 'readwrite');
                tx.objectStore('docs').put(snapshot, id);
                tx.objectStore('outbox').put(change, id + ':' + hash);
                tx.oncomplete = () => { db.close(); resolve(); };
                tx.onerror = () => reject(tx.error);
            };
        });"#,
    );
    let promise = write_v2
        .call4(
            &JsValue::NULL,
            &JsValue::from_str(&id),
            &JsValue::from_str(&hash),
            &snapshot,
            &change_bytes,
        )
        .unwrap_or_else(|e| panic!("writing version 2 failed: {e:?}"));
    ok(
        wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(promise))
            .await
            .map_err(|e| format!("{e:?}")),
        "writing version 2",
    );

    let pending = ok(leads::outbox().await, "outbox");
    assert_eq!(pending.len(), 1, "the unsynced change survived the upgrade");
    assert_eq!(pending[0].doc, l.id.into());
    assert_eq!(pending[0].key, format!("lead:{id}:{hash}"));
    assert_eq!(
        ok(leads::load(l.id).await, "load").lead.customer.name,
        "Upgraded Lead",
        "the lead opens from its moved snapshot"
    );
}

#[wasm_bindgen_test]
async fn after_a_restore_the_device_resends_exactly_its_own_changes() {
    fresh_device().await;
    // Its own lead, edited, both acknowledged: the outbox is empty.
    let mine = lead(21, "Own Lead");
    ok(leads::create(&mine).await, "create");
    let mut edited = mine.clone();
    edited.stage = Stage::Visited;
    ok(leads::edit(&mine, &edited, user(), 5).await, "edit");
    let sent = ok(leads::outbox().await, "outbox");
    assert_eq!(sent.len(), 2);
    ok(leads::acked(&leads::group(&sent)).await, "ack");
    // Another device's lead, received from the server.
    let theirs = lead(22, "Their Lead");
    let mut doc = remote(&theirs);
    let page = vec![DocChanges {
        doc: theirs.id.into(),
        changes: doc
            .changes_since(&[])
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect(),
    }];
    ok(leads::apply_page(&page, Some(30)).await, "apply");
    assert_eq!(ok(leads::outbox_count().await, "count"), 0);
    ok(
        leads::set_meta(leads::META_LOG, Some(JsValue::from_f64(5.0))).await,
        "log",
    );

    // The server was restored: its log is now 6.
    let queued = ok(leads::resend_own(6).await, "resend");
    assert_eq!(queued, 2, "its two changes, not the other device's");
    let again = ok(leads::outbox().await, "outbox");
    let mut keys: Vec<_> = again.iter().map(|p| p.key.clone()).collect();
    let mut before: Vec<_> = sent.iter().map(|p| p.key.clone()).collect();
    keys.sort();
    before.sort();
    assert_eq!(keys, before, "the same changes, under the same keys");
    assert!(again.iter().all(|p| p.doc == mine.id.into()));
    assert_eq!(ok(leads::log().await, "log"), 6);
    assert_eq!(ok(leads::cursor().await, "cursor"), 0, "it starts over");
    // What it holds is untouched.
    assert_eq!(
        ok(leads::load(mine.id).await, "load").lead.stage,
        Stage::Visited
    );
    assert_eq!(ok(leads::load(theirs.id).await, "load").lead, theirs);
}

/// The device judges each change by the server's rules before saving it: a
/// salesperson's approval (a forged one, or a stale app's) is never made —
/// not in the lead, not in the outbox — and with nobody signed in nothing
/// is saved at all.
#[wasm_bindgen_test]
async fn a_change_the_server_would_refuse_is_never_made() {
    fresh_device().await;
    let l = lead(30, "Ms Fang");
    ok(leads::create(&l).await, "create");
    let before = ok(leads::outbox_count().await, "count");
    let approval = Approval {
        id: ApprovalId::from_uuid(Uuid::from_u128(31)),
        version: VersionId::from_uuid(Uuid::from_u128(32)),
        digest: "terms".into(),
        approved: true,
        comment: "ok by sales1".into(),
        decided_by: user(),
        decided_at: 1,
    };
    match leads::put_approval(l.id, &approval, 2).await {
        Err(LeadStoreError::Refused(Verdict::Breach(Breach::Role { .. }))) => {}
        other => panic!("a salesperson's approval must be refused, got {other:?}"),
    }
    assert_eq!(
        ok(leads::outbox_count().await, "count"),
        before,
        "nothing waits to sync"
    );
    assert!(
        ok(leads::load(l.id).await, "load")
            .lead
            .approvals
            .is_empty()
    );
    // A manager's is made.
    signed_in_as(Role::Manager);
    assert!(ok(
        leads::put_approval(l.id, &approval, 3).await,
        "a manager's approval"
    ));
    assert_eq!(ok(leads::load(l.id).await, "load").lead.approvals.len(), 1);
    // Nobody signed in: nothing is saved (the rules fail closed).
    judge::set(None);
    let note = Note {
        author: user(),
        at: 4,
        text: "after sign-out".into(),
    };
    assert_eq!(
        leads::add_note(l.id, &note).await,
        Err(LeadStoreError::Refused(Verdict::NoSession))
    );
    assert!(ok(leads::load(l.id).await, "load").lead.notes.is_empty());
    signed_in_as(Role::Salesperson);
}

/// Discarding a refused lead's unsynced changes takes them out of the lead
/// too: the device shows what the server holds, not the refused edit.
#[wasm_bindgen_test]
async fn discarding_unsynced_changes_shows_what_the_server_holds() {
    fresh_device().await;
    let l = lead(40, "Mr Lu");
    ok(leads::create(&l).await, "create");
    let pushed = ok(leads::outbox().await, "outbox");
    ok(
        leads::acked(&leads::group(&pushed)).await,
        "the server has the lead",
    );
    let mut edited = l.clone();
    edited.grade = Grade::H;
    edited.customer.name = "Mr Lu (refused)".into();
    ok(leads::edit(&l, &edited, user(), 5).await, "edit");
    let note = Note {
        author: user(),
        at: 6,
        text: "on top of the refused edit".into(),
    };
    ok(leads::add_note(l.id, &note).await, "note");
    assert_eq!(ok(leads::outbox_count().await, "count"), 2);
    assert_eq!(ok(leads::discard_outbox(l.id.into()).await, "discard"), 2);
    assert_eq!(ok(leads::outbox_count().await, "count"), 0);
    let open = ok(leads::load(l.id).await, "load").lead;
    assert_eq!(open, l, "the lead as the server holds it");
    let summary = &ok(leads::summaries().await, "summaries")[0];
    assert_eq!(summary.name, "Mr Lu");
    // It can be edited again afterwards, from there.
    ok(leads::edit(&l, &edited, user(), 7).await, "edit again");
    assert_eq!(ok(leads::load(l.id).await, "load").lead.grade, Grade::H);
}

/// One truth about follow-ups: the summary Today and the lead list read
/// says the next follow-up is the earliest open task (an overdue one
/// included), else the lead's date; and a lead whose customer came on a
/// test drive has been reached.
#[wasm_bindgen_test]
fn the_summary_says_what_today_and_the_list_say_about_follow_ups() {
    use showroom_shared::domain::followup::{Task, TaskId, TaskKind};
    use showroom_shared::domain::showroom::{DriveId, DriveOut, TestDrive};
    let mut l = lead(50, "Ms Sun");
    l.next_follow_up = Some("2030-01-01".parse().expect("a date"));
    let overdue = 1_700_000_000_000;
    l.tasks = vec![Task {
        id: TaskId::from_uuid(Uuid::from_u128(51)),
        kind: TaskKind::Call,
        due: overdue,
        assignee: user(),
        note: String::new(),
        car: None,
        completion: None,
        cancelled: false,
        created_by: user(),
        created_at: 0,
    }];
    let s = showroom_app::local::summary::of(&l);
    assert_eq!(
        s.next_due,
        Some(overdue),
        "the overdue task, not the later date"
    );
    assert!(
        s.next_follow_up
            .is_some_and(|d| d < "2030-01-01".parse().expect("a date"))
    );
    assert!(
        s.awaiting_first_contact,
        "nobody has reached the customer yet"
    );
    let mut drive = TestDrive::booked(
        DriveId::from_uuid(Uuid::from_u128(52)),
        showroom_shared::domain::catalogue::CarId::from_uuid(Uuid::from_u128(53)),
        0,
        1,
        user(),
        0,
    );
    drive.out = Some(DriveOut {
        at: 5,
        odometer_km: 100,
        fuel_pct: 80,
        route: String::new(),
        companion: None,
        recorded_by: user(),
    });
    l.drives = vec![drive];
    assert!(
        !showroom_app::local::summary::of(&l).awaiting_first_contact,
        "a test drive reaches the customer"
    );
}

/// A lead the user may no longer see (a page's `removed`) leaves the
/// device at once — list, document — but what the device wrote in it and
/// the server has not acknowledged stays in the outbox; the receipt is due
/// only once that is acknowledged, and is owed until the server records it.
#[wasm_bindgen_test]
async fn a_removed_lead_leaves_the_device_after_its_unsent_work_and_owes_a_receipt() {
    fresh_device().await;
    let gone = lead(61, "Moved Away");
    let kept = lead(62, "Still Mine");
    ok(leads::create(&gone).await, "create");
    ok(leads::create(&kept).await, "create");
    let doc: DocId = gone.id.into();

    // The open lists hear of it (the tab's lead index drops the row).
    let heard = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let _listening = showroom_app::local::store::subscribe({
        let heard = heard.clone();
        move |change: &showroom_app::local::store::StoreChange| {
            heard.borrow_mut().extend(change.removed.iter().copied());
        }
    });
    ok(leads::remove_docs(&[doc], &[]).await, "remove");
    assert_eq!(*heard.borrow(), vec![gone.id], "the lists are told it left");
    let listed: Vec<LeadId> = ok(leads::summaries().await, "list")
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(listed, vec![kept.id], "the list no longer shows it");
    assert!(matches!(
        leads::load(gone.id).await,
        Err(LeadStoreError::NotFound)
    ));
    let pending = ok(leads::outbox().await, "outbox");
    assert!(
        pending.iter().any(|p| p.doc == doc),
        "its unsent creation is still sent"
    );
    assert_eq!(
        ok(leads::receipts_due().await, "due"),
        Vec::<DocId>::new(),
        "no receipt while something of it is unsent"
    );

    ok(leads::acked(&leads::group(&pending)).await, "ack");
    assert_eq!(ok(leads::receipts_due().await, "due"), vec![doc]);
    ok(leads::receipted(&[doc]).await, "receipted");
    assert_eq!(
        ok(leads::receipts_due().await, "due"),
        Vec::<DocId>::new(),
        "nothing owed once the server has the receipt"
    );
}

/// A lead of this salesperson that goes to a colleague leaves a notice
/// that says who has it — "claimed first" when this device had claimed it
/// from the pool, else a hand-over — and never the customer; a pool lead
/// a colleague took leaves none.
#[wasm_bindgen_test]
async fn a_lead_that_went_to_a_colleague_leaves_a_notice_without_the_customer() {
    fresh_device().await;
    let colleague = UserId::from_uuid(Uuid::from_u128(8));
    let claimed = lead(71, "认领的客户");
    let handed = lead(72, "转走的客户");
    let mut pool = lead(73, "池中客户");
    pool.owner = None;
    for l in [&claimed, &handed, &pool] {
        ok(leads::create(l).await, "create");
    }
    ok(leads::claimed(&[claimed.id], 5).await, "claim noted");
    let taken: Vec<showroom_shared::sync::Taken> = [&claimed, &handed, &pool]
        .iter()
        .map(|l| showroom_shared::sync::Taken {
            doc: l.id.into(),
            by: colleague,
        })
        .collect();
    let docs: Vec<DocId> = taken.iter().map(|t| t.doc).collect();
    ok(leads::remove_docs(&docs, &taken).await, "remove");
    let mut notices = ok(leads::moved_away().await, "notices");
    notices.sort_by_key(|n| n.lead);
    assert_eq!(
        notices
            .iter()
            .map(|n| (n.lead, n.to, n.claimed))
            .collect::<Vec<_>>(),
        vec![(claimed.id, colleague, true), (handed.id, colleague, false)],
        "the claim lost and the hand-over; not the pool lead"
    );
    let stored = ok(leads::meta(&format!("moved:{}", claimed.id)).await, "meta");
    let text = stored.and_then(|v| v.as_string()).unwrap_or_default();
    assert!(
        !text.is_empty() && !text.contains("认领"),
        "no customer in a notice: {text}"
    );
    ok(leads::dismiss_moved(claimed.id).await, "dismiss");
    assert_eq!(
        ok(leads::moved_away().await, "notices").len(),
        1,
        "read once"
    );
}
