//! The adapter for privacyIDEA (3.14): an on-premises multi-factor server whose SMS token
//! signs workers in by phone number.
//!
//! The set-up it expects (docs/providers/privacyidea.md): a user store whose login name *is*
//! the E.164 number, a realm for the kiosk, an SMS token per user, `otppin=none` (or a service
//! token), `add_user_in_response`. The exchange is two form-encoded POSTs to
//! `/validate/check`: an empty `pass` triggers the SMS (`CHALLENGE` + a transaction id), the
//! code with that transaction id answers it (`ACCEPT` + the user's attributes).
//!
//! privacyIDEA issues nothing a session could hold, and has no sign-out: the identity is the
//! `ACCEPT` itself. So it is only believed when it came over `backend.url` (TLS) and, with
//! `backend.public_key`, when its signature verifies and it echoes the nonce this request
//! carried (`signature`). Never: use privacyIDEA's `/auth` JWT for the session (HS256 under
//! the server's secret, every self-service right, not revocable).

mod signature;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use reqwest::header::{ACCEPT_LANGUAGE, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use self::signature::ResponseKey;
use super::{
    AuthBackend, AuthError, BuildError, Challenge, Grant, Problem, SignedInUser, SignedOut, Tokens, http, jwt,
};
use crate::config::BackendConfig;
use crate::phone::PhoneNumber;
use crate::secret::{AccessToken, OtpCode};

/// privacyIDEA's own default `sms.providerTimeout`, until a challenge has said otherwise.
const DEFAULT_CODE_LIFETIME: Duration = Duration::from_secs(300);
/// privacyIDEA has no resend cooldown: the kiosk keeps one, so the send cap isn't spent in
/// seconds.
const RESEND_AFTER: Duration = Duration::from_secs(30);
/// privacyIDEA issues no token: the session lasts as the kiosk's own limits say.
const GRANT_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// The limits of the recommended set-up (docs/providers/privacyidea.md). privacyIDEA doesn't
/// say how long its refusals last, so these are the kiosk's `retry_after`s; and unknown
/// numbers are made to run into the same limits at the same points as known ones.
mod limits {
    use std::time::Duration;

    /// Conditional access: `failure_threshold` of `CHALLENGE_TRIGGERED` per user ...
    pub const SENDS: usize = 4;
    /// ... in `time_window_seconds`.
    pub const SEND_WINDOW: Duration = Duration::from_secs(300);
    /// `DefaultMaxFailCount`: wrong codes that lock a token.
    pub const FAILS: u32 = 5;
    /// `failcounter_clear_timeout` (minutes): when a locked token opens again.
    pub const FAIL_CLEAR: Duration = Duration::from_secs(600);
}

/// An answer larger than this is not privacyIDEA's.
const MAX_BODY: usize = 256 * 1024;
/// Open challenges kept (a kiosk has two forms at most; the rest are abandoned ones).
const MAX_PENDING: usize = 64;
/// Unknown numbers whose limits are imitated.
const MAX_UNKNOWN: usize = 1024;
/// A login name no user store has: `check` asks about it.
const PROBE_USER: &str = "shiftkey-check-no-such-user";

#[derive(Clone)]
pub struct PrivacyideaBackend {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    /// Ends in `/`, so paths join under it (privacyIDEA may live under a prefix).
    base: Url,
    realm: String,
    roles_attribute: String,
    code_length: usize,
    service_token: Option<SecretString>,
    key: Option<ResponseKey>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    pending: HashMap<String, Pending>,
    /// Keyed by SHA-256 of the number: no list of typed numbers is kept.
    unknown: HashMap<[u8; 32], Unknown>,
    /// The last real challenge's lifetime: an unknown number's challenge gets the same.
    lifetime: Option<Duration>,
    /// How long real starts take (with the SMS gateway's share): an unknown number's start
    /// takes as long.
    start_duration: Option<Duration>,
}

/// A challenge the kiosk holds an id for.
struct Pending {
    phone: PhoneNumber,
    /// privacyIDEA's transaction; `None` for a number privacyIDEA doesn't know.
    transaction: Option<String>,
    expires_at: Instant,
}

/// What happened to an unknown number, so it meets the limits a known one would.
#[derive(Default)]
struct Unknown {
    sends: Vec<Instant>,
    fails: u32,
    last_fail: Option<Instant>,
    seen: Option<Instant>,
}

impl Unknown {
    fn forget_old(&mut self, now: Instant) {
        self.sends.retain(|sent| now.duration_since(*sent) < limits::SEND_WINDOW);
        if self.last_fail.is_some_and(|at| now.duration_since(at) >= limits::FAIL_CLEAR) {
            self.fails = 0;
            self.last_fail = None;
        }
        self.seen = Some(now);
    }

    /// A start: refused as a locked token or a reached send cap is, else counted.
    fn start(&mut self, now: Instant) -> Result<(), AuthError> {
        self.forget_old(now);
        if self.fails >= limits::FAILS {
            return Err(AuthError::RateLimited { retry_after: limits::FAIL_CLEAR });
        }
        if self.sends.len() >= limits::SENDS {
            return Err(AuthError::RateLimited { retry_after: limits::SEND_WINDOW });
        }
        self.sends.push(now);
        Ok(())
    }

    /// A code: always wrong, as privacyIDEA would say it.
    fn verify(&mut self, now: Instant, expired: bool) -> AuthError {
        self.forget_old(now);
        if self.sends.len() >= limits::SENDS {
            return AuthError::RateLimited { retry_after: limits::SEND_WINDOW };
        }
        if self.fails >= limits::FAILS {
            return AuthError::TooManyAttempts;
        }
        self.fails += 1;
        self.last_fail = Some(now);
        if expired { AuthError::Expired } else { AuthError::CodeRejected }
    }
}

/// A privacyIDEA answer that passed the checks configured (signature, nonce).
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    body: Value,
}

/// What an answer says, in the terms this adapter acts on.
#[derive(Debug, PartialEq)]
enum Outcome {
    Challenge {
        transaction: String,
        lifetime: Option<Duration>,
    },
    Accept(Map<String, Value>),
    Reject(Refusal),
    /// ERR904: the user (the number) is not in the realm.
    UnknownUser,
    /// An error worded "Authentication failed." whatever it was: `hide_specific_error_message`
    /// (an unknown user then reads so too).
    Hidden,
    Error {
        code: i64,
        status: u16,
    },
}

/// Why privacyIDEA said `REJECT` (its `detail.message`; asked for in English).
#[derive(Debug, Clone, PartialEq)]
enum Refusal {
    /// "Response did not match the challenge." — a wrong code, or one past its lifetime.
    NoMatch,
    /// "wrong otp pin" — no such open challenge (used, expired and cleaned up, cancelled); at
    /// a start: privacyIDEA wants a PIN.
    NotOpen,
    /// "Failcounter exceeded" — the token is locked after too many wrong codes.
    Locked,
    /// "Only N failed authentications per H:MM:SS allowed." — `auth_max_fail`.
    TooManyFailures(Duration),
    /// "Authentication failed." — conditional access turned the request away (the send cap).
    Denied,
    /// "The PIN was correct, but the SMS could not be sent!"
    SmsNotSent,
    /// The user has no token (no just-in-time enrolment), or nothing was triggered.
    NoToken,
    Other(String),
}

impl Refusal {
    fn of(message: &str) -> Refusal {
        match message.trim() {
            "Response did not match the challenge." => Refusal::NoMatch,
            "wrong otp pin" => Refusal::NotOpen,
            "Failcounter exceeded" => Refusal::Locked,
            "Authentication failed." => Refusal::Denied,
            "" | "The user has no tokens assigned" => Refusal::NoToken,
            m if m.contains("SMS could not be sent") => Refusal::SmsNotSent,
            m => match max_fail_window(m) {
                Some(window) => Refusal::TooManyFailures(window),
                None => Refusal::Other(m.to_string()),
            },
        }
    }
}

/// The window of "Only 8 failed authentications per 0:10:00 allowed." (Python's timedelta:
/// `H:MM:SS`, after `N day(s), ` for a day or more).
fn max_fail_window(message: &str) -> Option<Duration> {
    let rest = message.strip_prefix("Only ")?;
    let (_, rest) = rest.split_once(" failed authentications per ")?;
    let delta = rest.strip_suffix(" allowed.")?;
    let (days, clock) = match delta.split_once(", ") {
        Some((days, clock)) => (days.split_whitespace().next()?.parse::<u64>().ok()?, clock),
        None => (0, delta),
    };
    let mut parts = clock.split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    let seconds = s.split('.').next()?.parse::<u64>().ok()?;
    Some(Duration::from_secs(days * 86400 + h.parse::<u64>().ok()? * 3600 + m.parse::<u64>().ok()? * 60 + seconds))
}

/// A refusal of a start, for the kiosk.
fn start_refused(refusal: Refusal, phone: &PhoneNumber) -> AuthError {
    match refusal {
        Refusal::Locked => AuthError::RateLimited { retry_after: limits::FAIL_CLEAR },
        Refusal::TooManyFailures(window) => AuthError::RateLimited { retry_after: window },
        // Conditional access's generic wording: on a start, the send cap (the only policy of
        // the recommended set-up that denies). Another policy written to deny would read the same.
        Refusal::Denied => AuthError::RateLimited { retry_after: limits::SEND_WINDOW },
        Refusal::SmsNotSent => AuthError::Unreachable,
        Refusal::NoMatch | Refusal::NotOpen => AuthError::Protocol(
            "privacyIDEA wants a PIN before it sends a code: set the otppin=none policy for the realm, \
             or backend.service_token"
                .into(),
        ),
        Refusal::NoToken => AuthError::Protocol("privacyIDEA sent no code".into()),
        Refusal::Other(message) => AuthError::Protocol(format!("privacyIDEA refused: {}", scrub(&message, phone))),
    }
}

/// A refusal of a code, for the kiosk; `expired`: the challenge's lifetime is over.
fn code_refused(refusal: Refusal, expired: bool) -> AuthError {
    match refusal {
        // privacyIDEA says the same for a wrong code and an expired one; the kiosk knows when
        // the challenge expires.
        Refusal::NoMatch | Refusal::NotOpen if expired => AuthError::Expired,
        Refusal::Locked => AuthError::TooManyAttempts,
        Refusal::TooManyFailures(window) => AuthError::RateLimited { retry_after: window },
        Refusal::Denied => AuthError::RateLimited { retry_after: limits::SEND_WINDOW },
        Refusal::NoMatch | Refusal::NotOpen | Refusal::NoToken | Refusal::SmsNotSent | Refusal::Other(_) => {
            AuthError::CodeRejected
        }
    }
}

/// privacyIDEA's messages may name the user (the number): never pass one on whole.
fn scrub(message: &str, phone: &PhoneNumber) -> String {
    let e164 = phone.e164();
    let masked = phone.masked();
    let text = message.replace(e164, &masked).replace(&e164[1..], &masked);
    text.chars().take(160).collect()
}

fn outcome(answer: &Answer) -> Outcome {
    let body = &answer.body;
    let result = &body["result"];
    let detail = &body["detail"];
    if result["status"] == false {
        let code = result["error"]["code"].as_i64().unwrap_or_default();
        return match (code, result["error"]["message"].as_str()) {
            (904, _) => Outcome::UnknownUser,
            (_, Some("Authentication failed.")) => Outcome::Hidden,
            (code, _) => Outcome::Error { code, status: answer.status.as_u16() },
        };
    }
    let message = || detail["message"].as_str().unwrap_or_default();
    match result["authentication"].as_str() {
        Some("CHALLENGE") => {
            let transaction = detail["transaction_id"]
                .as_str()
                .or_else(|| detail["transaction_ids"].get(0).and_then(Value::as_str))
                .filter(|t| !t.is_empty());
            match transaction {
                Some(transaction) => {
                    let valid_until = detail["attributes"]["valid_until"]
                        .as_str()
                        .or_else(|| detail["multi_challenge"][0]["attributes"]["valid_until"].as_str());
                    let lifetime = valid_until.zip(body["time"].as_f64()).and_then(|(v, t)| lifetime(v, t));
                    Outcome::Challenge { transaction: transaction.to_string(), lifetime }
                }
                None => Outcome::Reject(Refusal::of(message())),
            }
        }
        Some("ACCEPT") => Outcome::Accept(detail.as_object().cloned().unwrap_or_default()),
        Some("REJECT") => Outcome::Reject(Refusal::of(message())),
        _ => Outcome::Error { code: 0, status: answer.status.as_u16() },
    }
}

/// A challenge's lifetime from `valid_until` (the server's local time, no zone) and the
/// answer's `time` (seconds since the epoch). Their difference is the lifetime plus the
/// server's UTC offset, and every zone's offset is a whole number of quarter hours: so the
/// lifetime is the difference modulo 15 minutes — right for lifetimes up to 15 minutes
/// (privacyIDEA's default is 5, the kiosk's rule at most 10); a longer one reads shorter.
fn lifetime(valid_until: &str, server_time: f64) -> Option<Duration> {
    const QUARTER_HOUR: f64 = 900.0;
    let (date, clock) = valid_until.trim().split_once(' ')?;
    let mut ymd = date.split('-').map(str::parse::<i64>);
    let (y, m, d) = (ymd.next()?.ok()?, ymd.next()?.ok()?, ymd.next()?.ok()?);
    let mut hms = clock.split(':');
    let (h, min) = (hms.next()?.parse::<i64>().ok()?, hms.next()?.parse::<i64>().ok()?);
    let s = hms.next()?.parse::<f64>().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || h > 23 || min > 59 || !(0.0..61.0).contains(&s) {
        return None;
    }
    let local = (days_from_civil(y, m, d) * 86400 + h * 3600 + min * 60) as f64 + s;
    let seconds = (local - server_time).rem_euclid(QUARTER_HOUR).round();
    Some(Duration::from_secs(if seconds < 1.0 { QUARTER_HOUR as u64 } else { seconds as u64 }))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Who signed in, from an `ACCEPT`'s `detail` (`add_user_in_response`).
fn signed_in_user(
    detail: &Map<String, Value>,
    phone: &PhoneNumber,
    realm: &str,
    roles_attribute: &str,
) -> Result<SignedInUser, AuthError> {
    let Some(user) = detail.get("user").and_then(Value::as_object) else {
        return Err(AuthError::Protocol(
            "privacyIDEA's ACCEPT names no user: set the add_user_in_response policy for the realm".into(),
        ));
    };
    // The resolver maps the login name to the number: an answer about anyone else is not ours.
    if user.get("username").and_then(Value::as_str) != Some(phone.e164()) {
        return Err(AuthError::Untrusted("the answer is about another user".into()));
    }
    if let Some(answered) = detail.get("user-realm").and_then(Value::as_str)
        && !answered.eq_ignore_ascii_case(realm)
    {
        return Err(AuthError::Untrusted(format!("the answer is about realm {answered:?}, not {realm:?}")));
    }
    let id = match user.get("userid") {
        Some(Value::String(id)) => id.trim().to_string(),
        Some(Value::Number(id)) => id.to_string(),
        _ => String::new(),
    };
    if id.is_empty() {
        // The login name is the phone number: it must not become the id the audit log keeps.
        return Err(AuthError::Protocol("privacyIDEA's user has no userid: map one in the resolver".into()));
    }
    let names: Map<String, Value> = [("given_name", user.get("givenname")), ("family_name", user.get("surname"))]
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_string(), value?.clone())))
        .collect();
    Ok(SignedInUser {
        id,
        display_name: jwt::display_name(&names, &phone.masked()),
        roles: jwt::roles(user, roles_attribute),
    })
}

/// `application/x-www-form-urlencoded`, into a buffer wiped when dropped (it holds the code).
fn form(fields: &[(&str, &str)]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::new());
    for (i, (key, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        for (j, text) in [key, value].into_iter().enumerate() {
            if j > 0 {
                out.push('=');
            }
            for byte in text.bytes() {
                match byte {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => out.push(byte as char),
                    b' ' => out.push('+'),
                    _ => out.push_str(&format!("%{byte:02X}")),
                }
            }
        }
    }
    out
}

fn random_text(bytes: usize) -> String {
    let mut buffer = Zeroizing::new(vec![0u8; bytes]);
    rand::rng().fill_bytes(&mut buffer);
    URL_SAFE_NO_PAD.encode(&*buffer)
}

/// A transaction id of privacyIDEA's shape (20 digits), for an unknown number's code check.
fn made_up_transaction() -> String {
    let mut digits = [0u8; 20];
    rand::rng().fill_bytes(&mut digits);
    digits.iter().map(|b| char::from(b'0' + b % 10)).collect()
}

impl PrivacyideaBackend {
    pub fn new(config: &BackendConfig) -> Result<Self, BuildError> {
        let invalid = |key: &str, why: String| BuildError::Invalid(format!("backend.{key}: {why}"));
        let mut base = Url::parse(&config.url).map_err(|e| invalid("url", format!("{:?}: {e}", config.url)))?;
        if !matches!(base.scheme(), "https" | "http") {
            return Err(invalid("url", format!("{:?} is not an http(s) URL", config.url)));
        }
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let realm = config.realm.as_deref().map(str::trim).unwrap_or_default();
        if realm.is_empty() {
            return Err(invalid("realm", "is empty: name the privacyIDEA realm of the kiosk's users".into()));
        }
        let roles_attribute = config.roles_attribute.as_deref().map(str::trim).unwrap_or("role");
        if roles_attribute.is_empty() {
            return Err(invalid("roles_attribute", "is empty: name a user-store attribute, or leave it out".into()));
        }
        let service_token = match &config.service_token {
            Some(source) => Some(source.read("backend.service_token")?),
            None => None,
        };
        let key = match &config.public_key {
            Some(path) => Some(ResponseKey::load(path).map_err(|e| invalid("public_key", e.to_string()))?),
            None => None,
        };
        Ok(PrivacyideaBackend {
            inner: Arc::new(Inner {
                client: http::client(config)?,
                base,
                realm: realm.to_string(),
                roles_attribute: roles_attribute.to_string(),
                code_length: config.code_length,
                service_token,
                key,
                state: Mutex::default(),
            }),
        })
    }

    fn url(&self, path: &str) -> Url {
        self.inner.base.join(path).expect("static relative paths join onto a base URL")
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// POSTs a form (and, with a public key, a nonce to be echoed) and reads the answer.
    async fn post(&self, path: &str, fields: &[(&str, &str)], authorized: bool) -> Result<Answer, AuthError> {
        let nonce = self.inner.key.is_some().then(|| random_text(16));
        let mut all = fields.to_vec();
        if let Some(nonce) = &nonce {
            all.push(("nonce", nonce));
        }
        let body = form(&all);
        let mut request = self
            .inner
            .client
            .post(self.url(path))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            // privacyIDEA translates its messages; the kiosk reads the English ones.
            .header(ACCEPT_LANGUAGE, "en")
            .body(body.as_bytes().to_vec());
        if authorized && let Some(token) = &self.inner.service_token {
            request = request.header(AUTHORIZATION, token.expose_secret());
        }
        let response = request.send().await.map_err(http::unreachable)?;
        self.read(response, nonce.as_deref()).await
    }

    async fn read(&self, mut response: reqwest::Response, nonce: Option<&str>) -> Result<Answer, AuthError> {
        let status = response.status();
        if status.is_server_error() {
            tracing::warn!(%status, "privacyIDEA answered with a server error");
            return Err(AuthError::Unreachable);
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(http::unreachable)? {
            if bytes.len() + chunk.len() > MAX_BODY {
                return Err(AuthError::Protocol(format!("privacyIDEA's answer is over {} KiB", MAX_BODY / 1024)));
            }
            bytes.extend_from_slice(&chunk);
        }
        let body: Value = serde_json::from_slice(&bytes).map_err(|_| {
            AuthError::Protocol(format!("HTTP {status} without a privacyIDEA answer: check backend.url"))
        })?;
        if let Some(key) = &self.inner.key {
            key.verify(&bytes).map_err(|e| AuthError::Untrusted(e.to_string()))?;
            // A signed answer to another request (a replay) carries another nonce, or none.
            if body.get("nonce").and_then(Value::as_str) != nonce {
                return Err(AuthError::Untrusted("the answer is not for this request (its nonce differs)".into()));
            }
        }
        Ok(Answer { status, body })
    }

    /// Asks privacyIDEA to text `phone` a code: `/validate/triggerchallenge` with the service
    /// token, else `/validate/check` with an empty `pass` (sent always: omitting it is a 500).
    async fn trigger(&self, phone: &PhoneNumber) -> Result<Answer, AuthError> {
        let user = [("user", phone.e164()), ("realm", self.inner.realm.as_str())];
        if self.inner.service_token.is_some() {
            self.post("validate/triggerchallenge", &user, true).await
        } else {
            self.post("validate/check", &[user[0], user[1], ("pass", "")], false).await
        }
    }

    fn remember(&self, phone: &PhoneNumber, transaction: Option<String>, lifetime: Duration) -> Challenge {
        let now = Instant::now();
        let id = random_text(16);
        let mut state = self.state();
        state.pending.retain(|_, p| now < p.expires_at + Duration::from_secs(60));
        if state.pending.len() >= MAX_PENDING
            && let Some(oldest) = state.pending.iter().min_by_key(|(_, p)| p.expires_at).map(|(id, _)| id.clone())
        {
            state.pending.remove(&oldest);
        }
        state.pending.insert(id.clone(), Pending { phone: phone.clone(), transaction, expires_at: now + lifetime });
        Challenge { id, code_length: self.inner.code_length, expires_in: lifetime, resend_after: RESEND_AFTER }
    }

    /// A challenge for a number privacyIDEA doesn't know, after the same time a real start
    /// takes and within the same limits: the kiosk shows what it shows for a known number.
    async fn unknown_number(&self, phone: &PhoneNumber, began: Instant) -> Result<Challenge, AuthError> {
        let (lifetime, pad) = {
            let state = self.state();
            (state.lifetime.unwrap_or(DEFAULT_CODE_LIFETIME), state.start_duration.unwrap_or_default())
        };
        tokio::time::sleep(pad.saturating_sub(began.elapsed()).min(Duration::from_secs(3))).await;
        self.with_unknown(phone, |unknown, now| unknown.start(now))?;
        Ok(self.remember(phone, None, lifetime))
    }

    fn with_unknown<T>(&self, phone: &PhoneNumber, act: impl FnOnce(&mut Unknown, Instant) -> T) -> T {
        let now = Instant::now();
        let key: [u8; 32] = Sha256::digest(phone.e164().as_bytes()).into();
        let mut state = self.state();
        if state.unknown.len() >= MAX_UNKNOWN && !state.unknown.contains_key(&key) {
            let stale = state.unknown.iter().min_by_key(|(_, u)| u.seen).map(|(k, _)| *k);
            if let Some(stale) = stale {
                state.unknown.remove(&stale);
            }
        }
        act(state.unknown.entry(key).or_default(), now)
    }

    /// Probes for `check`: what privacyIDEA answers about a user no store has.
    async fn probe(&self, path: &str, fields: &[(&str, &str)], authorized: bool) -> Result<Answer, AuthError> {
        let mut all = vec![("user", PROBE_USER), ("realm", self.inner.realm.as_str())];
        all.extend_from_slice(fields);
        self.post(path, &all, authorized).await
    }
}

impl AuthBackend for PrivacyideaBackend {
    async fn start(&self, phone: &PhoneNumber) -> Result<Challenge, AuthError> {
        let began = Instant::now();
        let answer = self.trigger(phone).await?;
        match outcome(&answer) {
            Outcome::Challenge { transaction, lifetime } => {
                let lifetime = lifetime.unwrap_or_else(|| self.state().lifetime.unwrap_or(DEFAULT_CODE_LIFETIME));
                {
                    let mut state = self.state();
                    state.lifetime = Some(lifetime);
                    let took = began.elapsed();
                    state.start_duration = Some(state.start_duration.map_or(took, |d| (d * 3 + took) / 4));
                }
                Ok(self.remember(phone, Some(transaction), lifetime))
            }
            // Hidden: with hide_specific_error_message an unknown user reads like this (and
            // check-config refuses the policy); anything else hidden is no sign-in either.
            Outcome::UnknownUser | Outcome::Hidden => self.unknown_number(phone, began).await,
            Outcome::Reject(Refusal::NoToken) => {
                tracing::warn!(phone = %phone.masked(), "privacyIDEA knows this number but has no SMS token for it");
                self.unknown_number(phone, began).await
            }
            Outcome::Reject(refusal) => Err(start_refused(refusal, phone)),
            // passthru or passOnNoToken let an empty code in: never a sign-in.
            Outcome::Accept(_) => Err(AuthError::Protocol(
                "privacyIDEA accepted an empty code: remove the passthru and passOnNoToken policies from the realm"
                    .into(),
            )),
            Outcome::Error { code, status } => {
                Err(AuthError::Protocol(format!("privacyIDEA error {code} (HTTP {status})")))
            }
        }
    }

    async fn resend(&self, challenge_id: &str) -> Result<Challenge, AuthError> {
        let phone = self.state().pending.get(challenge_id).map(|p| p.phone.clone());
        let Some(phone) = phone else { return Err(AuthError::Expired) };
        // A new challenge: privacyIDEA's SMS token moves on, so the old code stops working.
        let challenge = self.start(&phone).await?;
        self.state().pending.remove(challenge_id);
        Ok(challenge)
    }

    async fn verify(&self, challenge_id: &str, code: &OtpCode) -> Result<Grant, AuthError> {
        let pending =
            self.state().pending.get(challenge_id).map(|p| (p.phone.clone(), p.transaction.clone(), p.expires_at));
        let Some((phone, transaction, expires_at)) = pending else { return Err(AuthError::Expired) };
        // An unknown number's code goes to privacyIDEA too (it answers 904 again): the same
        // request, the same time.
        let asked = transaction.clone().unwrap_or_else(made_up_transaction);
        let fields = [
            ("user", phone.e164()),
            ("realm", self.inner.realm.as_str()),
            ("transaction_id", asked.as_str()),
            ("pass", code.expose()),
        ];
        let answer = self.post("validate/check", &fields, false).await?;
        let expired = Instant::now() >= expires_at;
        if transaction.is_none() {
            return Err(self.with_unknown(&phone, |unknown, now| unknown.verify(now, expired)));
        }
        match outcome(&answer) {
            Outcome::Accept(detail) => {
                let user = signed_in_user(&detail, &phone, &self.inner.realm, &self.inner.roles_attribute)?;
                self.state().pending.remove(challenge_id);
                Ok(Grant {
                    // Nothing of privacyIDEA's: a random value for this session alone.
                    tokens: Tokens::access_only(AccessToken::new(random_text(32))),
                    expires_in: GRANT_LIFETIME,
                    user,
                })
            }
            Outcome::Reject(refusal) => {
                if let Refusal::Other(message) = &refusal {
                    tracing::info!(message = %scrub(message, &phone), "privacyIDEA refused a code");
                }
                Err(code_refused(refusal, expired))
            }
            // Removed from the user store since the start: as a wrong code.
            Outcome::UnknownUser | Outcome::Hidden => Err(AuthError::CodeRejected),
            Outcome::Challenge { .. } => {
                Err(AuthError::Protocol("privacyIDEA answered a code with a new challenge".into()))
            }
            Outcome::Error { code, status } => {
                Err(AuthError::Protocol(format!("privacyIDEA error {code} (HTTP {status})")))
            }
        }
    }

    async fn sign_out(&self, _tokens: &Tokens) -> Result<SignedOut, AuthError> {
        // privacyIDEA keeps no session: the kiosk's teardown is the whole sign-out.
        Ok(SignedOut::NotOffered)
    }

    async fn healthy(&self) -> bool {
        matches!(self.inner.client.get(self.url("healthz/")).send().await, Ok(r) if r.status().is_success())
    }

    async fn check(&self) -> Vec<Problem> {
        let base = &self.inner.base;
        let realm = &self.inner.realm;
        let mut problems = Vec::new();
        match self.inner.client.get(self.url("healthz/")).send().await {
            Err(_) => {
                return vec![Problem::error(
                    format!("can't reach privacyIDEA at {base}"),
                    "check backend.url (and backend.ca_file for a private CA), and that privacyIDEA runs there",
                )];
            }
            Ok(r) if !r.status().is_success() => {
                return vec![Problem::error(
                    format!("{base}healthz/ answered {}: that is not a privacyIDEA 3.x that is ready", r.status()),
                    "check backend.url: it is privacyIDEA's base URL (the one /validate/check is under)",
                )];
            }
            Ok(_) => {}
        }
        let key_fix = "set backend.public_key to the server's PI_AUDIT_KEY_PUBLIC file (its public.pem)";
        // A user no store has: privacyIDEA answers ERR904, signed like every answer.
        match self.probe("validate/check", &[("pass", "")], false).await {
            Ok(answer) if outcome(&answer) == Outcome::UnknownUser => {}
            Ok(answer) if outcome(&answer) == Outcome::Hidden => problems.push(Problem::error(
                format!("privacyIDEA words every refusal \"Authentication failed.\" for realm {realm:?}"),
                "remove hide_specific_error_message from the realm's authentication policies: the kiosk tells \
                 a wrong code from a locked number by privacyIDEA's words (it hides unknown numbers itself)",
            )),
            Ok(answer) => problems.push(Problem::error(
                format!("privacyIDEA's /validate/check answered unexpectedly (HTTP {})", answer.status),
                "check backend.url and the realm's policies",
            )),
            Err(AuthError::Untrusted(why)) => {
                let fix = if why == signature::SignatureError::Unsigned.to_string() {
                    "privacyIDEA signs no answers: remove PI_NO_RESPONSE_SIGN from its pi.cfg"
                } else {
                    key_fix
                };
                return vec![Problem::error(format!("privacyIDEA's answers can't be believed: {why}"), fix)];
            }
            Err(err) => {
                return vec![Problem::error(format!("privacyIDEA's /validate/check: {err}"), "check backend.url")];
            }
        }
        // /auth says "Unknown realm" for a realm that doesn't exist (/validate/check doesn't).
        let password = random_text(16);
        match self.post("auth", &[("username", PROBE_USER), ("realm", realm), ("password", &password)], false).await {
            Ok(answer)
                if answer.body["result"]["error"]["message"].as_str().is_some_and(|m| m.contains("Unknown realm")) =>
            {
                problems.push(Problem::error(
                    format!("privacyIDEA has no realm {realm:?}"),
                    "set backend.realm to the realm of the kiosk's users (privacyIDEA: Config → Realms)",
                ));
            }
            Ok(answer) if answer.status == StatusCode::UNAUTHORIZED => {}
            _ => problems.push(Problem::note(
                format!("couldn't confirm that realm {realm:?} exists (privacyIDEA's /auth didn't say)"),
                "check backend.realm against privacyIDEA's Config → Realms",
            )),
        }
        if self.inner.service_token.is_some() {
            match self.probe("validate/triggerchallenge", &[], true).await {
                Ok(answer) if outcome(&answer) == Outcome::UnknownUser => {}
                Ok(answer) => problems.push(Problem::error(
                    format!(
                        "privacyIDEA refused backend.service_token: {}",
                        http::text(&answer.body["result"]["error"], "message")
                    ),
                    "make a new one (pi-manage api createtoken -r admin -u kiosk-svc) and allow that admin \
                     triggerchallenge in an admin policy",
                )),
                Err(err) => {
                    problems.push(Problem::error(format!("checking backend.service_token: {err}"), "check backend.url"))
                }
            }
        }
        if self.inner.key.is_none() {
            problems.push(Problem::note(
                "privacyIDEA's answers are not signature-checked: the kiosk believes whoever answers at backend.url",
                key_fix,
            ));
        }
        if base.scheme() == "http" && !matches!(base.host_str(), Some("127.0.0.1" | "::1" | "[::1]" | "localhost")) {
            problems.push(Problem::note(
                format!("{base} is plain HTTP: codes and identities cross the network unencrypted"),
                "use https:// (and backend.ca_file for a private CA)",
            ));
        }
        problems.push(Problem::note(
            format!(
                "managers are the users whose {:?} attribute holds a manager.roles value",
                self.inner.roles_attribute
            ),
            "map that attribute in privacyIDEA's resolver; without it the kiosk has no managers",
        ));
        problems
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn phone() -> PhoneNumber {
        PhoneNumber::parse("+1 206 555 0101", "US").unwrap()
    }

    fn answer(status: u16, body: Value) -> Answer {
        Answer { status: StatusCode::from_u16(status).unwrap(), body }
    }

    fn reject(message: &str) -> Answer {
        answer(
            200,
            json!({ "detail": { "message": message }, "result": { "authentication": "REJECT", "status": true, "value": false } }),
        )
    }

    #[test]
    fn every_refusal_privacyidea_words_is_read() {
        let cases = [
            ("Response did not match the challenge.", Refusal::NoMatch),
            ("wrong otp pin", Refusal::NotOpen),
            ("Failcounter exceeded", Refusal::Locked),
            ("Only 8 failed authentications per 0:10:00 allowed.", Refusal::TooManyFailures(Duration::from_secs(600))),
            (
                "Only 3 failed authentications per 1 day, 2:00:30 allowed.",
                Refusal::TooManyFailures(Duration::from_secs(93630)),
            ),
            ("Authentication failed.", Refusal::Denied),
            ("The PIN was correct, but the SMS could not be sent!", Refusal::SmsNotSent),
            ("The user has no tokens assigned", Refusal::NoToken),
            ("", Refusal::NoToken),
            ("Something new", Refusal::Other("Something new".into())),
        ];
        for (message, expected) in cases {
            assert_eq!(outcome(&reject(message)), Outcome::Reject(expected), "{message}");
        }
    }

    #[test]
    fn refusals_of_a_start_map_to_what_the_kiosk_says() {
        let phone = phone();
        let rate = |secs| AuthError::RateLimited { retry_after: Duration::from_secs(secs) };
        assert_eq!(start_refused(Refusal::Locked, &phone), rate(600));
        assert_eq!(start_refused(Refusal::TooManyFailures(Duration::from_secs(60)), &phone), rate(60));
        assert_eq!(start_refused(Refusal::Denied, &phone), rate(300));
        assert_eq!(start_refused(Refusal::SmsNotSent, &phone), AuthError::Unreachable);
        let AuthError::Protocol(pin) = start_refused(Refusal::NotOpen, &phone) else { panic!() };
        assert!(pin.contains("otppin=none"), "{pin}");
        // privacyIDEA's own words can name the user: the number never reaches the audit log.
        let named = start_refused(Refusal::Other("User <+12065550101@kiosk> is 12065550101".into()), &phone);
        assert_eq!(
            named,
            AuthError::Protocol("privacyIDEA refused: User <+1 ••• ••• 0101@kiosk> is +1 ••• ••• 0101".into())
        );
    }

    #[test]
    fn refusals_of_a_code_map_to_what_the_kiosk_says() {
        assert_eq!(code_refused(Refusal::NoMatch, false), AuthError::CodeRejected);
        assert_eq!(code_refused(Refusal::NoMatch, true), AuthError::Expired);
        assert_eq!(code_refused(Refusal::NotOpen, false), AuthError::CodeRejected);
        assert_eq!(code_refused(Refusal::NotOpen, true), AuthError::Expired);
        assert_eq!(code_refused(Refusal::Locked, false), AuthError::TooManyAttempts);
        assert_eq!(
            code_refused(Refusal::TooManyFailures(Duration::from_secs(600)), false),
            AuthError::RateLimited { retry_after: Duration::from_secs(600) }
        );
        assert_eq!(code_refused(Refusal::Denied, false), AuthError::RateLimited { retry_after: limits::SEND_WINDOW });
        assert_eq!(code_refused(Refusal::Other("x".into()), false), AuthError::CodeRejected);
    }

    /// A start's answer from a real privacyIDEA 3.14 (server time UTC), shortened.
    fn real_challenge() -> Value {
        json!({
            "detail": {
                "attributes": { "state": null, "valid_until": "2026-12-01 23:03:49.931852" },
                "message": "Enter the 6-digit code we sent by SMS",
                "multi_challenge": [{ "attributes": { "state": null, "valid_until": "2026-12-01 23:03:49.931852" },
                                      "serial": "PISM0006510A", "transaction_id": "09218230164546433718", "type": "sms" }],
                "serial": "PISM0006510A",
                "transaction_id": "09218230164546433718",
                "transaction_ids": ["09218230164546433718"],
                "type": "sms"
            },
            "id": 2, "jsonrpc": "2.0",
            "result": { "authentication": "CHALLENGE", "status": true, "value": false },
            "time": 1796166109.936412,
            "version": "privacyIDEA 3.14", "versionnumber": "3.14"
        })
    }

    #[test]
    fn a_challenge_gives_its_transaction_and_lifetime() {
        assert_eq!(
            outcome(&answer(200, real_challenge())),
            Outcome::Challenge { transaction: "09218230164546433718".into(), lifetime: Some(Duration::from_secs(120)) }
        );
        // A gateway that failed: a challenge without a transaction.
        let mut failed = real_challenge();
        failed["detail"] =
            json!({ "message": "The PIN was correct, but the SMS could not be sent!", "transaction_ids": [] });
        assert_eq!(outcome(&answer(200, failed)), Outcome::Reject(Refusal::SmsNotSent));
        let unknown = json!({ "detail": null, "result": { "error": { "code": 904, "message": "ERR904: User <x@kiosk> does not exist." }, "status": false } });
        assert_eq!(outcome(&answer(400, unknown)), Outcome::UnknownUser);
        let token = json!({ "result": { "error": { "code": 4033, "message": "Missing Authorization header." }, "status": false } });
        assert_eq!(outcome(&answer(401, token)), Outcome::Error { code: 4033, status: 401 });
        // hide_specific_error_message + hide_auth_error_status, for an unknown user.
        let hidden = json!({ "detail": { "message": "Authentication failed." },
                             "result": { "error": { "code": 403, "message": "Authentication failed." }, "status": false } });
        assert_eq!(outcome(&answer(401, hidden)), Outcome::Hidden);
    }

    #[test]
    fn lifetimes_are_read_in_any_zone_up_to_a_quarter_hour() {
        let now = 1_796_166_109.936_412; // 2026-12-01 23:01:49.936412 UTC
        let at = |offset_seconds: i64, secs: i64| {
            let local = (now as i64) + offset_seconds + secs;
            let (days, rest) = (local.div_euclid(86400), local.rem_euclid(86400));
            let (y, m, d) = civil_from_days(days);
            format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.936000", rest / 3600, rest % 3600 / 60, rest % 60)
        };
        for offset in [0, 3600, -5 * 3600, 5 * 3600 + 1800, 5 * 3600 + 2700, -(3 * 3600 + 1800), 14 * 3600] {
            for secs in [30, 120, 300, 600, 900] {
                assert_eq!(lifetime(&at(offset, secs), now), Some(Duration::from_secs(secs as u64)), "{offset} {secs}");
            }
        }
        assert_eq!(lifetime("2026-12-01 23:03:49", now), Some(Duration::from_secs(119)));
        assert_eq!(lifetime("soon", now), None);
        assert_eq!(lifetime("2026-13-01 23:03:49", now), None);
    }

    /// The inverse of `days_from_civil`, for the test's dates.
    fn civil_from_days(z: i64) -> (i64, i64, i64) {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        (yoe + era * 400 + i64::from(m <= 2), m, d)
    }

    fn accept_detail(user: Value) -> Map<String, Value> {
        json!({ "message": "Found matching challenge", "user": user, "user-realm": "kiosk" })
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn the_user_comes_from_the_accept() {
        let detail = accept_detail(json!({
            "givenname": "Zoë", "surname": "Ålvarez", "id": 20, "userid": "20",
            "username": "+12065550101", "role": "cashier, kiosk-manager"
        }));
        let user = signed_in_user(&detail, &phone(), "kiosk", "role").unwrap();
        assert_eq!(
            user,
            SignedInUser {
                id: "20".into(),
                display_name: "Zoë Ålvarez".into(),
                roles: vec!["cashier".into(), "kiosk-manager".into()]
            }
        );
        let no_name = accept_detail(json!({ "userid": 7, "username": "+12065550101" }));
        let user = signed_in_user(&no_name, &phone(), "KIOSK", "role").unwrap();
        assert_eq!((user.id.as_str(), user.display_name.as_str(), user.roles.len()), ("7", "+1 ••• ••• 0101", 0));
    }

    #[test]
    fn an_accept_about_someone_else_or_without_a_user_is_refused() {
        let other = accept_detail(json!({ "userid": "1", "username": "+12065550199" }));
        assert!(matches!(signed_in_user(&other, &phone(), "kiosk", "role"), Err(AuthError::Untrusted(_))));
        let mut elsewhere = accept_detail(json!({ "userid": "1", "username": "+12065550101" }));
        elsewhere.insert("user-realm".into(), json!("admins"));
        assert!(matches!(signed_in_user(&elsewhere, &phone(), "kiosk", "role"), Err(AuthError::Untrusted(_))));
        let no_id = accept_detail(json!({ "username": "+12065550101" }));
        assert!(matches!(signed_in_user(&no_id, &phone(), "kiosk", "role"), Err(AuthError::Protocol(_))));
        let mut bare = accept_detail(json!(null));
        bare.remove("user");
        let Err(AuthError::Protocol(why)) = signed_in_user(&bare, &phone(), "kiosk", "role") else { panic!() };
        assert!(why.contains("add_user_in_response"), "{why}");
    }

    #[test]
    fn an_unknown_number_meets_the_limits_a_known_one_does() {
        let t0 = Instant::now();
        let mut unknown = Unknown::default();
        for _ in 0..5 {
            assert_eq!(unknown.verify(t0, false), AuthError::CodeRejected);
        }
        assert_eq!(unknown.verify(t0, false), AuthError::TooManyAttempts, "locked after 5 wrong codes");
        assert_eq!(unknown.start(t0), Err(AuthError::RateLimited { retry_after: limits::FAIL_CLEAR }));
        let later = t0 + limits::FAIL_CLEAR;
        assert_eq!(unknown.start(later), Ok(()), "unlocked again");
        assert_eq!(unknown.verify(later, true), AuthError::Expired);

        let mut unknown = Unknown::default();
        for _ in 0..limits::SENDS {
            assert_eq!(unknown.start(t0), Ok(()));
        }
        let capped = AuthError::RateLimited { retry_after: limits::SEND_WINDOW };
        assert_eq!(unknown.start(t0), Err(capped.clone()));
        assert_eq!(unknown.verify(t0, false), capped, "privacyIDEA denies every request once capped");
        assert_eq!(unknown.start(t0 + limits::SEND_WINDOW), Ok(()));
    }

    #[test]
    fn forms_are_encoded_for_privacyidea() {
        let body = form(&[("user", "+12065550101"), ("realm", "kiosk"), ("pass", ""), ("x", "a b&c=d/é")]);
        assert_eq!(body.as_str(), "user=%2B12065550101&realm=kiosk&pass=&x=a+b%26c%3Dd%2F%C3%A9");
        assert_eq!(made_up_transaction().len(), 20);
    }

    fn config(extra: impl FnOnce(&mut BackendConfig)) -> BackendConfig {
        let mut config = BackendConfig {
            kind: crate::config::BackendKind::Privacyidea,
            url: "https://pi.example/pi".into(),
            realm: Some("kiosk".into()),
            ..Default::default()
        };
        extra(&mut config);
        config
    }

    #[test]
    fn new_refuses_what_cannot_work_and_keeps_a_path_prefix() {
        let backend = PrivacyideaBackend::new(&config(|_| {})).unwrap();
        assert_eq!(backend.url("validate/check").as_str(), "https://pi.example/pi/validate/check");
        let err = |c: BackendConfig| PrivacyideaBackend::new(&c).err().unwrap().to_string();
        assert!(err(config(|c| c.url = "ftp://pi.example".into())).starts_with("backend.url:"));
        assert!(err(config(|c| c.realm = Some(" ".into()))).starts_with("backend.realm:"));
        assert!(err(config(|c| c.roles_attribute = Some("".into()))).starts_with("backend.roles_attribute:"));
        let missing = err(config(|c| c.public_key = Some("/nonexistent/public.pem".into())));
        assert!(missing.starts_with("backend.public_key: can't read /nonexistent/public.pem"), "{missing}");
    }

    #[tokio::test]
    async fn sign_out_is_not_offered() {
        let backend = PrivacyideaBackend::new(&config(|_| {})).unwrap();
        let tokens = Tokens::access_only(AccessToken::new("x"));
        assert_eq!(backend.sign_out(&tokens).await, Ok(SignedOut::NotOffered));
    }

    #[test]
    fn an_accept_of_an_empty_code_never_signs_in() {
        let passthru = answer(
            200,
            json!({ "detail": { "message": "user has no token, accepted due to 'pass'" },
                                            "result": { "authentication": "ACCEPT", "status": true, "value": true } }),
        );
        assert!(matches!(outcome(&passthru), Outcome::Accept(_)));
    }
}
