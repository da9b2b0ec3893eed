//! The people of a dealer and their devices: `/api/v1/users/*`.
//!
//! Every lookup is scoped to the caller's dealer, so a user of another dealer
//! and a user that does not exist get the same 404. Path ids that do not
//! parse get that same 404 too.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use showroom_shared::api::{
    DeviceList, NewUserRequest, TemporaryPassword, UserList, UserSummary, paths,
};
use showroom_shared::domain::{DeviceId, UserId};

use super::accounts::{device_info, may_manage, strip_api, user_summary};
use super::error::AppError;
use super::extract::{Auth, Json};
use crate::admin;
use crate::db::{self, UserRow};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(strip_api(paths::USERS), get(list_users).post(create_user))
        .route("/v1/users/{user}/reset-password", post(reset_password))
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

/// `?lost=true`: the device is lost or stolen — it gets no last delivery
/// (whatever it pushes from now on is refused as from any ended session).
#[derive(serde::Deserialize)]
struct RevokeOptions {
    #[serde(default)]
    lost: bool,
}

async fn revoke_device(
    State(state): State<AppState>,
    auth: Auth,
    Path((user, device)): Path<(String, String)>,
    axum::extract::Query(options): axum::extract::Query<RevokeOptions>,
) -> Result<StatusCode, AppError> {
    let user = managed_user(&state, &auth, &user).await?;
    let device: DeviceId = device.parse().map_err(|_| AppError::not_found("device"))?;
    let reason = if options.lost {
        "lost"
    } else if user.id == auth.user {
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
    tracing::info!(by = %auth.user, user = %user.id, "user reactivated");
    Ok(StatusCode::NO_CONTENT)
}

/// Adds a person to the caller's dealer. A manager adds salespeople and
/// managers; only an admin adds an admin. The answer carries the temporary
/// password, shown once.
async fn create_user(
    State(state): State<AppState>,
    auth: Auth,
    Json(req): Json<NewUserRequest>,
) -> Result<(StatusCode, axum::Json<TemporaryPassword>), AppError> {
    if !auth.role.can_manage(req.role) {
        return Err(AppError::forbidden(if auth.role.is_manager() {
            "Only an admin can add an admin."
        } else {
            "Only a manager can add people."
        }));
    }
    let created = admin::create_user(
        &state,
        auth.dealer,
        &req.username,
        &req.display_name,
        req.role,
        None,
    )
    .await
    .map_err(AppError::from)?;
    let user = db::find_user_in_dealer(&state.db, auth.dealer, created.user)
        .await?
        .ok_or_else(|| AppError::internal("the new user vanished"))?;
    tracing::info!(by = %auth.user, user = %user.id, "user added");
    Ok((
        StatusCode::CREATED,
        axum::Json(TemporaryPassword {
            user: user_summary(&user)?,
            temporary_password: created.temporary_password.unwrap_or_default(),
        }),
    ))
}

/// Gives someone the caller manages a temporary password: they choose their
/// own at the next sign-in, and every device of theirs is signed out now.
/// Nobody resets their own password this way (they change it).
async fn reset_password(
    State(state): State<AppState>,
    auth: Auth,
    Path(user): Path<String>,
) -> Result<axum::Json<TemporaryPassword>, AppError> {
    let user = user_in_dealer(&state, &auth, &user).await?;
    if user.id == auth.user {
        return Err(AppError::bad_request(
            "Change your own password in Settings instead.",
        ));
    }
    if !auth.role.can_manage(user.role) {
        return Err(AppError::forbidden(
            "Only a manager can reset this person's password.",
        ));
    }
    let temporary_password = admin::reset_password(&state, auth.dealer, user.id)
        .await
        .map_err(AppError::from)?;
    tracing::info!(by = %auth.user, user = %user.id, "password reset");
    let user = db::find_user_in_dealer(&state.db, auth.dealer, user.id)
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    Ok(axum::Json(TemporaryPassword {
        user: user_summary(&user)?,
        temporary_password,
    }))
}
