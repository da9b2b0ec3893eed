//! The dealer's time zone as a person picks it: the usual zones first
//! (China's first) with their names, then every other zone.

use leptos::prelude::*;

use crate::i18n::{Key, use_i18n};
use crate::local::clock;

/// The zones offered first, the dealer's default first (set-up's choices).
pub const COMMON_TIME_ZONES: [(&str, Key); 7] = [
    ("Asia/Shanghai", Key::TzAsiaShanghai),
    ("Asia/Urumqi", Key::TzAsiaUrumqi),
    ("Asia/Hong_Kong", Key::TzAsiaHongKong),
    ("Asia/Macau", Key::TzAsiaMacau),
    ("Asia/Taipei", Key::TzAsiaTaipei),
    ("Asia/Singapore", Key::TzAsiaSingapore),
    ("UTC", Key::TzUtc),
];

/// The suggestions of a time-zone `<input list=id>`: the common zones with
/// their names, then every other zone the browser lists that the server
/// accepts (`clock::offered_time_zones`).
#[component]
pub fn TimeZoneList(id: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let others: Vec<_> = clock::offered_time_zones()
        .into_iter()
        .filter(|z| COMMON_TIME_ZONES.iter().all(|(common, _)| common != z))
        .map(|zone| view! { <option value=zone></option> })
        .collect();
    view! {
        <datalist id=id>
            {COMMON_TIME_ZONES
                .iter()
                .map(|&(zone, key)| view! { <option value=zone label=move || i18n.t(key)></option> })
                .collect_view()}
            {others}
        </datalist>
    }
}
