//! Time as the dealer reads it: the dealer's time zone comes from its
//! settings (`Settings::time_zone`, an IANA name; Asia/Shanghai until the
//! catalogue has arrived), and the browser's `Intl` knows its offsets, so no
//! time-zone database is shipped in the app. A zone this browser does not
//! know (stored before names were checked, or newer than the browser) shows
//! times in China time, and says so: a console warning here, a notice on
//! the settings screen.

use std::cell::RefCell;

use showroom_shared::domain::{Date, time_zone as tz};
use wasm_bindgen::JsValue;

/// Where times are shown when the browser does not know the dealer's zone.
const FALLBACK_ZONE: &str = "Asia/Shanghai";

/// The dealer's time zone and whether this browser knows it.
struct Zone {
    name: String,
    known: bool,
}

thread_local! {
    static TIME_ZONE: RefCell<Zone> = RefCell::new(Zone {
        name: FALLBACK_ZONE.to_owned(),
        known: true,
    });
    /// Offsets already asked of `Intl`, by zone and quarter hour: building an
    /// `Intl.DateTimeFormat` costs far more than the rest, and lists and
    /// summaries ask for thousands of nearby instants (a sync of 10,000 leads
    /// computes each one's next follow-up). Offsets change only on quarter
    /// hours.
    static OFFSETS: RefCell<(String, std::collections::HashMap<i64, i32>)> =
        RefCell::new((String::new(), std::collections::HashMap::new()));
}

const QUARTER_HOUR_MS: i64 = 15 * 60_000;

/// The dealer's time zone changed (its settings arrived or were edited).
pub fn set_time_zone(name: &str) {
    TIME_ZONE.with(|zone| {
        if zone.borrow().name == name {
            return;
        }
        let known = browser_knows(name);
        if !known {
            web_sys::console::warn_1(
                &"The dealer's time zone is unknown to this browser: times are shown in China time (UTC+08:00)."
                    .into(),
            );
        }
        *zone.borrow_mut() = Zone {
            name: name.to_owned(),
            known,
        };
    });
}

/// The zone times are shown in: the dealer's, or Asia/Shanghai when this
/// browser does not know the dealer's (`Intl` would throw on it).
pub fn time_zone() -> String {
    TIME_ZONE.with(|zone| {
        let zone = zone.borrow();
        if zone.known {
            zone.name.clone()
        } else {
            FALLBACK_ZONE.to_owned()
        }
    })
}

/// Options for `Intl.DateTimeFormat` in `zone`.
fn zone_options(zone: &str, more: &[(&str, &str)]) -> Option<js_sys::Object> {
    let options = js_sys::Object::new();
    for (name, value) in [("timeZone", zone)].iter().chain(more) {
        js_sys::Reflect::set(&options, &(*name).into(), &(*value).into()).ok()?;
    }
    Some(options)
}

/// Whether this browser's `Intl` knows `zone`: `new Intl.DateTimeFormat(
/// 'en-US', {timeZone: zone})` does not throw (names are matched without
/// regard to case, as `Intl` does).
pub fn browser_knows(zone: &str) -> bool {
    zone_options(zone, &[])
        .and_then(|options| {
            crate::local::intl::construct("DateTimeFormat", &["en-US".into(), options.into()])
        })
        .is_some()
}

/// Why a typed time zone cannot be the dealer's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneProblem {
    /// The browser's `Intl` does not know it: no device could show its times.
    UnknownToBrowser,
    /// The browser knows it but the server's list of IANA names does not
    /// (`domain::time_zone`), so the server would refuse it.
    UnknownToServer,
}

/// A typed time zone, checked for the dealer's settings: the browser must
/// know it, and the server's list of names, which gives its spelling
/// (`" asia/shanghai"` is `Asia/Shanghai`).
pub fn checked_time_zone(typed: &str) -> Result<&'static str, ZoneProblem> {
    let typed = typed.trim();
    if !browser_knows(typed) {
        return Err(ZoneProblem::UnknownToBrowser);
    }
    tz::find(typed).ok_or(ZoneProblem::UnknownToServer)
}

/// The zones to offer after the usual ones: every zone the browser lists
/// (`Intl.supportedValuesOf`), else every name of the server's list; only
/// names the server's list holds, so that any of them can be saved.
pub fn offered_time_zones() -> Vec<String> {
    match crate::local::intl::supported_values_of("timeZone") {
        Some(zones) => zones.into_iter().filter(|z| tz::is_known(z)).collect(),
        None => tz::names().map(str::to_owned).collect(),
    }
}

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// Minutes east of UTC of the dealer's time zone at `at` (Unix ms); China's
/// +480 when the browser does not know the zone.
pub fn offset_minutes(at: i64) -> i32 {
    let zone = time_zone();
    let bucket = at.div_euclid(QUARTER_HOUR_MS);
    let known = OFFSETS.with(|o| {
        let o = o.borrow();
        (o.0 == zone).then(|| o.1.get(&bucket).copied()).flatten()
    });
    if let Some(offset) = known {
        return offset;
    }
    let offset = offset_in(&zone, bucket * QUARTER_HOUR_MS).unwrap_or(480);
    OFFSETS.with(|o| {
        let mut o = o.borrow_mut();
        if o.0 != zone || o.1.len() > 10_000 {
            o.0 = zone;
            o.1.clear();
        }
        o.1.insert(bucket, offset);
    });
    offset
}

fn offset_in(zone: &str, at: i64) -> Option<i32> {
    let options = zone_options(zone, &[("timeZoneName", "longOffset")])?;
    let format: js_sys::Intl::DateTimeFormat = wasm_bindgen::JsCast::unchecked_into(
        crate::local::intl::construct("DateTimeFormat", &["en-US".into(), options.into()])?,
    );
    let text: String = format
        .format()
        .call1(
            &JsValue::UNDEFINED,
            &js_sys::Date::new(&JsValue::from_f64(at as f64)),
        )
        .ok()?
        .as_string()?;
    // "12/1/2026, GMT+08:00" (or "GMT" for UTC itself).
    let offset = text.rsplit("GMT").next()?;
    if offset.is_empty() {
        return Some(0);
    }
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let (h, m) = offset[1..].split_once(':').unwrap_or((&offset[1..], "0"));
    Some(sign * (h.parse::<i32>().ok()? * 60 + m.parse::<i32>().ok()?))
}

/// Today in the dealer's time zone.
pub fn today() -> Date {
    let now = now_ms();
    Date::from_unix_ms(now, offset_minutes(now))
}

/// The Unix ms at which `date` starts in the dealer's time zone.
pub fn start_of(date: Date) -> i64 {
    let (y, m, d) = date.ymd();
    let utc =
        js_sys::Date::utc(f64::from(y), f64::from(m - 1)) as i64 + i64::from(d - 1) * 86_400_000;
    utc - i64::from(offset_minutes(utc)) * 60_000
}
