//! The sync loop: one tab per browser (Web Locks) holds a WebSocket to `/sync`, sends the outbox, applies what the server sends, and tells the other tabs (BroadcastChannel).
//!
//! Everything the loop does goes through one queue of [`Input`]s handled in
//! order by one task, so server pages, acks and local saves never interleave
//! their IndexedDB work. The protocol's decisions are `shared::sync::SyncClient`'s.

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

use futures::StreamExt;
use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use showroom_shared::sync::{ClientEvent, DecodeError, ServerMsg, SyncClient, SyncErrorCode};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, BroadcastChannel, MessageEvent, WebSocket};

use showroom_shared::domain::DocId;

use crate::local::auth::Auth;
use crate::local::store;

const LOCK_NAME: &str = "showroom-sync";
const CHANNEL_NAME: &str = "showroom";
const FIRST_BACKOFF_MS: u32 = 1_000;
const MAX_BACKOFF_MS: u32 = 30_000;
/// Queued server messages read together up to this many bytes: live
/// changes (a few hundred bytes each) are gathered; the first sync's pages
/// (up to a batch each) stay one per write, so its progress keeps moving.
const MESSAGES_READ_TOGETHER_BYTES: usize = 256 * 1024;

/// Where the connection stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// Not connected (signed out, offline, another tab syncs, or waiting to retry).
    #[default]
    Idle,
    /// Connecting, or connected and still receiving what the server had.
    Syncing,
    /// Connected and up to date with the server.
    CaughtUp,
}

/// What the sync pill shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub phase: Phase,
    /// Changes in the outbox (entries, one per saved change).
    pub waiting: u32,
    /// The code of the server's last refusal of this device's changes
    /// (`SyncErrorCode::as_str`: shown in the user's language, never as the
    /// server's English text).
    pub refused: Option<String>,
    /// The last failure that is not a refusal (shown in the pill's tooltip).
    pub error: Option<String>,
    /// When the device last finished a sync (Unix ms).
    pub last_sync: Option<f64>,
    /// The last connection attempt failed, or the connection dropped, while
    /// the browser believed it was online; cleared when a connection opens
    /// (and when the browser goes offline, which the Connection pill says).
    #[serde(default)]
    pub unreachable: bool,
    /// Which documents the server refused on this connection, and why
    /// (the lead's page offers to discard their unsynced changes).
    #[serde(default)]
    pub refused_docs: Vec<DocRefusal>,
    /// The server sent something this device could not decode: that
    /// connection was closed and a new one is tried (the decoder's reason is
    /// in `error`); cleared when a connection catches up.
    #[serde(default)]
    pub unreadable: Option<Unreadable>,
    /// While a connection catches up on many changes: (received, of how
    /// many) — "Receiving 3,200 of 10,000 changes".
    #[serde(default)]
    pub receiving: Option<(u64, u64)>,
    /// The server speaks another sync protocol (`unsupported_version`): this
    /// app must be updated before it can sync again. No retry until then;
    /// the app looks for the new version and offers to reload into it.
    #[serde(default)]
    pub outdated: bool,
}

/// Why a message from the server could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unreadable {
    /// Damaged or malformed bytes.
    Malformed,
    /// A kind of message this version does not know: the server is newer,
    /// and reloading the app may fetch the version that reads it.
    UnknownKind,
}

impl Unreadable {
    pub fn of(error: &DecodeError) -> Unreadable {
        match error {
            DecodeError::UnknownKind(_) => Unreadable::UnknownKind,
            _ => Unreadable::Malformed,
        }
    }
}

/// A document the server refused: which, the refusal's code (what the
/// device shows, translated) and the server's message (kept for support).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocRefusal {
    pub doc: DocId,
    pub code: String,
    pub message: String,
}

impl SyncStatus {
    /// The server's refusal of this document's changes, if it did.
    pub fn refusal_of(&self, doc: DocId) -> Option<&DocRefusal> {
        self.refused_docs.iter().find(|r| r.doc == doc)
    }

    /// Forgets the refusal of one document (its changes were discarded);
    /// the pill follows what is left.
    pub fn forget_refusal(&mut self, doc: DocId) {
        self.refused_docs.retain(|r| r.doc != doc);
        self.refused = self.refused_docs.last().map(|r| r.code.clone());
    }
}

/// The sync status. (What changed on the device is told by the document store
/// itself: `store::subscribe`.)
#[derive(Clone, Copy)]
pub struct Sync {
    pub status: RwSignal<SyncStatus>,
}

impl Sync {
    /// Pages call this after `store::discard_outbox(lead)`: the refusal of
    /// that lead is forgotten, here and in the other tabs.
    pub fn discarded(self, lead: DocId) {
        send(Input::Discarded(lead));
    }
}

pub fn use_sync() -> Sync {
    use_context::<Sync>().unwrap_or_else(|| Sync {
        status: RwSignal::new(SyncStatus::default()),
    })
}

#[derive(Debug)]
enum Input {
    Start {
        token: String,
    },
    Stop,
    Leader,
    Online,
    Offline,
    Open(u64),
    Message(u64, Vec<u8>),
    Closed(u64),
    Retry(u64),
    /// Leads saved on this tab, with their new outbox entries (the store
    /// said so): push those, tell the other tabs.
    LocalChange(Vec<DocId>, Vec<store::Pending>),
    Discarded(DocId),
    Broadcast(Broadcast),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t")]
enum Broadcast {
    /// These leads changed in IndexedDB: re-read their summaries (none:
    /// only the outbox changed).
    Changed { leads: Vec<DocId> },
    /// The syncing tab's status.
    Status { status: SyncStatus },
    /// A tab started and would like the syncing tab's status.
    Hello,
    /// A lead's unsynced changes were discarded: forget its refusal.
    Discarded { lead: DocId },
}

thread_local! {
    static SENDER: RefCell<Option<UnboundedSender<Input>>> = const { RefCell::new(None) };
}

fn send(input: Input) {
    SENDER.with(|s| {
        if let Some(tx) = s.borrow().as_ref() {
            let _ = tx.unbounded_send(input);
        }
    });
}

/// Starts the sync loop for this tab and provides [`Sync`] as context. The
/// loop follows the session: it runs while someone is signed in.
pub fn start(auth: Auth, online: ReadSignal<bool>) -> Sync {
    let sync = Sync {
        status: RwSignal::new(SyncStatus::default()),
    };
    provide_context(sync);
    let (tx, rx) = unbounded();
    SENDER.with(|s| *s.borrow_mut() = Some(tx));
    // Every save of this tab reaches sync from the store itself; the
    // subscription lasts as long as the tab.
    std::mem::forget(store::subscribe(|change| {
        if change.origin == store::Origin::Saved {
            let docs = change.leads.iter().copied().map(DocId::lead);
            send(Input::LocalChange(
                docs.chain(change.others.iter().copied()).collect(),
                change.outbox.clone(),
            ));
        }
    }));

    let channel = BroadcastChannel::new(CHANNEL_NAME).ok();
    if let Some(channel) = &channel {
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
            if let Some(text) = event.data().as_string()
                && let Ok(b) = serde_json::from_str::<Broadcast>(&text)
            {
                send(Input::Broadcast(b));
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
    }

    let engine = Engine {
        sync,
        auth,
        channel,
        token: None,
        leader: false,
        lock_requested: false,
        release_lock: Rc::new(RefCell::new(None)),
        online: online.get_untracked(),
        ws: None,
        open: false,
        generation: 0,
        client: SyncClient::new(0, 0),
        sent: HashSet::new(),
        backoff_ms: FIRST_BACKOFF_MS,
        ending: false,
    };
    leptos::task::spawn_local(engine.run(rx));

    // A user who must replace a temporary password syncs nothing until
    // they have (the server refuses it too).
    Effect::new(move |_| {
        let must_change = auth.session().is_some_and(|s| s.user.must_change_password);
        match auth.token_tracked() {
            Some(token) if !must_change => send(Input::Start { token }),
            _ => send(Input::Stop),
        }
    });
    Effect::new(move |previous: Option<bool>| {
        let now = online.get();
        if previous.is_some() && previous != Some(now) {
            send(if now { Input::Online } else { Input::Offline });
        }
        now
    });
    sync
}

struct Engine {
    sync: Sync,
    auth: Auth,
    channel: Option<BroadcastChannel>,
    token: Option<String>,
    leader: bool,
    lock_requested: bool,
    release_lock: Rc<RefCell<Option<js_sys::Function>>>,
    online: bool,
    ws: Option<WebSocket>,
    open: bool,
    /// Moves on every new socket and every cancelled retry, so events of an
    /// old socket or timer are recognised and ignored.
    generation: u64,
    client: SyncClient,
    /// Outbox keys already pushed on this connection.
    sent: HashSet<String>,
    backoff_ms: u32,
    /// The session ended: this connection only delivers what the device
    /// wrote, then the device is cleared (`ServerMsg::Ended`).
    ending: bool,
}

impl Engine {
    async fn run(mut self, mut rx: UnboundedReceiver<Input>) {
        self.broadcast(&Broadcast::Hello);
        self.load_persisted().await;
        while let Some(input) = rx.next().await {
            let Input::Message(generation, bytes) = input else {
                self.handle(input).await;
                continue;
            };
            if generation != self.generation {
                continue;
            }
            // Messages that arrived while the last ones were written are
            // read together (one write, one redraw): a device that fell
            // behind catches up instead of falling further behind.
            let mut batch = vec![bytes];
            let mut size = batch[0].len();
            let mut next = None;
            while size < MESSAGES_READ_TOGETHER_BYTES {
                match rx.try_recv() {
                    Ok(Input::Message(g, bytes)) if g == generation => {
                        size += bytes.len();
                        batch.push(bytes);
                    }
                    Ok(other) => {
                        next = Some(other);
                        break;
                    }
                    _ => break,
                }
            }
            self.messages(batch).await;
            if let Some(input) = next {
                self.handle(input).await;
            }
        }
    }

    async fn load_persisted(&mut self) {
        let last_sync = store::meta(store::META_LAST_SYNC)
            .await
            .ok()
            .flatten()
            .and_then(|v| v.as_f64());
        let refused = store::meta(store::META_REFUSAL)
            .await
            .ok()
            .flatten()
            .and_then(|v| v.as_string());
        let refused_docs = store::meta(store::META_REFUSED_DOCS)
            .await
            .ok()
            .flatten()
            .and_then(|v| v.as_string())
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        self.sync.status.update(|s| {
            s.last_sync = last_sync;
            s.refused = refused;
            s.refused_docs = refused_docs;
        });
        self.refresh_waiting().await;
    }

    async fn handle(&mut self, input: Input) {
        match input {
            Input::Start { token } => {
                if self.token.as_deref() != Some(&token) {
                    self.token = Some(token);
                    self.load_persisted().await;
                    self.request_lock();
                    self.connect_if_ready();
                }
            }
            Input::Stop => {
                self.token = None;
                self.close();
                if let Some(release) = self.release_lock.borrow_mut().take() {
                    let _ = release.call0(&JsValue::NULL);
                }
                self.leader = false;
                self.lock_requested = false;
                self.sync.status.set(SyncStatus::default());
            }
            Input::Leader => {
                self.leader = true;
                self.connect_if_ready();
            }
            Input::Online => {
                self.online = true;
                self.backoff_ms = FIRST_BACKOFF_MS;
                if self.ws.is_none() {
                    // Cancels a pending retry: connect now instead.
                    self.generation += 1;
                }
                self.connect_if_ready();
            }
            Input::Offline => {
                self.online = false;
                self.sync.status.update(|s| s.unreachable = false);
                self.close();
            }
            Input::Open(generation) if generation == self.generation => self.opened().await,
            Input::Message(generation, bytes) if generation == self.generation => {
                self.messages(vec![bytes]).await;
            }
            Input::Closed(generation) if generation == self.generation => self.closed(),
            Input::Retry(generation) if generation == self.generation => self.connect_if_ready(),
            Input::Open(_) | Input::Message(..) | Input::Closed(_) | Input::Retry(_) => {}
            Input::LocalChange(leads, pending) => {
                self.refresh_waiting().await;
                self.broadcast(&Broadcast::Changed { leads });
                // What this tab saved is pushed as the store handed it over;
                // the outbox is read only at connect and for other tabs' saves.
                self.push(pending);
            }
            Input::Discarded(lead) => {
                self.forget_refusal(lead).await;
                self.refresh_waiting().await;
                self.broadcast(&Broadcast::Discarded { lead });
                self.broadcast(&Broadcast::Changed { leads: Vec::new() });
                self.broadcast_status();
            }
            Input::Broadcast(Broadcast::Discarded { lead }) => {
                self.forget_refusal(lead).await;
                self.refresh_waiting().await;
                self.broadcast_status();
            }
            Input::Broadcast(Broadcast::Changed { leads: changed }) => {
                if let Err(e) = store::changed_elsewhere(changed).await {
                    web_sys::console::warn_1(&format!("Could not re-read leads: {e}").into());
                }
                self.refresh_waiting().await;
                self.push_new().await;
            }
            Input::Broadcast(Broadcast::Status { status }) => {
                if !self.leader {
                    self.sync.status.update(|s| {
                        s.phase = status.phase;
                        s.refused = status.refused;
                        s.error = status.error;
                        s.last_sync = status.last_sync;
                        s.unreachable = status.unreachable;
                        s.refused_docs = status.refused_docs;
                        s.unreadable = status.unreadable;
                        s.receiving = status.receiving;
                    });
                    self.refresh_waiting().await;
                }
            }
            Input::Broadcast(Broadcast::Hello) => {
                if self.leader {
                    self.broadcast_status();
                }
            }
        }
    }

    fn request_lock(&mut self) {
        if self.lock_requested {
            return;
        }
        self.lock_requested = true;
        let Some(window) = web_sys::window() else {
            return;
        };
        let locks = js_sys::Reflect::get(&window.navigator(), &"locks".into())
            .ok()
            .filter(|l| !l.is_undefined() && !l.is_null());
        let request = locks.as_ref().and_then(|locks| {
            js_sys::Reflect::get(locks, &"request".into())
                .ok()
                .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        });
        let (Some(locks), Some(request)) = (locks, request) else {
            // No Web Locks (an old browser): this tab syncs.
            send(Input::Leader);
            return;
        };
        let release = self.release_lock.clone();
        let granted = Closure::once_into_js(move |_lock: JsValue| -> js_sys::Promise {
            send(Input::Leader);
            // Held until sign-out or until the tab goes away.
            js_sys::Promise::new(&mut |resolve, _| {
                *release.borrow_mut() = Some(resolve);
            })
        });
        let _ = request.call2(&locks, &LOCK_NAME.into(), &granted);
    }

    fn connect_if_ready(&mut self) {
        if self.token.is_none() || !self.leader || !self.online || self.ws.is_some() {
            return;
        }
        let Some(url) = sync_url() else {
            return;
        };
        self.generation += 1;
        let generation = self.generation;
        let ws = match WebSocket::new(&url) {
            Ok(ws) => ws,
            Err(e) => {
                web_sys::console::warn_2(&"Could not open the sync connection".into(), &e);
                self.schedule_retry();
                return;
            }
        };
        ws.set_binary_type(BinaryType::Arraybuffer);
        let on_open = Closure::<dyn FnMut(JsValue)>::new(move |_| send(Input::Open(generation)));
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Ok(buffer) = event.data().dyn_into::<js_sys::ArrayBuffer>() {
                send(Input::Message(
                    generation,
                    js_sys::Uint8Array::new(&buffer).to_vec(),
                ));
            }
        });
        let on_close = Closure::<dyn FnMut(JsValue)>::new(move |_| send(Input::Closed(generation)));
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        ws.set_onerror(Some(on_close.as_ref().unchecked_ref()));
        // The socket outlives this call; its handlers are small and few
        // (one set per connection attempt).
        on_open.forget();
        on_message.forget();
        on_close.forget();
        self.ws = Some(ws);
        self.open = false;
        self.set_phase(Phase::Syncing);
    }

    async fn opened(&mut self) {
        let Some(token) = self.token.clone() else {
            return;
        };
        self.open = true;
        self.sync.status.update(|s| s.unreachable = false);
        self.broadcast_status();
        // A refusal is re-asked on every connection: the outbox is sent again.
        let _ = store::set_meta(store::META_REFUSAL, None).await;
        let _ = store::set_meta(store::META_REFUSED_DOCS, None).await;
        self.sync.status.update(|s| {
            s.refused = None;
            s.refused_docs.clear();
        });
        let cursor = store::cursor().await.unwrap_or(0);
        let log = store::log().await.unwrap_or(0);
        let pending = store::outbox().await.unwrap_or_default();
        self.client = SyncClient::new(cursor, log);
        self.sent = pending.iter().map(|p| p.key.clone()).collect();
        let msgs = self.client.connect(&token, store::group(&pending));
        for msg in msgs {
            self.send_bytes(&msg.encode());
        }
        self.send_receipts().await;
        self.send_holding().await;
    }

    /// Once per protocol that narrows what a device may see: a device that
    /// holds documents from before says which, and the server's answer
    /// removes those its user may no longer see (a salesperson's tab signed
    /// in before each device held only its user's leads). A device that
    /// holds nothing, or a manager's, has nothing to ask.
    async fn send_holding(&mut self) {
        let done = store::meta(store::META_AUDITED)
            .await
            .ok()
            .flatten()
            .and_then(|v| v.as_f64());
        if done == Some(f64::from(showroom_shared::sync::PROTOCOL_VERSION)) {
            return;
        }
        let sees_all = self
            .auth
            .session_untracked()
            .is_some_and(|s| showroom_shared::rules::may_decide(s.user.role));
        let docs = if sees_all {
            Vec::new()
        } else {
            store::held_docs().await.unwrap_or_default()
        };
        if docs.is_empty() {
            audited().await;
        } else if let Some(msg) = self.client.holding(docs) {
            self.send_bytes(&msg.encode());
        }
    }

    /// Server messages in the order they came: what they mean is done
    /// together (`ClientEvent::coalesce`).
    async fn messages(&mut self, batch: Vec<Vec<u8>>) {
        let mut events = Vec::new();
        let mut unreadable = None;
        for bytes in &batch {
            match ServerMsg::decode(bytes) {
                Ok(msg) => events.extend(self.client.on_message(msg)),
                Err(e) => {
                    unreadable = Some(e);
                    break;
                }
            }
        }
        // What came before an unreadable message is applied as usual.
        let generation = self.generation;
        self.events(ClientEvent::coalesce(events)).await;
        self.finish_if_delivered().await;
        if let Some(e) = unreadable
            && self.generation == generation
        {
            // Nothing of it is applied and the stored cursor stays where it
            // is; messages already queued from this socket are ignored
            // (`fail` moves the generation), so a new connection asks again
            // from the cursor.
            self.sync
                .status
                .update(|s| s.unreadable = Some(Unreadable::of(&e)));
            self.fail(format!("could not read a message from the server: {e}"));
        }
    }

    async fn events(&mut self, events: Vec<ClientEvent>) {
        for event in events {
            match event {
                ClientEvent::Apply {
                    docs,
                    removed,
                    floor,
                    taken,
                    cursor,
                } => match apply(&docs, &removed, &taken, floor, cursor).await {
                    Ok(changed) => {
                        if !removed.is_empty() {
                            self.send_receipts().await;
                        }
                        if !changed.is_empty() {
                            self.broadcast(&Broadcast::Changed { leads: changed });
                        }
                        let receiving = self.client.receiving();
                        if self
                            .sync
                            .status
                            .with_untracked(|s| s.receiving != receiving)
                        {
                            self.sync.status.update(|s| s.receiving = receiving);
                            self.broadcast_status();
                        }
                    }
                    Err(e) => {
                        // The stored cursor did not move: reconnecting asks
                        // for this page again.
                        self.fail(e.to_string());
                        return;
                    }
                },
                ClientEvent::CaughtUp { .. } => {
                    self.backoff_ms = FIRST_BACKOFF_MS;
                    self.synced_now().await;
                    if let Err(e) = store::settle_claims().await {
                        web_sys::console::warn_1(&format!("Could not settle claims: {e}").into());
                    }
                    self.sync.status.update(|s| {
                        s.phase = Phase::CaughtUp;
                        s.error = None;
                        s.unreadable = None;
                        s.receiving = None;
                    });
                    self.broadcast_status();
                }
                ClientEvent::Acked { docs } => {
                    if let Err(e) = store::acked(&docs).await {
                        self.fail(e.to_string());
                        return;
                    }
                    self.synced_now().await;
                    self.refresh_waiting().await;
                    self.broadcast(&Broadcast::Changed { leads: Vec::new() });
                    self.broadcast_status();
                    self.send_receipts().await;
                }
                ClientEvent::Audited => audited().await,
                ClientEvent::Ended => {
                    self.ending = true;
                    self.auth.mark_ending();
                }
                ClientEvent::Receipted { docs } => {
                    if let Err(e) = store::receipted(&docs).await {
                        self.fail(e.to_string());
                        return;
                    }
                }
                ClientEvent::Refused(refused) => {
                    let code = refused.code.as_str().to_owned();
                    self.sync.status.update(|s| {
                        s.refused_docs.retain(|r| r.doc != refused.doc);
                        s.refused_docs.push(DocRefusal {
                            doc: refused.doc,
                            code: code.clone(),
                            message: refused.message,
                        });
                        s.refused = Some(code);
                    });
                    self.persist_refusals().await;
                    self.broadcast_status();
                }
                ClientEvent::Log { log, reset: false } => {
                    let _ =
                        store::set_meta(store::META_LOG, Some(JsValue::from_f64(log as f64))).await;
                }
                ClientEvent::Log { log, reset: true } => {
                    // The server was restored from a backup: what it lost
                    // of this device's work goes to it again, and what it
                    // has comes down again from the start (applying a
                    // change twice does nothing).
                    match store::resend_own(log).await {
                        Ok(queued) => {
                            web_sys::console::info_1(
                                &format!(
                                    "Sync: the server was restored; re-sending {queued} changes"
                                )
                                .into(),
                            );
                            self.push_new().await;
                            self.refresh_waiting().await;
                            self.broadcast_status();
                        }
                        Err(e) => {
                            self.fail(e.to_string());
                            return;
                        }
                    }
                }
                ClientEvent::Fatal { code, message } => {
                    if code == SyncErrorCode::Unauthorized {
                        // Only the API's clear 401 ends a session (`Auth`'s
                        // rule): a server shutting down can refuse a sync
                        // session without meaning it, and ending the session
                        // wipes the device.
                        self.close();
                        self.auth.revalidate().await;
                        self.sync.status.update(|s| s.error = Some(message));
                        self.schedule_retry();
                    } else if code == SyncErrorCode::UnsupportedVersion {
                        // Retrying cannot help: only the new version can sync.
                        web_sys::console::warn_1(&format!("Sync: {message}").into());
                        self.sync.status.update(|s| {
                            s.outdated = true;
                            s.error = Some(message);
                        });
                        self.close();
                    } else {
                        self.fail(message);
                    }
                    return;
                }
            }
        }
    }

    /// Sends the receipts for removed documents nothing is left to send of.
    /// While the session ends: once every batch sent is answered, the last
    /// delivery is done — say so, and clear the device.
    async fn finish_if_delivered(&mut self) {
        if !self.ending {
            return;
        }
        if let Some(msg) = self.client.delivered() {
            self.send_bytes(&msg.encode());
            self.ending = false;
            self.close();
            self.auth.delivered().await;
        }
    }

    async fn send_receipts(&mut self) {
        let due = store::receipts_due().await.unwrap_or_default();
        if let Some(msg) = self.client.receipts(due) {
            self.send_bytes(&msg.encode());
        }
    }

    /// Writes the refusals of the status to the device, so a reload still
    /// shows them until the next connection asks again.
    async fn persist_refusals(&self) {
        let (refused, docs) = self
            .sync
            .status
            .with_untracked(|s| (s.refused.clone(), s.refused_docs.clone()));
        let _ = store::set_meta(store::META_REFUSAL, refused.map(|m| JsValue::from_str(&m))).await;
        let docs = (!docs.is_empty())
            .then(|| serde_json::to_string(&docs).ok())
            .flatten()
            .map(|text| JsValue::from_str(&text));
        let _ = store::set_meta(store::META_REFUSED_DOCS, docs).await;
    }

    async fn forget_refusal(&mut self, lead: DocId) {
        self.sync.status.update(|s| s.forget_refusal(lead));
        if self.leader {
            self.persist_refusals().await;
        }
    }

    async fn synced_now(&mut self) {
        let now = js_sys::Date::now();
        let _ = store::set_meta(store::META_LAST_SYNC, Some(JsValue::from_f64(now))).await;
        self.sync.status.update(|s| s.last_sync = Some(now));
    }

    /// Sends outbox entries not pushed on this connection yet.
    async fn push_new(&mut self) {
        if !self.leader || !self.open || !self.client.is_connected() {
            return;
        }
        let Ok(pending) = store::outbox().await else {
            return;
        };
        self.push(pending);
    }

    /// Pushes the entries not pushed on this connection yet (none while not
    /// connected: the next connection sends the whole outbox).
    fn push(&mut self, pending: Vec<store::Pending>) {
        if !self.leader || !self.open || !self.client.is_connected() {
            return;
        }
        let fresh: Vec<_> = pending
            .into_iter()
            .filter(|p| !self.sent.contains(&p.key))
            .collect();
        if fresh.is_empty() {
            return;
        }
        self.sent.extend(fresh.iter().map(|p| p.key.clone()));
        for msg in self.client.push(store::group(&fresh)) {
            self.send_bytes(&msg.encode());
        }
    }

    fn send_bytes(&mut self, bytes: &[u8]) {
        if let Some(ws) = &self.ws
            && ws.send_with_u8_array(bytes).is_err()
        {
            self.fail("the sync connection failed".into());
        }
    }

    /// A failure retrying may fix: note it, drop the connection, retry later.
    fn fail(&mut self, message: String) {
        web_sys::console::warn_1(&format!("Sync: {message}").into());
        self.sync.status.update(|s| s.error = Some(message));
        self.close();
        self.schedule_retry();
        self.broadcast_status();
    }

    /// The socket failed to connect or dropped (not closed on purpose: that
    /// removes the handlers first).
    fn closed(&mut self) {
        let online = self.online;
        self.sync.status.update(|s| s.unreachable = online);
        self.drop_socket();
        self.schedule_retry();
        self.broadcast_status();
    }

    /// Closes the connection on purpose (offline, sign-out); no retry.
    fn close(&mut self) {
        if let Some(ws) = &self.ws {
            let _ = ws.close();
        }
        self.drop_socket();
        self.generation += 1;
        self.broadcast_status();
    }

    fn drop_socket(&mut self) {
        if let Some(ws) = self.ws.take() {
            ws.set_onopen(None);
            ws.set_onmessage(None);
            ws.set_onclose(None);
            ws.set_onerror(None);
        }
        self.open = false;
        self.client.disconnected();
        self.sent.clear();
        self.sync.status.update(|s| {
            s.phase = Phase::Idle;
            s.receiving = None;
        });
    }

    fn schedule_retry(&mut self) {
        if self.token.is_none() || !self.leader || !self.online {
            return;
        }
        let delay = self.backoff_ms;
        self.backoff_ms = (self.backoff_ms * 2).min(MAX_BACKOFF_MS);
        let generation = self.generation;
        leptos::task::spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(delay).await;
            send(Input::Retry(generation));
        });
    }

    fn set_phase(&mut self, phase: Phase) {
        self.sync.status.update(|s| s.phase = phase);
        self.broadcast_status();
    }

    async fn refresh_waiting(&mut self) {
        if let Ok(n) = store::outbox_count().await {
            self.sync.status.update(|s| s.waiting = n);
        }
    }

    fn broadcast_status(&self) {
        if self.leader {
            self.broadcast(&Broadcast::Status {
                status: self.sync.status.get_untracked(),
            });
        }
    }

    fn broadcast(&self, message: &Broadcast) {
        if let (Some(channel), Ok(text)) = (&self.channel, serde_json::to_string(message)) {
            let _ = channel.post_message(&JsValue::from_str(&text));
        }
    }
}

/// `ws(s)://<this host>/sync`.
fn sync_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    Some(format!("{scheme}://{}/sync", location.host().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn id(n: u128) -> DocId {
        DocId::lead(showroom_shared::domain::LeadId::from_uuid(
            uuid::Uuid::from_u128(n),
        ))
    }

    fn refusal(n: u128, code: &str) -> DocRefusal {
        DocRefusal {
            doc: id(n),
            code: code.into(),
            message: format!("server text {n}"),
        }
    }

    #[wasm_bindgen_test]
    fn forgetting_a_refusal_keeps_the_others_and_the_pill_follows() {
        let mut s = SyncStatus {
            refused: Some("forbidden".into()),
            refused_docs: vec![refusal(1, "too_large"), refusal(2, "forbidden")],
            ..SyncStatus::default()
        };
        assert_eq!(
            s.refusal_of(id(1)).map(|r| r.code.as_str()),
            Some("too_large")
        );
        assert_eq!(s.refusal_of(id(3)), None);
        s.forget_refusal(id(2));
        assert_eq!(s.refusal_of(id(2)), None);
        assert_eq!(s.refused.as_deref(), Some("too_large"));
        s.forget_refusal(id(1));
        assert_eq!(s.refused, None, "nothing refused: the pill can say Synced");
        assert!(s.refused_docs.is_empty());
    }
}

/// A page: the documents the user may no longer see leave the device
/// first, then the changes are applied and the cursor stored (a page applied
/// again after a crash removes nothing that is still there).
/// The server answered this device's `Holding` for this protocol.
async fn audited() {
    let version = f64::from(showroom_shared::sync::PROTOCOL_VERSION);
    let _ = store::set_meta(store::META_AUDITED, Some(JsValue::from_f64(version))).await;
}

async fn apply(
    docs: &[showroom_shared::sync::DocChanges],
    removed: &[showroom_shared::domain::DocId],
    taken: &[showroom_shared::sync::Taken],
    floor: Vec<showroom_shared::domain::floor::FloorRow>,
    cursor: Option<u64>,
) -> Result<Vec<showroom_shared::domain::DocId>, store::StoreError> {
    store::remove_docs(removed, taken).await?;
    // Before the page's cursor is stored: a page read again stores them again.
    store::put_floor(floor, docs).await?;
    store::apply_page(docs, cursor).await
}
