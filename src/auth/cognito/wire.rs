//! Cognito's JSON 1.1 wire: every call is `POST <url>/` with `X-Amz-Target:
//! AWSCognitoIdentityProviderService.<Op>`; the bodies the adapter sends and reads; exceptions
//! read from `__type`; `SECRET_HASH`. Knows nothing of what an answer means.

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use sha2::Sha256;

use crate::auth::{AuthError, http};
use crate::phone::PhoneNumber;
use crate::secret::{AccessToken, OtpCode, RefreshToken};

const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// `SECRET_HASH`: Base64(HMAC-SHA256(key = client secret, message = username + client id)).
pub(super) fn secret_hash(secret: &SecretString, username: &str, client_id: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.expose_secret().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(username.as_bytes());
    mac.update(client_id.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

pub(super) fn random_text(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    URL_SAFE_NO_PAD.encode(buffer)
}

/// A secret from an answer (`Session`, the ID token): zeroized on drop, never printed.
pub(super) struct Secret(pub(super) SecretString);

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|text| Secret(text.into()))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct InitiateAuth<'a> {
    pub(super) auth_flow: &'static str,
    pub(super) client_id: &'a str,
    pub(super) auth_parameters: BTreeMap<&'static str, &'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RespondToAuthChallenge<'a> {
    pub(super) challenge_name: &'static str,
    pub(super) client_id: &'a str,
    pub(super) session: &'a str,
    pub(super) challenge_responses: BTreeMap<&'static str, &'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RevokeToken<'a> {
    pub(super) token: &'a str,
    pub(super) client_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) client_secret: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GlobalSignOut<'a> {
    pub(super) access_token: &'a str,
}

/// `InitiateAuth`'s and `RespondToAuthChallenge`'s answer.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AuthAnswer {
    pub(super) challenge_name: Option<String>,
    pub(super) session: Option<Secret>,
    #[serde(default)]
    pub(super) challenge_parameters: HashMap<String, String>,
    #[serde(default)]
    pub(super) available_challenges: Vec<String>,
    pub(super) authentication_result: Option<AuthResult>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AuthResult {
    pub(super) access_token: AccessToken,
    pub(super) id_token: Secret,
    pub(super) refresh_token: Option<RefreshToken>,
    pub(super) expires_in: Option<u64>,
}

/// An exception Cognito answered with.
#[derive(Debug)]
pub(super) struct Fault {
    /// `CodeMismatchException`: `__type` without its `namespace#` prefix.
    pub(super) name: String,
    pub(super) message: String,
    /// A new `Session` in the error's body: the next try must use it.
    pub(super) session: Option<SecretString>,
}

impl Fault {
    pub(super) fn is(&self, name: &str) -> bool {
        self.name == name
    }

    pub(super) fn says(&self, text: &str) -> bool {
        self.message.to_ascii_lowercase().contains(&text.to_ascii_lowercase())
    }

    /// The message with the number masked and the code taken out: it may reach the screen and
    /// the audit log.
    pub(super) fn scrubbed(mut self, phone: &PhoneNumber, code: Option<&OtpCode>) -> Self {
        let e164 = phone.e164();
        self.message = self.message.replace(e164, &phone.masked()).replace(&e164[1..], &phone.masked());
        if let Some(code) = code.filter(|c| !c.expose().is_empty()) {
            self.message = self.message.replace(code.expose(), "[code]");
        }
        self
    }
}

#[derive(Deserialize)]
struct FaultBody {
    #[serde(rename = "__type", default)]
    kind: String,
    #[serde(default, alias = "Message")]
    message: String,
    #[serde(rename = "Session")]
    session: Option<Secret>,
}

impl FaultBody {
    fn into_fault(self, header: Option<&str>) -> Fault {
        // `__type` may carry a namespace (`com.amazonaws...#CodeMismatchException`); the header
        // form a suffix after `:`.
        let kind = if self.kind.is_empty() { header.unwrap_or_default() } else { &self.kind };
        let name = kind.rsplit('#').next().unwrap_or_default().split(':').next().unwrap_or_default().to_string();
        Fault { name, message: self.message, session: self.session.map(|s| s.0) }
    }
}

/// An answer, or an exception named by Cognito; transport trouble is already an `AuthError`.
pub(super) type Answer<T> = Result<Result<T, Fault>, AuthError>;

/// Calls `operation` with `body`: its answer, or the exception Cognito named.
pub(super) async fn call<T: DeserializeOwned>(
    client: &reqwest::Client,
    base: &str,
    operation: &str,
    body: &impl Serialize,
) -> Answer<T> {
    // Serialized here so the copy holding a code or token is zeroized.
    let body = zeroize::Zeroizing::new(serde_json::to_vec(body).expect("request bodies serialize"));
    let response = client
        .post(format!("{base}/"))
        .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
        .header("X-Amz-Target", format!("{TARGET_PREFIX}{operation}"))
        .body(body.to_vec())
        .send()
        .await
        .map_err(http::unreachable)?;
    let status = response.status();
    if status.is_server_error() {
        tracing::warn!(operation, %status, "Cognito answered with a server error");
        return Err(AuthError::Unreachable);
    }
    let header = response.headers().get("x-amzn-errortype").and_then(|v| v.to_str().ok()).map(str::to_string);
    let bytes = zeroize::Zeroizing::new(response.bytes().await.map_err(http::unreachable)?.to_vec());
    if status.is_success() {
        return serde_json::from_slice::<T>(&bytes).map(Ok).map_err(|e| {
            // Not serde's message: it can quote a value, and a value here can be a token.
            let at = format!("{:?} at line {} column {}", e.classify(), e.line(), e.column());
            AuthError::Protocol(format!("{operation} answered {status} with an unreadable body ({at})"))
        });
    }
    match serde_json::from_slice::<FaultBody>(&bytes) {
        Ok(fault) if !fault.kind.is_empty() || header.is_some() => Ok(Err(fault.into_fault(header.as_deref()))),
        _ if status == StatusCode::TOO_MANY_REQUESTS => {
            Ok(Err(Fault { name: "TooManyRequestsException".into(), message: String::new(), session: None }))
        }
        _ => Err(AuthError::Protocol(format!("{operation} answered {status} without an exception name"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(name: &str, message: &str) -> Fault {
        Fault { name: name.into(), message: message.into(), session: None }
    }

    fn body_fault(json: &str) -> Fault {
        serde_json::from_str::<FaultBody>(json).unwrap().into_fault(None)
    }

    #[test]
    fn exception_names_are_read_without_their_namespace() {
        let f = body_fault(
            r#"{"__type":"com.amazonaws.cognito.identity.idp.model#CodeMismatchException","message":"Invalid code"}"#,
        );
        assert_eq!((f.name.as_str(), f.message.as_str()), ("CodeMismatchException", "Invalid code"));
        let f = body_fault(r#"{"__type":"ExpiredCodeException","Message":"expired"}"#);
        assert_eq!((f.name.as_str(), f.message.as_str()), ("ExpiredCodeException", "expired"));
        let f = serde_json::from_str::<FaultBody>(r#"{"message":"x"}"#)
            .unwrap()
            .into_fault(Some("TooManyRequestsException:http://internal.amazon.com/coral/"));
        assert_eq!(f.name, "TooManyRequestsException");
        let f = body_fault(r#"{"__type":"CodeMismatchException","message":"m","Session":"next"}"#);
        assert_eq!(f.session.unwrap().expose_secret(), "next");
    }

    #[test]
    fn messages_lose_the_number_and_the_code() {
        let phone = PhoneNumber::parse_international("+12065550100").unwrap();
        let f = fault("InvalidParameterException", "Value +12065550100 (12065550100) with code 12345678 rejected")
            .scrubbed(&phone, Some(&OtpCode::new("12345678")));
        assert_eq!(f.message, "Value +1 ••• ••• 0100 (+1 ••• ••• 0100) with code [code] rejected");
    }

    #[test]
    fn secret_hash_is_base64_hmac_sha256_of_username_and_client_id() {
        // python3 -c 'import hmac,hashlib,base64; print(base64.b64encode(hmac.new(b"s3cret",
        //   b"+12065550100" b"kioskclient", hashlib.sha256).digest()).decode())'
        let secret = SecretString::from("s3cret");
        assert_eq!(secret_hash(&secret, "+12065550100", "kioskclient"), "9J9PIu+9HdzhIWRZmokhRo2R0BC9+L9XjomTicvDYsA=");
    }
}
