//! A fake Auth0 tenant, from the protocol notes (identity-provider-protocols.md §2, Auth0's
//! Authentication API reference, its error tables and the database-connection OTP guide): both
//! SMS flows (`/otp/challenge` on a database connection, `/passwordless/start` on `sms`), the
//! passwordless OTP grant at `/oauth/token` (JSON or form-urlencoded, as Auth0 accepts both),
//! `/oauth/revoke`, discovery and the JWKS. Codes follow Auth0's policy: only the latest code of
//! a number is valid, 3 wrong tries kill it, it lives 3 minutes.
//!
//! Where Auth0's answers are undocumented the fake picks one and says so: the classic flow's
//! refusal when sign-ups are disabled, the wording of an expired code, the order in which a
//! start checks its fields (client, connection, then number).
//!
//! It records what it was asked (texts sent, token requests, revocations) and can be told to
//! misbehave (rate-limit, expire codes, block, forge or mis-address ID tokens, break its JWKS).
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rand::RngExt;
use serde_json::{Value, json};

use crate::common::idp::{self, FakeServer};

pub const CLIENT_ID: &str = "kiosk-native-client";
pub const DB_CONNECTION: &str = "kiosk-users";
pub const SMS_CONNECTION: &str = "sms";
pub const ROLES_CLAIM: &str = "https://shiftkey.example/roles";
pub const OTP_GRANT: &str = "http://auth0.com/oauth/grant-type/passwordless/otp";
const CODE_LIFETIME: Duration = Duration::from_secs(180);
const MAX_TRIES: u32 = 3;

/// An account on the tenant.
#[derive(Debug, Clone)]
pub struct User {
    pub phone: &'static str,
    pub sub: &'static str,
    pub name: &'static str,
    pub roles: &'static [&'static str],
}

pub const ALEX: User = User { phone: "+12065550100", sub: "sms|alex", name: "Alex Rivera", roles: &["cashier"] };
pub const JORDAN: User =
    User { phone: "+12065550109", sub: "sms|jordan", name: "Jordan Lee", roles: &["kiosk-manager", "cashier"] };

/// How the fake misbehaves when told to.
#[derive(Debug, Default, Clone)]
pub struct Behaviour {
    /// Both starts answer 429 with this `Retry-After` (the per-address limit).
    pub start_rate_limited: Option<u64>,
    /// `/oauth/token` answers 429 with this `Retry-After`.
    pub token_rate_limited: Option<u64>,
    /// ID tokens are signed with a key that isn't the published one.
    pub forge: bool,
    /// ID tokens are for another application.
    pub wrong_audience: bool,
    /// The JWKS is not a key set.
    pub broken_jwks: bool,
    /// Discovery names another issuer.
    pub wrong_issuer: bool,
    /// `/oauth/token` answers 403 access_denied (a blocked account).
    pub blocked: bool,
}

/// A text the tenant sent.
#[derive(Debug, Clone)]
pub struct Sms {
    pub to: String,
    pub code: String,
}

/// A request the fake answered, with how its body came.
#[derive(Debug, Clone)]
pub struct Request {
    pub path: &'static str,
    pub content_type: String,
    pub fields: HashMap<String, String>,
    pub status: u16,
}

/// Tokens the tenant issued.
#[derive(Debug, Clone)]
pub struct Issued {
    pub sub: String,
    pub access: String,
    pub refresh: Option<String>,
}

#[derive(Debug)]
struct Code {
    phone: String,
    code: String,
    expires: Instant,
    wrong: u32,
    /// No account (otp-challenge answers anyway): no code was sent, none can match.
    nobody: bool,
}

#[derive(Default)]
struct Tenant {
    issuer: String,
    users: Vec<User>,
    behaviour: Behaviour,
    sms: Vec<Sms>,
    requests: Vec<Request>,
    issued: Vec<Issued>,
    /// otp-challenge: by `auth_session`.
    sessions: HashMap<String, Code>,
    /// Classic flow: the latest code of each number.
    classic: HashMap<String, Code>,
}

type Shared = Arc<Mutex<Tenant>>;

pub struct FakeAuth0 {
    pub server: FakeServer,
    tenant: Shared,
}

impl FakeAuth0 {
    /// A tenant with Alex (a cashier) and Jordan (a kiosk manager).
    pub fn start() -> Self {
        let tenant: Shared = Arc::new(Mutex::new(Tenant { users: vec![ALEX, JORDAN], ..Default::default() }));
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/.well-known/jwks.json", get(jwks))
            .route("/otp/challenge", post(otp_challenge))
            .route("/passwordless/start", post(passwordless_start))
            .route("/oauth/token", post(token))
            .route("/oauth/revoke", post(revoke))
            .with_state(tenant.clone());
        let server = FakeServer::start(app);
        tenant.lock().unwrap().issuer = format!("{}/", server.url);
        FakeAuth0 { server, tenant }
    }

    pub fn url(&self) -> &str {
        &self.server.url
    }

    /// Changes how the fake behaves from now on.
    pub fn set(&self, change: impl FnOnce(&mut Behaviour)) {
        change(&mut self.tenant.lock().unwrap().behaviour);
    }

    /// Every code texted to `phone`, oldest first.
    pub fn codes_for(&self, phone: &str) -> Vec<String> {
        self.tenant.lock().unwrap().sms.iter().filter(|s| s.to == phone).map(|s| s.code.clone()).collect()
    }

    pub fn sms_count(&self) -> usize {
        self.tenant.lock().unwrap().sms.len()
    }

    /// Every live code's lifetime ends now.
    pub fn expire_codes(&self) {
        let mut tenant = self.tenant.lock().unwrap();
        let past = Instant::now().checked_sub(Duration::from_secs(1)).unwrap();
        let Tenant { sessions, classic, .. } = &mut *tenant;
        for code in sessions.values_mut().chain(classic.values_mut()) {
            code.expires = past;
        }
    }

    pub fn requests(&self, path: &str) -> Vec<Request> {
        self.tenant.lock().unwrap().requests.iter().filter(|r| r.path == path).cloned().collect()
    }

    pub fn issued(&self) -> Vec<Issued> {
        self.tenant.lock().unwrap().issued.clone()
    }

    /// The tokens `/oauth/revoke` was asked to end.
    pub fn revoked(&self) -> Vec<String> {
        self.requests("/oauth/revoke").into_iter().filter_map(|r| r.fields.get("token").cloned()).collect()
    }
}

fn error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, axum::Json(json!({ "error": error, "error_description": description }))).into_response()
}

fn rate_limited(retry_after: u64) -> Response {
    let reset = idp::epoch(retry_after as i64).to_string();
    let mut response = error(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", "Too many requests");
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, retry_after.to_string().parse().unwrap());
    headers.insert("x-ratelimit-limit", "50".parse().unwrap());
    headers.insert("x-ratelimit-remaining", "0".parse().unwrap());
    headers.insert("x-ratelimit-reset", reset.parse().unwrap());
    response
}

/// A body as JSON or as a form, whichever its content type says (Auth0 takes both).
fn fields(headers: &HeaderMap, body: &Bytes) -> (String, HashMap<String, String>) {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let fields = if content_type.starts_with("application/json") {
        let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        value
            .as_object()
            .map(|map| {
                map.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        url::form_urlencoded::parse(body).into_owned().collect()
    };
    // The header that picks the SMS's language, kept beside the body's fields.
    let mut fields: HashMap<String, String> = fields;
    if let Some(language) = headers.get("x-request-language").and_then(|v| v.to_str().ok()) {
        fields.insert("header:x-request-language".into(), language.into());
    }
    (content_type, fields)
}

/// Records the request, answers it.
fn answer(
    tenant: &mut Tenant,
    path: &'static str,
    content_type: String,
    fields: HashMap<String, String>,
    response: Response,
) -> Response {
    tenant.requests.push(Request { path, content_type, fields, status: response.status().as_u16() });
    response
}

fn valid_e164(phone: &str) -> bool {
    phone
        .strip_prefix('+')
        .is_some_and(|digits| (1..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
}

fn new_code() -> String {
    // Never 000000: the tests type it as the wrong code.
    format!("{:06}", rand::rng().random_range(1..1_000_000))
}

fn random(prefix: &str) -> String {
    let bytes: [u8; 16] = rand::rng().random();
    format!("{prefix}{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

async fn discovery(State(tenant): State<Shared>) -> Response {
    let tenant = tenant.lock().unwrap();
    let base = tenant.issuer.trim_end_matches('/');
    let issuer = if tenant.behaviour.wrong_issuer {
        "https://other-tenant.auth0.com/".to_string()
    } else {
        tenant.issuer.clone()
    };
    axum::Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "id_token_signing_alg_values_supported": ["HS256", "RS256", "PS256"],
    }))
    .into_response()
}

async fn jwks(State(tenant): State<Shared>) -> Response {
    if tenant.lock().unwrap().behaviour.broken_jwks {
        return axum::Json(json!({ "keys": "none today" })).into_response();
    }
    axum::Json(idp::jwks()).into_response()
}

/// `POST /otp/challenge`: 200 `{auth_session}` for every well-formed number, known or not.
async fn otp_challenge(State(tenant): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let (content_type, f) = fields(&headers, &body);
    let mut tenant = tenant.lock().unwrap();
    let get = |key: &str| f.get(key).cloned().unwrap_or_default();
    let response = if let Some(retry) = tenant.behaviour.start_rate_limited {
        rate_limited(retry)
    } else if get("client_id").is_empty() {
        error(StatusCode::BAD_REQUEST, "invalid_request", "Missing required parameter: client_id")
    } else if get("client_id") != CLIENT_ID {
        error(StatusCode::UNAUTHORIZED, "invalid_client", "Unknown client")
    } else if get("connection") != DB_CONNECTION {
        error(StatusCode::BAD_REQUEST, "invalid_connection", "The connection does not exist or has no OTP configured")
    } else if !valid_e164(&get("phone_number")) {
        let body = json!({
            "error": "invalid_request",
            "error_description": "phone_number must be in E.164 format",
            "validation_errors": [{ "field": "phone_number", "message": "phone_number must be in E.164 format" }],
        });
        (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
    } else {
        let phone = get("phone_number");
        let known = tenant.users.iter().any(|u| u.phone == phone);
        // Only the latest code of a number is valid.
        tenant.sessions.retain(|_, code| code.phone != phone);
        let code = new_code();
        if known {
            tenant.sms.push(Sms { to: phone.clone(), code: code.clone() });
        }
        let session = random("as_");
        let entry = Code { phone, code, expires: Instant::now() + CODE_LIFETIME, wrong: 0, nobody: !known };
        tenant.sessions.insert(session.clone(), entry);
        axum::Json(json!({ "auth_session": session })).into_response()
    };
    answer(&mut tenant, "/otp/challenge", content_type, f, response)
}

/// `POST /passwordless/start` on the `sms` connection, "Disable Sign Ups" on.
async fn passwordless_start(State(tenant): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let (content_type, f) = fields(&headers, &body);
    let mut tenant = tenant.lock().unwrap();
    let get = |key: &str| f.get(key).cloned().unwrap_or_default();
    let phone = get("phone_number");
    let response = if let Some(retry) = tenant.behaviour.start_rate_limited {
        rate_limited(retry)
    } else if get("client_id").is_empty() {
        error(StatusCode::BAD_REQUEST, "bad.client_id", "Missing required property: client_id")
    } else if get("client_id") != CLIENT_ID {
        error(StatusCode::BAD_REQUEST, "bad.client_id", "Unknown client")
    } else if get("connection") != SMS_CONNECTION {
        error(StatusCode::BAD_REQUEST, "bad.connection", "Connection does not exist")
    } else if !valid_e164(&phone) {
        error(StatusCode::BAD_REQUEST, "bad.phone_number", "String does not match pattern: ^\\+[0-9]{1,15}$")
    } else if get("send") != "code" {
        error(StatusCode::BAD_REQUEST, "bad.request", "the following properties are not allowed: send")
    } else if !tenant.users.iter().any(|u| u.phone == phone) {
        // Undocumented (the notes: "not found"): the fake's wording for a disabled sign-up.
        error(StatusCode::BAD_REQUEST, "unauthorized", "Public signup is disabled")
    } else {
        let code = new_code();
        tenant.sms.push(Sms { to: phone.clone(), code: code.clone() });
        let entry =
            Code { phone: phone.clone(), code, expires: Instant::now() + CODE_LIFETIME, wrong: 0, nobody: false };
        tenant.classic.insert(phone.clone(), entry);
        axum::Json(json!({ "_id": random(""), "phone_number": phone, "request_language": null })).into_response()
    };
    answer(&mut tenant, "/passwordless/start", content_type, f, response)
}

/// Checks `otp` against a code: None when it matches (and the code is used up), else the
/// refusal: wrong (a try counted, the code dead after 3) or expired.
fn check_code(code: &mut Code, otp: &str) -> Option<bool> {
    if code.expires <= Instant::now() {
        return Some(true);
    }
    if code.nobody || code.wrong >= MAX_TRIES || code.code != otp {
        code.wrong += 1;
        return Some(false);
    }
    None
}

/// `POST /oauth/token` with the passwordless OTP grant.
async fn token(State(tenant): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let (content_type, f) = fields(&headers, &body);
    let mut guard = tenant.lock().unwrap();
    let tenant = &mut *guard;
    let get = |key: &str| f.get(key).cloned().unwrap_or_default();
    let behaviour = tenant.behaviour.clone();
    let response = if get("grant_type") != OTP_GRANT {
        error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "Unsupported grant type")
    } else if get("client_id") != CLIENT_ID {
        error(StatusCode::UNAUTHORIZED, "access_denied", "Unauthorized")
    } else if let Some(retry) = behaviour.token_rate_limited {
        rate_limited(retry)
    } else if behaviour.blocked {
        error(StatusCode::FORBIDDEN, "access_denied", "user is blocked")
    } else if f.contains_key("auth_session") {
        // The database-connection flow: every failure is a 400 invalid_request.
        let session = get("auth_session");
        match tenant.sessions.get_mut(&session).map(|code| (check_code(code, &get("otp")), code.phone.clone())) {
            None => error(StatusCode::BAD_REQUEST, "invalid_request", "Wrong or expired OTP"),
            Some((Some(true), _)) => error(StatusCode::BAD_REQUEST, "invalid_request", "The auth_session has expired"),
            Some((Some(false), _)) => {
                if tenant.sessions.get(&session).is_some_and(|c| c.wrong >= MAX_TRIES) {
                    tenant.sessions.remove(&session);
                }
                error(StatusCode::BAD_REQUEST, "invalid_request", "Wrong or expired OTP")
            }
            Some((None, phone)) => {
                tenant.sessions.remove(&session);
                grant(tenant, &phone, &get("scope"), &behaviour)
            }
        }
    } else {
        // The classic flow: the number and its connection.
        let phone = get("username");
        let wrong = || error(StatusCode::FORBIDDEN, "invalid_grant", "Wrong phone number or verification code.");
        if get("realm") != SMS_CONNECTION {
            error(StatusCode::BAD_REQUEST, "invalid_request", "Connection does not exist")
        } else {
            match tenant.classic.get_mut(&phone).map(|code| check_code(code, &get("otp"))) {
                None => wrong(),
                // The fake's wording: Auth0 documents none for an expired code.
                Some(Some(true)) => error(StatusCode::FORBIDDEN, "invalid_grant", "The verification code has expired."),
                Some(Some(false)) => {
                    if tenant.classic.get(&phone).is_some_and(|c| c.wrong >= MAX_TRIES) {
                        tenant.classic.remove(&phone);
                    }
                    wrong()
                }
                Some(None) => {
                    tenant.classic.remove(&phone);
                    grant(tenant, &phone, &get("scope"), &behaviour)
                }
            }
        }
    };
    answer(tenant, "/oauth/token", content_type, f, response)
}

/// The token response for the account with `phone`.
fn grant(tenant: &mut Tenant, phone: &str, scope: &str, behaviour: &Behaviour) -> Response {
    let Some(user) = tenant.users.iter().find(|u| u.phone == phone).cloned() else {
        return error(StatusCode::BAD_REQUEST, "invalid_request", "Wrong or expired OTP");
    };
    let audience = if behaviour.wrong_audience { "another-application" } else { CLIENT_ID };
    let claims = json!({
        "iss": tenant.issuer,
        "aud": audience,
        "sub": user.sub,
        "name": user.name,
        "phone_number": user.phone,
        "iat": idp::epoch(0),
        "exp": idp::epoch(36_000),
        ROLES_CLAIM: user.roles,
    });
    let id_token = if behaviour.forge { idp::forge(&claims) } else { idp::sign(&claims) };
    let access = random("at_");
    let refresh = scope.split_whitespace().any(|s| s == "offline_access").then(|| random("rt_"));
    tenant.issued.push(Issued { sub: user.sub.into(), access: access.clone(), refresh: refresh.clone() });
    let mut body = json!({
        "access_token": access,
        "id_token": id_token,
        "scope": scope,
        "expires_in": 86400,
        "token_type": "Bearer",
    });
    if let Some(refresh) = refresh {
        body["refresh_token"] = json!(refresh);
    }
    axum::Json(body).into_response()
}

/// `POST /oauth/revoke`: a native application's refresh token, no client secret; 200, empty.
async fn revoke(State(tenant): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let (content_type, f) = fields(&headers, &body);
    let mut tenant = tenant.lock().unwrap();
    let response = if f.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        error(StatusCode::UNAUTHORIZED, "invalid_client", "Client authentication failed")
    } else if f.get("token").is_none_or(String::is_empty) {
        error(StatusCode::BAD_REQUEST, "invalid_request", "Missing required parameter: token")
    } else {
        StatusCode::OK.into_response()
    };
    answer(&mut tenant, "/oauth/revoke", content_type, f, response)
}
