//! The adapter for privacyIDEA (3.14): an on-premises multi-factor server whose SMS token
//! signs workers in by phone number.
//!
//! The set-up it expects (README, "privacyIDEA"): a user store whose login name *is*
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
//!
//! Here: the requests, the challenges held for the kiosk, `check-config`'s probes.
//! `answers`: what each answer means. `signature`: checking the answers' signatures.
//! `unknown`: unknown numbers made to look known.

mod answers;
mod signature;
mod unknown;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use reqwest::header::{ACCEPT_LANGUAGE, AUTHORIZATION, CONTENT_TYPE};
use reqwest::{StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use self::answers::{Answer, Outcome, Refusal, code_refused, outcome, scrub, signed_in_user, start_refused};
use self::signature::ResponseKey;
use self::unknown::Unknown;
use super::{AuthBackend, AuthError, BuildError, Challenge, Grant, PassFormat, Problem, SignedOut, Tokens, http};
use crate::config::BackendConfig;
use crate::phone::PhoneNumber;
use crate::secret::{AccessPass, AccessToken, OtpCode};

/// privacyIDEA's own default `sms.providerTimeout`, until a challenge has said otherwise.
const DEFAULT_CODE_LIFETIME: Duration = Duration::from_secs(300);
/// privacyIDEA has no resend cooldown: the kiosk keeps one, so the send cap isn't spent in
/// seconds.
const RESEND_AFTER: Duration = Duration::from_secs(30);
/// privacyIDEA's registration codes: `registration.length`'s default.
const DEFAULT_PASS_LENGTH: usize = 24;
/// privacyIDEA issues no token: the session lasts as the kiosk's own limits say.
const GRANT_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// The limits of the recommended set-up (README, "privacyIDEA"). privacyIDEA doesn't
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
    /// Of a registration code (`backend.pass_length`).
    pass_length: usize,
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
                code_length: config.code_length_or(6),
                pass_length: config.pass_length.unwrap_or(DEFAULT_PASS_LENGTH),
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
            // No token of the number's took the empty PIN: it has only a registration token (a
            // pass an admin issued before its first sign-in), or the realm lacks otppin=none.
            // The code screen, where the pass is typed, as for an unknown number.
            Outcome::Reject(Refusal::NotOpen) => {
                tracing::warn!(
                    phone = %phone.masked(),
                    "privacyIDEA sends this number no code without a PIN: it has no SMS token (only a pass), \
                     or the realm lacks the otppin=none policy"
                );
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

    /// A registration token (privacyIDEA deletes it after one sign-in) is the pass: its code
    /// checked like a texted one, without a challenge.
    fn takes_passes(&self) -> bool {
        true
    }

    /// Enrolling a registration token takes an admin's rights: passes are issued in privacyIDEA.
    fn issues_passes(&self) -> bool {
        false
    }

    fn pass_format(&self) -> PassFormat {
        // registration.contents "cn" (the default) only requires a letter and a digit: the
        // code may hold any ASCII punctuation too.
        PassFormat { length: self.inner.pass_length, case_sensitive: true, punctuation: true }
    }

    /// `/validate/check` with the registration code as `pass`. Every refusal, and a number
    /// privacyIDEA doesn't know, is the same `InvalidPass`.
    async fn sign_in_with_pass(&self, phone: &PhoneNumber, pass: &AccessPass) -> Result<Grant, AuthError> {
        let fields = [("user", phone.e164()), ("realm", self.inner.realm.as_str()), ("pass", pass.expose())];
        let answer = self.post("validate/check", &fields, false).await?;
        match outcome(&answer) {
            Outcome::Accept(detail) => Ok(Grant {
                tokens: Tokens::access_only(AccessToken::new(random_text(32))),
                expires_in: GRANT_LIFETIME,
                user: signed_in_user(&detail, phone, &self.inner.realm, &self.inner.roles_attribute)?,
            }),
            Outcome::Reject(refusal) => {
                if let Refusal::Other(message) = &refusal {
                    tracing::info!(message = %scrub(message, phone), "privacyIDEA refused a pass");
                }
                Err(AuthError::InvalidPass)
            }
            // A token whose PIN the pass happened to be: no sign-in either.
            Outcome::UnknownUser | Outcome::Hidden | Outcome::Challenge { .. } => Err(AuthError::InvalidPass),
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
                "temporary access passes are issued in privacyIDEA: an admin enrolls a registration token for \
                 the worker ({} characters, backend.pass_length), which the worker types on the kiosk once",
                self.inner.pass_length
            ),
            "manager mode has no \"Issue a one-time pass\" (it needs an admin's token); set the enrollment policy \
             registration.contents = -s so passes are letters and digits (easier to read out, and to type by touch)",
        ));
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
    use super::*;

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
}
