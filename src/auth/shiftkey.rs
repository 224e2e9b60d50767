//! The adapter for shiftkey's own reference backend (`shiftkey serve`).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::{Client, StatusCode, Url};
use serde::Deserialize;
use serde_json::json;

use super::{AuthBackend, AuthError, Challenge, Grant, SignedInUser};
use crate::phone::PhoneNumber;
use crate::secret::{AccessToken, OtpCode};

const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct ShiftkeyBackend {
    /// Built on first use: setting up TLS reads and parses the system's root certificates,
    /// which would otherwise cost every kiosk start a few milliseconds and a few MiB before
    /// anyone has typed a number.
    client: Arc<OnceLock<Result<Client, String>>>,
    base: Url,
}

#[derive(Deserialize)]
struct ChallengeBody {
    challenge_id: String,
    code_length: usize,
    expires_in: u64,
    resend_after: u64,
}

#[derive(Deserialize)]
struct UserBody {
    id: String,
    display_name: String,
    #[serde(default)]
    roles: Vec<String>,
}

#[derive(Deserialize)]
struct GrantBody {
    access_token: AccessToken,
    expires_in: u64,
    user: UserBody,
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    message: String,
    attempts_left: Option<u32>,
    retry_after: Option<u64>,
}

impl ShiftkeyBackend {
    pub fn new(url: &str) -> Result<Self, String> {
        let base = Url::parse(url).map_err(|e| format!("backend.url {url:?}: {e}"))?;
        Ok(ShiftkeyBackend { client: Arc::default(), base })
    }

    fn client(&self) -> Result<&Client, AuthError> {
        let client = self.client.get_or_init(|| {
            Client::builder()
                .timeout(REQUEST_TIMEOUT)
                .connect_timeout(Duration::from_secs(3))
                .build()
                .map_err(|e| format!("can't set up HTTP: {e}"))
        });
        client.as_ref().map_err(|e| AuthError::Protocol(e.clone()))
    }

    fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("static paths join onto a base URL")
    }

    async fn post_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> Result<T, AuthError> {
        let response = self.client()?.post(self.url(path)).json(&body).send().await.map_err(transport_error)?;
        read(response).await
    }
}

fn transport_error(err: reqwest::Error) -> AuthError {
    if err.is_decode() { AuthError::Protocol(err.to_string()) } else { AuthError::Unreachable }
}

async fn read<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> Result<T, AuthError> {
    let status = response.status();
    if status.is_success() {
        return response.json::<T>().await.map_err(|e| AuthError::Protocol(e.to_string()));
    }
    let body: ErrorBody = response.json().await.unwrap_or_default();
    Err(match (status, body.error.as_str()) {
        (_, "invalid_phone") => AuthError::InvalidPhone(body.message),
        (_, "invalid_code") => AuthError::InvalidCode { attempts_left: body.attempts_left.unwrap_or(0) },
        (_, "expired") => AuthError::Expired,
        (_, "too_many_attempts") => AuthError::TooManyAttempts,
        (StatusCode::TOO_MANY_REQUESTS, _) => {
            AuthError::RateLimited { retry_after: Duration::from_secs(body.retry_after.unwrap_or(30)) }
        }
        (status, _) if status.is_server_error() => AuthError::Unreachable,
        (status, error) => AuthError::Protocol(format!("{status} {error} {}", body.message)),
    })
}

impl From<ChallengeBody> for Challenge {
    fn from(body: ChallengeBody) -> Self {
        Challenge {
            id: body.challenge_id,
            code_length: body.code_length,
            expires_in: Duration::from_secs(body.expires_in),
            resend_after: Duration::from_secs(body.resend_after),
        }
    }
}

impl AuthBackend for ShiftkeyBackend {
    async fn healthy(&self) -> bool {
        let Ok(client) = self.client() else { return false };
        matches!(client.get(self.url("/healthz")).send().await, Ok(r) if r.status().is_success())
    }

    async fn start(&self, phone: &PhoneNumber) -> Result<Challenge, AuthError> {
        let body: ChallengeBody = self.post_json("/v1/sign-in/start", json!({ "phone": phone.e164() })).await?;
        Ok(body.into())
    }

    async fn resend(&self, challenge_id: &str) -> Result<Challenge, AuthError> {
        let body: ChallengeBody = self.post_json("/v1/sign-in/resend", json!({ "challenge_id": challenge_id })).await?;
        Ok(body.into())
    }

    async fn verify(&self, challenge_id: &str, code: &OtpCode) -> Result<Grant, AuthError> {
        let request =
            zeroize::Zeroizing::new(json!({ "challenge_id": challenge_id, "code": code.expose() }).to_string());
        let response = self
            .client()?
            .post(self.url("/v1/sign-in/verify"))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(request.as_bytes().to_vec())
            .send()
            .await
            .map_err(transport_error)?;
        let body: GrantBody = read(response).await?;
        Ok(Grant {
            token: body.access_token,
            expires_in: Duration::from_secs(body.expires_in),
            user: SignedInUser { id: body.user.id, display_name: body.user.display_name, roles: body.user.roles },
        })
    }

    async fn sign_out(&self, token: &AccessToken) -> Result<(), AuthError> {
        let response = self
            .client()?
            .post(self.url("/v1/sign-out"))
            .bearer_auth(token.expose())
            .send()
            .await
            .map_err(transport_error)?;
        match response.status() {
            s if s.is_success() => Ok(()),
            s if s.is_server_error() => Err(AuthError::Unreachable),
            s => Err(AuthError::Protocol(format!("sign-out answered {s}"))),
        }
    }
}
