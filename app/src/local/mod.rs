//! What lives on this device: the stored session, preferences, network status and the service worker.

pub mod auth;
pub mod device;
pub mod network;
pub mod preferences;
pub mod pwa;
pub mod session;
