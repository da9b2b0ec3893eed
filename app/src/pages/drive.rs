//! `/leads/:id/drives/:drive` (`new` to book): one test drive — booked for a
//! demo car and a time (a clash with another booking of the car is shown,
//! even when two tablets booked offline), then before the car leaves the
//! licence (an expired one or a class that does not cover the car blocks the
//! start), the agreement in the customer's language signed with a finger,
//! odometer and fuel out, route and companion; on return odometer and fuel
//! in, damage, the customer's rating. The record prints on A4.
//!
//! A tap checks every field at once and shows each error under its control
//! (`aria-describedby`, `aria-invalid`), bringing the first into view; a
//! reading below the car's last one or far above it
//! (`showroom::odometer_doubt`) is saved only after "Yes, it is right".
//! Cancelling a booking asks first.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use showroom_shared::domain::catalogue::{CarId, Dealer};
use showroom_shared::domain::showroom::{
    DriveBack, DriveId, DriveOut, DriveProblem, DriveStatus, Licence, LicenceClass, LicenceProblem,
    Signature, Strokes, TestDrive, odometer_doubt,
};
use showroom_shared::domain::{Date, LeadId};
use wasm_bindgen::JsCast;

use crate::components::letterhead::Letterhead;
use crate::components::signature_pad::{SignatureField, signature_shown};
use crate::i18n::{Key, Locale, use_i18n};
use crate::local::auth::use_auth;
use crate::local::clock;
use crate::local::dealer::use_dealer_catalogue;
use crate::local::floor_index::use_floor;
use crate::local::{leads, store};

const LENGTHS_MIN: [i64; 4] = [30, 45, 60, 90];

/// `YYYY-MM-DD` and `HH:MM` in the dealer's time zone → Unix ms.
pub(crate) fn local_ms(date: &str, time: &str) -> Option<i64> {
    let date: Date = date.parse().ok()?;
    let (h, m) = time.split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    Some(clock::start_of(date) + (h * 60 + m) * 60_000)
}

/// The controls of the page that can be in question, in the page's order:
/// the first of them in question is brought into view and focused.
const CONTROLS: [&str; 13] = [
    "car-choice",
    "drive-date",
    "drive-time",
    "licence-number",
    "licence-class",
    "licence-expiry",
    "signature",
    "odometer-out",
    "fuel-out",
    "odometer-in",
    "fuel-in",
    "rating",
    "record-return",
];

/// Scrolls `el` to the middle of the screen, clear of the top and bottom
/// bars. (`ScrollIntoViewOptions` is not among the web-sys features the app
/// builds with: the options go as a plain object.)
fn scroll_to_middle(el: &web_sys::Element) {
    let options = js_sys::Object::new();
    // Setting a property on a fresh plain object cannot fail.
    let _ = js_sys::Reflect::set(&options, &"block".into(), &"center".into());
    if let Ok(f) = js_sys::Reflect::get(el, &"scrollIntoView".into())
        && let Some(f) = f.dyn_ref::<js_sys::Function>()
    {
        let _ = f.call1(el, &options);
    }
}

/// After the next render: brings the element `id` into view and, with
/// `focus`, focuses it.
fn reveal(id: &'static str, focus: bool) {
    request_animation_frame(move || {
        let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
        else {
            return;
        };
        if focus && let Some(h) = el.dyn_ref::<web_sys::HtmlElement>() {
            let _ = h.focus();
        }
        scroll_to_middle(&el);
    });
}

/// What a form of the page found wrong, at the controls it is about, all at
/// once; and an odometer reading waiting for a "yes".
#[derive(Clone, Copy)]
struct Checks {
    errors: RwSignal<Vec<(&'static str, String)>>,
    /// (control, the car's last reading, the reading typed).
    doubt: RwSignal<Option<(&'static str, u32, u32)>>,
    /// (control, the reading the person said is right).
    confirmed: RwSignal<Option<(&'static str, u32)>>,
}

impl Checks {
    fn new() -> Checks {
        Checks {
            errors: RwSignal::new(Vec::new()),
            doubt: RwSignal::new(None),
            confirmed: RwSignal::new(None),
        }
    }

    /// The error at `control` (tracked).
    fn error(self, control: &'static str) -> Option<String> {
        self.errors.with(|e| {
            e.iter()
                .find(|(c, _)| *c == control)
                .map(|(_, m)| m.clone())
        })
    }

    /// `aria-invalid` of `control` (tracked).
    fn invalid(self, control: &'static str) -> &'static str {
        if self.errors.with(|e| e.iter().any(|(c, _)| *c == control)) {
            "true"
        } else {
            "false"
        }
    }

    /// The person changed `control`: what was said about it no longer holds.
    fn forget(self, control: &'static str) {
        if self
            .errors
            .with_untracked(|e| e.iter().any(|(c, _)| *c == control))
        {
            self.errors.update(|e| e.retain(|(c, _)| *c != control));
        }
        if self
            .doubt
            .with_untracked(|d| d.is_some_and(|(c, ..)| c == control))
        {
            self.doubt.set(None);
        }
    }

    /// Whether `reading` at `control` was said to be right.
    fn is_confirmed(self, control: &'static str, reading: u32) -> bool {
        self.confirmed.get_untracked() == Some((control, reading))
    }

    /// Shows every error and the doubt (unless its control is in error) at
    /// their controls, and brings the first control in question into view,
    /// focused. True when nothing is in question: the form may be saved.
    fn show(
        self,
        mut errors: Vec<(&'static str, String)>,
        doubt: Option<(&'static str, u32, u32)>,
    ) -> bool {
        let rank = |c: &str| {
            CONTROLS
                .iter()
                .position(|x| *x == c)
                .unwrap_or(CONTROLS.len())
        };
        // One error per control, the first found (a "Required." before what
        // an empty value would otherwise break).
        errors.sort_by_key(|(c, _)| rank(c));
        errors.dedup_by_key(|(c, _)| *c);
        let doubt = doubt.filter(|(c, ..)| errors.iter().all(|(e, _)| e != c));
        let first = errors
            .iter()
            .map(|(c, _)| *c)
            .chain(doubt.map(|(c, ..)| c))
            .min_by_key(|c| rank(c));
        self.errors.set(errors);
        self.doubt.set(doubt);
        match first {
            Some(control) => {
                reveal(control, true);
                false
            }
            None => true,
        }
    }
}

/// A whole number of kilometres as typed ("5428", "5,428", "5 428").
fn parse_km(text: &str) -> Result<u32, Key> {
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | ' ' | '\u{a0}'))
        .collect();
    if digits.is_empty() {
        return Err(Key::Required);
    }
    digits.parse().map_err(|_| Key::OdometerWholeKm)
}

/// Fuel or battery as typed, 0 to 100 ("80", "80%"); empty is "Required.".
fn parse_percent(text: &str) -> Result<u32, Key> {
    let t = text.trim().trim_end_matches(['%', '％']).trim();
    if t.is_empty() {
        return Err(Key::Required);
    }
    t.parse::<u32>()
        .ok()
        .filter(|p| *p <= 100)
        .ok_or(Key::BadFuel)
}

/// The control a problem of the drive is about.
fn control_of(problem: DriveProblem, back: bool) -> &'static str {
    match problem {
        DriveProblem::Licence(LicenceProblem::BadNumber) => "licence-number",
        DriveProblem::Licence(LicenceProblem::WrongClass) => "licence-class",
        DriveProblem::Licence(LicenceProblem::Expired) => "licence-expiry",
        DriveProblem::NotSigned | DriveProblem::SignatureTooLarge => "signature",
        DriveProblem::OdometerBackwards => "odometer-in",
        DriveProblem::BadFuel if back => "fuel-in",
        DriveProblem::BadFuel => "fuel-out",
        DriveProblem::BadRating => "rating",
        DriveProblem::BadTimes => "record-return",
    }
}

/// A labelled text input bound to `value`, its error under it (referenced
/// by `aria-describedby`); `numeric` brings up the number pad. With
/// `on_right`, an odometer: a doubtful reading asks "Is … km right?" there,
/// and its "Yes, it is right" runs `on_right`.
fn text_field(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    numeric: bool,
    checks: Checks,
    on_right: Option<Callback<()>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let error_id = format!("{id}-error");
    let confirm_id = format!("{id}-confirm");
    let described = if on_right.is_some() {
        format!("{error_id} {confirm_id}")
    } else {
        error_id.clone()
    };
    let question = on_right.map(|yes| {
        move || {
            checks
                .doubt
                .get()
                .filter(|(c, ..)| *c == id)
                .map(|(_, last, reading)| {
                    view! {
                        <div class="field__confirm">
                            <p id=confirm_id.clone() class="field__confirm-text" role="alert">
                                {i18n.locale().odometer_doubt(last, reading)}
                            </p>
                            <button type="button" class="button button--secondary"
                                on:click=move |_| {
                                    checks.confirmed.set(Some((id, reading)));
                                    yes.run(());
                                }>
                                {i18n.t(Key::OdometerIsRight)}
                            </button>
                        </div>
                    }
                })
        }
    });
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id type="text" inputmode=if numeric { "numeric" } else { "text" }
                aria-describedby=described aria-invalid=move || checks.invalid(id)
                prop:value=move || value.get()
                on:input=move |ev| {
                    value.set(event_target_value(&ev));
                    checks.forget(id);
                } />
            <p id=error_id class="field__error" role="alert">{move || checks.error(id)}</p>
            {question}
        </div>
    }
}

#[component]
pub fn DrivePage() -> impl IntoView {
    crate::i18n::use_page_title(Key::TestDrive);
    crate::components::focus::focus_when_shown("drive-heading");
    let i18n = use_i18n();
    let auth = use_auth();
    let params = use_params_map();
    let navigate = use_navigate();
    let catalogue = use_dealer_catalogue();
    let floor = use_floor();
    let names = crate::local::people::use_colleague_names();
    let lead_id =
        Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<LeadId>().ok())));
    let drive_param = Memo::new(move |_| params.with(|p| p.get("drive")));
    let lead = crate::local::lead_index::use_open_lead(lead_id);
    let drive = Memo::new(move |_| {
        let id = drive_param.get()?.parse::<DriveId>().ok()?;
        lead.with(|l| {
            l.as_ref()?
                .as_ref()?
                .drives
                .iter()
                .find(|d| d.id == id)
                .cloned()
        })
    });
    // What saving did (at the top of the page, brought into view): never
    // "Saved" beside an error.
    let problem = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let stored = move |result: Result<(), String>| {
        match result {
            Ok(()) => {
                problem.set(None);
                saved.set(true);
            }
            Err(e) => {
                saved.set(false);
                problem.set(Some(e));
            }
        }
        reveal("drive-status", false);
    };
    let checks = Checks::new();
    // Shows what the form found; false (and no "Saved") when anything is.
    let judge = move |errors: Vec<(&'static str, String)>, doubt| {
        problem.set(None);
        let ok = checks.show(errors, doubt);
        if !ok {
            saved.set(false);
        }
        ok
    };

    // Booking (a new drive).
    // A new booking starts at the next free quarter hour (at least fifteen
    // minutes ahead), or tomorrow at 10:00 after 18:00: not 10:00 today at 17:14.
    let (first_date, first_time) = next_slot(clock::now_ms());
    let book_date = RwSignal::new(first_date);
    let book_time = RwSignal::new(first_time);
    let book_length = RwSignal::new(45i64);
    let book_car = RwSignal::new(None::<CarId>);
    let slot = Memo::new(move |_| {
        let start = local_ms(&book_date.get(), &book_time.get())?;
        Some((start, start + book_length.get() * 60_000))
    });
    let taken = Memo::new(move |_| match (book_car.get(), slot.get()) {
        (Some(car), Some((start, end))) => floor.index.with(|i| !i.free(car, start, end, None)),
        _ => false,
    });
    let book = Callback::new({
        let navigate = navigate.clone();
        move |now_drive: bool| {
            let (Some(lead), Some(me)) = (lead_id.get_untracked(), auth.session_untracked()) else {
                return;
            };
            let locale = i18n.locale_untracked();
            let now = clock::now_ms();
            let car = book_car.get_untracked();
            let mut errors = Vec::new();
            if car.is_none() {
                errors.push(("car-choice", locale.t(Key::ChooseCar).to_owned()));
            }
            let times = if now_drive {
                Some((now, now + book_length.get_untracked() * 60_000))
            } else {
                let times = slot.get_untracked();
                if times.is_none() {
                    let control = if book_date.get_untracked().parse::<Date>().is_err() {
                        "drive-date"
                    } else {
                        "drive-time"
                    };
                    errors.push((control, locale.t(Key::Required).to_owned()));
                }
                times
            };
            let (Some(car), Some((start, end)), true) = (car, times, judge(errors, None)) else {
                return;
            };
            let drive = TestDrive::booked(
                DriveId::from_uuid(store::new_uuid()),
                car,
                start,
                end,
                me.user.id,
                now,
            );
            let navigate = navigate.clone();
            spawn_local(async move {
                match leads::put_record(lead, &drive, me.user.id, now).await {
                    Ok(_) => navigate(
                        &format!("/leads/{lead}/drives/{}", drive.id),
                        Default::default(),
                    ),
                    Err(e) => stored(Err(i18n.locale_untracked().store_failed(&e))),
                }
            });
        }
    });

    // Before the car leaves.
    let licence_number = RwSignal::new(String::new());
    let licence_class = RwSignal::new(LicenceClass::C1);
    let licence_expiry = RwSignal::new(String::new());
    let agreement_zh = RwSignal::new(i18n.locale_untracked() == Locale::ZhCn);
    let strokes = RwSignal::new(Strokes::default());
    let typed_name = RwSignal::new(String::new());
    let accepts_typed = Signal::derive(move || {
        catalogue
            .dealer
            .with(|c| c.as_ref().is_some_and(|c| c.settings.agreement.typed_name))
    });
    let odometer_out = RwSignal::new(String::new());
    let fuel_out = RwSignal::new(String::from("100"));
    let route = RwSignal::new(String::new());
    let companion_me = RwSignal::new(true);
    // The car's last reading the device knows: the highest of its other
    // drives (out or back) and the catalogue's (which only a manager
    // updates; 0 is "not entered").
    let last_reading = move |d: &TestDrive| {
        let listed = catalogue.dealer.with_untracked(|c| {
            c.as_ref()
                .and_then(|c| c.car(d.car))
                .map(|c| c.odometer_km)
                .filter(|km| *km > 0)
        });
        listed.max(
            floor
                .index
                .with_untracked(|i| i.last_odometer(d.car, Some(d.id))),
        )
    };
    // The car's reading now as the starting one (the catalogue's, even 0,
    // when nothing else is known).
    Effect::new(move |_| {
        if let Some(d) = drive.get() {
            let listed = catalogue
                .dealer
                .with(|c| c.as_ref().and_then(|c| c.car(d.car)).map(|c| c.odometer_km));
            if odometer_out.get_untracked().is_empty()
                && let Some(km) = listed.max(last_reading(&d))
            {
                odometer_out.set(km.to_string());
            }
        }
    });
    let start = Callback::new(move |()| {
        let (Some(lead), Some(me), Some(mut d)) = (
            lead_id.get_untracked(),
            auth.session_untracked(),
            drive.get_untracked(),
        ) else {
            return;
        };
        let locale = i18n.locale_untracked();
        let Some(trim) = catalogue.dealer.with_untracked(|c| {
            c.as_ref()
                .and_then(|c| c.car(d.car).and_then(|car| c.trim(car.trim)).cloned())
        }) else {
            stored(Err(locale.t(Key::ChooseCar).to_owned()));
            return;
        };
        let today = clock::today();
        let now = clock::now_ms();
        let me_id = me.user.id;
        let required = || locale.t(Key::Required).to_owned();
        let mut errors = Vec::new();
        let number = licence_number.get_untracked().trim().to_uppercase();
        if number.is_empty() {
            errors.push(("licence-number", required()));
        }
        let expires = licence_expiry.get_untracked().parse::<Date>().ok();
        if expires.is_none() {
            errors.push(("licence-expiry", required()));
        }
        d.licence = Some(Licence {
            number,
            class: licence_class.get_untracked(),
            // Not typed: "Required." above, and no "expired" as well.
            expires: expires.unwrap_or(today),
        });
        let signed = strokes.get_untracked();
        let typed = typed_name.get_untracked().trim().to_owned();
        let version = catalogue
            .dealer
            .with_untracked(|c| c.as_ref().map_or(1, |c| c.settings.agreement.version));
        d.signature = (!signed.is_empty() || !typed.is_empty()).then(|| Signature {
            strokes: signed,
            typed_name: typed,
            agreement_version: version,
            language: if agreement_zh.get_untracked() {
                "zh-CN"
            } else {
                "en"
            }
            .to_owned(),
            signed_at: now,
            captured_by: me_id,
        });
        let km = parse_km(&odometer_out.get_untracked());
        let fuel = parse_percent(&fuel_out.get_untracked());
        for (control, parsed) in [("odometer-out", km), ("fuel-out", fuel)] {
            if let Err(key) = parsed {
                errors.push((control, locale.t(key).to_owned()));
            }
        }
        d.out = Some(DriveOut {
            at: now,
            odometer_km: km.unwrap_or_default(),
            fuel_pct: fuel.unwrap_or_default(),
            route: route.get_untracked().trim().to_owned(),
            companion: companion_me.get_untracked().then_some(me_id),
            recorded_by: me_id,
        });
        for p in d.out_problems(today, &trim, accepts_typed.get_untracked()) {
            errors.push((control_of(p, false), locale.drive_problem(p).to_owned()));
        }
        let doubt = km
            .ok()
            .filter(|km| !checks.is_confirmed("odometer-out", *km))
            .and_then(|km| {
                odometer_doubt(km, last_reading(&d)).map(|o| ("odometer-out", o.last(), km))
            });
        if !judge(errors, doubt) {
            return;
        }
        d.status = DriveStatus::Out;
        spawn_local(async move {
            let result = leads::drive_happened(lead, &d, me_id, now).await;
            stored(
                result
                    .map(drop)
                    .map_err(|e| i18n.locale_untracked().store_failed(&e)),
            );
        });
    });

    // On return.
    let odometer_in = RwSignal::new(String::new());
    let fuel_in = RwSignal::new(String::new());
    let damage = RwSignal::new(String::new());
    let rating = RwSignal::new(None::<u32>);
    let comment = RwSignal::new(String::new());
    let record_return = Callback::new(move |()| {
        let (Some(lead), Some(me), Some(mut d)) = (
            lead_id.get_untracked(),
            auth.session_untracked(),
            drive.get_untracked(),
        ) else {
            return;
        };
        let locale = i18n.locale_untracked();
        let now = clock::now_ms();
        let out_km = d.out.as_ref().map(|o| o.odometer_km);
        let mut errors = Vec::new();
        let km = parse_km(&odometer_in.get_untracked());
        let fuel = parse_percent(&fuel_in.get_untracked());
        for (control, parsed) in [("odometer-in", km), ("fuel-in", fuel)] {
            if let Err(key) = parsed {
                errors.push((control, locale.t(key).to_owned()));
            }
        }
        d.back = Some(DriveBack {
            at: now,
            // Not typed: "Required." above, and no "below the odometer out".
            odometer_km: km.unwrap_or(out_km.unwrap_or_default()),
            fuel_pct: fuel.unwrap_or_default(),
            damage: damage.get_untracked().trim().to_owned(),
            rating: rating.get_untracked(),
            comment: comment.get_untracked().trim().to_owned(),
            recorded_by: me.user.id,
        });
        for p in d.back_problems() {
            errors.push((control_of(p, true), locale.drive_problem(p).to_owned()));
        }
        // Compared with the reading out (below it is an error above), or the
        // car's last reading when the drive has none.
        let last = out_km.or_else(|| last_reading(&d));
        let doubt = km
            .ok()
            .filter(|km| !checks.is_confirmed("odometer-in", *km))
            .and_then(|km| odometer_doubt(km, last).map(|o| ("odometer-in", o.last(), km)));
        if !judge(errors, doubt) {
            return;
        }
        d.status = DriveStatus::Returned;
        spawn_local(async move {
            let result = leads::drive_happened(lead, &d, me.user.id, now).await;
            stored(
                result
                    .map(drop)
                    .map_err(|e| i18n.locale_untracked().store_failed(&e)),
            );
        });
    });

    // Cancelling a booking asks first, in a panel under its button.
    let confirming_cancel = RwSignal::new(false);
    let cancel_opener = NodeRef::<leptos::html::Button>::new();
    let cancel_panel = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if confirming_cancel.get()
            && let Some(el) = cancel_panel.get()
        {
            let _ = el.focus();
        }
    });
    let close_cancel = move || {
        confirming_cancel.set(false);
        if let Some(b) = cancel_opener.get_untracked() {
            let _ = b.focus();
        }
    };
    let cancel = move |_| {
        let (Some(lead), Some(me), Some(mut d)) = (
            lead_id.get_untracked(),
            auth.session_untracked(),
            drive.get_untracked(),
        ) else {
            return;
        };
        confirming_cancel.set(false);
        checks.show(Vec::new(), None);
        d.status = DriveStatus::Cancelled;
        spawn_local(async move {
            let result = leads::put_record(lead, &d, me.user.id, clock::now_ms()).await;
            stored(
                result
                    .map(drop)
                    .map_err(|e| i18n.locale_untracked().store_failed(&e)),
            );
        });
    };

    let cars = move || {
        catalogue.dealer.with(|c| {
            c.as_ref()
                .map(|c| {
                    c.cars
                        .iter()
                        .filter(|c| !c.archived)
                        .cloned()
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    let car_label = move |car: CarId| {
        catalogue
            .dealer
            .with(|c| c.as_ref().map(|c| c.car_label(car)).unwrap_or_default())
    };
    let agreement = move || {
        catalogue.dealer.with(|c| {
            let a = c
                .as_ref()
                .map(|c| c.settings.agreement.clone())
                .unwrap_or_default();
            if agreement_zh.get() { a.zh } else { a.en }
        })
    };
    let back = move || {
        lead_id
            .get()
            .map(|l| format!("/leads/{l}"))
            .unwrap_or_default()
    };
    let customer = move || {
        lead.with(|l| {
            l.as_ref()
                .and_then(|l| l.as_ref())
                .map(|l| l.customer.name.clone())
                .unwrap_or_default()
        })
    };

    view! {
        <section class="page drive" aria-labelledby="drive-heading">
            <A href=back attr:class="back-link no-print">{move || customer()}</A>
            <h1 id="drive-heading" class="page__title">{move || i18n.t(Key::TestDrive)}" · "{customer}</h1>
            <div id="drive-status" class="drive__status-area no-print">
                <p class="saved-status" role="status">{move || saved.get().then(|| i18n.t(Key::SavedOnDevice))}</p>
                {move || problem.get().map(|p| view! { <p class="form__error" role="alert">{p}</p> })}
            </div>
            {move || {
                if lead.with(|l| l.is_none()) {
                    return view! { <p class="muted">{i18n.t(Key::Loading)}</p> }.into_any();
                }
                if drive_param.get().as_deref() == Some("new") {
                    return view! {
                        <div class="card">
                            {move || cars().is_empty().then(|| view! { <p class="notice">{i18n.t(Key::NoDemoCars)}</p> })}
                            <fieldset id="car-choice" class="car-choice" tabindex="-1"
                                aria-describedby="car-choice-error" aria-invalid=move || checks.invalid("car-choice")>
                                <legend>{i18n.t(Key::DemoCar)}</legend>
                                {move || cars().into_iter().map(|car| {
                                    let id = car.id;
                                    let state = floor.index.with(|i| i.car_state(id, clock::now_ms()));
                                    let out = matches!(state, crate::local::floor::CarState::Out(_));
                                    view! {
                                        <label class="radio-card">
                                            <input type="radio" name="car" prop:checked=move || book_car.get() == Some(id)
                                                on:change=move |_| {
                                                    book_car.set(Some(id));
                                                    checks.forget("car-choice");
                                                } />
                                            <span>{car_label(id)}</span>
                                            <span class="muted">{if out { i18n.t(Key::CarOut) } else { i18n.t(Key::CarAvailable) }}</span>
                                        </label>
                                    }
                                }).collect_view()}
                                <p id="car-choice-error" class="field__error" role="alert">{move || checks.error("car-choice")}</p>
                            </fieldset>
                            <div class="field-row">
                                <div class="field">
                                    <label for="drive-date">{i18n.t(Key::DriveDate)}</label>
                                    <input id="drive-date" type="date" aria-describedby="drive-date-error" aria-invalid=move || checks.invalid("drive-date")
                                        prop:value=move || book_date.get()
                                        on:input=move |ev| { book_date.set(event_target_value(&ev)); checks.forget("drive-date"); } />
                                    <p id="drive-date-error" class="field__error" role="alert">{move || checks.error("drive-date")}</p>
                                </div>
                                <div class="field">
                                    <label for="drive-time">{i18n.t(Key::DriveTime)}</label>
                                    <input id="drive-time" type="time" aria-describedby="drive-time-error" aria-invalid=move || checks.invalid("drive-time")
                                        prop:value=move || book_time.get()
                                        on:input=move |ev| { book_time.set(event_target_value(&ev)); checks.forget("drive-time"); } />
                                    <p id="drive-time-error" class="field__error" role="alert">{move || checks.error("drive-time")}</p>
                                </div>
                                <div class="field">
                                    <label for="drive-length">{i18n.t(Key::DriveLength)}</label>
                                    <select id="drive-length" class="select" on:change=move |ev| if let Ok(n) = event_target_value(&ev).parse() { book_length.set(n) }>
                                        {LENGTHS_MIN.iter().map(|m| view! { <option value=m.to_string() selected={*m == 45}>{format!("{m} min")}</option> }).collect_view()}
                                    </select>
                                </div>
                            </div>
                            {move || taken.get().then(|| view! { <p class="notice" role="alert">{i18n.t(Key::CarTaken)}</p> })}
                            <div class="actions">
                                <button type="button" class="button button--primary" on:click=move |_| book.run(false)>{i18n.t(Key::SaveBooking)}</button>
                                <button type="button" class="button button--secondary" on:click=move |_| book.run(true)>{i18n.t(Key::StartDriveNow)}</button>
                            </div>
                        </div>
                    }.into_any();
                }
                let Some(d) = drive.get() else {
                    return view! { <p class="notice">{i18n.t(Key::DriveNotFound)}</p> }.into_any();
                };
                let locale = i18n.locale();
                let clashes = floor.index.with(|i| i.clashes(d.id));
                let status = d.status;
                view! {
                    <div class="card drive__summary">
                        <dl class="facts">
                            <div class="facts__item"><dt>{i18n.t(Key::DemoCar)}</dt><dd>{car_label(d.car)}</dd></div>
                            <div class="facts__item"><dt>{i18n.t(Key::DriveTime)}</dt>
                                <dd>{format!("{} – {}", locale.date_time(d.start), locale.time_of_day(d.end))}</dd></div>
                            <div class="facts__item"><dt>{i18n.t(Key::DriveStatusLabel)}</dt><dd class="drive__status">{locale.drive_status(status)}</dd></div>
                        </dl>
                        {(!clashes.is_empty()).then(|| view! {
                            <div class="notice clash" role="alert">
                                <strong>{i18n.t(Key::Clash)}</strong>" "{i18n.t(Key::ClashDetail)}
                                <ul>{clashes.iter().map(|c| view! { <li>{format!("{} · {} – {}", names.with(|n| locale.floor_customer(c.customer.as_deref(), c.salesperson, n)), locale.date_time(c.start), locale.time_of_day(c.end))}</li> }).collect_view()}</ul>
                            </div>
                        })}
                    </div>
                    {(status == DriveStatus::Booked).then(|| view! {
                        <form class="card form" on:submit=|ev| ev.prevent_default() novalidate>
                            <h2 class="card__title">{i18n.t(Key::BeforeTheCarLeaves)}</h2>
                            <fieldset class="field-row">
                                <legend class="field__label">{i18n.t(Key::Licence)}</legend>
                                <div class="field">
                                    <label for="licence-number">{i18n.t(Key::LicenceNumber)}</label>
                                    <input id="licence-number" type="text" autocomplete="off" autocapitalize="characters"
                                        aria-describedby="licence-number-error" aria-invalid=move || checks.invalid("licence-number")
                                        prop:value=move || licence_number.get()
                                        on:input=move |ev| { licence_number.set(event_target_value(&ev)); checks.forget("licence-number"); } />
                                    <p id="licence-number-error" class="field__error" role="alert">{move || checks.error("licence-number")}</p>
                                </div>
                                <div class="field">
                                    <label for="licence-class">{i18n.t(Key::LicenceClass)}</label>
                                    <select id="licence-class" class="select"
                                        aria-describedby="licence-class-error" aria-invalid=move || checks.invalid("licence-class")
                                        on:change=move |ev| {
                                            if let Ok(c) = event_target_value(&ev).parse() { licence_class.set(c) }
                                            checks.forget("licence-class");
                                        }>
                                        {LicenceClass::ALL.iter().map(|c| view! { <option value=c.as_str() selected={*c == LicenceClass::C1}>{c.as_str()}</option> }).collect_view()}
                                    </select>
                                    <p id="licence-class-error" class="field__error" role="alert">{move || checks.error("licence-class")}</p>
                                </div>
                                <div class="field">
                                    <label for="licence-expiry">{i18n.t(Key::LicenceExpiry)}</label>
                                    <input id="licence-expiry" type="date"
                                        aria-describedby="licence-expiry-error" aria-invalid=move || checks.invalid("licence-expiry")
                                        prop:value=move || licence_expiry.get()
                                        on:input=move |ev| { licence_expiry.set(event_target_value(&ev)); checks.forget("licence-expiry"); }
                                        on:change=move |ev| licence_expiry.set(event_target_value(&ev)) />
                                    <p id="licence-expiry-error" class="field__error" role="alert">{move || checks.error("licence-expiry")}</p>
                                </div>
                            </fieldset>
                            <section class="agreement" aria-labelledby="agreement-heading">
                                <h3 id="agreement-heading" class="card__subtitle">{i18n.t(Key::Agreement)}</h3>
                                <div class="chips" role="group" aria-label=i18n.t(Key::AgreementLanguage)>
                                    <button type="button" class="chip" aria-pressed=move || agreement_zh.get().to_string() on:click=move |_| agreement_zh.set(true)>"中文"</button>
                                    <button type="button" class="chip" aria-pressed=move || (!agreement_zh.get()).to_string() on:click=move |_| agreement_zh.set(false)>"English"</button>
                                </div>
                                <p class="agreement__text" lang=move || if agreement_zh.get() { "zh-CN" } else { "en" }>{agreement}</p>
                                // Focusable, so that a missing signature can be brought into view.
                                <div id="signature" class="drive__signature" role="group" tabindex="-1"
                                    aria-label=i18n.t(Key::Signature)
                                    aria-describedby="signature-error" aria-invalid=move || checks.invalid("signature")>
                                    <SignatureField
                                        id="drive"
                                        label=Signal::derive(move || i18n.t(Key::Signature).to_owned())
                                        hint=Signal::derive(move || i18n.t(Key::SignHere).to_owned())
                                        clear_text=Signal::derive(move || i18n.t(Key::ClearSignature).to_owned())
                                        accepts_typed=accepts_typed
                                        on_change=Callback::new(move |(s, typed): (Strokes, String)| {
                                            strokes.set(s);
                                            typed_name.set(typed);
                                            checks.forget("signature");
                                        })
                                    />
                                    <p id="signature-error" class="field__error" role="alert">{move || checks.error("signature")}</p>
                                </div>
                            </section>
                            <div class="field-row">
                                {text_field("odometer-out", i18n.t(Key::OdometerOut), odometer_out, true, checks, Some(start))}
                                {text_field("fuel-out", i18n.t(Key::FuelOut), fuel_out, true, checks, None)}
                            </div>
                            {text_field("route", i18n.t(Key::Route), route, false, checks, None)}
                            <div class="chips" role="group" aria-label=i18n.t(Key::Companion)>
                                <span class="chip-group__label" aria-hidden="true">{i18n.t(Key::Companion)}</span>
                                <button type="button" class="chip" aria-pressed=move || companion_me.get().to_string() on:click=move |_| companion_me.set(true)>{i18n.t(Key::CompanionMe)}</button>
                                <button type="button" class="chip" aria-pressed=move || (!companion_me.get()).to_string() on:click=move |_| companion_me.set(false)>{i18n.t(Key::CompanionNone)}</button>
                            </div>
                            <div class="actions">
                                <button type="button" class="button button--primary button--big" on:click=move |_| start.run(())>{i18n.t(Key::StartDrive)}</button>
                            </div>
                            // Away from "Start the drive", and asked first.
                            <div class="drive__cancel">
                                <button type="button" class="button button--danger-quiet" node_ref=cancel_opener
                                    aria-expanded=move || confirming_cancel.get().to_string()
                                    on:click=move |_| confirming_cancel.set(true)>
                                    {i18n.t(Key::CancelDrive)}
                                </button>
                                <Show when=move || confirming_cancel.get()>
                                    <div class="confirm" role="alertdialog" tabindex="-1" node_ref=cancel_panel
                                        aria-labelledby="cancel-booking-text"
                                        on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                                            if ev.key() == "Escape" {
                                                ev.prevent_default();
                                                close_cancel();
                                            }
                                        }>
                                        <p id="cancel-booking-text" class="confirm__text">{move || i18n.t(Key::CancelBookingConfirm)}</p>
                                        <div class="confirm__actions">
                                            <button type="button" class="button button--danger" on:click=cancel>
                                                {move || i18n.t(Key::CancelBookingYes)}
                                            </button>
                                            <button type="button" class="button button--secondary" on:click=move |_| close_cancel()>
                                                {move || i18n.t(Key::KeepBooking)}
                                            </button>
                                        </div>
                                    </div>
                                </Show>
                            </div>
                        </form>
                    })}
                    {(status == DriveStatus::Out).then(|| view! {
                        <form class="card form" on:submit=|ev| ev.prevent_default() novalidate>
                            <h2 class="card__title">{i18n.t(Key::OnReturn)}</h2>
                            <div class="field-row">
                                {text_field("odometer-in", i18n.t(Key::OdometerIn), odometer_in, true, checks, Some(record_return))}
                                {text_field("fuel-in", i18n.t(Key::FuelIn), fuel_in, true, checks, None)}
                            </div>
                            <div class="field">
                                <label for="damage">{i18n.t(Key::Damage)}</label>
                                <textarea id="damage" prop:value=move || damage.get() on:input=move |ev| damage.set(event_target_value(&ev))></textarea>
                            </div>
                            <div id="rating" class="chips" role="group" tabindex="-1" aria-label=i18n.t(Key::Rating)
                                aria-describedby="rating-error" aria-invalid=move || checks.invalid("rating")>
                                <span class="chip-group__label" aria-hidden="true">{i18n.t(Key::Rating)}</span>
                                {(1..=5u32).map(|n| view! {
                                    <button type="button" class="chip" aria-pressed=move || (rating.get() == Some(n)).to_string()
                                        on:click=move |_| { rating.set(Some(n)); checks.forget("rating"); }>{n.to_string()}</button>
                                }).collect_view()}
                            </div>
                            <p id="rating-error" class="field__error" role="alert">{move || checks.error("rating")}</p>
                            <div class="field">
                                <label for="comment">{i18n.t(Key::Comment)}</label>
                                <textarea id="comment" prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                            </div>
                            <button id="record-return" type="button" class="button button--primary button--big"
                                aria-describedby="record-return-error" on:click=move |_| record_return.run(())>{i18n.t(Key::RecordReturn)}</button>
                            <p id="record-return-error" class="field__error" role="alert">{move || checks.error("record-return")}</p>
                        </form>
                    })}
                    <DriveRecord drive=d.clone() dealer=catalogue.dealer.get() customer=customer() />
                }.into_any()
            }}
        </section>
    }
}

/// What a test drive recorded, as it prints (the page's A4 record).
#[component]
fn DriveRecord(drive: TestDrive, dealer: Option<Dealer>, customer: String) -> impl IntoView {
    let i18n = use_i18n();
    let locale = i18n.locale();
    let car = dealer
        .as_ref()
        .map(|d| d.car_label(drive.car))
        .unwrap_or_default();
    let vin = dealer
        .as_ref()
        .and_then(|d| d.car(drive.car))
        .map(|c| c.vin.to_string())
        .unwrap_or_default();
    let print = move |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    let has_record = drive.out.is_some();
    let fallback_name = use_auth()
        .session_untracked()
        .map(|s| s.dealer.name)
        .unwrap_or_default();
    let profile = dealer
        .as_ref()
        .map(|d| d.settings.profile.clone())
        .unwrap_or_default();
    view! {
        <article class="card drive-record" aria-label=i18n.t(Key::TestDrive)>
            <Letterhead profile=profile fallback_name=fallback_name />
            <h2 class="card__title">{i18n.t(Key::TestDrive)}" · "{customer}</h2>
            <dl class="facts">
                <div class="facts__item"><dt>{i18n.t(Key::DemoCar)}</dt><dd>{car}</dd></div>
                <div class="facts__item"><dt>{i18n.t(Key::Vin)}</dt><dd class="mono">{vin}</dd></div>
                {drive.licence.as_ref().map(|l| view! {
                    <div class="facts__item"><dt>{i18n.t(Key::Licence)}</dt>
                        <dd>{format!("{} · {} · {}", l.number, l.class.as_str(), l.expires)}</dd></div>
                })}
                {drive.out.as_ref().map(|o| view! {
                    <div class="facts__item"><dt>{i18n.t(Key::OutSince)}</dt>
                        <dd>{format!("{} · {} km · {}%", locale.date_time(o.at), o.odometer_km, o.fuel_pct)}</dd></div>
                    <div class="facts__item"><dt>{i18n.t(Key::Route)}</dt><dd>{o.route.clone()}</dd></div>
                })}
                {drive.back.as_ref().map(|b| view! {
                    <div class="facts__item"><dt>{i18n.t(Key::OnReturn)}</dt>
                        <dd>{format!("{} · {} km · {}%", locale.date_time(b.at), b.odometer_km, b.fuel_pct)}</dd></div>
                    <div class="facts__item"><dt>{i18n.t(Key::Damage)}</dt><dd>{b.damage.clone()}</dd></div>
                    <div class="facts__item"><dt>{i18n.t(Key::Rating)}</dt><dd>{b.rating.map(|r| format!("{r} / 5")).unwrap_or_default()}</dd></div>
                    <div class="facts__item"><dt>{i18n.t(Key::Comment)}</dt><dd>{b.comment.clone()}</dd></div>
                })}
                {drive.signature.as_ref().map(|s| view! {
                    <div class="facts__item"><dt>{i18n.t(Key::SignedAgreementVersion)}</dt>
                        <dd>{format!("v{} · {} · {}", s.agreement_version, s.language, locale.date_time(s.signed_at))}</dd></div>
                })}
            </dl>
            {drive.signature.as_ref().map(|s| signature_shown(s, locale))}
            {has_record.then(|| view! {
                <button type="button" class="button button--secondary no-print" on:click=print>{i18n.t(Key::PrintRecord)}</button>
            })}
        </article>
    }
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    #[wasm_bindgen_test]
    fn an_empty_fuel_field_is_required_not_out_of_range() {
        assert_eq!(parse_percent(""), Err(Key::Required));
        assert_eq!(parse_percent("  "), Err(Key::Required));
        assert_eq!(parse_percent("80"), Ok(80));
        assert_eq!(parse_percent("80 %"), Ok(80));
        assert_eq!(parse_percent("101"), Err(Key::BadFuel));
        assert_eq!(parse_percent("-5"), Err(Key::BadFuel));
    }

    #[wasm_bindgen_test]
    fn odometer_readings_read_as_typed() {
        assert_eq!(parse_km(""), Err(Key::Required));
        assert_eq!(parse_km("5,428"), Ok(5_428));
        assert_eq!(parse_km(" 5 428 "), Ok(5_428));
        assert_eq!(parse_km("5428.5"), Err(Key::OdometerWholeKm));
        assert_eq!(
            Locale::En.odometer_doubt(5_428, 1_250),
            "The car's last reading was 5,428 km. Is 1,250 km right?"
        );
    }

    #[wasm_bindgen_test]
    fn every_drive_problem_shows_at_a_control_of_the_page() {
        use showroom_shared::domain::showroom::LicenceProblem as L;
        let problems = [
            DriveProblem::Licence(L::BadNumber),
            DriveProblem::Licence(L::Expired),
            DriveProblem::Licence(L::WrongClass),
            DriveProblem::NotSigned,
            DriveProblem::SignatureTooLarge,
            DriveProblem::OdometerBackwards,
            DriveProblem::BadFuel,
            DriveProblem::BadRating,
            DriveProblem::BadTimes,
        ];
        for p in problems {
            for back in [false, true] {
                assert!(CONTROLS.contains(&control_of(p, back)), "{p:?}");
            }
        }
        assert_eq!(control_of(DriveProblem::BadFuel, true), "fuel-in");
        assert_eq!(control_of(DriveProblem::BadFuel, false), "fuel-out");
    }
}

/// The first booking slot offered at `now` (Unix ms): the next quarter hour
/// at least fifteen minutes ahead in the dealer's zone, or 10:00 the next
/// day once that is past 18:00. As the date and time inputs take them.
pub fn next_slot(now: i64) -> (String, String) {
    const DAY_MINUTES: i64 = 24 * 60;
    let local = now + i64::from(clock::offset_minutes(now)) * 60_000;
    let minutes = local.rem_euclid(86_400_000) / 60_000;
    let next = (minutes + 15 + 14) / 15 * 15;
    let today = showroom_shared::domain::Date::from_unix_ms(now, clock::offset_minutes(now));
    if next >= 18 * 60 || next >= DAY_MINUTES {
        (today.add_days(1).to_string(), "10:00".to_owned())
    } else {
        (
            today.to_string(),
            format!("{:02}:{:02}", next / 60, next % 60),
        )
    }
}
