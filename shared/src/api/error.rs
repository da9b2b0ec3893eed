//! The error body every failed API call returns: a stable code for programs
//! and a human message for people.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Stable error codes. Clients branch on these, never on the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request was malformed or a field was invalid.
    BadRequest,
    /// Username or password wrong (deliberately not saying which).
    InvalidCredentials,
    /// No token, or a token that is revoked or expired.
    Unauthorized,
    /// A token this server has no record of: it was never issued here, or
    /// the server was restored from a backup older than the session. The
    /// device signs in again and keeps what it holds (a revoked session is
    /// `Unauthorized`, and that device is wiped).
    SessionUnknown,
    /// The session has ended (a manager, a password reset, expiry) but its
    /// device may still deliver what it wrote before (over sync, once):
    /// the device does that, then clears itself, instead of clearing at once.
    SessionEnding,
    /// Authenticated, but the role does not allow this.
    Forbidden,
    /// The account must choose a new password (after a reset) before
    /// anything else.
    PasswordChangeRequired,
    /// Nothing here, or something the caller may not know exists.
    NotFound,
    /// The request clashes with what exists (a username already taken, a
    /// set-up already done).
    Conflict,
    MethodNotAllowed,
    PayloadTooLarge,
    UnsupportedMediaType,
    /// Too many failed logins; wait and retry.
    TooManyRequests,
    Timeout,
    Internal,
    ServiceUnavailable,
}

impl ErrorCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::SessionUnknown => "session_unknown",
            ErrorCode::SessionEnding => "session_ending",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::PasswordChangeRequired => "password_change_required",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::TooManyRequests => "too_many_requests",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Internal => "internal",
            ErrorCode::ServiceUnavailable => "service_unavailable",
        }
    }

    /// The HTTP status that goes with the code.
    pub const fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::InvalidCredentials
            | ErrorCode::Unauthorized
            | ErrorCode::SessionUnknown
            | ErrorCode::SessionEnding => 401,
            ErrorCode::Forbidden | ErrorCode::PasswordChangeRequired => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::Timeout => 408,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::TooManyRequests => 429,
            ErrorCode::Internal => 500,
            ErrorCode::ServiceUnavailable => 503,
        }
    }

    /// The code for a bare HTTP status, for errors raised below the handlers.
    pub const fn from_http_status(status: u16) -> ErrorCode {
        match status {
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            409 => ErrorCode::Conflict,
            405 => ErrorCode::MethodNotAllowed,
            408 => ErrorCode::Timeout,
            413 => ErrorCode::PayloadTooLarge,
            415 => ErrorCode::UnsupportedMediaType,
            429 => ErrorCode::TooManyRequests,
            503 => ErrorCode::ServiceUnavailable,
            400..=499 => ErrorCode::BadRequest,
            _ => ErrorCode::Internal,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The JSON body of every error response: `{"code": "...", "message": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [ErrorCode; 16] = [
        ErrorCode::SessionUnknown,
        ErrorCode::SessionEnding,
        ErrorCode::PasswordChangeRequired,
        ErrorCode::Conflict,
        ErrorCode::BadRequest,
        ErrorCode::InvalidCredentials,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::TooManyRequests,
        ErrorCode::Timeout,
        ErrorCode::Internal,
        ErrorCode::ServiceUnavailable,
    ];

    #[test]
    fn codes_serialise_as_their_stable_text() {
        for code in ALL {
            let json = serde_json::to_string(&code).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: Option<ErrorCode> = serde_json::from_str(&json).ok();
            assert_eq!(back, Some(code));
        }
    }

    #[test]
    fn statuses_map_back_to_their_code() {
        for code in ALL {
            if matches!(
                code,
                ErrorCode::InvalidCredentials
                    | ErrorCode::PasswordChangeRequired
                    | ErrorCode::SessionUnknown
                    | ErrorCode::SessionEnding
            ) {
                // 401 and 403 are shared; the body tells them apart.
                continue;
            }
            assert_eq!(ErrorCode::from_http_status(code.http_status()), code);
        }
        assert_eq!(ErrorCode::from_http_status(422), ErrorCode::BadRequest);
        assert_eq!(ErrorCode::from_http_status(502), ErrorCode::Internal);
    }

    #[test]
    fn error_body_shape_is_code_and_message() {
        let body = ApiError::new(ErrorCode::NotFound, "no such user");
        let json = serde_json::to_value(&body).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({"code": "not_found", "message": "no such user"})
        );
    }
}
