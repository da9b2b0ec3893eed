//! The service worker: registration, update checks and the "new version" signal.
//!
//! A new build's worker installs in the background and waits. The app says a
//! new version is available; when the person chooses to reload, the waiting
//! worker is told to take over (`SKIP_WAITING`) and the page reloads once it
//! controls the page. The first install is not an update: it takes control
//! without a reload. Nothing here may stop the app: failures are logged.

use gloo_events::EventListener;
use gloo_timers::callback::Interval;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    ServiceWorkerContainer, ServiceWorkerRegistration, ServiceWorkerState, VisibilityState,
};

/// Where the worker script is served.
pub const WORKER_URL: &str = "/sw.js";
/// How often a long-open tab asks the server for a new build.
pub const UPDATE_CHECK_INTERVAL_MS: u32 = 30 * 60 * 1000;

/// The service worker as the UI sees it.
#[derive(Clone, Copy)]
pub struct Pwa {
    update_ready: RwSignal<bool>,
    registration: StoredValue<Option<ServiceWorkerRegistration>, LocalStorage>,
    reload_requested: StoredValue<bool>,
}

impl Pwa {
    /// Registers the worker in the background and returns its signals.
    pub fn start() -> Self {
        let pwa = Pwa {
            update_ready: RwSignal::new(false),
            registration: StoredValue::new_local(None),
            reload_requested: StoredValue::new(false),
        };
        leptos::task::spawn_local(async move {
            if let Err(e) = pwa.register().await {
                warn("The offline app could not be installed", &e);
            }
        });
        pwa
    }

    /// Asks the server for a new version now (sync said this one is too old).
    pub fn check_now(self) {
        self.registration.with_value(|r| {
            if let Some(r) = r {
                check_for_update(r);
            }
        });
    }

    /// Whether a new version is installed and waiting (tracked).
    pub fn update_ready(self) -> bool {
        self.update_ready.get()
    }

    /// Switches to the waiting version: the page reloads when it has taken over.
    pub fn apply_update(self) {
        self.reload_requested.set_value(true);
        let waiting = self
            .registration
            .with_value(|r| r.as_ref().and_then(ServiceWorkerRegistration::waiting));
        match waiting {
            Some(worker) => {
                let message = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&message, &"type".into(), &"SKIP_WAITING".into());
                if let Err(e) = worker.post_message(&message) {
                    warn("Could not ask the new version to take over", &e);
                    reload();
                }
            }
            // Another tab already switched to it: a reload is all it takes.
            None => reload(),
        }
    }

    async fn register(self) -> Result<(), JsValue> {
        let Some(window) = web_sys::window() else {
            return Ok(());
        };
        let navigator = window.navigator();
        // Absent outside secure contexts (plain http on a LAN address).
        if !js_sys::Reflect::has(&navigator, &"serviceWorker".into())? {
            return Ok(());
        }
        let container = navigator.service_worker();
        let registration: ServiceWorkerRegistration =
            JsFuture::from(container.register(WORKER_URL))
                .await?
                .dyn_into()?;
        self.registration.set_value(Some(registration.clone()));

        // A version installed during an earlier visit may already be waiting.
        if registration.waiting().is_some() && container.controller().is_some() {
            self.update_ready.set(true);
        }
        // A version being installed right now, or found later.
        self.watch_installing(&registration, &container);
        {
            let registration = registration.clone();
            let container = container.clone();
            EventListener::new(&registration.clone(), "updatefound", move |_| {
                self.watch_installing(&registration, &container);
            })
            .forget();
        }
        // Reload when the new version takes over, but only if the person
        // asked: the first install's takeover must not reload the page.
        EventListener::new(&container, "controllerchange", move |_| {
            if self.reload_requested.get_value() {
                reload();
            }
        })
        .forget();

        check_for_update(&registration);
        {
            let registration = registration.clone();
            Interval::new(UPDATE_CHECK_INTERVAL_MS, move || {
                check_for_update(&registration)
            })
            .forget();
        }
        if let Some(document) = window.document() {
            let target = document.clone();
            EventListener::new(&target, "visibilitychange", move |_| {
                if document.visibility_state() == VisibilityState::Visible {
                    check_for_update(&registration);
                }
            })
            .forget();
        }
        Ok(())
    }

    fn watch_installing(
        self,
        registration: &ServiceWorkerRegistration,
        container: &ServiceWorkerContainer,
    ) {
        let Some(worker) = registration.installing() else {
            return;
        };
        let container = container.clone();
        let watched = worker.clone();
        EventListener::new(&worker, "statechange", move |_| {
            // With no controller this is the first install, not an update.
            if watched.state() == ServiceWorkerState::Installed && container.controller().is_some()
            {
                self.update_ready.set(true);
            }
        })
        .forget();
    }
}

/// Asks the server whether the worker script changed. Offline this fails,
/// which is expected and not worth a warning.
fn check_for_update(registration: &ServiceWorkerRegistration) {
    let online = web_sys::window().is_none_or(|w| w.navigator().on_line());
    if !online {
        return;
    }
    match registration.update() {
        Ok(promise) => leptos::task::spawn_local(async move {
            if let Err(e) = JsFuture::from(promise).await {
                warn("Checking for a new version failed", &e);
            }
        }),
        Err(e) => warn("Checking for a new version failed", &e),
    }
}

fn reload() {
    if let Some(window) = web_sys::window()
        && let Err(e) = window.location().reload()
    {
        warn("Reloading failed", &e);
    }
}

fn warn(what: &str, error: &JsValue) {
    web_sys::console::warn_2(&format!("{what}:").into(), error);
}

/// The build id the page was served with (`<meta name="showroom-build">`);
/// `None` in a development page where the placeholder was not replaced.
pub fn build_id() -> Option<String> {
    let document = web_sys::window().and_then(|w| w.document())?;
    let meta = document
        .query_selector("meta[name=\"showroom-build\"]")
        .ok()
        .flatten()?;
    let content = meta.get_attribute("content")?;
    let content = content.trim();
    if content.is_empty() || content.contains("__") {
        None
    } else {
        Some(content.to_owned())
    }
}
