//! Authentication: password hashing, session tokens and login throttling.

mod password;
mod throttle;
mod token;

pub use password::{PasswordHashError, hash_password, verify_against_dummy, verify_password};
pub use throttle::{ADDRESS_RULE, Attempt, LoginThrottle, Rule, USERNAME_RULE, address_key};
pub use token::{SessionToken, hash_token};
