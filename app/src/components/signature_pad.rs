//! A finger signature: pointer strokes on a 1000×400 grid (the stored
//! form, `domain::showroom::Strokes`), drawn back as SVG as they are made.

use leptos::prelude::*;
use showroom_shared::domain::showroom::{SIGNATURE_GRID, Strokes};
use wasm_bindgen::JsCast;

#[component]
pub fn SignaturePad(
    /// The accessible name ("Customer's signature").
    #[prop(into)]
    label: Signal<String>,
    /// The hint drawn under an empty pad ("Sign here with a finger").
    #[prop(into)]
    hint: Signal<String>,
    #[prop(into)] clear_text: Signal<String>,
    /// Called with the encoded strokes after every stroke (empty when cleared).
    on_change: Callback<Strokes>,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    let strokes = RwSignal::new(Vec::<Vec<(u16, u16)>>::new());
    let drawing = RwSignal::new(false);
    let (gw, gh) = SIGNATURE_GRID;
    let point = move |ev: &web_sys::PointerEvent| -> Option<(u16, u16)> {
        let el = ev.current_target()?.dyn_into::<web_sys::Element>().ok()?;
        let rect = el.get_bounding_client_rect();
        if rect.width() <= 0.0 || rect.height() <= 0.0 {
            return None;
        }
        let x = (f64::from(ev.client_x()) - rect.left()) / rect.width() * f64::from(gw);
        let y = (f64::from(ev.client_y()) - rect.top()) / rect.height() * f64::from(gh);
        Some((
            x.clamp(0.0, f64::from(gw)) as u16,
            y.clamp(0.0, f64::from(gh)) as u16,
        ))
    };
    let down = move |ev: web_sys::PointerEvent| {
        if disabled.get_untracked() {
            return;
        }
        ev.prevent_default();
        if let Some(el) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        {
            let _ = el.set_pointer_capture(ev.pointer_id());
        }
        if let Some(p) = point(&ev) {
            drawing.set(true);
            strokes.update(|s| s.push(vec![p]));
        }
    };
    let moved = move |ev: web_sys::PointerEvent| {
        if !drawing.get_untracked() {
            return;
        }
        ev.prevent_default();
        if let Some(p) = point(&ev) {
            strokes.update(|s| {
                if let Some(last) = s.last_mut() {
                    if last.last() != Some(&p) {
                        last.push(p);
                    }
                }
            });
        }
    };
    let up = move |_ev: web_sys::PointerEvent| {
        if drawing.get_untracked() {
            drawing.set(false);
            on_change.run(Strokes::encode(&strokes.get_untracked()));
        }
    };
    let path = move || Strokes::encode(&strokes.get()).svg_path();
    let clear = move |_| {
        strokes.set(Vec::new());
        on_change.run(Strokes::default());
    };
    view! {
        <div class="signature">
            <svg
                class="signature__pad"
                role="img"
                aria-label=move || label.get()
                viewBox=format!("0 0 {gw} {gh}")
                on:pointerdown=down
                on:pointermove=moved
                on:pointerup=up
                on:pointercancel=up
            >
                <line class="signature__line" x1="60" y1="320" x2="940" y2="320" />
                <path class="signature__ink" d=path />
                <Show when=move || strokes.with(Vec::is_empty)>
                    <text class="signature__hint" x="500" y="300" text-anchor="middle">{move || hint.get()}</text>
                </Show>
            </svg>
            <button type="button" class="button button--secondary" on:click=clear disabled=move || disabled.get()>
                {move || clear_text.get()}
            </button>
        </div>
    }
}

/// A stored signature drawn back.
#[component]
pub fn SignatureView(strokes: Strokes, #[prop(into)] label: Signal<String>) -> impl IntoView {
    let (gw, gh) = SIGNATURE_GRID;
    view! {
        <svg class="signature__pad signature__pad--view" role="img" aria-label=move || label.get() viewBox=format!("0 0 {gw} {gh}")>
            <path class="signature__ink" d=strokes.svg_path() />
        </svg>
    }
}

/// The customer's signature: drawn on the pad, or — where the dealer
/// accepts it (`Agreement::typed_name`) — their name typed in a labelled
/// field: the keyboard and screen-reader path, and the way for a customer
/// who cannot sign on a screen. `on_change` gets (strokes, typed name); at
/// most one of them is non-empty.
#[component]
pub fn SignatureField(
    /// The accessible name of the pad ("Customer's signature").
    #[prop(into)]
    label: Signal<String>,
    #[prop(into)] hint: Signal<String>,
    #[prop(into)] clear_text: Signal<String>,
    /// The dealer takes a typed name as a signature.
    #[prop(into)]
    accepts_typed: Signal<bool>,
    /// Prefixes the typed name's id ("drive", "quote").
    id: &'static str,
    on_change: Callback<(Strokes, String)>,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    use crate::i18n::{Key, use_i18n};
    let i18n = use_i18n();
    let typing = RwSignal::new(false);
    let typed = RwSignal::new(String::new());
    let input_id = format!("{id}-typed-name");
    let hint_id = format!("{id}-typed-name-hint");
    let switch = move |_| {
        let now_typing = !typing.get_untracked();
        typing.set(now_typing);
        typed.set(String::new());
        // Switching starts over: nothing half-given stands as a signature.
        on_change.run((Strokes::default(), String::new()));
    };
    view! {
        <Show
            when=move || typing.get() && accepts_typed.get()
            fallback=move || view! {
                <SignaturePad label=label hint=hint clear_text=clear_text disabled=disabled
                    on_change=Callback::new(move |s: Strokes| on_change.run((s, String::new()))) />
            }
        >
            <div class="field signature__typed">
                <label for=input_id.clone()>{move || i18n.t(Key::TypedName)}</label>
                <input id=input_id.clone() type="text" autocomplete="off" maxlength="100"
                    aria-describedby=hint_id.clone()
                    disabled=move || disabled.get()
                    prop:value=move || typed.get()
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        typed.set(v.clone());
                        on_change.run((Strokes::default(), v));
                    } />
                <p id=hint_id.clone() class="muted">{move || i18n.t(Key::TypedNameHint)}</p>
            </div>
        </Show>
        <Show when=move || accepts_typed.get()>
            <button type="button" class="button button--quiet" on:click=switch disabled=move || disabled.get()>
                {move || i18n.t(if typing.get() { Key::DrawInstead } else { Key::TypeNameInstead })}
            </button>
        </Show>
    }
}

/// A given signature as the record shows and prints it: the drawing, or
/// the typed name said to be one.
pub fn signature_shown(
    signature: &showroom_shared::domain::showroom::Signature,
    locale: crate::i18n::Locale,
) -> AnyView {
    use crate::i18n::Key;
    if signature.strokes.is_empty() && !signature.typed_name.is_empty() {
        let text = locale.signed_by_typed_name(&signature.typed_name);
        view! { <p class="signature__typed-record">{text}</p> }.into_any()
    } else {
        view! {
            <SignatureView strokes=signature.strokes.clone() label=locale.t(Key::Signature).to_owned() />
        }
        .into_any()
    }
}
