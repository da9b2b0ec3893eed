//! Sign-in, sign-out and "who am I": `/api/v1/auth/*` and `/api/v1/me`.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use showroom_shared::api::{
    ChangePasswordRequest, DealerSummary, DeviceInfo, ErrorCode, LoginRequest, LoginResponse,
    PasswordChanged, SessionInfo, UserSummary, paths,
};
use showroom_shared::domain::DeviceId;
use uuid::Uuid;

use super::error::AppError;
use super::extract::{Auth, Json, PendingAuth};
use super::security::ClientIp;
use crate::auth::{SessionToken, verify_against_dummy, verify_password};
use crate::db::{self, NewSession, SessionRow, UserRow};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(strip_api(paths::LOGIN), post(login))
        .route(strip_api(paths::LOGOUT), post(logout))
        .route(strip_api(paths::ME), get(me))
        .route(strip_api(paths::ME_PASSWORD), post(change_password))
}

/// Routes are nested under `/api`; the shared paths include it.
pub(super) fn strip_api(path: &'static str) -> &'static str {
    path.strip_prefix("/api").unwrap_or(path)
}

async fn login(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Json(req): Json<LoginRequest>,
) -> Result<axum::Json<LoginResponse>, AppError> {
    let username = req.username.as_str().to_owned();
    let now = state.clock.now();
    // The TCP peer (or what a trusted proxy says it is). Requests that reach
    // the router without connection info (in-process callers) are throttled
    // by username only.
    let attempt = match state
        .throttle
        .admit(&state.db, &username, client, now)
        .await?
    {
        Ok(attempt) => attempt,
        Err(secs) => {
            tracing::warn!(%username, client = ?client, secs, "sign-in throttled");
            return Err(too_many(secs));
        }
    };
    let user = db::find_user_for_login(&state.db, &username).await?;
    let password = req.password.expose().to_owned();
    let verified = match user.clone() {
        Some(user) => {
            tokio::task::spawn_blocking(move || verify_password(&password, &user.password_hash))
                .await
                .map_err(AppError::internal)?
        }
        None => {
            tokio::task::spawn_blocking(move || verify_against_dummy(&password))
                .await
                .map_err(AppError::internal)?;
            false
        }
    };
    let Some(user) = user.filter(|_| verified) else {
        tracing::warn!(%username, client = ?client, "sign-in failed");
        if let Some(secs) = state.throttle.failed(&state.db, attempt, now).await {
            return Err(too_many(secs));
        }
        return Err(AppError::new(
            ErrorCode::InvalidCredentials,
            "Wrong username or password.",
        ));
    };
    state.throttle.succeeded(&state.db, attempt).await?;
    if !user.active {
        return Err(AppError::forbidden(
            "This account is deactivated. Ask your showroom manager.",
        ));
    }
    let token = SessionToken::generate().map_err(AppError::internal)?;
    let device = DeviceId::from_uuid(Uuid::new_v4());
    db::insert_session(
        &state.db,
        &NewSession {
            id: device,
            user_id: user.id,
            dealer_id: user.dealer_id,
            token_hash: &token.hash(),
            device_name: req.device_name.as_str(),
            now,
        },
    )
    .await?;
    tracing::info!(user = %user.id, dealer = %user.dealer_id, device = %device, "signed in");
    let session = SessionRow {
        id: device,
        user,
        device_name: req.device_name.into(),
        created_at: now,
        last_seen_at: now,
        revoked_at: None,
    };
    Ok(axum::Json(LoginResponse {
        token: token.expose().to_owned(),
        session: session_info(&session)?,
    }))
}

fn too_many(secs: u64) -> AppError {
    let mut err = AppError::new(
        ErrorCode::TooManyRequests,
        format!("Too many failed sign-in attempts. Try again in {secs} seconds."),
    );
    err.retry_after = Some(secs);
    err
}

async fn logout(
    State(state): State<AppState>,
    PendingAuth(auth): PendingAuth,
) -> Result<StatusCode, AppError> {
    db::revoke_session(&state.db, auth.device, "logout", state.clock.now()).await?;
    tracing::info!(user = %auth.user, device = %auth.device, "signed out");
    state.hub.device_ended(auth.dealer, auth.device);
    Ok(StatusCode::NO_CONTENT)
}

async fn me(PendingAuth(auth): PendingAuth) -> Result<axum::Json<SessionInfo>, AppError> {
    Ok(axum::Json(session_info(&auth.session)?))
}

/// Changes the signed-in user's own password: the current one is required
/// (and throttled like a sign-in), the new one must follow the rules, and
/// every other device of theirs is signed out. Open to a user who must
/// replace a temporary password.
async fn change_password(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    PendingAuth(auth): PendingAuth,
    Json(req): Json<ChangePasswordRequest>,
) -> Result<axum::Json<PasswordChanged>, AppError> {
    let now = state.clock.now();
    let username = auth.session.user.username.clone();
    let attempt = match state
        .throttle
        .admit(&state.db, &username, client, now)
        .await?
    {
        Ok(attempt) => attempt,
        Err(secs) => return Err(too_many(secs)),
    };
    let same = req.new_password == req.current_password;
    let current = req.current_password;
    let stored = auth.session.user.password_hash.clone();
    let verified = current.len() <= showroom_shared::domain::Password::MAX_BYTES
        && tokio::task::spawn_blocking(move || verify_password(&current, &stored))
            .await
            .map_err(AppError::internal)?;
    if !verified {
        tracing::warn!(user = %auth.user, "password change: wrong current password");
        if let Some(secs) = state.throttle.failed(&state.db, attempt, now).await {
            return Err(too_many(secs));
        }
        return Err(AppError::new(
            ErrorCode::InvalidCredentials,
            "The current password is wrong.",
        ));
    }
    state.throttle.succeeded(&state.db, attempt).await?;
    if same {
        return Err(AppError::bad_request(
            "The new password must differ from the current one.",
        ));
    }
    let new = crate::admin::chosen_password(&req.new_password, &username)
        .map_err(|e| AppError::bad_request(e.to_string()))?;
    let password = new.expose().to_owned();
    let hash = tokio::task::spawn_blocking(move || crate::auth::hash_password(&password))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    let revoked = db::set_password(
        &state.db,
        auth.user,
        &hash,
        false,
        Some(auth.device),
        "password_changed",
        now,
    )
    .await?;
    for device in &revoked {
        state.hub.device_ended(auth.dealer, *device);
    }
    tracing::info!(user = %auth.user, others = revoked.len(), "password changed");
    Ok(axum::Json(PasswordChanged {
        other_devices_signed_out: u32::try_from(revoked.len()).unwrap_or(u32::MAX),
    }))
}

pub(super) fn user_summary(user: &UserRow) -> Result<UserSummary, AppError> {
    Ok(UserSummary {
        id: user.id,
        username: user.username.parse().map_err(AppError::internal)?,
        display_name: user.display_name.clone(),
        role: user.role,
        active: user.active,
        must_change_password: user.must_change_password,
    })
}

pub(super) fn device_info(session: &SessionRow) -> Result<DeviceInfo, AppError> {
    Ok(DeviceInfo {
        id: session.id,
        name: session.device_name.parse().map_err(AppError::internal)?,
        created_at: session.created_at,
        last_seen_at: session.last_seen_at,
        revoked_at: session.revoked_at,
    })
}

fn session_info(session: &SessionRow) -> Result<SessionInfo, AppError> {
    Ok(SessionInfo {
        user: user_summary(&session.user)?,
        dealer: DealerSummary {
            id: session.user.dealer_id,
            name: session.user.dealer_name.clone(),
        },
        device: device_info(session)?,
    })
}

/// Whether `actor` may see and act on `target`'s devices and account.
pub(super) fn may_manage(actor: &Auth, target: &UserRow) -> bool {
    actor.user == target.id || actor.role.can_manage(target.role)
}
