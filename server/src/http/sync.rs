//! The sync endpoint: a WebSocket at `/sync` speaking the binary protocol of
//! `showroom_shared::sync`. This adapter only performs the state machine's
//! actions: token checks, handing batches to the writer, log reads, sends.
//!
//! Authorisation: the session is checked at Hello and again before every
//! pushed batch is stored. Everything else learns of an ended session by
//! event (the hub's `DeviceEnded`/`UserEnded`, from this process or another
//! through the cluster bridge), which closes the connection at once; a
//! connection whose events may have been lost, and every connection once a
//! minute (expiry, last seen), checks again. Committed changes arrive with
//! the event as a ready page: no database read per connection per commit.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::SinkExt;
use showroom_shared::doc::parse_change;
use showroom_shared::domain::floor::{FLOOR_HORIZON_MS, FloorRow};
use showroom_shared::domain::{DealerId, DocId};
use showroom_shared::rules::Author;
use showroom_shared::sync::{
    DocChanges, Ingested, ServerAction, ServerLog, ServerMsg, ServerSession, SyncErrorCode, limits,
};
use showroom_shared::visibility::Reader;
use showroom_shared::visibility::may_see;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use super::error::AppError;
use super::extract::{Auth, authenticate, ended_with_delivery};
use crate::db;
use crate::hub::{Commit, Signal};
use crate::state::AppState;
use crate::writer::{BatchOutcome, Pending, WriteError};
use showroom_shared::api::ErrorCode;
use std::collections::VecDeque;

pub const SYNC_PATH: &str = "/sync";

/// Connections check their session this often even when nothing happens.
const RECHECK_EVERY: Duration = Duration::from_secs(60);
/// Batches of one connection queued at the writer at once; the socket is not
/// read further until one is stored (back-pressure).
const MAX_IN_FLIGHT: usize = 8;

pub fn router() -> Router<AppState> {
    Router::new().route(SYNC_PATH, get(upgrade))
}

async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if !origin_allowed(&headers) {
        return AppError::forbidden(
            "Sync connections are accepted from this server's own pages only.",
        )
        .into_response();
    }
    // Frames up to twice the protocol cap are read, so an oversized message
    // gets a clear error; anything larger closes the socket (code 1009).
    ws.max_message_size(limits::MESSAGE_BYTES * 2)
        .max_frame_size(limits::MESSAGE_BYTES * 2)
        // Small buffers: most sockets are idle most of the time (the read
        // buffer grows for a big message); written pages are queued up to
        // 32 KiB before a write, and a device that does not read is cut off
        // past a few pages rather than held in memory.
        .read_buffer_size(4 * 1024)
        .write_buffer_size(32 * 1024)
        .max_write_buffer_size(limits::MESSAGE_BYTES * 2)
        .on_upgrade(move |socket| Connection::new(state, socket).run())
}

/// A browser always sends `Origin` on a WebSocket upgrade: it must be this
/// server (same host as the request). Clients that are not browsers send
/// none; their bearer token is what authorises them.
fn origin_allowed(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let (Ok(origin), Some(Ok(host))) = (
        origin.to_str(),
        headers.get(header::HOST).map(|h| h.to_str()),
    ) else {
        return false;
    };
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    origin_host.is_some_and(|o| o.eq_ignore_ascii_case(host))
}

struct Connection {
    state: AppState,
    socket: WebSocket,
    session: ServerSession,
    token: Option<String>,
    auth: Option<Auth>,
    signals: Option<tokio::sync::broadcast::Receiver<Signal>>,
    /// The commit being handed to the session (for `Deliver`).
    commit: Option<Arc<Commit>>,
    /// Batches handed to the writer, oldest first.
    in_flight: VecDeque<(u64, Pending)>,
    /// When the session ended, while its device makes its last delivery.
    ended_at: Option<i64>,
}

impl Connection {
    fn new(state: AppState, socket: WebSocket) -> Self {
        Connection {
            state,
            socket,
            session: ServerSession::new(),
            token: None,
            auth: None,
            signals: None,
            commit: None,
            in_flight: VecDeque::new(),
            ended_at: None,
        }
    }

    async fn run(mut self) {
        let hello_deadline = tokio::time::sleep(self.state.hello_timeout);
        tokio::pin!(hello_deadline);
        let mut recheck = tokio::time::interval(RECHECK_EVERY);
        recheck.reset();
        loop {
            let actions = tokio::select! {
                // Signals first: a session that ended must not have a push
                // that arrived at the same moment stored.
                biased;
                signal = next_signal(&mut self.signals) => self.on_signal(signal).await,
                (batch, stored) = next_stored(&mut self.in_flight) => {
                    let result = match stored {
                        Ok(outcome) => Ok(Ingested {
                            refused: outcome.refused,
                        }),
                        Err(err) => {
                            tracing::error!(%err, "storing a sync batch failed; nothing of it was acknowledged");
                            Err((SyncErrorCode::Internal, "The server could not store the changes; they stay on the device and are retried.".to_owned()))
                        }
                    };
                    self.session.ingested(batch, result)
                }
                msg = self.socket.recv(), if self.in_flight.len() < MAX_IN_FLIGHT => match msg {
                    Some(Ok(Message::Binary(bytes))) => {
                        if bytes.len() > limits::MESSAGE_BYTES {
                            self.session.fail(
                                SyncErrorCode::TooLarge,
                                format!("A sync message may be at most {} MB.", limits::MESSAGE_BYTES / (1024 * 1024)),
                            )
                        } else {
                            self.session.on_message(&bytes)
                        }
                    }
                    Some(Ok(Message::Text(_))) => self.session.fail(SyncErrorCode::Malformed, "Sync messages are binary."),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_))) | None => break,
                    Some(Err(err)) => {
                        tracing::debug!(%err, "sync socket failed");
                        break;
                    }
                },
                () = &mut hello_deadline, if self.session.awaits_hello() => self.session.hello_timed_out(),
                _ = recheck.tick(), if self.auth.is_some() => match self.recheck().await {
                    Ok(_) => Vec::new(),
                    Err((code, message)) => self.session.fail(code, message),
                },
            };
            if !self.perform(actions).await || self.session.is_closed() {
                break;
            }
            // Events already waiting are handled before writing, so a burst
            // of commits goes out in one write instead of one per message.
            if !self.drain_ready_signals().await || self.session.is_closed() {
                break;
            }
            if self.socket.flush().await.is_err() {
                break;
            }
        }
        let _ = self.socket.send(Message::Close(None)).await;
    }

    /// Handles up to 64 signals that are already there; `false` when the
    /// socket is gone.
    async fn drain_ready_signals(&mut self) -> bool {
        for _ in 0..64 {
            let next = match self.signals.as_mut().map(|rx| rx.try_recv()) {
                Some(Ok(signal)) => Ok(signal),
                Some(Err(TryRecvError::Lagged(n))) => Err(RecvError::Lagged(n)),
                _ => return true,
            };
            let actions = self.on_signal(next).await;
            if !self.perform(actions).await {
                return false;
            }
            if self.session.is_closed() {
                return true;
            }
        }
        true
    }

    async fn on_signal(&mut self, signal: Result<Signal, RecvError>) -> Vec<ServerAction> {
        let Some(auth) = &self.auth else {
            return Vec::new();
        };
        let device = auth.device;
        match signal {
            Ok(Signal::Committed(commit)) => {
                if !commit.deliverable(device, reader_of(auth)) {
                    // Too big to carry, or a salesperson's page that needs
                    // the moves: read it from the log.
                    return self.session.wake();
                }
                let actions = self.session.committed(commit.from, commit.to);
                self.commit = Some(commit);
                actions
            }
            Ok(Signal::DeviceEnded(ended)) if ended == device => self.session_ended().await,
            Ok(Signal::UserEnded(user)) if user == auth.user => self.session_ended().await,
            Ok(Signal::DeviceEnded(_) | Signal::UserEnded(_)) => Vec::new(),
            // Events may have been missed: check the session, read the log.
            Ok(Signal::Recheck) | Err(RecvError::Lagged(_)) => match self.recheck().await {
                Ok(_) => self.session.wake(),
                Err((code, message)) => self.session.fail(code, message),
            },
            Err(RecvError::Closed) => {
                self.signals = None;
                Vec::new()
            }
        }
    }

    /// Performs actions in order; `false` when the socket is gone.
    async fn perform(&mut self, actions: Vec<ServerAction>) -> bool {
        let mut queue: std::collections::VecDeque<ServerAction> = actions.into();
        while let Some(action) = queue.pop_front() {
            match action {
                ServerAction::Authenticate { token } => {
                    let checked = authenticate(&self.state, &token).await;
                    if let Err(err) = &checked
                        && err.code == ErrorCode::SessionEnding
                        && let Some((auth, ended)) = ended_with_delivery(&self.state, &token).await
                    {
                        // Its last delivery: pushes only, nothing sent back.
                        tracing::info!(device = %auth.device, "an ended session delivers what it wrote");
                        self.auth = Some(auth);
                        self.token = Some(token);
                        self.ended_at = Some(ended);
                        queue.extend(self.session.ending());
                        continue;
                    }
                    let result = match checked {
                        Ok(auth) => match server_log(&self.state, auth.dealer).await {
                            Ok(log) => {
                                self.signals = Some(self.state.hub.subscribe(auth.dealer));
                                self.auth = Some(auth);
                                self.token = Some(token);
                                Ok(log)
                            }
                            Err(err) => Err(sync_refusal(AppError::from(err))),
                        },
                        Err(err) => Err(sync_refusal(err)),
                    };
                    queue.extend(self.session.authenticated(result));
                }
                ServerAction::Ingest { batch, docs } => {
                    let stored = match self.recheck().await {
                        Ok(auth) => self.store(&auth, docs).await,
                        Err(refusal) => Err(refusal),
                    };
                    match stored {
                        Ok(Some(pending)) => self.in_flight.push_back((batch, pending)),
                        // All of it kept aside: answered as stored.
                        Ok(None) => {
                            queue.extend(self.session.ingested(batch, Ok(Default::default())))
                        }
                        Err(refusal) => queue.extend(self.session.ingested(batch, Err(refusal))),
                    }
                }
                ServerAction::Delivered => {
                    if let Some(auth) = &self.auth
                        && let Err(err) =
                            db::close_delivery(&self.state.db, auth.device, self.state.clock.now())
                                .await
                    {
                        tracing::error!(%err, "closing a session's last delivery failed");
                    }
                }
                ServerAction::Pull { after } => {
                    let Some(auth) = self.auth.clone() else {
                        continue;
                    };
                    let after = i64::try_from(after).unwrap_or(i64::MAX);
                    self.state
                        .sync_stats
                        .log_reads
                        .fetch_add(1, Ordering::Relaxed);
                    match db::changes_after(
                        &self.state.db,
                        auth.dealer,
                        Some(auth.device),
                        reader_of(&auth),
                        after,
                        i64::MAX,
                        limits::PAGE_CHANGES,
                        limits::PAGE_BYTES,
                        self.state.clock.now() - FLOOR_HORIZON_MS,
                    )
                    .await
                    {
                        Ok(page) => queue.extend(self.session.pulled(
                            page.to.max(0) as u64,
                            page.complete,
                            page.remaining,
                            page.docs,
                            page.removed,
                            page.floor,
                            page.taken,
                        )),
                        Err(err) => {
                            tracing::error!(%err, "reading the change log failed");
                            queue.extend(self.session.fail(
                                SyncErrorCode::Internal,
                                "The server could not read changes; retry later.",
                            ));
                        }
                    }
                }
                ServerAction::Deliver { from, to } => {
                    let Some(commit) = self.commit.take() else {
                        continue;
                    };
                    let page = match &self.auth {
                        Some(auth) if commit.from == from && commit.to == to => {
                            commit.page_for(auth.device, reader_of(auth))
                        }
                        _ => None,
                    };
                    let sent = match page {
                        Some(page) => self.socket.feed(Message::Binary(page.into())).await,
                        // Too big to carry and all its own: only the cursor moves.
                        None => {
                            self.send(&ServerMsg::Changes {
                                from,
                                to,
                                complete: true,
                                remaining: 0,
                                docs: Vec::new(),
                                removed: Vec::new(),
                                floor: Vec::new(),
                                taken: Vec::new(),
                            })
                            .await
                        }
                    };
                    if sent.is_err() {
                        return false;
                    }
                }
                ServerAction::Receipts { batch, docs } => {
                    let Some(auth) = self.auth.clone() else {
                        continue;
                    };
                    let result = db::access::record_receipts(
                        &self.state.db,
                        auth.dealer,
                        auth.device,
                        &docs,
                        self.state.clock.now(),
                    )
                    .await
                    .map_err(|err| {
                        // Not acknowledged: the device sends them again.
                        tracing::error!(%err, "recording removal receipts failed");
                        (
                            SyncErrorCode::Internal,
                            "The server could not record what this device removed; it is sent again.".to_owned(),
                        )
                    });
                    queue.extend(self.session.receipted(batch, result));
                }
                ServerAction::Audit { batch, docs } => {
                    let Some(auth) = self.auth.clone() else {
                        continue;
                    };
                    let result = audit(&self.state, &auth, &docs).await.map_err(|err| {
                        tracing::error!(%err, "checking what a device holds failed");
                        (
                            SyncErrorCode::Internal,
                            "The server could not check this device's leads; it asks again."
                                .to_owned(),
                        )
                    });
                    queue.extend(self.session.audited(batch, result));
                }
                ServerAction::Send(msg) => {
                    if self.send(&msg).await.is_err() {
                        return false;
                    }
                }
                ServerAction::Close => return true,
            }
        }
        true
    }

    /// The session behind this connection, checked again now.
    async fn recheck(&mut self) -> Result<Auth, (SyncErrorCode, String)> {
        let Some(token) = self.token.clone() else {
            return Err((SyncErrorCode::Unauthorized, "Say Hello first.".to_owned()));
        };
        if self.ended_at.is_some() {
            // Its last delivery is still open (not done, not past its days).
            return match ended_with_delivery(&self.state, &token).await {
                Some((auth, _)) => Ok(auth),
                None => Err((
                    SyncErrorCode::Unauthorized,
                    "This device was signed out. Sign in again.".to_owned(),
                )),
            };
        }
        self.state
            .sync_stats
            .session_checks
            .fetch_add(1, Ordering::Relaxed);
        match authenticate(&self.state, &token).await {
            Ok(auth) => {
                self.auth = Some(auth.clone());
                Ok(auth)
            }
            Err(err) => Err(sync_refusal(err)),
        }
    }

    /// Hands a pushed batch to the writer. In an ended session's last
    /// delivery, changes made before the session ended go as any push;
    /// those made after (the time each change carries) are kept aside,
    /// never applied (`quarantined_changes`), and acknowledged alike.
    /// `None`: nothing was left for the writer.
    async fn store(
        &mut self,
        auth: &Auth,
        docs: Vec<DocChanges>,
    ) -> Result<Option<Pending>, (SyncErrorCode, String)> {
        let docs = match self.ended_at {
            Some(ended) => self.keep_aside_after(auth, ended, docs).await?,
            None => docs,
        };
        if docs.is_empty() {
            return Ok(None);
        }
        self.state
            .writer
            .enqueue(
                auth.dealer,
                auth.device,
                Author {
                    user: auth.user,
                    role: auth.role,
                },
                reader_of(auth),
                docs,
            )
            .map(Some)
            .map_err(|err| {
                tracing::error!(%err, "the sync writer is gone");
                (
                    SyncErrorCode::Internal,
                    "The server is shutting down; the changes stay on the device and are retried."
                        .to_owned(),
                )
            })
    }

    /// Keeps aside the changes timed after `ended`; returns the others.
    async fn keep_aside_after(
        &mut self,
        auth: &Auth,
        ended: i64,
        docs: Vec<DocChanges>,
    ) -> Result<Vec<DocChanges>, (SyncErrorCode, String)> {
        let mut before = Vec::new();
        let mut after = Vec::new();
        for DocChanges { doc, changes } in docs {
            let (early, late): (Vec<Vec<u8>>, Vec<Vec<u8>>) =
                changes.into_iter().partition(|bytes| {
                    parse_change(bytes)
                        .map_or(true, |c| c.timestamp().saturating_mul(1000) <= ended)
                });
            if !early.is_empty() {
                before.push(DocChanges {
                    doc,
                    changes: early,
                });
            }
            for bytes in late {
                let hash = parse_change(&bytes)
                    .map(|c| c.hash().to_string())
                    .unwrap_or_default();
                after.push(db::access::Quarantined {
                    doc,
                    hash,
                    bytes,
                    origin: auth.device,
                });
            }
        }
        if !after.is_empty() {
            tracing::info!(device = %auth.device, kept_aside = after.len(), "changes made after a session ended");
            db::access::keep_aside(&self.state.db, auth.dealer, &after, self.state.clock.now())
                .await
                .map_err(|err| {
                    tracing::error!(%err, "keeping changes aside failed");
                    (
                        SyncErrorCode::Internal,
                        "The server could not store these changes; they are retried.".to_owned(),
                    )
                })?;
        }
        Ok(before)
    }

    /// This connection's session just ended: its last delivery if it has
    /// one (the device sends what it wrote, then clears itself), else the
    /// connection ends (signed out, or ended as lost or stolen).
    async fn session_ended(&mut self) -> Vec<ServerAction> {
        let Some(auth) = &self.auth else {
            return Vec::new();
        };
        match db::last_delivery(&self.state.db, auth.device, self.state.clock.now()).await {
            Ok(Some(ended)) => {
                self.ended_at = Some(ended);
                self.session.ending()
            }
            _ => ended_session(&mut self.session),
        }
    }

    /// Queues a message; the run loop flushes what is queued once per burst.
    async fn send(&mut self, msg: &ServerMsg) -> Result<(), axum::Error> {
        self.socket.feed(Message::Binary(msg.encode().into())).await
    }
}

/// Of the documents a device says it holds, those its user may not see
/// (stored by the dealer under an owner the reader is not), with their
/// floor rows. A document the dealer does not store is the device's own,
/// not yet pushed.
async fn audit(
    state: &AppState,
    auth: &Auth,
    docs: &[DocId],
) -> Result<(Vec<DocId>, Vec<FloorRow>), sqlx::Error> {
    let reader = reader_of(auth);
    if reader.sees_everything() {
        return Ok((Vec::new(), Vec::new()));
    }
    let owners = db::access::owners(&state.db, auth.dealer, docs).await?;
    let removed: Vec<DocId> = docs
        .iter()
        .filter(|d| owners.get(d).is_some_and(|a| !may_see(reader, *a)))
        .copied()
        .collect();
    let floor = db::floor::rows_of(
        &state.db,
        auth.dealer,
        &removed,
        state.clock.now() - FLOOR_HORIZON_MS,
    )
    .await?;
    Ok((removed, floor))
}

/// Whom the connection's device works for (`shared::visibility`).
fn reader_of(auth: &Auth) -> Reader {
    Reader::of(auth.role, auth.user)
}

/// The server's log for the dealer as a connection starts.
async fn server_log(state: &AppState, dealer: DealerId) -> Result<ServerLog, sqlx::Error> {
    Ok(ServerLog {
        id: state.log_id().await?,
        head: crate::db::log_head(&state.db, dealer).await?,
    })
}

/// A failed session check as the device should read it: only a bad session
/// is `Unauthorized` (the device signs out); a server that could not check
/// (database down, shutting down) is `Internal` (the device retries).
fn sync_refusal(err: AppError) -> (SyncErrorCode, String) {
    let code = if matches!(
        err.code,
        ErrorCode::Unauthorized | ErrorCode::SessionUnknown | ErrorCode::SessionEnding
    ) {
        SyncErrorCode::Unauthorized
    } else {
        SyncErrorCode::Internal
    };
    (code, err.message)
}

fn ended_session(session: &mut ServerSession) -> Vec<ServerAction> {
    session.fail(
        SyncErrorCode::Unauthorized,
        "This device was signed out. Sign in again.",
    )
}

/// The oldest queued batch's answer, once the writer gives it.
async fn next_stored(
    in_flight: &mut VecDeque<(u64, Pending)>,
) -> (u64, Result<BatchOutcome, WriteError>) {
    let Some((batch, pending)) = in_flight.front_mut() else {
        return std::future::pending().await;
    };
    let batch = *batch;
    let answer = pending.await;
    in_flight.pop_front();
    (batch, answer.unwrap_or(Err(WriteError::Closed)))
}

async fn next_signal(
    signals: &mut Option<tokio::sync::broadcast::Receiver<Signal>>,
) -> Result<Signal, RecvError> {
    match signals {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&'static str>, host: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static(host));
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_static(o));
        }
        h
    }

    #[test]
    fn only_this_servers_pages_may_open_a_sync_socket() {
        assert!(origin_allowed(&headers(None, "127.0.0.1:8080")));
        assert!(origin_allowed(&headers(
            Some("http://127.0.0.1:8080"),
            "127.0.0.1:8080"
        )));
        assert!(origin_allowed(&headers(
            Some("https://crm.dealer.cn"),
            "crm.dealer.cn"
        )));
        assert!(!origin_allowed(&headers(
            Some("https://evil.example"),
            "crm.dealer.cn"
        )));
        assert!(!origin_allowed(&headers(Some("null"), "crm.dealer.cn")));
    }
}
