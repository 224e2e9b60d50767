//! Kiosk and server configuration: TOML files, defaults, and validation with clear errors.
//!
//! Durations are human strings ("5m", "60s") parsed once here; unknown keys are errors.
//! Nothing in here performs I/O beyond reading the files it is given.

mod kiosk;
mod server;

pub use kiosk::*;
pub use server::*;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// A config that could not be used, with the file and the reason.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("can't read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file {path} is not valid: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("no kiosk config found (looked at {looked_at}); pass --config PATH, or try --demo")]
    NotFound { looked_at: String },
}

/// A duration written as a human string such as "5m", "60s" or "12h".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        humantime::parse_duration(text.trim()).map(HumanDuration).map_err(|err| {
            serde::de::Error::custom(format!("bad duration {text:?} ({err}); write it like \"90s\", \"5m\" or \"12h\""))
        })
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

/// A TOML config file: parsed, then checked as a whole.
pub trait ConfigFile: serde::de::DeserializeOwned {
    /// Cross-field checks serde can't express; the message names the key.
    fn validate(&self) -> Result<(), String>;

    /// Parses and validates; `path` is only used in messages.
    fn from_toml(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let config: Self = parse_toml(text, path)?;
        config.validate().map_err(|message| ConfigError::Invalid { path: path.into(), message })?;
        Ok(config)
    }

    fn load(path: &Path) -> Result<Self, ConfigError> {
        Self::from_toml(&read(path)?, path)
    }

    /// The configuration used when no file is given.
    fn defaults() -> Self {
        Self::from_toml("", Path::new("<defaults>")).expect("the built-in defaults are valid")
    }
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })
}

fn parse_toml<T: serde::de::DeserializeOwned>(text: &str, path: &Path) -> Result<T, ConfigError> {
    toml::from_str(text).map_err(|err| ConfigError::Invalid {
        path: path.into(),
        message: err.to_string().trim().replace('\n', " ").replace("  ", " "),
    })
}
