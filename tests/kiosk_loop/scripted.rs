//! A backend whose every answer the test gives by hand: each call waits until the test answers
//! it, so answers can be delayed, failed or given out of order. It mints a real token for each
//! grant and knows which are still live (not signed out), like a real backend would.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use shiftkey::auth::{AuthBackend, AuthError, Challenge, Channel, Grant, Problem, SignedInUser, SignedOut, Tokens};
use shiftkey::phone::PhoneNumber;
use shiftkey::secret::{AccessToken, OtpCode};
use tokio::sync::{mpsc, oneshot, watch};

/// A call the kiosk made, waiting for the test's answer.
pub enum Call {
    /// `locale`: the language the text was asked for in (`start_in`), if any.
    Start {
        e164: String,
        locale: Option<String>,
        answer: oneshot::Sender<Result<Challenge, AuthError>>,
    },
    /// `channel`: a text, or a call.
    Resend {
        challenge_id: String,
        channel: Channel,
        answer: oneshot::Sender<Result<Challenge, AuthError>>,
    },
    Verify {
        challenge_id: String,
        code: String,
        answer: oneshot::Sender<Result<SignedInUser, AuthError>>,
    },
}

impl Call {
    pub fn kind(&self) -> &'static str {
        match self {
            Call::Start { .. } => "start",
            Call::Resend { .. } => "resend",
            Call::Verify { .. } => "verify",
        }
    }
}

#[derive(Clone)]
pub struct Scripted {
    calls: mpsc::UnboundedSender<Call>,
    /// The tokens granted and not signed out; its version changes with every grant and revoke.
    live: Arc<Mutex<HashSet<String>>>,
    changed: Arc<watch::Sender<u64>>,
    minted: Arc<AtomicU64>,
}

impl Scripted {
    pub fn new() -> (Self, mpsc::UnboundedReceiver<Call>) {
        let (calls, received) = mpsc::unbounded_channel();
        let backend =
            Scripted { calls, live: Arc::default(), changed: Arc::new(watch::channel(0).0), minted: Arc::default() };
        (backend, received)
    }

    pub fn live_tokens(&self) -> usize {
        self.live.lock().unwrap().len()
    }

    /// How many tokens were ever granted.
    pub fn granted(&self) -> u64 {
        self.minted.load(Ordering::SeqCst)
    }

    /// Waits until the number of live tokens is `count`.
    pub async fn wait_live(&self, count: usize, timeout: Duration) {
        let mut changed = self.changed.subscribe();
        let reached = tokio::time::timeout(timeout, async {
            while self.live_tokens() != count {
                changed.changed().await.expect("the backend lives as long as the test");
            }
        })
        .await;
        assert!(reached.is_ok(), "live tokens stayed at {} (wanted {count})", self.live_tokens());
    }

    async fn started(&self, phone: &PhoneNumber, locale: Option<&str>) -> Result<Challenge, AuthError> {
        let (answer, answered) = oneshot::channel();
        let locale = locale.map(str::to_string);
        let _ = self.calls.send(Call::Start { e164: phone.e164().to_string(), locale, answer });
        answered.await.unwrap_or(Err(AuthError::Unreachable))
    }

    fn bump(&self) {
        self.changed.send_modify(|version| *version += 1);
    }
}

pub fn challenge(id: &str) -> Challenge {
    Challenge {
        id: id.into(),
        code_length: 6,
        expires_in: Duration::from_secs(300),
        resend_after: Duration::from_secs(30),
    }
}

pub fn alex() -> SignedInUser {
    SignedInUser { id: "alex".into(), display_name: "Alex Rivera".into(), roles: vec![] }
}

impl AuthBackend for Scripted {
    async fn start(&self, phone: &PhoneNumber) -> Result<Challenge, AuthError> {
        self.started(phone, None).await
    }

    async fn start_in(&self, phone: &PhoneNumber, locale: &str) -> Result<Challenge, AuthError> {
        self.started(phone, Some(locale)).await
    }

    async fn resend(&self, challenge_id: &str) -> Result<Challenge, AuthError> {
        self.resend_by(challenge_id, Channel::Sms).await
    }

    async fn resend_by(&self, challenge_id: &str, channel: Channel) -> Result<Challenge, AuthError> {
        let (answer, answered) = oneshot::channel();
        let _ = self.calls.send(Call::Resend { challenge_id: challenge_id.into(), channel, answer });
        answered.await.unwrap_or(Err(AuthError::Unreachable))
    }

    /// It can call: the code screen offers "Call me".
    fn offers_voice(&self) -> bool {
        true
    }

    async fn verify(&self, challenge_id: &str, code: &OtpCode) -> Result<Grant, AuthError> {
        let (answer, answered) = oneshot::channel();
        let call = Call::Verify { challenge_id: challenge_id.into(), code: code.expose().to_string(), answer };
        let _ = self.calls.send(call);
        let user = answered.await.unwrap_or(Err(AuthError::Unreachable))?;
        let token = format!("live-{}", self.minted.fetch_add(1, Ordering::SeqCst) + 1);
        self.live.lock().unwrap().insert(token.clone());
        self.bump();
        let tokens = Tokens::access_only(AccessToken::new(&token));
        Ok(Grant { tokens, expires_in: Duration::from_secs(3600), user })
    }

    async fn sign_out(&self, tokens: &Tokens) -> Result<SignedOut, AuthError> {
        self.live.lock().unwrap().remove(tokens.access.expose());
        self.bump();
        Ok(SignedOut::Revoked)
    }

    async fn healthy(&self) -> bool {
        true
    }

    async fn check(&self) -> Vec<Problem> {
        Vec::new()
    }
}
