//! The bodies of the reference backend's HTTP API, as typed structs: what `server::api`
//! sends and reads, and what `auth::shiftkey` (its client in the kiosk) reads and sends.
//! One definition for both ends, so they can't drift apart.
//!
//! The API is a contract (`assets/openapi.json`; the names here are its schemas'). Response
//! fields are declared in alphabetical order: the order the server has always sent them in.
//! Nothing in here does I/O or knows HTTP.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

use crate::secret::{AccessPass, AccessToken, OtpCode};

/// `POST /v1/sign-in/start`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// International form (`phone::has_api_form`), e.g. `+12065550100`.
    pub phone: String,
    /// The language to text the code in, a BCP 47 tag (`es`, `pt-BR`); the server's default
    /// template when it has none for it. Resends keep it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

/// `POST /v1/sign-in/resend`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResendRequest {
    pub challenge_id: String,
    /// How the new code goes out; a text unless asked (and then not sent, so a server from
    /// before voice still takes the request).
    #[serde(default, skip_serializing_if = "Channel::is_sms")]
    pub channel: Channel,
}

/// How a code reaches the worker: a text, or a call that reads it out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    #[default]
    Sms,
    Voice,
}

impl Channel {
    pub fn is_sms(&self) -> bool {
        *self == Channel::Sms
    }

    /// The wire name: `sms` or `voice`.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Voice => "voice",
        }
    }
}

/// `POST /v1/sign-in/verify`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub challenge_id: String,
    #[serde(serialize_with = "expose_code")]
    pub code: OtpCode,
}

/// Characters in a temporary access pass (without separators), shown in groups of
/// [`PASS_GROUP`] joined by `-`.
pub const PASS_LENGTH: usize = 10;
pub const PASS_GROUP: usize = 5;
/// Characters a pass is made of: upper-case letters and digits that can't be taken for another
/// (no 0/O, 1/I/L). The backend draws passes from it; the kiosk's pass keyboard has a key for each.
pub const PASS_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A pass's characters in their groups, `-` between (`ABCDE-FGHJK`): as issued and as shown.
pub fn group_pass(raw: &str) -> String {
    let chars: Vec<char> = raw.chars().collect();
    chars.chunks(PASS_GROUP).map(|group| group.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// `POST /v1/sign-in/pass`: a temporary access pass with the number it was issued for.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassRequest {
    pub phone: String,
    /// As typed: case, spaces and dashes don't matter.
    #[serde(serialize_with = "expose_pass")]
    pub pass: AccessPass,
}

/// `POST /v1/passes` (a kiosk manager's token): issue a one-time pass for a worker's number.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuePassRequest {
    pub phone: String,
}

/// 201 from `POST /v1/passes`: the pass, shown once.
#[derive(Debug, Serialize, Deserialize)]
pub struct IssuedPass {
    /// RFC 3339, UTC.
    pub expires_at: String,
    /// Seconds.
    pub expires_in: u64,
    pub one_time: bool,
    /// Grouped for reading aloud (`ABCDE-FGHJK`).
    #[serde(serialize_with = "expose_pass")]
    pub pass: AccessPass,
    /// Whom it is for.
    pub user: User,
}

/// 202 from start and resend: the same for every number, registered or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    pub challenge_id: String,
    pub code_length: usize,
    /// Seconds.
    pub expires_in: u64,
    /// Seconds.
    pub resend_after: u64,
}

/// The signed-in person: in a [`Grant`] and from `GET /v1/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub display_name: String,
    pub id: String,
    #[serde(default)]
    pub roles: Vec<String>,
}

/// 200 from verify.
#[derive(Debug, Serialize, Deserialize)]
pub struct Grant {
    #[serde(serialize_with = "expose_token")]
    pub access_token: AccessToken,
    /// Seconds.
    pub expires_in: u64,
    pub token_type: TokenType,
    pub user: User,
}

/// How the access token is presented: `Authorization: Bearer <token>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenType {
    Bearer,
}

/// Every error answer: `{"error": CODE, "message": TEXT}` and, for some codes, one more field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// With `invalid_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
    pub error: ErrorCode,
    /// For people.
    pub message: String,
    /// Seconds, with `rate_limited` (also sent as the `Retry-After` header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

/// The `error` field: what went wrong, for programs to act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidPhone,
    InvalidRequest,
    InvalidCode,
    Expired,
    TooManyAttempts,
    RateLimited,
    Unauthorized,
    /// From `POST /v1/sign-in/pass`: wrong, expired, used, or no pass for that number (one answer).
    InvalidPass,
    /// 403: signed in, but without the role this needs.
    Forbidden,
    /// 404 from `POST /v1/passes`: no one the policy lets sign in has that number.
    NoSuchUser,
    TooLarge,
    NotFound,
    Internal,
    MethodNotAllowed,
    /// 503: the backend can't reach its database for now; `Retry-After` says when to retry.
    Unavailable,
    /// A code this build doesn't know (a newer server's); kept so it can be reported.
    #[serde(untagged)]
    Other(String),
}

impl fmt::Display for ErrorCode {
    /// The wire name, as serde writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(name)) => f.write_str(&name),
            _ => Err(fmt::Error),
        }
    }
}

/// 200 from `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: HealthStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    Ok,
}

// Secrets have no `Serialize` of their own (nothing should write them by accident); these
// fields are the places that must.
fn expose_code<S: Serializer>(code: &OtpCode, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(code.expose())
}

fn expose_pass<S: Serializer>(pass: &AccessPass, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(pass.expose())
}

fn expose_token<S: Serializer>(token: &AccessToken, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(token.expose())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn every_documented_error_code_is_a_known_one() {
        let spec: Value = serde_json::from_str(include_str!("../assets/openapi.json")).unwrap();
        let documented = spec["components"]["schemas"]["Error"]["properties"]["error"]["enum"].as_array().unwrap();
        assert!(!documented.is_empty());
        for name in documented {
            let code: ErrorCode = serde_json::from_value(name.clone()).unwrap();
            assert!(!matches!(code, ErrorCode::Other(_)), "{name} is documented but not an ErrorCode");
            assert_eq!(serde_json::to_value(&code).unwrap(), *name, "{name} round-trips");
            assert_eq!(code.to_string(), name.as_str().unwrap());
        }
    }

    #[test]
    fn an_unknown_error_code_is_kept_not_refused() {
        let body: ErrorBody = serde_json::from_value(json!({ "error": "new_thing", "message": "m" })).unwrap();
        assert_eq!(body.error, ErrorCode::Other("new_thing".into()));
        assert_eq!(body.error.to_string(), "new_thing");
        assert_eq!((body.attempts_left, body.retry_after), (None, None));
    }

    #[test]
    fn bodies_have_the_documented_field_names() {
        let grant = Grant {
            access_token: AccessToken::new("t"),
            expires_in: 60,
            token_type: TokenType::Bearer,
            user: User { display_name: "Alex".into(), id: "alex".into(), roles: vec![] },
        };
        assert_eq!(
            serde_json::to_string(&grant).unwrap(),
            r#"{"access_token":"t","expires_in":60,"token_type":"Bearer","user":{"display_name":"Alex","id":"alex","roles":[]}}"#
        );
        let error = ErrorBody {
            attempts_left: Some(4),
            error: ErrorCode::InvalidCode,
            message: "wrong code".into(),
            retry_after: None,
        };
        assert_eq!(
            serde_json::to_string(&error).unwrap(),
            r#"{"attempts_left":4,"error":"invalid_code","message":"wrong code"}"#
        );
        let verify = VerifyRequest { challenge_id: "c".into(), code: OtpCode::new("123456") };
        assert_eq!(serde_json::to_string(&verify).unwrap(), r#"{"challenge_id":"c","code":"123456"}"#);
        let start = StartRequest { phone: "+12065550100".into(), locale: None };
        assert_eq!(serde_json::to_string(&start).unwrap(), r#"{"phone":"+12065550100"}"#);
        let start = StartRequest { phone: "+12065550100".into(), locale: Some("pt-BR".into()) };
        assert_eq!(serde_json::to_string(&start).unwrap(), r#"{"phone":"+12065550100","locale":"pt-BR"}"#);
        let resend = ResendRequest { challenge_id: "c".into(), channel: Channel::Sms };
        assert_eq!(serde_json::to_string(&resend).unwrap(), r#"{"challenge_id":"c"}"#, "as before voice");
        let resend = ResendRequest { challenge_id: "c".into(), channel: Channel::Voice };
        assert_eq!(serde_json::to_string(&resend).unwrap(), r#"{"challenge_id":"c","channel":"voice"}"#);
        let health = Health { status: HealthStatus::Ok };
        assert_eq!(serde_json::to_string(&health).unwrap(), r#"{"status":"ok"}"#);
    }
}
