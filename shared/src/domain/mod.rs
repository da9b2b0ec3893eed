//! Domain words of Showroom: ids, accounts, roles and the rules about them.

mod account;
mod id;

pub use account::{
    DeviceName, DeviceNameError, Password, PasswordError, Role, Username, UsernameError,
};
pub use id::{DealerId, DeviceId, UserId};
