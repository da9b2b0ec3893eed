//! Whether the browser believes it has a network, as a signal.

use leptos::ev;
use leptos::prelude::*;

/// `navigator.onLine` now, and kept up to date from the window's `online` and
/// `offline` events for as long as the calling owner lives.
pub fn online_signal() -> ReadSignal<bool> {
    let now = web_sys::window().is_none_or(|w| w.navigator().on_line());
    let (online, set_online) = signal(now);
    let on = window_event_listener(ev::online, move |_| set_online.set(true));
    let off = window_event_listener(ev::offline, move |_| set_online.set(false));
    on_cleanup(move || {
        on.remove();
        off.remove();
    });
    online
}

/// The network signal, shared through context.
#[derive(Clone, Copy)]
pub struct Online(pub ReadSignal<bool>);

/// Whether the browser believes it is online (tracked). Outside the app it
/// asks the browser directly.
pub fn use_online() -> Signal<bool> {
    match use_context::<Online>() {
        Some(Online(online)) => online.into(),
        None => Signal::derive(|| web_sys::window().is_none_or(|w| w.navigator().on_line())),
    }
}
