//! The kiosk's view of an identity backend: one trait, one module per provider.
//!
//! The kiosk only ever talks to [`AuthBackend`]; it never knows which provider is behind it.

pub mod revoke;
pub mod shiftkey;

use std::time::Duration;

use crate::config::{BackendConfig, BackendKind};
use crate::phone::PhoneNumber;
use crate::secret::{AccessToken, OtpCode};

/// A code was sent (or, for unknown numbers, seemed to be).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub id: String,
    pub code_length: usize,
    pub expires_in: Duration,
    pub resend_after: Duration,
}

/// The person a code belonged to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedInUser {
    pub id: String,
    pub display_name: String,
    pub roles: Vec<String>,
}

/// A successful sign-in.
#[derive(Debug, Clone)]
pub struct Grant {
    pub token: AccessToken,
    pub expires_in: Duration,
    pub user: SignedInUser,
}

/// What a backend can answer, in terms the kiosk can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the sign-in service refused the number: {0}")]
    InvalidPhone(String),
    #[error("wrong code, {attempts_left} tries left")]
    InvalidCode { attempts_left: u32 },
    #[error("the code has expired")]
    Expired,
    #[error("too many wrong codes")]
    TooManyAttempts,
    #[error("too many requests; retry in {} s", retry_after.as_secs())]
    RateLimited { retry_after: Duration },
    #[error("can't reach the sign-in service")]
    Unreachable,
    #[error("the sign-in service answered unexpectedly: {0}")]
    Protocol(String),
}

/// An identity backend that signs people in by SMS code.
pub trait AuthBackend: Send + Sync + 'static {
    fn start(&self, phone: &PhoneNumber) -> impl Future<Output = Result<Challenge, AuthError>> + Send;
    fn resend(&self, challenge_id: &str) -> impl Future<Output = Result<Challenge, AuthError>> + Send;
    fn verify(&self, challenge_id: &str, code: &OtpCode) -> impl Future<Output = Result<Grant, AuthError>> + Send;
    fn sign_out(&self, token: &AccessToken) -> impl Future<Output = Result<(), AuthError>> + Send;
    /// Whether the backend answers at all (for `shiftkey status`).
    fn healthy(&self) -> impl Future<Output = bool> + Send;
}

/// Why the backend named in config can't be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A provider config can name, whose adapter isn't in this version.
    #[error("backend.kind = \"{0}\" is not available in this version yet; use kind = \"shiftkey\"")]
    NotAvailable(BackendKind),
    #[error(transparent)]
    Shiftkey(#[from] shiftkey::InvalidUrl),
}

/// Builds the backend named in config: the one way a kiosk start and `check-config` get one.
pub fn from_config(config: &BackendConfig) -> Result<shiftkey::ShiftkeyBackend, BuildError> {
    match config.kind {
        BackendKind::Shiftkey => Ok(shiftkey::ShiftkeyBackend::new(&config.url)?),
        other => Err(BuildError::NotAvailable(other)),
    }
}
