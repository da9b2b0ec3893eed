//! One person in the team list: who they are, their devices on demand, and the manager's actions on them (reset the password, deactivate — handing their leads to a colleague or the pool in the same step —, reactivate).

use leptos::prelude::*;
use showroom_shared::api::{DeviceInfo, UserSummary};
use showroom_shared::domain::{DeviceId, UserId};

use crate::components::confirm::ConfirmPanel;
use crate::i18n::{Key, use_i18n};

/// Where a departing person's leads go, as the deactivate question chose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandTo {
    /// Nobody's: any salesperson may take them.
    Pool,
    /// A colleague, with their name as the question showed it.
    Person(UserId, String),
}

impl HandTo {
    /// The leads' new owner (`None`: the pool).
    pub fn owner(&self) -> Option<UserId> {
        match self {
            HandTo::Pool => None,
            HandTo::Person(id, _) => Some(*id),
        }
    }
}

/// What the deactivate question asks, by what the device knows of the
/// person's leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ask {
    Closed,
    /// The device's leads are still being read or received: not counted yet.
    Counting,
    /// They own no leads: "Deactivate …?" as it always was.
    Plain,
    /// They own leads: who takes them over, in the same step.
    HandOver,
}

/// A person's device list as the page has it.
#[derive(Clone, Debug, PartialEq)]
pub enum DevicesView {
    Loading,
    Loaded(Vec<DeviceInfo>),
    Failed(String),
}

#[component]
pub fn TeamMember(
    user: UserSummary,
    /// The signed-in manager themself: they cannot deactivate their own account.
    is_self: bool,
    /// Whether the signed-in person may see devices, reset the password of,
    /// deactivate and reactivate this person.
    can_manage: bool,
    /// This device, marked in the list so a manager does not revoke it by mistake.
    current_device: DeviceId,
    /// `None` while the device list is closed.
    #[prop(into)]
    devices: Signal<Option<DevicesView>>,
    /// Whether the "Deactivate …?" question is showing.
    #[prop(into)]
    confirming: Signal<bool>,
    /// An action on the team is under way: buttons wait for it.
    #[prop(into)]
    busy: Signal<bool>,
    on_toggle_devices: Callback<()>,
    /// A device to sign out, and whether it is lost or stolen.
    on_revoke: Callback<(DeviceInfo, bool)>,
    /// How many leads they own on this device (`None` while its leads are
    /// read); read only while the deactivate question shows.
    #[prop(into)]
    owned: Signal<Option<usize>>,
    /// This device is still bringing leads in (its first sync, or a long
    /// catch-up): their leads are counted once it is done.
    #[prop(into)]
    settling: Signal<bool>,
    /// "Receiving N of M changes" meanwhile, when the sync says.
    #[prop(into)]
    receiving: Signal<Option<(u64, u64)>>,
    /// The active people (id, name) who may take their leads over: this
    /// person is left out here.
    hand_to_choices: Vec<(UserId, String)>,
    /// What the last try to deactivate them left undone ("12 leads handed
    /// to Zhang Min. Saved on this device. Li Wei is not deactivated yet: …"),
    /// said in the question that stays open for another try.
    #[prop(into)]
    not_done: Signal<Option<String>>,
    on_ask_deactivate: Callback<()>,
    /// Confirmed: `Some(to)` hands their leads over first, `None` deactivates only.
    on_confirm_deactivate: Callback<Option<HandTo>>,
    on_cancel_deactivate: Callback<()>,
    /// Whether the "Reset the password of …?" question is showing.
    #[prop(into)]
    confirming_reset: Signal<bool>,
    on_ask_reset: Callback<()>,
    on_confirm_reset: Callback<()>,
    on_cancel_reset: Callback<()>,
    on_reactivate: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let name = user.display_name.clone();
    let username = user.username.to_string();
    let role = user.role;
    let active = user.active;
    let devices_id = format!("devices-{}", user.id);
    let confirm_id = format!("confirm-{}", user.id);
    let can_deactivate = can_manage && active && !is_self;
    let can_reset = can_deactivate;
    let can_reactivate = can_manage && !active && !is_self;
    let reset_id = format!("reset-{}", user.id);

    let devices_button = can_manage.then(|| {
        let name = name.clone();
        let devices_id = devices_id.clone();
        view! {
            <button
                type="button"
                class="button button--secondary"
                aria-label=move || i18n.locale().devices_of(&name)
                aria-expanded=move || if devices.with(Option::is_some) { "true" } else { "false" }
                aria-controls=devices_id
                on:click=move |_| on_toggle_devices.run(())
            >
                {move || i18n.t(Key::Devices)}
            </button>
        }
    });
    let deactivate_button = can_deactivate.then(|| {
        let name = name.clone();
        view! {
            <button
                type="button"
                class="button button--danger-quiet"
                id=format!("{confirm_id}-open")
                aria-label=move || i18n.locale().deactivate_user(&name)
                disabled=move || busy.get() || confirming.get()
                on:click=move |_| on_ask_deactivate.run(())
            >
                {move || i18n.t(Key::Deactivate)}
            </button>
        }
    });
    let reset_button = can_reset.then(|| {
        let name = name.clone();
        view! {
            <button
                type="button"
                class="button button--secondary"
                id=format!("{reset_id}-open")
                aria-label=move || i18n.locale().reset_password_of(&name)
                disabled=move || busy.get() || confirming_reset.get()
                on:click=move |_| on_ask_reset.run(())
            >
                {move || i18n.t(Key::ResetPassword)}
            </button>
        }
    });
    let reactivate_button = can_reactivate.then(|| {
        let name = name.clone();
        view! {
            <button
                type="button"
                class="button button--secondary"
                aria-label=move || i18n.locale().reactivate_user(&name)
                disabled=move || busy.get()
                on:click=move |_| on_reactivate.run(())
            >
                {move || i18n.t(Key::Reactivate)}
            </button>
        }
    });
    let reset_panel = {
        let name = name.clone();
        let reset_id = reset_id.clone();
        move || {
            let name = name.clone();
            let text_id = format!("{reset_id}-text");
            let opener = format!("{reset_id}-open");
            confirming_reset.get().then(|| {
                view! {
                    <ConfirmPanel
                        text_id=text_id
                        text=Signal::derive(move || i18n.locale().reset_password_confirm(&name))
                        confirm_label=Signal::derive(move || i18n.t(Key::ResetPassword).to_owned())
                        cancel_label=Signal::derive(move || i18n.t(Key::Cancel).to_owned())
                        busy=busy
                        on_confirm=on_confirm_reset
                        on_cancel=on_cancel_reset
                        opener=opener
                    />
                }
            })
        }
    };
    let ask = Memo::new(move |_| {
        if !confirming.get() {
            Ask::Closed
        } else if settling.get() {
            Ask::Counting
        } else {
            match owned.get() {
                None => Ask::Counting,
                Some(0) => Ask::Plain,
                Some(_) => Ask::HandOver,
            }
        }
    });
    let user_id = user.id;
    let choices: Vec<(UserId, String)> = hand_to_choices
        .into_iter()
        .filter(|(id, _)| *id != user_id)
        .collect();
    let confirm_panel = {
        let name = name.clone();
        let confirm_id = confirm_id.clone();
        move || {
            let name = name.clone();
            let text_id = format!("{confirm_id}-text");
            let opener = format!("{confirm_id}-open");
            let cancel_label = Signal::derive(move || i18n.t(Key::Cancel).to_owned());
            let not_done = move || {
                not_done.get().map(
                    |text| view! { <p class="notice confirm__not-done" role="alert">{text}</p> },
                )
            };
            match ask.get() {
                Ask::Closed => ().into_any(),
                Ask::Plain => view! {
                    <ConfirmPanel
                        text_id=text_id
                        text=Signal::derive(move || i18n.locale().deactivate_confirm(&name))
                        confirm_label=Signal::derive(move || i18n.t(Key::Deactivate).to_owned())
                        cancel_label=cancel_label
                        busy=busy
                        on_confirm=Callback::new(move |()| on_confirm_deactivate.run(None))
                        on_cancel=on_cancel_deactivate
                        opener=opener
                    >
                        {not_done}
                    </ConfirmPanel>
                }
                .into_any(),
                Ask::Counting => view! {
                    <ConfirmPanel
                        text_id=text_id
                        text=Signal::derive(move || i18n.locale().deactivate_confirm(&name))
                        confirm_label=Signal::derive(move || i18n.t(Key::Deactivate).to_owned())
                        cancel_label=cancel_label
                        // Not before their leads are counted: they may own some.
                        busy=Signal::derive(|| true)
                        on_confirm=Callback::new(move |()| {})
                        on_cancel=on_cancel_deactivate
                        opener=opener
                    >
                        <p class="muted" role="status">
                            {move || match receiving.get() {
                                Some((done, of)) => i18n.locale().receiving(done, of),
                                None => i18n.t(Key::CountingLeads).to_owned(),
                            }}
                        </p>
                    </ConfirmPanel>
                }
                .into_any(),
                Ask::HandOver => {
                    let choices = choices.clone();
                    let select_id = format!("{confirm_id}-hand-to");
                    // The pool unless the manager chooses a colleague.
                    let hand_to = RwSignal::new(String::from("pool"));
                    let count = move || owned.get().unwrap_or(0);
                    let chosen = {
                        let choices = choices.clone();
                        move || -> HandTo {
                            hand_to.with_untracked(|value| {
                                choices
                                    .iter()
                                    .find(|(id, _)| id.to_string() == *value)
                                    .map_or(HandTo::Pool, |(id, n)| HandTo::Person(*id, n.clone()))
                            })
                        }
                    };
                    view! {
                        <ConfirmPanel
                            text_id=text_id
                            text=Signal::derive(move || i18n.locale().deactivate_handover_confirm(&name, count()))
                            confirm_label=Signal::derive(move || i18n.locale().hand_over_and_deactivate(count()))
                            cancel_label=cancel_label
                            busy=busy
                            on_confirm=Callback::new(move |()| on_confirm_deactivate.run(Some(chosen())))
                            on_cancel=on_cancel_deactivate
                            opener=opener
                        >
                            {not_done}
                            <div class="field confirm__field">
                                <label for=select_id.clone()>{move || i18n.t(Key::HandTheirLeadsTo)}</label>
                                <select
                                    id=select_id
                                    required
                                    disabled=move || busy.get()
                                    on:change=move |ev| hand_to.set(event_target_value(&ev))
                                >
                                    <option value="pool" selected=move || hand_to.with(|t| t == "pool")>
                                        {move || i18n.t(Key::OwnerPool)}
                                    </option>
                                    {choices
                                        .into_iter()
                                        .map(|(id, person)| {
                                            let value = id.to_string();
                                            view! { <option value=value>{person}</option> }
                                        })
                                        .collect_view()}
                                </select>
                            </div>
                        </ConfirmPanel>
                    }
                    .into_any()
                }
            }
        }
    };
    let devices_panel = move || {
        devices.get().map(|view| {
            let body = match view {
                DevicesView::Loading => view! { <p class="muted">{move || i18n.t(Key::Loading)}</p> }.into_any(),
                DevicesView::Failed(message) => view! { <p class="inline-error" role="alert">{message}</p> }.into_any(),
                DevicesView::Loaded(list) if list.is_empty() => {
                    view! { <p class="muted">{move || i18n.t(Key::NoDevices)}</p> }.into_any()
                }
                DevicesView::Loaded(list) => view! {
                    <ul class="device-list">
                        {list
                            .into_iter()
                            .map(|device| view! {
                                <DeviceRow device=device current_device=current_device can_revoke=can_manage busy=busy on_revoke=on_revoke />
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any(),
            };
            view! {
                <div class="member__devices">
                    <h3 class="member__devices-title">{move || i18n.t(Key::Devices)}</h3>
                    {body}
                </div>
            }
        })
    };

    view! {
        <li class="member" class:member--inactive=!active>
            <div class="member__summary">
                <div class="member__who">
                    <p class="member__name">{name.clone()}</p>
                    <p class="member__meta">
                        <span class="member__username">{username}</span>
                        " · "
                        <span>{move || i18n.locale().role(role)}</span>
                    </p>
                </div>
                <span class="status-chip" class:status-chip--active=active class:status-chip--inactive=!active>
                    <span class="status-chip__mark" aria-hidden="true">{if active { "●" } else { "○" }}</span>
                    <span>{move || i18n.t(if active { Key::Active } else { Key::Deactivated })}</span>
                </span>
                <div class="member__actions">{devices_button} {reset_button} {reactivate_button} {deactivate_button}</div>
            </div>
            <div id=confirm_id>{confirm_panel}</div>
            <div id=reset_id>{reset_panel}</div>
            <div id=devices_id>{devices_panel}</div>
        </li>
    }
}

#[component]
fn DeviceRow(
    device: DeviceInfo,
    current_device: DeviceId,
    can_revoke: bool,
    #[prop(into)] busy: Signal<bool>,
    on_revoke: Callback<(DeviceInfo, bool)>,
) -> impl IntoView {
    let i18n = use_i18n();
    let name = device.name.as_str().to_owned();
    let revoked = device.revoked_at.is_some();
    let is_current = device.id == current_device;
    let created_at = device.created_at;
    let last_seen_at = device.last_seen_at;
    let action = if revoked {
        view! {
            <span class="status-chip status-chip--inactive">
                <span class="status-chip__mark" aria-hidden="true">"○"</span>
                <span>{move || i18n.t(Key::Revoked)}</span>
            </span>
        }
        .into_any()
    } else if can_revoke {
        let label_name = name.clone();
        let lost_name = name.clone();
        let lost_device = device.clone();
        // Signing a device out lets it deliver what it wrote before, once
        // (then it clears itself); a lost or stolen one gets nothing more.
        view! {
            <span class="device__actions">
                <button
                    type="button"
                    class="button button--danger-quiet"
                    aria-label=move || i18n.locale().revoke_device(&label_name)
                    disabled=move || busy.get()
                    on:click=move |_| on_revoke.run((device.clone(), false))
                >
                    {move || i18n.t(Key::Revoke)}
                </button>
                {(!is_current).then(|| view! {
                    <button
                        type="button"
                        class="button button--danger-quiet"
                        aria-label=move || i18n.locale().device_lost(&lost_name)
                        title=move || i18n.t(Key::DeviceLostHint)
                        disabled=move || busy.get()
                        on:click=move |_| on_revoke.run((lost_device.clone(), true))
                    >
                        {move || i18n.t(Key::DeviceLost)}
                    </button>
                })}
            </span>
        }
        .into_any()
    } else {
        ().into_any()
    };
    view! {
        <li class="device" class:device--revoked=revoked>
            <div class="device__about">
                <p class="device__name">
                    {name}
                    {is_current.then(|| view! { <span class="tag">{move || i18n.t(Key::ThisDevice)}</span> })}
                </p>
                <dl class="facts facts--inline">
                    <div class="facts__item">
                        <dt>{move || i18n.t(Key::SignedIn)}</dt>
                        <dd>{move || i18n.locale().date_time(created_at)}</dd>
                    </div>
                    <div class="facts__item">
                        <dt>{move || i18n.t(Key::LastSeen)}</dt>
                        <dd>{move || i18n.locale().date_time(last_seen_at)}</dd>
                    </div>
                </dl>
            </div>
            <div class="device__action">{action}</div>
        </li>
    }
}
