//! What this device is: a first guess at its name from the browser's user agent.

/// A browser and an operating system recognised in a user agent. The names
/// are product names, the same in every language; [`crate::i18n::Locale::device_guess`]
/// puts them into a sentence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceGuess {
    pub browser: Option<&'static str>,
    pub os: Option<&'static str>,
}

/// Guesses the browser and system from a user agent. `max_touch_points` tells
/// an iPad apart from a Mac: iPadOS Safari claims to be a Mac by default.
pub fn guess_device(user_agent: &str, max_touch_points: u32) -> DeviceGuess {
    let has = |needle: &str| user_agent.contains(needle);
    let os = if has("iPad") {
        Some("iPad")
    } else if has("iPhone") {
        Some("iPhone")
    } else if has("Android") {
        Some("Android")
    } else if has("CrOS") {
        Some("ChromeOS")
    } else if has("Windows") {
        Some("Windows")
    } else if has("Macintosh") || has("Mac OS X") {
        Some(if max_touch_points > 1 { "iPad" } else { "Mac" })
    } else if has("Linux") || has("X11") {
        Some("Linux")
    } else {
        None
    };
    // Order matters: Edge, Opera and Samsung's browser also say "Chrome", and
    // Chrome also says "Safari".
    let browser = if has("Edg/") || has("EdgA/") || has("EdgiOS/") {
        Some("Edge")
    } else if has("OPR/") || has("Opera") {
        Some("Opera")
    } else if has("SamsungBrowser/") {
        Some("Samsung Internet")
    } else if has("MicroMessenger/") {
        Some("WeChat")
    } else if has("Firefox/") || has("FxiOS/") {
        Some("Firefox")
    } else if has("CriOS/") || has("Chrome/") || has("Chromium/") {
        Some("Chrome")
    } else if has("Safari/") {
        Some("Safari")
    } else {
        None
    };
    DeviceGuess { browser, os }
}

/// The guess for the browser this code runs in.
pub fn this_device() -> DeviceGuess {
    let navigator = web_sys::window().map(|w| w.navigator());
    let user_agent = navigator.as_ref().and_then(|n| n.user_agent().ok()).unwrap_or_default();
    let touch_points = navigator.as_ref().map_or(0, |n| n.max_touch_points());
    guess_device(&user_agent, u32::try_from(touch_points).unwrap_or(0))
}
