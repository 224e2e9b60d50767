//! shiftkey: a phone-number sign-in kiosk for shared frontline terminals, and its reference
//! auth backend. ARCHITECTURE.md in the repository is the map.

pub mod api_types;
pub mod audit;
pub mod auth;
pub mod config;
pub mod control;
pub mod demo;
pub mod kiosk;
pub mod locale;
pub mod phone;
pub mod preflight;
pub mod secret;
pub mod server;
pub mod session;
