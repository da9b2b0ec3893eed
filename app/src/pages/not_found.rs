//! Any unknown address: says so and offers the way back.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::{Key, use_i18n, use_page_title};

#[component]
pub fn NotFoundPage() -> impl IntoView {
    use_page_title(Key::PageNotFound);
    let i18n = use_i18n();
    view! {
        <main class="standalone" id="main">
            <div class="card standalone__card">
                <h1 class="page__title">{move || i18n.t(Key::PageNotFound)}</h1>
                <p class="muted">{move || i18n.t(Key::PageNotFoundDetail)}</p>
                <A href="/" attr:class="button button--primary">
                    {move || i18n.t(Key::GoToToday)}
                </A>
            </div>
        </main>
    }
}
