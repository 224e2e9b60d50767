//! A local Ory Kratos public API, built from the ory/kratos source (see
//! /work/shared/reference/identity-provider-protocols.md §4): the native login flow with the
//! `code` method — a code sent is a 400 with the flow in `sent_email` and message 1010014, a wrong
//! code 4010008, an unknown number 4000035, more than 5 codes "submitted too often", an expired
//! flow a 410 with `use_flow_id` — `/sessions/whoami` by `X-Session-Token`, and the native logout
//! (204, also when already revoked; 403 for a token it doesn't know). Like Kratos, it refuses API
//! flow submissions that carry an `Origin` header or cookies, and counts every request that did.
//!
//! It records what it was asked (codes texted, codes submitted, tokens logged out) and can be told
//! to misbehave: rate-limit, expire every flow, answer whoami for someone else or not at all, be
//! the admin API, or have the `code` method switched off.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use rand::RngExt;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::common::idp::FakeServer;

/// Kratos's `max_submissions` default.
const MAX_SUBMISSIONS: u32 = 5;
const FLOW_LIFESPAN: Duration = Duration::from_secs(3600);
const SESSION_LIFESPAN: Duration = Duration::from_secs(24 * 3600);

/// Someone Kratos knows: their phone is the `code` credential's identifier.
#[derive(Clone)]
pub struct Person {
    pub id: String,
    pub phone: String,
    pub traits: Value,
    pub metadata_public: Value,
}

/// Alex, a worker: `name` as `{first, last}`, no roles.
pub fn alex() -> Person {
    Person {
        id: "5f2a1c0e-0000-4000-8000-00000000a1e8".into(),
        phone: "+12065550100".into(),
        traits: json!({ "phone": "+12065550100", "name": { "first": "Alex", "last": "Rivera" } }),
        metadata_public: Value::Null,
    }
}

/// Jordan, a store manager through `metadata_public.roles`.
pub fn jordan() -> Person {
    Person {
        id: "5f2a1c0e-0000-4000-8000-0000000j0d4n".into(),
        phone: "+12065550109".into(),
        traits: json!({ "phone": "+12065550109", "name": "Jordan Lee" }),
        metadata_public: json!({ "roles": ["kiosk-manager"] }),
    }
}

/// What the fake serves as.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Kratos,
    /// Kratos's admin API: it answers /health/alive but has no self-service routes.
    AdminApi,
    /// A Kratos without `selfservice.methods.code.passwordless_enabled`: password only.
    NoCodeMethod,
}

/// How `/sessions/whoami` answers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Whoami {
    Honest,
    /// Names another identity (the manager) than the session's.
    OtherIdentity,
    /// 401, as for a token it doesn't know.
    Refuses,
}

struct FlowRecord {
    state: &'static str,
    identifier: String,
    identity: Option<String>,
    code: Option<String>,
    submissions: u32,
    issued_at: SystemTime,
    expires_at: SystemTime,
}

struct SessionRecord {
    id: String,
    identity: String,
    active: bool,
}

struct Inner {
    mode: Mode,
    people: Vec<Person>,
    flows: HashMap<String, FlowRecord>,
    sessions: HashMap<String, SessionRecord>,
    texts: Vec<(String, String)>,
    code_submissions: Vec<String>,
    logouts: Vec<String>,
    flows_created: usize,
    browser_requests: usize,
    rate_limit: Option<u64>,
    expire_flows: bool,
    whoami: Whoami,
}

type Shared = Arc<Mutex<Inner>>;

pub struct FakeKratos {
    pub server: FakeServer,
    inner: Shared,
}

impl FakeKratos {
    /// Kratos knowing Alex and Jordan.
    pub fn start() -> Self {
        Self::start_as(Mode::Kratos)
    }

    pub fn start_as(mode: Mode) -> Self {
        let inner = Arc::new(Mutex::new(Inner {
            mode,
            people: vec![alex(), jordan()],
            flows: HashMap::new(),
            sessions: HashMap::new(),
            texts: Vec::new(),
            code_submissions: Vec::new(),
            logouts: Vec::new(),
            flows_created: 0,
            browser_requests: 0,
            rate_limit: None,
            expire_flows: false,
            whoami: Whoami::Honest,
        }));
        let app = Router::new()
            .route("/health/alive", get(alive))
            .route("/self-service/login/api", get(create_flow))
            .route("/self-service/login", post(submit))
            .route("/sessions/whoami", get(whoami))
            .route("/self-service/logout/api", delete(logout))
            .with_state(inner.clone());
        FakeKratos { server: FakeServer::start(app), inner }
    }

    pub fn url(&self) -> &str {
        &self.server.url
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        f(&mut self.inner.lock().unwrap())
    }

    /// Codes texted to `phone`, oldest first.
    pub fn texts_to(&self, phone: &str) -> Vec<String> {
        self.with(|k| k.texts.iter().filter(|(to, _)| to == phone).map(|(_, code)| code.clone()).collect())
    }

    /// Waits (up to 5 s) until `count` codes went to `phone`; the last one.
    pub async fn code_for(&self, phone: &str, count: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let texts = self.texts_to(phone);
            if texts.len() >= count {
                return texts[count - 1].clone();
            }
            assert!(Instant::now() < deadline, "no code #{count} texted to {phone}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub fn texts(&self) -> usize {
        self.with(|k| k.texts.len())
    }

    /// The identifiers codes were submitted for, one per submission.
    pub fn code_submissions(&self) -> Vec<String> {
        self.with(|k| k.code_submissions.clone())
    }

    /// Session tokens ended by a logout.
    pub fn logouts(&self) -> Vec<String> {
        self.with(|k| k.logouts.clone())
    }

    /// Waits (up to 5 s) until `count` tokens were logged out; them.
    pub async fn wait_logouts(&self, count: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let logouts = self.logouts();
            if logouts.len() >= count {
                return logouts;
            }
            assert!(Instant::now() < deadline, "{} logouts, not {count}", logouts.len());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Session tokens issued, and whether each is still active.
    pub fn sessions(&self) -> Vec<(String, bool)> {
        self.with(|k| k.sessions.iter().map(|(token, s)| (token.clone(), s.active)).collect())
    }

    pub fn flows_created(&self) -> usize {
        self.with(|k| k.flows_created)
    }

    /// Requests that came with an `Origin` header or cookies (Kratos refuses those on API flows).
    pub fn browser_requests(&self) -> usize {
        self.with(|k| k.browser_requests)
    }

    /// Requests for a code get a 429 with this `Retry-After` (None: served again).
    pub fn rate_limit(&self, retry_after: Option<u64>) {
        self.with(|k| k.rate_limit = retry_after);
    }

    /// Every flow is past its lifespan (submissions get the 410).
    pub fn expire_flows(&self, expired: bool) {
        self.with(|k| k.expire_flows = expired);
    }

    pub fn whoami_answers(&self, whoami: Whoami) {
        self.with(|k| k.whoami = whoami);
    }
}

fn random_id() -> String {
    let mut rng = rand::rng();
    let hex: String = (0..32).map(|_| format!("{:x}", rng.random_range(0..16u8))).collect();
    format!("{}-{}-4{}-8{}-{}", &hex[..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..32])
}

fn timestamp(at: SystemTime) -> String {
    humantime::format_rfc3339_micros(at).to_string()
}

/// Kratos's `{"error": {...}}` body.
fn error(status: StatusCode, id: Option<&str>, reason: &str) -> Response {
    let mut error = json!({ "code": status.as_u16(), "status": status.canonical_reason(), "reason": reason,
        "message": "The request was malformed or contained invalid parameters" });
    if let Some(id) = id {
        error["id"] = json!(id);
    }
    (status, Json(json!({ "error": error }))).into_response()
}

fn message(id: u64, text: &str, kind: &str) -> Value {
    json!({ "id": id, "text": text, "type": kind })
}

fn node(group: &str, name: &str, kind: &str, value: &str) -> Value {
    json!({ "type": "input", "group": group, "messages": [], "meta": {},
        "attributes": { "name": name, "type": kind, "value": value, "node_type": "input", "disabled": false } })
}

/// The flow as Kratos sends it, with these messages on the form.
fn flow_json(mode: Mode, host: &str, id: &str, flow: &FlowRecord, messages: Vec<Value>) -> Value {
    let mut nodes = vec![node("default", "csrf_token", "hidden", "")];
    match (flow.state, mode) {
        ("sent_email", _) => nodes.extend([
            node("default", "identifier", "hidden", &flow.identifier),
            node("code", "code", "text", ""),
            node("code", "method", "submit", "code"),
            node("code", "resend", "submit", "code"),
        ]),
        (_, Mode::NoCodeMethod) => nodes.extend([
            node("default", "identifier", "text", ""),
            node("password", "password", "password", ""),
            node("password", "method", "submit", "password"),
        ]),
        _ => nodes.extend([node("default", "identifier", "text", ""), node("code", "method", "submit", "code")]),
    }
    json!({
        "id": id, "type": "api", "state": flow.state, "refresh": false, "requested_aal": "aal1",
        "issued_at": timestamp(flow.issued_at), "expires_at": timestamp(flow.expires_at),
        "request_url": format!("http://{host}/self-service/login/api"),
        "ui": { "action": format!("http://{host}/self-service/login?flow={id}"), "method": "POST",
                "nodes": nodes, "messages": messages },
    })
}

fn session_json(id: &str, person: &Person) -> Value {
    let now = SystemTime::now();
    json!({
        "id": id, "active": true, "authenticator_assurance_level": "aal1",
        "authenticated_at": timestamp(now), "issued_at": timestamp(now), "expires_at": timestamp(now + SESSION_LIFESPAN),
        "authentication_methods": [{ "method": "code", "aal": "aal1", "completed_at": timestamp(now) }],
        "identity": { "id": person.id, "schema_id": "default", "state": "active", "traits": person.traits,
                      "metadata_public": person.metadata_public,
                      "verifiable_addresses": [{ "value": person.phone, "via": "sms", "verified": true }] },
    })
}

fn host(headers: &HeaderMap) -> String {
    headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("kratos.test").to_string()
}

fn from_a_browser(headers: &HeaderMap) -> bool {
    headers.contains_key(header::ORIGIN) || headers.contains_key(header::COOKIE)
}

async fn alive(State(kratos): State<Shared>, headers: HeaderMap) -> Json<Value> {
    kratos.lock().unwrap().browser_requests += usize::from(from_a_browser(&headers));
    Json(json!({ "status": "ok" }))
}

async fn create_flow(State(kratos): State<Shared>, headers: HeaderMap) -> Response {
    let mut k = kratos.lock().unwrap();
    k.browser_requests += usize::from(from_a_browser(&headers));
    if k.mode == Mode::AdminApi {
        return error(StatusCode::NOT_FOUND, None, "The requested resource could not be found");
    }
    let id = random_id();
    let now = SystemTime::now();
    let flow = FlowRecord {
        state: "choose_method",
        identifier: String::new(),
        identity: None,
        code: None,
        submissions: 0,
        issued_at: now,
        expires_at: now + FLOW_LIFESPAN,
    };
    let body = flow_json(k.mode, &host(&headers), &id, &flow, Vec::new());
    k.flows.insert(id, flow);
    k.flows_created += 1;
    (StatusCode::OK, Json(body)).into_response()
}

#[derive(Deserialize)]
struct FlowQuery {
    flow: String,
}

#[derive(Deserialize)]
struct Submission {
    method: Option<String>,
    identifier: Option<String>,
    code: Option<String>,
    resend: Option<String>,
}

async fn submit(
    State(kratos): State<Shared>,
    Query(query): Query<FlowQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut guard = kratos.lock().unwrap();
    let k = &mut *guard;
    if from_a_browser(&headers) {
        k.browser_requests += 1;
        return error(
            StatusCode::BAD_REQUEST,
            Some("security_csrf_violation"),
            "The HTTP Request Header included the \"Origin\" key or a Cookie, indicating that this request was made by a browser",
        );
    }
    let Ok(submission) = serde_json::from_slice::<Submission>(&body) else {
        return error(StatusCode::BAD_REQUEST, None, "the request body is not JSON");
    };
    let (mode, host) = (k.mode, host(&headers));
    let Some(flow) = k.flows.get_mut(&query.flow) else {
        return error(StatusCode::NOT_FOUND, None, "The login flow could not be found");
    };
    let reply = |flow: &FlowRecord, messages: Vec<Value>| {
        (StatusCode::BAD_REQUEST, Json(flow_json(mode, &host, &query.flow, flow, messages))).into_response()
    };
    if k.expire_flows || SystemTime::now() > flow.expires_at {
        let expired_at = flow.expires_at.min(SystemTime::now());
        let replacement = random_id();
        let now = SystemTime::now();
        k.flows.insert(
            replacement.clone(),
            FlowRecord {
                state: "choose_method",
                identifier: String::new(),
                identity: None,
                code: None,
                submissions: 0,
                issued_at: now,
                expires_at: now + FLOW_LIFESPAN,
            },
        );
        let mut body = json!({ "error": { "id": "self_service_flow_expired", "code": 410, "status": "Gone",
            "reason": "The self-service flow expired 0.00 minutes ago, initialize a new one.",
            "message": "The requested resource is no longer available because it has been intentionally removed" } });
        body["expired_at"] = json!(timestamp(expired_at));
        body["since"] = json!(0);
        body["use_flow_id"] = json!(replacement);
        return (StatusCode::GONE, Json(body)).into_response();
    }
    if submission.method.as_deref() != Some("code") || mode == Mode::NoCodeMethod {
        let text = "Could not find a strategy to log you in with. Did you fill out the form correctly?";
        return reply(flow, vec![message(4010002, text, "error")]);
    }
    if submission.resend.as_deref() == Some("code") {
        flow.state = "choose_method";
    }
    let identifier = submission.identifier.unwrap_or_default();
    if submission.code.as_deref().is_some_and(|code| !code.is_empty()) {
        k.code_submissions.push(identifier.clone());
    }
    let person = k.people.iter().find(|p| p.phone == identifier).cloned();
    let no_code_user = || message(4000035, "This account does not exist or has not setup sign in with code.", "error");
    match flow.state {
        "choose_method" => {
            if let Some(seconds) = k.rate_limit {
                let mut response =
                    error(StatusCode::TOO_MANY_REQUESTS, None, "Too many requests, please try again later.");
                response.headers_mut().insert(header::RETRY_AFTER, seconds.to_string().parse().unwrap());
                return response;
            }
            let Some(person) = person else {
                return reply(flow, vec![no_code_user()]);
            };
            // Kratos deletes the flow's old codes and sends a new one; the count goes on.
            let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
            k.texts.push((person.phone.clone(), code.clone()));
            flow.code = Some(code);
            flow.identity = Some(person.id);
            flow.identifier = identifier;
            flow.state = "sent_email";
            let text = "A code was sent to the address you provided. If you didn't receive it, please check the \
                        spelling of the address and try again.";
            reply(flow, vec![message(1010014, text, "info")])
        }
        "sent_email" => {
            let Some(code) = submission.code.filter(|c| !c.is_empty()) else {
                return reply(flow, vec![message(4000002, "Property code is missing.", "error")]);
            };
            flow.submissions += 1;
            if flow.submissions > MAX_SUBMISSIONS {
                let text = "The request was submitted too often. Please request another code.";
                return reply(flow, vec![message(4000001, text, "error")]);
            }
            let Some(person) = person else {
                return reply(flow, vec![no_code_user()]);
            };
            if flow.code.as_deref() != Some(code.as_str()) || flow.identity.as_deref() != Some(person.id.as_str()) {
                let text = "The login code is invalid or has already been used. Please try again.";
                return reply(flow, vec![message(4010008, text, "error")]);
            }
            flow.code = None;
            flow.state = "passed_challenge";
            let token = format!("ory_st_{}", random_id().replace('-', ""));
            let session = random_id();
            let body =
                json!({ "session_token": token, "session": session_json(&session, &person), "continue_with": [] });
            k.sessions.insert(token, SessionRecord { id: session, identity: person.id, active: true });
            (StatusCode::OK, Json(body)).into_response()
        }
        _ => {
            let text = "The request was already completed successfully and can not be retried.";
            reply(flow, vec![message(4010007, text, "error")])
        }
    }
}

async fn whoami(State(kratos): State<Shared>, headers: HeaderMap) -> Response {
    let mut k = kratos.lock().unwrap();
    k.browser_requests += usize::from(from_a_browser(&headers));
    let token = headers.get("x-session-token").and_then(|t| t.to_str().ok()).unwrap_or_default();
    let unauthorized = || error(StatusCode::UNAUTHORIZED, None, "No valid session credentials found in the request.");
    let Some(session) = k.sessions.get(token).filter(|s| s.active) else {
        return unauthorized();
    };
    let person = match k.whoami {
        Whoami::Refuses => return unauthorized(),
        Whoami::Honest => k.people.iter().find(|p| p.id == session.identity),
        Whoami::OtherIdentity => k.people.iter().find(|p| p.id != session.identity),
    };
    let person = person.cloned().expect("the session's identity exists");
    (StatusCode::OK, Json(session_json(&session.id, &person))).into_response()
}

#[derive(Deserialize)]
struct LogoutBody {
    session_token: String,
}

async fn logout(State(kratos): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let mut k = kratos.lock().unwrap();
    k.browser_requests += usize::from(from_a_browser(&headers));
    let Ok(LogoutBody { session_token }) = serde_json::from_slice(&body) else {
        return error(StatusCode::BAD_REQUEST, None, "the request body is not JSON");
    };
    let Some(session) = k.sessions.get_mut(&session_token) else {
        let reason = "The provided Ory Session Token could not be found, is invalid, or otherwise malformed.";
        return error(StatusCode::FORBIDDEN, None, reason);
    };
    if session.active {
        session.active = false;
        k.logouts.push(session_token);
    }
    StatusCode::NO_CONTENT.into_response()
}
