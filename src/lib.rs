//! shiftkey: a phone-number sign-in kiosk for shared frontline terminals, and its reference
//! auth backend. ARCHITECTURE.md in the repository is the map.

pub mod api_types;
pub mod audit;
pub mod auth;
pub mod config;
pub mod control;
pub mod demo;
pub mod kiosk;
pub mod phone;
pub mod preflight;
pub mod secret;
pub mod server;
pub mod session;

/// How many cases a property test tries: `default` in a plain `cargo test`, `PROPTEST_CASES`
/// for a longer run.
#[cfg(test)]
pub(crate) fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(default)
}
