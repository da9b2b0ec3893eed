//! The people of a dealer and their devices: `/api/v1/users/*`.
//!
//! Every lookup is scoped to the caller's dealer, so a user of another dealer
//! and a user that does not exist get the same 404. Path ids that do not
//! parse get that same 404 too.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use showroom_shared::api::{DeviceList, UserList, UserSummary, paths};
use showroom_shared::domain::{DeviceId, UserId};

use super::accounts::{device_info, may_manage, strip_api, user_summary};
use super::error::AppError;
use super::extract::Auth;
use crate::db::{self, UserRow};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(strip_api(paths::USERS), get(list_users))
        .route("/v1/users/{user}", get(get_user))
        .route("/v1/users/{user}/devices", get(list_devices))
        .route("/v1/users/{user}/devices/{device}", delete(revoke_device))
        .route("/v1/users/{user}/deactivate", post(deactivate))
        .route("/v1/users/{user}/activate", post(activate))
}

async fn list_users(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<UserList>, AppError> {
    let users = db::list_users_of_dealer(&state.db, auth.dealer).await?;
    let users = users
        .iter()
        .map(user_summary)
        .collect::<Result<Vec<UserSummary>, _>>()?;
    Ok(axum::Json(UserList { users }))
}

/// The user `raw` of the caller's dealer, or the not-found answer.
async fn user_in_dealer(state: &AppState, auth: &Auth, raw: &str) -> Result<UserRow, AppError> {
    let id: UserId = raw.parse().map_err(|_| AppError::not_found("user"))?;
    db::find_user_in_dealer(&state.db, auth.dealer, id)
        .await?
        .ok_or_else(|| AppError::not_found("user"))
}

/// The user `raw`, if the caller may manage them (themselves included).
async fn managed_user(state: &AppState, auth: &Auth, raw: &str) -> Result<UserRow, AppError> {
    let user = user_in_dealer(state, auth, raw).await?;
    if !may_manage(auth, &user) {
        return Err(AppError::forbidden(
            "Only a manager can see or change another person's devices.",
        ));
    }
    Ok(user)
}

async fn get_user(
    State(state): State<AppState>,
    auth: Auth,
    Path(user): Path<String>,
) -> Result<axum::Json<UserSummary>, AppError> {
    let user = user_in_dealer(&state, &auth, &user).await?;
    Ok(axum::Json(user_summary(&user)?))
}

async fn list_devices(
    State(state): State<AppState>,
    auth: Auth,
    Path(user): Path<String>,
) -> Result<axum::Json<DeviceList>, AppError> {
    let user = managed_user(&state, &auth, &user).await?;
    let sessions = db::list_sessions_of_user(&state.db, &user).await?;
    let devices = sessions
        .iter()
        .map(device_info)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(axum::Json(DeviceList { devices }))
}

async fn revoke_device(
    State(state): State<AppState>,
    auth: Auth,
    Path((user, device)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    let user = managed_user(&state, &auth, &user).await?;
    let device: DeviceId = device.parse().map_err(|_| AppError::not_found("device"))?;
    let reason = if user.id == auth.user {
        "revoked_by_user"
    } else {
        "revoked_by_manager"
    };
    if db::revoke_session_of_user(&state.db, user.id, device, reason, state.clock.now()).await? {
        tracing::info!(by = %auth.user, user = %user.id, %device, "device revoked");
        // Its open sync connection closes now, not at its next message.
        state.hub.device_ended(auth.dealer, device);
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::not_found("device"))
    }
}

async fn deactivate(
    State(state): State<AppState>,
    auth: Auth,
    Path(user): Path<String>,
) -> Result<StatusCode, AppError> {
    let user = user_in_dealer(&state, &auth, &user).await?;
    if user.id == auth.user {
        return Err(AppError::bad_request(
            "You cannot deactivate your own account.",
        ));
    }
    if !auth.role.can_manage(user.role) {
        return Err(AppError::forbidden(
            "Only a manager can deactivate this account.",
        ));
    }
    db::deactivate_user(&state.db, user.id, state.clock.now()).await?;
    tracing::info!(by = %auth.user, user = %user.id, "user deactivated; every session revoked");
    state.hub.user_ended(auth.dealer, user.id);
    Ok(StatusCode::NO_CONTENT)
}

async fn activate(
    State(state): State<AppState>,
    auth: Auth,
    Path(user): Path<String>,
) -> Result<StatusCode, AppError> {
    let user = user_in_dealer(&state, &auth, &user).await?;
    if user.id == auth.user || !auth.role.can_manage(user.role) {
        return Err(AppError::forbidden(
            "Only a manager can reactivate this account.",
        ));
    }
    db::reactivate_user(&state.db, user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
