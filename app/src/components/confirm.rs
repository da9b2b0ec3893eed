//! A question before something that cannot be taken back (deactivate a
//! person, handing their leads on; reset a password; discard unsynced
//! changes): announced as an alert dialog, it takes focus when it opens,
//! Escape or its cancel button closes it, and focus goes back to the
//! control that opened it.

use leptos::prelude::*;

#[component]
pub fn ConfirmPanel(
    /// The id of the question's text (the dialog is labelled by it).
    text_id: String,
    #[prop(into)] text: Signal<String>,
    #[prop(into)] confirm_label: Signal<String>,
    #[prop(into)] cancel_label: Signal<String>,
    #[prop(into)] busy: Signal<bool>,
    on_confirm: Callback<()>,
    on_cancel: Callback<()>,
    /// The id of the control that opened the question: focus returns there
    /// when it is cancelled.
    #[prop(optional, into)]
    opener: Option<String>,
    /// What the question needs besides yes or no (a choice), between the
    /// question and its buttons.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let panel = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) {
            return true;
        }
        match panel.get() {
            Some(el) => {
                let _ = el.focus();
                true
            }
            None => false,
        }
    });
    let cancel = move || {
        on_cancel.run(());
        if let Some(el) = opener
            .as_deref()
            .and_then(|id| web_sys::window()?.document()?.get_element_by_id(id))
            .and_then(|el| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el).ok())
        {
            let _ = el.focus();
        }
    };
    let cancel_click = cancel.clone();
    let labelled_by = text_id.clone();
    view! {
        <div
            class="confirm"
            role="alertdialog"
            aria-labelledby=labelled_by
            tabindex="-1"
            node_ref=panel
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" {
                    cancel();
                }
            }
        >
            <p id=text_id class="confirm__text">{move || text.get()}</p>
            {children.map(|c| c())}
            <div class="confirm__actions">
                <button
                    type="button"
                    class="button button--danger"
                    disabled=move || busy.get()
                    on:click=move |_| on_confirm.run(())
                >
                    {move || confirm_label.get()}
                </button>
                <button type="button" class="button button--secondary" on:click=move |_| cancel_click()>
                    {move || cancel_label.get()}
                </button>
            </div>
        </div>
    }
}
