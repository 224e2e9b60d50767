//! The adapter for shiftkey's own reference backend (`shiftkey serve`).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::{Client, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    AuthBackend, AuthError, Challenge, Channel, Grant, IssuedPass, Problem, SignedInUser, SignedOut, TokenState, Tokens,
};
use crate::api_types::{
    self, ErrorBody, ErrorCode, IssuePassRequest, PassRequest, ResendRequest, StartRequest, VerifyRequest,
};
use crate::config::BackendConfig;
use crate::phone::PhoneNumber;
use crate::secret::{AccessPass, OtpCode};

#[derive(Clone)]
pub struct ShiftkeyBackend {
    /// Built on first use: setting up TLS reads and parses the system's root certificates,
    /// which would otherwise cost every kiosk start a few milliseconds and a few MiB before
    /// anyone has typed a number.
    client: Arc<OnceLock<Result<Client, AuthError>>>,
    /// What the client is built from (`backend.timeout`, `backend.ca_file`).
    config: Arc<BackendConfig>,
    base: Url,
}

/// `backend.url` isn't a URL.
#[derive(Debug, thiserror::Error)]
#[error("backend.url {url:?}: {source}")]
pub struct InvalidUrl {
    url: String,
    /// `url::ParseError`, named through reqwest's `Url` (`url` is not a direct dependency).
    source: <Url as std::str::FromStr>::Err,
}

impl ShiftkeyBackend {
    /// The backend at `url`, with the `[backend]` defaults (timeout, no extra CA).
    pub fn new(url: &str) -> Result<Self, InvalidUrl> {
        Self::with_config(&BackendConfig { url: url.into(), ..BackendConfig::default() })
    }

    /// The backend `[backend]` names, with its timeout and extra CA.
    pub fn with_config(config: &BackendConfig) -> Result<Self, InvalidUrl> {
        let url = &config.url;
        let base = Url::parse(url).map_err(|source| InvalidUrl { url: url.clone(), source })?;
        Ok(ShiftkeyBackend { client: Arc::default(), config: Arc::new(config.clone()), base })
    }

    fn client(&self) -> Result<&Client, AuthError> {
        let client = self.client.get_or_init(|| {
            super::http::client(&self.config).map_err(|e| AuthError::Protocol(format!("can't set up HTTP: {e}")))
        });
        client.as_ref().map_err(Clone::clone)
    }

    fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("static paths join onto a base URL")
    }

    async fn post_json<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> Result<T, AuthError> {
        let response = self.client()?.post(self.url(path)).json(body).send().await.map_err(transport_error)?;
        read(response).await
    }
}

fn transport_error(err: reqwest::Error) -> AuthError {
    if err.is_decode() { AuthError::Protocol(err.to_string()) } else { AuthError::Unreachable }
}

/// Reads an answer's whole body: an answer cut off mid-way is no answer (the connection
/// failed), whatever its status line said.
async fn whole(response: reqwest::Response) -> Result<StatusCode, AuthError> {
    let status = response.status();
    response.bytes().await.map_err(|_| AuthError::Unreachable)?;
    Ok(status)
}

async fn read<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, AuthError> {
    let status = response.status();
    if status.is_success() {
        // A body cut short is no answer (as if the connection failed); a whole body that isn't
        // ours is the service's problem.
        let body = response.bytes().await.map_err(|_| AuthError::Unreachable)?;
        return serde_json::from_slice(&body).map_err(|e| AuthError::Protocol(e.to_string()));
    }
    // A proxy's HTML error page has no body of ours: then the status alone decides.
    let body = response.json::<ErrorBody>().await.ok();
    Err(match (status, body) {
        (_, Some(ErrorBody { error: ErrorCode::InvalidPhone, message, .. })) => AuthError::InvalidPhone(message),
        (_, Some(ErrorBody { error: ErrorCode::InvalidCode, attempts_left, .. })) => {
            AuthError::InvalidCode { attempts_left: attempts_left.unwrap_or(0) }
        }
        (_, Some(ErrorBody { error: ErrorCode::Expired, .. })) => AuthError::Expired,
        (_, Some(ErrorBody { error: ErrorCode::TooManyAttempts, .. })) => AuthError::TooManyAttempts,
        (_, Some(ErrorBody { error: ErrorCode::InvalidPass, .. })) => AuthError::InvalidPass,
        (_, Some(ErrorBody { error: ErrorCode::Forbidden, .. })) => AuthError::Forbidden,
        (_, Some(ErrorBody { error: ErrorCode::NoSuchUser, .. })) => AuthError::NoSuchUser,
        (StatusCode::TOO_MANY_REQUESTS, body) => {
            AuthError::RateLimited { retry_after: Duration::from_secs(body.and_then(|b| b.retry_after).unwrap_or(30)) }
        }
        (status, _) if status.is_server_error() => AuthError::Unreachable,
        (status, Some(body)) => AuthError::Protocol(format!("{status} {} {}", body.error, body.message)),
        (status, None) => AuthError::Protocol(status.to_string()),
    })
}

impl From<api_types::Challenge> for Challenge {
    fn from(body: api_types::Challenge) -> Self {
        Challenge {
            id: body.challenge_id,
            code_length: body.code_length,
            expires_in: Duration::from_secs(body.expires_in),
            resend_after: Duration::from_secs(body.resend_after),
        }
    }
}

impl From<api_types::User> for SignedInUser {
    fn from(body: api_types::User) -> Self {
        SignedInUser { id: body.id, display_name: body.display_name, roles: body.roles }
    }
}

impl ShiftkeyBackend {
    /// POSTs a body holding a secret (a code, a pass) and reads the grant it gets.
    async fn grant(&self, path: &str, request: &impl Serialize) -> Result<Grant, AuthError> {
        // Serialized here rather than by `.json()`, so the copy holding the secret is zeroized.
        let request = zeroize::Zeroizing::new(serde_json::to_vec(request).expect("strings serialize"));
        let response = self
            .client()?
            .post(self.url(path))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(request.to_vec())
            .send()
            .await
            .map_err(transport_error)?;
        let body: api_types::Grant = read(response).await?;
        Ok(Grant {
            tokens: Tokens::access_only(body.access_token),
            expires_in: Duration::from_secs(body.expires_in),
            user: body.user.into(),
        })
    }
}

impl AuthBackend for ShiftkeyBackend {
    async fn healthy(&self) -> bool {
        let Ok(client) = self.client() else { return false };
        matches!(client.get(self.url("/healthz")).send().await, Ok(r) if r.status().is_success())
    }

    async fn check(&self) -> Vec<Problem> {
        if self.healthy().await {
            return Vec::new();
        }
        vec![Problem::error(
            format!("can't reach the backend at {}", self.base),
            "check backend.url, and that `shiftkey serve` runs there and answers /healthz",
        )]
    }

    async fn start(&self, phone: &PhoneNumber) -> Result<Challenge, AuthError> {
        let request = StartRequest { phone: phone.e164().to_string(), locale: None };
        let body: api_types::Challenge = self.post_json("/v1/sign-in/start", &request).await?;
        Ok(body.into())
    }

    /// The server texts the code from its template for `locale` (and keeps that language for
    /// the challenge's resends).
    async fn start_in(&self, phone: &PhoneNumber, locale: &str) -> Result<Challenge, AuthError> {
        let request = StartRequest { phone: phone.e164().to_string(), locale: Some(locale.to_string()) };
        let body: api_types::Challenge = self.post_json("/v1/sign-in/start", &request).await?;
        Ok(body.into())
    }

    async fn resend(&self, challenge_id: &str) -> Result<Challenge, AuthError> {
        self.resend_by(challenge_id, Channel::Sms).await
    }

    /// The server texts the new code, or calls and reads it out (`"channel": "voice"`).
    async fn resend_by(&self, challenge_id: &str, channel: Channel) -> Result<Challenge, AuthError> {
        let request = ResendRequest { challenge_id: challenge_id.to_string(), channel };
        let body: api_types::Challenge = self.post_json("/v1/sign-in/resend", &request).await?;
        Ok(body.into())
    }

    fn offers_voice(&self) -> bool {
        true
    }

    async fn verify(&self, challenge_id: &str, code: &OtpCode) -> Result<Grant, AuthError> {
        let request = VerifyRequest { challenge_id: challenge_id.to_string(), code: code.clone() };
        self.grant("/v1/sign-in/verify", &request).await
    }

    fn takes_passes(&self) -> bool {
        true
    }

    async fn sign_in_with_pass(&self, phone: &PhoneNumber, pass: &AccessPass) -> Result<Grant, AuthError> {
        let request = PassRequest { phone: phone.e164().to_string(), pass: pass.clone() };
        self.grant("/v1/sign-in/pass", &request).await
    }

    /// `POST /v1/passes` with the manager's token.
    async fn issue_pass(&self, manager: &Tokens, worker: &PhoneNumber) -> Result<IssuedPass, AuthError> {
        let request = IssuePassRequest { phone: worker.e164().to_string() };
        let response = self
            .client()?
            .post(self.url("/v1/passes"))
            .bearer_auth(manager.access.expose())
            .json(&request)
            .send()
            .await
            .map_err(transport_error)?;
        let body: api_types::IssuedPass = read(response).await?;
        Ok(IssuedPass { pass: body.pass, expires_in: Duration::from_secs(body.expires_in), user: body.user.into() })
    }

    fn rechecks_tokens(&self) -> bool {
        true
    }

    /// `GET /v1/me` with the token: 200 while it holds, 401 once revoked or expired.
    async fn still_valid(&self, tokens: &Tokens) -> Result<TokenState, AuthError> {
        let response = self
            .client()?
            .get(self.url("/v1/me"))
            .bearer_auth(tokens.access.expose())
            .send()
            .await
            .map_err(transport_error)?;
        match whole(response).await? {
            s if s.is_success() => Ok(TokenState::Valid),
            StatusCode::UNAUTHORIZED => Ok(TokenState::Ended),
            s if s.is_server_error() => Err(AuthError::Unreachable),
            s => Err(AuthError::Protocol(format!("/v1/me answered {s}"))),
        }
    }

    async fn sign_out(&self, tokens: &Tokens) -> Result<SignedOut, AuthError> {
        let token = &tokens.access;
        let response = self
            .client()?
            .post(self.url("/v1/sign-out"))
            .bearer_auth(token.expose())
            .send()
            .await
            .map_err(transport_error)?;
        match whole(response).await? {
            s if s.is_success() => Ok(SignedOut::Revoked),
            s if s.is_server_error() => Err(AuthError::Unreachable),
            s => Err(AuthError::Protocol(format!("sign-out answered {s}"))),
        }
    }
}
