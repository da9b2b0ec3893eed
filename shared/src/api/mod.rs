//! The HTTP API contract between the app and the server: paths, requests,
//! responses and the one error shape every failure uses.

mod error;

pub use error::{ApiError, ErrorCode};

use serde::{Deserialize, Serialize};

use crate::domain::{DealerId, DeviceId, DeviceName, Password, Role, UserId, Username};

/// API paths, so the app and the server cannot disagree on a URL.
pub mod paths {
    pub const HEALTHZ: &str = "/healthz";
    pub const LOGIN: &str = "/api/v1/auth/login";
    pub const LOGOUT: &str = "/api/v1/auth/logout";
    pub const ME: &str = "/api/v1/me";
    pub const USERS: &str = "/api/v1/users";
    /// `GET`: whether the server waits for its first dealer; `POST`: create it.
    pub const SETUP: &str = "/api/v1/setup";
    /// `POST`: change one's own password.
    pub const ME_PASSWORD: &str = "/api/v1/me/password";
    /// Where browsers report Content-Security-Policy violations.
    pub const CSP_REPORT: &str = "/api/v1/csp-report";
    /// The local certificate authority's certificate (`showroom-server tls
    /// init`), for tablets to trust; served over plain HTTP too.
    pub const CA_CERT: &str = "/showroom-ca.crt";

    /// `/api/v1/users/{id}`
    pub fn user(id: impl std::fmt::Display) -> String {
        format!("{USERS}/{id}")
    }
    /// `/api/v1/users/{id}/devices`
    pub fn user_devices(id: impl std::fmt::Display) -> String {
        format!("{USERS}/{id}/devices")
    }
    /// `/api/v1/users/{id}/devices/{device}`
    pub fn user_device(id: impl std::fmt::Display, device: impl std::fmt::Display) -> String {
        format!("{USERS}/{id}/devices/{device}")
    }
    /// `/api/v1/users/{id}/deactivate`
    pub fn user_deactivate(id: impl std::fmt::Display) -> String {
        format!("{USERS}/{id}/deactivate")
    }
    /// `/api/v1/users/{id}/activate`
    pub fn user_activate(id: impl std::fmt::Display) -> String {
        format!("{USERS}/{id}/activate")
    }
    /// `/api/v1/users/{id}/reset-password`
    pub fn user_reset_password(id: impl std::fmt::Display) -> String {
        format!("{USERS}/{id}/reset-password")
    }
    /// `/api/v1/leads/{id}/removals`: the devices that had to remove a lead.
    pub fn lead_removals(id: impl std::fmt::Display) -> String {
        format!("/api/v1/leads/{id}/removals")
    }
    /// `/api/v1/collisions/{id}`: a manager's decision on a collision.
    pub fn collision(id: impl std::fmt::Display) -> String {
        format!("/api/v1/collisions/{id}")
    }
}

/// `POST /api/v1/collisions/{id}` (managers): what becomes of two leads with
/// the same mobile number. The server writes it into both leads (and, for a
/// merge, everything of the absorbed lead into the survivor), and every
/// device receives it through sync.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "how", rename_all = "snake_case")]
pub enum CollisionDecision {
    /// `survivor` absorbs the other lead: its visits, test drives, quotes,
    /// tasks, notes and consents, each in its author's name.
    Merged { survivor: crate::domain::LeadId },
    /// Two people sharing a phone: both stay, the pair is silent.
    KeptBoth,
    /// Both leads go to `owner`.
    Assigned { owner: UserId },
}

/// `GET /api/v1/leads/{id}/removals` (managers): each device that had to
/// remove the lead when it moved to another owner, and whether it has
/// confirmed (its receipt: the lead is gone from its storage).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovalList {
    pub devices: Vec<RemovalInfo>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovalInfo {
    pub device: DeviceId,
    pub device_name: String,
    pub user: UserId,
    pub user_name: String,
    /// When the device confirmed; `None` while it has not.
    pub removed_at: Option<i64>,
    /// When the device last reached the server.
    pub last_seen_at: i64,
}

/// The header carrying the session token: `Authorization: Bearer <token>`.
pub const BEARER_PREFIX: &str = "Bearer ";

/// `POST /api/v1/auth/login`
#[derive(Clone, Debug, Deserialize)]
pub struct LoginRequest {
    pub username: Username,
    pub password: Password,
    pub device_name: DeviceName,
}

/// The body the app sends for a login. Separate from [`LoginRequest`] so the
/// app can send what the user typed and let the server's parsing decide.
#[derive(Clone, Debug, Serialize)]
pub struct LoginForm<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub device_name: &'a str,
}

/// Answer to a successful login: the opaque token, shown once, and who it is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    pub token: String,
    pub session: SessionInfo,
}

/// Who is signed in, at which dealer, on which device. `GET /api/v1/me`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user: UserSummary,
    pub dealer: DealerSummary,
    pub device: DeviceInfo,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: UserId,
    pub username: Username,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    /// Set by a password reset (and for accounts created with a temporary
    /// password): the user must choose a new password before anything else.
    #[serde(default)]
    pub must_change_password: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealerSummary {
    pub id: DealerId,
    pub name: String,
}

/// One signed-in device (a session). Times are Unix milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub id: DeviceId,
    pub name: DeviceName,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// When the session was revoked (logout, a manager, deactivation); `None` while live.
    pub revoked_at: Option<i64>,
}

/// `GET /api/v1/users`: the people of the caller's dealer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserList {
    pub users: Vec<UserSummary>,
}

/// `GET /api/v1/users/{id}/devices`: newest first, live and revoked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceList {
    pub devices: Vec<DeviceInfo>,
}

/// `GET /healthz`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub version: String,
}

/// `GET /api/v1/setup`: whether this server still waits for its first dealer
/// (a fresh install without demo data). Answered without a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupStatus {
    pub needed: bool,
}

/// `POST /api/v1/setup`: the first dealer and its first admin. `token` is the
/// one-time code of the set-up link the server printed at start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupRequest {
    pub token: String,
    pub dealer_name: String,
    /// IANA time zone (`Asia/Shanghai`).
    pub time_zone: String,
    /// ISO 4217 (`CNY`).
    pub currency: String,
    pub admin_display_name: String,
    pub admin_username: String,
    pub admin_password: String,
}

/// `POST /api/v1/users`: a new person of the caller's dealer. The server
/// chooses a temporary password, shown once; the person sets their own at
/// the first sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUserRequest {
    pub username: String,
    pub display_name: String,
    pub role: Role,
}

/// A temporary password, shown once to the manager who asked for it: the
/// answer to creating a user and to a password reset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemporaryPassword {
    pub user: UserSummary,
    pub temporary_password: String,
}

/// `POST /api/v1/me/password`. The current password is required; the
/// signed-in user's other devices are signed out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// The answer to a password change: how many other devices were signed out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChanged {
    pub other_devices_signed_out: u32,
}
