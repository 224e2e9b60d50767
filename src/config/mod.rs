//! Kiosk and server configuration: TOML files, defaults, and validation with clear errors.
//!
//! Each config struct's defaults are its `impl Default` and nowhere else: the structs are
//! `#[serde(default)]`, so a missing key takes its value from there. Durations are human strings
//! ("5m", "60s") parsed once here; unknown keys are errors. Nothing in here performs I/O beyond
//! reading the files it is given.

mod branding;
mod database;
mod kind;
mod kiosk;
mod server;
mod sms_template;

pub use branding::*;
pub use database::{Database, InvalidDatabase};
pub use kind::ConfigKind;
pub use kiosk::*;
pub use server::*;
pub use sms_template::*;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// A config that could not be used, with the file and the reason.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("can't read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file {path} is not valid: {reason}")]
    Invalid { path: PathBuf, reason: InvalidConfig },
    #[error("no kiosk config found (looked at {looked_at}); pass --config PATH, or try --demo")]
    NotFound { looked_at: String },
}

/// What is wrong inside a config file; each message names the key.
#[derive(Debug, thiserror::Error)]
pub enum InvalidConfig {
    /// Not TOML, an unknown key, or a value of the wrong type.
    #[error("{}", one_line(.0))]
    Syntax(toml::de::Error),
    #[error(transparent)]
    Kiosk(#[from] InvalidKioskConfig),
    #[error(transparent)]
    Server(#[from] InvalidServerConfig),
}

/// toml's messages span several lines (with the offending line quoted); ours are one.
fn one_line(err: &toml::de::Error) -> String {
    err.to_string().trim().replace('\n', " ").replace("  ", " ")
}

/// A duration written as a human string such as "5m", "60s" or "12h".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    pub const fn from_secs(secs: u64) -> Self {
        HumanDuration(Duration::from_secs(secs))
    }
}

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
    /// What [`ConfigFile::validate`] can find wrong.
    type Invalid: Into<InvalidConfig>;

    /// Cross-field checks serde can't express.
    fn validate(&self) -> Result<(), Self::Invalid>;

    /// Reads the files the config names that are part of it (the kiosk's logo), relative to
    /// `dir`, the config file's folder; checked as they are read.
    fn read_files(&mut self, _dir: &Path) -> Result<(), Self::Invalid> {
        Ok(())
    }

    /// Parses and validates; `path` is only used in messages.
    fn from_toml(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let invalid = |reason| ConfigError::Invalid { path: path.into(), reason };
        let mut config: Self = toml::from_str(text).map_err(|err| invalid(InvalidConfig::Syntax(err)))?;
        config.validate().map_err(|err| invalid(err.into()))?;
        let dir = path.parent().unwrap_or(Path::new(""));
        config.read_files(dir).map_err(|err| invalid(err.into()))?;
        Ok(config)
    }

    fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
        Self::from_toml(&text, path)
    }
}
