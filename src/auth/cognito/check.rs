//! What `check-config` asks Cognito: the pool's discovery document and keys, and whether the app
//! client exists and takes the flow and secret configured — all without texting anyone.

use super::faults::flow_not_allowed;
use super::{GROUPS_CLAIM, Inner, PROBE_USERNAME};
use crate::auth::{Problem, http};

/// Each problem found, and the note that managers are a group's members.
pub(super) async fn problems(inner: &Inner) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Some(problem) = check_discovery(inner).await {
        // Nothing else answers either.
        return vec![problem];
    }
    match inner.verifier.fetch_keys().await {
        Ok(0) => problems.push(Problem::error(
            format!("the user pool's signing keys at {} are an empty set", inner.verifier.jwks_url()),
            "check backend.user_pool_id; Cognito always publishes its pool's keys there",
        )),
        Ok(_) => {}
        Err(err) => problems.push(Problem::error(
            err.to_string(),
            "check backend.url and backend.user_pool_id: ID tokens can't be checked without these keys",
        )),
    }
    if let Some(problem) = check_client(inner).await {
        problems.push(problem);
    }
    problems.push(Problem::note(
        format!(
            "store managers are the members of the user pool's groups named in manager.roles (from the ID token's \
             {GROUPS_CLAIM}); check-config can't list the pool's groups without AWS credentials"
        ),
        "create the group (e.g. kiosk-manager) in the user pool and add the store managers to it; without it \
         no one is a manager",
    ));
    problems
}

/// The pool's discovery document is there and names the issuer the ID tokens must carry.
async fn check_discovery(inner: &Inner) -> Option<Problem> {
    let url = inner.discovery_url();
    let issuer = format!("{}/{}", inner.base, inner.user_pool_id);
    let response = match inner.client.get(&url).send().await {
        Ok(response) => response,
        Err(err) => {
            return Some(Problem::error(
                format!("can't reach Cognito at {}: {err}", inner.base),
                "check backend.url (https://cognito-idp.REGION.amazonaws.com) and the network",
            ));
        }
    };
    let status = response.status();
    if !status.is_success() {
        return Some(Problem::error(
            format!("no user pool {:?} at {} (HTTP {status} for {url})", inner.user_pool_id, inner.base),
            "check backend.user_pool_id (Cognito console → User pools) and that backend.url is its region's endpoint",
        ));
    }
    let document = response.json::<serde_json::Value>().await.unwrap_or_default();
    let found = http::text(&document, "issuer");
    (found != issuer).then(|| {
        Problem::error(
            format!("the user pool's discovery document at {url} names issuer {found:?}, not {issuer:?}"),
            "set backend.url to https://cognito-idp.REGION.amazonaws.com exactly (no path, no trailing parts)",
        )
    })
}

/// Whether the app client exists and takes the flow and secret configured, without sending an SMS:
/// an `InitiateAuth` with no `PREFERRED_CHALLENGE` (so Cognito only lists the choices) for a user
/// no pool can have. Cognito checks the client, its flows and the `SECRET_HASH` before the user.
async fn check_client(inner: &Inner) -> Option<Problem> {
    let fault = match inner.initiate(PROBE_USERNAME, None).await {
        Ok(Ok(_)) => return None,
        Ok(Err(fault)) => fault,
        Err(err) => {
            return Some(Problem::error(
                format!("Cognito didn't answer InitiateAuth: {err}"),
                "check backend.url and the network",
            ));
        }
    };
    let client = &inner.client_id;
    let problem = match fault.name.as_str() {
        "ResourceNotFoundException" => Problem::error(
            format!("there is no app client {client:?} at {} ({})", inner.base, fault.message),
            "set backend.client_id to the app client's id (Cognito console → the user pool → App clients), \
             in the region backend.url names",
        ),
        "NotAuthorizedException" if fault.says("client") && fault.says("does not exist") => Problem::error(
            format!("there is no app client {client:?} at {} ({})", inner.base, fault.message),
            "set backend.client_id to the app client's id (Cognito console → the user pool → App clients)",
        ),
        "NotAuthorizedException" if fault.says("secret") => Problem::error(
            format!("app client {client:?} refused the SECRET_HASH: {}", fault.message),
            if inner.client_secret.is_some() {
                "set backend.client_secret to the app client's secret (or use a client without one)"
            } else {
                "the app client has a secret: set backend.client_secret = { file = \"PATH\" } or { env = \"VARIABLE\" }"
            },
        ),
        _ if flow_not_allowed(&fault) => Problem::error(
            format!("app client {client:?} doesn't allow the USER_AUTH flow: {}", fault.message),
            "add ALLOW_USER_AUTH to the app client's authentication flows, and SMS_OTP to the pool's sign-in \
             options (AllowedFirstAuthFactors; Essentials or Plus plan)",
        ),
        "TooManyRequestsException" | "LimitExceededException" | "ForbiddenException" => Problem::error(
            format!("Cognito refused the check for now: {}: {}", fault.name, fault.message),
            "run check-config again in a few minutes",
        ),
        // The client exists: the made-up user is unknown, or not a valid phone number.
        _ => return None,
    };
    Some(problem)
}
