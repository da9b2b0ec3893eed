//! The leads list mounted for real (Leptos, IndexedDB, the summary index) in headless Chromium:
//! searching again and again over many leads keeps memory flat.

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::components::Router;
use showroom_app::i18n::{I18n, Locale};
use showroom_app::local::lead_index;
use showroom_app::local::session;
use showroom_app::local::store;
use showroom_app::local::summary::LeadSummary;
use showroom_app::pages::leads::LeadList;
use showroom_shared::domain::{Date, Grade, LeadId, Stage};
use uuid::Uuid;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn summary(n: u128) -> LeadSummary {
    let first = ["Zhang", "Wang", "Li", "Zhao", "Chen"][(n % 5) as usize];
    LeadSummary {
        id: LeadId::from_uuid(Uuid::from_u128(n)),
        name: format!("{first} Customer {n}"),
        mobile: Some(format!("+86139{n:08}")),
        grade: Grade::ALL[(n % 4) as usize],
        stage: Stage::New,
        follow_up_on: None,
        next_follow_up: "2026-12-01".parse::<Date>().ok(),
        next_due: None,
        owner: None,
        source: showroom_shared::domain::Source::WalkIn,
        models: vec!["Model Y".into()],
        updated_at: 0,
        approvals_waiting: 0,
        tasks: Vec::new(),
        lost_waiting: false,
        awaiting_first_contact: false,
        created_at: 0,
        collisions_open: 0,
        absorbed: Vec::new(),
        approved_at: None,
    }
}

async fn sleep(ms: u64) {
    gloo_timers::future::sleep(Duration::from_millis(ms)).await;
}

fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a document")
}

fn rows() -> u32 {
    document().get_elements_by_class_name("lead-row").length()
}

/// Types `text` into the search box as a person would: one input event per character.
async fn type_search(text: &str) {
    let input: web_sys::HtmlInputElement = document()
        .get_element_by_id("lead-search")
        .expect("the search box")
        .dyn_into()
        .expect("an input");
    let mut typed = String::new();
    for c in text.chars() {
        typed.push(c);
        input.set_value(&typed);
        let event = web_sys::Event::new("input").expect("an event");
        input.dispatch_event(&event).expect("dispatched");
        sleep(0).await;
    }
}

async fn clear_search() {
    let input: web_sys::HtmlInputElement = document()
        .get_element_by_id("lead-search")
        .expect("the search box")
        .dyn_into()
        .expect("an input");
    input.set_value("");
    input
        .dispatch_event(&web_sys::Event::new("input").expect("an event"))
        .expect("dispatched");
    sleep(0).await;
}

/// Waits (up to 2 s) until `check` holds; says whether it did.
async fn eventually(check: impl Fn() -> bool) -> bool {
    for _ in 0..200 {
        if check() {
            return true;
        }
        sleep(10).await;
    }
    check()
}

fn wasm_memory() -> u32 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| {
            m.buffer()
                .unchecked_into::<js_sys::ArrayBuffer>()
                .byte_length()
        })
        .unwrap_or(0)
}

#[wasm_bindgen_test]
async fn searching_two_thousand_leads_again_and_again_keeps_memory_flat() {
    session::clear_device().await.expect("a fresh device");
    let all: Vec<LeadSummary> = (0..2_000).map(summary).collect();
    store::put_summaries(&all).await.expect("summaries stored");
    leptos::mount::mount_to_body(|| {
        view! {
            <Router>
                {provide_context(I18n::new(Locale::En));}
                {lead_index::provide();}
                <LeadList />
            </Router>
        }
    });
    assert!(
        eventually(|| rows() == 100).await,
        "the first 100 of 2,000 leads are listed"
    );

    // Warm up: every kind of result has been shown once.
    for word in ["Zhang Customer 15", "139000000", "nobody"] {
        type_search(word).await;
        eventually(|| rows() < 100).await;
        clear_search().await;
        eventually(|| rows() == 100).await;
    }
    sleep(50).await;
    let before = wasm_memory();
    for i in 0..60 {
        type_search(["Zhang Customer 15", "Li Customer 2", "1390000012"][i % 3]).await;
        assert!(
            eventually(|| rows() < 100).await,
            "search {i} narrowed the list"
        );
        clear_search().await;
        assert!(
            eventually(|| rows() == 100).await,
            "cleared, the list is whole again"
        );
    }
    let after = wasm_memory();
    assert!(
        f64::from(after) <= f64::from(before) * 1.10,
        "60 searches grew wasm memory from {before} to {after} bytes"
    );
}
