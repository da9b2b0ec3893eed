//! Showroom's offline-first PWA: a Leptos (client-side rendered) app compiled to wasm32.
//!
//! `main.rs` only calls [`start`]; everything lives here so tests can reach it.
//! Map: [`app`] (context and routes), [`pages`] (one per route), [`components`]
//! (props in, no fetching), [`local`] (IndexedDB, preferences, network status,
//! service worker), [`api`] (HTTP), [`i18n`] (every string, both languages).

pub mod api;
pub mod app;
pub mod components;
pub mod i18n;
pub mod local;
pub mod pages;

/// Mounts the app on the page, replacing the loading placeholder.
pub fn start() {
    console_error_panic_hook::set_once();
    if let Some(placeholder) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("boot"))
    {
        placeholder.remove();
    }
    leptos::mount::mount_to_body(app::App);
}

#[cfg(test)]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
