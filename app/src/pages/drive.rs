//! `/leads/:id/drives/:drive` (`new` to book): one test drive — booked for a
//! demo car and a time (a clash with another booking of the car is shown,
//! even when two tablets booked offline), then before the car leaves the
//! licence (an expired one or a class that does not cover the car blocks the
//! start), the agreement in the customer's language signed with a finger,
//! odometer and fuel out, route and companion; on return odometer and fuel
//! in, damage, the customer's rating. The record prints on A4.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use showroom_shared::domain::catalogue::{CarId, Dealer};
use showroom_shared::domain::showroom::{
    DriveBack, DriveId, DriveOut, DriveStatus, Licence, LicenceClass, Signature, Strokes, TestDrive,
};
use showroom_shared::domain::{Date, LeadId};

use crate::components::letterhead::Letterhead;
use crate::components::signature_pad::{SignaturePad, SignatureView};
use crate::i18n::{Key, Locale, use_i18n};
use crate::local::auth::use_auth;
use crate::local::clock;
use crate::local::dealer::use_dealer_catalogue;
use crate::local::floor_index::use_floor;
use crate::local::leads;

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

/// A labelled text input bound to `value`; `numeric` brings up the number pad.
fn text_field(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    numeric: bool,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id type="text" inputmode=if numeric { "numeric" } else { "text" }
                prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
        </div>
    }
}

#[component]
pub fn DrivePage() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let params = use_params_map();
    let navigate = use_navigate();
    let catalogue = use_dealer_catalogue();
    let floor = use_floor();
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
    let problem = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);

    // Booking (a new drive).
    let today = clock::today().to_string();
    let book_date = RwSignal::new(today.clone());
    let book_time = RwSignal::new(String::from("10:00"));
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
            let Some(car) = book_car.get_untracked() else {
                problem.set(Some(i18n.t(Key::ChooseCar).to_owned()));
                return;
            };
            let now = clock::now_ms();
            let (start, end) = if now_drive {
                (now, now + book_length.get_untracked() * 60_000)
            } else {
                match slot.get_untracked() {
                    Some(s) => s,
                    None => return,
                }
            };
            let drive = TestDrive::booked(
                DriveId::from_uuid(leads::new_uuid()),
                car,
                start,
                end,
                me.user.id,
                now,
            );
            let navigate = navigate.clone();
            spawn_local(async move {
                match leads::put_drive(lead, &drive, me.user.id, now).await {
                    Ok(_) => navigate(
                        &format!("/leads/{lead}/drives/{}", drive.id),
                        Default::default(),
                    ),
                    Err(e) => problem.set(Some(i18n.locale_untracked().store_failed(&e))),
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
    let odometer_out = RwSignal::new(String::new());
    let fuel_out = RwSignal::new(String::from("100"));
    let route = RwSignal::new(String::new());
    let companion_me = RwSignal::new(true);
    // The car's reading now as the starting one: its last return, or the
    // catalogue's (which only a manager updates).
    Effect::new(move |_| {
        if let Some(d) = drive.get() {
            let listed = catalogue
                .dealer
                .with(|c| c.as_ref().and_then(|c| c.car(d.car)).map(|c| c.odometer_km));
            let km = listed.max(floor.index.with_untracked(|i| i.last_odometer(d.car)));
            if odometer_out.get_untracked().is_empty()
                && let Some(km) = km
            {
                odometer_out.set(km.to_string());
            }
        }
    });
    let start = move |_| {
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
            problem.set(Some(locale.t(Key::ChooseCar).to_owned()));
            return;
        };
        let now = clock::now_ms();
        let me_id = me.user.id;
        d.licence = Some(Licence {
            number: licence_number.get_untracked().trim().to_uppercase(),
            class: licence_class.get_untracked(),
            expires: match licence_expiry.get_untracked().parse::<Date>() {
                Ok(date) => date,
                Err(_) => {
                    problem.set(Some(
                        locale.t(Key::LicenceExpiry).to_owned() + ": " + locale.t(Key::Required),
                    ));
                    return;
                }
            },
        });
        let signed = strokes.get_untracked();
        let version = catalogue
            .dealer
            .with_untracked(|c| c.as_ref().map_or(1, |c| c.settings.agreement.version));
        d.signature = (!signed.is_empty()).then(|| Signature {
            strokes: signed,
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
        let Ok(km) = odometer_out.get_untracked().trim().parse::<u32>() else {
            problem.set(Some(
                locale.t(Key::OdometerOut).to_owned() + ": " + locale.t(Key::Required),
            ));
            return;
        };
        d.out = Some(DriveOut {
            at: now,
            odometer_km: km,
            fuel_pct: fuel_out.get_untracked().trim().parse().unwrap_or(101),
            route: route.get_untracked().trim().to_owned(),
            companion: companion_me.get_untracked().then_some(me_id),
            recorded_by: me_id,
        });
        if let Err(p) = d.check_out(clock::today(), &trim) {
            problem.set(Some(locale.drive_problem(p).to_owned()));
            return;
        }
        d.status = DriveStatus::Out;
        problem.set(None);
        spawn_local(async move {
            match leads::drive_happened(lead, &d, me_id, now).await {
                Ok(_) => saved.set(true),
                Err(e) => problem.set(Some(i18n.locale_untracked().store_failed(&e))),
            }
        });
    };

    // On return.
    let odometer_in = RwSignal::new(String::new());
    let fuel_in = RwSignal::new(String::new());
    let damage = RwSignal::new(String::new());
    let rating = RwSignal::new(None::<u32>);
    let comment = RwSignal::new(String::new());
    let record_return = move |_| {
        let (Some(lead), Some(me), Some(mut d)) = (
            lead_id.get_untracked(),
            auth.session_untracked(),
            drive.get_untracked(),
        ) else {
            return;
        };
        let locale = i18n.locale_untracked();
        let now = clock::now_ms();
        let Ok(km) = odometer_in.get_untracked().trim().parse::<u32>() else {
            problem.set(Some(
                locale.t(Key::OdometerIn).to_owned() + ": " + locale.t(Key::Required),
            ));
            return;
        };
        d.back = Some(DriveBack {
            at: now,
            odometer_km: km,
            fuel_pct: fuel_in.get_untracked().trim().parse().unwrap_or(101),
            damage: damage.get_untracked().trim().to_owned(),
            rating: rating.get_untracked(),
            comment: comment.get_untracked().trim().to_owned(),
            recorded_by: me.user.id,
        });
        if let Err(p) = d.check_back() {
            problem.set(Some(locale.drive_problem(p).to_owned()));
            return;
        }
        d.status = DriveStatus::Returned;
        problem.set(None);
        spawn_local(async move {
            match leads::drive_happened(lead, &d, me.user.id, now).await {
                Ok(_) => saved.set(true),
                Err(e) => problem.set(Some(i18n.locale_untracked().store_failed(&e))),
            }
        });
    };
    let cancel = move |_| {
        let (Some(lead), Some(me), Some(mut d)) = (
            lead_id.get_untracked(),
            auth.session_untracked(),
            drive.get_untracked(),
        ) else {
            return;
        };
        d.status = DriveStatus::Cancelled;
        spawn_local(async move {
            if let Err(e) = leads::put_drive(lead, &d, me.user.id, clock::now_ms()).await {
                problem.set(Some(e.to_string()));
            }
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
            {move || {
                if lead.with(|l| l.is_none()) {
                    return view! { <p class="muted">{i18n.t(Key::Loading)}</p> }.into_any();
                }
                if drive_param.get().as_deref() == Some("new") {
                    return view! {
                        <div class="card">
                            {move || cars().is_empty().then(|| view! { <p class="notice">{i18n.t(Key::NoDemoCars)}</p> })}
                            <fieldset class="car-choice">
                                <legend>{i18n.t(Key::DemoCar)}</legend>
                                {move || cars().into_iter().map(|car| {
                                    let id = car.id;
                                    let state = floor.index.with(|i| i.car_state(id, clock::now_ms()));
                                    let out = matches!(state, crate::local::floor::CarState::Out(_));
                                    view! {
                                        <label class="radio-card">
                                            <input type="radio" name="car" prop:checked=move || book_car.get() == Some(id)
                                                on:change=move |_| book_car.set(Some(id)) />
                                            <span>{car_label(id)}</span>
                                            <span class="muted">{if out { i18n.t(Key::CarOut) } else { i18n.t(Key::CarAvailable) }}</span>
                                        </label>
                                    }
                                }).collect_view()}
                            </fieldset>
                            <div class="field-row">
                                <div class="field">
                                    <label for="drive-date">{i18n.t(Key::DriveDate)}</label>
                                    <input id="drive-date" type="date" prop:value=move || book_date.get() on:input=move |ev| book_date.set(event_target_value(&ev)) />
                                </div>
                                <div class="field">
                                    <label for="drive-time">{i18n.t(Key::DriveTime)}</label>
                                    <input id="drive-time" type="time" prop:value=move || book_time.get() on:input=move |ev| book_time.set(event_target_value(&ev)) />
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
                                <ul>{clashes.iter().map(|c| view! { <li>{format!("{} · {} – {}", c.customer, locale.date_time(c.start), locale.time_of_day(c.end))}</li> }).collect_view()}</ul>
                            </div>
                        })}
                    </div>
                    {(status == DriveStatus::Booked).then(|| view! {
                        <form class="card form" on:submit=|ev| ev.prevent_default()>
                            <h2 class="card__title">{i18n.t(Key::BeforeTheCarLeaves)}</h2>
                            <fieldset class="field-row">
                                <legend class="field__label">{i18n.t(Key::Licence)}</legend>
                                <div class="field">
                                    <label for="licence-number">{i18n.t(Key::LicenceNumber)}</label>
                                    <input id="licence-number" type="text" autocomplete="off" autocapitalize="characters"
                                        prop:value=move || licence_number.get() on:input=move |ev| licence_number.set(event_target_value(&ev)) />
                                </div>
                                <div class="field">
                                    <label for="licence-class">{i18n.t(Key::LicenceClass)}</label>
                                    <select id="licence-class" class="select" on:change=move |ev| if let Ok(c) = event_target_value(&ev).parse() { licence_class.set(c) }>
                                        {LicenceClass::ALL.iter().map(|c| view! { <option value=c.as_str() selected={*c == LicenceClass::C1}>{c.as_str()}</option> }).collect_view()}
                                    </select>
                                </div>
                                <div class="field">
                                    <label for="licence-expiry">{i18n.t(Key::LicenceExpiry)}</label>
                                    <input id="licence-expiry" type="date" prop:value=move || licence_expiry.get()
                                        on:input=move |ev| licence_expiry.set(event_target_value(&ev)) on:change=move |ev| licence_expiry.set(event_target_value(&ev)) />
                                </div>
                            </fieldset>
                            <section class="agreement" aria-labelledby="agreement-heading">
                                <h3 id="agreement-heading" class="card__subtitle">{i18n.t(Key::Agreement)}</h3>
                                <div class="chips" role="group" aria-label=i18n.t(Key::AgreementLanguage)>
                                    <button type="button" class="chip" aria-pressed=move || agreement_zh.get().to_string() on:click=move |_| agreement_zh.set(true)>"中文"</button>
                                    <button type="button" class="chip" aria-pressed=move || (!agreement_zh.get()).to_string() on:click=move |_| agreement_zh.set(false)>"English"</button>
                                </div>
                                <p class="agreement__text" lang=move || if agreement_zh.get() { "zh-CN" } else { "en" }>{agreement}</p>
                                <SignaturePad
                                    label=Signal::derive(move || i18n.t(Key::Signature).to_owned())
                                    hint=Signal::derive(move || i18n.t(Key::SignHere).to_owned())
                                    clear_text=Signal::derive(move || i18n.t(Key::ClearSignature).to_owned())
                                    on_change=Callback::new(move |s: Strokes| strokes.set(s))
                                />
                            </section>
                            <div class="field-row">
                                {text_field("odometer-out", i18n.t(Key::OdometerOut), odometer_out, true)}
                                {text_field("fuel-out", i18n.t(Key::FuelOut), fuel_out, true)}
                            </div>
                            {text_field("route", i18n.t(Key::Route), route, false)}
                            <div class="chips" role="group" aria-label=i18n.t(Key::Companion)>
                                <span class="chip-group__label" aria-hidden="true">{i18n.t(Key::Companion)}</span>
                                <button type="button" class="chip" aria-pressed=move || companion_me.get().to_string() on:click=move |_| companion_me.set(true)>{i18n.t(Key::CompanionMe)}</button>
                                <button type="button" class="chip" aria-pressed=move || (!companion_me.get()).to_string() on:click=move |_| companion_me.set(false)>{i18n.t(Key::CompanionNone)}</button>
                            </div>
                            <div class="actions">
                                <button type="button" class="button button--primary button--big" on:click=start>{i18n.t(Key::StartDrive)}</button>
                                <button type="button" class="button button--danger-quiet" on:click=cancel>{i18n.t(Key::CancelDrive)}</button>
                            </div>
                        </form>
                    })}
                    {(status == DriveStatus::Out).then(|| view! {
                        <form class="card form" on:submit=|ev| ev.prevent_default()>
                            <h2 class="card__title">{i18n.t(Key::OnReturn)}</h2>
                            <div class="field-row">
                                {text_field("odometer-in", i18n.t(Key::OdometerIn), odometer_in, true)}
                                {text_field("fuel-in", i18n.t(Key::FuelIn), fuel_in, true)}
                            </div>
                            <div class="field">
                                <label for="damage">{i18n.t(Key::Damage)}</label>
                                <textarea id="damage" prop:value=move || damage.get() on:input=move |ev| damage.set(event_target_value(&ev))></textarea>
                            </div>
                            <div class="chips" role="group" aria-label=i18n.t(Key::Rating)>
                                <span class="chip-group__label" aria-hidden="true">{i18n.t(Key::Rating)}</span>
                                {(1..=5u32).map(|n| view! {
                                    <button type="button" class="chip" aria-pressed=move || (rating.get() == Some(n)).to_string() on:click=move |_| rating.set(Some(n))>{n.to_string()}</button>
                                }).collect_view()}
                            </div>
                            <div class="field">
                                <label for="comment">{i18n.t(Key::Comment)}</label>
                                <textarea id="comment" prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                            </div>
                            <button type="button" class="button button--primary button--big" on:click=record_return>{i18n.t(Key::RecordReturn)}</button>
                        </form>
                    })}
                    <DriveRecord drive=d.clone() dealer=catalogue.dealer.get() customer=customer() />
                }.into_any()
            }}
            <p class="saved-status" role="status">{move || saved.get().then(|| i18n.t(Key::SavedOnDevice))}</p>
            {move || problem.get().map(|p| view! { <p class="form__error" role="alert">{p}</p> })}
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
            {drive.signature.as_ref().map(|s| view! {
                <SignatureView strokes=s.strokes.clone() label=Signal::derive(move || i18n.t(Key::Signature).to_owned()) />
            })}
            {has_record.then(|| view! {
                <button type="button" class="button button--secondary no-print" on:click=print>{i18n.t(Key::PrintRecord)}</button>
            })}
        </article>
    }
}
