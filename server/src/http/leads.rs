//! What the server knows beside a lead's document: `/api/v1/leads/*`.
//!
//! Scoped to the caller's dealer: a lead of another dealer, one that does
//! not exist and an id that does not parse all answer an empty list.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use showroom_shared::api::{RemovalInfo, RemovalList};
use showroom_shared::domain::{DocId, LeadId};

use super::error::AppError;
use super::extract::Auth;
use crate::db;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/leads/{lead}/removals", get(removals))
}

/// The removal receipts of a lead: which devices of its former owners
/// have confirmed it is gone from their storage, and which not yet (when
/// each was last seen). A manager's question, after a reassignment.
async fn removals(
    State(state): State<AppState>,
    auth: Auth,
    Path(lead): Path<String>,
) -> Result<axum::Json<RemovalList>, AppError> {
    if !showroom_shared::rules::may_decide(auth.role) {
        return Err(AppError::forbidden(
            "Only a manager can see which devices removed a lead.",
        ));
    }
    let Ok(lead) = lead.parse::<LeadId>() else {
        return Ok(axum::Json(RemovalList {
            devices: Vec::new(),
        }));
    };
    let rows = db::access::removals_of(&state.db, auth.dealer, DocId::lead(lead)).await?;
    let devices = rows
        .into_iter()
        .filter_map(
            |(device, device_name, user, user_name, removed_at, last_seen_at)| {
                Some(RemovalInfo {
                    device: device.parse().ok()?,
                    device_name,
                    user: user.parse().ok()?,
                    user_name,
                    removed_at,
                    last_seen_at,
                })
            },
        )
        .collect();
    Ok(axum::Json(RemovalList { devices }))
}
