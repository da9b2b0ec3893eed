//! What the server knows beside a lead's document: `/api/v1/leads/*`, and
//! a manager's decisions on collisions (`/api/v1/collisions/*`).
//!
//! Scoped to the caller's dealer: a lead of another dealer, one that does
//! not exist and an id that does not parse all answer an empty list; a
//! collision of another dealer is answered as one that does not exist.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use showroom_shared::api::{CollisionDecision, RemovalInfo, RemovalList};
use showroom_shared::domain::collision::{CollisionId, Outcome, Resolution};
use showroom_shared::domain::{DocId, LeadId};

use super::error::AppError;
use super::extract::{Auth, Json};
use crate::db;
use crate::state::AppState;
use crate::writer::Job;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/leads/{lead}/removals", get(removals))
        .route("/v1/collisions/{id}", post(decide))
}

/// A manager decides a collision: merge (the survivor absorbs the other
/// lead), keep both, or assign both to one salesperson. Answered once the
/// server has written it into both leads (committed, like a push); every
/// device then receives it. A collision already decided is a conflict.
async fn decide(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    Json(decision): Json<CollisionDecision>,
) -> Result<axum::Json<serde_json::Value>, AppError> {
    if !showroom_shared::rules::may_decide(auth.role) {
        return Err(AppError::forbidden(
            "Only a manager decides what becomes of two leads with the same number.",
        ));
    }
    let collision = match id.parse::<CollisionId>() {
        Ok(id) => db::collisions::get(&state.db, auth.dealer, id).await?,
        Err(_) => None,
    }
    .ok_or_else(|| AppError::not_found("collision"))?;
    // A lead a merge already absorbed (through another collision) is
    // nobody's: nothing more is decided about it.
    let owners = db::access::owners(
        &state.db,
        auth.dealer,
        &[collision.a.into(), collision.b.into()],
    )
    .await?;
    if owners
        .values()
        .any(|a| a.owner == Some(showroom_shared::domain::UserId::SERVER))
    {
        return Err(AppError::new(
            showroom_shared::api::ErrorCode::Conflict,
            "One of these leads was already merged into another.",
        ));
    }
    let (how, survivor, owner) = match decision {
        CollisionDecision::Merged { survivor } => {
            if survivor != collision.a && survivor != collision.b {
                return Err(AppError::bad_request(
                    "The lead that stays must be one of the two.",
                ));
            }
            (Resolution::Merged, Some(survivor), None)
        }
        CollisionDecision::KeptBoth => (Resolution::KeptBoth, None, None),
        CollisionDecision::Assigned { owner } => {
            let user = db::find_user_in_dealer(&state.db, auth.dealer, owner).await?;
            if user.is_none_or(|u| !u.active) {
                return Err(AppError::bad_request(
                    "Choose an active salesperson of this dealer.",
                ));
            }
            (Resolution::Assigned, None, Some(owner))
        }
    };
    let absorbed = survivor.map(|s| {
        if s == collision.a {
            collision.b
        } else {
            collision.a
        }
    });
    let now = state.clock.now();
    if !db::collisions::decide(
        &state.db,
        auth.dealer,
        collision.id,
        how,
        survivor,
        absorbed,
        auth.user,
        now,
    )
    .await?
    {
        return Err(AppError::new(
            showroom_shared::api::ErrorCode::Conflict,
            "This collision was already decided.",
        ));
    }
    // The survivor first: it takes in the other.
    let docs: Vec<DocId> = match (survivor, absorbed) {
        (Some(s), Some(a)) => vec![s.into(), a.into()],
        _ => vec![collision.a.into(), collision.b.into()],
    };
    let outcome = Outcome {
        how,
        survivor,
        owner,
        by: auth.user,
        at: now,
    };
    let pending = state
        .writer
        .job(
            auth.dealer,
            &docs,
            Job::Resolve {
                id: collision.id,
                outcome,
            },
        )
        .map_err(AppError::internal)?;
    let written = pending
        .await
        .map_err(|_| AppError::internal("the writer stopped"))?
        .map_err(AppError::internal)?;
    if let Some(refused) = written.refused.first() {
        return Err(AppError::internal(&refused.message));
    }
    Ok(axum::Json(serde_json::json!({ "ok": true })))
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
