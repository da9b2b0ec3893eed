//! Authentication: password hashing, session tokens and login throttling.

mod password;
mod throttle;
mod token;

pub use password::{PasswordHashError, hash_password, verify_against_dummy, verify_password};
pub use throttle::LoginThrottle;
pub use token::{SessionToken, hash_token};
