//! Focus follows the person: a record page opened from a list or a lead
//! moves focus to its heading, so a screen reader says where they are
//! (rather than leaving focus at the top of the page, unannounced).

/// Focuses the element `id` (made focusable) as soon as it is rendered:
/// a record page renders its heading once its document is read.
pub fn focus_when_shown(id: &'static str) {
    leptos::task::spawn_local(async move {
        for _ in 0..40 {
            let found = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(id))
                .and_then(|el| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el).ok());
            if let Some(el) = found {
                let _ = el.set_attribute("tabindex", "-1");
                let _ = el.focus();
                return;
            }
            gloo::timers::future::TimeoutFuture::new(50).await;
        }
    });
}
