//! The adapter for auth0: not written yet. A kiosk configured for it refuses to start, saying so.

use super::{AuthBackend, AuthError, BuildError, Challenge, Grant, Problem, SignedOut, Tokens};
use crate::config::{BackendConfig, BackendKind};
use crate::phone::PhoneNumber;
use crate::secret::OtpCode;

#[derive(Clone)]
pub struct Auth0Backend {
    _never: std::convert::Infallible,
}

impl Auth0Backend {
    pub fn new(_config: &BackendConfig) -> Result<Self, BuildError> {
        Err(BuildError::NotAvailable(BackendKind::Auth0))
    }
}

impl AuthBackend for Auth0Backend {
    async fn start(&self, _: &PhoneNumber) -> Result<Challenge, AuthError> {
        match self._never {}
    }

    async fn resend(&self, _: &str) -> Result<Challenge, AuthError> {
        match self._never {}
    }

    async fn verify(&self, _: &str, _: &OtpCode) -> Result<Grant, AuthError> {
        match self._never {}
    }

    async fn sign_out(&self, _: &Tokens) -> Result<SignedOut, AuthError> {
        match self._never {}
    }

    async fn healthy(&self) -> bool {
        match self._never {}
    }

    async fn check(&self) -> Vec<Problem> {
        match self._never {}
    }
}
