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
pub mod pin;
pub mod preflight;
pub mod secret;
pub mod server;
pub mod session;

/// A property test's run: `default_cases` cases from a fixed seed in a plain `cargo test` (the
/// suite must not flake), or `PROPTEST_CASES` cases from a random seed for a longer search.
#[cfg(test)]
pub(crate) fn proptest_config(default_cases: u32) -> proptest::test_runner::Config {
    use proptest::test_runner::{Config, RngSeed};
    match std::env::var("PROPTEST_CASES").ok().and_then(|cases| cases.parse().ok()) {
        Some(cases) => Config { cases, ..Config::default() },
        None => Config { cases: default_cases, rng_seed: RngSeed::Fixed(0x5eed), ..Config::default() },
    }
}
