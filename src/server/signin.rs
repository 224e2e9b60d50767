//! The sign-in service: start, resend, verify, sign-out and "who am I", over the store.
//!
//! This is where the code rules live (expiry, attempts, single use, binding to a challenge)
//! and the abuse caps (per number, per client, per server-hour, per user failures, per
//! challenge sends). It knows nothing of HTTP; `api.rs` turns its answers into responses.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::mpsc;

use super::clock::Clock;
use super::otp::{self, OtpKey};
use super::sms::SmsMessage;
use super::store::{Challenge, Store, StoreError, User};
// What `start` and `resend` answer, the same for every number: the API's body as it is.
use crate::api_types::Challenge as ChallengeInfo;
use crate::config::{ServerConfig, SmsTemplates, TemplateError, is_language_tag, render_message};
use crate::phone::{PhoneError, PhoneNumber};
use crate::secret::{AccessToken, OtpCode};

const HOUR_MS: i64 = 3_600_000;

/// Every answer the service can give other than success.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("{0}; send it as + country code and number, e.g. \"+12065550100\"")]
    InvalidPhone(#[source] PhoneError),
    #[error("locale {0:?} is not a language tag; send one such as \"es\" or \"pt-BR\"")]
    InvalidLocale(String),
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

/// A successful verify: the token issued, and whose it is. (Not an OS session: that is the
/// kiosk's `session` module.)
pub struct IssuedToken {
    pub token: AccessToken,
    pub expires_in: u64,
    pub user: User,
}

pub struct SignInService {
    store: Mutex<Store>,
    key: OtpKey,
    clock: Arc<dyn Clock>,
    config: ServerConfig,
    templates: SmsTemplates,
    sms_queue: mpsc::UnboundedSender<SmsMessage>,
}

fn millis(d: Duration) -> i64 {
    d.as_millis() as i64
}

/// Seconds until an event at `oldest_at` leaves the hour window (at least 1).
fn retry_after(oldest_at: Option<i64>, now: i64) -> u64 {
    let leaves_at = oldest_at.unwrap_or(now) + HOUR_MS;
    ((leaves_at - now).max(1000) as u64).div_ceil(1000)
}

impl SignInService {
    pub fn new(
        store: Store,
        key: OtpKey,
        clock: Arc<dyn Clock>,
        config: ServerConfig,
        sms_queue: mpsc::UnboundedSender<SmsMessage>,
    ) -> Result<Self, TemplateError> {
        let templates = config.templates()?;
        Ok(SignInService { store: Mutex::new(store), key, clock, config, templates, sms_queue })
    }

    pub(super) fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock leaves SQLite consistent (statements are atomic).
        self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The audit log admin commands and SCIM changes go to.
    pub(super) fn audit_log(&self) -> crate::audit::AuditLog {
        crate::audit::AuditLog::new(self.config.audit_path())
    }

    pub fn trusts_forwarded_for(&self) -> bool {
        self.config.limits.trust_forwarded_for
    }

    pub(super) fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    fn info(&self, challenge_id: String) -> ChallengeInfo {
        ChallengeInfo {
            challenge_id,
            code_length: otp::CODE_LENGTH,
            expires_in: self.config.code_lifetime.0.as_secs(),
            resend_after: self.config.resend_cooldown.0.as_secs(),
        }
    }

    /// Checks the hourly send caps and, if there is room, counts one send.
    fn take_send(&self, store: &Store, phone_key: &[u8], client: &str, now: i64) -> Result<(), SignInError> {
        let limits = &self.config.limits;
        if limits.enabled {
            let [per_phone, per_client, per_server] = store.sends_since(phone_key, client, now - HOUR_MS)?;
            for (window, cap) in [
                (per_phone, limits.per_phone_per_hour),
                (per_client, limits.per_client_per_hour),
                (per_server, limits.per_server_per_hour),
            ] {
                if window.count >= cap {
                    return Err(SignInError::RateLimited { retry_after: retry_after(window.oldest_at, now) });
                }
            }
        }
        store.record_send(phone_key, client, now)?;
        Ok(())
    }

    /// Issues a code for a number, texted from the default template.
    pub fn start(&self, phone: &str, client: &str) -> Result<ChallengeInfo, SignInError> {
        self.start_in(phone, None, client)
    }

    /// Issues a code for a number, texted from the template for `locale`; the challenge keeps
    /// the language for its resends. Unknown, disabled and untargeted numbers get an identical
    /// answer after the same work, and a challenge whose code nobody knows; no SMS goes to them.
    pub fn start_in(&self, phone: &str, locale: Option<&str>, client: &str) -> Result<ChallengeInfo, SignInError> {
        let phone = PhoneNumber::parse_sent(phone).map_err(SignInError::InvalidPhone)?;
        if let Some(locale) = locale.filter(|locale| !is_language_tag(locale)) {
            return Err(SignInError::InvalidLocale(locale.chars().take(40).collect()));
        }
        let now = self.now();
        let challenge_id = otp::new_challenge_id();
        let code = otp::new_code();
        let code_mac = self.key.code_mac(&challenge_id, code.expose());
        let phone_key = self.key.phone_key(phone.e164());
        let user = self.store().atomically(|store| {
            self.take_send(store, &phone_key, client, now)?;
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
                phone_key,
                locale: locale.map(str::to_string),
            };
            store.insert_challenge(&challenge, now)?;
            Ok::<_, SignInError>(user)
        })?;
        tracing::info!(phone = %phone.masked(), "sign-in started");
        // The message is built for every number (equal work); only a real user's is sent.
        let message = self.message(&phone, &code, locale);
        if user.is_some() {
            self.queue_sms(message);
        }
        Ok(self.info(challenge_id))
    }

    /// Sends a new code for a challenge; the old code stops working, attempts are kept.
    pub fn resend(&self, challenge_id: &str, client: &str) -> Result<ChallengeInfo, SignInError> {
        let now = self.now();
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
            return Err(SignInError::RateLimited { retry_after: ((ready_at - now) as u64).div_ceil(1000) });
        }
        if challenge.sends >= self.config.limits.sends_per_challenge {
            // This challenge has had its share: only a new sign-in (with its own caps) helps.
            let left = (challenge.expires_at - now).max(1000) as u64;
            return Err(SignInError::RateLimited { retry_after: left.div_ceil(1000) });
        }
        let phone = match challenge.user_rowid {
            Some(rowid) => store.mobile_of(rowid)?.and_then(|p| PhoneNumber::parse_international(&p).ok()),
            None => None,
        };
        let code = otp::new_code();
        let mac = self.key.code_mac(challenge_id, code.expose());
        // One transaction: a send counted is a code replaced, even if the server dies between.
        store.atomically(|store| {
            // Unknown numbers count too (their challenge keeps the number's key), so caps can't tell them apart.
            self.take_send(store, &challenge.phone_key, client, now)?;
            store.replace_code(challenge_id, &mac, now + millis(self.config.code_lifetime.0), now)?;
            Ok::<_, SignInError>(())
        })?;
        drop(store);
        if let Some(phone) = phone {
            self.queue_sms(self.message(&phone, &code, challenge.locale.as_deref()));
        }
        Ok(self.info(challenge_id.to_string()))
    }

    fn message(&self, phone: &PhoneNumber, code: &OtpCode, locale: Option<&str>) -> SmsMessage {
        let minutes = self.config.code_lifetime.0.as_secs().div_ceil(60);
        let template = self.templates.for_locale(locale);
        let body = render_message(template, code, minutes, &self.config.sms_host);
        SmsMessage { to: phone.e164().to_string(), body }
    }

    fn queue_sms(&self, message: SmsMessage) {
        if self.sms_queue.send(message).is_err() {
            tracing::error!("the sms queue is closed; no message sent");
        }
    }

    /// Checks a code. Wrong codes count against the challenge and the user; the last allowed
    /// wrong code kills the challenge. A right code works once.
    pub fn verify(&self, challenge_id: &str, code: &OtpCode) -> Result<IssuedToken, SignInError> {
        let now = self.now();
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
        if let Some(user_rowid) = challenge.user_rowid {
            let failures = store.failures_since(user_rowid, now - HOUR_MS)?;
            if failures.count >= self.config.limits.failures_per_user_per_hour {
                return Err(SignInError::RateLimited { retry_after: retry_after(failures.oldest_at, now) });
            }
        }
        let right = otp::is_well_formed(code) && self.key.code_matches(challenge_id, code, &challenge.code_mac);
        match (right, challenge.user_rowid) {
            (true, Some(user_rowid)) => {
                let token = otp::new_token();
                let lifetime = self.config.token_lifetime.0;
                let hash = otp::token_hash(token.expose());
                let user = store
                    .complete_sign_in(challenge_id, user_rowid, &hash, now, now + millis(lifetime))?
                    .ok_or(SignInError::Expired)?;
                tracing::info!(user = %user.username, "signed in");
                Ok(IssuedToken { token, expires_in: lifetime.as_secs(), user })
            }
            (_, user_rowid) => {
                // One transaction: the challenge's attempts and the user's failures stay equal.
                let attempts = store.atomically(|store| {
                    let attempts = store.count_attempt(challenge_id)?;
                    if let Some(user_rowid) = user_rowid {
                        store.record_failure(user_rowid, now)?;
                    }
                    Ok::<_, SignInError>(attempts)
                })?;
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
        self.store().token_user(&otp::token_hash(token.expose()), self.now())?.ok_or(SignInError::Unauthorized)
    }

    /// Revokes a token; unknown or already revoked tokens are fine (sign-out is idempotent).
    pub fn sign_out(&self, token: &AccessToken) -> Result<(), SignInError> {
        self.store().revoke_token(&otp::token_hash(token.expose()), self.now())?;
        Ok(())
    }

    /// Drops what no rule needs any more: cap events and expired challenges past the caps'
    /// hour (with an hour to spare), used challenges, and tokens revoked or expired (a token
    /// that isn't there is refused just as one revoked).
    pub fn prune(&self) -> Result<(), SignInError> {
        let now = self.now();
        self.store().atomically(|store| {
            store.prune(now - 2 * HOUR_MS)?;
            store.prune_tokens(now)
        })?;
        Ok(())
    }
}
