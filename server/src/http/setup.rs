//! The first run of a fresh install: `/api/v1/setup`. A server started with
//! no dealer (and no demo data) prints a one-time set-up link; the page it
//! opens creates the dealer and its first admin, once. Also the browsers'
//! Content-Security-Policy reports.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use showroom_shared::api::{ErrorCode, SetupRequest, SetupStatus, paths};

use super::accounts::strip_api;
use super::error::AppError;
use super::extract::Json;
use super::users::admin_error;
use crate::admin::{self, NewDealer};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(strip_api(paths::SETUP), get(status).post(set_up))
        .route(strip_api(paths::CSP_REPORT), post(csp_report))
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
    if !state.setup.accepts(&req.token) {
        // Wrong code, or set-up already done (the gate closes after it).
        return Err(AppError::new(
            ErrorCode::Forbidden,
            "This set-up link is not valid. Use the link the server printed when it started.",
        ));
    }
    let new = NewDealer {
        name: req.dealer_name,
        time_zone: req.time_zone,
        currency: req.currency,
        admin_username: req.admin_username,
        admin_display_name: req.admin_display_name,
        admin_password: Some(req.admin_password),
    };
    admin::create_dealer(&state, &new, true)
        .await
        .map_err(admin_error)?;
    state.setup.close();
    Ok(StatusCode::CREATED)
}

/// Longest report read; browsers send a few hundred bytes.
const CSP_REPORT_BYTES: usize = 8 * 1024;

/// Logs a browser's report of something the Content-Security-Policy blocked
/// (an injected script, a stray inline style): a warning an operator sees,
/// and the end-to-end suite fails on.
async fn csp_report(body: Bytes) -> StatusCode {
    let text = String::from_utf8_lossy(&body[..body.len().min(CSP_REPORT_BYTES)]);
    tracing::warn!(report = %text, "csp violation");
    StatusCode::NO_CONTENT
}
