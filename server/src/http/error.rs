//! The one error type handlers return. It renders as the shared `ApiError`
//! JSON body and never leaks internals: database and other unexpected errors
//! are logged with an id and answered with a generic message.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use showroom_shared::api::{ApiError, ErrorCode};

#[derive(Debug)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    /// Seconds, for `Retry-After` on 429.
    pub retry_after: Option<u64>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// The answer for both "does not exist" and "belongs to another dealer".
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("No such {what}."))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    /// An unexpected failure: logged in full, answered in general.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        let id = error_id();
        tracing::error!(error_id = %id, "internal error: {err}");
        Self::new(
            ErrorCode::Internal,
            format!("Something went wrong on the server (error id {id})."),
        )
    }
}

/// An account error as the API answers it.
impl From<crate::admin::AdminError> for AppError {
    fn from(err: crate::admin::AdminError) -> Self {
        use crate::admin::AdminError;
        match err {
            AdminError::Invalid(message) => AppError::bad_request(message),
            AdminError::UsernameTaken(name) => AppError::new(
                ErrorCode::Conflict,
                format!("The username {name:?} is taken. Choose another."),
            ),
            AdminError::AlreadySetUp => AppError::new(
                ErrorCode::Conflict,
                "This server is already set up. Sign in instead.",
            ),
            AdminError::NoDealer(_) | AdminError::NoUser(_) => AppError::not_found("user"),
            other => AppError::internal(other),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::PoolTimedOut => {
                tracing::warn!("database pool timed out");
                AppError::new(
                    ErrorCode::ServiceUnavailable,
                    "The server is busy. Try again in a moment.",
                )
            }
            other => AppError::internal(other),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(ApiError::new(self.code, self.message))).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// A short id to find an internal error in the logs.
fn error_id() -> String {
    let mut bytes = [0u8; 6];
    if getrandom::fill(&mut bytes).is_err() {
        return "unknown".to_owned();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
