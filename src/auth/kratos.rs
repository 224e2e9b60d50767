//! The adapter for Ory Kratos: its native ("API") login flow with the `code` method, the code
//! sent by SMS. Kratos answers every step with the flow itself, its UI messages saying what
//! happened — even "code sent" comes as an HTTP 400 (by design, ory/kratos #4052). Who signed in,
//! and their roles, are only read from `/sessions/whoami` asked with the fresh session token.
//! Never sends an `Origin` header or cookies: Kratos refuses API flows that carry either.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rand::Rng;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap};
use reqwest::{Client, StatusCode, Url};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use zeroize::{Zeroize, Zeroizing};

use super::{
    AuthBackend, AuthError, BuildError, Challenge, Grant, Problem, SignedInUser, SignedOut, TokenState, Tokens, http,
    jwt,
};
use crate::config::BackendConfig;
use crate::phone::PhoneNumber;
use crate::secret::{AccessToken, OtpCode};

/// Kratos's `selfservice.methods.code.config.max_submissions` default: codes a flow takes.
const MAX_SUBMISSIONS: u32 = 5;
/// Kratos has no resend limit of its own: the kiosk's pacing, as `shiftkey serve`'s cooldown.
const RESEND_AFTER: Duration = Duration::from_secs(30);
/// Kratos's default flow and code lifespan, for a flow whose times can't be read.
const DEFAULT_LIFESPAN: Duration = Duration::from_secs(3600);
/// Kratos's default session lifespan, for a session whose times can't be read.
const DEFAULT_SESSION_LIFESPAN: Duration = Duration::from_secs(24 * 3600);
/// A 429 without `Retry-After` (Kratos itself has no rate limits; a proxy or Ory Network does).
const RATE_LIMIT_FALLBACK: Duration = Duration::from_secs(60);
/// Sign-ins in progress kept at once; the oldest go first.
const MAX_PENDING: usize = 64;
const DEFAULT_ROLES_CLAIM: &str = "roles";

/// Kratos's UI message ids (`text/id.go`).
mod message {
    pub const CODE_SENT: u64 = 1010014;
    /// A generic validation message: its text is a reason ("submitted too often", "already used").
    pub const GENERIC: u64 = 4000001;
    pub const NO_CODE_USER: u64 = 4000035;
    pub const NO_STRATEGY: u64 = 4010002;
    pub const CODE_INVALID: u64 = 4010008;
}

#[derive(Clone)]
pub struct KratosBackend {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    /// The public API's base, ending in `/` so paths join under it.
    base: Url,
    roles_claim: String,
    code_length: usize,
    pending: Mutex<HashMap<String, Pending>>,
}

/// A sign-in in progress: the kiosk only ever sees its random key.
#[derive(Clone)]
struct Pending {
    phone: PhoneNumber,
    flow: String,
    /// False for a number Kratos doesn't know: every code fails like a wrong one.
    known: bool,
    /// Codes submitted on this flow (Kratos counts them; a resend doesn't reset it).
    submissions: u32,
    expires_at: Instant,
}

/// A login flow as Kratos sends it (only what the kiosk reads).
#[derive(Default, Deserialize)]
struct Flow {
    id: String,
    #[serde(default)]
    state: String,
    issued_at: Option<String>,
    expires_at: Option<String>,
    #[serde(default)]
    ui: Ui,
}

#[derive(Default, Deserialize)]
struct Ui {
    #[serde(default)]
    messages: Vec<UiMessage>,
    #[serde(default)]
    nodes: Vec<UiNode>,
}

#[derive(Default, Deserialize)]
struct UiNode {
    #[serde(default)]
    group: String,
    #[serde(default)]
    attributes: Value,
    #[serde(default)]
    messages: Vec<UiMessage>,
}

#[derive(Deserialize)]
struct UiMessage {
    id: u64,
    #[serde(default)]
    text: String,
}

impl Flow {
    fn messages(&self) -> impl Iterator<Item = &UiMessage> {
        self.ui.messages.iter().chain(self.ui.nodes.iter().flat_map(|node| node.messages.iter()))
    }

    fn has(&self, id: u64) -> bool {
        self.messages().any(|m| m.id == id)
    }

    fn has_generic(&self, reason: &str) -> bool {
        self.messages().any(|m| m.id == message::GENERIC && m.text.to_lowercase().contains(reason))
    }

    /// Whether the flow offers the `code` method (its `method` submit button in group `code`).
    fn offers_code(&self) -> bool {
        self.ui.nodes.iter().any(|node| {
            node.group == "code" && node.attributes["name"] == "method" && node.attributes["value"] == "code"
        })
    }

    fn lifespan(&self) -> Duration {
        lifespan(self.issued_at.as_deref(), self.expires_at.as_deref()).unwrap_or(DEFAULT_LIFESPAN)
    }
}

/// `expires - issued`, both Kratos's own clock (so the kiosk's clock doesn't matter).
fn lifespan(issued: Option<&str>, expires: Option<&str>) -> Option<Duration> {
    let issued: SystemTime = humantime::parse_rfc3339_weak(issued?).ok()?;
    let expires: SystemTime = humantime::parse_rfc3339_weak(expires?).ok()?;
    expires.duration_since(issued).ok()
}

/// What a POST to a login flow came to.
enum Step {
    /// A code went out (`state: sent_email`, message 1010014).
    CodeSent(Flow),
    /// No identity signs in with a code at this identifier (4000035).
    NoSuchUser,
    /// The code was wrong, expired or already used (4010008).
    WrongCode,
    /// More codes than `max_submissions` on this flow.
    SubmittedTooOften,
    /// The code was used already: only another code helps.
    CodeUsed,
    /// The flow expired (410 `self_service_flow_expired`).
    FlowExpired,
    SignedIn(LoginAnswer),
}

impl Step {
    /// What it is, for messages (a flow's nodes may hold the number: never printed).
    fn name(&self) -> &'static str {
        match self {
            Step::CodeSent(_) => "\"code sent\"",
            Step::NoSuchUser => "\"no such account\" (4000035)",
            Step::WrongCode => "\"invalid code\" (4010008)",
            Step::SubmittedTooOften => "\"submitted too often\"",
            Step::CodeUsed => "\"code already used\"",
            Step::FlowExpired => "\"flow expired\"",
            Step::SignedIn(_) => "a session",
        }
    }
}

impl std::fmt::Debug for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A successful login: the session token and the session it names.
#[derive(Deserialize)]
struct LoginAnswer {
    session_token: AccessToken,
    session: Session,
}

impl std::fmt::Debug for LoginAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginAnswer").field("session", &self.session.id).finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Session {
    id: String,
    #[serde(default)]
    active: Option<bool>,
    authenticated_at: Option<String>,
    expires_at: Option<String>,
    identity: Identity,
}

#[derive(Deserialize)]
struct Identity {
    id: String,
    #[serde(default)]
    traits: Value,
    #[serde(default)]
    metadata_public: Value,
}

/// What an answer to a login-flow POST means (pure: the unit tests drive it).
fn read_step(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Result<Step, AuthError> {
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Err(AuthError::RateLimited { retry_after: http::retry_after(headers, RATE_LIMIT_FALLBACK) });
    }
    if status.is_server_error() {
        return Err(AuthError::Unreachable);
    }
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return Err(AuthError::Protocol(format!(
            "Kratos answered {status} without JSON: is backend.url its public API?"
        )));
    };
    if status == StatusCode::GONE || json["error"]["id"] == "self_service_flow_expired" {
        return Ok(Step::FlowExpired);
    }
    if status.is_success() && json.get("session_token").is_some() {
        let answer = serde_json::from_value(json)
            .map_err(|e| AuthError::Protocol(format!("Kratos's login answer is not a session: {e}")))?;
        return Ok(Step::SignedIn(answer));
    }
    if json.get("ui").is_some() {
        let flow: Flow = serde_json::from_value(json)
            .map_err(|e| AuthError::Protocol(format!("Kratos's login flow didn't read: {e}")))?;
        return flow_step(status, flow);
    }
    Err(refusal(status, &json))
}

/// A flow answered instead of a session: its messages say why.
fn flow_step(status: StatusCode, flow: Flow) -> Result<Step, AuthError> {
    if flow.has(message::NO_CODE_USER) {
        Ok(Step::NoSuchUser)
    } else if flow.has(message::CODE_INVALID) {
        Ok(Step::WrongCode)
    } else if flow.has_generic("submitted too often") {
        Ok(Step::SubmittedTooOften)
    } else if flow.has_generic("already used") {
        Ok(Step::CodeUsed)
    } else if flow.state == "sent_email" || flow.has(message::CODE_SENT) {
        Ok(Step::CodeSent(flow))
    } else if flow.has(message::NO_STRATEGY) {
        Err(AuthError::Protocol(
            "Kratos doesn't offer sign-in by code: enable selfservice.methods.code.passwordless_enabled".into(),
        ))
    } else {
        // Ids only: a message's text may quote what was sent (the number).
        let ids: Vec<String> = flow.messages().map(|m| m.id.to_string()).collect();
        Err(AuthError::Protocol(format!("Kratos answered {status} with messages [{}]", ids.join(", "))))
    }
}

/// A Kratos error body (`{"error": {id, code, reason}}`) as an `AuthError`.
fn refusal(status: StatusCode, json: &Value) -> AuthError {
    let error = &json["error"];
    let id = http::text(error, "id");
    if id == "security_csrf_violation" || http::text(error, "reason").contains("Origin") {
        return AuthError::Protocol("Kratos took the request for a browser's (an Origin header or cookies)".into());
    }
    let what = if id.is_empty() { http::text(error, "status") } else { id };
    AuthError::Protocol(format!("Kratos answered {status} {what}"))
}

/// A display name from an identity's traits: `name` as a string or `{first, last}`.
fn display_name(traits: &Value, fallback: &str) -> String {
    let mut claims = Map::new();
    match &traits["name"] {
        Value::String(name) => {
            claims.insert("name".into(), json!(name));
        }
        Value::Object(parts) => {
            claims.insert("given_name".into(), parts.get("first").cloned().unwrap_or(Value::Null));
            claims.insert("family_name".into(), parts.get("last").cloned().unwrap_or(Value::Null));
        }
        _ => {}
    }
    jwt::display_name(&claims, fallback)
}

/// The roles in `metadata_public[claim]`.
fn roles(metadata_public: &Value, claim: &str) -> Vec<String> {
    metadata_public.as_object().map(|metadata| jwt::roles(metadata, claim)).unwrap_or_default()
}

/// The identity a whoami answer names, if it is the session the login just returned.
fn confirm(login: &Session, whoami: Session) -> Result<Identity, AuthError> {
    if whoami.active == Some(false) {
        return Err(AuthError::Untrusted("Kratos says the new session is not active".into()));
    }
    if whoami.id != login.id || whoami.identity.id != login.identity.id {
        return Err(AuthError::Untrusted(
            "Kratos's whoami names another session or identity than the login returned".into(),
        ));
    }
    Ok(whoami.identity)
}

/// A wrong code (or any code for an unknown number) as the `submissions`-th on its flow.
fn after_wrong_code(submissions: u32) -> AuthError {
    if submissions > MAX_SUBMISSIONS {
        AuthError::TooManyAttempts
    } else {
        AuthError::InvalidCode { attempts_left: MAX_SUBMISSIONS - submissions }
    }
}

/// Whether tokens to `base` would cross a network unencrypted (plain http, not loopback).
fn in_clear(base: &Url) -> bool {
    let host = base.host_str().unwrap_or_default();
    let ip = host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>();
    let loopback = host == "localhost" || ip.is_ok_and(|ip| ip.is_loopback());
    base.scheme() == "http" && !loopback
}

fn new_key() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl KratosBackend {
    pub fn new(config: &BackendConfig) -> Result<Self, BuildError> {
        let mut base = Url::parse(&config.url)
            .map_err(|e| BuildError::Invalid(format!("backend.url {:?} is not a URL: {e}", config.url)))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(BuildError::Invalid(format!(
                "backend.url {:?}: give Kratos's public API as http(s)://…",
                config.url
            )));
        }
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let roles_claim = config.roles_claim.clone().unwrap_or_else(|| DEFAULT_ROLES_CLAIM.into());
        if roles_claim.trim().is_empty() {
            return Err(BuildError::Invalid("backend.roles_claim must name a key of metadata_public".into()));
        }
        Ok(KratosBackend {
            inner: Arc::new(Inner {
                client: http::client(config)?,
                base,
                roles_claim,
                code_length: config.code_length_or(6),
                pending: Mutex::default(),
            }),
        })
    }

    fn url(&self, path: &str) -> Url {
        self.inner.base.join(path).expect("static paths join onto a base URL")
    }

    fn flow_url(&self, flow: &str) -> Url {
        let mut url = self.url("self-service/login");
        url.query_pairs_mut().append_pair("flow", flow);
        url
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        self.inner.pending.lock().expect("the pending sign-ins are never poisoned")
    }

    /// A new native login flow (`GET /self-service/login/api`).
    async fn create_flow(&self) -> Result<Flow, AuthError> {
        let response = self
            .inner
            .client
            .get(self.url("self-service/login/api"))
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(http::unreachable)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(http::unreachable)?;
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(AuthError::RateLimited { retry_after: http::retry_after(&headers, RATE_LIMIT_FALLBACK) });
        }
        if status.is_server_error() {
            return Err(AuthError::Unreachable);
        }
        match serde_json::from_slice::<Flow>(&body) {
            Ok(flow) if status.is_success() && !flow.id.is_empty() => Ok(flow),
            _ => Err(AuthError::Protocol(format!("GET self-service/login/api answered {status}, not a login flow"))),
        }
    }

    /// POSTs `body` to the flow. Serialized here, so the copy holding a code is zeroized.
    async fn post_flow(&self, flow: &str, body: &Value) -> Result<Step, AuthError> {
        let bytes = Zeroizing::new(serde_json::to_vec(body).expect("JSON values serialize"));
        let response = self
            .inner
            .client
            .post(self.flow_url(flow))
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/json")
            .body(bytes.to_vec())
            .send()
            .await
            .map_err(http::unreachable)?;
        let status = response.status();
        let headers = response.headers().clone();
        let answer = Zeroizing::new(response.bytes().await.map_err(http::unreachable)?.to_vec());
        read_step(status, &headers, &answer)
    }

    /// Asks for a code on `flow` (a resend when `resend`); known or not, per Kratos.
    async fn send_code(&self, flow: &str, phone: &PhoneNumber, resend: bool) -> Result<Option<Flow>, AuthError> {
        let mut body = json!({ "method": "code", "identifier": phone.e164(), "csrf_token": "" });
        if resend {
            body["resend"] = json!("code");
        }
        match self.post_flow(flow, &body).await? {
            Step::CodeSent(flow) => Ok(Some(flow)),
            Step::NoSuchUser => Ok(None),
            Step::FlowExpired => Err(AuthError::Expired),
            other => Err(AuthError::Protocol(format!("Kratos answered a request for a code with {}", other.name()))),
        }
    }

    /// A new flow and a code on it: the challenge the kiosk gets, under `key`.
    async fn open(&self, key: String, phone: &PhoneNumber) -> Result<Challenge, AuthError> {
        let flow = self.create_flow().await?;
        let known = match self.send_code(&flow.id, phone, false).await {
            Err(AuthError::Expired) => {
                return Err(AuthError::Protocol(
                    "a new login flow had expired already: check Kratos's clock and selfservice.flows.login.lifespan"
                        .into(),
                ));
            }
            other => other?.is_some(),
        };
        let lifespan = flow.lifespan();
        let pending = Pending {
            phone: phone.clone(),
            flow: flow.id,
            known,
            submissions: 0,
            expires_at: Instant::now() + lifespan,
        };
        self.remember(key.clone(), pending);
        Ok(self.challenge(key, lifespan))
    }

    fn challenge(&self, key: String, expires_in: Duration) -> Challenge {
        Challenge { id: key, code_length: self.inner.code_length, expires_in, resend_after: RESEND_AFTER }
    }

    /// Keeps a sign-in in progress: the expired ones go, then the oldest past the bound.
    fn remember(&self, key: String, pending: Pending) {
        let mut map = self.pending();
        let now = Instant::now();
        map.retain(|_, p| p.expires_at > now);
        while map.len() >= MAX_PENDING {
            let Some(oldest) = map.iter().min_by_key(|(_, p)| p.expires_at).map(|(k, _)| k.clone()) else { break };
            map.remove(&oldest);
        }
        map.insert(key, pending);
    }

    fn lookup(&self, key: &str) -> Option<Pending> {
        self.pending().get(key).cloned()
    }

    /// One more code was counted on `key`'s flow; how many now.
    fn count_submission(&self, key: &str) -> u32 {
        let mut map = self.pending();
        map.get_mut(key)
            .map(|p| {
                p.submissions += 1;
                p.submissions
            })
            .unwrap_or(MAX_SUBMISSIONS)
    }

    /// Who the session token belongs to, asked of Kratos itself with that token.
    async fn whoami(&self, token: &AccessToken) -> Result<Session, AuthError> {
        let response = self
            .inner
            .client
            .get(self.url("sessions/whoami"))
            .header(ACCEPT, "application/json")
            .header("X-Session-Token", token.expose())
            .send()
            .await
            .map_err(http::unreachable)?;
        let status = response.status();
        if status.is_server_error() {
            return Err(AuthError::Unreachable);
        }
        if !status.is_success() {
            return Err(AuthError::Untrusted(format!(
                "Kratos's whoami refused the session token it just issued ({status})"
            )));
        }
        response
            .json::<Session>()
            .await
            .map_err(|e| AuthError::Untrusted(format!("Kratos's whoami answer didn't read: {e}")))
    }

    /// The grant for a login, once whoami confirms it.
    async fn grant(&self, login: LoginAnswer, phone: &PhoneNumber) -> Result<Grant, AuthError> {
        let whoami = self.whoami(&login.session_token).await?;
        let expires_in = lifespan(whoami.authenticated_at.as_deref(), whoami.expires_at.as_deref())
            .unwrap_or(DEFAULT_SESSION_LIFESPAN);
        let identity = confirm(&login.session, whoami)?;
        let user = SignedInUser {
            display_name: display_name(&identity.traits, &phone.masked()),
            roles: roles(&identity.metadata_public, &self.inner.roles_claim),
            id: identity.id,
        };
        Ok(Grant { tokens: Tokens::access_only(login.session_token), expires_in, user })
    }

    /// `DELETE /self-service/logout/api` with the session token.
    async fn logout(&self, token: &AccessToken) -> Result<SignedOut, AuthError> {
        let body = Zeroizing::new(serde_json::to_vec(&json!({ "session_token": token.expose() })).expect("JSON"));
        let response = self
            .inner
            .client
            .delete(self.url("self-service/logout/api"))
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_vec())
            .send()
            .await
            .map_err(http::unreachable)?;
        match response.status() {
            StatusCode::NO_CONTENT | StatusCode::OK => Ok(SignedOut::Revoked),
            // Kratos doesn't know the token (never issued, or its session is gone): nothing to end.
            StatusCode::FORBIDDEN => {
                tracing::info!("Kratos doesn't know the session token it was asked to end");
                Ok(SignedOut::Revoked)
            }
            StatusCode::TOO_MANY_REQUESTS => {
                Err(AuthError::RateLimited { retry_after: http::retry_after(response.headers(), RATE_LIMIT_FALLBACK) })
            }
            s if s.is_server_error() => Err(AuthError::Unreachable),
            s => Err(AuthError::Protocol(format!("Kratos's logout answered {s}"))),
        }
    }
}

impl AuthBackend for KratosBackend {
    async fn start(&self, phone: &PhoneNumber) -> Result<Challenge, AuthError> {
        self.open(new_key(), phone).await
    }

    fn rechecks_tokens(&self) -> bool {
        true
    }

    /// Kratos knows its sessions: whoami refuses one it revoked, or of a disabled identity.
    async fn still_valid(&self, tokens: &Tokens) -> Result<TokenState, AuthError> {
        let response = self
            .inner
            .client
            .get(self.url("sessions/whoami"))
            .header(ACCEPT, "application/json")
            .header("X-Session-Token", tokens.access.expose())
            .send()
            .await
            .map_err(http::unreachable)?;
        match response.status() {
            status if status.is_success() => Ok(TokenState::Valid),
            status if status.is_server_error() => Err(AuthError::Unreachable),
            reqwest::StatusCode::UNAUTHORIZED | reqwest::StatusCode::FORBIDDEN => Ok(TokenState::Ended),
            status => Err(AuthError::Protocol(format!("Kratos's whoami answered {status}"))),
        }
    }

    /// A new code on the same flow while it has codes left to take (Kratos deletes the old ones;
    /// its count of codes goes on); else, or once the flow expired, a new flow.
    async fn resend(&self, challenge_id: &str) -> Result<Challenge, AuthError> {
        let Some(pending) = self.lookup(challenge_id) else {
            return Err(AuthError::Expired);
        };
        let key = challenge_id.to_string();
        if pending.submissions >= MAX_SUBMISSIONS || Instant::now() >= pending.expires_at {
            return self.open(key, &pending.phone).await;
        }
        match self.send_code(&pending.flow, &pending.phone, true).await {
            // Known or not, the same answer: the number's standing never shows.
            Ok(_) => Ok(self.challenge(key, pending.expires_at.saturating_duration_since(Instant::now()))),
            Err(AuthError::Expired) => self.open(key, &pending.phone).await,
            Err(err) => Err(err),
        }
    }

    async fn verify(&self, challenge_id: &str, code: &OtpCode) -> Result<Grant, AuthError> {
        let Some(Pending { flow, phone, known, .. }) = self.lookup(challenge_id) else {
            return Err(AuthError::Expired);
        };
        // An unknown number's code goes to Kratos too (it answers 4000035): the same round trip.
        let mut body = json!({ "method": "code", "code": code.expose(), "identifier": phone.e164(), "csrf_token": "" });
        let step = self.post_flow(&flow, &body).await;
        if let Some(Value::String(copy)) = body.get_mut("code") {
            copy.zeroize();
        }
        match step? {
            Step::SignedIn(login) if known => {
                self.pending().remove(challenge_id);
                let token = login.session_token.clone();
                match self.grant(login, &phone).await {
                    Ok(grant) => Ok(grant),
                    Err(err) => {
                        // Nothing of it is believed: end the session it opened.
                        if let Err(revoke) = self.logout(&token).await {
                            tracing::warn!(error = %revoke, "couldn't end an unconfirmed Kratos session");
                        }
                        Err(err)
                    }
                }
            }
            Step::SignedIn(login) => {
                let _ = self.logout(&login.session_token).await;
                Err(AuthError::Untrusted("Kratos signed in a number it had said it didn't know".into()))
            }
            Step::WrongCode | Step::NoSuchUser => Err(after_wrong_code(self.count_submission(challenge_id))),
            Step::SubmittedTooOften => {
                if let Some(p) = self.pending().get_mut(challenge_id) {
                    p.submissions = MAX_SUBMISSIONS;
                }
                Err(AuthError::TooManyAttempts)
            }
            // The code was used, or the flow sent a new one (it had lost its code): ask for another.
            Step::CodeUsed | Step::FlowExpired | Step::CodeSent(_) => Err(AuthError::Expired),
        }
    }

    async fn sign_out(&self, tokens: &Tokens) -> Result<SignedOut, AuthError> {
        self.logout(&tokens.access).await
    }

    async fn healthy(&self) -> bool {
        let alive = self.inner.client.get(self.url("health/alive")).header(ACCEPT, "application/json").send().await;
        matches!(alive, Ok(response) if response.status().is_success())
    }

    async fn check(&self) -> Vec<Problem> {
        let base = &self.inner.base;
        let public_api = "set backend.url to Kratos's public API (serve.public.base_url, port 4433 by default) — \
                          not its admin API (4434) or a UI";
        let mut problems = Vec::new();
        match self.inner.client.get(self.url("health/alive")).header(ACCEPT, "application/json").send().await {
            Err(err) => {
                return vec![Problem::error(
                    format!("can't reach Kratos at {base}: {err}"),
                    "check backend.url, and that Kratos runs there and answers /health/alive",
                )];
            }
            Ok(response) if !response.status().is_success() => {
                return vec![Problem::error(format!("{base}health/alive answered {}", response.status()), public_api)];
            }
            Ok(_) => {}
        }
        match self.create_flow().await {
            Ok(flow) if flow.offers_code() => {}
            Ok(_) => problems.push(Problem::error(
                format!("Kratos at {base} doesn't offer sign-in by code"),
                "in kratos.yml set selfservice.methods.code.passwordless_enabled: true; in the identity schema mark \
                 the phone trait (format \"tel\") with \"ory.sh/kratos\": {\"credentials\": {\"code\": \
                 {\"identifier\": true, \"via\": \"sms\"}}}; and give Kratos an SMS courier channel (courier.channels, id \"sms\")",
            )),
            Err(AuthError::Protocol(what)) => {
                problems.push(Problem::error(format!("{base} is not Kratos's public API: {what}"), public_api));
            }
            Err(err) => problems.push(Problem::error(
                format!("Kratos at {base} couldn't create a login flow: {err}"),
                "see Kratos's log for GET self-service/login/api",
            )),
        }
        if in_clear(base) {
            problems.push(Problem::note(
                format!("backend.url {base} is plain http: session tokens cross the network unencrypted"),
                "serve Kratos's public API over https",
            ));
        }
        problems.push(Problem::note(
            format!("managers are identities whose metadata_public.{} lists a manager.roles role; check-config can't see identities", self.inner.roles_claim),
            "set it with Kratos's admin API (PATCH /admin/identities/ID, metadata_public), or there are no managers",
        ));
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: Value) -> Result<Step, AuthError> {
        answer_with(status, &HeaderMap::new(), body)
    }

    fn answer_with(status: u16, headers: &HeaderMap, body: Value) -> Result<Step, AuthError> {
        read_step(StatusCode::from_u16(status).unwrap(), headers, body.to_string().as_bytes())
    }

    fn flow(state: &str, messages: Value) -> Value {
        json!({ "id": "f1", "state": state, "ui": { "messages": messages, "nodes": [] } })
    }

    #[test]
    fn a_400_with_the_flow_in_sent_email_is_a_code_sent() {
        let sent = flow("sent_email", json!([{ "id": 1010014, "text": "A code was sent", "type": "info" }]));
        assert!(matches!(answer(400, sent), Ok(Step::CodeSent(f)) if f.id == "f1"));
    }

    #[test]
    fn kratos_messages_map_to_what_the_kiosk_shows() {
        let message = |id: u64, text: &str| json!([{ "id": id, "text": text, "type": "error" }]);
        assert!(matches!(answer(400, flow("choose_method", message(4000035, "no account"))), Ok(Step::NoSuchUser)));
        assert!(matches!(answer(400, flow("sent_email", message(4010008, "invalid"))), Ok(Step::WrongCode)));
        let too_often = message(4000001, "The request was submitted too often. Please request another code.");
        assert!(matches!(answer(400, flow("sent_email", too_often)), Ok(Step::SubmittedTooOften)));
        let used = message(4000001, "The code was already used. Please request another code.");
        assert!(matches!(answer(400, flow("sent_email", used)), Ok(Step::CodeUsed)));
        // A message on a node counts as much as one on the form.
        let on_node = json!({ "id": "f1", "state": "sent_email", "ui": { "messages": [], "nodes": [
            { "group": "code", "attributes": { "name": "code" }, "messages": [{ "id": 4010008, "text": "x" }] }
        ] } });
        assert!(matches!(answer(400, on_node), Ok(Step::WrongCode)));
        let no_strategy = answer(400, flow("choose_method", message(4010002, "no strategy")));
        assert!(matches!(no_strategy, Err(AuthError::Protocol(m)) if m.contains("passwordless_enabled")));
        let other = answer(400, flow("choose_method", message(4000002, "Property identifier is missing.")));
        assert!(matches!(other, Err(AuthError::Protocol(m)) if m.contains("4000002") && !m.contains("Property")));
    }

    #[test]
    fn an_expired_flow_a_rate_limit_and_a_server_error() {
        let gone = json!({ "error": { "id": "self_service_flow_expired", "code": 410 }, "use_flow_id": "f2" });
        assert!(matches!(answer(410, gone), Ok(Step::FlowExpired)));
        let mut headers = HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, "120".parse().unwrap());
        let limited = answer_with(429, &headers, json!({ "error": { "code": 429 } }));
        assert_eq!(limited.unwrap_err(), AuthError::RateLimited { retry_after: Duration::from_secs(120) });
        let limited = answer(429, json!({}));
        assert_eq!(limited.unwrap_err(), AuthError::RateLimited { retry_after: RATE_LIMIT_FALLBACK });
        assert_eq!(answer(503, json!({})).unwrap_err(), AuthError::Unreachable);
        let html = read_step(StatusCode::NOT_FOUND, &HeaderMap::new(), b"<html>nope</html>");
        assert!(matches!(html, Err(AuthError::Protocol(m)) if m.contains("public API")));
        let csrf = answer(400, json!({ "error": { "id": "security_csrf_violation", "reason": "Origin" } }));
        assert!(matches!(csrf, Err(AuthError::Protocol(m)) if m.contains("Origin")));
    }

    #[test]
    fn wrong_codes_count_down_from_kratoss_five_submissions() {
        assert_eq!(after_wrong_code(1), AuthError::InvalidCode { attempts_left: 4 });
        assert_eq!(after_wrong_code(5), AuthError::InvalidCode { attempts_left: 0 });
        assert_eq!(after_wrong_code(6), AuthError::TooManyAttempts);
    }

    #[test]
    fn a_200_with_a_session_token_is_a_sign_in_that_never_prints_the_token() {
        let body = json!({ "session_token": "ory_st_secret", "session": { "id": "s1", "identity": { "id": "i1" } } });
        let Ok(Step::SignedIn(login)) = answer(200, body) else { panic!("not a sign-in") };
        assert_eq!(login.session_token.expose(), "ory_st_secret");
        assert!(!format!("{login:?}").contains("ory_st_secret"));
    }

    fn session(id: &str, identity: &str) -> Session {
        serde_json::from_value(json!({ "id": id, "active": true, "identity": { "id": identity } })).unwrap()
    }

    #[test]
    fn whoami_must_name_the_session_and_identity_the_login_returned() {
        let login = session("s1", "i1");
        assert_eq!(confirm(&login, session("s1", "i1")).unwrap().id, "i1");
        assert!(matches!(confirm(&login, session("s1", "i2")), Err(AuthError::Untrusted(_))));
        assert!(matches!(confirm(&login, session("s2", "i1")), Err(AuthError::Untrusted(_))));
        let inactive = serde_json::from_value(json!({ "id": "s1", "active": false, "identity": { "id": "i1" } }));
        assert!(matches!(confirm(&login, inactive.unwrap()), Err(AuthError::Untrusted(_))));
    }

    #[test]
    fn names_come_from_traits_and_roles_from_metadata_public() {
        assert_eq!(display_name(&json!({ "name": "Alex Rivera" }), "x"), "Alex Rivera");
        assert_eq!(display_name(&json!({ "name": { "first": "Alex", "last": "Rivera" } }), "x"), "Alex Rivera");
        assert_eq!(display_name(&json!({ "phone": "+12065550100" }), "+1 ••• ••• 0100"), "+1 ••• ••• 0100");
        assert_eq!(roles(&json!({ "roles": ["kiosk-manager"] }), "roles"), ["kiosk-manager"]);
        assert_eq!(roles(&json!({ "kiosk": "a, b" }), "kiosk"), ["a", "b"]);
        assert!(roles(&Value::Null, "roles").is_empty());
    }

    #[test]
    fn lifespans_are_read_on_kratoss_own_clock() {
        let span = lifespan(Some("2026-07-29T09:00:00.123456Z"), Some("2026-07-29T10:00:00.123456Z"));
        assert_eq!(span, Some(Duration::from_secs(3600)));
        assert_eq!(lifespan(Some("yesterday"), Some("2026-07-29T10:00:00Z")), None);
        assert_eq!(Flow::default().lifespan(), DEFAULT_LIFESPAN);
    }

    #[test]
    fn the_code_method_is_offered_by_its_submit_button() {
        let offered: Flow = serde_json::from_value(json!({ "id": "f", "ui": { "nodes": [
            { "group": "default", "attributes": { "name": "identifier", "value": "" } },
            { "group": "code", "attributes": { "name": "method", "type": "submit", "value": "code" } }
        ] } }))
        .unwrap();
        assert!(offered.offers_code());
        let password_only: Flow = serde_json::from_value(json!({ "id": "f", "ui": { "nodes": [
            { "group": "password", "attributes": { "name": "method", "value": "password" } }
        ] } }))
        .unwrap();
        assert!(!password_only.offers_code());
    }

    #[test]
    fn plain_http_is_noted_unless_it_stays_on_the_machine() {
        let url = |text: &str| Url::parse(text).unwrap();
        assert!(in_clear(&url("http://kratos.store.lan:4433/")));
        assert!(in_clear(&url("http://10.0.0.5/")));
        assert!(!in_clear(&url("https://kratos.store.lan/")));
        assert!(!in_clear(&url("http://127.0.0.1:4433/")));
        assert!(!in_clear(&url("http://[::1]:4433/")));
        assert!(!in_clear(&url("http://localhost:4433/")));
    }

    #[test]
    fn a_url_that_cant_be_a_base_or_an_empty_roles_claim_is_refused() {
        let config = |url: &str, roles: Option<&str>| BackendConfig {
            kind: crate::config::BackendKind::Kratos,
            url: url.into(),
            roles_claim: roles.map(str::to_string),
            ..Default::default()
        };
        assert!(KratosBackend::new(&config("https://auth.example.com", None)).is_ok());
        let err = KratosBackend::new(&config("mailto:a@b", None)).err().unwrap();
        assert!(err.to_string().starts_with("backend.url"), "{err}");
        let err = KratosBackend::new(&config("https://auth.example.com", Some(" "))).err().unwrap();
        assert!(err.to_string().starts_with("backend.roles_claim"), "{err}");
        let backend = KratosBackend::new(&config("https://auth.example.com/kratos", None)).unwrap();
        assert_eq!(backend.flow_url("f 1").as_str(), "https://auth.example.com/kratos/self-service/login?flow=f+1");
    }
}
