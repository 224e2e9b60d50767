//! A fake Cognito user pool, built from the protocol notes (identity-provider-protocols.md §5):
//! `POST /` with `X-Amz-Target: AWSCognitoIdentityProviderService.<Op>` and JSON 1.1 bodies
//! (`InitiateAuth` with `USER_AUTH`, `RespondToAuthChallenge` for `SELECT_CHALLENGE` and `SMS_OTP`,
//! `RevokeToken`, `GlobalSignOut`), exceptions as `400 {"__type", "message"}`, and the pool's
//! `/.well-known/openid-configuration` and `jwks.json`. It records what it was asked and sent, and
//! can be told to misbehave.
//!
//! Where Cognito's behaviour isn't documented, the fake does what the adapter's docs say it
//! assumes: codes are 8 digits; a wrong code answers `CodeMismatchException` with a new `Session`
//! in the body (the old one is dead); the `SECRET_HASH` of an answer is made with the user's
//! internal name (`ChallengeParameters.USERNAME`), as Cognito wants when the number is an alias;
//! the client, its flow and the `SECRET_HASH` are checked before the user is looked up.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as Shared};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use rand::{Rng, RngExt};
use serde_json::{Value, json};

use crate::common::idp::{self, FakeServer};

pub const POOL: &str = "eu-west-1_KioskTest";
pub const CLIENT: &str = "kioskclient0123456789";
pub const ALEX: &str = "+12065550100";
pub const SAM: &str = "+12065550102";
pub const JORDAN: &str = "+12065550109";
/// A number no user of the pool has.
pub const NOBODY: &str = "+12065550199";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
const SESSION_LIFETIME: Duration = Duration::from_secs(180);

#[derive(Clone, Debug)]
pub struct User {
    pub phone: &'static str,
    /// The internal user name (the pool signs people in with their number as an alias).
    pub username: String,
    pub sub: String,
    pub name: Option<&'static str>,
    pub given_family: Option<(&'static str, &'static str)>,
    pub groups: Vec<&'static str>,
}

/// What the ID token of the next sign-in gets wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum IdToken {
    #[default]
    Good,
    /// Signed with another key under the published key's id.
    Forged,
    WrongAudience,
    /// An access token where the ID token should be.
    AccessTokenUse,
}

#[derive(Clone, Debug)]
pub struct Issued {
    pub sub: String,
    pub access: String,
    pub refresh: String,
    pub revoked: bool,
}

#[derive(Clone, Debug)]
pub struct Revocation {
    pub token: String,
    pub client_secret: Option<String>,
}

#[derive(Clone, Debug)]
struct Session {
    username: String,
    phone: String,
    /// `None` at the SELECT_CHALLENGE step, and for a made-up user.
    code: Option<String>,
    select: bool,
    known: bool,
    made: Instant,
}

pub struct State {
    pub issuer: String,
    pub client_secret: Option<String>,
    pub users: Vec<User>,
    sessions: HashMap<String, Session>,
    /// (number, code) of every SMS sent.
    pub sms: Vec<(String, String)>,
    /// (operation, body) of every call.
    pub calls: Vec<(String, Value)>,
    pub issued: Vec<Issued>,
    pub revoked: Vec<Revocation>,
    /// The `sub` of each `GlobalSignOut`.
    pub global_sign_outs: Vec<String>,
    /// `SECRET_HASH`es checked and found right.
    pub secret_hashes_checked: usize,
    // What the pool is told to do.
    /// "Prevent user existence errors": an unknown user gets a challenge that can't succeed.
    pub hide_unknown_users: bool,
    /// Answer `SELECT_CHALLENGE` even when `PREFERRED_CHALLENGE` is given.
    pub ignore_preferred_challenge: bool,
    /// A wrong code gets a new `Session` in the error body (and kills the old one); else the
    /// same session stays good for the next try.
    pub new_session_on_mismatch: bool,
    /// Every session answers "expired".
    pub expire_sessions: bool,
    pub id_token: IdToken,
    pub bad_jwks: bool,
    /// The app client has token revocation off.
    pub revocation_disabled: bool,
    /// The app client lacks ALLOW_USER_AUTH.
    pub user_auth_disabled: bool,
    faults: HashMap<String, VecDeque<(StatusCode, String, String)>>,
}

impl State {
    /// The next call of `operation` answers this exception (400; 500 for InternalErrorException).
    pub fn fail_next(&mut self, operation: &str, name: &str, message: &str) {
        let status =
            if name == "InternalErrorException" { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::BAD_REQUEST };
        self.faults.entry(operation.into()).or_default().push_back((status, name.into(), message.into()));
    }

    /// The bodies of the calls of `operation`, oldest first.
    pub fn calls_of(&self, operation: &str) -> Vec<Value> {
        self.calls.iter().filter(|(op, _)| op == operation).map(|(_, body)| body.clone()).collect()
    }

    pub fn codes_for(&self, phone: &str) -> Vec<String> {
        self.sms.iter().filter(|(to, _)| to == phone).map(|(_, code)| code.clone()).collect()
    }

    pub fn user(&self, phone: &str) -> User {
        self.users.iter().find(|u| u.phone == phone).cloned().expect("a user of the fake")
    }
}

pub struct Fake {
    pub server: FakeServer,
    state: Arc<Mutex<State>>,
}

impl Fake {
    /// A pool with Alex (worker), Sam (worker, given and family name only) and Jordan (in the
    /// `kiosk-manager` group); its app client has `client_secret` when given.
    pub fn start(client_secret: Option<&str>) -> Self {
        let user = |phone, n: u32, name, given_family, groups: &[&'static str]| User {
            phone,
            username: format!("0a1b2c3d-0000-4000-8000-00000000{n:04}"),
            sub: format!("5e6f7a8b-0000-4000-8000-00000000{n:04}"),
            name,
            given_family,
            groups: groups.to_vec(),
        };
        let state = Arc::new(Mutex::new(State {
            issuer: String::new(),
            client_secret: client_secret.map(str::to_string),
            users: vec![
                user(ALEX, 100, Some("Alex Rivera"), None, &[]),
                user(SAM, 102, None, Some(("Sam", "Okafor")), &["store-042"]),
                user(JORDAN, 109, Some("Jordan Lee"), None, &["store-042", "kiosk-manager"]),
            ],
            sessions: HashMap::new(),
            sms: Vec::new(),
            calls: Vec::new(),
            issued: Vec::new(),
            revoked: Vec::new(),
            global_sign_outs: Vec::new(),
            secret_hashes_checked: 0,
            hide_unknown_users: false,
            ignore_preferred_challenge: false,
            new_session_on_mismatch: true,
            expire_sessions: false,
            id_token: IdToken::Good,
            bad_jwks: false,
            revocation_disabled: false,
            user_auth_disabled: false,
            faults: HashMap::new(),
        }));
        let app = Router::new()
            .route("/", post(dispatch))
            .route("/{pool}/.well-known/openid-configuration", get(discovery))
            .route("/{pool}/.well-known/jwks.json", get(jwks))
            .with_state(state.clone());
        let server = FakeServer::start(app);
        state.lock().unwrap().issuer = format!("{}/{POOL}", server.url);
        Fake { server, state }
    }

    pub fn url(&self) -> &str {
        &self.server.url
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }

    /// The last code texted to `phone`.
    pub fn code_for(&self, phone: &str) -> String {
        self.with(|s| s.codes_for(phone)).pop().unwrap_or_else(|| panic!("no code was texted to {phone}"))
    }

    /// The `[backend]` lines for this pool, with `extra` lines.
    pub fn backend_lines(&self, extra: &str) -> String {
        format!(
            "kind = \"cognito\"\nurl = \"{}\"\nclient_id = \"{CLIENT}\"\nuser_pool_id = \"{POOL}\"\n{extra}",
            self.url()
        )
    }
}

/// Cognito's `SECRET_HASH`, computed here independently of the adapter.
pub fn secret_hash(secret: &str, username: &str) -> String {
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{username}{CLIENT}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn random(prefix: &str) -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

fn aws(status: StatusCode, body: Value) -> Response {
    (status, [(header::CONTENT_TYPE, CONTENT_TYPE)], body.to_string()).into_response()
}

fn exception(name: &str, message: &str) -> Response {
    aws(StatusCode::BAD_REQUEST, json!({ "__type": name, "message": message }))
}

fn text<'a>(body: &'a Value, key: &str) -> &'a str {
    body.get(key).and_then(Value::as_str).unwrap_or_default()
}

async fn dispatch(Shared(state): Shared<Arc<Mutex<State>>>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name| headers.get(name).and_then(|v: &axum::http::HeaderValue| v.to_str().ok()).unwrap_or_default();
    if header(header::CONTENT_TYPE.as_str()) != CONTENT_TYPE {
        return exception("SerializationException", "Content-Type must be application/x-amz-json-1.1");
    }
    let Some(operation) = header("x-amz-target").strip_prefix("AWSCognitoIdentityProviderService.") else {
        return exception("UnknownOperationException", "");
    };
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return exception("SerializationException", "the body is not JSON");
    };
    let mut state = state.lock().unwrap();
    state.calls.push((operation.to_string(), body.clone()));
    if let Some((status, name, message)) = state.faults.get_mut(operation).and_then(VecDeque::pop_front) {
        return aws(status, json!({ "__type": name, "message": message }));
    }
    match operation {
        "InitiateAuth" => initiate_auth(&mut state, &body),
        "RespondToAuthChallenge" => respond_to_auth_challenge(&mut state, &body),
        "RevokeToken" => revoke_token(&mut state, &body),
        "GlobalSignOut" => global_sign_out(&mut state, &body),
        _ => exception("UnknownOperationException", ""),
    }
}

fn no_such_client(body: &Value) -> Option<Response> {
    let client = text(body, "ClientId");
    (client != CLIENT)
        .then(|| exception("ResourceNotFoundException", &format!("User pool client {client} does not exist.")))
}

/// The `SECRET_HASH` in `params`, checked against `username` when the client has a secret.
fn wrong_secret_hash(state: &mut State, params: &Value, username: &str) -> Option<Response> {
    let secret = state.client_secret.clone()?;
    let Some(given) = params.get("SECRET_HASH").and_then(Value::as_str) else {
        return Some(exception(
            "NotAuthorizedException",
            &format!("Client {CLIENT} is configured with secret but SECRET_HASH was not received"),
        ));
    };
    if given != secret_hash(&secret, username) {
        return Some(exception("NotAuthorizedException", &format!("Unable to verify secret hash for client {CLIENT}")));
    }
    state.secret_hashes_checked += 1;
    None
}

fn initiate_auth(state: &mut State, body: &Value) -> Response {
    if let Some(refused) = no_such_client(body) {
        return refused;
    }
    if text(body, "AuthFlow") != "USER_AUTH" {
        return exception("InvalidParameterException", "Initiate Auth method not supported.");
    }
    if state.user_auth_disabled {
        return exception("InvalidParameterException", "USER_AUTH flow not enabled for this client");
    }
    let params = &body["AuthParameters"];
    let username = text(params, "USERNAME");
    if username.is_empty() {
        return exception("InvalidParameterException", "Missing required parameter USERNAME");
    }
    if let Some(refused) = wrong_secret_hash(state, params, username) {
        return refused;
    }
    let digits = username.strip_prefix('+').unwrap_or_default();
    if username.starts_with('+')
        && (digits.len() < 7 || digits.starts_with('0') || !digits.chars().all(|c| c.is_ascii_digit()))
    {
        return exception("InvalidParameterException", "Invalid phone number provided.");
    }
    let user = state.users.iter().find(|u| u.phone == username || u.username == username).cloned();
    let (internal, phone, known) = match user {
        Some(user) => (user.username, user.phone.to_string(), true),
        None if state.hide_unknown_users => (random("ghost-"), username.to_string(), false),
        None => return exception("UserNotFoundException", "User does not exist."),
    };
    let select = text(params, "PREFERRED_CHALLENGE") != "SMS_OTP" || state.ignore_preferred_challenge;
    let session = Session { username: internal, phone, code: None, select, known, made: Instant::now() };
    if select {
        let id = random("select-");
        let answer = json!({
            "ChallengeName": "SELECT_CHALLENGE",
            "Session": id,
            "ChallengeParameters": { "USERNAME": session.username },
            "AvailableChallenges": ["PASSWORD", "SMS_OTP"],
        });
        state.sessions.insert(id, session);
        return aws(StatusCode::OK, answer);
    }
    sms_challenge(state, session)
}

/// Texts a code (to a known user) and answers the SMS_OTP challenge.
fn sms_challenge(state: &mut State, mut session: Session) -> Response {
    let code = format!("{:08}", rand::rng().random_range(0..100_000_000u32));
    if session.known {
        state.sms.push((session.phone.clone(), code.clone()));
    }
    session.code = Some(code);
    session.select = false;
    session.made = Instant::now();
    let id = random("sms-");
    let last4 = &session.phone[session.phone.len().saturating_sub(4)..];
    let answer = json!({
        "ChallengeName": "SMS_OTP",
        "Session": id,
        "ChallengeParameters": {
            "CODE_DELIVERY_DELIVERY_MEDIUM": "SMS",
            "CODE_DELIVERY_DESTINATION": format!("+*******{last4}"),
            "USERNAME": session.username,
        },
    });
    state.sessions.insert(id, session);
    aws(StatusCode::OK, answer)
}

fn respond_to_auth_challenge(state: &mut State, body: &Value) -> Response {
    if let Some(refused) = no_such_client(body) {
        return refused;
    }
    let id = text(body, "Session").to_string();
    let Some(session) = state.sessions.get(&id).cloned() else {
        return exception("NotAuthorizedException", "Invalid session for the user.");
    };
    if state.expire_sessions || session.made.elapsed() > SESSION_LIFETIME {
        state.sessions.remove(&id);
        return exception("NotAuthorizedException", "Invalid session for the user, session is expired.");
    }
    let responses = &body["ChallengeResponses"];
    let username = text(responses, "USERNAME");
    if username != session.username && username != session.phone {
        return exception("NotAuthorizedException", "Invalid session for the user.");
    }
    if let Some(refused) = wrong_secret_hash(state, responses, &session.username.clone()) {
        return refused;
    }
    match (text(body, "ChallengeName"), session.select) {
        ("SELECT_CHALLENGE", true) if text(responses, "ANSWER") == "SMS_OTP" => {
            state.sessions.remove(&id);
            sms_challenge(state, session)
        }
        ("SMS_OTP", false) => {
            let given = text(responses, "SMS_OTP_CODE");
            if session.known && session.code.as_deref() == Some(given) {
                state.sessions.remove(&id);
                let user = state.user(&session.phone);
                return aws(StatusCode::OK, issue(state, &user));
            }
            let mut answer = json!({
                "__type": "com.amazonaws.cognito.identity.idp.model#CodeMismatchException",
                "message": "Invalid code received for user",
            });
            if state.new_session_on_mismatch {
                let next = state.sessions.remove(&id).expect("the session is there");
                let next_id = random("sms-");
                answer["Session"] = json!(next_id);
                state.sessions.insert(next_id, next);
            }
            aws(StatusCode::BAD_REQUEST, answer)
        }
        (name, _) => exception("InvalidParameterException", &format!("Unexpected challenge response {name}")),
    }
}

/// Tokens for `user`, as Cognito's `AuthenticationResult`.
fn issue(state: &mut State, user: &User) -> Value {
    let now = idp::epoch(0);
    let mut id = json!({
        "sub": user.sub,
        "aud": CLIENT,
        "iss": state.issuer,
        "token_use": "id",
        "cognito:username": user.username,
        "phone_number": user.phone,
        "phone_number_verified": true,
        "auth_time": now,
        "iat": now,
        "exp": now + 3600,
    });
    if let Some(name) = user.name {
        id["name"] = json!(name);
    }
    if let Some((given, family)) = user.given_family {
        id["given_name"] = json!(given);
        id["family_name"] = json!(family);
    }
    if !user.groups.is_empty() {
        id["cognito:groups"] = json!(user.groups);
    }
    match state.id_token {
        IdToken::WrongAudience => id["aud"] = json!("someone-elses-client"),
        IdToken::AccessTokenUse => id["token_use"] = json!("access"),
        IdToken::Good | IdToken::Forged => {}
    }
    let id_token = if state.id_token == IdToken::Forged { idp::forge(&id) } else { idp::sign(&id) };
    let access = idp::sign(&json!({
        "sub": user.sub,
        "iss": state.issuer,
        "client_id": CLIENT,
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "username": user.username,
        "jti": random(""),
        "iat": now,
        "exp": now + 3600,
    }));
    let refresh = random("refresh-");
    state.issued.push(Issued {
        sub: user.sub.clone(),
        access: access.clone(),
        refresh: refresh.clone(),
        revoked: false,
    });
    json!({
        "ChallengeParameters": {},
        "AuthenticationResult": {
            "AccessToken": access,
            "ExpiresIn": 3600,
            "TokenType": "Bearer",
            "RefreshToken": refresh,
            "IdToken": id_token,
        },
    })
}

fn revoke_token(state: &mut State, body: &Value) -> Response {
    if let Some(refused) = no_such_client(body) {
        return refused;
    }
    let given = body.get("ClientSecret").and_then(Value::as_str).map(str::to_string);
    if state.client_secret.is_some() && given != state.client_secret {
        return exception("NotAuthorizedException", "Client secret does not match");
    }
    if state.revocation_disabled {
        return exception("UnsupportedOperationException", "Token revocation is not enabled for this client.");
    }
    let token = text(body, "Token").to_string();
    for issued in state.issued.iter_mut().filter(|i| i.refresh == token) {
        issued.revoked = true;
    }
    state.revoked.push(Revocation { token, client_secret: given });
    aws(StatusCode::OK, json!({}))
}

fn global_sign_out(state: &mut State, body: &Value) -> Response {
    let access = text(body, "AccessToken");
    let Some(issued) = state.issued.iter().find(|i| i.access == access).cloned() else {
        return exception("NotAuthorizedException", "Invalid Access Token");
    };
    if issued.revoked {
        return exception("NotAuthorizedException", "Access Token has been revoked");
    }
    for each in state.issued.iter_mut().filter(|i| i.sub == issued.sub) {
        each.revoked = true;
    }
    state.global_sign_outs.push(issued.sub);
    aws(StatusCode::OK, json!({}))
}

async fn discovery(Shared(state): Shared<Arc<Mutex<State>>>, Path(pool): Path<String>) -> Response {
    if pool != POOL {
        return (StatusCode::NOT_FOUND, axum::Json(json!({ "message": format!("User pool {pool} does not exist.") })))
            .into_response();
    }
    let issuer = state.lock().unwrap().issuer.clone();
    axum::Json(json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "response_types_supported": ["code", "token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "phone", "profile"],
    }))
    .into_response()
}

async fn jwks(Shared(state): Shared<Arc<Mutex<State>>>, Path(pool): Path<String>) -> Response {
    if pool != POOL {
        return (StatusCode::NOT_FOUND, axum::Json(json!({ "message": format!("User pool {pool} does not exist.") })))
            .into_response();
    }
    if state.lock().unwrap().bad_jwks {
        return (StatusCode::OK, [(header::CONTENT_TYPE, "text/html")], "<html>maintenance</html>").into_response();
    }
    axum::Json(idp::jwks()).into_response()
}
