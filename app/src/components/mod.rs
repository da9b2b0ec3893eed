//! Presentational pieces: they take props and callbacks, and never fetch or touch storage.

pub mod confirm;
pub mod connection_pill;
pub mod focus;
pub mod grade_chip;
pub mod icon;
pub mod language_switcher;
pub mod letterhead;
pub mod main_nav;
pub mod new_password;
pub mod sign_out_button;
pub mod signature_pad;
pub mod splash;
pub mod sync_pill;
pub mod team_member;
pub mod temporary_password;
pub mod time_zone;
pub mod top_bar;
pub mod update_banner;
