//! The one way a token is ended: bounded by a timeout, audited with why. Every caller uses it —
//! the teardown at sign-out, a manager's screens closing, a grant no one waits for any more.

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde_json::json;

use super::{AuthBackend, AuthError, SignedOut, Tokens};
use crate::audit::AuditLog;

/// What became of a revoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeOutcome {
    Revoked,
    /// The provider has no sign-out; its tokens end when they expire.
    NotOffered,
    Failed(AuthError),
    /// The backend didn't answer within the timeout.
    NoAnswer(Duration),
}

impl fmt::Display for RevokeOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RevokeOutcome::Revoked => write!(f, "revoked"),
            RevokeOutcome::NotOffered => write!(f, "no provider sign-out"),
            RevokeOutcome::Failed(err) => write!(f, "failed: {err}"),
            RevokeOutcome::NoAnswer(timeout) => write!(f, "failed: no answer within {} ms", timeout.as_millis()),
        }
    }
}

/// Revokes `tokens` within `timeout`, and records `event` with `why` and the outcome.
pub async fn revoke<B: AuthBackend>(
    backend: &B,
    tokens: &Tokens,
    timeout: Duration,
    audit: &AuditLog,
    event: &'static str,
    why: impl Serialize,
) -> RevokeOutcome {
    let outcome = match tokio::time::timeout(timeout, backend.sign_out(tokens)).await {
        Ok(Ok(SignedOut::Revoked)) => RevokeOutcome::Revoked,
        Ok(Ok(SignedOut::NotOffered)) => RevokeOutcome::NotOffered,
        Ok(Err(err)) => RevokeOutcome::Failed(err),
        Err(_) => RevokeOutcome::NoAnswer(timeout),
    };
    audit.record(event, json!({ "why": why, "outcome": outcome.to_string() }));
    outcome
}
