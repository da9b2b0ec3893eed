//! The sync endpoint: a WebSocket at `/sync` speaking the binary protocol of
//! `showroom_shared::sync`. This adapter only performs the state machine's
//! actions: token checks, one SQL transaction per batch, log reads, sends.
//!
//! Authorisation happens on every message, not only at connect: each batch
//! and each read re-checks the session (revoked, expired, deactivated), and
//! every document is looked up under the session's dealer only.

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use showroom_shared::sync::{
    Ingested, ServerAction, ServerMsg, ServerSession, SyncErrorCode, limits,
};
use tokio::sync::broadcast::error::RecvError;

use super::error::AppError;
use super::extract::{Auth, authenticate};
use crate::db;
use crate::hub::Signal;
use crate::state::AppState;
use showroom_shared::api::ErrorCode;

pub const SYNC_PATH: &str = "/sync";

pub fn router() -> Router<AppState> {
    Router::new().route(SYNC_PATH, get(upgrade))
}

async fn upgrade(State(state): State<AppState>, ws: WebSocketUpgrade) -> Response {
    // Frames up to twice the protocol cap are read, so an oversized message
    // gets a clear error; anything larger closes the socket (code 1009).
    ws.max_message_size(limits::MESSAGE_BYTES * 2)
        .max_frame_size(limits::MESSAGE_BYTES * 2)
        .on_upgrade(move |socket| Connection::new(state, socket).run())
}

struct Connection {
    state: AppState,
    socket: WebSocket,
    session: ServerSession,
    token: Option<String>,
    auth: Option<Auth>,
    signals: Option<tokio::sync::broadcast::Receiver<Signal>>,
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
        }
    }

    async fn run(mut self) {
        loop {
            let actions = tokio::select! {
                msg = self.socket.recv() => match msg {
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
                signal = next_signal(&mut self.signals) => self.on_signal(signal),
            };
            if !self.perform(actions).await || self.session.is_closed() {
                break;
            }
        }
        let _ = self.socket.send(Message::Close(None)).await;
    }

    fn on_signal(&mut self, signal: Result<Signal, RecvError>) -> Vec<ServerAction> {
        let Some(auth) = &self.auth else {
            return Vec::new();
        };
        match signal {
            Ok(Signal::Changes { origin, .. }) if origin == auth.device => Vec::new(),
            Ok(Signal::Changes { .. }) | Err(RecvError::Lagged(_)) => self.session.wake(),
            Ok(Signal::DeviceEnded(device)) if device == auth.device => ended(&mut self.session),
            Ok(Signal::UserEnded(user)) if user == auth.user => ended(&mut self.session),
            Ok(_) => Vec::new(),
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
                    let result = match authenticate(&self.state, &token).await {
                        Ok(auth) => {
                            self.signals = Some(self.state.hub.subscribe(auth.dealer));
                            self.auth = Some(auth);
                            self.token = Some(token);
                            Ok(())
                        }
                        Err(err) => Err(sync_refusal(err)),
                    };
                    queue.extend(self.session.authenticated(result));
                }
                ServerAction::Ingest { batch, docs } => {
                    let result = match self.recheck().await {
                        Err(refusal) => Err(refusal),
                        Ok(auth) => {
                            let now = self.state.clock.now();
                            match db::store_batch(
                                &self.state.db,
                                auth.dealer,
                                auth.device,
                                &docs,
                                now,
                            )
                            .await
                            {
                                Ok(outcome) => {
                                    if outcome.new_changes > 0 {
                                        self.state.hub.publish(
                                            auth.dealer,
                                            Signal::Changes {
                                                seq: outcome.last_seq,
                                                origin: auth.device,
                                            },
                                        );
                                    }
                                    Ok(Ingested {
                                        refused: outcome.refused,
                                        wrote: outcome.new_changes > 0,
                                    })
                                }
                                Err(err) => {
                                    tracing::error!(%err, "storing a sync batch failed; nothing of it was acknowledged");
                                    Err((SyncErrorCode::Internal, "The server could not store the changes; they stay on the device and are retried.".to_owned()))
                                }
                            }
                        }
                    };
                    queue.extend(self.session.ingested(batch, result));
                }
                ServerAction::Pull { after } => {
                    let auth = match self.recheck().await {
                        Ok(auth) => auth,
                        Err((code, message)) => {
                            queue.extend(self.session.fail(code, message));
                            continue;
                        }
                    };
                    let after = i64::try_from(after).unwrap_or(i64::MAX);
                    match db::changes_after(
                        &self.state.db,
                        auth.dealer,
                        auth.device,
                        after,
                        limits::PAGE_CHANGES as i64,
                    )
                    .await
                    {
                        Ok(page) => queue.extend(self.session.pulled(
                            page.to.max(0) as u64,
                            page.complete,
                            page.docs,
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
        match authenticate(&self.state, &token).await {
            Ok(auth) => {
                self.auth = Some(auth.clone());
                Ok(auth)
            }
            Err(err) => Err(sync_refusal(err)),
        }
    }

    async fn send(&mut self, msg: &ServerMsg) -> Result<(), axum::Error> {
        self.socket.send(Message::Binary(msg.encode().into())).await
    }
}

/// A failed session check as the device should read it: only a bad session
/// is `Unauthorized` (the device signs out); a server that could not check
/// (database down, shutting down) is `Internal` (the device retries).
fn sync_refusal(err: AppError) -> (SyncErrorCode, String) {
    let code = if err.code == ErrorCode::Unauthorized {
        SyncErrorCode::Unauthorized
    } else {
        SyncErrorCode::Internal
    };
    (code, err.message)
}

fn ended(session: &mut ServerSession) -> Vec<ServerAction> {
    session.fail(
        SyncErrorCode::Unauthorized,
        "This device was signed out. Sign in again.",
    )
}

async fn next_signal(
    signals: &mut Option<tokio::sync::broadcast::Receiver<Signal>>,
) -> Result<Signal, RecvError> {
    match signals {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}
