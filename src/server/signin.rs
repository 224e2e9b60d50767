//! The sign-in service: start, resend, verify, sign-out and "who am I", over the store.
//!
//! This is where the code rules live (expiry, attempts, single use, binding to a challenge).
//! It knows nothing of HTTP; `api.rs` turns its answers into responses.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::mpsc;

use super::clock::Clock;
use super::otp::{self, OtpKey};
use super::sms::{self, SmsMessage};
use super::store::{Challenge, Store, StoreError, User};
use crate::config::ServerConfig;
use crate::phone::PhoneNumber;
use crate::secret::{AccessToken, OtpCode};

/// Every answer the service can give other than success.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("{0}")]
    InvalidPhone(String),
    #[error("wrong code")]
    InvalidCode { attempts_left: u32 },
    #[error("the code has expired or was already used; ask for a new one")]
    Expired,
    #[error("too many wrong codes; ask for a new code")]
    TooManyAttempts,
    #[error("too many requests; retry in {retry_after} s")]
    RateLimited { retry_after: u64 },
    #[error("no valid token")]
    Unauthorized,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What `start` and `resend` answer: the same for every number.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChallengeInfo {
    pub challenge_id: String,
    pub code_length: usize,
    pub expires_in: u64,
    pub resend_after: u64,
}

/// A successful verify.
pub struct Session {
    pub token: AccessToken,
    pub expires_in: u64,
    pub user: User,
}

pub struct SignInService {
    store: Mutex<Store>,
    key: OtpKey,
    clock: Arc<dyn Clock>,
    config: ServerConfig,
    sms_queue: mpsc::UnboundedSender<SmsMessage>,
}

fn millis(d: Duration) -> i64 {
    d.as_millis() as i64
}

impl SignInService {
    pub fn new(
        store: Store,
        key: OtpKey,
        clock: Arc<dyn Clock>,
        config: ServerConfig,
        sms_queue: mpsc::UnboundedSender<SmsMessage>,
    ) -> Self {
        SignInService { store: Mutex::new(store), key, clock, config, sms_queue }
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock leaves SQLite consistent (statements are atomic).
        self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn info(&self, challenge_id: String) -> ChallengeInfo {
        ChallengeInfo {
            challenge_id,
            code_length: otp::CODE_LENGTH,
            expires_in: self.config.code_lifetime.0.as_secs(),
            resend_after: self.config.resend_cooldown.0.as_secs(),
        }
    }

    /// Issues a code for a (normalised) number. Unknown numbers get an identical answer and
    /// a challenge whose code nobody knows; no SMS is sent for them.
    pub fn start(&self, phone: &str) -> Result<ChallengeInfo, SignInError> {
        let phone = PhoneNumber::parse_international(phone).map_err(|e| {
            SignInError::InvalidPhone(format!("{e}; send it as + country code and number, e.g. \"+12065550100\""))
        })?;
        let now = self.clock.now_ms();
        let challenge_id = otp::new_challenge_id();
        let code = otp::new_code();
        let code_mac = self.key.code_mac(&challenge_id, code.expose());
        let user = {
            let store = self.store();
            let user = store.sms_sign_in_user(phone.e164())?;
            let challenge = Challenge {
                id: challenge_id.clone(),
                user_rowid: user.as_ref().map(|u| u.rowid),
                code_mac,
                expires_at: now + millis(self.config.code_lifetime.0),
                attempts: 0,
                sends: 1,
                last_sent_at: now,
                used: false,
            };
            store.insert_challenge(&challenge, now)?;
            user
        };
        tracing::info!(phone = %phone.masked(), registered = user.is_some(), "sign-in started");
        if user.is_some() {
            self.queue_sms(&phone, &code);
        }
        Ok(self.info(challenge_id))
    }

    /// Sends a new code for a challenge; the old code stops working, attempts are kept.
    pub fn resend(&self, challenge_id: &str) -> Result<ChallengeInfo, SignInError> {
        let now = self.clock.now_ms();
        let store = self.store();
        let challenge = store.challenge(challenge_id)?.ok_or(SignInError::Expired)?;
        if challenge.used {
            return Err(SignInError::Expired);
        }
        if challenge.attempts >= self.config.max_attempts {
            return Err(SignInError::TooManyAttempts);
        }
        let ready_at = challenge.last_sent_at + millis(self.config.resend_cooldown.0);
        if now < ready_at {
            return Err(SignInError::RateLimited { retry_after: ((ready_at - now + 999) / 1000) as u64 });
        }
        let code = otp::new_code();
        let mac = self.key.code_mac(challenge_id, code.expose());
        store.replace_code(challenge_id, &mac, now + millis(self.config.code_lifetime.0), now)?;
        let phone = match challenge.user_rowid {
            Some(rowid) => store.mobile_of(rowid)?,
            None => None,
        };
        drop(store);
        if let Some(phone) = phone.and_then(|p| PhoneNumber::parse_international(&p).ok()) {
            self.queue_sms(&phone, &code);
        }
        Ok(self.info(challenge_id.to_string()))
    }

    fn queue_sms(&self, phone: &PhoneNumber, code: &OtpCode) {
        let minutes = self.config.code_lifetime.0.as_secs().div_ceil(60);
        let body = sms::render_message(sms::DEFAULT_TEMPLATE, code, minutes, &self.config.sms_host);
        if self.sms_queue.send(SmsMessage { to: phone.e164().to_string(), body }).is_err() {
            tracing::error!("the sms queue is closed; no message sent");
        }
    }

    /// Checks a code. Wrong codes count against the challenge; the last allowed wrong code
    /// kills it. A right code works once.
    pub fn verify(&self, challenge_id: &str, code: &OtpCode) -> Result<Session, SignInError> {
        let now = self.clock.now_ms();
        let mut store = self.store();
        let challenge = store.challenge(challenge_id)?.ok_or(SignInError::Expired)?;
        if challenge.used {
            return Err(SignInError::Expired);
        }
        if challenge.attempts >= self.config.max_attempts {
            return Err(SignInError::TooManyAttempts);
        }
        if now >= challenge.expires_at {
            return Err(SignInError::Expired);
        }
        let right = otp::is_well_formed(code) && self.key.code_matches(challenge_id, code, &challenge.code_mac);
        match (right, challenge.user_rowid) {
            (true, Some(user_rowid)) => {
                let token = otp::new_token();
                let lifetime = self.config.token_lifetime.0;
                let user = store
                    .complete_sign_in(
                        challenge_id,
                        user_rowid,
                        &otp::token_hash(token.expose()),
                        now,
                        now + millis(lifetime),
                    )?
                    .ok_or(SignInError::Expired)?;
                tracing::info!(user = %user.username, "signed in");
                Ok(Session { token, expires_in: lifetime.as_secs(), user })
            }
            _ => {
                let attempts = store.count_attempt(challenge_id)?;
                let attempts_left = self.config.max_attempts.saturating_sub(attempts);
                tracing::info!(attempts_left, "wrong code");
                if attempts_left == 0 {
                    Err(SignInError::TooManyAttempts)
                } else {
                    Err(SignInError::InvalidCode { attempts_left })
                }
            }
        }
    }

    pub fn me(&self, token: &AccessToken) -> Result<User, SignInError> {
        self.store().token_user(&otp::token_hash(token.expose()), self.clock.now_ms())?.ok_or(SignInError::Unauthorized)
    }

    /// Revokes a token; unknown or already revoked tokens are fine (sign-out is idempotent).
    pub fn sign_out(&self, token: &AccessToken) -> Result<(), SignInError> {
        self.store().revoke_token(&otp::token_hash(token.expose()), self.clock.now_ms())?;
        Ok(())
    }
}
