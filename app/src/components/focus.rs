//! Focus follows the person: a record page opened from a list or a lead
//! moves focus to its heading, so a screen reader says where they are
//! (rather than leaving focus at the top of the page, unannounced).
//!
//! The focus moves once the page has been painted: focusing an element
//! makes the browser lay the page out at once, and doing that in the middle
//! of rendering a record cost a fifth of opening it on a slow tablet
//! (`cargo xtask bench device --profile`).

use wasm_bindgen::JsCast;

/// Focuses the element `id` (made focusable) once it is rendered and
/// painted: a record page renders its heading once its document is read.
pub fn focus_when_shown(id: &'static str) {
    leptos::task::spawn_local(async move {
        for _ in 0..40 {
            let found = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(id))
                .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
            if let Some(el) = found {
                let _ = el.set_attribute("tabindex", "-1");
                focus_after_paint(el);
                return;
            }
            gloo_timers::future::TimeoutFuture::new(50).await;
        }
    });
}

/// Focuses `el` after the next frame is painted, without scrolling (it is a
/// page's heading, at its top).
pub fn focus_after_paint(el: web_sys::HtmlElement) {
    let Some(window) = web_sys::window() else {
        return;
    };
    // A frame callback runs before the paint; a task queued from it runs
    // after. Both closures are called once (the frame comes, the timeout
    // fires), which frees them.
    let after_frame = wasm_bindgen::closure::Closure::once_into_js(move || {
        gloo_timers::callback::Timeout::new(0, move || {
            let options = web_sys::FocusOptions::new();
            options.set_prevent_scroll(true);
            let _ = el.focus_with_options(&options);
        })
        .forget();
    });
    let _ = window.request_animation_frame(after_frame.unchecked_ref());
}
