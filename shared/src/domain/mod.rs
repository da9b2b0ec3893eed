//! Domain words of Showroom: ids, accounts, roles and the rules about them.

mod account;
mod date;
mod id;
mod lead;
mod phone;

pub use account::{
    DeviceName, DeviceNameError, Password, PasswordError, Role, Username, UsernameError,
};
pub use date::{Date, DateError};
pub use id::{DealerId, DeviceId, LeadId, UserId};
pub use lead::{
    Customer, Grade, Lead, LeadError, Note, Source, Stage, UnknownValue, limits, validate_note,
};
pub use phone::{Phone, PhoneError};
