//! The browser's `Intl` without throwing: `js_sys`'s `Intl` constructors
//! throw through the wasm on a bad argument (an unknown time zone is a
//! `RangeError`) or a missing constructor; through `Reflect.construct` that
//! is an `Err`, here `None`.

use wasm_bindgen::{JsCast, JsValue};

/// The global `Intl` object, if the browser has one.
fn intl() -> Option<JsValue> {
    js_sys::Reflect::get(&js_sys::global(), &"Intl".into())
        .ok()
        .filter(|v| v.is_object())
}

/// `new Intl[name](...args)`, or `None` when the browser has no such
/// constructor or it refuses the arguments.
pub fn construct(name: &str, args: &[JsValue]) -> Option<js_sys::Object> {
    let constructor = js_sys::Reflect::get(&intl()?, &name.into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    let args: js_sys::Array = args.iter().collect();
    js_sys::Reflect::construct(&constructor, &args)
        .ok()?
        .dyn_into::<js_sys::Object>()
        .ok()
}

/// `Intl.supportedValuesOf(key)` (e.g. `"timeZone"`), where the browser has
/// it (Chromium 99, Safari 15.4, Firefox 93 and later).
pub fn supported_values_of(key: &str) -> Option<Vec<String>> {
    let intl = intl()?;
    let list = js_sys::Reflect::get(&intl, &"supportedValuesOf".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?
        .call1(&intl, &key.into())
        .ok()?
        .dyn_into::<js_sys::Array>()
        .ok()?;
    Some(list.iter().filter_map(|v| v.as_string()).collect())
}
