//! A local Supabase Auth (GoTrue) for the adapter's tests, after supabase/auth `bc32168e`: the
//! real paths under `/auth/v1`, bodies, status codes and both error shapes (the 2024-01-01 one
//! when the request asks for it), the gateway's `apikey` check, a JWKS with the test key, and
//! tokens shaped like Supabase's. It records what it was asked (codes texted, logouts, refreshes)
//! and can be told to misbehave.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::common::idp::{self, FakeServer};

/// The project's anon key, as the kiosk's config names it.
pub const API_KEY: &str = "sb_publishable_test-anon-key-for-shiftkey";

/// Numbers of the fake's users (the 555-01xx range reserved for fiction).
pub const ALEX: &str = "+12065550100";
pub const JORDAN: &str = "+12065550109";
pub const SAM: &str = "+12065550102";
/// A number the project doesn't know.
pub const STRANGER: &str = "+12065550177";

/// How the fake signs the access tokens it hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenMode {
    Good,
    /// Signed with another key under the published key's id.
    Forged,
    WrongAudience,
    WrongIssuer,
}

/// What `/.well-known/jwks.json` serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwksMode {
    Good,
    /// Not JSON at all.
    Garbage,
    /// No keys: a project still on the legacy HS256 secret.
    Empty,
}

pub struct User {
    pub id: String,
    pub phone: String,
    pub user_metadata: Value,
    pub app_metadata: Value,
    pub banned: bool,
}

/// A sign-in's session.
pub struct Session {
    pub id: String,
    pub user_id: String,
    pub refresh_token: String,
    pub revoked: bool,
}

/// A logout the fake was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logout {
    pub session_id: String,
    pub user_id: String,
    pub scope: String,
}

/// Everything the fake knows, records and is told.
pub struct FakeState {
    pub users: Vec<User>,
    /// Codes texted, oldest first: (phone as E.164, code).
    pub texts: Vec<(String, String)>,
    /// The live code per phone (digits only, as Supabase keys it) and when it was sent.
    codes: HashMap<String, (String, Instant)>,
    pub sessions: Vec<Session>,
    /// Every access token handed out: token → (session id, refused at logout as expired).
    access_tokens: HashMap<String, (String, bool)>,
    pub logouts: Vec<Logout>,
    pub refreshes: usize,
    /// Every `/otp` and `/verify` body, in order.
    pub otp_requests: Vec<Value>,
    pub verify_requests: Vec<Value>,
    /// Whether every request carried the key as `apikey` (and never as a bearer token).
    pub key_misused: bool,
    // What it is told.
    pub token_mode: TokenMode,
    pub jwks_mode: JwksMode,
    pub phone_enabled: bool,
    /// The per-address budget for `/otp` and `/verify` together; `None`: unlimited.
    pub requests_left: Option<u32>,
    pub sms_budget_exhausted: bool,
    pub sms_fails: bool,
    /// `Sms.MaxFrequency` and `Sms.OtpExp`.
    pub max_frequency: Duration,
    pub otp_exp: Duration,
    pub otp_length: usize,
    /// How long `/verify` takes before it checks the code.
    pub verify_delay: Duration,
    /// Access tokens from `/verify` are refused at logout as expired (a long session).
    pub stale_access: bool,
    /// Errors in the first shape even when the 2024-01-01 one is asked for (an older GoTrue).
    pub old_errors: bool,
}

#[derive(Clone)]
pub struct Fake {
    pub state: Arc<Mutex<FakeState>>,
}

/// The fake, served on a loopback port for as long as the test holds it.
pub struct Running {
    pub fake: Fake,
    pub server: FakeServer,
}

impl Running {
    pub fn url(&self) -> &str {
        &self.server.url
    }
}

impl std::ops::Deref for Running {
    type Target = Fake;
    fn deref(&self) -> &Fake {
        &self.fake
    }
}

fn user(n: u32, phone: &str, user_metadata: Value, app_metadata: Value) -> User {
    User {
        id: format!("5b0c3d0e-0000-4000-8000-{n:012}"),
        phone: digits(phone),
        user_metadata,
        app_metadata,
        banned: false,
    }
}

fn digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

impl Fake {
    /// Alex (a worker, `name`), Jordan (a manager through `app_metadata.roles`, `full_name`),
    /// Sam (roles as one comma-separated string, no manager).
    pub fn start() -> Running {
        let users = vec![
            user(1, ALEX, json!({ "name": "Alex Rivera" }), json!({ "provider": "phone", "providers": ["phone"] })),
            user(
                2,
                JORDAN,
                json!({ "full_name": "Jordan Lee" }),
                json!({ "provider": "phone", "providers": ["phone"], "roles": ["kiosk-manager"] }),
            ),
            user(3, SAM, json!({}), json!({ "provider": "phone", "roles": "cashier, stock" })),
        ];
        let state = FakeState {
            users,
            texts: Vec::new(),
            codes: HashMap::new(),
            sessions: Vec::new(),
            access_tokens: HashMap::new(),
            logouts: Vec::new(),
            refreshes: 0,
            otp_requests: Vec::new(),
            verify_requests: Vec::new(),
            key_misused: false,
            token_mode: TokenMode::Good,
            jwks_mode: JwksMode::Good,
            phone_enabled: true,
            requests_left: None,
            sms_budget_exhausted: false,
            sms_fails: false,
            max_frequency: Duration::from_secs(60),
            otp_exp: Duration::from_secs(60),
            otp_length: 6,
            verify_delay: Duration::ZERO,
            stale_access: false,
            old_errors: false,
        };
        let fake = Fake { state: Arc::new(Mutex::new(state)) };
        let app = Router::new()
            .route("/auth/v1/otp", post(otp))
            .route("/auth/v1/verify", post(verify))
            .route("/auth/v1/token", post(token))
            .route("/auth/v1/logout", post(logout))
            .route("/auth/v1/settings", get(settings))
            .route("/auth/v1/.well-known/jwks.json", get(jwks))
            .with_state(fake.clone());
        Running { fake, server: FakeServer::start(app) }
    }

    /// Changes what the fake does from now on.
    pub fn set(&self, change: impl FnOnce(&mut FakeState)) {
        change(&mut self.state.lock().unwrap());
    }

    pub fn read<T>(&self, look: impl FnOnce(&FakeState) -> T) -> T {
        look(&self.state.lock().unwrap())
    }

    /// The codes texted to `e164`, oldest first.
    pub fn codes_for(&self, e164: &str) -> Vec<String> {
        self.read(|s| s.texts.iter().filter(|(to, _)| to == e164).map(|(_, code)| code.clone()).collect())
    }

    pub fn user_id(&self, e164: &str) -> String {
        self.read(|s| s.users.iter().find(|u| u.phone == digits(e164)).map(|u| u.id.clone()).expect("a fake user"))
    }

    pub fn logouts(&self) -> Vec<Logout> {
        self.read(|s| s.logouts.clone())
    }

    /// The (access, refresh) tokens of every session handed out, oldest first.
    pub fn issued(&self) -> Vec<(String, String)> {
        self.read(|s| {
            s.sessions
                .iter()
                .map(|session| {
                    let access = s.access_tokens.iter().find(|(_, (id, _))| *id == session.id).map(|(t, _)| t.clone());
                    (access.unwrap_or_default(), session.refresh_token.clone())
                })
                .collect()
        })
    }
}

/// An error as GoTrue sends it: the 2024-01-01 shape when asked for, else the first one.
fn error(state: &FakeState, headers: &HeaderMap, status: StatusCode, code: &str, message: &str) -> Response {
    let newer = !state.old_errors && headers.get("x-supabase-api-version").is_some_and(|v| v == "2024-01-01");
    let body = if newer {
        json!({ "code": code, "message": message })
    } else {
        json!({ "code": status.as_u16(), "error_code": code, "msg": message, "error_id": "0a1b2c3d-fake" })
    };
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert("x-sb-error-code", code.parse().unwrap());
    if newer {
        response.headers_mut().insert("x-supabase-api-version", "2024-01-01".parse().unwrap());
    }
    response
}

/// The API gateway's key check, before GoTrue sees the request: its refusal, if it refuses.
fn gateway(fake: &Fake, headers: &HeaderMap) -> Option<Response> {
    let bearer = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut state = fake.state.lock().unwrap();
    if bearer.contains(API_KEY) {
        state.key_misused = true;
    }
    match headers.get("apikey").and_then(|v| v.to_str().ok()) {
        Some(API_KEY) => None,
        Some(_) => Some((
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "message": "Invalid API key", "hint": "Double check your Supabase `anon` or `service_role` API key." })),
        )
            .into_response()),
        None => {
            state.key_misused = true;
            Some((StatusCode::UNAUTHORIZED, axum::Json(json!({ "message": "No API key found in request" }))).into_response())
        }
    }
}

/// The per-address limiter in front of `/otp` and `/verify`: its refusal, if it refuses.
fn address_limit(state: &mut FakeState, headers: &HeaderMap) -> Option<Response> {
    match state.requests_left {
        Some(0) => Some(error(
            state,
            headers,
            StatusCode::TOO_MANY_REQUESTS,
            "over_request_rate_limit",
            "Request rate limit reached",
        )),
        Some(left) => {
            state.requests_left = Some(left - 1);
            None
        }
        None => None,
    }
}

/// GoTrue's phone check: `+` and spaces dropped, then `^[1-9][0-9]{1,14}$`.
fn valid_phone(phone: &str) -> Option<String> {
    let phone = phone.trim_start_matches('+').replace(' ', "");
    let ok = (2..=15).contains(&phone.len()) && phone.chars().all(|c| c.is_ascii_digit()) && !phone.starts_with('0');
    ok.then_some(phone)
}

async fn otp(State(fake): State<Fake>, headers: HeaderMap, axum::Json(body): axum::Json<Value>) -> Response {
    if let Some(refused) = gateway(&fake, &headers) {
        return refused;
    }
    let mut state = fake.state.lock().unwrap();
    if let Some(limited) = address_limit(&mut state, &headers) {
        return limited;
    }
    state.otp_requests.push(body.clone());
    let Some(phone) = body["phone"].as_str().and_then(valid_phone) else {
        return error(
            &state,
            &headers,
            StatusCode::BAD_REQUEST,
            "validation_failed",
            "Invalid phone number format (E.164 required)",
        );
    };
    let known = state.users.iter().any(|u| u.phone == phone);
    if body["create_user"] == false && !known {
        return error(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            "otp_disabled",
            "Signups not allowed for otp",
        );
    }
    if !known {
        return error(&state, &headers, StatusCode::BAD_REQUEST, "fake_signup", "the fake never signs anyone up");
    }
    if !state.phone_enabled {
        return error(
            &state,
            &headers,
            StatusCode::BAD_REQUEST,
            "phone_provider_disabled",
            "Unsupported phone provider",
        );
    }
    if let Some((_, sent)) = state.codes.get(&phone) {
        let since = sent.elapsed();
        if since < state.max_frequency {
            let wait = (state.max_frequency - since).as_secs_f64().ceil() as u64;
            let message = format!("For security purposes, you can only request this after {wait} seconds.");
            return error(&state, &headers, StatusCode::TOO_MANY_REQUESTS, "over_sms_send_rate_limit", &message);
        }
    }
    if state.sms_budget_exhausted {
        return error(
            &state,
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            "over_sms_send_rate_limit",
            "SMS rate limit exceeded",
        );
    }
    if state.sms_fails {
        // GoTrue quotes its SMS provider, which quotes the number.
        let message = format!("Error sending confirmation OTP to provider: The 'To' number +{phone} is not valid");
        return error(&state, &headers, StatusCode::UNPROCESSABLE_ENTITY, "sms_send_failed", &message);
    }
    let code: String = (0..state.otp_length).map(|_| char::from(b'0' + rand::random_range(0..10u8))).collect();
    state.codes.insert(phone.clone(), (code.clone(), Instant::now()));
    state.texts.push((format!("+{phone}"), code));
    (StatusCode::OK, axum::Json(json!({ "message_id": "SMfake0000" }))).into_response()
}

async fn verify(State(fake): State<Fake>, headers: HeaderMap, axum::Json(body): axum::Json<Value>) -> Response {
    if let Some(refused) = gateway(&fake, &headers) {
        return refused;
    }
    let delay = {
        let mut state = fake.state.lock().unwrap();
        if let Some(limited) = address_limit(&mut state, &headers) {
            return limited;
        }
        state.verify_requests.push(body.clone());
        state.verify_delay
    };
    tokio::time::sleep(delay).await;
    let mut state = fake.state.lock().unwrap();
    if body["type"] != "sms" {
        return error(&state, &headers, StatusCode::BAD_REQUEST, "validation_failed", "Unsupported verification type");
    }
    let (Some(phone), Some(token)) = (body["phone"].as_str().and_then(valid_phone), body["token"].as_str()) else {
        return error(
            &state,
            &headers,
            StatusCode::BAD_REQUEST,
            "validation_failed",
            "Verify requires a token or a token hash",
        );
    };
    let invalid = || error(&state, &headers, StatusCode::FORBIDDEN, "otp_expired", "Token has expired or is invalid");
    let Some(user) = state.users.iter().find(|u| u.phone == phone) else { return invalid() };
    if user.banned {
        return error(&state, &headers, StatusCode::FORBIDDEN, "user_banned", "User is banned");
    }
    let valid = state.codes.get(&phone).is_some_and(|(code, sent)| code == token && sent.elapsed() <= state.otp_exp);
    if !valid {
        return invalid();
    }
    let (user_id, user_body, claims) = {
        let claims = json!({
            "sub": user.id, "phone": user.phone, "email": "", "role": "authenticated", "aal": "aal1",
            "amr": [{ "method": "otp", "timestamp": idp::epoch(0) }], "is_anonymous": false,
            "app_metadata": user.app_metadata, "user_metadata": user.user_metadata,
        });
        let user_body = json!({
            "id": user.id, "aud": "authenticated", "role": "authenticated", "phone": user.phone,
            "phone_confirmed_at": "2026-01-01T00:00:00Z", "app_metadata": user.app_metadata,
            "user_metadata": user.user_metadata, "identities": [], "is_anonymous": false,
        });
        (user.id.clone(), user_body, claims)
    };
    // Single use: the code is spent.
    state.codes.get_mut(&phone).expect("checked above").0.clear();
    let session_id = format!("7d3e0f10-0000-4000-8000-{:012}", state.sessions.len() + 1);
    let refresh = format!("refresh-{}", random_text());
    state.sessions.push(Session { id: session_id.clone(), user_id, refresh_token: refresh.clone(), revoked: false });
    let stale = state.stale_access;
    let mut session = issue(&mut state, &headers, claims, &session_id, &refresh, stale);
    session["user"] = user_body;
    (StatusCode::OK, axum::Json(session)).into_response()
}

fn random_text() -> String {
    (0..24).map(|_| char::from(b'a' + rand::random_range(0..26u8))).collect()
}

/// An access token for `session_id`, signed as `token_mode` says, in a session answer.
fn issue(
    state: &mut FakeState,
    headers: &HeaderMap,
    mut claims: Value,
    session_id: &str,
    refresh: &str,
    stale: bool,
) -> Value {
    let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    let issuer = format!("http://{host}/auth/v1");
    claims["iss"] = json!(issuer);
    claims["aud"] = json!("authenticated");
    claims["iat"] = json!(idp::epoch(0));
    claims["exp"] = json!(idp::epoch(3600));
    claims["session_id"] = json!(session_id);
    match state.token_mode {
        TokenMode::Good | TokenMode::Forged => {}
        TokenMode::WrongAudience => claims["aud"] = json!("anon"),
        TokenMode::WrongIssuer => claims["iss"] = json!("https://another-project.supabase.co/auth/v1"),
    }
    let access = if state.token_mode == TokenMode::Forged { idp::forge(&claims) } else { idp::sign(&claims) };
    state.access_tokens.insert(access.clone(), (session_id.to_string(), stale));
    json!({
        "access_token": access, "token_type": "bearer", "expires_in": 3600, "expires_at": idp::epoch(3600),
        "refresh_token": refresh,
    })
}

async fn token(
    State(fake): State<Fake>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if let Some(refused) = gateway(&fake, &headers) {
        return refused;
    }
    let mut state = fake.state.lock().unwrap();
    if query.get("grant_type").map(String::as_str) != Some("refresh_token") {
        return error(&state, &headers, StatusCode::BAD_REQUEST, "validation_failed", "unsupported_grant_type");
    }
    state.refreshes += 1;
    let given = body["refresh_token"].as_str().unwrap_or("");
    let Some(index) = state.sessions.iter().position(|s| s.refresh_token == given && !s.revoked) else {
        return error(
            &state,
            &headers,
            StatusCode::BAD_REQUEST,
            "refresh_token_not_found",
            "Invalid Refresh Token: Refresh Token Not Found",
        );
    };
    let refresh = format!("refresh-{}", random_text());
    state.sessions[index].refresh_token = refresh.clone();
    let (session_id, user_id) = (state.sessions[index].id.clone(), state.sessions[index].user_id.clone());
    let user = state.users.iter().find(|u| u.id == user_id).expect("the session's user");
    let claims = json!({
        "sub": user.id, "phone": user.phone, "role": "authenticated",
        "app_metadata": user.app_metadata, "user_metadata": user.user_metadata,
    });
    let session = issue(&mut state, &headers, claims, &session_id, &refresh, false);
    (StatusCode::OK, axum::Json(session)).into_response()
}

async fn logout(
    State(fake): State<Fake>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = gateway(&fake, &headers) {
        return refused;
    }
    let mut state = fake.state.lock().unwrap();
    let scope = query.get("scope").cloned().unwrap_or_default();
    if !matches!(scope.as_str(), "" | "global" | "local" | "others") {
        return error(
            &state,
            &headers,
            StatusCode::BAD_REQUEST,
            "validation_failed",
            &format!("Unsupported logout scope {scope:?}"),
        );
    }
    let Some(bearer) =
        headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
    else {
        return error(
            &state,
            &headers,
            StatusCode::UNAUTHORIZED,
            "no_authorization",
            "This endpoint requires a valid Bearer token",
        );
    };
    let Some((session_id, stale)) = state.access_tokens.get(bearer).cloned() else {
        return error(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            "bad_jwt",
            "invalid JWT: unable to parse or verify signature",
        );
    };
    if stale {
        return error(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            "bad_jwt",
            "invalid JWT: token has invalid claims: token is expired",
        );
    }
    let Some(session) = state.sessions.iter_mut().find(|s| s.id == session_id && !s.revoked) else {
        return error(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            "session_not_found",
            "Session from session_id claim in JWT does not exist",
        );
    };
    session.revoked = true;
    let logout = Logout {
        session_id,
        user_id: session.user_id.clone(),
        scope: if scope.is_empty() { "global".into() } else { scope },
    };
    state.logouts.push(logout);
    StatusCode::NO_CONTENT.into_response()
}

async fn settings(State(fake): State<Fake>, headers: HeaderMap) -> Response {
    if let Some(refused) = gateway(&fake, &headers) {
        return refused;
    }
    let phone = fake.state.lock().unwrap().phone_enabled;
    let body = json!({
        "external": { "anonymous_users": false, "email": true, "phone": phone, "google": false },
        "disable_signup": false, "mailer_autoconfirm": false, "phone_autoconfirm": false,
        "sms_provider": "twilio", "saml_enabled": false,
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// Public, as on a hosted project: no `apikey` needed.
async fn jwks(State(fake): State<Fake>) -> Response {
    match fake.state.lock().unwrap().jwks_mode {
        JwksMode::Good => {
            // As Supabase publishes them: with `key_ops` and `ext` beside the usual members.
            let mut keys = idp::jwks();
            for key in keys["keys"].as_array_mut().expect("a key list") {
                key["key_ops"] = json!(["verify"]);
                key["ext"] = json!(true);
            }
            axum::Json(keys).into_response()
        }
        JwksMode::Garbage => (StatusCode::OK, "<html>not a key set</html>").into_response(),
        JwksMode::Empty => axum::Json(json!({ "keys": [] })).into_response(),
    }
}
