//! The one way a token is ended: bounded by a timeout, audited with why. Every caller uses it —
//! the teardown at sign-out, a manager's screens closing, a grant no one waits for any more.

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde_json::json;

use super::{AuthBackend, AuthError};
use crate::audit::AuditLog;
use crate::secret::AccessToken;

/// What became of a revoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeOutcome {
    Revoked,
    Failed(AuthError),
    /// The backend didn't answer within the timeout.
    NoAnswer(Duration),
}

impl fmt::Display for RevokeOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RevokeOutcome::Revoked => write!(f, "revoked"),
            RevokeOutcome::Failed(err) => write!(f, "failed: {err}"),
            RevokeOutcome::NoAnswer(timeout) => write!(f, "failed: no answer within {} ms", timeout.as_millis()),
        }
    }
}

/// Revokes `token` within `timeout`, and records `event` with `why` and the outcome.
pub async fn revoke<B: AuthBackend>(
    backend: &B,
    token: &AccessToken,
    timeout: Duration,
    audit: &AuditLog,
    event: &'static str,
    why: impl Serialize,
) -> RevokeOutcome {
    let outcome = match tokio::time::timeout(timeout, backend.sign_out(token)).await {
        Ok(Ok(())) => RevokeOutcome::Revoked,
        Ok(Err(err)) => RevokeOutcome::Failed(err),
        Err(_) => RevokeOutcome::NoAnswer(timeout),
    };
    audit.record(event, json!({ "why": why, "outcome": outcome.to_string() }));
    outcome
}
