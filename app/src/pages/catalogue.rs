//! `/settings/catalogue`: the dealer's catalogue, showroom rules and profile
//! (the dealer on printed records), edited by a manager or an admin (on a
//! laptop, usually). Each save is one change
//! to the dealer's document, on the device first; sync brings it to every
//! tablet of the dealer. The server refuses it from any other role.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use showroom_shared::domain::Money;
use showroom_shared::domain::catalogue::{
    CarId, CollisionRule, Colour, ColourId, DealerProfile, DemoCar, Item, ItemId, ItemKind,
    LogoError, Model, ModelId, Powertrain, Settings, Transmission, Trim, TrimId, Unclaimed, Vin,
};
use showroom_shared::domain::quote::DiscountLimit;

use crate::components::time_zone::TimeZoneList;
use crate::i18n::{Key, use_i18n};
use crate::local::auth::use_auth;
use crate::local::clock::{self, ZoneProblem};
use crate::local::dealer::use_dealer_catalogue;
use crate::local::store;

use crate::local::dealer::edit;

/// Where a save was asked for: its confirmation or error shows there, not at
/// the foot of a long page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Spot {
    /// A trim's row (its price and discount limit).
    TrimRow(TrimId),
    /// The list of trims (archiving one takes its row away).
    Trims,
    AddTrim,
    AddModel,
    ItemRow(ItemId),
    AddItem,
    AddColour,
    /// The list of demo cars (archiving one takes its row away).
    Cars,
    AddCar,
    Rules,
}

/// How a showroom rule's number is typed.
#[derive(Clone, Copy)]
enum Unit {
    /// A whole number up to this.
    Count(u32),
    /// Basis points, typed as a percentage with two decimals.
    Percent,
}

impl Unit {
    fn show(self, n: u32) -> String {
        match self {
            Unit::Count(_) => n.to_string(),
            Unit::Percent => Money(i64::from(n)).to_string(),
        }
    }

    fn parse(self, text: &str) -> Option<u32> {
        match self {
            Unit::Count(max) => text.trim().parse::<u32>().ok().map(|n| n.min(max)),
            Unit::Percent => text
                .parse::<Money>()
                .ok()
                .and_then(|m| u32::try_from(m.0).ok())
                .filter(|bp| *bp <= 10_000),
        }
    }
}

#[component]
pub fn CataloguePage() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let catalogue = use_dealer_catalogue();
    let may_edit = Memo::new(move |_| {
        auth.session()
            .is_some_and(|s| showroom_shared::rules::may_edit_catalogue(s.user.role))
    });
    // The last save and where it was asked for; cleared when a form shows an
    // error, so that "Saved" never stands beside one.
    let status = RwSignal::new(None::<(Spot, Result<(), String>)>);
    let dealer_id = move || auth.session_untracked().map(|s| s.dealer.id);
    let done = move |spot: Spot, r: Result<bool, String>| status.set(Some((spot, r.map(|_| ()))));
    let status_at = move |spot: Spot| {
        view! {
            <p class="saved-status" role="status">
                {move || status.with(|s| matches!(s, Some((at, Ok(()))) if *at == spot)).then(|| i18n.t(Key::CatalogueSaved))}
            </p>
            {move || status.with(|s| match s {
                Some((at, Err(e))) if *at == spot => Some(view! { <p class="form__error" role="alert">{e.clone()}</p> }),
                _ => None,
            })}
        }
    };

    // A trim's new list price.
    let prices = RwSignal::new(std::collections::HashMap::<TrimId, String>::new());
    let price_problem = RwSignal::new(None::<TrimId>);
    let limits = RwSignal::new(std::collections::HashMap::<TrimId, String>::new());
    let save_price = move |trim: Trim| {
        let text = prices
            .with_untracked(|p| p.get(&trim.id).cloned())
            .unwrap_or_default();
        let Ok(price) = text.parse::<Money>() else {
            status.set(None);
            price_problem.set(Some(trim.id));
            return;
        };
        // The trim's own discount limit: blank for the dealer's default.
        let limit_text = limits
            .with_untracked(|l| l.get(&trim.id).cloned())
            .unwrap_or_else(|| trim.max_discount.map(|l| l.to_string()).unwrap_or_default());
        let limit = if limit_text.trim().is_empty() {
            None
        } else {
            match limit_text.parse::<DiscountLimit>() {
                Ok(l) => Some(l),
                Err(_) => {
                    status.set(None);
                    price_problem.set(Some(trim.id));
                    return;
                }
            }
        };
        price_problem.set(None);
        let spot = Spot::TrimRow(trim.id);
        let mut t = trim;
        t.list_price = price;
        t.max_discount = limit;
        {
            let dealer = dealer_id();
            spawn_local(async move { done(spot, edit::put(dealer, t).await) });
        }
    };

    // A new trim.
    let new_model = RwSignal::new(None::<ModelId>);
    let new_trim_name = RwSignal::new(String::new());
    let new_trim_price = RwSignal::new(String::new());
    let new_powertrain = RwSignal::new(Powertrain::Petrol);
    let trim_problem = RwSignal::new(None::<&'static str>);
    let add_trim = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let locale = i18n.locale_untracked();
        let (Some(model), name) = (new_model.get_untracked(), new_trim_name.get_untracked()) else {
            status.set(None);
            trim_problem.set(Some(locale.t(Key::Required)));
            return;
        };
        if name.trim().is_empty() {
            status.set(None);
            trim_problem.set(Some(locale.t(Key::Required)));
            return;
        }
        let Ok(price) = new_trim_price.get_untracked().parse::<Money>() else {
            status.set(None);
            trim_problem.set(Some(locale.t(Key::BadPrice)));
            return;
        };
        trim_problem.set(None);
        let powertrain = new_powertrain.get_untracked();
        let trim = Trim {
            id: TrimId::from_uuid(store::new_uuid()),
            model,
            name: name.trim().to_owned(),
            list_price: price,
            powertrain,
            gearbox: Transmission::Automatic,
            seats: 5,
            displacement_cc: if powertrain == Powertrain::BatteryElectric {
                0
            } else {
                1_498
            },
            archived: false,
            cost: None,
            max_discount: None,
        };
        new_trim_name.set(String::new());
        new_trim_price.set(String::new());
        {
            let dealer = dealer_id();
            spawn_local(async move { done(Spot::AddTrim, edit::put(dealer, trim).await) });
        }
    };

    // A new demo car.
    let car_stock = RwSignal::new(String::new());
    let car_vin = RwSignal::new(String::new());
    let car_plate = RwSignal::new(String::new());
    let car_trim = RwSignal::new(None::<TrimId>);
    let car_km = RwSignal::new(String::from("0"));
    let car_problem = RwSignal::new(None::<&'static str>);
    let add_car = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let locale = i18n.locale_untracked();
        let vin = match car_vin.get_untracked().parse::<Vin>() {
            Ok(v) => v,
            Err(e) => {
                status.set(None);
                car_problem.set(Some(locale.vin_error(e)));
                return;
            }
        };
        let (Some(trim), plate) = (car_trim.get_untracked(), car_plate.get_untracked()) else {
            status.set(None);
            car_problem.set(Some(locale.t(Key::Required)));
            return;
        };
        if plate.trim().is_empty() {
            status.set(None);
            car_problem.set(Some(locale.t(Key::Required)));
            return;
        }
        car_problem.set(None);
        let car = DemoCar {
            id: CarId::from_uuid(store::new_uuid()),
            stock_number: car_stock.get_untracked().trim().to_owned(),
            vin,
            plate: plate.trim().to_owned(),
            trim,
            odometer_km: car_km.get_untracked().trim().parse().unwrap_or(0),
            archived: false,
        };
        car_vin.set(String::new());
        car_plate.set(String::new());
        car_stock.set(String::new());
        {
            let dealer = dealer_id();
            spawn_local(async move { done(Spot::AddCar, edit::put(dealer, car).await) });
        }
    };

    // A new model, accessory or fee, colour; archiving.
    let model_name = RwSignal::new(String::new());
    let add_model = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = model_name.get_untracked().trim().to_owned();
        if name.is_empty() {
            return;
        }
        model_name.set(String::new());
        let model = Model {
            id: ModelId::from_uuid(store::new_uuid()),
            name,
            archived: false,
        };
        let dealer = dealer_id();
        spawn_local(async move { done(Spot::AddModel, edit::put(dealer, model).await) });
    };
    let item_kind = RwSignal::new(ItemKind::Accessory);
    let item_name = RwSignal::new(String::new());
    let item_price = RwSignal::new(String::new());
    let item_problem = RwSignal::new(None::<&'static str>);
    let add_item = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let locale = i18n.locale_untracked();
        let name = item_name.get_untracked().trim().to_owned();
        let Ok(price) = item_price.get_untracked().parse::<Money>() else {
            status.set(None);
            item_problem.set(Some(locale.t(Key::BadPrice)));
            return;
        };
        if name.is_empty() {
            status.set(None);
            item_problem.set(Some(locale.t(Key::Required)));
            return;
        }
        item_problem.set(None);
        item_name.set(String::new());
        item_price.set(String::new());
        let item = Item {
            id: ItemId::from_uuid(store::new_uuid()),
            kind: item_kind.get_untracked(),
            name,
            price,
            archived: false,
        };
        let dealer = dealer_id();
        spawn_local(async move { done(Spot::AddItem, edit::put(dealer, item).await) });
    };
    let item_prices = RwSignal::new(std::collections::HashMap::<ItemId, String>::new());
    // The item whose new price does not read (shown at its row).
    let item_price_problem = RwSignal::new(None::<ItemId>);
    let save_item = move |item: Item| {
        let text = item_prices
            .with_untracked(|p| p.get(&item.id).cloned())
            .unwrap_or_default();
        let Ok(price) = text.parse::<Money>() else {
            status.set(None);
            item_price_problem.set(Some(item.id));
            return;
        };
        item_price_problem.set(None);
        let spot = Spot::ItemRow(item.id);
        let mut item = item;
        item.price = price;
        let dealer = dealer_id();
        spawn_local(async move { done(spot, edit::put(dealer, item).await) });
    };
    let colour_name = RwSignal::new(String::new());
    let colour_price = RwSignal::new(String::from("0"));
    let add_colour = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = colour_name.get_untracked().trim().to_owned();
        let price = colour_price
            .get_untracked()
            .parse::<Money>()
            .unwrap_or_default();
        if name.is_empty() {
            return;
        }
        colour_name.set(String::new());
        let colour = Colour {
            id: ColourId::from_uuid(store::new_uuid()),
            name,
            price,
            archived: false,
        };
        let dealer = dealer_id();
        spawn_local(async move { done(Spot::AddColour, edit::put(dealer, colour).await) });
    };
    let archive_trim = move |mut trim: Trim| {
        trim.archived = true;
        let dealer = dealer_id();
        spawn_local(async move { done(Spot::Trims, edit::put(dealer, trim).await) });
    };
    let archive_car = move |mut car: DemoCar| {
        car.archived = true;
        let dealer = dealer_id();
        spawn_local(async move { done(Spot::Cars, edit::put(dealer, car).await) });
    };

    // Showroom rules.
    let rules = RwSignal::new(None::<Settings>);
    // Why the typed time zone cannot be saved: shown at its field from the
    // start when the stored one is wrong, again when the field is left.
    let zone_problem = RwSignal::new(None::<ZoneProblem>);
    Effect::new(move |_| {
        if rules.with_untracked(Option::is_none)
            && let Some(s) = catalogue
                .dealer
                .with(|d| d.as_ref().map(|d| d.settings.clone()))
        {
            zone_problem.set(clock::checked_time_zone(&s.time_zone).err());
            rules.set(Some(s));
        }
    });
    let check_zone = move || {
        let typed = rules.with_untracked(|r| r.as_ref().map(|r| r.time_zone.clone()))?;
        match clock::checked_time_zone(&typed) {
            Ok(zone) => {
                zone_problem.set(None);
                Some(zone)
            }
            Err(problem) => {
                zone_problem.set(Some(problem));
                None
            }
        }
    };
    let save_rules = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some(mut edited), Some(current)) = (
            rules.get_untracked(),
            catalogue
                .dealer
                .with_untracked(|d| d.as_ref().map(|d| d.settings.clone())),
        ) else {
            return;
        };
        // A zone no browser or the server knows is not saved: every device
        // would show China time. The error is at the field.
        let Some(zone) = check_zone() else {
            status.set(None);
            if let Some(field) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id("time-zone"))
                .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
            {
                let _ = field.focus();
            }
            return;
        };
        // As the tz database spells it.
        edited.time_zone = zone.to_owned();
        rules.update(|r| {
            if let Some(r) = r {
                r.time_zone = zone.to_owned();
            }
        });
        // New wording is a new version: a signature records which it was.
        if edited.agreement.zh != current.agreement.zh
            || edited.agreement.en != current.agreement.en
        {
            edited.agreement.version = current.agreement.version + 1;
        }
        {
            let dealer = dealer_id();
            spawn_local(async move {
                done(
                    Spot::Rules,
                    // The profile has its own form: the document's stays.
                    edit::rules(dealer, edited).await,
                )
            });
        }
    };
    // One number of the showroom rules: a count (days, hours, attempts; at
    // most `Unit::Count`'s bound) or a share in percent with two decimals
    // ("20" is 2,000 bp).
    let rule_field = move |id: &'static str,
                           label: Signal<String>,
                           unit: Unit,
                           get: fn(&Settings) -> u32,
                           set: fn(&mut Settings, u32)| {
        let (inputmode, class) = match unit {
            Unit::Count(max) if max <= 365 => ("numeric", "field field--narrow"),
            Unit::Count(_) => ("numeric", "field"),
            Unit::Percent => ("decimal", "field"),
        };
        view! {
            <div class=class>
                <label for=id>{move || label.get()}</label>
                <input id=id type="text" inputmode=inputmode
                    prop:value=move || rules.with(|r| r.as_ref().map(|r| unit.show(get(r))).unwrap_or_default())
                    on:input=move |ev| {
                        if let Some(n) = unit.parse(&event_target_value(&ev)) {
                            rules.update(|r| if let Some(r) = r { set(r, n) });
                        }
                    } />
            </div>
        }
    };
    let cadence = move |get, set, grade: &'static str, id| {
        rule_field(
            id,
            Signal::derive(move || grade.to_owned()),
            Unit::Count(365),
            get,
            set,
        )
    };
    let labelled = move |key: Key| Signal::derive(move || i18n.t(key).to_owned());

    view! {
        <section class="page catalogue-editor" aria-labelledby="catalogue-heading">
            <A href="/settings" attr:class="back-link">{move || i18n.t(Key::Settings)}</A>
            <h1 id="catalogue-heading" class="page__title">{move || i18n.t(Key::EditCatalogue)}</h1>
            {move || (!may_edit.get()).then(|| view! {
                <p class="notice" role="alert">{i18n.locale().refusal_reason("forbidden")}</p>
            })}
            <Show when=move || may_edit.get() && catalogue.dealer.with(Option::is_some)
                fallback=move || view! { <p class="muted">{move || may_edit.get().then(|| i18n.t(Key::CatalogueNotHere))}</p> }>
                <ProfileEditor />
                <section class="card" aria-labelledby="trims-heading">
                    <h2 id="trims-heading" class="card__title">{move || i18n.t(Key::Trim)}</h2>
                    {status_at(Spot::Trims)}
                    <ul class="trim-editor">
                        {move || catalogue.dealer.with(|d| {
                            let Some(d) = d else { return Vec::new() };
                            d.trims.iter().filter(|t| !t.archived).map(|t| {
                                let trim = t.clone();
                                let id = t.id;
                                let label = format!("{} {}", d.model(t.model).map(|m| m.name.as_str()).unwrap_or(""), t.name);
                                let current = t.list_price.to_string();
                                let field = format!("price-{id}");
                                view! {
                                    <li class="trim-editor__row trim-editor__row--limit">
                                        <label for=field.clone()>{label.clone()}</label>
                                        <input id=field type="text" inputmode="decimal" class="money"
                                            aria-describedby=format!("price-{id}-error")
                                            aria-invalid=move || (price_problem.get() == Some(id)).to_string()
                                            prop:value=move || prices.with(|p| p.get(&id).cloned()).unwrap_or_else(|| current.clone())
                                            on:input=move |ev| { let v = event_target_value(&ev); prices.update(|p| { p.insert(id, v); }); } />
                                        {
                                            let own = t.max_discount.map(|l| l.to_string()).unwrap_or_default();
                                            let default = d.settings.quote.max_discount.to_string();
                                            view! {
                                                <input type="text" inputmode="decimal" class="money"
                                                    aria-label=format!("{} · {label}", i18n.t(Key::DiscountLimit))
                                                    placeholder=i18n.locale().default_limit(&default)
                                                    prop:value=move || limits.with(|l| l.get(&id).cloned()).unwrap_or_else(|| own.clone())
                                                    on:input=move |ev| { let v = event_target_value(&ev); limits.update(|l| { l.insert(id, v); }); } />
                                            }
                                        }
                                        <button type="button" class="button button--secondary" aria-label=format!("{} · {label}", i18n.t(Key::SaveCatalogue))
                                            on:click=move |_| save_price(trim.clone())>{i18n.t(Key::SaveCatalogue)}</button>
                                        {
                                            let t2 = t.clone();
                                            let l2 = label.clone();
                                            view! {
                                                <button type="button" class="button button--quiet" aria-label=format!("{} · {l2}", i18n.t(Key::Archive))
                                                    on:click=move |_| archive_trim(t2.clone())>{i18n.t(Key::Archive)}</button>
                                            }
                                        }
                                        <p id=format!("price-{id}-error") class="field__error" role="alert">
                                            {move || (price_problem.get() == Some(id)).then(|| i18n.t(Key::BadPriceOrLimit))}
                                        </p>
                                        {status_at(Spot::TrimRow(id))}
                                    </li>
                                }
                            }).collect::<Vec<_>>()
                        })}
                    </ul>
                    <form class="form" on:submit=add_trim>
                        <h3 class="card__subtitle">{move || i18n.t(Key::AddTrim)}</h3>
                        <div class="field-row">
                            <div class="field">
                                <label for="new-trim-model">{move || i18n.t(Key::CatalogueModel)}</label>
                                <select id="new-trim-model" class="select" on:change=move |ev| new_model.set(event_target_value(&ev).parse().ok())>
                                    <option value="">"—"</option>
                                    {move || catalogue.dealer.with(|d| d.as_ref().map(|d| d.models.iter().map(|m| view! { <option value=m.id.to_string()>{m.name.clone()}</option> }).collect::<Vec<_>>()).unwrap_or_default())}
                                </select>
                            </div>
                            <div class="field">
                                <label for="new-trim-name">{move || i18n.t(Key::TrimName)}</label>
                                <input id="new-trim-name" type="text" bind:value=new_trim_name />
                            </div>
                        </div>
                        <div class="field-row">
                            <div class="field">
                                <label for="new-trim-price">{move || i18n.t(Key::ListPrice)}</label>
                                <input id="new-trim-price" type="text" inputmode="decimal" class="money" bind:value=new_trim_price />
                            </div>
                            <div class="field">
                                <label for="new-trim-powertrain">{move || i18n.t(Key::Powertrain)}</label>
                                <select id="new-trim-powertrain" class="select" on:change=move |ev| if let Ok(p) = event_target_value(&ev).parse() { new_powertrain.set(p) }>
                                    {Powertrain::ALL.iter().map(|p| view! { <option value=p.as_str()>{move || i18n.locale().powertrain(*p)}</option> }).collect_view()}
                                </select>
                            </div>
                        </div>
                        {move || trim_problem.get().map(|p| view! { <p class="form__error" role="alert">{p}</p> })}
                        <button type="submit" class="button button--primary">{move || i18n.t(Key::AddTrim)}</button>
                        {status_at(Spot::AddTrim)}
                    </form>
                    <form class="form form--inline" on:submit=add_model>
                        <div class="field">
                            <label for="new-model-name">{move || i18n.t(Key::ModelName)}</label>
                            <input id="new-model-name" type="text" bind:value=model_name />
                        </div>
                        <button type="submit" class="button button--secondary">{move || i18n.t(Key::AddCatalogueModel)}</button>
                        {status_at(Spot::AddModel)}
                    </form>
                </section>
                <section class="card" aria-labelledby="items-heading">
                    <h2 id="items-heading" class="card__title">{move || i18n.t(Key::Items)}</h2>
                    <ul class="trim-editor">
                        {move || catalogue.dealer.with(|d| {
                            let Some(d) = d else { return Vec::new() };
                            d.items.iter().filter(|i| !i.archived).map(|item| {
                                let it = item.clone();
                                let id = item.id;
                                let kind = if item.kind == ItemKind::Fee { i18n.t(Key::ItemKindFee) } else { i18n.t(Key::ItemKindAccessory) };
                                let label = format!("{} · {}", item.name, kind);
                                let current = item.price.to_string();
                                let field = format!("item-{id}");
                                view! {
                                    <li class="trim-editor__row">
                                        <label for=field.clone()>{label.clone()}</label>
                                        <input id=field type="text" inputmode="decimal" class="money"
                                            aria-describedby=format!("item-{id}-error")
                                            aria-invalid=move || (item_price_problem.get() == Some(id)).to_string()
                                            prop:value=move || item_prices.with(|p| p.get(&id).cloned()).unwrap_or_else(|| current.clone())
                                            on:input=move |ev| { let v = event_target_value(&ev); item_prices.update(|p| { p.insert(id, v); }); } />
                                        <button type="button" class="button button--secondary" aria-label=format!("{} · {label}", i18n.t(Key::SaveCatalogue))
                                            on:click=move |_| save_item(it.clone())>{i18n.t(Key::SaveCatalogue)}</button>
                                        <p id=format!("item-{id}-error") class="field__error" role="alert">
                                            {move || (item_price_problem.get() == Some(id)).then(|| i18n.t(Key::BadPrice))}
                                        </p>
                                        {status_at(Spot::ItemRow(id))}
                                    </li>
                                }
                            }).collect::<Vec<_>>()
                        })}
                    </ul>
                    <form class="form" on:submit=add_item>
                        <h3 class="card__subtitle">{move || i18n.t(Key::AddItem)}</h3>
                        <div class="field-row">
                            <div class="field field--narrow">
                                <label for="item-kind">{move || i18n.t(Key::ItemKind)}</label>
                                <select id="item-kind" class="select" on:change=move |ev| if let Ok(k) = event_target_value(&ev).parse() { item_kind.set(k) }>
                                    <option value="accessory">{move || i18n.t(Key::ItemKindAccessory)}</option>
                                    <option value="fee">{move || i18n.t(Key::ItemKindFee)}</option>
                                </select>
                            </div>
                            <div class="field">
                                <label for="item-name">{move || i18n.t(Key::ItemName)}</label>
                                <input id="item-name" type="text" bind:value=item_name />
                            </div>
                            <div class="field field--narrow">
                                <label for="item-price">{move || i18n.t(Key::Price)}</label>
                                <input id="item-price" type="text" inputmode="decimal" class="money" bind:value=item_price />
                            </div>
                        </div>
                        {move || item_problem.get().map(|p| view! { <p class="form__error" role="alert">{p}</p> })}
                        <button type="submit" class="button button--primary">{move || i18n.t(Key::AddItem)}</button>
                        {status_at(Spot::AddItem)}
                    </form>
                </section>
                <section class="card" aria-labelledby="colours-heading">
                    <h2 id="colours-heading" class="card__title">{move || i18n.t(Key::Colours)}</h2>
                    <ul class="catalogue__cars">
                        {move || catalogue.dealer.with(|d| d.as_ref().map(|d| d.colours.iter().filter(|c| !c.archived).map(|c| view! {
                            <li class="catalogue__car"><span>{c.name.clone()}</span><span class="money">{format!("¥ {}", c.price)}</span></li>
                        }).collect::<Vec<_>>()).unwrap_or_default())}
                    </ul>
                    <form class="form" on:submit=add_colour>
                        <div class="field-row">
                            <div class="field">
                                <label for="colour-name">{move || i18n.t(Key::ColourName)}</label>
                                <input id="colour-name" type="text" bind:value=colour_name />
                            </div>
                            <div class="field field--narrow">
                                <label for="colour-price">{move || i18n.t(Key::Price)}</label>
                                <input id="colour-price" type="text" inputmode="decimal" class="money" bind:value=colour_price />
                            </div>
                        </div>
                        <button type="submit" class="button button--secondary">{move || i18n.t(Key::AddColour)}</button>
                        {status_at(Spot::AddColour)}
                    </form>
                </section>
                <section class="card" aria-labelledby="cars-editor-heading">
                    <h2 id="cars-editor-heading" class="card__title">{move || i18n.t(Key::DemoCars)}</h2>
                    {status_at(Spot::Cars)}
                    <ul class="catalogue__cars">
                        {move || catalogue.dealer.with(|d| d.as_ref().map(|d| d.cars.iter().filter(|c| !c.archived).map(|c| {
                            let car = c.clone();
                            let label = d.car_label(c.id);
                            view! {
                                <li class="catalogue__car">
                                    <span>{label.clone()}</span>
                                    <span class="mono">{c.vin.to_string()}</span>
                                    <button type="button" class="button button--quiet" aria-label=format!("{} · {label}", i18n.t(Key::Archive))
                                        on:click=move |_| archive_car(car.clone())>{i18n.t(Key::Archive)}</button>
                                </li>
                            }
                        }).collect::<Vec<_>>()).unwrap_or_default())}
                    </ul>
                    <form class="form" on:submit=add_car>
                        <h3 class="card__subtitle">{move || i18n.t(Key::AddDemoCar)}</h3>
                        <div class="field-row">
                            <div class="field">
                                <label for="car-vin">{move || i18n.t(Key::Vin)}</label>
                                <input id="car-vin" type="text" autocapitalize="characters" maxlength="17" class="mono" bind:value=car_vin />
                            </div>
                            <div class="field">
                                <label for="car-plate">{move || i18n.t(Key::Plate)}</label>
                                <input id="car-plate" type="text" bind:value=car_plate />
                            </div>
                        </div>
                        <div class="field-row">
                            <div class="field">
                                <label for="car-trim">{move || i18n.t(Key::Trim)}</label>
                                <select id="car-trim" class="select" on:change=move |ev| car_trim.set(event_target_value(&ev).parse().ok())>
                                    <option value="">"—"</option>
                                    {move || catalogue.dealer.with(|d| d.as_ref().map(|d| d.trims.iter().filter(|t| !t.archived).map(|t| {
                                        let label = format!("{} {}", d.model(t.model).map(|m| m.name.as_str()).unwrap_or(""), t.name);
                                        view! { <option value=t.id.to_string()>{label}</option> }
                                    }).collect::<Vec<_>>()).unwrap_or_default())}
                                </select>
                            </div>
                            <div class="field">
                                <label for="car-stock">{move || i18n.t(Key::StockNumber)}</label>
                                <input id="car-stock" type="text" bind:value=car_stock />
                            </div>
                            <div class="field field--narrow">
                                <label for="car-km">{move || i18n.t(Key::Odometer)}</label>
                                <input id="car-km" type="text" inputmode="numeric" bind:value=car_km />
                            </div>
                        </div>
                        {move || car_problem.get().map(|p| view! { <p class="form__error" role="alert">{p}</p> })}
                        <button type="submit" class="button button--primary">{move || i18n.t(Key::AddDemoCar)}</button>
                        {status_at(Spot::AddCar)}
                    </form>
                </section>
                <form class="card form" on:submit=save_rules aria-labelledby="rules-heading">
                    <h2 id="rules-heading" class="card__title">{move || i18n.t(Key::ShowroomRules)}</h2>
                    <fieldset class="field-row">
                        <legend class="field__label">{move || i18n.t(Key::Cadence)}</legend>
                        {cadence(|s| s.cadence.h, |s, n| s.cadence.h = n, "H", "cadence-H")}
                        {cadence(|s| s.cadence.a, |s, n| s.cadence.a = n, "A", "cadence-A")}
                        {cadence(|s| s.cadence.b, |s, n| s.cadence.b = n, "B", "cadence-B")}
                        {cadence(|s| s.cadence.c, |s, n| s.cadence.c = n, "C", "cadence-C")}
                    </fieldset>
                    <fieldset class="field-row field-row--three">
                        <legend class="field__label">{move || i18n.t(Key::Quotes)}</legend>
                        <div class="field">
                            <label for="max-discount">{move || i18n.t(Key::DiscountLimit)}</label>
                            <input id="max-discount" type="text" inputmode="decimal" aria-describedby="max-discount-hint"
                                prop:value=move || rules.with(|r| r.as_ref().map(|r| r.quote.max_discount.to_string()).unwrap_or_default())
                                on:input=move |ev| {
                                    if let Ok(l) = event_target_value(&ev).parse::<DiscountLimit>() {
                                        rules.update(|r| if let Some(r) = r { r.quote.max_discount = l });
                                    }
                                } />
                            <p id="max-discount-hint" class="field__hint">{move || i18n.t(Key::DiscountLimitHint)}</p>
                        </div>
                        {rule_field("min-down-ice", labelled(Key::MinDownIce), Unit::Percent, |s| s.quote.min_down_bp_ice, |s, bp| s.quote.min_down_bp_ice = bp)}
                        {rule_field("min-down-nev", labelled(Key::MinDownNev), Unit::Percent, |s| s.quote.min_down_bp_nev, |s, bp| s.quote.min_down_bp_nev = bp)}
                    </fieldset>
                    <fieldset class="field-row field-row--three">
                        <legend class="field__label">{move || i18n.t(Key::FollowUp)}</legend>
                        {rule_field("first-contact-hours", labelled(Key::FirstContactHours), Unit::Count(720), |s| s.follow_up.first_contact_hours, |s, n| s.follow_up.first_contact_hours = n)}
                        {rule_field("first-contact-hours-oem", labelled(Key::FirstContactHoursOem), Unit::Count(720), |s| s.follow_up.first_contact_hours_oem, |s, n| s.follow_up.first_contact_hours_oem = n)}
                        {rule_field("min-attempts", labelled(Key::MinAttempts), Unit::Count(720), |s| s.follow_up.min_attempts_before_lost, |s, n| s.follow_up.min_attempts_before_lost = n)}
                    </fieldset>
                    <div class="field">
                        <label for="time-zone">{move || i18n.t(Key::TimeZone)}</label>
                        <input id="time-zone" type="text" list="time-zone-list" autocomplete="off" autocapitalize="none" spellcheck="false"
                            aria-describedby="time-zone-hint time-zone-error"
                            aria-invalid=move || zone_problem.with(Option::is_some).to_string()
                            prop:value=move || rules.with(|r| r.as_ref().map(|r| r.time_zone.clone()).unwrap_or_default())
                            on:input=move |ev| { let v = event_target_value(&ev); zone_problem.set(None); rules.update(|r| if let Some(r) = r { r.time_zone = v }); }
                            on:change=move |_| { check_zone(); } />
                        <TimeZoneList id="time-zone-list" />
                        <p id="time-zone-hint" class="field__hint">{move || i18n.t(Key::TimeZoneHint)}</p>
                        <p id="time-zone-error" class="field__error" role="alert">
                            {move || zone_problem.get().map(|p| i18n.locale().time_zone_problem(p))}
                        </p>
                    </div>
                    <div class="field">
                        <label for="agreement-zh">{move || i18n.t(Key::AgreementZh)}</label>
                        <textarea id="agreement-zh" rows="4" lang="zh-CN" prop:value=move || rules.with(|r| r.as_ref().map(|r| r.agreement.zh.clone()).unwrap_or_default())
                            on:input=move |ev| { let v = event_target_value(&ev); rules.update(|r| if let Some(r) = r { r.agreement.zh = v }); }></textarea>
                    </div>
                    <div class="field">
                        <label for="agreement-en">{move || i18n.t(Key::AgreementEn)}</label>
                        <textarea id="agreement-en" rows="4" lang="en" prop:value=move || rules.with(|r| r.as_ref().map(|r| r.agreement.en.clone()).unwrap_or_default())
                            on:input=move |ev| { let v = event_target_value(&ev); rules.update(|r| if let Some(r) = r { r.agreement.en = v }); }></textarea>
                    </div>
                    <p class="muted">{move || catalogue.dealer.with(|d| d.as_ref().map(|d| format!("{} v{}", i18n.t(Key::SignedAgreementVersion), d.settings.agreement.version)))}</p>
                    <label class="check">
                        <input type="checkbox" prop:checked=move || rules.with(|r| r.as_ref().is_some_and(|r| r.agreement.typed_name))
                            on:change=move |ev| { let on = event_target_checked(&ev); rules.update(|r| if let Some(r) = r { r.agreement.typed_name = on }); } />
                        <span>{move || i18n.t(Key::AcceptTypedName)}</span>
                    </label>
                    // The open pool, walk-in rotation and collisions (issue 22).
                    <fieldset class="field">
                        <legend class="field__label">{move || i18n.t(Key::RotationSettings)}</legend>
                        <label class="check">
                            <input type="checkbox" prop:checked=move || rules.with(|r| r.as_ref().is_some_and(|r| r.pool.rotation))
                                on:change=move |ev| { let on = event_target_checked(&ev); rules.update(|r| if let Some(r) = r { r.pool.rotation = on }); } />
                            <span>{move || i18n.t(Key::RotationSetting)}</span>
                        </label>
                        <label for="unclaimed-rule">{move || i18n.t(Key::UnclaimedRule)}</label>
                        <select id="unclaimed-rule" class="select"
                            on:change=move |ev| { let v = event_target_value(&ev); if let Ok(u) = v.parse::<Unclaimed>() { rules.update(|r| if let Some(r) = r { r.pool.unclaimed = u }); } }>
                            {[(Unclaimed::Stay, Key::UnclaimedStay), (Unclaimed::Rotate, Key::UnclaimedRotate)].into_iter().map(|(u, key)| view! {
                                <option value=u.as_str() selected=move || rules.with(|r| r.as_ref().is_some_and(|r| r.pool.unclaimed == u))>{move || i18n.t(key)}</option>
                            }).collect_view()}
                        </select>
                        <label for="collision-rule">{move || i18n.t(Key::CollisionRule)}</label>
                        <select id="collision-rule" class="select"
                            on:change=move |ev| { let v = event_target_value(&ev); if let Ok(c) = v.parse::<CollisionRule>() { rules.update(|r| if let Some(r) = r { r.pool.collisions = c }); } }>
                            {[(CollisionRule::ManagerDecides, Key::CollisionRuleManager), (CollisionRule::FirstCapturedWins, Key::CollisionRuleFirst)].into_iter().map(|(c, key)| view! {
                                <option value=c.as_str() selected=move || rules.with(|r| r.as_ref().is_some_and(|r| r.pool.collisions == c))>{move || i18n.t(key)}</option>
                            }).collect_view()}
                        </select>
                    </fieldset>
                    <button type="submit" class="button button--primary">{move || i18n.t(Key::SaveCatalogue)}</button>
                    {status_at(Spot::Rules)}
                </form>
            </Show>
        </section>
    }
}

/// The image types a logo may be (never SVG, which can carry script).
const LOGO_TYPES: [&str; 3] = ["image/png", "image/jpeg", "image/webp"];

/// Reads `file` as a `data:` URL; `None` when the browser could not read it.
async fn read_data_url(file: &web_sys::File) -> Option<String> {
    let reader = web_sys::FileReader::new().ok()?;
    let (done, read) = futures::channel::oneshot::channel::<()>();
    // `loadend` follows success, failure and abort alike; the listener is
    // dropped (removed) when this function returns.
    let _listener = gloo_events::EventListener::once(&reader, "loadend", move |_| {
        let _ = done.send(());
    });
    reader.read_as_data_url(file).ok()?;
    read.await.ok()?;
    if reader.error().is_some() {
        return None;
    }
    reader.result().ok()?.as_string()
}

/// The dealer as its quotes and test-drive records print it: the name on
/// paper, address, phone and logo, saved to the dealer's document like the
/// rest of its settings.
#[component]
fn ProfileEditor() -> impl IntoView {
    let i18n = use_i18n();
    let auth = use_auth();
    let catalogue = use_dealer_catalogue();
    let draft = RwSignal::new(None::<DealerProfile>);
    Effect::new(move |_| {
        if draft.with_untracked(Option::is_none)
            && let Some(p) = catalogue
                .dealer
                .with(|d| d.as_ref().map(|d| d.settings.profile.clone()))
        {
            draft.set(Some(p));
        }
    });
    let saved = RwSignal::new(None::<Result<(), String>>);
    let problem = RwSignal::new(None::<String>);
    let logo_problem = RwSignal::new(None::<String>);
    let reading = RwSignal::new(false);
    let file_input = NodeRef::<leptos::html::Input>::new();
    let account_name = move || auth.session().map(|s| s.dealer.name).unwrap_or_default();

    let get = move |pick: fn(&DealerProfile) -> &String| {
        move || draft.with(|p| p.as_ref().map(|p| pick(p).clone()).unwrap_or_default())
    };
    let set = move |put: fn(&mut DealerProfile, String)| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            saved.set(None);
            draft.update(|p| {
                if let Some(p) = p {
                    put(p, value);
                }
            });
        }
    };
    let logo = Memo::new(move |_| {
        draft
            .with(|p| p.as_ref().map(|p| p.logo.clone()))
            .unwrap_or_default()
    });

    let choose_logo = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        let locale = i18n.locale_untracked();
        saved.set(None);
        if !LOGO_TYPES.contains(&file.type_().as_str()) {
            logo_problem.set(Some(locale.logo_error(&LogoError::Format)));
            return;
        }
        // Refused before reading: the document that carries it goes to every tablet.
        if file.size() > DealerProfile::LOGO_BYTES as f64 {
            logo_problem.set(Some(locale.logo_error(&LogoError::TooLarge {
                max: DealerProfile::LOGO_BYTES,
            })));
            return;
        }
        reading.set(true);
        spawn_local(async move {
            match read_data_url(&file).await {
                Some(url) => match DealerProfile::check_logo(&url) {
                    Ok(()) => {
                        logo_problem.set(None);
                        draft.update(|p| {
                            if let Some(p) = p {
                                p.logo = url;
                            }
                        });
                    }
                    Err(e) => logo_problem.set(Some(locale.logo_error(&e))),
                },
                None => logo_problem.set(Some(locale.t(Key::LogoUnreadable).to_owned())),
            }
            reading.set(false);
        });
    };
    let remove_logo = move |_| {
        saved.set(None);
        logo_problem.set(None);
        draft.update(|p| {
            if let Some(p) = p {
                p.logo.clear();
            }
        });
        // Choosing the same file again is then a change too.
        if let Some(input) = file_input.get() {
            input.set_value("");
        }
    };

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(mut profile) = draft.get_untracked() else {
            return;
        };
        let locale = i18n.locale_untracked();
        for text in [&mut profile.name, &mut profile.address, &mut profile.phone] {
            *text = text.trim().to_owned();
        }
        if [&profile.name, &profile.address, &profile.phone]
            .iter()
            .any(|t| t.chars().count() > DealerProfile::TEXT_CHARS)
        {
            problem.set(Some(locale.too_long(DealerProfile::TEXT_CHARS)));
            return;
        }
        if !profile.logo.is_empty()
            && let Err(e) = DealerProfile::check_logo(&profile.logo)
        {
            problem.set(Some(locale.logo_error(&e)));
            return;
        }
        problem.set(None);
        let dealer = auth.session_untracked().map(|s| s.dealer.id);
        spawn_local(async move {
            let result = edit::profile(dealer, profile).await;
            saved.set(Some(result.map(drop)));
        });
    };

    view! {
        <form class="card form" on:submit=save aria-labelledby="profile-heading">
            <h2 id="profile-heading" class="card__title">{move || i18n.t(Key::DealerProfile)}</h2>
            <p class="field__hint">{move || i18n.t(Key::DealerProfileHint)}</p>
            <div class="field">
                <label for="profile-name">{move || i18n.t(Key::ProfileName)}</label>
                <input id="profile-name" type="text" autocomplete="organization"
                    maxlength=DealerProfile::TEXT_CHARS.to_string()
                    placeholder=account_name
                    prop:value=get(|p| &p.name) on:input=set(|p, v| p.name = v) />
            </div>
            <div class="field-row">
                <div class="field">
                    <label for="profile-address">{move || i18n.t(Key::Address)}</label>
                    <input id="profile-address" type="text" autocomplete="street-address"
                        maxlength=DealerProfile::TEXT_CHARS.to_string()
                        prop:value=get(|p| &p.address) on:input=set(|p, v| p.address = v) />
                </div>
                <div class="field">
                    <label for="profile-phone">{move || i18n.t(Key::Phone)}</label>
                    <input id="profile-phone" type="tel" inputmode="tel" autocomplete="off"
                        maxlength=DealerProfile::TEXT_CHARS.to_string()
                        prop:value=get(|p| &p.phone) on:input=set(|p, v| p.phone = v) />
                </div>
            </div>
            <div class="field profile-logo">
                <label for="profile-logo">{move || i18n.t(Key::Logo)}</label>
                <div class="profile-logo__current">
                    {move || {
                        let src = logo.get();
                        if src.is_empty() {
                            view! { <p class="muted">{move || i18n.t(Key::NoLogo)}</p> }.into_any()
                        } else {
                            view! {
                                <img class="profile-logo__preview" src=src alt=move || i18n.t(Key::Logo) />
                                <button type="button" class="button button--danger-quiet" on:click=remove_logo>
                                    {move || i18n.t(Key::RemoveLogo)}
                                </button>
                            }
                            .into_any()
                        }
                    }}
                </div>
                <input id="profile-logo" type="file" accept="image/png,image/jpeg,image/webp"
                    node_ref=file_input
                    aria-describedby="profile-logo-hint profile-logo-error"
                    aria-busy=move || reading.get().to_string()
                    on:change=choose_logo />
                <p id="profile-logo-hint" class="field__hint">{move || i18n.locale().logo_hint()}</p>
                <p id="profile-logo-error" class="field__error" role="alert">{move || logo_problem.get()}</p>
            </div>
            {move || problem.get().map(|p| view! { <p class="form__error" role="alert">{p}</p> })}
            <button type="submit" class="button button--primary" disabled=move || reading.get()>
                {move || i18n.t(Key::SaveProfile)}
            </button>
            <p class="saved-status" role="status">
                {move || matches!(saved.get(), Some(Ok(()))).then(|| i18n.t(Key::CatalogueSaved))}
            </p>
            {move || match saved.get() {
                Some(Err(e)) => Some(view! { <p class="form__error" role="alert">{i18n.locale().save_failed(&e)}</p> }),
                _ => None,
            }}
        </form>
    }
}
