//! What Cognito's exceptions mean to the kiosk: the same screens whatever the provider, and an
//! unknown number that looks like any other.

use std::time::Duration;

use super::wire::Fault;
use crate::auth::AuthError;

/// `TooManyRequestsException` comes without `Retry-After`.
pub(super) const RATE_LIMIT_WAIT: Duration = Duration::from_secs(30);
/// A WAF rate-based rule counts requests per address over 5 minutes.
pub(super) const WAF_WAIT: Duration = Duration::from_secs(300);

pub(super) fn missing(operation: &str, field: &str) -> AuthError {
    AuthError::Protocol(format!("{operation} answered without {field}"))
}

pub(super) fn unexpected_challenge(name: Option<&str>) -> AuthError {
    AuthError::Protocol(format!(
        "Cognito asked for {} instead of SMS_OTP: allow SMS_OTP as a first factor and don't require MFA",
        name.unwrap_or("no challenge")
    ))
}

pub(super) fn protocol(operation: &str, fault: &Fault) -> AuthError {
    AuthError::Protocol(format!("{operation}: {}: {}", fault.name, fault.message))
}

/// The app client (or the pool's plan) doesn't take the `USER_AUTH` flow.
pub(super) fn flow_not_allowed(fault: &Fault) -> bool {
    fault.says("USER_AUTH")
        || fault.says("auth method not supported")
        || (fault.says("flow") && (fault.says("not enabled") || fault.says("not supported")))
}

/// What an exception means whatever the operation: limits and set-up mistakes.
pub(super) fn common_fault(fault: &Fault) -> Option<AuthError> {
    Some(match fault.name.as_str() {
        "TooManyRequestsException" | "LimitExceededException" => {
            AuthError::RateLimited { retry_after: RATE_LIMIT_WAIT }
        }
        // The pool's AWS WAF web ACL: its rate-based rules count per address, and all of a
        // store's kiosks share one.
        "ForbiddenException" => AuthError::StoreRateLimited { retry_after: WAF_WAIT },
        "ResourceNotFoundException" => AuthError::Protocol(format!(
            "no such app client: check backend.client_id and the region in backend.url ({})",
            fault.message
        )),
        "NotAuthorizedException" if fault.says("client") && fault.says("does not exist") => AuthError::Protocol(
            format!("no such app client: check backend.client_id and the region in backend.url ({})", fault.message),
        ),
        "NotAuthorizedException" if fault.says("secret") => AuthError::Protocol(format!(
            "the app client's secret doesn't match: check backend.client_secret ({})",
            fault.message
        )),
        _ if flow_not_allowed(fault) => {
            AuthError::Protocol(format!("the app client doesn't allow ALLOW_USER_AUTH: {}", fault.message))
        }
        "InternalErrorException" => AuthError::Unreachable,
        _ => return None,
    })
}

/// An exception from `InitiateAuth` (or choosing SMS_OTP): `Ok(())` when it means "no code for
/// this number", which must look like any other number's sign-in.
pub(super) fn start_fault(fault: &Fault) -> Result<(), AuthError> {
    if let Some(err) = common_fault(fault) {
        return Err(err);
    }
    match fault.name.as_str() {
        // A pool that hides whether users exist answers NotAuthorized for unknown ones.
        "UserNotFoundException"
        | "UserNotConfirmedException"
        | "NotAuthorizedException"
        | "PasswordResetRequiredException" => Ok(()),
        "InvalidParameterException" if fault.says("phone") => Err(AuthError::InvalidPhone(fault.message.clone())),
        _ => Err(protocol("InitiateAuth", fault)),
    }
}

/// An exception from `RespondToAuthChallenge` with a code.
pub(super) fn verify_fault(fault: &Fault) -> AuthError {
    if fault.is("NotAuthorizedException") && fault.says("session") {
        return AuthError::Expired;
    }
    if let Some(err) = common_fault(fault) {
        return err;
    }
    match fault.name.as_str() {
        // Cognito doesn't say how many tries are left.
        "CodeMismatchException" | "UserNotFoundException" | "NotAuthorizedException" => AuthError::CodeRejected,
        "ExpiredCodeException" => AuthError::Expired,
        "TooManyFailedAttemptsException" => AuthError::TooManyAttempts,
        _ => protocol("RespondToAuthChallenge", fault),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(name: &str, message: &str) -> Fault {
        Fault { name: name.into(), message: message.into(), session: None }
    }

    #[test]
    fn codes_map_to_what_the_kiosk_shows() {
        let cases = [
            (fault("CodeMismatchException", "Invalid code received for user"), AuthError::CodeRejected),
            (fault("ExpiredCodeException", "Invalid code provided, please request a code again."), AuthError::Expired),
            (fault("NotAuthorizedException", "Invalid session for the user, session is expired."), AuthError::Expired),
            (fault("NotAuthorizedException", "Incorrect username or password."), AuthError::CodeRejected),
            (fault("UserNotFoundException", "User does not exist."), AuthError::CodeRejected),
            (fault("TooManyFailedAttemptsException", "Too many failed attempts."), AuthError::TooManyAttempts),
            (
                fault("TooManyRequestsException", "Rate exceeded"),
                AuthError::RateLimited { retry_after: RATE_LIMIT_WAIT },
            ),
            (
                fault("LimitExceededException", "Attempt limit exceeded"),
                AuthError::RateLimited { retry_after: RATE_LIMIT_WAIT },
            ),
            (
                fault("ForbiddenException", "Request not allowed due to WAF block."),
                AuthError::StoreRateLimited { retry_after: WAF_WAIT },
            ),
            (fault("InternalErrorException", "x"), AuthError::Unreachable),
        ];
        for (fault, expected) in cases {
            assert_eq!(verify_fault(&fault), expected, "{fault:?}");
        }
        assert!(matches!(verify_fault(&fault("AliasExistsException", "x")), AuthError::Protocol(_)));
    }

    #[test]
    fn an_unknown_number_at_start_is_not_an_error() {
        for name in ["UserNotFoundException", "UserNotConfirmedException", "NotAuthorizedException"] {
            assert_eq!(start_fault(&fault(name, "User does not exist.")), Ok(()), "{name}");
        }
        assert_eq!(
            start_fault(&fault("InvalidParameterException", "Invalid phone number provided.")),
            Err(AuthError::InvalidPhone("Invalid phone number provided.".into()))
        );
        assert_eq!(
            start_fault(&fault("TooManyRequestsException", "")),
            Err(AuthError::RateLimited { retry_after: RATE_LIMIT_WAIT })
        );
    }

    #[test]
    fn set_up_mistakes_name_the_key_to_fix() {
        let cases = [
            fault("ResourceNotFoundException", "User pool client 123 does not exist."),
            fault("NotAuthorizedException", "User pool client 123 does not exist."),
            fault("NotAuthorizedException", "Unable to verify secret hash for client 123"),
            fault("InvalidParameterException", "USER_AUTH flow not enabled for this client"),
        ];
        for (fault, key) in
            cases.iter().zip(["backend.client_id", "backend.client_id", "backend.client_secret", "ALLOW_USER_AUTH"])
        {
            let Err(AuthError::Protocol(message)) = start_fault(fault) else { panic!("{fault:?}") };
            assert!(message.contains(key), "{message}");
        }
    }
}
