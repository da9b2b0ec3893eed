//! Time as the dealer reads it: the dealer's time zone comes from its
//! settings (`Settings::time_zone`, an IANA name; Asia/Shanghai until the
//! catalogue has arrived), and the browser's `Intl` knows its offsets, so no
//! time-zone database is shipped in the app.

use std::cell::RefCell;

use showroom_shared::domain::Date;
use wasm_bindgen::JsValue;

thread_local! {
    static TIME_ZONE: RefCell<String> = RefCell::new("Asia/Shanghai".to_owned());
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
    TIME_ZONE.with(|tz| {
        if *tz.borrow() != name {
            *tz.borrow_mut() = name.to_owned();
        }
    });
}

pub fn time_zone() -> String {
    TIME_ZONE.with(|tz| tz.borrow().clone())
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
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"timeZone".into(), &zone.into()).ok()?;
    js_sys::Reflect::set(&options, &"timeZoneName".into(), &"longOffset".into()).ok()?;
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::of1(&"en-US".into()), &options);
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
