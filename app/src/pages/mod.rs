//! One file per route: each page reads context, fetches through `api` and hands data to components.

pub mod approvals;
pub mod catalogue;
pub mod drive;
pub mod follow_up;
pub mod lead_detail;
pub mod lead_form;
pub mod lead_new;
pub mod leads;
pub mod login;
pub mod not_found;
pub mod password;
pub mod quote;
pub mod settings;
pub mod setup;
pub mod team;
pub mod today;
pub mod visit;
