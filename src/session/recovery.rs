//! Crash safety: a kiosk that starts and finds the state file of a session it didn't end runs
//! the same teardown for it before anything else.

use super::SignOutReason;
use super::dir::TOKEN_FILE_NAME;
use super::teardown::{TeardownContext, TeardownOutcome, teardown};
use crate::auth::{AuthBackend, Tokens};
use crate::secret::AccessToken;

/// Erases the leftovers of the last session, if a state file says there are any.
pub async fn recover<B: AuthBackend>(
    backend: &B,
    reason: SignOutReason,
    context: &TeardownContext,
) -> Option<TeardownOutcome> {
    let record = context.state_file.load()?;
    // The access token is still in the session dir if the kiosk died mid-session: revoke it
    // too. A refresh token was in the dead kiosk's memory only, and is gone with it.
    let token = std::fs::read_to_string(record.dir.join(TOKEN_FILE_NAME)).ok().map(AccessToken::new);
    Some(teardown(&record, None, token.map(Tokens::access_only), backend, reason, context).await)
}
