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
    let user_agent = navigator
        .as_ref()
        .and_then(|n| n.user_agent().ok())
        .unwrap_or_default();
    let touch_points = navigator.as_ref().map_or(0, |n| n.max_touch_points());
    guess_device(&user_agent, u32::try_from(touch_points).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;
    use crate::i18n::Locale;

    const HEADLESS_CHROME_LINUX: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36";
    const SAFARI_IPAD: &str = "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
    const SAFARI_DESKTOP_CLASS: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";
    const EDGE_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
    const CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    const FIREFOX_ANDROID: &str =
        "Mozilla/5.0 (Android 14; Mobile; rv:132.0) Gecko/132.0 Firefox/132.0";
    const CHROME_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1";
    const SAMSUNG_TABLET: &str = "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Safari/537.36";
    const CHROMEBOOK: &str = "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

    #[wasm_bindgen_test]
    fn device_names_are_guessed_from_the_user_agent() {
        let check = |ua: &str, touch: u32, expect: &str| {
            assert_eq!(
                Locale::En.device_guess(&guess_device(ua, touch)),
                expect,
                "{ua}"
            );
        };
        check(HEADLESS_CHROME_LINUX, 0, "Chrome on Linux");
        check(SAFARI_IPAD, 5, "Safari on iPad");
        // iPadOS Safari asks for desktop sites and claims to be a Mac; only
        // the touch points tell.
        check(SAFARI_DESKTOP_CLASS, 5, "Safari on iPad");
        check(SAFARI_DESKTOP_CLASS, 0, "Safari on Mac");
        check(EDGE_WINDOWS, 0, "Edge on Windows");
        check(CHROME_WINDOWS, 0, "Chrome on Windows");
        check(FIREFOX_ANDROID, 5, "Firefox on Android");
        check(CHROME_IPHONE, 5, "Chrome on iPhone");
        check(SAMSUNG_TABLET, 10, "Samsung Internet on Android");
        check(CHROMEBOOK, 0, "Chrome on ChromeOS");
        check("", 0, "Web browser");
        check("curl/8.0", 0, "Web browser");
    }

    #[wasm_bindgen_test]
    fn device_names_read_naturally_in_chinese() {
        assert_eq!(
            Locale::ZhCn.device_guess(&guess_device(HEADLESS_CHROME_LINUX, 0)),
            "Linux 上的 Chrome"
        );
        assert_eq!(
            Locale::ZhCn.device_guess(&guess_device("", 0)),
            "网页浏览器"
        );
    }

    #[wasm_bindgen_test]
    fn every_guess_is_a_valid_device_name() {
        for ua in [HEADLESS_CHROME_LINUX, SAFARI_IPAD, SAMSUNG_TABLET, ""] {
            for locale in Locale::ALL {
                let name = locale.device_guess(&guess_device(ua, 0));
                assert!(
                    name.parse::<showroom_shared::domain::DeviceName>().is_ok(),
                    "{name:?}"
                );
            }
        }
    }
}
