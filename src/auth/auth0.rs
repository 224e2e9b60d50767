//! The adapter for Auth0's passwordless SMS sign-in, as a Native application (no client secret).
//!
//! Two ways to text a code (`backend.flow`): `otp-challenge` (`POST /otp/challenge` on a database
//! connection: an `auth_session` for every number, known or not) and `passwordless` (the classic
//! `POST /passwordless/start` on an `sms` connection). Both verify at `POST /oauth/token` with the
//! passwordless OTP grant; who signed in, and their roles, come only from the ID token, checked
//! against the tenant's JWKS. Sign-out revokes the refresh token (`POST /oauth/revoke`).
//!
//! Auth0 says neither how many tries are left nor, reliably, that a code expired: it kills a code
//! after 3 wrong tries and when its lifetime is over, so this adapter counts both itself.
//! Never: put a code, a token, an `auth_session`, a full number or Auth0's free-text
//! `error_description` (an SMS provider's message can hold the number) in an error or a log line.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::Rng;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use reqwest::{StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::jwt::{self, IdTokenVerifier};
use super::{
    AuthBackend, AuthError, BuildError, Challenge, Channel, Grant, Problem, SignedInUser, SignedOut, Tokens, http,
};
use crate::config::{Auth0Flow, BackendConfig};
use crate::phone::PhoneNumber;
use crate::secret::{AccessToken, OtpCode, RefreshToken};

/// Auth0's default OTP expiry. The tenant can change it, and the kiosk can't read it.
const CODE_LIFETIME: Duration = Duration::from_secs(180);
/// Auth0 invalidates a code after this many wrong tries.
const MAX_TRIES: u32 = 3;
/// Auth0 has no resend cooldown of its own; every start spends one of the store's 50 an hour.
const RESEND_AFTER: Duration = Duration::from_secs(60);
/// Challenges kept for a resend after their code died; a kiosk has one or two at a time.
const KEEP_PENDING: Duration = Duration::from_secs(15 * 60);
const MAX_PENDING: usize = 64;
const OTP_GRANT: &str = "http://auth0.com/oauth/grant-type/passwordless/otp";
pub const DEFAULT_SCOPE: &str = "openid profile offline_access";
pub const DEFAULT_SMS_CONNECTION: &str = "sms";
/// A 429 that names no wait.
const RATE_LIMIT_FALLBACK: Duration = Duration::from_secs(60);
/// Brute-force protection or a block names no wait; a new code every minute would only add to it.
const BLOCKED_FALLBACK: Duration = Duration::from_secs(15 * 60);
/// check-config's probe: 16 digits, longer than any E.164 number, so Auth0 can text nobody.
const PROBE_NUMBER: &str = "+0000000000000000";
/// What the kiosk shows for a number Auth0 refuses as malformed.
const REFUSED_NUMBER: &str = "The sign-in service can't text this number — check it and try again";

#[derive(Clone)]
pub struct Auth0Backend {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    /// The tenant's domain, without a trailing slash (`https://TENANT.auth0.com`).
    base: String,
    client_id: String,
    flow: Flow,
    audience: Option<String>,
    scope: String,
    roles_claim: Option<String>,
    code_length: usize,
    code_lifetime: Duration,
    verifier: IdTokenVerifier,
    pending: Mutex<HashMap<String, Pending>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Flow {
    /// `/otp/challenge` on this database connection.
    OtpChallenge { connection: String },
    /// `/passwordless/start` on this SMS connection (the `realm` at `/oauth/token`).
    Passwordless { connection: String },
}

impl Flow {
    fn connection(&self) -> &str {
        match self {
            Flow::OtpChallenge { connection } | Flow::Passwordless { connection } => connection,
        }
    }
}

/// One code sent (or, for a number Auth0 refused, seemingly sent).
struct Pending {
    phone: PhoneNumber,
    /// `otp-challenge`'s handle for the code; the classic flow names the number instead.
    auth_session: Option<SecretString>,
    started: Instant,
    wrong: u32,
    /// The worker's language, for the text (`x-request-language`); resends keep it.
    language: Option<String>,
}

/// What a start got from Auth0.
struct Sent {
    auth_session: Option<SecretString>,
}

/// An error answer's fields. `error_description` is only matched, never repeated: it may hold
/// the number (an SMS provider's message) and is Auth0's wording, not ours.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default, alias = "message")]
    error_description: String,
    #[serde(default)]
    validation_errors: Option<Value>,
}

impl ErrorBody {
    /// The error code, if it looks like one (safe to repeat in a message).
    fn code(&self) -> &str {
        let plain =
            self.error.len() <= 40 && self.error.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if plain { &self.error } else { "" }
    }

    fn mentions(&self, words: &[&str]) -> bool {
        let text = format!("{} {}", self.error, self.error_description).to_ascii_lowercase();
        words.iter().any(|word| text.contains(word))
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: AccessToken,
    #[serde(default, deserialize_with = "optional_secret")]
    id_token: Option<SecretString>,
    refresh_token: Option<RefreshToken>,
    expires_in: Option<u64>,
}

/// A secret string field (secrecy's own serde support is not enabled).
fn optional_secret<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<SecretString>, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.map(SecretString::from))
}

/// What a wrong answer at `/oauth/token` means for the challenge.
#[derive(Debug, PartialEq, Eq)]
enum TokenRefusal {
    /// A wrong code (or one Auth0 already killed): counts as a try.
    WrongCode,
    Error(AuthError),
}

impl Auth0Backend {
    pub fn new(config: &BackendConfig) -> Result<Self, BuildError> {
        let base = tenant_base(&config.url)?;
        let client_id = config.client_id.clone().unwrap_or_default();
        if client_id.trim().is_empty() {
            return Err(BuildError::Invalid(
                "backend.client_id: give the Client ID of the Auth0 Native application".into(),
            ));
        }
        let connection = config.connection.clone().filter(|c| !c.trim().is_empty());
        let flow = match config.flow {
            Auth0Flow::OtpChallenge => Flow::OtpChallenge {
                connection: connection.ok_or_else(|| {
                    BuildError::Invalid(
                        "backend.connection: name the database connection that has Phone OTP \
                         (required with flow = \"otp-challenge\")"
                            .into(),
                    )
                })?,
            },
            Auth0Flow::Passwordless => {
                Flow::Passwordless { connection: connection.unwrap_or_else(|| DEFAULT_SMS_CONNECTION.into()) }
            }
        };
        let scope = config.scope.clone().unwrap_or_else(|| DEFAULT_SCOPE.into());
        if !scope.split_whitespace().any(|s| s == "openid") {
            return Err(BuildError::Invalid(format!(
                "backend.scope {scope:?} must include openid: identity is only read from the ID token"
            )));
        }
        let client = http::client(config)?;
        let verifier = IdTokenVerifier::new(
            client.clone(),
            format!("{base}/.well-known/jwks.json"),
            format!("{base}/"),
            vec![client_id.clone()],
        );
        Ok(Auth0Backend {
            inner: Arc::new(Inner {
                client,
                base,
                client_id,
                flow,
                audience: config.audience.clone().filter(|a| !a.is_empty()),
                scope,
                roles_claim: config.roles_claim.clone().filter(|c| !c.is_empty()),
                code_length: config.code_length_or(6),
                code_lifetime: CODE_LIFETIME,
                verifier,
                pending: Mutex::new(HashMap::new()),
            }),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.base)
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        self.inner.pending.lock().expect("the challenge map is never poisoned")
    }

    /// Keeps a new challenge, forgetting old ones (and the oldest past the bound); its id.
    fn remember(&self, pending: Pending) -> String {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        let id = bytes.iter().fold(String::with_capacity(32), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        });
        let mut map = self.pending();
        map.retain(|_, p| p.started.elapsed() < KEEP_PENDING);
        while map.len() >= MAX_PENDING {
            let oldest = map.iter().min_by_key(|(_, p)| p.started).map(|(id, _)| id.clone());
            let Some(oldest) = oldest else { break };
            map.remove(&oldest);
        }
        map.insert(id.clone(), pending);
        id
    }

    fn challenge(&self, id: String) -> Challenge {
        Challenge {
            id,
            code_length: self.inner.code_length,
            expires_in: self.inner.code_lifetime,
            resend_after: RESEND_AFTER,
        }
    }

    /// The start request for `phone_number`, the code sent by `channel` (a call only with
    /// otp-challenge: `offers_voice`): its path and JSON body.
    fn start_request(&self, phone_number: &str, channel: Channel) -> (&'static str, Value) {
        let inner = &self.inner;
        let body = match &inner.flow {
            Flow::OtpChallenge { connection } => json!({
                "connection": connection,
                "client_id": inner.client_id,
                "phone_number": phone_number,
                "allow_signup": false,
                "delivery_method": match channel {
                    Channel::Sms => "text",
                    Channel::Voice => "voice",
                },
            }),
            Flow::Passwordless { connection } => json!({
                "client_id": inner.client_id,
                "connection": connection,
                "phone_number": phone_number,
                "send": "code",
            }),
        };
        (start_path(&inner.flow), body)
    }

    /// Asks Auth0 to text a code to `phone`.
    async fn send_code(
        &self,
        phone: &PhoneNumber,
        language: Option<&str>,
        channel: Channel,
    ) -> Result<Sent, AuthError> {
        let inner = &self.inner;
        let (path, body) = self.start_request(phone.e164(), channel);
        let mut request = inner.client.post(self.url(path)).json(&body);
        // Auth0 picks the SMS template's language by this header.
        if let Some(language) = language {
            request = request.header("x-request-language", language);
        }
        let response = request.send().await.map_err(http::unreachable)?;
        let status = response.status();
        let headers = response.headers().clone();
        if status.is_success() {
            return match inner.flow {
                Flow::OtpChallenge { .. } => {
                    #[derive(Deserialize)]
                    struct Session {
                        #[serde(deserialize_with = "optional_secret")]
                        auth_session: Option<SecretString>,
                    }
                    let session = response.json::<Session>().await.ok().and_then(|s| s.auth_session);
                    let session = session
                        .ok_or_else(|| AuthError::Protocol("/otp/challenge answered without an auth_session".into()))?;
                    Ok(Sent { auth_session: Some(session) })
                }
                // The body is not documented; nothing in it is needed.
                Flow::Passwordless { .. } => Ok(Sent { auth_session: None }),
            };
        }
        let body = response.json::<ErrorBody>().await.unwrap_or_default();
        match start_refusal(&inner.flow, status, &body, rate_limit_wait(&headers, RATE_LIMIT_FALLBACK)) {
            StartRefusal::NotAUser => {
                // Sign-ups are off and the number has no account: the screens go on as if a
                // code went out; its verify fails like a wrong code (Auth0 answers it so).
                tracing::debug!(phone = %phone.masked(), "Auth0 has no account for the number");
                Ok(Sent { auth_session: None })
            }
            StartRefusal::Error(err) => Err(err),
        }
    }

    /// `pairs` form-encoded (as Auth0's OAuth endpoints take them) to `path`.
    async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> Result<reqwest::Response, AuthError> {
        let body = form(pairs);
        self.inner
            .client
            .post(self.url(path))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.as_bytes().to_vec())
            .send()
            .await
            .map_err(http::unreachable)
    }

    /// The code form's code, at `/oauth/token`.
    async fn exchange(
        &self,
        pending: &PendingView,
        code: &OtpCode,
    ) -> Result<Result<TokenResponse, TokenRefusal>, AuthError> {
        let inner = &self.inner;
        let mut pairs: Vec<(&str, &str)> =
            vec![("grant_type", OTP_GRANT), ("client_id", &inner.client_id), ("otp", code.expose())];
        match (&inner.flow, &pending.auth_session) {
            (Flow::OtpChallenge { .. }, Some(session)) => pairs.push(("auth_session", session.expose_secret())),
            // otp-challenge always has a session; the classic flow names the number.
            (flow, _) => pairs.extend([("username", pending.phone.e164()), ("realm", flow.connection())]),
        }
        pairs.push(("scope", &inner.scope));
        if let Some(audience) = &inner.audience {
            pairs.push(("audience", audience));
        }
        let response = self.post_form("/oauth/token", &pairs).await?;
        let status = response.status();
        if status.is_success() {
            let tokens = response
                .json::<TokenResponse>()
                .await
                .map_err(|_| AuthError::Protocol("/oauth/token answered without an access token".into()))?;
            return Ok(Ok(tokens));
        }
        let wait = rate_limit_wait(response.headers(), RATE_LIMIT_FALLBACK);
        let body = response.json::<ErrorBody>().await.unwrap_or_default();
        Ok(Err(token_refusal(status, &body, wait)))
    }

    /// The signed-in person, from a verified ID token only.
    async fn user(&self, id_token: Option<&SecretString>, phone: &PhoneNumber) -> Result<SignedInUser, AuthError> {
        let Some(id_token) = id_token else {
            return Err(AuthError::Untrusted("Auth0 sent no ID token (backend.scope must include openid)".into()));
        };
        let claims = self.inner.verifier.verify(id_token.expose_secret()).await?;
        let id = claims.get("sub").and_then(Value::as_str).unwrap_or_default().to_string();
        let roles = self.inner.roles_claim.as_deref().map(|claim| jwt::roles(&claims, claim)).unwrap_or_default();
        Ok(SignedInUser { display_name: jwt::display_name(&claims, &phone.masked()), id, roles })
    }

    /// Counts a wrong try on the challenge: tries left, or too many.
    fn wrong_try(&self, challenge_id: &str) -> AuthError {
        let mut map = self.pending();
        let Some(pending) = map.get_mut(challenge_id) else { return AuthError::Expired };
        pending.wrong = (pending.wrong + 1).min(MAX_TRIES);
        match MAX_TRIES - pending.wrong {
            0 => AuthError::TooManyAttempts,
            left => AuthError::InvalidCode { attempts_left: left },
        }
    }

    async fn revoke(&self, refresh: &RefreshToken) -> Result<SignedOut, AuthError> {
        let pairs = [("client_id", self.inner.client_id.as_str()), ("token", refresh.expose())];
        let response = self.post_form("/oauth/revoke", &pairs).await?;
        let status = response.status();
        if status.is_success() {
            return Ok(SignedOut::Revoked);
        }
        let wait = rate_limit_wait(response.headers(), RATE_LIMIT_FALLBACK);
        let body = response.json::<ErrorBody>().await.unwrap_or_default();
        Err(match status {
            StatusCode::TOO_MANY_REQUESTS => AuthError::RateLimited { retry_after: wait },
            s if s.is_server_error() => AuthError::Unreachable,
            s => AuthError::Protocol(format!(
                "/oauth/revoke answered {s} {} (the application needs Token Endpoint Authentication Method \
                 \"None\" and the Refresh Token grant)",
                body.code()
            )),
        })
    }

    /// check-config's probe of the client id and connection: a start for a number no one can
    /// have, which Auth0 refuses before it texts anything.
    async fn probe_start(&self) -> Option<Problem> {
        let inner = &self.inner;
        let (path, body) = self.start_request(PROBE_NUMBER, Channel::Sms);
        let url = self.url(path);
        let response = match inner.client.post(&url).json(&body).send().await {
            Ok(response) => response,
            Err(err) => {
                return Some(Problem::error(
                    format!("can't reach {url}: {err}"),
                    "check backend.url, and that this machine reaches the tenant",
                ));
            }
        };
        let status = response.status();
        let body = response.json::<ErrorBody>().await.unwrap_or_default();
        probe_verdict(&inner.flow, &inner.client_id, status, &body)
    }
}

/// What a challenge needs at verify, copied out of the map (no lock across a request).
struct PendingView {
    phone: PhoneNumber,
    auth_session: Option<SecretString>,
}

/// `backend.url` as the tenant's base: http(s), a host, no path beyond `/`, no trailing slash.
fn tenant_base(url: &str) -> Result<String, BuildError> {
    let parsed = Url::parse(url).map_err(|e| BuildError::Invalid(format!("backend.url {url:?}: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(BuildError::Invalid(format!("backend.url {url:?}: give the tenant as https://TENANT.auth0.com")));
    }
    if parsed.path() != "/" || parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(BuildError::Invalid(format!(
            "backend.url {url:?}: give the tenant's domain only (https://TENANT.auth0.com), without a path"
        )));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

/// Why a start didn't text a code.
#[derive(Debug, PartialEq, Eq)]
enum StartRefusal {
    /// The classic flow with "Disable Sign Ups" on, for a number without an account.
    NotAUser,
    Error(AuthError),
}

fn start_refusal(flow: &Flow, status: StatusCode, body: &ErrorBody, wait: Duration) -> StartRefusal {
    let classic = matches!(flow, Flow::Passwordless { .. });
    let code = body.code();
    StartRefusal::Error(match code {
        // The per-address limit (50 starts an hour): the store's kiosks share it.
        _ if status == StatusCode::TOO_MANY_REQUESTS || code == "too_many_requests" => {
            AuthError::StoreRateLimited { retry_after: wait }
        }
        _ if status.is_server_error() => AuthError::Unreachable,
        "bad.phone_number" => AuthError::InvalidPhone(REFUSED_NUMBER.into()),
        "invalid_request" if body.mentions(&["phone"]) => AuthError::InvalidPhone(REFUSED_NUMBER.into()),
        "bad.client_id" | "invalid_client" => client_id_error(),
        _ if status == StatusCode::UNAUTHORIZED => client_id_error(),
        "bad.connection" | "invalid_connection" => {
            AuthError::Protocol(format!("Auth0 has no usable connection {:?} (backend.connection)", flow.connection()))
        }
        "unauthorized_client" => AuthError::Protocol(
            "the Auth0 application may not use the Passwordless OTP grant (enable it, as a Native application)".into(),
        ),
        "sms_provider_error" => AuthError::Protocol("Auth0's SMS provider failed to send the code".into()),
        // Not documented: what a disabled sign-up looks like. Any refusal naming sign-up or a
        // missing user is taken for it, so an unknown number looks like a known one.
        _ if classic && status.is_client_error() && signup_refused(body) => return StartRefusal::NotAUser,
        _ => AuthError::Protocol(format!("{} answered {status} {code}", start_path(flow))),
    })
}

fn start_path(flow: &Flow) -> &'static str {
    match flow {
        Flow::OtpChallenge { .. } => "/otp/challenge",
        Flow::Passwordless { .. } => "/passwordless/start",
    }
}

fn signup_refused(body: &ErrorBody) -> bool {
    body.mentions(&["signup", "sign up", "sign-up", "sign_up", "user does not exist", "user not found", "not_found"])
}

fn client_id_error() -> AuthError {
    AuthError::Protocol("Auth0 doesn't know backend.client_id (or the application needs a client secret)".into())
}

/// A description that says only that the code (or session) expired: "wrong or expired" says
/// nothing either way and counts as a wrong try.
fn says_expired(body: &ErrorBody) -> bool {
    let text = body.error_description.to_ascii_lowercase();
    text.contains("expired") && !text.contains("or expired") && !text.contains("wrong")
}

fn token_refusal(status: StatusCode, body: &ErrorBody, wait: Duration) -> TokenRefusal {
    let code = body.code();
    TokenRefusal::Error(match code {
        _ if status == StatusCode::TOO_MANY_REQUESTS || code == "too_many_requests" => {
            AuthError::RateLimited { retry_after: wait }
        }
        _ if status.is_server_error() => AuthError::Unreachable,
        // Auth0's SDKs take it for a rate limit: brute-force protection for this number.
        "too_many_attempts" => AuthError::RateLimited { retry_after: wait.max(BLOCKED_FALLBACK) },
        // A block (an administrator's, or brute-force protection): a new code won't help soon.
        "access_denied" if status == StatusCode::FORBIDDEN => AuthError::RateLimited { retry_after: BLOCKED_FALLBACK },
        "mfa_required" => AuthError::Protocol(
            "Auth0 asks for a second factor, which the kiosk can't give (exempt this application from MFA)".into(),
        ),
        "unauthorized_client" => AuthError::Protocol(
            "the Auth0 application may not use the Passwordless OTP grant (enable it, as a Native application)".into(),
        ),
        "invalid_client" => client_id_error(),
        _ if status == StatusCode::UNAUTHORIZED => client_id_error(),
        "invalid_grant" | "invalid_request" if body.validation_errors.is_none() => {
            if says_expired(body) {
                AuthError::Expired
            } else {
                return TokenRefusal::WrongCode;
            }
        }
        _ => AuthError::Protocol(format!("/oauth/token answered {status} {code}")),
    })
}

/// How long a rate limit lasts: `Retry-After`, else `X-RateLimit-Reset` (a Unix time), else `fallback`.
fn rate_limit_wait(headers: &HeaderMap, fallback: Duration) -> Duration {
    if headers.contains_key(reqwest::header::RETRY_AFTER) {
        return http::retry_after(headers, fallback);
    }
    let reset =
        headers.get("x-ratelimit-reset").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
    match reset {
        Some(reset) if reset > now => Duration::from_secs(reset - now),
        Some(_) => Duration::from_secs(1),
        None => fallback,
    }
}

fn probe_verdict(flow: &Flow, client_id: &str, status: StatusCode, body: &ErrorBody) -> Option<Problem> {
    let code = body.code();
    let app = "Auth0 Dashboard > Applications > Applications > the kiosk's Native application";
    match code {
        "bad.phone_number" => None,
        "invalid_request" if body.mentions(&["phone"]) => None,
        "bad.client_id" | "invalid_client" => Some(Problem::error(
            format!("Auth0 doesn't know backend.client_id {client_id:?}"),
            format!("set backend.client_id to the Client ID shown in {app} > Settings"),
        )),
        _ if status == StatusCode::UNAUTHORIZED => Some(Problem::error(
            format!("Auth0 refused backend.client_id {client_id:?} ({status})"),
            format!("set backend.client_id to the Client ID shown in {app} > Settings; the application must be Native"),
        )),
        "unauthorized_client" => Some(Problem::error(
            "the application may not use the Passwordless OTP grant",
            format!("in {app} > Settings > Advanced Settings > Grant Types, enable Passwordless OTP"),
        )),
        "bad.connection" | "invalid_connection" => Some(match flow {
            Flow::OtpChallenge { connection } => Problem::error(
                format!("Auth0 has no database connection {connection:?} with Phone OTP for this application"),
                "set backend.connection to the database connection's name (Authentication > Database) that has \
                 Phone OTP configured, and enable the application on its Applications tab",
            ),
            Flow::Passwordless { connection } => Problem::error(
                format!("Auth0 has no enabled SMS connection {connection:?} for this application"),
                "enable Authentication > Passwordless > SMS and this application on its Applications tab; \
                 backend.connection names it (default \"sms\")",
            ),
        }),
        _ if status == StatusCode::TOO_MANY_REQUESTS => Some(Problem::note(
            "couldn't check backend.client_id: Auth0 rate-limits this address right now (50 starts an hour)",
            "run check-config again later",
        )),
        _ if status.is_server_error() => Some(Problem::error(
            format!("{} answered {status}", start_path(flow)),
            "Auth0 had a problem; try again, and check status.auth0.com",
        )),
        _ => Some(Problem::note(
            format!(
                "couldn't tell whether Auth0 knows backend.client_id ({} answered {status} {code})",
                start_path(flow)
            ),
            "sign in once at the kiosk to be sure",
        )),
    }
}

/// `application/x-www-form-urlencoded`, in memory that is wiped afterwards (it holds the code).
fn form(pairs: &[(&str, &str)]) -> Zeroizing<String> {
    let size: usize = pairs.iter().map(|(k, v)| (k.len() + v.len()) * 3 + 2).sum();
    // Sized once: growing would leave copies behind in freed memory.
    let mut out = Zeroizing::new(String::with_capacity(size));
    for (index, (key, value)) in pairs.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        encode_into(&mut out, key);
        out.push('=');
        encode_into(&mut out, value);
    }
    out
}

fn encode_into(out: &mut String, text: &str) {
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => out.push(char::from(byte)),
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
}

impl Auth0Backend {
    /// Sends a code to `phone`, texted in `language` where Auth0 has a template for it.
    async fn begin(
        &self,
        phone: &PhoneNumber,
        language: Option<String>,
        channel: Channel,
    ) -> Result<Challenge, AuthError> {
        let sent = self.send_code(phone, language.as_deref(), channel).await?;
        let id = self.remember(Pending {
            phone: phone.clone(),
            auth_session: sent.auth_session,
            started: Instant::now(),
            wrong: 0,
            language,
        });
        Ok(self.challenge(id))
    }
}

impl AuthBackend for Auth0Backend {
    async fn start(&self, phone: &PhoneNumber) -> Result<Challenge, AuthError> {
        self.begin(phone, None, Channel::Sms).await
    }

    async fn start_in(&self, phone: &PhoneNumber, locale: &str) -> Result<Challenge, AuthError> {
        self.begin(phone, Some(locale.to_string()), Channel::Sms).await
    }

    /// Starts again: a new code (Auth0 keeps only the latest), a new challenge, tries anew.
    async fn resend(&self, challenge_id: &str) -> Result<Challenge, AuthError> {
        self.resend_by(challenge_id, Channel::Sms).await
    }

    /// `resend`, the code read out in a call where asked: `delivery_method: "voice"`.
    async fn resend_by(&self, challenge_id: &str, channel: Channel) -> Result<Challenge, AuthError> {
        if channel == Channel::Voice && !self.offers_voice() {
            return Err(AuthError::Protocol("the passwordless flow can't call with a code".into()));
        }
        let pending = self.pending().get(challenge_id).map(|p| (p.phone.clone(), p.language.clone()));
        let Some((phone, language)) = pending else { return Err(AuthError::Expired) };
        let challenge = self.begin(&phone, language, channel).await?;
        self.pending().remove(challenge_id);
        Ok(challenge)
    }

    /// Only `/otp/challenge` takes a `delivery_method`; the classic flow's `sms` connection texts.
    fn offers_voice(&self) -> bool {
        matches!(self.inner.flow, Flow::OtpChallenge { .. })
    }

    async fn verify(&self, challenge_id: &str, code: &OtpCode) -> Result<Grant, AuthError> {
        let view = {
            let map = self.pending();
            let Some(pending) = map.get(challenge_id) else { return Err(AuthError::Expired) };
            // Auth0 has killed the code already: no request could succeed.
            if pending.wrong >= MAX_TRIES {
                return Err(AuthError::TooManyAttempts);
            }
            if pending.started.elapsed() >= self.inner.code_lifetime {
                return Err(AuthError::Expired);
            }
            PendingView { phone: pending.phone.clone(), auth_session: pending.auth_session.clone() }
        };
        let tokens = match self.exchange(&view, code).await? {
            Ok(tokens) => tokens,
            Err(TokenRefusal::WrongCode) => return Err(self.wrong_try(challenge_id)),
            Err(TokenRefusal::Error(err)) => return Err(err),
        };
        // The code is used up, whatever the token says.
        self.pending().remove(challenge_id);
        let user = match self.user(tokens.id_token.as_ref(), &view.phone).await {
            Ok(user) => user,
            Err(err) => {
                // Not believed, so not used: end the refresh token it came with.
                if let Some(refresh) = &tokens.refresh_token {
                    let _ = self.revoke(refresh).await;
                }
                return Err(err);
            }
        };
        Ok(Grant {
            tokens: Tokens { access: tokens.access_token, refresh: tokens.refresh_token },
            expires_in: Duration::from_secs(tokens.expires_in.unwrap_or(3600)),
            user,
        })
    }

    /// Revokes the refresh token. Auth0 can't revoke its access tokens (they run out): without a
    /// refresh token (no `offline_access`) there is nothing to end there.
    async fn sign_out(&self, tokens: &Tokens) -> Result<SignedOut, AuthError> {
        match &tokens.refresh {
            Some(refresh) => self.revoke(refresh).await,
            None => Ok(SignedOut::NotOffered),
        }
    }

    async fn healthy(&self) -> bool {
        let url = self.url("/.well-known/openid-configuration");
        matches!(self.inner.client.get(url).send().await, Ok(r) if r.status().is_success())
    }

    async fn check(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let inner = &self.inner;
        let discovery = self.url("/.well-known/openid-configuration");
        let tenant = "backend.url is the tenant's domain: https://TENANT.auth0.com (with its region, e.g. \
                      TENANT.eu.auth0.com) or its custom domain";
        match inner.client.get(&discovery).send().await {
            Err(err) => {
                problems.push(Problem::error(
                    format!("can't reach Auth0 at {}: {err}", inner.base),
                    format!("check backend.url ({tenant}) and that this machine reaches it"),
                ));
                return problems;
            }
            Ok(response) if !response.status().is_success() => {
                problems.push(Problem::error(format!("{discovery} answered {}", response.status()), tenant));
            }
            Ok(response) => {
                let expected = format!("{}/", inner.base);
                match response.json::<Value>().await.ok().and_then(|v| v.get("issuer")?.as_str().map(str::to_string)) {
                    Some(issuer) if issuer == expected => {}
                    Some(issuer) => problems.push(Problem::error(
                        format!("the tenant's issuer is {issuer:?}, not {expected:?}"),
                        format!("set backend.url = {:?}", issuer.trim_end_matches('/')),
                    )),
                    None => problems.push(Problem::error(format!("{discovery} holds no issuer"), tenant)),
                }
            }
        }
        match inner.verifier.fetch_keys().await {
            Ok(0) => problems.push(Problem::error(
                format!("{} publishes no signing keys", inner.verifier.jwks_url()),
                "check backend.url: an Auth0 tenant always publishes its keys there",
            )),
            Ok(_) => {}
            Err(err) => problems.push(Problem::error(
                err.to_string(),
                "check backend.url: ID tokens are checked against the keys the tenant publishes there",
            )),
        }
        problems.extend(self.probe_start().await);
        if inner.roles_claim.is_none() {
            problems.push(Problem::note(
                "backend.roles_claim is not set: no one can open the manager screens",
                "add the roles to the ID token with a Post Login Action (a namespaced claim such as \
                 https://your-company.example/roles) and name that claim in backend.roles_claim",
            ));
        }
        if !inner.scope.split_whitespace().any(|s| s == "offline_access") {
            problems.push(Problem::note(
                "backend.scope has no offline_access: Auth0 issues no refresh token, so sign-out can end nothing \
                 there (its access tokens run until they expire)",
                format!("use backend.scope = {DEFAULT_SCOPE:?} and enable the Refresh Token grant"),
            ));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(error: &str, description: &str) -> ErrorBody {
        ErrorBody { error: error.into(), error_description: description.into(), validation_errors: None }
    }

    const WAIT: Duration = Duration::from_secs(42);
    const STATUS_400: StatusCode = StatusCode::BAD_REQUEST;
    const STATUS_403: StatusCode = StatusCode::FORBIDDEN;

    fn classic() -> Flow {
        Flow::Passwordless { connection: "sms".into() }
    }

    fn new_flow() -> Flow {
        Flow::OtpChallenge { connection: "kiosk-users".into() }
    }

    fn config(flow: Auth0Flow, connection: Option<&str>) -> BackendConfig {
        BackendConfig {
            kind: crate::config::BackendKind::Auth0,
            url: "http://127.0.0.1:9".into(),
            client_id: Some("kiosk-client".into()),
            flow,
            connection: connection.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn a_wrong_code_counts_a_try_in_either_flow() {
        let classic = body("invalid_grant", "Wrong phone number or verification code.");
        assert_eq!(token_refusal(STATUS_403, &classic, WAIT), TokenRefusal::WrongCode);
        let new = body("invalid_request", "Wrong or expired OTP");
        assert_eq!(token_refusal(STATUS_400, &new, WAIT), TokenRefusal::WrongCode);
    }

    #[test]
    fn a_code_that_only_says_it_expired_is_expired() {
        let expired = body("invalid_grant", "The verification code has expired");
        assert_eq!(token_refusal(STATUS_403, &expired, WAIT), TokenRefusal::Error(AuthError::Expired));
        let session = body("invalid_request", "The auth_session has expired.");
        assert_eq!(token_refusal(STATUS_400, &session, WAIT), TokenRefusal::Error(AuthError::Expired));
    }

    #[test]
    fn token_endpoint_limits_and_blocks_are_rate_limits() {
        let limited = token_refusal(StatusCode::TOO_MANY_REQUESTS, &body("too_many_requests", ""), WAIT);
        assert_eq!(limited, TokenRefusal::Error(AuthError::RateLimited { retry_after: WAIT }));
        let attempts = token_refusal(STATUS_403, &body("too_many_attempts", "blocked"), WAIT);
        assert_eq!(attempts, TokenRefusal::Error(AuthError::RateLimited { retry_after: BLOCKED_FALLBACK }));
        let blocked = token_refusal(STATUS_403, &body("access_denied", "user is blocked"), WAIT);
        assert_eq!(blocked, TokenRefusal::Error(AuthError::RateLimited { retry_after: BLOCKED_FALLBACK }));
    }

    #[test]
    fn token_endpoint_set_up_problems_are_protocol_errors_naming_what_to_change() {
        let unknown = token_refusal(StatusCode::UNAUTHORIZED, &body("access_denied", "Unauthorized"), WAIT);
        let TokenRefusal::Error(AuthError::Protocol(message)) = unknown else { panic!("{unknown:?}") };
        assert!(message.contains("backend.client_id"), "{message}");
        let mfa = token_refusal(STATUS_403, &body("mfa_required", ""), WAIT);
        assert!(matches!(mfa, TokenRefusal::Error(AuthError::Protocol(m)) if m.contains("MFA")));
        let bad = ErrorBody { validation_errors: Some(json!([{ "field": "otp" }])), ..body("invalid_request", "") };
        assert!(matches!(token_refusal(STATUS_400, &bad, WAIT), TokenRefusal::Error(AuthError::Protocol(_))));
        assert_eq!(
            token_refusal(StatusCode::BAD_GATEWAY, &ErrorBody::default(), WAIT),
            TokenRefusal::Error(AuthError::Unreachable)
        );
    }

    #[test]
    fn a_429_on_either_start_is_the_stores_limit() {
        for flow in [classic(), new_flow()] {
            let refusal = start_refusal(&flow, StatusCode::TOO_MANY_REQUESTS, &body("too_many_requests", ""), WAIT);
            assert_eq!(refusal, StartRefusal::Error(AuthError::StoreRateLimited { retry_after: WAIT }));
        }
    }

    #[test]
    fn a_malformed_number_is_refused_as_such_in_either_flow() {
        let classic_body = body("bad.phone_number", "String does not match pattern: ^\\+[0-9]{1,15}$");
        let new_body = body("invalid_request", "Invalid phone_number");
        for (flow, answer) in [(classic(), classic_body), (new_flow(), new_body)] {
            let refusal = start_refusal(&flow, STATUS_400, &answer, WAIT);
            assert_eq!(refusal, StartRefusal::Error(AuthError::InvalidPhone(REFUSED_NUMBER.into())));
        }
    }

    #[test]
    fn a_disabled_sign_up_is_an_unknown_number_only_in_the_classic_flow() {
        let refused = body("bad.signup", "Public signup is disabled");
        assert_eq!(start_refusal(&classic(), STATUS_400, &refused, WAIT), StartRefusal::NotAUser);
        assert!(matches!(start_refusal(&new_flow(), STATUS_400, &refused, WAIT), StartRefusal::Error(_)));
    }

    #[test]
    fn start_errors_never_repeat_auths0_description() {
        let provider = body("sms_provider_error", "The 'To' number +12065550100 is not valid (Code: 21211)");
        let StartRefusal::Error(err) = start_refusal(&classic(), STATUS_400, &provider, WAIT) else { panic!() };
        assert!(!err.to_string().contains("0100"), "{err}");
        let odd = body("weird <b>+12065550100</b>", "+12065550100");
        let StartRefusal::Error(err) = start_refusal(&new_flow(), STATUS_400, &odd, WAIT) else { panic!() };
        assert!(!err.to_string().contains("0100"), "{err}");
    }

    #[test]
    fn start_set_up_problems_name_the_key() {
        for answer in [body("bad.client_id", "Unknown client"), body("invalid_client", "")] {
            let StartRefusal::Error(AuthError::Protocol(m)) = start_refusal(&classic(), STATUS_400, &answer, WAIT)
            else {
                panic!()
            };
            assert!(m.contains("backend.client_id"), "{m}");
        }
        let refusal = start_refusal(&new_flow(), STATUS_400, &body("invalid_connection", ""), WAIT);
        assert!(matches!(refusal, StartRefusal::Error(AuthError::Protocol(m)) if m.contains("\"kiosk-users\"")));
    }

    #[test]
    fn the_probe_tells_a_wrong_client_id_from_a_refused_number() {
        let flow = classic();
        assert_eq!(probe_verdict(&flow, "c", STATUS_400, &body("bad.phone_number", "")), None);
        assert_eq!(probe_verdict(&new_flow(), "c", STATUS_400, &body("invalid_request", "phone_number")), None);
        let wrong = probe_verdict(&flow, "nope", STATUS_400, &body("bad.client_id", "")).unwrap();
        assert_eq!(wrong.severity, crate::auth::Severity::Error);
        assert!(wrong.what.contains("\"nope\"") && wrong.fix.contains("backend.client_id"), "{wrong}");
        let limited = probe_verdict(&flow, "c", StatusCode::TOO_MANY_REQUESTS, &ErrorBody::default()).unwrap();
        assert_eq!(limited.severity, crate::auth::Severity::Note);
    }

    #[test]
    fn rate_limit_waits_come_from_retry_after_then_the_reset_time() {
        let mut headers = HeaderMap::new();
        assert_eq!(rate_limit_wait(&headers, WAIT), WAIT);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        headers.insert("x-ratelimit-reset", (now + 600).to_string().parse().unwrap());
        let wait = rate_limit_wait(&headers, WAIT).as_secs();
        assert!((598..=600).contains(&wait), "{wait}");
        headers.insert(reqwest::header::RETRY_AFTER, "120".parse().unwrap());
        assert_eq!(rate_limit_wait(&headers, WAIT), Duration::from_secs(120));
    }

    #[test]
    fn forms_are_url_encoded() {
        let body = form(&[("grant_type", OTP_GRANT), ("username", "+12065550100"), ("scope", "openid profile")]);
        assert_eq!(
            body.as_str(),
            "grant_type=http%3A%2F%2Fauth0.com%2Foauth%2Fgrant-type%2Fpasswordless%2Fotp\
             &username=%2B12065550100&scope=openid+profile"
        );
    }

    #[test]
    fn config_that_cannot_work_is_refused_naming_the_key() {
        let err = Auth0Backend::new(&config(Auth0Flow::OtpChallenge, None)).err().unwrap();
        assert!(err.to_string().starts_with("backend.connection"), "{err}");
        assert!(Auth0Backend::new(&config(Auth0Flow::Passwordless, None)).is_ok(), "sms by default");
        let mut path = config(Auth0Flow::Passwordless, None);
        path.url = "https://tenant.auth0.com/oauth".into();
        assert!(Auth0Backend::new(&path).err().unwrap().to_string().starts_with("backend.url"));
        let mut scope = config(Auth0Flow::Passwordless, None);
        scope.scope = Some("profile".into());
        assert!(Auth0Backend::new(&scope).err().unwrap().to_string().starts_with("backend.scope"));
        let mut slash = config(Auth0Flow::Passwordless, None);
        slash.url = "https://tenant.auth0.com/".into();
        assert_eq!(Auth0Backend::new(&slash).unwrap().inner.base, "https://tenant.auth0.com");
    }

    fn phone() -> PhoneNumber {
        PhoneNumber::parse("+1 206 555 0100", "US").unwrap()
    }

    #[test]
    fn auth0_kills_a_code_after_three_wrong_tries_and_the_count_says_so() {
        let backend = Auth0Backend::new(&config(Auth0Flow::Passwordless, None)).unwrap();
        let id = backend.remember(Pending {
            phone: phone(),
            auth_session: None,
            started: Instant::now(),
            wrong: 0,
            language: None,
        });
        assert_eq!(backend.wrong_try(&id), AuthError::InvalidCode { attempts_left: 2 });
        assert_eq!(backend.wrong_try(&id), AuthError::InvalidCode { attempts_left: 1 });
        assert_eq!(backend.wrong_try(&id), AuthError::TooManyAttempts);
        assert_eq!(backend.wrong_try("no-such-challenge"), AuthError::Expired);
    }

    #[tokio::test]
    async fn a_dead_code_is_answered_without_asking_auth0() {
        // Nothing listens at 127.0.0.1:9: an answer other than Unreachable came from the count.
        let backend = Auth0Backend::new(&config(Auth0Flow::Passwordless, None)).unwrap();
        let code = OtpCode::new("123456");
        let spent = backend.remember(Pending {
            phone: phone(),
            auth_session: None,
            started: Instant::now(),
            wrong: 3,
            language: None,
        });
        assert_eq!(backend.verify(&spent, &code).await.unwrap_err(), AuthError::TooManyAttempts);
        let old = Instant::now().checked_sub(CODE_LIFETIME).expect("the clock is past 3 minutes");
        let expired =
            backend.remember(Pending { phone: phone(), auth_session: None, started: old, wrong: 0, language: None });
        assert_eq!(backend.verify(&expired, &code).await.unwrap_err(), AuthError::Expired);
        assert_eq!(backend.verify("unknown", &code).await.unwrap_err(), AuthError::Expired);
        let live = backend.remember(Pending {
            phone: phone(),
            auth_session: None,
            started: Instant::now(),
            wrong: 0,
            language: None,
        });
        assert_eq!(backend.verify(&live, &code).await.unwrap_err(), AuthError::Unreachable);
    }

    #[test]
    fn the_challenge_map_stays_bounded() {
        let backend = Auth0Backend::new(&config(Auth0Flow::Passwordless, None)).unwrap();
        let first = backend.remember(Pending {
            phone: phone(),
            auth_session: None,
            started: Instant::now(),
            wrong: 0,
            language: None,
        });
        for _ in 0..MAX_PENDING {
            backend.remember(Pending {
                phone: phone(),
                auth_session: None,
                started: Instant::now(),
                wrong: 0,
                language: None,
            });
        }
        let map = backend.pending();
        assert_eq!(map.len(), MAX_PENDING);
        assert!(!map.contains_key(&first), "the oldest went first");
    }
}
