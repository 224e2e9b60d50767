//! What Supabase Auth's error answers mean to the kiosk. GoTrue names each error with a code
//! (`otp_expired`, `over_request_rate_limit`, …): those decide; the HTTP status only where the
//! API gateway answered without one. The human message is never kept (for an SMS that failed,
//! it quotes the provider, which quotes the number), except for the seconds of a per-number wait.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Response, StatusCode};
use serde_json::Value;

use super::CODE_LIFETIME;
use crate::auth::{AuthError, http};

/// The per-address limit sends no `Retry-After`; its bucket (30 per 5 min) refills a request
/// every 10 s, and the kiosk counts in minutes anyway.
const STORE_LIMIT_WAIT: Duration = Duration::from_secs(60);
/// The project's whole SMS budget (30 an hour by default): about one more every 2 minutes.
const SMS_BUDGET_WAIT: Duration = Duration::from_secs(120);

/// A non-2xx answer: its status, Supabase's `error_code`, and never its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ApiError {
    pub(super) status: StatusCode,
    /// `otp_expired`, `over_request_rate_limit`, …; empty when the gateway answered (a wrong key).
    pub(super) code: String,
    /// The number of seconds in "you can only request this after N seconds", if said.
    wait: Option<Duration>,
    retry_after: Option<Duration>,
}

impl ApiError {
    pub(super) async fn read(response: Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        Self::from_parts(status, &headers, &body)
    }

    fn from_parts(status: StatusCode, headers: &HeaderMap, body: &Value) -> Self {
        let header_code = headers.get("x-sb-error-code").and_then(|v| v.to_str().ok()).map(str::to_string);
        // 2024-01-01: `code` is the error code; before, `code` is the status and `error_code` it.
        let body_code = body.get("code").and_then(Value::as_str).or_else(|| body.get("error_code")?.as_str());
        let code = header_code.or(body_code.map(str::to_string)).unwrap_or_default();
        let message = body.get("message").or_else(|| body.get("msg")).and_then(Value::as_str).unwrap_or("");
        // `Duration::MAX` stands for "none in seconds": a date or nothing at all.
        let retry_after = Some(http::retry_after(headers, Duration::MAX)).filter(|wait| *wait != Duration::MAX);
        ApiError { status, code, wait: seconds_to_wait(message), retry_after }
    }

    fn is(&self, code: &str) -> bool {
        self.code == code
    }
}

/// "For security purposes, you can only request this after 42 seconds." → 42 s.
fn seconds_to_wait(message: &str) -> Option<Duration> {
    let (_, rest) = message.split_once("after ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().map(Duration::from_secs)
}

/// What every endpoint's errors mean alike.
pub(super) fn common_error(err: &ApiError) -> AuthError {
    match err.status {
        StatusCode::TOO_MANY_REQUESTS if err.is("over_request_rate_limit") => {
            AuthError::StoreRateLimited { retry_after: err.retry_after.unwrap_or(STORE_LIMIT_WAIT) }
        }
        // Per number ("after N seconds"), or the project's whole SMS budget (no N).
        StatusCode::TOO_MANY_REQUESTS => {
            AuthError::RateLimited { retry_after: err.wait.or(err.retry_after).unwrap_or(SMS_BUDGET_WAIT) }
        }
        status if status.is_server_error() => AuthError::Unreachable,
        StatusCode::UNAUTHORIZED if err.code.is_empty() || err.is("no_authorization") => {
            AuthError::Protocol("the project refused backend.api_key (HTTP 401)".into())
        }
        status if err.code.is_empty() => AuthError::Protocol(format!("HTTP {}", status.as_u16())),
        status => AuthError::Protocol(format!("HTTP {} {}", status.as_u16(), err.code)),
    }
}

/// What a send (`/otp`) that failed means: `Ok(())` for a number Supabase doesn't know.
pub(super) fn send_error(err: &ApiError) -> Result<(), AuthError> {
    match err.status {
        StatusCode::UNPROCESSABLE_ENTITY if err.is("otp_disabled") => Ok(()),
        StatusCode::BAD_REQUEST if err.is("validation_failed") => {
            Err(AuthError::InvalidPhone("The sign-in service doesn't accept this number".into()))
        }
        // Not `Unreachable`: the kiosk would retry every few seconds, spending the store's
        // per-address budget on an SMS provider that keeps failing.
        _ if err.is("sms_send_failed") => {
            Err(AuthError::Protocol("the code couldn't be sent (Supabase's SMS provider failed)".into()))
        }
        _ if err.is("phone_provider_disabled") => {
            Err(AuthError::Protocol("phone sign-in is turned off in the Supabase project".into()))
        }
        _ => Err(common_error(err)),
    }
}

/// What a rejected code means. Supabase answers a wrong code, an expired one and an unknown
/// number alike (`403 otp_expired`); only the code's age tells expired apart.
pub(super) fn verify_error(err: &ApiError, age: Duration) -> AuthError {
    match err.status {
        StatusCode::FORBIDDEN if err.is("otp_expired") && age >= CODE_LIFETIME => AuthError::Expired,
        StatusCode::FORBIDDEN if err.is("otp_expired") => AuthError::CodeRejected,
        // A banned user looks like a wrong code: the screen says nothing about the account.
        StatusCode::FORBIDDEN if err.is("user_banned") => {
            tracing::warn!("Supabase refused a sign-in: the user is banned");
            AuthError::CodeRejected
        }
        _ => common_error(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn error(status: u16, body: Value) -> ApiError {
        ApiError::from_parts(StatusCode::from_u16(status).unwrap(), &HeaderMap::new(), &body)
    }

    /// The 2024-01-01 body, as the adapter asks for it.
    fn newer(status: u16, code: &str, message: &str) -> ApiError {
        error(status, json!({ "code": code, "message": message }))
    }

    #[test]
    fn both_error_bodies_are_read() {
        let older = error(
            403,
            json!({ "code": 403, "error_code": "otp_expired", "msg": "Token has expired or is invalid", "error_id": "x" }),
        );
        assert_eq!(older.code, "otp_expired");
        assert_eq!(newer(403, "otp_expired", "Token has expired or is invalid").code, "otp_expired");
        let mut headers = HeaderMap::new();
        headers.insert("x-sb-error-code", "user_banned".parse().unwrap());
        assert_eq!(ApiError::from_parts(StatusCode::FORBIDDEN, &headers, &Value::Null).code, "user_banned");
        // The gateway's answer to a wrong key has no error code at all.
        assert_eq!(error(401, json!({ "message": "Invalid API key" })).code, "");
    }

    #[test]
    fn an_unknown_number_is_not_an_error_at_start() {
        assert_eq!(send_error(&newer(422, "otp_disabled", "Signups not allowed for otp")), Ok(()));
    }

    #[test]
    fn send_errors_map_to_what_the_kiosk_shows() {
        let bad = send_error(&newer(400, "validation_failed", "Invalid phone number format (E.164 required)"));
        assert!(matches!(bad, Err(AuthError::InvalidPhone(_))), "{bad:?}");
        let per_number = newer(
            429,
            "over_sms_send_rate_limit",
            "For security purposes, you can only request this after 42 seconds.",
        );
        assert_eq!(send_error(&per_number), Err(AuthError::RateLimited { retry_after: Duration::from_secs(42) }));
        let budget = newer(429, "over_sms_send_rate_limit", "SMS rate limit exceeded");
        assert_eq!(send_error(&budget), Err(AuthError::RateLimited { retry_after: SMS_BUDGET_WAIT }));
        let store = newer(429, "over_request_rate_limit", "Request rate limit reached");
        assert_eq!(send_error(&store), Err(AuthError::StoreRateLimited { retry_after: STORE_LIMIT_WAIT }));
        let mut headers = HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, "90".parse().unwrap());
        let store = ApiError::from_parts(
            StatusCode::TOO_MANY_REQUESTS,
            &headers,
            &json!({ "code": "over_request_rate_limit" }),
        );
        assert_eq!(send_error(&store), Err(AuthError::StoreRateLimited { retry_after: Duration::from_secs(90) }));
        assert_eq!(send_error(&newer(500, "unexpected_failure", "")), Err(AuthError::Unreachable));
        assert_eq!(send_error(&newer(502, "", "")), Err(AuthError::Unreachable));
    }

    #[test]
    fn a_failed_send_never_quotes_the_providers_message() {
        let failed =
            newer(422, "sms_send_failed", "Error sending confirmation OTP to provider: +12065550100 is not valid");
        let Err(err) = send_error(&failed) else { panic!("a failed send is an error") };
        assert!(err.to_string().contains("couldn't be sent"), "{err}");
        assert!(!err.to_string().contains("2065550100"), "{err}");
        assert!(!format!("{failed:?}").contains("2065550100"), "not even in Debug");
    }

    #[test]
    fn a_wrong_key_says_which_key() {
        let err = send_error(&error(401, json!({ "message": "Invalid API key" }))).unwrap_err();
        assert!(err.to_string().contains("backend.api_key"), "{err}");
        let err = send_error(&newer(400, "phone_provider_disabled", "Unsupported phone provider")).unwrap_err();
        assert!(err.to_string().contains("phone sign-in is turned off"), "{err}");
    }

    #[test]
    fn a_rejected_code_is_expired_only_past_its_lifetime() {
        let rejected = newer(403, "otp_expired", "Token has expired or is invalid");
        assert_eq!(verify_error(&rejected, Duration::from_secs(5)), AuthError::CodeRejected);
        assert_eq!(verify_error(&rejected, CODE_LIFETIME - Duration::from_millis(1)), AuthError::CodeRejected);
        assert_eq!(verify_error(&rejected, CODE_LIFETIME), AuthError::Expired);
        assert_eq!(verify_error(&newer(403, "user_banned", "User is banned"), Duration::ZERO), AuthError::CodeRejected);
        let store = newer(429, "over_request_rate_limit", "Request rate limit reached");
        assert_eq!(verify_error(&store, Duration::ZERO), AuthError::StoreRateLimited { retry_after: STORE_LIMIT_WAIT });
        assert_eq!(verify_error(&newer(503, "", ""), Duration::ZERO), AuthError::Unreachable);
    }

    #[test]
    fn seconds_are_read_off_the_throttle_message() {
        assert_eq!(
            seconds_to_wait("For security purposes, you can only request this after 7 seconds."),
            Some(Duration::from_secs(7))
        );
        assert_eq!(seconds_to_wait("SMS rate limit exceeded"), None);
    }
}
