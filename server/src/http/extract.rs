//! Extractors: JSON bodies whose rejections use the app's error shape, and
//! the authenticated session of a request.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use showroom_shared::api::{BEARER_PREFIX, ErrorCode};
use showroom_shared::domain::{DealerId, DeviceId, Role, UserId};

use super::error::AppError;
use crate::auth::hash_token;
use crate::db::{self, SessionRow};
use crate::state::AppState;

/// `axum::Json`, but a bad body is answered in the app's error shape.
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> AppError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => AppError::new(
            ErrorCode::UnsupportedMediaType,
            "Send the body as JSON (Content-Type: application/json).",
        ),
        JsonRejection::JsonDataError(err) => {
            AppError::bad_request(format!("A field is invalid: {}", err.body_text()))
        }
        JsonRejection::JsonSyntaxError(_) => AppError::bad_request("The body is not valid JSON."),
        JsonRejection::BytesRejection(err) if err.status().as_u16() == 413 => {
            AppError::new(ErrorCode::PayloadTooLarge, "The request body is too large.")
        }
        other => AppError::bad_request(format!(
            "The request body could not be read: {}",
            other.body_text()
        )),
    }
}

/// The signed-in user and device behind a request's bearer token. Handlers
/// that take it can only run for a live session of an active user.
#[derive(Clone, Debug)]
pub struct Auth {
    pub device: DeviceId,
    pub user: UserId,
    pub dealer: DealerId,
    pub role: Role,
    pub session: SessionRow,
}

impl Auth {
    fn of(session: SessionRow) -> Auth {
        Auth {
            device: session.id,
            user: session.user.id,
            dealer: session.user.dealer_id,
            role: session.user.role,
            session,
        }
    }
}

/// Last-seen times are written at most this often per session.
const TOUCH_EVERY_MS: i64 = 60 * 1000;

impl FromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        authenticate(state, bearer(parts)?).await
    }
}

/// A live session whose user may still have to replace a temporary password:
/// only "who am I", signing out and changing the password take it.
#[derive(Clone, Debug)]
pub struct PendingAuth(pub Auth);

impl FromRequestParts<AppState> for PendingAuth {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        authenticate_session(state, bearer(parts)?)
            .await
            .map(PendingAuth)
    }
}

fn bearer(parts: &Parts) -> Result<&str, AppError> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix(BEARER_PREFIX))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            AppError::unauthorized("Sign in first: this request carries no session token.")
        })
}

/// Checks a bearer token ([`authenticate_session`]) and that its user has
/// set their own password: a temporary password opens nothing else.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Auth, AppError> {
    let auth = authenticate_session(state, token).await?;
    if auth.session.user.must_change_password {
        return Err(AppError::new(
            ErrorCode::PasswordChangeRequired,
            "Choose a new password first: yours was reset.",
        ));
    }
    Ok(auth)
}

/// A token whose session has ended but may still make its last delivery
/// (`db::last_delivery`): the session as it was, and when it ended.
pub async fn ended_with_delivery(state: &AppState, token: &str) -> Option<(Auth, i64)> {
    if token.len() > 256 {
        return None;
    }
    let session = db::find_session_by_token_hash(&state.db, &hash_token(token))
        .await
        .ok()
        .flatten()?;
    let ended = db::last_delivery(&state.db, session.id, state.clock.now())
        .await
        .ok()
        .flatten()?;
    Some((Auth::of(session), ended))
}

/// Checks a bearer token: known, not revoked, not expired, user active.
pub async fn authenticate_session(state: &AppState, token: &str) -> Result<Auth, AppError> {
    let ended = || AppError::unauthorized("This session has ended. Sign in again.");
    if token.len() > 256 {
        return Err(ended());
    }
    let session = db::find_session_by_token_hash(&state.db, &hash_token(token))
        .await?
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::SessionUnknown,
                "This server does not know this session (it may have been restored from a backup). \
                 Sign in again: nothing on this device is lost.",
            )
        })?;
    if session.revoked_at.is_some() || !session.user.active {
        if session.revoked_at.is_some()
            && db::last_delivery(&state.db, session.id, state.clock.now())
                .await?
                .is_some()
        {
            return Err(AppError::new(
                ErrorCode::SessionEnding,
                "This session has ended. What this device wrote and has not sent yet is \
                 delivered first; then it is cleared.",
            ));
        }
        return Err(ended());
    }
    let now = state.clock.now();
    if now - session.last_seen_at > state.session_idle_ms {
        db::revoke_session(&state.db, session.id, "expired", now).await?;
        return Err(AppError::unauthorized(
            "This session expired after a long time without use. Sign in again.",
        ));
    }
    if now - session.last_seen_at > TOUCH_EVERY_MS {
        db::touch_session(&state.db, session.id, now).await?;
    }
    Ok(Auth::of(session))
}
