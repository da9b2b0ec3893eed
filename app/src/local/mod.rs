//! What lives on this device: the stored session, the document store (`store`) with the leads (`leads`) and the outbox, preferences, network status, sync and the service worker.

pub mod auth;
pub mod clock;
pub mod db;
pub mod dealer;
pub mod device;
pub use showroom_shared::domain::floor;
pub mod floor_index;
pub mod intl;
pub mod judge;
pub mod lead_index;
pub mod leads;
pub mod network;
pub mod people;
pub mod preferences;
pub mod pwa;
pub mod register;
pub mod session;
pub mod store;
pub mod summary;
pub mod sync;
