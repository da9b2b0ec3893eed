//! Issue 20 §6, in headless Chromium: the dealer's time zone is checked
//! against the browser's `Intl` (and the server's list of names), an
//! unknown one falls back to China time without throwing, and counted
//! messages take the form `Intl.PluralRules` gives their count.

use showroom_app::i18n::Locale;
use showroom_app::local::clock::{self, ZoneProblem};
use showroom_shared::plural::Plural;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn the_browser_knows_real_zones_and_refuses_typos() {
    for zone in ["Asia/Shanghai", "UTC", "America/New_York", "Asia/Urumqi"] {
        assert!(clock::browser_knows(zone), "{zone}");
        assert_eq!(clock::checked_time_zone(zone), Ok(zone));
    }
    // A RangeError from Intl is an answer, not a panic.
    for typo in [
        "Asia/Shang hai",
        "Shanghai",
        "Asia/Shangai",
        "",
        "Mars/Olympus",
    ] {
        assert!(!clock::browser_knows(typo), "{typo:?}");
        assert_eq!(
            clock::checked_time_zone(typo),
            Err(ZoneProblem::UnknownToBrowser),
            "{typo:?}"
        );
    }
    // Intl matches names without regard to case; what is saved is the tz
    // database's spelling.
    assert_eq!(
        clock::checked_time_zone(" asia/shanghai "),
        Ok("Asia/Shanghai")
    );
    // Everything offered can be saved, the browser's own list included.
    let offered = clock::offered_time_zones();
    assert!(offered.len() > 300, "{} zones offered", offered.len());
    assert!(offered.iter().any(|z| z == "Asia/Shanghai"));
    assert!(
        offered
            .iter()
            .all(|z| showroom_shared::domain::time_zone::is_known(z))
    );
    assert_eq!(
        Locale::En.time_zone_problem(ZoneProblem::UnknownToBrowser),
        "Not a time zone the browser knows, e.g. Asia/Shanghai."
    );
    assert!(
        Locale::ZhCn
            .time_zone_problem(ZoneProblem::UnknownToBrowser)
            .contains("Asia/Shanghai")
    );
}

#[wasm_bindgen_test]
fn an_unknown_dealer_zone_shows_china_time() {
    // 2026-11-27 06:05 UTC.
    let millis = js_sys::Date::utc(2026.0, 10.0) as i64 + 26 * 86_400_000 + (6 * 60 + 5) * 60_000;
    clock::set_time_zone("Europe/Berlin");
    assert_eq!(clock::offset_minutes(millis), 60);
    assert_eq!(Locale::En.time_of_day(millis), "07:05");
    clock::set_time_zone("Asia/Shangai");
    assert_eq!(clock::time_zone(), "Asia/Shanghai");
    assert_eq!(clock::offset_minutes(millis), 480);
    assert_eq!(Locale::En.time_of_day(millis), "14:05");
    assert_eq!(Locale::En.date_time(millis), "27 Nov 2026, 14:05");
    assert!(
        Locale::En
            .time_zone_fallback("Asia/Shangai")
            .contains("Asia/Shangai")
    );
    clock::set_time_zone("Asia/Shanghai");
    assert_eq!(clock::time_zone(), "Asia/Shanghai");
}

#[wasm_bindgen_test]
fn counts_take_their_plural_form() {
    assert_eq!(Locale::En.plural(1.0), Plural::One);
    assert_eq!(Locale::En.plural(2.0), Plural::Other);
    assert_eq!(Locale::En.plural(0.0), Plural::Other);
    // Chinese has one form for every count.
    assert_eq!(Locale::ZhCn.plural(1.0), Plural::Other);
    assert_eq!(Locale::ZhCn.plural(2.0), Plural::Other);

    assert_eq!(Locale::En.due_badge(1), "1 follow-up due");
    assert_eq!(Locale::En.due_badge(2), "2 follow-ups due");
    assert_eq!(Locale::En.due_badge(0), "0 follow-ups due");
    assert_eq!(Locale::ZhCn.due_badge(1), "1 项跟进待办");
    assert_eq!(Locale::ZhCn.due_badge(2), "2 项跟进待办");

    assert_eq!(
        Locale::En.sign_out_unsynced(1),
        "1 change on this device has not reached the server yet. Signing out deletes it from this device."
    );
    assert!(
        Locale::En
            .sign_out_unsynced(3)
            .starts_with("3 changes on this device have")
    );
    assert_eq!(
        Locale::En.password_changed(1),
        "Password changed. 1 other device was signed out."
    );
    assert_eq!(
        Locale::En.password_changed(2),
        "Password changed. 2 other devices were signed out."
    );
    assert_eq!(
        Locale::En.too_many_attempts(1),
        "Too many failed attempts. Try again in 1 second."
    );
    assert_eq!(Locale::En.next_in_days(1), "In 1 day");
    assert_eq!(Locale::En.next_in_days(3), "In 3 days");
    assert_eq!(Locale::En.receiving(1, 1), "Receiving 1 of 1 change");
    assert_eq!(
        Locale::En.receiving(3_200, 10_000),
        "Receiving 3,200 of 10,000 changes"
    );
    assert_eq!(
        Locale::En.attempts_needed(0, 1),
        "0 of 1 follow-up attempt made: a lost request needs 1."
    );
    // A count without a noun reads the same either way.
    assert_eq!(Locale::En.waiting(1), "1 waiting");
    assert_eq!(Locale::En.waiting(2), "2 waiting");
}
