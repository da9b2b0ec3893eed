//! A lead's intent grade as a chip: the letter is always shown, the colour only helps.

use leptos::prelude::*;
use showroom_shared::domain::Grade;

use crate::i18n::{Locale, use_i18n};

/// With `locale`, the chip is static (a list row renders it once per
/// language); without, its tooltip follows the app's language.
#[component]
pub fn GradeChip(grade: Grade, #[prop(optional)] locale: Option<Locale>) -> impl IntoView {
    let class = format!("grade-chip grade-chip--{}", grade.as_str().to_lowercase());
    match locale {
        Some(locale) => view! {
            <span class=class title=locale.grade_meaning(grade)>{grade.as_str()}</span>
        }
        .into_any(),
        None => {
            let i18n = use_i18n();
            view! {
                <span class=class title=move || i18n.locale().grade_meaning(grade)>
                    {grade.as_str()}
                </span>
            }
            .into_any()
        }
    }
}
