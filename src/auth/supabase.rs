//! The adapter for Supabase Auth (GoTrue): a code by SMS from `POST /otp`, checked by
//! `POST /verify`; identity and roles from the access token it returns, checked against the
//! project's published keys (JWKS); sign-out by `POST /logout?scope=local`.
//!
//! Never: sign anyone up (`create_user: false`), believe the unsigned `user` object of an answer,
//! let the screens tell a registered number from an unknown one, or put Supabase's `msg` (its SMS
//! provider's errors quote the number) or the API key in a message, a log line or Debug output.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

mod errors;

use super::jwt::{self, IdTokenVerifier};
use super::{AuthBackend, AuthError, BuildError, Challenge, Grant, Problem, SignedInUser, SignedOut, Tokens};
use crate::config::BackendConfig;
use crate::phone::PhoneNumber;
use crate::secret::{AccessToken, OtpCode, RefreshToken};
use errors::{ApiError, common_error, send_error, verify_error};

/// Asks for the newer error body, `{code: <error_code>, message}`; the older one
/// (`{code: <status>, error_code, msg}`) is read too, for a server that ignores the header.
const API_VERSION_HEADER: &str = "X-Supabase-Api-Version";
const API_VERSION: &str = "2024-01-01";
/// Supabase's default SMS OTP expiry. The project's own setting can't be read with the anon
/// key, so a project that changed it must change it back (README, "Supabase Auth").
const CODE_LIFETIME: Duration = Duration::from_secs(60);
/// Supabase sends one code per number per `Sms.MaxFrequency` (60 s, not exposed either).
const RESEND_AFTER: Duration = Duration::from_secs(60);
/// The audience of every token Supabase issues to a signed-in user.
const AUDIENCE: &str = "authenticated";
/// How long an unknown number's start is made to take before any real send was timed.
const DEFAULT_SEND_TIME: Duration = Duration::from_millis(600);
const MAX_SEND_PADDING: Duration = Duration::from_secs(3);
/// Challenges kept (a kiosk has one or two going), and for how long after their last use.
const MAX_CHALLENGES: usize = 64;
const CHALLENGE_KEPT: Duration = Duration::from_secs(30 * 60);

/// Supabase Auth, reached at `<url>/auth/v1` with the project's anon key.
#[derive(Clone)]
pub struct SupabaseBackend {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    /// `<url>/auth/v1`: where the API is, and the issuer of its tokens.
    auth_url: String,
    api_key: SecretString,
    roles_claim: String,
    code_length: usize,
    verifier: IdTokenVerifier,
    challenges: Mutex<Challenges>,
}

impl std::fmt::Debug for SupabaseBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupabaseBackend").field("auth_url", &self.inner.auth_url).finish_non_exhaustive()
    }
}

/// The challenges under way, by the opaque id the kiosk holds.
#[derive(Default)]
struct Challenges {
    by_id: HashMap<String, Pending>,
    /// How long the last real send took: an unknown number's start takes as long.
    last_send: Option<Duration>,
}

#[derive(Clone)]
struct Pending {
    phone: PhoneNumber,
    /// False for a number Supabase doesn't know: no code was sent, and none will work.
    known: bool,
    /// When Supabase answered the latest send: the code's lifetime counts from here.
    sent: Instant,
    touched: Instant,
}

impl Challenges {
    fn insert(&mut self, id: String, pending: Pending) {
        let now = Instant::now();
        self.by_id.retain(|_, p| now.duration_since(p.touched) < CHALLENGE_KEPT);
        while self.by_id.len() >= MAX_CHALLENGES {
            let oldest = self.by_id.iter().min_by_key(|(_, p)| p.touched).map(|(id, _)| id.clone());
            let Some(oldest) = oldest else { break };
            self.by_id.remove(&oldest);
        }
        self.by_id.insert(id, pending);
    }

    /// How long until Supabase would send an unknown number another code, had it sent one.
    fn unknown_wait(&self, phone: &PhoneNumber, now: Instant) -> Option<Duration> {
        let last = self.by_id.values().filter(|p| !p.known && p.phone == *phone).map(|p| p.sent).max()?;
        RESEND_AFTER.checked_sub(now.duration_since(last)).filter(|wait| !wait.is_zero())
    }
}

/// The user a verified access token names. `phone` is the number the code was sent to: a token
/// for anyone else is not believed.
fn signed_in_user(
    claims: &Map<String, Value>,
    phone: &PhoneNumber,
    roles_claim: &str,
) -> Result<SignedInUser, AuthError> {
    let digits = |text: &str| text.chars().filter(char::is_ascii_digit).collect::<String>();
    let token_phone = claims.get("phone").and_then(Value::as_str).map(digits).unwrap_or_default();
    if token_phone != digits(phone.e164()) {
        return Err(AuthError::Untrusted("the token is for another phone number".into()));
    }
    let id = claims.get("sub").and_then(Value::as_str).filter(|s| !s.is_empty());
    let id = id.ok_or_else(|| AuthError::Untrusted("the token names no user".into()))?.to_string();
    let empty = Map::new();
    let object = |key: &str| claims.get(key).and_then(Value::as_object).unwrap_or(&empty);
    let profile = object("user_metadata");
    // Supabase's own sign-ups fill `full_name` (and `name`); others may give the parts.
    let text = |key: &str| profile.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let display_name = match text("name").or(text("full_name")) {
        Some(name) => name.to_string(),
        None => jwt::display_name(profile, &phone.masked()),
    };
    Ok(SignedInUser { id, display_name, roles: jwt::roles(object("app_metadata"), roles_claim) })
}

/// Refuses a key that would hand the kiosk admin rights: a secret key (`sb_secret_…`) or the
/// legacy `service_role` JWT. Only its role claim is read; the key itself never leaves here.
fn refuse_admin_key(key: &str) -> Result<(), BuildError> {
    let admin = key.starts_with("sb_secret_")
        || key
            .split('.')
            .nth(1)
            .and_then(|payload| URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok())
            .and_then(|json| serde_json::from_slice::<Value>(&Zeroizing::new(json)).ok())
            .is_some_and(|claims| claims["role"] == "service_role");
    if admin {
        return Err(BuildError::Invalid(
            "backend.api_key is a secret (service_role) key, which bypasses every rule of the project: \
             give the kiosk the anon (publishable) key"
                .into(),
        ));
    }
    Ok(())
}

#[derive(Serialize)]
struct SendRequest<'a> {
    phone: &'a str,
    create_user: bool,
    channel: &'a str,
}

#[derive(Serialize)]
struct VerifyRequest<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    phone: &'a str,
    token: &'a str,
}

#[derive(Serialize)]
struct RefreshRequest<'a> {
    refresh_token: &'a str,
}

/// A session as `/verify` and `/token` give it (its `user` object is not read: unsigned).
#[derive(Deserialize)]
struct Session {
    access_token: AccessToken,
    refresh_token: Option<RefreshToken>,
    expires_in: u64,
}

/// How a logout went.
enum LoggedOut {
    /// Ended now, or already gone (`session_not_found`, `user_not_found`).
    Done,
    /// The access token was refused (`bad_jwt`: it has expired).
    TokenRefused,
}

impl SupabaseBackend {
    pub fn new(config: &BackendConfig) -> Result<Self, BuildError> {
        let url = config.url.trim_end_matches('/');
        if url.ends_with("/auth/v1") {
            return Err(BuildError::Invalid(format!(
                "backend.url: give the project URL without /auth/v1 ({})",
                url.trim_end_matches("/auth/v1")
            )));
        }
        let code_length = config.code_length_or(6);
        if !(6..=10).contains(&code_length) {
            return Err(BuildError::Invalid(format!(
                "backend.code_length: Supabase's SMS codes are 6 to 10 digits, not {}",
                code_length
            )));
        }
        let roles_claim = config.roles_claim.clone().unwrap_or_else(|| "roles".into());
        if roles_claim.trim().is_empty() {
            return Err(BuildError::Invalid("backend.roles_claim must not be empty".into()));
        }
        let source =
            config.api_key.as_ref().ok_or_else(|| BuildError::Invalid("backend.api_key is required".into()))?;
        let api_key = source.read("backend.api_key")?;
        refuse_admin_key(api_key.expose_secret())?;
        let client = super::http::client(config)?;
        let auth_url = format!("{url}/auth/v1");
        let verifier = IdTokenVerifier::new(
            client.clone(),
            format!("{auth_url}/.well-known/jwks.json"),
            auth_url.clone(),
            vec![AUDIENCE.into()],
        );
        let inner =
            Inner { client, auth_url, api_key, roles_claim, code_length, verifier, challenges: Mutex::default() };
        Ok(SupabaseBackend { inner: Arc::new(inner) })
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.inner
            .client
            .request(method, format!("{}{path}", self.inner.auth_url))
            .header("apikey", self.inner.api_key.expose_secret())
            .header(API_VERSION_HEADER, API_VERSION)
    }

    /// POSTs a body that may hold a secret; the serialized copy is zeroized after.
    async fn post_secret(&self, path: &str, body: &impl Serialize) -> Result<Response, AuthError> {
        let body = Zeroizing::new(serde_json::to_vec(body).expect("strings serialize"));
        self.request(Method::POST, path)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_vec())
            .send()
            .await
            .map_err(super::http::unreachable)
    }

    fn challenges(&self) -> std::sync::MutexGuard<'_, Challenges> {
        self.inner.challenges.lock().expect("the challenge map is never poisoned")
    }

    fn challenge(&self, id: String) -> Challenge {
        Challenge { id, code_length: self.inner.code_length, expires_in: CODE_LIFETIME, resend_after: RESEND_AFTER }
    }

    /// Asks Supabase to text `phone` a code: `Ok(true)` sent, `Ok(false)` a number it doesn't
    /// know — then made to look like a send: as slow, and throttled alike.
    async fn send(&self, phone: &PhoneNumber) -> Result<bool, AuthError> {
        let began = Instant::now();
        let request = SendRequest { phone: phone.e164(), create_user: false, channel: "sms" };
        let response = self.post_secret("/otp", &request).await?;
        if response.status().is_success() {
            self.challenges().last_send = Some(began.elapsed());
            return Ok(true);
        }
        send_error(&ApiError::read(response).await)?;
        let (wait, typical) = {
            let challenges = self.challenges();
            (challenges.unknown_wait(phone, Instant::now()), challenges.last_send.unwrap_or(DEFAULT_SEND_TIME))
        };
        if let Some(wait) = wait {
            return Err(AuthError::RateLimited { retry_after: Duration::from_secs(wait.as_secs_f64().ceil() as u64) });
        }
        tokio::time::sleep(typical.min(MAX_SEND_PADDING).saturating_sub(began.elapsed())).await;
        Ok(false)
    }

    /// Ends the session `access` belongs to (this kiosk's only: `scope=local`).
    async fn logout(&self, access: &str) -> Result<LoggedOut, AuthError> {
        let response = self
            .request(Method::POST, "/logout?scope=local")
            .bearer_auth(access)
            .send()
            .await
            .map_err(super::http::unreachable)?;
        if response.status().is_success() {
            return Ok(LoggedOut::Done);
        }
        let err = ApiError::read(response).await;
        match err.code.as_str() {
            "session_not_found" | "user_not_found" => Ok(LoggedOut::Done),
            "bad_jwt" => Ok(LoggedOut::TokenRefused),
            _ => Err(common_error(&err)),
        }
    }

    /// A fresh access token for the session `refresh` belongs to; `None` if it is over already.
    async fn refresh(&self, refresh: &RefreshToken) -> Result<Option<AccessToken>, AuthError> {
        let request = RefreshRequest { refresh_token: refresh.expose() };
        let response = self.post_secret("/token?grant_type=refresh_token", &request).await?;
        if response.status().is_success() {
            return Ok(Some(read_session(response).await?.access_token));
        }
        let err = ApiError::read(response).await;
        match err.code.as_str() {
            "refresh_token_not_found"
            | "refresh_token_already_used"
            | "session_not_found"
            | "session_expired"
            | "user_not_found"
            | "user_banned" => Ok(None),
            _ => Err(common_error(&err)),
        }
    }

    /// A session Supabase gave that won't be used: ended, as far as that works.
    async fn discard(&self, session: &Session) {
        if self.logout(session.access_token.expose()).await.is_err() {
            tracing::warn!("couldn't end a Supabase session that was refused");
        }
    }

    async fn settings(&self) -> Result<Response, reqwest::Error> {
        self.request(Method::GET, "/settings").send().await
    }
}

async fn read_session(response: Response) -> Result<Session, AuthError> {
    let bytes = Zeroizing::new(response.bytes().await.map_err(super::http::unreachable)?.to_vec());
    serde_json::from_slice(&bytes)
        .map_err(|e| AuthError::Protocol(format!("the session isn't what Supabase sends: {e}")))
}

fn new_challenge_id() -> String {
    let mut bytes = [0u8; 18];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl AuthBackend for SupabaseBackend {
    async fn start(&self, phone: &PhoneNumber) -> Result<Challenge, AuthError> {
        let known = self.send(phone).await?;
        let id = new_challenge_id();
        let now = Instant::now();
        self.challenges().insert(id.clone(), Pending { phone: phone.clone(), known, sent: now, touched: now });
        Ok(self.challenge(id))
    }

    async fn resend(&self, challenge_id: &str) -> Result<Challenge, AuthError> {
        let pending = self.challenges().by_id.get(challenge_id).cloned();
        let pending = pending.ok_or_else(|| AuthError::Protocol("this sign-in was forgotten; start again".into()))?;
        let known = self.send(&pending.phone).await?;
        let now = Instant::now();
        if let Some(entry) = self.challenges().by_id.get_mut(challenge_id) {
            *entry = Pending { known, sent: now, touched: now, ..pending };
        }
        Ok(self.challenge(challenge_id.to_string()))
    }

    async fn verify(&self, challenge_id: &str, code: &OtpCode) -> Result<Grant, AuthError> {
        let pending = self.challenges().by_id.get(challenge_id).cloned().ok_or(AuthError::Expired)?;
        // Asked for an unknown number too: it answers as for a wrong code, and takes as long.
        let request = VerifyRequest { kind: "sms", phone: pending.phone.e164(), token: code.expose() };
        let response = self.post_secret("/verify", &request).await?;
        if !response.status().is_success() {
            let age = pending.sent.elapsed();
            if let Some(entry) = self.challenges().by_id.get_mut(challenge_id) {
                entry.touched = Instant::now();
            }
            return Err(verify_error(&ApiError::read(response).await, age));
        }
        let session = read_session(response).await?;
        if !pending.known {
            // No code was sent to this number, so none may sign it in here.
            self.discard(&session).await;
            return Err(AuthError::CodeRejected);
        }
        let user = match self.inner.verifier.verify(session.access_token.expose()).await {
            Ok(claims) => signed_in_user(&claims, &pending.phone, &self.inner.roles_claim),
            Err(err) => Err(AuthError::from(err)),
        };
        let user = match user {
            Ok(user) => user,
            Err(err) => {
                self.discard(&session).await;
                return Err(err);
            }
        };
        self.challenges().by_id.remove(challenge_id);
        Ok(Grant {
            expires_in: Duration::from_secs(session.expires_in),
            tokens: Tokens { access: session.access_token, refresh: session.refresh_token },
            user,
        })
    }

    async fn sign_out(&self, tokens: &Tokens) -> Result<SignedOut, AuthError> {
        if let LoggedOut::Done = self.logout(tokens.access.expose()).await? {
            return Ok(SignedOut::Revoked);
        }
        // The access token has expired (sessions outlive it): a fresh one ends the session.
        let Some(refresh) = &tokens.refresh else {
            return Err(AuthError::Protocol(
                "the access token has expired and no refresh token is held: the session ends when its refresh token expires"
                    .into(),
            ));
        };
        let Some(fresh) = self.refresh(refresh).await? else { return Ok(SignedOut::Revoked) };
        match self.logout(fresh.expose()).await? {
            LoggedOut::Done => Ok(SignedOut::Revoked),
            LoggedOut::TokenRefused => Err(AuthError::Protocol("a fresh access token was refused at logout".into())),
        }
    }

    async fn healthy(&self) -> bool {
        matches!(self.settings().await, Ok(response) if response.status().is_success())
    }

    async fn check(&self) -> Vec<Problem> {
        let url = self.inner.auth_url.trim_end_matches("/auth/v1");
        let response = match self.settings().await {
            Ok(response) => response,
            Err(err) => {
                return vec![Problem::error(
                    format!(
                        "can't reach Supabase at {url} ({})",
                        if err.is_timeout() { "no answer in time" } else { "no connection" }
                    ),
                    "check backend.url (the project URL, https://PROJECT.supabase.co) and the network",
                )];
            }
        };
        let mut problems = Vec::new();
        match response.status() {
            status if status.is_success() => {
                let settings: Value = response.json().await.unwrap_or(Value::Null);
                match settings.pointer("/external/phone").and_then(Value::as_bool) {
                    Some(true) => {}
                    Some(false) => problems.push(Problem::error(
                        "phone sign-in is turned off in the Supabase project",
                        "turn on Authentication → Sign In / Providers → Phone, with an SMS provider",
                    )),
                    None => problems.push(Problem::error(
                        format!("{}/settings is not Supabase Auth's settings", self.inner.auth_url),
                        "set backend.url to the project URL (https://PROJECT.supabase.co)",
                    )),
                }
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => problems.push(Problem::error(
                format!("the project refused backend.api_key (HTTP {})", response.status().as_u16()),
                "set backend.api_key to the project's anon (publishable) key: Project Settings → API Keys",
            )),
            status => problems.push(Problem::error(
                format!("{}/settings answered HTTP {}", self.inner.auth_url, status.as_u16()),
                "set backend.url to the project URL (https://PROJECT.supabase.co), without /auth/v1",
            )),
        }
        match self.inner.verifier.fetch_keys().await {
            Ok(0) => problems.push(Problem::error(
                "the project publishes no signing keys: its tokens are signed with the legacy JWT secret, which the kiosk can't check",
                "switch the project to JWT signing keys: Project Settings → JWT Keys → migrate, then rotate to the new key",
            )),
            Ok(_) => {}
            Err(err) => problems.push(Problem::error(
                err.to_string(),
                "the project must publish its asymmetric signing keys there: check backend.url",
            )),
        }
        problems.push(Problem::note(
            format!(
                "store managers are the users whose app_metadata.{} names a role of manager.roles",
                self.inner.roles_claim
            ),
            "set it with Supabase's admin API (raw_app_meta_data); the kiosk can't list users with the anon key",
        ));
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn alex() -> PhoneNumber {
        PhoneNumber::parse("+1 206 555 0100", "US").unwrap()
    }

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn the_user_comes_from_the_verified_claims() {
        let c = claims(json!({
            "sub": "5b0c3d0e-0000-4000-8000-000000000001", "phone": "12065550100",
            "user_metadata": { "full_name": "Alex Rivera" },
            "app_metadata": { "provider": "phone", "roles": ["kiosk-manager"], "store": "cashier, lead" },
        }));
        let user = signed_in_user(&c, &alex(), "roles").unwrap();
        assert_eq!(user.id, "5b0c3d0e-0000-4000-8000-000000000001");
        assert_eq!(user.display_name, "Alex Rivera");
        assert_eq!(user.roles, ["kiosk-manager"]);
        assert_eq!(signed_in_user(&c, &alex(), "store").unwrap().roles, ["cashier", "lead"]);
        let named = claims(
            json!({ "sub": "u", "phone": "12065550100", "user_metadata": { "name": "Alex R.", "full_name": "x" } }),
        );
        assert_eq!(signed_in_user(&named, &alex(), "roles").unwrap().display_name, "Alex R.");
        let parts = json!({ "sub": "u", "phone": "12065550100", "user_metadata": { "given_name": "Alex", "family_name": "Rivera" } });
        assert_eq!(signed_in_user(&claims(parts), &alex(), "roles").unwrap().display_name, "Alex Rivera");
        let bare = claims(json!({ "sub": "u", "phone": "12065550100" }));
        let user = signed_in_user(&bare, &alex(), "roles").unwrap();
        assert_eq!(user.display_name, "+1 ••• ••• 0100");
        assert!(user.roles.is_empty());
    }

    #[test]
    fn a_token_for_another_number_is_not_believed() {
        let other = claims(json!({ "sub": "u", "phone": "12065550109" }));
        assert!(matches!(signed_in_user(&other, &alex(), "roles"), Err(AuthError::Untrusted(_))));
        let none = claims(json!({ "sub": "u", "phone": "" }));
        assert!(matches!(signed_in_user(&none, &alex(), "roles"), Err(AuthError::Untrusted(_))));
    }

    fn config(key_file: &std::path::Path) -> BackendConfig {
        BackendConfig {
            kind: crate::config::BackendKind::Supabase,
            url: "https://abcdefgh.supabase.co".into(),
            api_key: Some(crate::config::SecretSource { file: Some(key_file.into()), env: None }),
            ..Default::default()
        }
    }

    /// A file holding `key`, removed when dropped.
    fn key_file(key: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), key).unwrap();
        file
    }

    #[test]
    fn what_cant_work_is_refused_before_any_request() {
        let key = key_file("sb_publishable_abc");
        assert!(SupabaseBackend::new(&config(key.path())).is_ok());
        let short = BackendConfig { code_length: Some(5), ..config(key.path()) };
        let err = SupabaseBackend::new(&short).unwrap_err().to_string();
        assert!(err.contains("backend.code_length") && err.contains("6 to 10"), "{err}");
        let api = BackendConfig { url: "https://abcdefgh.supabase.co/auth/v1/".into(), ..config(key.path()) };
        let err = SupabaseBackend::new(&api).unwrap_err().to_string();
        assert!(err.contains("without /auth/v1 (https://abcdefgh.supabase.co)"), "{err}");
    }

    #[test]
    fn an_admin_key_is_refused_without_being_shown() {
        let secret = key_file("sb_secret_abcdef");
        let err = SupabaseBackend::new(&config(secret.path())).unwrap_err().to_string();
        assert!(err.contains("service_role") && !err.contains("abcdef"), "{err}");
        let payload = URL_SAFE_NO_PAD.encode(br#"{"iss":"supabase","ref":"abcdefgh","role":"service_role"}"#);
        let legacy = key_file(&format!("eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln"));
        assert!(SupabaseBackend::new(&config(legacy.path())).is_err());
        let payload = URL_SAFE_NO_PAD.encode(br#"{"iss":"supabase","ref":"abcdefgh","role":"anon"}"#);
        let anon = key_file(&format!("eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln"));
        let backend = SupabaseBackend::new(&config(anon.path())).unwrap();
        assert!(!format!("{backend:?}").contains("eyJ"), "no key in Debug: {backend:?}");
    }

    #[test]
    fn challenges_are_bounded_and_an_unknown_number_is_throttled_like_a_known_one() {
        let mut challenges = Challenges::default();
        let now = Instant::now();
        for n in 0..(MAX_CHALLENGES + 10) {
            challenges.insert(format!("c{n}"), Pending { phone: alex(), known: true, sent: now, touched: now });
        }
        assert_eq!(challenges.by_id.len(), MAX_CHALLENGES);
        assert_eq!(challenges.unknown_wait(&alex(), now), None, "known numbers are Supabase's to throttle");
        challenges.insert("u".into(), Pending { phone: alex(), known: false, sent: now, touched: now });
        assert_eq!(challenges.unknown_wait(&alex(), now + Duration::from_secs(20)), Some(Duration::from_secs(40)));
        assert_eq!(challenges.unknown_wait(&alex(), now + RESEND_AFTER), None);
    }
}
