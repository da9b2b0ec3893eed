//! The first run of a fresh install: `/api/v1/setup`. A server started with
//! no dealer (and no demo data) prints a one-time set-up link; the page it
//! opens creates the dealer and its first admin, once.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use showroom_shared::api::{ErrorCode, SetupRequest, SetupStatus, paths};

use super::accounts::strip_api;
use super::error::AppError;
use super::extract::Json;
use crate::admin::{self, NewDealer};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route(strip_api(paths::SETUP), get(status).post(set_up))
}

async fn status(State(state): State<AppState>) -> Result<axum::Json<SetupStatus>, AppError> {
    Ok(axum::Json(SetupStatus {
        needed: state.setup.is_open() && crate::db::count_dealers(&state.db).await? == 0,
    }))
}

async fn set_up(
    State(state): State<AppState>,
    Json(req): Json<SetupRequest>,
) -> Result<StatusCode, AppError> {
    // Wrong code, set-up already done, or another set-up under way: the
    // gate is claimed for the whole set-up, so two cannot run at once.
    let Some(claimed) = state.setup.claim(&req.token) else {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            "This set-up link is not valid. Use the link the server printed when it started.",
        ));
    };
    let new = NewDealer {
        name: req.dealer_name,
        time_zone: req.time_zone,
        currency: req.currency,
        admin_username: req.admin_username,
        admin_display_name: req.admin_display_name,
        admin_password: Some(req.admin_password),
    };
    let created = admin::create_dealer(&state, &new, true).await;
    // A form to correct keeps the link working; a done set-up closes it.
    if let Err(e) = &created
        && !matches!(e, admin::AdminError::AlreadySetUp)
    {
        state.setup.release(claimed);
    }
    created.map(|_| StatusCode::CREATED).map_err(AppError::from)
}
