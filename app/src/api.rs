//! The HTTP client for the server's API: one async function per call, typed with `showroom_shared::api`.
//!
//! Every failure becomes an [`ApiFailure`] that keeps what a person needs to
//! hear about it: no network, or the status, the server's error body (when it
//! is the JSON [`ApiError`]) and a `Retry-After`.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use showroom_shared::api::{
    ApiError, BEARER_PREFIX, ChangePasswordRequest, DeviceList, ErrorCode, LoginForm,
    LoginResponse, NewUserRequest, PasswordChanged, SessionInfo, SetupRequest, SetupStatus,
    TemporaryPassword, UserList, paths,
};
use showroom_shared::domain::{DeviceId, UserId};

/// How long sign-out waits for the server before wiping the device anyway.
pub const LOGOUT_TIMEOUT_MS: u32 = 3_000;

/// Why an API call did not give what was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiFailure {
    /// The request never got an answer: offline, DNS, server down, aborted.
    Network,
    /// The server answered with a non-success status.
    Status {
        status: u16,
        /// The error body, when the server sent the shared JSON shape.
        error: Option<ApiError>,
        /// Seconds from a `Retry-After` header given in seconds.
        retry_after: Option<u32>,
    },
    /// A success status whose body was not what the contract says.
    BadBody(String),
}

impl ApiFailure {
    /// The stable error code, from the body or else from the status.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ApiFailure::Status { status, error, .. } => Some(
                error
                    .as_ref()
                    .map_or(ErrorCode::from_http_status(*status), |e| e.code),
            ),
            _ => None,
        }
    }

    /// True when the token is no longer accepted: the session on this device
    /// has ended (signed out elsewhere, revoked, user deactivated, expired).
    pub fn is_session_ended(&self) -> bool {
        // A wrong current password (`POST /me/password`) is a 401 too, but the
        // session it was sent with still holds.
        matches!(self, ApiFailure::Status { status: 401, .. })
            && !matches!(
                self.code(),
                Some(
                    ErrorCode::InvalidCredentials
                        | ErrorCode::SessionUnknown
                        | ErrorCode::SessionEnding
                )
            )
    }

    /// True when the session has ended but the device may still deliver
    /// what it wrote (over sync), then clear itself.
    pub fn is_session_ending(&self) -> bool {
        matches!(self, ApiFailure::Status { status: 401, .. })
            && self.code() == Some(ErrorCode::SessionEnding)
    }

    /// The server has no record of the session (it was restored from a
    /// backup older than it): sign in again, keeping what the device holds.
    pub fn is_session_unknown(&self) -> bool {
        matches!(self, ApiFailure::Status { status: 401, .. })
            && self.code() == Some(ErrorCode::SessionUnknown)
    }

    /// True when the server wants this account's new password before
    /// anything else (after a reset, or a first sign-in with a temporary one).
    pub fn is_password_change_required(&self) -> bool {
        matches!(self, ApiFailure::Status { status: 403, .. })
            && self.code() == Some(ErrorCode::PasswordChangeRequired)
    }

    /// The server's human message, or a short technical description.
    pub fn message(&self) -> String {
        match self {
            ApiFailure::Network => "network error".to_owned(),
            ApiFailure::Status { error: Some(e), .. } if !e.message.is_empty() => e.message.clone(),
            ApiFailure::Status { status, .. } => format!("HTTP {status}"),
            ApiFailure::BadBody(why) => why.clone(),
        }
    }
}

/// Parses a `Retry-After` value given in seconds (the HTTP-date form is not
/// used by our server and is ignored).
pub fn parse_retry_after(value: &str) -> Option<u32> {
    value.trim().parse::<u32>().ok()
}

async fn failure_from(response: Response) -> ApiFailure {
    let status = response.status();
    let retry_after = response
        .headers()
        .get("Retry-After")
        .as_deref()
        .and_then(parse_retry_after);
    // A proxy or a crashed server may answer with HTML or nothing: tolerate it.
    let error = match response.text().await {
        Ok(text) => serde_json::from_str::<ApiError>(&text).ok(),
        Err(_) => None,
    };
    ApiFailure::Status {
        status,
        error,
        retry_after,
    }
}

async fn send(request: Result<Request, gloo_net::Error>) -> Result<Response, ApiFailure> {
    let request = request.map_err(|e| ApiFailure::BadBody(e.to_string()))?;
    let response = request.send().await.map_err(|_| ApiFailure::Network)?;
    if response.ok() {
        Ok(response)
    } else {
        Err(failure_from(response).await)
    }
}

async fn json<T: DeserializeOwned>(response: Response) -> Result<T, ApiFailure> {
    response
        .json::<T>()
        .await
        .map_err(|e| ApiFailure::BadBody(e.to_string()))
}

fn authorised(builder: RequestBuilder, token: &str) -> RequestBuilder {
    builder.header("Authorization", &format!("{BEARER_PREFIX}{token}"))
}

/// `POST /api/v1/auth/login`
pub async fn login(form: &LoginForm<'_>) -> Result<LoginResponse, ApiFailure> {
    let response = send(Request::post(paths::LOGIN).json(form)).await?;
    json(response).await
}

/// `GET /api/v1/me`: who the token belongs to, as the server sees it now.
pub async fn me(token: &str) -> Result<SessionInfo, ApiFailure> {
    let response = send(authorised(Request::get(paths::ME), token).build()).await?;
    json(response).await
}

/// `POST /api/v1/auth/logout`, giving up after [`LOGOUT_TIMEOUT_MS`]: the
/// device is wiped whether or not the server heard.
pub async fn logout(token: &str) -> Result<(), ApiFailure> {
    let controller = web_sys::AbortController::new().ok();
    let signal = controller.as_ref().map(web_sys::AbortController::signal);
    let timer = controller
        .map(|c| gloo_timers::callback::Timeout::new(LOGOUT_TIMEOUT_MS, move || c.abort()));
    let request = authorised(Request::post(paths::LOGOUT), token)
        .abort_signal(signal.as_ref())
        .build();
    let result = send(request).await.map(drop);
    drop(timer);
    result
}

/// `GET /api/v1/users`
pub async fn users(token: &str) -> Result<UserList, ApiFailure> {
    let response = send(authorised(Request::get(paths::USERS), token).build()).await?;
    json(response).await
}

/// `GET /api/v1/leads/{id}/removals`: which devices confirmed a lead left them.
pub async fn lead_removals(
    token: &str,
    lead: showroom_shared::domain::LeadId,
) -> Result<showroom_shared::api::RemovalList, ApiFailure> {
    let response =
        send(authorised(Request::get(&paths::lead_removals(lead)), token).build()).await?;
    json(response).await
}

/// `GET /api/v1/users/{id}/devices`
pub async fn user_devices(token: &str, user: UserId) -> Result<DeviceList, ApiFailure> {
    let response =
        send(authorised(Request::get(&paths::user_devices(user)), token).build()).await?;
    json(response).await
}

/// `DELETE /api/v1/users/{id}/devices/{device}`: signs that device out.
/// `lost`: lost or stolen — it gets no last delivery of what it wrote.
pub async fn revoke_device(
    token: &str,
    user: UserId,
    device: DeviceId,
    lost: bool,
) -> Result<(), ApiFailure> {
    let path = paths::user_device(user, device);
    let path = if lost {
        format!("{path}?lost=true")
    } else {
        path
    };
    send(authorised(Request::delete(&path), token).build())
        .await
        .map(drop)
}

/// `POST /api/v1/collisions/{id}`: a manager's decision on two leads with
/// the same number; the server writes it into both, sync brings it back.
pub async fn decide_collision(
    token: &str,
    id: showroom_shared::domain::collision::CollisionId,
    decision: &showroom_shared::api::CollisionDecision,
) -> Result<(), ApiFailure> {
    send(authorised(Request::post(&paths::collision(id)), token).json(decision))
        .await
        .map(drop)
}

/// `POST /api/v1/users/{id}/deactivate`
pub async fn deactivate_user(token: &str, user: UserId) -> Result<(), ApiFailure> {
    send(authorised(Request::post(&paths::user_deactivate(user)), token).build())
        .await
        .map(drop)
}

/// `POST /api/v1/users/{id}/activate`
pub async fn activate_user(token: &str, user: UserId) -> Result<(), ApiFailure> {
    send(authorised(Request::post(&paths::user_activate(user)), token).build())
        .await
        .map(drop)
}

/// `POST /api/v1/users`: a new person, with the temporary password the
/// server chose (shown once).
pub async fn create_user(
    token: &str,
    request: &NewUserRequest,
) -> Result<TemporaryPassword, ApiFailure> {
    let response = send(authorised(Request::post(paths::USERS), token).json(request)).await?;
    json(response).await
}

/// `POST /api/v1/users/{id}/reset-password`: a temporary password for them;
/// their devices are all signed out.
pub async fn reset_password(token: &str, user: UserId) -> Result<TemporaryPassword, ApiFailure> {
    let response =
        send(authorised(Request::post(&paths::user_reset_password(user)), token).build()).await?;
    json(response).await
}

/// `POST /api/v1/me/password`: the signed-in person's own password; their
/// other devices are signed out.
pub async fn change_password(
    token: &str,
    request: &ChangePasswordRequest,
) -> Result<PasswordChanged, ApiFailure> {
    let response = send(authorised(Request::post(paths::ME_PASSWORD), token).json(request)).await?;
    json(response).await
}

/// `GET /api/v1/setup` (no session): whether the server waits for its first dealer.
pub async fn setup_status() -> Result<SetupStatus, ApiFailure> {
    let response = send(Request::get(paths::SETUP).build()).await?;
    json(response).await
}

/// `POST /api/v1/setup` (no session): the first dealer and its admin.
pub async fn set_up(request: &SetupRequest) -> Result<(), ApiFailure> {
    send(Request::post(paths::SETUP).json(request))
        .await
        .map(drop)
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    #[wasm_bindgen_test]
    fn retry_after_is_read_in_seconds() {
        assert_eq!(parse_retry_after("30"), Some(30));
        assert_eq!(parse_retry_after(" 5 "), Some(5));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after(""), None);
    }

    #[wasm_bindgen_test]
    fn only_a_401_ends_the_session() {
        let status = |status| ApiFailure::Status {
            status,
            error: None,
            retry_after: None,
        };
        assert!(status(401).is_session_ended());
        assert!(!status(403).is_session_ended());
        assert!(!status(500).is_session_ended());
        assert!(!ApiFailure::Network.is_session_ended());
        assert_eq!(status(403).code(), Some(ErrorCode::Forbidden));
    }
}
