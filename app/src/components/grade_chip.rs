//! A lead's intent grade as a chip: the letter is always shown, the colour only helps.

use leptos::prelude::*;
use showroom_shared::domain::Grade;

use crate::i18n::use_i18n;

#[component]
pub fn GradeChip(grade: Grade) -> impl IntoView {
    let i18n = use_i18n();
    let class = format!("grade-chip grade-chip--{}", grade.as_str().to_lowercase());
    view! {
        <span class=class title=move || i18n.locale().grade_meaning(grade)>
            {grade.as_str()}
        </span>
    }
}
