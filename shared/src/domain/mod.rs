//! Domain words of Showroom: ids, accounts, roles and the rules about them.

mod account;
pub mod catalogue;
mod date;
pub mod followup;
mod id;
mod lead;
mod money;
mod phone;
pub mod quote;
pub mod quote_math;
pub mod showroom;

pub use account::{
    DeviceName, DeviceNameError, NewPassword, NewPasswordError, Password, PasswordError, Role,
    Username, UsernameError,
};
pub use date::{Date, DateError};
pub use id::{BadDocId, DealerId, DeviceId, DocId, DocKind, LeadId, RegisterId, UserId};
pub use lead::{
    Customer, Grade, Lead, LeadError, Note, Source, Stage, UnknownValue, limits, validate_note,
};
pub use money::{Money, MoneyError};
pub use phone::{Phone, PhoneError};
