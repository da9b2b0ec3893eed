//! Preferences of this device (not of the person): the chosen language, kept in localStorage.

/// The localStorage key of the chosen language.
pub const LOCALE_KEY: &str = "showroom.locale";

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The language chosen on this device before (a tag the UI wrote), if any.
/// The UI (`i18n::Locale::initial`) reads it as one of its languages: the
/// store keeps tags, not the UI's types.
pub fn chosen_language() -> Option<String> {
    local_storage().and_then(|s| s.get_item(LOCALE_KEY).ok().flatten())
}

/// The browser's language tag ("zh-CN", "en-GB"; empty when unknown).
pub fn browser_language() -> String {
    web_sys::window()
        .and_then(|w| w.navigator().language())
        .unwrap_or_default()
}

/// Remembers the chosen language's tag. Failing storage (private mode) only
/// means the choice is forgotten next time, so it is logged and otherwise
/// ignored.
pub fn save_language(tag: &str) {
    let saved = local_storage().map(|s| s.set_item(LOCALE_KEY, tag));
    if !matches!(saved, Some(Ok(()))) {
        web_sys::console::warn_1(&"Could not remember the chosen language on this device.".into());
    }
}

/// Tells the document which language it is in (`<html lang>`), for screen
/// readers, fonts and hyphenation.
pub fn set_document_language(tag: &str) {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element());
    if let Some(root) = root {
        let _ = root.set_attribute("lang", tag);
    }
}

/// The localStorage key remembering that the server ended this device's
/// session, so the sign-in page still says why after a reload (the session
/// itself is already wiped by then).
pub const SESSION_ENDED_KEY: &str = "showroom.session_ended";

/// Remembers (or forgets) that the session was ended by the server.
pub fn remember_session_ended(ended: bool) {
    if let Some(storage) = local_storage() {
        let _ = if ended {
            storage.set_item(SESSION_ENDED_KEY, "1")
        } else {
            storage.remove_item(SESSION_ENDED_KEY)
        };
    }
}

pub fn session_was_ended() -> bool {
    local_storage()
        .and_then(|s| s.get_item(SESSION_ENDED_KEY).ok().flatten())
        .is_some()
}

/// The localStorage key naming whose data the device kept when the server
/// no longer knew its session (`<dealer>/<user>`): signing in again as them
/// keeps it; anyone else's sign-in wipes it first.
pub const KEPT_FOR_KEY: &str = "showroom.kept_for";

/// Remembers (or, with `None`, forgets) whose data the device kept.
pub fn remember_kept_for(owner: Option<&str>) {
    if let Some(storage) = local_storage() {
        let _ = match owner {
            Some(o) => storage.set_item(KEPT_FOR_KEY, o),
            None => storage.remove_item(KEPT_FOR_KEY),
        };
    }
}

pub fn kept_for() -> Option<String> {
    local_storage().and_then(|s| s.get_item(KEPT_FOR_KEY).ok().flatten())
}
