//! What the lead pages share: the form's fields as typed text, turning them into a `Lead` (with the reason when a field is refused), and the chip groups.

use leptos::prelude::*;
use showroom_shared::domain::{Date, Grade, Lead, LeadError, Phone, PhoneError, Source, Stage};

use crate::i18n::Locale;

/// Today in the dealer's time zone (its settings; `local::clock`).
pub fn dealer_today() -> Date {
    crate::local::clock::today()
}

/// A few common models, offered as suggestions while typing.
pub const MODEL_SUGGESTIONS: [&str; 10] = [
    "BYD Song PLUS",
    "BYD Qin PLUS",
    "Tesla Model Y",
    "Toyota Camry",
    "Honda Accord",
    "Honda CR-V",
    "Nissan Sylphy",
    "VW Lavida",
    "VW Tiguan L",
    "Haval H6",
];

/// An E.164 number as people read it: `+8613812345678` → `138 1234 5678`.
pub fn display_phone(e164: &str) -> String {
    match e164.strip_prefix("+86") {
        Some(n) if n.len() == 11 && n.starts_with('1') => {
            format!("{} {} {}", &n[..3], &n[3..7], &n[7..])
        }
        _ => e164.to_owned(),
    }
}

/// The editable fields of a lead, as the form holds them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeadForm {
    pub name: String,
    pub mobile: String,
    pub wechat: String,
    pub city: String,
    pub source: Source,
    pub models: Vec<String>,
    pub grade: Grade,
    pub stage: Stage,
    /// `YYYY-MM-DD` or empty, as `<input type=date>` gives it.
    pub next_follow_up: String,
}

/// Why the form cannot be saved, per field.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FormProblems {
    pub name: Option<LeadError>,
    pub mobile: Option<PhoneError>,
    pub other: Option<LeadError>,
}

// shared's error types are not `Clone`; signals need it.
impl Clone for FormProblems {
    fn clone(&self) -> Self {
        fn lead(e: &LeadError) -> LeadError {
            match e {
                LeadError::EmptyName => LeadError::EmptyName,
                LeadError::EmptyNote => LeadError::EmptyNote,
                LeadError::TooLong { field, max } => LeadError::TooLong { field, max: *max },
                LeadError::TooManyModels { max } => LeadError::TooManyModels { max: *max },
            }
        }
        fn phone(e: &PhoneError) -> PhoneError {
            match e {
                PhoneError::Empty => PhoneError::Empty,
                PhoneError::BadCharacter => PhoneError::BadCharacter,
                PhoneError::BadChinaMobile => PhoneError::BadChinaMobile,
                PhoneError::BadLength => PhoneError::BadLength,
            }
        }
        FormProblems {
            name: self.name.as_ref().map(lead),
            mobile: self.mobile.as_ref().map(phone),
            other: self.other.as_ref().map(lead),
        }
    }
}

impl FormProblems {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.mobile.is_none() && self.other.is_none()
    }
}

fn optional(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

impl LeadForm {
    pub fn of(lead: &Lead) -> LeadForm {
        LeadForm {
            name: lead.customer.name.clone(),
            mobile: lead
                .customer
                .mobile
                .as_ref()
                .map(|p| display_phone(p.as_str()))
                .unwrap_or_default(),
            wechat: lead.customer.wechat.clone().unwrap_or_default(),
            city: lead.customer.city.clone().unwrap_or_default(),
            source: lead.source,
            models: lead.models.clone(),
            grade: lead.grade,
            stage: lead.stage,
            next_follow_up: lead
                .next_follow_up
                .map(|d| d.to_string())
                .unwrap_or_default(),
        }
    }

    /// `base` with the form's fields, or why not.
    pub fn to_lead(&self, base: &Lead) -> Result<Lead, FormProblems> {
        let mut problems = FormProblems::default();
        let mobile = match self.mobile.trim() {
            "" => None,
            typed => match typed.parse::<Phone>() {
                Ok(p) => Some(p),
                Err(e) => {
                    problems.mobile = Some(e);
                    None
                }
            },
        };
        let mut lead = base.clone();
        lead.customer.name = self.name.trim().to_owned();
        lead.customer.mobile = mobile;
        lead.customer.wechat = optional(&self.wechat);
        lead.customer.city = optional(&self.city);
        lead.source = self.source;
        lead.models = self.models.clone();
        lead.grade = self.grade;
        lead.stage = self.stage;
        // The browser's date input only ever gives a valid date or nothing.
        lead.next_follow_up = self.next_follow_up.trim().parse().ok();
        match lead.validate() {
            Ok(()) => {}
            Err(LeadError::EmptyName) => problems.name = Some(LeadError::EmptyName),
            Err(e @ LeadError::TooLong { field: "name", .. }) => problems.name = Some(e),
            Err(e) => problems.other = Some(e),
        }
        if problems.is_empty() {
            Ok(lead)
        } else {
            Err(problems)
        }
    }

    /// The form after the stored lead moved from `old` to `new` (a sync, or
    /// another tab): fields the person has not touched follow the new lead,
    /// fields they are editing keep what they typed.
    pub fn rebase(&self, old: &Lead, new: &Lead) -> LeadForm {
        fn keep<T: Clone + PartialEq>(typed: &T, old: &T, new: &T) -> T {
            if typed == old {
                new.clone()
            } else {
                typed.clone()
            }
        }
        let (o, n) = (LeadForm::of(old), LeadForm::of(new));
        LeadForm {
            name: keep(&self.name, &o.name, &n.name),
            mobile: keep(&self.mobile, &o.mobile, &n.mobile),
            wechat: keep(&self.wechat, &o.wechat, &n.wechat),
            city: keep(&self.city, &o.city, &n.city),
            source: keep(&self.source, &o.source, &n.source),
            models: keep(&self.models, &o.models, &n.models),
            grade: keep(&self.grade, &o.grade, &n.grade),
            stage: keep(&self.stage, &o.stage, &n.stage),
            next_follow_up: keep(&self.next_follow_up, &o.next_follow_up, &n.next_follow_up),
        }
    }
}

/// A row of toggle chips (`aria-pressed`), labelled as a group. Used for
/// single choices (grade, source) and for filters (several at once).
#[component]
pub fn ChoiceChips<T>(
    #[prop(into)] label: Signal<String>,
    options: Vec<T>,
    /// The visible text of an option.
    text: fn(Locale, T) -> String,
    /// Its tooltip, if any.
    #[prop(optional)]
    hint: Option<fn(Locale, T) -> String>,
    #[prop(into)] pressed: Callback<T, bool>,
    #[prop(into)] on_toggle: Callback<T>,
    #[prop(optional, into)] disabled: Signal<bool>,
    #[prop(optional)] big: bool,
) -> impl IntoView
where
    T: Copy + PartialEq + Send + Sync + 'static,
{
    let i18n = crate::i18n::use_i18n();
    let chips = options
        .into_iter()
        .map(|option| {
            view! {
                <button
                    type="button"
                    class="chip"
                    class:chip--big=big
                    aria-pressed=move || if pressed.run(option) { "true" } else { "false" }
                    title=move || hint.map(|h| h(i18n.locale(), option))
                    disabled=move || disabled.get()
                    on:click=move |_| on_toggle.run(option)
                >
                    {move || text(i18n.locale(), option)}
                </button>
            }
        })
        .collect_view();
    view! {
        <div class="chip-group">
            <span class="chip-group__label" aria-hidden="true">{move || label.get()}</span>
            <div class="chips" role="group" aria-label=move || label.get()>
                {chips}
            </div>
        </div>
    }
}

pub fn grade_text(_: Locale, g: Grade) -> String {
    g.as_str().to_owned()
}

pub fn grade_hint(l: Locale, g: Grade) -> String {
    l.grade_meaning(g).to_owned()
}

pub fn stage_text(l: Locale, s: Stage) -> String {
    l.stage(s).to_owned()
}

pub fn source_text(l: Locale, s: Source) -> String {
    l.source(s).to_owned()
}

/// The message for a form problem.
pub fn problem_text(locale: Locale, problems: &FormProblems) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(e) = &problems.other {
        out.push(locale.lead_error(e));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use showroom_shared::domain::{Customer, DealerId, LeadId, UserId};
    use uuid::Uuid;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn lead() -> Lead {
        let user = UserId::from_uuid(Uuid::from_u128(3));
        Lead {
            id: LeadId::from_uuid(Uuid::from_u128(1)),
            dealer: DealerId::from_uuid(Uuid::from_u128(2)),
            customer: Customer {
                name: "Wang Fang".into(),
                mobile: Some("13812345678".parse().expect("a phone")),
                wechat: None,
                city: None,
            },
            source: Source::WalkIn,
            models: vec!["Camry".into()],
            grade: Grade::N,
            stage: Stage::New,
            owner: Some(user),
            next_follow_up: None,
            notes: vec![],
            created_by: user,
            created_at: 0,
            updated_by: user,
            updated_at: 0,
            ..Lead::new(
                LeadId::from_uuid(Uuid::from_u128(1)),
                DealerId::from_uuid(Uuid::from_u128(2)),
                user,
                0,
            )
        }
    }

    #[wasm_bindgen_test]
    fn a_bad_mobile_keeps_what_was_typed_and_says_why() {
        let base = lead();
        let mut form = LeadForm::of(&base);
        assert_eq!(form.mobile, "138 1234 5678");
        form.mobile = "12345".into();
        form.name = "  ".into();
        let problems = form.to_lead(&base).expect_err("refused");
        assert_eq!(problems.mobile, Some(PhoneError::BadChinaMobile));
        assert_eq!(problems.name, Some(LeadError::EmptyName));
        assert_eq!(form.mobile, "12345");
    }

    #[wasm_bindgen_test]
    fn rebase_follows_the_new_lead_except_where_typing() {
        let old = lead();
        let mut new = old.clone();
        new.customer.city = Some("Shanghai".into());
        new.customer.name = "Wang Fang (remote)".into();
        let mut form = LeadForm::of(&old);
        form.name = "Wang Fang (typed)".into();
        let rebased = form.rebase(&old, &new);
        assert_eq!(rebased.city, "Shanghai");
        assert_eq!(rebased.name, "Wang Fang (typed)");
    }
}
