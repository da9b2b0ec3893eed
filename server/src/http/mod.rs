//! The HTTP surface: one `router()` per resource, the middleware every
//! request passes, and the built PWA as the fallback.

mod accounts;
mod assets;
mod error;
mod extract;
mod leads;
mod security;
mod setup;
mod sync;
mod users;

pub use error::AppError;
pub use extract::{Auth, Json, authenticate};
pub use security::{CONTENT_SECURITY_POLICY, ClientIp};
pub use sync::SYNC_PATH;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use showroom_shared::api::{ErrorCode, Health, paths};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::state::AppState;

/// API request bodies are small JSON documents; anything bigger is a mistake or an attack.
pub const API_BODY_LIMIT: usize = 64 * 1024;

/// The whole application: API, health check and the PWA.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .merge(accounts::router())
        .merge(users::router())
        .merge(leads::router())
        .merge(setup::router())
        .route(
            accounts::strip_api(paths::CSP_REPORT),
            axum::routing::post(security::csp_report),
        )
        .fallback(api_not_found)
        .layer(DefaultBodyLimit::max(API_BODY_LIMIT))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            request_timeout,
        ));

    Router::new()
        .route(paths::HEALTHZ, get(healthz))
        .route(paths::CA_CERT, get(security::ca_cert))
        .nest("/api", api)
        .merge(sync::router())
        .fallback_service(assets::service(&state.static_dir))
        .layer(middleware::from_fn(assets::cache_headers))
        .layer(middleware::from_fn(json_errors))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a request handler panicked");
            AppError::new(ErrorCode::Internal, "Something went wrong on the server.")
                .into_response()
        }))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> Result<axum::Json<Health>, AppError> {
    state.db.ping().await.map_err(|err| {
        tracing::error!(%err, "health check: database unreachable");
        AppError::new(
            ErrorCode::ServiceUnavailable,
            "The database does not answer.",
        )
    })?;
    Ok(axum::Json(Health {
        status: "ok".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    }))
}

async fn api_not_found() -> AppError {
    AppError::new(ErrorCode::NotFound, "No such API endpoint.")
}

/// Answers with a timeout error when a request takes longer than the limit.
async fn request_timeout(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(state.request_timeout, next.run(req)).await {
        Ok(response) => response,
        Err(_) => AppError::new(
            ErrorCode::Timeout,
            "The server took too long to answer. Try again.",
        )
        .into_response(),
    }
}

/// Every error leaves as the JSON error body, including those raised below
/// the handlers (unknown method, body too large, a missing asset).
async fn json_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let code = ErrorCode::from_http_status(status.as_u16());
    let message = match status {
        StatusCode::NOT_FOUND => "Nothing here.",
        StatusCode::METHOD_NOT_ALLOWED => "This method is not allowed here.",
        StatusCode::PAYLOAD_TOO_LARGE => "The request body is too large.",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            "Send the body as JSON (Content-Type: application/json)."
        }
        s if s.is_server_error() => "Something went wrong on the server.",
        _ => "The request could not be handled.",
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CACHE_CONTROL);
    let mut fresh = AppError::new(code, message).into_response();
    // Keep headers such as Allow and Retry-After; take the new body's type.
    for (name, value) in fresh.headers_mut().drain() {
        if let Some(name) = name {
            parts.headers.insert(name, value);
        }
    }
    Response::from_parts(parts, fresh.into_body()).map(Body::new)
}
