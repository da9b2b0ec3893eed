//! Domain words of Showroom: ids, accounts, roles and the rules about them.

mod account;
pub mod catalogue;
pub mod collision;
mod consent;
mod date;
pub mod floor;
pub mod followup;
mod funnel;
mod id;
mod lead;
mod money;
mod phone;
pub mod quote;
pub mod quote_math;
mod quote_rules;
pub mod record;
pub mod rotation;
pub mod showroom;
pub mod summary;
mod text_enum;
pub mod time_zone;

pub use account::{
    DeviceName, DeviceNameError, NewPassword, NewPasswordError, Password, PasswordError, Role,
    Username, UsernameError,
};
pub use date::{Date, DateError};
pub use funnel::{Grade, Source, Stage};
pub use id::{BadDocId, DealerId, DeviceId, DocId, DocKind, LeadId, RegisterId, UserId};
pub use lead::{Customer, Lead, LeadError, Note, limits, validate_note};
pub use money::{Money, MoneyError};
pub use phone::{Phone, PhoneError};
pub use text_enum::UnknownValue;
