//! Line icons drawn inline as SVG, coloured by the text around them and hidden from screen readers.

use leptos::prelude::*;

/// The icons the app draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IconName {
    Today,
    Team,
    Settings,
    Online,
    Offline,
    SignOut,
    Update,
    Leads,
    Sync,
    Waiting,
    Warning,
    Plus,
    Approvals,
}

/// An icon beside a text label; it never carries meaning on its own.
#[component]
pub fn Icon(name: IconName) -> impl IntoView {
    let shapes = match name {
        IconName::Today => view! {
            <rect x="3.5" y="5" width="17" height="15.5" rx="2" />
            <path d="M3.5 10h17M8 3v4M16 3v4" />
            <path d="M8 14.5h3v3H8z" />
        }
        .into_any(),
        IconName::Approvals => view! {
            <rect x="4.5" y="3.5" width="15" height="17" rx="2" />
            <path d="M8.5 12.5l2.5 2.5 4.5-5" />
        }
        .into_any(),
        IconName::Team => view! {
            <circle cx="9" cy="8" r="3.5" />
            <path d="M2.5 20c0-3.6 2.9-6.5 6.5-6.5s6.5 2.9 6.5 6.5" />
            <circle cx="17" cy="9" r="2.5" />
            <path d="M17 13.5c2.6.2 4.5 2.6 4.5 5.5" />
        }
        .into_any(),
        IconName::Settings => view! {
            <path d="M4 6h9M19 6h1M4 12h3M11 12h9M4 18h11M19 18h1" />
            <circle cx="16" cy="6" r="2.5" />
            <circle cx="9" cy="12" r="2" />
            <circle cx="17" cy="18" r="2" />
        }
        .into_any(),
        IconName::Online => view! {
            <path d="M2.5 9a14 14 0 0 1 19 0M5.8 12.4a9.3 9.3 0 0 1 12.4 0M9.1 15.8a4.6 4.6 0 0 1 5.8 0" />
            <circle cx="12" cy="19.2" r="1.2" />
        }
        .into_any(),
        IconName::Offline => view! {
            <path d="M2.5 9a14 14 0 0 1 5-3.1M11 5.3A14 14 0 0 1 21.5 9M5.8 12.4a9.3 9.3 0 0 1 4-2M15.5 11a9.3 9.3 0 0 1 2.7 1.4M9.1 15.8a4.6 4.6 0 0 1 5.8 0" />
            <circle cx="12" cy="19.2" r="1.2" />
            <path d="M3.5 3.5l17 17" />
        }
        .into_any(),
        IconName::SignOut => view! {
            <path d="M14 4h4a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-4M10 16.5 5.5 12 10 7.5M5.5 12H16" />
        }
        .into_any(),
        IconName::Update => view! {
            <path d="M20 12a8 8 0 1 1-2.3-5.7M20 4v5h-5" />
        }
        .into_any(),
        IconName::Leads => view! {
            <rect x="4" y="3.5" width="16" height="17" rx="2" />
            <path d="M8 8.5h8M8 12.5h8M8 16.5h5" />
        }
        .into_any(),
        IconName::Sync => view! {
            <path d="M4.5 10a7.5 7.5 0 0 1 13.3-3.2M19.5 14a7.5 7.5 0 0 1-13.3 3.2" />
            <path d="M18 3.5v3.8h-3.8M6 20.5v-3.8h3.8" />
        }
        .into_any(),
        IconName::Waiting => view! {
            <circle cx="12" cy="12" r="8.5" />
            <path d="M12 7.5V12l3 2" />
        }
        .into_any(),
        IconName::Warning => view! {
            <path d="M12 3.5 2.8 19.5h18.4z" />
            <path d="M12 10v4.5" />
            <circle cx="12" cy="17" r="0.6" />
        }
        .into_any(),
        IconName::Plus => view! {
            <path d="M12 5v14M5 12h14" />
        }
        .into_any(),
    };
    view! {
        <svg
            class="icon"
            viewBox="0 0 24 24"
            width="24"
            height="24"
            fill="none"
            stroke="currentColor"
            stroke-width="1.8"
            stroke-linecap="round"
            stroke-linejoin="round"
            aria-hidden="true"
            focusable="false"
        >
            {shapes}
        </svg>
    }
}

/// The mark and the product's name heading the sign-in, set-up and
/// new-password cards.
#[component]
pub fn CardBrand() -> impl IntoView {
    let i18n = crate::i18n::use_i18n();
    view! {
        <div class="login__brand">
            <BrandMark />
            <p class="login__product">{move || i18n.t(crate::i18n::Key::ProductName)}</p>
        </div>
    }
}

/// The product mark: a car in profile on a rounded tile (the same drawing as
/// `public/icons/icon.svg`).
#[component]
pub fn BrandMark() -> impl IntoView {
    view! {
        <svg class="brand-mark" viewBox="0 0 512 512" width="40" height="40" aria-hidden="true" focusable="false">
            <rect class="brand-mark__tile" width="512" height="512" rx="112" />
            <g transform="translate(-20 -16)">
            <rect class="brand-mark__road" x="116" y="368" width="300" height="10" rx="5" />
            <g class="brand-mark__car">
                <path d="M96 318v-44c0-17 11-28 27-32l55-12 45-47c9-10 22-15 36-15h60c15 0 28 6 38 17l42 45 27 6c17 4 30 17 30 35v47z" />
            </g>
            <g class="brand-mark__cut">
                <path d="M196 228l36-38c5-5 11-8 18-8h20v46zM290 182h24c10 0 18 4 24 11l33 35h-81z" />
                <circle cx="170" cy="322" r="44" />
                <circle cx="346" cy="322" r="44" />
            </g>
            <g class="brand-mark__car">
                <circle cx="170" cy="322" r="33" />
                <circle cx="346" cy="322" r="33" />
            </g>
            <g class="brand-mark__cut">
                <circle cx="170" cy="322" r="12" />
                <circle cx="346" cy="322" r="12" />
            </g>
            </g>
        </svg>
    }
}
